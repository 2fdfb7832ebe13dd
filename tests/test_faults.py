"""Faults without a browser: SIGKILL at every step of saving and transcribing (the real pipeline
in a subprocess), crash recovery, a full disk and a read-only data folder (real tmpfs mounts)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from apptest_kit import start_drill

from rehearse import files
from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.errors import StorageError
from rehearse.library.bank import Step
from rehearse.practice import pipeline
from rehearse.settings import load_settings
from rehearse.speech import audio
from rehearse.store import database, recovery

WORKER = Path(__file__).parent / "support" / "fault_worker.py"
STEP = Step("q-one", 0, "Tell me about a hard project.", "Tell me about a hard project.", 2)
ANSWER = "I led the migration of our billing system to a new platform over six months."


def tone(seconds: float = 2.0) -> bytes:
    t = np.arange(int(seconds * 16000)) / 16000
    return audio.wav_bytes((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)


def noise(seconds: float) -> bytes:
    """Incompressible audio: its FLAC is about as large as the WAV."""
    return audio.wav_bytes(
        (0.3 * np.random.default_rng(0).standard_normal(int(seconds * 16000))).astype(np.float32), 16000
    )


def run_worker(*args: str, pause_at: str = "", kill_on: Path | None = None) -> tuple[int, list[dict]]:
    """Run fault_worker.py; with `kill_on`, SIGKILL it from here once that marker file appears."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]  # the code under test, also in the worker
    if pause_at:
        env["REHEARSE_TEST_PAUSE_AT"] = pause_at
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[1],
    )
    if kill_on is not None:
        deadline = time.monotonic() + 120
        while not kill_on.exists():
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the crash point was never reached"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    return proc.returncode, [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def reopen(settings):
    db = database.open_database(settings)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return db


def no_leftovers(settings) -> None:
    assert list(recovery.pending_dir(settings).glob("*")) == []
    assert list(settings.audio_dir.glob(".*")) == []


@pytest.mark.slow
@pytest.mark.parametrize("how", ["between audio and row", "row not yet committed"])
def test_sigkill_while_saving_then_restart_keeps_the_recording(settings, speech, model, tmp_path, how):
    wav = tmp_path / "answer.wav"
    wav.write_bytes(speech(ANSWER))
    if how == "between audio and row":
        code, lines = run_worker(
            "save", str(settings.home), str(wav), pause_at="saving", kill_on=settings.home / "paused-at-saving"
        )
    else:
        code, lines = run_worker("save", str(settings.home), str(wav), "--kill-at-commit")
    assert code == -signal.SIGKILL and "done" not in lines[-1]
    sid = lines[0]["session_id"]

    db = reopen(settings)
    assert db["answers"].count == 0  # nothing half-written
    [kept] = settings.audio_dir.glob("*.flac")  # the recording itself is on disk

    [restored] = recovery.recover(db, settings)  # what the app does once at start
    answer = database.get_answer(db, restored)
    assert (answer.session_id, answer.status, answer.audio_path) == (sid, "recorded", f"audio/{kept.name}")
    assert answer.duration == pytest.approx(len(audio.read_audio(wav)[0]) / 16000, abs=0.01)
    no_leftovers(settings)
    assert recovery.recover(db, settings) == []  # once only

    done = pipeline.transcribe_answer(db, settings, model, answer.id)
    assert done.status == "transcribed"
    assert word_error_rate(normalize(ANSWER), normalize(done.transcript)) <= 0.2


@pytest.mark.slow
@pytest.mark.parametrize("how", ["mid-transcription", "transcript not yet committed"])
def test_sigkill_while_transcribing_then_transcribe_again(settings, db, speech, model, how):
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    answer = pipeline.save_answer(db, settings, sid, STEP, speech(ANSWER))
    if how == "mid-transcription":
        code, _ = run_worker(
            "transcribe",
            str(settings.home),
            answer.id,
            pause_at="transcribing",
            kill_on=settings.home / "paused-at-transcribing",
        )
    else:
        code, _ = run_worker("transcribe", str(settings.home), answer.id, "--kill-at-commit")
    assert code == -signal.SIGKILL

    db = reopen(settings)
    after = database.get_answer(db, answer.id)
    assert (after.status, after.transcript, after.words, after.metrics) == ("recorded", None, (), None)
    assert after.audio_file(settings).read_bytes() == answer.audio_file(settings).read_bytes()
    assert recovery.recover(db, settings) == []  # nothing to rebuild: the row was never at risk

    done = pipeline.transcribe_answer(db, settings, model, answer.id)
    assert done.status == "transcribed" and done.words
    assert word_error_rate(normalize(ANSWER), normalize(done.transcript)) <= 0.2


def test_recovery_keeps_what_reached_the_disk_and_drops_the_rest(settings, db):
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    row = dict(session_id=sid, question_id="q-one", question_text="Q", probe_index=0, prompt="Q")

    def note(answer_id: str, pid: int = 999_999_999) -> None:
        recovery.write_note(settings, answer_id, {"answer_id": answer_id, **row})
        path = recovery.pending_dir(settings) / f"{answer_id}.json"
        path.write_text(json.dumps(json.loads(path.read_text()) | {"pid": pid}))

    note("a-with-audio")
    audio.save_recording(tone(), settings.audio_dir, "a-with-audio")
    note("b-no-audio")  # died before the audio was written: nothing to keep
    (settings.audio_dir / ".b-no-audio.flac.tmp").write_bytes(b"half a file")
    note("c-undecodable")
    audio.save_recording(b"not audio at all", settings.audio_dir, "c-undecodable")
    done = pipeline.save_answer(db, settings, sid, STEP, tone())
    note(done.id)  # died after the commit, before the note was removed
    note("d-live-writer", pid=os.getpid())  # this process is still writing it: leave it alone

    assert sorted(recovery.recover(db, settings)) == ["a-with-audio", "c-undecodable"]
    restored = {a.id: a for a in database.session_answers(db, sid)}
    assert restored["a-with-audio"].status == "recorded" and restored["a-with-audio"].duration == pytest.approx(2.0)
    assert restored["c-undecodable"].status == "failed" and "cannot be decoded" in restored["c-undecodable"].error
    assert "b-no-audio" not in restored and done.id in restored
    assert [p.stem for p in recovery.pending_dir(settings).glob("*.json")] == ["d-live-writer"]
    assert list(settings.audio_dir.glob(".*")) == []


# Real disks: a small tmpfs as the data folder. Mounting needs root (CI runs as root).


@contextmanager
def tmpfs(path: Path, size: str):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path, keep: int = 0) -> Path:
    """Write until the disk is full, then give back `keep` bytes."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    os.truncate(filler, max(0, filler.stat().st_size - keep))
    return filler


def snapshot(db) -> list:
    return [db.execute(f"select * from {t} order by 1").fetchall() for t in ("sessions", "answers", "ratings")]


def test_full_disk_gives_a_clear_message_and_loses_nothing(tmp_path):
    with tmpfs(tmp_path / "disk", "2m") as home:
        settings = load_settings({"REHEARSE_HOME": str(home)})
        db = database.open_database(settings)
        sid = database.create_session(db, "warm-up", "Warm-up", [])
        kept = pipeline.save_answer(db, settings, sid, STEP, tone())
        database.set_rating(db, kept.id, stars=4, note="Keep this.")
        before, names = snapshot(db), sorted(p.name for p in settings.audio_dir.iterdir())
        # Room for the small pending note but not for the recording: the audio write fails halfway.
        filler = fill(home, keep=32_768)

        with pytest.raises(StorageError) as info:
            pipeline.save_answer(db, settings, sid, STEP, noise(8.0))
        message = str(info.value)
        assert (
            "Could not save your recording" in message
            and "full" in message
            and str(home) in message
            and "Free some space" in message
        )
        assert snapshot(db) == before and sorted(p.name for p in settings.audio_dir.iterdir()) == names
        no_leftovers(settings)
        try:
            database.create_session(db, "warm-up", "Warm-up", [{"plan": "x" * 200_000}])
        except StorageError as exc:  # SQLite's own writes fail the same clear way
            assert "full" in str(exc)

        filler.unlink()  # space again: the same recording saves, and what was there is intact
        again = pipeline.save_answer(db, settings, sid, STEP, noise(8.0))
        assert again.status == "recorded" and again.audio_file(settings).exists()
        reopened = reopen(settings)
        assert (database.get_answer(reopened, kept.id).stars, database.get_answer(reopened, kept.id).note) == (
            4,
            "Keep this.",
        )


def test_read_only_data_folder_gives_a_clear_message_and_loses_nothing(tmp_path):
    with tmpfs(tmp_path / "disk", "4m") as home:
        settings = load_settings({"REHEARSE_HOME": str(home)})
        db = database.open_database(settings)
        sid = database.create_session(db, "warm-up", "Warm-up", [])
        kept = pipeline.save_answer(db, settings, sid, STEP, tone())
        database.set_rating(db, kept.id, note="Keep this.")
        before = snapshot(db)
        db.conn.close()
        subprocess.run(["mount", "-o", "remount,ro", str(home)], check=True)

        messages = []
        try:
            db = database.open_database(settings)
            messages.append("opened")
            pipeline.save_answer(db, settings, sid, STEP, tone())
        except StorageError as exc:
            messages.append(str(exc))
        assert len(messages) and "read-only" in messages[-1] and "REHEARSE_HOME" in messages[-1], messages

        subprocess.run(["mount", "-o", "remount,rw", str(home)], check=True)
        reopened = reopen(settings)
        assert snapshot(reopened) == before
        assert database.get_answer(reopened, kept.id).audio_file(settings).exists()
        no_leftovers(settings)


def test_disk_errors_are_told_apart_from_bugs(tmp_path):
    import errno
    import sqlite3

    full = OSError(errno.ENOSPC, "No space left on device")
    assert files.is_disk_error(full) and "is full" in files.message(tmp_path, "save", full)
    ro = OSError(errno.EROFS, "Read-only file system")
    assert "read-only" in files.message(tmp_path, "save", ro)
    with pytest.raises(sqlite3.IntegrityError):  # a bug stays a bug, not a "disk" message
        with files.guard(tmp_path, "save"):
            raise sqlite3.IntegrityError("UNIQUE constraint failed")
    with pytest.raises(StorageError, match="disk holding the data folder .* is full"):
        with files.guard(tmp_path, "save"):
            raise sqlite3.OperationalError("database or disk is full")


APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


@contextmanager
def app_on_a_full_disk(tmp_path: Path, monkeypatch):
    """The app's data folder on a 3 MB disk, for AppTest; yields the folder. The final model is
    tiny.en: base's int8 copy (79 MB) never fits, and these tests are about the recording."""
    from rehearse.web import ui

    with tmpfs(tmp_path / "disk", "3m") as home:
        monkeypatch.setenv("REHEARSE_HOME", str(home))
        monkeypatch.setenv("REHEARSE_FINAL_MODEL", "tiny.en")
        ui.settings.clear()
        try:
            yield home
        finally:
            ui.settings.clear()


@pytest.mark.slow
def test_drill_page_on_a_full_disk_says_so_and_saves_the_same_recording_later(tmp_path, monkeypatch, speech):
    from streamlit.testing.v1 import AppTest

    with app_on_a_full_disk(tmp_path, monkeypatch) as home:
        at = AppTest.from_file(APP, default_timeout=180)
        start_drill(at, "warm-up")
        filler = fill(home, keep=32_768)

        at.audio_input[0].set_value(("answer.wav", speech(ANSWER), "audio/wav"))
        at.run()
        assert not at.exception, at.exception
        assert any("is full" in e.value and "Free some space" in e.value for e in at.error), [e.value for e in at.error]
        settings = load_settings({"REHEARSE_HOME": str(home)})
        assert database.open_database(settings)["answers"].count == 0

        filler.unlink()
        next(b for b in at.button if b.label == "Save again").click()
        at.run()
        db = database.open_database(settings)
        [answer] = database.session_answers(db, database.list_sessions(db)[0].id)
        assert answer.status == "transcribed"
        assert word_error_rate(normalize(ANSWER), normalize(answer.transcript)) <= 0.2
        assert not [e.value for e in at.error]


@pytest.mark.slow
def test_debrief_page_on_a_full_disk_says_so_and_saves_the_same_recording_later(tmp_path, monkeypatch, speech):
    """A spoken debrief item takes the drill's path: the pending note, the clear message, Save again."""
    from streamlit.testing.v1 import AppTest

    from rehearse.store import debriefs

    with app_on_a_full_disk(tmp_path, monkeypatch) as home:
        at = AppTest.from_file(APP, default_timeout=180)
        at.switch_page("pages/debrief.py")
        at.run()
        next(b for b in at.button if b.label == "New debrief").click()
        at.run()
        at.radio(key="debrief_mode").set_value("Speaking")
        at.run()
        assert not at.exception, at.exception
        filler = fill(home, keep=4096)  # room for the pending note, not the audio

        at.audio_input[0].set_value(("a.wav", speech("General Motors."), "audio/wav"))
        at.run()
        assert not at.exception, at.exception
        assert any("is full" in e.value and "Free some space" in e.value for e in at.error), [e.value for e in at.error]
        settings = load_settings({"REHEARSE_HOME": str(home)})
        db = database.open_database(settings)
        [d] = debriefs.list_debriefs(db)
        assert debriefs.recordings(db, d.id) == [] and d.company == ""
        no_leftovers(settings)

        filler.unlink()
        next(b for b in at.button if b.label == "Save again").click()
        at.run()
        [rec] = debriefs.recordings(db, d.id)
        assert rec.status == "transcribed" and normalize(debriefs.get_debrief(db, d.id).company) == [
            "general",
            "motors",
        ]
        assert not [e.value for e in at.error]
