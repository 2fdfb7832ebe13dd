"""The live capture server over a real localhost WebSocket, fed like the browser feeds it."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.errors import AudioError
from rehearse.library.bank import Step
from rehearse.practice import pipeline
from rehearse.speech import audio
from rehearse.speech.capture import CaptureServer
from rehearse.speech.transcribe import SAMPLE_RATE
from rehearse.store import database

pytestmark = pytest.mark.slow
ORIGIN = "http://localhost:8501"
ANSWER = (
    "The finance team pushed back because they were worried about the end of the quarter. "
    "I met with their director every week and we agreed on a rollback plan together."
)
STEP = Step("q-one", 0, "Tell me about a hard project.", "Tell me about a hard project.", 2)


@pytest.fixture
def server(model, tmp_path):
    server = CaptureServer(model, tmp_path / "live")
    yield server
    server.close()


def pcm(speech, text: str) -> np.ndarray:
    samples, rate = audio.read_audio(speech(text))
    assert rate == SAMPLE_RATE
    return (samples[:, 0] * 32767).astype("<i2")


def send(ws, samples: np.ndarray, speed: float = 4.0) -> None:
    block = SAMPLE_RATE // 10
    for i in range(0, len(samples), block):
        ws.send(samples[i : i + block].tobytes())
        time.sleep(0.1 / speed)


def test_streamed_answer_is_on_disk_as_it_arrives_and_transcribed_at_stop(server, speech, settings, db):
    samples = pcm(speech, ANSWER)
    token = server.open()
    updates = []
    with connect(server.url(token), origin=ORIGIN) as ws:
        send(ws, samples[: len(samples) // 2])
        part = server.part_dir / f"{token}.pcm"
        deadline = time.time() + 10
        while part.stat().st_size < len(samples) // 2 * 2 and time.time() < deadline:
            time.sleep(0.05)
        assert part.stat().st_size == len(samples) // 2 * 2  # on disk before the answer is over
        send(ws, samples[len(samples) // 2 :])
        ws.send(json.dumps({"type": "stop", "samples": len(samples)}))
        try:
            while True:
                updates.append(json.loads(ws.recv(timeout=30)))
        except Exception:
            pass  # the server closes the socket once the recording is saved
    capture = server.audio(token)
    assert not capture.dropped and capture.expected_samples == len(samples)
    assert np.array_equal((capture.samples * 32768).round().astype("<i2"), samples)
    assert np.array_equal(np.fromfile(part, dtype="<i2"), samples)  # the part file holds every sample
    assert any(u["committed"] or u["tentative"] for u in updates)  # words went back while speaking

    sid = database.create_session(db, "warm-up", "Warm-up", [])
    saved = pipeline.save_answer(db, settings, sid, STEP, audio.wav_bytes(capture.samples, SAMPLE_RATE))
    server.discard_part(token)
    assert not part.exists() and saved.audio_file(settings).suffix == ".flac"
    finished = server.transcript(token)
    assert word_error_rate(normalize(ANSWER), normalize(finished.transcript.text)) <= 0.15, finished.transcript.text
    answer = pipeline.attach_transcript(db, settings, saved.id, finished.transcript, (60, 120))
    assert answer.status == "transcribed" and answer.transcript == finished.transcript.text
    assert answer.metrics["length_verdict"] == "short"
    with pytest.raises(AudioError, match="unknown to the server"):
        server.audio(token)  # collected once, gone


def test_dropped_connection_keeps_what_arrived(server, speech):
    samples = pcm(speech, ANSWER)
    token = server.open()
    with connect(server.url(token), origin=ORIGIN) as ws:
        send(ws, samples[: len(samples) // 2])
    # The socket closed without "stop": the first half is the recording.
    capture = server.audio(token)
    assert capture.dropped and capture.expected_samples is None
    assert len(capture.samples) == len(samples) // 2
    assert "finance" in server.transcript(token).transcript.text.lower()


def test_a_stop_that_never_arrives_keeps_what_did(server, speech, settings, db):
    samples = pcm(speech, ANSWER)
    token = server.open()
    with connect(server.url(token), origin=ORIGIN) as ws:
        send(ws, samples[: SAMPLE_RATE * 3])
        deadline = time.time() + 10
        while server.session(token).transcriber.seconds < 3 and time.time() < deadline:
            time.sleep(0.05)
        capture = server.audio(token, wait=0.5)  # the page says stopped; the socket never said so
        assert capture.dropped and len(capture.samples) == SAMPLE_RATE * 3
        send(ws, samples[SAMPLE_RATE * 3 : SAMPLE_RATE * 4])  # late audio is ignored, not an error
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    saved = pipeline.save_answer(db, settings, sid, STEP, audio.wav_bytes(capture.samples, SAMPLE_RATE))
    answer = pipeline.attach_transcript(db, settings, saved.id, None, error="decoder gone")
    assert answer.status == "failed" and answer.error == "decoder gone" and answer.audio_file(settings).exists()


def test_only_local_pages_with_a_live_token_may_stream(server):
    with pytest.raises(InvalidStatus):
        connect(server.url(server.open()), origin="http://example.com")
    with connect(server.url("not-a-token"), origin=ORIGIN) as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
        assert ws.close_code == 4404


def test_the_watch_cuts_in_with_spoken_words_and_the_cut_is_kept(server, speech, voice, tmp_path):
    """The hook the interviewer who cuts in uses: the watch sees the live text and seconds, its cut
    goes to the browser with the voice's audio, and the page gets it after the transcript."""
    from rehearse.practice.interrupt import CutWatch

    samples = pcm(speech, ANSWER)
    seen: list[tuple[str, float]] = []
    watch = CutWatch(3.0)

    def check(text, seconds):
        seen.append((text, seconds))
        return watch.check(text, seconds)

    token = server.open(watch=check, speak=voice.speak)
    messages = []
    with connect(server.url(token), origin=ORIGIN) as ws:
        send(ws, samples, speed=2.0)
        deadline = time.time() + 60
        while not any(m.get("type") == "cut" for m in messages) and time.time() < deadline:
            messages.append(json.loads(ws.recv(timeout=30)))
        ws.send(json.dumps({"type": "stop", "samples": len(samples)}))
    [cut_message] = [m for m in messages if m.get("type") == "cut"]
    assert cut_message["say"] == watch.cut.say and cut_message["say"].startswith("Let me stop you there. ")
    wav = __import__("base64").b64decode(cut_message["audio"])
    assert wav[:4] == b"RIFF" and len(wav) > 20_000  # the voice saying it
    assert seen and all(s < 3.0 for _, s in seen[:-1]) and seen[-1][1] >= 3.0
    server.audio(token)
    assert server.cut(token) is watch.cut  # still there while the recording is open
    server.transcript(token)
    assert server.cut(token) is watch.cut and server.cut(token) is None  # handed over once
