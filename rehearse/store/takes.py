"""Queries about takes for the practice pages, kept in store/ with the rest of the SQL: today's
answers (for "Practise the weakest answers from today"; choosing the weakest is
practice/schedule.py's weakest_drill) and how many takes each question's steps have."""

from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from rehearse import clock
from rehearse.store import database


def main_answers_on(db: Database, day: date) -> list[database.Answer]:
    """The transcribed main answers (not follow-ups) recorded on one local day, oldest first."""
    return [
        database.answer_from_row(r)
        for r in database.query(
            db,
            database.ANSWER_SELECT + " where answers.probe_index = 0 and answers.status = 'transcribed' "
            "and answers.created_at >= ? and answers.created_at < ? order by answers.created_at, answers.rowid",
            [clock.day_start(day), clock.day_end(day)],
        )
    ]


def take_counts(db: Database) -> dict[str, int]:
    """Per question: the most takes any one of its steps has (the main answer or one follow-up).
    Follow-ups are other steps, not more takes: a question answered once with two follow-ups has 1."""
    return dict(
        db.execute(
            "select question_id, max(n) from (select question_id, probe_index, count(*) as n from answers "
            "where status != 'skipped' group by question_id, probe_index) group by question_id"
        ).fetchall()
    )
