"""Practice queue: questions come due again on a spaced-repetition schedule driven by self-ratings.

The schedule is FSRS (the Free Spaced Repetition Scheduler, Anki's algorithm, from the `fsrs`
package), fed the same self-ratings as before. It is computed from the stored ratings each time:
every question's reviews are replayed, oldest first, into a fresh FSRS card, so editing a rating or
deleting a take reschedules at once, there is no schedule table to drift out of sync, and a history
rated before FSRS came in is scheduled by it like any other.

- Each session in which a question was practised and rated is one review of that question, at the
  time of its last rated take. Its grade is the average stars over the question's rated steps (main
  answer and probes, the latest rated take of each), rounded down: a mixed review comes back sooner.
- Grades map to FSRS ratings as RATINGS says: 1 or 2 stars "Again" (not an answer to give yet),
  3 "Hard", 4 "Good", 5 "Easy". FSRS runs without learning steps (a question is practised once a
  session, not minutes apart), without fuzzing (the same history gives the same dates) and with gaps
  of at most MAX_DAYS.
- A question is due on the day of its last review plus the gap FSRS gives; it is in today's drill
  when that day is today or earlier. Most overdue first, then the lowest last grade.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import fsrs

from rehearse import clock
from rehearse.library.bank import Drill, Question
from rehearse.measure import feedback
from rehearse.store import Database
from rehearse.store import history as stored

MAX_DAYS = 120
DUE_DRILL_ID = "due-today"
DUE_DRILL_PROBES = 2
# A grade (1-5 stars) as an FSRS rating. Two stars is still "Again": an answer you would not give in
# an interview has to come back soon, whatever came before.
RATINGS = {1: fsrs.Rating.Again, 2: fsrs.Rating.Again, 3: fsrs.Rating.Hard, 4: fsrs.Rating.Good, 5: fsrs.Rating.Easy}
SCHEDULER = fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False, maximum_interval=MAX_DAYS)

RULES = f"""
- Each session in which you answered and rated a question counts as one review. Its grade is the average
  of your stars over that question's answers in the session (the main answer and the follow-ups, last take
  of each), rounded down.
- The gap until the question comes back is set by FSRS, the scheduler Anki uses: it estimates how long you
  will remember an answer from every rating you have given that question, and brings the question back
  when you are likely to start forgetting it.
- 1 or 2 stars: back within a few days (the next day the first time), however well it went before.
  3 stars: a short gap, 4 a longer one, 5 the longest; each good rating in a row stretches the gap,
  up to {MAX_DAYS} days. Practising again before a question is due stretches its gap only a little.
- A question is due on the day of its last review plus its gap. Unrated answers do not schedule anything.
"""


@dataclass(frozen=True)
class Review:
    question_id: str
    session_id: str
    at: datetime  # when the session's last rated take at the question was recorded (aware)
    grade: int

    @property
    def day(self) -> date:
        return self.at.astimezone().date()


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


def card(history: Sequence[Review]) -> fsrs.Card:
    """A question's FSRS card after replaying its reviews, given oldest first."""
    if not history:
        raise ValueError("no reviews to plan from")
    state = fsrs.Card(card_id=1)  # an id of our own: fsrs would make one from the clock
    for review in history:
        if review.grade not in RATINGS:
            raise ValueError(f"grade must be 1 to 5, got {review.grade}")
        state, _log = SCHEDULER.review_card(state, RATINGS[review.grade], review_datetime=review.at)
    return state


def plan(history: Sequence[Review]) -> tuple[int, date]:
    """(gap in days, due day) after a question's reviews, given oldest first."""
    replayed = card(history)
    interval = max(1, round((replayed.due - replayed.last_review) / timedelta(days=1)))
    return interval, history[-1].day + timedelta(days=interval)


def reviews(db: Database) -> dict[str, list[Review]]:
    """Each question's reviews, oldest first, from the latest rated take of each step in each session."""
    rows = stored.rated_steps(db)
    # Later takes overwrite earlier ones: the latest rated take of a step is the one that counts.
    steps: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    last_seen: dict[tuple[str, str], str] = {}
    for qid, sid, probe, stars, created in rows:
        steps[(qid, sid)][probe] = stars
        last_seen[(qid, sid)] = created
    out: dict[str, list[Review]] = defaultdict(list)
    for (qid, sid), by_step in steps.items():
        out[qid].append(Review(qid, sid, clock.parse(last_seen[(qid, sid)]), grade(by_step.values())))
    for items in out.values():
        items.sort(key=lambda r: (r.at, r.session_id))
    return dict(out)


def queue(db: Database, questions: Mapping[str, Question] | None = None) -> list[Item]:
    """Every rated question with its next due day, soonest first (most overdue, then lowest grade)."""
    texts = stored.question_texts(db)
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
    return stored.unrated(db)


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
    answers: Sequence,
    questions: Mapping[str, Question],
    limit: int = WEAKEST_COUNT,
    *,
    drill_id: str = WEAKEST_DRILL_ID,
    title: str = "Weakest from today",
    among: str = "from today",
) -> tuple[Drill | None, list]:
    """A drill of the questions whose latest take is weakest (see `weakness`), weakest first, and
    those latest takes; questions no longer in the banks are left out. `answers` are main answers,
    oldest first: today's from store.takes.main_answers_on, or one drill's (practice/summary.py);
    `among` says which in the drill's description."""
    latest = {a.question_id: a for a in answers if a.question_id in questions}
    chosen = sorted(latest.values(), key=lambda a: (weakness(a), a.created_at))[:limit]
    if not chosen:
        return None, []
    drill = Drill(
        id=drill_id,
        title=title,
        description=f"The {len(chosen)} answer(s) {among} that need the most work, weakest first.",
        count=len(chosen),
        order="fixed",
        probes_per_question=DUE_DRILL_PROBES,
        questions=tuple(a.question_id for a in chosen),
        source="practice queue",
    )
    return drill, chosen
