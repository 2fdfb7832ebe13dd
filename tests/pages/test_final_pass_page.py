"""The answer card at stop, then better: the live words first with "Improving the transcript…",
then the final text with "Transcript improved by the final pass"; an answer whose final pass never
ran (stored by another process after this one started) offers Transcribe again.

Real models and Piper speech; the answers are stored as the live path stores them (the live
transcriber's words at stop, marked for the final pass), then the app is opened, as after a restart.
"""

from __future__ import annotations

import numpy as np
import pytest
from apptest_kit import APP, button
from streamlit.testing.v1 import AppTest

from rehearse.library.bank import Step
from rehearse.practice import pipeline
from rehearse.speech import audio, transcribe
from rehearse.speech.live import LiveTranscriber
from rehearse.store import database
from rehearse.web import ui

pytestmark = pytest.mark.slow

STEP = Step(
    "lead-cross-org-change", 0, "Tell me about a time you led a change.", "Tell me about a time you led a change.", 1
)
ANSWER = (
    "I led the migration of our billing system to a new platform over six months. "
    "I met with the finance director every week and we agreed on a rollback plan together."
)


def lagging_live_words(model, samples: np.ndarray) -> transcribe.Transcript:
    """The live transcriber's words at stop when its decodes fell behind the last few seconds (a
    busy machine): it looked at the audio until 4 s before the end, then only received it."""
    live = LiveTranscriber(model)
    stop_looking = len(samples) - 4 * 16000
    for i in range(0, len(samples), 1600):
        live.feed(samples[i : i + 1600])
        if i < stop_looking and (i // 1600) % 3 == 2:
            live.step()
    return live.snapshot()


def store_live(db, settings, model, samples, session_id=None) -> tuple[database.Answer, str]:
    sid = session_id or database.create_session(db, "warm-up", "Warm-up", [])
    words = lagging_live_words(model, samples)
    stored = pipeline.answer(
        db,
        settings,
        None,
        sid,
        STEP,
        pipeline.Take.of_samples(samples),
        live=lambda: pipeline.LiveText(words),
        final_pending=True,
    )
    assert stored.final_pending and stored.transcript == words.text
    return stored, sid


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_the_card_shows_the_live_words_then_the_final_text_and_says_so(app_env, model, speech):
    settings = app_env
    db = database.open_database(settings)
    samples, _ = audio.read_audio(speech(ANSWER, pad=0.3))
    samples = samples.reshape(-1).astype(np.float32)
    stored, sid = store_live(db, settings, model, samples)
    assert "rollback" not in stored.transcript.lower(), "the live words were meant to lack the tail"

    worker = ui.final_worker_for()  # the app's worker (one per process)
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/review.py")
    with worker.exclusive(stored.id):  # the pass waits for this: the page is looked at mid-pass
        at.run()
        assert not at.exception, at.exception
        shown = texts(at)
        assert ui.IMPROVING in shown, shown
        assert ui.plain(stored.transcript.split()[-1]) in shown  # the live words are on screen
        assert worker.pending(stored.id)  # queued at start, as after a crash or a restart
        assert at.feedback, "the stars are there to rate while the final pass runs"
    outcome = worker.wait(stored.id, timeout=180)
    assert outcome is not None and outcome.kind == "improved", outcome
    at.run()
    shown = texts(at)
    assert ui.OUTCOME_CAPTIONS["improved"] in shown and ui.IMPROVING not in shown, shown
    assert "rollback" in shown.lower()
    done = database.get_answer(db, stored.id)
    assert not done.final_pending and done.model == transcribe.BASE_LABEL

    # Stored after this process started and queued nothing: the card says so and offers Transcribe again.
    orphan, _ = store_live(db, settings, model, samples, session_id=sid)
    at.run()
    assert ui.UNFINISHED in texts(at)
    again = [b for b in at.button if b.label == "Transcribe again"]
    assert len(again) == 1
    button(at, "Transcribe again").click()
    at.run()
    assert not at.exception, at.exception
    finished = database.get_answer(db, orphan.id)
    assert not finished.final_pending and finished.model == transcribe.BASE_LABEL
    assert "rollback" in finished.transcript.lower()
