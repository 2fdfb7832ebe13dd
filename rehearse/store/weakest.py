"""Today's answers for "Practise the weakest answers from today": the query, kept in store/ with
the rest of the SQL; choosing the weakest is practice/schedule.py's weakest_drill."""

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
