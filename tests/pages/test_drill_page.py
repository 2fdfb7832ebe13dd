"""AppTest drives the real drill and review pages with Piper-made WAVs, the real model and a real SQLite file."""

from pathlib import Path

import pytest
from apptest_kit import APP, button
from apptest_kit import start_drill as start
from streamlit.testing.v1 import AppTest

from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.store import database
from rehearse.web import ui

pytestmark = pytest.mark.slow
ANSWER = "I asked the other teams what they needed and then I wrote a plan that everyone signed."
PROBE_ANSWER = "The pushback came from the finance director who was worried about the cost."


def record(at: AppTest, wav: bytes) -> None:
    at.audio_input[0].set_value(("answer.wav", wav, "audio/wav"))
    at.run()
    assert not at.exception, at.exception


def test_drill_records_transcribes_rates_and_offers_probe(app_env, speech):
    at = AppTest.from_file(APP, default_timeout=180)
    start(at, "leadership-follow-ups")
    db = database.open_database(app_env)
    session = database.list_sessions(db)[0]
    first = session.plan[0]
    assert first["question_id"] == "lead-cross-org-change" and first["probe_index"] == 0
    assert at.subheader[0].value == ui.plain(first["prompt"])
    assert len(at.get("audio")) == 1  # the question is played by the voice

    record(at, speech(ANSWER))
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

    button(at, "Next follow-up").click()
    at.run()
    assert at.subheader[0].value == ui.plain("How did you get buy-in from the other orgs?")
    assert any("Follow-up on" in c.value for c in at.caption)
    record(at, speech(PROBE_ANSWER))
    probe = [a for a in database.session_answers(db, session.id) if a.probe_index == 1]
    assert len(probe) == 1 and probe[0].status == "transcribed" and probe[0].session_id == session.id

    # Re-record: the earlier take stays.
    button(at, "Record again").click()
    at.run()
    record(at, speech("The main pushback was about the cost of the new system."))
    takes = database.step_answers(db, session.id, "lead-cross-org-change", 1)
    assert [t.take for t in takes] == [2, 1] and all(t.status == "transcribed" for t in takes)

    # Skip the next probe, then end the drill early.
    button(at, "Next follow-up").click()
    at.run()
    button(at, "Skip this follow-up").click()
    at.run()
    assert database.step_answers(db, session.id, "lead-cross-org-change", 2)[0].status == "skipped"
    button(at, "End drill").click()
    at.run()
    assert database.get_session(db, session.id).status == "ended"
    assert any("Drill complete" in s.value for s in at.success)

    # The review page shows the session with its answers and the rating.
    review = AppTest.from_file(APP, default_timeout=60)
    review.switch_page("pages/review.py")
    review.run()
    assert not review.exception, review.exception
    assert session.id == review.selectbox(key="review_session").value
    assert "Tell me about a time you led a change" in review.subheader[0].value
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
    button(at, "Transcribe again").click()
    at.run()
    assert database.get_answer(db, answer.id).status == "failed"  # still silence, still kept


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
