"""Queries about takes for the practice pages, kept in store/ with the rest of the SQL: today's
answers (for "Practise the weakest answers from today"; choosing the weakest is
practice/schedule.py's weakest_drill), how many takes each question's steps have, and the
earlier takes the end-of-drill summary and story memory compare with."""

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


def last_before_session(db: Database, question_id: str, session_id: str) -> database.Answer | None:
    """The newest transcribed main answer to `question_id` from an earlier session: recorded before
    the first answer of `session_id`, in another session. The end-of-drill summary compares with it."""
    rows = database.query(
        db,
        database.ANSWER_SELECT + " where answers.question_id = ? and answers.probe_index = 0 "
        "and answers.status = 'transcribed' and answers.session_id != ? "
        "and answers.created_at < (select min(created_at) from answers where session_id = ?) "
        "order by answers.created_at desc, answers.rowid desc limit 1",
        [question_id, session_id, session_id],
    )
    return database.answer_from_row(rows[0]) if rows else None


def earlier_answers(db: Database, question_id: str, before: str | None = None, limit: int = 5) -> list[database.Answer]:
    """Transcribed main answers to one question over all sessions, newest first; with `before` (an
    answer id) only those recorded before it. Story memory compares a new take with these."""
    sql = (
        database.ANSWER_SELECT
        + " where answers.question_id = ? and answers.probe_index = 0 and answers.status = 'transcribed'"
    )
    params: list = [question_id]
    if before:
        # Ties in created_at (the same second) fall back on insertion order.
        sql += " and (answers.created_at, answers.rowid) < (select created_at, rowid from answers where id = ?)"
        params.append(before)
    sql += " order by answers.created_at desc, answers.rowid desc limit ?"
    params.append(limit)
    return [database.answer_from_row(r) for r in database.query(db, sql, params)]
