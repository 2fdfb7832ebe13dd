"""The follow-up letter: a draft built from a debrief, and the marks of a strong follow-up checked
on whatever text the user ends up with. Pure functions.

A strong follow-up builds rapport (it speaks to the people met, by name), has a specific purpose
(it answers a concern they raised), is succinct but not generic (no template phrases, not long),
and follows up on something that was actually discussed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rehearse.debrief.checklist import Debrief, Person, content_words, recalled_questions

MIN_WORDS = 60
MAX_WORDS = 220
PLACEHOLDER = re.compile(r"\[[^\]\n]{1,80}\]")

# Phrases that make a follow-up read like every other one; each is flagged where it appears.
TEMPLATE_PHRASES = (
    "thank you for your time and consideration",
    "thank you for the opportunity",
    "thanks for the opportunity",
    "i look forward to hearing from you",
    "look forward to hearing from you",
    "i am writing to",
    "i'm writing to",
    "please do not hesitate",
    "please don't hesitate",
    "feel free to contact me",
    "great fit",
    "perfect fit",
    "perfect candidate",
    "ideal candidate",
    "to whom it may concern",
    "dear hiring manager",
    "dear hiring team",
    "at your earliest convenience",
    "i am excited about the opportunity",
    "i'm excited about the opportunity",
    "excited about this opportunity",
    "i believe i would be",
    "i am confident that i",
    "i'm confident that i",
    "it was a pleasure meeting you",
    "it was great meeting you",
    "just wanted to follow up",
    "just checking in",
    "touch base",
    "reach out",
    "synergy",
    "team player",
    "hit the ground running",
    "value add",
    "passionate about",
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _names(people: tuple[Person, ...]) -> list[str]:
    return [p.first_name for p in people if p.first_name]


def _join(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _matching_strength(concern: str, strengths: tuple[str, ...]) -> str | None:
    wanted = content_words(concern)
    best = max(strengths, key=lambda s: len(wanted & content_words(s)), default=None)
    return best if best and wanted & content_words(best) else None


def _lower_first(text: str) -> str:
    text = text.strip().rstrip(".?!")
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


_PAST_VERBS = frozenset(
    "led built ran grew made won cut wrote took set drove shipped kept gave brought taught sold found owned "
    "managed delivered designed launched created reduced increased improved fixed hired mentored coached".split()
)
_ADJECTIVE_STARTS = ("strong ", "good ", "clear ", "calm ", "confident ", "comfortable ", "experienced ")
_QUESTION_WORDS = frozenset(
    "what how why when where who whom which whose do does did can could would will is are was were have has should".split()
)


def own_sentence(strength: str) -> str:
    """A strength noted in the debrief ("Telemetry pipeline design at scale", "Leading on-call
    rotations", "Led the Kafka migration", "Strong on SQL") as a sentence the candidate would write."""
    text = " ".join(strength.split()).rstrip(".!?;,")
    if not text:
        return ""
    first = text.split()[0].lower()
    lower = _lower_first(text)
    if first in ("i", "i'm", "i've"):
        sentence = text
    elif first.endswith("ing"):
        sentence = f"I have experience {lower}"
    elif first in _PAST_VERBS or (first.endswith("ed") and len(first) > 4):
        sentence = f"I {lower}"
    elif text.lower().startswith(_ADJECTIVE_STARTS):
        sentence = f"I am {lower}"
    else:
        sentence = f"{text[:1].upper()}{text[1:]} is one of my strengths"
    return sentence + "."


def quoted(text: str) -> str:
    """A recalled question or statement in quotes, ending as it was said: a "?" only for a question."""
    text = " ".join(text.split()).rstrip(" ,;:")
    if text[-1:] not in ".?!":
        first = text.split()[0].lower() if text.split() else ""
        text += "?" if first in _QUESTION_WORDS else "."
    return f"\u201c{text}\u201d"


def _stage(stage: str) -> str:
    """ "Second round" mid-sentence is "second round"; "HR screen" stays as it is."""
    return _lower_first(stage) if stage else "interview"


def draft(d: Debrief) -> str:
    """A first draft from the debrief. Bracketed parts are for the user to fill in, and appear only
    where the debrief does not say what to write: a filled debrief gives a draft with none."""
    names = _names(d.people)
    greeting = f"Dear {_join(names)}," if names else "Dear [name of the person you met],"
    role = d.role or "[role]"
    company = d.company or "[company]"
    subject = f"Subject: Following up on our {_stage(d.stage)} conversation for the {role} role"
    paragraphs = [greeting]
    opener = f"Thank you for talking with me about the {role} role at {company}."
    recalled = recalled_questions(d)
    if recalled:
        point = recalled[0]
        asker = f", {point.person.first_name}" if point.person else ""
        opener += f" I have kept thinking about your question{asker}: {quoted(point.text)}"
        strength = _matching_strength(point.text, d.strong_areas)
        if strength:
            opener += f" One thing I would add: {own_sentence(strength)}"
    elif d.observations:
        opener += f" I have kept thinking about what I noticed: {_lower_first(d.observations.splitlines()[0])}."
    paragraphs.append(opener)
    used: list[str] = []
    for person in d.people:
        for concern in person.concerns:
            strength = _matching_strength(concern, d.strong_areas)
            if strength in used:
                answer = "the experience I mentioned above speaks to that too."
            elif strength:
                answer = own_sentence(strength)
                used.append(strength)
            elif d.strong_areas:
                # Nothing in the debrief answers it: say how it will be closed rather than invent a fact.
                answer = "I would like to show you how I would close that gap, and can send a short plan."
            else:
                answer = "[one or two sentences on how you have handled it, with an example]."
            paragraphs.append(
                f"{person.first_name or person.name}, on the point you raised about {_lower_first(concern)}: {answer}"
            )
    rest = [s for s in d.strong_areas if s.strip() and s not in used][:3]
    if rest:
        paragraphs.append(
            ("What also fits this role: " if used else "What fits this role best: ")
            + " ".join(own_sentence(s) for s in rest)
        )
    paragraphs.append("If a short example of that work would help your decision, I can send one this week.")
    paragraphs.append("Best regards,")
    return subject + "\n\n" + "\n\n".join(paragraphs)


def split_subject(text: str) -> tuple[str, str]:
    """('subject', 'body') from a letter whose first line may be 'Subject: ...'."""
    first, _, rest = text.strip().partition("\n")
    if first.lower().startswith("subject:"):
        return first.split(":", 1)[1].strip(), rest.strip()
    return "", text.strip()


def word_count(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9']+", split_subject(text)[1]))


def template_phrases(text: str) -> list[str]:
    low = re.sub(r"\s+", " ", text.lower().replace("\u2019", "'"))
    return [p for p in TEMPLATE_PHRASES if p in low]


def _covers(text_words: set[str], point: str) -> bool:
    """The letter speaks to a point when it shares half of the point's meaningful words, and at least two
    of them when the point has two: one common word such as 'team' is not a reference."""
    wanted = content_words(point)
    need = min(len(wanted), 3, max(2, (len(wanted) + 1) // 2))
    return bool(wanted) and len(wanted & text_words) >= need


def check(text: str, d: Debrief) -> tuple[Check, ...]:
    """The marks of a strong follow-up, each with what to do when it is missing."""
    _, body = split_subject(text)
    words = content_words(body)
    low = body.lower()

    names = [n for n in _names(d.people)]
    named = [n for n in names if re.search(rf"\b{re.escape(n.lower())}\b", low)]
    if not names:
        rapport = Check("Builds rapport", False, "Add the people you met to the debrief, then write to them by name.")
    elif named:
        rapport = Check("Builds rapport", True, f"Speaks to {_join(named)} by name.")
    else:
        rapport = Check("Builds rapport", False, f"Write to the people you met by name: {_join(names)}.")

    concerns = [(p, c) for p in d.people for c in p.concerns]
    answered = [c for _, c in concerns if _covers(words, c)]
    open_ = [c for _, c in concerns if c not in answered]
    if not concerns:
        purpose = Check(
            "Has a specific purpose",
            False,
            "Note the interviewers' concerns in the debrief; a follow-up that answers one has a purpose.",
        )
    elif open_:
        purpose = Check("Has a specific purpose", False, "Answer the open concern(s): " + "; ".join(open_) + ".")
    else:
        purpose = Check("Has a specific purpose", True, "Answers " + "; ".join(answered) + ".")

    count = word_count(text)
    if count > MAX_WORDS:
        length = Check("Succinct", False, f"{count} words: cut it to {MAX_WORDS} or fewer; they will skim it.")
    elif count < MIN_WORDS:
        length = Check("Succinct", False, f"Only {count} words: at {MIN_WORDS} or more it can say something specific.")
    else:
        length = Check("Succinct", True, f"{count} words.")

    found = template_phrases(body)
    holes = list(dict.fromkeys(PLACEHOLDER.findall(text)))
    if found or holes:
        bits = []
        if found:
            bits.append(
                "Replace the template phrases "
                + ", ".join(f"\u201c{p}\u201d" for p in found)
                + " with something only you could write"
            )
        if holes:
            bits.append("Fill in " + ", ".join(holes))
        generic = Check("Not generic", False, "; ".join(bits) + ".")
    else:
        generic = Check("Not generic", True, "No template phrases or placeholders.")

    points = [r.text for r in recalled_questions(d)] + [c for _, c in concerns]
    if d.observations:
        points += [line for line in d.observations.splitlines() if line.strip()]
    hit = next((p for p in points if _covers(words, p)), None)
    if hit:
        follows = Check("Follows up on the discussion", True, f"Refers to: {hit}")
    elif points:
        follows = Check(
            "Follows up on the discussion", False, f"Refer to a specific point you discussed, such as: {points[0]}"
        )
    else:
        follows = Check(
            "Follows up on the discussion",
            False,
            "Fill in the questions they asked in the debrief, then refer to one of them.",
        )
    return (rapport, purpose, length, generic, follows)


_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]<>#|])")


def to_markdown(text: str) -> str:
    """The letter as Markdown that renders as written: subject as a heading, line breaks kept."""
    subject, body = split_subject(text)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    escaped = ["  \n".join(_MD_SPECIALS.sub(r"\\\1", line) for line in p.splitlines()) for p in paragraphs]
    head = "# " + _MD_SPECIALS.sub(r"\\\1", subject) + "\n\n" if subject else ""
    return head + "\n\n".join(escaped) + "\n"


def file_stem(d: Debrief) -> str:
    parts = re.findall(r"[a-z0-9]+", f"{d.company} {d.role} {d.interview_date}".lower())
    return "follow-up-" + ("-".join(parts) or d.id[:8])
