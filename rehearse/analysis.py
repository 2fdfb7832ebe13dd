"""Delivery measurements over a transcript's word timings. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

from .settings import Settings

_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class Metrics:
    duration: float
    speaking_seconds: float
    word_count: int
    wpm: float
    filler_count: int
    fillers_per_minute: float
    long_pauses: int
    longest_pause: float
    target_min: float | None = None
    target_max: float | None = None
    length_verdict: str = ""  # "short", "ok", "long" against the question's target, or "" without one

    def to_dict(self) -> dict:
        return asdict(self)


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def count_fillers(text: str, fillers: Iterable[str]) -> int:
    toks = tokens(text)
    total = 0
    for filler in fillers:
        parts = tokens(filler)
        n = len(parts)
        if n:
            total += sum(1 for i in range(len(toks) - n + 1) if toks[i:i + n] == parts)
    return total


def analyze(text: str, words: Iterable[Mapping], duration: float, settings: Settings,
            target: tuple[float, float] | None = None) -> Metrics:
    """Pace over speaking time (first word start to last word end), pauses between words, fillers."""
    timed = sorted(((float(w["start"]), float(w["end"])) for w in words), key=lambda se: se[0])
    speaking = max(0.0, timed[-1][1] - timed[0][0]) if timed else 0.0
    count = len(tokens(text))
    gaps = [b[0] - a[1] for a, b in zip(timed, timed[1:])]
    long_gaps = [g for g in gaps if g >= settings.long_pause_seconds]
    fillers = count_fillers(text, settings.fillers)
    minutes = speaking / 60
    verdict = ""
    if target:
        verdict = "short" if duration < target[0] else "long" if duration > target[1] else "ok"
    return Metrics(
        duration=round(duration, 2), speaking_seconds=round(speaking, 2), word_count=count,
        wpm=round(count / minutes, 1) if minutes > 0 else 0.0,
        filler_count=fillers, fillers_per_minute=round(fillers / minutes, 2) if minutes > 0 else 0.0,
        long_pauses=len(long_gaps), longest_pause=round(max(gaps, default=0.0), 2),
        target_min=target[0] if target else None, target_max=target[1] if target else None,
        length_verdict=verdict,
    )


# Mean word probability below which tiny.en's transcript is often wrong. Measured on Piper speech
# with white noise added: 0.93-0.96 clean and 0.82-0.89 at +3 to +5 dB SNR (word error rate 0-8 %),
# 0.58-0.68 at -1 to -3 dB (15-65 %), 0.38-0.42 at -7 dB (77-100 %); real recordings in
# ../shared/speech score 0.76-0.96, except a noisy radio clip at 0.48.
LOW_CONFIDENCE = 0.6


def confidence(words: Iterable[Mapping]) -> float | None:
    """Mean word probability of a transcript, or None without word timings."""
    probabilities = [float(w["probability"]) for w in words if "probability" in w]
    return round(sum(probabilities) / len(probabilities), 3) if probabilities else None


def low_confidence_message(value: float) -> str:
    return (f"Low confidence ({value:.0%} on average per word): this transcript may be wrong. "
            "Background noise or a distant microphone does this; record again somewhere quieter.")
