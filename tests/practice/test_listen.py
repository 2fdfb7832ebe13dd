"""DrillRun.listen on the shipped questions and a real SQLite file: after the main answer the
drill's listening probes come before the curated ones, a new take replaces the ones not asked
yet, each take of a generated follow-up keeps its probe, and the follow-up step shows what it
picked up. Typed transcripts here (fast); tests/pages and tests/terminal run it on real speech."""

from dataclasses import replace

import numpy as np
import pytest

from rehearse.library import bank
from rehearse.practice import interrupt, pipeline, probes
from rehearse.practice.run import DrillRun
from rehearse.speech import audio
from rehearse.store import database

DRILL = bank.Drill(
    "listen",
    "Listening",
    "One story, two curated probes, two listening probes.",
    1,
    "fixed",
    2,
    questions=("lead-cross-org-change",),
    listening_probes=2,
)
Q = DRILL.questions[0]
FIRST = (
    "Last year our three teams used different release processes and it kept breaking things. "
    "We aligned the teams on one process. Priya from finance pushed back because of the cost. "
    "In the end we cut the failed releases by 30 percent in 90 days, and I learned to bring finance in early."
)
SECOND = (
    "Last year the support and platform teams kept blaming each other for outages. I met the finance "
    "director every week and I rewrote the plan until she signed it. Outages went down and the teams "
    "still use the plan. I learned that a budget owner has to be in the room from the first day."
)


class Prefetch:
    """Records what the voice was asked to speak ahead."""

    def __init__(self):
        self.texts: list[str] = []

    def prefetch(self, texts):
        self.texts += list(texts)


@pytest.fixture
def questions(settings):
    return bank.load_library(settings).questions


def transcribed(r: DrillRun, db, settings, text: str) -> database.Answer:
    t = np.arange(16000 * 2) / 16000
    data = audio.wav_bytes((0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)
    saved = pipeline.save_answer(db, settings, r.session(db), r.step, data)
    return database.save_transcript(db, saved.id, text=text, words=[], model="typed", seconds=0.1, duration=2.0)


def test_listening_probes_come_first_then_the_curated_ones(settings, db, questions):
    r = DrillRun.start(DRILL, questions, seed=1)
    curated = [s.prompt for s in r.steps[1:]]
    main = transcribed(r, db, settings, FIRST)
    voice = Prefetch()
    expected = probes.propose(FIRST, (), questions[Q], settings, tone="plain")[:2]
    steps = r.listen(db, settings, main, questions[Q], voice=voice)
    assert [s.prompt for s in steps] == [p.text for p in expected] and len(steps) == 2
    assert [(s.probe_index, s.kind, s.evidence) for s in r.steps[1:3]] == [
        (101, expected[0].kind, expected[0].evidence),
        (102, expected[1].kind, expected[1].evidence),
    ]
    assert [s.prompt for s in r.steps[3:]] == curated
    assert voice.texts == [p.text for p in expected]  # spoken ahead, as soon as they were chosen
    # Stored with the plan: a reload continues with the same follow-ups.
    assert [s.prompt for s in DrillRun.unfinished(db).steps] == [s.prompt for s in r.steps]
    # The page calls it on every rerun: the same answer changes nothing.
    assert r.listen(db, settings, main, questions[Q], voice=voice) == [] and len(r.steps) == 5
    assert r.position_text() == "Question 1 of 1"
    r.advance(db)
    assert r.position_text() == "Question 1 of 1 · follow-up 1 of 4"


def test_record_again_replaces_the_generated_probes_not_yet_asked(settings, db, questions):
    r = DrillRun.start(DRILL, questions, seed=1)
    r.listen(db, settings, transcribed(r, db, settings, FIRST), questions[Q])
    before = [s.prompt for s in r.steps]
    r.record_again()
    second = transcribed(r, db, settings, SECOND)
    steps = r.listen(db, settings, second, questions[Q])
    assert len(r.steps) == 5, [s.prompt for s in r.steps]  # replaced, not stacked
    assert [s.prompt for s in r.steps[1:3]] == [s.prompt for s in steps] != before[1:3]
    assert [s.probe_index for s in r.steps] == [0, 101, 102, 1, 2]
    assert all("finance director" in s.evidence or not s.evidence for s in steps[:1])
    assert [s.prompt for s in r.steps[3:]] == before[3:]


def test_a_generated_follow_up_keeps_its_probe_with_every_take_and_skip(settings, db, questions):
    r = DrillRun.start(DRILL, questions, seed=1)
    r.listen(db, settings, transcribed(r, db, settings, FIRST), questions[Q])
    r.advance(db)
    step = r.step
    picked = r.picked_up(db)
    assert picked.caption == probes.caption(step.kind, step.evidence, step.evidence_start, step.why)
    assert picked.caption.startswith("picks up '")
    hits = [text for text, hit in picked.segments if hit]
    assert hits == [step.evidence] and "".join(t for t, _ in picked.segments) == FIRST
    take = transcribed(r, db, settings, "It was Priya, and she said the budget was gone.")
    stored = database.get_answer(db, take.id)
    assert (stored.probe_kind, stored.probe_evidence, stored.probe_why) == (step.kind, step.evidence, step.why)
    assert probes.answer_caption(stored) == picked.caption
    r.advance(db)
    skipped = r.skip(db)
    assert skipped.probe_kind == r.steps[2].kind != ""
    # Curated follow-ups store no probe and show no caption.
    assert r.picked_up(db) is None and r.step.probe_index == 1


def test_no_listening_probes_without_the_setting_or_on_a_follow_up(settings, db, questions):
    plain = replace(DRILL, listening_probes=0)
    r = DrillRun.start(plain, questions, seed=1)
    assert r.listen(db, settings, transcribed(r, db, settings, FIRST), questions[Q]) == [] and len(r.steps) == 3
    r = DrillRun.start(DRILL, questions, seed=1)
    failed = database.mark_failed(db, pipeline.skip_step(db, r.session(db), r.step).id, "x")
    assert r.listen(db, settings, failed, questions[Q]) == []  # only a transcribed answer is listened to
    r.listen(db, settings, transcribed(r, db, settings, FIRST), questions[Q])
    r.advance(db)
    assert r.listen(db, settings, transcribed(r, db, settings, SECOND), questions[Q]) == []


def test_a_cut_probe_comes_first_and_its_evidence_is_not_asked_twice(settings, db, questions):
    r = DrillRun.start(DRILL, questions, seed=1)
    main = transcribed(r, db, settings, FIRST)
    cut = probes.propose(FIRST, (), questions[Q], settings)[0]
    cut = replace(cut, text="Let me stop you there. " + cut.text)
    steps = r.listen(db, settings, main, questions[Q], cut=interrupt.Cut("time", cut, 30.0))
    assert steps[0].prompt == cut.text and len(steps) == 2
    assert len({s.evidence for s in steps}) == 2


def test_evidence_segments_forgive_case_and_spacing():
    assert probes.evidence_segments("So  We decided to go.", "we decided") == (
        ("So  ", False),
        ("We decided", True),
        (" to go.", False),
    )
    assert probes.evidence_segments("Nothing here.", "we decided") == (("Nothing here.", False),)
    assert probes.evidence_segments("", "x") == ()


def test_a_cut_into_a_follow_up_is_asked_next_and_keeps_the_rest(settings, db, questions):
    r = DrillRun.start(DRILL, questions, seed=1)
    r.listen(db, settings, transcribed(r, db, settings, FIRST), questions[Q])
    r.advance(db)
    rest = [s.prompt for s in r.steps[2:]]
    cut = interrupt.CutWatch(5, questions[Q], settings).check(SECOND, 6)
    steps = r.listen(db, settings, transcribed(r, db, settings, SECOND), questions[Q], cut=cut)
    assert [s.prompt for s in steps] == [cut.say] and cut.say.startswith("Let me stop you there. ")
    assert r.steps[2] == steps[0] and steps[0].probe_index == 103  # after 101 and 102
    assert [s.prompt for s in r.steps[3:]] == rest


def test_a_crash_before_the_row_keeps_the_probe_in_the_recovered_answer(settings, db, questions):
    import json
    import subprocess
    import sys

    from rehearse.store import recovery

    r = DrillRun.start(DRILL, questions, seed=1)
    r.listen(db, settings, transcribed(r, db, settings, FIRST), questions[Q])
    r.advance(db)
    step = r.step
    # What save_answer writes before the audio, then the audio; the process dies before the row.
    aid = database.new_id()
    row = dict(
        answer_id=aid,
        session_id=r.session(db),
        question_id=step.question_id,
        question_text=step.question_text,
        probe_index=step.probe_index,
        prompt=step.prompt,
        **pipeline.probe_fields(step),
    )
    recovery.write_note(settings, aid, row)
    t = np.arange(16000 * 2) / 16000
    audio.save_recording(audio.wav_bytes((0.2 * np.sin(t * 1000)).astype(np.float32), 16000), settings.audio_dir, aid)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    note_path = recovery.pending_dir(settings) / f"{aid}.json"
    note_path.write_text(json.dumps(json.loads(note_path.read_text()) | {"pid": int(dead.stdout)}))

    assert recovery.recover(db, settings) == [aid]
    back = database.get_answer(db, aid)
    assert (back.probe_kind, back.probe_evidence, back.probe_start, back.probe_why) == (
        step.kind,
        step.evidence,
        step.evidence_start,
        step.why,
    )
