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


def test_the_voice_runs_without_onnxruntimes_arena_and_speaks_as_piper_loads_it(voice, settings):
    """The arena kept a synthesis's few hundred MB for the life of the server; turning it off must
    not change a sample of what the voice says."""
    import numpy as np
    from piper import PiperVoice, SynthesisConfig

    ours = voice._voice()
    assert ours.session.get_session_options().enable_cpu_mem_arena is False
    text = "How did you get buy-in from the other teams, and who pushed back?"
    theirs = PiperVoice.load(voice.model_path)
    assert theirs.session.get_session_options().enable_cpu_mem_arena is True
    steady = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    expected = np.concatenate([c.audio_float_array for c in theirs.synthesize(text, syn_config=steady)])
    samples, _rate = voice.synthesize(text, steady=True)
    assert len(samples) == len(expected) and np.allclose(samples, expected, atol=1e-4)
    # The arena as PiperVoice.load has it, for `rehearse bench memory`'s "before".
    assert Voice(settings, arena=True)._voice().session.get_session_options().enable_cpu_mem_arena is True


def test_prefetch_is_busy_from_the_call_and_waits_while_a_recording_streams_in(voice, settings):
    import threading

    from rehearse.speech import voice as voice_module

    v = Voice(settings)
    v._piper = voice._voice()
    recording = threading.Event()
    recording.set()
    assert not voice_module.busy()
    thread = v.prefetch(["Tell me about the rollback plan."], wait_while=recording.is_set)
    assert voice_module.busy()  # at once: a final pass submitted now waits for it
    thread.join(timeout=1.0)
    assert thread.is_alive() and not v.cache_path("Tell me about the rollback plan.").exists()
    recording.clear()
    thread.join(timeout=60)
    assert v.cache_path("Tell me about the rollback plan.").exists() and not voice_module.busy()
    v.prefetch(["Tell me about the rollback plan."]).join(timeout=60)  # cached: nothing to do
    assert not voice_module.busy()
