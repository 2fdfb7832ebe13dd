"""The user's own question bank: TOML files in <home>/questions, in the shipped format.

Every write builds the whole file, reads it back through the same validation the loader uses
(bank.load_question_file), and only then replaces the old file atomically, so a file Rehearse
wrote always loads. The shipped questions/ folder is never written.
"""

from __future__ import annotations

import html
import logging
import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rehearse.errors import BankError
from rehearse.library import bank
from rehearse.library.bank import Question
from rehearse.settings import Settings
from rehearse.speech.audio import atomic_write

log = logging.getLogger(__name__)

DEFAULT_FILE = "my-questions.toml"
DEFAULT_TITLE = "My questions"


@dataclass(frozen=True)
class OwnBank:
    questions: tuple[Question, ...]
    # One message per own file that does not load; it is left alone, never overwritten.
    problems: tuple[str, ...] = ()


def _toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_number(value: float) -> str:
    if not math.isfinite(value):
        raise BankError(f"target seconds must be finite numbers, got {value!r}")
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def to_toml(title: str, questions: Iterable[Question]) -> str:
    parts = [f"title = {_toml_string(title)}\n"]
    for q in questions:
        parts.append(
            "\n[[questions]]\n"
            f"id = {_toml_string(q.id)}\n"
            f"text = {_toml_string(q.text)}\n"
            f"category = {_toml_string(q.category)}\n"
            f"tags = [{', '.join(_toml_string(t) for t in q.tags)}]\n"
            f"target_seconds = [{_toml_number(q.target_seconds[0])}, {_toml_number(q.target_seconds[1])}]\n"
            "probes = [\n" + "".join(f"  {_toml_string(p)},\n" for p in q.probes) + "]\n"
        )
    return "".join(parts)


def write_bank(path: Path, title: str, questions: Iterable[Question]) -> tuple[Question, ...]:
    """Validate, then replace `path` with these questions; an empty list removes the file."""
    questions = tuple(questions)
    if not questions:
        path.unlink(missing_ok=True)
        return ()
    text = to_toml(title, questions)
    # Read back exactly what will be on disk, with the loader's checks, before anything is replaced.
    loaded = tuple(bank.parse_question(raw, str(path)) for raw in tomllib.loads(text)["questions"])
    ids = [q.id for q in loaded]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise BankError(f"{path}: question id(s) {', '.join(duplicates)} would appear twice; ids must be unique")
    atomic_write(path, text.encode("utf-8"))
    log.info("wrote %d question(s) to %s", len(loaded), path)
    return loaded


def bank_title(path: Path) -> str:
    try:
        title = tomllib.loads(path.read_text(encoding="utf-8")).get("title")
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        title = None
    return title if isinstance(title, str) and title.strip() else DEFAULT_TITLE


def load_own(settings: Settings) -> OwnBank:
    questions: list[Question] = []
    problems: list[str] = []
    folder = settings.user_questions_dir
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
        try:
            questions.extend(bank.load_question_file(path))
        except BankError as exc:
            problems.append(str(exc))
    return OwnBank(tuple(questions), tuple(problems))


def is_own(settings: Settings, question: Question) -> bool:
    return bool(question.source) and Path(question.source).parent == settings.user_questions_dir


_TAG = re.compile(r"<[^>]*>")


def slug(text: str, words: int = 6) -> str:
    """The first words of a question, for its id: words only, never HTML tags or entities typed
    with it ("<b>Tell</b> me" is "tell-me")."""
    return "-".join(re.findall(r"[a-z0-9]+", html.unescape(_TAG.sub(" ", text)).lower())[:words])


def new_question_id(text: str, taken: Iterable[str], prefix: str = "my") -> str:
    """A readable id from the question's first words, unique among `taken`."""
    base = "-".join(p for p in (prefix, slug(text)) if p)[:60].strip("-") or "my-question"
    taken = set(taken)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


# The My questions page's field labels: its widgets use these, and so do the messages below.
LABELS = {
    "text": "Question",
    "category": "Category",
    "tags": "Tags (comma-separated)",
    "min": "Aim for at least (seconds)",
    "max": "and at most (seconds)",
    "probes": "Follow-up probes, one per line (at least two)",
}


def form_problems(
    text: str, category: str, tags: Iterable[str], target: tuple[float, float], probes: Iterable[str]
) -> list[str]:
    """Every problem with the form at once, each naming the field as the page labels it."""
    problems = []
    if not text.strip():
        problems.append(f"{LABELS['text']}: write the question.")
    if category not in bank.CATEGORIES:
        problems.append(f"{LABELS['category']}: choose one of {', '.join(bank.CATEGORIES)}.")
    low, high = target
    if low <= 0:
        problems.append(f"{LABELS['min']}: must be more than 0.")
    if high <= low:
        problems.append(f"“{LABELS['max']}” ({high:g}) must be more than “{LABELS['min']}” ({low:g}).")
    written = [p for p in probes if p.strip()]
    if len(written) < 2:
        problems.append(
            f"{LABELS['probes']}: write at least two, one per line (there {'is' if len(written) == 1 else 'are'} {len(written)})."
        )
    return problems


def _check_form(
    text: str, category: str, tags: Iterable[str], target: tuple[float, float], probes: Iterable[str]
) -> None:
    problems = form_problems(text, category, tags, target, probes)
    if problems:
        raise BankError("Nothing was saved. Please fix:\n" + "\n".join(f"- {p}" for p in problems))


def build_question(
    qid: str,
    text: str,
    category: str,
    tags: Iterable[str],
    target: tuple[float, float],
    probes: Iterable[str],
    where: str,
) -> Question:
    """A Question from form fields, through the loader's own validation so messages match the files'."""
    raw = {
        "id": qid,
        "text": text,
        "category": category,
        "tags": [t.strip() for t in tags if t.strip()],
        "target_seconds": [target[0], target[1]],
        "probes": [p.strip() for p in probes if p.strip()],
    }
    return bank.parse_question(raw, where)


def _shipped_guard(settings: Settings, library: bank.Library, qid: str) -> Question:
    question = library.questions.get(qid)
    if question is None:
        raise BankError(f"No question with id {qid!r}; it may have been deleted. Reload the page.")
    if not is_own(settings, question):
        raise BankError(
            f"Question '{qid}' is a shipped question ({question.source}); only your own questions in "
            f"{settings.user_questions_dir} can be changed here. Add a new question instead."
        )
    return question


def add_question(
    settings: Settings,
    library: bank.Library,
    *,
    text: str,
    category: str,
    tags: Iterable[str],
    target: tuple[float, float],
    probes: Iterable[str],
    file_name: str = DEFAULT_FILE,
) -> Question:
    tags, probes = list(tags), list(probes)
    _check_form(text, category, tags, target, probes)
    path = settings.user_questions_dir / file_name
    qid = new_question_id(text, library.questions)
    question = build_question(qid, text, category, tags, target, probes, str(path))
    current = bank.load_question_file(path) if path.exists() else []
    title = bank_title(path) if path.exists() else DEFAULT_TITLE
    written = write_bank(path, title, [*current, question])
    return written[-1]


def update_question(
    settings: Settings,
    library: bank.Library,
    qid: str,
    *,
    text: str,
    category: str,
    tags: Iterable[str],
    target: tuple[float, float],
    probes: Iterable[str],
) -> Question:
    old = _shipped_guard(settings, library, qid)
    tags, probes = list(tags), list(probes)
    _check_form(text, category, tags, target, probes)
    path = Path(old.source)
    question = build_question(qid, text, category, tags, target, probes, str(path))
    current = bank.load_question_file(path)
    written = write_bank(path, bank_title(path), [question if q.id == qid else q for q in current])
    return next(q for q in written if q.id == qid)


def delete_question(settings: Settings, library: bank.Library, qid: str) -> None:
    old = _shipped_guard(settings, library, qid)
    path = Path(old.source)
    write_bank(path, bank_title(path), [q for q in bank.load_question_file(path) if q.id != qid])


def drill(own: OwnBank, probes_per_question: int = 3) -> bank.Drill:
    """A drill over every one of the user's own questions, in the order they were written."""
    if not own.questions:
        raise BankError("You have no questions of your own yet: add one first.")
    return bank.Drill(
        "my-questions",
        "My questions",
        "Every question you wrote yourself.",
        count=len(own.questions),
        order="fixed",
        probes_per_question=probes_per_question,
        questions=tuple(q.id for q in own.questions),
        source="own questions",
    )
