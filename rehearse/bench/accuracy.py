"""Transcript accuracy: text normalisation and word error rate, for tests and benchmarks."""

from __future__ import annotations

import re

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """0 to 999,999,999 in words, the way a reference transcript spells "50" or "1,200"."""
    if n < 20:
        return _UNITS[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _UNITS[n % 10])
    for size, name in ((10**6, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            rest = n % size
            return f"{number_words(n // size)} {name}" + (f" {number_words(rest)}" if rest else "")
    raise AssertionError(n)


# Spellings that references and transcripts write differently for the same spoken words.
_SPELLINGS = {"yknow": "you know", "y'know": "you know", "ya'know": "you know", "okay": "ok"}

# Filled pauses, however they are spelled ("Umm", "uhh", "erm", "hmm", "mm"): the decoder and
# transcribers lengthen them freely, so they are compared by what they are, not by letters.
_FILLED_PAUSES = (
    (re.compile(r"u+h*m+"), "um"),
    (re.compile(r"u+h+"), "uh"),
    (re.compile(r"e+r+m*"), "er"),
    (re.compile(r"a+h+"), "ah"),
    (re.compile(r"h+m+|m+h*m+"), "hmm"),
)
FILLED_PAUSES = frozenset(name for _, name in _FILLED_PAUSES)


def filled_pause(token: str) -> str | None:
    """The canonical filled pause ("um", "uh", "er", "ah", "hmm") a lowercase token spells, or None."""
    for pattern, name in _FILLED_PAUSES:
        if pattern.fullmatch(token):
            return name
    return None


def normalize(text: str, drop: frozenset[str] = frozenset()) -> list[str]:
    """Lowercase words without punctuation, filled pauses spelled one way; `drop` removes words
    such as fillers before scoring."""
    text = text.lower().replace("’", "'").replace("-", " ").replace("%", " percent")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 1,200 -> 1200
    words: list[str] = []
    for w in re.findall(r"[a-z0-9']+", text):
        w = w.strip("'")
        if w.isdigit() and len(w) < 10:
            w = number_words(int(w))
        words.extend(_SPELLINGS.get(w, w).split())
    words = [filled_pause(w) or w for w in words]
    return [w for w in words if w and w not in drop]


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """(substitutions + deletions + insertions) / reference length, by edit distance."""
    if not reference:
        return 0.0 if not hypothesis else 1.0
    return edit_distance(reference, hypothesis) / len(reference)


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    prev = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        cur = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ref != hyp))
        prev = cur
    return prev[-1]


def align(reference: list[str], hypothesis: list[str]) -> list[tuple[str | None, str | None]]:
    """A minimum-edit alignment as (reference word, hypothesis word) pairs; None marks a gap."""
    n, m = len(reference), len(hypothesis)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(
                cost[i - 1][j] + 1, cost[i][j - 1] + 1, cost[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1])
            )
    pairs: list[tuple[str | None, str | None]] = []
    i, j = n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1]):
            pairs.append((reference[i - 1], hypothesis[j - 1]))
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            pairs.append((reference[i - 1], None))
            i -= 1
        else:
            pairs.append((None, hypothesis[j - 1]))
            j -= 1
    return pairs[::-1]


def filler_retention(reference: list[str], hypothesis: list[str]) -> tuple[int, int, int]:
    """(filled pauses in the reference, how many the hypothesis kept, how many it added elsewhere).

    Both lists come from normalize(). A kept filler must line up with a filler in the hypothesis
    (of any kind: an "uh" heard as "um" still counts), so a pause dropped in one place and one
    invented in another do not cancel out.
    """
    mark = lambda words: ["<f>" if w in FILLED_PAUSES else w for w in words]  # noqa: E731
    pairs = align(mark(reference), mark(hypothesis))
    in_reference = sum(1 for r, _ in pairs if r == "<f>")
    kept = sum(1 for r, h in pairs if r == "<f>" and h == "<f>")
    added = sum(1 for r, h in pairs if h == "<f>" and r != "<f>")
    return in_reference, kept, added
