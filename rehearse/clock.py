"""Stored times are UTC ISO strings; people think in local days. The conversions live here, and the
one m:ss formatter for durations and positions in a recording."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def parse(stamp: str) -> datetime:
    """A stored ISO time as an aware datetime (a naive one is taken as UTC)."""
    value = datetime.fromisoformat(stamp)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def local(stamp: str) -> datetime:
    return parse(stamp).astimezone()


def local_day(stamp: str) -> date:
    return local(stamp).date()


def label(stamp: str) -> str:
    """'2025-03-04 18:30' in the machine's time zone, for lists and reports."""
    return local(stamp).strftime("%Y-%m-%d %H:%M")


def day_start(day: date) -> str:
    """The UTC ISO time at which a local day starts, comparable with stored times as text."""
    start = datetime.combine(day, time.min).astimezone()
    return start.astimezone(UTC).isoformat(timespec="seconds")


def day_end(day: date) -> str:
    """The UTC ISO time at which a local day ends (the next day's start, exclusive)."""
    return day_start(day + timedelta(days=1))


def today() -> date:
    return datetime.now().astimezone().date()


def minutes_seconds(seconds: float) -> str:
    """'1:05' for 65.4 s, to the nearest second (never negative)."""
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"
