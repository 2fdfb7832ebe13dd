"""The Piper voice: prompts synthesized once, cached on disk by voice and text."""

import dataclasses

import pytest

from rehearse.errors import VoiceError
from rehearse.speech import audio
from rehearse.speech.voice import Voice

pytestmark = pytest.mark.slow


def test_prompts_are_cached_by_voice_and_text(voice, settings):
    v = Voice(settings)
    v._piper = voice._voice()  # share the loaded model: loading again only costs time
    first = v.speak("What was the pushback?")
    stamp = first.stat().st_mtime_ns
    assert v.speak("What was the pushback?") == first and first.stat().st_mtime_ns == stamp
    other = v.speak("Who disagreed?")
    assert other != first
    samples, rate = audio.read_audio(first)
    assert rate == 22050 and 0.5 < len(samples) / rate < 5 and audio.level_dbfs(samples) > -20
    with pytest.raises(VoiceError, match="empty prompt"):
        v.speak("   ")


def test_prefetch_speaks_in_the_background(voice, settings):
    v = Voice(settings)
    v._piper = voice._voice()
    texts = ["First question here.", "And why would that work?"]
    v.prefetch(texts).join(timeout=60)
    assert all(v.cache_path(t).exists() for t in texts)


def test_missing_voice_file_is_named(settings):
    with pytest.raises(VoiceError, match="nope.onnx does not exist"):
        Voice(dataclasses.replace(settings, voice="/tmp/nope.onnx"))
