"""The one path every recording takes, on a real SQLite file and real audio files: what it keeps
when the audio writer cannot hold a file, what a crash leaves for recovery (debrief items, live
part files), that a live take is written once, and the owner-only permissions of what it writes."""

from __future__ import annotations

import argparse
import json
import os
import signal
import stat
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile
from test_faults import run_worker

from rehearse.errors import StorageError
from rehearse.library.bank import Step
from rehearse.practice import pipeline
from rehearse.settings import load_settings
from rehearse.speech import audio
from rehearse.speech.transcribe import Transcript, Word
from rehearse.store import database, debriefs, export, recovery

STEP = Step("q-one", 0, "Tell me about a hard project.", "Tell me about a hard project.", 2)


def sox(tmp_path: Path, name: str, *args: str) -> bytes:
    """A real audio file made by sox: a 440 Hz tone of 1 s with the given rate and channels."""
    out = tmp_path / name
    subprocess.run(["sox", "-n", *args, str(out), "synth", "1", "sine", "440"], check=True)
    return out.read_bytes()


def no_model():
    raise AssertionError("a recording that cannot be an answer must never reach the model")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """The usual umask (group and others may read), so a missing owner-only mode shows."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize(
    "name, args, reason",
    [
        ("700khz.wav", ("-r", "700000", "-c", "1"), "sample rate of 700000 Hz"),
        ("12ch.wav", ("-r", "16000", "-c", "12"), "12 channels"),
    ],
)
def test_an_upload_flac_cannot_hold_is_kept_as_it_came_with_the_reason(settings, db, tmp_path, name, args, reason):
    """Was: LibsndfileError, and nothing kept (issue 14, item 10)."""
    data = sox(tmp_path, name, *args)
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    answer = pipeline.save_answer(db, settings, sid, STEP, data)
    assert answer.status == "failed" and reason in answer.error and "original file is kept" in answer.error
    kept = answer.audio_file(settings)
    assert kept.suffix == ".orig" and kept.read_bytes() == data
    assert answer.duration == pytest.approx(1.0)
    assert list(recovery.pending_dir(settings).glob("*")) == []


def test_a_live_take_is_written_once_as_flac_and_never_read_back(settings, db, monkeypatch):
    rng = np.random.default_rng(1)
    t = np.arange(16000 * 3) / 16000
    samples = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.01 * rng.standard_normal(len(t))).astype(np.float32)
    live = Transcript("I led the migration.", (Word(0.5, 1.0, " I"),), 3.0, "tiny.en", 0.4)
    sid = database.create_session(db, "warm-up", "Warm-up", [])

    def forbidden(*args, **kwargs):
        raise AssertionError("the live take went through WAV bytes or was read back")

    for name in ("read_audio", "wav_bytes", "inspect_saved", "check_recording", "duration_of"):
        monkeypatch.setattr(audio, name, forbidden)
    monkeypatch.setattr(soundfile, "read", forbidden)
    monkeypatch.setattr(pipeline, "decode", forbidden)
    answer = pipeline.answer(
        db, settings, no_model, sid, STEP, pipeline.Take.of_samples(samples), live=lambda: pipeline.LiveText(live)
    )
    monkeypatch.undo()
    assert answer.status == "transcribed" and answer.transcript == live.text
    assert answer.duration == pytest.approx(3.0) and answer.metrics["word_count"] == 4
    path = answer.audio_file(settings)
    assert path.suffix == ".flac"
    written, rate = soundfile.read(path, dtype="float32")
    assert rate == 16000 and np.abs(written - samples).max() <= 1 / 16384  # every sample, to 16-bit precision


def test_a_live_take_that_is_silent_or_has_no_live_text_says_why(settings, db):
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    silent = pipeline.answer(
        db, settings, no_model, sid, STEP, pipeline.Take.of_samples(np.zeros(16000 * 3, np.float32)), live=no_model
    )
    assert silent.status == "failed" and "silent" in silent.error and silent.audio_file(settings).exists()
    t = np.arange(16000 * 3) / 16000
    tone = pipeline.Take.of_samples((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32))
    gone = pipeline.answer(
        db, settings, no_model, sid, STEP, tone, live=lambda: pipeline.LiveText(None, "decoder gone")
    )
    assert (gone.status, gone.error) == ("failed", "decoder gone") and gone.audio_file(settings).exists()


def test_a_debrief_recording_killed_while_saving_is_recovered(settings, tmp_path):
    """Was: debrief recordings skipped the pending note, so this recording was lost to the database."""
    wav = tmp_path / "item.wav"
    wav.write_bytes(sox(tmp_path, "tone.wav", "-r", "16000", "-c", "1"))
    code, lines = run_worker(
        "debrief", str(settings.home), str(wav), pause_at="saving", kill_on=settings.home / "paused-at-saving"
    )
    assert code == -signal.SIGKILL and "done" not in lines[-1]
    db = database.open_database(settings)
    assert debriefs.recordings(db, lines[0]["debrief_id"]) == []  # the row never landed
    [restored] = recovery.recover(db, settings)
    [rec] = debriefs.recordings(db, lines[0]["debrief_id"], "company")
    assert (rec.id, rec.status, rec.error) == (restored, "recorded", recovery.RECOVERED)
    assert rec.duration == pytest.approx(1.0) and (settings.home / rec.audio_path).suffix == ".flac"
    assert list(recovery.pending_dir(settings).glob("*")) == [] and recovery.recover(db, settings) == []


def part_file(settings, token: str, note: dict, samples: np.ndarray, pid: int = 999_999_999) -> Path:
    live = recovery.live_dir(settings)
    live.mkdir(parents=True, exist_ok=True)
    (live / f"{token}.json").write_text(json.dumps(note | {"pid": pid, "sample_rate": 16000}))
    part = live / f"{token}.pcm"
    (samples * 32767).astype("<i2").tofile(part)
    return part


def test_a_part_file_left_by_a_crash_becomes_an_answer_marked_recovered(settings, db):
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    t = np.arange(16000 * 2) / 16000
    said = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    orphan = part_file(settings, "tok-orphan", pipeline.answer_note(sid, STEP, "a-orphan"), said)
    saved = pipeline.save_answer(db, settings, sid, STEP, pipeline.Take.of_samples(said))
    leftover = part_file(settings, "tok-saved", pipeline.answer_note(sid, STEP, saved.id), said)
    recording = part_file(settings, "tok-now", pipeline.answer_note(sid, STEP, "a-now"), said, pid=os.getpid())
    unknown = recovery.live_dir(settings) / "tok-unknown.pcm"
    unknown.write_bytes(b"\0\1" * 100)  # no note: nothing says which answer it is

    assert recovery.recover(db, settings) == ["a-orphan"]
    answer = database.get_answer(db, "a-orphan")
    assert (answer.session_id, answer.status, answer.error) == (sid, "recorded", recovery.RECOVERED)
    assert answer.duration == pytest.approx(2.0)
    written, _ = soundfile.read(answer.audio_file(settings), dtype="int16")
    assert np.array_equal(written, (said * 32767).astype("<i2"))
    assert not orphan.exists() and not orphan.with_suffix(".json").exists()
    assert not leftover.exists()  # its answer was saved: only the part file was left over
    assert recording.exists() and unknown.exists()  # recording right now / cannot be attributed
    assert recovery.recover(db, settings) == []


def test_everything_written_is_owner_only_and_a_read_only_folder_stays_read_only(tmp_path, umask):
    """Was: audio/ at 0755, exports and backups at 0644, and the data folder chmod-ed back to 0700."""
    settings = load_settings({"REHEARSE_HOME": str(tmp_path / "fresh" / "home")})
    db = database.open_database(settings)
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    answer = pipeline.save_answer(db, settings, sid, STEP, sox(tmp_path, "t.wav", "-r", "16000", "-c", "1"))
    assert mode(settings.home) == mode(settings.audio_dir) == 0o700
    assert mode(answer.audio_file(settings)) == mode(settings.db_path) == 0o600

    report = tmp_path / "report.md"
    args = argparse.Namespace(list=False, session=None, format="markdown", output=str(report))
    assert export.cmd_export(args, settings) == 0 and mode(report) == 0o600
    backup = tmp_path / "backup.zip"
    export.write_backup(db, settings, backup)
    assert mode(backup) == 0o600

    restored = load_settings({"REHEARSE_HOME": str(tmp_path / "restored")})
    export.restore_backup(backup, restored)
    assert mode(restored.home) == mode(restored.audio_dir) == 0o700
    assert {mode(p) for p in restored.audio_dir.iterdir()} == {0o600}

    # A folder the user made read-only is not made writable behind their back.
    db.conn.close()
    os.chmod(settings.audio_dir, 0o500)
    os.chmod(settings.home, 0o500)
    try:
        db = database.open_database(settings)
        assert mode(settings.home) == 0o500
        if os.geteuid() != 0:  # root writes through a read-only mode anyway
            with pytest.raises(StorageError, match="read-only"):
                pipeline.save_answer(db, settings, sid, STEP, sox(tmp_path, "u.wav", "-r", "16000", "-c", "1"))
        assert mode(settings.home) == mode(settings.audio_dir) == 0o500
    finally:
        os.chmod(settings.home, 0o700)
        os.chmod(settings.audio_dir, 0o700)
