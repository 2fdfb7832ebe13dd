"""Drive the real app in a real browser: start `streamlit run`, launch Chromium with a fake
microphone, and act as a person would on the pages.

Used by the pytest fixtures in conftest.py and, inside a network namespace, by offline_drill.py;
it imports nothing from pytest. A test for a new page needs only `AppPage.goto("<page>")` and
the generic helpers (`click`, `expect_text`, `shot`, ...).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
NETGUARD = Path(__file__).resolve().parent / "netguard.py"
CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}

# A drill small enough to finish in a test: one question and one follow-up.
TEST_DRILL_ID = "browser-check"
TEST_DRILL_TITLE = "Browser check"
TEST_DRILL = f'''title = "{TEST_DRILL_TITLE}"
description = "One question and one follow-up, for the browser tests."
questions = ["lead-cross-org-change"]
count = 1
order = "fixed"
probes_per_question = 1
'''
QUESTION = "Tell me about a time you led a change across teams that did not report to you."
PROBE = "How did you get buy-in from the other orgs?"
ANSWER = "I asked the other teams what they needed and then I wrote a plan that everyone signed."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_test_drill(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{TEST_DRILL_ID}.toml").write_text(TEST_DRILL)
    return folder


@dataclass
class AppServer:
    """`streamlit run streamlit_app.py` with the shipped .streamlit/config.toml, on a free port.

    The server runs under netguard.py, which logs any attempt to reach a host other than this
    machine to `netguard_log`; `outbound()` returns those attempts. It runs behind the guard
    (rehearse/web/serve.py) with `key` as its launch key, kept across restarts; `url()` carries the
    key, as the link `make run` prints does, so the browser gets the cookie on its first visit."""

    home: Path
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen | None = None
    starts: int = 0
    key: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def netguard_log(self) -> Path:
        return self.workdir / "netguard.log"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"server-{self.starts}.log"

    def url(self, page: str = "", key: bool = True) -> str:
        return f"http://localhost:{self.port}/{page}" + (f"?key={self.key}" if key else "")

    def start(self, timeout: float = 120, **extra_env: str) -> AppServer:
        """Start, or restart on the same port (so open tabs reconnect, as after a real restart)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        self.port = self.port or free_port()
        user_home = self.workdir / "user-home"  # no ~/.streamlit from the machine running the tests
        user_home.mkdir(exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(user_home),
            "LANG": "C.UTF-8",
            "REHEARSE_HOME": str(self.home),
            "NETGUARD_LOG": str(self.netguard_log),
            "REHEARSE_LAUNCH_KEY": self.key,
            "PYTHONPATH": str(ROOT),  # serve.py from this checkout, before netguard starts Streamlit
            **self.env,
            **extra_env,
        }
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(NETGUARD),
                "run",
                "streamlit_app.py",
                "--server.port",
                str(self.port),
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the app did not answer /_stcore/health within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut would stop it: no clean-up runs."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)

    def outbound(self) -> list[str]:
        return self.netguard_log.read_text().splitlines() if self.netguard_log.exists() else []


def chromium_args(fake_mic: Path) -> list[str]:
    return [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={fake_mic}%noloop",
        # Nothing of its own to the network: no updates, sync, or first-run fetches.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--metrics-recording-only",
    ]


def launch_chromium(playwright, fake_mic: Path):
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make test` (scripts/system-deps.sh installs chromium)")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=chromium_args(fake_mic))


class AppPage:
    """One browser tab on the app, with a numbered screenshot after each step."""

    def __init__(self, page, server: AppServer, shots: Path, prefix: str = ""):
        self.page, self.server, self.shots, self.prefix = page, server, shots, prefix
        self.count = 0
        self.requests: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("websocket", lambda ws: self.requests.append(ws.url))
        page.set_default_timeout(60_000)

    @classmethod
    def open(cls, context, server: AppServer, shots: Path, prefix: str = "") -> AppPage:
        return cls(context.new_page(), server, shots, prefix)

    # Generic steps, for any page.
    def shot(self, name: str) -> Path:
        self.count += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{self.prefix}{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def wait_idle(self, timeout: float = 120_000) -> None:
        """Until the script run triggered by the last action has finished."""
        self.page.wait_for_timeout(300)
        self.page.wait_for_selector(
            "[data-testid='stApp'][data-test-connection-state='CONNECTED']", state="attached", timeout=timeout
        )
        self.page.wait_for_selector(
            "[data-testid='stApp'][data-test-script-state='notRunning']", state="attached", timeout=timeout
        )

    def goto(self, page: str = "", shot: str | None = None) -> None:
        """Load a URL path directly. Note: as a fresh server's very first page, a path other than
        "" runs pages/<page>.py without streamlit_app.py (Streamlit's legacy pages/ folder mode);
        `open_page` goes the way a person does, from the start page through the sidebar."""
        self.page.goto(self.server.url(page))
        self.wait_idle()
        if shot:
            self.shot(shot)

    def open_page(self, title: str, shot: str | None = None) -> None:
        self.goto("")
        self.navigate(title)
        if shot:
            self.shot(shot)

    def button(self, label: str):
        return self.page.get_by_role("button", name=label, exact=True)

    def click(self, label: str, shot: str | None = None) -> None:
        self.button(label).click()
        self.wait_idle()
        if shot:
            self.shot(shot)

    def expect_text(self, text: str, timeout: float = 60_000):
        # Visible only: the same words may also sit in a folded expander (Review's session summary).
        locator = self.page.get_by_text(text, exact=False).filter(visible=True).first
        locator.wait_for(timeout=timeout)
        return locator

    def alerts(self) -> list[str]:
        return self.page.get_by_test_id("stAlert").all_inner_texts()

    def markdown_texts(self) -> list[str]:
        return self.page.get_by_test_id("stMarkdown").all_inner_texts()

    def navigate(self, title: str) -> None:
        """Through the sidebar, as a person would."""
        self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
        self.wait_idle()

    def outbound_requests(self) -> list[str]:
        """Requests this tab made to anything but the app on this machine."""
        return [
            u for u in self.requests if not u.startswith(("blob:", "data:")) and urlparse(u).hostname not in LOCAL_HOSTS
        ]

    def select(self, label: str, option: str) -> None:
        """Pick `option` in the st.selectbox labelled `label`."""
        self.page.get_by_role("combobox", name=label).click()
        self.page.get_by_role("option", name=option).click()
        self.wait_idle()

    def select_index(self, label: str, index: int) -> None:
        self.page.get_by_role("combobox", name=label).click()
        self.page.get_by_role("option").nth(index).click()
        self.wait_idle()

    def selected(self, label: str) -> str:
        return self.page.get_by_role("combobox", name=label).input_value()

    # Drill page steps.
    def question_audio(self, timeout: float = 30_000) -> dict:
        """The question's <audio>: waits until it has started playing by itself (nothing here clicks it).

        Streamlit starts an autoplaying st.audio from script, without the autoplay attribute, so the
        element is found in the page's question-audio container rather than by that attribute."""
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('.st-key-question-audio audio')].some(a => a.currentTime > 0)",
            timeout=timeout,
        )
        return self.page.evaluate(
            "() => [...document.querySelectorAll('.st-key-question-audio audio')]"
            ".map(a => ({src: a.src, duration: a.duration, currentTime: a.currentTime, paused: a.paused}))[0]"
        )

    def start_recording(self) -> None:
        widget = self.page.get_by_test_id("stAudioInput")
        widget.get_by_role("button", name="Record", exact=True).click()
        widget.get_by_role("button", name="Stop recording").wait_for()

    def stop_recording(self) -> None:
        self.page.get_by_test_id("stAudioInput").get_by_role("button", name="Stop recording").click()

    def record(self, seconds: float, shot: str | None = None) -> None:
        """Press Record, let the fake microphone speak for `seconds`, press Stop."""
        self.start_recording()
        if shot:
            self.shot(shot)
        self.page.wait_for_timeout(seconds * 1000)
        self.stop_recording()

    def transcripts(self) -> list[str]:
        return self.page.locator("[class*='st-key-'][class*='transcript-']").all_inner_texts()

    def wait_transcript(self, timeout: float = 180_000) -> str:
        """The newest transcript on the page, once transcription is done."""
        self.page.locator("[class*='st-key-'][class*='transcript-']").first.wait_for(timeout=timeout)
        self.wait_idle(timeout)
        return self.transcripts()[0]

    def rate(self, stars: int, nth: int = 0) -> None:
        self.page.get_by_test_id("stFeedback").nth(nth).get_by_role("radio", name=f"{stars} out of 5 stars").click()
        self.wait_idle()

    def write_note(self, text: str, nth: int = 0) -> None:
        box = self.page.get_by_label("Note").nth(nth)
        box.fill(text)
        box.press("Control+Enter")  # commits the text area, as clicking elsewhere would
        self.wait_idle()


def drive_drill(app: AppPage, answer_seconds: float, note: str = "") -> dict:
    """The whole test drill as a person does it: choose, start, hear the question, answer, rate,
    answer the follow-up, finish. Returns what the page showed at each step."""
    seen: dict = {}
    app.goto("", shot="drill-page")
    app.select("Choose a drill", TEST_DRILL_TITLE)
    app.click("Start drill")
    app.expect_text(QUESTION)
    seen["question_audio"] = app.question_audio()
    app.shot("question-playing")
    app.record(answer_seconds, shot="recording")
    seen["transcript"] = app.wait_transcript()
    app.shot("transcript")
    app.rate(4)
    if note:
        app.write_note(note)
    app.shot("rated")
    app.click("Next follow-up")
    app.expect_text(PROBE)
    seen["probe_audio"] = app.question_audio()
    app.record(answer_seconds)
    seen["probe_transcript"] = app.wait_transcript()
    app.shot("probe-answered")
    app.click("Finish drill")
    app.expect_text("Drill complete")
    app.shot("drill-complete")
    return seen
