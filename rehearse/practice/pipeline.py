"""One answer's life: save the recording, store its row, transcribe, measure.

The app, the terminal drill and the command line all go through here, so an answer is saved
and transcribed the same way wherever it was recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from rehearse import files
from rehearse.errors import AudioError, RehearseError, TranscriptionError
from rehearse.library.bank import Step
from rehearse.measure import analysis
from rehearse.settings import Settings
from rehearse.speech import audio
from rehearse.speech.transcribe import SAMPLE_RATE, DecodeOptions, Model, Transcript, decode, transcribe
from rehearse.store import Database, database, recovery

log = logging.getLogger(__name__)


def save_answer(db: Database, settings: Settings, session_id: str, step: Step, data: bytes) -> database.Answer:
    """Write the audio to disk first, then the row that points at it. Nothing recorded is ever dropped.

    A pending note written before the audio lets `recovery.recover` rebuild the row if the
    process dies between the two; a full or read-only disk raises StorageError with what to do."""
    answer_id = database.new_id()
    row = dict(
        answer_id=answer_id,
        session_id=session_id,
        question_id=step.question_id,
        question_text=step.question_text,
        probe_index=step.probe_index,
        prompt=step.prompt,
        **probe_fields(step),
    )
    with files.guard(settings.home, "save your recording"):
        recovery.write_note(settings, answer_id, row)
        try:
            saved = audio.save_recording(data, settings.audio_dir, answer_id)
        except BaseException:
            recovery.clear_note(settings, answer_id)
            raise
    files.checkpoint(settings, "saving")
    rel = str(saved.path.relative_to(settings.home))
    try:
        answer = database.add_answer(
            db,
            **row,
            audio_path=rel,
            duration=saved.duration,
            status="failed" if saved.error else "recorded",
            error=saved.error,
        )
    except BaseException:
        # The row never landed: the file must not become an orphan with no row naming it. The
        # recording is still in the page that sent it, so saving again loses nothing.
        saved.path.unlink(missing_ok=True)
        recovery.clear_note(settings, answer_id)
        raise
    recovery.clear_note(settings, answer_id)
    return answer


def skip_step(db: Database, session_id: str, step: Step) -> database.Answer:
    return database.add_answer(
        db,
        answer_id=database.new_id(),
        session_id=session_id,
        question_id=step.question_id,
        question_text=step.question_text,
        probe_index=step.probe_index,
        prompt=step.prompt,
        audio_path=None,
        duration=None,
        status="skipped",
        **probe_fields(step),
    )


def probe_fields(step: Step) -> dict:
    """A generated follow-up's probe, kept with every take of it (empty for other steps)."""
    return dict(probe_kind=step.kind, probe_evidence=step.evidence, probe_start=step.evidence_start, probe_why=step.why)


NO_SPEECH_MESSAGE = (
    "No speech was recognised in this recording: it sounds like silence or noise. Check that the right "
    "microphone is selected, speak closer to it, then record again or press 'Transcribe again'."
)


def transcribe_checked(
    settings: Settings,
    model: Model,
    path: Path,
    options: DecodeOptions = DecodeOptions(),
    on_progress: Callable[[float], None] | None = None,
) -> tuple[Transcript, float]:
    """The transcript of a recording that passes every check, and its duration; AudioError otherwise.

    The app and `rehearse transcribe` both come through here, so a file gets the same verdict
    (empty, too short, too long, silent, no speech) wherever it is transcribed."""
    if path.is_file() and path.stat().st_size == 0:
        raise AudioError(audio.EMPTY_MESSAGE)
    header = audio.duration_of(path)
    if header is not None:
        audio.check_length(header, settings)  # before decoding: a long file must not fill memory
    samples = decode(path)
    duration = audio.check_samples(samples, SAMPLE_RATE, settings)

    def progress(fraction: float) -> None:
        files.checkpoint(settings, "transcribing")
        if on_progress:
            on_progress(fraction)

    result = transcribe(model, samples, options, progress)
    if not result.text.strip():
        raise AudioError(NO_SPEECH_MESSAGE)
    return result, duration


def transcribe_answer(
    db: Database,
    settings: Settings,
    model: Model,
    answer_id: str,
    target: tuple[float, float] | None = None,
    options: DecodeOptions = DecodeOptions(),
    on_progress: Callable[[float], None] | None = None,
    category: str | None = None,
) -> database.Answer:
    """Transcribe a stored answer; on bad audio the answer is marked failed with the reason, never lost.
    `target` is the question's answer length and `category` its category (the feedback on a
    failure story checks that the speaker owns the mistake)."""
    answer = database.get_answer(db, answer_id)
    path = answer.audio_file(settings)
    if path is None:
        raise RehearseError(f"Answer {answer_id} has no recording to transcribe (it was skipped).")
    try:
        result, duration = transcribe_checked(settings, model, path, options, on_progress)
    except (AudioError, TranscriptionError) as exc:
        log.info("answer %s failed: %s", answer_id, exc)
        return database.mark_failed(db, answer_id, str(exc))
    return _store(db, settings, answer, result, duration, target, category)


def attach_transcript(
    db: Database,
    settings: Settings,
    answer_id: str,
    result: Transcript | None,
    target: tuple[float, float] | None = None,
    error: str | None = None,
    category: str | None = None,
) -> database.Answer:
    """Store a transcript made while the answer was recorded (live) on its saved answer."""
    answer = database.get_answer(db, answer_id)
    if answer.status == "failed":
        return answer  # the recording itself was unusable, and says why
    try:
        duration = audio.check_recording(answer.audio_file(settings), settings)
    except RehearseError as exc:
        return database.mark_failed(db, answer_id, str(exc))
    if result is None:
        return database.mark_failed(db, answer_id, error or "The live transcript is missing; press 'Transcribe again'.")
    if not result.text.strip():
        return database.mark_failed(db, answer_id, NO_SPEECH_MESSAGE)
    return _store(db, settings, answer, result, duration, target, category)


def _store(
    db: Database,
    settings: Settings,
    answer: database.Answer,
    result: Transcript,
    duration: float,
    target: tuple[float, float] | None,
    category: str | None,
) -> database.Answer:
    words = [asdict(w) for w in result.words]
    metrics = analysis.analyze(
        result.text, words, duration, settings, target, category=category, follow_up=answer.probe_index > 0
    ).to_dict()
    return database.save_transcript(
        db,
        answer.id,
        text=result.text,
        words=words,
        model=result.model,
        seconds=result.seconds,
        duration=duration,
        metrics=metrics,
    )
