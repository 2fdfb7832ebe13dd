"""Speech-recognition benchmark: which decoding configuration keeps "um" and "uh" without losing
words or inventing them, which final model, and whether the user's vocabulary spells names right.

`rehearse bench asr` reads --speech DIR/manifest.tsv (default: the shared speech clips;
tab-separated, with at least the columns `file` and `reference_transcript`; rows with an empty
reference are skipped; --clips N keeps the first N) and prints, for every configuration, the
real-time factor, the word error rate on normalised text with the filled pauses left out, the
filler recall (the filled pauses of the reference that the transcript kept, in the same place) and
the fillers added (filled pauses where the reference has none). --piper adds Piper speech with
fillers; --models A,B compares final models, with seconds after stop and resident memory;
--vocabulary measures name recall with and without the vocabulary. `rehearse bench speak DIR`
writes a folder of Piper speech with fillers.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rehearse.bench.accuracy import FILLED_PAUSES, align, edit_distance, filler_retention, normalize
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
        added = f"{r.added_fillers}" + (
            f" ({r.added_fillers / r.reference_fillers:.0%})" if r.reference_fillers else ""
        )
        lines.append(f"| {name} | {r.rtf:.3f} | {relative} | {r.wer:.1%} | {recall} | {added} |")
    if first:
        lines.append("")
        lines.append(
            f"{first.clips} clips, {first.audio_seconds:.0f} s of audio, {first.reference_words} "
            f"reference words, {first.reference_fillers} filled pauses in the references. Fillers added: "
            "filled pauses in a transcript where the reference has none (in brackets, as a share of the reference's)."
        )
        default = next((r for r in results if CONFIGS.get(r.config) == DecodeOptions()), None)
        if default and default.filler_recall is not None:
            lines.append(
                f"Default decoding: filler recall {default.filler_recall:.0%}, fillers added {default.added_fillers} "
                f"({default.added_fillers / default.reference_fillers:.0%} of the reference's)."
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


# --- Names: does the user's vocabulary reach the decoder? --------------------------------------
# Interview answers full of the names of people, companies, products and places (24 distinct),
# for Piper to speak; the vocabulary the decoder is told is NAMES.
NAMES: tuple[str, ...] = (
    "Northwind", "Shopify", "Priya", "Dana", "Okonkwo", "Kubernetes", "Zendesk", "Stripe", "Tallinn",
    "Marisol", "Figma", "Contoso", "Snowflake", "Aarav", "Grafana", "Tromsø", "Wojciech", "Datadog",
    "Fabrikam", "Siobhan", "Lisbon", "Xiomara", "Notion", "Jira",
)  # fmt: skip
NAME_SCRIPTS: tuple[str, ...] = (
    "At Northwind I led the move from our own servers to Shopify, together with Priya and Dana from the platform team.",
    "My manager, Mr Okonkwo, asked me to cut our Kubernetes costs, so I moved the batch jobs to Snowflake and watched them in Grafana.",
    "Support tickets came in through Zendesk, and payments went through Stripe, so I paired with Marisol on the billing bugs.",
    "I worked for Contoso in Tallinn for two years, and then I joined Fabrikam in Lisbon as a product designer using Figma.",
    "Our alerts lived in Datadog, and Wojciech and Siobhan wrote the runbooks in Notion while Aarav tracked the work in Jira.",
    "When Xiomara opened the office in Tromsø, she asked me to hire the first three engineers.",
)


@dataclass(frozen=True)
class NameResult:
    config: str
    clips: int
    names: int  # name occurrences in the references
    names_right: int  # spelled as the vocabulary spells them, in the transcript
    other_words: int  # reference words that are not part of a name
    other_errors: int  # word errors on those words (insertions next to a name not counted)
    seconds: float
    audio_seconds: float

    @property
    def recall(self) -> float:
        return self.names_right / self.names if self.names else 0.0

    @property
    def other_wer(self) -> float:
        return self.other_errors / self.other_words if self.other_words else 0.0


def _find(words: list[str], phrase: list[str]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(words) - n + 1) if words[i : i + n] == phrase]


def name_scores(reference: str, hypothesis: str, names: Iterable[str]) -> tuple[int, int, int, int]:
    """(name occurrences in the reference, how many the hypothesis spells right, other reference
    words, word errors on them). Names are compared on normalised words (case and punctuation
    aside, letters exact); errors on the other words come from a minimum-edit alignment in which
    the name words are masked, and an insertion beside a name counts against the name, not the rest."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    phrases = [normalize(n) for n in names]
    in_name = [False] * len(ref)
    total = right = 0
    for phrase in phrases:
        if not phrase:
            continue
        at = _find(ref, phrase)
        total += len(at)
        right += min(len(at), len(_find(hyp, phrase)))
        for i in at:
            for k in range(i, i + len(phrase)):
                in_name[k] = True
    masked = ["<name>" if m else w for w, m in zip(ref, in_name)]
    pairs = align(masked, hyp)
    errors = 0
    for k, (r, h) in enumerate(pairs):
        if r == "<name>":
            continue
        if r is None:
            near = [pairs[j][0] for j in (k - 1, k + 1) if 0 <= j < len(pairs)]
            if "<name>" in near:
                continue
            errors += 1
        elif r != h:
            errors += 1
    return total, right, len(ref) - sum(in_name), errors


def run_names(
    model: Model,
    clips: Iterable[Clip],
    configs: dict[str, DecodeOptions],
    names: Iterable[str] = NAMES,
    on_clip: Callable[[str, Clip, str], None] | None = None,
) -> list[NameResult]:
    """Name recall and the error rate on the other words, per configuration, the configurations taking turns per clip."""
    names = tuple(names)
    totals = {name: [0, 0, 0, 0, 0, 0.0, 0.0] for name in configs}
    for clip in clips:
        samples = decode(clip.path)
        for config, options in configs.items():
            out = transcribe(model, samples, options)
            if on_clip:
                on_clip(config, clip, out.text)
            t = totals[config]
            t[0] += 1
            for k, v in enumerate(name_scores(clip.reference, out.text, names), 1):
                t[k] += v
            t[5] += out.seconds
            t[6] += len(samples) / SAMPLE_RATE
    return [NameResult(config, *t) for config, t in totals.items()]


def names_table(results: list[NameResult]) -> str:
    lines = [
        "| vocabulary | name recall | WER on the other words | real-time factor |",
        "| --- | ---: | ---: | ---: |",
    ]
    for r in results:
        rtf = r.seconds / r.audio_seconds if r.audio_seconds else 0.0
        lines.append(
            f"| {r.config} | {r.recall:.0%} ({r.names_right}/{r.names}) | {r.other_wer:.1%} ({r.other_errors}/{r.other_words}) | {rtf:.3f} |"
        )
    if results:
        lines.append("")
        lines.append(f"{results[0].clips} clips of Piper speech, {len(NAMES)} distinct names in the vocabulary.")
    return "\n".join(lines)


# --- Models side by side: accuracy, time after stop, memory ------------------------------------
@dataclass(frozen=True)
class StopTimes:
    """Seconds after stop for one answer length: the live text (tiny.en streaming, its last
    chunk still to decode) and the final pass with this model over the whole recording."""

    answer_seconds: float
    live_text: float
    final_pass: float


def after_stop(live: Model, final: Model, samples: np.ndarray, step_seconds: float = 1.0) -> StopTimes:
    """Times for one answer. The live transcriber is given everything but the last `step_seconds`
    and brought up to date (what it has done by the time the user stops, at its worst point in the
    step), then the rest, and `finish()` is timed; the final pass decodes the whole answer again."""
    from rehearse.speech.live import LiveOptions, LiveTranscriber

    cut = max(0, len(samples) - int(step_seconds * SAMPLE_RATE))
    streamer = LiveTranscriber(live, live=LiveOptions(step_seconds=step_seconds))
    streamer.feed(samples[:cut])
    streamer.step()
    streamer.feed(samples[cut:])
    streamer.finish()
    out = transcribe(final, samples)
    return StopTimes(round(len(samples) / SAMPLE_RATE, 1), streamer.finish_seconds, out.seconds)


def models_table(results: list[Result], stops: dict[str, list[StopTimes]]) -> str:
    """Models side by side on the same clips, the default decoding."""
    lengths = [s.answer_seconds for s in next(iter(stops.values()), [])]
    head = "".join(f" after stop, {n:.0f} s answer: live text / final pass |" for n in lengths)
    lines = [
        f"| final model | WER, fillers left out | filler recall | fillers added | real-time factor |{head}",
        "| --- | ---: | ---: | ---: | ---: |" + " ---: |" * len(lengths),
    ]
    for r in results:
        recall = "n/a" if r.filler_recall is None else f"{r.filler_recall:.0%} ({r.kept_fillers}/{r.reference_fillers})"
        added = f"{r.added_fillers}" + (
            f" ({r.added_fillers / r.reference_fillers:.0%})" if r.reference_fillers else ""
        )
        times = "".join(f" {s.live_text:.2f} s / {s.final_pass:.1f} s |" for s in stops.get(r.config, []))
        lines.append(f"| {r.config} | {r.wer:.1%} | {recall} | {added} | {r.rtf:.3f} |{times}")
    if results:
        first = results[0]
        lines.append("")
        lines.append(
            f"{first.clips} clips, {first.audio_seconds:.0f} s of audio, {first.reference_words} reference words, "
            f"{first.reference_fillers} filled pauses in the references. Live text: tiny.en streaming, 1 thread."
        )
    return "\n".join(lines)
