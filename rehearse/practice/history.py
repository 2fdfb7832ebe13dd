"""History: every stored answer across sessions, filtered and searched, newest first.

Search runs on the FTS5 tables of migration m_issue4_fts (transcripts in answers_fts, notes in
ratings_fts). The filter query only ever asks FTS for row ids; snippets with highlighted words
are made for the one page of results shown, so a search stays fast with thousands of answers.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlite_utils import Database

from rehearse import clock
from rehearse.errors import SearchError
from rehearse.library.bank import Question
from rehearse.store import database

# Marks around matched words in FTS output; control characters never typed into a transcript.
MARK_START, MARK_END = "\x02", "\x03"
_MARKED = re.compile(f"{MARK_START}(.*?){MARK_END}", re.S)
_TERM = re.compile(r'"([^"]*)"?|([^\s"]+)')
_TOKEN = re.compile(r"\w+")

KINDS = {"all": "Answers and follow-ups", "main": "Main answers only", "probes": "Follow-ups only"}
PAGE_SIZE = 25
PREVIEW_WORDS = 40
SNIPPET_TOKENS = 40
# A pasted page of text made FTS5 AND together thousands of phrases: 22 s with the page blocked.
# Nobody needs more than a few dozen words to find an answer.
MAX_QUERY_WORDS = 30
MAX_QUERY_CHARS = 500

Segments = tuple[tuple[str, bool], ...]


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
class Hit:
    answer: database.Answer
    drill_id: str
    drill_title: str
    # Text with the matched words flagged True: a snippet of the transcript, the whole note.
    transcript: Segments
    note: Segments


@dataclass(frozen=True)
class Results:
    hits: tuple[Hit, ...]
    total: int
    page: int
    page_size: int
    searched: bool = False

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    count: int = 0


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


def segments(marked: str) -> Segments:
    """Split FTS highlight output into (text, matched) pieces."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in _MARKED.finditer(marked):
        if m.start() > pos:
            out.append((marked[pos : m.start()], False))
        out.append((m.group(1), True))
        pos = m.end()
    if pos < len(marked):
        out.append((marked[pos:], False))
    return tuple(out)


def preview(text: str | None, words: int = PREVIEW_WORDS) -> str:
    parts = (text or "").split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def _placeholders(values: tuple | list) -> str:
    return ", ".join("?" for _ in values)


def _where(filters: Filters, questions: Mapping[str, Question]) -> tuple[str, list[Any]]:
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
        tagged = [q.id for q in questions.values() if set(q.tags) & set(filters.tags)]
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


def search(
    db: Database,
    filters: Filters,
    questions: Mapping[str, Question] | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> Results:
    """One page of answers matching every filter, newest first; `questions` resolves tags to question ids."""
    where, params = _where(filters, questions or {})
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
    searched = bool(filters.text.strip())
    snippets: dict[int, str] = {}
    notes: dict[int, str] = {}
    if searched and rows:
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
    hits = []
    for row in rows:
        marked = snippets.get(row["answer_rowid"])
        note = notes.get(row["rating_rowid"])
        hits.append(
            Hit(
                answer=database.answer_from_row(row),
                drill_id=row["drill_id"],
                drill_title=row["drill_title"] or row["drill_id"],
                transcript=segments(marked) if marked is not None else ((preview(row["transcript"]), False),),
                note=segments(note) if note is not None else ((row["note"] or "", False),),
            )
        )
    return Results(tuple(hits), total, page, page_size, searched)


def drill_choices(db: Database) -> list[Choice]:
    rows = db.execute(
        "select drill_id, max(drill_title), count(*) from sessions group by drill_id order by 2"
    ).fetchall()
    return [Choice(d, t or d, n) for d, t, n in rows]


def question_choices(db: Database) -> list[Choice]:
    """Every question with stored answers, even one since removed from the banks (its text is stored)."""
    rows = db.execute(
        "select question_id, max(question_text), count(*) from answers where status != 'skipped' "
        "group by question_id order by 2"
    ).fetchall()
    return [Choice(q, t or q, n) for q, t, n in rows]


def tag_choices(questions: Mapping[str, Question]) -> list[str]:
    return sorted({t for q in questions.values() for t in q.tags})


def date_bounds(db: Database) -> tuple[date, date] | None:
    first, last = db.execute(
        "select min(created_at), max(created_at) from answers where status != 'skipped'"
    ).fetchone()
    return (clock.local_day(first), clock.local_day(last)) if first else None
