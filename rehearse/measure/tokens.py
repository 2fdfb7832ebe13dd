"""A transcript as tokens: each word's place in the text, its time in the recording, and the
punctuation around it; plus phrase matching that the delivery and content measures share.

Phrases match a normalised stream: lowercase, contractions spelled out ("I'm" matches "i am"),
"30%" as "30 percent", and filled pauses spelled one way ("Umm" is "um").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from rehearse.bench.accuracy import filled_pause

TOKEN = re.compile(r"[a-z0-9]+(?:['’.,][a-z0-9]+)*%?", re.IGNORECASE)
_BREAK = re.compile(r"[,;:.!?…—–]")
_SENTENCE_END = re.compile(r"[.!?…]")

_CONTRACTIONS = {
    "i'm": "i am",
    "i've": "i have",
    "i'd": "i would",
    "i'll": "i will",
    "we're": "we are",
    "we've": "we have",
    "we'd": "we would",
    "we'll": "we will",
    "you're": "you are",
    "you've": "you have",
    "they're": "they are",
    "they've": "they have",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "what's": "what is",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "can't": "can not",
    "cannot": "can not",
    "won't": "will not",
    "wasn't": "was not",
    "weren't": "were not",
    "isn't": "is not",
    "aren't": "are not",
    "shouldn't": "should not",
    "couldn't": "could not",
    "wouldn't": "would not",
    "haven't": "have not",
    "hasn't": "has not",
    "hadn't": "had not",
}


@dataclass(frozen=True)
class Token:
    text: str  # as written, without the punctuation around it: "I'm", "Toronto", "30%"
    start_char: int
    end_char: int
    start: float | None  # seconds into the recording, when the word timings place it
    end: float | None
    break_before: bool  # punctuation (or the start of the answer) right before it
    break_after: bool
    sentence_start: bool

    @property
    def lower(self) -> str:
        return self.text.lower().replace("’", "'")


@dataclass(frozen=True)
class Match:
    phrase: str
    first: int  # index of the first token of the match
    last: int  # index of the last token (inclusive)
    at: int  # index of the first normalised word in the Stream
    size: int  # how many normalised words


def spelled_out(word: str) -> list[str]:
    """One written token as the words it stands for: "i'm" -> ["i", "am"], "umm" -> ["um"]."""
    word = word.lower().replace("’", "'")
    if word.endswith("%"):
        return [word[:-1], "percent"]
    if word in _CONTRACTIONS:
        return _CONTRACTIONS[word].split()
    return [filled_pause(word) or word]


def phrase_words(phrase: str) -> tuple[str, ...]:
    return tuple(w for t in TOKEN.findall(phrase) for w in spelled_out(t))


def tokenize(text: str, words: Iterable[Mapping] = ()) -> list[Token]:
    """The tokens of `text`, with times from `words` (dicts with start, end and usually text)."""
    found = list(TOKEN.finditer(text))
    times = _times([m.group().lower() for m in found], list(words))
    tokens = []
    for i, m in enumerate(found):
        before = text[found[i - 1].end() if i else 0 : m.start()]
        after = text[m.end() : found[i + 1].start() if i + 1 < len(found) else len(text)]
        tokens.append(
            Token(
                m.group(),
                m.start(),
                m.end(),
                *times[i],
                break_before=i == 0 or bool(_BREAK.search(before)),
                break_after=i + 1 == len(found) or bool(_BREAK.search(after)),
                sentence_start=i == 0 or bool(_SENTENCE_END.search(before)),
            )
        )
    return tokens


def _times(lowered: list[str], words: list[Mapping]) -> list[tuple[float | None, float | None]]:
    """Line the text's tokens up with the timed words; tokens the timings do not cover get None."""
    out: list[tuple[float | None, float | None]] = [(None, None)] * len(lowered)
    if not any(w.get("text") for w in words):
        # Timings without their words: usable only when they are one per token.
        if len(words) == len(lowered):
            out = [(float(w["start"]), float(w["end"])) for w in words]
        return out
    timed = [
        (t.lower(), float(w["start"]), float(w["end"])) for w in words for t in TOKEN.findall(str(w.get("text", "")))
    ]
    matcher = SequenceMatcher(None, lowered, [t for t, _, _ in timed], autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            out[a + k] = timed[b + k][1:]
    return out


@dataclass(frozen=True)
class Hit:
    """Where a signal fired: characters [start, end) of the transcript, and the time when known."""

    kind: str  # filler, ambiguous, hedge, stock, admission, blame
    phrase: str  # the list entry that matched
    start: int
    end: int
    time: float | None = None


def hits(kind: str, matches: Iterable[Match], tokens: Sequence[Token]) -> list[Hit]:
    return [
        Hit(kind, m.phrase, tokens[m.first].start_char, tokens[m.last].end_char, tokens[m.first].start) for m in matches
    ]


def counts(matches: Iterable[Match]) -> dict[str, int]:
    """Matches per phrase, in the order the phrases first occur."""
    out: dict[str, int] = {}
    for m in matches:
        out[m.phrase] = out.get(m.phrase, 0) + 1
    return out


class Stream:
    """The normalised words of a token list, each pointing back at the token it came from."""

    def __init__(self, tokens: Sequence[Token]):
        self.tokens = tokens
        self.words: list[str] = []
        self.owner: list[int] = []
        for i, tok in enumerate(tokens):
            for w in spelled_out(tok.text):
                self.words.append(w)
                self.owner.append(i)

    def _crosses_sentence(self, at: int, size: int) -> bool:
        first = self.owner[at]
        return any(
            self.tokens[self.owner[k]].sentence_start and self.owner[k] != first for k in range(at + 1, at + size)
        )

    def find(self, phrases: Iterable[str]) -> list[Match]:
        """Every occurrence of every phrase within a sentence, longest phrase first where two overlap."""
        wanted = sorted({p: phrase_words(p) for p in phrases}.items(), key=lambda kv: -len(kv[1]))
        taken: set[int] = set()
        matches = []
        for phrase, parts in wanted:
            n = len(parts)
            if not n:
                continue
            for i in range(len(self.words) - n + 1):
                if (
                    tuple(self.words[i : i + n]) == parts
                    and not taken.intersection(range(i, i + n))
                    and not self._crosses_sentence(i, n)
                ):
                    taken.update(range(i, i + n))
                    matches.append(Match(phrase, self.owner[i], self.owner[i + n - 1], i, n))
        return sorted(matches, key=lambda m: m.first)


def token_probabilities(text: str, words: Iterable[Mapping]) -> list[float | None]:
    """How sure the decoder was of each token of `text` (its word's probability), None where the
    timed words do not cover a token or carry no probability."""
    found = [m.group().lower() for m in TOKEN.finditer(text)]
    out: list[float | None] = [None] * len(found)
    timed = [
        (t.lower(), w.get("probability")) for w in words for t in TOKEN.findall(str(w.get("text", w.get("word", ""))))
    ]
    if not timed:
        return out
    matcher = SequenceMatcher(None, found, [t for t, _ in timed], autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            p = timed[b + k][1]
            out[a + k] = float(p) if p is not None else None
    return out
