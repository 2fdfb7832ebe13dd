"""Deleting takes, sessions and old audio on a real SQLite file with real FLAC files: no orphan file or row."""

import os
from datetime import timedelta

import pytest
from seed import seed

from rehearse import clock
from rehearse.errors import NotFoundError, StorageError
from rehearse.practice import history
from rehearse.store import database, deletion


def audio_files(settings) -> set[str]:
    return {str(p.relative_to(settings.home)) for p in settings.audio_dir.iterdir()}


def assert_consistent(db, settings):
    """Every file has its row and every row's file exists; no rating, answer or index entry is left dangling."""
    named = {r[0] for r in db.execute("select audio_path from answers where audio_path is not null")}
    assert audio_files(settings) == named
    assert deletion.orphans(db, settings) == ([], [])
    assert db.execute("select count(*) from ratings where answer_id not in (select id from answers)").fetchone()[0] == 0
    assert (
        db.execute("select count(*) from answers where session_id not in (select id from sessions)").fetchone()[0] == 0
    )
    # The search index holds exactly the rows that exist (FTS5 integrity check against the content tables).
    db.execute("insert into answers_fts(answers_fts) values('integrity-check')")
    db.execute("insert into ratings_fts(ratings_fts) values('integrity-check')")


def test_delete_a_take(settings, db):
    seeded = seed(db, settings)
    assert_consistent(db, settings)
    first = seeded.answers["first"]
    before = audio_files(settings)
    done = deletion.delete_answer(db, settings, first.id)
    assert (done.answers, done.files) == (1, 1) and done.bytes > 0
    assert audio_files(settings) == before - {first.audio_path}
    with pytest.raises(NotFoundError):
        database.get_answer(db, first.id)
    assert db.execute("select count(*) from ratings where answer_id = ?", [first.id]).fetchone()[0] == 0
    assert history.search(db, history.Filters(text="fillers")).total == 0  # its note left the index too
    assert_consistent(db, settings)
    # The other takes of that step are untouched.
    assert database.get_answer(db, seeded.answers["second"].id).stars == 3


def test_delete_a_session(settings, db):
    seeded = seed(db, settings)
    sid = seeded.sessions["old"]
    names = {a.audio_path for a in database.session_answers(db, sid) if a.audio_path}
    done = deletion.delete_session(db, settings, sid)
    assert (done.sessions, done.answers, done.files) == (1, 3, 3)
    assert not names & audio_files(settings)
    with pytest.raises(NotFoundError):
        database.get_session(db, sid)
    assert database.session_answers(db, sid) == []
    assert len(database.list_sessions(db)) == 3
    assert_consistent(db, settings)
    # A session with a skipped step (no file) goes too.
    deletion.delete_session(db, settings, seeded.sessions["failure"])
    assert_consistent(db, settings)


def test_prune_old_audio_keeps_transcripts(settings, db):
    seeded = seed(db, settings)
    sid = seeded.sessions["old"]
    # A failed recording from 20 days ago: by default its audio (all it has) is kept.
    from seed import backdate, step

    from rehearse.practice import pipeline

    failed = pipeline.save_answer(db, settings, sid, step("q-x", 0, "Q", "Q"), b"not audio")
    backdate(db, failed.id, 20, 30)

    plan = deletion.prune_plan(db, settings, 7)
    assert plan.cutoff == clock.today() - timedelta(days=7)
    expected = {seeded.answers[k].id for k in ("first", "second", "old_probe", "failure")}
    assert set(plan.answers) == expected and plan.without_transcript == 0 and plan.bytes > 0
    done = deletion.prune_audio(db, settings, plan)
    assert (done.answers, done.files) == (4, 4)
    for key in ("first", "second", "old_probe", "failure"):
        kept = database.get_answer(db, seeded.answers[key].id)
        assert kept.audio_path is None and kept.transcript == seeded.answers[key].transcript
        assert kept.stars == seeded.answers[key].stars and kept.metrics == seeded.answers[key].metrics
    assert database.get_answer(db, seeded.answers["latest"].id).audio_file(settings).exists()
    assert database.get_answer(db, failed.id).audio_file(settings).exists()
    assert history.search(db, history.Filters(text="billing migration")).total == 3  # still searchable
    assert_consistent(db, settings)

    with_failed = deletion.prune_plan(db, settings, 7, include_untranscribed=True)
    assert with_failed.answers == (failed.id,) and with_failed.without_transcript == 1
    deletion.prune_audio(db, settings, with_failed)
    assert deletion.prune_plan(db, settings, 7, include_untranscribed=True).answers == ()
    assert_consistent(db, settings)
    assert deletion.prune_plan(db, settings, 0).answers  # 0 days: everything before today
    with pytest.raises(ValueError):
        deletion.prune_plan(db, settings, -1)


def test_failed_transaction_puts_the_files_back(settings, db):
    seeded = seed(db, settings)
    before = audio_files(settings)
    # A real SQLite error inside the deletion's transaction.
    db.execute("create trigger refuse before delete on answers begin select raise(abort, 'refused by test'); end")
    with pytest.raises(Exception, match="refused by test"):
        deletion.delete_session(db, settings, seeded.sessions["old"])
    assert audio_files(settings) == before
    assert len(database.session_answers(db, seeded.sessions["old"])) == 3
    assert database.get_answer(db, seeded.answers["first"].id).note == "Too many fillers, no numbers."
    assert_consistent(db, settings)


def test_unremovable_file_deletes_nothing(settings, db):
    seeded = seed(db, settings)
    before = audio_files(settings)
    # The last file of the session cannot be set aside (a folder holds its place, which stops even root),
    # so the files already moved go back and no row changes.
    last = database.session_answers(db, seeded.sessions["old"])[-1].audio_file(settings)
    blocker = last.with_name(f".{last.name}{deletion.ASIDE_SUFFIX}")
    blocker.mkdir()
    (blocker / "x").write_text("x")
    with pytest.raises(StorageError, match="Nothing was deleted"):
        deletion.delete_session(db, settings, seeded.sessions["old"])
    (blocker / "x").unlink()
    blocker.rmdir()
    assert audio_files(settings) == before
    assert len(database.session_answers(db, seeded.sessions["old"])) == 3
    assert_consistent(db, settings)


def test_recover_after_a_crash_between_rename_and_commit(settings, db):
    seeded = seed(db, settings)
    kept, gone = seeded.answers["latest"], seeded.answers["first"]
    # A crash after the files were set aside: one row still exists, the other was deleted.
    for answer in (kept, gone):
        path = answer.audio_file(settings)
        os.replace(path, path.with_name(f".{path.name}{deletion.ASIDE_SUFFIX}"))
    with db.atomic():
        db.execute("delete from ratings where answer_id = ?", [gone.id])
        db.execute("delete from answers where id = ?", [gone.id])
    assert deletion.recover(db, settings) == 2
    assert kept.audio_file(settings).exists() and not gone.audio_file(settings).exists()
    assert_consistent(db, settings)


def test_size_label():
    assert deletion.size_label(512) == "512 bytes"
    assert deletion.size_label(1536) == "1.5 KB"
    assert deletion.size_label(5 * 1024**3) == "5.0 GB"


def test_deleting_a_session_a_debrief_links_to_keeps_the_debrief(settings, db):
    """Was: IntegrityError FOREIGN KEY constraint failed, and a traceback on the page."""
    from examples import FULL

    from rehearse.store import debriefs

    seeded = seed(db, settings)
    sid = seeded.sessions["old"]
    d = debriefs.save_debrief(db, FULL.__class__(**{**FULL.__dict__, "id": debriefs.create_debrief(db).id}))
    debriefs.link_session(db, d.id, sid, "Their questions")
    assert [s.session.id for s in debriefs.linked_sessions(db, d.id)] == [sid]

    done = deletion.delete_session(db, settings, sid)
    assert (done.sessions, done.answers) == (1, 3)
    with pytest.raises(NotFoundError):
        database.get_session(db, sid)
    assert debriefs.linked_sessions(db, d.id) == []  # the link went
    kept = debriefs.get_debrief(db, d.id)  # the debrief and its text stayed
    assert (kept.company, kept.questions_asked, kept.people) == (FULL.company, FULL.questions_asked, FULL.people)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert_consistent(db, settings)
