"""`rehearse bench memory`: the drill runs in a fresh process with the real models and voice, and
the table reports every step with a peak no lower than what the step left resident."""

import pytest

from rehearse.bench import memory
from rehearse.speech import audio

pytestmark = pytest.mark.slow


def test_the_drill_runs_in_its_own_process_and_every_step_is_reported(tmp_path, speech):
    answer = tmp_path / "answer.wav"
    answer.write_bytes(speech("I led the migration. The finance team pushed back, so we agreed on a rollback plan."))
    assert audio.read_audio(answer.read_bytes())[0].size
    results = memory.run_bench(answer, ("now",))
    steps = results["now"]
    assert [s.name for s in steps][:4] == [
        "Streamlit and the app's modules",
        "live model (tiny.en, one thread)",
        "the voice speaks the question",
        "final model (base, one thread)",
    ]
    assert len(steps) == 8 and all(0 < s.resident <= s.peak for s in steps)
    assert steps[1].resident > steps[0].resident  # the model is really loaded, in that process
    text = memory.table(results)
    assert "| stop 2: two follow-ups spoken, the final pass |" in text and "highest peak: now" in text
