"""SQLite storage through sqlite-utils: a plain schema Datasette can open.

Rows point at audio by a path relative to the data folder, so the folder can be moved or
restored elsewhere. Audio is always written before the row that names it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from rehearse import files
from rehearse.errors import NotFoundError
from rehearse.settings import Settings
from rehearse.store.migrations import migrations

log = logging.getLogger(__name__)

ANSWER_STATUSES = ("recorded", "transcribed", "failed", "skipped")
SESSION_STATUSES = ("active", "completed", "ended")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """Like db.atomic(), but the outermost transaction takes the write lock up front.

    A deferred transaction can fail at once with "database is locked" when another connection
    (a second browser tab, the terminal drill) writes at the same moment; BEGIN IMMEDIATE waits
    for the lock within the connection's timeout instead.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.conn.execute("COMMIT")


class GuardedConnection(sqlite3.Connection):
    """A connection whose disk faults (full, read-only, I/O) raise StorageError.

    Every storage function, and every page calling one, then gets the same clear message
    without wrapping each call; constraint errors (bugs) still raise sqlite3 errors.
    """

    home: Path = Path(".")

    def _guard(self, action: str):
        return files.guard(self.home, action)

    def execute(self, *args, **kwargs):
        with self._guard("read or write the database"):
            return super().execute(*args, **kwargs)

    def executemany(self, *args, **kwargs):
        with self._guard("write the database"):
            return super().executemany(*args, **kwargs)

    def executescript(self, *args, **kwargs):
        with self._guard("write the database"):
            return super().executescript(*args, **kwargs)

    def commit(self):
        with self._guard("save to the database"):
            return super().commit()

    def __exit__(self, *exc_info):
        with self._guard("save to the database"):
            return super().__exit__(*exc_info)


def migrate(db: Database) -> Database:
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db)
    return db


def open_database(settings: Settings) -> Database:
    """The user's database, created on first use with WAL and foreign keys; owner-only folder and file.

    Disk faults on this connection (full, read-only) raise StorageError, see GuardedConnection."""
    with files.guard(settings.home, f"open the Rehearse database {settings.db_path}"):
        files.private_dir(settings.home)
        conn = sqlite3.connect(settings.db_path, timeout=30, check_same_thread=False, factory=GuardedConnection)
        conn.home = settings.home
        db = Database(conn)
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.enable_wal()
        files.owner_only(settings.db_path)  # SQLite gives its -wal and -shm files the same mode
        return migrate(db)


SET_ASIDE_PREFIXES = ("rehearse.db.damaged-", "set-aside-")
# What a restore writes; set_aside(everything=True) moves these out of its way.
RESTORED_ENTRIES = ("audio", "questions", "settings.toml")


def set_aside(settings: Settings, everything: bool = False) -> Path:
    """Rename a damaged rehearse.db (and its -wal and -shm) with a timestamp, so a new one can start;
    nothing is deleted. With `everything`, the recordings, own questions and settings move into a
    set-aside-<time> folder too, leaving the folder empty for a restore. Returns the database's new path."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = settings.db_path.with_name(f"rehearse.db.damaged-{stamp}")
    with files.guard(settings.home, f"set aside {settings.db_path}"):
        for suffix in ("", "-wal", "-shm"):
            path = settings.db_path.with_name(settings.db_path.name + suffix)
            if path.exists():
                os.replace(path, aside.with_name(aside.name + suffix))
        if everything:
            folder = settings.home / f"set-aside-{stamp}"
            for name in RESTORED_ENTRIES:
                if (settings.home / name).exists():
                    folder.mkdir(mode=0o700, exist_ok=True)
                    os.replace(settings.home / name, folder / name)
    log.warning("set the damaged database aside as %s%s", aside, " with its files" if everything else "")
    return aside


@dataclass(frozen=True)
class Session:
    id: str
    drill_id: str
    drill_title: str
    source: str
    status: str
    started_at: str
    ended_at: str | None
    answer_count: int = 0
    plan: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Answer:
    id: str
    session_id: str
    question_id: str
    question_text: str
    probe_index: int
    prompt: str
    take: int
    audio_path: str | None
    duration: float | None
    transcript: str | None
    words: tuple[dict, ...]
    model: str | None
    transcribe_seconds: float | None
    status: str
    error: str | None
    metrics: dict | None
    created_at: str
    stars: int | None = None
    note: str | None = None
    # For an answer to a generated follow-up (practice/probes.py): what the probe picked up.
    probe_kind: str = ""
    probe_evidence: str = ""
    probe_start: float | None = None
    probe_why: str = ""
    # The transcript is the live transcriber's, and the final pass that replaces it has not stored
    # its text yet (practice/final_worker.py).
    final_pending: bool = False

    @property
    def is_generated_probe(self) -> bool:
        return bool(self.probe_kind)

    def audio_file(self, settings: Settings) -> Path | None:
        return settings.home / self.audio_path if self.audio_path else None


def answer_from_row(row: dict[str, Any]) -> Answer:
    return Answer(
        id=row["id"],
        session_id=row["session_id"],
        question_id=row["question_id"],
        question_text=row["question_text"] or "",
        probe_index=row["probe_index"],
        prompt=row["prompt"] or "",
        take=row["take"],
        audio_path=row["audio_path"],
        duration=row["duration"],
        transcript=row["transcript"],
        words=tuple(json.loads(row["words"])) if row["words"] else (),
        model=row["model"],
        transcribe_seconds=row["transcribe_seconds"],
        status=row["status"],
        error=row["error"],
        metrics=json.loads(row["metrics"]) if row["metrics"] else None,
        created_at=row["created_at"],
        stars=row.get("stars"),
        note=row.get("note"),
        probe_kind=row.get("probe_kind") or "",
        probe_evidence=row.get("probe_evidence") or "",
        probe_start=row.get("probe_start"),
        probe_why=row.get("probe_why") or "",
        final_pending=bool(row.get("final_pending")),
    )


ANSWER_SELECT = """
select answers.*, ratings.stars as stars, ratings.note as note
from answers left join ratings on ratings.answer_id = answers.id
"""


def query(db: Database, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, list(params))
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, r)) for r in cursor.fetchall()]


def create_session(db: Database, drill_id: str, drill_title: str, plan: Iterable[dict], source: str = "app") -> str:
    sid = new_id()
    with transaction(db):
        db["sessions"].insert(
            {
                "id": sid,
                "drill_id": drill_id,
                "drill_title": drill_title,
                "source": source,
                "status": "active",
                "plan": json.dumps(list(plan)),
                "started_at": now(),
                "ended_at": None,
            }
        )
    return sid


def end_session(db: Database, session_id: str, status: str = "completed") -> None:
    if status not in SESSION_STATUSES:
        raise ValueError(f"session status {status!r} not in {SESSION_STATUSES}")
    get_session(db, session_id)
    with transaction(db):
        db["sessions"].update(session_id, {"status": status, "ended_at": now()})


def _session(row: dict[str, Any]) -> Session:
    return Session(
        row["id"],
        row["drill_id"],
        row["drill_title"] or row["drill_id"],
        row["source"] or "app",
        row["status"],
        row["started_at"],
        row["ended_at"],
        row.get("answer_count") or 0,
        tuple(json.loads(row["plan"])) if row.get("plan") else (),
    )


def get_session(db: Database, session_id: str) -> Session:
    rows = query(
        db,
        "select sessions.*, (select count(*) from answers where session_id = sessions.id and status != 'skipped') as answer_count from sessions where id = ?",
        [session_id],
    )
    if not rows:
        raise NotFoundError(f"No session with id {session_id!r}; it may have been deleted.")
    return _session(rows[0])


def list_sessions(db: Database, limit: int | None = None) -> list[Session]:
    sql = (
        "select sessions.*, (select count(*) from answers where session_id = sessions.id and status != 'skipped') "
        "as answer_count from sessions order by started_at desc, rowid desc"
    )
    if limit:
        sql += f" limit {int(limit)}"
    return [_session(r) for r in query(db, sql)]


def add_answer(
    db: Database,
    *,
    answer_id: str,
    session_id: str,
    question_id: str,
    question_text: str,
    probe_index: int,
    prompt: str,
    audio_path: str | None,
    duration: float | None,
    status: str,
    error: str | None = None,
    probe_kind: str = "",
    probe_evidence: str = "",
    probe_start: float | None = None,
    probe_why: str = "",
) -> Answer:
    """One take of one step. For a generated follow-up pass the step's kind, evidence,
    evidence_start and why as probe_kind, probe_evidence, probe_start and probe_why."""
    if status not in ANSWER_STATUSES:
        raise ValueError(f"answer status {status!r} not in {ANSWER_STATUSES}")
    get_session(db, session_id)
    stamp = now()
    # The take number is computed inside the INSERT itself: two tabs saving the same step at once
    # cannot both read the same maximum and store the same take.
    with transaction(db):
        db.execute(
            """insert into answers (id, session_id, question_id, question_text, probe_index, prompt, take,
                   audio_path, duration, status, error, created_at, updated_at,
                   probe_kind, probe_evidence, probe_start, probe_why)
               values (:id, :session_id, :question_id, :question_text, :probe_index, :prompt,
                   (select coalesce(max(take), 0) + 1 from answers
                    where session_id = :session_id and question_id = :question_id and probe_index = :probe_index),
                   :audio_path, :duration, :status, :error, :stamp, :stamp,
                   :probe_kind, :probe_evidence, :probe_start, :probe_why)""",
            {
                "id": answer_id,
                "session_id": session_id,
                "question_id": question_id,
                "question_text": question_text,
                "probe_index": probe_index,
                "prompt": prompt,
                "audio_path": audio_path,
                "duration": duration,
                "status": status,
                "error": error,
                "stamp": stamp,
                "probe_kind": probe_kind,
                "probe_evidence": probe_evidence,
                "probe_start": probe_start,
                "probe_why": probe_why,
            },
        )
    return get_answer(db, answer_id)


def save_transcript(
    db: Database,
    answer_id: str,
    *,
    text: str,
    words: Iterable[dict],
    model: str,
    seconds: float,
    duration: float,
    metrics: dict | None = None,
    final_pending: bool = False,
) -> Answer:
    """The transcript and its metrics; `final_pending` when it is the live text and a final pass
    will replace it (any other transcript stored clears the mark, in the same update)."""
    get_answer(db, answer_id)
    with transaction(db):
        db["answers"].update(
            answer_id,
            {
                "transcript": text,
                "words": json.dumps(list(words)),
                "model": model,
                "transcribe_seconds": seconds,
                "duration": duration,
                "status": "transcribed",
                "error": None,
                "metrics": json.dumps(metrics) if metrics is not None else None,
                "final_pending": int(final_pending),
                "updated_at": now(),
            },
        )
    return get_answer(db, answer_id)


def clear_final_pending(db: Database, answer_id: str) -> Answer:
    """The final pass is over without a new text (it heard no speech, or could not run): the live text stays."""
    get_answer(db, answer_id)
    with transaction(db):
        db["answers"].update(answer_id, {"final_pending": 0, "updated_at": now()})
    return get_answer(db, answer_id)


def final_pending_answers(db: Database) -> list[Answer]:
    """Answers still holding the live text whose final pass never stored its own (a crash, a
    restart), oldest first."""
    return [
        answer_from_row(r)
        for r in query(
            db, ANSWER_SELECT + " where answers.final_pending = 1 order by answers.created_at, answers.rowid"
        )
    ]


def mark_failed(db: Database, answer_id: str, error: str) -> Answer:
    get_answer(db, answer_id)
    with transaction(db):
        db["answers"].update(answer_id, {"status": "failed", "error": error, "final_pending": 0, "updated_at": now()})
    return get_answer(db, answer_id)


def set_rating(db: Database, answer_id: str, *, stars: int | None = None, note: str | None = None) -> Answer:
    """Stars 1..5 and/or a note; a value left as None keeps what was stored."""
    if stars is not None and not 1 <= stars <= 5:
        raise ValueError(f"stars must be 1 to 5, got {stars}")
    current = get_answer(db, answer_id)
    with transaction(db):
        db["ratings"].upsert(
            {
                "answer_id": answer_id,
                "stars": stars if stars is not None else current.stars,
                "note": note if note is not None else current.note,
                "updated_at": now(),
            },
            pk="answer_id",
        )
    return get_answer(db, answer_id)


def get_answer(db: Database, answer_id: str) -> Answer:
    rows = query(db, ANSWER_SELECT + " where answers.id = ?", [answer_id])
    if not rows:
        raise NotFoundError(f"No answer with id {answer_id!r}; it may have been deleted.")
    return answer_from_row(rows[0])


def session_answers(db: Database, session_id: str) -> list[Answer]:
    """Every take of every step, in the order they were recorded."""
    return [
        answer_from_row(r)
        for r in query(
            db, ANSWER_SELECT + " where session_id = ? order by answers.created_at, answers.rowid", [session_id]
        )
    ]


def step_answers(db: Database, session_id: str, question_id: str, probe_index: int) -> list[Answer]:
    """The takes at one step, newest first."""
    return [
        answer_from_row(r)
        for r in query(
            db,
            ANSWER_SELECT + " where session_id = ? and question_id = ? and probe_index = ? order by take desc",
            [session_id, question_id, probe_index],
        )
    ]
