"""Streamlit pieces shared by the pages: cached resources and the answer card.

The only module in the package that imports Streamlit; everything it shows comes from
pure functions elsewhere in rehearse/.
"""

from __future__ import annotations

import re

import streamlit as st
from sqlite_utils import Database

from . import storage
from .errors import RehearseError
from .settings import Settings, load_settings
from .transcribe import Model
from .voice import Voice

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


def highlighted(segments: tuple[tuple[str, bool], ...]) -> str:
    """Search results as inert Markdown, the matched words highlighted (the pieces come from history.segments)."""
    return "".join(f":orange-background[{plain(text)}]" if hit and text.strip() else plain(text)
                   for text, hit in segments)


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


def show_error(exc: RehearseError) -> None:
    st.error(str(exc))
