"""Recording rules for the terminal drill: levels, silence detection, stop conditions, meter text.

Pure logic: whatever reads the microphone (rehearse/devices.py) feeds blocks of samples in, so
every rule here is tested with arrays, without an audio device.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from rehearse.clock import minutes_seconds

METER_FLOOR_DBFS = -60.0
# Silence is judged against the quietest block heard so far (the room's noise floor) plus this
# margin, so a noisy laptop microphone still gets a silence stop ...
NOISE_MARGIN_DB = 12.0
# ... but never above this level, so soft speech heard before the first pause is never taken
# for the noise floor and cut off as silence.
MAX_SILENCE_DBFS = -35.0

STOP_REASONS = ("enter", "silence", "limit", "stalled", "interrupted")


@dataclass(frozen=True)
class RecordingOptions:
    # Seconds of silence after speech that end the answer; 0 means only Enter ends it.
    stop_silence: float = 3.0
    # A block quieter than this (RMS) always counts as silence.
    silence_dbfs: float = -45.0
    # Seconds of sound needed before silence may end the answer: thinking time is never cut off.
    min_speech: float = 0.3
    # A forgotten recording stops here rather than filling the disk.
    max_seconds: float = 900.0
    # The drill's answer time limit, shown on the meter (the answer is not cut at it).
    time_limit: float | None = None
    # No audio from the device for this long means it was unplugged or hung.
    stall_seconds: float = 5.0


@dataclass(frozen=True)
class Recording:
    samples: np.ndarray  # mono float32
    sample_rate: int
    reason: str  # one of STOP_REASONS
    heard_speech: bool

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


def rms_dbfs(block: np.ndarray) -> float:
    if block.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(np.square(block, dtype=np.float64))))
    return 20 * math.log10(rms) if rms > 0 else float("-inf")


def meter_text(
    elapsed: float,
    level: float,
    *,
    width: int = 20,
    time_limit: float | None = None,
    heard_speech: bool = False,
    silent_for: float = 0.0,
    stop_silence: float = 0.0,
) -> str:
    """One line: elapsed time, a level bar from -60 to 0 dBFS, the level, and what ends the recording."""
    fraction = 0.0 if level == float("-inf") else min(1.0, max(0.0, 1 - level / METER_FLOOR_DBFS))
    filled = round(width * fraction)
    shown = "  -- dB" if level < METER_FLOOR_DBFS else f"{level:4.0f} dB"
    when = minutes_seconds(elapsed)
    if time_limit:
        when += f" / {minutes_seconds(time_limit)}" + (" over time" if elapsed > time_limit else "")
    if not heard_speech:
        hint = "waiting for speech"
    elif stop_silence and silent_for >= 0.5:
        hint = f"silence {silent_for:.1f} of {stop_silence:g} s"
    else:
        hint = "speaking"
    ends = "Enter stops" + (f", or {stop_silence:g} s of silence" if stop_silence else "")
    return f"REC {when} [{'#' * filled}{'-' * (width - filled)}] {shown} · {hint} · {ends}"


class Recorder:
    """The state of one recording; `feed` it mono blocks, then read `reason` and `result()`."""

    def __init__(self, sample_rate: int, options: RecordingOptions = RecordingOptions()):
        self.sample_rate = sample_rate
        self.options = options
        self.blocks: list[np.ndarray] = []
        self.frames = 0
        self.level = float("-inf")
        self.floor = float("inf")
        self.speech_seconds = 0.0
        self.silent_for = 0.0
        self.reason: str | None = None

    @property
    def elapsed(self) -> float:
        return self.frames / self.sample_rate

    @property
    def heard_speech(self) -> bool:
        return self.speech_seconds >= self.options.min_speech

    def threshold(self) -> float:
        """The level below which a block is silence, from the noise floor heard so far."""
        if math.isinf(self.floor):
            return self.options.silence_dbfs
        return max(self.options.silence_dbfs, min(self.floor + NOISE_MARGIN_DB, MAX_SILENCE_DBFS))

    def feed(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        if block.size == 0:
            return
        seconds = block.size / self.sample_rate
        self.blocks.append(block)
        self.frames += block.size
        self.level = rms_dbfs(block)
        if not math.isinf(self.level):
            self.floor = min(self.floor, self.level)
        if self.level >= self.threshold():
            self.speech_seconds += seconds
            self.silent_for = 0.0
        else:
            self.silent_for += seconds
        opts = self.options
        if opts.stop_silence and self.heard_speech and self.silent_for >= opts.stop_silence:
            self.stop("silence")
        elif self.elapsed >= opts.max_seconds:
            self.stop("limit")

    def stop(self, reason: str) -> None:
        if reason not in STOP_REASONS:
            raise ValueError(f"stop reason {reason!r} not in {STOP_REASONS}")
        if self.reason is None:
            self.reason = reason

    def meter(self, width: int = 20) -> str:
        return meter_text(
            self.elapsed,
            self.level,
            width=width,
            time_limit=self.options.time_limit,
            heard_speech=self.heard_speech,
            silent_for=self.silent_for,
            stop_silence=self.options.stop_silence,
        )

    def result(self) -> Recording:
        samples = np.concatenate(self.blocks) if self.blocks else np.zeros(0, dtype=np.float32)
        return Recording(samples, self.sample_rate, self.reason or "interrupted", self.heard_speech)


class BlockSource(Protocol):
    """A started microphone: `read` gives the next mono block, or None when none came in time."""

    sample_rate: int

    def read(self, timeout: float) -> np.ndarray | None: ...


def record(
    source: BlockSource,
    options: RecordingOptions,
    *,
    enter_pressed: Callable[[], bool],
    show: Callable[[Recorder], None],
    clock_now: Callable[[], float] = time.monotonic,
) -> Recording:
    """Read blocks until Enter, silence, the length limit, a stalled device or Ctrl+C; never raises
    KeyboardInterrupt, so the caller can save what was recorded."""
    rec = Recorder(source.sample_rate, options)
    last_audio = clock_now()
    try:
        while rec.reason is None:
            block = source.read(0.1)
            if block is not None:
                rec.feed(block)
                last_audio = clock_now()
            elif clock_now() - last_audio > options.stall_seconds:
                rec.stop("stalled")
            if enter_pressed():
                rec.stop("enter")
            show(rec)
    except KeyboardInterrupt:
        rec.stop("interrupted")
    return rec.result()
