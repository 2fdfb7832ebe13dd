"""Streamlit pieces shared by the pages: cached resources and the answer card.

The only module in the package that imports Streamlit; everything it shows comes from
pure functions elsewhere in rehearse/.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from rehearse.errors import ConfigError, RehearseError
from rehearse.library.bank import Drill, Step
from rehearse.measure import analysis, feedback
from rehearse.practice import pipeline, run
from rehearse.settings import Settings, load_settings
from rehearse.speech import audio
from rehearse.speech.capture import CaptureServer
from rehearse.speech.transcribe import SAMPLE_RATE, Model, model_choices
from rehearse.speech.voice import Voice
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
        st.error(f"{exc}")
        st.page_link("pages/settings.py", label="Open the settings page to repair it", icon="⚙️")
        st.stop()


settings.clear = _settings.clear  # type: ignore[attr-defined]  # callers reset the cache after saving


# Cached on only what the model and the voice depend on, so saving the feedback settings on the
# Settings page does not load them again.
def model(settings: Settings) -> Model:
    return _model(
        Settings(home=settings.home, model=settings.model, cpu_threads=settings.cpu_threads, language=settings.language)
    )


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


def diff_markdown(pieces: tuple) -> str:
    """A compare.WordDiff's pieces: dropped words struck through in red, new words bold in green."""
    styles = {"same": "{}", "removed": ":red[~~{}~~]", "added": ":green[**{}**]"}
    return " ".join(styles[p.kind].format(plain(p.text)) for p in pieces)


def confirmed(key: str, ask: str, warning: str, yes: str, token: str = "yes") -> bool:
    """A two-step button for what cannot be undone: the first click asks, then True once on "yes".

    `token` names what is being confirmed, so choosing another item asks again.
    """
    if st.session_state.get(key) != token:
        if st.button(ask, key=f"{key}-ask"):
            st.session_state[key] = token
            st.rerun()
        return False
    st.warning(warning)
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
    # Its own copy of the model on one thread: on 2 cores shared with the browser, one thread
    # decodes a chunk as fast as two when idle and stays fast when the browser or the page is busy,
    # where two threads fight over the cores (see the README's live transcription section).
    return CaptureServer(model(replace(settings, cpu_threads=1)), settings.audio_dir / "live")


# A static component (plain HTML and JavaScript, no build step): see live_component/index.html.
_live_recorder = components.declare_component("live_recorder", path=str(Path(__file__).parent / "live_component"))


def database(settings: Settings) -> Database:
    # A connection per script run: Streamlit runs each session in its own thread.
    db = storage.open_database(settings)
    _recovered(settings)
    return db


@st.cache_resource(show_spinner=False)
def _recovered(settings: Settings) -> tuple[str, ...]:
    """Once per server start: rows for recordings a crash left without one."""
    return tuple(recovery.recover(storage.open_database(settings), settings))


def page_database(settings: Settings) -> Database:
    """The database for this page run; if it cannot be opened, say why and stop the page."""
    try:
        return database(settings)
    except RehearseError as exc:
        show_error(exc)
        st.stop()


def plain(text: str) -> str:
    """User text (transcripts, notes) as inert Markdown: never rendered as formatting or HTML."""
    return _MARKDOWN_SPECIALS.sub(r"\\\g<0>", _AUTOLINK.sub(WORD_JOINER, text))


_TONE = {"good": ":green[✔]", "warn": ":orange[▲]", "info": ":gray[●]"}
_HIGHLIGHT_COLOURS = {"stock phrase": "red", "hedge": "blue", "filler": "orange", "filler (like/so)": "violet"}


def transcript_markdown(text: str, hits) -> str:
    """The transcript as inert Markdown with coloured backgrounds where a signal fired."""
    return "".join(
        plain(piece) if label is None else f":{_HIGHLIGHT_COLOURS[label]}-background[{plain(piece)}]"
        for piece, label in feedback.segments(text, hits)
    )


def feedback_panel(metrics: dict) -> None:
    """Delivery and content signals under the transcript, each with its reason."""
    legend = " ".join(f":{colour}-background[{label}]" for label, colour in _HIGHLIGHT_COLOURS.items())
    st.caption(f"{legend} · {feedback.FILLER_NOTE}")
    with st.expander(f"Feedback: {feedback.summary_line(metrics)}", expanded=True):
        columns = st.columns(2)
        for column, title, signals in (
            (columns[0], "Delivery", feedback.delivery(metrics)),
            (columns[1], "Content", feedback.content(metrics)),
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
        bits.append(f"{answer.duration:.1f} s")
    st.caption(" · ".join(bits))
    path = answer.audio_file(settings)
    if path and path.exists() and path.suffix == ".flac":
        st.audio(str(path), format="audio/flac")
    if answer.status == "transcribed":
        # Keyed so the browser tests can find the transcript (class st-key-transcript-...).
        hits = (answer.metrics or {}).get("hits") or []
        st.container(key=f"{key_prefix}transcript-{answer.id}").markdown(
            transcript_markdown(answer.transcript or "", hits)
        )
        if answer.metrics:
            feedback_panel(answer.metrics)
        sure = analysis.confidence(answer.words)
        if sure is not None and sure < analysis.LOW_CONFIDENCE:
            st.warning(analysis.low_confidence_message(sure))
    elif run.is_refused(answer):
        st.error(f"Refused: {answer.error or 'Transcription failed.'}")
        st.caption("This take is kept but does not count as your answer: record again, or skip.")
    elif answer.status == "recorded":
        st.info("Saved, not transcribed yet.")
    if answer.status in ("recorded", "failed") and path and path.suffix == ".flac" and path.exists():
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
        st.error(problem)


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
        pipeline.transcribe_answer(
            database(settings),
            settings,
            model(settings),
            answer.id,
            target,
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
  const fmt = s => Math.floor(s / 60) + ":" + String(Math.floor(s % 60)).padStart(2, "0");
  const tick = () => {{
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


def answer_timer(think_seconds: float | None, limit_seconds: float | None, key: str) -> None:
    """A countdown in the browser: think time, then the answer's time limit. It never blocks a rerun."""
    if not think_seconds and not limit_seconds:
        return
    element_id = "timer-" + re.sub(r"[^a-zA-Z0-9-]", "-", key)
    st.html(
        _TIMER_JS.format(id=element_id, think=float(think_seconds or 0), limit=float(limit_seconds or 0)),
        unsafe_allow_javascript=True,
    )


def model_caption(settings: Settings) -> str:
    """Which speech model is in use, and the other shipped ones installed here."""
    current = settings.model.strip() or "tiny.en"
    others = [c.name for c in model_choices() if c.present and c.name != current]
    text = f"Speech model: {current}"
    if others:
        text += " · also installed: " + ", ".join(others) + " (choose one in Settings)"
    return text


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
    st.error(str(exc))


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
    session_id: Callable[[], str],
    step: Step,
    key: str,
    target: tuple[float, float] | None,
    show_words: bool,
    category: str | None = None,
    watch: Callable[[str, float], object] | None = None,
) -> storage.Answer | None:
    """The answer recorder: live capture with the words as they come, or the browser's simple
    recorder where live capture cannot start. The new answer once one is recorded and stored;
    its id is in st.session_state[f"done-{key}"] from the moment the audio is saved.
    `session_id()` gives the session to store it in, called only once there is a recording
    (a drill's session is created with its first answer). `watch` (practice.run.DrillRun.cut_watch)
    lets the voice cut into a live answer; `live_cut(key)` gives the cut once the answer is stored."""
    if settings.live_capture:
        token_key = f"{key}-token"
        try:
            server = capture_server(settings)
            if token_key not in st.session_state:
                # The interviewer who cuts in: a hook into the live capture, see live_cut.
                st.session_state[token_key] = server.open(watch=watch, speak=voice(settings).speak if watch else None)
            url, reason = server.url(st.session_state[token_key]), ""
        except RehearseError as exc:
            url, reason = "", str(exc)
        value = _live_recorder(url=url, reason=reason, show_words=show_words, key=key, default=None)
        if value and value.get("state") in ("stopped", "dropped"):
            answer = _store_live(db, settings, session_id, step, key, target, category)
            _keep_cut(settings, key)
            return answer
        if not value or value.get("state") != "unavailable":
            with st.expander("Microphone trouble? Use the simple recorder instead"):
                return _simple_recorder(db, settings, session_id, step, key, target, category)
        st.info("Live transcription could not start, so this recorder is transcribed after you stop.")
    return _simple_recorder(db, settings, session_id, step, key, target, category)


def _keep_cut(app_settings: Settings, key: str) -> None:
    """The cut into the live answer just stored (if the interviewer cut in), for live_cut."""
    token = st.session_state.get(f"{key}-token")
    cut = capture_server(app_settings).cut(token) if token else None
    if cut is not None:
        st.session_state[f"cut-{key}"] = cut


def live_cut(key: str):
    """The interviewer's cut (practice.interrupt.Cut) into the answer recorded under `key`, or None."""
    return st.session_state.get(f"cut-{key}")


def _simple_recorder(
    db: Database,
    settings: Settings,
    session_id: Callable[[], str],
    step: Step,
    key: str,
    target: tuple[float, float] | None,
    category: str | None,
) -> storage.Answer | None:
    recording = st.audio_input("Record your answer", sample_rate=SAMPLE_RATE, key=f"{key}-simple")
    if recording is None:
        return None
    try:
        answer = pipeline.save_answer(db, settings, session_id(), step, recording.getvalue())
    except RehearseError as exc:
        show_error(exc)
        # The recording is still held by the widget above: a rerun tries to save it again.
        st.button("Save again", key=f"save-again-{key}", type="primary")
        return None
    st.session_state[f"done-{key}"] = answer.id  # saved: a rerun must not save it again
    if answer.status == "failed":
        return answer
    bar = st.progress(0.0, text="Transcribing your answer…")
    try:
        answer = pipeline.transcribe_answer(
            db,
            settings,
            model(settings),
            answer.id,
            target,
            category=category,
            on_progress=lambda f: bar.progress(f, text="Transcribing your answer…"),
        )
    finally:
        bar.empty()
    return answer


def _store_live(
    db: Database,
    settings: Settings,
    session_id: Callable[[], str],
    step: Step,
    key: str,
    target: tuple[float, float] | None,
    category: str | None,
) -> storage.Answer:
    server = capture_server(settings)
    token = st.session_state[f"{key}-token"]
    began = time.perf_counter()
    with st.spinner("Finishing the transcript…"):
        # The audio is saved for good while the last words are still being decoded.
        capture = server.audio(token)
        answer = pipeline.save_answer(db, settings, session_id(), step, audio.wav_bytes(capture.samples, SAMPLE_RATE))
        st.session_state[f"done-{key}"] = answer.id
        server.discard_part(token)
        saved = time.perf_counter()
        finished = server.transcript(token)
        answer = pipeline.attach_transcript(
            db, settings, answer.id, finished.transcript, target, finished.error, category
        )
    log.info(
        "live answer %s: audio saved %.2f s after the rerun began, transcript ready %.2f s after the end, "
        "stored %.2f s after saving",
        answer.id,
        saved - began,
        finished.seconds,
        time.perf_counter() - saved,
    )
    if capture.dropped:
        st.warning(
            f"The connection dropped during the answer: the {capture.seconds:.1f} s that arrived "
            "were saved and transcribed; anything said after that was lost. Record again if it matters."
        )
    return answer
