"""The end of a drill on the drill page, and the same summary in Review (AppTest on a real SQLite
file, the run driven to its end through DrillRun with seeded answers)."""

import pytest
from apptest_kit import APP, button
from day_one import BETTER, add_take
from drill_end import DRILL, run_drill
from seed import FAIL, HARD
from streamlit.testing.v1 import AppTest

from rehearse.library import bank
from rehearse.practice.run import DrillRun
from rehearse.store import database
from rehearse.web import ui


def finished_drill_page(app_env, **kwargs):
    ended = run_drill(database.open_database(app_env), app_env, **kwargs)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["run"] = ended.run
    at.switch_page("pages/drill.py")
    at.run()
    assert not at.exception, at.exception
    return at, ended


def texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def test_drill_complete_shows_the_summary(app_env):
    at, ended = finished_drill_page(app_env)
    assert any(f"Drill complete: {DRILL.title}" in s.value for s in at.success)
    assert [s.value for s in at.subheader] == [
        "How it went",
        "Your two weakest answers",
        "Follow-ups you skipped or refused",
    ]
    shown = texts(at)
    # Each question with its headline, stars and length.
    lead = next(t for t in shown if t.startswith(f"**{ui.plain('Tell me about a time you led')}"))
    assert "Nothing stands out to fix · 4★ · 63 s" in lead
    assert any("How did you get buy" in t and "· 3★ · 6 s" in t for t in shown)
    # A headline that says the length already: not said twice.
    [failure] = [t for t in shown if t.startswith(f"**{ui.plain('Tell me about a launch')}")]
    assert failure.endswith(ui.plain("Say more: 25 s is short (aim for 60–120 s)") + " · 3★")
    # Against last time, and "first time" where there is none.
    [better] = [t for t in shown if t.startswith(":green[**Better than last time**]") and "89% I" in t]
    assert "- You rated it 4★, 2★ last time\n" in better
    assert "- " + ui.plain("On the target length: 63 s, from 19 s (aim for 60–120 s)") in better.split("\n")
    assert sum(c.value == "First time you answered this." for c in at.caption) == 2
    # The follow-ups skipped or refused, with the question each belongs to.
    listed = next(t for t in shown if t.startswith("- " + ui.plain("What part of this was your fault?")))
    refused, skipped = listed.split("\n")
    assert "refused" in refused and "launch or deadline" in refused
    assert skipped.startswith("- " + ui.plain("What exactly did you say")) and "skipped" in skipped
    assert not [i for i in at.info if "Ended early" in i.value]
    assert not [s for s in at.subheader if s.value == "Never reached"]


def test_ended_early_says_so_and_what_was_never_reached(app_env):
    at, ended = finished_drill_page(app_env, end_early=True)
    assert any(f"Ended early: {DRILL.title}" in i.value for i in at.info)
    assert not at.success
    assert "Never reached" in [s.value for s in at.subheader]
    assert "- " + ui.plain("Tell me about yourself.") in texts(at)


def test_practise_these_again_now_starts_a_drill_of_the_two_weakest(app_env):
    at, ended = finished_drill_page(app_env)
    weakest = [t for t in texts(at) if t.startswith("- **")]
    [listed] = weakest
    assert listed.index("hardest piece of feedback") < listed.index("launch or deadline")  # weakest first
    assert "1★" in listed and "too short to judge" in listed
    button(at, "Practise these again now").click()
    at.run()
    assert not at.exception, at.exception
    run = at.session_state["run"]
    assert run.drill.id == "weakest-from-drill" and not run.finished and run.session_id is None
    assert list(dict.fromkeys(s.question_id for s in run.steps)) == [HARD, FAIL]
    assert at.subheader[0].value == ui.plain(run.step.prompt) and run.step.question_id == HARD
    assert at.get("progress")[0].proto.text == "Question 1 of 2"
    # The finished drill stays as it was.
    assert database.get_session(database.open_database(app_env), ended.session_id).status == "completed"


@pytest.mark.parametrize("end_early", [False, True])
def test_review_has_the_summary_of_a_past_session(app_env, end_early):
    ended = run_drill(database.open_database(app_env), app_env, end_early=end_early)
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/review.py")
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="review_session").value == ended.session_id  # the newest session
    [expander] = [e for e in at.expander if e.label == "Summary of this session"]
    inside = [m.value for m in expander.markdown]
    assert any("Nothing stands out to fix · 4★ · 63 s" in t for t in inside)
    assert ("**Never reached**" in inside) == end_early
    assert not expander.subheader  # bold lines inside the expander: the page's subheaders stay the answers
    assert [b.label for b in expander.button] == ["Practise these again now"]


def test_review_of_a_drill_still_in_progress_says_not_reached_yet(app_env):
    db = database.open_database(app_env)
    run = DrillRun.start(DRILL, bank.load_library(app_env).questions, seed=1)
    add_take(db, app_env, run.session(db), run.step, BETTER, category="behavioral", minute=5, speaking=62, stars=4)
    run.advance(db)  # on to the lead question's follow-up, and left there
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/review.py")
    at.run()
    assert not at.exception, at.exception
    [expander] = [e for e in at.expander if e.label == "Summary of this session"]
    inside = [m.value for m in expander.markdown]
    assert "**Not reached yet**" in inside and "**Never reached**" not in inside
    assert "- " + ui.plain("Tell me about yourself.") in "\n".join(inside).split("\n")
    assert any("↳" in t and ui.plain("Not reached") in t for t in inside)  # the follow-up it is on
