"""Streamlit pieces shared by the pages: cached resources and the answer card.

The only module in the package that imports Streamlit; everything it shows comes from
pure functions elsewhere in rehearse/.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from rehearse import clock
from rehearse.errors import ConfigError, DatabaseDamagedError, RehearseError
from rehearse.library.bank import Drill, Step
from rehearse.measure import analysis, feedback
from rehearse.practice import final_worker, pipeline, probes, run, summary
from rehearse.settings import Settings, load_settings
from rehearse.speech import capture, final, vocabulary
from rehearse.speech.capture import CaptureServer
from rehearse.speech.transcribe import SAMPLE_RATE, DecodeOptions, Model
from rehearse.speech.voice import Voice
from rehearse.speech.voice import busy as voice_busy
from rehearse.store import Database, recovery
from rehearse.store import database as storage

log = logging.getLogger(__name__)

# Every character Markdown, LaTeX or Streamlit's :emoji: and :color[...] syntax could act on.
_MARKDOWN_SPECIALS = re.compile(r"[\\`*_{}\[\]()#+\-.!|<>~$&=^:@]")
# GFM links "www.", "scheme://" and e-mail addresses in the parsed text, escaped or not; an
# invisible word joiner (U+2060) just there stops it and changes nothing else.
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?=://)|(?<=[\w.+-])(?=@[\w-])")
WORD_JOINER = "\u2060"


@st.cache_resource(show_spinner=False)
def _settings() -> Settings:
    return load_settings()


def settings() -> Settings:
    """The app's settings; a broken settings file or variable stops the page with its message."""
    try:
        return _settings()
    except ConfigError as exc:
        st.error(message(str(exc)))
        st.page_link("pages/settings.py", label="Open the settings page to repair it", icon=":material/settings:")
        st.stop()


settings.clear = _settings.clear  # type: ignore[attr-defined]  # callers reset the cache after saving


# Cached on only what the models and the voice depend on, so saving the feedback settings on the
# Settings page does not load them again.
def model(settings: Settings) -> Model:
    """The final model (Whisper base unless the user chose tiny.en): the stored transcripts. It is
    loaded once per process, at low priority, and shared with the final-pass worker (see below)."""
    if not final.has_final_pass(settings):
        return live_model(settings)
    key = final.final_settings(settings)
    if key in _FINAL_MODELS:
        return _FINAL_MODELS[key]
    with st.spinner("Loading the speech model…"):
        return _final_model(key)


def live_model(settings: Settings) -> Model:
    """The live model (tiny.en, one thread); the same loaded copy as model() when the final model is tiny.en too."""
    return _model(final.live_settings(settings))


def final_options(db: Database, settings: Settings) -> DecodeOptions:
    """How the final pass decodes: with the user's vocabulary (their own list and the names gathered
    from debriefs and own questions) as hotwords."""
    return final.final_options(vocabulary.vocabulary(db, settings))


def voice(settings: Settings) -> Voice:
    return _voice(Settings(home=settings.home, voice=settings.voice))


@st.cache_resource(show_spinner="Loading the speech model…")
def _model(settings: Settings) -> Model:
    return Model(settings)


@st.cache_resource(show_spinner=False)
def _voice(settings: Settings) -> Voice:
    return Voice(settings)


def highlighted(segments: tuple[tuple[str, bool], ...]) -> str:
    """Search results as inert Markdown, the matched words highlighted (the pieces come from history.segments)."""
    return "".join(
        f":orange-background[{plain(text)}]" if hit and text.strip() else plain(text) for text, hit in segments
    )


def points_chart(data: dict[str, list], x: str, ys: list[str], height: int = 200) -> None:
    """One dot per answer (or take), numbered along the bottom: on day one a line chart of daily
    averages draws nothing, and a numeric axis would start at 0 and cut the last dot in half."""
    encoding = {
        "x": {"field": x, "type": "ordinal", "axis": {"labelAngle": 0}},
        "y": {"field": "value", "type": "quantitative", "title": None},
        "tooltip": [{"field": x, "type": "ordinal"}, {"field": "value", "type": "quantitative", "format": ".1f"}],
    }
    if len(ys) > 1:
        encoding["color"] = {"field": "signal", "type": "nominal", "title": None, "legend": {"orient": "bottom"}}
    spec = {
        "height": height,
        "transform": [{"fold": ys, "as": ["signal", "value"]}],
        "mark": {"type": "point", "filled": True, "size": 90},
        "encoding": encoding,
    }
    st.vega_lite_chart(data, spec, width="stretch")


def diff_markdown(pieces: tuple) -> str:
    """A compare.WordDiff's pieces: dropped words struck through in red, new words bold in green."""
    styles = {"same": "{}", "removed": ":red[~~{}~~]", "added": ":green[**{}**]"}
    return " ".join(styles[p.kind].format(plain(p.text)) for p in pieces)


_STEP_STATES = {
    summary.WAITING: ":gray[●] Saved, not transcribed yet",
    summary.SKIPPED: ":gray[●] Skipped",
    summary.REFUSED: ":orange[▲] Refused: no take counted",
    summary.WITH_QUESTION: ":gray[●] Not asked: the question was skipped",
    summary.NOT_REACHED: ":gray[●] Not reached",
}


def _stars(stars: int | None) -> str:
    return f"{stars}★" if stars else "not rated"


def _asked_line(asked: summary.Asked) -> str:
    """One step of a finished drill in a line: its headline (or what happened), stars, length."""
    if asked.state == summary.ANSWERED and asked.headline:
        line = f"{_TONE[asked.headline.tone]} {plain(asked.headline.title)}"
    else:
        line = _STEP_STATES.get(asked.state, plain(asked.state))
    if asked.state in (summary.ANSWERED, summary.WAITING):
        line += f" · {_stars(asked.stars)}"
        # Not twice: "Say more: 25 s is short" already says how long it was.
        if asked.length and not (asked.headline and asked.length in asked.headline.title):
            line += f" · {asked.length}"
    return line


def _comparison(result: summary.QuestionResult) -> None:
    if result.first_time:
        st.caption("First time you answered this.")
        return
    if result.earlier is None:
        return
    when = f"{clock.local_day(result.earlier.earlier_at):%-d %b}"
    for changes, title in (
        (result.earlier.better, f":green[**Better than last time**] ({when})"),
        (
            result.earlier.worse,
            ":orange[**Not as good as last time**]"
            if result.earlier.better
            else f":orange[**Not as good as last time**] ({when})",
        ),
    ):
        if changes:
            st.markdown(title + "\n" + "\n".join(f"- {plain(c.text[:1].upper() + c.text[1:])}" for c in changes))
    if not result.earlier.changes:
        st.caption(f"About the same as last time ({when}).")


def drill_summary(result: summary.Summary, key: str, disabled: bool = False, compact: bool = False) -> None:
    """The end of a drill (practice/summary.py): each question and follow-up with its headline,
    stars and length and what changed since last time; the weakest answers with a button that
    starts a drill of just those; the follow-ups skipped or refused; what was never reached.

    `compact` (inside an expander, as on Review): bold lines for headings, not subheaders.
    Keyed (st-key-{key}-question-N, -weakest, -missed, -not-reached) for the browser tests."""

    def heading(text: str) -> None:
        if compact:
            st.markdown(f"**{text}**")
        else:
            st.subheader(text)

    asked = len(result.questions)
    if not compact:
        heading("How it went")
    unrated = any(
        a.state == summary.ANSWERED and not a.stars for q in result.questions for a in (q.main, *q.follow_ups)
    )
    st.caption(
        f"{feedback.plural(asked, 'question')} and {feedback.plural(result.follow_ups_asked, 'follow-up')} asked."
        + (
            " Rate the answers marked “not rated” on Review: the practice queue schedules from your stars."
            if unrated
            else ""
        )
    )
    for i, question in enumerate(result.questions):
        with st.container(border=True, key=f"{key}-question-{i}"):
            st.markdown(f"**{plain(question.question_text)}**  \n{_asked_line(question.main)}")
            _comparison(question)
            for follow in question.follow_ups:
                st.markdown(
                    f"↳ :gray[{plain(probes.step_name(follow.probe_index, follow.kind))}:] {plain(follow.prompt)}  \n"
                    f"{_asked_line(follow)}"
                )
    if result.not_reached:
        with st.container(key=f"{key}-not-reached"):
            heading("Not reached yet" if result.status == "active" else "Never reached")
            st.markdown("\n".join(f"- {plain(q.question_text)}" for q in result.not_reached))
    if result.weakest:
        with st.container(key=f"{key}-weakest"):
            two = len(result.weakest) > 1
            heading("Your two weakest answers" if two else "Your weakest answer")
            st.markdown(
                "\n".join(
                    f"- **{plain(a.prompt)}** · {_stars(a.stars)}"
                    + (f" · {plain(a.headline.title)}" if a.headline else "")
                    for a in result.weakest
                )
            )
            label = "Practise these again now" if two else "Practise this again now"
            if result.again and st.button(label, type="primary", key=f"{key}-again", disabled=disabled):
                request_drill(result.again)
    if result.missed_follow_ups:
        texts = {q.question_id: q.question_text for q in result.questions}
        with st.container(key=f"{key}-missed"):
            heading("Follow-ups you skipped or refused")
            st.markdown(
                "\n".join(
                    f"- {plain(f.prompt)} · :gray[{'refused' if f.state == summary.REFUSED else 'skipped'}, "
                    f"on “{plain(texts.get(f.question_id, ''))}”]"
                    for f in result.missed_follow_ups
                )
            )
    elif result.follow_ups_asked:
        st.caption("You answered every follow-up you were asked.")


def confirmed(key: str, ask: str, warning: str, yes: str, token: str = "yes") -> bool:
    """A two-step button for what cannot be undone: the first click asks, then True once on "yes".

    `token` names what is being confirmed, so choosing another item asks again.
    """
    if st.session_state.get(key) != token:
        if st.button(ask, key=f"{key}-ask"):
            st.session_state[key] = token
            st.rerun()
        return False
    st.warning(message(warning))
    left, right = st.columns(2)
    if right.button("Cancel", key=f"{key}-no"):
        st.session_state.pop(key, None)
        st.rerun()
    if left.button(yes, type="primary", key=f"{key}-yes"):
        st.session_state.pop(key, None)
        return True
    return False


@st.cache_resource(show_spinner=False)
def capture_server(settings: Settings) -> CaptureServer:
    # The live model on one thread: on 2 cores shared with the browser, one thread decodes a chunk
    # as fast as two when idle and stays fast when the browser or the page is busy, where two
    # threads fight over the cores (see the README's live transcription section).
    # With a final pass to follow, the live words at stop are shown at once, not decoded to the end.
    return CaptureServer(
        live_model(settings), recovery.live_dir(settings), home=settings.home, settle=not final.has_final_pass(settings)
    )


# A static component (plain HTML and JavaScript, no build step): see live_component/index.html.
_live_recorder = components.declare_component("live_recorder", path=str(Path(__file__).parent / "live_component"))


def database(settings: Settings) -> Database:
    # A connection per script run: Streamlit runs each session in its own thread.
    db = storage.open_database(settings)
    _recovered(settings)
    return db


@st.cache_resource(show_spinner=False)
def _recovered(settings: Settings) -> tuple[str, ...]:
    """Once per server start: rows for recordings a crash left without one, and the final passes a
    crash or a restart left undone queued again."""
    db = storage.open_database(settings)
    restored = tuple(recovery.recover(db, settings))
    resume_final_passes(db, settings)
    return restored


def page_database(settings: Settings) -> Database:
    """The database for this page run; if it cannot be opened, say why and stop the page."""
    flash = st.session_state.pop("damaged-flash", None)
    if flash:
        st.success(message(flash))
    try:
        return database(settings)
    except DatabaseDamagedError as exc:
        damaged_database(settings, exc)
        st.stop()
    except RehearseError as exc:
        show_error(exc)
        st.stop()


def damaged_database(settings: Settings, exc: DatabaseDamagedError) -> None:
    """The page a damaged rehearse.db gets: what happened, the file kept, and the two ways on."""
    st.error(message(str(exc)))
    left, right = st.columns(2)
    fresh = left.button("Set it aside and start fresh", type="primary", key="damaged-fresh")
    restore = right.button("Set it aside to restore a backup", key="damaged-restore")
    if fresh or restore:
        try:
            aside = storage.set_aside(settings, everything=restore)
        except RehearseError as err:
            show_error(err)
            return
        st.session_state["damaged-flash"] = f"The damaged database is kept as `{aside}`" + (
            f" and your recordings, own questions and settings in `{settings.home}/set-aside-…`. "
            "Restore your backup on the Export and delete page."
            if restore
            else "; your recordings and own questions stay where they were. This is a new, empty database."
        )
        st.rerun()


def plain(text: str) -> str:
    """User text (transcripts, notes) as inert Markdown: never rendered as formatting or HTML."""
    return _MARKDOWN_SPECIALS.sub(r"\\\g<0>", _AUTOLINK.sub(WORD_JOINER, text))


_CODE_SPAN = re.compile(r"(`[^`\n]+`)")
# What makes a link, an image or HTML: brackets and angle brackets (and the backslash that could
# undo an escape); bare URLs are broken by _AUTOLINK, and :material/...: icons (a font the browser
# would fetch) by a word joiner after the colon.
_LINK_SPECIALS = re.compile(r"[\\\[\]<>]")
_ICON = re.compile(r"(?i)(?<=:)(?=material/)")


def message(text: str) -> str:
    """A message (an error, a warning) that may quote user or file text: no link, image or HTML can
    form from it, while its `code spans` (commands to run) and punctuation read as written."""
    return "".join(
        part
        if _CODE_SPAN.fullmatch(part)
        else _LINK_SPECIALS.sub(r"\\\g<0>", _ICON.sub(WORD_JOINER, _AUTOLINK.sub(WORD_JOINER, part)))
        for part in _CODE_SPAN.split(str(text))
    )


_TONE = {"good": ":green[✔]", "warn": ":orange[▲]", "info": ":gray[●]"}
_HIGHLIGHT_COLOURS = {"stock phrase": "red", "hedge": "blue", "filler": "orange", "filler (like/so)": "violet"}


def transcript_markdown(text: str, hits) -> str:
    """The transcript as inert Markdown with coloured backgrounds where a signal fired."""
    return "".join(
        plain(piece) if label is None else f":{_HIGHLIGHT_COLOURS[label]}-background[{plain(piece)}]"
        for piece, label in feedback.segments(text, hits)
    )


def headline_markdown(line: feedback.Headline) -> str:
    return f"{_TONE[line.tone]} **{plain(line.title)}**  \n{plain(line.detail)}"


def feedback_panel(metrics: dict, key: str = "") -> None:
    """The headline (the one thing to fix first), then every signal with its reason, collapsed.

    Keyed (class st-key-headline-..., st-key-details-...) so the browser tests can find them."""
    shown = feedback.card(metrics)
    if shown.headline:
        st.container(key=f"headline-{key}").markdown(headline_markdown(shown.headline))
    if shown.short:
        return  # one message about length: no ticks for what a few words had no time to show
    with st.container(key=f"details-{key}"), st.expander(f"All the measurements: {feedback.summary_line(metrics)}"):
        st.caption(feedback.FILLER_NOTE)
        columns = st.columns(2)
        for column, title, signals in (
            (columns[0], "Delivery", shown.delivery),
            (columns[1], "Content", shown.content),
        ):
            with column:
                st.markdown(f"**{title}**")
                for s in signals:
                    st.markdown(f"{_TONE[s.tone]} **{s.name}**: {plain(s.value)}  \n:small[:gray[{plain(s.why)}]]")
                if not signals:
                    st.caption("Not measured: this answer was transcribed before content feedback existed.")


def _save_rating(db_settings: Settings, answer_id: str, key: str, what: str) -> None:
    value = st.session_state.get(key)
    try:
        db = storage.open_database(db_settings)
        if what == "stars" and value is not None:
            storage.set_rating(db, answer_id, stars=value + 1)
        elif what == "note":
            storage.set_rating(db, answer_id, note=value or "")
    except RehearseError as exc:
        # A callback cannot draw where the card is: the card shows this on the rerun.
        st.session_state[f"rating-error-{answer_id}"] = str(exc)


def answer_card(
    settings: Settings,
    answer: storage.Answer,
    key_prefix: str = "",
    target: tuple[float, float] | None = None,
    category: str | None = None,
) -> None:
    """Audio, transcript, measurements, rating and note of one take; rating and note save on change.

    A take with no transcript (the app stopped while transcribing, or it failed) gets a
    'Transcribe again' button; `target` and `category` are the question's, for the measurements."""
    if answer.status == "skipped":
        st.caption("Skipped.")
        return
    bits = [f"Take {answer.take}"]
    if answer.duration:
        bits.append(feedback.seconds(answer.duration))
    st.caption(" · ".join(bits))
    path = answer.audio_file(settings)
    if path and path.exists() and path.suffix == ".flac":
        st.audio(str(path), format="audio/flac")
    if answer.status == "transcribed":
        if answer.final_pending and final_worker_for().pending(answer.id):
            _improving(settings, answer.id, key_prefix)  # polls until the final text is stored
        else:
            transcript_section(settings, answer, key_prefix)
    elif run.is_refused(answer):
        st.error(f"Refused: {message(answer.error or 'Transcription failed.')}")
        st.caption("This take is kept but does not count as your answer: record again, or skip.")
    elif answer.status == "recorded":
        # A recording recovered after a crash says so; any other is simply waiting for its transcript.
        (st.warning if answer.error else st.info)(answer.error or "Saved, not transcribed yet.")
    unfinished = answer.status in ("recorded", "failed") or (
        answer.final_pending and not final_worker_for().pending(answer.id)
    )
    if unfinished and path and path.suffix == ".flac" and path.exists():
        transcribe_again(settings, answer, key_prefix, target, category)
    if run.is_refused(answer):
        return  # nothing to rate: it is not an answer
    stars_key = f"{key_prefix}stars-{answer.id}"
    st.feedback(
        "stars",
        key=stars_key,
        default=answer.stars - 1 if answer.stars else None,
        on_change=_save_rating,
        args=(settings, answer.id, stars_key, "stars"),
    )
    note_key = f"{key_prefix}note-{answer.id}"
    st.text_area(
        "Note",
        value=answer.note or "",
        key=note_key,
        placeholder="What would you say differently?",
        on_change=_save_rating,
        args=(settings, answer.id, note_key, "note"),
        height=68,
    )
    problem = st.session_state.pop(f"rating-error-{answer.id}", None)
    if problem:
        st.error(message(problem))


def transcribe_again(
    settings: Settings,
    answer: storage.Answer,
    key_prefix: str = "",
    target: tuple[float, float] | None = None,
    category: str | None = None,
) -> None:
    """The button that transcribes a saved answer again, with a progress bar, then reruns the page."""
    if not st.button("Transcribe again", key=f"{key_prefix}retry-{answer.id}"):
        return
    bar = st.progress(0.0, text="Transcribing your answer…")
    try:
        db = database(settings)
        with final_worker_for().exclusive(answer.id):  # never with its final pass at the same time
            pipeline.transcribe_answer(
                db,
                settings,
                model(settings),
                answer.id,
                target,
                options=final_options(db, settings),
                on_progress=lambda f: bar.progress(f, text="Transcribing your answer…"),
                category=category,
            )
    except RehearseError as exc:
        bar.empty()
        show_error(exc)
        return
    st.rerun()


_TIMER_JS = """
<div id="{id}" style="font-size:0.95rem;padding:0.4rem 0.7rem;border-radius:0.5rem;background:#f0f2f6;display:inline-block">&nbsp;</div>
<script>
(() => {{
  const box = document.getElementById("{id}");
  if (!box || box.dataset.started) return;
  box.dataset.started = "1";
  const think = {think}, limit = {limit}, start = Date.now();
  let stopped = false;
  // The live recorder tells the page when it stops (its component value): the countdown stops too.
  window.addEventListener("message", (e) => {{
    const d = e.data, v = d && d.isStreamlitMessage && d.type === "streamlit:setComponentValue" && d.value;
    if (!v || stopped || !["stopped", "dropped"].includes(v.state)) return;
    stopped = true;
    box.textContent = "Recording stopped";
    box.style.background = "#f0f2f6";
  }});
  const fmt = s => Math.floor(s / 60) + ":" + String(Math.floor(s % 60)).padStart(2, "0");
  const tick = () => {{
    if (stopped) return;
    const t = (Date.now() - start) / 1000;
    if (t < think) {{ box.textContent = "Think: " + Math.ceil(think - t) + " s, then record"; }}
    else if (limit > 0 && t < think + limit) {{ box.textContent = "Answer now: " + fmt(think + limit - t) + " left"; }}
    else if (limit > 0) {{ box.textContent = "Time is up: finish your sentence and stop recording"; box.style.background = "#ffe3e3"; return; }}
    else {{ box.textContent = "Answer now"; return; }}
    setTimeout(tick, 250);
  }};
  tick();
}})();
</script>
"""


_TIMER_SLOT = "timer-slot-{}"


def _clear_timer(key: str) -> None:
    slot = st.session_state.pop(_TIMER_SLOT.format(key), None)
    if slot is not None:
        slot.empty()


def answer_timer(think_seconds: float | None, limit_seconds: float | None, key: str) -> None:
    """A countdown in the browser: think time, then the answer's time limit. It never blocks a rerun."""
    if not think_seconds and not limit_seconds:
        return
    element_id = "timer-" + re.sub(r"[^a-zA-Z0-9-]", "-", key)
    # In a slot record_answer empties once the answer is stored: no countdown over a finished answer.
    st.session_state[_TIMER_SLOT.format(key)] = slot = st.empty()
    slot.html(
        _TIMER_JS.format(id=element_id, think=float(think_seconds or 0), limit=float(limit_seconds or 0)),
        unsafe_allow_javascript=True,
    )


def model_caption(settings: Settings) -> str:
    """What the drill page says about transcription: in the user's words, no model names (those are
    on the Settings page, where they can be changed)."""
    return "Your answers are transcribed on this computer; nothing you say leaves it."


# If the browser blocked the question's autoplay (it may, on a narrow window or before any click),
# the audio is still paused a moment later and play() is refused: then a clear button plays it.
_PLAY_FALLBACK_JS = """
<div id="{id}"></div>
<script>
(() => {{
  const box = document.getElementById("{id}");
  if (!box || box.dataset.started) return;
  box.dataset.started = "1";
  const offer = (audio) => {{
    const button = document.createElement("button");
    button.type = "button";
    button.className = "play-question";
    button.textContent = "\u25b6 Play the question";
    button.style.cssText = "font-size:1rem;padding:0.5rem 1rem;border-radius:0.5rem;border:none;" +
      "background:#ff4b4b;color:white;cursor:pointer;margin:0.25rem 0";
    button.onclick = () => audio.play().then(() => button.remove(), () => {{}});
    box.appendChild(button);
  }};
  const check = (tries) => {{
    const audio = document.querySelector(".st-key-question-audio audio");
    if (!audio) {{ if (tries < 40) setTimeout(() => check(tries + 1), 250); return; }}
    if (!audio.paused || audio.currentTime > 0) return;
    const started = audio.play();
    if (started) started.catch(() => offer(audio));
  }};
  setTimeout(() => check(0), 1200);
}})();
</script>
"""


def play_prompt(settings: Settings, text: str) -> None:
    """Speak `text` with the cached voice and play it at once, with a "Play the question" button
    where the browser blocks that; a voice problem is shown, not fatal."""
    try:
        with st.spinner("Preparing the voice…"):
            path = voice(settings).speak(text)
        with st.container(key="question-audio"):
            st.audio(str(path), autoplay=True)
        element_id = "play-" + path.stem[:16]
        st.html(_PLAY_FALLBACK_JS.format(id=re.sub(r"[^a-zA-Z0-9-]", "-", element_id)), unsafe_allow_javascript=True)
    except RehearseError as exc:
        show_error(exc)


def show_error(exc: RehearseError) -> None:
    st.error(message(str(exc)))


@dataclass(frozen=True)
class DrillRequest:
    """A drill another page wants run now; `on_start(db, session_id)` runs once its session exists."""

    drill: Drill
    on_start: Callable[[Database, str], None] | None = None


_DRILL_REQUEST = "drill_request"


def request_drill(drill: Drill, on_start: Callable[[Database, str], None] | None = None) -> None:
    """Open the drill page and start `drill` there at once."""
    st.session_state[_DRILL_REQUEST] = DrillRequest(drill, on_start)
    st.switch_page("pages/drill.py")


def take_drill_request() -> DrillRequest | None:
    return st.session_state.pop(_DRILL_REQUEST, None)


def record_answer(
    db: Database,
    settings: Settings,
    drill_run: run.DrillRun,
    key: str,
    target: tuple[float, float] | None,
    show_words: bool,
    category: str | None = None,
    watch: Callable[[str, float], object] | None = None,
) -> storage.Answer | None:
    """The answer recorder: live capture with the words as they come, or the browser's simple
    recorder where live capture cannot start. The new answer once one is recorded and stored;
    its id is in st.session_state[f"done-{key}"] from the moment the audio is saved. The run's
    session is created only once there is a recording (a drill's session comes with its first answer).
    `watch` (practice.run.DrillRun.cut_watch) lets the voice cut into a live answer; `live_cut(key)`
    gives the cut once the answer is stored."""
    step = drill_run.step
    # The drill's session is stored with its first answer, so it is asked for only then.
    slot = _Slot(db, settings, lambda: drill_run.session(db), step, key, target, category)
    if settings.live_capture:
        token_key = f"{key}-token"
        try:
            server = capture_server(settings)
            if token_key not in st.session_state:
                # The answer's id is fixed now: the part file's note names it for crash recovery.
                answer_id = storage.new_id()
                st.session_state[f"{key}-answer"] = answer_id
                sid, pending = drill_run.pending_session()
                # The interviewer who cuts in: a hook into the live capture, see live_cut.
                st.session_state[token_key] = server.open(
                    pipeline.answer_note(sid, step, answer_id, pending),
                    watch=watch,
                    speak=voice(settings).speak if watch else None,
                )
            url, reason = server.url(st.session_state[token_key]), ""
        except RehearseError as exc:
            url, reason = "", str(exc)
        box = st.empty()
        with box:
            value = _live_recorder(url=url, reason=reason, show_words=show_words, key=key, default=None)
        if value and value.get("state") in ("stopped", "dropped"):
            try:
                answer = _store_live(slot)
                _keep_cut(settings, key)
                return answer
            finally:
                # The answer card below shows the final transcript: no recorder, live words or
                # countdown left above it; but when the interviewer cut in, the recorder box is
                # what plays their voice, so it stays until the page moves on.
                if f"done-{key}" in st.session_state:
                    if live_cut(key) is None:
                        box.empty()
                    _clear_timer(key)
        if not value or value.get("state") != "unavailable":
            with st.expander("Microphone trouble? Use the simple recorder instead"):
                return _simple_recorder(slot)
        st.info("Live transcription could not start, so this recorder is transcribed after you stop.")
    return _simple_recorder(slot)


def _keep_cut(app_settings: Settings, key: str) -> None:
    """The cut into the live answer just stored (if the interviewer cut in), for live_cut."""
    token = st.session_state.get(f"{key}-token")
    cut = capture_server(app_settings).cut(token) if token else None
    if cut is not None:
        st.session_state[f"cut-{key}"] = cut


def live_cut(key: str):
    """The interviewer's cut (practice.interrupt.Cut) into the answer recorded under `key`, or None."""
    return st.session_state.get(f"cut-{key}")


@dataclass(frozen=True)
class _Slot:
    """Where a take goes: what every recorder of one step needs to store it."""

    db: Database
    settings: Settings
    session_id: Callable[[], str]
    step: Step
    key: str
    target: tuple[float, float] | None
    category: str | None


def _simple_recorder(slot: _Slot) -> storage.Answer | None:
    recording = st.audio_input("Record your answer", sample_rate=SAMPLE_RATE, key=f"{slot.key}-simple")
    if recording is None:
        return None
    # Fast now, better later, as for live capture: the live model's words at once, then the final pass.
    return _through_pipeline(
        slot, pipeline.Take.of(recording.getvalue()), final_pending=final.has_final_pass(slot.settings)
    )


def _through_pipeline(
    slot: _Slot,
    take: pipeline.Take,
    answer_id: str | None = None,
    live: Callable[[], pipeline.LiveText] | None = None,
    on_saved: Callable[[storage.Answer], None] | None = None,
    final_pending: bool = False,
) -> storage.Answer | None:
    """Save, check, transcribe and store one take, with a progress bar; on a disk fault before the
    save, the message and a Save again button (the take is still held by the recorder).
    `final_pending`: the live text (or, without `live`, the live model's) is stored marked for its
    final pass, which is queued here once it is stored."""
    db, settings, key = slot.db, slot.settings, slot.key
    bar = st.empty()

    def saved(answer: storage.Answer) -> None:
        st.session_state[f"done-{key}"] = answer.id  # saved: a rerun must not save it again
        _clear_timer(key)
        if on_saved:
            on_saved(answer)
        if answer.status != "failed" and live is None:
            bar.progress(0.0, text="Transcribing your answer…")

    try:
        answer = pipeline.answer(
            db,
            settings,
            # The fast first pass of the simple recorder is the live model, decoding as it does live.
            (lambda: live_model(settings)) if final_pending and live is None else (lambda: model(settings)),
            slot.session_id(),  # the drill's session is stored with its first answer
            slot.step,
            take,
            answer_id=answer_id,
            target=slot.target,
            options=DecodeOptions() if final_pending else final_options(db, settings),
            category=slot.category,
            live=live,
            on_saved=saved,
            on_progress=lambda f: bar.progress(f, text="Transcribing your answer…"),
            final_pending=final_pending,
        )
    except RehearseError as exc:
        if f"done-{key}" in st.session_state:
            raise  # saved: the answer card offers 'Transcribe again'
        show_error(exc)
        st.button("Save again", key=f"save-again-{key}", type="primary")
        return None
    finally:
        bar.empty()
    if answer is not None and answer.final_pending:
        start_final_pass(db, settings, answer.id)
    return answer


def _store_live(slot: _Slot) -> storage.Answer | None:
    server = capture_server(slot.settings)
    token = st.session_state[f"{slot.key}-token"]
    began = time.perf_counter()
    times: dict[str, float] = {}

    def saved(_answer: storage.Answer) -> None:
        server.discard_part(token)
        times["saved"] = time.perf_counter()

    def live_text() -> pipeline.LiveText:
        finished = server.transcript(token)  # forgets the recording: only once the audio is safe
        times["final"] = finished.seconds
        return pipeline.LiveText(finished.transcript, finished.error)

    with st.spinner("Finishing the transcript…"):
        # Straight from memory to FLAC while the last words are still being decoded.
        capture = server.audio(token)  # a disk fault while recording is shown in the recorder itself
        answer = _through_pipeline(
            slot,
            pipeline.Take.of_samples(capture.samples, SAMPLE_RATE),
            answer_id=st.session_state.get(f"{slot.key}-answer"),
            live=live_text,
            on_saved=saved,
            final_pending=final.has_final_pass(slot.settings),
        )
    if answer is None:
        return None  # not saved (disk fault): the recording stays in memory for Save again
    if "saved" in times:
        log.info(
            "live answer %s: audio saved %.2f s after the rerun began, transcript ready %.2f s after the end, "
            "stored %.2f s after saving",
            answer.id,
            times["saved"] - began,
            times.get("final", 0.0),
            time.perf_counter() - times["saved"],
        )
    if capture.dropped:
        lost = f" (about {capture.lost_seconds:.1f} s at the end never arrived)" if capture.lost_seconds else ""
        st.warning(
            f"The connection dropped during the answer: the {capture.seconds:.1f} s that arrived "
            f"were saved and transcribed{lost}; anything said after that was lost. Record again if it matters."
        )
    return answer


# ---------------------------------------------------------------- At stop, then better (issue 13)
# A live answer is stored and shown at once with the live transcriber's words, marked final_pending;
# the final-pass worker (one thread per process, practice/final_worker.py) decodes it again with the
# final model and stores that text with its feedback; the answer card polls the stored answer
# meanwhile and says when the final text is there. Nothing here blocks the page: the user can rate,
# write a note or go on to the next question while the final pass runs.

POLL_SECONDS = 1.0
IMPROVING = "Improving the transcript…"
OUTCOME_CAPTIONS = {
    final_worker.IMPROVED: "Transcript improved by the final pass.",
    final_worker.CONFIRMED: "Transcript checked by the final pass: no change.",
    final_worker.KEPT: "The final pass heard no speech here, so the live transcript is kept.",
}
UNFINISHED = (
    "This is the live transcript: its final, more accurate pass did not run (the app stopped before it). "
    "Press 'Transcribe again' for it."
)
_FINAL_MODELS: dict[Settings, Model] = {}
_FINAL_LOCK = threading.Lock()


def _final_model(key: Settings) -> Model:
    """The final model for `key`, loaded once per process at low priority. Not a Streamlit cache:
    the worker's thread loads it itself on its first pass, so the page never waits for it."""
    with _FINAL_LOCK:
        loaded = _FINAL_MODELS.get(key)
        if loaded is None:
            loaded = _FINAL_MODELS[key] = final.load_low_priority(key)
        return loaded


def _final_source(settings: Settings) -> pipeline.ModelSource:
    if not final.has_final_pass(settings):
        return live_model(settings)  # a pass left from before the user chose tiny.en as the final model
    key = final.final_settings(settings)
    return lambda: _final_model(key)


@st.cache_resource(show_spinner=False)
def final_worker_for() -> final_worker.FinalWorker:
    """The process's one final-pass worker; it waits while a live recording streams in or the voice speaks."""
    return final_worker.FinalWorker(busy=heavy_work_going_on)


def heavy_work_going_on() -> bool:
    """A recording streaming in (the live decoder needs the cores) or the voice speaking: a final
    pass decoding then would add its working memory to theirs (README: memory)."""
    return capture.recording_now() or voice_busy()


def speak_ahead(settings: Settings, texts: Iterable[str]) -> None:
    """The voice speaks these prompts in the background, pausing while a recording streams in."""
    voice(settings).prefetch(texts, wait_while=capture.recording_now)


def start_final_pass(db: Database, settings: Settings, answer_id: str) -> None:
    final_worker_for().submit(answer_id, settings, _final_source(settings), final_options(db, settings))


def resume_final_passes(db: Database, settings: Settings) -> list[str]:
    """Queue the final passes a crash or a restart left undone (at start, with crash recovery), after
    loading the final model in the worker (see FinalWorker.warm)."""
    try:
        worker = final_worker_for()
        if settings.live_capture:  # the drill will record live: have the final model ready for the first stop
            worker.warm(_final_source(settings))
        return worker.resume(db, settings, _final_source(settings), final_options(db, settings))
    except RehearseError as exc:
        log.warning("cannot queue the unfinished final passes: %s", exc)
        return []


@st.fragment(run_every=POLL_SECONDS)
def _improving(settings: Settings, answer_id: str, key_prefix: str) -> None:
    """The transcript while its final pass runs, read again from the database every POLL_SECONDS."""
    try:
        answer = storage.get_answer(storage.open_database(settings), answer_id)
    except RehearseError as exc:
        show_error(exc)
        return
    transcript_section(settings, answer, key_prefix)


def transcript_section(settings: Settings, answer: storage.Answer, key_prefix: str = "") -> None:
    """Which pass wrote the transcript (while the final one runs, once it is done), then the feedback
    and the transcript. Keyed (class st-key-final-pass-...) so the browser tests can find it."""
    waited = f"final-waited-{answer.id}"
    note = st.container(key=f"{key_prefix}final-pass-{answer.id}")
    if answer.final_pending and final_worker_for().pending(answer.id):
        st.session_state[waited] = True
        note.caption(IMPROVING)
    elif answer.final_pending:
        note.caption(UNFINISHED)
    elif st.session_state.get(waited):
        outcome = final_worker_for().outcome(answer.id)
        if outcome is not None and outcome.kind == final_worker.FAILED:
            note.warning(message(f"{outcome.message} The live transcript is kept."))
        elif outcome is not None:
            note.caption(OUTCOME_CAPTIONS[outcome.kind])
    _transcript(answer, key_prefix)


def _transcript(answer: storage.Answer, key_prefix: str) -> None:
    # Keyed so the browser tests can find the transcript (class st-key-transcript-...).
    hits = (answer.metrics or {}).get("hits") or []
    if answer.metrics:
        feedback_panel(answer.metrics, f"{key_prefix}{answer.id}")
    st.container(key=f"{key_prefix}transcript-{answer.id}").markdown(transcript_markdown(answer.transcript or "", hits))
    labels = {label for _, label in feedback.segments(answer.transcript or "", hits) if label}
    if labels:
        st.caption(
            "Highlighted: "
            + " ".join(f":{c}-background[{label}]" for label, c in _HIGHLIGHT_COLOURS.items() if label in labels)
        )
    sure = analysis.confidence(answer.words)
    if sure is not None and sure < analysis.LOW_CONFIDENCE:
        st.warning(analysis.low_confidence_message(sure))
