"""A person's drill in a real Chromium: the question plays, the fake microphone answers, the
transcript appears, a rating and a note are given, the follow-up is answered, the review page
shows the session, and the SQLite file holds all of it. Nothing leaves the machine."""

import stat

import pytest
from appdriver import ANSWER, PROBE, QUESTION, TEST_DRILL_ID, drive_drill

from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.store import database
from rehearse.web.ui import WORD_JOINER

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NOTE = "Name the **finance** director next time <b>really</b>."


def test_full_drill_then_review(app, tab, record_seconds, settings_of):
    app.start()
    page = tab(app)
    seen = drive_drill(page, record_seconds, note=NOTE)

    # The question and the follow-up were spoken by the voice and started playing by themselves.
    for key in ("question_audio", "probe_audio"):
        played = seen[key]
        assert "/media/" in played["src"] and played["duration"] > 1.5 and played["currentTime"] > 0, played
    assert seen["question_audio"]["src"] != seen["probe_audio"]["src"]
    for key in ("transcript", "probe_transcript"):
        assert word_error_rate(normalize(ANSWER), normalize(seen[key])) <= 0.2, seen[key]

    # The review page, reached from the finished drill, shows the session as it was saved.
    page.page.get_by_role("link", name="Review this session").click()
    page.wait_idle()
    page.expect_text(QUESTION)
    page.expect_text(f"Follow-up 1: {PROBE}")
    assert "Browser check" in page.selected("Session")
    transcripts = page.transcripts()
    assert len(transcripts) == 2 and all(word_error_rate(normalize(ANSWER), normalize(t)) <= 0.2 for t in transcripts)
    first = page.page.get_by_test_id("stFeedback").first
    assert first.get_by_role("radio", name="4 out of 5 stars").get_attribute("aria-checked") == "true"
    assert page.page.get_by_label("Note").first.input_value() == NOTE
    page.shot("review")

    # The SQLite file holds the same: a completed session, two transcribed answers, the rating and note.
    settings = settings_of(app)
    db = database.open_database(settings)
    [session] = database.list_sessions(db)
    assert (session.drill_id, session.status, session.answer_count) == (TEST_DRILL_ID, "completed", 2)
    answers = database.session_answers(db, session.id)
    assert [(a.probe_index, a.prompt, a.status) for a in answers] == [
        (0, QUESTION, "transcribed"),
        (1, PROBE, "transcribed"),
    ]
    assert (answers[0].stars, answers[0].note) == (4, NOTE)
    for a in answers:
        assert word_error_rate(normalize(ANSWER), normalize(a.transcript)) <= 0.2
        assert a.words and a.metrics["wpm"] > 0 and a.duration > 3
        path = a.audio_file(settings)
        assert path.read_bytes()[:4] == b"fLaC"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the recording is the owner's only
    assert stat.S_IMODE(settings.home.stat().st_mode) == 0o700
    assert stat.S_IMODE(settings.db_path.stat().st_mode) == 0o600

    # Nothing went anywhere but this machine, from the page or from the server.
    assert page.outbound_requests() == []
    assert app.outbound() == []


TRICKY = (
    '# Heading **bold** _em_ <b>tag</b> <img src=x onerror="window.__pwned=1"> '
    "<script>window.__pwned=2</script> [link](http://example.com) www.example.org me@example.com "
    "`code` :smile: :red[red] $x^2$ &amp; &#42; 1. item | a | b | ~~gone~~ \\*star\\*"
)


def test_markdown_and_html_in_user_text_are_shown_as_text(app, tab, settings_of):
    settings = settings_of(app)
    db = database.open_database(settings)
    sid = database.create_session(db, TEST_DRILL_ID, "Browser check", [])
    answer = database.add_answer(
        db,
        answer_id=database.new_id(),
        session_id=sid,
        question_id="lead-cross-org-change",
        question_text=QUESTION,
        probe_index=0,
        prompt=QUESTION,
        audio_path=None,
        duration=5.0,
        status="recorded",
    )
    database.save_transcript(db, answer.id, text=TRICKY, words=[], model="tiny.en", seconds=0.1, duration=5.0)
    database.set_rating(db, answer.id, stars=2, note=TRICKY)

    app.start()
    page = tab(app)
    page.open_page("Review", shot="review-with-markup")
    # Every character as typed (ui.plain adds only invisible word joiners that stop auto-linking).
    assert [t.replace(WORD_JOINER, "") for t in page.transcripts()] == [TRICKY]
    card = page.page.locator("[class*='st-key-'][class*='transcript-']")
    for tag in ("strong", "em", "b", "a", "h1", "img", "script", "code", "del", "table", "ol", "li", ".katex"):
        assert card.locator(tag).count() == 0, f"<{tag}> was rendered from user text"
    assert "😄" not in card.inner_text()
    assert page.page.evaluate("() => window.__pwned === undefined")
    assert page.page.get_by_label("Note").first.input_value() == TRICKY
