"""Benchmark of live transcription on recorded speech: is the streamed transcript as accurate as
the whole file, how long after the end of the audio is it ready, and does a model keep up?

Each clip is fed to a LiveTranscriber in 100 ms chunks at real-time speed (or `speed` times
faster) by the wall clock, while its background thread decodes: the same work the app does while
the user speaks. The clock starts at the end of the audio and stops at the final transcript.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.bench.asr import Clip, read_manifest
from rehearse.errors import BenchError
from rehearse.settings import PROJECT_ROOT, Settings
from rehearse.speech.live import LiveOptions, LiveTranscriber
from rehearse.speech.transcribe import SAMPLE_RATE, DecodeOptions, Model, decode, transcribe

log = logging.getLogger(__name__)

CHUNK_SECONDS = 0.1
# A decoder busier than this while audio arrives has no time to spare: it does not keep up.
# Judged on clips long enough for the answer's length to matter; short ones are all start-up.
KEEP_UP_BUSY = 0.9
KEEP_UP_MIN_SECONDS = 20.0


@dataclass(frozen=True)
class ClipResult:
    file: str
    duration: float
    words: int  # reference words; 0 when the clip has no reference
    whole_wer: float | None
    live_wer: float | None
    whole_seconds: float  # transcribing the whole file after the end: today's wait
    finish_seconds: float  # end of audio to final streamed transcript
    final_tail_seconds: float
    decodes: int
    busy: float  # share of the audio's duration the decoder spent decoding while it came in
    joined: bool = False  # the clips joined into one long answer: not counted twice in the error rates


@dataclass(frozen=True)
class ModelSummary:
    label: str
    clips: tuple[ClipResult, ...]
    whole_wer: float
    live_wer: float
    finish_median: float
    finish_max: float
    busy_max: float | None  # None without a clip long enough to judge

    @property
    def keeps_up(self) -> bool | None:
        return None if self.busy_max is None else self.busy_max < KEEP_UP_BUSY


def speech_dir(explicit: Path | None = None) -> Path | None:
    """The shared clips: `explicit`, or shared/speech beside the checkout or beside its parent."""
    candidates = (
        [explicit]
        if explicit
        else [PROJECT_ROOT.parent / "shared" / "speech", PROJECT_ROOT.parent.parent / "shared" / "speech"]
    )
    for folder in candidates:
        if folder and (folder / "manifest.tsv").is_file():
            return folder
    return None


def stream_clip(
    model: Model, samples, options: DecodeOptions, live: LiveOptions, speed: float
) -> tuple[LiveTranscriber, object, float]:
    """Feed samples at `speed` times real time; (transcriber, final transcript, seconds from end of audio)."""
    transcriber = LiveTranscriber(model, options, live).start()
    chunk = int(CHUNK_SECONDS * SAMPLE_RATE)
    began = time.perf_counter()
    for i in range(0, len(samples), chunk):
        due = began + (i + chunk) / SAMPLE_RATE / speed
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        transcriber.feed(samples[i : i + chunk])
    ended = time.perf_counter()
    final = transcriber.finish()
    return transcriber, final, time.perf_counter() - ended


def joined_answer(clips: list[Clip], seconds: float) -> tuple[np.ndarray, str]:
    """The clips with a reference, one after another with half a second between them, until `seconds`
    of audio: a long answer made of real speech. Returns the samples and the joined reference."""
    parts, refs, total = [], [], 0
    gap = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
    while total < seconds * SAMPLE_RATE:
        before = total
        for clip in clips:
            if not clip.reference or total >= seconds * SAMPLE_RATE:
                continue
            parts += [decode(clip.path), gap]
            refs.append(clip.reference)
            total += len(parts[-2]) + len(gap)
        if total == before:
            break  # no clip has a reference
    return (np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)), " ".join(refs)


def run_clip(
    model: Model,
    clip: Clip,
    options: DecodeOptions = DecodeOptions(),
    live: LiveOptions = LiveOptions(),
    speed: float = 1.0,
    samples: np.ndarray | None = None,
) -> ClipResult:
    """One clip (or given `samples` under the clip's name and reference) whole, then streamed."""
    samples_given = samples is not None
    samples = decode(clip.path) if samples is None else samples
    duration = len(samples) / SAMPLE_RATE
    whole = transcribe(model, samples, options)
    transcriber, final, finish = stream_clip(model, samples, options, live, speed)
    stats = transcriber.stats()
    ref = normalize(clip.reference)
    return ClipResult(
        file=clip.file,
        duration=round(duration, 2),
        words=len(ref),
        whole_wer=word_error_rate(ref, normalize(whole.text)) if ref else None,
        live_wer=word_error_rate(ref, normalize(final.text)) if ref else None,
        whole_seconds=whole.seconds,
        finish_seconds=round(finish, 3),
        final_tail_seconds=stats.final_tail_seconds,
        decodes=stats.decodes,
        busy=round(stats.decode_seconds / (duration / speed), 3) if duration else 0.0,
        joined=samples_given,
    )


def summarize(label: str, results: list[ClipResult]) -> ModelSummary:
    scored = [r for r in results if r.words and not r.joined]
    total = sum(r.words for r in scored) or 1
    finishes = [r.finish_seconds for r in results] or [0.0]
    return ModelSummary(
        label=label,
        clips=tuple(results),
        whole_wer=sum((r.whole_wer or 0) * r.words for r in scored) / total,
        live_wer=sum((r.live_wer or 0) * r.words for r in scored) / total,
        finish_median=statistics.median(finishes),
        finish_max=max(finishes),
        busy_max=max((r.busy for r in results if r.duration >= KEEP_UP_MIN_SECONDS), default=None),
    )


def format_table(summary: ModelSummary) -> str:
    def pct(x: float | None) -> str:
        return "   -  " if x is None else f"{100 * x:5.1f}%"

    lines = [
        f"model {summary.label}",
        f"{'clip':34} {'audio s':>7} {'words':>5} {'WER whole':>9} {'WER live':>9} "
        f"{'whole s':>7} {'end->final s':>12} {'tail s':>6} {'decodes':>7} {'busy':>5}",
    ]
    for r in summary.clips:
        lines.append(
            f"{r.file[:34]:34} {r.duration:7.1f} {r.words:5d} {pct(r.whole_wer):>9} {pct(r.live_wer):>9} "
            f"{r.whole_seconds:7.2f} {r.finish_seconds:12.2f} {r.final_tail_seconds:6.1f} {r.decodes:7d} {r.busy:5.2f}"
        )
    lines.append(
        f"overall: WER whole-file {pct(summary.whole_wer).strip()}, streamed {pct(summary.live_wer).strip()} "
        f"(reference words weighted); end of audio to final transcript median {summary.finish_median:.2f} s, "
        f"max {summary.finish_max:.2f} s; "
        + (
            f"keeping up not judged: no clip of {KEEP_UP_MIN_SECONDS:g} s or more"
            if summary.keeps_up is None
            else f"decoder busy at most {100 * summary.busy_max:.0f}% of real time on clips of {KEEP_UP_MIN_SECONDS:g} s or more: "
            + ("keeps up with real time" if summary.keeps_up else "does NOT keep up with real time")
        )
    )
    return "\n".join(lines)


def run_live_bench(
    settings: Settings,
    models: list[str],
    folder: Path,
    speed: float = 1.0,
    only: list[str] | None = None,
    on_clip=None,
    joined_seconds: float = 0.0,
) -> Iterator[ModelSummary]:
    """Every clip (or those named in `only`) through each model in turn, yielding each model's summary
    as soon as it is done; `on_clip(label, result)` as each clip ends. With `joined_seconds`, one more
    row: the clips joined into an answer that long."""
    clips = read_manifest(folder, scored_only=False)
    if only:
        unknown = sorted(set(only) - {c.file for c in clips})
        if unknown:
            raise BenchError(
                f"No clip named {', '.join(unknown)} in {folder / 'manifest.tsv'}; "
                f"valid names are {', '.join(c.file for c in clips)}."
            )
        clips = [c for c in clips if c.file in only]
    for name in models:
        model = Model(replace(settings, model=name))
        results = []
        runs = [(clip, None) for clip in clips]
        if joined_seconds > 0:
            samples, reference = joined_answer(clips, joined_seconds)
            joined = f"[joined-answer-{len(samples) / SAMPLE_RATE:.0f}s]"
            runs.append((Clip(folder / joined, reference), samples))
        for clip, samples in runs:
            result = run_clip(model, clip, speed=speed, samples=samples)
            log.info("%s %s: %s", model.label, clip.file, result)
            if on_clip:
                on_clip(model.label, result)
            results.append(result)
        yield summarize(model.label, results)
