"""Answer measurements over a transcript and its word timings. Pure functions, no I/O.

Delivery lives here (length, pace over speaking time, long pauses and where, fillers); content
signals (ownership, hedges, stock phrases, STAR structure, numbers, names, owning a mistake) are
in content.py. `analyze()` returns both in one frozen Metrics, stored as JSON with each answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields

from rehearse.bench.accuracy import FILLED_PAUSES
from rehearse.measure import content
from rehearse.measure.tokens import TOKEN, Match, Stream, Token, counts, hits, phrase_words, tokenize
from rehearse.settings import Settings

# A silence this long next to an ambiguous word sets it off as much as a comma does.
SET_OFF_PAUSE = 0.3
# "kind of" and "sort of" after these are real words ("the kind of team"), not fillers.
_DETERMINERS = frozenset(
    "the a an this that these those what which any some every same different "
    "one other right wrong new each no whatever".split()
)
# "you know" after these is a question or a statement ("do you know", "as you know").
_YOU_KNOW_NOT_AFTER = frozenset("do did does not if whether would could can will should might as what how".split())
# ... and before these (without a comma) it has an object ("you know the answer").
_YOU_KNOW_NOT_BEFORE = frozenset(
    "that how what who where when why whether if the a an him her them it this about me us".split()
)
_NOT_AFTER = {"kind of": _DETERMINERS, "sort of": _DETERMINERS, "you know": _YOU_KNOW_NOT_AFTER}
# "like" after these is a verb or a comparison ("I'd like", "looks like", "something like").
_LIKE_NOT_AFTER = frozenset(
    "i you we they he she would feel felt feels look looks looked seem seems seemed "
    "sound sounds sounded something anything nothing much more less just really "
    "not do did does things stuff people".split()
)
# "so" before these is a conjunction or an intensifier ("so that", "so much").
_SO_NOT_BEFORE = frozenset("that much many far long well good bad to".split())
# ... and after these it stands for something ("I think so", "and so on").
_SO_NOT_AFTER = frozenset("and not think thought said hope believe guess even".split())
_SO_CLOSERS = frozenset("yeah yes anyway".split())


@dataclass(frozen=True)
class Pause:
    at: float  # seconds into the recording where the silence starts
    seconds: float
    after: str = ""  # the word before the silence
    before: str = ""  # the word after it


# kw_only: Content's fields all have defaults, so the delivery fields after them must be named.
@dataclass(frozen=True, kw_only=True)
class Metrics(content.Content):
    """Delivery measured here, plus every content signal (the fields of content.Content);
    `hits` holds the filler hits as well as the content ones, in time order."""

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
    # Delivery, continued.
    wpm_low: float = 0.0
    wpm_high: float = 0.0
    pace_verdict: str = ""  # "slow", "ok", "fast", or "" with no speech
    pause_threshold: float = 0.0
    pauses: tuple[Pause, ...] = ()  # the long ones, in order
    first_word_at: float | None = None  # silence before the first word
    fillers: dict = field(default_factory=dict)  # phrase -> count
    ambiguous_filler_count: int = 0  # "like", "so" where they act as fillers, counted apart
    ambiguous_fillers: dict = field(default_factory=dict)
    # Content: the fields of content.Content, plus these.
    category: str | None = None
    follow_up: bool = False
    hedge_count: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def count_fillers(text: str, fillers: Iterable[str]) -> int:
    return len(find_fillers(tokenize(text), fillers))


def _gap_before(toks: list[Token], i: int) -> float:
    if i == 0 or toks[i].start is None or toks[i - 1].end is None:
        return 0.0
    return toks[i].start - toks[i - 1].end


def _set_off_before(toks: list[Token], i: int) -> bool:
    return toks[i].break_before or _gap_before(toks, i) >= SET_OFF_PAUSE


def _set_off_after(toks: list[Token], i: int) -> bool:
    return toks[i].break_after or (i + 1 < len(toks) and _gap_before(toks, i + 1) >= SET_OFF_PAUSE)


def find_fillers(toks: list[Token], fillers: Iterable[str]) -> list[Match]:
    """Matches of the filler list, leaving out the uses that are real words ("the kind of team")."""
    stream = Stream(toks)
    found = []
    for m in stream.find(fillers):
        prev = stream.words[m.at - 1] if m.at else ""
        nxt = stream.words[m.at + m.size] if m.at + m.size < len(stream.words) else ""
        if prev in _NOT_AFTER.get(m.phrase, ()) and not _set_off_before(toks, m.first):
            continue
        if m.phrase == "you know" and nxt in _YOU_KNOW_NOT_BEFORE and not _set_off_after(toks, m.last):
            continue
        found.append(m)
    return found


def find_ambiguous(toks: list[Token], words: Iterable[str], fillers: Iterable[str]) -> list[Match]:
    """Ambiguous words ("like", "so") only where they act as fillers: set off by commas or pauses,
    opening the answer, closing a sentence, or right before a filled pause."""
    stream = Stream(toks)
    always = {phrase_words(f) for f in fillers}
    found = []
    for m in stream.find(w for w in words if phrase_words(w) not in always):
        prev = stream.words[m.at - 1] if m.at else ""
        nxt = stream.words[m.at + m.size] if m.at + m.size < len(stream.words) else ""
        before, after = _set_off_before(toks, m.first), _set_off_after(toks, m.last)
        if m.phrase == "like":
            filler = (before and after) or (after and prev not in _LIKE_NOT_AFTER)
        elif m.phrase == "so":
            closes = m.last + 1 == len(toks) or toks[m.last + 1].sentence_start or nxt in _SO_CLOSERS
            bound = nxt in _SO_NOT_BEFORE and not toks[m.last].break_after  # "so that", not "so. That"
            filler = (m.at == 0 or closes or after) and not bound and prev not in _SO_NOT_AFTER
        else:
            filler = before and after
        if filler or nxt in FILLED_PAUSES:
            found.append(m)
    return found


def _timed(words: Iterable[Mapping]) -> list[tuple[float, float, str]]:
    return sorted(
        ((float(w["start"]), float(w["end"]), " ".join(TOKEN.findall(str(w.get("text", ""))))) for w in words),
        key=lambda w: w[0],
    )


def long_pauses(timed: list[tuple[float, float, str]], threshold: float) -> tuple[list[float], list[Pause]]:
    """Every gap between words, and the long ones with where they are. Overlapping word times
    (the decoder's timings can overlap) make no gap: the silence starts after the latest end so far."""
    gaps: list[float] = []
    pauses: list[Pause] = []
    latest = timed[0] if timed else None
    for word in timed[1:]:
        gap = max(0.0, word[0] - latest[1])
        gaps.append(gap)
        if gap >= threshold:
            pauses.append(Pause(round(latest[1], 2), round(gap, 2), latest[2], word[2]))
        if word[1] >= latest[1]:
            latest = word
    return gaps, pauses


def analyze(
    text: str,
    words: Iterable[Mapping],
    duration: float,
    settings: Settings,
    target: tuple[float, float] | None = None,
    category: str | None = None,
    follow_up: bool = False,
) -> Metrics:
    """Everything measured about one answer. `words` are the decoder's word timings (start, end,
    text); `category` is the question's (the failure check needs it); `follow_up` marks an answer
    to a probe, which is not expected to be a whole story."""
    words = list(words)
    timed = _timed(words)
    speaking = max(0.0, max(w[1] for w in timed) - timed[0][0]) if timed else 0.0
    toks = tokenize(text, words)
    count = len(toks)
    gaps, pauses = long_pauses(timed, settings.long_pause_seconds)
    fillers = find_fillers(toks, settings.fillers)
    ambiguous = find_ambiguous(toks, settings.ambiguous_fillers, settings.fillers)
    minutes = speaking / 60
    wpm = round(count / minutes, 1) if minutes > 0 else 0.0
    verdict = ""
    if target:
        verdict = "short" if duration < target[0] else "long" if duration > target[1] else "ok"
    pace = "" if not wpm else "slow" if wpm < settings.wpm_low else "fast" if wpm > settings.wpm_high else "ok"
    found = content.analyze(toks, settings, category=category, skip=[*fillers, *ambiguous])
    fired = [*hits("filler", fillers, toks), *hits("ambiguous", ambiguous, toks), *found.hits]
    return Metrics(
        duration=round(duration, 2),
        speaking_seconds=round(speaking, 2),
        word_count=count,
        wpm=wpm,
        filler_count=len(fillers),
        fillers_per_minute=round(len(fillers) / minutes, 2) if minutes > 0 else 0.0,
        long_pauses=len(pauses),
        longest_pause=round(max(gaps, default=0.0), 2),
        target_min=target[0] if target else None,
        target_max=target[1] if target else None,
        length_verdict=verdict,
        wpm_low=settings.wpm_low,
        wpm_high=settings.wpm_high,
        pace_verdict=pace,
        pause_threshold=settings.long_pause_seconds,
        pauses=tuple(pauses),
        first_word_at=round(timed[0][0], 2) if timed else None,
        fillers=counts(fillers),
        ambiguous_filler_count=len(ambiguous),
        ambiguous_fillers=counts(ambiguous),
        category=category,
        follow_up=follow_up,
        **{f.name: getattr(found, f.name) for f in fields(content.Content) if f.name != "hits"},
        hedge_count=sum(found.hedges.values()),
        hits=tuple(sorted(fired, key=lambda h: (h.start, -h.end))),
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
    return (
        f"Low confidence ({value:.0%} on average per word): this transcript may be wrong. "
        "Background noise or a distant microphone does this; record again somewhere quieter."
    )
