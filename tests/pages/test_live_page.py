"""The drill page's recorder: live capture with the simple recorder under it, or the simple one alone."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rehearse.web import ui

pytestmark = pytest.mark.slow
APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.mark.parametrize("live", ["1", "0"])
def test_recorder_offers_live_capture_unless_turned_off(tmp_path, monkeypatch, live):
    monkeypatch.setenv("REHEARSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REHEARSE_LIVE", live)
    ui.settings.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        assert any(c.value.startswith("Speech model: base (live words while you speak: tiny.en)") for c in at.caption)
        next(b for b in at.button if b.label == "Start drill").click()
        at.run()
        assert not at.exception, at.exception
        trouble = [e for e in at.expander if "Microphone trouble" in e.label]
        assert len(at.audio_input) == 1  # the simple recorder is always there to fall back on
        if live == "1":
            assert trouble and trouble[0].audio_input, "the simple recorder sits under the live one"
            tokens = [k for k in at.session_state.keys() if str(k).endswith("-token")]
            assert len(tokens) == 1  # a recording token for the live recorder
        else:
            assert not trouble
    finally:
        ui.settings.clear()
