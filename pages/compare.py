"""Compare page: every take at one question (main answer and probes), newest first, and a word diff of any two."""

import streamlit as st

from rehearse import clock
from rehearse.practice import compare, history, probes
from rehearse.store import takes as stored_takes
from rehearse.web import ui

SHOWN = 10  # takes per tab before "Show all": each one carries its audio

settings = ui.settings()
st.title("Compare takes")

db = ui.page_database(settings)

questions = {q.id: q for q in history.question_choices(db)}
counts = stored_takes.take_counts(db)
if not questions:
    st.info("No answers yet. Once you have answered a question more than once, compare the takes here.")
    st.stop()
if st.session_state.get("compare_question") not in questions:
    st.session_state.compare_question = max(questions, key=lambda q: counts.get(q, 0))  # most practised first
question_id = st.selectbox(
    "Question",
    list(questions),
    key="compare_question",
    format_func=lambda q: compare.question_label(questions[q].label, counts.get(q, 0)),
)

parts = compare.parts(db, question_id)
names = {p.probe_index: probes.step_name(p.probe_index) + f" ({p.takes})" for p in parts}
focus = st.session_state.pop("compare_focus", None)
tabs = st.tabs(list(names.values()), default=names.get(focus))
for part, tab in zip(parts, tabs):
    with tab:
        takes = compare.takes(db, question_id, part.probe_index)
        st.subheader(ui.plain(part.prompt))
        transcribed = [a for a in takes if a.status == "transcribed"]
        if len(transcribed) >= 2:
            labels = {a.id: compare.take_label(a) for a in transcribed}
            ids = list(labels)
            left, right = st.columns(2)
            older = left.selectbox(
                "From", ids, index=1, format_func=labels.get, key=f"diff-from-{question_id}-{part.probe_index}"
            )
            newer = right.selectbox(
                "To", ids, index=0, format_func=labels.get, key=f"diff-to-{question_id}-{part.probe_index}"
            )
            by_id = {a.id: a for a in transcribed}
            diff = compare.word_diff(by_id[older].transcript or "", by_id[newer].transcript or "")
            st.caption(
                f"Word diff: {diff.similarity:.0%} of the words in common · "
                f"{diff.removed} word(s) dropped (struck through) · {diff.added} new (bold)"
            )
            with st.container(border=True):
                st.markdown(ui.diff_markdown(diff.pieces))
            changed = compare.fact_diff(by_id[older], by_id[newer])
            st.caption(
                "Facts: "
                + (ui.plain("; ".join(changed)) if changed else "the same names, roles and numbers in both takes")
            )
            st.dataframe(
                compare.side_by_side(by_id[older], by_id[newer]),
                hide_index=True,
                key=f"side-{question_id}-{part.probe_index}",
            )
        else:
            st.caption("Record this one again to compare two takes word by word.")
        all_key = f"compare-all-{question_id}-{part.probe_index}"
        show_all = st.session_state.get(all_key, False)
        for answer in takes if show_all else takes[:SHOWN]:
            with st.container(border=True):
                st.caption(clock.label(answer.created_at))
                if answer.audio_path is None:
                    st.caption("The recording was deleted; the transcript is kept.")
                if answer.probe_kind:
                    st.caption(ui.plain(probes.answer_caption(answer)))
                ui.answer_card(settings, answer, key_prefix=f"compare-{part.probe_index}-")
        if len(takes) > SHOWN and not show_all:
            st.button(
                f"Show all {len(takes)} takes",
                key=f"more-{all_key}",
                on_click=lambda k=all_key: st.session_state.update({k: True}),
            )
