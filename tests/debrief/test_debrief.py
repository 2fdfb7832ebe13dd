"""Debrief checklist rules, spoken merges, questions made from a debrief, and their storage on real SQLite files."""

import sqlite3
from dataclasses import replace

import pytest
from examples import FULL, TODAY

from rehearse.debrief import checklist
from rehearse.debrief.checklist import Debrief, Person
from rehearse.errors import DebriefError, NotFoundError
from rehearse.library import bank, own_questions
from rehearse.practice import pipeline
from rehearse.store import database, debriefs


def test_full_debrief_is_complete_and_empty_one_lists_every_item():
    assert checklist.gaps(FULL, TODAY) == () and checklist.status(FULL, TODAY) == "complete"
    empty = Debrief(id="x")
    found = checklist.gaps(empty, TODAY)
    assert [g.item.name for g in found] == [i.name for i in checklist.ITEMS]
    assert all(g.reason == "empty" for g in found) and checklist.status(empty, TODAY) == "draft"


@pytest.mark.parametrize(
    "change, item, reason",
    [
        ({"company": ""}, "company", "empty"),
        ({"takeaways": ()}, "takeaways", "empty"),
        ({"takeaways": ("none",)}, "takeaways", "productive takeaway"),
        ({"takeaways": ("N/A", "nothing")}, "takeaways", "productive takeaway"),
        ({"people": (Person("Dana Smith", "", ("cost",)),)}, "people", "Dana Smith has no role"),
        ({"people": (Person("Dana Smith", "manager"),)}, "people", "no concerns and priorities"),
        ({"interview_date": "sometime"}, "interview_date", "not a date"),
        ({"interview_date": "2024-06-01"}, "interview_date", "in the future"),
    ],
)
def test_one_missing_item_keeps_it_a_draft(change, item, reason):
    found = checklist.gaps(replace(FULL, **change), TODAY)
    assert len(found) == 1 and found[0].item.name == item and reason in found[0].reason
    assert not checklist.is_complete(replace(FULL, **change), TODAY)


@pytest.mark.parametrize(
    "spoken, expected",
    [
        ("It was yesterday.", "2024-05-07"),
        ("today", "2024-05-08"),
        ("Three days ago.", "2024-05-05"),
        ("Last Monday", "2024-05-06"),
        ("On March 3rd.", "2024-03-03"),
        ("the 3rd of March", "2024-03-03"),
        ("3 March 2023", "2023-03-03"),
        ("December 12th", "2023-12-12"),
        ("2024-04-30", "2024-04-30"),
        ("on the fifth of May", "2024-05-05"),
    ],
)
def test_spoken_and_typed_dates(spoken, expected):
    assert checklist.parse_date(spoken, TODAY).isoformat() == expected


def test_unparseable_date_is_kept_as_typed():
    d = checklist.with_text(Debrief(id="x"), "interview_date", "the day of the storm", TODAY)
    assert d.interview_date == "the day of the storm"
    assert "not a date" in checklist.gaps(d, TODAY)[3].reason


def test_text_round_trip_for_every_item():
    for item in checklist.ITEMS:
        text = checklist.text_of(FULL, item.name)
        assert checklist.with_text(FULL, item.name, text, TODAY) == FULL, item.name
    people = checklist.with_text(FULL, "people", "- Ann Wu (CTO): budget; hiring plan\nBob\n", TODAY).people
    assert people == (Person("Ann Wu", "CTO", ("budget", "hiring plan")), Person("Bob"))
    with pytest.raises(DebriefError, match="valid items are company"):
        checklist.with_text(FULL, "colour", "red")


def test_spoken_answers_merge_into_items():
    d = Debrief(id="x")
    d = checklist.merge_spoken(d, "company", "Acme Robotics.", TODAY)
    d = checklist.merge_spoken(d, "company", "Acme Robotics Inc.", TODAY)  # short fields are replaced
    assert d.company == "Acme Robotics Inc"
    d = checklist.merge_spoken(d, "interview_date", "It was yesterday.", TODAY)
    assert d.interview_date == "2024-05-07"
    d = checklist.merge_spoken(d, "questions_asked", "Why this role? Tell me about a failure.", TODAY)
    d = checklist.merge_spoken(d, "questions_asked", "What is your biggest weakness?", TODAY)
    assert d.questions_asked == ("Why this role?", "Tell me about a failure.", "What is your biggest weakness?")
    d = checklist.merge_spoken(
        d, "people", "Dana Smith, the engineering manager. She was worried about my Kubernetes experience.", TODAY
    )
    d = checklist.merge_spoken(d, "people", "Sam Lee is a staff engineer. He cared about on-call load.", TODAY)
    assert d.people == (
        Person("Dana Smith", "engineering manager", ("She was worried about my Kubernetes experience",)),
        Person("Sam Lee", "staff engineer", ("He cared about on-call load",)),
    )
    run_on = checklist.person_from_speech("Kim Ode, the director, she cared about stakeholder trust")
    assert run_on == "Kim Ode, director: she cared about stakeholder trust"
    d = checklist.merge_spoken(d, "lessons", "Lead with the result.", TODAY)
    d = checklist.merge_spoken(d, "lessons", "Bring numbers.", TODAY)
    assert d.lessons == "Lead with the result.\nBring numbers."


def test_questions_made_from_a_debrief_carry_concerns_as_probes():
    recalled = checklist.recalled_questions(FULL)
    assert recalled[0].text == "Tell me about a time you missed a deadline" and recalled[0].person.name == "Dana Smith"
    assert recalled[1].person is None
    dana = checklist.question_from_recalled(recalled[0], FULL, "acme-q1")
    assert dana.text.endswith("deadline?") and dana.category == "failure"
    assert dana.probes[:2] == (
        "Dana Smith (engineering manager) was concerned about this: no Kubernetes experience. What do you say to that?",
        "Dana Smith (engineering manager) was concerned about this: team size I have led. What do you say to that?",
    )
    assert dana.probes[2:] == checklist.DEFAULT_PROBES
    anyone = checklist.question_from_recalled(recalled[1], FULL, "acme-q2")
    assert anyone.category == "judgement" and len(anyone.probes) == 3 + len(checklist.DEFAULT_PROBES)
    assert "Sam Lee (staff engineer) was concerned about this: on-call load." in anyone.probes[2]
    assert set(anyone.tags) == {"debrief", "acme-robotics"}
    # Both validate exactly as a hand-written bank entry would.
    for q in (dana, anyone):
        raw = {
            "id": q.id,
            "text": q.text,
            "category": q.category,
            "tags": list(q.tags),
            "target_seconds": list(q.target_seconds),
            "probes": list(q.probes),
        }
        assert bank.parse_question(raw, "x") == replace(q, source="x")


def test_no_concerns_still_gives_default_probes():
    q = checklist.question_from_recalled(checklist.Recalled("Why us"), Debrief(id="x"), "why-us")
    assert q.probes == checklist.DEFAULT_PROBES and q.text == "Why us?" and q.category == "motivation"


def test_focus_drill_prefers_matching_questions(settings):
    library = bank.load_library(settings)
    drill = checklist.focus_drill(FULL, "Failure stories with numbers", library.questions, [])
    chosen = [library.questions[q] for q in drill.questions]
    assert drill.title == "Focus: Failure stories with numbers" and 1 <= len(chosen) <= 3
    assert all(q.category == "failure" or "failure" in q.tags for q in chosen)
    steps = bank.plan_drill(drill, library.questions, seed=1)
    assert [s.question_id for s in steps if not s.is_probe] == list(drill.questions)
    with pytest.raises(DebriefError, match="No question matches 'zzqx'"):
        checklist.focus_drill(FULL, "zzqx", library.questions, [])


def test_debrief_saved_as_draft_and_reloaded(settings, db):
    d = debriefs.create_debrief(db)
    debriefs.set_item(db, d.id, "company", "Acme Robotics")
    debriefs.set_item(db, d.id, "people", "Dana Smith, engineering manager: no Kubernetes experience")
    debriefs.set_item(db, d.id, "takeaways", "Prepare two failure stories with numbers")
    reopened = database.open_database(settings)
    loaded = debriefs.get_debrief(reopened, d.id)
    assert loaded.company == "Acme Robotics" and loaded.takeaways == ("Prepare two failure stories with numbers",)
    assert loaded.people == (Person("Dana Smith", "engineering manager", ("no Kubernetes experience",)),)
    assert reopened["debriefs"].get(d.id)["status"] == "draft"
    saved = debriefs.save_debrief(reopened, replace(FULL, id=d.id, created_at=loaded.created_at))
    assert reopened["debriefs"].get(d.id)["status"] == "complete"
    assert debriefs.get_debrief(db, d.id) == saved
    assert [x.id for x in debriefs.list_debriefs(db)] == [d.id]
    with pytest.raises(sqlite3.IntegrityError):  # a link must name a real session
        debriefs.link_session(db, d.id, "no-such-session")
    debriefs.delete_debrief(db, d.id)
    with pytest.raises(NotFoundError):
        debriefs.get_debrief(db, d.id)


def test_sync_questions_into_own_bank_and_link_answers_back(settings, db):
    d = debriefs.save_debrief(db, replace(FULL, id=debriefs.create_debrief(db).id))
    result = debriefs.sync_questions(db, settings, d)
    path = debriefs.question_file(settings, d)
    assert result.path == str(path) and path.parent == settings.user_questions_dir
    assert len(result.added) == 2 and result.updated == ()
    library = bank.load_library(settings)
    assert library.problems == ()
    made = [library.questions[q] for q in result.question_ids]
    assert made[0].text == "Tell me about a time you missed a deadline?" and made[0].source == str(path)
    assert result.question_ids[0].startswith("acme-robotics-tell-me-about")

    # A concern learned later becomes a new probe; the user's own edit to the question is kept.
    own_questions.update_question(
        settings,
        library,
        made[0].id,
        text="Tell me about the deadline you missed.",
        category="failure",
        tags=["debrief"],
        target=(60, 90),
        probes=list(made[0].probes),
    )
    people = FULL.people + (Person("Kim Ode", "director", ("stakeholder trust",)),)
    d = debriefs.save_debrief(db, replace(d, people=people))
    again = debriefs.sync_questions(db, settings, d)
    assert again.question_ids == result.question_ids and again.added == () and result.question_ids[1] in again.updated
    library = bank.load_library(settings)
    edited = library.questions[result.question_ids[0]]
    assert edited.text == "Tell me about the deadline you missed." and edited.target_seconds == (60, 90)
    assert not any("Kim Ode" in p for p in edited.probes)  # Dana asked it: only her concerns apply
    assert any("Kim Ode" in p for p in library.questions[result.question_ids[1]].probes)

    # An answer practised on a debrief question, in any drill, shows up against what they asked.
    drill = checklist.practice_drill(d, result.question_ids, title="Their questions", description="x", key="asked")
    steps = bank.plan_drill(drill, library.questions, seed=1)
    sid = database.create_session(db, drill.id, drill.title, [])
    debriefs.link_session(db, d.id, sid, "Their questions")
    answer = pipeline.save_answer(db, settings, sid, steps[0], b"not audio")
    [first, second] = debriefs.rehearsals(db, d.id)
    assert first.recalled == "Tell me about a time you missed a deadline" and first.person == "Dana Smith"
    assert [a.id for a in first.answers] == [answer.id] and second.answers == ()
    [linked] = debriefs.linked_sessions(db, d.id)
    assert (linked.session.id, linked.focus) == (sid, "Their questions")


def test_sync_without_recalled_questions_says_what_to_fill(settings, db):
    d = debriefs.create_debrief(db)
    with pytest.raises(DebriefError, match="Questions they asked"):
        debriefs.sync_questions(db, settings, d)


def test_spoken_item_gets_the_drills_checks_and_keeps_the_audio(settings, db, model):
    """A debrief recording goes through the same checks as a drill answer: here, the length limit,
    which refuses a long recording from its header before decoding it."""
    import numpy as np

    from rehearse.speech import audio

    short_limit = replace(settings, max_answer_seconds=2.0)
    d = debriefs.create_debrief(db)
    t = np.arange(16000 * 3) / 16000
    data = audio.wav_bytes((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)
    rec, _ = pipeline.speak_item(db, short_limit, model, d.id, "company", data)
    assert rec.status == "failed" and "REHEARSE_MAX_ANSWER_SECONDS=2" in rec.error
    assert (settings.home / rec.audio_path).is_file()
    # A steady tone is sound but not speech: the drill's own verdict, word for word.
    rec, _ = pipeline.speak_item(db, settings, model, d.id, "company", data)
    assert (rec.status, rec.error) == ("failed", pipeline.NO_SPEECH_MESSAGE)


@pytest.mark.parametrize(
    "name, spoken, kept",
    [
        ("company", "It was with Northwind Payments.", "Northwind Payments"),
        ("company", "Um, so it was at The Guardian.", "The Guardian"),
        ("company", "Acme Robotics Inc.", "Acme Robotics Inc"),
        ("role", "I applied for the Staff Engineer role.", "Staff Engineer"),
        ("role", "It was for a senior data analyst position", "Senior data analyst"),
        ("stage", "It was the second round.", "second round"),
        ("format", "It was a video call with a panel.", "video call with a panel"),
    ],
)
def test_a_spoken_short_item_keeps_only_the_answer(name, spoken, kept):
    assert checklist.short_answer(name, spoken) == kept
    d = checklist.merge_spoken(checklist.Debrief(id="x" * 32), name, spoken, TODAY)
    assert checklist.text_of(d, name) == kept
