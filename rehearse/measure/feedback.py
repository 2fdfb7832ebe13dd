"""The feedback panel's words: stored metrics (a dict, as saved with each answer) turned into short
signals with one plain reason each, and the transcript cut into highlighted pieces.

Pure functions over the stored dict, so answers measured by an older version (fewer keys) still
show what they have, and the wording can improve without re-measuring anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rehearse import clock

# Questions whose answer should be a story with a situation, actions and a result.
STORY_CATEGORIES = frozenset({"behavioral", "competency", "failure", "values"})
# Highlighted in the transcript, by kind of hit; the first listed wins where two overlap.
HIGHLIGHT = {"stock": "stock phrase", "hedge": "hedge", "filler": "filler", "ambiguous": "filler (like/so)"}
FILLER_NOTE = "Filler counts are a lower bound: the transcriber drops some “um” and “uh”, so you probably said more."


@dataclass(frozen=True)
class Signal:
    name: str
    value: str
    tone: str  # "good", "warn" or "info"
    why: str


def pace(wpm: float) -> int:
    """Words a minute as people say it: to the nearest 5."""
    return int(5 * round(wpm / 5))


def seconds(value: float) -> str:
    """Whole seconds ("42 s"), minutes and seconds from two minutes up ("2:10")."""
    value = int(value + 0.5)  # half up: a 2.5 s pause is "3 s", not Python's banker's "2 s"
    return f"{value} s" if value < 120 else clock.minutes_seconds(value)


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


_LOWER_I = re.compile(r"\bi\b(?=$|[\s'’])")


def _quoted(items: Iterable[str]) -> str:
    """Phrases from the matcher (lowercase) quoted as a person writes them: “nothing I could do”."""
    return ", ".join(f"“{_LOWER_I.sub('I', i)}”" for i in items)


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _tally(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k} ×{v}" if v > 1 else k for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def delivery(m: Mapping) -> list[Signal]:
    out = []
    duration = m.get("duration") or 0.0
    speaking = m.get("speaking_seconds") or 0.0
    spoke = f"{seconds(duration)}, {seconds(speaking)} of it speaking"
    if m.get("length_verdict"):
        target = f"target {m['target_min']:.0f}–{m['target_max']:.0f} s"
        verdict = {"short": "short", "long": "long", "ok": "on target"}[m["length_verdict"]]
        out.append(
            Signal(
                "Length",
                f"{verdict}, {spoke} ({target})",
                "good" if m["length_verdict"] == "ok" else "warn",
                "Too short usually leaves out what you did or how it ended; too long loses the listener.",
            )
        )
    else:
        out.append(
            Signal("Length", spoke, "info", "Follow-ups want short, direct answers; stories want a minute or two.")
        )
    if m.get("wpm"):
        low, high = m.get("wpm_low") or 130, m.get("wpm_high") or 160
        verdict = m.get("pace_verdict") or ("slow" if m["wpm"] < low else "fast" if m["wpm"] > high else "ok")
        out.append(
            Signal(
                "Pace",
                f"about {pace(m['wpm'])} words a minute while speaking (aim for {low:.0f}–{high:.0f})",
                "good" if verdict == "ok" else "warn",
                "Too fast sounds nervous and is hard to follow; too slow sounds unsure.",
            )
        )
    threshold = m.get("pause_threshold") or 2.0
    pauses = m.get("pauses") or []
    count = m.get("long_pauses") or 0
    if count:
        where = (
            "; ".join(
                f"{seconds(p['seconds'])} at {clock.minutes_seconds(p['at'])}"
                + (f" after “{p['after']}”" if p.get("after") else "")
                for p in pauses[:3]
            )
            or f"longest {seconds(m.get('longest_pause') or 0)}"
        )
        more = f" and {count - 3} more" if count > 3 else ""
        out.append(
            Signal(
                "Long pauses",
                f"{count} of {threshold:g} s or more: {where}{more}",
                "warn" if count > 2 or (m.get("longest_pause") or 0) >= 2 * threshold else "info",
                "A short pause before a key point helps; long silences mid-story sound like a lost thread.",
            )
        )
    else:
        out.append(
            Signal(
                "Long pauses",
                f"none of {threshold:g} s or more",
                "good",
                "A short pause before a key point helps; long silences mid-story sound like a lost thread.",
            )
        )
    fillers = m.get("filler_count") or 0
    per_minute = m.get("fillers_per_minute") or 0.0
    detail = f": {_tally(m['fillers'])}" if m.get("fillers") else ""
    out.append(
        Signal(
            "Fillers",
            f"{plural(fillers, 'filler')} heard ({per_minute:.1f} a minute){detail}" if fillers else "none heard",
            "good" if per_minute <= 3 else "warn",
            "A few are normal; many make you sound unsure and bury the content.",
        )
    )
    if m.get("ambiguous_filler_count"):
        out.append(
            Signal(
                "Like / so as fillers",
                _tally(m["ambiguous_fillers"]),
                "info",
                "Counted apart: these words are often real words, so only the filler-like uses are counted.",
            )
        )
    return out


def content(m: Mapping) -> list[Signal]:
    out = []
    if "i_count" not in m:
        return out  # measured before content signals existed
    category, follow_up = m.get("category"), m.get("follow_up", False)
    story = category in STORY_CATEGORIES and not follow_up
    if m.get("i_share") is not None:
        mostly_we = m["i_share"] < 0.5 and m["we_count"] >= 3
        out.append(
            Signal(
                "I and we",
                f"“I” {_times(m['i_count'])}, “we” {_times(m['we_count'])} ({m['i_share']:.0%} I)",
                "warn" if mostly_we else "good",
                "They are hiring you, not your team: say what you did yourself.",
            )
        )
    hedges = m.get("hedge_count") or 0
    out.append(
        Signal(
            "Hedges",
            _tally(m.get("hedges") or {}) if hedges else "none",
            "warn" if hedges >= 3 else "info" if hedges else "good",
            "Hedging undercuts things you know; keep it for real uncertainty.",
        )
    )
    if m.get("stock_phrases"):
        out.append(
            Signal(
                "Stock phrases",
                _quoted(dict.fromkeys(m["stock_phrases"])),
                "warn",
                "Lines every candidate says sound rehearsed and get discounted; give a real example instead.",
            )
        )
    if m.get("star_seconds") and not follow_up and (story or category is None):
        out.append(_structure(m, story))
        results = m.get("result_numbers") or []
        if results:
            out.append(
                Signal(
                    "Numbers in the result", _quoted(results), "good", "A number makes a result concrete and checkable."
                )
            )
        elif story:
            said = f" (numbers elsewhere: {_quoted(m['numbers'][:4])})" if m.get("numbers") else ""
            out.append(
                Signal(
                    "Numbers in the result", "none" + said, "warn", "A number makes a result concrete and checkable."
                )
            )
        specifics = [*(m.get("names") or []), *(m.get("roles") or [])]
        out.append(
            Signal(
                "People and places",
                "; ".join(
                    filter(
                        None,
                        [
                            f"names {', '.join(m['names'])}" if m.get("names") else "",
                            f"roles {', '.join(m['roles'])}" if m.get("roles") else "",
                        ],
                    )
                )
                or "none named",
                "good" if specifics else "warn" if story else "info",
                "Names, roles and places make a story credible, and easier to defend under follow-up.",
            )
        )
    if category == "failure" and m.get("owns_mistake") is not None:
        if m["owns_mistake"]:
            value, tone = f"yes: {_quoted(m['admissions'][:4])}", "good"
        else:
            value, tone = "no sentence says what you got wrong", "warn"
        if m.get("blame"):
            value += f"; puts it on others: {_quoted(m['blame'])}"
            tone = "warn"
        out.append(
            Signal(
                "Owns the mistake",
                value,
                tone,
                "For a failure question they listen for what you got wrong and what you changed, not whose fault it was.",
            )
        )
    return out


# An opening this long before the first cue is taken as the scene being set: most real answers
# start with where and when ("At Ledgerly I owned the tax service ...") without a cue phrase.
SCENE_SECONDS = 2.0


def story_parts(m: Mapping) -> dict[str, str]:
    """For situation, action and result: "heard" (a cue phrase opened it), "scene" (situation only:
    the answer opened with context before any other cue) or "unsure" (no cue: it may be there in
    words the cue lists do not know, so the panel says it could not tell rather than "missing")."""
    seconds_ = m.get("star_seconds") or {}
    out = {}
    for part in ("situation", "action", "result"):
        out[part] = "heard" if seconds_.get(part, 0) > 0 else "unsure"
    if out["situation"] == "unsure" and seconds_.get("opening", 0) >= SCENE_SECONDS:
        out["situation"] = "scene"
    return out


def stops_before_result(m: Mapping) -> str:
    """The part a story ends on when it clearly stops short of a result ("action" or "situation"),
    else "": only when some parts were heard, none of them a result or a reflection."""
    ends = m.get("star_ends_on") or ""
    if ends not in ("action", "situation", "task"):
        return ""
    sequence = [s.get("part") for s in m.get("star_sequence") or []]
    if not sequence:
        seconds_ = m.get("star_seconds") or {}
        return "" if any(seconds_.get(p, 0) for p in ("result", "reflection")) else ends
    # A "result" cue before the first action ("sales had dropped") is part of the scene, not an ending.
    first_action = sequence.index("action") if "action" in sequence else 0
    return "" if any(p in ("result", "reflection") for p in sequence[first_action:]) else ends


def _structure(m: Mapping, story: bool) -> Signal:
    seconds_ = m["star_seconds"]
    parts = ("situation", "task", "action", "result", "reflection")
    heard = story_parts(m)
    pieces = []
    for p in parts:
        if seconds_.get(p, 0) >= 0.5:
            pieces.append(f"{p} {seconds(seconds_[p])}")
        elif p == "situation" and heard[p] == "scene":
            pieces.append(f"scene-setting {seconds(seconds_['opening'])}")
    why = "A strong story spends most of its time on what you did, and ends on the result and what you learned."
    if not pieces:
        return Signal(
            "Story structure",
            "could not tell the parts apart: no words that usually open a situation, an action or a result",
            "info",
            why + " Phrases like “what I did was” or “as a result” make the parts easy to follow.",
        )
    value = " · ".join(pieces)
    ends = m.get("star_ends_on") or ""
    if ends and ends != "opening":
        value += f"; ends on the {ends}"
    unsure = [p for p in ("action", "result") if heard[p] == "unsure"]
    stops = stops_before_result(m)
    if stops:
        value += f"; the story stops at the {stops}, with no result heard"
    elif unsure:
        value += f"; could not tell where the {' or the '.join(unsure)} is"
    labelled = {p: seconds_.get(p, 0.0) for p in parts}
    action_leads = labelled["action"] > 0 and labelled["action"] == max(labelled.values())
    good = not unsure and not stops and action_leads and ends in ("result", "reflection")
    return Signal("Story structure", value, "good" if good else "warn" if story and stops else "info", why)


def summary_line(m: Mapping | None) -> str:
    """The measurements in one line ("about 145 words/min · 2 fillers · ..."), for a title or a report."""
    if not m:
        return ""
    fillers = m.get("filler_count") or 0
    parts = [f"about {pace(m.get('wpm') or 0)} words/min", plural(fillers, "filler") if fillers else "no fillers heard"]
    if m.get("long_pauses"):
        parts.append(f"{plural(m['long_pauses'], 'long pause')}, longest {seconds(m.get('longest_pause') or 0)}")
    verdict = m.get("length_verdict")
    if verdict:
        target = f"{m['target_min']:.0f}–{m['target_max']:.0f} s"
        parts.append({"ok": f"on target ({target})"}.get(verdict, f"{verdict} for the {target} target"))
    return " · ".join(parts)


# Fewer words than this is "a few words": too little to judge hedges, fillers or pauses.
SHORT_WORDS = 20
SHORT_WORDS_FOLLOW_UP = 6


def too_short(m: Mapping) -> bool:
    """A very short answer, where any other signal would be a green tick it had no time to earn."""
    words = m.get("word_count")
    if words is None:
        return False
    return words < (SHORT_WORDS_FOLLOW_UP if m.get("follow_up") else SHORT_WORDS)


@dataclass(frozen=True)
class Headline:
    """The one thing to fix first in an answer (or that nothing stands out), for the top of its card."""

    title: str
    detail: str
    tone: str  # "warn" when there is something to fix, "good" when nothing stands out
    signal: str  # which measurement chose it ("length", "ownership", ...), for trends and tests


def headline(m: Mapping | None) -> Headline | None:
    """The single most useful thing to fix, chosen from the stored measurements in a fixed order:
    too short to judge, what a story needs (ownership, a result, owning a mistake), then delivery."""
    if not m:
        return None
    category, follow_up = m.get("category"), bool(m.get("follow_up"))
    story = category in STORY_CATEGORIES and not follow_up
    duration = m.get("duration") or 0.0
    target = (
        f" (aim for {m['target_min']:.0f}–{m['target_max']:.0f} s)"
        if m.get("target_min") is not None and m.get("target_max") is not None
        else ""
    )
    if too_short(m):
        words = m.get("word_count") or 0
        return Headline(
            "Say more: this answer is too short to judge",
            f"{plural(words, 'word')} in {seconds(duration)}{target}. Give the whole answer, so there is "
            "something to measure.",
            "warn",
            "length",
        )
    low, high = m.get("wpm_low") or 130, m.get("wpm_high") or 160
    wpm = m.get("wpm") or 0.0
    fillers_rate = m.get("fillers_per_minute") or 0.0
    i_count, we_count = m.get("i_count") or 0, m.get("we_count") or 0
    checks: list[tuple[bool, Headline]] = [
        (
            category == "failure" and m.get("owns_mistake") is False,
            Headline(
                "Own the mistake: say what you got wrong",
                "No sentence says what you did wrong"
                + (f", and it puts the blame elsewhere: {_quoted(m['blame'][:2])}" if m.get("blame") else "")
                + ". They listen for what you got wrong and what you changed.",
                "warn",
                "ownership",
            ),
        ),
        (
            story and m.get("i_share") is not None and m["i_share"] < 0.5 and we_count >= 3,
            Headline(
                f"Say what you did: {we_count} “we” to {i_count} “I”",
                "They are hiring you, not your team: tell them which part was yours.",
                "warn",
                "ownership",
            ),
        ),
        (
            story and bool(stops_before_result(m)),
            Headline(
                f"End on the result: the story stops at the {stops_before_result(m)}",
                "Say how it ended, with a number if you have one, and what you learned.",
                "warn",
                "structure",
            ),
        ),
        (
            m.get("length_verdict") == "short",
            Headline(
                f"Say more: {seconds(duration)} is short{target}",
                "Short answers usually leave out what you did or how it ended.",
                "warn",
                "length",
            ),
        ),
        (
            bool(m.get("stock_phrases")),
            Headline(
                "Swap the stock line for an example",
                f"{_quoted(dict.fromkeys((m.get('stock_phrases') or [])[:2]))} sounds rehearsed; a real example "
                "says the same and is believed.",
                "warn",
                "stock",
            ),
        ),
        (
            bool(wpm) and wpm > high + 10,
            Headline(
                f"Slow down: about {pace(wpm)} words a minute",
                f"Aim for {low:.0f}–{high:.0f}; a breath between points helps the listener keep up.",
                "warn",
                "pace",
            ),
        ),
        (
            bool(wpm) and wpm < low - 10,
            Headline(
                f"Pick up the pace: about {pace(wpm)} words a minute",
                f"Aim for {low:.0f}–{high:.0f}; slow speech sounds unsure.",
                "warn",
                "pace",
            ),
        ),
        (
            fillers_rate > 4,
            Headline(
                f"Cut the fillers: {fillers_rate:.1f} a minute",
                (f"Most often: {_tally(m['fillers'])}. " if m.get("fillers") else "")
                + "A short silence sounds more sure than “um”.",
                "warn",
                "fillers",
            ),
        ),
        (
            (m.get("long_pauses") or 0) > 2,
            Headline(
                f"Keep the thread: {plural(m.get('long_pauses') or 0, 'long pause')}",
                f"The longest was {seconds(m.get('longest_pause') or 0)}. Know your next point before you start one.",
                "warn",
                "pauses",
            ),
        ),
        (
            m.get("length_verdict") == "long",
            Headline(
                f"Tighten it: {seconds(duration)} is long{target}",
                "Cut the background to a sentence or two and get to what you did sooner.",
                "warn",
                "length",
            ),
        ),
        (
            (m.get("hedge_count") or 0) >= 3,
            Headline(
                f"Say it with conviction: {plural(m.get('hedge_count') or 0, 'hedge')}",
                f"{_tally(m.get('hedges') or {})}: keep hedging for real uncertainty.",
                "warn",
                "hedges",
            ),
        ),
        (
            story and bool(m.get("star_seconds")) and not m.get("result_numbers"),
            Headline(
                "Put a number on the result",
                "How much, how many, how fast: a number makes the result concrete and checkable.",
                "warn",
                "numbers",
            ),
        ),
    ]
    for fires, line in checks:
        if fires:
            return line
    return Headline(
        "Nothing stands out to fix",
        "Pace, fillers, pauses and length are all in range"
        + ("; the story has an action and a result." if story else "."),
        "good",
        "none",
    )


@dataclass(frozen=True)
class Card:
    """What an answer card shows: the headline, then the signals under it (only the length for a
    very short answer: green ticks for hedges or pauses it had no time to show would mislead)."""

    headline: Headline | None
    delivery: tuple[Signal, ...]
    content: tuple[Signal, ...]
    short: bool


def card(m: Mapping | None) -> Card:
    if not m:
        return Card(None, (), (), False)
    short = too_short(m)
    found = delivery(m)
    if short:
        return Card(headline(m), tuple(s for s in found if s.name == "Length"), (), True)
    return Card(headline(m), tuple(found), tuple(content(m)), False)


def text_lines(m: Mapping) -> list[str]:
    """The signals as plain lines ("Pace: 142 words a minute ..."), for a terminal."""
    return [f"{s.name}: {s.value}" + (" (!)" if s.tone == "warn" else "") for s in delivery(m) + content(m)]


def segments(text: str, hits: Iterable[Mapping]) -> list[tuple[str, str | None]]:
    """The transcript as (piece, highlight label or None), highlights never overlapping."""
    rank = {kind: i for i, kind in enumerate(HIGHLIGHT)}
    chosen: list[Mapping] = []
    for h in sorted((h for h in hits if h.get("kind") in HIGHLIGHT), key=lambda h: (rank[h["kind"]], h["start"])):
        if 0 <= h["start"] < h["end"] <= len(text) and all(
            h["end"] <= c["start"] or h["start"] >= c["end"] for c in chosen
        ):
            chosen.append(h)
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for h in sorted(chosen, key=lambda h: h["start"]):
        if h["start"] > at:
            pieces.append((text[at : h["start"]], None))
        pieces.append((text[h["start"] : h["end"]], HIGHLIGHT[h["kind"]]))
        at = h["end"]
    if at < len(text):
        pieces.append((text[at:], None))
    return pieces
