"""The final pass in the background: at stop the live words are stored and shown, then this
worker decodes the recording again with the final model and stores that text in their place.

One worker (one thread) per app process, started by the page (rehearse/web/ui.py) and fed the
id of every answer stored with `final_pending`. It keeps its own database connection, runs one
pass at a time, never queues an answer twice, and waits while a live recording is going on or
the voice speaks (`busy`), before a pass and between its chunks, so the live words of the next
answer keep the cores and no two models hold their working memory at once; the final model
itself decodes at low priority (speech/final.py). A pass that fails is logged and reported by
`outcome`; the thread never dies of it.

Answers a crash or a restart left marked are queued again by `resume` at the next start. The
question's target length and category, which the feedback needs, come from the library as the
drill page gives them (`question_facts`).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rehearse.errors import RehearseError
from rehearse.library import bank
from rehearse.practice import pipeline
from rehearse.settings import Settings
from rehearse.speech import final
from rehearse.speech.transcribe import DecodeOptions
from rehearse.store import Database, database

log = logging.getLogger(__name__)

BUSY_POLL_SECONDS = 0.25
# The drill page chooses the listening follow-ups and has the voice speak them in the same script
# run that stored the answer, just after submitting its pass. A pass waits this long from its
# submission before it first asks busy(), so that the voice has started by then and the two never
# decode and speak at the same moment (their working memory together went past the 700 MB goal).
SETTLE_SECONDS = 0.5

# What became of an answer's final pass (Outcome.kind).
IMPROVED = "improved"  # the final text differs from the live one and replaced it
CONFIRMED = "confirmed"  # the final model wrote the same text
KEPT = "kept"  # no speech heard where the live transcriber heard words: the live text stays
FAILED = "failed"  # the pass could not run: the live text stays


@dataclass(frozen=True)
class Outcome:
    kind: str
    message: str = ""
    seconds: float = 0.0  # from the pass's start to its text stored


@dataclass(frozen=True)
class Job:
    answer_id: str
    settings: Settings  # the page's, when it asked: the feedback is measured with the user's word lists
    model: pipeline.ModelSource
    options: DecodeOptions = DecodeOptions()
    submitted: float = 0.0  # time.monotonic()


class FinalWorker:
    def __init__(self, busy: Callable[[], bool] = lambda: False):
        self._busy = busy
        self._jobs: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Condition()
        self._waiting: set[str] = set()  # queued or running
        self._running: str | None = None
        self._held: set[str] = set()  # transcribed again in the foreground right now
        self._outcomes: dict[str, Outcome] = {}
        self._thread: threading.Thread | None = None
        self._dbs: dict[Path, Database] = {}  # the worker's own connections, by data folder

    # --- what the pages call -------------------------------------------------------------
    def submit(
        self, answer_id: str, settings: Settings, model: pipeline.ModelSource, options: DecodeOptions = DecodeOptions()
    ) -> None:
        """Run the final pass of this answer soon, with this model (or a callable loading it) and
        decoding; an answer already queued or running is not queued again."""
        with self._lock:
            if answer_id in self._waiting:
                return
            self._waiting.add(answer_id)
            self._outcomes.pop(answer_id, None)
            self._start()
        self._jobs.put(Job(answer_id, settings, model, options, time.monotonic()))

    def warm(self, model: pipeline.ModelSource) -> None:
        """Load the final model in the worker's thread now (at app start), not at the first stop:
        loaded while the process is still small, its load's transient memory does not add to the
        live model's and the voice's (README: peak memory)."""
        if callable(model):
            with self._lock:
                self._start()
            self._jobs.put(Job("", None, model))  # type: ignore[arg-type]

    def resume(
        self, db: Database, settings: Settings, model: pipeline.ModelSource, options: DecodeOptions = DecodeOptions()
    ) -> list[str]:
        """Queue every answer still awaiting its final pass (a crash or a restart stopped it); the ids."""
        pending = database.final_pending_answers(db)
        for answer in pending:
            self.submit(answer.id, settings, model, options)
        if pending:
            log.warning("queued the final pass of %d answer(s) a restart left with the live text", len(pending))
        return [a.id for a in pending]

    def pending(self, answer_id: str) -> bool:
        """Whether the answer's final pass is queued or running in this process."""
        with self._lock:
            return answer_id in self._waiting

    def outcome(self, answer_id: str) -> Outcome | None:
        with self._lock:
            return self._outcomes.get(answer_id)

    def wait(self, answer_id: str, timeout: float = 120.0) -> Outcome | None:
        """Block until the answer's pass is over (tests, the terminal); None if it is not over in time."""
        with self._lock:
            self._lock.wait_for(lambda: answer_id not in self._waiting, timeout)
            return self._outcomes.get(answer_id)

    @contextlib.contextmanager
    def exclusive(self, answer_id: str) -> Iterator[None]:
        """Hold the answer against its final pass ('Transcribe again'): waits for a running one,
        and a queued one finds the answer no longer marked and leaves it alone."""
        with self._lock:
            self._lock.wait_for(lambda: self._running != answer_id and answer_id not in self._held)
            self._held.add(answer_id)
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(answer_id)
                self._lock.notify_all()

    # --- the thread ----------------------------------------------------------------------
    def _start(self) -> None:
        """Start the thread if it is not running (the caller holds the lock)."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="final-pass", daemon=True)
            self._thread.start()

    def _wait_while_busy(self, settings: Settings) -> None:
        # Bounded: a recorder left streaming for ever must not hold the final text back for ever.
        until = time.monotonic() + settings.max_answer_seconds
        while self._busy() and time.monotonic() < until:
            time.sleep(BUSY_POLL_SECONDS)

    def _run(self) -> None:
        final.lower_priority()
        while True:
            job = self._jobs.get()
            if not job.answer_id:  # warm(): only load the model
                try:
                    pipeline.load_model(job.model)
                except Exception:  # the first pass will say why
                    log.exception("loading the final model failed")
                continue
            with self._lock:
                # 'Transcribe again' may hold the answer: wait until it lets go.
                self._lock.wait_for(lambda job=job: job.answer_id not in self._held)
                self._running = job.answer_id
            try:
                outcome = self._pass(job)
            except Exception as exc:  # a bug must not stop every later pass
                log.exception("final pass of answer %s failed", job.answer_id)
                outcome = Outcome(FAILED, f"The final pass failed: {exc}")
            with self._lock:
                self._running = None
                self._waiting.discard(job.answer_id)
                self._outcomes[job.answer_id] = outcome
                self._lock.notify_all()

    def _pass(self, job: Job) -> Outcome:
        settings = job.settings
        time.sleep(max(0.0, job.submitted + SETTLE_SECONDS - time.monotonic()))
        self._wait_while_busy(settings)  # after the recording stopped, not while the next one is going on
        began = time.perf_counter()
        try:
            db = self._dbs.get(settings.home)
            if db is None:
                db = self._dbs[settings.home] = database.open_database(settings)
            before = database.get_answer(db, job.answer_id)
            if not before.final_pending:
                return Outcome(CONFIRMED, "Already final.")
            target, category = question_facts(settings, before)
            after = pipeline.final_pass(
                db,
                settings,
                job.model,
                job.answer_id,
                target,
                job.options,
                category,
                on_progress=lambda _fraction: self._wait_while_busy(settings),
            )
        except RehearseError as exc:
            log.warning("final pass of answer %s could not run: %s", job.answer_id, exc)
            return Outcome(FAILED, str(exc), time.perf_counter() - began)
        seconds = time.perf_counter() - began
        log.info(
            "final pass of answer %s: %.2f s, %s",
            job.answer_id,
            seconds,
            "changed" if after.transcript != before.transcript else "same",
        )
        if after.model == before.model and after.transcript == before.transcript and after.status == "transcribed":
            # The mark was cleared without a new text: the final model heard no speech.
            return Outcome(KEPT, "The final pass heard no speech; the live transcript is kept.", seconds)
        if after.status != "transcribed":
            return Outcome(FAILED, after.error or "The final pass failed.", seconds)
        return Outcome(IMPROVED if after.transcript != before.transcript else CONFIRMED, "", seconds)


def question_facts(settings: Settings, answer: database.Answer) -> tuple[tuple[float, float] | None, str | None]:
    """The answer's question's target length (main answers only) and category, as the drill page gives them."""
    question = bank.load_library(settings).questions.get(answer.question_id)
    if question is None:
        return None, None
    return (question.target_seconds if answer.probe_index == 0 else None), question.category
