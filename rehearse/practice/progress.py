"""Progress over time and calibration: the stored per-answer metrics, summarised. Pure functions over rows.

Works on the metric keys every transcribed answer has (answers.metrics JSON): duration, word_count,
wpm, fillers_per_minute, long_pauses, longest_pause, target_min/target_max and length_verdict.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rehearse import clock
from rehearse.measure import feedback
from rehearse.settings import Settings
from rehearse.store import Database
from rehearse.store import history as stored

KINDS = ("main", "probes", "all")
# Above these an answer counts as having a filler or pause problem (for the calibration list).
FILLER_RATE_HIGH = 4.0
LONG_PAUSES_HIGH = 2
HIGH_STARS, LOW_STARS = (4, 5), (1, 2)
MIN_GROUP = 3


@dataclass(frozen=True)
class Sample:
    answer_id: str
    question_id: str
    question_text: str
    probe_index: int
    created_at: str
    day: date
    stars: int | None
    duration: float
    word_count: int
    wpm: float
    fillers_per_minute: float
    long_pauses: int
    longest_pause: float
    target_min: float | None
    target_max: float | None
    length_verdict: str

    def value(self, key: str) -> float | None:
        return getattr(self, key)


@dataclass(frozen=True)
class Signal:
    key: str
    label: str
    unit: str
    lower_is_better: bool = True


SIGNALS = (
    Signal("wpm", "Pace", "words/min"),
    Signal("fillers_per_minute", "Filler rate", "fillers/min"),
    Signal("long_pauses", "Long pauses", "per answer"),
    Signal("longest_pause", "Longest pause", "s"),
    Signal("duration", "Answer length", "s"),
    Signal("word_count", "Words", "per answer"),
    Signal("stars", "Self-rating", "stars", lower_is_better=False),
)
SIGNAL = {s.key: s for s in SIGNALS}


@dataclass(frozen=True)
class DayPoint:
    day: date
    answers: int
    values: dict[str, float | None]


@dataclass(frozen=True)
class Trend:
    key: str
    label: str
    unit: str
    early: float | None
    recent: float | None
    verdict: str  # "better", "worse", "steady", or "" when it cannot be judged


@dataclass(frozen=True)
class StarRow:
    stars: int
    answers: int
    wpm: float | None
    fillers_per_minute: float | None
    long_pauses: float | None
    in_pace_band: float | None  # share 0..1
    on_target_length: float | None


@dataclass(frozen=True)
class Finding:
    key: str
    label: str
    verdict: str  # "overrating", "agrees", "unclear", "too-few"
    high_mean: float | None
    low_mean: float | None
    correlation: float | None
    message: str


@dataclass(frozen=True)
class Calibration:
    rows: tuple[StarRow, ...]
    findings: tuple[Finding, ...]
    # Answers rated 4-5 stars that measure poorly on two or more signals, newest first.
    overrated: tuple[tuple[Sample, tuple[str, ...]], ...]
    rated: int


def samples(db: Database, question_id: str | None = None, kind: str = "main") -> list[Sample]:
    """Every transcribed answer with metrics, oldest first; kind is main answers, probes, or all."""
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} not in {KINDS}")
    out = []
    for a in stored.measured(db, question_id, kind):
        m = a.metrics or {}
        out.append(
            Sample(
                a.id,
                a.question_id,
                a.question_text or a.question_id,
                a.probe_index,
                a.created_at,
                clock.local_day(a.created_at),
                a.stars,
                float(m.get("duration") or 0.0),
                int(m.get("word_count") or 0),
                float(m.get("wpm") or 0.0),
                float(m.get("fillers_per_minute") or 0.0),
                int(m.get("long_pauses") or 0),
                float(m.get("longest_pause") or 0.0),
                m.get("target_min"),
                m.get("target_max"),
                m.get("length_verdict") or "",
            )
        )
    return out


def mean(values: Sequence[float]) -> float:
    # statistics.mean is exact (fractions) and about 20x slower: too slow for thousands of answers.
    return sum(values) / len(values)


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(mean(present), 2) if present else None


def daily(items: Sequence[Sample]) -> list[DayPoint]:
    """Per local day: the number of answers and the mean of every signal (self-rating over rated answers only)."""
    days: dict[date, list[Sample]] = defaultdict(list)
    for s in items:
        days[s.day].append(s)
    return [
        DayPoint(day, len(group), {sig.key: _mean(s.value(sig.key) for s in group) for sig in SIGNALS})
        for day, group in sorted(days.items())
    ]


def chart_columns(points: Sequence[DayPoint], keys: Sequence[str]) -> dict[str, list]:
    """Columns for a line chart: 'day' (as datetimes, so the axis is a time axis) and one per signal."""
    data: dict[str, list] = {"day": [datetime.combine(p.day, datetime.min.time()) for p in points]}
    for key in keys:
        data[SIGNAL[key].label] = [p.values[key] for p in points]
    return data


def pace_off(s: Sample, settings: Settings) -> float:
    """Words per minute outside the pace band (0 inside it)."""
    return round(max(settings.wpm_low - s.wpm, s.wpm - settings.wpm_high, 0.0), 1)


def length_off(s: Sample) -> float | None:
    """Seconds outside the question's target length (0 inside it); None when there is no target."""
    if s.target_min is None or s.target_max is None:
        return None
    return round(max(s.target_min - s.duration, s.duration - s.target_max, 0.0), 1)


# What "measures worse" means for each signal: a number that grows as the answer gets worse.
BADNESS: dict[str, tuple[str, str, Callable[[Sample, Settings], float | None]]] = {
    "pace": ("Pace outside the band", "words/min off", pace_off),
    "fillers": ("Filler rate", "fillers/min", lambda s, _: s.fillers_per_minute),
    "pauses": ("Long pauses", "per answer", lambda s, _: float(s.long_pauses)),
    "length": ("Length off target", "s off", lambda s, _: length_off(s)),
}
_TOLERANCE = {"pace": 3.0, "fillers": 0.3, "pauses": 0.2, "length": 3.0}
_STAR_TOLERANCE = 0.2


def trend(items: Sequence[Sample], settings: Settings) -> list[Trend]:
    """Am I getting better? The first third of the answers against the last third, signal by signal.

    Pace and length are judged by their distance from the band and the target, not by their raw value.
    """
    n = len(items) // 3
    if n < 2:  # one answer against one answer says nothing
        early: list[Sample] = []
        recent: list[Sample] = []
    else:
        early, recent = list(items[:n]), list(items[-n:])
    judged = {"wpm": "pace", "fillers_per_minute": "fillers", "long_pauses": "pauses", "duration": "length"}
    out = []
    for sig in SIGNALS:
        a = _mean(s.value(sig.key) for s in early)
        b = _mean(s.value(sig.key) for s in recent)
        verdict = ""
        if a is not None and b is not None:
            if sig.key in judged:
                name = judged[sig.key]
                fn = BADNESS[name][2]
                bad_a = _mean(fn(s, settings) for s in early)
                bad_b = _mean(fn(s, settings) for s in recent)
                if bad_a is not None and bad_b is not None:
                    delta, tol = bad_b - bad_a, _TOLERANCE[name]
                    verdict = "worse" if delta > tol else "better" if delta < -tol else "steady"
            elif sig.key == "stars":
                verdict = "better" if b - a > _STAR_TOLERANCE else "worse" if a - b > _STAR_TOLERANCE else "steady"
            elif sig.key == "longest_pause":
                verdict = "worse" if b - a > 0.3 else "better" if a - b > 0.3 else "steady"
        out.append(Trend(sig.key, sig.label, sig.unit, a, b, verdict))
    return out


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Rank correlation with tied ranks averaged; None when either side does not vary."""
    if len(xs) != len(ys) or len(xs) < 3:
        return None

    def ranks(values: Sequence[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        out = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2
            i = j + 1
        return out

    rx, ry = ranks(xs), ranks(ys)
    mx, my = mean(rx), mean(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    if vx == 0 or vy == 0:
        return None
    return round(cov / (vx * vy) ** 0.5, 3)


def issues(s: Sample, settings: Settings) -> tuple[str, ...]:
    """What measures poorly in one answer, in words."""
    out = []
    if pace_off(s, settings) > 0:
        out.append(f"pace {s.wpm:.0f} words/min (band {settings.wpm_low:.0f}–{settings.wpm_high:.0f})")
    if s.fillers_per_minute > FILLER_RATE_HIGH:
        out.append(f"{s.fillers_per_minute:.1f} fillers/min")
    if s.long_pauses >= LONG_PAUSES_HIGH:
        out.append(f"{s.long_pauses} long pauses")
    off = length_off(s)
    if off:
        out.append(
            f"{s.duration:.0f} s, {s.length_verdict or 'off'} for the {s.target_min:.0f}–{s.target_max:.0f} s target"
        )
    return tuple(out)


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 2) if flags else None


def calibration(items: Sequence[Sample], settings: Settings) -> Calibration:
    """Self-rating against the measured signals: do higher-rated answers actually measure better?"""
    rated = [s for s in items if s.stars]
    rows = []
    for stars in range(1, 6):
        group = [s for s in rated if s.stars == stars]
        with_target = [s for s in group if length_off(s) is not None]
        rows.append(
            StarRow(
                stars,
                len(group),
                _mean(s.wpm for s in group),
                _mean(s.fillers_per_minute for s in group),
                _mean(s.long_pauses for s in group),
                _share([pace_off(s, settings) == 0 for s in group]),
                _share([length_off(s) == 0 for s in with_target]),
            )
        )
    findings = []
    for name, (label, unit, fn) in BADNESS.items():
        pairs = [(s.stars, fn(s, settings)) for s in rated]
        pairs = [(st, v) for st, v in pairs if v is not None]
        high = [v for st, v in pairs if st in HIGH_STARS]
        low = [v for st, v in pairs if st in LOW_STARS]
        rho = spearman([float(st) for st, _ in pairs], [v for _, v in pairs])
        hm, lm = _mean(high), _mean(low)
        if len(high) < MIN_GROUP or len(low) < MIN_GROUP:
            verdict = "too-few"
            message = (
                f"{label}: not enough rated answers to judge yet (need {MIN_GROUP} rated 4–5★ and "
                f"{MIN_GROUP} rated 1–2★; have {len(high)} and {len(low)})."
            )
        elif hm - lm > _TOLERANCE[name] and (rho is None or rho > 0):
            verdict = "overrating"
            message = (
                f"{label}: your 4–5★ answers measure worse ({hm:g} {unit}) than your 1–2★ answers "
                f"({lm:g} {unit}). You rate yourself higher on answers that measure worse here."
            )
        elif lm - hm > _TOLERANCE[name]:
            verdict = "agrees"
            message = (
                f"{label}: your ratings agree with the measurement: 4–5★ answers {hm:g} {unit}, "
                f"1–2★ answers {lm:g} {unit}."
            )
        else:
            verdict = "unclear"
            message = (
                f"{label}: no clear link between your rating and this signal "
                f"(4–5★ answers {hm:g} {unit}, 1–2★ answers {lm:g} {unit})."
            )
        findings.append(Finding(name, label, verdict, hm, lm, rho, message))
    overrated = [(s, issues(s, settings)) for s in reversed(rated) if s.stars in HIGH_STARS]
    overrated = [(s, found) for s, found in overrated if len(found) >= 2]
    return Calibration(tuple(rows), tuple(findings), tuple(overrated), len(rated))


def scatter_columns(items: Sequence[Sample], key: str, settings: Settings) -> dict[str, list]:
    """Self-rating against one measured signal (a BADNESS name), one point per rated answer."""
    label, unit, fn = BADNESS[key]
    pairs = [(s.stars, fn(s, settings)) for s in items if s.stars]
    pairs = [(st, v) for st, v in pairs if v is not None]
    return {"Self-rating (stars)": [st for st, _ in pairs], f"{label} ({unit})": [v for _, v in pairs]}


# The first-third/last-third table needs two answers in each third to compare anything.
TREND_MIN_ANSWERS = 6
# With answers on fewer days than this, a daily average is one dot and no line: show each answer.
MIN_DAYS_FOR_LINES = 2


def trend_note(answers: int) -> str:
    """Why the "Am I getting better?" table is not shown yet, or "" once it is."""
    if answers >= TREND_MIN_ANSWERS:
        return ""
    more = TREND_MIN_ANSWERS - answers
    return (
        f"With {answers} answer{'s' if answers != 1 else ''} so far there is nothing to compare yet: after "
        f"{TREND_MIN_ANSWERS} answers ({more} more) this compares your first third of answers with your last third."
    )


def span_caption(items: Sequence[Sample], today: date) -> str:
    """ "4 answers today", "4 answers on Tue 1 Dec", "12 answers from Tue 1 Dec to Fri 4 Dec"."""
    count = f"{len(items)} answer{'s' if len(items) != 1 else ''}"
    first, last = items[0].day, items[-1].day
    if first == last:
        return f"{count} today" if first == today else f"{count} on {first:%a %-d %b %Y}"
    return f"{count} from {first:%a %-d %b %Y} to {last:%a %-d %b %Y}"


def per_answer(items: Sequence[Sample]) -> bool:
    """Plot each answer as a point (True) rather than daily averages as lines: on day one, a line
    chart of one daily average draws nothing."""
    return len({s.day for s in items}) < MIN_DAYS_FOR_LINES


def answer_columns(items: Sequence[Sample], keys: Sequence[str]) -> dict[str, list]:
    """Columns for a chart with one point per answer: 'Answer' (1, 2, ... oldest first) and one per signal."""
    data: dict[str, list] = {"Answer": list(range(1, len(items) + 1))}
    for key in keys:
        data[SIGNAL[key].label] = [s.value(key) for s in items]
    return data


def _share_of_i(m: Mapping) -> float | None:
    return None if m.get("i_share") is None else round(100 * m["i_share"])


# A headline's signal (feedback.Headline.signal) as a number per take, for the per-question trend.
HEADLINE_MEASURES: dict[str, tuple[str, Callable[[Mapping], float | None]]] = {
    "length": ("Answer length (s)", lambda m: round(m.get("duration") or 0.0)),
    "ownership": ("“I” as a share of “I” and “we” (%)", _share_of_i),
    "structure": ("Time on the result (s)", lambda m: round((m.get("star_seconds") or {}).get("result", 0.0))),
    "stock": ("Stock phrases", lambda m: len(m.get("stock_phrases") or [])),
    "pace": ("Pace (words/min)", lambda m: m.get("wpm")),
    "fillers": ("Fillers per minute", lambda m: m.get("fillers_per_minute")),
    "pauses": ("Long pauses", lambda m: m.get("long_pauses")),
    "hedges": ("Hedges", lambda m: m.get("hedge_count")),
    "numbers": ("Numbers in the result", lambda m: len(m.get("result_numbers") or [])),
    "none": ("Pace (words/min)", lambda m: m.get("wpm")),
}


@dataclass(frozen=True)
class QuestionView:
    """One question's takes at a glance: the best and the latest, and how the signal named by the
    latest headline with something to fix has moved over the takes."""

    best: Any  # a store Answer
    latest: Any
    signal: str  # a HEADLINE_MEASURES key
    label: str
    points: dict[str, list]  # {"Take": [1, 2, ...], label: [value per take]}
    headline_take: int = 0  # which take's headline named the signal (1 is the oldest)


def question_view(takes: Sequence[Any]) -> QuestionView | None:
    """From a question's transcribed takes (store Answers, any order). Best: the highest rated,
    then the fewest things to fix, then the newest; None when no take has measurements."""
    measured = sorted((a for a in takes if a.metrics), key=lambda a: a.created_at)
    if not measured:
        return None

    def warnings(a: Any) -> int:
        found = feedback.card(a.metrics)
        return sum(s.tone == "warn" for s in found.delivery + found.content) + (10 if found.short else 0)

    best = max(measured, key=lambda a: (a.stars or 0, -warnings(a), a.created_at))
    latest = measured[-1]
    # The latest take's headline; when it has nothing to fix, the newest earlier one that had, so
    # the chart shows what got fixed ("9 'we' to 2 'I'" on take 1, fine on take 3).
    signal, source = "none", latest
    for take in reversed(measured):
        line = feedback.headline(take.metrics)
        if line and line.signal in HEADLINE_MEASURES and line.signal != "none":
            signal, source = line.signal, take
            break
    label, measure = HEADLINE_MEASURES[signal]
    return QuestionView(
        best,
        latest,
        signal,
        label,
        {"Take": list(range(1, len(measured) + 1)), label: [measure(a.metrics) for a in measured]},
        measured.index(source) + 1,
    )
