"""Transcript accuracy: text normalisation and word error rate, for tests and benchmarks.

The normalisation (numbers spelled out, filled pauses spelled one way, fillers dropped) is Rehearse's
own; the word error rate and the word alignment over the normalised words are jiwer's.
"""

from __future__ import annotations

import re

import jiwer

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


def _scored(reference: list[str], hypothesis: list[str]) -> jiwer.WordOutput:
    """jiwer's minimum-edit alignment of two word lists (the normalisation is ours, in normalize())."""
    for word in (*reference, *hypothesis):
        # Joined with spaces for jiwer, which splits them again: a word must not hold or be whitespace.
        if not word or word.split() != [word]:
            raise ValueError(f"not a single word: {word!r}; pass the words from normalize()")
    return jiwer.process_words(" ".join(reference), " ".join(hypothesis))


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """(substitutions + deletions + insertions) / reference length, by edit distance."""
    if not reference:  # jiwer refuses an empty reference
        return 0.0 if not hypothesis else 1.0
    return _scored(reference, hypothesis).wer


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    if not reference:
        return len(hypothesis)
    scored = _scored(reference, hypothesis)
    return scored.substitutions + scored.deletions + scored.insertions


def align(reference: list[str], hypothesis: list[str]) -> list[tuple[str | None, str | None]]:
    """A minimum-edit alignment as (reference word, hypothesis word) pairs; None marks a gap."""
    if not reference:
        return [(None, h) for h in hypothesis]
    pairs: list[tuple[str | None, str | None]] = []
    for chunk in _scored(reference, hypothesis).alignments[0]:
        ref = reference[chunk.ref_start_idx : chunk.ref_end_idx]
        hyp = hypothesis[chunk.hyp_start_idx : chunk.hyp_end_idx]
        if chunk.type == "delete":
            pairs.extend((r, None) for r in ref)
        elif chunk.type == "insert":
            pairs.extend((None, h) for h in hyp)
        else:  # "equal" or "substitute": word for word
            pairs.extend(zip(ref, hyp))
    return pairs


def _slots(words: list[str]) -> tuple[list[str], list[int]]:
    """The words that are not filled pauses, and how many filled pauses come before each of them
    (and, last, after the final one)."""
    content, slots = [], [0]
    for w in words:
        if w in FILLED_PAUSES:
            slots[-1] += 1
        else:
            content.append(w)
            slots.append(0)
    return content, slots


def filler_retention(reference: list[str], hypothesis: list[str]) -> tuple[int, int, int]:
    """(filled pauses in the reference, how many the hypothesis kept, how many it added elsewhere).

    Both lists come from normalize(). A filler is kept when the hypothesis has one (of any kind: an
    "uh" heard as "um" still counts) in the same place: between the same words, once the other words
    are aligned. So a pause dropped in one place and one invented in another do not cancel out, and
    the fillers cannot pull the alignment of the words around them.
    """
    ref_words, ref_slots = _slots(reference)
    hyp_words, hyp_slots = _slots(hypothesis)
    # Reference gap i and hypothesis gap j are one place when they meet at a boundary of the word
    # alignment; an inserted or deleted word merges the gaps on either side of it.
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def root(x: tuple[str, int]) -> tuple[str, int]:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    def join(a: tuple[str, int], b: tuple[str, int]) -> None:
        parent[root(a)] = root(b)

    i = j = 0
    join(("r", 0), ("h", 0))
    for r, h in align(ref_words, hyp_words):
        i, j = i + (r is not None), j + (h is not None)
        join(("r", i), ("h", j))
    places: dict[tuple[str, int], list[int]] = {}
    for side, slots in (("r", ref_slots), ("h", hyp_slots)):
        for k, n in enumerate(slots):
            places.setdefault(root((side, k)), [0, 0])[side == "h"] += n
    kept = sum(min(r, h) for r, h in places.values())
    return sum(ref_slots), kept, sum(hyp_slots) - kept
