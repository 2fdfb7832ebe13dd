"""The interviewer who cuts in, in a real Chromium with live transcription: the fake microphone
talks on past a drill's short time limit, the voice cuts in with a follow-up picked from what
was said, recording stops there, the answer so far is kept and transcribed, and the cut's
follow-up is the next step."""

from __future__ import annotations

import time

import pytest
from appdriver import AppPage, launch_chromium

from rehearse.practice.interrupt import LEAD
from rehearse.speech import audio
from rehearse.store import database

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LIMIT = 8
DRILL = f"""title = "Interrupt check"
description = "One story; the interviewer cuts in after {LIMIT} s."
questions = ["lead-cross-org-change"]
count = 1
order = "fixed"
probes_per_question = 1
listening_probes = 1
tone = "blunt"
time_limit_seconds = {LIMIT}
interrupt = true
"""
# About 25 s of "we": far longer than the limit.
RAMBLE = (
    "So last year we had a real problem with our releases. We aligned the teams on a new process. "
    "We rebuilt the release calendar from scratch, and we brought in the finance director. "
    "Then we moved every team to the same schedule, and we cut the failed releases by thirty percent. "
    "After that we kept tuning the process, and we added a review every Friday afternoon."
)


@pytest.fixture
def ramble_mic(tmp_path, speech):
    path = tmp_path / "ramble.wav"
    path.write_bytes(speech(RAMBLE))
    return path, len(audio.read_audio(path)[0]) / 16000


def test_the_voice_cuts_in_past_the_time_limit_and_its_probe_is_next(
    app, ramble_mic, playwright_instance, shots, settings_of, capsys
):
    (app.home.parent / "drills" / "interrupt-check.toml").write_text(DRILL)
    app.start(REHEARSE_LIVE="1")
    mic, mic_seconds = ramble_mic
    assert mic_seconds > LIMIT + 10
    browser = launch_chromium(playwright_instance, mic)
    try:
        context = browser.new_context(permissions=["microphone"], viewport={"width": 1000, "height": 1400})
        page = AppPage.open(context, app, shots)
        page.goto("")
        page.select("Choose a drill", "Interrupt check")
        page.click("Start drill")
        recorder = page.page.frame_locator('iframe[title*="live_recorder"]')
        recorder.get_by_role("button", name="Start recording").click(timeout=120_000)
        began = time.perf_counter()
        page.shot("recording")
        # Nobody presses stop: the interviewer does.
        cut_line = recorder.locator("#cut")
        cut_line.wait_for(state="visible", timeout=1000 * (mic_seconds + 30))
        cut_after = time.perf_counter() - began
        assert cut_line.inner_text().startswith(f"The interviewer cut in: {LEAD} ")
        voice = recorder.locator("#cut-voice")
        assert voice.count() == 1
        voice.evaluate("a => new Promise(r => a.currentTime > 0 ? r() : a.addEventListener('playing', r))")
        page.shot("cut-in")
        page.expect_text("The interviewer cut in at", timeout=120_000)
        transcript = page.wait_transcript()
        page.shot("cut-answer")

        db = database.open_database(settings_of(app))
        [session] = database.list_sessions(db)
        [answer] = database.session_answers(db, session.id)
        assert answer.status == "transcribed" and answer.probe_index == 0, answer.error
        # Kept up to the cut: past the limit, well short of everything the microphone said.
        assert LIMIT <= answer.duration < mic_seconds - 5, (answer.duration, mic_seconds)
        assert "thirty percent" not in answer.transcript.lower() or answer.duration < mic_seconds - 5
        assert answer.transcript.lower() in transcript.lower().replace("\u2060", "") or transcript
        plan = database.get_session(db, session.id).plan
        assert [s["probe_index"] for s in plan] == [0, 101, 1]
        cut = plan[1]
        assert cut["kind"] and cut["prompt"].startswith(f"{LEAD} ")
        if cut["evidence"]:
            assert cut["evidence_start"] is not None  # timed on the final transcript
        assert cut["prompt"] == cut_line.inner_text().removeprefix("The interviewer cut in: ")

        page.click("Next follow-up")
        page.expect_text(cut["prompt"])
        page.question_audio()
        page.shot("cut-probe-step")
        page.click("Skip this follow-up")
        page.expect_text("How did you get buy-in from the other orgs?")
        skipped = database.step_answers(db, session.id, "lead-cross-org-change", 101)[0]
        assert skipped.probe_kind == cut["kind"]
    finally:
        browser.close()
    with capsys.disabled():
        print(
            f"\n[interrupt browser] the voice cut in {cut_after:.1f} s after recording started "
            f"(limit {LIMIT} s); answer kept: {answer.duration:.1f} s of a {mic_seconds:.1f} s ramble"
        )
