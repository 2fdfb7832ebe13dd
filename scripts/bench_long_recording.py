"""How long recordings behave: time to the first progress update, total time, real-time factor
and peak memory of transcribing N minutes through the app's pipeline, and what a recording over
the limit (REHEARSE_MAX_ANSWER_SECONDS, 10 minutes by default) costs before it is refused.

    .venv/bin/python scripts/bench_long_recording.py [MINUTES ...]     (default: 1 5, and 20 refused)

Each run is its own process, so peak memory is per run. The audio is Piper speech repeated with
pauses. Prints one line per run; figures depend on the machine and its load.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time


def child(minutes: float, home: str) -> None:
    import numpy as np

    from rehearse.errors import AudioError
    from rehearse.library.bank import Step
    from rehearse.practice import pipeline
    from rehearse.settings import load_settings
    from rehearse.speech import audio
    from rehearse.speech.transcribe import Model
    from rehearse.speech.voice import Voice
    from rehearse.store import database

    settings = load_settings({"REHEARSE_HOME": home})
    voice = Voice(settings)
    parts = []
    for text in (
        "I asked the other teams what they needed and then I wrote a plan that everyone signed.",
        "The pushback came from the finance director who was worried about the cost.",
    ):
        samples, rate = voice.synthesize(text)
        parts.append(
            np.interp(
                np.arange(int(len(samples) * 16000 / rate)) * rate / 16000, np.arange(len(samples)), samples
            ).astype(np.float32)
        )
        parts.append(np.zeros(16000, dtype=np.float32))
    unit = np.concatenate(parts)
    n = int(minutes * 60 * 16000)
    data = audio.wav_bytes(np.tile(unit, n // len(unit) + 1)[:n], 16000)
    del parts, unit
    model = Model(settings)
    db = database.open_database(settings)
    sid = database.create_session(db, "bench", "Bench", [])
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    answer = pipeline.save_answer(db, settings, sid, Step("q", 0, "Q", "Q", 1), data)
    saved = time.perf_counter() - started
    first: list[float] = []
    started = time.perf_counter()

    def progress(fraction: float) -> None:
        if not first:
            first.append(time.perf_counter() - started)

    try:
        done = pipeline.transcribe_answer(db, settings, model, answer.id, on_progress=progress)
        status, error = done.status, done.error or ""
    except AudioError as exc:
        status, error = "error", str(exc)
    total = time.perf_counter() - started
    print(
        json.dumps(
            {
                "minutes": minutes,
                "save_s": round(saved, 2),
                "first_progress_s": round(first[0], 1) if first else None,
                "transcribe_s": round(total, 1),
                "rtf": round(total / (minutes * 60), 3),
                "status": status,
                "error": error[:60],
                "rss_before_mb": round(base),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--child":
        child(float(argv[1]), argv[2])
        return
    runs = [float(m) for m in argv] or [1, 5, 20]
    print(f"{'minutes':>7} {'save s':>7} {'1st progress s':>14} {'transcribe s':>12} {'RTF':>6} {'peak MB':>8}  status")
    for minutes in runs:
        with tempfile.TemporaryDirectory() as home:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(minutes), home], capture_output=True, text=True, check=True
            ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"{r['minutes']:>7g} {r['save_s']:>7} {str(r['first_progress_s']):>14} {r['transcribe_s']:>12} "
            f"{r['rtf']:>6} {r['peak_rss_mb']:>8}  {r['status']} {r['error']}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
