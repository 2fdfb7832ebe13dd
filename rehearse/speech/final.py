"""The two models: tiny.en writes the words while the user speaks, a more accurate model (Whisper
base by default, settings.final_model) writes the transcript that is stored.

The page shows the live text at stop and runs `final_pass` in the background; its Transcript
replaces the live one (practice.pipeline stores it). Both models are loaded once per process:
`live_settings` and `final_settings` are the keys they are loaded (and cached) with, and when the
final model is the live one, the keys are equal, so one loaded copy serves both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from rehearse.settings import Settings

from .transcribe import DecodeOptions, Model, Transcript, decode, transcribe
from .vocabulary import decode_options

_TINY = ("", "bundled", "tiny.en")


def same_model(a: str, b: str) -> bool:
    """Whether two model settings name the same model ("", "bundled" and "tiny.en" are one)."""
    a, b = a.strip(), b.strip()
    return (a in _TINY and b in _TINY) or a == b


def live_settings(settings: Settings) -> Settings:
    """What the live model is loaded with: settings.model on one thread. On 2 cores shared with
    the browser, one thread decodes a chunk as fast as two when idle and stays fast when the browser
    is busy (README, live transcription). Only the fields loading depends on, so saving other settings
    does not load it again."""
    return Settings(home=settings.home, model=settings.model, cpu_threads=1, language=settings.language)


def final_settings(settings: Settings) -> Settings:
    """What the final model is loaded with: settings.final_model on the configured threads, or
    exactly the live model's key when it is the same model (tiny.en for slow machines), so that
    the process holds one copy of it, not two."""
    if same_model(settings.final_model, settings.model):
        return live_settings(settings)
    return Settings(
        home=settings.home, model=settings.final_model, cpu_threads=settings.cpu_threads, language=settings.language
    )


def load_final(settings: Settings) -> Model:
    """The final model, loaded (callers that run many answers keep it: loading base takes about a second)."""
    return Model(final_settings(settings))


def final_options(vocabulary: Iterable[str] = (), options: DecodeOptions = DecodeOptions()) -> DecodeOptions:
    """The decoding of the final pass: the default chunked decode with the user's vocabulary as hotwords."""
    return decode_options(vocabulary, options)


def final_pass(
    model: Model,
    audio: Path | str | np.ndarray,
    vocabulary: Iterable[str] = (),
    options: DecodeOptions = DecodeOptions(),
    on_progress: Callable[[float], None] | None = None,
) -> Transcript:
    """The final transcript of a stored answer's recording (its path, or its samples), with the final
    model and the user's vocabulary; TranscriptionError or AudioError when it cannot be made.

    For an answer in the database: `final_pass(model, answer.audio_file(settings), vocabulary(db, settings))`,
    then store it as the live text is stored (practice.pipeline.attach_transcript), which recomputes the feedback.
    """
    samples = audio if isinstance(audio, np.ndarray) else decode(audio)
    return transcribe(model, samples, final_options(vocabulary, options), on_progress)
