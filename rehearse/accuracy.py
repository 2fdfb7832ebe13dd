"""Transcript accuracy: text normalisation and word error rate, for tests and benchmarks."""

from __future__ import annotations

import re

_NUMBERS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
    "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten",
}


def normalize(text: str, drop: frozenset[str] = frozenset()) -> list[str]:
    """Lowercase words without punctuation; `drop` removes words such as fillers before scoring."""
    text = text.lower().replace("’", "'").replace("-", " ")
    words = re.findall(r"[a-z0-9']+", text)
    words = [_NUMBERS.get(w, w).strip("'") for w in words]
    return [w for w in words if w and w not in drop]


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """(substitutions + deletions + insertions) / reference length, by edit distance."""
    if not reference:
        return 0.0 if not hypothesis else 1.0
    prev = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        cur = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ref != hyp))
        prev = cur
    return prev[-1] / len(reference)
