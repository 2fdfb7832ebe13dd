"""The debrief after a real interview: its checklist, completeness rules, spoken answers, and the
questions and drills it feeds back into practice. Pure functions over frozen dataclasses; the
database and files are in store/debriefs.py.

Every checklist item is edited as text (one line per entry for lists), so the written form, the
spoken debrief and the tests all go through `with_text` and `text_of`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from rehearse import clock
from rehearse.errors import DebriefError
from rehearse.library.bank import Drill, Question
from rehearse.library.own_questions import slug


@dataclass(frozen=True)
class Item:
    """One checklist item: the Debrief field it fills, how it is edited, and how it is asked aloud."""

    name: str
    label: str
    kind: str  # short, date, text, lines (one entry per line) or people (one person per line)
    prompt: str
    help: str = ""


ITEMS: tuple[Item, ...] = (
    Item("company", "Company", "short", "Which company was the interview with?"),
    Item("role", "Role", "short", "What role was the interview for?"),
    Item(
        "stage", "Stage", "short", "Which stage was it? For example a phone screen, a second round, or the final round."
    ),
    Item(
        "interview_date",
        "Date",
        "date",
        "When was the interview? Say today, yesterday, or the date.",
        "2024-05-03, 'yesterday', 'last Tuesday' or 'March 3' all work.",
    ),
    Item("format", "Format", "short", "What was the format? Phone, video, on site, a panel, or something else?"),
    Item("expected_style", "Style you were told to expect", "text", "What style of interview were you told to expect?"),
    Item(
        "actual_style",
        "Style you got",
        "text",
        "And what style of interview did you actually get?",
        "A 'friendly values chat' that turned into an interrogation is a lesson in itself.",
    ),
    Item(
        "people",
        "People you met",
        "people",
        "Tell me about one person you met: their name, their role, then what they were concerned about or cared about most. "
        "Record again for each person.",
        "One person per line: Name, role: concern; another concern.",
    ),
    Item(
        "questions_asked",
        "Questions they asked",
        "lines",
        "Which questions did they ask you? Say each one as well as you remember it.",
        "One question per line. Start a line with a name ('Dana: ...') to say who asked it.",
    ),
    Item("observations", "Your observations", "text", "What did you notice about the people, the team or the company?"),
    Item("my_questions", "Questions you asked", "lines", "Which questions did you ask them?", "One question per line."),
    Item("weak_areas", "Where you were weak", "lines", "Where were you weak?", "One area per line."),
    Item("strong_areas", "Where you were strong", "lines", "Where were you strong?", "One area per line."),
    Item("assessment", "Overall assessment", "text", "Overall, how did it go?"),
    Item("out_of_control", "Out of your control", "text", "What was out of your control?"),
    Item("mistakes", "Your own mistakes", "text", "What were your own mistakes?"),
    Item("lessons", "Lessons", "text", "What are the lessons?"),
    Item(
        "takeaways",
        "Takeaways for the next interview",
        "lines",
        "What will you do differently in the next interview? Give at least one productive takeaway.",
        "Required: at least one thing you will do in the next interview, one per line.",
    ),
)
ITEM_BY_NAME = {i.name: i for i in ITEMS}

# Said when there is nothing to take away; they do not count as the required takeaway.
NON_ANSWERS = frozenset(
    {
        "none",
        "nothing",
        "no",
        "n/a",
        "na",
        "-",
        "--",
        "?",
        "idk",
        "i don't know",
        "dont know",
        "don't know",
        "not sure",
        "nothing really",
        "no idea",
        "tbd",
        "todo",
        "nothing to add",
        "none really",
    }
)
# Asked after every question made from a debrief: they test memory and ownership, not polish.
DEFAULT_PROBES = (
    "What exactly did you do yourself, and what did others do?",
    "What was the result, and how do you know?",
    "What would you do differently if you faced it again?",
)


@dataclass(frozen=True)
class Person:
    name: str
    role: str = ""
    concerns: tuple[str, ...] = ()

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else ""


@dataclass(frozen=True)
class Debrief:
    id: str
    company: str = ""
    role: str = ""
    stage: str = ""
    interview_date: str = ""
    format: str = ""
    expected_style: str = ""
    actual_style: str = ""
    people: tuple[Person, ...] = ()
    questions_asked: tuple[str, ...] = ()
    observations: str = ""
    my_questions: tuple[str, ...] = ()
    weak_areas: tuple[str, ...] = ()
    strong_areas: tuple[str, ...] = ()
    assessment: str = ""
    out_of_control: str = ""
    mistakes: str = ""
    lessons: str = ""
    takeaways: tuple[str, ...] = ()
    letter: str = ""
    created_at: str = ""
    updated_at: str = ""

    @property
    def title(self) -> str:
        head = " · ".join(p for p in (self.company, self.role, self.stage) if p) or "Untitled debrief"
        return f"{head} ({self.interview_date})" if self.interview_date else head


@dataclass(frozen=True)
class Gap:
    """A checklist item that keeps the debrief from being complete, and why."""

    item: Item
    reason: str


@dataclass(frozen=True)
class Recalled:
    """One question the interviewers asked, as recalled, and who asked it when the user said so."""

    text: str
    person: Person | None = None


# ---------------------------------------------------------------- text in, text out


def _lines(text: str) -> tuple[str, ...]:
    # Bullets typed or pasted from notes are not part of the entry.
    stripped = (line.strip().lstrip("-•*").strip() for line in text.splitlines())
    return tuple(line for line in stripped if line)


_PERSON_LINE = re.compile(r"^(?P<name>[^,:(]+?)\s*(?:[,(]\s*(?P<role>[^:)]*?)\s*\)?\s*)?(?::\s*(?P<concerns>.*))?$")


def parse_person(line: str) -> Person:
    """'Name, role: concern; concern' (or 'Name (role): ...'); missing parts stay empty."""
    m = _PERSON_LINE.match(line.strip())
    if not m:  # a line starting with ',' or ':' has no name; keep it whole so nothing typed is lost
        return Person(name="", role="", concerns=(line.strip(),))
    concerns = tuple(c.strip() for c in re.split(r";", m["concerns"] or "") if c.strip())
    return Person(m["name"].strip(), (m["role"] or "").strip(), concerns)


def format_person(person: Person) -> str:
    head = f"{person.name}, {person.role}" if person.role else person.name
    return f"{head}: {'; '.join(person.concerns)}" if person.concerns else head


def text_of(debrief: Debrief, name: str) -> str:
    """The item's value as the text the user edits."""
    it = item(name)
    value = getattr(debrief, name)
    if it.kind == "people":
        return "\n".join(format_person(p) for p in value)
    if it.kind == "lines":
        return "\n".join(value)
    return value


def with_text(debrief: Debrief, name: str, text: str, today: date | None = None) -> Debrief:
    """The debrief with one item set from edited text; a spoken or typed date becomes ISO when it can."""
    it = item(name)
    if it.kind == "people":
        value: object = tuple(parse_person(line) for line in _lines(text))
    elif it.kind == "lines":
        value = _lines(text)
    elif it.kind == "date":
        parsed = parse_date(text, today or clock.today())
        value = parsed.isoformat() if parsed else text.strip()
    elif it.kind == "short":
        value = " ".join(text.split())
    else:
        value = text.strip()
    return replace(debrief, **{name: value})


def item(name: str) -> Item:
    try:
        return ITEM_BY_NAME[name]
    except KeyError:
        raise DebriefError(f"No debrief checklist item {name!r}; valid items are {', '.join(ITEM_BY_NAME)}") from None


# ---------------------------------------------------------------- dates

_NUMBER_WORDS = {
    w: n
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen".split()
    )
}
_ORDINAL_WORDS = {
    w: n
    for n, w in enumerate(
        (
            "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
            "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
        ).split()
    )
}
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}


def _day_number(token: str) -> int | None:
    token = token.lower()
    m = re.fullmatch(r"(\d{1,2})(st|nd|rd|th)?", token)
    if m:
        return int(m[1])
    return _ORDINAL_WORDS.get(token)


# Our own parser rather than dateparser, which issue 11 asked to try. Measured with dateparser 1.5.0
# on tests/debrief/test_debrief.py's cases (today = 2024-05-08, PREFER_DATES_FROM="past"):
# dateparser.parse() returns nothing for "It was yesterday." and "on the fifth of May", the way a
# spoken answer comes out of the transcriber; search_dates() finds "yesterday" but reads "the fifth
# of May" as 8 May, wrong without a warning. It also costs 15 MB installed (with regex, pytz,
# tzlocal, dateutil), 0.24 s to import and 0.6 s to the first answer (it loads its language data),
# against nothing here. These ~50 lines handle every case the tests have.
def parse_date(text: str, today: date) -> date | None:
    """A typed or spoken interview date: ISO, 'today', 'yesterday', 'three days ago', 'last Tuesday',
    'March 3rd', 'the 3rd of March', '3 March 2024'. A date without a year is the latest one not after today."""
    raw = text.strip()
    m = re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", raw)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    words = re.findall(r"[a-z0-9]+", raw.lower())
    if not words:
        return None
    if "today" in words or ("this" in words and ("morning" in words or "afternoon" in words)):
        return today
    if "yesterday" in words:
        return today - timedelta(days=1)
    for i, w in enumerate(words[:-2]):
        if words[i + 1] in ("day", "days") and words[i + 2] == "ago":
            n = int(w) if w.isdigit() else _NUMBER_WORDS.get(w)
            if n is not None:
                return today - timedelta(days=n)
    for i, w in enumerate(words):
        if w in _MONTHS:
            month = _MONTHS[w]
            day = None
            after = words[i + 1 : i + 3]
            if after and _day_number(after[0]):
                day = _day_number(after[0])
            elif i >= 1 and _day_number(words[i - 1]):
                day = _day_number(words[i - 1])
            elif i >= 2 and words[i - 1] == "of" and _day_number(words[i - 2]):
                day = _day_number(words[i - 2])
            if not day:
                continue
            years = [int(t) for t in words[i + 1 : i + 4] if re.fullmatch(r"(19|20)\d\d", t)]
            try:
                if years:
                    return date(years[0], month, day)
                found = date(today.year, month, day)
                return found if found <= today else date(today.year - 1, month, day)
            except ValueError:
                return None
    for w in words:
        if w in _WEEKDAYS:
            back = (today.weekday() - _WEEKDAYS[w]) % 7
            return today - timedelta(days=back)
    return None


# ---------------------------------------------------------------- completeness


def _productive(takeaway: str) -> bool:
    plain = re.sub(r"[^a-z' /?-]", "", takeaway.lower()).strip()
    return bool(plain) and plain not in NON_ANSWERS and len(plain.split()) >= 2


def gaps(debrief: Debrief, today: date | None = None) -> tuple[Gap, ...]:
    """Every checklist item still empty or not usable, in checklist order; none means complete."""
    today = today or clock.today()
    found: list[Gap] = []
    for it in ITEMS:
        value = getattr(debrief, it.name)
        if not value:
            found.append(Gap(it, "empty"))
        elif it.kind == "date":
            parsed = parse_date(value, today)
            if parsed is None:
                found.append(Gap(it, f"{value!r} is not a date; write it like 2024-05-03, 'yesterday' or 'March 3'"))
            elif parsed > today:
                found.append(
                    Gap(it, f"{parsed.isoformat()} is in the future; a debrief is about an interview that happened")
                )
        elif it.kind == "people":
            for n, person in enumerate(value, 1):
                who = person.name or f"person {n}"
                missing = [
                    part
                    for part, ok in (
                        ("name", person.name),
                        ("role", person.role),
                        ("concerns and priorities", person.concerns),
                    )
                    if not ok
                ]
                if missing:
                    found.append(
                        Gap(it, f"{who} has no {' and no '.join(missing)}; write 'Name, role: concern; concern'")
                    )
        elif it.name == "takeaways" and not any(_productive(t) for t in value):
            found.append(
                Gap(
                    it,
                    "needs at least one productive takeaway, something you will do next time ('none' does not count)",
                )
            )
    return tuple(found)


def is_complete(debrief: Debrief, today: date | None = None) -> bool:
    return not gaps(debrief, today)


def status(debrief: Debrief, today: date | None = None) -> str:
    return "complete" if is_complete(debrief, today) else "draft"


# ---------------------------------------------------------------- speaking the checklist


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.?!])\s+", text.strip()) if s.strip()]


_PERSON_HEAD = re.compile(r"^(?P<name>.+?)(?:,\s*|\s+(?:who\s+)?(?:is|was)\s+)(?P<role>.+)$", re.IGNORECASE)


def person_from_speech(transcript: str) -> str:
    """A spoken 'Dana Smith, the engineering manager. She was worried about ...' as a person line to edit."""
    sentences = _sentences(transcript)
    if not sentences:
        return ""
    if len(sentences) == 1:
        # Speech often runs on: 'Dana Smith, the manager, she was worried about ...'.
        sentences = re.split(r"[,;]\s+(?=(?:she|he|they)\s)", sentences[0], maxsplit=1, flags=re.IGNORECASE)
    head = sentences[0].rstrip(".?! ")
    m = _PERSON_HEAD.match(head)
    if m:
        role = re.sub(r"^(the|a|an|our|their)\s+", "", m["role"].strip(), flags=re.IGNORECASE)
        head = f"{m['name'].strip()}, {role}"
    concerns = "; ".join(s.rstrip(".") for s in sentences[1:])
    return f"{head}: {concerns}" if concerns else head


_FILLER_START = re.compile(r"^(?:(?:so|well|um+|uh+|erm|okay|ok|yeah|yes|right|oh|sure)\b[,.]?\s*)+", re.IGNORECASE)
_SAID_START = re.compile(
    r"^(?:(?:it|that|this)\s+(?:was|is|'s|’s)"
    r"|(?:the\s+)?(?:company|role|job|position|format|stage|interview)\s+(?:was|is)"
    r"|i\s+(?:was\s+)?(?:interviewed|interviewing|applied|applying|went|spoke|talked)"
    r"|they\s+(?:were|are)|we\s+(?:did|had))\s+",
    re.IGNORECASE,
)
_PREPOSITION = re.compile(r"^(?:with|at|for|to|in|over|on)\s+", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_ROLE_WORD = re.compile(r"\s+(?:role|position|job|post|opening)$", re.IGNORECASE)


def short_answer(name: str, spoken: str) -> str:
    """Only the answer in a spoken reply to a short item: "It was with Northwind Payments." is
    "Northwind Payments", "I applied for the Staff Engineer role" is "Staff Engineer"."""
    text = " ".join(spoken.split()).strip().rstrip(".!?")
    text = _FILLER_START.sub("", text)
    text = _SAID_START.sub("", text, count=1)
    text = _PREPOSITION.sub("", text, count=1)
    if name != "company":  # a company may be called "The Guardian"
        text = _ARTICLE.sub("", text, count=1)
    if name == "role":
        text = _ROLE_WORD.sub("", text)
    text = text.strip(" ,")
    return text[:1].upper() + text[1:] if name in ("company", "role") else text or spoken.strip().rstrip(".")


def merge_spoken(debrief: Debrief, name: str, transcript: str, today: date | None = None) -> Debrief:
    """The debrief with a spoken answer added to one item: short fields and the date are replaced,
    text is appended, list items gain one line per sentence, and people gain one person."""
    it = item(name)
    spoken = transcript.strip()
    if not spoken:
        return debrief
    current = text_of(debrief, name)
    if it.kind == "short":
        new = short_answer(name, spoken) or spoken.rstrip(".")
    elif it.kind == "date":
        new = spoken
    elif it.kind == "lines":
        new = "\n".join(filter(None, [current, *_sentences(spoken)]))
    elif it.kind == "people":
        new = "\n".join(filter(None, [current, person_from_speech(spoken)]))
    else:
        new = f"{current}\n{spoken}" if current else spoken
    return with_text(debrief, name, new, today)


# ---------------------------------------------------------------- back to practice

_STOP = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how i if in into is it
its me my of on or our so that the their them then there these they this to was we were what when where which who
why will with would you your about tell time more most some any very just also not no yes""".split()
)


def content_words(text: str) -> set[str]:
    """Lowercase words that carry meaning, crudely stemmed so 'launches' meets 'launch'."""
    out = set()
    for w in re.findall(r"[a-z0-9']+", text.lower()):
        w = w.strip("'")
        if len(w) < 3 or w in _STOP:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                w = w[: -len(suffix)]
                break
        out.add(w)
    return out


def recalled_questions(debrief: Debrief) -> tuple[Recalled, ...]:
    """The recalled questions, with 'Dana: ...' attributed to the person met whose name starts the line."""
    out = []
    for line in debrief.questions_asked:
        person = None
        head, sep, rest = line.partition(":")
        if sep and rest.strip():
            key = head.strip().lower()
            person = next((p for p in debrief.people if key and key in (p.name.lower(), p.first_name.lower())), None)
        out.append(Recalled(rest.strip() if person else line, person))
    return tuple(out)


_CATEGORY_HINTS = (
    ("intro", ("tell me about yourself", "walk me through your", "introduce yourself", "your background")),
    ("failure", ("fail", "mistake", "went wrong", "regret", "missed")),
    ("motivation", ("why do you want", "why this", "why are you leaving", "why us", "motivat", "interested in")),
    ("self-inventory", ("strength", "weakness", "describe yourself", "what would your", "feedback")),
    ("values", ("value", "ethic", "disagree with", "integrity", "culture")),
    ("judgement", ("what would you do", "how would you", "what if", "would you handle")),
    (
        "behavioral",
        ("tell me about a time", "give me an example", "describe a time", "describe a situation", "when have you"),
    ),
)


def guess_category(text: str) -> str:
    low = text.lower()
    for category, hints in _CATEGORY_HINTS:
        if any(h in low for h in hints):
            return category
    return "competency"


def concern_probe(person: Person, concern: str) -> str:
    who = f"{person.name} ({person.role})" if person.role else person.name
    return f"{who} was concerned about this: {concern.rstrip('.')}. What do you say to that?"


def question_from_recalled(recalled: Recalled, debrief: Debrief, question_id: str) -> Question:
    """A bank question for one recalled question: the concerns of whoever asked it (everyone's, when
    nobody was named) become its first probes, then the default probes."""
    people = (recalled.person,) if recalled.person else debrief.people
    probes = [concern_probe(p, c) for p in people for c in p.concerns]
    probes += [p for p in DEFAULT_PROBES if p not in probes]
    tags = tuple(t for t in ("debrief", slug(debrief.company, 3)) if t)
    text = recalled.text if recalled.text.endswith(("?", ".")) else f"{recalled.text}?"
    return Question(question_id, text, guess_category(text), tags, (60.0, 120.0), tuple(probes))


def merge_question(existing: Question, generated: Question) -> Question:
    """Keep the user's edits to a question made earlier; add any probes the debrief has gained since."""
    probes = existing.probes + tuple(p for p in generated.probes if p not in existing.probes)
    return replace(existing, probes=probes)


def practice_drill(
    debrief: Debrief,
    question_ids: Iterable[str],
    *,
    title: str,
    description: str,
    key: str,
    probes_per_question: int = 3,
) -> Drill:
    ids = tuple(dict.fromkeys(question_ids))
    if not ids:
        raise DebriefError(
            f"No questions to practise for '{title}': add the questions they asked to the debrief, "
            "or write your own on the My questions page."
        )
    return Drill(
        f"debrief-{debrief.id[:8]}-{key}",
        title,
        description,
        count=len(ids),
        order="fixed",
        probes_per_question=probes_per_question,
        questions=ids,
        source=f"debrief {debrief.id}",
    )


def focus_questions(
    focus: str, questions: dict[str, Question], preferred: Iterable[str] = (), limit: int = 3
) -> list[str]:
    """Up to `limit` question ids that best match a weak area or takeaway by shared words in their
    category and tags, text, and probes; the debrief's own questions win ties."""
    wanted = content_words(focus)
    preferred = list(preferred)
    scored = []
    for qid, q in questions.items():
        # What a question is about (its category and tags) counts most, its probes least.
        score = (
            3 * len(wanted & content_words(" ".join((q.category, *q.tags))))
            + 2 * len(wanted & content_words(q.text))
            + len(wanted & content_words(" ".join(q.probes)))
        )
        if score:
            scored.append((-score, qid not in preferred, qid))
    return [qid for *_, qid in sorted(scored)[:limit]]


def focus_drill(debrief: Debrief, focus: str, questions: dict[str, Question], own_ids: Iterable[str]) -> Drill:
    """A drill for one weak area or takeaway: the questions it names best, else the debrief's own."""
    own_ids = [q for q in own_ids if q in questions]
    chosen = focus_questions(focus, questions, own_ids) or own_ids[:3]
    if not chosen:
        raise DebriefError(
            f"No question matches {focus!r}: add the questions they asked to the debrief, or write a question "
            "about it on the My questions page."
        )
    return practice_drill(
        debrief,
        chosen,
        title=f"Focus: {focus}",
        key="focus-" + (slug(focus, 4) or "area"),
        description=f"Practice for '{focus}', from the debrief of {debrief.title}.",
    )
