"""Every measurement on hand-written transcripts and word timings, edge cases included."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from rehearse.measure import analysis
from rehearse.measure.tokens import TOKEN
from rehearse.settings import Settings

SETTINGS = Settings(home=Path("/nonexistent-rehearse-home"))
BASE_FIELDS = (
    "duration",
    "speaking_seconds",
    "word_count",
    "wpm",
    "filler_count",
    "fillers_per_minute",
    "long_pauses",
    "longest_pause",
    "length_verdict",
)


def timed(
    text: str, start: float = 0.0, step: float = 0.4, length: float = 0.3, gaps: dict[int, float] | None = None
) -> list[dict]:
    """Whisper-like word timings for `text`: one word every `step` s, extra silence before word i."""
    words, t = [], start
    for i, word in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        words.append({"start": round(t, 3), "end": round(t + length, 3), "text": word, "probability": 0.9})
        t += step
    return words


def measure(text, words=None, duration=None, settings=SETTINGS, **kw):
    words = timed(text) if words is None else words
    if duration is None:
        duration = (max(w["end"] for w in words) + 0.5) if words else 0.0
    return analysis.analyze(text, words, duration, settings, **kw)


def hit_texts(m, text, kind):
    return [text[h.start : h.end] for h in m.hits if h.kind == kind]


def test_pace_over_speaking_time_and_its_band():
    text = "I rebuilt the billing pipeline in six weeks with two other engineers"  # 12 words
    words = timed(text, start=3.0, step=0.5)  # speaking from 3.0 to 8.8 s
    m = measure(text, words, duration=12.0, target=(10, 20))
    assert (m.word_count, m.speaking_seconds, m.first_word_at) == (12, 5.8, 3.0)
    assert m.wpm == round(12 / (5.8 / 60), 1) == 124.1
    assert (m.pace_verdict, m.wpm_low, m.wpm_high) == ("slow", 130, 160)
    assert m.length_verdict == "ok" and (m.target_min, m.target_max) == (10, 20)
    fast = measure(text, timed(text, step=0.25))
    assert fast.pace_verdict == "fast" and fast.wpm > 160
    band = measure(text, timed(text, step=0.25), settings=replace(SETTINGS, wpm_high=300))
    assert band.pace_verdict == "ok" and band.wpm_high == 300
    assert measure(text, duration=5.0, target=(60, 120)).length_verdict == "short"
    assert measure(text, duration=130.0, target=(60, 120)).length_verdict == "long"


def test_long_pauses_say_how_many_how_long_and_where():
    text = "We had a plan. Then the vendor went bust. So I called their biggest customer."
    words = timed(text, gaps={4: 2.5, 8: 0.8, 9: 3.2})
    m = measure(text, words)
    assert m.long_pauses == 2 and m.longest_pause == 3.3 and m.pause_threshold == 2.0
    first, second = m.pauses
    assert (first.after, first.before, first.seconds) == ("plan", "Then", 2.6)
    assert first.at == pytest.approx(words[3]["end"], abs=0.01)
    assert (second.after, second.before, second.seconds) == ("bust", "So", 3.3)
    assert second.at == pytest.approx(words[8]["end"], abs=0.01) and second.at > first.at
    stricter = measure(text, words, settings=replace(SETTINGS, long_pause_seconds=0.5))
    assert stricter.long_pauses == 3 and stricter.pause_threshold == 0.5


def test_empty_transcript_and_no_words():
    m = measure("", [], duration=0.0)
    assert (m.word_count, m.wpm, m.speaking_seconds, m.filler_count, m.fillers_per_minute) == (0, 0.0, 0.0, 0, 0.0)
    assert (m.long_pauses, m.longest_pause, m.pauses, m.first_word_at) == (0, 0.0, (), None)
    assert (m.pace_verdict, m.length_verdict, m.i_share, m.star_ends_on, m.hits) == ("", "", None, "", ())
    assert set(m.star_seconds.values()) == {0.0}


def test_only_silence_is_too_short_with_no_pace():
    m = measure("", [], duration=30.0, target=(60, 120))
    assert (m.duration, m.speaking_seconds, m.wpm, m.length_verdict, m.pace_verdict) == (30.0, 0.0, 0.0, "short", "")


def test_one_word():
    m = measure("Yes.", [{"start": 1.0, "end": 1.5, "text": " Yes."}])
    assert (m.word_count, m.speaking_seconds, m.wpm, m.long_pauses, m.longest_pause) == (1, 0.5, 120.0, 0, 0.0)
    assert m.pace_verdict == "slow" and m.first_word_at == 1.0
    filler = measure("Um.", [{"start": 0.2, "end": 0.6, "text": "Um."}])
    assert (filler.filler_count, filler.fillers) == (1, {"um": 1}) and filler.hits[0].time == 0.2


def test_overlapping_word_times_make_no_negative_gap():
    text = "we shipped it on time anyway"
    words = [
        {"start": 0.0, "end": 1.0, "text": "we"},
        {"start": 0.5, "end": 3.0, "text": "shipped"},  # overlaps the word before
        {"start": 1.0, "end": 1.5, "text": "it"},  # lies inside "shipped"
        {"start": 5.5, "end": 6.0, "text": "on"},  # 2.5 s after the latest end (3.0), not after "it"
        {"start": 5.8, "end": 6.1, "text": "time"},
        {"start": 5.9, "end": 7.0, "text": "anyway"},
    ]
    m = measure(text, list(reversed(words)))  # order of the list does not matter
    assert m.speaking_seconds == 7.0
    assert m.long_pauses == 1 and m.longest_pause == 2.5
    assert (m.pauses[0].at, m.pauses[0].after, m.pauses[0].before) == (3.0, "shipped", "on")


def test_fillers_all_spellings_rate_and_real_words_left_out():
    text = (
        "Umm, so the, uh, launch slipped. Hmm, you know, we er kind of lost a week. "
        "Do you know what kind of team it was? I mean, basically it was literally chaos."
    )
    m = measure(text)
    assert m.fillers == {
        "um": 1,
        "uh": 1,
        "hmm": 1,
        "you know": 1,
        "er": 1,
        "kind of": 1,
        "i mean": 1,
        "basically": 1,
        "literally": 1,
    }
    assert m.filler_count == 9
    assert m.fillers_per_minute == round(9 / (m.speaking_seconds / 60), 2)
    # "do you know" and "what kind of team" are real words, not fillers.
    assert hit_texts(m, text, "filler").count("you know") == 1
    assert hit_texts(m, text, "filler").count("kind of") == 1
    assert "Umm" in hit_texts(m, text, "filler")
    edited = measure(text, settings=replace(SETTINGS, fillers=("launch", "chaos")))
    assert edited.fillers == {"launch": 1, "chaos": 1}


@pytest.mark.parametrize(
    "text, counted",
    [
        ("It was, like, a mess for weeks.", {"like": 1}),
        ("We were like, uh, stuck.", {"like": 1}),
        ("I like my team and it looks like rain.", {}),
        ("Like I said, it worked.", {}),
        ("So, um, in my last role I led the team.", {"so": 1}),
        ("So in my last role I led the team.", {"so": 1}),
        ("I wrote tests so that it could not break.", {}),
        ("I think so. It was not so bad.", {}),
        ("We had no time, so. That was that.", {"so": 1}),
        ("It shipped, so yeah.", {"so": 1}),
    ],
)
def test_like_and_so_counted_only_as_fillers_and_apart(text, counted):
    m = measure(text)
    assert m.ambiguous_fillers == counted, text
    assert m.ambiguous_filler_count == sum(counted.values())
    assert m.filler_count == sum(v for k, v in m.fillers.items())  # never mixed into the main count
    assert "like" not in m.fillers and "so" not in m.fillers


def test_a_pause_sets_like_off_like_a_comma():
    text = "it was like really hard"
    plain = measure(text, timed(text))
    paused = measure(text, timed(text, gaps={3: 0.6}))
    assert plain.ambiguous_filler_count == 0 and paused.ambiguous_fillers == {"like": 1}


def test_ownership_i_against_we_without_hedges_and_fillers():
    text = (
        "I think we missed it. I mean, I rebuilt the plan, my manager signed it and we shipped it to the US and to us."
    )
    m = measure(text)
    # "I think" and "I mean" say nothing about who did the work; "US" is the country.
    assert (m.i_count, m.we_count) == (2, 3)
    assert m.i_share == round(2 / 5, 3)
    assert measure("The plan shipped.").i_share is None


def test_hedges_and_stock_phrases_with_contractions():
    text = (
        "I think the plan was maybe too big. I'm not sure it was probably wrong. I guess I am a perfectionist, "
        "and I'm always learning. Honestly I'm a perfectionist."
    )
    m = measure(text)
    assert m.hedges == {"i think": 1, "maybe": 1, "i'm not sure": 1, "probably": 1, "i guess": 1}
    assert m.hedge_count == 5
    assert m.stock_phrases == ("i'm a perfectionist", "i'm always learning", "i'm a perfectionist")
    assert hit_texts(m, text, "stock") == ["I am a perfectionist", "I'm always learning", "I'm a perfectionist"]
    assert hit_texts(m, text, "hedge")[2] == "I'm not sure"


STORY = (
    "Last year I was working at a logistics firm in Denver. "  # situation
    "My job was to stop the warehouse losing orders. "  # task
    "So I sat with the night shift, I asked Priya, our network engineer, to add access points, "
    "and I changed the scanner software so it kept every scan. "  # action
    "As a result we lost no orders and returns went down 30% in two months. "  # result
    "What I learned is to watch the work before I change the code."
)  # reflection


def test_star_parts_timed_from_word_timings():
    words = timed(STORY, step=0.5)
    m = measure(STORY, words, category="behavioral")
    starts = {s.part: s.start for s in m.star_sequence}
    assert [s.part for s in m.star_sequence] == ["situation", "task", "action", "result", "reflection"]
    index = {w: i for i, w in reversed(list(enumerate(STORY.split())))}
    assert starts["situation"] == 0.0  # "Last year": the clause starts the answer
    assert starts["task"] == words[index["My"]]["start"]
    assert starts["action"] == words[index["So"]]["start"]
    assert starts["result"] == words[index["As"]]["start"]
    assert starts["reflection"] == words[index["What"]]["start"]
    secs = m.star_seconds
    assert secs["action"] == max(secs.values()) and secs["opening"] == 0.0
    assert sum(secs.values()) == pytest.approx(m.speaking_seconds, abs=0.05)
    assert m.star_ends_on == "reflection"
    assert m.numbers == ("30%", "two") and m.result_numbers == ("30%", "two")
    assert m.names == ("Denver", "Priya") and m.roles == ("engineer",)


def test_story_without_cues_is_all_opening_and_numbers_outside_the_result():
    text = "The team had three people and the tool was slow."
    m = measure(text)
    assert [s.part for s in m.star_sequence] == ["opening"] and m.star_ends_on == "opening"
    assert m.numbers == ("three",) and m.result_numbers == ()


def test_star_without_word_timings_uses_no_made_up_seconds():
    m = measure(STORY, [], duration=40.0)
    assert m.star_ends_on == "reflection" and set(m.star_seconds.values()) == {0.0}


def test_names_skip_sentence_starts_months_and_i_and_join_full_names():
    text = "In March I met John Dashwood from Acme in New York. Then Sarah, the CTO, agreed."
    m = measure(text)
    # "In" and "Then" start sentences, "March" is a month, "CTO" is a role.
    assert m.names == ("John Dashwood", "Acme", "New York", "Sarah")
    assert m.roles == ("cto",)


@pytest.mark.parametrize(
    "text, owns, admissions, blame",
    [
        (
            "I promised a date before I asked the engineers. I should have asked first. It was my fault.",
            True,
            ("i promised", "i should have", "my fault"),
            (),
        ),
        (
            "The vendor was late and it was not my fault. They should have told us.",
            False,
            (),
            ("was not my fault", "they should have"),
        ),
        ("The launch slipped by three weeks and we fixed it.", False, (), ()),
        # Where blame and an admission overlap, the longer phrase is what was said.
        ("Honestly I dropped the ball on the handover.", True, ("i dropped the ball",), ()),
        ("The vendor dropped the ball and let us down.", False, (), ("dropped the ball", "let us down")),
        ("We should have checked the data. That was on me.", True, ("on me",), ()),
        ("The pressure was on me, and we shipped on time.", False, (), ()),
        ("It was not on me. Nobody told us about the change.", False, (), ("not on me", "nobody told us")),
    ],
)
def test_failure_answers_say_what_the_speaker_got_wrong(text, owns, admissions, blame):
    m = measure(text, category="failure")
    assert (m.owns_mistake, m.admissions, m.blame) == (owns, admissions, blame)
    assert hit_texts(m, text, "admission") == [t for t in hit_texts(m, text, "admission")]  # spans are real text
    other = measure(text, category="behavioral")
    assert other.owns_mistake is None and other.admissions == () and other.category == "behavioral"


def test_hits_point_at_the_transcript_and_the_recording():
    text = "So, um, I think we, uh, kind of shipped it."
    words = timed(text, start=1.0)
    m = measure(text, words)
    for h in m.hits:
        assert h.phrase.replace("um", "um") in text[h.start : h.end].lower() or h.kind == "ambiguous"
        first = TOKEN.findall(text[h.start : h.end])[0]
        assert h.time == next(w["start"] for w in words if first in w["text"])
    assert [(h.kind, text[h.start : h.end]) for h in m.hits] == [
        ("ambiguous", "So"),
        ("filler", "um"),
        ("hedge", "I think"),
        ("filler", "uh"),
        ("filler", "kind of"),
    ]


def test_timings_that_do_not_match_the_text_word_for_word():
    text = "Um, we cut the crash rate to 2% in four weeks."
    words = timed("we cut the crash rate to 2% in four weeks.", start=1.5)  # the decoder's words lack "Um"
    m = measure(text, words)
    assert m.word_count == 11 and m.filler_count == 1
    assert m.hits[0].time is None  # no timing for the dropped word, and none made up
    assert m.numbers == ("2%", "four") and m.first_word_at == 1.5
    bare = [{"start": w["start"], "end": w["end"]} for w in words]  # timings without their words
    assert measure(text, bare).filler_count == 1


def test_metrics_keep_their_field_names_and_survive_json():
    m = measure("Um, " + STORY, category="failure", target=(60, 120), follow_up=True)
    data = json.loads(json.dumps(m.to_dict()))
    assert all(k in data for k in BASE_FIELDS)
    assert data["follow_up"] is True and data["category"] == "failure"
    assert data["hits"][0].keys() == {"kind", "phrase", "start", "end", "time"}
    assert data["star_sequence"][0].keys() == {"part", "start", "end", "cue"}
    assert analysis.count_fillers("Um, you know, umm", SETTINGS.fillers) == 3
