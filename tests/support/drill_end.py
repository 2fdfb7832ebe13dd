"""A drill run driven to its end through the real DrillRun, with seeded answers (real FLAC, real
analysis) and earlier takes of the same questions two days before: for the end-of-drill summary
(pure, page and browser tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from day_one import BETTER, FAILURE, FEEDBACK, WE_HEAVY, add_take
from seed import FAIL, HARD, INTRO, LEAD, session, step, tone

from rehearse.library import bank
from rehearse.library.bank import Drill
from rehearse.practice import pipeline
from rehearse.practice.run import DrillRun
from rehearse.settings import Settings
from rehearse.store import database

DRILL = Drill(
    id="end-check",
    title="End of drill check",
    description="Three stories and an introduction, one follow-up each.",
    count=4,
    order="fixed",
    probes_per_question=1,
    questions=(LEAD, FAIL, HARD, INTRO),
)
OWNED = (
    "At Brightline I owned the checkout launch and I missed it by three weeks. My mistake was that I did not "
    "test the payment flow with real cards, and I should have asked for a test budget in the first week. "
    "As a result the launch slipped, so I wrote a test plan, and since then every launch of mine has "
    "shipped on the date."
)
LEAD_PROBE_ANSWER = "I met each director one to one first and wrote down what they needed."
INTRO_ANSWER = (
    "I am a backend engineer with eight years in payments. At Northwind I led the billing migration across "
    "four teams, and now I want to own a platform end to end."
)


@dataclass
class Ended:
    run: DrillRun
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def session_id(self) -> str:
        return self.run.session_id or ""


def earlier_session(db, settings: Settings) -> dict[str, str]:
    """Two days ago: the lead story told with "we" (2★) and the failure story that blames others (2★)."""
    sid = session(db, "leadership-follow-ups", "Leadership stories, follow-ups first", 2)
    lead0 = step(LEAD, 0, "Tell me about a time you led a change across teams that did not report to you.", "")
    fail0 = step(FAIL, 0, "Tell me about a launch you missed.", "")
    return {
        "old_we": add_take(
            db, settings, sid, lead0, WE_HEAVY, category="behavioral", minute=1, speaking=18, stars=2, days_ago=2
        ).id,
        "old_failure": add_take(
            db, settings, sid, fail0, FAILURE, category="failure", minute=3, speaking=16, stars=2, days_ago=2
        ).id,
    }


def run_drill(
    db, settings: Settings, *, end_early: bool = False, last_open: bool = False, earlier: bool = True
) -> Ended:
    """Today: the lead story told well (4★) with its follow-up answered (3★); the failure story owned (3★) with its follow-up refused and skipped;
    the hard-feedback question in a few words (1★) with its follow-up skipped; then the
    introduction (4★) and its follow-up, unless `end_early` ends the drill before the introduction.
    `last_open` leaves the run active on its last step, answered, for a page to finish it.
    `earlier=False` leaves out the earlier session (seeded once; a second run on the same day has
    the same answer times, so it is not "earlier" than the first and both compare with that one)."""
    questions = bank.load_library(settings).questions
    ended = Ended(DrillRun.start(DRILL, questions, seed=1))
    if earlier:
        ended.ids.update(earlier_session(db, settings))
    run = ended.run
    minute = 10

    def answer(text: str, category: str, name: str, stars: int | None, speaking: float) -> None:
        nonlocal minute
        take = add_take(
            db,
            settings,
            run.session(db),
            run.step,
            text,
            category=category,
            minute=minute,
            speaking=speaking,
            stars=stars,
        )
        ended.ids[name] = take.id
        minute += 1

    while not run.finished:
        s = run.step
        if s.question_id == LEAD and not s.is_probe:
            answer(BETTER, "behavioral", "lead", 4, 62)
        elif s.question_id == LEAD:
            answer(LEAD_PROBE_ANSWER, "behavioral", "lead_probe", 3, 5)
        elif s.question_id == FAIL and not s.is_probe:
            answer(OWNED, "failure", "failure", 3, 24)
        elif s.question_id == FAIL:
            refused = pipeline.save_answer(db, settings, run.session(db), s, tone(0.3))
            database.mark_failed(db, refused.id, "The recording was too short to be an answer.")
            ended.ids["refused"] = refused.id
            run.skip(db)
            continue
        elif s.question_id == HARD and not s.is_probe:
            answer(FEEDBACK, "behavioral", "short", 1, 3)
        elif s.question_id == HARD:
            run.skip(db)
            continue
        elif end_early:
            run.end(db)
            continue
        elif not s.is_probe:
            answer(INTRO_ANSWER, "intro", "intro", 4, 14)
        else:
            answer("I want to stay close to the code and grow a team.", "intro", "intro_probe", 4, 4)
        if last_open and run.is_last:
            break
        run.advance(db)
    return ended
