"""Review, History and Compare show what a generated follow-up picked up; Compare shows the fact
diff of two takes. AppTest on a real SQLite file."""

import pytest
from apptest_kit import APP
from streamlit.testing.v1 import AppTest

from rehearse.library.bank import Step
from rehearse.practice import pipeline, probes
from rehearse.store import database
from rehearse.web import ui

QUESTION = "Tell me about a project that was going badly when you took it over, and how you turned it around."
TAKES = (
    "I took over the billing rewrite when it was late. We decided to cut scope, and errors fell by 40%. "
    "Dana, our QA lead, ran the new checks every morning for a month.",
    "I took over the billing rewrite when it was late. I cut the scope myself, and errors fell by 25%, "
    "and I asked Ravi to run the new checks every morning for a month.",
)


def _save(db, sid: str, step: Step, text: str) -> None:
    a = database.add_answer(
        db,
        answer_id=database.new_id(),
        session_id=sid,
        question_id=step.question_id,
        question_text=step.question_text,
        probe_index=step.probe_index,
        prompt=step.prompt,
        audio_path=None,
        duration=20.0,
        status="recorded",
        **pipeline.probe_fields(step),
    )
    database.save_transcript(db, a.id, text=text, words=[], model="tiny.en", seconds=1.0, duration=20.0)


@pytest.fixture
def stored(app_env):
    db = database.open_database(app_env)
    main = Step("lead-turnaround-project", 0, QUESTION, QUESTION, 2)
    probe = probes.Probe("vague_we", "You said 'We decided'. What did you do yourself?", "We decided", 42.0, "why")
    for text in TAKES:
        sid = database.create_session(db, "leadership-follow-ups", "Leadership", [])
        _save(db, sid, main, text)
        _save(db, sid, probes.listening_steps([probe], main, 1)[0], "I wrote the plan myself.")
        database.end_session(db, sid)
    return db


def page(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(f"pages/{name}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def test_review_and_history_show_what_the_probe_picked_up(stored):
    review = page("review")
    assert ui.plain("picks up 'We decided' at 0:42") in captions(review)
    assert any("Listening follow-up (vague we)" in m.value for m in review.markdown)
    history = page("history")
    assert ui.plain("picks up 'We decided' at 0:42") in captions(history)
    assert any("listening follow-up (vague we)" in c for c in captions(history))


def test_compare_shows_the_fact_diff_of_two_takes(stored):
    at = page("compare")
    facts = [c for c in captions(at) if c.startswith("Facts:")]
    assert facts, captions(at)
    assert ui.plain("names: Dana dropped, Ravi new") in facts[0]
    assert ui.plain("by 40% → by 25%") in facts[0]
