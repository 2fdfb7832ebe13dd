"""One drill run: its plan, the step it is on, and everything that moves it (answer, skip,
record again, end), kept in the sessions table so a reload can continue it.

The drill page and the terminal drill both drive a DrillRun and compute nothing about the run
themselves. The plan can change after an answer: `insert_next` and `replace_upcoming_probes`
put follow-ups chosen from the answer itself (Steps with `kind` set, probe_index 101, 102, ...)
in front of the rest of the plan.

No session exists until the first answer is saved or skipped (`session`), so starting a drill
and leaving at once stores nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime

from rehearse.library.bank import Drill, Question, Step, plan_drill
from rehearse.practice import interrupt, pipeline, probes
from rehearse.settings import Settings
from rehearse.store import Database, database, sessions
from rehearse.store import takes as stored_takes

log = logging.getLogger(__name__)

# How a session's status reads to a person (Review, the end of a drill).
STATUS_LABELS = {"active": "in progress", "completed": "complete", "ended": "ended early"}

# A take counts as the step's answer once it is saved and was not refused: "recorded" is saved
# but not transcribed yet (a crash, or transcription still to come), and can be transcribed later.
USABLE_STATUSES = ("transcribed", "recorded")


@dataclass(frozen=True)
class PickedUp:
    """What a generated follow-up picked up, for the step that asks it: the caption ("picks up
    'we decided' at 0:42") and the main answer's transcript in (text, quoted) pieces."""

    caption: str
    evidence: str
    segments: tuple[tuple[str, bool], ...]


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def is_usable(answer: database.Answer) -> bool:
    return answer.status in USABLE_STATUSES


def is_refused(answer: database.Answer) -> bool:
    """Too short, silent, no speech, or not transcribed: kept, but not the step's answer."""
    return answer.status == "failed"


_STEP_FIELDS = {f.name for f in fields(Step)}
_DRILL_FIELDS = {f.name: f for f in fields(Drill)}


def plan_to_json(steps: Iterable[Step]) -> list[dict]:
    return [asdict(s) for s in steps]


def plan_from_json(plan: Iterable[dict]) -> list[Step]:
    """Steps from a stored plan; a plan stored before Step had a field gets that field's default."""
    return [Step(**{k: v for k, v in d.items() if k in _STEP_FIELDS}) for d in plan]


def drill_to_json(drill: Drill) -> dict:
    return asdict(drill)


def drill_from_json(data: Mapping) -> Drill:
    # JSON has lists where the Drill has tuples.
    return Drill(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in _DRILL_FIELDS})


@dataclass
class DrillRun:
    """A run of `drill` through `steps`; `index` is the step being answered (len(steps) once done).

    `on_create(db, session_id)` runs once, when the run's session is created (a debrief links
    the session it started)."""

    drill: Drill
    steps: list[Step]
    index: int = 0
    session_id: str | None = None
    status: str = "active"
    source: str = "app"
    on_create: Callable[[Database, str], None] | None = None
    started_at: str | None = None  # UTC, once the session exists
    # The session's id, chosen now though its row is written with the first answer: a live
    # recorder's part file names it, so a crash before that first save is still recovered.
    reserved_id: str = field(default_factory=database.new_id)
    # A name for this run in memory, for the page's widget keys (the session id comes later).
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    # Record-again count per step: names a fresh recorder on the page; not stored.
    attempts: dict[int, int] = field(default_factory=dict)
    # The answer each step's listening probes were chosen from, so a rerun does not choose again.
    heard: dict[int, str] = field(default_factory=dict)

    # ------------------------------------------------------------ making and finding runs

    @classmethod
    def start(
        cls,
        drill: Drill,
        questions: Mapping[str, Question],
        seed: int | None = None,
        source: str = "app",
        on_create: Callable[[Database, str], None] | None = None,
    ) -> DrillRun:
        """A new run of `drill` on its planned steps; nothing is stored until the first answer."""
        return cls(drill, list(plan_drill(drill, dict(questions), seed=seed)), source=source, on_create=on_create)

    @classmethod
    def unfinished(cls, db: Database, source: str = "app") -> DrillRun | None:
        """The newest run from `source` still in progress in the database, to continue where it was."""
        for stored in sessions.unfinished_runs(db, source):
            try:
                return cls(
                    drill_from_json(stored.drill),
                    plan_from_json(stored.plan),
                    index=stored.position,
                    session_id=stored.session_id,
                    source=source,
                    started_at=stored.started_at,
                )
            except (TypeError, ValueError) as exc:
                # A plan this release cannot read (edited by hand, or from a newer one): not offered.
                log.warning("session %s cannot be continued: %s", stored.session_id, exc)
        return None

    # ------------------------------------------------------------ where the run is

    @property
    def finished(self) -> bool:
        return self.status != "active"

    @property
    def ended_early(self) -> bool:
        return self.status == "ended"

    @property
    def step(self) -> Step:
        return self.steps[self.index]

    @property
    def next_step(self) -> Step | None:
        return self.steps[self.index + 1] if self.index + 1 < len(self.steps) else None

    @property
    def is_last(self) -> bool:
        return self.index == len(self.steps) - 1

    @property
    def progress(self) -> float:
        return min(1.0, self.index / len(self.steps)) if self.steps else 1.0

    def question_number(self) -> tuple[int, int]:
        """(N, M): the current step's question is the Nth of M distinct questions in the plan."""
        numbers = list(dict.fromkeys(s.question_id for s in self.steps))
        return numbers.index(self.step.question_id) + 1, len(numbers)

    def follow_up_number(self) -> tuple[int, int] | None:
        """(k, m) by position in the plan: the kth of the m follow-ups that come after this
        step's question; None on the question itself."""
        if not self.step.is_probe:
            return None
        first, end = self._block(self.index)
        probes = [i for i in range(first, end) if self.steps[i].is_probe]
        return probes.index(self.index) + 1, len(probes)

    def position_text(self) -> str:
        """'Question N of M', with '· follow-up k of m' on a follow-up."""
        n, m = self.question_number()
        text = f"Question {n} of {m}"
        follow = self.follow_up_number()
        if follow:
            text += f" · follow-up {follow[0]} of {follow[1]}"
        return text

    def _block(self, index: int) -> tuple[int, int]:
        """[first, end) of the run of steps around `index` that share its question."""
        qid = self.steps[index].question_id
        first = index
        while first > 0 and self.steps[first - 1].question_id == qid:
            first -= 1
        end = index + 1
        while end < len(self.steps) and self.steps[end].question_id == qid:
            end += 1
        return first, end

    # ------------------------------------------------------------ the current step's takes

    @property
    def attempt(self) -> int:
        return self.attempts.get(self.index, 0)

    def record_again(self) -> int:
        """A new take at this step (the earlier ones stay); returns the attempt number."""
        self.attempts[self.index] = self.attempt + 1
        return self.attempt

    def takes(self, db: Database) -> list[database.Answer]:
        """Every take at the current step, newest first (none before the session exists)."""
        if self.session_id is None:
            return []
        return database.step_answers(db, self.session_id, self.step.question_id, self.step.probe_index)

    def usable_take(self, db: Database) -> database.Answer | None:
        """The newest take that counts as the answer, or None: then only skipping moves on."""
        return next((t for t in self.takes(db) if is_usable(t)), None)

    def can_advance(self, db: Database) -> bool:
        return self.usable_take(db) is not None

    def can_skip(self, db: Database) -> bool:
        return self.usable_take(db) is None

    # ------------------------------------------------------------ moving the run

    def session(self, db: Database) -> str:
        """The run's session id, created (with the plan and the step) on first use: call it when
        the first answer is about to be saved, or skipped."""
        if self.session_id is None:
            self.session_id = sessions.create_run(
                db, drill_to_json(self.drill), plan_to_json(self.steps), self.index, self.source, self.reserved_id
            )
            if self.on_create is not None:
                self.on_create(db, self.session_id)
        return self.session_id

    def pending_session(self) -> tuple[str, dict | None]:
        """The session an answer about to be recorded belongs to and, while its row is not written
        yet, what crash recovery needs to write it (the arguments of sessions.create_run)."""
        if self.session_id is not None:
            return self.session_id, None
        return self.reserved_id, {
            "drill": drill_to_json(self.drill),
            "plan": plan_to_json(self.steps),
            "position": self.index,
            "source": self.source,
        }

    def advance(self, db: Database) -> None:
        """On to the next step; past the last one the run is complete."""
        self._move(db, self.index + 1)

    def skip(self, db: Database) -> database.Answer:
        """Stores the skip and moves on. Skipping a question skips its follow-ups too: they make
        no sense without the story."""
        answer = pipeline.skip_step(db, self.session(db), self.step)
        target = self.index + 1
        if not self.step.is_probe:
            target = self._block(self.index)[1]
        self._move(db, target)
        return answer

    def end(self, db: Database) -> None:
        """Stops the run before its last step: stored as ended (early). A run with nothing saved
        leaves no session."""
        if self.finished:
            return
        self.status = "ended"
        if self.session_id is not None:
            database.end_session(db, self.session_id, "ended")

    def insert_next(self, db: Database, steps: Iterable[Step]) -> None:
        """Puts `steps` right after the current step, before the rest of the plan."""
        new = list(steps)
        self.steps[self.index + 1 : self.index + 1] = new
        self._save(db)

    def upcoming_probes(self) -> list[Step]:
        """The follow-ups of the current question still to come after the current step."""
        end = self._block(self.index)[1]
        return [s for s in self.steps[self.index + 1 : end] if s.is_probe]

    def replace_upcoming_probes(self, db: Database, steps: Iterable[Step]) -> None:
        """Replaces the current question's follow-ups still to come with `steps` (answering the
        question again can change which follow-ups fit)."""
        end = self._block(self.index)[1]
        self.steps[self.index + 1 : end] = list(steps)
        self._save(db)

    # ------------------------------------------------------------ follow-ups that listen

    def listen(
        self,
        db: Database,
        settings: Settings,
        answer: database.Answer | None,
        question: Question | None,
        voice=None,
        cut: interrupt.Cut | None = None,
    ) -> list[Step]:
        """After the current step's answer is transcribed: the drill's `listening_probes` best
        follow-ups picked from it go in front of the curated ones, and `voice` (speech.voice.Voice)
        starts speaking them in the background so each plays at once when its turn comes.

        A new take of the main answer replaces the generated follow-ups still to come instead of
        adding more. `cut` is the interviewer's cut into this answer (practice/interrupt.py): its
        probe comes first, whatever step was cut. Calling again for the same answer changes nothing, so a page
        can call this on every rerun. Returns the steps put in the plan."""
        if answer is None or answer.status != "transcribed" or self.finished:
            return []
        if self.heard.get(self.index) == answer.id or answer.probe_index != self.step.probe_index:
            return []
        self.heard[self.index] = answer.id
        n = self.drill.listening_probes if not self.step.is_probe else 0
        if not n and cut is None:
            return []
        earlier = probes.takes_from_answers(stored_takes.earlier_answers(db, self.step.question_id, before=answer.id))
        found = probes.propose(
            answer.transcript or "",
            answer.words,
            question,
            settings,
            tone=self.drill.tone,
            earlier=earlier,
            now=datetime.now(UTC),
        )
        if cut is not None:
            # The cut is asked first (one of the N on a main answer); its evidence is not asked twice.
            first = cut.probe
            # The cut was chosen from the live text, without timings: the final transcript's has them.
            timed = next((p for p in found if first.evidence and p.evidence == first.evidence), None)
            if timed is not None:
                first = replace(first, start=timed.start)
            rest = [p for p in found if p.evidence != first.evidence or not p.evidence] if n else []
            found = [first, *rest]
            n = max(n, 1)
        same = [s for s in self.steps if s.question_id == self.step.question_id and s.is_generated]
        upcoming = self.upcoming_probes()
        if not self.step.is_probe and any(s.is_generated for s in upcoming):
            # A new take of the main answer: the generated follow-ups still to come were chosen
            # from the earlier take, so they go and these take their place and their numbers.
            stale = [s for s in upcoming if s.is_generated]
            steps = probes.listening_steps(found, self.step, n, taken=len(same) - len(stale))
            self.replace_upcoming_probes(db, [*steps, *(s for s in upcoming if not s.is_generated)])
        else:
            steps = probes.listening_steps(found, self.step, n, taken=len(same))
            self.insert_next(db, steps)
        if voice is not None and steps:
            voice.prefetch(s.prompt for s in steps)
        log.info("listening follow-ups after answer %s: %s", answer.id, [s.kind for s in steps])
        return steps

    def cut_watch(self, question: Question | None, settings: Settings):
        """For live capture: `check(text, seconds)` of the interviewer who cuts into the current
        answer (practice/interrupt.py), or None when this drill does not cut in."""
        watch = None if self.finished else interrupt.CutWatch.for_drill(self.drill, question, settings)
        return watch.check if watch is not None else None

    def picked_up(self, db: Database) -> PickedUp | None:
        """On a generated follow-up: its caption and the main answer's transcript with the quoted
        words marked; None on any other step."""
        if self.finished or not self.step.is_generated:
            return None
        step = self.step
        evidence = step.evidence
        if step.kind == "memory":
            evidence = probes.memory_evidence(probes.Probe(step.kind, step.prompt, step.evidence, None, ""))[1]
        # The answer it picked up: the main answer, or (after a cut on a follow-up) the answer cut.
        said: list[str] = []
        if self.session_id is not None:
            for earlier in self.steps[self._block(self.index)[0] : self.index]:
                takes = database.step_answers(db, self.session_id, earlier.question_id, earlier.probe_index)
                said += [next((a.transcript or "" for a in takes if a.status == "transcribed"), "")]
        pieces = [probes.evidence_segments(t, evidence) for t in said if t]
        segments = next((p for p in pieces if any(hit for _, hit in p)), pieces[0] if pieces else ())
        caption = probes.caption(step.kind, step.evidence, step.evidence_start, step.why)
        return PickedUp(caption, evidence, segments)

    def _move(self, db: Database, to: int) -> None:
        self.index = min(to, len(self.steps))
        if self.index >= len(self.steps):
            self.status = "completed"
            if self.session_id is not None:
                sessions.save_position(db, self.session_id, plan_to_json(self.steps), self.index)
                database.end_session(db, self.session_id, "completed")
            return
        self._save(db)

    def _save(self, db: Database) -> None:
        if self.session_id is not None:
            sessions.save_position(db, self.session_id, plan_to_json(self.steps), self.index)
