"""Recording rules of the terminal drill, fed with arrays: no audio device involved."""

import numpy as np
import pytest

from rehearse.terminal.recorder import Recorder, RecordingOptions, meter_text, record, rms_dbfs

RATE = 16000


def tone(seconds: float, dbfs: float) -> np.ndarray:
    """A 220 Hz sine whose RMS level is `dbfs`."""
    t = np.arange(int(RATE * seconds)) / RATE
    return (np.sqrt(2) * 10 ** (dbfs / 20) * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def feed(rec: Recorder, samples: np.ndarray, block: float = 0.1) -> None:
    step = int(RATE * block)
    for i in range(0, len(samples), step):
        rec.feed(samples[i : i + step])


def test_rms_level():
    assert rms_dbfs(tone(1, -20)) == pytest.approx(-20, abs=0.05)
    assert rms_dbfs(np.zeros(1600, dtype=np.float32)) == float("-inf")
    assert rms_dbfs(np.zeros(0, dtype=np.float32)) == float("-inf")


def test_silence_stops_only_after_speech():
    rec = Recorder(RATE, RecordingOptions(stop_silence=3.0))
    feed(rec, np.zeros(RATE * 5, dtype=np.float32))  # thinking: never cut off
    assert rec.reason is None and not rec.heard_speech
    feed(rec, tone(1.0, -20))
    assert rec.heard_speech and rec.silent_for == 0
    feed(rec, np.zeros(int(RATE * 2.9), dtype=np.float32))
    assert rec.reason is None and rec.silent_for == pytest.approx(2.9)
    feed(rec, tone(0.5, -25))  # speaking again resets the count
    feed(rec, np.zeros(int(RATE * 2.9), dtype=np.float32))
    assert rec.reason is None
    feed(rec, np.zeros(int(RATE * 0.2), dtype=np.float32))
    assert rec.reason == "silence"
    result = rec.result()
    assert result.reason == "silence" and result.heard_speech
    assert result.duration == pytest.approx(5 + 1 + 2.9 + 0.5 + 3.0, abs=0.11)
    assert len(result.samples) == round(result.duration * RATE) and result.samples.dtype == np.float32


def test_short_blip_is_not_speech():
    rec = Recorder(RATE, RecordingOptions(stop_silence=1.0, min_speech=0.3))
    feed(rec, tone(0.2, -20))  # a cough or a click
    feed(rec, np.zeros(RATE * 3, dtype=np.float32))
    assert rec.reason is None and not rec.heard_speech


def test_noisy_room_still_gets_a_silence_stop():
    rng = np.random.default_rng(3)

    def noise(s):  # -40 dBFS hiss
        return (10 ** (-40 / 20) * rng.standard_normal(int(RATE * s))).astype(np.float32)

    rec = Recorder(RATE, RecordingOptions(stop_silence=2.0, silence_dbfs=-45))
    feed(rec, noise(1.0))
    assert not rec.heard_speech  # the hiss is the floor, not speech
    feed(rec, tone(1.0, -15) + noise(1.0))
    assert rec.heard_speech and rec.threshold() == pytest.approx(-35, abs=0.5)
    feed(rec, noise(2.1))
    assert rec.reason == "silence"


def test_soft_speech_before_any_pause_is_not_taken_for_silence():
    rec = Recorder(RATE, RecordingOptions(stop_silence=1.0))
    feed(rec, tone(5.0, -30))  # quiet, continuous speaker: the floor is their voice
    assert rec.reason is None and rec.heard_speech and rec.silent_for == 0


def test_zero_disables_the_silence_stop_and_the_length_limit_holds():
    rec = Recorder(RATE, RecordingOptions(stop_silence=0, max_seconds=4.0))
    feed(rec, tone(1.0, -20))
    feed(rec, np.zeros(int(RATE * 2.9), dtype=np.float32))
    assert rec.reason is None
    feed(rec, np.zeros(int(RATE * 0.2), dtype=np.float32))
    assert rec.reason == "limit"
    rec.stop("enter")  # the first reason wins
    assert rec.reason == "limit"
    with pytest.raises(ValueError):
        rec.stop("bored")


def test_meter_text():
    line = meter_text(65.2, -30.0, width=20, time_limit=120, heard_speech=True, stop_silence=3)
    assert line.startswith("REC 1:05 / 2:00 [##########----------]  -30 dB")
    assert "speaking" in line and "Enter stops, or 3 s of silence" in line
    quiet = meter_text(3.0, float("-inf"), width=10, stop_silence=0)
    assert "[----------]" in quiet and "-- dB" in quiet and "waiting for speech" in quiet
    assert quiet.endswith("Enter stops")
    loud = meter_text(130, 0.0, width=10, time_limit=120, heard_speech=True, silent_for=1.6, stop_silence=3)
    assert "[##########]" in loud and "2:10 / 2:00 over time" in loud and "silence 1.6 of 3 s" in loud
    rec = Recorder(RATE, RecordingOptions(stop_silence=2, time_limit=90))
    feed(rec, tone(2.0, -12))
    assert rec.meter(width=20) == meter_text(2.0, rec.level, width=20, time_limit=90, heard_speech=True, stop_silence=2)


class Blocks:
    """A microphone that hands out prepared blocks, then nothing (or raises what it is given)."""

    sample_rate = RATE

    def __init__(self, blocks, then=None):
        self.blocks = list(blocks)
        self.then = then

    def read(self, timeout):
        if self.blocks:
            return self.blocks.pop(0)
        if self.then:
            raise self.then
        return None


def test_record_loop_stops_on_enter_and_shows_each_block():
    blocks = [tone(0.1, -20) for _ in range(30)]
    polls = iter([False] * 12 + [True])
    shown = []
    result = record(
        Blocks(blocks),
        RecordingOptions(),
        enter_pressed=lambda: next(polls),
        show=lambda rec: shown.append(rec.elapsed),
    )
    assert result.reason == "enter" and result.duration == pytest.approx(1.3)
    assert shown == pytest.approx([0.1 * i for i in range(1, 14)])


def test_record_loop_stalled_device_and_ctrl_c_keep_the_audio():
    now = iter(np.arange(0, 100, 0.5))
    stalled = record(
        Blocks([tone(0.1, -20)] * 5),
        RecordingOptions(stall_seconds=2.0),
        enter_pressed=lambda: False,
        show=lambda rec: None,
        clock_now=lambda: next(now),
    )
    assert stalled.reason == "stalled" and stalled.duration == pytest.approx(0.5)
    interrupted = record(
        Blocks([tone(0.1, -20)] * 7, then=KeyboardInterrupt()),
        RecordingOptions(),
        enter_pressed=lambda: False,
        show=lambda rec: None,
    )
    assert interrupted.reason == "interrupted" and interrupted.duration == pytest.approx(0.7)
