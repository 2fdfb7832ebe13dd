"""Speech-recognition benchmark: which decoding configuration keeps "um" and "uh" without losing words.

`rehearse bench asr --clips DIR` reads DIR/manifest.tsv (tab-separated, with at least the columns
`file` and `reference_transcript`; rows with an empty reference are skipped) and prints, for every
configuration, the real-time factor, the word error rate on normalised text with the filled pauses
left out, and the filler recall: the filled pauses of the reference that the transcript kept, in
the same place. `rehearse bench speak DIR` writes such a folder of Piper speech with fillers.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rehearse.bench.accuracy import FILLED_PAUSES, edit_distance, filler_retention, normalize
from rehearse.errors import BenchError
from rehearse.speech.audio import atomic_write, wav_bytes
from rehearse.speech.transcribe import DISFLUENT_PROMPT, SAMPLE_RATE, DecodeOptions, Model, decode, transcribe

# The default prompt (transcribe.DISFLUENT_PROMPT) against a longer, chattier one, which made
# tiny.en skip the first 20 s of a read sonnet: the wording matters as much as having a prompt.
CHATTY_PROMPT = "Um, so, uh, I was, um, I mean, we were like, uh, hmm, you know, working on it."

# All greedy. Sequential decoding in 30 s windows, with or without condition_on_previous_text
# ("conditioned"), against speech chunks cut by voice activity detection ("VAD chunks").
_SEQUENTIAL = DecodeOptions(chunked=False)
CONFIGS: dict[str, DecodeOptions] = {
    "no prompt, conditioned (before)": replace(_SEQUENTIAL, initial_prompt=None),
    "no prompt, not conditioned": replace(_SEQUENTIAL, initial_prompt=None, condition_on_previous_text=False),
    "chatty prompt, conditioned": replace(_SEQUENTIAL, initial_prompt=CHATTY_PROMPT),
    "prompt, conditioned": _SEQUENTIAL,
    "prompt, not conditioned": replace(_SEQUENTIAL, condition_on_previous_text=False),
    "prompt as hotwords, not conditioned": replace(
        _SEQUENTIAL, initial_prompt=None, hotwords=DISFLUENT_PROMPT, condition_on_previous_text=False
    ),
    "no prompt, VAD chunks": DecodeOptions(initial_prompt=None),
    "prompt, VAD chunks": DecodeOptions(),
}

# Interview answers with fillers where people put them, for Piper to speak (it says "um" and
# "uh" aloud). The last three run past 30 s, where Whisper decodes more than one window.
FILLER_SCRIPTS: tuple[str, ...] = (
    "Um, so the project started in March, and uh, I was the one leading it.",
    "I think, um, the hardest part was getting the finance team on board.",
    "Uh, we had about six weeks, and um, the deadline could not move.",
    "So I met with their director, uh, every week, and we agreed on a plan.",
    "What I learned, um, is to write down the risks on the first day.",
    "My mistake was, uh, that I did not ask the support team what they needed.",
    "Hmm, let me think. Uh, I would say the result was a big drop in support tickets.",
    "Um, at the time I was working at a small logistics company in Denver, and uh, our warehouse "
    "software kept losing orders. My job was to, um, find out why and fix it before the holiday "
    "season. So I, uh, I started by sitting with the night shift for a week, and I wrote down every "
    "order that went missing. Um, it turned out that the scanners lost their connection in the back "
    "of the building. I asked our network engineer, Priya, to, uh, put two more access points "
    "there, and I changed the software so that it, um, kept the scans and sent them again later. "
    "As a result, uh, we lost no orders at all over the holidays. What I learned is, um, to watch "
    "the work before I change the code.",
    "Uh, the biggest mistake I made was, um, on a launch two years ago. I promised the sales team a "
    "date before I had, uh, talked to the engineers, and um, the date was not realistic. We missed "
    "it by three weeks, and uh, the sales team had already told customers. I should have asked the "
    "engineers first. Um, so I went to the sales director, I told her it was my fault, and uh, we "
    "wrote to every customer together. Since then, um, I never give a date until the people doing "
    "the work have, uh, agreed to it.",
    "So, um, in my last role I was the team lead for the mobile app at a bank in Toronto. Uh, we had "
    "a problem: the app crashed for about one user in fifty every day, and um, the reviews were "
    "getting worse every week. My manager, uh, asked me to bring the crash rate down before the next "
    "quarter. First I, um, I set up crash reporting so that we could see which screens were failing. "
    "Then I, uh, sorted the crashes by how many people they hit, and I found that three bugs caused "
    "most of them. I paired with, um, two engineers from the payments team, because uh, the worst bug "
    "was in their code. We fixed all three in, um, about four weeks. Uh, I also added a test for "
    "each one, so that they could not come back. In the end, the crash rate went down from two "
    "percent to, uh, a tenth of a percent, and um, the rating in the store went up from three stars "
    "to four and a half. Looking back, um, I would have set up the crash reporting much earlier, "
    "because uh, without the data we were just guessing.",
)


@dataclass(frozen=True)
class Clip:
    path: Path
    reference: str  # empty where the manifest has none: such a clip can be timed, not scored

    @property
    def file(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Result:
    config: str
    clips: int
    audio_seconds: float
    seconds: float
    reference_words: int
    word_errors: int
    reference_fillers: int
    kept_fillers: int
    added_fillers: int

    @property
    def rtf(self) -> float:
        return self.seconds / self.audio_seconds if self.audio_seconds else 0.0

    @property
    def wer(self) -> float:
        return self.word_errors / self.reference_words if self.reference_words else 0.0

    @property
    def filler_recall(self) -> float | None:
        return self.kept_fillers / self.reference_fillers if self.reference_fillers else None


def select(names: Iterable[str]) -> dict[str, DecodeOptions]:
    """The named configurations (all of them when none are named); BenchError for an unknown name."""
    names = list(names)
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        raise BenchError(
            f"unknown configuration(s) {', '.join(map(repr, unknown))}; valid ones are {', '.join(map(repr, CONFIGS))}"
        )
    return {n: CONFIGS[n] for n in names} if names else dict(CONFIGS)


def read_manifest(folder: Path, scored_only: bool = True) -> list[Clip]:
    """The clips listed in folder/manifest.tsv; with `scored_only`, only those with a reference."""
    manifest = folder / "manifest.tsv"
    if not manifest.is_file():
        raise BenchError(
            f"{manifest} does not exist; --clips needs a folder with a manifest.tsv "
            "(tab-separated, columns file and reference_transcript)."
        )
    with open(manifest, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = {"file", "reference_transcript"} - set(reader.fieldnames or ())
        if missing:
            raise BenchError(
                f"{manifest} has no column(s) {', '.join(sorted(missing))}; "
                f"its columns are {', '.join(reader.fieldnames or ()) or 'none'}."
            )
        clips = [
            Clip(folder / row["file"], (row["reference_transcript"] or "").strip())
            for row in reader
            if not scored_only or (row["reference_transcript"] or "").strip()
        ]
    absent = [c.path.name for c in clips if not c.path.is_file()]
    if absent:
        raise BenchError(f"{manifest} names file(s) that are not in {folder}: {', '.join(absent)}")
    if not clips:
        raise BenchError(
            f"{manifest} has no row with a reference_transcript; nothing to score."
            if scored_only
            else f"{manifest} lists no clips."
        )
    return clips


def run_asr(
    model: Model,
    clips: Iterable[Clip],
    configs: dict[str, DecodeOptions],
    on_clip: Callable[[str, Clip, str], None] | None = None,
) -> list[Result]:
    """Every configuration over every clip. Audio is decoded once, outside the timed part, and the
    configurations take turns on each clip, so a machine that gets busier during the run slows
    them all alike and the real-time factors stay comparable."""
    drop = frozenset(FILLED_PAUSES)
    totals = {name: [0, 0.0, 0.0, 0, 0, 0, 0, 0] for name in configs}
    for clip in clips:
        samples = decode(clip.path)
        ref = normalize(clip.reference)
        ref_words = [w for w in ref if w not in drop]
        for name, options in configs.items():
            out = transcribe(model, samples, options)
            if on_clip:
                on_clip(name, clip, out.text)
            hyp = normalize(out.text)
            t = totals[name]
            t[0] += 1
            t[1] += len(samples) / SAMPLE_RATE
            t[2] += out.seconds
            t[3] += len(ref_words)
            t[4] += edit_distance(ref_words, [w for w in hyp if w not in drop])
            for k, v in enumerate(filler_retention(ref, hyp), 5):
                t[k] += v
    return [Result(name, *t) for name, t in totals.items()]


def table(results: list[Result]) -> str:
    """A Markdown table, ready for the README. Time is also given relative to the first row."""
    lines = [
        "| configuration | real-time factor | time vs first row | WER, fillers left out | filler recall | fillers added |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    first = results[0] if results else None
    for r in results:
        name = f"{r.config} **(default)**" if CONFIGS.get(r.config) == DecodeOptions() else r.config
        recall = "n/a" if r.filler_recall is None else f"{r.filler_recall:.0%} ({r.kept_fillers}/{r.reference_fillers})"
        relative = f"{r.seconds / first.seconds:.2f}×" if first and first.seconds else "n/a"
        lines.append(f"| {name} | {r.rtf:.3f} | {relative} | {r.wer:.1%} | {recall} | {r.added_fillers} |")
    if first:
        lines.append("")
        lines.append(
            f"{first.clips} clips, {first.audio_seconds:.0f} s of audio, {first.reference_words} "
            f"reference words, {first.reference_fillers} filled pauses in the references."
        )
    return "\n".join(lines)


def speak_clips(
    synthesize: Callable[[str], tuple[np.ndarray, int]],
    folder: Path,
    scripts: Iterable[str] = FILLER_SCRIPTS,
    pad: float = 0.5,
) -> list[Clip]:
    """Write each script as a 16 kHz WAV with `pad` s of silence around it, plus manifest.tsv."""
    folder.mkdir(parents=True, exist_ok=True)
    silence = np.zeros(int(SAMPLE_RATE * pad), dtype=np.float32)
    clips = []
    for i, text in enumerate(scripts):
        samples, rate = synthesize(text)
        raw = folder / f".raw{i}.wav"
        atomic_write(raw, wav_bytes(samples, rate))
        at16k = decode(raw)  # the decoder's resampler, as for any recording
        raw.unlink()
        path = folder / f"fillers{i:02d}.wav"
        atomic_write(path, wav_bytes(np.concatenate([silence, at16k, silence]), SAMPLE_RATE))
        clips.append(Clip(path, text))
    rows = ["file\treference_transcript"] + [f"{c.path.name}\t{c.reference}" for c in clips]
    atomic_write(folder / "manifest.tsv", ("\n".join(rows) + "\n").encode())
    return clips
