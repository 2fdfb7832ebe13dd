"""Crash recovery: a recording that reached the disk always ends up with its database row.

Saving a recording (a drill answer or a spoken debrief item, see practice.pipeline) is three
steps that cannot share one transaction: a pending note (pending/<id>.json, naming the row
about to be written), the audio file, then the row. If the process dies between the audio and
the row, `recover` rebuilds the row from the note at the next start, marked as recovered, so the
app offers it for transcription again. A note whose audio never landed is dropped: those bytes
were only in memory.

A live recording streams into a part file (audio/live/<token>.pcm) with a sidecar
(<token>.json, the same note) while the user speaks. A part file left by a reload or a crash
mid-answer, with no answer row, becomes an answer marked as recovered after a crash.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import numpy as np
from sqlite_utils import Database

from rehearse.errors import NotFoundError
from rehearse.settings import Settings
from rehearse.speech import audio
from rehearse.store import database, debriefs, sessions

log = logging.getLogger(__name__)

ROW_FIELDS = ("answer_id", "session_id", "question_id", "question_text", "probe_index", "prompt")
DEBRIEF_FIELDS = ("rec_id", "debrief_id", "item")
RECOVERED = (
    "Recovered after a crash: the app stopped before this recording was fully saved. "
    "Everything that reached the disk is kept; play it back, transcribe it, or record again."
)
# A generated follow-up's probe (notes written before they existed have none).
PROBE_FIELDS = ("probe_kind", "probe_evidence", "probe_start", "probe_why")


def pending_dir(settings: Settings) -> Path:
    return settings.home / "pending"


def live_dir(settings: Settings) -> Path:
    return settings.audio_dir / "live"


def answer_note(answer_id: str, row: dict) -> dict:
    """What a drill answer's row will say, and which process is writing it."""
    return (
        {"kind": "answer"}
        | {key: row[key] for key in ROW_FIELDS + PROBE_FIELDS if key in row and key != "answer_id"}
        | {
            "answer_id": answer_id,
            "pid": os.getpid(),
        }
    )


def debrief_note(rec_id: str, debrief_id: str, item: str) -> dict:
    return {"kind": "debrief", "rec_id": rec_id, "debrief_id": debrief_id, "item": item, "pid": os.getpid()}


def _note_id(note: dict) -> str:
    return note["rec_id"] if note.get("kind") == "debrief" else note["answer_id"]


def write_note(settings: Settings, answer_id: str, row: dict | None = None, note: dict | None = None) -> None:
    """Before the audio is written: what its row will say (a drill answer's `row`, or a whole `note`)."""
    note = note if note is not None else answer_note(answer_id, row or {})
    audio.atomic_write(pending_dir(settings) / f"{answer_id}.json", json.dumps(note).encode())


def clear_note(settings: Settings, answer_id: str) -> None:
    (pending_dir(settings) / f"{answer_id}.json").unlink(missing_ok=True)


def _in_progress(path: Path, pid: int, stale_after: float = 600) -> bool:
    """Is the writer of this file still alive and recent? A save takes well under a second."""
    try:
        if time.time() - path.stat().st_mtime > stale_after:
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


def _audio_for(settings: Settings, stem: str) -> Path | None:
    for path in sorted(settings.audio_dir.glob(f"{stem}.*")):
        if not path.name.startswith("."):
            return path
    return None


def _has_row(db: Database, note: dict) -> bool:
    try:
        if note.get("kind") == "debrief":
            debriefs.get_recording(db, note["rec_id"])
        else:
            database.get_answer(db, note["answer_id"])
    except NotFoundError:
        return False
    return True


def _owner_exists(db: Database, note: dict) -> bool:
    """The session (or debrief) the recording belongs to is still there."""
    try:
        if note.get("kind") == "debrief":
            debriefs.get_debrief(db, note["debrief_id"])
        else:
            database.get_session(db, note["session_id"])
    except NotFoundError:
        if note.get("kind") != "debrief" and isinstance(note.get("session"), dict):
            # The crash came before the drill's first answer stored its session: store it now,
            # in progress at that step, so the drill page offers to continue it.
            sessions.create_run(db, session_id=note["session_id"], **note["session"])
            return True
        return False
    return True


def _add_row(db: Database, settings: Settings, note: dict, saved: audio.SavedAudio) -> None:
    common = dict(
        audio_path=str(saved.path.relative_to(settings.home)),
        duration=saved.duration,
        status="failed" if saved.error else "recorded",
        error=saved.error or RECOVERED,
    )
    if note.get("kind") == "debrief":
        debriefs.add_recording(db, **{k: note[k] for k in DEBRIEF_FIELDS}, **common)
    else:
        probe = {k: note[k] for k in PROBE_FIELDS if k in note}
        database.add_answer(db, **{k: note[k] for k in ROW_FIELDS}, **probe, **common)


def recover(db: Database, settings: Settings) -> list[str]:
    """Rows for recordings a crash left without one, and no leftover temporaries; the ids restored."""
    restored: list[str] = []
    folder = pending_dir(settings)
    notes = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for path in notes:
        try:
            note = json.loads(path.read_text())
            rec_id = _note_id(note)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring unreadable pending note %s: %s", path, exc)
            continue
        if _in_progress(path, int(note.get("pid", 0))):
            continue  # another live process is saving this recording right now
        if _has_row(db, note):
            path.unlink(missing_ok=True)  # the row landed; only the note was left over
            continue
        stem = f"debrief-{rec_id}" if note.get("kind") == "debrief" else rec_id
        found = _audio_for(settings, stem)
        if found is None:
            log.warning("recording %s: it never reached the disk before the crash", rec_id)
            path.unlink(missing_ok=True)
            continue
        if not _owner_exists(db, note):
            log.warning("recording %s: what it belongs to is gone; keeping %s without a row", rec_id, found)
            continue
        _add_row(db, settings, note, audio.inspect_saved(found))
        path.unlink(missing_ok=True)
        log.warning("recording %s: recovered %s after a crash", rec_id, found)
        restored.append(rec_id)
    restored += recover_parts(db, settings)
    if settings.audio_dir.is_dir():
        for tmp in settings.audio_dir.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)  # half-written by a process that died mid-write
    return restored


def recover_parts(db: Database, settings: Settings) -> list[str]:
    """Answers for live part files that no answer row took (a reload or a crash mid-answer)."""
    folder = live_dir(settings)
    restored: list[str] = []
    for part in sorted(folder.glob("*.pcm")) if folder.is_dir() else []:
        sidecar = part.with_suffix(".json")
        try:
            note = json.loads(sidecar.read_text())
            answer_id, rate = note["answer_id"], int(note.get("sample_rate", 16000))
        except FileNotFoundError:
            log.warning("live part file %s has no note saying which answer it is; keeping it", part)
            continue
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring live part file %s with an unreadable note: %s", part, exc)
            continue
        if _in_progress(part, int(note.get("pid", 0)), stale_after=60):
            continue  # a recording going on right now in a running app
        if _has_row(db, note):
            part.unlink(missing_ok=True)  # saved for good; only the part file was left over
            sidecar.unlink(missing_ok=True)
            continue
        if not _owner_exists(db, note):
            log.warning("live part %s: its session %s is gone; keeping it", part, note.get("session_id"))
            continue
        samples = np.fromfile(part, dtype="<i2")
        if len(samples) == 0:
            part.unlink(missing_ok=True)  # the recorder opened but nothing was said
            sidecar.unlink(missing_ok=True)
            continue
        # The usual order: note, audio, row; a crash in here is recovered like any save.
        write_note(settings, answer_id, note=note | {"kind": "answer", "pid": os.getpid()})
        saved = audio.save_samples(samples.astype(np.float32) / 32768.0, rate, settings.audio_dir, answer_id)
        _add_row(db, settings, note, saved)
        clear_note(settings, answer_id)
        part.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
        log.warning("answer %s: recovered %.1f s from the live part file %s", answer_id, saved.duration or 0, part)
        restored.append(answer_id)
    return restored
