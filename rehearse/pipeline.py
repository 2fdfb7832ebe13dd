"""One answer's life: save the recording, store its row, transcribe, measure.

The app, the terminal drill and the command line all go through here, so an answer is saved
and transcribed the same way wherever it was recorded.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Callable

from sqlite_utils import Database

from . import analysis, audio, storage
from .bank import Step
from .errors import RehearseError
from .settings import Settings
from .transcribe import DecodeOptions, Model, Transcript, transcribe

log = logging.getLogger(__name__)


def save_answer(db: Database, settings: Settings, session_id: str, step: Step, data: bytes) -> storage.Answer:
    """Write the audio to disk first, then the row that points at it. Nothing recorded is ever dropped."""
    answer_id = storage.new_id()
    saved = audio.save_recording(data, settings.audio_dir, answer_id)
    rel = str(saved.path.relative_to(settings.home))
    try:
        return storage.add_answer(
            db, answer_id=answer_id, session_id=session_id, question_id=step.question_id,
            question_text=step.question_text, probe_index=step.probe_index, prompt=step.prompt,
            audio_path=rel, duration=saved.duration, status="failed" if saved.error else "recorded",
            error=saved.error,
        )
    except Exception:
        # The row never landed: the file must not become an orphan with no row naming it.
        saved.path.unlink(missing_ok=True)
        raise


def skip_step(db: Database, session_id: str, step: Step) -> storage.Answer:
    return storage.add_answer(
        db, answer_id=storage.new_id(), session_id=session_id, question_id=step.question_id,
        question_text=step.question_text, probe_index=step.probe_index, prompt=step.prompt,
        audio_path=None, duration=None, status="skipped",
    )


def transcribe_answer(
    db: Database, settings: Settings, model: Model, answer_id: str,
    target: tuple[float, float] | None = None, options: DecodeOptions = DecodeOptions(),
    on_progress: Callable[[float], None] | None = None,
) -> storage.Answer:
    """Transcribe a stored answer; on bad audio the answer is marked failed with the reason, never lost."""
    answer = storage.get_answer(db, answer_id)
    path = answer.audio_file(settings)
    if path is None:
        raise RehearseError(f"Answer {answer_id} has no recording to transcribe (it was skipped).")
    try:
        duration = audio.check_recording(path, settings)
        result = transcribe(model, path, options, on_progress)
    except RehearseError as exc:
        log.info("answer %s failed: %s", answer_id, exc)
        return storage.mark_failed(db, answer_id, str(exc))
    return _store(db, settings, answer_id, result, duration, target)


def attach_transcript(db: Database, settings: Settings, answer_id: str, result: Transcript | None,
                      target: tuple[float, float] | None = None, error: str | None = None) -> storage.Answer:
    """Store a transcript made while the answer was recorded (live) on its saved answer."""
    answer = storage.get_answer(db, answer_id)
    if answer.status == "failed":
        return answer  # the recording itself was unusable, and says why
    try:
        duration = audio.check_recording(answer.audio_file(settings), settings)
    except RehearseError as exc:
        return storage.mark_failed(db, answer_id, str(exc))
    if result is None:
        return storage.mark_failed(db, answer_id, error or "The live transcript is missing; press 'Transcribe again'.")
    return _store(db, settings, answer_id, result, duration, target)


def _store(db: Database, settings: Settings, answer_id: str, result: Transcript, duration: float,
           target: tuple[float, float] | None) -> storage.Answer:
    if not result.text.strip():
        return storage.mark_failed(
            db, answer_id,
            "No speech was recognised in this recording. Speak closer to the microphone, then record again "
            "or press 'Transcribe again'.")
    words = [asdict(w) for w in result.words]
    metrics = analysis.analyze(result.text, words, duration, settings, target).to_dict()
    return storage.save_transcript(db, answer_id, text=result.text, words=words, model=result.model,
                                   seconds=result.seconds, duration=duration, metrics=metrics)
