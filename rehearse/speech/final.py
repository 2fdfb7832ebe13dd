"""The two models: tiny.en writes the words while the user speaks, a more accurate model (Whisper
base by default, settings.final_model) writes the transcript that is stored.

The page shows the live text at stop and the final pass runs in the background
(practice/final_worker.py); its Transcript replaces the live one (practice.pipeline.final_pass
stores it). Both models are loaded once per process: `live_settings` and `final_settings` are the
keys they are loaded (and cached) with, and when the final model is the live one, the keys are
equal, so one loaded copy serves both (and there is no second pass).

The final model decodes at low priority, so a final pass running while the user records the next
answer does not slow the live words down on 2 cores: it runs on one thread (which also keeps the
process's memory down, README) and is loaded from a thread of raised niceness, which the decoding
thread CTranslate2 starts at load time inherits (Linux niceness is per thread).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from rehearse.settings import Settings

from .transcribe import DecodeOptions, Model, Transcript, decode, transcribe
from .vocabulary import decode_options

log = logging.getLogger(__name__)

_TINY = ("", "bundled", "tiny.en")
# Niceness of the final model's decoding thread: the live decoder (niceness 0) gets the cores first.
FINAL_NICENESS = 10


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
    """What the final model is loaded with: settings.final_model on one thread, or exactly the live
    model's key when it is the same model (tiny.en for slow machines), so that the process holds one
    copy of it, not two."""
    if same_model(settings.final_model, settings.model):
        return live_settings(settings)
    return Settings(home=settings.home, model=settings.final_model, cpu_threads=1, language=settings.language)


def has_final_pass(settings: Settings) -> bool:
    """Whether a second, more accurate model replaces the live words after stop (not when the
    final model is the live one: its text is already the final text)."""
    return not same_model(settings.final_model, settings.model)


def lower_priority() -> None:
    """Raise the calling thread's niceness by FINAL_NICENESS (threads it starts inherit it)."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + FINAL_NICENESS))
    except (OSError, AttributeError) as exc:  # not Linux, or refused: the pass simply runs at normal priority
        log.info("cannot lower the final pass's priority: %s", exc)


def load_final(settings: Settings) -> Model:
    """The final model, loaded (callers keep it: loading base takes about a second). A final model
    other than the live one is loaded at low priority (`load_low_priority`)."""
    if not has_final_pass(settings):
        return Model(final_settings(settings))
    return load_low_priority(final_settings(settings))


def load_low_priority(key: Settings) -> Model:
    """Model(key) loaded from a thread of raised niceness, so that every decode with it runs at low priority."""
    box: dict[str, Model | BaseException] = {}

    def load() -> None:
        lower_priority()
        try:
            box["model"] = Model(key)
        except BaseException as exc:  # handed to the caller's thread
            box["model"] = exc

    loader = threading.Thread(target=load, name="load-final-model")
    loader.start()
    loader.join()
    if isinstance(box["model"], BaseException):
        raise box["model"]
    return box["model"]


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
    or the whole stored pass with the feedback recomputed: practice.pipeline.final_pass.
    """
    samples = audio if isinstance(audio, np.ndarray) else decode(audio)
    return transcribe(model, samples, final_options(vocabulary, options), on_progress)
