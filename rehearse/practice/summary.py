"""The end of a drill: each question and follow-up asked with its headline, stars and length; what
changed against the user's earlier takes of the same questions; the two weakest answers, as a drill
to practise again now; the follow-ups skipped or refused; and, if the drill ended early, what was
never reached.

Pure over the stored session (its plan and answers), so a past session on Review gets the same
summary as the drill that just ended. The comparison uses the signals the headline is chosen from
(measure/feedback.py), with thresholds big enough that a change is one a person would notice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rehearse.library.bank import Drill, Question, Step
from rehearse.measure import feedback
from rehearse.practice import run as runs
from rehearse.practice import schedule
from rehearse.store import Database, database
from rehearse.store import takes as stored

# How a step of the drill went.
ANSWERED = "answered"
WAITING = "waiting"  # saved but not transcribed yet: it counts, but has nothing to measure
SKIPPED = "skipped"
REFUSED = "refused"  # only refused takes (too short, silent, not transcribed), skipped after or not
WITH_QUESTION = "skipped with the question"  # a follow-up never asked: its question was skipped
NOT_REACHED = "not reached"  # the drill ended (or is still going) before this step

WEAKEST = 2
AGAIN_DRILL_ID = "weakest-from-drill"

# Smallest changes worth telling a person about.
FILLER_STEP = 1.0  # fillers a minute
SHARE_STEP = 0.2  # share of "I" among "I" and "we"
LENGTH_STEP = 5.0  # seconds nearer the target range
PACE_STEP = 10.0  # words a minute nearer the pace range


@dataclass(frozen=True)
class Asked:
    """One step of the drill, the question (probe 0) or a follow-up, and how it went."""

    question_id: str
    probe_index: int
    prompt: str
    kind: str  # a generated follow-up's kind (practice/probes.py), "" otherwise
    state: str  # ANSWERED, WAITING, SKIPPED, REFUSED, WITH_QUESTION or NOT_REACHED (see the top)
    answer_id: str | None = None  # the take that counts: the newest one not refused
    headline: feedback.Headline | None = None
    stars: int | None = None
    duration: float | None = None
    takes: int = 0  # takes recorded, refused ones included
    reason: str = ""  # why the last take was refused (REFUSED)

    @property
    def is_follow_up(self) -> bool:
        return self.probe_index > 0

    @property
    def length(self) -> str:
        """Rounded for people: "42 s", "2:10"."""
        return feedback.seconds(self.duration) if self.duration else ""


@dataclass(frozen=True)
class Change:
    signal: str  # a feedback.Headline signal ("fillers", "ownership", ...) or "stars"
    text: str  # lower case, to follow "Better than last time:" ("fewer fillers: 1.2 a minute, from 5.3")
    better: bool


@dataclass(frozen=True)
class Comparison:
    """This drill's answer to a question against the newest take of it from an earlier session."""

    earlier_id: str
    earlier_at: str  # UTC, as stored
    changes: tuple[Change, ...]

    @property
    def better(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.better)

    @property
    def worse(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if not c.better)


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    question_text: str
    main: Asked
    follow_ups: tuple[Asked, ...]
    earlier: Comparison | None  # None when it was not answered now, or answered for the first time

    @property
    def first_time(self) -> bool:
        return self.main.state == ANSWERED and self.earlier is None


@dataclass(frozen=True)
class Summary:
    session_id: str
    drill_title: str
    status: str  # the session's: "active", "completed" or "ended"
    questions: tuple[QuestionResult, ...]  # the questions asked, in drill order
    not_reached: tuple[QuestionResult, ...]  # never asked: the drill ended before them
    weakest: tuple[Asked, ...]  # the weakest main answers (at most WEAKEST), weakest first
    again: Drill | None  # a drill of just those questions
    missed_follow_ups: tuple[Asked, ...]  # follow-ups skipped, or with only refused takes

    @property
    def ended_early(self) -> bool:
        return self.status == "ended"

    @property
    def follow_ups_asked(self) -> int:
        return sum(f.state != WITH_QUESTION and f.state != NOT_REACHED for q in self.questions for f in q.follow_ups)


def summarise(db: Database, session_id: str, questions: Mapping[str, Question]) -> Summary:
    """The summary of one stored session; `questions` are the banks' (the drill to practise again
    is made only of questions still in them)."""
    session = database.get_session(db, session_id)
    answers = database.session_answers(db, session_id)  # oldest first
    steps = _steps(session.plan, answers)
    by_step: dict[tuple[str, int], list[database.Answer]] = {}
    for answer in answers:
        by_step.setdefault((answer.question_id, answer.probe_index), []).append(answer)
    asked: list[Asked] = []
    main_state: dict[str, str] = {}
    counted: dict[str, database.Answer] = {}  # question id -> its main answer in this drill
    for step in steps:
        rows = by_step.get((step.question_id, step.probe_index), [])
        usable = [a for a in rows if runs.is_usable(a)]
        if usable:
            take = usable[-1]
            state = ANSWERED if take.status == "transcribed" else WAITING
            asked.append(
                Asked(
                    step.question_id,
                    step.probe_index,
                    step.prompt,
                    step.kind,
                    state,
                    take.id,
                    feedback.headline(take.metrics) if state == ANSWERED else None,
                    take.stars,
                    take.duration,
                    sum(a.status != "skipped" for a in rows),
                )
            )
            if not step.is_probe:
                main_state[step.question_id] = state
                if state == ANSWERED:
                    counted[step.question_id] = take
            continue
        refused = [a for a in rows if runs.is_refused(a)]
        if refused:
            state = REFUSED  # skipped after, or not: what matters is that no take was usable
        elif rows:
            state = SKIPPED
        elif step.is_probe and main_state.get(step.question_id) == SKIPPED:
            state = WITH_QUESTION  # skipping a question skips its follow-ups (DrillRun.skip)
        else:
            state = NOT_REACHED
        if not step.is_probe:
            main_state[step.question_id] = state
        asked.append(
            Asked(
                step.question_id,
                step.probe_index,
                step.prompt,
                step.kind,
                state,
                takes=len(refused),
                reason=(refused[-1].error or "") if refused else "",
            )
        )

    texts = {s.question_id: s.question_text for s in steps}
    results = []
    for question_id in dict.fromkeys(a.question_id for a in asked):
        mine = [a for a in asked if a.question_id == question_id]
        main = next((a for a in mine if not a.is_follow_up), None)
        if main is None:  # a plan that lost its question step: the first step stands for it
            main = mine[0]
        take = counted.get(question_id)
        results.append(
            QuestionResult(
                question_id,
                texts.get(question_id) or question_id,
                main,
                tuple(a for a in mine if a is not main),
                _comparison(db, take, session_id) if take else None,
            )
        )

    chosen_drill, chosen = schedule.weakest_drill(
        list(counted.values()),
        questions,
        WEAKEST,
        drill_id=AGAIN_DRILL_ID,
        title=f"Again: the weakest from {session.drill_title}",
        among="from that drill",
    )
    by_answer = {a.answer_id: a for a in asked}
    return Summary(
        session_id,
        session.drill_title,
        session.status,
        tuple(r for r in results if r.main.state != NOT_REACHED),
        tuple(r for r in results if r.main.state == NOT_REACHED),
        tuple(by_answer[a.id] for a in chosen),
        chosen_drill,
        tuple(a for a in asked if a.is_follow_up and a.state in (SKIPPED, REFUSED)),
    )


def _steps(plan: Sequence[Mapping], answers: Sequence[database.Answer]) -> list[Step]:
    """The drill's steps in order: its stored plan, then any step answered that the plan does not
    list (a session stored before plans were, or a plan changed after the answer)."""
    steps = runs.plan_from_json(plan)
    known = {(s.question_id, s.probe_index) for s in steps}
    for a in answers:
        if (a.question_id, a.probe_index) not in known:
            known.add((a.question_id, a.probe_index))
            extra = Step(a.question_id, a.probe_index, a.prompt, a.question_text, 0, kind=a.probe_kind)
            # Next to its question's other steps, so a follow-up is listed under its question.
            at = max((i for i, s in enumerate(steps) if s.question_id == a.question_id), default=len(steps) - 1)
            steps.insert(at + 1, extra)
    return steps


def _comparison(db: Database, take: database.Answer, session_id: str) -> Comparison | None:
    earlier = stored.last_before_session(db, take.question_id, session_id)
    if earlier is None:
        return None
    return Comparison(
        earlier.id, earlier.created_at, changes(earlier.metrics or {}, take.metrics or {}, earlier.stars, take.stars)
    )


def _gap(value: float, low: float, high: float) -> float:
    """How far `value` is outside [low, high]; 0 inside it."""
    return max(0.0, low - value, value - high)


def changes(
    before: Mapping, after: Mapping, stars_before: int | None = None, stars_after: int | None = None
) -> tuple[Change, ...]:
    """What changed from an earlier take (`before`, stored metrics) to this one, in the signals the
    headline is chosen from, each only when the change is big enough to notice; stars when both
    takes are rated. A take too short to judge is compared on its length and stars only."""
    out: list[Change] = []
    if stars_before and stars_after and stars_before != stars_after:
        out.append(
            Change(
                "stars",
                f"you rated it {stars_after}★, {stars_before}★ last time",
                stars_after > stars_before,
            )
        )
    if not before or not after:
        return tuple(out)
    judged = not feedback.too_short(before) and not feedback.too_short(after)
    category = after.get("category")
    story = category in feedback.STORY_CATEGORIES and not after.get("follow_up")

    if judged and story and before.get("i_share") is not None and after.get("i_share") is not None:
        was, now = before["i_share"], after["i_share"]
        if abs(now - was) >= SHARE_STEP and min(was, now) < 0.5:
            more = now > was
            out.append(Change("ownership", f"{'more' if more else 'less'} “I”: {now:.0%} I, from {was:.0%}", more))
    if judged and category == "failure" and None not in (before.get("owns_mistake"), after.get("owns_mistake")):
        if after["owns_mistake"] != before["owns_mistake"]:
            out.append(
                Change(
                    "ownership",
                    "you own the mistake now" if after["owns_mistake"] else "no sentence owns the mistake this time",
                    bool(after["owns_mistake"]),
                )
            )
    if judged and story and before.get("star_seconds") and after.get("star_seconds"):
        stopped, stops = feedback.stops_before_result(before), feedback.stops_before_result(after)
        if stopped and not stops:
            out.append(Change("structure", f"a result now stated: last time the story stopped at the {stopped}", True))
        elif stops and not stopped:
            out.append(Change("structure", f"the story stops at the {stops} this time, with no result", False))
        had, has = before.get("result_numbers") or [], after.get("result_numbers") or []
        if has and not had:
            out.append(Change("numbers", f"a number in the result now: “{has[0]}”", True))
        elif had and not has:
            out.append(Change("numbers", "no number in the result this time", False))

    low, high = after.get("target_min"), after.get("target_max")
    was, now = before.get("duration"), after.get("duration")
    if low is not None and high is not None and was and now:
        gap_was, gap_now = _gap(was, low, high), _gap(now, low, high)
        if abs(gap_was - gap_now) >= LENGTH_STEP:
            aim = f"(aim for {low:.0f}–{high:.0f} s)"
            if gap_now < gap_was:
                where = "on" if gap_now == 0 else "closer to"
                text = f"{where} the target length: {feedback.seconds(now)}, from {feedback.seconds(was)} {aim}"
            else:
                text = f"further from the target length: {feedback.seconds(now)}, from {feedback.seconds(was)} {aim}"
            out.append(Change("length", text, gap_now < gap_was))
    if not judged:
        return tuple(out)

    if bool(before.get("stock_phrases")) != bool(after.get("stock_phrases")):
        if after.get("stock_phrases"):
            out.append(Change("stock", f"a stock line this time: “{after['stock_phrases'][0]}”", False))
        else:
            out.append(Change("stock", "no stock lines this time", True))
    wpm_low, wpm_high = after.get("wpm_low") or 130, after.get("wpm_high") or 160
    was, now = before.get("wpm"), after.get("wpm")
    if was and now:
        gap_was, gap_now = _gap(was, wpm_low, wpm_high), _gap(now, wpm_low, wpm_high)
        if abs(gap_was - gap_now) >= PACE_STEP:
            nearer = gap_now < gap_was
            out.append(
                Change(
                    "pace",
                    f"pace {'nearer' if nearer else 'further from'} {wpm_low:.0f}–{wpm_high:.0f}: about "
                    f"{feedback.pace(now)} words a minute, from {feedback.pace(was)}",
                    nearer,
                )
            )
    was, now = before.get("fillers_per_minute") or 0.0, after.get("fillers_per_minute") or 0.0
    if abs(now - was) >= FILLER_STEP and max(was, now) > 3:
        fewer = now < was
        out.append(
            Change("fillers", f"{'fewer' if fewer else 'more'} fillers: {now:.1f} a minute, from {was:.1f}", fewer)
        )
    was, now = before.get("long_pauses") or 0, after.get("long_pauses") or 0
    if was != now and max(was, now) > 2:
        out.append(Change("pauses", f"{'fewer' if now < was else 'more'} long pauses: {now}, from {was}", now < was))
    was, now = before.get("hedge_count") or 0, after.get("hedge_count") or 0
    if was != now and max(was, now) >= 3:
        out.append(Change("hedges", f"{'fewer' if now < was else 'more'} hedges: {now}, from {was}", now < was))
    return tuple(out)
