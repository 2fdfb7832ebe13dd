"""The spaced-repetition rules, one by one, and the queue built from ratings stored in a real SQLite file."""

from datetime import UTC, datetime, timedelta

import fsrs
import pytest
from seed import FAIL, HARD, INTRO, LEAD, add_take, seed, session, step

from rehearse import clock
from rehearse.library import bank
from rehearse.practice import schedule
from rehearse.practice.schedule import Review
from rehearse.store import database

D = datetime(2025, 3, 1, 18, 30, tzinfo=UTC)
DAY = D.date()


def reviews(*graded: tuple[int, int]) -> list[Review]:
    """(day offset, grade) pairs as one question's reviews."""
    return [Review("q", f"s{i}", D + timedelta(days=off), g) for i, (off, g) in enumerate(graded)]


def gap(*graded: tuple[int, int]) -> int:
    return schedule.plan(reviews(*graded))[0]


def test_low_grades_come_back_sooner_than_high_ones():
    firsts = [gap((0, g)) for g in range(1, 6)]
    assert firsts[0] == firsts[1] == 1  # 1 and 2 stars are both "Again": back the next day
    assert firsts == sorted(firsts) and firsts[2] < firsts[4] and firsts[3] < firsts[4]
    assert schedule.RATINGS[1] == schedule.RATINGS[2] == fsrs.Rating.Again
    assert [schedule.RATINGS[g] for g in (3, 4, 5)] == [fsrs.Rating.Hard, fsrs.Rating.Good, fsrs.Rating.Easy]


def test_good_grades_stretch_the_gap_and_bad_ones_shrink_it():
    assert gap((0, 5), (8, 5)) > 2 * gap((0, 5))  # on time and easy again: much longer
    assert gap((0, 4), (2, 4), (6, 4)) > gap((0, 4), (2, 4)) > gap((0, 4))
    assert gap((0, 5), (8, 3)) < gap((0, 5), (8, 4)) < gap((0, 5), (8, 5))
    forgotten = gap((0, 5), (8, 5), (28, 1))
    assert forgotten <= 3 and forgotten < gap((0, 5), (8, 5))  # back within a few days
    assert gap((0, 5), (8, 5), (28, 2)) == forgotten
    # After a lapse, good ratings grow the gap again.
    assert gap((0, 5), (8, 5), (28, 1), (31, 5)) > forgotten


def test_practising_early_stretches_the_gap_less_than_on_time():
    assert gap((0, 5), (0, 5)) < gap((0, 5), (8, 5))
    assert gap((0, 5), (2, 5)) < gap((0, 5), (8, 5))


def test_gap_is_capped():
    assert gap(*[(i * 200, 5) for i in range(8)]) == schedule.MAX_DAYS


def test_replaying_is_deterministic_and_due_follows_the_last_review():
    history = reviews((0, 3), (1, 4), (5, 2), (6, 5), (20, 4))
    first, again = schedule.card(history), schedule.card(list(history))
    assert first.to_dict() == again.to_dict()
    interval, due = schedule.plan(history)
    assert due == history[-1].day + timedelta(days=interval)
    with pytest.raises(ValueError, match="1 to 5"):
        schedule.card(reviews((0, 6)))
    with pytest.raises(ValueError):
        schedule.plan([])


def test_grade_rounds_down_and_validates():
    assert schedule.grade([5, 4]) == 4
    assert schedule.grade([3, 3, 2]) == 2
    assert schedule.grade([5]) == 5
    with pytest.raises(ValueError):
        schedule.grade([])


def test_queue_from_stored_ratings(settings, db):
    seeded = seed(db, settings)
    library = bank.load_library(settings)
    today = clock.today()
    queued = schedule.queue(db, library.questions)
    items = {i.question_id: i for i in queued}
    assert set(items) == {LEAD, FAIL, INTRO}  # HARD was answered but never rated
    assert schedule.unrated(db) == [(HARD, "Tell me about hard feedback you gave.")]

    # Failure: graded 4 ("Good") ten days ago, its only review: a short first gap, long past.
    fail = items[FAIL]
    assert (fail.reviews, fail.last_grade) == (1, 4) and fail.interval == gap((0, 4))
    assert fail.overdue(today) == 10 - fail.interval > 0
    # Intro: 1 star today: tomorrow.
    assert items[INTRO].due == today + timedelta(days=1)
    # Lead: graded 2 twenty days ago (main answer 3, probe 2: 2.5 -> 2), then 4 two days ago: the
    # replayed history schedules it, later than a question seen once with a 4.
    lead = items[LEAD]
    assert (lead.reviews, lead.last_grade, lead.last_day) == (2, 4, today - timedelta(days=2))
    assert lead.interval == gap((0, 2), (18, 4)) and lead.interval > gap((0, 4))
    assert lead.due == today - timedelta(days=2) + timedelta(days=lead.interval) > today

    # The sensible order: the overdue one first, then tomorrow's, then the one that went well twice.
    assert [i.question_id for i in queued] == [FAIL, INTRO, LEAD]
    assert [i.question_id for i in schedule.due(queued, today)] == [FAIL]
    assert schedule.queue(db, library.questions) == queued  # replaying again gives the same queue

    # Re-rating changes the schedule at once: no stored schedule to go stale.
    database.set_rating(db, seeded.answers["failure"].id, stars=1)
    assert {i.question_id: i for i in schedule.queue(db)}[FAIL].interval == 1


def test_latest_take_counts_and_sessions_are_reviews(settings, db):
    lead0 = step(LEAD, 0, "Q", "Q")
    sid = session(db, "warm-up", "Warm-up", 3)
    add_take(db, settings, sid, lead0, "first try words", days_ago=3, stars=5)
    add_take(db, settings, sid, lead0, "second try words", days_ago=3, minute=5, stars=1)
    [review] = schedule.reviews(db)[LEAD]
    assert review.grade == 1  # the later take's rating replaced the earlier one in that session
    assert schedule.queue(db)[0].due == clock.today() - timedelta(days=2)


def test_due_drill_runs_the_due_questions_in_order(settings, db):
    library = bank.load_library(settings)
    items = [
        schedule.Item(FAIL, "f", 1, DAY, 2, 2, DAY),
        schedule.Item("gone-question", "g", 1, DAY, 1, 1, DAY),
        schedule.Item(LEAD, "l", 1, DAY, 3, 3, DAY + timedelta(days=1)),
    ]
    drill, missing = schedule.due_drill(items, library.questions)
    assert [m.question_id for m in missing] == ["gone-question"]
    assert drill.id == schedule.DUE_DRILL_ID and drill.questions == (FAIL, LEAD) and drill.count == 2
    steps = bank.plan_drill(drill, library.questions, seed=3)
    assert [s.question_id for s in steps if s.probe_index == 0] == [FAIL, LEAD]
    assert max(s.probe_index for s in steps) == schedule.DUE_DRILL_PROBES
    assert schedule.due_drill([items[1]], library.questions) == (None, [items[1]])
