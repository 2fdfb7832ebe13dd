"""Helpers shared by the AppTest page tests."""

from streamlit.testing.v1 import AppTest

from paths import ROOT

APP = str(ROOT / "streamlit_app.py")


def button(at: AppTest, label: str):
    """The button labelled `label`, or a failure that lists the buttons there are."""
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    return matches[0]
