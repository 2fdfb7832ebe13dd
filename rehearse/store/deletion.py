"""Deleting takes, sessions and old audio: files and rows go together, never one without the other.

Each file is first renamed aside (atomic, same folder), then the rows change in one transaction,
then the renamed file is unlinked. If the transaction fails the files are renamed back; if the
process dies in between, `recover()` (run before every deletion) puts back any file whose row
still names it and removes the rest.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlite_utils import Database

from rehearse import clock
from rehearse.errors import StorageError
from rehearse.settings import Settings
from rehearse.store import database

log = logging.getLogger(__name__)

ASIDE_SUFFIX = ".deleting"


@dataclass(frozen=True)
class Deleted:
    answers: int
    files: int
    bytes: int
    sessions: int = 0


@dataclass(frozen=True)
class PrunePlan:
    cutoff: date
    answers: tuple[str, ...]
    bytes: int
    without_transcript: int  # failed or never transcribed: their recording is all there is


def _aside(path: Path) -> Path:
    return path.with_name(f".{path.name}{ASIDE_SUFFIX}")


@contextmanager
def _files_aside(settings: Settings, rel_paths: Sequence[str]) -> Iterator[int]:
    """Move files out of the way for the rows' transaction; unlink them after it commits."""
    moved: list[tuple[Path, Path]] = []
    size = 0
    try:
        for rel in rel_paths:
            path = settings.home / rel
            if not path.exists():
                log.warning("file %s named by a row is already gone", path)
                continue
            size += path.stat().st_size
            os.replace(path, _aside(path))
            moved.append((path, _aside(path)))
    except OSError as exc:
        for path, aside in reversed(moved):
            os.replace(aside, path)
        raise StorageError(
            f"Cannot delete {exc.filename}: {exc.strerror}. Nothing was deleted; "
            "check the permissions of the audio folder."
        ) from None
    try:
        yield size
    except BaseException:
        for path, aside in reversed(moved):
            os.replace(aside, path)
        raise
    for _path, aside in moved:
        aside.unlink(missing_ok=True)


def recover(db: Database, settings: Settings) -> int:
    """Finish deletions interrupted by a crash; returns how many set-aside files were dealt with."""
    if not settings.audio_dir.is_dir():
        return 0
    named = {r[0] for r in db.execute("select audio_path from answers where audio_path is not null")}
    done = 0
    for aside in settings.audio_dir.glob(f".*{ASIDE_SUFFIX}"):
        if not aside.is_file():
            continue
        original = aside.with_name(aside.name[1 : -len(ASIDE_SUFFIX)])
        if str(original.relative_to(settings.home)) in named:
            os.replace(aside, original)
        else:
            aside.unlink()
        done += 1
    return done


def _delete_rows(db: Database, answer_ids: Sequence[str]) -> None:
    for start in range(0, len(answer_ids), 500):
        chunk = list(answer_ids[start : start + 500])
        marks = ", ".join("?" for _ in chunk)
        db.execute(f"delete from ratings where answer_id in ({marks})", chunk)
        db.execute(f"delete from answers where id in ({marks})", chunk)


def delete_answer(db: Database, settings: Settings, answer_id: str) -> Deleted:
    """One take: its recording, transcript, rating and note."""
    recover(db, settings)
    answer = database.get_answer(db, answer_id)
    paths = [answer.audio_path] if answer.audio_path else []
    with _files_aside(settings, paths) as size, database.transaction(db):
        _delete_rows(db, [answer_id])
    log.info("deleted answer %s", answer_id)
    return Deleted(1, len(paths), size)


def delete_session(db: Database, settings: Settings, session_id: str) -> Deleted:
    """A session with every take in it. A debrief that links to it keeps its text; only the link goes."""
    recover(db, settings)
    database.get_session(db, session_id)
    rows = db.execute("select id, audio_path from answers where session_id = ?", [session_id]).fetchall()
    paths = [p for _, p in rows if p]
    with _files_aside(settings, paths) as size, database.transaction(db):
        _delete_rows(db, [aid for aid, _ in rows])
        db.execute("delete from debrief_sessions where session_id = ?", [session_id])
        db.execute("delete from sessions where id = ?", [session_id])
    log.info("deleted session %s with %d answers", session_id, len(rows))
    return Deleted(len(rows), len(paths), size, sessions=1)


def prune_plan(
    db: Database,
    settings: Settings,
    older_than_days: int,
    include_untranscribed: bool = False,
    today: date | None = None,
) -> PrunePlan:
    """Which recordings `prune_audio` would delete: those made before the local day N days ago."""
    if older_than_days < 0:
        raise ValueError(f"older_than_days must be 0 or more, got {older_than_days}")
    cutoff = (today or clock.today()) - timedelta(days=older_than_days)
    status = "" if include_untranscribed else "and status = 'transcribed'"
    rows = db.execute(
        f"select id, audio_path, status from answers where audio_path is not null and created_at < ? {status} "
        "order by created_at",
        [clock.day_start(cutoff)],
    ).fetchall()
    size = sum((settings.home / p).stat().st_size for _, p, _ in rows if (settings.home / p).exists())
    return PrunePlan(cutoff, tuple(aid for aid, _, _ in rows), size, sum(1 for _, _, st in rows if st != "transcribed"))


def prune_audio(db: Database, settings: Settings, plan: PrunePlan) -> Deleted:
    """Delete the planned recordings and set their audio_path to NULL; transcripts, ratings and notes stay."""
    recover(db, settings)
    if not plan.answers:
        return Deleted(0, 0, 0)
    marks = ", ".join("?" for _ in plan.answers)
    rows = db.execute(
        f"select id, audio_path from answers where audio_path is not null and id in ({marks})", list(plan.answers)
    ).fetchall()
    with _files_aside(settings, [p for _, p in rows]) as size, database.transaction(db):
        stamp = database.now()
        db.conn.executemany(
            "update answers set audio_path = null, updated_at = ? where id = ?", [(stamp, aid) for aid, _ in rows]
        )
    log.info("pruned audio of %d answers (%d bytes)", len(rows), size)
    return Deleted(len(rows), len(rows), size)


def orphans(db: Database, settings: Settings) -> tuple[list[str], list[str]]:
    """(audio files no row names, rows naming a file that is missing), as paths relative to the data folder."""
    named = {r[0] for r in db.execute("select audio_path from answers where audio_path is not null")}
    on_disk = set()
    if settings.audio_dir.is_dir():
        on_disk = {str(p.relative_to(settings.home)) for p in settings.audio_dir.iterdir() if p.is_file()}
    return sorted(on_disk - named), sorted(named - on_disk)


def size_label(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
