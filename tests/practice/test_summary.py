"""The end-of-drill summary on a real SQLite file: a DrillRun driven to its end with seeded
answers (real FLAC, real analysis), and earlier takes of the same questions two days before."""

import pytest
from day_one import add_take
from drill_end import DRILL, run_drill
from seed import FAIL, HARD, INTRO, LEAD, seed, step

from rehearse.library import bank
from rehearse.practice import schedule, summary
from rehearse.practice.run import DrillRun
from rehearse.store import database, takes


@pytest.fixture
def questions(settings):
    return bank.load_library(settings).questions


def by_id(result: summary.Summary) -> dict[str, summary.QuestionResult]:
    return {q.question_id: q for q in result.questions}


def test_each_question_and_follow_up_with_its_headline_stars_and_length(db, settings, questions):
    ended = run_drill(db, settings)
    result = summary.summarise(db, ended.session_id, questions)
    assert result.status == "completed" and not result.ended_early and result.drill_title == DRILL.title
    assert [q.question_id for q in result.questions] == [LEAD, FAIL, HARD, INTRO] and result.not_reached == ()
    lead = by_id(result)[LEAD]
    assert lead.main.state == summary.ANSWERED and lead.main.answer_id == ended.ids["lead"]
    assert lead.main.headline.title == "Nothing stands out to fix" and lead.main.stars == 4
    assert lead.main.length == "63 s"  # 62.5 s, rounded half up for people
    [probe] = lead.follow_ups
    assert probe.state == summary.ANSWERED and probe.stars == 3 and probe.length == "6 s"
    assert probe.headline is not None and probe.prompt == "How did you get buy-in from the other orgs?"
    short = by_id(result)[HARD].main
    assert short.headline.title == "Say more: this answer is too short to judge" and short.stars == 1
    assert result.follow_ups_asked == 4


def test_what_improved_against_the_earlier_takes(db, settings, questions):
    ended = run_drill(db, settings)
    result = by_id(summary.summarise(db, ended.session_id, questions))
    lead = result[LEAD]
    # Compared with the take from two days ago (the "we" story), not with anything from this drill.
    assert lead.earlier.earlier_id == ended.ids["old_we"] and not lead.first_time
    better = {c.signal: c.text for c in lead.earlier.better}
    assert better["stars"] == "you rated it 4★, 2★ last time"
    assert better["ownership"] == "more “I”: 89% I, from 0%"
    assert better["length"] == "on the target length: 63 s, from 19 s (aim for 60–120 s)"
    assert lead.earlier.worse == ()
    failure = result[FAIL]
    assert failure.earlier.earlier_id == ended.ids["old_failure"]
    assert "you own the mistake now" in [c.text for c in failure.earlier.better]
    assert any(
        c.signal == "length" and c.text.startswith("closer to the target length: 25 s") for c in failure.earlier.better
    )
    # Never answered before: said so, no comparison.
    assert result[HARD].first_time and result[HARD].earlier is None
    assert result[INTRO].first_time


def test_the_earlier_take_comes_from_an_earlier_session(db, settings):
    ended = run_drill(db, settings)
    # A second take in this drill is not "last time".
    lead0 = step(LEAD, 0, "Tell me about a time you led a change.", "")
    add_take(db, settings, ended.session_id, lead0, "I led it.", category="behavioral", minute=40, speaking=2)
    assert takes.last_before_session(db, LEAD, ended.session_id).id == ended.ids["old_we"]
    assert takes.last_before_session(db, HARD, ended.session_id) is None


def test_the_two_weakest_answers_make_a_drill_of_just_those(db, settings, questions):
    ended = run_drill(db, settings)
    result = summary.summarise(db, ended.session_id, questions)
    # 1★ and a few words, then 3★ and short; the 4★ answers stay out.
    assert [a.answer_id for a in result.weakest] == [ended.ids["short"], ended.ids["failure"]]
    assert result.again.questions == (HARD, FAIL) and result.again.count == 2
    assert result.again.id == summary.AGAIN_DRILL_ID and result.again.title.endswith(DRILL.title)
    assert "from that drill" in result.again.description
    # The same choice as the practice queue's weakest answers: one rule for both.
    session_mains = [a for a in database.session_answers(db, ended.session_id) if a.probe_index == 0]
    _, chosen = schedule.weakest_drill(session_mains, questions, 2)
    assert [a.id for a in chosen] == [a.answer_id for a in result.weakest]
    # It plans: the drill page starts it like any other.
    planned = DrillRun.start(result.again, questions, seed=3).steps
    assert list(dict.fromkeys(s.question_id for s in planned)) == [HARD, FAIL]


def test_skipped_and_refused_follow_ups(db, settings, questions):
    ended = run_drill(db, settings)
    result = summary.summarise(db, ended.session_id, questions)
    missed = {a.question_id: a for a in result.missed_follow_ups}
    assert set(missed) == {FAIL, HARD}  # the lead and intro follow-ups were answered
    assert missed[FAIL].state == summary.REFUSED and missed[FAIL].takes == 1
    assert missed[FAIL].reason == "The recording was too short to be an answer."
    assert missed[HARD].state == summary.SKIPPED and missed[HARD].prompt.startswith("What exactly did you say")


def test_ended_early_names_what_was_never_reached(db, settings, questions):
    ended = run_drill(db, settings, end_early=True)
    result = summary.summarise(db, ended.session_id, questions)
    assert result.status == "ended" and result.ended_early
    assert [q.question_id for q in result.questions] == [LEAD, FAIL, HARD]
    [never] = result.not_reached
    assert never.question_id == INTRO and never.question_text == "Tell me about yourself."
    assert [f.state for f in never.follow_ups] == [summary.NOT_REACHED]
    assert all(a.question_id != INTRO for a in result.missed_follow_ups)  # not reached is not skipped


def test_a_skipped_question_takes_its_follow_ups_with_it(db, settings, questions):
    run = DrillRun.start(DRILL, questions, seed=1)
    run.skip(db)  # the lead question, and so its follow-up
    add_take(db, settings, run.session(db), run.step, "I missed the launch.", category="failure", minute=5, speaking=3)
    run.advance(db)
    run.end(db)
    result = summary.summarise(db, run.session_id, questions)
    lead = by_id(result)[LEAD]
    assert lead.main.state == summary.SKIPPED and [f.state for f in lead.follow_ups] == [summary.WITH_QUESTION]
    assert result.missed_follow_ups == ()  # never asked: the user skipped the question, not the follow-up
    assert by_id(result)[FAIL].follow_ups[0].state == summary.NOT_REACHED
    assert [q.question_id for q in result.not_reached] == [HARD, INTRO]
    assert [a.question_id for a in result.weakest] == [FAIL]


def test_a_session_stored_without_a_plan_is_summed_up_from_its_answers(db, settings, questions):
    seeded = seed(db, settings)
    result = summary.summarise(db, seeded.sessions["failure"], questions)
    [failure] = result.questions
    assert failure.main.answer_id == seeded.answers["failure"].id and failure.main.stars == 4
    assert [a.state for a in result.missed_follow_ups] == [summary.SKIPPED]
    old = summary.summarise(db, seeded.sessions["recent"], questions)
    assert by_id(old)[LEAD].earlier.earlier_id == seeded.answers["second"].id  # the latest take 20 days ago


STORY = {"category": "behavioral", "word_count": 120, "duration": 70.0, "target_min": 60.0, "target_max": 120.0}


def test_changes_need_to_be_big_enough_to_notice():
    before = {**STORY, "fillers_per_minute": 6.2, "long_pauses": 4, "hedge_count": 3, "wpm": 190}
    after = {**STORY, "fillers_per_minute": 1.5, "long_pauses": 1, "hedge_count": 0, "wpm": 150}
    found = {c.signal: c for c in summary.changes(before, after)}
    assert found["fillers"].text == "fewer fillers: 1.5 a minute, from 6.2" and found["fillers"].better
    assert found["pauses"].text == "fewer long pauses: 1, from 4" and found["pauses"].better
    assert found["hedges"].better and found["pace"].better
    assert found["pace"].text == "pace nearer 130–160: about 150 words a minute, from 190"
    # The other way round is worse, in the same words.
    back = {c.signal: c for c in summary.changes(after, before)}
    assert back["fillers"].text == "more fillers: 6.2 a minute, from 1.5" and not back["fillers"].better
    # Small moves inside the range are not news.
    assert summary.changes({**STORY, "fillers_per_minute": 1.0}, {**STORY, "fillers_per_minute": 1.8}) == ()
    assert summary.changes(STORY, {**STORY, "duration": 100.0}) == ()


def test_result_stated_and_stars():
    stops = {**STORY, "star_seconds": {"situation": 10, "action": 30}, "star_ends_on": "action"}
    ends = {**STORY, "star_seconds": {"situation": 10, "action": 30, "result": 8}, "star_ends_on": "result"}
    [structure] = [c for c in summary.changes(stops, ends) if c.signal == "structure"]
    assert structure.text == "a result now stated: last time the story stopped at the action" and structure.better
    assert [c.better for c in summary.changes(STORY, STORY, 4, 2)] == [False]
    assert summary.changes(STORY, STORY, None, 5) == ()  # one unrated take: nothing to compare


def test_a_few_words_are_compared_on_length_and_stars_only():
    short = {**STORY, "word_count": 6, "duration": 4.0, "fillers_per_minute": 0.0}
    long = {**STORY, "fillers_per_minute": 8.0}
    found = summary.changes(short, long, 1, 3)
    assert {c.signal for c in found} == {"stars", "length"}
