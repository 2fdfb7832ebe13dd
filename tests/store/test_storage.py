"""Storage and migrations on real SQLite files."""

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from sqlite_utils import Database

from rehearse.errors import NotFoundError, StorageError
from rehearse.library.bank import Step
from rehearse.practice import pipeline
from rehearse.speech import audio
from rehearse.store import database

STEP = Step("q-one", 0, "Tell me about a hard project.", "Tell me about a hard project.", 2)
PROBE = Step("q-one", 1, "What was the pushback?", "Tell me about a hard project.", 2)


def tone(seconds: float = 2.0, rate: int = 16000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return audio.wav_bytes((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)


def test_migrations_create_schema_with_wal_and_foreign_keys(settings, db):
    assert {"sessions", "answers", "ratings"} <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    applied = [m.name for m in database.migrations.applied(db)]
    again = database.open_database(settings)  # reopening applies nothing twice
    assert [m.name for m in database.migrations.applied(again)] == applied
    assert applied[0] == "m001_initial" and len(applied) == len(set(applied))
    assert oct(settings.home.stat().st_mode & 0o777) == "0o700"
    with pytest.raises(sqlite3.IntegrityError):
        with db.atomic():
            db["answers"].insert(
                {
                    "id": "x",
                    "session_id": "no-such-session",
                    "question_id": "q",
                    "probe_index": 0,
                    "take": 1,
                    "status": "recorded",
                    "created_at": "now",
                }
            )


def test_memory_database_migrates():
    db = database.migrate(Database(memory=True))
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    assert database.get_session(db, sid).status == "active"


def test_session_answers_takes_ratings_round_trip(settings, db):
    sid = database.create_session(db, "warm-up", "Warm-up", [{"question_id": "q-one"}])
    first = pipeline.save_answer(db, settings, sid, STEP, tone())
    second = pipeline.save_answer(db, settings, sid, STEP, tone())
    skipped = pipeline.skip_step(db, sid, PROBE)
    assert (first.take, second.take, skipped.take) == (1, 2, 1)
    assert first.status == "recorded" and skipped.status == "skipped" and skipped.audio_path is None
    assert first.audio_file(settings).read_bytes()[:4] == b"fLaC"
    assert first.duration == pytest.approx(2.0, abs=0.01)

    database.set_rating(db, first.id, stars=2)
    database.set_rating(db, first.id, note="Too vague on the numbers.")
    changed = database.set_rating(db, first.id, stars=4)
    assert (changed.stars, changed.note) == (4, "Too vague on the numbers.")
    with pytest.raises(ValueError):
        database.set_rating(db, first.id, stars=6)

    done = database.save_transcript(
        db,
        second.id,
        text="hello there",
        words=[{"start": 0.1, "end": 0.5, "text": "hello"}],
        model="tiny.en",
        seconds=0.2,
        duration=2.0,
        metrics={"wpm": 140},
    )
    assert done.status == "transcribed" and done.words[0]["text"] == "hello" and done.metrics == {"wpm": 140}
    assert [a.take for a in database.step_answers(db, sid, "q-one", 0)] == [2, 1]
    assert [a.id for a in database.session_answers(db, sid)] == [first.id, second.id, skipped.id]

    database.end_session(db, sid, "ended")
    session = database.list_sessions(db)[0]
    assert (session.id, session.status, session.answer_count) == (sid, "ended", 2)
    assert session.plan == ({"question_id": "q-one"},)
    # The same rows from a fresh connection on the same file: nothing lives only in memory.
    reopened = database.open_database(settings)
    assert database.get_answer(reopened, first.id).note == "Too vague on the numbers."


def test_sessions_newest_first(db):
    ids = [database.create_session(db, f"d{i}", f"D{i}", []) for i in range(3)]
    assert [s.id for s in database.list_sessions(db)] == ids[::-1]


def test_undecodable_recording_is_kept_and_marked_failed(settings, db):
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    answer = pipeline.save_answer(db, settings, sid, STEP, b"this is not audio at all")
    assert answer.status == "failed" and "cannot be decoded" in answer.error
    assert answer.audio_file(settings).read_bytes() == b"this is not audio at all"


def test_no_row_points_at_a_missing_file(settings, db):
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    for _ in range(3):
        pipeline.save_answer(db, settings, sid, STEP, tone())
    pipeline.save_answer(db, settings, sid, STEP, b"")
    for a in database.session_answers(db, sid):
        assert a.audio_file(settings).exists()
    files = {p.name for p in settings.audio_dir.iterdir()}
    assert files == {Path(a.audio_path).name for a in database.session_answers(db, sid)}


def test_row_failure_removes_the_file_it_would_have_named(settings, db):
    with pytest.raises(NotFoundError):
        pipeline.save_answer(db, settings, "no-such-session", STEP, tone())
    assert list(settings.audio_dir.iterdir()) == []


def test_unknown_ids_raise_not_found(db):
    with pytest.raises(NotFoundError, match="no-such"):
        database.get_answer(db, "no-such")
    with pytest.raises(NotFoundError, match="no-such"):
        database.get_session(db, "no-such")


def test_unwritable_home_gives_clear_error(tmp_path):
    from rehearse.settings import load_settings

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="REHEARSE_HOME"):
        database.open_database(load_settings({"REHEARSE_HOME": str(blocker / "home")}))


def test_concurrent_takes_get_distinct_numbers(settings, db):
    """Two tabs (two connections, two threads) saving takes of the same step at once."""
    import threading

    sid = database.create_session(db, "warm-up", "Warm-up", [])
    errors = []

    def save(n: int) -> None:
        try:
            conn = database.open_database(settings)
            for _ in range(n):
                pipeline.save_answer(conn, settings, sid, STEP, tone(1.6))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(6,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(a.take for a in database.step_answers(db, sid, "q-one", 0)) == list(range(1, 13))
