"""Markdown in a question bank or drill file is shown as text: an image is never fetched, a link is
never made, on every page that shows questions, probes, tags and drill titles."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from appdriver import AppPage

pytestmark = [pytest.mark.slow, pytest.mark.browser]


class Listener:
    """Where the hostile Markdown points: counts every request that reaches it."""

    def __init__(self):
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def hostile(port: int, what: str) -> str:
    base = f"http://127.0.0.1:{port}"
    return f"{what} ![x]({base}/{what}.png) [link]({base}/{what}) <img src='{base}/{what}-html.png'> {base}/{what}-bare"


def write_bank(app, port: int) -> None:
    questions = app.home / "questions"
    questions.mkdir(parents=True, exist_ok=True)
    (questions / "evil.toml").write_text(
        f'''title = "Evil bank"

[[questions]]
id = "evil-question"
text = "Evil question {hostile(port, "text")}"
category = "behavioral"
tags = ["{hostile(port, "tag")}"]
target_seconds = [60, 120]
probes = ["Evil probe {hostile(port, "probe")}", "Second probe {hostile(port, "probe2")}"]
''',
    )
    drills = app.home.parent / "drills"
    (drills / "evil.toml").write_text(
        f"""title = "Evil drill {hostile(port, "title")}"
description = "Evil description {hostile(port, "description")}"
questions = ["evil-question"]
count = 1
order = "fixed"
probes_per_question = 1
"""
    )


def links_and_images(page: AppPage, port: int) -> list[str]:
    """<a>/<img> anywhere in the page (and its frames) that points at the listener."""
    found = []
    for frame in page.page.frames:
        found += frame.evaluate(
            "(port) => [...document.querySelectorAll('a[href], img[src]')]"
            ".map(e => e.getAttribute('href') || e.getAttribute('src')).filter(u => u.includes(':' + port))",
            port,
        )
    return found


def test_markdown_in_banks_and_drills_is_shown_as_text_and_fetches_nothing(app, tab, record_seconds):
    listener = Listener()
    try:
        write_bank(app, listener.port)
        app.start()
        page = tab(app)
        page.goto("", shot="drill-page")
        page.page.get_by_role("combobox", name="Choose a drill").click()
        page.page.get_by_role("option", name="Evil drill", exact=False).click()
        page.wait_idle()
        page.expect_text("Evil description")
        assert links_and_images(page, listener.port) == []
        page.click("Start drill")
        page.expect_text("Evil question")
        page.shot("question")
        assert links_and_images(page, listener.port) == []
        page.record(record_seconds)
        page.wait_transcript()
        page.click("Next follow-up")
        page.expect_text("Evil probe")
        page.expect_text("Follow-up on: Evil question")
        page.shot("probe")
        assert links_and_images(page, listener.port) == []
        for title, text in [
            ("Review", "Evil question"),
            ("History", "Evil question"),
            ("My questions", "Evil question"),
            ("Compare takes", "Evil question"),
        ]:
            page.navigate(title)
            page.expect_text(text)
            page.shot(title.lower().replace(" ", "-"))
            assert links_and_images(page, listener.port) == [], title
        # The tag filter lists the hostile tag as text.
        page.navigate("History")
        page.page.get_by_text("Filters", exact=True).click()
        page.page.get_by_role("combobox", name="Tag").click()
        page.page.wait_for_timeout(500)
        page.shot("tag-options")
        assert links_and_images(page, listener.port) == []
        page.page.keyboard.press("Escape")
        # The page shows the text itself, brackets and all.
        page.navigate("My questions")
        page.expect_text("![x](")
        page.page.wait_for_timeout(1000)  # an image the browser was told to fetch would be asked for by now
    finally:
        listener.close()
    assert listener.hits == []
    assert page.outbound_requests() == []
