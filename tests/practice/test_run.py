"""DrillRun on the shipped questions and a real SQLite file: moving through a plan, skipping,
recording again, changing the plan after an answer, ending early, and continuing after a reload."""

import json
import sqlite3

import numpy as np
import pytest

from rehearse.library import bank
from rehearse.practice import pipeline, run
from rehearse.practice.run import DrillRun
from rehearse.speech import audio
from rehearse.store import database

DRILL = bank.Drill(
    "two",
    "Two stories",
    "Two questions, two probes each.",
    2,
    "fixed",
    2,
    questions=("lead-cross-org-change", "lead-unpopular-decision"),
    think_seconds=5,
)
Q1, Q2 = DRILL.questions


def tone(seconds: float = 2.0) -> bytes:
    t = np.arange(int(16000 * seconds)) / 16000
    return audio.wav_bytes((0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)


@pytest.fixture
def questions(settings):
    return bank.load_library(settings).questions


def new_run(questions, **kw) -> DrillRun:
    return DrillRun.start(DRILL, questions, seed=1, **kw)


def answer(r: DrillRun, db, settings, data: bytes | None = None) -> database.Answer:
    return pipeline.save_answer(db, settings, r.session(db), r.step, tone() if data is None else data)


def generated(prompt: str, n: int, qid: str = Q1) -> bank.Step:
    return bank.Step(qid, 100 + n, prompt, "q", 0, kind="person", evidence="the director", evidence_start=3.5, why="w")


def test_a_run_walks_its_plan_and_completes(settings, db, questions):
    r = new_run(questions)
    assert [(s.question_id, s.probe_index) for s in r.steps] == [(Q1, 0), (Q1, 1), (Q1, 2), (Q2, 0), (Q2, 1), (Q2, 2)]
    assert r.position_text() == "Question 1 of 2" and r.progress == 0 and not r.finished
    assert r.next_step.is_probe and not r.is_last
    # Nothing is stored before the first answer.
    assert database.list_sessions(db) == [] and r.takes(db) == [] and not r.can_advance(db) and r.can_skip(db)
    answer(r, db, settings)
    [session] = database.list_sessions(db)
    assert (session.id, session.status, session.drill_id, session.drill_title) == (
        r.session_id,
        "active",
        "two",
        "Two stories",
    )
    assert r.can_advance(db) and not r.can_skip(db)
    texts = []
    while not r.finished:
        texts.append(r.position_text())
        if r.session_id and not r.takes(db):
            answer(r, db, settings)
        r.advance(db)
    assert texts == [
        "Question 1 of 2",
        "Question 1 of 2 · follow-up 1 of 2",
        "Question 1 of 2 · follow-up 2 of 2",
        "Question 2 of 2",
        "Question 2 of 2 · follow-up 1 of 2",
        "Question 2 of 2 · follow-up 2 of 2",
    ]
    assert r.status == "completed" and not r.ended_early and r.progress == 1
    stored = database.get_session(db, r.session_id)
    assert stored.status == "completed" and stored.answer_count == 6 and stored.ended_at
    assert DrillRun.unfinished(db) is None  # nothing left to continue


def test_skipping_a_question_skips_its_probes_and_skipping_a_probe_only_that(settings, db, questions):
    r = new_run(questions)
    r.skip(db)  # the skip is the first "answer": it creates the session
    assert r.session_id and (r.step.question_id, r.step.probe_index) == (Q2, 0)
    answer(r, db, settings)
    r.advance(db)
    r.skip(db)
    assert (r.step.question_id, r.step.probe_index) == (Q2, 2)
    r.skip(db)
    assert r.finished and r.status == "completed"
    got = [(a.question_id, a.probe_index, a.status) for a in database.session_answers(db, r.session_id)]
    assert got == [(Q1, 0, "skipped"), (Q2, 0, "recorded"), (Q2, 1, "skipped"), (Q2, 2, "skipped")]


def test_record_again_keeps_every_take_and_a_refused_take_does_not_count(settings, db, questions):
    r = new_run(questions)
    refused = answer(r, db, settings, audio.wav_bytes(np.zeros(0, dtype=np.float32), 16000))
    assert refused.status == "failed" and run.is_refused(refused) and refused.audio_file(settings).exists()
    assert r.takes(db) == [refused] and r.usable_take(db) is None
    assert not r.can_advance(db) and r.can_skip(db)  # Next stays off, Skip stays on
    assert (r.attempt, r.record_again(), r.attempt) == (0, 1, 1)
    good = answer(r, db, settings)
    assert [t.take for t in r.takes(db)] == [2, 1] and r.usable_take(db) == good
    assert r.can_advance(db) and not r.can_skip(db)
    r.advance(db)
    assert r.attempt == 0  # a new step starts on its first attempt


def test_insert_next_and_replace_upcoming_probes_change_the_plan_and_store_it(settings, db, questions):
    r = new_run(questions)
    answer(r, db, settings)
    r.insert_next(db, [generated("Who was the director?", 1)])
    assert [(s.question_id, s.probe_index) for s in r.steps[:4]] == [(Q1, 0), (Q1, 101), (Q1, 1), (Q1, 2)]
    assert [s.probe_index for s in r.upcoming_probes()] == [101, 1, 2]
    r.advance(db)
    # k of m by position in the plan, not by the probe's index.
    assert r.position_text() == "Question 1 of 2 · follow-up 1 of 3" and r.step.is_generated
    stored = database.get_session(db, r.session_id)
    assert stored.plan[1]["kind"] == "person" and stored.plan[1]["evidence_start"] == 3.5
    # Answering the follow-up changes what comes next: the rest of this question's probes go.
    answer(r, db, settings)
    r.replace_upcoming_probes(db, [generated("What did the director say?", 2)])
    assert [(s.question_id, s.probe_index) for s in r.steps] == [
        (Q1, 0),
        (Q1, 101),
        (Q1, 102),
        (Q2, 0),
        (Q2, 1),
        (Q2, 2),
    ]
    r.advance(db)
    assert r.position_text() == "Question 1 of 2 · follow-up 2 of 2"
    r.replace_upcoming_probes(db, [])  # none left to replace: the next question is untouched
    r.advance(db)
    assert r.position_text() == "Question 2 of 2"
    assert [s["probe_index"] for s in database.get_session(db, r.session_id).plan] == [0, 101, 102, 0, 1, 2]


def test_ending_early_stores_ended_and_a_run_with_nothing_saved_leaves_no_session(settings, db, questions):
    idle = new_run(questions)
    idle.end(db)
    assert idle.finished and idle.ended_early and database.list_sessions(db) == []
    r = new_run(questions)
    answer(r, db, settings)
    r.end(db)
    stored = database.get_session(db, r.session_id)
    assert (stored.status, r.ended_early) == ("ended", True) and stored.ended_at
    assert run.status_label(stored.status) == "ended early" and run.status_label("completed") == "complete"
    r.end(db)  # twice is harmless
    assert DrillRun.unfinished(db) is None


def test_a_run_continues_after_a_reload_from_the_sqlite_file(settings, questions):
    links = []
    r = new_run(questions, on_create=lambda conn, sid: links.append(sid))
    first_db = database.open_database(settings)
    answer(r, first_db, settings)
    r.advance(first_db)
    r.insert_next(first_db, [generated("Who signed it off?", 1)])
    assert links == [r.session_id]  # on_create ran once, when the session was made
    first_db.conn.close()

    # A new connection, as after a reload or a restart: the run comes back as it was.
    db = database.open_database(settings)
    back = DrillRun.unfinished(db)
    assert back is not None and back.session_id == r.session_id and back.index == 1
    assert back.steps == r.steps and back.drill == DRILL and back.started_at
    assert back.position_text() == "Question 1 of 2 · follow-up 1 of 3" and back.question_number() == (1, 2)
    back.skip(db)
    assert DrillRun.unfinished(db).index == 2
    # Terminal sessions are not offered to the drill page.
    t = new_run(questions, source="terminal")
    t.skip(db)
    assert DrillRun.unfinished(db).session_id == r.session_id
    assert DrillRun.unfinished(db, source="terminal").session_id == t.session_id


def test_plans_round_trip_with_every_field_and_old_plans_still_load(settings, db):
    steps = [bank.Step(Q1, 0, "p", "q", 2), generated("Who?", 1)]
    assert run.plan_from_json(json.loads(json.dumps(run.plan_to_json(steps)))) == steps
    assert run.drill_from_json(json.loads(json.dumps(run.drill_to_json(DRILL)))) == DRILL
    old = {"question_id": Q1, "probe_index": 1, "prompt": "p", "question_text": "q", "probe_count": 2}
    [step] = run.plan_from_json([old])
    assert (step.kind, step.evidence, step.evidence_start, step.why, step.is_generated) == ("", "", None, "", False)


def test_sessions_left_active_before_the_upgrade_are_ended(tmp_path, settings):
    """A session an older release left "active" (a reload dropped its run) cannot be continued:
    the upgrade marks it ended at its last answer."""
    from rehearse.store.migrations import migrations

    settings.home.mkdir(parents=True, mode=0o700)
    conn = sqlite3.connect(settings.db_path)
    from sqlite_utils import Database

    old = Database(conn)
    migrations.apply(old, stop_before="m_issue11_drill_runs")
    sid = database.create_session(old, "warm-up", "Warm-up", [])
    # Raw insert: today's add_answer writes columns later migrations add.
    old["answers"].insert(
        {
            "id": "a1",
            "session_id": sid,
            "question_id": Q1,
            "question_text": "q",
            "probe_index": 0,
            "prompt": "p",
            "take": 1,
            "status": "skipped",
            "created_at": "2026-11-30T10:00:00+00:00",
        }
    )
    conn.commit()
    conn.close()
    db = database.open_database(settings)
    stored = database.get_session(db, sid)
    assert stored.status == "ended" and stored.ended_at == database.get_answer(db, "a1").created_at
    assert DrillRun.unfinished(db) is None


def test_a_stored_run_this_release_cannot_read_is_not_offered(settings, db, questions):
    r = new_run(questions)
    r.skip(db)
    db.execute("update sessions set plan = ? where id = ?", [json.dumps([{"prompt": "no id"}]), r.session_id])
    db.conn.commit()
    assert DrillRun.unfinished(db) is None
