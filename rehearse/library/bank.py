"""Question banks and drill definitions: TOML data, validated on load, and drill planning.

A broken file never stops the rest from loading: `load_library` collects one message per broken
file (naming the file, the question or drill id and the field) for the app to show.
"""

from __future__ import annotations

import logging
import random
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rehearse.errors import BankError, DrillError, RehearseError
from rehearse.settings import Settings

log = logging.getLogger(__name__)

CATEGORIES = (
    "behavioral",
    "failure",
    "intro",
    "motivation",
    "values",
    "competency",
    "self-inventory",
    "judgement",
)
ORDERS = ("fixed", "shuffled")
ID_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")

QUESTION_KEYS = {"id", "text", "category", "tags", "target_seconds", "probes"}
BANK_KEYS = {"title", "questions"}
DRILL_REQUIRED = {"title", "description", "count", "order", "probes_per_question"}
DRILL_OPTIONAL = {
    "questions",
    "tags",
    "categories",
    "think_seconds",
    "time_limit_seconds",
    "listening_probes",
    "tone",
    "interrupt",
}
# How generated follow-ups are worded (practice/probes.py TONES): "blunt" for a skeptical panel.
TONES = ("plain", "blunt")


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    category: str
    tags: tuple[str, ...]
    target_seconds: tuple[float, float]
    probes: tuple[str, ...]
    source: str = ""

    def prompt(self, probe_index: int) -> str:
        """Probe index 0 is the question itself; 1..n are the follow-up probes in order."""
        return self.text if probe_index == 0 else self.probes[probe_index - 1]


@dataclass(frozen=True)
class Drill:
    id: str
    title: str
    description: str
    count: int
    order: str
    probes_per_question: int
    questions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    think_seconds: float | None = None
    time_limit_seconds: float | None = None
    source: str = ""
    # After the main answer, this many follow-ups picked from what the answer said (listening
    # probes) come before the curated ones; worded in `tone`.
    listening_probes: int = 0
    tone: str = "plain"
    # With live transcription, the voice cuts in when an answer runs past the time limit or is all
    # "we" and no "I" (practice/interrupt.py); the cut's probe becomes the next step.
    interrupt: bool = False


@dataclass(frozen=True)
class Step:
    """One thing the user answers in a drill run: the main question (probe 0) or one probe."""

    question_id: str
    probe_index: int
    prompt: str
    question_text: str
    probe_count: int
    # A follow-up built from the answer itself (practice/probes) rather than the bank: its kind
    # ("person", "vague_we", "memory", ...), the words of the answer it picks up and their time in
    # that recording, and the one line shown to the user. Empty for the main question and curated
    # probes. Generated probes take probe_index 101, 102, ... so a curated probe keeps its index.
    kind: str = ""
    evidence: str = ""
    evidence_start: float | None = None
    why: str = ""

    @property
    def is_generated(self) -> bool:
        return bool(self.kind)

    @property
    def is_probe(self) -> bool:
        return self.probe_index > 0


@dataclass(frozen=True)
class Library:
    questions: dict[str, Question] = field(default_factory=dict)
    drills: dict[str, Drill] = field(default_factory=dict)
    # One message per file that failed to load; the rest of the library is still usable.
    problems: tuple[str, ...] = ()


def _read_toml(path: Path, error: type[RehearseError]) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc}); fix the syntax at that line") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot be read ({exc})") from None


def _str_list(value: Any, where: str, error: type[RehearseError]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise error(f"{where} must be a list of strings, got {value!r}")
    return tuple(value)


def _number(value: Any, where: str, error: type[RehearseError], *, minimum: float, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise error(f"{where} must be a number, got {value!r}")
    if value < minimum or (strict and value == minimum):
        raise error(f"{where} must be {'more than' if strict else 'at least'} {minimum}, got {value!r}")
    return value


def parse_question(raw: Any, where: str) -> Question:
    """Validate one [[questions]] table; `where` names the file for messages."""
    if not isinstance(raw, dict):
        raise BankError(f"{where}: each [[questions]] entry must be a table, got {raw!r}")
    qid = raw.get("id")
    if not isinstance(qid, str) or not ID_RE.fullmatch(qid):
        raise BankError(
            f"{where}: question id {qid!r} must be lowercase letters, digits and hyphens, like 'lead-buy-in'"
        )
    at = f"{where}: question '{qid}'"
    unknown = set(raw) - QUESTION_KEYS
    if unknown:
        raise BankError(
            f"{at}: unknown field(s) {', '.join(sorted(unknown))}; valid fields are {', '.join(sorted(QUESTION_KEYS))}"
        )
    missing = QUESTION_KEYS - set(raw)
    if missing:
        raise BankError(f"{at}: missing field(s) {', '.join(sorted(missing))}")
    text = raw["text"]
    if not isinstance(text, str) or not text.strip():
        raise BankError(f"{at}: field 'text' must be a non-empty string")
    if raw["category"] not in CATEGORIES:
        raise BankError(f"{at}: field 'category' is {raw['category']!r}; valid categories are {', '.join(CATEGORIES)}")
    tags = _str_list(raw["tags"], f"{at}: field 'tags'", BankError)
    target = raw["target_seconds"]
    if (
        not isinstance(target, list)
        or len(target) != 2
        or not all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in target)
        or not 0 < target[0] < target[1]
    ):
        raise BankError(
            f"{at}: field 'target_seconds' must be [min, max] with 0 < min < max, like [60, 120]; got {target!r}"
        )
    probes = _str_list(raw["probes"], f"{at}: field 'probes'", BankError)
    if len(probes) < 2 or not all(p.strip() for p in probes):
        raise BankError(f"{at}: field 'probes' needs at least two non-empty follow-up probes, got {len(probes)}")
    return Question(
        qid,
        text.strip(),
        raw["category"],
        tags,
        (float(target[0]), float(target[1])),
        tuple(p.strip() for p in probes),
        where,
    )


def load_question_file(path: Path) -> list[Question]:
    data = _read_toml(path, BankError)
    unknown = set(data) - BANK_KEYS
    if unknown:
        raise BankError(
            f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}; valid keys are title and [[questions]]"
        )
    if "title" in data and not isinstance(data["title"], str):
        raise BankError(f"{path}: top-level key 'title' must be a string, got {data['title']!r}")
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise BankError(f"{path}: no [[questions]] found; add at least one question table")
    questions = [parse_question(raw, str(path)) for raw in raw_questions]
    seen: set[str] = set()
    for q in questions:
        if q.id in seen:
            raise BankError(f"{path}: question id '{q.id}' appears twice; ids must be unique")
        seen.add(q.id)
    return questions


def parse_drill(data: Any, drill_id: str, where: str, questions: dict[str, Question]) -> Drill:
    at = f"{where}: drill '{drill_id}'"
    if not isinstance(data, dict):
        raise DrillError(f"{at}: must be a TOML table")
    unknown = set(data) - DRILL_REQUIRED - DRILL_OPTIONAL
    if unknown:
        raise DrillError(
            f"{at}: unknown field(s) {', '.join(sorted(unknown))}; valid fields are {', '.join(sorted(DRILL_REQUIRED | DRILL_OPTIONAL))}"
        )
    missing = DRILL_REQUIRED - set(data)
    if missing:
        raise DrillError(f"{at}: missing field(s) {', '.join(sorted(missing))}")
    for key in ("title", "description"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise DrillError(f"{at}: field '{key}' must be a non-empty string")
    count = data["count"]
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise DrillError(f"{at}: field 'count' must be a whole number of at least 1, got {count!r}")
    if data["order"] not in ORDERS:
        raise DrillError(f"{at}: field 'order' is {data['order']!r}; valid orders are {', '.join(ORDERS)}")
    probes = data["probes_per_question"]
    if not isinstance(probes, int) or isinstance(probes, bool) or probes < 0:
        raise DrillError(f"{at}: field 'probes_per_question' must be a whole number of at least 0, got {probes!r}")
    ids = _str_list(data.get("questions", []), f"{at}: field 'questions'", DrillError)
    tags = _str_list(data.get("tags", []), f"{at}: field 'tags'", DrillError)
    categories = _str_list(data.get("categories", []), f"{at}: field 'categories'", DrillError)
    if not (ids or tags or categories):
        raise DrillError(f"{at}: select questions with at least one of 'questions', 'tags' or 'categories'")
    for qid in ids:
        if qid not in questions:
            raise DrillError(f"{at}: field 'questions' names unknown question id '{qid}'; check the ids in questions/")
    known_tags = {t for q in questions.values() for t in q.tags}
    for tag in tags:
        if tag not in known_tags:
            raise DrillError(
                f"{at}: field 'tags' names tag '{tag}' that no question has; known tags: {', '.join(sorted(known_tags))}"
            )
    for cat in categories:
        if cat not in CATEGORIES:
            raise DrillError(f"{at}: field 'categories' names {cat!r}; valid categories are {', '.join(CATEGORIES)}")
    think = data.get("think_seconds")
    if think is not None:
        think = _number(think, f"{at}: field 'think_seconds'", DrillError, minimum=0)
    limit = data.get("time_limit_seconds")
    if limit is not None:
        limit = _number(limit, f"{at}: field 'time_limit_seconds'", DrillError, minimum=0, strict=True)
    listening = data.get("listening_probes", 0)
    if not isinstance(listening, int) or isinstance(listening, bool) or not 0 <= listening <= 5:
        raise DrillError(
            f"{at}: field 'listening_probes' must be a whole number from 0 to 5 (follow-ups picked from the answer), got {listening!r}"
        )
    tone = data.get("tone", "plain")
    if tone not in TONES:
        raise DrillError(f"{at}: field 'tone' is {tone!r}; valid tones are {', '.join(TONES)}")
    interrupt = data.get("interrupt", False)
    if not isinstance(interrupt, bool):
        raise DrillError(f"{at}: field 'interrupt' must be true or false (the voice cuts in), got {interrupt!r}")
    drill = Drill(
        drill_id,
        data["title"].strip(),
        data["description"].strip(),
        count,
        data["order"],
        probes,
        ids,
        tags,
        categories,
        think,
        limit,
        where,
        listening,
        tone,
        interrupt,
    )
    matched = len(select_questions(drill, questions))
    if matched < count:
        raise DrillError(
            f"{at}: selects only {matched} question(s) but 'count' is {count}; lower count or widen the selection"
        )
    return drill


def load_drill_file(path: Path, questions: dict[str, Question]) -> Drill:
    return parse_drill(_read_toml(path, DrillError), path.stem, str(path), questions)


def _toml_files(dirs: Iterable[Path]) -> list[Path]:
    return [p for d in dirs if d.is_dir() for p in sorted(d.glob("*.toml"))]


def load_library(settings: Settings) -> Library:
    """Every question and drill Rehearse can offer, plus one message per broken file."""
    problems: list[str] = []
    questions: dict[str, Question] = {}
    for path in _toml_files((*settings.questions_dirs, settings.user_questions_dir)):
        try:
            loaded = load_question_file(path)
            for q in loaded:
                if q.id in questions:
                    raise BankError(
                        f"{path}: question id '{q.id}' is already defined in {questions[q.id].source}; ids must be unique across files"
                    )
        except BankError as exc:
            log.warning("skipping question file: %s", exc)
            problems.append(str(exc))
            continue
        questions.update((q.id, q) for q in loaded)
    drills: dict[str, Drill] = {}
    for path in _toml_files(settings.drills_dirs):
        try:
            drills[path.stem] = load_drill_file(path, questions)
        except DrillError as exc:
            log.warning("skipping drill file: %s", exc)
            problems.append(str(exc))
    return Library(questions, drills, tuple(problems))


def select_questions(drill: Drill, questions: dict[str, Question]) -> list[Question]:
    """The drill's pool: pinned ids first in their order, then tag/category matches in bank order."""
    pinned = [questions[i] for i in drill.questions if i in questions]
    pinned_ids = {q.id for q in pinned}
    rest = [
        q
        for q in questions.values()
        if q.id not in pinned_ids and (set(q.tags) & set(drill.tags) or q.category in drill.categories)
    ]
    return pinned + rest


def plan_drill(drill: Drill, questions: dict[str, Question], seed: int | None = None) -> tuple[Step, ...]:
    """The ordered steps of one run: each question followed by its first N probes."""
    pool = select_questions(drill, questions)
    pinned, rest = pool[: len(drill.questions)], pool[len(drill.questions) :]
    if drill.order == "shuffled":
        random.Random(seed).shuffle(rest)
    chosen = (pinned + rest)[: drill.count]
    steps: list[Step] = []
    for q in chosen:
        n = min(drill.probes_per_question, len(q.probes))
        for i in range(n + 1):
            steps.append(Step(q.id, i, q.prompt(i), q.text, n))
    return tuple(steps)
