"""Fixtures for the real-browser tests: the app server, Chromium with a fake microphone, screenshots.

A new page's test needs only:

    def test_my_page(app, tab):
        app.start()
        page = tab(app)
        page.goto("my-page", shot="opened")
        page.expect_text("...")

Screenshots go to test-artifacts/<test name>/, listed at the end of the pytest run.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from appdriver import ANSWER, CHROMIUM, ROOT, AppPage, AppServer, launch_chromium, write_test_drill

from rehearse.settings import load_settings
from rehearse.speech import audio

ARTIFACTS = ROOT / "test-artifacts"
_folders: list[Path] = []


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent and "browser" in item.keywords:
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


def pytest_terminal_summary(terminalreporter):
    folders = [f for f in _folders if any(f.iterdir())]
    if folders:
        terminalreporter.write_sep("-", "browser screenshots and server logs")
        for folder in folders:
            terminalreporter.write_line(f"{folder}  ({len(list(folder.glob('*.png')))} screenshots, server logs)")


@pytest.fixture(scope="session")
def playwright_instance():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (scripts/system-deps.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def fake_mic(tmp_path_factory, speech) -> Path:
    """A 16 kHz mono WAV of Piper saying ANSWER: what Chromium's fake microphone 'hears'."""
    path = tmp_path_factory.mktemp("mic") / "answer.wav"
    path.write_bytes(speech(ANSWER))
    return path


@pytest.fixture(scope="session")
def record_seconds(fake_mic: Path) -> float:
    """How long to keep recording: the fake microphone's file plus a margin."""
    samples, rate = audio.read_audio(fake_mic)
    return len(samples) / rate + 0.8


@pytest.fixture(scope="session")
def chromium(playwright_instance, fake_mic):
    browser = launch_chromium(playwright_instance, fake_mic)
    yield browser
    browser.close()


@pytest.fixture
def shots(request) -> Path:
    """This test's screenshot folder, emptied first."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder = ARTIFACTS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    _folders.append(folder)
    return folder


@pytest.fixture
def app(tmp_path, shots):
    """An app server (not started: call .start()) with REHEARSE_HOME in a temporary folder and the
    small test drill; it is always stopped at the end, and its logs go beside the screenshots."""
    drills = write_test_drill(tmp_path / "drills")
    # These tests drive st.audio_input, the recorder everyone has; test_live_browser.py drives
    # live capture, which shows that recorder only as a fallback.
    server = AppServer(
        home=tmp_path / "home", workdir=tmp_path / "server", env={"REHEARSE_DRILLS": str(drills), "REHEARSE_LIVE": "0"}
    )
    yield server
    server.stop()
    for log in server.workdir.glob("*.log"):
        shutil.copy(log, shots / log.name)


@pytest.fixture
def settings_of():
    """The Settings the app server uses, to open its database from the test."""
    return lambda server: load_settings({"REHEARSE_HOME": str(server.home)})


@pytest.fixture
def tab(request, chromium, shots):
    """tab(server, prefix="") opens a new browser tab (its own context: microphone allowed), or
    one more tab in `context`. A failing test leaves a screenshot of every tab."""
    contexts, pages = [], []

    def open_tab(server: AppServer, prefix: str = "", context=None) -> AppPage:
        if context is None:
            context = chromium.new_context(permissions=["microphone"], viewport={"width": 1000, "height": 1200})
            contexts.append(context)
        pages.append(AppPage.open(context, server, shots, prefix))
        return pages[-1]

    yield open_tab
    if getattr(request.node, "failed_call", False):
        for page in pages:
            try:
                page.shot("at-failure")
            except Exception as exc:  # a crashed tab must not hide the test's own failure
                print(f"no failure screenshot: {exc}")
    for context in contexts:
        context.close()
