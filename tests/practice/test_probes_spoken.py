"""Listening follow-ups on speech: the Piper voice says the answer, the real tiny.en model
transcribes it, and the probes quote the words with their times in the recording."""

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from rehearse.library import bank
from rehearse.practice import pipeline, probes

pytestmark = pytest.mark.slow

SPOKEN = {
    "person": (
        "lead-influence-without-authority",
        "The regional manager did not want the change. So I went to Sarah first and asked her what worried her. "
        "She said the budget, so I showed her the savings, and in the end she approved a pilot.",
        "Sarah",
    ),
    "number": (
        "comp-process-improvement",
        "Our invoices kept going out with mistakes. I rebuilt the template and added one check before sending, "
        "and after that the error rate fell by 40 percent in a quarter.",
        "40",
    ),
    "vague_we": (
        "lead-turnaround-project",
        "The project was three months late when I joined. We aligned the teams on one plan, and we reset the "
        "scope, and the whole thing was back on track by the summer.",
        "aligned",
    ),
    "blame": (
        "failure-missed-launch",
        "We missed the launch by three weeks. Honestly, the vendor let us down. Their system kept breaking, and "
        "there was nothing I could do about it. We shipped in the end.",
        "let us down",
    ),
    "hedge": (
        "comp-delivered-results",
        "The goal was to double sign-ups. I ran the referral campaign myself and rewrote the landing page. "
        "I think it worked, but the launch got mixed up with a price change that month.",
        "I think",
    ),
}


@pytest.fixture(scope="module")
def library(session_settings):
    return bank.load_library(session_settings)


def transcribe(speech, model, settings, text: str, folder: Path):
    path = folder / f"{abs(hash(text))}.wav"
    path.write_bytes(speech(text))
    result, _ = pipeline.transcribe_checked(settings, model, path)
    return result.text, [asdict(w) for w in result.words], path


@pytest.mark.parametrize("kind", list(SPOKEN))
def test_spoken_answer_gets_its_probe_with_a_time(kind, speech, model, session_settings, library, tmp_path):
    qid, text, evidence = SPOKEN[kind]
    heard, words, _ = transcribe(speech, model, session_settings, text, tmp_path)
    found = probes.propose(heard, words, library.questions[qid], session_settings)
    mine = [p for p in found if p.kind == kind]
    assert mine, f"{kind}: {heard!r} -> {[(p.kind, p.evidence) for p in found]}"
    probe = mine[0]
    assert evidence.lower() in probe.evidence.lower()
    assert probe.evidence in heard
    assert probe.start is not None and 0 < probe.start < words[-1]["end"]
    # The time is where the quoted words are: the first quoted word starts then.
    first = probe.evidence.split()[0].strip(",.").lower()
    near = [w for w in words if abs(w["start"] - probe.start) < 0.05]
    assert any(first in w["text"].lower() for w in near), (probe, near)
    for p in found:
        assert p.evidence in heard


def test_memory_probe_across_two_spoken_takes(speech, model, session_settings, library, tmp_path):
    first_text = (
        "I led the change with three teams. Dana, our tech lead, pushed back on the timeline, "
        "and complaints fell by 30 percent."
    )
    second_text = "I led the change with two teams. Ravi helped me plan it, and complaints fell by 30 percent."
    first, first_words, _ = transcribe(speech, model, session_settings, first_text, tmp_path)
    second, second_words, _ = transcribe(speech, model, session_settings, second_text, tmp_path)
    earlier = [probes.Take(first, tuple(first_words))]
    found = probes.propose(
        second, second_words, library.questions["lead-cross-org-change"], session_settings, earlier=earlier
    )
    memory = [p for p in found if p.kind == "memory"]
    texts = " ".join(p.text for p in memory)
    assert "three teams" in texts and "two teams" in texts, (first, second, memory)
    assert "Dana" in texts
    changed = next(p for p in memory if "teams" in p.text)
    assert probes.memory_evidence(changed) == ("three teams", "two teams")
    assert changed.start is not None  # today's words are in this recording
    # The same percent in both takes is no memory probe.
    assert not any("30" in p.text for p in memory)


def test_probe_command_on_an_audio_file(speech, tmp_path, session_settings):
    qid, text, _ = SPOKEN["person"]
    path = tmp_path / "answer.wav"
    path.write_bytes(speech(text))
    done = subprocess.run(
        [sys.executable, "-m", "rehearse", "probe", "--question", qid, str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "REHEARSE_HOME": str(session_settings.home)},
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert all(set(p) == {"kind", "text", "evidence", "start", "why"} for p in found)
    person = next(p for p in found if p["kind"] == "person")
    assert person["evidence"] == "Sarah" and isinstance(person["start"], float)
