"""Debriefs in the database and in the user's own question bank.

A debrief is saved whole on every change, so a half-filled one is a draft that survives a reload.
Spoken checklist answers are saved, checked and transcribed by practice.pipeline like any
recording; this module holds their rows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import Any, get_type_hints

from sqlite_utils import Database

from rehearse.debrief import checklist
from rehearse.debrief.checklist import Debrief, Person
from rehearse.errors import DebriefError, NotFoundError
from rehearse.library import bank, own_questions
from rehearse.settings import Settings
from rehearse.store import database

log = logging.getLogger(__name__)

# The row <-> Debrief mapping comes from the dataclass: every field is a column of `debriefs`
# except the people (their own table); tuples of strings are stored as JSON arrays. A field added
# to Debrief needs only a migration adding its column (tests/store/test_debrief_columns.py).
_HINTS = get_type_hints(Debrief)
COLUMNS = tuple(f.name for f in fields(Debrief) if f.name != "people")
LIST_FIELDS = tuple(name for name in COLUMNS if _HINTS[name] == tuple[str, ...])


@dataclass(frozen=True)
class Recording:
    id: str
    debrief_id: str
    item: str
    audio_path: str | None
    duration: float | None
    transcript: str | None
    status: str
    error: str | None
    created_at: str


@dataclass(frozen=True)
class Rehearsal:
    """One question they asked, next to what the user has since rehearsed on it."""

    question_id: str
    recalled: str
    person: str
    # Every recorded take on the question and its probes, oldest first.
    answers: tuple[database.Answer, ...]

    @property
    def latest_takes(self) -> tuple[database.Answer, ...]:
        """The newest take at the question and at each probe, in prompt order."""
        latest = {a.probe_index: a for a in self.answers}
        return tuple(latest[i] for i in sorted(latest))


@dataclass(frozen=True)
class LinkedSession:
    session: database.Session
    focus: str


@dataclass(frozen=True)
class SyncResult:
    path: str
    added: tuple[str, ...]
    updated: tuple[str, ...]
    question_ids: tuple[str, ...]


def _row(d: Debrief, today: date | None = None) -> dict[str, Any]:
    row = {name: getattr(d, name) for name in COLUMNS}
    for name in LIST_FIELDS:
        row[name] = json.dumps(list(row[name]))
    row["status"] = checklist.status(d, today)
    return row


def _debrief(row: dict[str, Any], people: tuple[Person, ...]) -> Debrief:
    values = {name: row.get(name) or "" for name in COLUMNS}
    for name in LIST_FIELDS:
        values[name] = tuple(json.loads(row[name])) if row.get(name) else ()
    return Debrief(people=people, **values)


def create_debrief(db: Database) -> Debrief:
    stamp = database.now()
    d = Debrief(id=database.new_id(), created_at=stamp, updated_at=stamp)
    with database.transaction(db):
        db["debriefs"].insert(_row(d))
    return d


def get_debrief(db: Database, debrief_id: str) -> Debrief:
    rows = list(db["debriefs"].rows_where("id = ?", [debrief_id]))
    if not rows:
        raise NotFoundError(f"No debrief with id {debrief_id!r}; it may have been deleted.")
    people = tuple(
        Person(r["name"] or "", r["role"] or "", tuple(json.loads(r["concerns"] or "[]")))
        for r in db["debrief_people"].rows_where("debrief_id = ?", [debrief_id], order_by="position")
    )
    return _debrief(rows[0], people)


def list_debriefs(db: Database) -> list[Debrief]:
    """Newest interview first; drafts without a date by when they were started."""
    ids = [
        r["id"]
        for r in db.query(
            "select id from debriefs order by coalesce(nullif(interview_date, ''), substr(created_at, 1, 10)) desc, "
            "created_at desc, rowid desc"
        )
    ]
    return [get_debrief(db, i) for i in ids]


def save_debrief(db: Database, d: Debrief) -> Debrief:
    get_debrief(db, d.id)
    d = replace(d, updated_at=database.now())
    with database.transaction(db):
        db["debriefs"].update(d.id, _row(d))
        db["debrief_people"].delete_where("debrief_id = ?", [d.id])
        db["debrief_people"].insert_all(
            [
                {
                    "debrief_id": d.id,
                    "position": n,
                    "name": p.name,
                    "role": p.role,
                    "concerns": json.dumps(list(p.concerns)),
                }
                for n, p in enumerate(d.people)
            ]
        )
    return d


def set_item(db: Database, debrief_id: str, name: str, text: str) -> Debrief:
    return save_debrief(db, checklist.with_text(get_debrief(db, debrief_id), name, text))


def set_letter(db: Database, debrief_id: str, text: str) -> Debrief:
    return save_debrief(db, replace(get_debrief(db, debrief_id), letter=text))


def delete_debrief(db: Database, debrief_id: str) -> None:
    """The debrief, its people, links and recordings rows; audio files and practised answers stay."""
    get_debrief(db, debrief_id)
    with database.transaction(db):
        for table in ("debrief_people", "debrief_questions", "debrief_sessions", "debrief_recordings"):
            db[table].delete_where("debrief_id = ?", [debrief_id])
        db["debriefs"].delete(debrief_id)


# ---------------------------------------------------------------- the spoken debrief


def _recording(row: dict[str, Any]) -> Recording:
    return Recording(
        row["id"],
        row["debrief_id"],
        row["item"],
        row["audio_path"],
        row["duration"],
        row["transcript"],
        row["status"],
        row["error"],
        row["created_at"],
    )


def recordings(db: Database, debrief_id: str, item: str | None = None) -> list[Recording]:
    where, params = "debrief_id = ?", [debrief_id]
    if item:
        where, params = where + " and item = ?", params + [item]
    return [_recording(r) for r in db["debrief_recordings"].rows_where(where, params, order_by="created_at, rowid")]


def add_recording(
    db: Database,
    *,
    rec_id: str,
    debrief_id: str,
    item: str,
    audio_path: str,
    duration: float | None,
    status: str,
    error: str | None = None,
) -> Recording:
    """The row naming a spoken checklist answer whose audio is already on disk (practice.pipeline)."""
    checklist.item(item)
    get_debrief(db, debrief_id)
    row = {
        "id": rec_id,
        "debrief_id": debrief_id,
        "item": item,
        "audio_path": audio_path,
        "duration": duration,
        "transcript": None,
        "status": status,
        "error": error,
        "created_at": database.now(),
    }
    with database.transaction(db):
        db["debrief_recordings"].insert(row)
    return _recording(row)


def get_recording(db: Database, rec_id: str) -> Recording:
    rows = list(db["debrief_recordings"].rows_where("id = ?", [rec_id]))
    if not rows:
        raise NotFoundError(f"No debrief recording with id {rec_id!r}; it may have been deleted.")
    return _recording(rows[0])


def set_recording_transcript(db: Database, rec_id: str, text: str) -> Recording:
    with database.transaction(db):
        db["debrief_recordings"].update(rec_id, {"transcript": text, "status": "transcribed", "error": None})
    return get_recording(db, rec_id)


def mark_recording_failed(db: Database, rec_id: str, error: str) -> Recording:
    with database.transaction(db):
        db["debrief_recordings"].update(rec_id, {"status": "failed", "error": error})
    return get_recording(db, rec_id)


# ---------------------------------------------------------------- back to practice


def question_file(settings: Settings, d: Debrief) -> Path:
    return settings.user_questions_dir / f"debrief-{d.id[:8]}.toml"


def sync_questions(db: Database, settings: Settings, d: Debrief) -> SyncResult:
    """Put every recalled question into the user's own bank, with the interviewers' concerns as probes.

    A question made earlier keeps the user's edits and gains any new concern probes; its id is kept
    by matching the recalled text, so practised answers stay linked.
    """
    path = question_file(settings, d)
    library = bank.load_library(settings)
    current = {q.id: q for q in bank.load_question_file(path)} if path.exists() else {}
    mapped = {r["recalled"]: r["question_id"] for r in db["debrief_questions"].rows_where("debrief_id = ?", [d.id])}
    taken = set(library.questions)
    added, updated, ids, rows = [], [], [], []
    for n, recalled in enumerate(checklist.recalled_questions(d)):
        qid = mapped.get(recalled.text)
        if qid is None:
            qid = own_questions.new_question_id(recalled.text, taken, prefix=own_questions.slug(d.company, 2))
        taken.add(qid)
        generated = checklist.question_from_recalled(recalled, d, qid)
        if qid in current:
            merged = checklist.merge_question(current[qid], generated)
            if merged != current[qid]:
                updated.append(qid)
            current[qid] = merged
        else:
            current[qid] = generated
            added.append(qid)
        ids.append(qid)
        rows.append(
            {
                "debrief_id": d.id,
                "question_id": qid,
                "recalled": recalled.text,
                "person": recalled.person.name if recalled.person else "",
                "position": n,
            }
        )
    if not ids:
        raise DebriefError("This debrief has no recalled questions yet: fill in 'Questions they asked', one per line.")
    own_questions.write_bank(path, f"From the debrief: {d.title}", current.values())
    with database.transaction(db):
        db["debrief_questions"].upsert_all(rows, pk=("debrief_id", "question_id"))
    return SyncResult(str(path), tuple(added), tuple(updated), tuple(ids))


def question_ids(db: Database, debrief_id: str) -> list[str]:
    return [
        r["question_id"]
        for r in db["debrief_questions"].rows_where("debrief_id = ?", [debrief_id], order_by="position")
    ]


def link_session(db: Database, debrief_id: str, session_id: str, focus: str = "") -> None:
    get_debrief(db, debrief_id)
    with database.transaction(db):
        db["debrief_sessions"].upsert(
            {"session_id": session_id, "debrief_id": debrief_id, "focus": focus}, pk="session_id"
        )


def linked_sessions(db: Database, debrief_id: str) -> list[LinkedSession]:
    links = list(db["debrief_sessions"].rows_where("debrief_id = ?", [debrief_id]))
    found = [LinkedSession(database.get_session(db, r["session_id"]), r["focus"] or "") for r in links]
    return sorted(found, key=lambda s: s.session.started_at, reverse=True)


def rehearsals(db: Database, debrief_id: str) -> list[Rehearsal]:
    """For each question they asked: every take the user has recorded on it since, in any drill."""
    out = []
    for r in db["debrief_questions"].rows_where("debrief_id = ?", [debrief_id], order_by="position"):
        ids = [
            row["id"]
            for row in db.query(
                "select id from answers where question_id = ? and status != 'skipped' order by created_at, rowid",
                [r["question_id"]],
            )
        ]
        out.append(
            Rehearsal(
                r["question_id"], r["recalled"], r["person"] or "", tuple(database.get_answer(db, i) for i in ids)
            )
        )
    return out
