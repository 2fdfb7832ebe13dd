"""A real server and Chromium: search over transcripts and notes finds the words and marks them."""

import pytest
from seed import seed

from rehearse.store import database

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_search_finds_and_highlights_words(app, tab, settings_of):
    seed(database.open_database(settings_of(app)), settings_of(app))
    app.start()
    page = tab(app)
    page.open_page("History", shot="opened")
    box = page.page.get_by_label("Search transcripts and notes")
    box.fill("rollback")
    box.press("Enter")
    page.wait_idle()
    page.shot("searched")
    page.expect_text("answer(s)")
    marks = page.page.locator("[data-testid='stMarkdown'] span").filter(has_text="rollback")
    assert marks.count() >= 1  # the matched word sits in a highlight span
    texts = " ".join(page.markdown_texts())
    assert "rollback plan" in texts and "hard migrations" not in texts  # only matching answers
    assert page.outbound_requests() == [] and app.outbound() == []
