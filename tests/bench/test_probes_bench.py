"""`rehearse bench probes` on a small labelled fixture, and the scoring rules it prints."""

import subprocess
import sys
from pathlib import Path

from rehearse.bench import probes as bench
from rehearse.practice.probes import Probe

HELD_OUT = Path(__file__).resolve().parents[1] / "practice" / "fixtures" / "held_out_answers.toml"

SMALL = '''
[[answers]]
id = "s1"
question_id = "failure-missed-launch"
transcript = """We missed the launch by a month. Honestly that one was not on me, the vendor was late with the API and nobody told us until the week before. Tomasz, who ran QA, kept finding their bugs. We shipped in May."""
expect = ["blame: that one was not on me", "no_ownership", "person: Tomasz"]

[[answers]]
id = "s2"
question_id = "comp-delivered-results"
transcript = """My target was to grow repeat orders by 15%. I called our top forty customers myself and asked Lena, our account manager, to rebuild the renewal emails. We finished the year at 22% growth."""
expect = ["number: 22% growth", "person: Lena"]
'''


def test_scoring_counts_kind_and_overlapping_evidence():
    text = "Then the director pushed the date."
    opening = bench.Opening("role", "the director")
    assert bench.picks_up(text, opening, Probe("role", "", "the director", None, ""))
    assert bench.picks_up(text, opening, Probe("role", "", "director", None, ""))  # 8 of 12 characters
    assert not bench.picks_up(text, opening, Probe("person", "", "the director", None, ""))
    assert not bench.picks_up(text, opening, Probe("role", "", "the date", None, ""))
    assert bench.picks_up(text, bench.Opening("no_result"), Probe("no_result", "", "", None, ""))


def test_bench_command_prints_the_three_figures_on_a_small_fixture(tmp_path):
    answers = tmp_path / "answers.toml"
    answers.write_text(SMALL)
    done = subprocess.run(
        [sys.executable, "-m", "rehearse", "bench", "probes", "--answers", str(answers)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for figure in ("recall@3:", "top-1:", "grounded:"):
        assert figure in out
    assert "answers: 2" in out
    assert "grounded: 100.0 %" in out
    assert "blame" in out and "person" in out  # the per-kind table


def test_targets_hold_on_answers_written_apart_from_the_dev_set():
    """The held-out fixture was labelled before the generator ran on it (see its header)."""
    from rehearse.library import bank
    from rehearse.settings import Settings

    settings = Settings(home=Path("/nonexistent-rehearse-home"))
    summary, _ = bench.run(HELD_OUT, bank.load_library(settings).questions, settings)
    assert summary.answers >= 10
    assert summary.recalled / summary.counted >= 0.8
    assert summary.top1 / summary.answers >= 0.7
    assert summary.grounded == summary.answers


def test_unreadable_answers_file_is_a_clear_error(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "rehearse", "bench", "probes", "--answers", str(tmp_path / "missing.toml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "missing.toml" in done.stderr and "cannot be read" in done.stderr
