"""Crash recovery: a recording that reached the disk always ends up with its database row.

Saving an answer is three steps that cannot share one transaction: a pending note
(pending/<answer id>.json, naming the row about to be written), the audio file, then the row.
If the process dies between the audio and the row, `recover` rebuilds the row from the note at
the next start, with status 'recorded', so the app offers it for transcription again. A note
whose audio never landed is dropped: those bytes were only in memory.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from sqlite_utils import Database

from rehearse.errors import NotFoundError
from rehearse.settings import Settings
from rehearse.speech import audio
from rehearse.store import database

log = logging.getLogger(__name__)

ROW_FIELDS = ("answer_id", "session_id", "question_id", "question_text", "probe_index", "prompt")
# A generated follow-up's probe (notes written before they existed have none).
PROBE_FIELDS = ("probe_kind", "probe_evidence", "probe_start", "probe_why")


def pending_dir(settings: Settings) -> Path:
    return settings.home / "pending"


def write_note(settings: Settings, answer_id: str, row: dict) -> None:
    """Before the audio is written: what its row will say, and which process is writing it."""
    note = {key: row[key] for key in ROW_FIELDS + PROBE_FIELDS if key in row} | {"pid": os.getpid()}
    audio.atomic_write(pending_dir(settings) / f"{answer_id}.json", json.dumps(note).encode())


def clear_note(settings: Settings, answer_id: str) -> None:
    (pending_dir(settings) / f"{answer_id}.json").unlink(missing_ok=True)


def _in_progress(path: Path, pid: int) -> bool:
    """Is the writer of this note still alive and recent? A save takes well under a second."""
    try:
        if time.time() - path.stat().st_mtime > 600:
            return False
    except OSError:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _audio_for(settings: Settings, answer_id: str) -> Path | None:
    for path in sorted(settings.audio_dir.glob(f"{answer_id}.*")):
        if not path.name.startswith("."):
            return path
    return None


def recover(db: Database, settings: Settings) -> list[str]:
    """Rows for recordings a crash left without one, and no leftover temporaries; the ids restored."""
    restored: list[str] = []
    folder = pending_dir(settings)
    notes = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for path in notes:
        try:
            note = json.loads(path.read_text())
            answer_id = note["answer_id"]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring unreadable pending note %s: %s", path, exc)
            continue
        if _in_progress(path, int(note.get("pid", 0))):
            continue  # another live process is saving this answer right now
        try:
            database.get_answer(db, answer_id)
            path.unlink(missing_ok=True)  # the row landed; only the note was left over
            continue
        except NotFoundError:
            pass
        found = _audio_for(settings, answer_id)
        if found is None:
            log.warning("answer %s: the recording never reached the disk before the crash", answer_id)
            path.unlink(missing_ok=True)
            continue
        try:
            database.get_session(db, note["session_id"])
        except NotFoundError:
            log.warning(
                "answer %s: its session %s is gone; keeping %s without a row", answer_id, note["session_id"], found
            )
            continue
        saved = audio.inspect_saved(found)
        database.add_answer(
            db,
            **{k: note[k] for k in ROW_FIELDS},
            **{k: note[k] for k in PROBE_FIELDS if k in note},
            audio_path=str(found.relative_to(settings.home)),
            duration=saved.duration,
            status="failed" if saved.error else "recorded",
            error=saved.error,
        )
        path.unlink(missing_ok=True)
        log.warning("answer %s: recovered the recording %s after a crash", answer_id, found)
        restored.append(answer_id)
    if settings.audio_dir.is_dir():
        for tmp in settings.audio_dir.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)  # half-written by a process that died mid-write
    return restored
