"""Streamlit pieces shared by the pages: cached resources and the answer card.

The only module in the package that imports Streamlit; everything it shows comes from
pure functions elsewhere in rehearse/.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components
from sqlite_utils import Database

from . import audio, pipeline, storage
from .bank import Step
from .capture import CaptureServer
from .errors import RehearseError
from .settings import Settings, load_settings
from .transcribe import SAMPLE_RATE, Model, model_choices
from .voice import Voice

log = logging.getLogger(__name__)

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner="Loading the speech model…")
def model(settings: Settings) -> Model:
    return Model(settings)


@st.cache_resource(show_spinner=False)
def voice(settings: Settings) -> Voice:
    return Voice(settings)


@st.cache_resource(show_spinner=False)
def capture_server(settings: Settings) -> CaptureServer:
    return CaptureServer(model(settings), settings.audio_dir / "live")


# A static component (plain HTML and JavaScript, no build step): see live_component/index.html.
_live_recorder = components.declare_component("live_recorder", path=str(Path(__file__).parent / "live_component"))


def database(settings: Settings) -> Database:
    # A connection per script run: Streamlit runs each session in its own thread.
    return storage.open_database(settings)


def plain(text: str) -> str:
    """User text (transcripts, notes) as inert Markdown: never rendered as formatting or HTML."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


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


def _save_stars(db_settings: Settings, answer_id: str, key: str) -> None:
    value = st.session_state.get(key)
    if value is not None:
        storage.set_rating(storage.open_database(db_settings), answer_id, stars=value + 1)


def _save_note(db_settings: Settings, answer_id: str, key: str) -> None:
    storage.set_rating(storage.open_database(db_settings), answer_id, note=st.session_state.get(key, ""))


def answer_card(settings: Settings, answer: storage.Answer, key_prefix: str = "") -> None:
    """Audio, transcript, measurements, rating and note of one take; rating and note save on change."""
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
        st.markdown(plain(answer.transcript or ""))
        line = metrics_line(answer.metrics)
        if line:
            st.caption(line)
    elif answer.status == "failed":
        st.error(answer.error or "Transcription failed.")
    elif answer.status == "recorded":
        st.info("Saved, not transcribed yet.")
    stars_key = f"{key_prefix}stars-{answer.id}"
    st.feedback("stars", key=stars_key, default=answer.stars - 1 if answer.stars else None,
                on_change=_save_stars, args=(settings, answer.id, stars_key))
    note_key = f"{key_prefix}note-{answer.id}"
    st.text_area("Note", value=answer.note or "", key=note_key, placeholder="What would you say differently?",
                 on_change=_save_note, args=(settings, answer.id, note_key), height=68)


def model_caption(settings: Settings) -> str:
    """Which speech model is in use, and the other shipped ones installed here."""
    current = settings.model.strip() or "tiny.en"
    others = [c.name for c in model_choices() if c.present and c.name != current]
    text = f"Speech model: {current}"
    if others:
        text += " · also installed: " + ", ".join(f"{name} (start with REHEARSE_MODEL={name})" for name in others)
    return text


def show_error(exc: RehearseError) -> None:
    st.error(str(exc))


def record_answer(db: Database, settings: Settings, session_id: str, step: Step, key: str,
                  target: tuple[float, float] | None, show_words: bool) -> storage.Answer | None:
    """The answer recorder: live capture with the words as they come, or the browser's simple
    recorder where live capture cannot start. The new answer once one is recorded and stored;
    its id is in st.session_state[f"done-{key}"] from the moment the audio is saved."""
    if settings.live_capture:
        token_key = f"{key}-token"
        try:
            server = capture_server(settings)
            if token_key not in st.session_state:
                st.session_state[token_key] = server.open()
            url, reason = server.url(st.session_state[token_key]), ""
        except RehearseError as exc:
            url, reason = "", str(exc)
        value = _live_recorder(url=url, reason=reason, show_words=show_words, key=key, default=None)
        if value and value.get("state") in ("stopped", "dropped"):
            return _store_live(db, settings, session_id, step, key, target)
        if not value or value.get("state") != "unavailable":
            with st.expander("Microphone trouble? Use the simple recorder instead"):
                return _simple_recorder(db, settings, session_id, step, key, target)
        st.info("Live transcription could not start, so this recorder is transcribed after you stop.")
    return _simple_recorder(db, settings, session_id, step, key, target)


def _simple_recorder(db: Database, settings: Settings, session_id: str, step: Step, key: str,
                     target: tuple[float, float] | None) -> storage.Answer | None:
    recording = st.audio_input("Record your answer", sample_rate=SAMPLE_RATE, key=f"{key}-simple")
    if recording is None:
        return None
    answer = pipeline.save_answer(db, settings, session_id, step, recording.getvalue())
    st.session_state[f"done-{key}"] = answer.id  # saved: a rerun must not save it again
    if answer.status == "failed":
        return answer
    bar = st.progress(0.0, text="Transcribing your answer…")
    answer = pipeline.transcribe_answer(db, settings, model(settings), answer.id, target,
                                        on_progress=lambda f: bar.progress(f, text="Transcribing your answer…"))
    bar.empty()
    return answer


def _store_live(db: Database, settings: Settings, session_id: str, step: Step, key: str,
                target: tuple[float, float] | None) -> storage.Answer:
    server = capture_server(settings)
    token = st.session_state[f"{key}-token"]
    began = time.perf_counter()
    with st.spinner("Finishing the transcript…"):
        # The audio is saved for good while the last words are still being decoded.
        capture = server.audio(token)
        answer = pipeline.save_answer(db, settings, session_id, step, audio.wav_bytes(capture.samples, SAMPLE_RATE))
        st.session_state[f"done-{key}"] = answer.id
        server.discard_part(token)
        saved = time.perf_counter()
        finished = server.transcript(token)
        answer = pipeline.attach_transcript(db, settings, answer.id, finished.transcript, target, finished.error)
    log.info("live answer %s: audio saved %.2f s after the rerun began, transcript ready %.2f s after the end, "
             "stored %.2f s after saving", answer.id, saved - began, finished.seconds, time.perf_counter() - saved)
    if capture.dropped:
        st.warning(f"The connection dropped during the answer: the {capture.seconds:.1f} s that arrived "
                   "were saved and transcribed; anything said after that was lost. Record again if it matters.")
    return answer
