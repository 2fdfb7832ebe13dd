"""`rehearse bench probes`: how well the listening follow-ups pick up what a sharp interviewer
would, on answer transcripts labelled with their expected openings (../shared/answers/dev.toml).

File format: [[answers]] tables with id, question_id, transcript and expect, a list of openings
most important first, each "kind" (a structural gap) or "kind: evidence" (an exact,
case-insensitive substring of the transcript).

An opening counts when a probe of its kind picks up that evidence: the probe's evidence and the
expected words overlap in the transcript on at least half of the expected words' characters
(quotes are at most a clause, so a long quote cannot cover several openings). A structural
opening counts when a probe of that kind is there. Each probe counts for one opening at most.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rehearse.errors import RehearseError
from rehearse.library.bank import Question
from rehearse.practice import probes as listening
from rehearse.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOP = 3


@dataclass(frozen=True)
class Opening:
    kind: str
    evidence: str = ""


@dataclass(frozen=True)
class LabelledAnswer:
    id: str
    question_id: str
    transcript: str
    expect: tuple[Opening, ...]


@dataclass(frozen=True)
class AnswerResult:
    answer: LabelledAnswer
    probes: tuple[listening.Probe, ...]
    hits: tuple[bool, ...]  # per expected opening: picked up in the top 3
    top1: bool
    grounded: bool


@dataclass
class Summary:
    answers: int = 0
    counted: int = 0  # openings counted: at most three per answer
    recalled: int = 0
    top1: int = 0
    grounded: int = 0
    per_kind: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0, 0, 0]))


def answers_file(explicit: Path | None = None) -> Path:
    """The labelled answers: `explicit`, or shared/answers/dev.toml beside the checkout or its parent."""
    if explicit:
        return explicit
    for folder in (PROJECT_ROOT.parent / "shared", PROJECT_ROOT.parent.parent / "shared"):
        if (folder / "answers" / "dev.toml").is_file():
            return folder / "answers" / "dev.toml"
    raise RehearseError("no labelled answers found (shared/answers/dev.toml); pass --answers FILE")


def parse_opening(raw: str) -> Opening:
    kind, _, evidence = raw.partition(":")
    return Opening(kind.strip(), evidence.strip())


def read_answers(path: Path) -> list[LabelledAnswer]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise RehearseError(f"{path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise RehearseError(f"{path}: not valid TOML ({exc})") from None
    out = []
    for raw in data.get("answers", []):
        try:
            out.append(
                LabelledAnswer(
                    str(raw["id"]),
                    str(raw["question_id"]),
                    str(raw["transcript"]),
                    tuple(parse_opening(e) for e in raw["expect"]),
                )
            )
        except KeyError as exc:
            raise RehearseError(f"{path}: answer {raw.get('id', '?')!r} has no {exc.args[0]!r}") from None
    if not out:
        raise RehearseError(f"{path}: no [[answers]] found")
    return out


def _span(transcript: str, words: str) -> tuple[int, int] | None:
    at = transcript.lower().find(words.lower())
    return (at, at + len(words)) if at >= 0 and words else None


def picks_up(transcript: str, opening: Opening, probe: listening.Probe) -> bool:
    if probe.kind != opening.kind:
        return False
    if not opening.evidence:
        return True
    want, got = _span(transcript, opening.evidence), _span(transcript, probe.evidence)
    if want is None or got is None:
        return False
    overlap = min(want[1], got[1]) - max(want[0], got[0])
    return overlap >= (want[1] - want[0]) / 2


def score(answer: LabelledAnswer, probes: Sequence[listening.Probe]) -> AnswerResult:
    top = list(probes[:TOP])
    hits = [False] * len(answer.expect)
    for p in top:  # one opening per probe, the most important it matches
        for k, opening in enumerate(answer.expect):
            if not hits[k] and picks_up(answer.transcript, opening, p):
                hits[k] = True
                break
    top1 = bool(probes) and any(picks_up(answer.transcript, o, probes[0]) for o in answer.expect)
    low = answer.transcript.lower()
    grounded = all(p.evidence.lower() in low for p in probes)
    return AnswerResult(answer, tuple(probes), tuple(hits), top1, grounded)


def run(path: Path, questions: dict[str, Question], settings: Settings) -> tuple[Summary, list[AnswerResult]]:
    summary = Summary()
    results = []
    for answer in read_answers(path):
        question = questions.get(answer.question_id)
        if question is None:
            raise RehearseError(f"{path}: answer {answer.id} names unknown question id '{answer.question_id}'")
        found = listening.propose(answer.transcript, (), question, settings)
        r = score(answer, found)
        results.append(r)
        summary.answers += 1
        summary.counted += min(TOP, len(answer.expect))
        summary.recalled += min(TOP, sum(r.hits))
        summary.top1 += r.top1
        summary.grounded += r.grounded
        for opening, hit in zip(answer.expect, r.hits):
            row = summary.per_kind[opening.kind]
            row[0] += 1
            row[1] += hit
        if found:
            row = summary.per_kind[found[0].kind]
            row[2] += 1
            row[3] += r.top1
        for p in found:
            row = summary.per_kind[p.kind]
            row[4] += 1
            row[5] += p.evidence.lower() in answer.transcript.lower()
    return summary, results


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f} %" if b else "    -  "


def format_report(summary: Summary, results: Sequence[AnswerResult], verbose: bool = False) -> str:
    lines = []
    if verbose:
        for r in results:
            mark = "".join("x" if h else "." for h in r.hits)
            lines.append(f"{r.answer.id} [{mark}] top1={'yes' if r.top1 else 'no'}")
            for p in r.probes[:TOP]:
                lines.append(f"    {p.kind}: {p.evidence!r}")
            for o, h in zip(r.answer.expect, r.hits):
                if not h:
                    lines.append(f"    missed {o.kind}: {o.evidence!r}")
        lines.append("")
    lines += [
        f"answers: {summary.answers}",
        f"recall@3: {_pct(summary.recalled, summary.counted)} ({summary.recalled}/{summary.counted}, at most three per answer)",
        f"top-1:    {_pct(summary.top1, summary.answers)} ({summary.top1}/{summary.answers})",
        f"grounded: {_pct(summary.grounded, summary.answers)} ({summary.grounded}/{summary.answers} answers with every quote in the transcript)",
        "",
        f"{'kind':<14} {'expected':>8} {'in top 3':>9} {'recall':>8} {'first':>6} {'top-1':>8} {'probes':>7} {'grounded':>9}",
    ]
    for kind in listening.KINDS:
        row = summary.per_kind.get(kind)
        if not row:
            continue
        lines.append(
            f"{kind:<14} {row[0]:>8} {row[1]:>9} {_pct(row[1], row[0]):>8} {row[2]:>6} {_pct(row[3], row[2]):>8} "
            f"{row[4]:>7} {_pct(row[5], row[4]):>9}"
        )
    return "\n".join(lines)
