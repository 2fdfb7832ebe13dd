"""Every shipped question bank and drill loads and every reference resolves; broken files say what is wrong."""

from pathlib import Path

import pytest

from rehearse.errors import BankError, DrillError
from rehearse.library import bank
from rehearse.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
QUESTION_FILES = sorted((ROOT / "questions").glob("*.toml"))
DRILL_FILES = sorted((ROOT / "drills").glob("*.toml"))


@pytest.fixture(scope="module")
def shipped() -> bank.Library:
    return bank.load_library(Settings(home=Path("/nonexistent-rehearse-home")))


@pytest.mark.parametrize("path", QUESTION_FILES, ids=lambda p: p.name)
def test_question_file_loads(path: Path, shipped: bank.Library):
    questions = bank.load_question_file(path)
    assert questions
    for q in questions:
        assert shipped.questions[q.id].source == str(path)
        assert len(q.probes) >= 2
        assert q.category in bank.CATEGORIES


@pytest.mark.parametrize("path", DRILL_FILES, ids=lambda p: p.name)
def test_drill_file_loads_and_plans(path: Path, shipped: bank.Library):
    drill = bank.load_drill_file(path, shipped.questions)
    for qid in drill.questions:
        assert qid in shipped.questions
    steps = bank.plan_drill(drill, shipped.questions, seed=1)
    mains = [s for s in steps if not s.is_probe]
    assert len(mains) == drill.count
    for s in steps:
        q = shipped.questions[s.question_id]
        assert s.prompt == q.prompt(s.probe_index)
        assert s.probe_index <= drill.probes_per_question
    # Listening follow-ups are checked on load: a count the drill run can honour, a known tone.
    assert 0 <= drill.listening_probes <= 5
    assert drill.tone in bank.TONES
    if path.stem in ("leadership-follow-ups", "failure-under-probing", "skeptical-panel"):
        assert drill.listening_probes >= 1
    if path.stem == "skeptical-panel":
        assert drill.tone == "blunt" and drill.interrupt and drill.time_limit_seconds
    else:
        assert not drill.interrupt


def test_shipped_library_is_complete(shipped: bank.Library):
    assert shipped.problems == ()
    assert len(shipped.questions) >= 40
    assert len(shipped.drills) >= 6
    assert {q.category for q in shipped.questions.values()} == set(bank.CATEGORIES)
    probes = [p for q in shipped.questions.values() for p in q.probes]
    for probe in (
        "How did you get buy-in from the other orgs?",
        "What was the pushback?",
        "What part of this was your fault?",
        "And why would that work?",
    ):
        assert probe in probes
    texts = " ".join(q.text.lower() for q in shipped.questions.values())
    assert "tell me about yourself" in texts and "why this role" in texts


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


GOOD = """
[[questions]]
id = "q-one"
text = "Tell me about a hard project."
category = "behavioral"
tags = ["star"]
target_seconds = [60, 120]
probes = ["What was the pushback?", "What part was your fault?"]
"""


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            GOOD.replace('category = "behavioral"', 'category = "behavioural"'),
            ["q-one", "category", "behavioral, failure"],
        ),
        (GOOD.replace('tags = ["star"]', 'tags = "star"'), ["q-one", "tags", "list of strings"]),
        (
            GOOD.replace('probes = ["What was the pushback?", "What part was your fault?"]', "probes = []"),
            ["q-one", "probes", "at least two"],
        ),
        (
            GOOD.replace("target_seconds = [60, 120]", "target_seconds = [120, 60]"),
            ["q-one", "target_seconds", "[min, max]"],
        ),
        (GOOD.replace("target_seconds = [60, 120]", "target_seconds = 90"), ["q-one", "target_seconds"]),
        (GOOD + 'colour = "red"\n', ["q-one", "unknown field", "colour"]),
        (GOOD.replace('text = "Tell me about a hard project."\n', ""), ["q-one", "missing", "text"]),
        (GOOD.replace('id = "q-one"', 'id = "Q One"'), ["'Q One'", "lowercase"]),
        (GOOD + GOOD, ["q-one", "twice"]),
        ("[[questions]\nid = 1", ["not valid TOML"]),
        ('title = "empty"', ["no [[questions]]"]),
        # Wrong types, one per field.
        (GOOD.replace('text = "Tell me about a hard project."', "text = 5"), ["q-one", "text", "non-empty string"]),
        (GOOD.replace('id = "q-one"', "id = 7"), ["7", "lowercase"]),
        (GOOD.replace('category = "behavioral"', "category = 3"), ["q-one", "category", "behavioral, failure"]),
        (GOOD.replace('tags = ["star"]', "tags = [1, 2]"), ["q-one", "tags", "list of strings"]),
        (
            GOOD.replace('"What was the pushback?", "What part was your fault?"', "1, 2"),
            ["q-one", "probes", "list of strings"],
        ),
        (GOOD.replace("target_seconds = [60, 120]", 'target_seconds = ["60", "120"]'), ["q-one", "target_seconds"]),
        (GOOD.replace("target_seconds = [60, 120]", "target_seconds = [true, 120]"), ["q-one", "target_seconds"]),
        ("title = 5\n" + GOOD, ["title", "must be a string"]),
        ('title = "t"\nquestions = "all of them"', ["no [[questions]]"]),
        ("questions = [1, 2]", ["must be a table"]),
        # Unknown top-level key, empty or blank probes.
        ('colour = "red"\n' + GOOD, ["unknown top-level key", "colour"]),
        (
            GOOD.replace('"What was the pushback?", "What part was your fault?"', '"What was the pushback?"'),
            ["q-one", "probes", "got 1"],
        ),
        (
            GOOD.replace('"What was the pushback?", "What part was your fault?"', '"What was the pushback?", "  "'),
            ["q-one", "probes", "non-empty"],
        ),
    ],
)
def test_broken_question_file_names_file_id_and_field(tmp_path: Path, body: str, expected: list[str]):
    path = write(tmp_path, "broken.toml", body)
    with pytest.raises(BankError) as info:
        bank.load_question_file(path)
    message = str(info.value)
    assert str(path) in message
    for part in expected:
        assert part in message


DRILL = """
title = "T"
description = "D"
tags = ["star"]
count = 1
order = "fixed"
probes_per_question = 2
"""


@pytest.mark.parametrize(
    "body, expected",
    [
        (DRILL.replace('tags = ["star"]', 'questions = ["nope"]'), ["unknown question id 'nope'"]),
        (DRILL.replace('tags = ["star"]', 'tags = ["nope"]'), ["tag 'nope'", "star"]),
        (DRILL.replace('tags = ["star"]', 'categories = ["nope"]'), ["'nope'", "behavioral"]),
        (DRILL.replace("count = 1", "count = 5"), ["selects only 1", "count"]),
        (DRILL.replace('order = "fixed"', 'order = "random"'), ["order", "fixed, shuffled"]),
        (DRILL.replace('tags = ["star"]\n', ""), ["at least one of"]),
        (DRILL + "think_seconds = -1\n", ["think_seconds", "at least 0"]),
        (DRILL + "speed = 2\n", ["unknown field", "speed"]),
        (DRILL.replace("count = 1", 'count = "one"'), ["count", "whole number"]),
        # Wrong types, one per field.
        (DRILL.replace('title = "T"', "title = 3"), ["title", "non-empty string"]),
        (
            DRILL.replace("probes_per_question = 2", "probes_per_question = 1.5"),
            ["probes_per_question", "whole number"],
        ),
        (DRILL.replace("count = 1", "count = true"), ["count", "whole number"]),
        (DRILL.replace('order = "fixed"', "order = 1"), ["order", "fixed, shuffled"]),
        (DRILL.replace('tags = ["star"]', 'tags = "star"'), ["tags", "list of strings"]),
        (DRILL.replace('tags = ["star"]', 'questions = "q-one"'), ["questions", "list of strings"]),
        (DRILL + 'think_seconds = "ten"\n', ["think_seconds", "must be a number"]),
        (DRILL + "time_limit_seconds = 0\n", ["time_limit_seconds", "more than 0"]),
        (DRILL.replace('description = "D"', 'description = ""'), ["description", "non-empty string"]),
        (DRILL + "listening_probes = -1\n", ["listening_probes", "0 to 5"]),
        (DRILL + "listening_probes = 9\n", ["listening_probes", "0 to 5"]),
        (DRILL + 'listening_probes = "two"\n', ["listening_probes", "whole number"]),
        (DRILL + "listening_probes = true\n", ["listening_probes", "whole number"]),
        (DRILL + 'tone = "rude"\n', ["tone", "plain, blunt"]),
        (DRILL + 'interrupt = "yes"\n', ["interrupt", "true or false"]),
        (DRILL + "interrupt = 1\n", ["interrupt", "true or false"]),
    ],
)
def test_broken_drill_file_names_file_and_field(tmp_path: Path, body: str, expected: list[str]):
    questions = {q.id: q for q in bank.load_question_file(write(tmp_path / "q", "good.toml", GOOD))}
    path = write(tmp_path / "d", "broken-drill.toml", body)
    with pytest.raises(DrillError) as info:
        bank.load_drill_file(path, questions)
    message = str(info.value)
    assert str(path) in message and "broken-drill" in message
    for part in expected:
        assert part in message


def test_library_keeps_going_past_broken_files(tmp_path: Path):
    qdir, ddir = tmp_path / "q", tmp_path / "d"
    write(qdir, "good.toml", GOOD)
    write(qdir, "dupe.toml", GOOD)  # same id again in another file
    write(qdir, "bad.toml", "not toml [")
    write(ddir, "ok.toml", DRILL)
    write(ddir, "bad.toml", DRILL.replace('tags = ["star"]', 'questions = ["missing-q"]'))
    lib = bank.load_library(Settings(home=tmp_path / "home", questions_dirs=(qdir,), drills_dirs=(ddir,)))
    assert list(lib.questions) == ["q-one"]
    assert list(lib.drills) == ["ok"]
    assert len(lib.problems) == 3
    joined = "\n".join(lib.problems)
    assert "bad.toml" in joined and "already defined" in joined and "missing-q" in joined


def test_plan_pins_ids_first_and_limits_probes(shipped: bank.Library):
    drill = bank.Drill(
        "t",
        "T",
        "D",
        count=3,
        order="shuffled",
        probes_per_question=1,
        questions=("judge-asking-for-work",),
        categories=("judgement",),
    )
    a = bank.plan_drill(drill, shipped.questions, seed=7)
    b = bank.plan_drill(drill, shipped.questions, seed=7)
    assert a == b
    assert a[0].question_id == "judge-asking-for-work" and a[0].probe_index == 0
    assert a[1].prompt == "And why would that work?"
    assert [s.probe_index for s in a] == [0, 1, 0, 1, 0, 1]
    seeds = {tuple(s.question_id for s in bank.plan_drill(drill, shipped.questions, seed=n)) for n in range(20)}
    assert len(seeds) > 1  # shuffled really shuffles the unpinned questions
    fixed = bank.Drill("f", "F", "D", count=2, order="fixed", probes_per_question=0, categories=("judgement",))
    assert bank.plan_drill(fixed, shipped.questions, seed=1) == bank.plan_drill(fixed, shipped.questions, seed=2)
