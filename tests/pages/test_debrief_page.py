"""AppTest drives the debrief page: the written checklist, the spoken debrief with Piper-made WAVs and the
real model, practice started from the debrief and linked back to it, and the follow-up letter."""

from datetime import date, timedelta

import numpy as np
import pytest
from apptest_kit import APP, button
from examples import FULL
from streamlit.testing.v1 import AppTest

from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.debrief import checklist, letter
from rehearse.speech import audio
from rehearse.store import database, debriefs
from rehearse.web import ui

pytestmark = pytest.mark.slow


def field(at: AppTest, label: str):
    matches = [w for w in [*at.text_input, *at.text_area] if w.label == label]
    assert len(matches) == 1, f"no field {label!r}"
    return matches[0]


def open_page(at: AppTest) -> AppTest:
    at.switch_page("pages/debrief.py")
    at.run()
    assert not at.exception, at.exception
    return at


def new_debrief(at: AppTest) -> None:
    open_page(at)
    button(at, "New debrief").click()
    at.run()
    assert not at.exception, at.exception


def fill(at: AppTest, label: str, text: str) -> None:
    field(at, label).input(text)
    at.run()
    assert not at.exception, at.exception


def test_written_debrief_is_a_draft_until_complete_and_survives_reload(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    new_debrief(at)
    assert "18 checklist item(s)" in at.warning[0].value
    fill(at, "Company", "Acme Robotics")
    fill(at, "Date", "yesterday")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert field(at, "Date").value == yesterday  # shown as stored
    fill(at, "People you met", "Dana Smith, engineering manager")
    gaps = at.markdown[0].value
    assert "Dana Smith has no concerns and priorities" in gaps and "**Company**" not in gaps
    assert "16 checklist item(s)" in at.warning[0].value

    # A reload is a new browser session: the draft is still there, with everything typed so far.
    db = database.open_database(app_env)
    [saved] = debriefs.list_debriefs(db)
    assert (saved.company, saved.interview_date) == ("Acme Robotics", yesterday)
    again = open_page(AppTest.from_file(APP, default_timeout=60))
    assert field(again, "Company").value == "Acme Robotics"
    assert field(again, "People you met").value == "Dana Smith, engineering manager"

    for item in checklist.ITEMS:
        if item.name not in ("company", "interview_date"):
            fill(again, item.label, checklist.text_of(FULL, item.name))
    fill(again, "Takeaways for the next interview", "none")
    assert "productive takeaway" in again.markdown[0].value
    fill(again, "Takeaways for the next interview", "Prepare two failure stories with numbers")
    assert not again.warning and "Complete" in again.success[0].value
    assert db["debriefs"].get(saved.id)["status"] == "complete"
    assert debriefs.get_debrief(db, saved.id).people == FULL.people


def test_spoken_debrief_fills_items_from_real_speech(app_env, speech):
    at = AppTest.from_file(APP, default_timeout=180)
    new_debrief(at)
    at.radio(key="debrief_mode").set_value("Speaking")
    at.run()
    assert at.subheader[0].value == checklist.ITEM_BY_NAME["company"].prompt
    assert len(at.get("audio")) == 1  # Rehearse asks the item aloud

    at.audio_input[0].set_value(("a.wav", speech("General Motors."), "audio/wav"))
    at.run()
    assert not at.exception, at.exception
    db = database.open_database(app_env)
    [d] = debriefs.list_debriefs(db)
    assert normalize(d.company) == ["general", "motors"]
    assert normalize(field(at, "Company").value) == ["general", "motors"]  # in the field, ready to edit
    [rec] = debriefs.recordings(db, d.id)
    assert rec.status == "transcribed" and (app_env.home / rec.audio_path).read_bytes()[:4] == b"fLaC"

    fill(at, "Company", "General Motors Company")  # the transcript is edited by hand
    assert debriefs.get_debrief(db, d.id).company == "General Motors Company"

    button(at, "Next item").click()
    at.run()
    button(at, "Next item").click()
    at.run()
    button(at, "Next item").click()
    at.run()
    assert at.subheader[0].value == checklist.ITEM_BY_NAME["interview_date"].prompt
    at.audio_input[0].set_value(("a.wav", speech("It was yesterday."), "audio/wav"))
    at.run()
    assert debriefs.get_debrief(db, d.id).interview_date == (date.today() - timedelta(days=1)).isoformat()

    for _ in range(4):
        button(at, "Next item").click()
        at.run()
    assert at.subheader[0].value == checklist.ITEM_BY_NAME["people"].prompt
    spoken = "Dana Smith, the engineering manager. She was worried about my experience with large teams."
    at.audio_input[0].set_value(("a.wav", speech(spoken), "audio/wav"))
    at.run()
    [person] = debriefs.get_debrief(db, d.id).people
    heard = debriefs.recordings(db, d.id, "people")[-1].transcript
    assert normalize(person.name) == ["dana", "smith"] and normalize(person.role) == ["engineering", "manager"], heard
    assert (
        word_error_rate(
            normalize("She was worried about my experience with large teams"), normalize(person.concerns[0])
        )
        <= 0.2
    )

    # A silent take is kept and named, and the field keeps what was there.
    button(at, "Record another person").click()
    at.run()
    at.audio_input[0].set_value(("a.wav", audio.wav_bytes(np.zeros(16000 * 3, dtype=np.float32), 16000), "audio/wav"))
    at.run()
    assert any("silent" in e.value and "kept" in e.value for e in at.error)
    assert len(debriefs.get_debrief(db, d.id).people) == 1
    failed = debriefs.recordings(db, d.id, "people")[-1]
    assert failed.status == "failed" and (app_env.home / failed.audio_path).exists()

    # Leaving and coming back resumes at the first item still empty.
    back = open_page(AppTest.from_file(APP, default_timeout=60))
    back.radio(key="debrief_mode").set_value("Speaking")
    back.run()
    assert back.subheader[0].value == checklist.ITEM_BY_NAME["role"].prompt


def seed_full(app_env) -> checklist.Debrief:
    db = database.open_database(app_env)
    d = debriefs.create_debrief(db)
    return debriefs.save_debrief(db, checklist.replace(FULL, id=d.id, created_at=d.created_at))


def test_practice_from_debrief_links_answers_back(app_env, speech):
    d = seed_full(app_env)
    db = database.open_database(app_env)
    at = open_page(AppTest.from_file(APP, default_timeout=180))
    button(at, "Practise the questions they asked").click()
    at.run()
    assert not at.exception, at.exception
    # The drill page opened with the debrief's first question, spoken and shown.
    assert at.subheader[0].value == "Tell me about a time you missed a deadline?"
    assert database.list_sessions(db) == [] and debriefs.linked_sessions(db, d.id) == []  # not until an answer
    own = [p.name for p in app_env.user_questions_dir.glob("*.toml")]
    assert own == [f"debrief-{d.id[:8]}.toml"]
    # AppTest keeps re-running the page it was last told to open; the browser would now be on the drill page.
    at.switch_page("pages/drill.py")

    answer = "The release slipped three weeks because I did not raise the risk early enough."
    at.audio_input[0].set_value(("a.wav", speech(answer), "audio/wav"))
    at.run()
    # The session is made with the first answer, and linked to the debrief then.
    [session] = database.list_sessions(db)
    [linked] = debriefs.linked_sessions(db, d.id)
    assert linked.session.id == session.id and linked.focus == "The questions they asked"
    button(at, "Next follow-up").click()
    at.run()
    assert at.subheader[0].value.startswith(
        ui.plain("Dana Smith (engineering manager) was concerned about this: no Kubernetes")
    )

    page = open_page(AppTest.from_file(APP, default_timeout=60))
    assert any("They asked (Dana Smith):" in m.value and "missed a deadline" in m.value for m in page.markdown)
    assert any("You rehearsed it: 1 take(s)" in c.value for c in page.caption)
    [practised] = debriefs.rehearsals(db, d.id)[0].answers
    assert practised.status == "transcribed", practised.error
    assert word_error_rate(normalize(answer), normalize(practised.transcript)) <= 0.2
    assert any(practised.transcript in m.value.replace("\\", "") for m in page.markdown), [
        m.value for m in page.markdown
    ]
    assert any("Not rehearsed yet" in c.value for c in page.caption)  # the second question

    # A weak area starts a drill on matching questions straight away.
    button(page, "Weak area: Quantifying the impact of my failure story").click()
    page.run()
    assert not page.exception, page.exception
    assert page.session_state["run"].drill.title.startswith("Focus: Quantifying")
    # The drill left unfinished above is ended (early) by starting this one.
    assert database.get_session(db, session.id).status == "ended"
    page.switch_page("pages/drill.py")
    page.run()
    button(page, "Skip this question").click()  # a skip stores the session, linked like an answer
    page.run()
    sessions = database.list_sessions(db)
    assert len(sessions) == 2 and sessions[0].drill_title.startswith("Focus: Quantifying")
    assert {s.session.id for s in debriefs.linked_sessions(db, d.id)} == {s.id for s in sessions}


def test_follow_up_letter_is_drafted_checked_and_exported(app_env):
    d = seed_full(app_env)
    at = open_page(AppTest.from_file(APP, default_timeout=60))
    button(at, "Draft the letter").click()
    at.run()
    text = field(at, "Letter").value
    assert text == letter.draft(d) and "Dear Dana and Sam," in text
    assert at.code[0].value == text  # st.code gives the copy button
    assert [b.label for b in at.download_button] == ["Export as text", "Export as Markdown"]
    # The debrief is filled, so the draft passes its own marks: nothing left generic or to fill in.
    assert not [w.value for w in at.warning if "Not generic" in w.value]
    assert any("Not generic" in s.value for s in at.success) and any("Builds rapport" in s.value for s in at.success)

    fill(
        at,
        "Letter",
        text.replace("Best regards,", "I look forward to hearing from you.\n\nBest regards,\nAlex"),
    )
    warned = [w.value.replace("\\", "") for w in at.warning]
    assert any("Not generic" in w and "look forward to hearing from you" in w for w in warned)
    db = database.open_database(app_env)
    assert "Alex" in debriefs.get_debrief(db, d.id).letter  # the edit is kept
    reload = open_page(AppTest.from_file(APP, default_timeout=60))
    assert "Alex" in field(reload, "Letter").value
