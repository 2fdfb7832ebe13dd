"""Review page: past sessions, newest first, with every answer's audio, transcript, rating and note."""

import streamlit as st

from rehearse import clock
from rehearse.library import bank
from rehearse.practice import probes, run, summary
from rehearse.store import database
from rehearse.web import ui

settings = ui.settings()
st.title("Review")

db = ui.page_database(settings)

sessions = database.list_sessions(db)
if not sessions:
    st.info("No sessions yet. Start a drill, and every answer you record will show up here.")
    st.stop()

# Numbered: the browser picks an option by its label, so two sessions of one drill started in
# the same minute must not look alike.
labels = {
    s.id: f"#{len(sessions) - i} · {clock.label(s.started_at)} · {s.drill_title} · "
    f"{s.answer_count} answer(s) · {run.status_label(s.status)}"
    for i, s in enumerate(sessions)
}
session_id = st.selectbox("Session", list(labels), format_func=labels.get, key="review_session")
answers = database.session_answers(db, session_id)
if not answers:
    st.info("No answers were recorded in this session.")

questions = bank.load_library(settings).questions
if answers:
    with st.expander("Summary of this session"):
        drill_run = st.session_state.get("run")
        busy = bool(drill_run and not drill_run.finished)
        ui.drill_summary(
            summary.summarise(db, session_id, questions), key="review-summary", disabled=busy, compact=True
        )
        if busy:
            st.caption("A drill is in progress on the Drill page: finish or end it first.")
steps: dict[tuple[str, int], list[database.Answer]] = {}
for answer in answers:
    steps.setdefault((answer.question_id, answer.probe_index), []).append(answer)
for (question_id, probe_index), takes in steps.items():
    first = takes[0]
    question = questions.get(question_id)
    target = question.target_seconds if question and probe_index == 0 else None
    with st.container(border=True):
        if probe_index == 0:
            st.subheader(ui.plain(first.prompt))
        else:
            st.markdown(f"**{probes.step_name(probe_index, first.probe_kind)}:** {ui.plain(first.prompt)}")
            if first.probe_kind:
                st.caption(ui.plain(probes.answer_caption(first)))
        for answer in sorted(takes, key=lambda a: a.take, reverse=True):
            ui.answer_card(settings, answer, key_prefix="review-", target=target)
