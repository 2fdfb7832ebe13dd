"""Pages touched for issue 15, looked at in a real browser: My questions asks before deleting,
Settings names every problem as the page labels it, Compare counts takes of one step."""

import pytest
from seed import LEAD_TEXT, seed

from rehearse.library import bank, own_questions
from rehearse.store import database

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_my_questions_settings_and_compare(app, tab, settings_of):
    settings = settings_of(app)
    seed(database.open_database(settings), settings)
    own_questions.add_question(
        settings,
        bank.load_library(settings),
        text="Tell me about the <b>hardest</b> feedback you ever gave.",
        category="behavioral",
        tags=["feedback"],
        target=(60, 120),
        probes=["How did they take it?", "What would you say differently?"],
    )
    app.start()
    page = tab(app)

    page.open_page("My questions", shot="my-questions")
    page.page.get_by_text("Tell me about the <b>hardest</b> feedback", exact=False).first.click()
    page.wait_idle()
    page.expect_text("Behavioral · 2 follow-ups · aim for 60–120 s")
    page.click("Delete this question")
    page.expect_text("Delete this question and its follow-ups").scroll_into_view_if_needed()
    page.shot("delete-asks")
    assert "my-tell-me-about-the-hardest-feedback" in bank.load_library(settings).questions  # not yet
    page.click("Cancel")

    page.navigate("Settings")
    page.page.get_by_label("Slowest good pace (words/min)").fill("200")
    page.click("Save", shot="settings-problem")
    [problem] = [a for a in page.alerts() if "Nothing was saved" in a]
    assert "“Slowest good pace (words/min)” (200) must be below “Fastest good pace (words/min)” (160)" in problem
    assert "settings.toml" not in problem and "wpm_low" not in problem
    assert "\\" not in page.page.inner_text("[data-testid='stMain']")  # no stray backslash in the path shown

    page.navigate("Compare takes")
    page.shot("compare")
    assert page.selected("Question") == f"{LEAD_TEXT} (3 takes)"  # 3 of the main answer; follow-ups are not takes
    assert page.outbound_requests() == [] and app.outbound() == []
