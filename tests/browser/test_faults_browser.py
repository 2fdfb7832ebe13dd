"""Faults in the real app: SIGKILL while saving and while transcribing, then a restart; two tabs
drilling at the same time. Nothing recorded is lost either way."""

import time
from pathlib import Path

import pytest
from appdriver import ANSWER, QUESTION, TEST_DRILL_TITLE, AppPage, AppServer

from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.store import database, recovery

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def wait_for(path: Path, server: AppServer, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared:\n{server.log_tail()}"
        assert server.proc.poll() is None, f"the app died early:\n{server.log_tail()}"
        time.sleep(0.2)


def answer_once(page: AppPage, seconds: float) -> None:
    page.goto("")
    if page.button("Start a new drill").count():  # the drill a crash interrupted is offered first
        page.click("Start a new drill")
    page.select("Choose a drill", TEST_DRILL_TITLE)
    page.click("Start drill")
    page.expect_text(QUESTION)
    page.record(seconds)


def integrity(db) -> str:
    return db.execute("PRAGMA integrity_check").fetchone()[0]


def test_sigkill_while_saving_and_while_transcribing_loses_nothing(app, tab, record_seconds, settings_of):
    settings = settings_of(app)

    # 1. Killed between writing the audio file and writing its row.
    app.start(REHEARSE_TEST_PAUSE_AT="saving")
    page = tab(app)
    answer_once(page, record_seconds)
    wait_for(settings.home / "paused-at-saving", app)
    page.shot("paused-while-saving")
    app.kill()
    [saved_audio] = list(settings.audio_dir.glob("*.flac"))
    assert list(recovery.pending_dir(settings).glob("*.json"))  # the note that names the missing row
    db = database.open_database(settings)
    assert integrity(db) == "ok"
    assert db["answers"].count == 0  # no half-written row

    # 2. Restart (the open tab reconnects); the lost row comes back. Then killed mid-transcription.
    app.start(REHEARSE_TEST_PAUSE_AT="transcribing")
    answer_once(page, record_seconds)
    wait_for(settings.home / "paused-at-transcribing", app)
    page.shot("paused-while-transcribing")
    app.kill()
    db = database.open_database(settings)
    assert integrity(db) == "ok"
    answers = db.execute("select id, status, transcript, audio_path from answers order by created_at").fetchall()
    assert [(a[1], a[2]) for a in answers] == [("recorded", None), ("recorded", None)]
    assert answers[0][0] == saved_audio.stem  # the recovered row names the audio saved before the crash
    for _, _, _, rel in answers:
        assert (settings.home / rel).stat().st_size > 10_000
    assert list(recovery.pending_dir(settings).glob("*.json")) == []

    # 3. Restart without a pause: the review page offers both for transcription again.
    app.start()
    page.open_page("Review", shot="review-after-crashes")
    sessions = [s.id for s in database.list_sessions(db)]
    assert len(sessions) == 2
    for number in range(len(sessions)):
        if number:
            page.select_index("Session", number)
        [waiting] = database.session_answers(db, sessions[number])
        # The row rebuilt from the pending note says it was recovered; the one killed mid-transcription just waits.
        recovered = waiting.id == saved_audio.stem
        assert waiting.error == (recovery.RECOVERED if recovered else None)
        page.expect_text("Recovered after a crash" if recovered else "Saved, not transcribed yet.")
        page.click("Transcribe again")
        transcript = page.wait_transcript()
        assert word_error_rate(normalize(ANSWER), normalize(transcript)) <= 0.2, transcript
        page.shot(f"transcribed-again-{number + 1}")
    db = database.open_database(settings)
    assert [a.status for s in sessions for a in database.session_answers(db, s)] == ["transcribed", "transcribed"]
    assert integrity(db) == "ok"
    assert app.outbound() == []


def test_two_tabs_drilling_at_once_both_keep_everything(app, tab, record_seconds, settings_of):
    app.start()
    first = tab(app, prefix="tab1-")
    second = tab(app, prefix="tab2-", context=first.page.context)
    for page in (first, second):
        page.goto("")
        page.select("Choose a drill", TEST_DRILL_TITLE)
        page.click("Start drill")
        page.expect_text(QUESTION)
    for step in ("question", "follow-up"):
        # Both record at the same time, then both transcribe at the same time.
        first.start_recording()
        second.start_recording()
        first.page.wait_for_timeout(record_seconds * 1000)
        first.stop_recording()
        second.stop_recording()
        for page in (first, second):
            transcript = page.wait_transcript()
            assert word_error_rate(normalize(ANSWER), normalize(transcript)) <= 0.2, (step, transcript)
            page.shot(f"{step}-answered")
        for page in (first, second):
            page.click("Next follow-up" if step == "question" else "Finish drill")
    for page in (first, second):
        page.expect_text("Drill complete")
        page.shot("complete")

    db = database.open_database(settings_of(app))
    sessions = database.list_sessions(db)
    assert len(sessions) == 2 and {s.status for s in sessions} == {"completed"}
    for session in sessions:
        answers = database.session_answers(db, session.id)
        assert [(a.probe_index, a.status) for a in answers] == [(0, "transcribed"), (1, "transcribed")]
        assert all(a.audio_file(settings_of(app)).exists() for a in answers)
    assert len({a.audio_path for s in sessions for a in database.session_answers(db, s.id)}) == 4
