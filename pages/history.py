"""History page: every answer across sessions, filtered and searched, newest first; open one to listen, rate or delete."""

import streamlit as st

from rehearse import clock
from rehearse.errors import NotFoundError, RehearseError
from rehearse.library import bank
from rehearse.practice import history, probes
from rehearse.store import database, deletion
from rehearse.web import ui

settings = ui.settings()
st.title("History")

db = ui.page_database(settings)

library = bank.load_library(settings)
flash = st.session_state.pop("history_flash", None)
if flash:
    st.success(flash)

if history.date_bounds(db) is None:
    st.info("No answers yet. Start a drill, and every answer you record will show up here.")
    st.stop()

text = st.text_input(
    "Search transcripts and notes", key="history_text", placeholder='Words that must all appear, or a "quoted phrase"'
)
with st.expander("Filters", expanded=False):
    left, right = st.columns(2)
    drills = {d.id: d for d in history.drill_choices(db)}
    drill_ids = left.multiselect(
        "Drill", list(drills), key="history_drills", format_func=lambda d: f"{drills[d].label} ({drills[d].count})"
    )
    tags = right.multiselect("Tag", history.tag_choices(library.questions), key="history_tags")
    questions = {q.id: q for q in history.question_choices(db)}
    question_ids = st.multiselect(
        "Question",
        list(questions),
        key="history_questions",
        format_func=lambda q: f"{questions[q].label} ({questions[q].count})",
    )
    c1, c2, c3, c4 = st.columns(4)
    date_from = c1.date_input("From", value=None, key="history_from")
    date_to = c2.date_input("To", value=None, key="history_to")
    stars = c3.multiselect(
        "Rating", [5, 4, 3, 2, 1, 0], key="history_stars", format_func=lambda s: "★" * s if s else "Not rated"
    )
    kind = c4.selectbox("Answers", list(history.KINDS), key="history_kind", format_func=history.KINDS.get)

filters = history.Filters(
    tuple(drill_ids), tuple(question_ids), tuple(tags), date_from, date_to, tuple(stars), kind, text
)
# A new search or filter starts again at page 1.
if st.session_state.get("history_filters") != filters:
    st.session_state.history_filters = filters
    st.session_state.history_page = 1


def open_answer(answer_id: str) -> None:
    st.session_state.history_open = answer_id
    st.session_state.pop("history_confirm", None)


def show_opened(answer_id: str) -> None:
    try:
        answer = database.get_answer(db, answer_id)
    except NotFoundError:
        st.session_state.pop("history_open", None)
        return
    with st.container(border=True, key="history_opened"):
        st.subheader(ui.plain(answer.prompt))
        where = database.get_session(db, answer.session_id)
        st.caption(
            f"{clock.label(answer.created_at)} · {ui.plain(where.drill_title)}"
            + (f" · follow-up {answer.probe_index} to: {ui.plain(answer.question_text)}" if answer.probe_index else "")
        )
        if answer.probe_kind:
            st.caption(ui.plain(probes.answer_caption(answer)))
        if answer.audio_path is None:
            st.caption("The recording was deleted; the transcript is kept.")
        ui.answer_card(settings, answer, key_prefix="history-")
        cols = st.columns(2)
        if cols[0].button("Compare every take", key="history_compare"):
            st.session_state.compare_question = answer.question_id
            st.session_state.compare_focus = answer.probe_index
            st.switch_page("pages/compare.py")
        if cols[1].button("Close", key="history_close"):
            st.session_state.pop("history_open", None)
            st.rerun()
        if ui.confirmed(
            "history_confirm",
            "Delete this take",
            "Delete this take for good? Its recording, transcript, rating and note are removed; this cannot be undone.",
            "Yes, delete it",
            token=answer.id,
        ):
            try:
                deletion.delete_answer(db, settings, answer.id)
            except RehearseError as exc:
                ui.show_error(exc)
                return
            st.session_state.pop("history_open", None)
            st.session_state.history_flash = f"Deleted take {answer.take} of “{answer.prompt}”."
            st.rerun()


if st.session_state.get("history_open"):
    show_opened(st.session_state.history_open)

try:
    results = history.search(db, filters, library.questions, page=st.session_state.get("history_page", 1) - 1)
except RehearseError as exc:
    ui.show_error(exc)
    st.stop()

st.caption(
    f"{results.total} answer(s)" + (f" · page {results.page + 1} of {results.pages}" if results.pages > 1 else "")
)
if not results.total:
    st.info("Nothing matches. Remove a filter or search for other words.")
for hit in results.hits:
    answer = hit.answer
    with st.container(border=True):
        rating = "★" * answer.stars if answer.stars else "not rated"
        step = probes.step_name(answer.probe_index, answer.probe_kind).lower()
        st.caption(
            f"{clock.label(answer.created_at)} · {ui.plain(hit.drill_title)} · {step} · take {answer.take} · {rating}"
        )
        st.markdown(
            f"**{ui.plain(answer.prompt)}**"
            + (f" (follow-up to: {ui.plain(answer.question_text)})" if answer.probe_index else "")
        )
        if answer.probe_kind:
            st.caption(ui.plain(probes.answer_caption(answer)))
        if answer.status == "transcribed":
            st.markdown(ui.highlighted(hit.transcript))
        else:
            st.caption(ui.message(answer.error or "Not transcribed yet."))
        if answer.note:
            st.markdown("*Note:* " + ui.highlighted(hit.note))
        st.button("Open", key=f"open-{answer.id}", on_click=open_answer, args=(answer.id,))

if results.pages > 1:
    st.session_state.history_page = results.page + 1  # clamped: a deletion may have removed the last page
    st.number_input("Page", min_value=1, max_value=results.pages, step=1, key="history_page")
