"""A drill run survives a reload in a real Chromium: the page offers to continue where it was,
or to start a new drill (the old one is kept as ended early); starting and leaving stores
nothing. And where the browser blocks the question's autoplay, a button plays it."""

import pytest
from appdriver import PROBE, QUESTION, TEST_DRILL_TITLE

from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.store import database

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CONTINUE = f"Continue {TEST_DRILL_TITLE} where you left off (question 1 of 1)"


def start(page) -> None:
    page.goto("")
    page.select("Choose a drill", TEST_DRILL_TITLE)
    page.click("Start drill")
    page.expect_text(QUESTION)


def reload(page) -> None:
    page.page.reload()
    page.wait_idle()


def test_a_reload_mid_drill_continues_where_it_was(app, tab, record_seconds, settings_of):
    from appdriver import ANSWER

    app.start()
    page = tab(app)
    db = database.open_database(settings_of(app))

    # Started and left at once: nothing is stored, so a reload has nothing to offer.
    start(page)
    reload(page)
    page.expect_text("Choose a drill")
    assert page.button(CONTINUE).count() == 0 and database.list_sessions(db) == []

    # Answer the question, then reload: the page offers to continue.
    start(page)
    page.question_audio()
    assert page.page.get_by_role("button", name="Play the question").count() == 0  # it played by itself
    page.record(record_seconds)
    first = page.wait_transcript()
    assert word_error_rate(normalize(ANSWER), normalize(first)) <= 0.2, first
    page.shot("mid-run")
    [session] = database.list_sessions(db)
    assert session.status == "active"
    reload(page)
    page.expect_text(f"You have a drill in progress: {TEST_DRILL_TITLE}")
    assert page.button("Start a new drill").is_visible()
    page.shot("resume-offer")

    page.click(CONTINUE, shot="continued")
    page.expect_text(QUESTION)
    # The answer given before the reload is there (its final pass may have polished it since).
    [again] = page.transcripts()
    assert word_error_rate(normalize(first), normalize(again)) <= 0.1, (first, again)
    assert "Question 1 of 1" in page.page.get_by_test_id("stProgress").inner_text()
    page.click("Next follow-up")
    page.expect_text(PROBE)
    page.record(record_seconds)
    page.wait_transcript()
    page.click("Finish drill")
    page.expect_text("Drill complete")
    [session] = database.list_sessions(db)
    assert session.status == "completed"
    assert [a.probe_index for a in database.session_answers(db, session.id)] == [0, 1]

    # Another run, answered and then abandoned by a reload and "Start a new drill": ended early.
    page.click("Start another drill")
    page.select("Choose a drill", TEST_DRILL_TITLE)
    page.click("Start drill")
    page.record(record_seconds)
    page.wait_transcript()
    reload(page)
    page.click("Start a new drill", shot="new-drill-instead")
    page.expect_text("Choose a drill")
    newest = database.list_sessions(db)[0]
    assert newest.id != session.id and newest.status == "ended"
    page.navigate("Review")
    assert page.selected("Session").endswith("· ended early")
    page.shot("review-ended-early")
    assert page.outbound_requests() == [] and app.outbound() == []


# What a browser that blocks autoplay does, made certain: media never starts by itself, and
# play() is refused with NotAllowedError unless called inside a click (Chromium's
# --autoplay-policy=user-gesture-required still lets it through within seconds of the Start click).
BLOCK_AUTOPLAY = """
(() => {
  let inClick = false;
  document.addEventListener("click", () => { inClick = true; setTimeout(() => { inClick = false; }); }, true);
  const realPlay = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    if (!inClick) return Promise.reject(new DOMException("play() needs a user gesture", "NotAllowedError"));
    return realPlay.call(this);
  };
  Object.defineProperty(HTMLMediaElement.prototype, "autoplay", { get() { return false; }, set(v) {}, configurable: true });
  const realSet = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this instanceof HTMLMediaElement && String(name).toLowerCase() === "autoplay") return;
    return realSet.call(this, name, value);
  };
})();
"""


def test_a_blocked_autoplay_gets_a_play_the_question_button(app, chromium, shots):
    """At 400 px, with autoplay refused, the page offers a clear button that plays the question."""
    from appdriver import AppPage

    app.start()
    context = chromium.new_context(permissions=["microphone"], viewport={"width": 400, "height": 900})
    try:
        context.add_init_script(BLOCK_AUTOPLAY)
        page = AppPage.open(context, app, shots)
        start(page)
        button = page.page.get_by_role("button", name="Play the question")
        button.wait_for(timeout=30_000)
        audio = "() => document.querySelector('.st-key-question-audio audio')"
        assert page.page.evaluate(f"({audio})().paused")
        page.shot("play-button-narrow")
        button.click()
        page.page.wait_for_function(f"() => ({audio})().currentTime > 0", timeout=15_000)
        assert button.count() == 0  # gone once the question plays
        page.shot("playing-after-click")
    finally:
        context.close()
