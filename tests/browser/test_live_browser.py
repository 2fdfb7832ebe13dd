"""Live capture in a real browser: Chromium's fake microphone plays a Piper answer into the drill page.

Measures the seconds from pressing stop to the transcript on screen, live (for an answer that ends
in a pause and one stopped mid-sentence) and with the simple recorder, and, live, to the final
pass's text replacing the live words; prints them all. The 1-second goal is reported, not
asserted: a busy CI machine must not fail the build on timing alone. What is asserted: the words
show while speaking, the live words then the final text are shown and stored, and a dropped
connection keeps what arrived.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.settings import load_settings
from rehearse.speech import audio, transcribe
from rehearse.store import database

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
GOAL_SECONDS = 1.0
ANSWER = (
    "I led the migration of our billing system to a new platform over six months. "
    "The finance team pushed back because they were worried about the end of the quarter. "
    "I met with their director every week and we agreed on a rollback plan together."
)

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium (make system-deps)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_app(tmp_path):
    """The real app on a free port with its own data folder; yields (url, settings)."""
    with running_app(tmp_path / "home", tmp_path) as app:
        yield app


@contextlib.contextmanager
def running_app(home: Path, tmp_path: Path):
    port = free_port()
    key = "live-browser-test-key"
    env = {
        **os.environ,
        "REHEARSE_HOME": str(home),
        "HF_HUB_OFFLINE": "1",
        "REHEARSE_LIVE": "1",
        "REHEARSE_LAUNCH_KEY": key,
    }
    # Streamlit configures only its own loggers: the app's timings go to streamlit.log through this.
    launcher = (
        "import logging, sys; logging.basicConfig(level=logging.INFO, format='%(asctime)s %(name)s: %(message)s'); "
        "logging.getLogger('rehearse.speech.live').setLevel(logging.DEBUG); "
        "from rehearse.web.serve import main; sys.exit(main())"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            launcher,
            "run",
            str(ROOT / "streamlit_app.py"),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "streamlit.log", "wb"),
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    try:
        yield f"http://127.0.0.1:{port}/?key={key}", load_settings({"REHEARSE_HOME": str(home)})
        print(f"\n[live browser] app server resident memory: {server_memory(proc.pid)}")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def server_memory(pid: int) -> str:
    """The server's resident memory now and at its peak, from /proc (the issue's goal: under 700 MB
    with both models and the voice loaded, as after the simple recorder with live capture on)."""
    try:
        fields = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
        )
    except OSError as exc:
        return f"not readable ({exc})"
    mb = lambda key: int(fields[key].split()[0]) / 1024  # noqa: E731
    return f"{mb('VmRSS'):.0f} MB (peak {mb('VmHWM'):.0f} MB)"


@pytest.fixture
def microphone(tmp_path, speech) -> tuple[Path, float]:
    wav = speech(ANSWER, pad=1.0)
    path = tmp_path / "mic.wav"
    path.write_bytes(wav)
    samples, rate = audio.read_audio(wav)
    return path, len(samples) / rate


@contextlib.contextmanager
def shared(playwright_instance):
    """The session's one Playwright (tests/browser/conftest.py): a second sync Playwright cannot
    start in the same process."""
    yield playwright_instance


def browser_page(playwright, mic: Path):
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={mic}%noloop",
            "--autoplay-policy=no-user-gesture-required",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )
    context = browser.new_context(permissions=["microphone"])
    return browser, context.new_page()


def start_drill(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Start drill").click(timeout=120_000)


FINAL_DONE = "by the final pass"  # "Transcript improved by the final pass." or "checked by the final pass"


def wait_for_final(page, expect) -> float:
    """Seconds until the card says the final pass's text has replaced the live words."""
    began = time.perf_counter()
    expect(page.get_by_text("Improving the transcript", exact=False)).to_have_count(0, timeout=180_000)
    expect(page.get_by_text(FINAL_DONE, exact=False).first).to_be_visible(timeout=30_000)
    return time.perf_counter() - began


def report(capsys, text: str) -> None:
    with capsys.disabled():
        print(f"\n[live browser] {text}")


def test_live_capture_shows_words_and_has_the_transcript_soon_after_stop(
    live_app, microphone, capsys, playwright_instance
):
    from playwright.sync_api import expect

    url, settings = live_app
    mic, seconds = microphone
    with shared(playwright_instance) as p:
        browser, page = browser_page(p, mic)
        try:
            start_drill(page, url)
            recorder = page.frame_locator('iframe[title*="live_recorder"]')
            recorder.get_by_role("button", name="Start recording").click(timeout=120_000)
            began = time.perf_counter()
            part_dir = settings.audio_dir / "live"
            while not any(p.stat().st_size for p in part_dir.glob("*.pcm")) and time.perf_counter() - began < 30:
                time.sleep(0.02)
            first_audio = time.perf_counter() - began  # microphone and socket set up, audio on disk
            # Words appear while the fake microphone is still speaking.
            # (a generous limit: a busy machine decodes late, which is a figure, not a failure)
            expect(recorder.locator("#committed, #tentative").filter(has_text="migration")).to_have_count(
                1, timeout=90_000
            )
            shown_at = time.perf_counter() - began
            page.wait_for_timeout(
                1000 * max(0.0, seconds + 0.3 - (time.perf_counter() - began))
            )  # until the file has played
            recorder.get_by_role("button", name="Stop").click()
            stopped = time.perf_counter()
            transcript = page.locator("[class*='st-key-transcript-']").filter(has_text="migration")
            expect(transcript.first).to_be_visible(timeout=60_000)
            latency = time.perf_counter() - stopped
            live_words = transcript.first.inner_text()
            expect(page.get_by_text("words/min")).to_be_visible()  # the feedback line is there too
            improving = page.get_by_text("Improving the transcript", exact=False).count()
            final_after = latency + wait_for_final(page, expect)
            expect(page.get_by_text("rollback plan", exact=False).last).to_be_visible()
            # Nothing lingers above the final transcript: no recorder with a stale status line or
            # grey live words, and no countdown still running.
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", state="attached")
            expect(page.locator('iframe[title*="live_recorder"]')).to_have_count(0)
            expect(page.get_by_text("finishing the transcript", exact=False)).to_have_count(0)
            expect(page.locator("[id^='timer-']")).to_have_count(0)
            shots = ROOT / "test-artifacts" / "live-recorder-after-stop"
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "after-stop.png"), full_page=True)
        finally:
            browser.close()
    db = database.open_database(settings)
    [answer] = database.session_answers(db, database.list_sessions(db)[0].id)
    assert answer.status == "transcribed", answer.error
    assert answer.audio_file(settings).suffix == ".flac" and seconds - 0.5 <= answer.duration <= seconds + 3
    assert word_error_rate(normalize(ANSWER), normalize(answer.transcript)) <= 0.2, answer.transcript
    assert not list((settings.audio_dir / "live").glob("*.pcm"))  # the part file was replaced by the FLAC
    assert not answer.final_pending and answer.model == transcribe.BASE_LABEL  # the final pass's text
    report(
        capsys,
        f"live, ending in a pause: first audio on the server {first_audio:.2f} s after start; first words on screen "
        f"{shown_at:.1f} s into the answer; stop to transcript on screen {latency:.2f} s for a {seconds:.1f} s answer "
        f"(goal {GOAL_SECONDS:g} s: {'met' if latency <= GOAL_SECONDS else 'missed'}); final text on screen "
        f"{final_after:.2f} s after stop ({'improving caption seen' if improving else 'final before the first look'}); "
        f"live words {len(normalize(live_words))}{' with the last ones' if 'rollback' in live_words else ''}, "
        f"final words {len(normalize(answer.transcript))}",
    )


def test_live_answer_stopped_mid_sentence_shows_the_live_words_then_the_final_text(
    live_app, microphone, capsys, playwright_instance
):
    """Stop pressed while the voice is still speaking: the words decoded so far are on screen at
    once, the final pass's text replaces them; the stored answer ends with the final text."""
    from playwright.sync_api import expect

    url, settings = live_app
    mic, seconds = microphone
    stop_at = 1.0 + 0.7 * (seconds - 2.0)  # 70 % into the speech (the file has 1 s of silence each side)
    with shared(playwright_instance) as p:
        browser, page = browser_page(p, mic)
        try:
            start_drill(page, url)
            recorder = page.frame_locator('iframe[title*="live_recorder"]')
            recorder.get_by_role("button", name="Start recording").click(timeout=120_000)
            began = time.perf_counter()
            expect(recorder.locator("#committed, #tentative").filter(has_text="migration")).to_have_count(
                1, timeout=90_000
            )
            page.wait_for_timeout(1000 * max(0.0, stop_at - (time.perf_counter() - began)))
            recorder.get_by_role("button", name="Stop").click()
            stopped = time.perf_counter()
            transcript = page.locator("[class*='st-key-transcript-']").filter(has_text="migration")
            expect(transcript.first).to_be_visible(timeout=60_000)
            latency = time.perf_counter() - stopped
            live_words = transcript.first.inner_text()
            # Not blocked while the final pass runs: the stars and the note are there to use.
            expect(page.get_by_placeholder("What would you say differently?")).to_be_visible()
            final_after = latency + wait_for_final(page, expect)
            final_words = page.locator("[class*='st-key-transcript-']").first.inner_text()
            shots = ROOT / "test-artifacts" / "live-recorder-after-stop"
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "mid-sentence-final.png"), full_page=True)
        finally:
            browser.close()
    db = database.open_database(settings)
    [answer] = database.session_answers(db, database.list_sessions(db)[0].id)
    assert answer.status == "transcribed" and not answer.final_pending, answer
    assert answer.model == transcribe.BASE_LABEL
    assert answer.duration < seconds - 1.0  # stopped before the end
    said = " ".join(normalize(answer.transcript))
    assert said.startswith("i led the migration of our billing system"), answer.transcript
    assert "rollback" not in said  # the last sentence was never spoken before stop
    assert " ".join(normalize(final_words)) == said, (final_words, answer.transcript)
    report(
        capsys,
        f"live, stopped mid-sentence {answer.duration:.1f} s in: stop to transcript on screen {latency:.2f} s "
        f"(goal {GOAL_SECONDS:g} s: {'met' if latency <= GOAL_SECONDS else 'missed'}); final text on screen "
        f"{final_after:.2f} s after stop; live words {len(normalize(live_words))}, final words {len(said.split())}",
    )


def test_simple_recorder_for_comparison(live_app, microphone, capsys, playwright_instance):
    """The fallback, transcribed only after stop: the figure live capture is measured against."""
    from playwright.sync_api import expect

    url, settings = live_app
    mic, seconds = microphone
    with shared(playwright_instance) as p:
        browser, page = browser_page(p, mic)
        try:
            start_drill(page, url)
            page.get_by_text("Microphone trouble? Use the simple recorder instead").click(timeout=120_000)
            recorder = page.get_by_test_id("stAudioInput")
            recorder.get_by_role("button", name="Record", exact=True).click()
            page.wait_for_timeout(1000 * (seconds + 0.3))
            recorder.get_by_role("button", name="Stop recording").click()
            stopped = time.perf_counter()
            expect(page.get_by_text("rollback plan", exact=False).last).to_be_visible(timeout=60_000)
            latency = time.perf_counter() - stopped
            final_after = latency + wait_for_final(page, expect)  # tiny.en now, base in the background
        finally:
            browser.close()
    db = database.open_database(settings)
    [answer] = database.session_answers(db, database.list_sessions(db)[0].id)
    assert answer.status == "transcribed", answer.error
    assert not answer.final_pending and answer.model == transcribe.BASE_LABEL
    report(
        capsys,
        f"simple recorder: stop to transcript on screen {latency:.2f} s for a {seconds:.1f} s answer; "
        f"final text on screen {final_after:.2f} s after stop",
    )


def test_live_recorder_on_a_full_disk_says_so_and_saves_the_answer_with_save_again(
    tmp_path, microphone, playwright_instance
):
    """Issue 14, item 9, in the browser: the recording goes on in memory while the disk is full,
    the recorder and the page say which folder and what to do, and Save again keeps every word."""
    from playwright.sync_api import expect
    from test_faults import fill, tmpfs

    mic, seconds = microphone
    shots = ROOT / "test-artifacts" / "live-full-disk"
    shots.mkdir(parents=True, exist_ok=True)
    with tmpfs(tmp_path / "disk", "6m") as home, running_app(home, tmp_path) as (url, settings):
        with shared(playwright_instance) as p:
            browser, page = browser_page(p, mic)
            try:
                start_drill(page, url)
                recorder = page.frame_locator('iframe[title*="live_recorder"]')
                start = recorder.get_by_role("button", name="Start recording")
                expect(start).to_be_enabled(timeout=120_000)
                page.wait_for_timeout(2000)  # the question's voice is cached before the disk fills
                filler = fill(home, keep=16_384)
                start.click()
                expect(recorder.locator("#warning")).to_contain_text("is full", timeout=60_000)
                page.wait_for_timeout(1000 * max(0.0, seconds + 0.3))
                recorder.get_by_role("button", name="Stop").click()
                # The first write the full disk refuses: the drill's session (stored with its first
                # answer) or the recording itself; either way the page says the disk is full.
                expect(page.get_by_role("alert").filter(has_text="is full").last).to_be_visible(timeout=60_000)
                expect(page.get_by_text("Free some space", exact=False).last).to_be_visible()
                save_again = page.get_by_role("button", name="Save again")
                expect(save_again).to_be_visible()
                page.screenshot(path=str(shots / "full-disk.png"), full_page=True)
                assert database.open_database(settings)["answers"].count == 0

                filler.unlink()
                save_again.click()
                expect(page.get_by_text("rollback plan", exact=False).last).to_be_visible(timeout=60_000)
                page.screenshot(path=str(shots / "saved-again.png"), full_page=True)
            finally:
                browser.close()
        db = database.open_database(settings)
        [answer] = database.session_answers(db, database.list_sessions(db)[0].id)
        assert answer.status == "transcribed", answer.error
        assert seconds - 0.5 <= answer.duration <= seconds + 3  # every second, though the disk was full
        assert word_error_rate(normalize(ANSWER), normalize(answer.transcript)) <= 0.2, answer.transcript
