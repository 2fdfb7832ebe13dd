"""AppTest drives the real drill and review pages with Piper-made WAVs, the real model and a real SQLite file."""

from pathlib import Path

import pytest
from apptest_kit import APP, button
from apptest_kit import start_drill as start
from streamlit.testing.v1 import AppTest

from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.practice.probes import caption as _caption
from rehearse.store import database
from rehearse.web import ui

pytestmark = pytest.mark.slow
ANSWER = (
    "Our three teams shipped on different schedules. We aligned the teams on one release plan, "
    "and the finance director pushed back on the cost. In the end we cut failed releases by 30 percent."
)
PROBE_ANSWER = "The pushback came from the finance director who was worried about the cost."


def probe_caption(step) -> str:
    return _caption(step.kind, step.evidence, step.evidence_start, step.why)


def shows_picked_up(at: AppTest, step) -> None:
    """The follow-up's caption, and the main answer's transcript with its evidence highlighted
    (no transcript for a structural gap: there are no words to point at)."""
    expected = f"Listening follow-up · {ui.plain(probe_caption(step))}"
    assert any(c.value == expected for c in at.caption), [c.value for c in at.caption]
    said = [m.value for m in at.get("markdown") if m.value.startswith("**You said:** ")]
    if step.evidence:
        assert len(said) == 1 and f":orange-background[{ui.plain(step.evidence)}]" in said[0], said
    else:
        assert said == []


def record(at: AppTest, wav: bytes) -> None:
    at.audio_input[0].set_value(("answer.wav", wav, "audio/wav"))
    at.run()
    assert not at.exception, at.exception


def test_drill_records_transcribes_rates_and_offers_probe(app_env, speech):
    at = AppTest.from_file(APP, default_timeout=180)
    start(at, "leadership-follow-ups")
    db = database.open_database(app_env)
    assert database.list_sessions(db) == []  # the session is stored with the first answer
    plan = list(at.session_state["run"].steps)
    first = plan[0]
    probes = sum(1 for s in plan if s.question_id == first.question_id and s.is_probe)
    assert first.question_id == "lead-cross-org-change" and first.probe_index == 0
    assert at.subheader[0].value == ui.plain(first.prompt)
    assert len(at.get("audio")) == 1  # the question is played by the voice
    assert at.get("progress")[0].proto.text == "Question 1 of 3"

    record(at, speech(ANSWER))
    [session] = database.list_sessions(db)
    assert session.plan[0]["prompt"] == first.prompt and session.status == "active"
    [answer] = database.session_answers(db, session.id)
    assert answer.status == "transcribed", answer.error
    assert word_error_rate(normalize(ANSWER), normalize(answer.transcript)) <= 0.2
    assert answer.audio_file(app_env).exists() and answer.words and answer.metrics["wpm"] > 0
    assert any(answer.transcript in m.value.replace("\\", "") for m in at.markdown)

    at.feedback[0].set_value(3)
    at.run()
    at.text_area[0].input("Name the finance director next time.")
    at.run()
    rated = database.get_answer(db, answer.id)
    assert (rated.stars, rated.note) == (4, "Name the finance director next time.")

    # Listening probes: the first two follow-ups were picked from the answer, then the curated ones.
    run = at.session_state["run"]
    curated = [s.prompt for s in plan[1 : 1 + probes]]
    listening = run.steps[1:3]
    assert all(s.kind for s in listening) and [s.probe_index for s in listening] == [101, 102]
    assert [s.prompt for s in run.steps[3 : 3 + probes]] == curated
    assert all(s.evidence in answer.transcript for s in listening)
    button(at, "Next follow-up").click()
    at.run()
    assert at.subheader[0].value == ui.plain(listening[0].prompt)
    assert any("Follow-up on" in c.value for c in at.caption)
    shows_picked_up(at, listening[0])
    assert at.get("progress")[0].proto.text == f"Question 1 of 3 · follow-up 1 of {probes + 2}"
    record(at, speech(PROBE_ANSWER))
    probe = [a for a in database.session_answers(db, session.id) if a.probe_index == 101]
    assert len(probe) == 1 and probe[0].status == "transcribed" and probe[0].session_id == session.id
    assert (probe[0].probe_kind, probe[0].probe_evidence) == (listening[0].kind, listening[0].evidence)

    # Re-record: the earlier take stays, and keeps its probe too.
    button(at, "Record again").click()
    at.run()
    record(at, speech("The main pushback was about the cost of the new system."))
    takes = database.step_answers(db, session.id, "lead-cross-org-change", 101)
    assert [t.take for t in takes] == [2, 1] and all(t.status == "transcribed" for t in takes)
    assert {t.probe_kind for t in takes} == {listening[0].kind}

    # Skip the next probe, then end the drill early.
    button(at, "Next follow-up").click()
    at.run()
    shows_picked_up(at, listening[1])
    assert any(s.evidence for s in listening)  # this story has words to pick up
    button(at, "Skip this follow-up").click()
    at.run()
    skipped = database.step_answers(db, session.id, "lead-cross-org-change", 102)[0]
    assert skipped.status == "skipped" and skipped.probe_kind == listening[1].kind
    assert at.subheader[0].value == ui.plain(curated[0])
    button(at, "End drill").click()
    at.run()
    assert database.get_session(db, session.id).status == "ended"
    assert any("Ended early: Leadership" in i.value for i in at.info), [i.value for i in at.info]
    assert not any("Drill complete" in s.value for s in at.success)

    # The review page shows the session with its answers and the rating.
    review = AppTest.from_file(APP, default_timeout=60)
    review.switch_page("pages/review.py")
    review.run()
    assert not review.exception, review.exception
    assert session.id == review.selectbox(key="review_session").value
    assert "Tell me about a time you led a change" in review.subheader[0].value
    assert review.selectbox(key="review_session").options[0].endswith("· ended early")
    assert any(f.value == 3 for f in review.feedback)
    assert any(t.value == "Name the finance director next time." for t in review.text_area)


def test_silent_recording_is_kept_and_can_be_transcribed_again(app_env, speech):
    import numpy as np

    from rehearse.speech import audio

    at = AppTest.from_file(APP, default_timeout=180)
    start(at, "warm-up")
    record(at, audio.wav_bytes(np.zeros(16000 * 3, dtype=np.float32), 16000))
    db = database.open_database(app_env)
    [answer] = database.session_answers(db, database.list_sessions(db)[0].id)
    assert answer.status == "failed" and answer.audio_file(app_env).exists()
    assert any("silent" in e.value for e in at.error)
    # A refused take is not the answer: no stars or note on it, Next stays off, Skip stays on.
    assert any(e.value.startswith("Refused: The recording is silent") for e in at.error)
    assert len(at.feedback) == 0 and not [t for t in at.text_area if t.label == "Note"]
    assert button(at, "Next follow-up").disabled and not button(at, "Skip this question").disabled
    button(at, "Transcribe again").click()
    at.run()
    assert database.get_answer(db, answer.id).status == "failed"  # still silence, still kept
    assert button(at, "Next follow-up").disabled

    # A usable take after it: now it counts, and the refused take stays under Earlier takes.
    button(at, "Record again").click()
    at.run()
    record(at, speech(ANSWER))
    takes = database.step_answers(db, answer.session_id, answer.question_id, 0)
    assert [t.status for t in takes] == ["transcribed", "failed"]
    assert not button(at, "Next follow-up").disabled and button(at, "Skip this question").disabled
    assert len(at.feedback) == 1  # stars for the good take only
    assert any(e.label == "Earlier takes (1)" for e in at.expander)


def test_broken_question_file_is_named_not_fatal(app_env, tmp_path, monkeypatch):
    broken = tmp_path / "extra"
    broken.mkdir()
    (broken / "oops.toml").write_text('[[questions]]\nid = "oops"\ntext = "x"\n')
    root = Path(APP).parent
    monkeypatch.setenv("REHEARSE_QUESTIONS", f"{root / 'questions'}:{broken}")
    ui.settings.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert any("oops.toml" in w.value and "missing field" in w.value for w in at.warning)
    assert at.selectbox(key="drill_choice").options  # the good drills are still offered


def test_think_time_and_limit_show_a_countdown(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    start(at, "failure-under-probing")
    timers = [h for h in at.get("html") if "Think: " in h.proto.body]
    assert len(timers) == 1
    assert "const think = 10.0, limit = 150.0" in timers[0].proto.body


def test_listen_only_stays_on_for_the_whole_drill(app_env, speech):
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.selectbox(key="drill_choice").set_value("leadership-follow-ups")
    at.toggle(key="listen_only").set_value(True)
    at.run()
    button(at, "Start drill").click()
    at.run()
    prompt = at.session_state["run"].step.prompt
    for moment in ("question", "after the answer", "follow-up", "after its answer"):
        assert len(at.subheader) == 0, moment  # the text stays hidden...
        assert any(e.label == "Show the text" for e in at.expander), moment  # ...one click away
        if moment in ("question", "follow-up"):
            record(at, speech(ANSWER))
        elif moment == "after the answer":
            button(at, "Next follow-up").click()
            at.run()
            at.run()  # one more rerun: the toggle's own state is gone by now
    assert prompt not in [s.value for s in at.subheader]


def test_a_reload_offers_to_continue_the_run_or_start_a_new_one(app_env, speech):
    at = AppTest.from_file(APP, default_timeout=180)
    start(at, "leadership-follow-ups")
    db = database.open_database(app_env)
    run = at.session_state["run"]
    record(at, speech(ANSWER))
    button(at, "Next follow-up").click()
    at.run()
    probe = run.step
    [session] = database.list_sessions(db)

    # A reload is a new browser session: nothing in the session state, the run is in the database.
    again = AppTest.from_file(APP, default_timeout=180)
    again.run()
    assert not again.exception, again.exception
    assert any("You have a drill in progress: Leadership" in i.value for i in again.info)
    label = f"Continue {ui.plain('Leadership stories, follow-ups first')} where you left off (question 1 of 3)"
    button(again, label).click()
    again.run()
    assert again.subheader[0].value == ui.plain(probe.prompt)
    assert again.get("progress")[0].proto.text.startswith("Question 1 of 3 · follow-up 1 of ")
    assert again.session_state["run"].session_id == session.id
    shows_picked_up(again, probe)  # the listening follow-up and what it picked up survive the reload
    record(again, speech(PROBE_ANSWER))
    answers = database.session_answers(db, session.id)
    assert [a.probe_index for a in answers] == [0, 101] and answers[1].probe_kind == probe.kind != ""

    # Another reload, and this time a new drill: the old one is kept as ended early.
    third = AppTest.from_file(APP, default_timeout=60)
    third.run()
    button(third, "Start a new drill").click()
    third.run()
    assert database.get_session(db, session.id).status == "ended"
    assert third.selectbox(key="drill_choice").options  # the chooser is back
    assert not [b for b in third.button if b.label.startswith("Continue")]


def test_record_again_on_the_main_answer_replaces_its_listening_follow_ups(app_env, speech):
    at = AppTest.from_file(APP, default_timeout=180)
    start(at, "leadership-follow-ups")
    run = at.session_state["run"]
    planned = len(run.steps)
    record(at, speech(ANSWER))
    first = [s for s in run.steps if s.kind]
    assert len(first) == 2 and len(run.steps) == planned + 2
    button(at, "Record again").click()
    at.run()
    again = "I met the head of support every week, and I rewrote the on-call rota until she signed it."
    record(at, speech(again))
    db = database.open_database(app_env)
    [main, _] = database.step_answers(db, run.session_id, "lead-cross-org-change", 0)
    second = [s for s in run.steps if s.kind]
    assert len(run.steps) == planned + 2 and len(second) == 2  # replaced, not stacked
    assert [s.probe_index for s in run.steps[1:3]] == [101, 102] and second == run.steps[1:3]
    assert second != first and all(s.evidence in main.transcript for s in second)
    # The stored plan is the same: a reload asks these.
    stored = database.get_session(db, run.session_id).plan
    assert [s["prompt"] for s in stored] == [s.prompt for s in run.steps]
