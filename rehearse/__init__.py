"""Rehearse: practise job-interview answers out loud, on your own machine."""

__version__ = "0.1.0"
