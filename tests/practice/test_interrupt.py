"""The cut rule on live text as it grows: past the time limit, or 40 s of "we" with no "I"."""

from dataclasses import replace

import pytest

from rehearse.library import bank
from rehearse.practice import interrupt
from rehearse.practice.interrupt import CutWatch, personal_actions

WE = "We aligned the teams on one plan. We rebuilt the release calendar. We cut the failures in half. "


@pytest.fixture
def question(settings):
    return bank.load_library(settings).questions["lead-cross-org-change"]


def feed(watch: CutWatch, pieces: list[tuple[float, str]]):
    """Live updates: (seconds, text so far); the first cut and the updates it took."""
    for n, (seconds, text) in enumerate(pieces, 1):
        cut = watch.check(text, seconds)
        if cut is not None:
            return cut, n
    return None, len(pieces)


def test_personal_actions_count_what_the_speaker_did():
    assert personal_actions("I called the director and then I rewrote the plan.") == 2
    assert personal_actions("I've rewritten it. I quickly booked a room.") == 2
    assert personal_actions("I think we did well. I was involved. I helped with it.") == 0
    assert personal_actions("We did it all together.") == 0


def test_past_the_time_limit_the_voice_cuts_in_with_the_best_probe(settings, question):
    watch = CutWatch(30, question, settings)
    cut, n = feed(watch, [(10, WE), (20, WE + WE), (29.9, WE * 3), (30.4, WE * 3), (31, WE * 3)])
    assert n == 4 and cut.reason == "time" and cut.seconds == 30.4
    assert cut.probe.text.startswith("Let me stop you there. ")
    assert cut.probe.evidence and cut.probe.evidence in WE * 3  # it picks up what was said
    assert watch.check(WE * 4, 40) is None and watch.cut is cut  # it cuts once


def test_forty_seconds_of_we_without_i_cuts_in_with_the_vague_we_probe(settings, question):
    watch = CutWatch(None, question, settings)
    updates = [(s, WE * (1 + s // 10)) for s in range(2, 60, 2)]
    cut, _ = feed(watch, updates)
    assert cut.reason == "we" and cut.seconds == 42  # first "we" claim at 2 s
    assert cut.probe.kind == "vague_we" and cut.probe.text.startswith("Let me stop you there. You said '")


def test_a_personal_action_resets_the_we_clock(settings, question):
    watch = CutWatch(None, question, settings)
    text = WE
    assert watch.check(text, 5) is None
    text += "Then I called the finance director myself. "
    assert watch.check(text, 30) is None
    assert watch.check(text + WE, 44) is None  # 40 s since the first "we", but "I" came at 30 s
    assert watch.check(text + WE + WE, 60) is None  # new "we" from 44 s
    cut = watch.check(text + WE + WE + WE, 84)
    assert cut is not None and cut.reason == "we"


def test_no_cut_on_an_answer_full_of_i(settings, question):
    watch = CutWatch(None, question, settings)
    mine = "I called the director. I wrote the plan. "
    assert feed(watch, [(s, mine * (s // 5 + 1)) for s in range(0, 120, 5)]) == (None, 24)


def test_nothing_to_pick_up_still_gets_a_question(settings):
    watch = CutWatch(5, None, settings, we_seconds=1)
    cut = watch.check("", 6)  # nothing decoded yet
    assert cut.probe.text == f"{interrupt.LEAD} What was the result?" and cut.reason == "time"


def test_only_a_drill_with_interrupt_cuts(settings, question):
    drill = bank.load_library(settings).drills["skeptical-panel"]
    watch = CutWatch.for_drill(drill, question, settings)
    assert watch is not None and watch.limit == drill.time_limit_seconds and watch.tone == "blunt"
    assert CutWatch.for_drill(replace(drill, interrupt=False), question, settings) is None
