"""Shared fixtures: real voice, real model, real SQLite files in temporary folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from paths import ROOT, SHARED_SPEECH  # noqa: F401  (re-exported for fixtures and tests)

from rehearse.settings import Settings, load_settings
from rehearse.speech import audio
from rehearse.speech.transcribe import Model, decode
from rehearse.speech.voice import Voice
from rehearse.store import database


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({"REHEARSE_HOME": str(tmp_path / "home")})


@pytest.fixture(autouse=True)
def simple_recorder(monkeypatch):
    """Pages record through the simple recorder (st.audio_input) unless a test sets REHEARSE_LIVE=1:
    AppTest cannot drive the live recorder, a browser component with its own socket, and each
    live recorder would start a capture server with its own model. test_live_page.py and
    tests/browser/test_live_browser.py cover live capture."""
    monkeypatch.setenv("REHEARSE_LIVE", "0")


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch) -> Settings:
    """REHEARSE_HOME for an AppTest run in a temporary folder, with the app's cached settings reset."""
    from rehearse.web import ui

    home = tmp_path / "home"
    monkeypatch.setenv("REHEARSE_HOME", str(home))
    ui.settings.clear()
    yield load_settings({"REHEARSE_HOME": str(home), "REHEARSE_LIVE": "0"})
    ui.settings.clear()


@pytest.fixture
def db(settings: Settings):
    return database.open_database(settings)


@pytest.fixture(scope="session")
def session_settings(tmp_path_factory) -> Settings:
    return load_settings({"REHEARSE_HOME": str(tmp_path_factory.mktemp("voicehome"))})


@pytest.fixture(scope="session")
def voice(session_settings: Settings) -> Voice:
    return Voice(session_settings)


@pytest.fixture(scope="session")
def model(session_settings: Settings) -> Model:
    return Model(session_settings)


@pytest.fixture(scope="session")
def speech(voice: Voice, tmp_path_factory):
    """speech(text, pad=0.5) -> 16 kHz mono 16-bit WAV bytes of Piper saying `text`, as st.audio_input sends."""
    folder = tmp_path_factory.mktemp("speech")

    def make(text: str, pad: float = 0.5) -> bytes:
        samples, rate = voice.synthesize(text, steady=True)  # the same audio on every run
        raw = folder / f"{abs(hash(text))}.wav"
        raw.write_bytes(audio.wav_bytes(samples, rate))
        at16k = decode(raw)  # the decoder's resampler, as for any file
        silence = np.zeros(int(16000 * pad), dtype=np.float32)
        return audio.wav_bytes(np.concatenate([silence, at16k, silence]), 16000)

    return make
