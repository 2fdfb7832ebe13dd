"""Recording checks and settings, without the model."""

import numpy as np
import pytest

from rehearse.errors import AudioError, ConfigError
from rehearse.measure import analysis
from rehearse.settings import DEFAULT_FILLERS, load_settings
from rehearse.speech import audio


def write(settings, samples, rate=16000):
    path = settings.home / "x.flac"
    settings.home.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    saved = audio.save_recording(audio.wav_bytes(samples, rate), settings.home, "x")
    return saved.path


def test_check_recording_rejects_empty_short_and_silent(settings):
    with pytest.raises(AudioError, match="empty"):
        audio.read_audio(b"")
    short = write(settings, (0.3 * np.ones(16000)).astype(np.float32))
    with pytest.raises(AudioError, match=r"only 1\.0 s long.*at least 1\.5 s"):
        audio.check_recording(short, settings)
    silent = write(settings, np.zeros(16000 * 3, dtype=np.float32))
    with pytest.raises(AudioError, match="silent"):
        audio.check_recording(silent, settings)
    rng = np.random.default_rng(1)
    ok = write(settings, (0.2 * rng.standard_normal(16000 * 3)).astype(np.float32))
    assert audio.check_recording(ok, settings) == pytest.approx(3.0)


def test_settings_defaults_and_env_overrides(tmp_path):
    s = load_settings(
        {
            "REHEARSE_HOME": str(tmp_path),
            "REHEARSE_MODEL": "/models/base",
            "REHEARSE_THREADS": "1",
            "REHEARSE_FILLERS": "um, like ,you know",
        }
    )
    assert s.home == tmp_path and s.db_path == tmp_path / "rehearse.db"
    assert (s.model, s.cpu_threads, s.fillers) == ("/models/base", 1, ("um", "like", "you know"))
    d = load_settings({"REHEARSE_HOME": str(tmp_path)})
    assert d.model == "" and d.fillers == DEFAULT_FILLERS and (d.wpm_low, d.wpm_high) == (130, 160)
    assert d.live_capture and not load_settings({"REHEARSE_HOME": str(tmp_path), "REHEARSE_LIVE": "0"}).live_capture
    with pytest.raises(ConfigError, match="REHEARSE_LIVE='maybe'"):
        load_settings({"REHEARSE_HOME": str(tmp_path), "REHEARSE_LIVE": "maybe"})
    with pytest.raises(ConfigError, match="REHEARSE_WPM_LOW='fast'"):
        load_settings({"REHEARSE_HOME": str(tmp_path), "REHEARSE_WPM_LOW": "fast"})


def test_analyze_pace_pauses_fillers(settings):
    words = [
        {"start": 0.0, "end": 0.5},
        {"start": 0.5, "end": 1.0},
        {"start": 3.5, "end": 4.0},
        {"start": 4.0, "end": 6.0},
    ]
    m = analysis.analyze("um I you know led", words, 8.0, settings, target=(60, 120))
    assert m.speaking_seconds == 6.0 and m.word_count == 5 and m.wpm == 50.0
    assert (m.filler_count, m.long_pauses, m.longest_pause, m.length_verdict) == (2, 1, 2.5, "short")
    empty = analysis.analyze("", [], 0.0, settings)
    assert (empty.wpm, empty.word_count, empty.length_verdict) == (0.0, 0, "")
