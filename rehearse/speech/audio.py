"""Audio files: save a recording safely first, then check it is worth transcribing.

Every write goes to a temporary file that is fsynced and renamed into place, so a crash never
leaves half a file under a name the database points at.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from rehearse import files
from rehearse.errors import AudioError
from rehearse.settings import Settings

log = logging.getLogger(__name__)

EMPTY_MESSAGE = "The recording is empty: nothing was captured. Check the microphone and record again."


@dataclass(frozen=True)
class SavedAudio:
    path: Path
    # None when the bytes could not be decoded; they are kept as they came.
    duration: float | None
    sample_rate: int | None
    channels: int | None
    error: str | None = None


def atomic_write(path: Path, data: bytes) -> None:
    """Owner-only file, complete or absent: a failed write (full disk) leaves no temporary behind."""
    files.private_dir(path.parent)
    files.private_write(path, data)


# What FLAC (and so libsndfile's FLAC writer) can hold.
FLAC_MAX_RATE = 655_350
FLAC_MAX_CHANNELS = 8


def flac_problem(rate: int, channels: int) -> str | None:
    """Why samples at this rate and channel count cannot be stored as FLAC, or None."""
    if channels > FLAC_MAX_CHANNELS:
        return f"it has {channels} channels and FLAC holds at most {FLAC_MAX_CHANNELS}"
    if not 1 <= rate <= FLAC_MAX_RATE:
        return f"its sample rate of {rate} Hz is outside what FLAC can store (1 to {FLAC_MAX_RATE} Hz)"
    return None


def _unstorable(problem: str) -> str:
    return (
        f"The recording cannot be stored as audio here: {problem}. The original file is kept as it came; "
        "record again, or convert it to a mono WAV (16 kHz is best) and upload that."
    )


def flac_bytes(samples: np.ndarray, rate: int) -> bytes:
    buf = io.BytesIO()
    soundfile.write(buf, samples, rate, format="FLAC", subtype="PCM_16")
    return buf.getvalue()


def save_samples(samples: np.ndarray, rate: int, dest_dir: Path, stem: str) -> SavedAudio:
    """Samples recorded here (live capture, the terminal), written once as FLAC: nothing is read back."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[:, None]
    path = dest_dir / f"{stem}.flac"
    if len(samples) == 0:
        # FLAC cannot hold zero samples: an empty WAV says the same and can be opened.
        path = dest_dir / f"{stem}.wav"
        atomic_write(path, wav_bytes(samples, rate))
        return SavedAudio(path, 0.0, rate, samples.shape[1], EMPTY_MESSAGE)
    atomic_write(path, flac_bytes(samples, rate))
    return SavedAudio(path, len(samples) / rate, rate, samples.shape[1])


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV, the format st.audio_input produces."""
    buf = io.BytesIO()
    soundfile.write(buf, samples, sample_rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def read_audio(source: bytes | Path) -> tuple[np.ndarray, int]:
    """Samples as float32 (frames, channels) and the sample rate; AudioError if undecodable."""
    name = "The recording" if isinstance(source, (bytes, bytearray)) else str(source)
    if isinstance(source, (bytes, bytearray)) and len(source) == 0:
        raise AudioError("The recording is empty (0 bytes): record again and speak before you press stop.")
    try:
        data, rate = soundfile.read(
            io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source, dtype="float32", always_2d=True
        )
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
        reason = str(exc).rsplit(": ", 1)[-1]
        raise AudioError(
            f"{name} cannot be decoded as audio ({reason}). Record again, or use a WAV or FLAC file."
        ) from None
    return data, rate


def save_recording(data: bytes, dest_dir: Path, stem: str) -> SavedAudio:
    """Keep what the user recorded, whatever it is: FLAC when decodable, the raw bytes otherwise."""
    try:
        samples, rate = read_audio(data)
    except AudioError as exc:
        path = dest_dir / f"{stem}.orig"
        atomic_write(path, bytes(data))
        log.warning("kept undecodable recording as %s: %s", path, exc)
        return SavedAudio(path, None, None, None, str(exc))
    if len(samples) == 0:
        # A header with no samples: FLAC cannot hold it, so keep the file exactly as it came.
        path = dest_dir / f"{stem}.wav"
        atomic_write(path, bytes(data))
        return SavedAudio(path, 0.0, rate, samples.shape[1], EMPTY_MESSAGE)
    problem = flac_problem(rate, samples.shape[1])
    if problem is None:
        try:
            encoded = flac_bytes(samples, rate)
        except (soundfile.LibsndfileError, RuntimeError) as exc:
            problem = f"the FLAC writer refused it ({str(exc).rsplit(': ', 1)[-1]})"
    if problem is not None:
        path = dest_dir / f"{stem}.orig"
        atomic_write(path, bytes(data))
        log.warning("kept a recording FLAC cannot hold as %s: %s", path, problem)
        return SavedAudio(path, len(samples) / rate if rate else None, rate, samples.shape[1], _unstorable(problem))
    path = dest_dir / f"{stem}.flac"
    atomic_write(path, encoded)
    return SavedAudio(path, len(samples) / rate if rate else 0.0, rate, samples.shape[1])


def level_dbfs(samples: np.ndarray) -> float:
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return 20 * np.log10(peak) if peak > 0 else float("-inf")


def duration_of(path: Path) -> float | None:
    """Seconds, from the header alone (no decoding), or None when the file is not WAV/FLAC/OGG/MP3."""
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError, TypeError):
        return None
    return info.frames / info.samplerate if info.samplerate else 0.0


def check_length(duration: float, settings: Settings) -> None:
    """AudioError before any decoding when a recording is longer than an answer can be."""
    if duration > settings.max_answer_seconds:
        raise AudioError(
            f"The recording is {duration / 60:.1f} minutes long; Rehearse transcribes answers of up to "
            f"{settings.max_answer_seconds / 60:g} minutes (REHEARSE_MAX_ANSWER_SECONDS="
            f"{settings.max_answer_seconds:g}). The recording is kept: play it back, or record a shorter answer."
        )


def check_samples(samples: np.ndarray, rate: int, settings: Settings) -> float:
    """Duration in seconds, or AudioError saying why these samples cannot be a spoken answer."""
    duration = len(samples) / rate if rate else 0.0
    if len(samples) == 0:
        raise AudioError(EMPTY_MESSAGE)
    check_length(duration, settings)
    if duration < settings.min_answer_seconds:
        raise AudioError(
            f"The recording is only {duration:.1f} s long; an answer needs at least "
            f"{settings.min_answer_seconds:g} s. Record again and keep the button on while you speak."
        )
    level = level_dbfs(samples)
    if level < settings.silence_dbfs:
        raise AudioError(
            f"The recording is silent (peak {level:.0f} dBFS, below {settings.silence_dbfs:g} dBFS). "
            "Check that the right microphone is selected and not muted, then record again."
        )
    return duration


def check_recording(path: Path, settings: Settings) -> float:
    """Duration in seconds, or AudioError saying why this recording cannot be a spoken answer.

    The length limit is checked from the header first, so an hour-long file is never decoded."""
    header = duration_of(path)
    if header is not None:
        check_length(header, settings)
    samples, rate = read_audio(path)
    return check_samples(samples, rate, settings)


def inspect_saved(path: Path) -> SavedAudio:
    """What save_recording would have said about a file already on disk (for crash recovery)."""
    try:
        samples, rate = read_audio(path)
    except AudioError as exc:
        return SavedAudio(path, None, None, None, str(exc))
    if len(samples) == 0:
        return SavedAudio(path, 0.0, rate, samples.shape[1], EMPTY_MESSAGE)
    problem = flac_problem(rate, samples.shape[1]) if path.suffix == ".orig" else None
    duration = len(samples) / rate if rate else 0.0
    return SavedAudio(path, duration, rate, samples.shape[1], _unstorable(problem) if problem else None)
