"""Every schema change, in the order it applies. sqlite-utils records each by its function name
in the _sqlite_migrations table, so a name never changes once released, and a new change is a new
function at the end of this file (the order of definition is the order of application).
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("rehearse")


@migrations()
def m001_initial(db: Database) -> None:
    db["sessions"].create(
        {
            "id": str,
            "drill_id": str,
            "drill_title": str,
            "source": str,
            "status": str,
            "plan": str,
            "started_at": str,
            "ended_at": str,
        },
        pk="id",
        not_null={"drill_id", "status", "started_at"},
    )
    db["answers"].create(
        {
            "id": str,
            "session_id": str,
            "question_id": str,
            "question_text": str,
            "probe_index": int,
            "prompt": str,
            "take": int,
            "audio_path": str,
            "duration": float,
            "transcript": str,
            "words": str,
            "model": str,
            "transcribe_seconds": float,
            "status": str,
            "error": str,
            "metrics": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", "sessions", "id")],
        not_null={"session_id", "question_id", "probe_index", "take", "status", "created_at"},
    )
    db["answers"].create_index(["session_id"])
    db["answers"].create_index(["question_id", "probe_index"])
    db["ratings"].create(
        {"answer_id": str, "stars": int, "note": str, "updated_at": str},
        pk="answer_id",
        foreign_keys=[("answer_id", "answers", "id")],
    )


@migrations()
def m_issue5_debriefs(db: Database) -> None:
    # List items (questions asked, areas, takeaways) are JSON arrays of strings.
    db["debriefs"].create(
        {
            "id": str,
            "status": str,
            "company": str,
            "role": str,
            "stage": str,
            "interview_date": str,
            "format": str,
            "expected_style": str,
            "actual_style": str,
            "questions_asked": str,
            "observations": str,
            "my_questions": str,
            "weak_areas": str,
            "strong_areas": str,
            "assessment": str,
            "out_of_control": str,
            "mistakes": str,
            "lessons": str,
            "takeaways": str,
            "letter": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"status", "created_at", "updated_at"},
    )
    db["debrief_people"].create(
        {"debrief_id": str, "position": int, "name": str, "role": str, "concerns": str},
        pk=("debrief_id", "position"),
        foreign_keys=[("debrief_id", "debriefs", "id")],
    )
    # The questions made from a debrief: answers on them, in any drill, link back to it.
    db["debrief_questions"].create(
        {"debrief_id": str, "question_id": str, "recalled": str, "person": str, "position": int},
        pk=("debrief_id", "question_id"),
        foreign_keys=[("debrief_id", "debriefs", "id")],
    )
    db["debrief_questions"].create_index(["question_id"])
    # Drills started from a debrief (a weak area, a takeaway, the questions they asked).
    db["debrief_sessions"].create(
        {"session_id": str, "debrief_id": str, "focus": str},
        pk="session_id",
        foreign_keys=[("session_id", "sessions", "id"), ("debrief_id", "debriefs", "id")],
    )
    # Each spoken checklist answer: the audio is saved before the row, the transcript added after.
    db["debrief_recordings"].create(
        {
            "id": str,
            "debrief_id": str,
            "item": str,
            "audio_path": str,
            "duration": float,
            "transcript": str,
            "status": str,
            "error": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("debrief_id", "debriefs", "id")],
        not_null={"debrief_id", "item", "status"},
    )


@migrations()
def m_issue4_fts(db: Database) -> None:
    """Full-text search over transcripts (answers) and notes (ratings), kept in sync by triggers.

    Two external-content FTS5 tables keyed on each table's rowid: the triggers sqlite-utils
    creates update them on every insert, update and delete, so search never goes stale.
    """
    db["answers"].enable_fts(["transcript"], fts_version="FTS5", tokenize="porter", create_triggers=True)
    db["ratings"].enable_fts(["note"], fts_version="FTS5", tokenize="porter", create_triggers=True)
    # History lists newest first and filters by date range.
    db["answers"].create_index(["created_at"])


@migrations()
def m_issue11_drill_runs(db: Database) -> None:
    """A drill run survives a reload: the session keeps the step it is on and the drill it runs.

    A session made before this has no stored step, so it can never be continued; those left
    "active" were abandoned by a reload or a closed tab, and are marked ended (early) instead of
    staying in progress for ever.
    """
    db["sessions"].add_column("position", int)
    db["sessions"].add_column("drill", str)
    db.execute(
        """update sessions set status = 'ended', ended_at = coalesce(
               (select max(created_at) from answers where answers.session_id = sessions.id), started_at)
           where status = 'active'"""
    )


@migrations()
def m_issue12_listening_probes(db: Database) -> None:
    """An answer to a follow-up picked from the previous answer keeps what it picked up: its kind,
    the words quoted, their time in that recording and the one line shown. Empty for the main
    question and curated probes (the prompt column already holds the probe's text)."""
    answers = db["answers"]
    for name, kind in (("probe_kind", str), ("probe_evidence", str), ("probe_start", float), ("probe_why", str)):
        if name not in answers.columns_dict:
            answers.add_column(name, kind)


@migrations()
def m_issue13_final_pending(db: Database) -> None:
    """An answer stored from the live transcriber's words, awaiting its final pass (the final
    model, in the background) that replaces them: 1 until the final text is stored. One left at 1
    by a crash is finished at the next start, and its card offers Transcribe again."""
    answers = db["answers"]
    if "final_pending" not in answers.columns_dict:
        answers.add_column("final_pending", int, not_null_default=0)
