"""Reads across sessions: the History search, every take at one question, the metrics over time
and the ratings the practice queue is computed from. The SQL lives here; practice/ shapes the rows.

Search runs on the FTS5 tables of migration m_issue4_fts (transcripts in answers_fts, notes in
ratings_fts). The filter query only ever asks FTS for row ids; snippets with highlighted words
are made for the one page of results shown, so a search stays fast with thousands of answers.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlite_utils import Database

from rehearse import clock
from rehearse.errors import SearchError
from rehearse.store import database

# Marks around matched words in FTS output; control characters never typed into a transcript.
MARK_START, MARK_END = "\x02", "\x03"
_TERM = re.compile(r'"([^"]*)"?|([^\s"]+)')
_TOKEN = re.compile(r"\w+")

KINDS = {"all": "Answers and follow-ups", "main": "Main answers only", "probes": "Follow-ups only"}
SNIPPET_TOKENS = 40
# A pasted page of text made FTS5 AND together thousands of phrases: 22 s with the page blocked.
# Nobody needs more than a few dozen words to find an answer.
MAX_QUERY_WORDS = 30
MAX_QUERY_CHARS = 500


@dataclass(frozen=True)
class Filters:
    drill_ids: tuple[str, ...] = ()
    question_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # any of them
    date_from: date | None = None  # local days, both ends included
    date_to: date | None = None
    stars: tuple[int, ...] = ()  # 1..5; 0 means "not rated"; empty means any
    kind: str = "all"
    text: str = ""  # full-text search over transcripts and notes


@dataclass(frozen=True)
class Page:
    """One page of matching rows, with the FTS snippet (transcript) and highlight (note) of each
    row that matched, keyed by answer and rating rowid."""

    rows: tuple[dict[str, Any], ...]
    total: int
    page: int
    snippets: dict[int, str]
    notes: dict[int, str]


def fts_query(text: str) -> str:
    """User words as an FTS5 query: every word (or "quoted phrase") must appear; no FTS syntax leaks through."""
    if len(text) > MAX_QUERY_CHARS or len(_TOKEN.findall(text)) > MAX_QUERY_WORDS:
        raise SearchError(
            f"That search is too long ({len(_TOKEN.findall(text))} words, {len(text)} characters): search for "
            f"at most {MAX_QUERY_WORDS} words ({MAX_QUERY_CHARS} characters), the few that the answer must contain."
        )
    terms = []
    for phrase, word in _TERM.findall(text):
        tokens = _TOKEN.findall(phrase or word)
        if tokens:
            terms.append('"' + " ".join(tokens) + '"')
    if not terms:
        raise SearchError(f'Nothing to search for in {text!r}: type one or more words, or a "quoted phrase".')
    return " ".join(terms)


def _placeholders(values: Sequence) -> str:
    return ", ".join("?" for _ in values)


def _where(filters: Filters, tagged: Sequence[str]) -> tuple[str, list[Any]]:
    clauses, params = ["answers.status != 'skipped'"], []
    if filters.kind not in KINDS:
        raise SearchError(f"Unknown answer kind {filters.kind!r}; choose one of {', '.join(KINDS)}.")
    if filters.kind == "main":
        clauses.append("answers.probe_index = 0")
    elif filters.kind == "probes":
        clauses.append("answers.probe_index > 0")
    if filters.drill_ids:
        clauses.append(f"sessions.drill_id in ({_placeholders(filters.drill_ids)})")
        params += filters.drill_ids
    if filters.question_ids:
        clauses.append(f"answers.question_id in ({_placeholders(filters.question_ids)})")
        params += filters.question_ids
    if filters.tags:
        clauses.append(f"answers.question_id in ({_placeholders(tagged)})" if tagged else "0")
        params += tagged
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise SearchError(
            f"The date range starts on {filters.date_from} after it ends on {filters.date_to}; "
            "pick a start date on or before the end date."
        )
    if filters.date_from:
        clauses.append("answers.created_at >= ?")
        params.append(clock.day_start(filters.date_from))
    if filters.date_to:
        clauses.append("answers.created_at < ?")
        params.append(clock.day_end(filters.date_to))
    if filters.stars:
        bad = [s for s in filters.stars if s not in range(6)]
        if bad:
            raise SearchError(f"Rating filter {bad} is not valid; use 1 to 5 stars, or 0 for 'not rated'.")
        rated = [s for s in filters.stars if s]
        either = []
        if rated:
            either.append(f"ratings.stars in ({_placeholders(rated)})")
            params += rated
        if 0 in filters.stars:
            either.append("ratings.stars is null")
        clauses.append("(" + " or ".join(either) + ")")
    if filters.text.strip():
        query = fts_query(filters.text)
        clauses.append(
            "(answers.rowid in (select rowid from answers_fts where answers_fts match ?)"
            " or ratings.rowid in (select rowid from ratings_fts where ratings_fts match ?))"
        )
        params += [query, query]
    return " and ".join(clauses), params


_FROM = """
from answers
join sessions on sessions.id = answers.session_id
left join ratings on ratings.answer_id = answers.id
"""


def search(db: Database, filters: Filters, tagged: Sequence[str], page: int, page_size: int) -> Page:
    """One page of answers matching every filter, newest first; `tagged` are the question ids the
    filter's tags stand for. A page past the end is the last page."""
    where, params = _where(filters, tagged)
    try:
        total = db.execute(f"select count(*) {_FROM} where {where}", params).fetchone()[0]
        page = max(0, min(page, max(0, math.ceil(total / page_size) - 1)))
        rows = database.query(
            db,
            f"""
            select answers.*, ratings.stars as stars, ratings.note as note, answers.rowid as answer_rowid,
                   ratings.rowid as rating_rowid, sessions.drill_id as drill_id, sessions.drill_title as drill_title
            {_FROM} where {where}
            order by answers.created_at desc, answers.rowid desc limit ? offset ?""",
            [*params, page_size, page * page_size],
        )
    except sqlite3.OperationalError as exc:
        raise SearchError(f"Search for {filters.text!r} failed ({exc}); try plain words without punctuation.") from None
    snippets: dict[int, str] = {}
    notes: dict[int, str] = {}
    if filters.text.strip() and rows:
        query = fts_query(filters.text)
        ids = [r["answer_rowid"] for r in rows]
        snippets = dict(
            db.execute(
                f"select rowid, snippet(answers_fts, 0, ?, ?, '…', {SNIPPET_TOKENS}) from answers_fts "
                f"where answers_fts match ? and rowid in ({_placeholders(ids)})",
                [MARK_START, MARK_END, query, *ids],
            ).fetchall()
        )
        rating_ids = [r["rating_rowid"] for r in rows if r["rating_rowid"] is not None]
        if rating_ids:
            notes = dict(
                db.execute(
                    f"select rowid, highlight(ratings_fts, 0, ?, ?) from ratings_fts "
                    f"where ratings_fts match ? and rowid in ({_placeholders(rating_ids)})",
                    [MARK_START, MARK_END, query, *rating_ids],
                ).fetchall()
            )
    return Page(tuple(rows), total, page, snippets, notes)


def drills(db: Database) -> list[tuple[str, str, int]]:
    """(drill id, title, sessions) for every drill with a session, by title."""
    return db.execute(
        "select drill_id, max(drill_title), count(*) from sessions group by drill_id order by 2"
    ).fetchall()


def questions(db: Database) -> list[tuple[str, str, int]]:
    """(question id, stored text, answers) for every question with stored answers, by text."""
    return db.execute(
        "select question_id, max(question_text), count(*) from answers where status != 'skipped' "
        "group by question_id order by 2"
    ).fetchall()


def question_texts(db: Database) -> dict[str, str]:
    """The stored text of every question answered, even one since removed from the banks."""
    return dict(db.execute("select question_id, max(question_text) from answers group by question_id").fetchall())


def date_range(db: Database) -> tuple[str, str] | None:
    """The first and last stored time of an answer (UTC ISO), or None without answers."""
    first, last = db.execute(
        "select min(created_at), max(created_at) from answers where status != 'skipped'"
    ).fetchone()
    return (first, last) if first else None


def parts(db: Database, question_id: str) -> list[tuple[int, str, int]]:
    """(probe index, prompt, takes) for the question and each of its probes with an answer."""
    return db.execute(
        "select probe_index, max(prompt), count(*) from answers where question_id = ? and status != 'skipped' "
        "group by probe_index order by probe_index",
        [question_id],
    ).fetchall()


def takes(db: Database, question_id: str, probe_index: int) -> list[database.Answer]:
    """Every take at one question or probe, over all sessions, newest first."""
    return [
        database.answer_from_row(r)
        for r in database.query(
            db,
            database.ANSWER_SELECT + " where question_id = ? and probe_index = ? and status != 'skipped' "
            "order by answers.created_at desc, answers.rowid desc",
            [question_id, probe_index],
        )
    ]


def measured(db: Database, question_id: str | None = None, kind: str = "main") -> list[database.Answer]:
    """Every transcribed answer with metrics, oldest first; kind is "main" answers, "probes", or "all"."""
    where, params = ["answers.status = 'transcribed'", "answers.metrics is not null"], []
    if question_id:
        where.append("answers.question_id = ?")
        params.append(question_id)
    if kind == "main":
        where.append("answers.probe_index = 0")
    elif kind == "probes":
        where.append("answers.probe_index > 0")
    rows = database.query(
        db, database.ANSWER_SELECT + f" where {' and '.join(where)} order by answers.created_at, answers.rowid", params
    )
    return [database.answer_from_row(r) for r in rows]


def rated_steps(db: Database) -> list[tuple[str, str, int, int, str]]:
    """(question id, session id, probe index, stars, time) of every rated take, oldest first."""
    return db.execute("""
        select answers.question_id, answers.session_id, answers.probe_index, ratings.stars, answers.created_at
        from answers join ratings on ratings.answer_id = answers.id
        where ratings.stars is not null and answers.status != 'skipped'
        order by answers.created_at, answers.take""").fetchall()


def unrated(db: Database) -> list[tuple[str, str]]:
    """Questions answered but never rated: (question id, stored text), by text."""
    return db.execute("""
        select question_id, max(question_text) from answers
        where status = 'transcribed' and question_id not in (
            select answers.question_id from answers join ratings on ratings.answer_id = answers.id
            where ratings.stars is not null)
        group by question_id order by 2""").fetchall()
