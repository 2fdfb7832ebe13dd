"""Follow-ups that listen: from one answer's transcript (and its word timings), the question and
the user's earlier takes, a ranked list of probes that pick up what the answer actually said.

Each probe quotes its evidence: the exact words of the transcript it picks up (empty for a
structural gap such as a story with no outcome) and where they start in the recording. The
detection is the content measures' (measure/content.py: names, roles, numbers, hedges, stock
phrases, admissions, blame, STAR parts), widened by measure/content.py's listening additions;
this module only decides what a sharp interviewer asks first and how to say it.

Pure functions, no I/O: the CLI, the bench and the drill run call `propose`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from rehearse.bench.accuracy import filled_pause
from rehearse.library import bank
from rehearse.library.bank import Question, Step
from rehearse.measure import content, mentions
from rehearse.measure.tokens import Stream, Token, token_probabilities, tokenize
from rehearse.settings import Settings

KINDS = (
    "off_question",
    "too_short",
    "blame",
    "no_ownership",
    "no_result",
    "memory",
    "person",
    "role",
    "vague_we",
    "number",
    "duration",
    "hedge",
    "stock_phrase",
    "no_reflection",
)
TONES = bank.TONES
# A word the model gave less than this is not quoted back: asking about a name it misheard
# tells the user the interviewer was not listening.
UNSURE = 0.5
# Generated probes take step indices from here, so a curated probe keeps its own index.
FIRST_GENERATED_INDEX = 101
# Categories whose questions want a story: situation, what you did, how it ended.
STORY_CATEGORIES = frozenset({"behavioral", "failure", "competency", "values"})
# Each further probe of a kind already asked ranks this much lower: a panel asks about one
# number, then moves on to something else before coming back for a second.
REPEAT_PENALTY = {"blame": 20.0, "hedge": 12.0, "stock_phrase": 4.0}


@dataclass(frozen=True)
class Probe:
    kind: str  # one of KINDS
    text: str  # the follow-up as spoken
    evidence: str  # the answer's words it picks up, exactly as transcribed; "" for a gap
    start: float | None  # seconds into the recording where the evidence starts; None without timings
    why: str  # one line for the user: what the probe picked up

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, "evidence": self.evidence, "start": self.start, "why": self.why}


@dataclass(frozen=True)
class Take:
    """An earlier answer to the same question, as the memory probe needs it."""

    text: str
    words: tuple[dict, ...] = ()
    when: datetime | None = None


@dataclass(frozen=True)
class Fact:
    kind: str  # name, organisation, role, number, duration
    key: str  # what makes two facts the same thing: the name, the role, a number's unit or noun
    value: str  # the normalised value ("3", "30 percent")
    said: str  # as said in that take
    start: float | None = None


@dataclass(frozen=True)
class _Candidate:
    kind: str
    score: float
    span: tuple[int, int] | None  # characters of the transcript; None for a gap
    text: str
    why: str
    core: tuple[int, int] | None = None  # a shorter span to fall back on when the span is taken
    evidence: str | None = None  # when not the span's words (a memory probe quotes two takes)


# --------------------------------------------------------------------------- answer reading


@dataclass(frozen=True)
class _Answer:
    text: str
    toks: list[Token]
    stream: Stream
    probs: list[float | None]
    found: content.Content
    question: Question | None
    category: str | None
    duration: float | None

    def span_text(self, span: tuple[int, int]) -> str:
        return self.text[span[0] : span[1]]

    def tok_span(self, first: int, last: int) -> tuple[int, int]:
        return (self.toks[first].start_char, self.toks[last].end_char)

    def start_of(self, span: tuple[int, int] | None) -> float | None:
        if span is None:
            return None
        for t in self.toks:
            if t.end_char > span[0]:
                return round(t.start, 2) if t.start is not None else None
        return None

    def sure(self, span: tuple[int, int]) -> bool:
        return all(
            p is None or p >= UNSURE
            for t, p in zip(self.toks, self.probs)
            if t.start_char < span[1] and t.end_char > span[0]
        )

    def word_count(self) -> int:
        return sum(1 for t in self.toks if not filled_pause(t.lower))


def _read(text: str, words: Sequence[Mapping], question: Question | None, settings: Settings) -> _Answer:
    words = [dict(w, text=w.get("text", w.get("word", ""))) for w in words]
    toks = tokenize(text, words)
    category = question.category if question else None
    found = content.analyze(toks, settings, category=category)
    duration = max((float(w["end"]) for w in words), default=None) if words else None
    return _Answer(text, toks, Stream(toks), token_probabilities(text, words), found, question, category, duration)


# --------------------------------------------------------------------------- phrasing


_SECOND_PERSON = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "we": "you",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "i'm": "you're",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "we're": "you're",
    "we've": "you've",
    "we'd": "you'd",
    "am": "are",
}


def second_person(words: str) -> str:
    """The speaker's words turned to the listener: "my manager" -> "your manager"."""

    def swap(m: re.Match) -> str:
        w = m.group()
        return _SECOND_PERSON.get(w.lower().replace("’", "'"), w)

    return re.sub(r"[A-Za-z]+(?:['’][a-z]+)?", swap, words)


def spoken(words: str) -> str:
    """Evidence as quoted aloud: without the filled pauses and the commas they leave behind."""
    kept = [w for w in re.split(r"(\s+)", words) if not filled_pause(w.strip(",.;:!?").lower())]
    out = "".join(kept)
    out = re.sub(r"\s*,(\s*,)+", ",", out)
    out = re.sub(r"\s{2,}", " ", out).strip(" ,;:")
    out = re.sub(r"^(and|so|but|well|then)\s+", "", out, flags=re.I)  # "And I'm better at it" -> "I'm better at it"
    return out.rstrip(".!?")


def _midsentence(words: str) -> str:
    """A quote put inside a sentence: "For four months" -> "for four months" (names keep capitals)."""
    first, _, rest = words.partition(" ")
    return f"{first.lower()} {rest}".strip() if first.lower() in mentions.FUNCTION_WORDS else words


def _quote(words: str) -> str:
    return f"'{spoken(words)}'"


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]


_TEMPLATES: dict[str, dict[str, str]] = {
    "plain": {
        "person": "You mentioned {name}. What did {name} say when you {talked}?",
        "person_again": "And {name}: what part did {name} play?",
        "role": "You mentioned {role}. What did they say, and what did you do about it?",
        "vague_we": "You said {quote}. What did you do yourself?",
        "number": "You said {figure}. How did you measure that, and against what?",
        "range": "You said {figure}. How was that measured, and what else changed at the same time?",
        "duration": "What had to be true to do it {quoted}?",
        "duration_said": "You said {bare}. What had to be true to do it in that time?",
        "duration_for": "You said {quoted}. What was going on in that time, and when did you notice?",
        "no_result": "How did it end? What was the outcome?",
        "no_reflection": "Looking back, what would you do differently now?",
        "no_ownership": "What part of this was your fault?",
        "blame": "You said {quote}. What could you have done differently?",
        "hedge": "You said {quote}. Do you know, or is that a guess?",
        "stock_phrase": "You said {quote}. Give me a time that actually cost you something.",
        "off_question": "Let me ask again: {question}",
        "too_short": "Take me through what actually happened, step by step.",
        "memory_changed": "{when} you said {before}; today you said {now}. Which was it?",
        "memory_dropped": "{when} you mentioned {before}. What did {before} do?",
        "memory_dropped_figure": "{when} you said {before}. Is that still right?",
    },
    "blunt": {
        "person": "Who is {name}, and what exactly did {name} say to you?",
        "person_again": "And {name}? What did {name} actually do?",
        "role": "You mentioned {role}. What exactly did they push back on?",
        "vague_we": "You keep saying {quote}. What did you personally do?",
        "number": "{Figure}. Measured how, against what baseline?",
        "range": "{Figure}. Who measured that, and how do you know it was your work?",
        "duration": "{Bare}? What made that possible, and what did you cut to get there?",
        "duration_said": "{Bare}? What made that possible, and what did you cut to get there?",
        "duration_for": "{Quoted}. What exactly was happening all that time?",
        "no_result": "You haven't told me how it ended. What was the result?",
        "no_reflection": "What would you do differently? Be specific.",
        "no_ownership": "So what was your fault in this?",
        "blame": "You said {quote}. Fine. What could you have done?",
        "hedge": "You said {quote}. Do you know, or are you guessing?",
        "stock_phrase": "Everyone says {quote}. Show me one time it cost you something.",
        "off_question": "That's not what I asked. {question}",
        "too_short": "That's very short. What actually happened?",
        "memory_changed": "{when} you said {before}. Today it's {now}. Which is it?",
        "memory_dropped": "{when} you mentioned {before}. Where did {before} go? What did {before} do?",
        "memory_dropped_figure": "{when} you said {before}. Why didn't you say it today?",
    },
}

_WHY = {
    "person": "picks up the name {ev}",
    "role": "picks up {ev}: who pushed back",
    "vague_we": "picks up {ev}: a group claim that hides what you did",
    "number": "picks up the figure {ev}",
    "duration": "picks up the time claim {ev}",
    "no_result": "the story never says how it ended",
    "no_reflection": "the story has no lesson or what you would change",
    "no_ownership": "a failure story where you own none of the mistake",
    "blame": "picks up {ev}: the failure put on others or on luck",
    "hedge": "picks up {ev}: a hedge that undercuts the claim",
    "stock_phrase": "picks up {ev}: a stock phrase with no story behind it",
    "off_question": "the answer does not address the question",
    "too_short": "a sentence or two where a story is needed",
    "memory": "compares with your earlier take: {ev}",
}


def _say(tone: str, key: str, **values: str) -> str:
    template = _TEMPLATES.get(tone, _TEMPLATES["plain"])[key]
    if "figure" in values:
        values["Figure"] = _capital(values["figure"])
    for key in ("quoted", "bare"):
        if key in values:
            values[key.title()] = _capital(values[key])
    return template.format(**values)


def _why(kind: str, evidence: str = "") -> str:
    if kind == "memory":
        return _WHY[kind].format(ev=evidence)
    return _WHY[kind].format(ev=f"'{spoken(evidence)}'" if evidence else "")


# --------------------------------------------------------------------------- detectors


def _clause_bounds(a: _Answer, i: int) -> tuple[int, int]:
    first = i
    while first > 0 and not a.toks[first].break_before:
        first -= 1
    last = i
    while last + 1 < len(a.toks) and not a.toks[last].break_after:
        last += 1
    return first, last


def _persons(a: _Answer, tone: str) -> list[_Candidate]:
    out = []
    failure = a.category == "failure"
    for n, ent in enumerate(e for e in mentions.entities(a.text) if e.kind == "person"):
        span = (ent.start, ent.end)
        name = a.span_text(span)
        talked = "raised it" if failure else "talked it through"
        key = "person" if n == 0 else "person_again"
        text = _say(tone, key, name=name, talked=talked)
        out.append(_Candidate("person", 70.0 + ent.weight, span, text, _why("person", name)))
    return out


def _roles(a: _Answer, tone: str) -> list[_Candidate]:
    out = []
    for r in mentions.role_mentions(a.text):
        span = (r.start, r.end)
        said = a.span_text(span)
        role = second_person(spoken(said))
        if role.split()[0].lower() in ("a", "an"):
            role = "the " + role.split(" ", 1)[1]
        text = _say(tone, "role", role=role)
        text = text.replace("from the", "from the", 1)
        out.append(_Candidate("role", 60.0 + r.weight, span, text, _why("role", said)))
    return out


def _numbers(a: _Answer, tone: str) -> list[_Candidate]:
    out = []
    for f in mentions.figures(a.text):
        span = (f.start, f.end)
        said = a.span_text(span)
        figure = second_person(spoken(said))
        if f.kind == "duration":
            key = "duration_for" if said.lower().startswith("for ") else "duration"
            bare = second_person(_bare(said))
            within = re.match(r"(in|within|over|under|inside)\s", spoken(said), re.I)
            quoted = _midsentence(second_person(spoken(said)))
            if key == "duration" and not within and tone == "plain":
                key = "duration_said"
            text = _say(tone, key, quoted=quoted, bare=bare)
            out.append(_Candidate("duration", 60.0 + f.weight, span, text, _why("duration", said)))
        else:
            figure = figure if f.is_range else second_person(_bare(said))
            text = _say(tone, "range" if f.is_range else "number", figure=figure)
            out.append(_Candidate("number", 64.0 + f.weight, span, text, _why("number", said)))
    return out


def _vague_we(a: _Answer, tone: str) -> list[_Candidate]:
    out = []
    share = a.found.i_share
    low_ownership = share is None or share < 0.5
    for c in mentions.collective_claims(a.text):
        span = (c.start, c.end)
        said = a.span_text(span)
        score = 58.0 + c.weight + (8.0 if low_ownership else 0.0)
        text = _say(tone, "vague_we", quote=_quote(said))
        out.append(_Candidate("vague_we", score, span, text, _why("vague_we", said)))
    return out


def _phrase_span(
    a: _Answer, first: int, last: int, before: int = 0, after: int = 6, lead: bool = False
) -> tuple[int, int]:
    """A matched phrase widened to the rest of its clause (at most `after` words on) and, with
    `lead`, to the words before it in its clause (at most `before`). A phrase that ends its clause
    ("..., probably") takes the clause before it instead."""
    c_first, c_last = _clause_bounds(a, first)
    end = min(c_last, last + after)
    for k in range(last + 1, end + 1):
        if mentions.starts_figure(a.toks, k):
            end = k - 1  # the figure is its own probe
            break
    while end > last and a.toks[end].lower in mentions.TRAILING:
        end -= 1
    begin = first
    if before and lead and first > c_first:
        begin = max(c_first, first - before)
    elif before and end == last:
        if first > c_first:
            begin = max(c_first, first - before)
        elif first > 0 and not a.toks[first].sentence_start:
            p_first, _ = _clause_bounds(a, first - 1)
            begin = max(p_first, first - before)
    return a.tok_span(begin, end)


# Hedges too mild to challenge: they soften a description, not a claim.
_MILD_HEDGES = frozenset({"somewhat", "a little bit", "hopefully", "more or less", "i feel like"})


def _hedges(a: _Answer, tone: str, settings: Settings) -> list[_Candidate]:
    out = []
    phrases = [*settings.hedges, *mentions.CLAIM_HEDGES]
    matches = a.stream.find(phrases)
    for k, m in enumerate(matches):
        if m.phrase in _MILD_HEDGES:
            continue
        # The same hedge again right after (a stumble): the later one carries the claim.
        if k + 1 < len(matches) and matches[k + 1].phrase == m.phrase and matches[k + 1].first - m.last <= 3:
            continue
        span = _phrase_span(a, m.first, m.last, before=6, after=6)
        if span[0] == a.toks[m.first].start_char:
            # Mid-clause ("it was probably the right call"): quote from the clause's subject.
            c_first, _ = _clause_bounds(a, m.first)
            begin = max(c_first, m.first - 2)
            span = (a.toks[begin].start_char, span[1])
        said = a.span_text(span)
        claim = mentions.claims_outcome(said)
        # In a hypothetical ("what would you do") the hedge is on the answer itself.
        score = 56.0 + (8.0 if claim or a.category == "judgement" else 0.0)
        core = a.tok_span(m.first, m.last)
        text = _say(tone, "hedge", quote=_quote(said))
        out.append(_Candidate("hedge", score, span, text, _why("hedge", said), core))
    return out


def _stock(a: _Answer, tone: str, settings: Settings) -> list[_Candidate]:
    out = []
    for m in a.stream.find([*settings.stock_phrases, *mentions.MORE_STOCK_PHRASES]):
        first = m.first
        # "team player" said as "I'm a team player": quote the whole claim.
        lead = [t.lower for t in a.toks[max(0, first - 2) : first]]
        if lead[-2:] in (["i'm", "a"], ["am", "a"], ["i'm", "an"]):
            first -= 2
        elif lead[-1:] in (["i'm"],):
            first -= 1
        span = a.tok_span(first, m.last)
        said = a.span_text(span)
        score = 62.0 if a.category not in STORY_CATEGORIES else 57.0
        text = _say(tone, "stock_phrase", quote=_quote(said))
        out.append(_Candidate("stock_phrase", score, span, text, _why("stock_phrase", said)))
    return out


def _blame(a: _Answer, tone: str) -> list[_Candidate]:
    out = []
    failure = a.category == "failure"
    for m in content.ownership(a.stream)[0]:
        span = _phrase_span(a, m.first, m.last, before=5, after=5, lead=True)
        said = a.span_text(span)
        text = _say(tone, "blame", quote=_quote(said))
        score = 86.0 if failure else 76.0
        out.append(_Candidate("blame", score, span, text, _why("blame", said), a.tok_span(m.first, m.last)))
    return out


def _gaps(a: _Answer, tone: str) -> list[_Candidate]:
    out = []
    words = a.word_count()
    sentences = sum(1 for t in a.toks if t.sentence_start)
    story = mentions.is_story_question(a.question.text, a.category) if a.question else True
    short = words < 25 or (story and (words < 40 or (sentences <= 1 and words < 60)))
    if short:
        out.append(_Candidate("too_short", 90.0, None, _say(tone, "too_short"), _why("too_short")))
    if a.question is not None and mentions.off_question(a.question.text, a.question.category, a.text):
        out.append(
            _Candidate(
                "off_question", 100.0, None, _say(tone, "off_question", question=a.question.text), _why("off_question")
            )
        )
    if a.category == "failure" and not a.found.admissions:
        out.append(_Candidate("no_ownership", 84.0, None, _say(tone, "no_ownership"), _why("no_ownership")))
    if story and not short and not mentions.has_outcome(a.text, a.found):
        # A story that trails off is the first thing to ask about; a short one gets too_short first.
        out.append(_Candidate("no_result", 80.0, None, _say(tone, "no_result"), _why("no_result")))
    if story and not mentions.has_reflection(a.text, a.found):
        out.append(_Candidate("no_reflection", 58.0, None, _say(tone, "no_reflection"), _why("no_reflection")))
    return out


# --------------------------------------------------------------------------- ranking


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _around(a: _Answer, core: tuple[int, int], span: tuple[int, int], taken: list[tuple[int, int]]) -> tuple[int, int]:
    """The most of `span` around `core` that no earlier probe quotes, cut at word edges."""
    lo, hi = span
    for t in taken:
        if t[1] <= core[0]:
            lo = max(lo, t[1])
        elif t[0] >= core[1]:
            hi = min(hi, t[0])
    words = [t for t in a.toks if t.start_char >= lo and t.end_char <= hi]
    while words and words[-1].lower in mentions.TRAILING and words[-1].end_char > core[1]:
        words.pop()
    while words and words[0].lower in mentions.TRAILING and words[0].start_char < core[0]:
        words.pop(0)
    return (words[0].start_char, words[-1].end_char) if words else core


def _requote(a: _Answer, c: _Candidate, span: tuple[int, int]) -> _Candidate:
    """The candidate quoting `span` instead of its own span."""
    return replace(
        c,
        span=span,
        text=c.text.replace(_quote(a.span_text(c.span)), _quote(a.span_text(span))),
        why=c.why.replace(spoken(a.span_text(c.span)), spoken(a.span_text(span))),
    )


def _rank(a: _Answer, candidates: list[_Candidate]) -> list[Probe]:
    """Best first, each kind asked again only after a penalty, no two probes on overlapping words,
    and nothing quoted that the model was unsure it heard."""
    # A quoted clause never swallows a name, a role or a figure: those are probes of their own.
    specific = [c.span for c in candidates if c.span and c.kind in ("person", "role", "number", "duration")]
    trimmed = []
    for c in candidates:
        if c.span and c.core and c.kind not in ("person", "role", "number", "duration"):
            inside = [s for s in specific if _overlaps(s, c.span)]
            if inside and not any(_overlaps(s, c.core) for s in inside):
                c = _requote(a, c, _around(a, c.core, c.span, inside))
        trimmed.append(c)
    pool = sorted(trimmed, key=lambda c: (-c.score, c.span[0] if c.span else -1))
    taken: list[tuple[int, int]] = []
    asked: dict[str, int] = {}
    chosen: list[tuple[float, _Candidate]] = []
    for c in pool:
        span = c.span
        if span is not None:
            if any(_overlaps(span, t) for t in taken):
                if c.core is None or any(_overlaps(c.core, t) for t in taken):
                    continue
                span = _around(a, c.core, span, taken)
                c = _requote(a, c, span)
            if not a.sure(span):
                continue
        if c.kind in ("off_question", "too_short", "no_result", "no_reflection", "no_ownership") and c.kind in asked:
            continue
        score = c.score - REPEAT_PENALTY.get(c.kind, 9.0) * asked.get(c.kind, 0)
        asked[c.kind] = asked.get(c.kind, 0) + 1
        if span is not None:
            taken.append(span)
        chosen.append((score, c))
    chosen.sort(key=lambda sc: -sc[0])
    return [
        Probe(
            c.kind,
            c.text,
            c.evidence if c.evidence is not None else a.span_text(c.span) if c.span else "",
            a.start_of(c.span),
            c.why,
        )
        for _, c in chosen
    ]


def propose(
    text: str,
    words: Iterable[Mapping] = (),
    question: Question | None = None,
    settings: Settings | None = None,
    tone: str = "plain",
    earlier: Sequence[Take] = (),
    now: datetime | None = None,
) -> list[Probe]:
    """The follow-ups this answer invites, best first. `words` are the decoder's word timings
    (start, end, text or word, probability); without them every start is None. `earlier` are the
    user's previous takes of the same question, newest first, for memory probes."""
    settings = settings or Settings(home=Path("."))  # only the phrase lists are read
    if tone not in TONES:
        raise ValueError(f"tone {tone!r} is not one of {', '.join(TONES)}")
    if not text.strip():
        return []
    a = _read(text, list(words), question, settings)
    candidates = [
        *_gaps(a, tone),
        *_blame(a, tone),
        *_persons(a, tone),
        *_roles(a, tone),
        *_numbers(a, tone),
        *_vague_we(a, tone),
        *_hedges(a, tone, settings),
        *_stock(a, tone, settings),
        *_memory(a, tone, earlier, now),
    ]
    return _rank(a, candidates)


# --------------------------------------------------------------------------- story memory


def facts(text: str) -> tuple[Fact, ...]:
    """What a take states that a later take should keep: names, organisations, roles, figures."""
    out: list[Fact] = []
    for e in mentions.entities(text):
        out.append(Fact("name" if e.kind == "person" else "organisation", e.text.lower(), e.text, e.text))
    for r in mentions.role_mentions(text):
        out.append(Fact("role", r.role, r.role, text[r.start : r.end]))
    for f in mentions.figures(text):
        out.append(Fact(f.kind, f.key, f.value, text[f.start : f.end]))
    return tuple(out)


@dataclass(frozen=True)
class FactChange:
    kind: str
    before: Fact | None  # None: new in the later take
    after: Fact | None  # None: dropped


def fact_changes(before: Sequence[Fact], after: Sequence[Fact]) -> list[FactChange]:
    """Facts of one take against another: changed (same key, other value), dropped, new."""
    changes: list[FactChange] = []
    later = {(f.kind, f.key): f for f in reversed(after)}
    earlier = {(f.kind, f.key): f for f in reversed(before)}
    for key, f in earlier.items():
        g = later.get(key)
        if g is None:
            changes.append(FactChange(f.kind, f, None))
        elif g.value != f.value:
            changes.append(FactChange(f.kind, f, g))
    for key, g in later.items():
        if key not in earlier:
            changes.append(FactChange(g.kind, None, g))
    return changes


_DIFF_LABELS = {
    "name": "names",
    "organisation": "organisations",
    "role": "roles",
    "number": "numbers",
    "duration": "durations",
}


def fact_diff(before_text: str, after_text: str) -> list[str]:
    """One line per kind of fact that differs between two takes, e.g.
    "numbers: 30% → 25%" and "names: Dana dropped, Ravi new"."""
    lines = []
    changes = fact_changes(facts(before_text), facts(after_text))
    for kind, label in _DIFF_LABELS.items():
        parts = []
        for c in changes:
            if c.kind != kind:
                continue
            if c.before and c.after:
                parts.append(f"{spoken(c.before.said)} → {spoken(c.after.said)}")
            elif c.before:
                parts.append(f"{spoken(c.before.said)} dropped")
            else:
                parts.append(f"{spoken(c.after.said)} new")
        if parts:
            lines.append(f"{label}: {', '.join(parts)}")
    return lines


def _when_phrase(then: datetime | None, now: datetime | None) -> str:
    if then is None or now is None:
        return "Last time"
    if (then.tzinfo is None) != (now.tzinfo is None):  # stored times are UTC
        then, now = then.replace(tzinfo=None), now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    days = (now - then).total_seconds() / 86400
    if days < 0.5:
        return "Earlier"
    if days < 1.5:
        return "Yesterday"
    if 5 <= days < 13:
        return "Last week"
    return "Last time"


def _bare(said: str) -> str:
    """A figure without the preposition it was said with: "by 30%" -> "30%"."""
    return re.sub(r"^(by|for|in|within|over|from|after|took|spent|had|lasted)\s+", "", spoken(said), flags=re.I)


DROPPED = "(not said)"


def _memory(a: _Answer, tone: str, earlier: Sequence[Take], now: datetime | None) -> list[_Candidate]:
    """Facts of the last take this one changes or drops. The evidence holds both takes' words,
    "three teams → two teams" (or "Dana → (not said)"); the span is where today's words are."""
    if not earlier:
        return []
    last = earlier[0]
    today = facts(a.text)
    out = []
    when = _when_phrase(last.when, now)
    for c in fact_changes(facts(last.text), today):
        if c.before is None or c.kind in ("role", "organisation"):
            continue
        before = second_person(_bare(c.before.said))
        if c.after is not None:
            span = _find_span(a.text, c.after.said)
            now_said = second_person(_bare(c.after.said))
            text = _say(tone, "memory_changed", when=when, before=before, now=now_said)
            evidence = f"{spoken(c.before.said)} → {spoken(c.after.said)}"
            out.append(_Candidate("memory", 78.0, span, text, _why("memory", evidence), evidence=evidence))
        else:
            key = "memory_dropped" if c.kind == "name" else "memory_dropped_figure"
            evidence = f"{spoken(c.before.said)} → {DROPPED}"
            text = _say(tone, key, when=when, before=before)
            score = 66.0 if c.kind == "name" else 58.0
            out.append(_Candidate("memory", score, None, text, _why("memory", evidence), evidence=evidence))
    return out


def _find_span(text: str, said: str) -> tuple[int, int] | None:
    at = text.find(said)
    return (at, at + len(said)) if at >= 0 else None


def memory_evidence(probe: Probe) -> tuple[str, str]:
    """A memory probe's two takes' words: (earlier, today); today is "" when the fact was dropped."""
    before, _, after = probe.evidence.partition(" → ")
    return before, "" if after == DROPPED else after


# --------------------------------------------------------------------------- drill steps


def listening_steps(probes: Sequence[Probe], step: Step, n: int, taken: int = 0) -> list[Step]:
    """The first `n` probes as drill steps after `step` (the main question's), numbered 101,
    102, ... past the `taken` generated probes already asked for this question."""
    return [
        Step(
            question_id=step.question_id,
            probe_index=FIRST_GENERATED_INDEX + taken + k,
            prompt=p.text,
            question_text=step.question_text,
            probe_count=step.probe_count,
            kind=p.kind,
            evidence=p.evidence,
            evidence_start=p.start,
            why=p.why,
        )
        for k, p in enumerate(probes[:n])
    ]


def evidence_segments(transcript: str, evidence: str) -> tuple[tuple[str, bool], ...]:
    """`transcript` in (text, quoted) pieces with the first place it says `evidence` marked (the
    evidence is the transcript's own words; case and spacing are forgiven), for the page's
    highlighting (web/ui.highlighted) and the terminal's."""
    if not transcript:
        return ()
    words = evidence.split()
    if not words:
        return ((transcript, False),)
    found = re.search(r"\s+".join(re.escape(w) for w in words), transcript, re.IGNORECASE)
    if found is None:
        return ((transcript, False),)
    pieces = ((transcript[: found.start()], False), (found.group(0), True), (transcript[found.end() :], False))
    return tuple(p for p in pieces if p[0])


def caption(kind: str, evidence: str, start: float | None, why: str = "") -> str:
    """The short line under a generated probe: "picks up 'we decided' at 0:42"."""
    if not kind:
        return ""
    if kind == "memory":
        return why or "compares with your earlier take"
    if not evidence:
        return why or kind.replace("_", " ")
    return f"picks up '{spoken(evidence)}'{at_time(start)}"


def at_time(start: float | None) -> str:
    """ " at 0:42" for a time in the recording, "" without one."""
    return f" at {int(start // 60)}:{int(start % 60):02d}" if start is not None else ""


def answer_caption(answer) -> str:
    """The caption of a stored answer to a generated follow-up (store.database.Answer), or ""."""
    return caption(answer.probe_kind, answer.probe_evidence, answer.probe_start, answer.probe_why)


def step_name(probe_index: int, kind: str = "") -> str:
    """ "Main answer", "Follow-up 2", or "Listening follow-up (vague we)" for a generated one."""
    if probe_index == 0:
        return "Main answer"
    if kind or probe_index >= FIRST_GENERATED_INDEX:
        return f"Listening follow-up ({kind.replace('_', ' ')})" if kind else "Listening follow-up"
    return f"Follow-up {probe_index}"


def takes_from_answers(answers: Iterable) -> list[Take]:
    """Stored answers (store.database.Answer, newest first) as the earlier takes memory probes use."""
    return [
        Take(a.transcript or "", tuple(a.words), datetime.fromisoformat(a.created_at) if a.created_at else None)
        for a in answers
        if a.transcript
    ]
