"""`rehearse bench memory`: the speech parts of the app server in one process, as the server holds
and runs them, with the resident memory after each step and its peak during the step.

Two ways run side by side, each in a fresh process so that no peak carries over from the other:
- "now": what the app does, that is int8 copies of the models (speech/int8.py), the voice
  without onnxruntime's arena (speech/voice.py), and the final pass waiting while the voice
  speaks the follow-ups (practice/final_worker.py);
- "before": the models as shipped (float16, quantized by CTranslate2 as they load), the voice with
  onnxruntime's arena as PiperVoice.load makes it, and the final pass decoding while the voice speaks.

The steps follow a drill: the app's modules, the live model, the voice speaking the question,
the final model, an answer streamed through the live transcriber, then at stop two follow-ups
spoken and the final pass, then a second answer. The browser test (tests/browser/
test_live_browser.py) prints the real server's figures, with Streamlit serving Chromium.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rehearse.settings import load_settings
from rehearse.speech import memory

QUESTION = "Tell me about a time you led a project across several teams. How did you get buy-in from the other groups?"
FOLLOW_UPS = (
    "You said the finance team pushed back. What exactly did they push back on, and what did you change?",
    "You said six months. What would you do differently to finish it sooner next time?",
)
WAYS = ("now", "before")


@dataclass(frozen=True)
class Step:
    name: str
    resident: float  # MB after the step
    peak: float  # MB, the highest during the step


def _peak_reset() -> bool:
    """Start a new peak (VmHWM) from the present resident size; False where Linux does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def run_way(way: str, home: Path, answer: Path) -> list[Step]:
    """The drill's steps in this process, the `way` given; what each left resident and its peak."""
    from rehearse.speech import final, transcribe
    from rehearse.speech.voice import Voice

    memory.limit_malloc_arenas()  # as rehearse/web/serve.py does, before any thread starts
    settings = load_settings({"REHEARSE_HOME": str(home)})
    steps: list[Step] = []
    resets = _peak_reset()

    def step(name: str, work) -> object:
        if resets:
            _peak_reset()
        result = work()
        memory.release_memory()
        now, peak = memory.resident_mb()
        steps.append(Step(name, round(now), round(peak)))
        return result

    def imports():
        import rehearse.web.ui  # noqa: F401  (Streamlit and what the pages import, as the server holds them)

    step("Streamlit and the app's modules", imports)
    live_key, final_key = final.live_settings(settings), final.final_settings(settings)
    if way == "before":
        live_key = replace(live_key, model=str(transcribe.bundled_model_path()))
        joined = transcribe.join_split_model(*transcribe.split_base_parts(), home / "float16-base")
        final_key = replace(final_key, model=str(joined))
    live = step("live model (tiny.en, one thread)", lambda: transcribe.Model(live_key))

    voice = Voice(settings, arena=way == "before")  # loaded by its first synthesis, in the step
    step("the voice speaks the question", lambda: voice.synthesize(QUESTION))
    final_model = step("final model (base, one thread)", lambda: transcribe.Model(final_key))

    from rehearse.bench.live import stream_clip
    from rehearse.speech.live import LiveOptions
    from rehearse.speech.transcribe import DecodeOptions

    samples = transcribe.decode(answer)
    for n in (1, 2):
        step(
            f"answer {n} ({len(samples) / 16000:.0f} s) transcribed live",
            lambda: stream_clip(live, samples, DecodeOptions(), LiveOptions(step_seconds=1.2), speed=2.0),
        )

        def at_stop():
            speaking = threading.Thread(target=lambda: [voice.synthesize(f) for f in FOLLOW_UPS])
            speaking.start()
            if way == "now":  # the final worker waits while the voice speaks (voice.busy)
                speaking.join()
            transcribe.transcribe(final_model, samples)
            speaking.join()

        step(f"stop {n}: two follow-ups spoken, the final pass", at_stop)
    return steps


def table(results: dict[str, list[Step]]) -> str:
    lines = [
        "| step | " + " | ".join(f"{way}: resident / peak" for way in results) + " |",
        "| --- |" + " ---: |" * len(results),
    ]
    names = [s.name for s in next(iter(results.values()))]
    for i, name in enumerate(names):
        cells = " | ".join(f"{steps[i].resident:.0f} / {steps[i].peak:.0f} MB" for steps in results.values())
        lines.append(f"| {name} | {cells} |")
    peaks = {way: max(s.peak for s in steps) for way, steps in results.items()}
    ends = {way: steps[-1].resident for way, steps in results.items()}
    lines.append("")
    lines.append(
        "highest peak: "
        + ", ".join(f"{way} {peak:.0f} MB" for way, peak in peaks.items())
        + (f" (now / before = {peaks['now'] / peaks['before']:.2f})" if {"now", "before"} <= peaks.keys() else "")
    )
    lines.append("resident at the end: " + ", ".join(f"{way} {mb:.0f} MB" for way, mb in ends.items()))
    return "\n".join(lines)


def run_bench(answer: Path, ways: tuple[str, ...] = WAYS) -> dict[str, list[Step]]:
    """Each way in its own fresh process, with its own empty data folder; their steps."""
    results = {}
    for way in ways:
        with tempfile.TemporaryDirectory(prefix=f"rehearse-bench-memory-{way}-") as home:
            out = subprocess.run(
                [sys.executable, "-m", "rehearse.bench.memory", way, home, str(answer)],
                capture_output=True,
                text=True,
                check=False,
            )
        if out.returncode != 0:
            raise RuntimeError(f"bench memory ({way}) failed:\n{out.stderr[-2000:]}")
        results[way] = [Step(**s) for s in json.loads(out.stdout.strip().splitlines()[-1])]
    return results


def answer_audio(folder: Path, speech: Path | None, synthesize) -> Path:
    """A 24 s answer: the shared clips joined when they are there, else Piper speaking one."""
    from rehearse.bench import asr
    from rehearse.bench import live as bench_live
    from rehearse.speech.audio import wav_bytes

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "memory-answer.wav"
    found = bench_live.speech_dir(speech)
    if found:
        samples, _ = bench_live.joined_answer(asr.read_manifest(found), 24)
        path.write_bytes(wav_bytes(samples[: 24 * 16000], 16000))
    elif not path.exists():
        text = " ".join(
            [
                "I led the migration of our billing system to a new platform over six months.",
                "The finance team pushed back because they were worried about the end of the quarter.",
                "I met with their director every week, and we agreed on a rollback plan together.",
                "In the end we moved every account two weeks early, and nobody lost an invoice.",
            ]
        )
        samples, rate = synthesize(text)
        path.write_bytes(wav_bytes(np.asarray(samples, dtype=np.float32), rate))
    return path


def _child(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m rehearse.bench.memory")
    parser.add_argument("way", choices=WAYS)
    parser.add_argument("home", type=Path)
    parser.add_argument("answer", type=Path)
    args = parser.parse_args(argv)
    steps = run_way(args.way, args.home, args.answer)
    sys.stdout.write(json.dumps([s.__dict__ for s in steps]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
