"""Streamlit pieces shared by the pages: cached resources and the answer card.

The only module in the package that imports Streamlit; everything it shows comes from
pure functions elsewhere in rehearse/.
"""

from __future__ import annotations

import re

import streamlit as st
from sqlite_utils import Database

from . import analysis, pipeline, recovery, storage
from .errors import RehearseError
from .settings import Settings, load_settings
from .transcribe import Model
from .voice import Voice

# Every character Markdown, LaTeX or Streamlit's :emoji: and :color[...] syntax could act on.
_MARKDOWN_SPECIALS = re.compile(r"[\\`*_{}\[\]()#+\-.!|<>~$&=^:@]")
# GFM links "www.", "scheme://" and e-mail addresses in the parsed text, escaped or not; an
# invisible word joiner (U+2060) just there stops it and changes nothing else.
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?=://)|(?<=[\w.+-])(?=@[\w-])")
WORD_JOINER = "\u2060"


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner="Loading the speech model…")
def model(settings: Settings) -> Model:
    return Model(settings)


@st.cache_resource(show_spinner=False)
def voice(settings: Settings) -> Voice:
    return Voice(settings)


def database(settings: Settings) -> Database:
    # A connection per script run: Streamlit runs each session in its own thread.
    db = storage.open_database(settings)
    _recovered(settings)
    return db


@st.cache_resource(show_spinner=False)
def _recovered(settings: Settings) -> tuple[str, ...]:
    """Once per server start: rows for recordings a crash left without one."""
    return tuple(recovery.recover(storage.open_database(settings), settings))


def plain(text: str) -> str:
    """User text (transcripts, notes) as inert Markdown: never rendered as formatting or HTML."""
    return _MARKDOWN_SPECIALS.sub(r"\\\g<0>", _AUTOLINK.sub(WORD_JOINER, text))


def metrics_line(metrics: dict | None) -> str:
    if not metrics:
        return ""
    parts = [f"{metrics['wpm']:.0f} words/min", f"{metrics['filler_count']} filler(s)"]
    if metrics.get("long_pauses"):
        parts.append(f"{metrics['long_pauses']} long pause(s), longest {metrics['longest_pause']:.1f} s")
    verdict = metrics.get("length_verdict")
    if verdict:
        parts.append(f"length {verdict} for the {metrics['target_min']:.0f}–{metrics['target_max']:.0f} s target")
    return " · ".join(parts)


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


def answer_card(settings: Settings, answer: storage.Answer, key_prefix: str = "",
                target: tuple[float, float] | None = None) -> None:
    """Audio, transcript, measurements, rating and note of one take; rating and note save on change.

    A take with no transcript (the app stopped while transcribing, or it failed) gets a
    'Transcribe again' button; `target` is the question's answer length for the measurements."""
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
        st.container(key=f"{key_prefix}transcript-{answer.id}").markdown(plain(answer.transcript or ""))
        line = metrics_line(answer.metrics)
        if line:
            st.caption(line)
        sure = analysis.confidence(answer.words)
        if sure is not None and sure < analysis.LOW_CONFIDENCE:
            st.warning(analysis.low_confidence_message(sure))
    elif answer.status == "failed":
        st.error(answer.error or "Transcription failed.")
    elif answer.status == "recorded":
        st.info("Saved, not transcribed yet.")
    if answer.status in ("recorded", "failed") and path and path.suffix == ".flac" and path.exists():
        transcribe_again(settings, answer, key_prefix, target)
    stars_key = f"{key_prefix}stars-{answer.id}"
    st.feedback("stars", key=stars_key, default=answer.stars - 1 if answer.stars else None,
                on_change=_save_rating, args=(settings, answer.id, stars_key, "stars"))
    note_key = f"{key_prefix}note-{answer.id}"
    st.text_area("Note", value=answer.note or "", key=note_key, placeholder="What would you say differently?",
                 on_change=_save_rating, args=(settings, answer.id, note_key, "note"), height=68)
    problem = st.session_state.pop(f"rating-error-{answer.id}", None)
    if problem:
        st.error(problem)


def transcribe_again(settings: Settings, answer: storage.Answer, key_prefix: str = "",
                     target: tuple[float, float] | None = None) -> None:
    """The button that transcribes a saved answer again, with a progress bar, then reruns the page."""
    if not st.button("Transcribe again", key=f"{key_prefix}retry-{answer.id}"):
        return
    bar = st.progress(0.0, text="Transcribing your answer…")
    try:
        pipeline.transcribe_answer(database(settings), settings, model(settings), answer.id, target,
                                   on_progress=lambda f: bar.progress(f, text="Transcribing your answer…"))
    except RehearseError as exc:
        bar.empty()
        show_error(exc)
        return
    st.rerun()


def show_error(exc: RehearseError) -> None:
    st.error(str(exc))
