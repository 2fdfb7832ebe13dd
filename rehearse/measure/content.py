"""What an answer says: ownership, hedges, stock phrases, STAR structure with the time spent in each
part, numbers, names and roles, and (for failure questions) whether the speaker owns a mistake.

Cue lists are plain word sequences matched on the normalised transcript (see tokens.py). They
are heuristics a coach would use, measured, not understood: the panel says what fired and where.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rehearse.measure.tokens import Hit, Match, Stream, Token, counts, hits
from rehearse.settings import Settings

I_WORDS = frozenset({"i", "me", "my", "mine", "myself"})
WE_WORDS = frozenset({"we", "us", "our", "ours", "ourselves"})

# How many words back from a cue a part may start, to the beginning of the cue's clause.
CLAUSE_REACH = 8
STAR_PARTS = ("situation", "task", "action", "result", "reflection")
# Phrases that usually open each part of a STAR story (plus reflection: what was learned).
STAR_CUES: dict[str, tuple[str, ...]] = {
    "situation": (
        "at the time",
        "back in",
        "a few years ago",
        "last year",
        "when i was",
        "i was working",
        "i worked at",
        "i was at",
        "years ago",
        "months ago",
        "at my last",
        "at my previous",
        "in my last role",
        "in my previous role",
        "in my last job",
        "in my previous job",
        "the situation was",
        "the context was",
        "the background",
        "we had a problem",
        "there was a problem",
        "the problem was",
        "our team was",
        "the company was",
    ),
    "task": (
        "my job was",
        "my role was",
        "my task was",
        "i was responsible for",
        "i was asked to",
        "i was tasked with",
        "i needed to",
        "i had to",
        "the goal was",
        "our goal was",
        "the challenge was",
        "we needed to",
        "i was supposed to",
        "it was my job",
        "asked me to",
    ),
    "action": (
        "so i",
        "first i",
        "then i",
        "i decided",
        "i started",
        "i set up",
        "i built",
        "i wrote",
        "i met",
        "i talked to",
        "i spoke",
        "i organized",
        "i organised",
        "i proposed",
        "i led",
        "i created",
        "i reached out",
        "what i did",
        "i went to",
        "i asked",
        "i worked with",
        "i paired",
        "i changed",
        "i sat down",
        "i called",
        "i brought",
        "i put together",
        "i convinced",
        "i suggested",
        "i fixed",
        "i rewrote",
        "i ran",
        "i designed",
        "i pushed",
        "i negotiated",
        "i escalated",
    ),
    "result": (
        "as a result",
        "in the end",
        "the result was",
        "the outcome was",
        "we ended up",
        "which led to",
        "that led to",
        "ultimately",
        "we reduced",
        "we increased",
        "we cut",
        "we saved",
        "we delivered",
        "we shipped",
        "we launched",
        "we finished",
        "we hit",
        "it worked",
        "went down",
        "went up",
        "dropped",
        "grew",
        "we lost no",
        "we won",
        "by the end",
        "we missed",
        "missed it by",
        "it cost",
        "the impact was",
        "we managed to",
    ),
    "reflection": (
        "i learned",
        "what i learned",
        "i realized",
        "i realised",
        "looking back",
        "in hindsight",
        "next time",
        "if i did it again",
        "if i had to do it again",
        "i would have",
        "the lesson",
        "taught me",
        "since then",
        "now i always",
        "i now",
        "i would do",
        "what i took away",
        "i would never",
        "i never give",
    ),
}
# Cues heard in real answers (the 40 typed answers in the shared development set, and the ones a
# user tried: "The action I took was ...", "In 2022 I was leading ..."), added to the lists above.
_MORE_CUES: dict[str, tuple[str, ...]] = {
    "situation": (
        *(f"in {year}" for year in range(1990, 2040)),
        *(f"back in {year}" for year in range(1990, 2040)),
        "this was at",
        "this was on",
        "this was in",
        "this was when",
        "it was at",
        "i was leading",
        "i was running",
        "i was managing",
        "i was in charge of",
        "i was working as",
        "i was a",
        "i was an",
        "i was the",
        "i was in my",
        "in my first year",
        "in my second year",
        "in my third year",
        "in my first job",
        "in my current role",
        "at my current",
        "at my first",
        "when i joined",
        "when i started",
        "on my first day",
        "at the start of",
        "before that",
        "we were launching",
        "we were building",
        "we were deciding",
        "we were working on",
        "we were moving",
        "we were running",
        "i owned the",
    ),
    "action": (
        "the action i took",
        "the actions i took",
        "the first thing i did",
        "my first step",
        "i took",
        "i pulled",
        "i moved",
        "i introduced",
        "i got the",
        "i got them",
        "i got him",
        "i got her",
        "i made sure",
        "i went back",
        "i told",
        "i showed",
        "i offered",
        "i modelled",
        "i modeled",
        "i mapped",
        "i matched",
        "i recommended",
        "i reported",
        "i let",
        "i stopped",
        "i prepared",
        "i rehearsed",
        "i raised",
        "i drafted",
        "i rolled",
        "i filmed",
        "i spent",
        "i coached",
        "i trained",
        "i hired",
        "i mentored",
        "i interviewed",
        "i presented",
        "i documented",
        "i reviewed",
        "i tested",
        "i replaced",
        "i automated",
        "i simplified",
        "i split",
        "i prioritised",
        "i prioritized",
        "i scheduled",
        "i booked",
        "i invited",
        "i shadowed",
        "i delegated",
        "i stepped in",
        "i took over",
        "i dug into",
        "i would start",
        "i would pick",
        "i would ask",
        "i would make sure",
        "first i would",
        "then i would",
        "we introduced",
        "we set up",
        "we reset",
        "we agreed",
        "we built",
        "we started",
        "we brought in",
    ),
    "result": (
        "the result",
        "the outcome",
        "which meant",
        "that meant",
        "fell from",
        "rose from",
        "went from",
        "came down",
        "down from",
        "up from",
        "we finished at",
        "signed it off",
        "signed off",
        "was declined",
        "was approved",
        "has not happened again",
        "never happened again",
        "within a quarter",
        "within a month",
        "within about",
        "it cost me",
        "turned out",
        "improved",
        "halved",
        "doubled",
        "we migrated",
        "still uses",
        "missed the target",
        "on time",
        "got promoted",
        "was promoted",
        "after that it",
    ),
    "reflection": (
        "what i got wrong",
        "what i do now",
        "what i would do differently",
        "i would do it differently",
        "what didn't work",
        "what did not work",
        "i am proud",
    ),
}
for _part, _cues in _MORE_CUES.items():
    STAR_CUES[_part] = tuple(dict.fromkeys((*STAR_CUES[_part], *_cues)))

# Saying what *you* got wrong: the answer card's ownership measure for failure questions and the
# follow-ups of any answer (practice/probes.py) read these same lists, through ownership().
ADMISSIONS = (
    "my mistake",
    "mistake i made",
    "i made a mistake",
    "i made the mistake",
    "my fault",
    "i was wrong",
    "i got it wrong",
    "i should have",
    "i should not have",
    "i failed",
    "i missed",
    "i forgot",
    "i underestimated",
    "i overestimated",
    "i overlooked",
    "i ignored",
    "i assumed",
    "i did not",
    "i messed up",
    "i dropped the ball",
    "i take responsibility",
    "i took responsibility",
    "i blame myself",
    "i screwed up",
    "i got wrong",
    "i neglected",
    "i misjudged",
    "i rushed",
    "i was too",
    "i let the",
    "my error",
    "i learned the hard way",
    "i promised",
    # Widened from the dev answers for the follow-ups, and read by the answer card too.
    "i said something",
    "i was not sure",
    "i did not listen",
    "i did not check",
    "i had got it wrong",
    "i made an error",
    "i have made an error",
    "i never went back",
    "i never checked",
    "she was right",
    "he was right",
    "they were right",
    "my real mistake",
    "my part in",
    "i own that",
    "on me",
    "i was at fault",
)
# Putting the failure on others or on luck.
BLAME = (
    "not my fault",
    "their fault",
    "his fault",
    "her fault",
    "they did not",
    "they should have",
    "out of my control",
    "nothing i could do",
    "nothing i could have done",
    "they failed",
    "blame them",
    "because of them",
    "bad luck",
    # Denials, said in any answer.
    "not on me",
    "was not my fault",
    "not down to me",
    "nothing to do with me",
    "out of my hands",
    "i did everything right",
    "i did everything i could",
    "i have done everything i can",
    "i did my part",
    "not a failure on my side",
    "see it as a failure on my side",
    "blocked my",
    "let us down",
    "let me down",
    "threw me under the bus",
    # Widened from the dev answers for the follow-ups, and read by the answer card too.
    "these things happen",
    "it happens",
    "one of those things",
    "it is what it is",
    "unlucky",
    "nobody told us",
    "nobody told me",
    "no one told us",
    "no one told me",
    "was not ready",
    "were not ready",
    "just impossible",
    "are just difficult",
    "is just difficult",
    "took credit",
    "takes credit",
    "caused by their",
    "their mistake",
    "dropped the ball",
    "was late with",
    "were late with",
    "never explained",
    "never told us",
    "never told me",
    "did not tell us",
    "did not tell me",
    "did not explain",
    "kept changing",
    "should have communicated",
    "should have done",
    "should really have",
    "should have checked",
    "should have caught",
    "anyone could have",
    "no one could have",
    "nobody could have",
    "he lied",
    "she lied",
    "they lied",
)
_OWNING = ("i", "we", "i'd", "we'd")


def ownership(stream: Stream) -> tuple[list[Match], list[Match]]:
    """(blame, admissions) said in the answer. One search over both lists, so that where a blame
    phrase and an admission overlap the longer one is what was said: "not my fault" is blame and
    "I dropped the ball" an admission; at equal length the admission ("I should have" over "should
    have checked"). The speaker's own "should have" is never blame."""
    toks = stream.tokens
    blame, admissions = [], []
    blaming = set(BLAME)
    for m in stream.find([*ADMISSIONS, *BLAME]):
        before = toks[m.first - 1].lower if m.first > 0 else ""
        if m.phrase in blaming:
            if not ("should" in m.phrase and before in _OWNING):
                blame.append(m)
        elif m.phrase != "on me" or _owned_on_me(toks, m.first):
            admissions.append(m)
    return blame, admissions


def _owned_on_me(toks: Sequence[Token], at: int) -> bool:
    """ "That was on me" and "it's on me" own it; "the pressure was on me" and "it wasn't on me" do not."""
    before = [t.lower for t in toks[max(0, at - 2) : at]]
    return before[-1:] in (["that's"], ["it's"]) or (
        len(before) == 2 and before[0] in ("that", "it", "this") and before[1] in ("was", "is")
    )


NUMBER_WORDS = frozenset(
    (
        "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
        "thousand million billion percent half double doubled tripled twice dozen dozens tenth tenths"
    ).split()
)
# People by role: naming who was involved makes a story concrete even without names.
_ROLE_NAMES = (
    "manager",
    "director",
    "engineer",
    "developer",
    "designer",
    "analyst",
    "founder",
    "cofounder",
    "customer",
    "client",
    "stakeholder",
    "recruiter",
    "architect",
    "scientist",
    "intern",
    "consultant",
    "vendor",
    "executive",
    "nurse",
    "doctor",
    "teacher",
    "officer",
    "lawyer",
    "accountant",
    "tester",
    "team lead",
    "tech lead",
    "product owner",
    "supervisor",
    "boss",
    "ceo",
    "cto",
    "cfo",
    "coo",
    "vp",
    "head of",
    "president",
)
ROLES = {f"{role}{plural}": role for role in _ROLE_NAMES for plural in ("", "s")}
_NOT_NAMES = frozenset(
    (
        "i i'm i've i'd i'll ok okay mr mrs ms dr january february march april may june july august "
        "september october november december monday tuesday wednesday thursday friday saturday sunday"
    ).split()
)


@dataclass(frozen=True)
class Section:
    part: str  # one of STAR_PARTS, or "opening" before the first cue
    start: float  # seconds into the recording
    end: float
    cue: str = ""


@dataclass(frozen=True)
class Content:
    """The content signals of one answer; analysis.Metrics extends this with delivery, so the
    field list is written here once."""

    i_count: int = 0
    we_count: int = 0
    i_share: float | None = None  # I / (I + we), None when neither is said
    hedges: dict = field(default_factory=dict)
    stock_phrases: tuple[str, ...] = ()
    star_seconds: dict = field(default_factory=dict)  # part -> seconds, parts in STAR order
    star_sequence: tuple[Section, ...] = ()
    star_ends_on: str = ""
    numbers: tuple[str, ...] = ()
    result_numbers: tuple[str, ...] = ()  # numbers said in the result or reflection
    names: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    owns_mistake: bool | None = None  # for failure questions only
    admissions: tuple[str, ...] = ()
    blame: tuple[str, ...] = ()
    hits: tuple[Hit, ...] = ()


def token_times(toks: Sequence[Token]) -> list[float]:
    """A start time for every token: measured where known, interpolated between known ones,
    and 0 when no token has a time."""
    known = [(i, t.start) for i, t in enumerate(toks) if t.start is not None]
    if not known:
        return [0.0] * len(toks)
    times = []
    k = 0
    for i in range(len(toks)):
        while k + 1 < len(known) and known[k + 1][0] <= i:
            k += 1
        (i0, t0) = known[k]
        if i <= i0 or k + 1 == len(known):
            times.append(t0)
        else:
            (i1, t1) = known[k + 1]
            times.append(t0 + (t1 - t0) * (i - i0) / (i1 - i0))
    return times


def end_time(toks: Sequence[Token]) -> float:
    ends = [t.end for t in toks if t.end is not None]
    return max(ends) if ends else 0.0


def star_sections(toks: Sequence[Token], stream: Stream) -> list[Section]:
    """The answer cut where a cue of another part begins; each section runs to the next cut."""
    if not toks:
        return []
    times = token_times(toks)
    finish = max(end_time(toks), times[-1])
    part_of = {cue: part for part, cues in STAR_CUES.items() for cue in cues}
    cuts: list[tuple[float, str, str]] = []
    for m in stream.find(part_of):
        part = part_of[m.phrase]
        if not cuts or cuts[-1][1] != part:
            # A part starts where the clause with its cue starts ("on a launch two years ago").
            first = m.first
            while first > 0 and m.first - first < CLAUSE_REACH and not toks[first].break_before:
                first -= 1
            start = times[first] if toks[first].break_before else times[m.first]
            if cuts and start < cuts[-1][0]:
                start = times[m.first]
            cuts.append((start, part, m.phrase))
    if not cuts or cuts[0][0] > times[0]:
        cuts.insert(0, (times[0], "opening", ""))
    return [
        Section(part, round(at, 2), round(cuts[i + 1][0] if i + 1 < len(cuts) else finish, 2), cue)
        for i, (at, part, cue) in enumerate(cuts)
    ]


def _numbers(toks: Sequence[Token], stream: Stream) -> list[tuple[int, str]]:
    """Runs of number words or digits ("two percent", "30%", "1,200"), with their first token."""
    runs: list[tuple[int, int]] = []
    for word, i in zip(stream.words, stream.owner):
        if word in NUMBER_WORDS or any(c.isdigit() for c in word):
            if runs and runs[-1][1] >= i - 1:
                runs[-1] = (runs[-1][0], i)
            else:
                runs.append((i, i))
    return [(a, " ".join(t.text for t in toks[a : b + 1])) for a, b in runs]


def _names(toks: Sequence[Token]) -> list[str]:
    """Capitalised words inside sentences (names, places, companies), joined when adjacent."""
    names: list[str] = []
    prev = -2
    for i, tok in enumerate(toks):
        if tok.sentence_start or not tok.text[0].isupper() or tok.lower in _NOT_NAMES or tok.lower in ROLES:
            continue
        if prev == i - 1 and not tok.break_before:
            names[-1] = f"{names[-1]} {tok.text}"
        else:
            names.append(tok.text)
        prev = i
    return list(dict.fromkeys(names))


def analyze(
    toks: Sequence[Token], settings: Settings, category: str | None = None, skip: Iterable[Match] = ()
) -> Content:
    """Content signals of one answer. Words inside `skip` (fillers) and inside hedges are not
    counted as ownership: the "I" of "I think" or "I mean" says nothing about who did the work."""
    stream = Stream(toks)
    hedges = stream.find(settings.hedges)
    stock = stream.find(settings.stock_phrases)
    ignored = {i for m in [*skip, *hedges] for i in range(m.at, m.at + m.size)}
    i_count = we_count = 0
    for k, word in enumerate(stream.words):
        if k in ignored:
            continue
        if word in I_WORDS:
            i_count += 1
        elif word in WE_WORDS and toks[stream.owner[k]].text != "US":  # the country, not "us"
            we_count += 1

    sections = star_sections(toks, stream)
    seconds = {part: 0.0 for part in ("opening", *STAR_PARTS)}
    for s in sections:
        seconds[s.part] += s.end - s.start
    times = token_times(toks)

    def part_at(time: float) -> str:
        return next((s.part for s in reversed(sections) if s.start <= time), "opening")

    numbers = _numbers(toks, stream)
    result_numbers = [text for i, text in numbers if part_at(times[i]) in ("result", "reflection")]

    admissions = blame = []
    if category == "failure":
        blame, admissions = ownership(stream)
    roles = [ROLES[m.phrase] for m in stream.find(ROLES)]
    return Content(
        i_count=i_count,
        we_count=we_count,
        i_share=round(i_count / (i_count + we_count), 3) if i_count + we_count else None,
        hedges=counts(hedges),
        stock_phrases=tuple(m.phrase for m in stock),
        star_seconds={p: round(v, 2) for p, v in seconds.items()},
        star_sequence=tuple(sections),
        star_ends_on=sections[-1].part if sections else "",
        numbers=tuple(t for _, t in numbers),
        result_numbers=tuple(result_numbers),
        names=tuple(_names(toks)),
        roles=tuple(dict.fromkeys(roles)),
        owns_mistake=bool(admissions) if category == "failure" else None,
        admissions=tuple(dict.fromkeys(m.phrase for m in admissions)),
        blame=tuple(dict.fromkeys(m.phrase for m in blame)),
        hits=tuple(
            [
                *hits("hedge", hedges, toks),
                *hits("stock", stock, toks),
                *hits("admission", admissions, toks),
                *hits("blame", blame, toks),
            ]
        ),
    )
