"""The two models: settings choose the final one, tiny.en stays live, and a process holds one
copy of a model that serves both."""

from __future__ import annotations

import io

import pytest
import soundfile as sf

from rehearse.settings import load_settings, read_settings_file, write_settings_file
from rehearse.speech import final, transcribe


def test_default_final_model_is_base_and_live_is_tiny_on_one_thread(tmp_path):
    settings = load_settings({"REHEARSE_HOME": str(tmp_path)})
    assert settings.final_model == "base" and settings.model == ""
    live, last = final.live_settings(settings), final.final_settings(settings)
    assert live.model == "" and live.cpu_threads == 1
    assert last.model == "base" and last.cpu_threads == 1  # low priority: one core for the background pass
    assert live != last


def test_tiny_final_model_shares_the_live_copy(tmp_path):
    """The app caches loaded models by these keys: equal keys, one model in memory (not two)."""
    for value in ("tiny.en", "", "bundled"):
        settings = load_settings({"REHEARSE_HOME": str(tmp_path), "REHEARSE_FINAL_MODEL": value})
        assert final.final_settings(settings) == final.live_settings(settings)
    assert final.same_model(" tiny.en", "") and not final.same_model("base", "tiny.en")


def test_final_model_from_the_file_and_the_environment(tmp_path):
    write_settings_file(tmp_path / "settings.toml", {"final_model": "tiny.en"})
    assert read_settings_file(tmp_path / "settings.toml")["final_model"] == "tiny.en"
    assert load_settings({"REHEARSE_HOME": str(tmp_path)}).final_model == "tiny.en"
    assert load_settings({"REHEARSE_HOME": str(tmp_path), "REHEARSE_FINAL_MODEL": "base"}).final_model == "base"


@pytest.mark.slow
@pytest.mark.parametrize("choice,label", [("", transcribe.BASE_LABEL), ("tiny.en", transcribe.BUNDLED_LABEL)])
def test_the_chosen_final_model_decodes_a_stored_answer(tmp_path, speech, choice, label):
    env = {"REHEARSE_HOME": str(tmp_path)}
    if choice:
        env["REHEARSE_FINAL_MODEL"] = choice
    settings = load_settings(env)
    path = tmp_path / "answer.wav"
    path.write_bytes(speech("I led the migration and we finished it two weeks early."))
    model = final.load_final(settings)
    out = final.final_pass(model, path)
    assert out.model == label
    assert "migration" in out.text and "early" in out.text, out.text
    assert sf.info(io.BytesIO(path.read_bytes())).samplerate == 16000
