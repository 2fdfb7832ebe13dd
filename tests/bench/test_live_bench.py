"""The live benchmark: its scoring on given results, then the real command on a Piper-made clip."""

import subprocess
import sys

import pytest

from rehearse.bench import live as bench
from rehearse.errors import BenchError


def result(file, duration, words, whole, live, finish, busy):
    return bench.ClipResult(file, duration, words, whole, live, 1.0, finish, 3.0, 5, busy)


def test_summary_weights_by_reference_words_and_judges_keeping_up_on_long_clips():
    results = [
        result("a.wav", 30.0, 100, 0.10, 0.05, 0.4, 0.5),
        result("b.wav", 3.0, 10, 0.0, 1.0, 0.9, 2.0),
        result("c.wav", 60.0, 0, None, None, 0.2, 0.95),
        bench.ClipResult("[joined]", 33.0, 110, 0.9, 0.9, 1.0, 0.3, 3.0, 5, 0.5, joined=True),
    ]
    s = bench.summarize("tiny", results)
    assert s.whole_wer == pytest.approx(10 / 110) and s.live_wer == pytest.approx(15 / 110)
    assert (s.finish_median, s.finish_max) == (pytest.approx(0.35), 0.9)  # the joined answer's wait counts
    assert s.busy_max == 0.95 and s.keeps_up is False  # the short clip's start-up does not count
    table = bench.format_table(s)
    assert "does NOT keep up" in table and "c.wav" in table and "   -  " in table
    short = bench.summarize("tiny", results[1:2])
    assert short.keeps_up is None and "not judged" in bench.format_table(short)


def test_manifest_errors_name_the_file_and_the_choices(tmp_path):
    (tmp_path / "manifest.tsv").write_text("file\treference_transcript\nx.wav\thello\n")
    (tmp_path / "x.wav").write_bytes(b"")  # the manifest reader checks that listed clips exist
    assert bench.read_manifest(tmp_path, scored_only=False)[0].reference == "hello"
    assert bench.speech_dir(tmp_path) == tmp_path and bench.speech_dir(tmp_path / "none") is None
    with pytest.raises(BenchError, match="valid names are x.wav"):
        list(bench.run_live_bench(None, [], tmp_path, only=["y.wav"]))
    (tmp_path / "manifest.tsv").write_text("name\ttext\n")
    with pytest.raises(BenchError, match="reference_transcript"):
        bench.read_manifest(tmp_path, scored_only=False)


@pytest.mark.slow
def test_bench_live_command_prints_both_error_rates_and_the_wait(speech, tmp_path):
    text = "The finance team pushed back because they were worried about the end of the quarter."
    (tmp_path / "answer.wav").write_bytes(speech(text))
    (tmp_path / "manifest.tsv").write_text(f"file\treference_transcript\nanswer.wav\t{text}\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rehearse",
            "bench",
            "live",
            "--speech",
            str(tmp_path),
            "--speed",
            "4",
            "--joined",
            "15",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "REHEARSE_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("answer.wav"))
    whole, live = [float(f.rstrip("%")) for f in row.split()[3:5]]
    assert whole <= 15 and live <= 15
    assert "end of audio to final transcript median" in done.stdout and "tiny.en (bundled)" in done.stdout
    joined = next(line for line in done.stdout.splitlines() if line.startswith("[joined-answer-"))
    assert float(joined.split()[1]) >= 15  # the clip three times over, with its reference three times
