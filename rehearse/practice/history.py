"""History: every stored answer across sessions, filtered and searched, newest first.

The queries (filters, full-text search, snippets) are in store/history.py; this module turns
their rows into hits with highlighted pieces, and the choices the filters offer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from rehearse import clock
from rehearse.library.bank import Question
from rehearse.store import Database, database
from rehearse.store import history as stored

# The page and tests use these through this module; they are defined beside the queries.
from rehearse.store.history import KINDS, MARK_END, MARK_START, Filters, fts_query  # noqa: F401

_MARKED = re.compile(f"{MARK_START}(.*?){MARK_END}", re.S)

PAGE_SIZE = 25
PREVIEW_WORDS = 40

Segments = tuple[tuple[str, bool], ...]


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


def search(
    db: Database,
    filters: Filters,
    questions: Mapping[str, Question] | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> Results:
    """One page of answers matching every filter, newest first; `questions` resolves tags to question ids."""
    tagged = [q.id for q in (questions or {}).values() if set(q.tags) & set(filters.tags)]
    found = stored.search(db, filters, tagged, page, page_size)
    hits = []
    for row in found.rows:
        marked = found.snippets.get(row["answer_rowid"])
        note = found.notes.get(row["rating_rowid"])
        hits.append(
            Hit(
                answer=database.answer_from_row(row),
                drill_id=row["drill_id"],
                drill_title=row["drill_title"] or row["drill_id"],
                transcript=segments(marked) if marked is not None else ((preview(row["transcript"]), False),),
                note=segments(note) if note is not None else ((row["note"] or "", False),),
            )
        )
    return Results(tuple(hits), found.total, found.page, page_size, bool(filters.text.strip()))


def drill_choices(db: Database) -> list[Choice]:
    return [Choice(d, t or d, n) for d, t, n in stored.drills(db)]


def question_choices(db: Database) -> list[Choice]:
    """Every question with stored answers, even one since removed from the banks (its text is stored)."""
    return [Choice(q, t or q, n) for q, t, n in stored.questions(db)]


def tag_choices(questions: Mapping[str, Question]) -> list[str]:
    return sorted({t for q in questions.values() for t in q.tags})


def date_bounds(db: Database) -> tuple[date, date] | None:
    found = stored.date_range(db)
    return (clock.local_day(found[0]), clock.local_day(found[1])) if found else None
