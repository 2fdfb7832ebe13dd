"""The `rehearse` command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from . import analysis, bank, pipeline
from .errors import RehearseError
from .settings import Settings, load_settings
from .transcribe import Model

log = logging.getLogger("rehearse")


def cmd_transcribe(args: argparse.Namespace, settings: Settings) -> int:
    model = Model(settings)
    results, failed = [], 0
    for name in args.files:
        try:
            result, _duration = pipeline.transcribe_checked(settings, model, Path(name))
        except RehearseError as exc:
            print(f"rehearse: {name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        words = [asdict(w) for w in result.words]
        metrics = analysis.analyze(result.text, words, result.duration, settings)
        sure = analysis.confidence(words)
        if sure is not None and sure < analysis.LOW_CONFIDENCE:
            print(f"rehearse: {name}: {analysis.low_confidence_message(sure)}", file=sys.stderr)
        if args.json:
            results.append({"file": name, **result.to_dict(), "metrics": metrics.to_dict()})
        else:
            if len(args.files) > 1:
                print(f"== {name}")
            print(result.text)
    if args.json:
        print(json.dumps(results[0] if len(args.files) == 1 and results else results, indent=2))
    return 1 if failed else 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    library = bank.load_library(settings)
    for problem in library.problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"{len(library.questions)} questions and {len(library.drills)} drills loaded, {len(library.problems)} broken file(s)")
    return 1 if library.problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rehearse", description="Practise interview answers out loud, privately.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("transcribe", help="transcribe audio files with the configured model")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print JSON with text, duration, word timings, model and seconds (an array for several files)")
    p.set_defaults(func=cmd_transcribe)
    p = sub.add_parser("check", help="validate every question bank and drill file")
    p.set_defaults(func=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args, load_settings())
    except RehearseError as exc:
        print(f"rehearse: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
