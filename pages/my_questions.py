"""My questions page: add, edit and delete your own questions and their probes; they join the drills."""

import streamlit as st

from rehearse import bank, own_questions, ui
from rehearse.errors import RehearseError

settings = ui.settings()
st.title("My questions")
st.caption(f"Your own questions are kept in {settings.user_questions_dir} and take part in drills like the "
           "shipped ones: a drill picks them up by their category and tags.")

library = bank.load_library(settings)
own = own_questions.load_own(settings)
for problem in own.problems:
    st.warning(f"Skipped one of your files (fix it in a text editor; it is left as it is): {problem}")


def question_form(prefix: str, q: bank.Question | None) -> dict:
    """The fields of one question; probes are edited one per line, so adding or deleting a line adds or deletes a probe."""
    text = st.text_area("Question", value=q.text if q else "", key=f"{prefix}-text")
    category = st.selectbox("Category", bank.CATEGORIES, key=f"{prefix}-category",
                            index=bank.CATEGORIES.index(q.category) if q else 0)
    tags = st.text_input("Tags (comma-separated)", value=", ".join(q.tags) if q else "", key=f"{prefix}-tags")
    low, high = st.columns(2)
    target = (low.number_input("Aim for at least (seconds)", min_value=1, value=int(q.target_seconds[0]) if q else 60,
                               key=f"{prefix}-min"),
              high.number_input("and at most (seconds)", min_value=2, value=int(q.target_seconds[1]) if q else 120,
                                key=f"{prefix}-max"))
    probes = st.text_area("Follow-up probes, one per line (at least two)", value="\n".join(q.probes) if q else "",
                          key=f"{prefix}-probes", height=140)
    return {"text": text, "category": category, "tags": tags.split(","), "target": target, "probes": probes.splitlines()}


with st.form("add-question", clear_on_submit=True):
    st.subheader("Add a question")
    fields = question_form("new", None)
    if st.form_submit_button("Add question", type="primary"):
        try:
            added = own_questions.add_question(settings, library, **fields)
            st.success(f"Added '{added.id}'. It is in every drill that selects {added.category} questions"
                       + (f" or the tags {', '.join(added.tags)}." if added.tags else "."))
            library = bank.load_library(settings)
            own = own_questions.load_own(settings)
        except RehearseError as exc:
            ui.show_error(exc)

if not own.questions:
    st.info("You have no questions of your own yet.")
    st.stop()

st.subheader(f"Your questions ({len(own.questions)})")
if st.button("Practise my questions"):
    ui.request_drill(own_questions.drill(own))

for q in own.questions:
    with st.expander(q.text):
        st.caption(f"{q.id} · {q.category} · in {q.source}")
        with st.form(f"edit-{q.id}"):
            fields = question_form(f"edit-{q.id}", q)
            if st.form_submit_button("Save changes"):
                try:
                    own_questions.update_question(settings, library, q.id, **fields)
                    st.rerun()
                except RehearseError as exc:
                    ui.show_error(exc)
        if st.button("Delete this question", key=f"delete-{q.id}"):
            try:
                own_questions.delete_question(settings, library, q.id)
                st.rerun()
            except RehearseError as exc:
                ui.show_error(exc)
