"""Attempts side by side: every take at one question across sessions, and a word diff of two takes."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from rehearse import clock
from rehearse.measure import feedback
from rehearse.store import Database, database
from rehearse.store import history as stored

_STRIP = re.compile(r"^\W+|\W+$")


@dataclass(frozen=True)
class Part:
    """The main question (probe 0) or one follow-up probe, with how many takes it has."""

    probe_index: int
    prompt: str
    takes: int


@dataclass(frozen=True)
class Piece:
    kind: str  # "same", "removed" (only in the older take) or "added" (only in the newer one)
    text: str


@dataclass(frozen=True)
class WordDiff:
    pieces: tuple[Piece, ...]
    same: int
    removed: int
    added: int

    @property
    def similarity(self) -> float:
        """Share of words the two takes have in common, 0..1."""
        total = 2 * self.same + self.removed + self.added
        return 2 * self.same / total if total else 1.0


def parts(db: Database, question_id: str) -> list[Part]:
    return [Part(i, p or "", n) for i, p, n in stored.parts(db, question_id)]


def takes(db: Database, question_id: str, probe_index: int) -> list[database.Answer]:
    """Every take at one question or probe, over all sessions, newest first."""
    return stored.takes(db, question_id, probe_index)


def question_label(text: str, takes: int) -> str:
    """A question in the Compare picker with its takes: of one step, the most practised one."""
    return f"{text} ({takes} take{'' if takes == 1 else 's'})"


def take_label(answer: database.Answer) -> str:
    stars = "★" * answer.stars if answer.stars else "not rated"
    words = f"{answer.metrics['word_count']} words" if answer.metrics else answer.status
    return f"{clock.label(answer.created_at)} · take {answer.take} · {words} · {stars}"


SIDE_BY_SIDE = (
    ("duration", "Length (s)"),
    ("word_count", "Words"),
    ("wpm", "Pace (words/min)"),
    ("fillers_per_minute", "Fillers per minute"),
    ("long_pauses", "Long pauses"),
    ("longest_pause", "Longest pause (s)"),
)


# Rounded for people: seconds whole, pace to the nearest 5, rates to one decimal.
_ROUND = {
    "duration": lambda v: int(v + 0.5),
    "word_count": int,
    "wpm": feedback.pace,
    "fillers_per_minute": lambda v: round(v, 1),
    "long_pauses": int,
    "longest_pause": lambda v: int(v + 0.5),
}


def _shown(metrics: dict | None, key: str):
    value = (metrics or {}).get(key)
    return None if value is None else _ROUND[key](value)


def side_by_side(older: database.Answer, newer: database.Answer) -> list[dict]:
    """The two takes' measurements and ratings, one row per signal, for a table."""
    rows = [
        {"Signal": label, "From": _shown(older.metrics, key), "To": _shown(newer.metrics, key)}
        for key, label in SIDE_BY_SIDE
    ]
    rows.append({"Signal": "Self-rating (stars)", "From": older.stars, "To": newer.stars})
    return rows


def fact_diff(older: database.Answer, newer: database.Answer) -> list[str]:
    """The facts (names, organisations, roles, numbers, durations) that changed between two takes,
    one line per kind: "numbers: 30% → 25%", "names: Dana dropped, Ravi new"."""
    from rehearse.practice import probes

    return probes.fact_diff(older.transcript or "", newer.transcript or "")


def _norm(word: str) -> str:
    return _STRIP.sub("", word.lower().replace("’", "'"))


def word_diff(older: str, newer: str) -> WordDiff:
    """Word-level differences, ignoring case and punctuation; the pieces keep the words as spoken."""
    a, b = older.split(), newer.split()
    matcher = difflib.SequenceMatcher(None, [_norm(w) for w in a], [_norm(w) for w in b], autojunk=False)
    pieces: list[Piece] = []
    same = removed = added = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(Piece("same", " ".join(b[j1:j2])))
            same += j2 - j1
            continue
        if i2 > i1:
            pieces.append(Piece("removed", " ".join(a[i1:i2])))
            removed += i2 - i1
        if j2 > j1:
            pieces.append(Piece("added", " ".join(b[j1:j2])))
            added += j2 - j1
    return WordDiff(tuple(pieces), same, removed, added)
