"""A new user's first day in a real browser at 1280 px and at 400 px: the answer card leads with
one headline and keeps the details one click away; Progress shows each answer from day one; the
practice queue explains day one and its table fits. Screenshots in test-artifacts/<test name>/."""

import re

import pytest
from appdriver import AppPage
from day_one import seed_day_one
from playwright.sync_api import expect
from seed import LEAD_TEXT

from rehearse.store import database

pytestmark = [pytest.mark.slow, pytest.mark.browser]
WIDTHS = (1280, 400)


@pytest.fixture
def first_day(app, settings_of):
    ids = seed_day_one(database.open_database(settings_of(app)), settings_of(app))
    app.start()
    return ids


def at_width(chromium, app, shots, width: int) -> AppPage:
    context = chromium.new_context(viewport={"width": width, "height": 900})
    return AppPage.open(context, app, shots, prefix=f"{width}px-")


def open_page(page: AppPage, title: str, shot: str) -> None:
    """Through the sidebar, as a person does; on a narrow screen it is folded away first."""
    page.goto("")
    go(page, title, shot)


def go(page: AppPage, title: str, shot: str) -> None:
    expand = page.page.get_by_test_id("stExpandSidebarButton")
    if expand.count() and expand.first.is_visible():
        expand.first.click()
    page.navigate(title)
    sidebar = page.page.get_by_test_id("stSidebar")
    if page.page.viewport_size["width"] < 700 and sidebar.get_attribute("data-collapsed") == "false":
        # Narrow: the open sidebar covers the page until it is folded again.
        sidebar.hover()
        page.page.get_by_test_id("stSidebarCollapseButton").get_by_role("button").click()
        page.page.wait_for_timeout(500)
    page.shot(shot)


def box(page: AppPage, key: str):
    return page.page.locator(f"[class*='st-key-{key}']").first


def test_answer_card_leads_with_one_thing_to_fix(first_day, app, chromium, shots):
    ids = first_day
    for width in WIDTHS:
        page = at_width(chromium, app, shots, width)
        try:
            open_page(page, "Review", "review")
            we = box(page, f"headline-review-{ids['we']}")
            expect(we).to_contain_text("Say what you did: 8 “we” to 0 “I”")
            # The headline comes before the transcript it is about, and the details are collapsed.
            transcript = box(page, f"review-transcript-{ids['we']}")
            assert we.bounding_box()["y"] < transcript.bounding_box()["y"]
            details = box(page, f"details-review-{ids['we']}")
            expect(details).to_contain_text("All the measurements: about 165 words/min")
            expect(details.get_by_text("Story structure")).to_be_hidden()
            expect(box(page, f"headline-review-{ids['failure']}")).to_contain_text("Own the mistake")
            expect(box(page, f"headline-review-{ids['better']}")).to_contain_text("Nothing stands out to fix")
            # A few words: one message about length, and no panel of green ticks under it.
            expect(box(page, f"headline-review-{ids['short']}")).to_contain_text("too short to judge")
            assert page.page.locator(f"[class*='st-key-details-review-{ids['short']}']").count() == 0

            text = page.page.inner_text("[data-testid='stMain']")
            assert "at least 0" not in text and "filler(s)" not in text and "Speech model" not in text
            assert not re.search(r"\d+\.\d\d", text), re.findall(r".{20}\d+\.\d\d.{10}", text)
            paces = [int(p) for p in re.findall(r"about (\d+) words/min", text)]
            assert paces and all(p % 5 == 0 for p in paces), paces

            for name in ("we", "failure", "short"):
                box(page, f"headline-review-{ids[name]}").scroll_into_view_if_needed()
                page.shot(f"card-{name}")

            # The full panel is one click away.
            better = box(page, f"details-review-{ids['better']}")
            better.get_by_text("All the measurements").click()
            expect(better.get_by_text("Story structure")).to_be_visible()
            expect(better).to_contain_text("ends on the reflection")
            better.scroll_into_view_if_needed()
            page.shot("details-open")
            assert page.outbound_requests() == []
        finally:
            page.page.context.close()
    assert app.outbound() == []


def test_progress_and_queue_on_day_one(first_day, app, chromium, shots):
    for width in WIDTHS:
        page = at_width(chromium, app, shots, width)
        try:
            open_page(page, "Progress", "progress")
            page.expect_text("4 answers so far")  # no first-third/last-third table yet, and it says why
            expect(page.page.get_by_text("Each answer, oldest first")).to_be_visible()
            charts = page.page.get_by_test_id("stVegaLiteChart")
            expect(charts).to_have_count(6)  # five signals, one point per answer, and the calibration scatter
            # Points, not empty lines: a mark (symbol) per answer and signal; self-rating only for the 3 rated.
            marks = page.page.evaluate(
                "() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')].slice(0, 5)"
                ".map(c => c.querySelectorAll('path[role=graphics-symbol], .mark-symbol path').length)"
            )
            assert all(m >= least for m, least in zip(marks, [4, 4, 8, 4, 3], strict=True)), marks
            page.select("Question", LEAD_TEXT)
            page.shot("progress-one-question")
            both = box(page, "progress-best-take")
            expect(both).to_contain_text("Best and latest take")
            expect(both).to_contain_text("★★★★")
            expect(both).to_contain_text("Nothing stands out to fix")
            page.expect_text("take by take (take 1's headline was about this)")

            go(page, "Practice queue", "queue")
            page.expect_text("your first day")
            expect(page.button("Practise the weakest answers from today")).to_be_visible()
            # Coming up: whole questions, wrapped, nothing cut off or scrolled sideways.
            coming = page.page.get_by_text("Tell me about a launch or deadline that you missed", exact=False).first
            expect(coming).to_be_visible()
            main = page.page.get_by_test_id("stMain").bounding_box()
            line = coming.bounding_box()
            assert line["x"] + line["width"] <= main["x"] + main["width"] + 1, (line, main)
            assert page.page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollWidth") <= width
            if width == 1280:
                # Page icons: Material Symbols from the font Streamlit ships, loaded from this machine.
                icons = page.page.get_by_test_id("stSidebarNavLink").get_by_test_id("stIconMaterial")
                expect(icons.first).to_be_visible()
                assert icons.count() >= 10
                assert page.page.evaluate("() => document.fonts.check('24px \"Material Symbols Rounded\"')")
            assert page.outbound_requests() == []
        finally:
            page.page.context.close()
    assert app.outbound() == []
