"""Practice queue: questions come due again on a spaced-repetition schedule driven by self-ratings.

The rules, in full (they are computed from the stored ratings each time, so editing a rating or
deleting a take reschedules at once and there is no schedule table to drift out of sync):

- Each session in which a question was practised and rated is one review of that question. Its
  grade is the average stars over the question's rated steps (main answer and probes, the latest
  rated take of each), rounded down: a mixed review comes back sooner, not later.
- Grade 1 or 2: the question comes back after BASE_DAYS[grade] days (1 or 2), whatever came before.
- Grade 3, 4 or 5: after max(BASE_DAYS[grade], previous interval x GROWTH[grade]) days, where the
  previous interval counts only the days that really passed since the previous review (practising
  the same question twice in a day does not stretch its interval); capped at MAX_DAYS.
- A question is due on (day of its last review + interval); it is in today's drill when that day
  is today or earlier. Most overdue first, then the lowest last grade.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlite_utils import Database

from rehearse import clock
from rehearse.library.bank import Drill, Question
from rehearse.measure import feedback

BASE_DAYS = {1: 1, 2: 2, 3: 3, 4: 5, 5: 8}
GROWTH = {3: 1.3, 4: 2.0, 5: 2.5}
MAX_DAYS = 120
DUE_DRILL_ID = "due-today"
DUE_DRILL_PROBES = 2

RULES = f"""
- Each session in which you answered and rated a question counts as one review. Its grade is the average
  of your stars over that question's answers in the session (the main answer and the follow-ups, last take
  of each), rounded down.
- 1 or 2 stars: the question comes back after {BASE_DAYS[1]} or {BASE_DAYS[2]} day(s), whatever happened before.
- 3, 4 or 5 stars: after at least {BASE_DAYS[3]}, {BASE_DAYS[4]} or {BASE_DAYS[5]} days, or the previous gap
  times {GROWTH[3]}, {GROWTH[4]} or {GROWTH[5]} if that is longer (at most {MAX_DAYS} days). Practising early
  does not stretch the gap: only the days that really passed count.
- A question is due on the day of its last review plus its gap. Unrated answers do not schedule anything.
"""


@dataclass(frozen=True)
class Review:
    question_id: str
    session_id: str
    day: date
    grade: int


@dataclass(frozen=True)
class Item:
    question_id: str
    question_text: str
    reviews: int
    last_day: date
    last_grade: int
    interval: int
    due: date

    def overdue(self, today: date) -> int:
        return (today - self.due).days


def grade(stars: Iterable[int]) -> int:
    values = list(stars)
    if not values:
        raise ValueError("a review needs at least one rating")
    return max(1, min(5, math.floor(sum(values) / len(values))))


def next_interval(grade_: int, previous: int | None = None, elapsed: int | None = None) -> int:
    """Days until the next review after one graded `grade_`; `previous` is the interval before it."""
    if grade_ not in BASE_DAYS:
        raise ValueError(f"grade must be 1 to 5, got {grade_}")
    base = BASE_DAYS[grade_]
    if grade_ < 3 or previous is None:
        return base
    earned = previous if elapsed is None else min(previous, max(elapsed, 0))
    return min(MAX_DAYS, max(base, round(earned * GROWTH[grade_])))


def plan(history: Sequence[Review]) -> tuple[int, date]:
    """(interval, due day) after a question's reviews, given oldest first."""
    if not history:
        raise ValueError("no reviews to plan from")
    interval: int | None = None
    previous_day: date | None = None
    for review in history:
        elapsed = (review.day - previous_day).days if previous_day else None
        interval = next_interval(review.grade, interval, elapsed)
        previous_day = review.day
    assert interval is not None and previous_day is not None
    return interval, previous_day + timedelta(days=interval)


def reviews(db: Database) -> dict[str, list[Review]]:
    """Each question's reviews, oldest first, from the latest rated take of each step in each session."""
    rows = db.execute("""
        select answers.question_id, answers.session_id, answers.probe_index, ratings.stars, answers.created_at
        from answers join ratings on ratings.answer_id = answers.id
        where ratings.stars is not null and answers.status != 'skipped'
        order by answers.created_at, answers.take""").fetchall()
    # Later takes overwrite earlier ones: the latest rated take of a step is the one that counts.
    steps: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    last_seen: dict[tuple[str, str], str] = {}
    for qid, sid, probe, stars, created in rows:
        steps[(qid, sid)][probe] = stars
        last_seen[(qid, sid)] = created
    out: dict[str, list[Review]] = defaultdict(list)
    for (qid, sid), by_step in steps.items():
        out[qid].append(Review(qid, sid, clock.local_day(last_seen[(qid, sid)]), grade(by_step.values())))
    for items in out.values():
        items.sort(key=lambda r: (r.day, last_seen[(r.question_id, r.session_id)]))
    return dict(out)


def queue(db: Database, questions: Mapping[str, Question] | None = None) -> list[Item]:
    """Every rated question with its next due day, soonest first (most overdue, then lowest grade)."""
    texts = dict(db.execute("select question_id, max(question_text) from answers group by question_id").fetchall())
    items = []
    for qid, history in reviews(db).items():
        interval, due = plan(history)
        text = questions[qid].text if questions and qid in questions else texts.get(qid) or qid
        items.append(Item(qid, text, len(history), history[-1].day, history[-1].grade, interval, due))
    return sorted(items, key=lambda i: (i.due, i.last_grade, i.question_id))


def due(items: Iterable[Item], today: date) -> list[Item]:
    return [i for i in items if i.due <= today]


def unrated(db: Database) -> list[tuple[str, str]]:
    """Questions answered but never rated: they cannot be scheduled until they are."""
    return db.execute("""
        select question_id, max(question_text) from answers
        where status = 'transcribed' and question_id not in (
            select answers.question_id from answers join ratings on ratings.answer_id = answers.id
            where ratings.stars is not null)
        group by question_id order by 2""").fetchall()


def due_drill(
    items: Sequence[Item], questions: Mapping[str, Question], probes_per_question: int = DUE_DRILL_PROBES
) -> tuple[Drill | None, list[Item]]:
    """A drill of the due questions in queue order, and the due items whose question is no longer in the banks."""
    present = [i for i in items if i.question_id in questions]
    missing = [i for i in items if i.question_id not in questions]
    if not present:
        return None, missing
    drill = Drill(
        id=DUE_DRILL_ID,
        title="Due today",
        description=f"{len(present)} question(s) due for another go, most overdue first.",
        count=len(present),
        order="fixed",
        probes_per_question=probes_per_question,
        questions=tuple(i.question_id for i in present),
        source="practice queue",
    )
    return drill, missing


WEAKEST_DRILL_ID = "weakest-today"
WEAKEST_COUNT = 3


def weakness(answer) -> tuple[int, int]:
    """How weak one take is, for sorting (smaller is weaker): its stars (an unrated take counts as
    3), then how many measurements warn about it."""
    found = feedback.card(answer.metrics or {})
    warns = sum(s.tone == "warn" for s in found.delivery + found.content) + (5 if found.short else 0)
    return (answer.stars or 3, -warns)


def weakest_drill(
    answers: Sequence, questions: Mapping[str, Question], limit: int = WEAKEST_COUNT
) -> tuple[Drill | None, list]:
    """A drill of the questions whose latest take today is weakest (see `weakness`), weakest first,
    and those latest takes; questions no longer in the banks are left out. `answers` come from
    store.weakest.main_answers_on, oldest first."""
    latest = {a.question_id: a for a in answers if a.question_id in questions}
    chosen = sorted(latest.values(), key=lambda a: (weakness(a), a.created_at))[:limit]
    if not chosen:
        return None, []
    drill = Drill(
        id=WEAKEST_DRILL_ID,
        title="Weakest from today",
        description=f"The {len(chosen)} answer(s) from today that need the most work, weakest first.",
        count=len(chosen),
        order="fixed",
        probes_per_question=DUE_DRILL_PROBES,
        questions=tuple(a.question_id for a in chosen),
        source="practice queue",
    )
    return drill, chosen
