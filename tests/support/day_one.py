"""One day of practice, all of it today: what a new user has after a first session. For the
Progress and Practice queue pages on day one (page and browser tests)."""

from __future__ import annotations

from seed import FAIL, HARD, LEAD, LEAD_PROBE, LEAD_TEXT, add_take, session, step

from rehearse.settings import Settings

WE_HEAVY = (
    "So last year we had a billing migration across four teams. We planned it together, we split the work, "
    "we ran the tests and we shipped it in March. We had some issues with finance but we sorted them out "
    "and we were happy with it in the end."
)
BETTER = (
    "Last year I led the billing migration across four teams that did not report to me. The finance "
    "director pushed back on the cost, so I brought her the numbers and a rollback plan, and she signed it. "
    "As a result we moved forty thousand accounts in one weekend with no failed payments, and I learned to "
    "bring the numbers to the first meeting."
)
FAILURE = (
    "At Brightline the checkout launch slipped by three weeks. The vendor was late and the API changed twice, "
    "so it was really out of my control and there was nothing I could do about the date."
)
FEEDBACK = "I told him the reviews were late."


def seed_day_one(db, settings: Settings) -> dict[str, str]:
    """Five answers today (four main answers on three questions, one follow-up); their ids by name."""
    sid = session(db, "leadership-follow-ups", "Leadership stories, follow-ups first", 0)
    lead0 = step(LEAD, 0, LEAD_TEXT, LEAD_TEXT)
    lead1 = step(LEAD, 1, LEAD_PROBE, LEAD_TEXT)
    fail0 = step(FAIL, 0, "Tell me about a launch you missed.", "Tell me about a launch you missed.")
    hard0 = step(HARD, 0, "Tell me about hard feedback you gave.", "Tell me about hard feedback you gave.")
    ids = {}
    ids["we"] = add_take(db, settings, sid, lead0, WE_HEAVY, days_ago=0, minute=1, stars=2, speaking=24).id
    ids["better"] = add_take(db, settings, sid, lead0, BETTER, days_ago=0, minute=3, stars=4, speaking=32).id
    ids["probe"] = add_take(
        db, settings, sid, lead1, "I met each director one to one first.", days_ago=0, minute=4, stars=3, speaking=4
    ).id
    ids["failure"] = add_take(db, settings, sid, fail0, FAILURE, days_ago=0, minute=6, stars=2, speaking=16).id
    ids["short"] = add_take(db, settings, sid, hard0, FEEDBACK, days_ago=0, minute=8, speaking=3).id
    return ids
