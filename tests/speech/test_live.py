"""The incremental transcriber: speech chunks on hand-made spans, then real speech streamed through tiny.en."""

from __future__ import annotations

import csv
import time

import numpy as np
import pytest

from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.bench.live import speech_dir
from rehearse.errors import TranscriptionError
from rehearse.speech.live import LiveTranscriber
from rehearse.speech.transcribe import SAMPLE_RATE, SpeechChunk, SpeechDetector, decode, speech_chunks, transcribe

SHARED_SPEECH = speech_dir()


def test_chunks_group_spans_up_to_thirty_seconds_of_speech():
    sec = SAMPLE_RATE
    spans = [(0, 10 * sec), (12 * sec, 25 * sec), (40 * sec, 48 * sec), (50 * sec, 70 * sec), (71 * sec, 72 * sec)]
    chunks = speech_chunks(spans)
    # 10 + 13 = 23 s fits, + 8 would be 31 s: a new chunk; 8 + 20 + 1 = 29 s fits.
    assert [c.spans for c in chunks] == [tuple(spans[:2]), tuple(spans[2:])]
    assert speech_chunks([]) == []


def test_chunk_times_map_back_to_the_recording_across_the_cut_silences():
    chunk = SpeechChunk(((1 * SAMPLE_RATE, 3 * SAMPLE_RATE), (10 * SAMPLE_RATE, 12 * SAMPLE_RATE)))
    samples = np.arange(13 * SAMPLE_RATE, dtype=np.float32)
    audio = chunk.audio(samples)
    assert len(audio) == 4 * SAMPLE_RATE and audio[2 * SAMPLE_RATE] == 10 * SAMPLE_RATE
    assert chunk.recording_time(0.5) == pytest.approx(1.5)
    assert chunk.recording_time(2.5) == pytest.approx(10.5)  # past the 7 s of silence cut out
    assert chunk.recording_time(4.2) == pytest.approx(12.2)  # a word end just past the chunk


def test_speech_detector_fed_in_pieces_finds_the_spans_it_finds_at_once(speech):
    samples = decode_bytes(speech("We shipped on time. " * 3 + "Then the rollout stalled for a week.", pad=1.5))
    whole = SpeechDetector()
    whole.feed(samples)
    pieces = SpeechDetector()
    rng = np.random.default_rng(1)
    at = 0
    while at < len(samples):
        size = int(rng.integers(1, 9000))  # odd sizes, most not whole VAD windows
        pieces.feed(samples[at : at + size])
        at += size
    assert pieces.fed == whole.fed == len(samples)
    spans = whole.spans()
    assert spans == pieces.spans() and len(spans) >= 1
    # Speech starts after the 1.5 s of leading silence (less the padding) and ends before the trailing silence.
    assert 0.5 * SAMPLE_RATE < spans[0][0] < 1.5 * SAMPLE_RATE
    assert spans[-1][1] < len(samples) - 0.5 * SAMPLE_RATE
    silence = SpeechDetector()
    silence.feed(np.zeros(3 * SAMPLE_RATE, dtype=np.float32))
    assert silence.spans() == []


def stream(model, samples: np.ndarray, every: float) -> LiveTranscriber:
    """Real-time arrival with a decoder that keeps up: one decode per `every` seconds of audio."""
    live = LiveTranscriber(model)
    n = int(every * SAMPLE_RATE)
    for i in range(0, len(samples), n):
        live.feed(samples[i : i + n])
        live.step()
    return live


ANSWER = [
    "I led the migration of our billing system to a new platform over six months.",
    "The finance team pushed back because they were worried about the end of the quarter.",
    "I met with their director every week and we agreed on a rollback plan together.",
    "My mistake was that I did not ask the support team what they needed before we started.",
    "In the end we cut the monthly processing time from three days to four hours.",
]


@pytest.mark.slow
def test_streamed_answer_is_the_whole_file_transcript_with_nothing_left_at_stop(model, speech, tmp_path):
    script = " ".join(ANSWER + ANSWER[::-1])  # about 50 s: more than one 30 s chunk
    samples = decode_bytes(speech(script, pad=1.0))
    whole = transcribe(model, samples)
    live = stream(model, samples, every=0.5)
    during = live.state()
    final = live.finish()
    assert final.text == whole.text and final.words == whole.words
    # The first chunk was committed while the answer went on, and stands unchanged in the final text.
    assert during.committed and final.text.startswith(during.committed) and during.committed != final.text
    assert 0 < during.committed_seconds < final.duration
    # The answer ended with a pause, so every chunk had been decoded before the stop.
    stats = live.stats()
    assert stats.final_tail_seconds == 0 and stats.decodes >= 3
    assert word_error_rate(normalize(script), normalize(final.text)) <= 0.15, final.text
    assert final.duration == pytest.approx(len(samples) / SAMPLE_RATE, abs=0.01)
    assert [w.start for w in final.words] == sorted(w.start for w in final.words)
    assert final.words[-1].end <= final.duration + 0.1
    with pytest.raises(TranscriptionError, match="already been finished"):
        live.feed(samples[:100])


@pytest.mark.slow
def test_stop_in_mid_sentence_decodes_only_the_open_chunk(model, speech):
    samples = decode_bytes(speech(" ".join(ANSWER[:3]), pad=0.5))
    cut = int(len(samples) * 0.7)  # the speaker is cut off while talking
    live = stream(model, samples[: cut - SAMPLE_RATE // 4], every=0.5)
    live.feed(samples[cut - SAMPLE_RATE // 4 : cut])  # the last words arrive, and then stop is pressed
    final = live.finish()
    assert final.text == transcribe(model, samples[:cut]).text
    stats = live.stats()
    assert 0 < stats.final_tail_seconds <= cut / SAMPLE_RATE + 0.01


@pytest.mark.slow
def test_background_thread_follows_the_audio_and_finishes_with_everything(model, speech):
    samples = decode_bytes(speech(" ".join(ANSWER[:3])))
    seen = []
    live = LiveTranscriber(model, on_update=seen.append).start()
    chunk = SAMPLE_RATE // 4
    for i in range(0, len(samples), chunk):
        live.feed((samples[i : i + chunk] * 32767).astype(np.int16))  # int16 PCM, as the browser sends
        time.sleep(0.05)  # faster than real time, slow enough for some decodes to run meanwhile
    final = live.finish()
    assert seen and seen[-1].decodes >= 1
    assert live.audio().shape == samples.shape
    assert word_error_rate(normalize(" ".join(ANSWER[:3])), normalize(final.text)) <= 0.15, final.text


def decode_bytes(wav: bytes) -> np.ndarray:
    from rehearse.speech import audio

    data, rate = audio.read_audio(wav)
    assert rate == SAMPLE_RATE
    return data[:, 0]


CLIPS = ["jfk_inaugural.flac", "mfa_acoustic_corpus.wav", "librivox_sonnet001.mp3"]


@pytest.mark.slow
@pytest.mark.skipif(SHARED_SPEECH is None, reason="the shared speech clips (shared/speech/manifest.tsv) are not here")
def test_streamed_recorded_clips_are_as_accurate_as_whole_file(model):
    with open(SHARED_SPEECH / "manifest.tsv", newline="") as fh:
        refs = {r["file"]: r["reference_transcript"] for r in csv.DictReader(fh, delimiter="\t")}
    errors = {"whole": 0.0, "live": 0.0}
    total = 0
    for name in CLIPS:
        samples = decode(SHARED_SPEECH / name)
        ref = normalize(refs[name])
        whole = transcribe(model, samples)
        final = stream(model, samples, every=1.0).finish()
        assert final.text == whole.text, name
        errors["whole"] += word_error_rate(ref, normalize(whole.text)) * len(ref)
        errors["live"] += word_error_rate(ref, normalize(final.text)) * len(ref)
        total += len(ref)
    print(f"streamed WER {errors['live'] / total:.1%} vs whole-file {errors['whole'] / total:.1%}")
