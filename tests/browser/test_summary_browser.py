"""The end of a drill in a real browser at 1280 px and at 400 px: the last answer finished, the
summary shows each question with its headline, stars and length, what improved since two days
ago, the two weakest answers with "Practise these again now" (which starts them), and the
follow-ups skipped or refused. Screenshots in test-artifacts/<test name>/."""

import pytest
from drill_end import DRILL, run_drill
from playwright.sync_api import expect
from test_feedback_browser import WIDTHS, at_width, box, go

from rehearse.store import database

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CONTINUE = f"Continue {DRILL.title} where you left off (question 4 of 4)"


@pytest.fixture
def two_drills(app, settings_of):
    """One drill per width, each on its last step with the answer recorded, and one earlier session."""
    db = database.open_database(settings_of(app))
    runs = [run_drill(db, settings_of(app), last_open=True, earlier=i == 0) for i in range(len(WIDTHS))]
    app.start()
    return runs


def test_drill_summary_at_both_widths(two_drills, app, chromium, shots):
    for width in WIDTHS:
        page = at_width(chromium, app, shots, width)
        try:
            page.goto("")
            go(page, "Drill", "continue")
            page.click(CONTINUE)
            page.click("Finish drill")
            page.expect_text(f"Drill complete: {DRILL.title}")
            # The click left the page scrolled to where the Finish button was: back to the top.
            page.page.evaluate(
                "() => [document.scrollingElement, ...document.querySelectorAll('[data-testid=stMain], "
                "[data-testid=stAppViewContainer]')].forEach(e => e && (e.scrollTop = 0))"
            )
            page.shot("summary-top")
            main = page.page.get_by_test_id("stMain")
            expect(main.get_by_text("How it went", exact=True)).to_be_visible()

            lead = box(page, "drill-summary-question-0")
            expect(lead).to_contain_text("Tell me about a time you led a change")
            expect(lead).to_contain_text("Nothing stands out to fix · 4★ · 63 s")
            expect(lead).to_contain_text("Better than last time")
            expect(lead).to_contain_text("More “I”: 89% I, from 0%")
            expect(lead).to_contain_text("How did you get buy-in from the other orgs?")
            failure = box(page, "drill-summary-question-1")
            expect(failure).to_contain_text("You own the mistake now")
            expect(failure).to_contain_text("Say more: 25 s is short (aim for 60–120 s) · 3★")
            expect(failure).not_to_contain_text("3★ · 25 s")  # the length once, in the headline
            expect(failure).to_contain_text("Refused: no take counted")
            hard = box(page, "drill-summary-question-2")
            expect(hard).to_contain_text("too short to judge · 1★ · 4 s")
            expect(hard).to_contain_text("First time you answered this.")
            expect(hard).to_contain_text("Skipped")

            weakest = box(page, "drill-summary-weakest")
            weakest.scroll_into_view_if_needed()
            page.shot("summary-weakest")
            expect(weakest).to_contain_text("Your two weakest answers")
            items = weakest.locator("li").all_inner_texts()
            assert len(items) == 2 and "hardest piece of feedback" in items[0] and "launch" in items[1], items
            missed = box(page, "drill-summary-missed")
            expect(missed).to_contain_text("Follow-ups you skipped or refused")
            assert [t.split(" · ")[1][:7] for t in missed.locator("li").all_inner_texts()] == ["refused", "skipped"]
            page.shot("summary-missed")

            # Nothing cut off or scrolled sideways at either width; every card inside the page.
            assert page.page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollWidth") <= width
            edge = main.bounding_box()
            for card in (lead, failure, hard, weakest, missed):
                b = card.bounding_box()
                assert b["x"] >= edge["x"] - 1 and b["x"] + b["width"] <= edge["x"] + edge["width"] + 1, (b, edge)

            if width == WIDTHS[0]:
                # The same summary for the session just finished, one click away in Review.
                go(page, "Review", "review")
                page.page.get_by_text("Summary of this session").click()
                review = box(page, "review-summary-question-0")
                expect(review).to_contain_text("Nothing stands out to fix · 4★ · 63 s")
                expect(box(page, "review-summary-weakest")).to_contain_text("Your two weakest answers")
                page.page.wait_for_timeout(500)  # the expander's opening animation
                page.shot("review-summary")
            if width == WIDTHS[-1]:
                page.click("Practise these again now")
                page.expect_text("Question 1 of 2")
                page.expect_text("Tell me about the hardest piece of feedback")
                page.shot("practise-again")
            assert page.outbound_requests() == []
        finally:
            page.page.context.close()
    assert app.outbound() == []
