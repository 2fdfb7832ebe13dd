"""The `rehearse` command line."""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import sys
from dataclasses import asdict, replace
from pathlib import Path

from rehearse.errors import BenchError, RehearseError
from rehearse.library import bank
from rehearse.measure import analysis
from rehearse.practice import pipeline
from rehearse.settings import Settings, load_settings
from rehearse.speech.final import load_final
from rehearse.speech.transcribe import DecodeOptions, Model
from rehearse.terminal import drill

log = logging.getLogger("rehearse")


def cmd_transcribe(args: argparse.Namespace, settings: Settings) -> int:
    model = load_final(settings)
    results, failed = [], 0
    for name in args.files:
        try:
            result, _duration = pipeline.transcribe_checked(settings, model, Path(name))
        except RehearseError as exc:
            print(f"rehearse: {name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        words = [asdict(w) for w in result.words]
        metrics = analysis.analyze(
            result.text,
            words,
            result.duration,
            settings,
            tuple(args.target) if args.target else None,
            category=args.category,
        )
        sure = analysis.confidence(words)
        if sure is not None and sure < analysis.LOW_CONFIDENCE:
            print(f"rehearse: {name}: {analysis.low_confidence_message(sure)}", file=sys.stderr)
        if args.json:
            results.append({"file": name, **result.to_dict(), "metrics": metrics.to_dict()})
        else:
            if len(args.files) > 1:
                print(f"== {name}")
            print(result.text)
            if args.feedback:
                from rehearse.measure import feedback

                print("\n".join(["", *feedback.text_lines(metrics.to_dict()), feedback.FILLER_NOTE]))
    if args.json:
        print(json.dumps(results[0] if len(args.files) == 1 and results else results, indent=2))
    return 1 if failed else 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    library = bank.load_library(settings)
    for problem in library.problems:
        print(f"error: {problem}", file=sys.stderr)
    print(
        f"{len(library.questions)} questions and {len(library.drills)} drills loaded, {len(library.problems)} broken file(s)"
    )
    return 1 if library.problems else 0


def _bench_clips(args: argparse.Namespace, settings: Settings) -> list:
    """The scored clips: --speech DIR (or the shared speech clips), the first --clips N of them,
    plus Piper speech with fillers with --piper (spoken once into the data folder and kept)."""
    from rehearse.bench import asr
    from rehearse.bench import live as bench_live

    folder, limit = args.speech, None
    if args.clips is not None:
        if args.clips.isdigit():
            limit = int(args.clips)
        else:
            folder = args.clips  # the older `--clips DIR`
    # A folder named on the command line must hold a manifest (read_manifest says what is wrong);
    # without one, the shared clips beside the checkout, when they are there.
    found = Path(folder) if folder else bench_live.speech_dir(None)
    clips = asr.read_manifest(found) if found else []
    if limit is not None:
        clips = clips[:limit]
    if args.piper:
        clips += _spoken(settings, "fillers", asr.FILLER_SCRIPTS)[: limit if limit is not None else None]
    if not clips:
        raise BenchError("No clips to score: give --speech DIR (a folder with manifest.tsv) or --piper.")
    return clips


def _spoken(settings: Settings, name: str, scripts: tuple[str, ...]) -> list:
    """Piper speaking `scripts`, written once to <home>/bench/<name> and read from there afterwards."""
    from rehearse.bench import asr
    from rehearse.speech.voice import Voice

    folder = settings.home / "bench" / name
    if (folder / "manifest.tsv").is_file():
        clips = asr.read_manifest(folder)
        if [c.reference for c in clips] == list(scripts):
            return clips
    return asr.speak_clips(functools.partial(Voice(settings).synthesize, steady=True), folder, scripts)


def cmd_bench_asr(args: argparse.Namespace, settings: Settings) -> int:
    from rehearse.bench import asr
    from rehearse.bench import live as bench_live
    from rehearse.speech import final, memory
    from rehearse.speech.vocabulary import decode_options
    from rehearse.speech.voice import Voice

    show = (
        (lambda name, clip, text: print(f"[{name}] {clip.path.name}: {text}", file=sys.stderr, flush=True))
        if args.verbose
        else None
    )
    names = [m.strip() for m in (args.models or settings.final_model or "tiny.en").split(",") if m.strip()]
    loaded: dict[Settings, Model] = {}

    def model(name: str) -> Model:
        key = final.final_settings(replace(settings, final_model=name))
        if key not in loaded:
            loaded[key] = Model(key)
        return loaded[key]

    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} core(s)", flush=True)
    if args.vocabulary:
        clips = _spoken(settings, "names", asr.NAME_SCRIPTS)[
            : int(args.clips) if (args.clips or "").isdigit() else None
        ]
        configs = {
            "none": DecodeOptions(),
            "hotwords (default)": decode_options(asr.NAMES),
            "in the prompt": decode_options(asr.NAMES, how="prompt"),
        }
        for name in names:
            print(f"\n{model(name).label}\n")
            print(asr.names_table(asr.run_names(model(name), clips, configs, on_clip=show)), flush=True)
        return 0
    clips = _bench_clips(args, settings)
    if not args.models:
        configs = asr.select(args.config)
        print(f"model: {model(names[0]).label}\n")
        print(asr.table(asr.run_asr(model(names[0]), clips, configs, on_clip=show)))
        return 0
    # As the app holds them: tiny.en for the live words on one thread, each final model, the voice.
    live = Model(final.live_settings(settings))
    loaded[final.live_settings(settings)] = live
    Voice(settings).synthesize("Tell me about a project you led.", steady=True)
    for name in names:
        model(name)
    loaded_mb = memory.resident_mb()[0]
    results, stops = [], {}
    answers = []
    found = bench_live.speech_dir(Path(args.speech) if args.speech else None)
    if found and not args.no_stop:
        shared = asr.read_manifest(found)
        answers = [bench_live.joined_answer(shared, n)[0] for n in (24, 180)]
        answers = [a[: n * 16000] for a, n in zip(answers, (24, 180))]
    for name in names:
        [result] = asr.run_asr(model(name), clips, {"default": DecodeOptions()}, on_clip=show)
        results.append(replace(result, config=name))
        stops[name] = [asr.after_stop(live, model(name), a) for a in answers]
        print(f"  {name} done", file=sys.stderr, flush=True)
    print(asr.models_table(results, stops))
    now, peak = memory.resident_mb()
    print(
        f"\nresident memory of this process holding {', '.join(m.label for m in loaded.values())} "
        f"and the Piper voice: {loaded_mb:.0f} MB loaded, {now:.0f} MB after decoding every clip and answer "
        f"(peak {peak:.0f} MB, while loading or decoding)"
    )
    print(f"load average after: {os.getloadavg()[0]:.1f} (other work on the machine slows every figure)")
    return 0


def cmd_bench_speak(args: argparse.Namespace, settings: Settings) -> int:
    from rehearse.bench import asr
    from rehearse.speech.voice import Voice

    clips = asr.speak_clips(functools.partial(Voice(settings).synthesize, steady=True), Path(args.folder))
    print(f"wrote {len(clips)} clips and manifest.tsv to {args.folder}")


def cmd_bench_memory(args: argparse.Namespace, settings: Settings) -> int:
    from rehearse.bench import memory
    from rehearse.speech.voice import Voice

    answer = memory.answer_audio(
        settings.home / "bench", Path(args.speech) if args.speech else None, Voice(settings).synthesize
    )
    ways = tuple(args.way) if args.way else memory.WAYS
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} core(s); answer {answer}", flush=True)
    print(memory.table(memory.run_bench(answer, ways)))
    return 0


def cmd_bench_live(args: argparse.Namespace, settings: Settings) -> int:
    from rehearse.bench import live as bench

    folder = bench.speech_dir(Path(args.speech) if args.speech else None)
    if folder is None:
        print(
            "rehearse: no speech clips found: give --speech DIR (a folder with manifest.tsv), "
            "or put them in shared/speech beside the checkout",
            file=sys.stderr,
        )
        return 2
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    print(
        f"clips from {folder}, streamed at {args.speed:g}x real time on {os.cpu_count()} core(s), "
        f"{settings.cpu_threads} thread(s); load average before: {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    for summary in bench.run_live_bench(
        settings,
        models,
        folder,
        args.speed,
        args.clips.split(",") if args.clips else None,
        joined_seconds=args.joined,
        on_clip=lambda label, r: print(
            f"  {label} {r.file}: end->final {r.finish_seconds:.2f} s", file=sys.stderr, flush=True
        ),
    ):
        print()
        print(bench.format_table(summary), flush=True)
    print(f"\nload average after: {os.getloadavg()[0]:.1f} (other work on the machine slows every figure)")
    return 0


def cmd_probe(args: argparse.Namespace, settings: Settings) -> int:
    """The follow-ups an answer invites: an audio file through the real transcription, or a typed
    draft (.txt) measured as text, without timings."""
    from rehearse.practice import probes

    library = bank.load_library(settings)
    question = library.questions.get(args.question)
    if question is None:
        raise RehearseError(
            f"unknown question id '{args.question}'; the ids are in questions/*.toml (rehearse check lists problems)"
        )
    path = Path(args.file)
    if path.suffix.lower() == ".txt":
        try:
            text, words = path.read_text(encoding="utf-8"), []
        except (OSError, UnicodeDecodeError) as exc:
            raise RehearseError(f"{path}: cannot be read as a text answer ({exc})") from None
        if not text.strip():
            raise RehearseError(f"{path}: the file is empty; write the answer you would give in it")
    else:
        if not path.is_file():
            raise RehearseError(f"{path}: no such file; give an audio recording or a .txt draft answer")
        result, _duration = pipeline.transcribe_checked(settings, Model(settings), path)
        text, words = result.text, [asdict(w) for w in result.words]
    found = probes.propose(text, words, question, settings, tone=args.tone)
    if args.json:
        print(json.dumps([p.to_dict() for p in found], indent=2, ensure_ascii=False))
        return 0
    if not found:
        print("No follow-ups: the answer gives nothing to pick up.")
    for n, p in enumerate(found, 1):
        print(f"{n}. {p.text}")
        print(f"   ({p.why}{probes.at_time(p.start)})")
    return 0


def cmd_bench_probes(args: argparse.Namespace, settings: Settings) -> int:
    from rehearse.bench import probes as bench_probes

    path = bench_probes.answers_file(Path(args.answers) if args.answers else None)
    library = bank.load_library(settings)
    summary, results = bench_probes.run(path, library.questions, settings)
    print(f"== {path}")
    print(bench_probes.format_report(summary, results, verbose=args.verbose_answers))
    return 0


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    from rehearse.speech.transcribe import model_choices

    for choice in model_choices():
        state = "installed" if choice.present else "not installed"
        print(f"{choice.name:8} {state:14} {choice.source}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rehearse", description="Practise interview answers out loud, privately.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    bench_parser = sub.add_parser("bench", help="measure speech recognition (see README)")
    bench_sub = bench_parser.add_subparsers(dest="bench", required=True)
    p = bench_sub.add_parser(
        "asr", help="real-time factor, word error rate and filler recall per decoding configuration"
    )
    p.add_argument(
        "--speech",
        metavar="DIR",
        help="folder with manifest.tsv (columns file, reference_transcript); default: the shared speech clips",
    )
    p.add_argument("--clips", metavar="N", help="only the first N clips (a folder here is read as --speech)")
    p.add_argument("--piper", action="store_true", help="also Piper speech of interview answers with fillers")
    p.add_argument("--config", action="append", default=[], metavar="NAME", help="only this configuration (repeatable)")
    p.add_argument(
        "--models",
        metavar="A,B",
        help="final models side by side (e.g. tiny.en,base): accuracy, seconds after stop, resident memory",
    )
    p.add_argument("--no-stop", action="store_true", help="with --models: skip the 24 s and 3-minute answers")
    p.add_argument(
        "--vocabulary", action="store_true", help="name recall with and without the vocabulary, on Piper speech"
    )
    p.set_defaults(func=cmd_bench_asr)
    p = bench_sub.add_parser(
        "memory", help="resident memory of the app's speech parts through a drill, now and as before (int8, arena)"
    )
    p.add_argument("--speech", metavar="DIR", help="folder with manifest.tsv; default: the shared speech clips")
    p.add_argument("--way", action="append", choices=("now", "before"), help="only this way (repeatable)")
    p.set_defaults(func=cmd_bench_memory)
    p = bench_sub.add_parser("speak", help="write Piper speech of interview answers with fillers, plus manifest.tsv")
    p.add_argument("folder", metavar="DIR")
    p.set_defaults(func=cmd_bench_speak)
    p = sub.add_parser("transcribe", help="transcribe audio files with the configured model")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--json",
        action="store_true",
        help="print JSON with text, duration, word timings, model, seconds and metrics (an array for several files)",
    )
    p.add_argument(
        "--category",
        choices=bank.CATEGORIES,
        help="the question's category, for the content feedback (failure: owning the mistake)",
    )
    p.add_argument(
        "--target", nargs=2, type=float, metavar=("MIN", "MAX"), help="the answer length to aim for, in seconds"
    )
    p.add_argument("--feedback", action="store_true", help="print the feedback under each transcript (without --json)")
    p.set_defaults(func=cmd_transcribe)
    from rehearse.store import export  # imported here so this block stands alone

    p = sub.add_parser(
        "export", help="export one session or everything as Markdown, CSV or JSON, or make a backup archive"
    )
    p.add_argument(
        "--format",
        choices=["markdown", "csv", "json", "backup"],
        default="markdown",
        help="markdown (a readable report), csv, json, or backup (a zip of the database and audio)",
    )
    p.add_argument("--session", metavar="ID", help="only this session (its id, or enough of its start to be unique)")
    p.add_argument(
        "-o", "--output", metavar="FILE", help="write here (default: standard output; a backup gets a dated file name)"
    )
    p.add_argument("--list", action="store_true", help="list the sessions with their ids and stop")
    p.set_defaults(func=export.cmd_export)
    p = sub.add_parser("restore", help="restore a backup archive into an empty data folder")
    p.add_argument("archive", metavar="ARCHIVE")
    p.add_argument(
        "--into",
        metavar="DIR",
        help="the data folder to restore into (default: REHEARSE_HOME or the user data folder); must be empty",
    )
    p.set_defaults(func=export.cmd_restore)
    p = sub.add_parser("check", help="validate every question bank and drill file")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser(
        "drill",
        help="run a drill in the terminal with the local microphone and speakers (lists the drills without DRILL)",
    )
    p.add_argument("drill", nargs="?", metavar="DRILL", help="the drill id, as `rehearse drill` lists them")
    p.add_argument(
        "--input",
        metavar="DEVICE",
        help="microphone: index or name from `rehearse devices` (default: the system default)",
    )
    p.add_argument("--output", metavar="DEVICE", help="speakers or headphones: index or name from `rehearse devices`")
    p.add_argument(
        "--silence",
        type=drill.seconds_arg,
        metavar="SECONDS",
        help="stop recording after this many seconds of silence once you have spoken; 0 = Enter only "
        "(default: REHEARSE_STOP_SILENCE or 3)",
    )
    p.set_defaults(func=drill.cmd_drill)
    p = sub.add_parser("devices", help="list the audio input and output devices the terminal drill can use")
    p.set_defaults(func=drill.cmd_devices)
    p = sub.add_parser(
        "probe", help="the follow-ups an answer invites: an audio file (transcribed) or a .txt draft answer"
    )
    p.add_argument("--question", required=True, metavar="ID", help="the question answered (its id in questions/)")
    p.add_argument("file", metavar="FILE", help="an audio recording, or a .txt file with a typed answer")
    p.add_argument(
        "--json", action="store_true", help="print a JSON list of {kind, text, evidence, start, why}, best first"
    )
    p.add_argument("--tone", choices=["plain", "blunt"], default="plain", help="how the follow-ups are worded")
    p.set_defaults(func=cmd_probe)
    p = sub.add_parser("models", help="list the speech models that ship as packages and whether each is installed")
    p.set_defaults(func=cmd_models)
    p = bench_sub.add_parser("live", help="streamed vs whole-file transcription of the shared speech clips")
    p.add_argument(
        "--models", default="tiny.en", help="comma-separated model names, e.g. tiny.en,base (default tiny.en)"
    )
    p.add_argument(
        "--speech",
        metavar="DIR",
        help="folder with manifest.tsv and the clips (default shared/speech beside the checkout)",
    )
    p.add_argument(
        "--speed", type=float, default=1.0, help="feed audio this many times faster than real time (default 1)"
    )
    p.add_argument("--clips", help="comma-separated clip file names (default all)")
    p.add_argument(
        "--joined",
        type=float,
        default=180.0,
        metavar="SECONDS",
        help="also the clips joined into one answer this long (default 180, the longest answer aimed at; 0 for none)",
    )
    p.set_defaults(func=cmd_bench_live)
    p = bench_sub.add_parser(
        "probes", help="recall, top-1 and grounding of the listening follow-ups on labelled answers"
    )
    p.add_argument(
        "--answers", metavar="FILE", help="labelled answers TOML (default shared/answers/dev.toml beside the checkout)"
    )
    p.add_argument("--verbose-answers", action="store_true", help="also print each answer's top 3 and what it missed")
    p.set_defaults(func=cmd_bench_probes)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return args.func(args, load_settings())
    except RehearseError as exc:
        print(f"rehearse: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
