"""The live capture server over a real localhost WebSocket, fed like the browser feeds it."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest
from test_faults import WORKER, fill, tmpfs
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.errors import AudioError, StorageError
from rehearse.library.bank import Step
from rehearse.practice import pipeline
from rehearse.settings import load_settings
from rehearse.speech import audio
from rehearse.speech.capture import CaptureServer
from rehearse.speech.transcribe import SAMPLE_RATE
from rehearse.store import database, recovery

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


def test_streamed_answer_is_on_disk_as_it_arrives_and_transcribed_at_stop(server, speech, settings, db, model):
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
    got = {}

    def saved(answer):
        server.discard_part(token)
        got["saved"] = answer

    def live():
        got["finished"] = server.transcript(token)
        return pipeline.LiveText(got["finished"].transcript, got["finished"].error)

    take = pipeline.Take.of_samples(capture.samples)
    answer = pipeline.answer(db, settings, model, sid, STEP, take, target=(60, 120), live=live, on_saved=saved)
    assert not part.exists() and got["saved"].audio_file(settings).suffix == ".flac"
    finished = got["finished"]
    assert word_error_rate(normalize(ANSWER), normalize(finished.transcript.text)) <= 0.15, finished.transcript.text
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
    take = pipeline.Take.of_samples(capture.samples)
    answer = pipeline.answer(db, settings, None, sid, STEP, take, live=lambda: pipeline.LiveText(None, "decoder gone"))
    assert answer.status == "failed" and answer.error == "decoder gone" and answer.audio_file(settings).exists()


def test_only_local_pages_with_a_live_token_may_stream(server):
    with pytest.raises(InvalidStatus):
        connect(server.url(server.open()), origin="http://example.com")
    with connect(server.url("not-a-token"), origin=ORIGIN) as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
        assert ws.close_code == 4404


def collect(ws) -> list[dict]:
    """Every update the server sends until it closes the socket."""
    updates = []
    try:
        while True:
            updates.append(json.loads(ws.recv(timeout=30)))
    except (ConnectionClosed, TimeoutError):
        pass
    return updates


def test_frames_that_are_not_messages_are_ignored_and_a_short_count_is_a_dropped_tail(server, speech):
    """Was: `[1]`, `null` or `"stop"` closed the socket with 1011 and dropped the recording; a stop
    claiming more samples than arrived was accepted silently (issue 14, item 11)."""
    samples = pcm(speech, ANSWER)
    token = server.open()
    with connect(server.url(token), origin=ORIGIN) as ws:
        for junk in ("[1]", "null", '"stop"', "42", "not json", '{"samples": 5}', '{"type": 7}'):
            ws.send(junk)
        send(ws, samples[: len(samples) // 2])
        ws.send("[1]")
        send(ws, samples[len(samples) // 2 :])
        ws.send(json.dumps({"type": "stop", "samples": len(samples) + SAMPLE_RATE}))
        collect(ws)
        assert ws.close_code == 1000
    capture = server.audio(token)
    assert len(capture.samples) == len(samples)  # every sample, none of the junk
    assert capture.dropped and capture.lost_seconds == pytest.approx(1.0)
    assert "finance" in server.transcript(token).transcript.text.lower()


def test_a_stop_with_an_unreadable_count_still_stops(server, speech):
    samples = pcm(speech, "I met with their director every week.")
    token = server.open()
    with connect(server.url(token), origin=ORIGIN) as ws:
        send(ws, samples)
        ws.send(json.dumps({"type": "stop", "samples": "many"}))
        collect(ws)
        assert ws.close_code == 1000
    capture = server.audio(token)
    assert not capture.dropped and capture.expected_samples is None and len(capture.samples) == len(samples)


def live_server(model, settings):
    return CaptureServer(model, recovery.live_dir(settings), home=settings.home)


def test_the_first_recording_of_a_fresh_folder_is_live_and_owner_only(model, speech, tmp_path):
    """Was: audio/ and audio/live/ at 0755 and the part file at 0644 (issue 14, item 12)."""
    settings = load_settings({"REHEARSE_HOME": str(tmp_path / "home")})
    db = database.open_database(settings)
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    old = os.umask(0o022)
    server = live_server(model, settings)
    try:
        token = server.open(pipeline.answer_note(sid, STEP, "a-1"))
        with connect(server.url(token), origin=ORIGIN) as ws:
            send(ws, pcm(speech, "I met with their director every week.")[:SAMPLE_RATE])
            part = recovery.live_dir(settings) / f"{token}.pcm"
            deadline = time.time() + 10
            while not (part.exists() and part.stat().st_size) and time.time() < deadline:
                time.sleep(0.05)
            modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (settings.audio_dir, part.parent, part)}
            assert modes == {settings.audio_dir: 0o700, part.parent: 0o700, part: 0o600}
            assert stat.S_IMODE(part.with_suffix(".json").stat().st_mode) == 0o600
    finally:
        os.umask(old)
        server.close()


def stream_and_stop(server, token: str, samples: np.ndarray) -> list[dict]:
    with connect(server.url(token), origin=ORIGIN) as ws:
        send(ws, samples)
        ws.send(json.dumps({"type": "stop", "samples": len(samples)}))
        updates = collect(ws)
        assert ws.close_code == 1000  # the recording ended as it should, not with a crash
    return updates


def save_live(db, settings, model, server, token, sid, answer_id):
    """The page's live path: the capture from memory, through the pipeline, with the live text."""
    capture = server.audio(token)

    def live():
        finished = server.transcript(token)
        return pipeline.LiveText(finished.transcript, finished.error)

    return capture, pipeline.answer(
        db,
        settings,
        model,
        sid,
        STEP,
        pipeline.Take.of_samples(capture.samples),
        answer_id=answer_id,
        live=live,
        on_saved=lambda _a: server.discard_part(token),
    )


def test_live_recorder_on_a_full_disk_keeps_the_answer_in_memory_and_saves_it_later(model, speech, tmp_path):
    """Was: the socket dropped at 3 s with `ValueError: I/O operation on closed file` and the rest
    of the answer was gone (issue 14, item 9)."""
    samples = pcm(speech, ANSWER)
    with tmpfs(tmp_path / "disk", "3m") as home:
        settings = load_settings({"REHEARSE_HOME": str(home)})
        db = database.open_database(settings)
        sid = database.create_session(db, "warm-up", "Warm-up", [])
        server = live_server(model, settings)
        try:
            token = server.open(pipeline.answer_note(sid, STEP, "a-full"))
            filler = fill(home, keep=16_384)  # the part file fills it within the first second
            updates = stream_and_stop(server, token, samples)
            capture = server.audio(token)
            assert not capture.dropped and np.array_equal((capture.samples * 32768).round().astype("<i2"), samples)
            said = capture.disk_error
            assert "is full" in said and str(home) in said and "Free some space" in said and "memory" in said
            assert any(u.get("warning") == said for u in updates)  # shown in the recorder while speaking

            with pytest.raises(StorageError, match="Could not save your recording.*is full.*Free some space"):
                save_live(db, settings, model, server, token, sid, "a-full")
            assert db["answers"].count == 0

            filler.unlink()  # room again: Save again takes the same recording from memory
            capture, answer = save_live(db, settings, model, server, token, sid, "a-full")
            assert answer.status == "transcribed" and answer.duration == pytest.approx(capture.seconds, abs=0.01)
            assert word_error_rate(normalize(ANSWER), normalize(answer.transcript)) <= 0.15, answer.transcript
            assert list(recovery.live_dir(settings).iterdir()) == []
        finally:
            server.close()


def test_live_recorder_on_a_read_only_folder_keeps_the_answer_in_memory_and_saves_it_later(model, speech, tmp_path):
    """Was: "Saved 0.0 s", and 6 s of speech discarded (issue 14, item 9)."""
    samples = pcm(speech, ANSWER)[: 6 * SAMPLE_RATE]
    with tmpfs(tmp_path / "disk", "4m") as home:
        settings = load_settings({"REHEARSE_HOME": str(home)})
        db = database.open_database(settings)
        sid = database.create_session(db, "warm-up", "Warm-up", [])
        server = live_server(model, settings)
        db.conn.close()
        subprocess.run(["mount", "-o", "remount,ro", str(home)], check=True)
        try:
            token = server.open(pipeline.answer_note(sid, STEP, "a-ro"))
            stream_and_stop(server, token, samples)
            capture = server.audio(token)
            assert len(capture.samples) == 6 * SAMPLE_RATE  # every second of it
            assert "read-only" in capture.disk_error and str(home) in capture.disk_error
            with pytest.raises(StorageError, match="read-only.*REHEARSE_HOME"):
                save_live(database.open_database(settings), settings, model, server, token, sid, "a-ro")
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(home)], check=True)
        try:
            db = database.open_database(settings)
            _capture, answer = save_live(db, settings, model, server, token, sid, "a-ro")
            assert answer.status == "transcribed" and answer.duration == pytest.approx(6.0)
            assert "finance" in answer.transcript.lower()
        finally:
            server.close()


def test_a_recording_cut_off_by_a_crash_is_recovered_at_the_next_start(speech, settings, model):
    """Was: the audio stayed in a raw part file that nothing read."""
    samples = pcm(speech, ANSWER)
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), "live", str(settings.home), "-"], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        started = json.loads(worker.stdout.readline())
        part_dir = recovery.live_dir(settings)
        with connect(started["url"], origin=ORIGIN) as ws:
            send(ws, samples[: len(samples) // 2])
            deadline = time.time() + 20
            while time.time() < deadline:
                parts = list(part_dir.glob("*.pcm"))
                if parts and parts[0].stat().st_size == len(samples) // 2 * 2:
                    break
                time.sleep(0.05)
            worker.send_signal(signal.SIGKILL)  # the app dies mid-answer
            worker.wait(timeout=30)
    finally:
        worker.kill()
    db = database.open_database(settings)
    assert db["answers"].count == 0
    assert recovery.recover(db, settings) == [started["answer_id"]]  # what the app does at start
    answer = database.get_answer(db, started["answer_id"])
    assert (answer.session_id, answer.status, answer.error) == (started["session_id"], "recorded", recovery.RECOVERED)
    assert answer.duration == pytest.approx(len(samples) // 2 / SAMPLE_RATE, abs=0.01)
    assert list(part_dir.iterdir()) == []
    done = pipeline.transcribe_answer(db, settings, model, answer.id)
    assert done.status == "transcribed" and "finance" in done.transcript.lower()


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
