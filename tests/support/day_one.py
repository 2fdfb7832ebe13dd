"""One day of practice, all of it today: what a new user has after a first session. For the
Progress and Practice queue pages on day one (page and browser tests)."""

from __future__ import annotations

from seed import FAIL, HARD, LEAD, LEAD_PROBE, LEAD_TEXT, backdate, even_words, session, step, tone

from rehearse.library.bank import Step
from rehearse.measure import analysis
from rehearse.practice import pipeline
from rehearse.settings import Settings
from rehearse.store import database

WE_HEAVY = (
    "So last year we had a billing migration across four teams. We planned it together, we split the work, "
    "we ran the tests and we shipped it in March. We had some issues with finance but we sorted them out "
    "and we were happy with it in the end."
)
BETTER = (
    "Last year I led the billing migration at Northwind across four teams that did not report to me. "
    "The old system double-charged a few hundred customers every month, and support spent two days a week "
    "on refunds. My job was to move forty thousand accounts without a single failed payment. "
    "First I met each team lead one to one and wrote down what they needed from the new system. "
    "The finance director pushed back on the cost, so I brought her the numbers: the refunds alone cost more "
    "than the migration. I proposed a rollback plan and a weekend cutover, and she signed it. "
    "I ran two rehearsals with the support team and fixed the three problems they found. "
    "As a result we moved all forty thousand accounts in one weekend with no failed payments, and refunds "
    "fell from two days a week to an hour. I learned to bring the numbers to the first meeting, not the third."
)
FAILURE = (
    "At Brightline the checkout launch slipped by three weeks. The vendor was late and the API changed twice, "
    "so it was really out of my control and there was nothing I could do about the date."
)
FEEDBACK = "I told him the reviews were late."


def add_take(
    db,
    settings: Settings,
    session_id: str,
    st: Step,
    text: str,
    *,
    category: str,
    minute: int,
    speaking: float,
    stars: int | None = None,
    days_ago: int = 0,
) -> database.Answer:
    """One take (today unless `days_ago`), measured as the app measures it: with the question's
    category and target."""
    answer = pipeline.save_answer(db, settings, session_id, st, tone())
    words = even_words(text, speaking)
    probe = st.probe_index > 0
    metrics = analysis.analyze(
        text, words, speaking + 0.5, settings, None if probe else (60.0, 120.0), category=category, follow_up=probe
    )
    database.save_transcript(
        db,
        answer.id,
        text=text,
        words=words,
        model="seeded",
        seconds=0.1,
        duration=speaking + 0.5,
        metrics=metrics.to_dict(),
    )
    if stars is not None:
        database.set_rating(db, answer.id, stars=stars)
    backdate(db, answer.id, days_ago, minute)
    return database.get_answer(db, answer.id)


def seed_day_one(db, settings: Settings) -> dict[str, str]:
    """Five answers today (four main answers on three questions, one follow-up); their ids by name."""
    sid = session(db, "leadership-follow-ups", "Leadership stories, follow-ups first", 0)
    lead0 = step(LEAD, 0, LEAD_TEXT, LEAD_TEXT)
    lead1 = step(LEAD, 1, LEAD_PROBE, LEAD_TEXT)
    fail0 = step(FAIL, 0, "Tell me about a launch you missed.", "Tell me about a launch you missed.")
    hard0 = step(HARD, 0, "Tell me about hard feedback you gave.", "Tell me about hard feedback you gave.")
    ids = {}
    lead, fail = "behavioral", "failure"
    ids["we"] = add_take(db, settings, sid, lead0, WE_HEAVY, category=lead, minute=1, stars=2, speaking=18).id
    ids["better"] = add_take(db, settings, sid, lead0, BETTER, category=lead, minute=3, stars=4, speaking=62).id
    ids["probe"] = add_take(
        db, settings, sid, lead1, "I met each director one to one first.", category=lead, minute=4, stars=3, speaking=4
    ).id
    ids["failure"] = add_take(db, settings, sid, fail0, FAILURE, category=fail, minute=6, stars=2, speaking=16).id
    ids["short"] = add_take(db, settings, sid, hard0, FEEDBACK, category=lead, minute=8, speaking=3).id
    return ids
