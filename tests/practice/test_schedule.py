"""The spaced-repetition rules, one by one, and the queue built from ratings stored in a real SQLite file."""

from datetime import date, timedelta

import pytest
from seed import FAIL, HARD, INTRO, LEAD, add_take, seed, session, step

from rehearse import clock
from rehearse.library import bank
from rehearse.practice import schedule
from rehearse.practice.schedule import Review
from rehearse.store import database

D = date(2025, 3, 1)


def reviews(*graded: tuple[int, int]) -> list[Review]:
    """(day offset, grade) pairs as one question's reviews."""
    return [Review("q", f"s{i}", D + timedelta(days=off), g) for i, (off, g) in enumerate(graded)]


def test_low_grades_come_back_sooner_than_high_ones():
    firsts = [schedule.next_interval(g) for g in range(1, 6)]
    assert firsts == [1, 2, 3, 5, 8]
    assert firsts == sorted(firsts) and len(set(firsts)) == 5


def test_good_grades_stretch_the_gap_and_bad_ones_reset_it():
    assert schedule.plan(reviews((0, 5), (8, 5))) == (20, D + timedelta(days=28))  # 8 x 2.5
    assert schedule.plan(reviews((0, 4), (5, 4), (15, 4))) == (20, D + timedelta(days=35))  # 5 -> 10 -> 20
    assert schedule.plan(reviews((0, 5), (8, 3)))[0] == 10  # 8 x 1.3 = 10.4
    assert schedule.plan(reviews((0, 5), (8, 5), (28, 1))) == (1, D + timedelta(days=29))  # forgotten: back tomorrow
    assert schedule.plan(reviews((0, 5), (8, 5), (28, 2)))[0] == 2
    # After a reset, growth starts again from the short gap.
    assert schedule.plan(reviews((0, 5), (8, 5), (28, 1), (29, 5)))[0] == 8


def test_practising_early_does_not_stretch_the_gap():
    # Twice on the same day: the second 5 earns nothing beyond its base.
    assert schedule.plan(reviews((0, 5), (0, 5)))[0] == 8
    # Two days into an eight-day gap: grown from the two days that passed, so the base wins.
    assert schedule.plan(reviews((0, 5), (2, 5)))[0] == 8
    # Late is fine: the earned gap is capped by the planned one, not by the lateness.
    assert schedule.plan(reviews((0, 5), (30, 5)))[0] == 20


def test_gap_is_capped():
    many = reviews(*[(i * 200, 5) for i in range(8)])
    assert schedule.plan(many)[0] == schedule.MAX_DAYS


def test_grade_rounds_down_and_validates():
    assert schedule.grade([5, 4]) == 4
    assert schedule.grade([3, 3, 2]) == 2
    assert schedule.grade([5]) == 5
    with pytest.raises(ValueError):
        schedule.grade([])
    with pytest.raises(ValueError, match="1 to 5"):
        schedule.next_interval(6)


def test_queue_from_stored_ratings(settings, db):
    seeded = seed(db, settings)
    library = bank.load_library(settings)
    today = clock.today()
    items = {i.question_id: i for i in schedule.queue(db, library.questions)}
    assert set(items) == {LEAD, FAIL, INTRO}  # HARD was answered but never rated
    assert schedule.unrated(db) == [(HARD, "Tell me about hard feedback you gave.")]

    # Lead: 20 days ago graded 2 (latest take of the main answer 3, probe 2: 2.5 -> 2), then two days
    # ago graded 4 (5 and 4): the earlier 2-day gap times 2 is 4, below the base of 5.
    lead = items[LEAD]
    assert (lead.reviews, lead.last_grade, lead.interval) == (2, 4, 5)
    assert lead.due == today + timedelta(days=3)
    # Failure: graded 4 ten days ago, first review: due five days ago.
    assert (items[FAIL].last_grade, items[FAIL].interval, items[FAIL].overdue(today)) == (4, 5, 5)
    # Intro: 1 star today: tomorrow.
    assert items[INTRO].due == today + timedelta(days=1)

    due = schedule.due(schedule.queue(db, library.questions), today)
    assert [i.question_id for i in due] == [FAIL]
    assert [i.question_id for i in schedule.due(items.values(), today + timedelta(days=3))] == [FAIL, INTRO, LEAD]

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
        schedule.Item(FAIL, "f", 1, D, 2, 2, D),
        schedule.Item("gone-question", "g", 1, D, 1, 1, D),
        schedule.Item(LEAD, "l", 1, D, 3, 3, D + timedelta(days=1)),
    ]
    drill, missing = schedule.due_drill(items, library.questions)
    assert [m.question_id for m in missing] == ["gone-question"]
    assert drill.id == schedule.DUE_DRILL_ID and drill.questions == (FAIL, LEAD) and drill.count == 2
    steps = bank.plan_drill(drill, library.questions, seed=3)
    assert [s.question_id for s in steps if s.probe_index == 0] == [FAIL, LEAD]
    assert max(s.probe_index for s in steps) == schedule.DUE_DRILL_PROBES
    assert schedule.due_drill([items[1]], library.questions) == (None, [items[1]])
