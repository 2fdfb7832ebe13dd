"""Times are stored in UTC and shown in local time, here and on every page that shows one; run in a
zone half an hour off UTC (Asia/Kolkata, +05:30 all year) so a UTC time shown by mistake cannot pass."""

import time

import pytest
from apptest_kit import APP
from streamlit.testing.v1 import AppTest

from rehearse import clock
from rehearse.store import database, debriefs, export

STORED = "2026-03-04T22:45:00+00:00"
SHOWN = "2026-03-05 04:15"  # the same moment in Kolkata, the next day there


@pytest.fixture(autouse=True)
def kolkata(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_stored_times_are_shown_in_local_time():
    assert clock.label(STORED) == SHOWN
    assert clock.local_day(STORED).isoformat() == "2026-03-05"
    # The local day's bounds as stored (UTC) times: Kolkata's 5 March starts at 18:30 UTC on the 4th.
    day = clock.local_day(STORED)
    assert clock.day_start(day) == "2026-03-04T18:30:00+00:00"
    assert clock.day_start(day) <= STORED < clock.day_end(day)
    assert clock.label("2026-03-04T22:45:00") == SHOWN  # a stamp without a zone is UTC


def test_now_is_stored_in_utc():
    stamp = database.now()
    assert stamp.endswith("+00:00")
    assert abs(clock.parse(stamp).timestamp() - time.time()) < 5


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0:00"), (5.99, "0:06"), (65.4, "1:05"), (600, "10:00"), (3725, "62:05"), (-2, "0:00")]
)
def test_minutes_seconds(seconds, shown):
    assert clock.minutes_seconds(seconds) == shown


def _session_at(db, stamp: str) -> str:
    sid = database.create_session(db, "star-basics", "STAR basics", [])
    with db.atomic():
        db["sessions"].update(sid, {"started_at": stamp})
    return sid


def test_review_and_debrief_pages_and_exports_show_local_time(app_env):
    db = database.open_database(app_env)
    sid = _session_at(db, STORED)
    d = debriefs.create_debrief(db)
    debriefs.link_session(db, d.id, sid, focus="the questions they asked")

    review = AppTest.from_file(APP, default_timeout=60)
    review.switch_page("pages/review.py")
    review.run()
    assert not review.exception, review.exception
    label = review.selectbox(key="review_session").format_func(sid)
    assert SHOWN in label and "22:45" not in label

    page = AppTest.from_file(APP, default_timeout=60)
    page.switch_page("pages/debrief.py")
    page.run()
    assert not page.exception, page.exception
    captions = [c.value for c in page.caption if "STAR basics" in c.value]
    assert captions and SHOWN in captions[0] and "22:45" not in captions[0]

    assert any(SHOWN in line for line in export.session_lines(db))
    assert f"## {SHOWN}" in export.to_markdown(db, sid)
    assert export.file_name("markdown", database.get_session(db, sid)).startswith("rehearse-2026-03-05-")
