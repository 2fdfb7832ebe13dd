"""One recording's life, whatever recorded it: save, check, transcribe, measure, store.

Every source comes through here (a file or the browser's simple recorder, a live capture, the
terminal's microphone, a spoken debrief item), so a recording is saved and judged the same way
wherever it was made, and the pages and the terminal only display what comes back:

1. save: a pending note (store.recovery), then the audio, then its row. A crash in between is
   recovered at the next start; a full or read-only disk raises StorageError before any row.
2. check: empty, too short, too long, silent (samples recorded here are checked in memory;
   nothing just written is read back).
3. transcribe: the model, or the transcript a live capture made while the user spoke.
4. measure and store: delivery and content metrics on the row.

`answer` runs the four steps for a drill answer, `speak_item` for a debrief item.

At stop, then better: a live answer is stored at once from the live transcriber's words, marked
`final_pending` when a more accurate final model will write the transcript that stays; then
`final_pass` (in the background, practice/final_worker.py) replaces the transcript and its
metrics and clears the mark. `transcribe_answer` is 'Transcribe again' on any stored answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np

from rehearse import files
from rehearse.debrief import checklist
from rehearse.errors import AudioError, RehearseError, TranscriptionError
from rehearse.library.bank import Step
from rehearse.measure import analysis
from rehearse.settings import Settings
from rehearse.speech import audio
from rehearse.speech.transcribe import SAMPLE_RATE, DecodeOptions, Model, Transcript, decode, transcribe
from rehearse.store import Database, database, debriefs, recovery

log = logging.getLogger(__name__)

NO_SPEECH_MESSAGE = (
    "No speech was recognised in this recording: it sounds like silence or noise. Check that the right "
    "microphone is selected, speak closer to it, then record again or press 'Transcribe again'."
)
MISSING_LIVE_MESSAGE = "The live transcript is missing; press 'Transcribe again'."


@dataclass(frozen=True)
class Take:
    """One recording as its source gave it: encoded bytes (a file, the browser's simple recorder)
    or samples recorded here (live capture, the terminal), which are written once as FLAC."""

    data: bytes | None = None
    samples: np.ndarray | None = None  # float32, (frames,) or (frames, channels)
    sample_rate: int = SAMPLE_RATE

    @classmethod
    def of(cls, recording: Take | bytes) -> Take:
        return recording if isinstance(recording, Take) else cls(data=bytes(recording))

    @classmethod
    def of_samples(cls, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Take:
        return cls(samples=np.asarray(samples, dtype=np.float32), sample_rate=sample_rate)

    def write(self, dest_dir: Path, stem: str) -> audio.SavedAudio:
        if self.samples is not None:
            return audio.save_samples(self.samples, self.sample_rate, dest_dir, stem)
        return audio.save_recording(self.data or b"", dest_dir, stem)


@dataclass(frozen=True)
class LiveText:
    """The transcript a live capture made while the user spoke, or why there is none."""

    transcript: Transcript | None
    error: str | None = None


ModelSource = Model | Callable[[], Model]  # a callable loads the model only once the audio is safe


# ---------------------------------------------------------------- 1. save


def _save(settings: Settings, note_id: str, note: dict, take: Take, stem: str, add_row: Callable):
    """Note, audio, row. The row never lands without its audio, and the audio never stays without
    a row (or a note that recovery turns into one)."""
    with files.guard(settings.home, "save your recording"):
        recovery.write_note(settings, note_id, note=note)
        try:
            saved = take.write(settings.audio_dir, stem)
        except BaseException:
            recovery.clear_note(settings, note_id)
            raise
    files.checkpoint(settings, "saving")
    try:
        row = add_row(saved)
    except BaseException:
        # The row never landed: the file must not become an orphan with no row naming it. The
        # recording is still in the page (or the memory) that sent it, so saving again loses nothing.
        saved.path.unlink(missing_ok=True)
        recovery.clear_note(settings, note_id)
        raise
    recovery.clear_note(settings, note_id)
    return row


def save_answer(
    db: Database,
    settings: Settings,
    session_id: str,
    step: Step,
    recording: Take | bytes,
    answer_id: str | None = None,
) -> database.Answer:
    """Step 1 for a drill answer: the audio on disk first, then the row that points at it.

    Nothing recorded is ever dropped: undecodable bytes are kept as they came and the answer is
    marked failed with the reason. A full or read-only disk raises StorageError with what to do."""
    answer_id = answer_id or database.new_id()
    row = answer_row(session_id, step)

    def add_row(saved: audio.SavedAudio) -> database.Answer:
        return database.add_answer(
            db,
            answer_id=answer_id,
            **row,
            audio_path=str(saved.path.relative_to(settings.home)),
            duration=saved.duration,
            status="failed" if saved.error else "recorded",
            error=saved.error,
        )

    return _save(settings, answer_id, recovery.answer_note(answer_id, row), Take.of(recording), answer_id, add_row)


def answer_row(session_id: str, step: Step) -> dict:
    """What an answer's row says about its step, the same in the row and in its pending note."""
    return dict(
        session_id=session_id,
        question_id=step.question_id,
        question_text=step.question_text,
        probe_index=step.probe_index,
        prompt=step.prompt,
        **probe_fields(step),
    )


def answer_note(session_id: str, step: Step, answer_id: str, session: dict | None = None) -> dict:
    """What a drill answer's row will say: a live recorder writes it beside its part file.
    `session` is what recovery needs to create the session when no answer has stored it yet."""
    note = recovery.answer_note(answer_id, answer_row(session_id, step))
    del note["pid"]  # the capture server adds its own
    if session is not None:
        note["session"] = session
    return note


def save_debrief_recording(
    db: Database, settings: Settings, debrief_id: str, item: str, recording: Take | bytes
) -> debriefs.Recording:
    """Step 1 for a spoken debrief item, with the same pending note as a drill answer."""
    checklist.item(item)
    debriefs.get_debrief(db, debrief_id)
    rec_id = database.new_id()

    def add_row(saved: audio.SavedAudio) -> debriefs.Recording:
        return debriefs.add_recording(
            db,
            rec_id=rec_id,
            debrief_id=debrief_id,
            item=item,
            audio_path=str(saved.path.relative_to(settings.home)),
            duration=saved.duration,
            status="failed" if saved.error else "recorded",
            error=saved.error,
        )

    note = recovery.debrief_note(rec_id, debrief_id, item)
    return _save(settings, rec_id, note, Take.of(recording), f"debrief-{rec_id}", add_row)


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


# ---------------------------------------------------------------- 2. check and 3. transcribe


def transcribe_checked(
    settings: Settings,
    model: Model,
    path: Path,
    options: DecodeOptions = DecodeOptions(),
    on_progress: Callable[[float], None] | None = None,
) -> tuple[Transcript, float]:
    """The transcript of a recording file that passes every check, and its duration; AudioError otherwise.

    The app and `rehearse transcribe` both come through here, so a file gets the same verdict
    (empty, too short, too long, silent, no speech) wherever it is transcribed."""
    if path.is_file() and path.stat().st_size == 0:
        raise AudioError(audio.EMPTY_MESSAGE)
    header = audio.duration_of(path)
    if header is not None:
        audio.check_length(header, settings)  # before decoding: a long file must not fill memory
    samples = decode(path)
    duration = audio.check_samples(samples, SAMPLE_RATE, settings)
    return _transcribe(settings, model, samples, options, on_progress), duration


def _transcribe(
    settings: Settings,
    model: Model,
    samples: np.ndarray,
    options: DecodeOptions,
    on_progress: Callable[[float], None] | None,
) -> Transcript:
    def progress(fraction: float) -> None:
        files.checkpoint(settings, "transcribing")
        if on_progress:
            on_progress(fraction)

    result = transcribe(model, samples, options, progress)
    if not result.text.strip():
        raise AudioError(NO_SPEECH_MESSAGE)
    return result


def load_model(source: ModelSource) -> Model:
    """The model itself, loaded only now when given as a callable (so the audio is on disk first)."""
    return source() if callable(source) else source


def _check_and_transcribe(
    settings: Settings,
    model: ModelSource,
    path: Path,
    take: Take,
    live: Callable[[], LiveText] | None,
    options: DecodeOptions,
    on_progress: Callable[[float], None] | None,
) -> tuple[Transcript, float]:
    """Steps 2 and 3; AudioError or TranscriptionError says why the recording is no answer."""
    if take.samples is None:
        return transcribe_checked(settings, load_model(model), path, options, on_progress)
    duration = audio.check_samples(take.samples, take.sample_rate, settings)  # in memory, not read back
    if live is not None:
        text = live()
        if text.transcript is None:
            raise TranscriptionError(text.error or MISSING_LIVE_MESSAGE)
        if not text.transcript.text.strip():
            raise AudioError(NO_SPEECH_MESSAGE)
        return text.transcript, duration
    mono16k = take.samples.ndim == 1 or take.samples.shape[1] == 1
    if take.sample_rate == SAMPLE_RATE and mono16k:
        samples = take.samples.reshape(-1)
    else:
        samples = decode(path)  # the decoder's resampler, as for any file
    return _transcribe(settings, load_model(model), samples, options, on_progress), duration


# ---------------------------------------------------------------- the whole path


def answer(
    db: Database,
    settings: Settings,
    model: ModelSource,
    session_id: str,
    step: Step,
    recording: Take | bytes,
    *,
    answer_id: str | None = None,
    target: tuple[float, float] | None = None,
    category: str | None = None,
    live: Callable[[], LiveText] | None = None,
    options: DecodeOptions = DecodeOptions(),
    on_saved: Callable[[database.Answer], None] | None = None,
    on_progress: Callable[[float], None] | None = None,
    final_pending: bool = False,
) -> database.Answer:
    """A drill answer from any source: saved, checked, transcribed, measured and stored.

    `on_saved` runs as soon as the audio and its row are safe (a page marks the take as saved
    there, so a rerun never saves it twice); an exception after it leaves a saved answer that
    'Transcribe again' finishes. `live` gives the transcript made while the user spoke (called
    only once the audio is saved); without it the model transcribes the recording. With
    `final_pending` the text (the live one, or a fast model's) is stored marked as awaiting its
    final pass (`final_pass`). Bad
    audio is stored as a failed answer with the reason; a full or read-only disk raises StorageError."""
    saved = save_answer(db, settings, session_id, step, recording, answer_id)
    if on_saved:
        on_saved(saved)
    if saved.status == "failed":
        return saved  # the recording itself was unusable, and says why
    take = Take.of(recording)
    try:
        result, duration = _check_and_transcribe(
            settings, model, saved.audio_file(settings), take, live, options, on_progress
        )
    except (AudioError, TranscriptionError) as exc:
        log.info("answer %s failed: %s", saved.id, exc)
        return database.mark_failed(db, saved.id, str(exc))
    return _store(db, settings, saved, result, duration, target, category, final_pending)


def final_pass(
    db: Database,
    settings: Settings,
    model: ModelSource,
    answer_id: str,
    target: tuple[float, float] | None = None,
    options: DecodeOptions = DecodeOptions(),
    category: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> database.Answer:
    """The final model's transcript of an answer stored from the live text, with its metrics, in
    place of the live ones; the mark is cleared in the same update. An answer no longer marked
    (finished already, or transcribed again) is left as it is.

    A final pass that hears no speech where the live transcriber heard words keeps the live text
    (logged): a decoder's miss must not wipe out an answer. One that cannot run at all (the model
    will not load or decode) keeps it too and raises TranscriptionError, so the caller can say so."""
    stored = database.get_answer(db, answer_id)
    if not stored.final_pending:
        return stored
    path = stored.audio_file(settings)
    try:
        if path is None:
            raise AudioError("no recording")
        result, duration = transcribe_checked(settings, load_model(model), path, options, on_progress)
    except AudioError as exc:
        if stored.status == "transcribed" and (stored.transcript or "").strip():
            log.warning("final pass of answer %s: %s; the live transcript is kept", answer_id, exc)
            return database.clear_final_pending(db, answer_id)
        log.info("answer %s failed: %s", answer_id, exc)
        return database.mark_failed(db, answer_id, str(exc))
    except TranscriptionError:
        database.clear_final_pending(db, answer_id)
        raise
    return _store(db, settings, stored, result, duration, target, category)


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
    """Steps 2 to 4 again on a stored answer ('Transcribe again', recovered answers, a later final pass);
    on bad audio the answer is marked failed with the reason, never lost. `target` is the
    question's answer length and `category` its category (the feedback on a failure story
    checks that the speaker owns the mistake)."""
    stored = database.get_answer(db, answer_id)
    path = stored.audio_file(settings)
    if path is None:
        raise RehearseError(f"Answer {answer_id} has no recording to transcribe (it was skipped).")
    try:
        result, duration = transcribe_checked(settings, model, path, options, on_progress)
    except (AudioError, TranscriptionError) as exc:
        log.info("answer %s failed: %s", answer_id, exc)
        return database.mark_failed(db, answer_id, str(exc))
    return _store(db, settings, stored, result, duration, target, category)


def speak_item(
    db: Database,
    settings: Settings,
    model: ModelSource,
    debrief_id: str,
    item: str,
    recording: Take | bytes,
    on_progress: Callable[[float], None] | None = None,
    today: date | None = None,
    on_saved: Callable[[debriefs.Recording], None] | None = None,
) -> tuple[debriefs.Recording, checklist.Debrief]:
    """A spoken checklist answer: saved, given the drill's checks, transcribed, and put into the item."""
    rec = save_debrief_recording(db, settings, debrief_id, item, recording)
    if on_saved:
        on_saved(rec)
    if rec.status != "failed":
        take = Take.of(recording)
        try:
            result, _duration = _check_and_transcribe(
                settings, model, settings.home / rec.audio_path, take, None, DecodeOptions(), on_progress
            )
            rec = debriefs.set_recording_transcript(db, rec.id, result.text)
        except (AudioError, TranscriptionError) as exc:
            log.info("debrief recording %s failed: %s", rec.id, exc)
            rec = debriefs.mark_recording_failed(db, rec.id, str(exc))
    d = debriefs.get_debrief(db, debrief_id)
    if rec.status == "transcribed":
        d = debriefs.save_debrief(db, checklist.merge_spoken(d, item, rec.transcript or "", today))
    return rec, d


# ---------------------------------------------------------------- 4. measure and store


def _store(
    db: Database,
    settings: Settings,
    answer: database.Answer,
    result: Transcript,
    duration: float,
    target: tuple[float, float] | None,
    category: str | None,
    final_pending: bool = False,
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
        final_pending=final_pending,
    )
