"""A process that runs the real pipeline and gets SIGKILLed at a chosen moment (for test_faults.py).

    python fault_worker.py save HOME WAV [--kill-at-commit]
    python fault_worker.py debrief HOME WAV           (a spoken debrief item, through the same pipeline)
    python fault_worker.py transcribe HOME ANSWER_ID [--kill-at-commit]
    python fault_worker.py live HOME -                (a capture server the test streams to, then kills)
    python fault_worker.py final HOME WAV             (a live answer stored from tiny.en's words, then its
                                                       final pass with base in the background worker)

It prints one JSON line with the ids it made, then does the work. --kill-at-commit makes the
process SIGKILL itself when SQLite is about to COMMIT the answer's transaction: the row or the
transcript is fully written, but not committed. The test-only REHEARSE_TEST_PAUSE_AT crash
points (see rehearse/faults.py) let the test kill it from outside instead.
"""

import json
import os
import signal
import sys
import time
from pathlib import Path

from rehearse.library.bank import Step
from rehearse.practice import pipeline
from rehearse.settings import load_settings
from rehearse.speech.capture import CaptureServer
from rehearse.speech.transcribe import Model, transcribe
from rehearse.store import database, debriefs, recovery

STEP = Step(
    "lead-cross-org-change", 0, "Tell me about a time you led a change.", "Tell me about a time you led a change.", 1
)


def kill_at_commit(db) -> None:
    def trace(sql: str) -> None:
        if sql.strip().upper() == "COMMIT":
            os.kill(os.getpid(), signal.SIGKILL)

    db.conn.set_trace_callback(trace)


def main(argv: list[str]) -> None:
    mode, home, arg = argv[:3]
    settings = load_settings(
        {"REHEARSE_HOME": home, **{k: v for k, v in os.environ.items() if k.startswith("REHEARSE_TEST")}}
    )
    db = database.open_database(settings)
    if mode == "debrief":
        d = debriefs.create_debrief(db)
        print(json.dumps({"debrief_id": d.id}), flush=True)
        rec, _ = pipeline.speak_item(db, settings, lambda: Model(settings), d.id, "company", Path(arg).read_bytes())
        print(json.dumps({"done": rec.id, "status": rec.status}), flush=True)
        return
    if mode == "live":
        # The app's live path up to the point where the user is still speaking: a session, a
        # recorder opened with its answer's note, and the capture server receiving the audio.
        sid = database.create_session(db, "warm-up", "Warm-up", [])
        server = CaptureServer(Model(settings), recovery.live_dir(settings), home=settings.home)
        answer_id = database.new_id()
        token = server.open(pipeline.answer_note(sid, STEP, answer_id))
        print(json.dumps({"session_id": sid, "answer_id": answer_id, "url": server.url(token)}), flush=True)
        while True:
            time.sleep(3600)
    if mode == "final":
        # The app's two passes: the live words stored at once, marked, then the final pass in the
        # worker's thread; REHEARSE_TEST_PAUSE_AT=transcribing stops it mid-pass for the kill.
        from rehearse.practice import final_worker
        from rehearse.speech import audio, final

        samples, _rate = audio.read_audio(Path(arg).read_bytes())
        sid = database.create_session(db, "warm-up", "Warm-up", [])
        live = transcribe(Model(final.live_settings(settings)), samples.reshape(-1).astype("float32"))
        answer = pipeline.answer(
            db,
            settings,
            None,
            sid,
            STEP,
            pipeline.Take.of_samples(samples),
            live=lambda: pipeline.LiveText(live),
            final_pending=True,
        )
        print(json.dumps({"session_id": sid, "answer_id": answer.id}), flush=True)
        worker = final_worker.FinalWorker()
        worker.submit(answer.id, settings, lambda: final.load_final(settings))
        outcome = worker.wait(answer.id, timeout=600)
        print(json.dumps({"done": answer.id, "outcome": outcome.kind if outcome else None}), flush=True)
        return
    if mode == "save":
        sid = database.create_session(db, "warm-up", "Warm-up", [])
        print(json.dumps({"session_id": sid}), flush=True)
        if "--kill-at-commit" in argv:
            kill_at_commit(db)
        answer = pipeline.save_answer(db, settings, sid, STEP, Path(arg).read_bytes())
    else:
        model = Model(settings)
        print(json.dumps({"answer_id": arg}), flush=True)
        if "--kill-at-commit" in argv:
            kill_at_commit(db)
        answer = pipeline.transcribe_answer(db, settings, model, arg)
    print(json.dumps({"done": answer.id, "status": answer.status}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
