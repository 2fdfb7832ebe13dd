"""`rehearse transcribe --json` carries the full metrics, measured on real speech."""

import json
import subprocess
import sys

import numpy as np
import pytest

from rehearse.bench.accuracy import filled_pause
from rehearse.speech import audio

pytestmark = pytest.mark.slow
FIRST = "Um, last year I promised the sales team a launch date before I asked the engineers."
SECOND = "I think, uh, I should have asked them first. It was my fault, and we missed it by three weeks."


def test_transcribe_json_includes_every_metric(speech, tmp_path):
    first, rate = audio.read_audio(speech(FIRST))
    second, _ = audio.read_audio(speech(SECOND))
    silence = np.zeros((int(rate * 2.5), 1), dtype=np.float32)
    path = tmp_path / "answer.wav"
    path.write_bytes(audio.wav_bytes(np.concatenate([first, silence, second]), rate))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rehearse",
            "transcribe",
            str(path),
            "--json",
            "--category",
            "failure",
            "--target",
            "60",
            "120",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "REHEARSE_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    m = data["metrics"]
    assert m["word_count"] >= 30 and 100 < m["wpm"] < 250 and m["length_verdict"] == "short"
    assert m["speaking_seconds"] < m["duration"] == pytest.approx(data["duration"], abs=0.01)
    # The silence between the sentences, found where it is: after "engineers", before the next sentence.
    [pause] = m["pauses"]
    assert pause["seconds"] >= 2.5 and pause["after"].lower() == "engineers"
    # Where the first sentence's speech ends (speech() pads it with 0.5 s of silence); the final
    # model (base) ends the last word about 0.4 s early, tiny.en up to 0.3 s late.
    assert pause["at"] == pytest.approx(len(first) / rate - 0.5, abs=0.7)
    # Whatever fillers the transcript kept (most of the time both), the metrics count exactly those.
    said = [f for f in (filled_pause(w.lower().strip(",.")) for w in data["text"].split()) if f]
    assert m["filler_count"] == len(said) and sum(m["fillers"].values()) == len(said)
    assert [h["phrase"] for h in m["hits"] if h["kind"] == "filler"] == said
    assert m["owns_mistake"] is True and {"i should have", "my fault"} <= set(m["admissions"])
    assert m["hedges"] == {"i think": 1} and m["category"] == "failure"
    assert m["star_ends_on"] == "result" and sum(m["star_seconds"].values()) == pytest.approx(
        m["speaking_seconds"], abs=0.1
    )
    for hit in m["hits"]:
        assert data["text"][hit["start"] : hit["end"]].lower().startswith(hit["phrase"].split()[0][:2])
        assert hit["time"] is None or 0 <= hit["time"] <= data["duration"]
    shown = subprocess.run(
        [sys.executable, "-m", "rehearse", "transcribe", str(path), "--feedback", "--category", "failure"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "REHEARSE_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"},
    )
    assert shown.returncode == 0, shown.stderr
    assert "engineers" in shown.stdout.splitlines()[0].lower()
    assert "\nLong pauses: 1 of 2 s or more: " in shown.stdout and "\nOwns the mistake: yes" in shown.stdout
    assert "lower bound" in shown.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "rehearse", "transcribe", str(path), "--category", "heroic"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "invalid choice: 'heroic'" in bad.stderr and "failure" in bad.stderr
