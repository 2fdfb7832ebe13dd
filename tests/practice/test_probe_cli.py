"""`rehearse probe`: a typed draft (.txt) measured as text, JSON with exactly the five keys,
readable output without --json, clear errors for an unknown question or an unreadable file."""

import json
import subprocess
import sys

import pytest

DRAFT = (
    "When I took over the project it was two months late. We reset the plan and the team really stepped up. "
    "Priya, our head of design, pushed back on cutting scope, but sign-ups went up 18% after launch."
)


def rehearse(*args: str, home) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rehearse", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "REHEARSE_HOME": str(home)},
    )


def test_probe_json_for_a_typed_draft(tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT)
    done = rehearse("probe", "--question", "lead-turnaround-project", str(draft), "--json", home=tmp_path)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found and all(set(p) == {"kind", "text", "evidence", "start", "why"} for p in found)
    assert all(p["start"] is None for p in found)  # typed: no timings
    kinds = {p["kind"]: p for p in found}
    assert kinds["person"]["evidence"] == "Priya"
    assert "18%" in kinds["number"]["evidence"]
    assert all(p["evidence"] in DRAFT for p in found)


def test_probe_prints_what_a_person_reads(tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT)
    done = rehearse("probe", "--question", "lead-turnaround-project", str(draft), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1. ")
    assert "You mentioned Priya." in done.stdout
    assert "picks up" in done.stdout
    assert "{" not in done.stdout


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--question", "no-such-question", "DRAFT"], "unknown question id 'no-such-question'"),
        (["--question", "lead-turnaround-project", "MISSING.wav"], "no such file"),
        (["--question", "lead-turnaround-project", "EMPTY.txt"], "empty"),
        (["--question", "lead-turnaround-project", "BINARY.txt"], "cannot be read"),
    ],
)
def test_probe_errors_are_clear(tmp_path, args, expected):
    (tmp_path / "draft.txt").write_text(DRAFT)
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00\x81")
    names = {
        "DRAFT": tmp_path / "draft.txt",
        "MISSING.wav": tmp_path / "missing.wav",
        "EMPTY.txt": tmp_path / "empty.txt",
        "BINARY.txt": tmp_path / "binary.txt",
    }
    done = rehearse("probe", *[str(names.get(a, a)) for a in args], home=tmp_path)
    assert done.returncode != 0
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
