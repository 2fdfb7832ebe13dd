"""Benchmark: history page render and search time with 5,000 stored answers.

    .venv/bin/python scripts/bench_history.py [--answers 5000] [--keep DIR]

Seeds a temporary data folder through the real storage functions (sessions, answers, transcripts
with metrics from the real analysis, ratings and notes spread over a year), then times the real
history page through Streamlit's AppTest and the search functions it calls. Seeded answers carry
no audio: the history list never reads audio files, only the one opened take does.
Targets (issue 4): the history page renders in under 1 s, a search answers in under 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rehearse.library import bank
from rehearse.measure import analysis
from rehearse.practice import history, progress, schedule
from rehearse.settings import load_settings
from rehearse.store import database

FRAGMENTS = [
    "I led the billing migration across four teams",
    "the finance director pushed back on the cost",
    "so I brought her the numbers and a rollback plan",
    "we shipped it two weeks late",
    "um I think",
    "the support team was worried about the weekend",
    "my mistake was not asking them earlier",
    "we cut the processing time from three days to four hours",
    "basically the plan was simple",
    "I met every director one to one before the kickoff",
    "the launch slipped because of testing",
    "I wrote down the risks on the first day",
    "you know it was a hard quarter",
    "and she signed it",
    "the engineers disagreed about the database",
    "I asked for a week to prototype both options",
    "we measured the error rate every morning",
    "the customer escalated to our vice president",
    "I took ownership of the outage review",
    "kind of a turning point for the team",
    "we hired two contractors to cover the gap",
    "the data showed the churn came from onboarding",
    "I gave him direct feedback about the missed reviews",
    "we agreed a weekly check in",
    "the migration saved about forty thousand a year",
    "I learned to share bad news early",
]
NOTES = [
    "Too long, cut the background.",
    "Name the finance director.",
    "Good numbers.",
    "More on my own part.",
    "Fillers again.",
    "Stronger ending needed.",
    "Rushed the middle.",
    "Say what I learned.",
]
SEARCHES = ["finance", "finance director", '"rollback plan"', "outage ownership", "weekend", "zebra"]


def transcript(rng: random.Random) -> str:
    return ". ".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(4, 24))) + "."


def seed(db, settings, answers: int, rng: random.Random, questions: list[bank.Question]) -> int:
    db.execute("PRAGMA synchronous = OFF")  # seeding speed only; the timed reads are unaffected
    start = datetime.now(UTC) - timedelta(days=365)
    made = sessions = 0
    while made < answers:
        when = start + timedelta(days=365 * made / answers)
        sid = database.create_session(db, f"bench-drill-{sessions % 6}", f"Bench drill {sessions % 6}", [])
        sessions += 1
        for q in rng.sample(questions, 3):
            for probe in range(rng.randint(1, min(4, len(q.probes) + 1))):
                if made >= answers:
                    break
                text = transcript(rng)
                aid = database.new_id()
                database.add_answer(
                    db,
                    answer_id=aid,
                    session_id=sid,
                    question_id=q.id,
                    question_text=q.text,
                    probe_index=probe,
                    prompt=q.prompt(probe),
                    audio_path=None,
                    duration=None,
                    status="recorded",
                )
                n = len(text.split())
                speaking = n / rng.uniform(1.8, 3.0)
                words = [{"start": i * speaking / n, "end": (i + 0.8) * speaking / n} for i in range(n)]
                metrics = analysis.analyze(
                    text, words, speaking + 1, settings, q.target_seconds if probe == 0 else None
                )
                database.save_transcript(
                    db,
                    aid,
                    text=text,
                    words=[],
                    model="bench",
                    seconds=0.1,
                    duration=speaking + 1,
                    metrics=metrics.to_dict(),
                )
                if rng.random() < 0.8:
                    database.set_rating(
                        db, aid, stars=rng.randint(1, 5), note=rng.choice(NOTES) if rng.random() < 0.3 else None
                    )
                stamp = (when + timedelta(minutes=made % 50)).isoformat(timespec="seconds")
                with db.conn:
                    db.execute("update answers set created_at = ? where id = ?", [stamp, aid])
                made += 1
    return sessions


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--keep", metavar="DIR", help="seed into DIR and keep it (default: a temporary folder)")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rehearse-bench-"))
    settings = load_settings({"REHEARSE_HOME": str(folder)})
    library = bank.load_library(settings)
    db = database.open_database(settings)
    rng = random.Random(4)

    t = time.perf_counter()
    sessions = seed(db, settings, args.answers, rng, list(library.questions.values()))
    print(
        f"seeded {args.answers:,} answers in {sessions} sessions in {time.perf_counter() - t:.1f} s "
        f"({folder}, {settings.db_path.stat().st_size / 1e6:.1f} MB database); cpu cores: {os.cpu_count()}"
    )

    from streamlit.testing.v1 import AppTest

    os.environ["REHEARSE_HOME"] = str(folder)
    app = str(ROOT / "streamlit_app.py")

    def render(text: str = "", page: str = "history") -> float:
        at = AppTest.from_file(app, default_timeout=60)
        at.switch_page(f"pages/{page}.py")
        if text:
            at.session_state["history_text"] = text
        t = time.perf_counter()
        at.run()
        took = time.perf_counter() - t
        assert not at.exception, at.exception
        return took

    cold = render()
    warm = statistics.median(render() for _ in range(5))
    searched = statistics.median(render("finance director") for _ in range(5))
    print(f"history page, AppTest run, first (imports, caches):   {cold * 1000:7.0f} ms")
    print(f"history page, AppTest run, median of 5:                {warm * 1000:7.0f} ms   target < 1000 ms")
    print(f"history page searching 'finance director', median of 5: {searched * 1000:5.0f} ms   target < 1000 ms")
    for name in ("compare", "progress", "queue", "data"):
        render(page=name)  # first run pays for chart libraries and caches
        print(
            f"{name} page, AppTest run, median of 3: {statistics.median(render(page=name) for _ in range(3)) * 1000:7.0f} ms"
        )

    worst = 0.0
    for text in SEARCHES:
        took, results = timed(lambda text=text: history.search(db, history.Filters(text=text), library.questions), 20)
        worst = max(worst, took)
        print(
            f"search {text!r:>22}: {results.total:5d} matches, page of {len(results.hits):2d} "
            f"with snippets in {took * 1000:6.1f} ms (median of 20)"
        )
    took, results = timed(lambda: history.search(db, history.Filters(), library.questions), 20)
    print(f"list, no filter:                {results.total:5d} answers, first page in {took * 1000:6.1f} ms")
    filters = history.Filters(
        text="finance",
        stars=(1, 2),
        kind="main",
        tags=("leadership",),
        date_from=(datetime.now() - timedelta(days=180)).date(),
    )
    took, results = timed(lambda: history.search(db, filters, library.questions), 20)
    worst = max(worst, took)
    print(f"search + 4 filters:             {results.total:5d} matches in {took * 1000:6.1f} ms")
    took, _ = timed(lambda: progress.calibration(progress.samples(db, kind="all"), settings), 3)
    print(f"progress: samples + calibration over all answers: {took * 1000:6.1f} ms")
    took, _ = timed(lambda: schedule.queue(db, library.questions), 3)
    print(f"practice queue over all ratings:                  {took * 1000:6.1f} ms")
    ok = warm < 1.0 and searched < 1.0 and worst < 0.1
    print(
        f"{'PASS' if ok else 'FAIL'}: page {warm:.2f} s / {searched:.2f} s (< 1 s), slowest search {worst * 1000:.1f} ms (< 100 ms)"
    )
    if not args.keep:
        import shutil

        shutil.rmtree(folder)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
