"""History filters and full-text search on a real SQLite file seeded through the real storage functions."""

from datetime import timedelta

import pytest
from seed import FAIL, HARD, INTRO, LEAD, seed

from rehearse import clock
from rehearse.errors import SearchError
from rehearse.library import bank
from rehearse.practice import history
from rehearse.store import database
from rehearse.store import history as stored_history


@pytest.fixture
def seeded(settings, db):
    return seed(db, settings)


@pytest.fixture(scope="module")
def questions():
    from rehearse.settings import load_settings

    return bank.load_library(load_settings({"REHEARSE_HOME": "/nonexistent-rehearse-home"})).questions


def ids(results: history.Results) -> list[str]:
    return [h.answer.id for h in results.hits]


def marked(segments) -> list[str]:
    return [text for text, hit in segments if hit]


def test_migration_adds_fts_tables_kept_in_sync_by_triggers(db):
    assert {"answers_fts", "ratings_fts"} <= set(db.table_names())
    assert {t.name for t in db["answers"].triggers} >= {"answers_ai", "answers_au", "answers_ad"}
    assert {t.name for t in db["ratings"].triggers} >= {"ratings_ai", "ratings_au", "ratings_ad"}
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    database.add_answer(
        db,
        answer_id="a1",
        session_id=sid,
        question_id="q",
        question_text="Q",
        probe_index=0,
        prompt="Q",
        audio_path=None,
        duration=3.0,
        status="recorded",
    )
    assert history.search(db, history.Filters(text="pineapple")).total == 0
    database.save_transcript(db, "a1", text="A pineapple budget", words=[], model="m", seconds=1, duration=3)
    assert ids(history.search(db, history.Filters(text="pineapple"))) == ["a1"]
    database.save_transcript(db, "a1", text="A banana budget", words=[], model="m", seconds=1, duration=3)
    assert history.search(db, history.Filters(text="pineapple")).total == 0  # the old words left the index
    database.set_rating(db, "a1", note="Mention the mango numbers")
    assert ids(history.search(db, history.Filters(text="mango"))) == ["a1"]
    database.set_rating(db, "a1", note="Nothing fruity")
    assert history.search(db, history.Filters(text="mango")).total == 0
    with db.atomic():
        db.execute("delete from ratings where answer_id = 'a1'")
        db.execute("delete from answers where id = 'a1'")
    assert history.search(db, history.Filters(text="banana")).total == 0
    assert db.execute("select count(*) from answers_fts where answers_fts match 'banana'").fetchone()[0] == 0


def test_search_matches_transcripts_and_notes_with_highlights(seeded, db):
    a = seeded.answers
    results = history.search(db, history.Filters(text="finance director"))
    # Newest first, every take that mentions both words.
    assert ids(results) == [a["latest"].id, a["second"].id, a["first"].id]
    latest = results.hits[0]
    assert marked(latest.transcript) == ["finance", "director"]
    assert marked(latest.note) == ["finance", "director"]  # "Named the finance director this time."
    assert "".join(t for t, _ in latest.transcript) == a["latest"].transcript

    # A word only in a note finds the answer through the note, and the transcript is not marked.
    results = history.search(db, history.Filters(text="fillers"))
    assert ids(results) == [a["first"].id]
    assert marked(results.hits[0].note) == ["fillers"] and marked(results.hits[0].transcript) == []

    # Porter stemming: "migrations" finds "migration"; a quoted phrase must appear as written.
    assert set(ids(history.search(db, history.Filters(text="migrations")))) == {
        a["first"].id,
        a["second"].id,
        a["latest"].id,
        a["intro"].id,
    }
    assert ids(history.search(db, history.Filters(text='"rollback plan"'))) == [a["latest"].id, a["second"].id]
    assert history.search(db, history.Filters(text='"plan rollback"')).total == 0


def test_search_input_never_reaches_fts_as_syntax(seeded, db):
    for text in ["finance OR", "NEAR(finance", '"finance', "finance*", "director:", "AND -cost"]:
        history.search(db, history.Filters(text=text))  # would raise an FTS5 syntax error if passed through
    assert history.fts_query('the "rollback plan" cost-') == '"the" "rollback plan" "cost"'
    with pytest.raises(SearchError, match="Nothing to search for"):
        history.search(db, history.Filters(text="*** ???"))


def test_filters_combine(seeded, db, questions):
    a = seeded.answers
    everything = history.search(db, history.Filters())
    assert everything.total == 8  # the skipped step is not an answer
    assert a["skipped"].id not in ids(everything)

    by_drill = history.search(db, history.Filters(drill_ids=("failure-under-probing",)))
    assert ids(by_drill) == [a["failure"].id]
    by_question = history.search(db, history.Filters(question_ids=(LEAD,), kind="main"))
    assert ids(by_question) == [a["latest"].id, a["second"].id, a["first"].id]
    probes = history.search(db, history.Filters(question_ids=(LEAD,), kind="probes"))
    assert ids(probes) == [a["recent_probe"].id, a["old_probe"].id]

    # Tags come from the question banks: "failure" is on the failure question only, "intro" on the intro one.
    assert ids(history.search(db, history.Filters(tags=("failure",)), questions)) == [a["failure"].id]
    assert ids(history.search(db, history.Filters(tags=("failure", "intro")), questions)) == [
        a["intro"].id,
        a["failure"].id,
    ]
    assert history.search(db, history.Filters(tags=("no-such-tag",)), questions).total == 0

    assert ids(history.search(db, history.Filters(stars=(0,)))) == [a["unrated"].id]
    assert set(ids(history.search(db, history.Filters(stars=(4, 5))))) == {
        a["latest"].id,
        a["recent_probe"].id,
        a["failure"].id,
    }
    assert set(ids(history.search(db, history.Filters(stars=(1, 0))))) == {a["intro"].id, a["unrated"].id}

    today = clock.today()
    last_week = history.search(db, history.Filters(date_from=today - timedelta(days=7)))
    assert set(ids(last_week)) == {a["latest"].id, a["recent_probe"].id, a["unrated"].id, a["intro"].id}
    one_day = history.search(
        db, history.Filters(date_from=today - timedelta(days=10), date_to=today - timedelta(days=10))
    )
    assert ids(one_day) == [a["failure"].id]
    assert history.search(db, history.Filters(date_to=today - timedelta(days=21))).total == 0
    with pytest.raises(SearchError, match="starts on .* after it ends"):
        history.search(db, history.Filters(date_from=today, date_to=today - timedelta(days=1)))

    both = history.search(db, history.Filters(text="director", stars=(2,), drill_ids=("leadership-follow-ups",)))
    assert ids(both) == [a["old_probe"].id, a["first"].id]


def test_pages_and_choices(seeded, db, questions):
    first = history.search(db, history.Filters(), page=0, page_size=3)
    second = history.search(db, history.Filters(), page=1, page_size=3)
    last = history.search(db, history.Filters(), page=99, page_size=3)
    assert (first.total, first.pages, len(first.hits), len(second.hits)) == (8, 3, 3, 3)
    assert last.page == 2 and len(last.hits) == 2  # a page past the end shows the last one
    assert not set(ids(first)) & set(ids(second))
    assert [h.answer.created_at for h in first.hits] == sorted((h.answer.created_at for h in first.hits), reverse=True)

    assert [(d.id, d.count) for d in history.drill_choices(db)] == [
        ("failure-under-probing", 1),
        ("leadership-follow-ups", 2),
        ("warm-up", 1),
    ]
    counts = {q.id: q.count for q in history.question_choices(db)}
    assert counts == {LEAD: 5, FAIL: 1, INTRO: 1, HARD: 1}
    assert "failure" in history.tag_choices(questions) and "leadership" in history.tag_choices(questions)
    first_day, last_day = history.date_bounds(db)
    assert (last_day - first_day).days == 20


def test_segments_and_preview():
    s, e = history.MARK_START, history.MARK_END
    assert history.segments(f"a {s}b{e} c {s}d{e}") == (("a ", False), ("b", True), (" c ", False), ("d", True))
    assert history.segments("plain") == (("plain", False),)
    assert history.preview("one two three", words=2) == "one two …"


def test_a_pasted_page_is_refused_with_a_message_not_searched(seeded, db):
    words = " ".join(["rollback", "plan", "finance", "cost", "team"] * 600)  # 3,000 words
    with pytest.raises(SearchError, match=f"too long .* at most {stored_history.MAX_QUERY_WORDS} words"):
        history.search(db, history.Filters(text=words))
    with pytest.raises(SearchError, match="too long"):
        history.search(db, history.Filters(text="x" * (stored_history.MAX_QUERY_CHARS + 1)))
    # Up to the cap still searches.
    history.search(db, history.Filters(text=" ".join(["plan"] * stored_history.MAX_QUERY_WORDS)))
