"""What the story names, and where: each person, organisation, role, figure, duration and group
claim in an answer's text with its place, plus whether the story says how it ended and what was
learned. The listening follow-ups (practice/probes.py), story memory and the interviewer who cuts
in (practice/interrupt.py) pick these up; content.py's measures count what the feedback reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rehearse.measure.content import NUMBER_WORDS, ROLES, STAR_CUES, Content
from rehearse.measure.tokens import Stream, Token, tokenize

FUNCTION_WORDS = frozenset(
    (
        "a an the and or but so of to in on at by for from with as that which who whom this these those "
        "it its is are was were be been being had has have do did does i we you he she they me us him her "
        "them my our your his their if then than when while because about into over under after before "
        "up down out off again also just very really not no there here what how why where all any some "
        "would could should will can may might must above below across against compared per each every "
        "through during since within without like among between towards"
    ).split()
)
# Words a quoted phrase does not end on.
TRAILING = frozenset(
    "a an the of to for from with at by and or but so that which who my our your their his her its this these those".split()
)
# Hedges that undercut a claim, on top of the Settings hedges.
CLAIM_HEDGES = (
    "i'd have to check",
    "i would have to check",
    "i'm not sure",
    "not sure exactly",
    "i reckon",
    "if i remember rightly",
    "if i remember correctly",
    "i think so",
    "i'd imagine",
)
MORE_STOCK_PHRASES = (
    "team player",
    "people person",
    "many hats",
    "quick learner",
    "fast learner",
    "hard worker",
    "self starter",
    "go getter",
    "results driven",
    "results oriented",
    "detail oriented",
    "above and beyond",
    "the extra mile",
    "outside the box",
    "out of the box",
    "not the destination",
    "not just the destination",
    "thrive under pressure",
    "i'm a perfectionist",
    "proven track record",
    "fast paced environment",
    "natural leader",
    "lifelong learner",
    "move the needle",
    "i love a challenge",
    "i love challenges",
    "work hard play hard",
    "i wear a lot of hats",
)
OUTCOME_CUES = (
    "in the end",
    "eventually",
    "finally",
    "ended up",
    "as a result",
    "the result",
    "the outcome",
    "it worked",
    "did not work out",
    "fixed",
    "solved",
    "resolved",
    "stopped",
    "improved",
    "increased",
    "decreased",
    "reduced",
    "fell",
    "rose",
    "grew",
    "dropped",
    "came down",
    "come down",
    "went down",
    "went up",
    "saved",
    "we won",
    "i won",
    "delivered",
    "shipped",
    "launched",
    "went live",
    "went out",
    "we hit",
    "i hit",
    "hit the",
    "missed the",
    "finished",
    "completed",
    "passed",
    "declined",
    "approved",
    "signed off",
    "promoted",
    "calmer",
    "got better",
    "a lot better",
    "much better",
    "bit better",
    "on time",
    "since then",
    "has not happened again",
    "by the end",
    "came round",
    "came around",
    "came in",
    "held at",
    "refunded",
    "migrated",
    "made a big difference",
    "made a difference",
    "really positive",
    "it cost",
    "now he",
    "now she",
    "now they",
    "i could",
    "we managed",
    "i got the",
    "got the job",
    "kept the",
    "agreed to",
    "accepted",
    "went ahead",
    "was cancelled",
    "lost the",
    "went fine",
    "went well",
    "went smoothly",
    "settled down",
    "settled",
    "turned out",
    "worked out",
    "got accepted",
    "was accepted",
    "been paid",
    "since has",
    "since have",
    "back on track",
    "recovered",
    "we closed",
    "i closed",
    "it ended",
    "stable after",
    "rolled it back",
    "rolled back",
    "let him go",
    "let her go",
    "let them go",
    "caught it",
    "ever since",
    "one since",
    "it since",
)
MORE_REFLECTION = (
    "what i do now",
    "what i got wrong",
    "what i took from",
    "what i took away",
    "what did not work",
    "if i did it again",
    "i would do it differently",
    "i would do exactly",
    "taught me",
    "the lesson",
    "i learnt",
    "i have learned",
    "i have kept to",
)
_ROLE_EXTRA = (
    "head",
    "lead",
    "buyer",
    "controller",
    "pharmacist",
    "colleague",
    "teammate",
    "peer",
    "auditor",
    "regulator",
    "inspector",
    "surgeon",
    "principal",
    "headteacher",
    "chair",
    "sponsor",
    "coordinator",
    "administrator",
    "planner",
    "editor",
    "producer",
    "assistant",
    "agent",
    "owner",
    "partner",
    "investor",
    "board",
    "mentor",
)
LISTENING_ROLES = {**ROLES, **{f"{r}{p}": r for r in _ROLE_EXTRA for p in ("", "s")}}
_GENERIC_ROLES = frozenset({"customer", "client", "stakeholder", "agent", "assistant", "partner", "owner", "board"})
_SPECIFIC_ROLES = frozenset({"director", "manager", "ceo", "cto", "cfo", "coo", "vp", "president", "head of", "head"})
_DETERMINERS = frozenset("the my our a an their his her your its this that one".split())
_SELF_MARKERS = frozenset("as was am i'm is became become be been being i'd".split())
# Words after a role word that make it describe something else: "customer support", "manager role".
_ROLE_NOUN_AFTER = frozenset(
    "role roles position job jobs support service services facing money data side level account accounts".split()
)
_ORG_SUFFIXES = frozenset(
    (
        "bank council society hospital freight group ltd limited inc plc university college school trust "
        "partners capital labs systems foods insurance health airlines consulting solutions technologies "
        "media studio studios academy services company corporation corp agency ministry department police "
        "council associates logistics retail energy games software bakery clinic"
    ).split()
)
_NOT_PEOPLE = frozenset(
    (
        "english british french german spanish italian chinese japanese indian american european african "
        "muslim christian jewish hindu sikh buddhist ramadan easter christmas diwali eid hanukkah "
        "thanksgiving halloween brexit covid year years week term monday tuesday wednesday thursday friday "
        "saturday sunday january february march april may june july august september october november "
        "december excel python java javascript salesforce jira slack zoom teams sql aws google microsoft "
        "amazon apple linux windows kubernetes docker tableau powerpoint word outlook sap oracle london ok "
        "okay i mr mrs ms dr sure yeah yes so and but well um uh"
    ).split()
)
_PLACE_BEFORE = frozenset(
    (
        "at in into onto on near across of joined join left using use used via inside outside learn learned "
        "learnt learning adopt adopted install installed configure migrate migrated"
    ).split()
)
_PLACE_VERBS = frozenset("moved move relocated travelled traveled flew drove back originally".split())
_PERSON_AFTER = frozenset(
    (
        "said says told tells asked asks warned warns agreed agrees pushed wanted wants thought thinks "
        "suggested suggests replied explained argued covered called emailed messaged was had who came "
        "helped signed kept listened joined left"
    ).split()
)
_SENTENCE_ADVERBS = frozenset(
    "again anyway overall then now later afterwards yesterday today first second next look listen right well".split()
)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@dataclass(frozen=True)
class Entity:
    text: str
    kind: str  # "person" or "organisation" (companies, places, products)
    start: int  # characters of the text
    end: int
    weight: float = 0.0  # how sure the reading is: a named person who said or did something scores higher


def _sentence_start(text: str, at: int) -> bool:
    before = text[:at].rstrip(" \t\"'“‘(")
    return not before or before[-1] in ".!?…\n"


def entities(text: str) -> list[Entity]:
    """Capitalised names in the text, each once (its first mention), read as a person or an
    organisation/place from the words around it: "at Brightline" and "our Midlands hub" are not
    people; "Tomasz, who ran QA" and "my manager, Oluwaseun" are."""
    words = list(_WORD.finditer(text))
    out: dict[str, Entity] = {}
    i = 0
    while i < len(words):
        w = words[i]
        word = w.group()
        if not _capitalised_name(word):
            i += 1
            continue
        # One name: capitalised words next to each other ("Ana Lucía Torres", "Marlow and Finch").
        j = i
        while j + 1 < len(words):
            gap = text[words[j].end() : words[j + 1].start()]
            nxt = words[j + 1].group()
            if gap == " " and _capitalised_name(nxt):
                j += 1
            elif (
                gap == " "
                and nxt in ("and", "of", "&")
                and j + 2 < len(words)
                and _capitalised_name(words[j + 2].group())
                and j + 2 - i <= 3
            ):
                j += 2
            else:
                break
        start, end = w.start(), words[j].end()
        name = text[start:end]
        prev = words[i - 1].group().lower() if i else ""
        prev2 = words[i - 2].group().lower() if i > 1 else ""
        after_text = text[end : end + 40]
        nxt = words[j + 1].group().lower() if j + 1 < len(words) else ""
        lead_gap = text[words[i - 1].end() : start] if i else ""
        at_start = _sentence_start(text, start)
        last_word = words[j].group().lower()
        kind = "person"
        weight = 0.0
        apposed = bool(re.match(r",\s+who\b", after_text)) or _role_follows(text[end : end + 60])
        after_role = prev in LISTENING_ROLES and "," in lead_gap or prev in ("called", "named")
        if (
            last_word in _ORG_SUFFIXES
            or (prev in _PLACE_BEFORE and "," not in lead_gap)
            or (prev in ("to", "from") and prev2 in _PLACE_VERBS)
            or (prev in _DETERMINERS and "," not in lead_gap)
            or re.match(r"\s*\d", after_text)
            or (prev in ("company", "firm", "business", "startup", "agency") and "," in lead_gap)
        ):
            kind = "organisation"
        elif at_start and (word.lower() in _SENTENCE_ADVERBS or (word.endswith("ly") and len(word) > 5)):
            i = j + 1
            continue
        elif at_start and not (
            apposed
            or re.match(r",\s+\w+ (said|told|asked)", after_text)
            or re.match(r"\s+(said|told|asked|warned|pushed back|emailed|messaged|called me|disagreed)\b", after_text)
            or re.match(r"\s+and (I|me)\b", after_text)
        ):
            # A capital at a sentence start says nothing; a later mention may still count.
            i = j + 1
            continue
        if kind == "person":
            if apposed or after_role or nxt in _PERSON_AFTER or after_text.startswith(("'s", "’s")):
                weight += 4.0
        key = name.lower()
        if key not in out:
            out[key] = Entity(name, kind, start, end, weight)
        elif kind == "person" and out[key].kind == "person" and weight > out[key].weight:
            out[key] = _with_weight(out[key], weight)
        i = j + 1
    return list(out.values())


def _capitalised_name(word: str) -> bool:
    low = word.lower().replace("’", "'")
    return (
        word[0].isupper()
        and not (len(word) > 1 and word.isupper())
        and low not in _NOT_PEOPLE
        and low not in FUNCTION_WORDS
        and not low.startswith("i'")
    )


def _role_follows(after: str) -> bool:
    """ ", our senior buyer," after a name: the name is a person."""
    m = re.match(r",\s+(?:our|my|the|a|an|his|her|their|one of our|one of the)\s+((?:[\w-]+\s+){0,2}[\w-]+)", after)
    return bool(m) and any(w.lower() in LISTENING_ROLES for w in m.group(1).split())


def _describes_someone(low: Sequence[str], k: int) -> bool:
    """ "I was a staff nurse", "as a deputy head", "he's now a charge nurse": a role that says what
    someone is, not a person in the story ("there was a consultant" is one)."""
    word = low[k]
    if word in ("as", "i'm", "became", "become", "i'd", "he's", "she's", "they're", "i've"):
        return True
    if word in _SELF_MARKERS:
        back = [w for w in low[max(0, k - 3) : k] if w not in ("now", "actually", "still", "already", "just")]
        return bool(back) and back[-1] in ("i", "he", "she", "they", "who", "you", "we")
    if word in ("now", "actually", "still", "already") and k > 0:
        return _describes_someone(low, k - 1)
    return False


def _with_weight(e: Entity, weight: float) -> Entity:
    return Entity(e.text, e.kind, e.start, e.end, weight)


@dataclass(frozen=True)
class RoleMention:
    role: str  # the role word as listed ("director", "head of")
    start: int
    end: int
    weight: float = 0.0


def _tok_words(toks: Sequence[Token]) -> list[str]:
    return [t.lower for t in toks]


def role_mentions(text: str) -> list[RoleMention]:
    """People named by their role ("the director", "our head of customer service", "a controller in
    your finance team"), each role once; not the speaker's own job ("as a staff nurse") and not a
    role that only introduces a name ("my manager, Oluwaseun": the name is the probe)."""
    toks = tokenize(text)
    stream = Stream(toks)
    low = _tok_words(toks)
    n_toks = len(toks)
    out: dict[str, RoleMention] = {}
    for m in stream.find(LISTENING_ROLES):
        role = LISTENING_ROLES[m.phrase]
        first, last = m.first, m.last
        nxt = low[last + 1] if last + 1 < len(toks) and not toks[last].break_after else ""
        if nxt in _ROLE_NOUN_AFTER or (nxt in LISTENING_ROLES and nxt != m.phrase):
            continue
        if role == "head of":
            while (
                last + 1 < len(toks)
                and last - m.last < 3
                and not toks[last].break_after
                and low[last + 1] not in FUNCTION_WORDS
                and not low[last + 1].endswith("ed")
            ):
                last += 1
        # Back to the determiner that opens the noun phrase ("the trading director").
        begin, found = first, False
        for k in range(first - 1, max(-1, first - 5), -1):
            if toks[k + 1].break_before and k + 1 != first:
                break
            if toks[k + 1].break_before:
                break
            if low[k] in _SELF_MARKERS and (low[k] in ("as", "i'm", "became") or low[k - 1 : k] == ["i"]):
                begin = -1
                break
            if low[k] in _DETERMINERS:
                begin, found = k, True
                break
        if begin < 0 or not found:
            continue  # no "the", "my", "a" before it: a job title in passing, or the speaker's own
        if found and begin > 0 and not toks[begin].break_before and _describes_someone(low, begin - 1):
            continue
        if found and begin > 1 and low[begin - 1] == "of" and low[begin - 2] == "one":
            begin -= 2
        # A name right after ("my director, Hamid") or right before ("Ingrid, our senior buyer").
        tail = text[toks[last].end_char : toks[last].end_char + 30]
        if re.match(r",?\s+(?:called\s+|named\s+)?[A-Z][^\W\d_]+", tail) and not re.match(
            r",?\s+(I|I'm|I'd|I've)\b", tail
        ):
            continue
        head = text[max(0, toks[begin].start_char - 30) : toks[begin].start_char]
        if re.search(r"[A-Z][^\W\d_]+,\s*$", head) and not re.search(r"(^|\s)(I|So|And|But),\s*$", head):
            continue
        # "a controller in your finance team": where they sit says who they are.
        k = last + 1
        if k + 1 < len(toks) and not toks[last].break_after and low[k] in ("in", "from", "on", "at"):
            for e in range(k + 1, min(len(toks), k + 5)):
                if low[e] in ("team", "department", "group", "office", "side", "board"):
                    last = e
                    break
                if toks[e].break_before:
                    break
        if role in ("lead", "head") and (not found or (begin + 1 == first and low[last + 1 : last + 2] != ["of"])):
            continue  # "my head", "the lead" are not people; "our QA lead", "head of sales" are
        if role != "head of" and last + 2 < n_toks and low[last + 1] == "of" and not toks[last].break_after:
            # "a vice president of finance"
            e = last + 2
            while e < n_toks and e - last <= 3 and low[e] not in FUNCTION_WORDS and not toks[e].break_before:
                e += 1
            if e > last + 2:
                last = e - 1
        weight = 0.0
        plural = m.phrase.endswith("s") and m.phrase != role
        if role in _SPECIFIC_ROLES:
            weight += 4.0
        if role in _GENERIC_ROLES or plural:
            weight -= 14.0
        if not found:
            weight -= 6.0
        if found and low[begin + 1 : first] and set(low[begin + 1 : first]) & {"different", "another", "new", "other"}:
            weight -= 10.0  # "a different nurse": nobody in particular
        said = text[toks[begin].start_char : toks[last].end_char].lower()
        if said not in out:
            out[said] = RoleMention(role, toks[begin].start_char, toks[last].end_char, weight)
    return sorted(out.values(), key=lambda r: r.start)


_TIME_UNITS = frozenset(
    (
        "second seconds minute minutes hour hours day days night nights weekend weekends week weeks "
        "fortnight fortnights month months quarter quarters year years term terms sprint sprints"
    ).split()
)
_DURATION_BEFORE = frozenset("for in within over under took take takes taking spent spend lasted inside".split())
_DURATION_FILL = frozenset(
    "a an another single about just only nearly almost around roughly under over couple of few".split()
)
_APPROX = frozenset("about around roughly nearly almost over under just only approximately some".split())
_APPROX2 = {("more", "than"), ("less", "than"), ("fewer", "than"), ("up", "to"), ("at", "least")}
_FRACTIONS = frozenset("half third thirds quarter quarters fifth fifths tenth tenths".split())
_UNITS = frozenset(
    "percent euros euro pounds pound dollars dollar k m bn million billion thousand hundred points "
    "basis people staff".split()
)
_SMALL = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "half": 0.5,
}
_VAGUE_TAILS = frozenset({"something", "odd", "ish"})
_FILLERS = frozenset({"um", "uh", "er", "erm", "like", "umm", "uhh"})


@dataclass(frozen=True)
class Figure:
    kind: str  # "number" or "duration"
    start: int
    end: int
    weight: float = 0.0
    is_range: bool = False  # "from 34 days to 19", "52% to 81%"
    key: str = ""  # what it counts (its unit or noun), for comparing takes
    value: str = ""  # normalised value


def _is_number(tok: Token) -> bool:
    word = tok.lower.rstrip("%")
    return any(c.isdigit() for c in word) or (word in NUMBER_WORDS and word not in ("twice", "double"))


def _value(words: Sequence[str]) -> str:
    nums = []
    for w in words:
        w = w.rstrip("%").replace(",", "")
        if w in _SMALL:
            nums.append(str(_SMALL[w]))
        elif re.fullmatch(r"\d+(\.\d+)?", w):
            nums.append(w)
    return " ".join(nums) or " ".join(words)


def figures(text: str) -> list[Figure]:
    """Every figure in the text with the words that make it a claim: "about 180,000 euros",
    "from 34 days to 19", "one in five", "by about half"; time spans after "for", "in", "within",
    "took" ("within about six months", "over a single weekend") are durations. Dates, times of day
    and "Year 9" are not figures."""
    toks = tokenize(text)
    low = _tok_words(toks)
    n = len(toks)
    out: list[Figure] = []
    used: set[int] = set()

    def number_run(i: int) -> int:
        """The last token of the number starting at i."""
        j = i
        while (
            j + 1 < n
            and not toks[j].break_after
            and not low[j].endswith("%")
            and (_is_number(toks[j + 1]) or low[j + 1] == "and" and j + 2 < n and _is_number(toks[j + 2]))
        ):
            j += 1 if _is_number(toks[j + 1]) else 2
        if j + 2 < n and low[j + 1] in ("a", "an", "per") and low[j + 2] in _TIME_UNITS and not toks[j].break_after:
            j += 2  # a rate: "eight a month"
        if low[j] == "half" and j + 2 < n and low[j + 1] in ("a", "an") and low[j + 2] in (_UNITS | _TIME_UNITS):
            j += 2
        if j + 1 < n and low[j + 1] in _VAGUE_TAILS and text[toks[j].end_char : toks[j + 1].start_char] == "-":
            j += 1
        return j

    def tail(j: int, limit: int = 2) -> int:
        """Extend over a unit or the noun counted ("312 customers", "eleven dispensing errors")."""
        k = j
        while (
            k + 1 < n
            and k - j < limit
            and not toks[k].break_after
            and low[k + 1] not in FUNCTION_WORDS
            and not _is_number(toks[k + 1])
            and not toks[k + 1].text[0].isupper()
            and not low[k + 1].endswith("ed")
        ):
            k += 1
            if low[k] in _UNITS or low[k] in _TIME_UNITS:
                break
        return k

    i = 0
    while i < n:
        tok = toks[i]
        if i in used:
            i += 1
            continue
        fraction = (
            low[i] in _FRACTIONS
            and i > 0
            and low[i - 1] in ("a", "one")
            and low[i] != "half"
            and text[tok.end_char : tok.end_char + 1] != "-"
        )
        if low[i] in _UNITS and not any(c.isdigit() for c in low[i]):
            i += 1  # "percent", "hundred" on their own are no figure
            continue
        if not (_is_number(tok) or fraction):
            # "a weekend", "a fortnight" after "for", "within", "spent": durations without digits.
            if low[i] in _TIME_UNITS and i > 0 and low[i + 1 : i + 2] not in (["late"], ["early"], ["ago"]):
                b = i - 1
                while b >= 0 and low[b] in _DURATION_FILL and not toks[b + 1].break_before:
                    b -= 1
                if b >= 0 and b < i - 1 and low[b] in _DURATION_BEFORE and not toks[b + 1].break_before:
                    first = b if low[b] in ("spent", "took", "spend", "taking") else b
                    if "first" not in low[b:i] and "the" not in low[b:i]:
                        out.append(
                            Figure("duration", toks[first].start_char, toks[i].end_char, 0.0, False, low[i], low[i])
                        )
                        used.update(range(first, i + 1))
            i += 1
            continue
        if i > 0 and toks[i - 1].text in ("Year", "Grade", "Level", "Stage", "Key", "Room", "Floor"):
            i += 1
            continue
        if re.fullmatch(r"(19|20)\d\d", low[i]) or low[i] in ("one",) and not (i + 1 < n and low[i + 1] == "in"):
            i += 1
            continue
        j = number_run(i)
        begin = i - 1 if fraction else i
        end = tail(j)
        is_range = False
        # "one in five", "two out of three"
        if (
            end == j
            and j + 2 < n
            and low[j + 1] == "in"
            and low[j] in _SMALL
            and low[j + 2] in _SMALL
            and not toks[j].break_after
            and not (j + 3 < n and low[j + 3] in _TIME_UNITS)
        ):
            end = j + 2
        elif low[i] == "one":
            i += 1
            continue
        # "X to Y", "from X to Y"
        to = end + 1
        if to < n and low[to] != "to" and not toks[end].break_after and low[to] not in FUNCTION_WORDS:
            to += 1  # "sixty percent passing to seventy"
        second = to + 1
        while second < n and (low[second] in _FILLERS or low[second] in _APPROX):
            second += 1
        if (
            second < n
            and low[to : to + 1] == ["to"]
            and not toks[to - 1].break_after
            and (_is_number(toks[second]) or low[second] == "one")
        ):
            end = tail(number_run(second))
            is_range = True
        # Words before that belong to the claim: "about", "more than", "by about", "from".
        b = begin
        while b > 0 and not toks[b].break_before:
            pair = (low[b - 2], low[b - 1]) if b > 1 else ("", "")
            if pair in _APPROX2:
                b -= 2
            elif low[b - 1] in _APPROX or (low[b - 1] == "a" and fraction is False and low[b] in _FRACTIONS):
                b -= 1
            elif low[b - 1] == "by" and (b - 1 == 0 or low[b - 2] not in ("by",)):
                b -= 1
                break
            elif low[b - 1] == "from" and is_range:
                b -= 1
                break
            else:
                break
        prev = low[b - 1] if b > 0 and not toks[b].break_before else ""
        units = set(low[i : end + 1]) - {
            w for k, w in enumerate(low[i : end + 1]) if k and low[i + k - 1] in ("a", "an", "per")
        }
        has_time = bool(units & _TIME_UNITS) and not units & {"percent"} and not low[j].endswith("%")
        if is_range and low[end] in _TIME_UNITS and has_time:
            # "from eight hours to forty minutes": both ends are times, a claim about how long.
            is_range, has_time = False, True
            kind_override = "duration"
        else:
            kind_override = ""
        bare = end == j and not low[j].endswith("%") and not any(w in _UNITS for w in low[i : j + 1])
        if bare and not is_range and prev in ("before", "after", "until", "at", "by", "around") and not fraction:
            used.update(range(i, j + 1))
            i = j + 1
            continue
        kind = kind_override or "number"
        if has_time and end + 1 < n and low[end + 1] in ("late", "early", "ago") and not kind_override:
            used.update(range(i, end + 1))  # "a day late", "two weeks ago": no claim about how long
            i = end + 1
            continue
        if has_time and not is_range and not kind_override:
            if end + 1 < n and low[end + 1] == "later" and not toks[end].break_after:
                end += 1
                kind = "duration"
            elif low[b] in ("over", "under"):
                kind = "duration"  # "over roughly three hours": the preposition is already in
            elif prev in _DURATION_BEFORE or prev in ("had", "spent", "took", "by"):
                kind = "duration"
                b -= 1
            elif b > 1 and low[b - 1] in _DURATION_FILL and low[b - 2] in _DURATION_BEFORE:
                kind = "duration"
                b -= 2
            else:
                # "two years running", "half an hour each": time said in passing, not a claim.
                used.update(range(i, end + 1))
                i = end + 1
                continue
        if bare and low[j] in _SMALL and kind == "number" and not is_range and not fraction:
            # A bare small count ("the two of them") is no claim to probe.
            used.update(range(i, j + 1))
            i = j + 1
            continue
        weight = 0.0
        words = low[begin : end + 1]
        if any(w.endswith("%") or w in ("percent", "euros", "pounds", "dollars", "million", "billion") for w in words):
            weight += 6.0
        if is_range:
            weight += 5.0
        if not bare:
            weight += 1.0
        if all(w in _SMALL and _SMALL[w] <= 10 for w in low[i : j + 1]) and not is_range and kind == "number":
            weight -= 10.0
        if fraction or any(w in _VAGUE_TAILS for w in words) or low[i] == "half":
            weight += 3.0
        if bare and low[i] in ("doubled", "tripled", "double", "half") and i == j:
            weight -= 4.0  # "doubled the retry rate": a figure without a number
        if kind == "duration":
            weight += 2.0 if prev in ("in", "within", "over", "took", "spent") else 0.0
            c_first, _ = _clause(toks, b)
            if prev == "for" and {"worked", "been", "working", "work"} & set(low[c_first:b]):
                weight -= 8.0  # "I've worked in marketing for eight years": a career, not a claim
        # Results come late in a story: a figure near the end is more likely the outcome.
        weight += 3.0 * toks[b].start_char / max(1, len(text))
        key_words = [w for w in low[j + 1 : end + 1] if w not in FUNCTION_WORDS]
        key = (
            "percent" if any(w.endswith("%") or w == "percent" for w in words) else (key_words[-1] if key_words else "")
        )
        out.append(
            Figure(
                kind,
                toks[b].start_char,
                toks[end].end_char,
                weight,
                is_range,
                key,
                _value(low[i : end + 1]),
            )
        )
        used.update(range(b, end + 1))
        i = end + 1
    return sorted(out, key=lambda f: f.start)


_AUX = frozenset(
    (
        "are were was is be been am had have has do does did would could should will can might must need "
        "needed want wanted knew know think thought felt feel see saw all both never not just hope"
    ).split()
)
_ADVERBS = frozenset("really just also then all actually basically eventually quickly finally together then".split())
_RESULT_VERBS = frozenset(
    "launched delivered hit finished won shipped missed ended managed lost got went came achieved reached".split()
)
_GROUPS = (
    ("the", "team"),
    ("our", "team"),
    ("my", "team"),
    ("the", "whole", "team"),
    ("the", "group"),
    ("our", "group"),
    ("everyone",),
    ("everybody",),
)
VAGUE_SELF = (
    "i was involved",
    "i was heavily involved",
    "heavily involved",
    "i was part of",
    "i was involved in",
    "i helped with",
    "i contributed to",
    "i supported",
    "i played a part",
    "i played a role",
    "i was key to",
)


@dataclass(frozen=True)
class Claim:
    start: int
    end: int
    weight: float = 0.0


def collective_claims(text: str) -> list[Claim]:
    """Claims made for a group that hide what the speaker did: "we reset the plan", "the team
    really stepped up", "the new onboarding flow we built", "I was heavily involved"."""
    toks = tokenize(text)
    low = _tok_words(toks)
    n = len(toks)
    out: list[Claim] = []
    seen: set[int] = set()

    def claim_end(v: int) -> int:
        _, c_last = _clause(toks, v)
        end = min(c_last, v + 6)
        for k in range(v + 1, end + 1):
            stop = low[k] in ("and", "but", "so", "because", "which", "then", "until", "while", "by") or (
                k - v >= 3 and low[k] in ("at", "in", "on", "for", "to", "from", "with", "into")
            )
            if stop or toks[k].break_before or _is_number(toks[k]):
                end = k - 1
                break
        while end > v and low[end] in TRAILING:
            end -= 1
        return end

    for i in range(n):
        subject_len = 0
        if low[i] == "we":
            subject_len = 1
        else:
            for g in _GROUPS:
                if tuple(low[i : i + len(g)]) == g and (i == 0 or low[i - 1] not in ("with", "to", "for", "of", "on")):
                    subject_len = len(g)
                    break
        if not subject_len:
            continue
        v = i + subject_len
        while v < n and low[v] in _ADVERBS and not toks[v].break_before:
            v += 1
        if v >= n or toks[v].break_before or low[v] in _AUX or low[v] in FUNCTION_WORDS or _is_number(toks[v]):
            continue
        if v in seen:
            continue
        c_first, _ = _clause(toks, i)
        clause_words = low[c_first : claim_end(v) + 1]
        # The same claim again after a stumble ("we cut, um, we cut waste"): keep the later one.
        if any(
            low[k] == "we" and k > i and k - i <= 4 and low[k + 1 : k + 2] == [low[v]]
            for k in range(i + 1, min(n - 1, i + 5))
        ):
            continue
        begin = i
        if i > c_first and low[i] == "we" and low[i - 1] not in FUNCTION_WORDS and low[i - 1] not in ("and", "so"):
            # A relative clause ("the new onboarding flow we built"): quote the thing built; "every
            # invoice we sent" only describes the invoice.
            for k in range(i - 1, max(c_first - 1, i - 5), -1):
                if low[k] in ("the", "a", "an", "our", "this", "that"):
                    begin = k
                    break
            if begin == i:
                continue
        end = v if begin < i else claim_end(v)
        weight = 0.0
        if low[v] in _RESULT_VERBS:
            weight -= 10.0
        if "i" in clause_words or "i'd" in clause_words or "me" in clause_words:
            weight -= 8.0
        if subject_len > 1:
            weight += 2.0
        seen.add(v)
        out.append(Claim(toks[begin].start_char, toks[end].end_char, weight))
    stream = Stream(toks)
    for m in stream.find(VAGUE_SELF):
        end = claim_end(m.last) if m.last + 1 < n else m.last
        out.append(Claim(toks[m.first].start_char, toks[end].end_char, 2.0))
    return sorted(out, key=lambda c: c.start)


_IRREGULAR_PAST = frozenset(
    (
        "built made drove set cut ran put took did brought led moved came chose sent wrote rewrote split "
        "sold bought spent kept held began told found gave dealt"
    ).split()
)


def _clause(toks: Sequence[Token], i: int) -> tuple[int, int]:
    first = i
    while first > 0 and not toks[first].break_before:
        first -= 1
    last = i
    while last + 1 < len(toks) and not toks[last].break_after:
        last += 1
    return first, last


_OUTCOME_WORDS = frozenset(
    "worked work right me better success successful improved competent fixed results result went grew increased "
    "retention up down call figure number numbers percent exact check sure fine well good ok okay great stable".split()
)


def claims_outcome(words: str) -> bool:
    """Whether hedged words are a claim about the result or the speaker's part in it."""
    return bool(_OUTCOME_WORDS.intersection(w.lower() for w in re.findall(r"[A-Za-z']+", words)))


def has_outcome(text: str, found: Content | None = None) -> bool:
    """Whether a story says how it ended: a result part, a figure in it, or an outcome phrase."""
    if found is not None and (found.star_seconds.get("result") or found.result_numbers):
        return True
    return bool(Stream(tokenize(text)).find(OUTCOME_CUES))


def has_reflection(text: str, found: Content | None = None) -> bool:
    """Whether a story says what was learned or what the speaker would change."""
    if found is not None and found.star_seconds.get("reflection"):
        return True
    return bool(Stream(tokenize(text)).find([*STAR_CUES["reflection"], *MORE_REFLECTION]))


_STORY_OPENERS = re.compile(
    r"^\s*(tell me about (a|an|the|someone|something|your most)\b|describe (a|an|the)\b|give me an example|"
    r"walk me through a time|talk me through a time)"
)
_NEGATIVE_QUESTION = re.compile(r"\b(drain\w*|bor\w*|least|worst|frustrat\w*|weakness\w*|dislike\w*|hate)\b", re.I)
_NEGATIVE_ANSWER = re.compile(
    r"\b(drain\w*|tir\w*|exhaust\w*|sap\w*|wears? me|dread\w*|bor\w*|tedious|hate|dislike\w*|least|worst|"
    r"frustrat\w*|struggl\w*|annoy\w*|repetitive|weak\w*|avoid|slog|not good|badly|fail\w*)\b",
    re.I,
)
_LOGISTICS = re.compile(
    r"\b(commut\w*|pay|paid|salary|money|office|house|home|baby|partner|closer|bonus\w*|benefits|location|"
    r"hours|remote|holiday\w*|pension|parking|moved)\b",
    re.I,
)
_WORK_MOTIVES = re.compile(
    r"\b(learn\w*|build\w*|impact|mission|product\w*|challeng\w*|grow\w*|customers?|excit\w*|interest\w*|"
    r"problems?|skills?|the work|your work|what you do|role)\b",
    re.I,
)
_PEOPLE_WORDS = re.compile(
    r"\b(they|them|their|he|she|him|her|people|person|both|someone|manager|colleague\w*|team|report|"
    r"stakeholder\w*|each|everyone|one-to-ones?|one to ones?)\b",
    re.I,
)
_ABOUT_PEOPLE = re.compile(r"\b(people|manager|report|reports|team|colleague|someone|senior|leadership)\b", re.I)


def is_story_question(text: str, category: str | None) -> bool:
    """Whether the question wants a story (what happened, what you did, how it ended)."""
    if category in ("behavioral", "failure"):
        return True
    if category in ("intro", "motivation", "self-inventory", "judgement"):
        return False
    return bool(_STORY_OPENERS.match(text.lower()))


def off_question(question: str, category: str | None, answer: str) -> bool:
    """Whether the answer plainly misses the question: the question asks what drains or bores you
    and the answer has nothing negative; "why this role" answered with the commute and the pay;
    a question about handling people answered with no person in it."""
    words = len(re.findall(r"\w+", answer))
    if words < 25:
        return False
    if _NEGATIVE_QUESTION.search(question) and not _NEGATIVE_ANSWER.search(answer):
        return True
    if category == "motivation" and re.search(r"\bwhy\b", question, re.I):
        if len(_LOGISTICS.findall(answer)) >= 2 and not _WORK_MOTIVES.search(answer):
            return True
    if category == "judgement" and _ABOUT_PEOPLE.search(question) and not _PEOPLE_WORDS.search(answer):
        return True
    return False


def starts_figure(toks: Sequence[Token], k: int) -> bool:
    """Whether token k opens a figure ("in about three weeks", "by 20%"): quotes stop before it."""
    j = k
    while j < len(toks) and j - k < 3 and toks[j].lower in (_APPROX | _DURATION_BEFORE | {"by", "a", "an"}):
        j += 1
    return j < len(toks) and _is_number(toks[j])
