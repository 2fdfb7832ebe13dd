"""The feedback panel's words: stored metrics (a dict, as saved with each answer) turned into short
signals with one plain reason each, and the transcript cut into highlighted pieces.

Pure functions over the stored dict, so answers measured by an older version (fewer keys) still
show what they have, and the wording can improve without re-measuring anything.
"""

from __future__ import annotations

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


def _quoted(items: Iterable[str]) -> str:
    return ", ".join(f"“{i}”" for i in items)


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _tally(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k} ×{v}" if v > 1 else k for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def delivery(m: Mapping) -> list[Signal]:
    out = []
    duration = m.get("duration") or 0.0
    speaking = m.get("speaking_seconds") or 0.0
    spoke = f"{duration:.0f} s, {speaking:.0f} s of it speaking"
    if m.get("length_verdict"):
        target = f"target {m['target_min']:.0f}–{m['target_max']:.0f} s"
        verdict = {"short": "short", "long": "long", "ok": "on target"}[m["length_verdict"]]
        out.append(
            Signal(
                "Length",
                f"{verdict}: {spoke} ({target})",
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
        pace = m.get("pace_verdict") or ("slow" if m["wpm"] < low else "fast" if m["wpm"] > high else "ok")
        out.append(
            Signal(
                "Pace",
                f"{m['wpm']:.0f} words a minute while speaking (aim for {low:.0f}–{high:.0f})",
                "good" if pace == "ok" else "warn",
                "Too fast sounds nervous and is hard to follow; too slow sounds unsure.",
            )
        )
    threshold = m.get("pause_threshold") or 2.0
    pauses = m.get("pauses") or []
    count = m.get("long_pauses") or 0
    if count:
        where = (
            "; ".join(
                f"{p['seconds']:.1f} s at {clock.minutes_seconds(p['at'])}"
                + (f" after “{p['after']}”" if p.get("after") else "")
                for p in pauses[:3]
            )
            or f"longest {m.get('longest_pause', 0):.1f} s"
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
            f"at least {fillers} ({per_minute:.1f} a minute){detail}",
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


def _structure(m: Mapping, story: bool) -> Signal:
    seconds = m["star_seconds"]
    parts = ("situation", "task", "action", "result", "reflection")
    value = " · ".join(f"{p} {seconds.get(p, 0):.0f} s" for p in parts)
    if seconds.get("opening", 0) >= 1:
        value += f" (before any cue {seconds['opening']:.0f} s)"
    ends = m.get("star_ends_on") or ""
    value += f"; ends on {ends}" if ends else ""
    labelled = {p: seconds.get(p, 0.0) for p in parts}
    missing = [p for p in ("situation", "action", "result") if not labelled[p]]
    action_leads = labelled["action"] > 0 and labelled["action"] == max(labelled.values())
    good = not missing and action_leads and ends in ("result", "reflection")
    if missing:
        value += f"; no {', no '.join(missing)} heard"
    return Signal(
        "Story structure",
        value,
        "good" if good else "warn" if story else "info",
        "A strong story spends most of its time on what you did, and ends on the result and what you learned.",
    )


def summary_line(m: Mapping | None) -> str:
    """The measurements in one line ("142 words/min · at least 2 filler(s) · ..."), for a title or a report."""
    if not m:
        return ""
    parts = [f"{m['wpm']:.0f} words/min", f"at least {m['filler_count']} filler(s)"]
    if m.get("long_pauses"):
        parts.append(f"{m['long_pauses']} long pause(s), longest {m['longest_pause']:.1f} s")
    verdict = m.get("length_verdict")
    if verdict:
        parts.append(f"length {verdict} for the {m['target_min']:.0f}–{m['target_max']:.0f} s target")
    return " · ".join(parts)


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
