"""Progress and the practice queue on day one: every answer from today (AppTest on a real SQLite file)."""

import pytest
from apptest_kit import APP, button
from day_one import seed_day_one
from seed import FAIL, HARD, LEAD
from streamlit.testing.v1 import AppTest

from rehearse.practice import progress
from rehearse.store import database


@pytest.fixture
def day_one(app_env):
    db = database.open_database(app_env)
    return seed_day_one(db, app_env), db


def page(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(f"pages/{name}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_progress_on_day_one_shows_each_answer_and_says_why_there_is_no_table(day_one):
    ids, db = day_one
    at = page("progress")
    assert at.caption[0].value == "4 answers today"
    # No first-third/last-third table with four answers: a message says when it comes.
    assert not [d for d in at.dataframe if d.key == "progress_trend"]
    assert any("4 answers so far" in i.value and "2 more" in i.value for i in at.info)
    # Points per answer, not daily lines of one average each.
    charts = at.get("vega_lite_chart")
    assert len(charts) == 6  # five signals and the rating-against-measurement scatter
    for chart in charts[:5]:
        assert '"point"' in chart.proto.spec or "circle" in chart.proto.spec, chart.proto.spec[:300]
    assert any("Each answer, oldest first" in c.value for c in at.caption)


def test_progress_for_one_question_shows_best_and_latest_take(day_one):
    ids, db = day_one
    at = page("progress")
    at.selectbox(key="progress_question").set_value(LEAD)
    at.run()
    assert not at.exception
    shown = [m.value for m in at.markdown]
    # The better take is both the best and the latest: one card says so.
    [both] = [t for t in shown if t.startswith("**Best and latest take**")]
    assert "★★★★" in both and "take 2" in both
    view = progress.question_view(database.step_answers(db, database.list_sessions(db)[0].id, LEAD, 0))
    assert view.best.id == ids["better"] and view.latest.id == ids["better"]
    # The latest take has nothing to fix, so the trend is of what take 1's headline named: "we" over "I".
    assert view.signal == "ownership" and view.headline_take == 1
    assert view.points == {"Take": [1, 2], view.label: [0, 89]}
    assert any(t.startswith(f"**{view.label}, take by take** (take 1's headline") for t in shown)


def test_question_view_trend_follows_the_latest_headline(day_one):
    ids, db = day_one
    we, better = database.get_answer(db, ids["we"]), database.get_answer(db, ids["better"])
    view = progress.question_view([better, we])
    assert view.best.id == better.id and view.latest.id == better.id  # whatever order they come in
    alone = progress.question_view([we])
    assert alone.signal == "ownership" and alone.best.id == alone.latest.id == we.id
    assert progress.question_view([]) is None


def test_trend_note_counts_down_to_the_table():
    assert "1 answer so far" in progress.trend_note(1) and "5 more" in progress.trend_note(1)
    assert progress.trend_note(progress.TREND_MIN_ANSWERS) == ""


def test_queue_on_day_one_explains_and_offers_the_weakest_answers(day_one):
    ids, db = day_one
    at = page("queue")
    assert any("your first day" in i.value and "the lower you rated it, the sooner" in i.value for i in at.info)
    shown = [m.value for m in at.markdown]
    weakest = [t for t in shown if t.startswith("- **Tell")]
    # The two 2★ answers first (latest take per question: the lead question's is now 4★), then the rest.
    assert "launch you missed" in weakest[0] and "2★" in weakest[0]
    button(at, "Practise the weakest answers from today").click()
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Drill"
    # Nothing is stored until the first answer: the run on the drill page holds the plan.
    run = at.session_state["run"]
    assert run.drill.id == "weakest-today" and run.session_id is None
    questions = list(dict.fromkeys(s.question_id for s in run.steps))
    assert questions[0] == FAIL and set(questions) == {FAIL, HARD, LEAD}


def test_queue_coming_up_shows_whole_questions(day_one):
    ids, db = day_one
    at = page("queue")
    assert not at.dataframe  # a list that wraps, not table columns cut off at the page's width
    coming = [m.value for m in at.markdown if "last rated" in m.value]
    assert len(coming) == 2 and all("practised once" in c for c in coming)
    # The whole question text, however long.
    assert any("Tell me about a launch or deadline that you missed" in c for c in coming)
