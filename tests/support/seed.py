"""A small history seeded through the real storage and pipeline functions, with real FLAC files.

Transcripts are written directly (with metrics from the real analysis over even word timings);
the slow tests add real Piper + tiny.en transcriptions on top. Times are moved back with one SQL
update per row, the only thing the storage API does not offer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import numpy as np

from rehearse.library.bank import Step
from rehearse.measure import analysis
from rehearse.practice import pipeline
from rehearse.settings import Settings
from rehearse.speech import audio
from rehearse.store import database

LEAD = "lead-cross-org-change"
LEAD_TEXT = "Tell me about a time you led a change across teams that did not report to you."
LEAD_PROBE = "How did you get buy-in from the other orgs?"
FAIL = "failure-missed-launch"
INTRO = "intro-tell-me-about-yourself"
HARD = "lead-hard-feedback"

FIRST_TRY = (
    "Um so I led the billing migration and uh the finance director pushed back on the cost "
    "and we basically kind of agreed a plan after a lot of meetings"
)
SECOND_TRY = (
    "I led the billing migration across four teams and the finance director pushed back on the "
    "cost so I showed her the numbers and we agreed a rollback plan"
)
LATEST = (
    "I led the billing migration across four teams that did not report to me. The finance director "
    "pushed back on the cost, so I brought her the numbers and a rollback plan, and she signed it."
)


def tone(seconds: float = 2.0, rate: int = 16000, freq: float = 220.0) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return audio.wav_bytes((0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)


def iso(days_ago: int, minute: int = 0) -> str:
    """Local noon `days_ago` days back plus `minute` minutes (today: a minute-ordered moment just past),
    so the local day of a seeded answer never depends on when the tests run."""
    if days_ago == 0:
        moment = datetime.now(UTC) - timedelta(minutes=60 - minute)
        if moment.astimezone().date() != datetime.now().astimezone().date():
            moment = datetime.now(UTC) - timedelta(seconds=60 - minute)
    else:
        day = datetime.now().astimezone().date() - timedelta(days=days_ago)
        moment = datetime.combine(day, time(12, minute)).astimezone()
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def even_words(text: str, seconds: float, start: float = 0.2) -> list[dict]:
    parts = text.split()
    step = seconds / max(1, len(parts))
    return [
        {"start": round(start + i * step, 3), "end": round(start + (i + 0.8) * step, 3), "text": w}
        for i, w in enumerate(parts)
    ]


def step(question_id: str, probe_index: int, prompt: str, question_text: str) -> Step:
    return Step(question_id, probe_index, prompt, question_text, 2)


def add_take(
    db,
    settings: Settings,
    session_id: str,
    st: Step,
    text: str,
    *,
    days_ago: int,
    minute: int = 0,
    stars: int | None = None,
    note: str | None = None,
    speaking: float = 30.0,
    target: tuple[float, float] | None = (60.0, 120.0),
    wav: bytes | None = None,
) -> database.Answer:
    """One take: real FLAC saved by the pipeline, a transcript with analysed metrics, a rating, a time."""
    answer = pipeline.save_answer(db, settings, session_id, st, wav or tone())
    words = even_words(text, speaking)
    duration = speaking + 0.5
    metrics = analysis.analyze(text, words, duration, settings, target if st.probe_index == 0 else None)
    database.save_transcript(
        db, answer.id, text=text, words=words, model="seeded", seconds=0.1, duration=duration, metrics=metrics.to_dict()
    )
    if stars is not None or note is not None:
        database.set_rating(db, answer.id, stars=stars, note=note)
    backdate(db, answer.id, days_ago, minute)
    return database.get_answer(db, answer.id)


def backdate(db, answer_id: str, days_ago: int, minute: int = 0) -> None:
    with db.atomic():
        db.execute(
            "update answers set created_at = ?, updated_at = ? where id = ?",
            [iso(days_ago, minute), iso(days_ago, minute), answer_id],
        )


def session(db, drill_id: str, title: str, days_ago: int) -> str:
    sid = database.create_session(db, drill_id, title, [])
    with db.atomic():
        db.execute("update sessions set started_at = ? where id = ?", [iso(days_ago, 0), sid])
    return sid


@dataclass
class Seeded:
    sessions: dict[str, str] = field(default_factory=dict)
    answers: dict[str, database.Answer] = field(default_factory=dict)


def seed(db, settings: Settings) -> Seeded:
    """Four sessions over three weeks; see the comments for what each is there to test."""
    out = Seeded()
    lead0 = step(LEAD, 0, LEAD_TEXT, LEAD_TEXT)
    lead1 = step(LEAD, 1, LEAD_PROBE, LEAD_TEXT)
    fail0 = step(FAIL, 0, "Tell me about a launch you missed.", "Tell me about a launch you missed.")
    fail1 = step(FAIL, 1, "What part of this was your fault?", "Tell me about a launch you missed.")
    intro0 = step(INTRO, 0, "Tell me about yourself.", "Tell me about yourself.")
    hard0 = step(HARD, 0, "Tell me about hard feedback you gave.", "Tell me about hard feedback you gave.")

    # 20 days ago: two takes at the lead question (graded 3 and 2 for the schedule), one probe.
    s1 = out.sessions["old"] = session(db, "leadership-follow-ups", "Leadership stories, follow-ups first", 20)
    out.answers["first"] = add_take(
        db,
        settings,
        s1,
        lead0,
        FIRST_TRY,
        days_ago=20,
        minute=0,
        stars=2,
        note="Too many fillers, no numbers.",
        speaking=20,
    )
    out.answers["second"] = add_take(db, settings, s1, lead0, SECOND_TRY, days_ago=20, minute=1, stars=3, speaking=14)
    out.answers["old_probe"] = add_take(
        db,
        settings,
        s1,
        lead1,
        "I met every director one to one before the kickoff.",
        days_ago=20,
        minute=2,
        stars=2,
        speaking=8,
    )
    # 10 days ago: the failure story, rated 4, its probe skipped: due five days ago.
    s2 = out.sessions["failure"] = session(db, "failure-under-probing", "Failure story under probing", 10)
    out.answers["failure"] = add_take(
        db,
        settings,
        s2,
        fail0,
        "We missed the launch because I did not test the "
        "payment flow with real cards and the checkout broke on day one.",
        days_ago=10,
        stars=4,
        note="Good ownership <b>here</b>.",
        speaking=12,
    )
    out.answers["skipped"] = pipeline.skip_step(db, s2, fail1)
    backdate(db, out.answers["skipped"].id, 10, 1)
    # 2 days ago: the lead question again, better (5 and 4 stars), and an unrated answer.
    s3 = out.sessions["recent"] = session(db, "leadership-follow-ups", "Leadership stories, follow-ups first", 2)
    out.answers["latest"] = add_take(
        db, settings, s3, lead0, LATEST, days_ago=2, stars=5, note="Named the finance director this time.", speaking=16
    )
    out.answers["recent_probe"] = add_take(
        db,
        settings,
        s3,
        lead1,
        "I asked each director what they needed and wrote it into the plan.",
        days_ago=2,
        minute=1,
        stars=4,
        speaking=7,
    )
    out.answers["unrated"] = add_take(
        db,
        settings,
        s3,
        hard0,
        "I told my report that the code reviews were late and showed him the dates.",
        days_ago=2,
        minute=2,
        speaking=9,
    )
    # Today: a warm-up rated 1 star: due again tomorrow.
    s4 = out.sessions["today"] = session(db, "warm-up", "Warm-up", 0)
    out.answers["intro"] = add_take(
        db,
        settings,
        s4,
        intro0,
        "I am a product engineer who likes hard migrations.",
        days_ago=0,
        minute=30,
        stars=1,
        speaking=6,
        target=(30.0, 90.0),
    )
    return out
