"""My questions page: add, edit and delete your own questions and their probes; they join the drills."""

import streamlit as st

from rehearse.errors import RehearseError
from rehearse.library import bank, own_questions
from rehearse.web import ui

settings = ui.settings()
st.title("My questions")
st.caption(
    f"Your own questions are kept in {ui.plain(str(settings.user_questions_dir))} and take part in drills like the "
    "shipped ones: a drill picks them up by their category and tags."
)

own = own_questions.load_own(settings)
for problem in own.problems:
    st.warning(f"Skipped one of your files (fix it in a text editor; it is left as it is): {ui.message(str(problem))}")

FIELDS = ("text", "category", "tags", "min", "max", "probes")


def defaults(q: bank.Question | None) -> dict:
    if q is None:
        return {"text": "", "category": bank.CATEGORIES[0], "tags": "", "min": 60, "max": 120, "probes": ""}
    return {
        "text": q.text,
        "category": q.category,
        "tags": ", ".join(q.tags),
        "min": int(q.target_seconds[0]),
        "max": int(q.target_seconds[1]),
        "probes": "\n".join(q.probes),
    }


def question_form(prefix: str, q: bank.Question | None) -> None:
    """The fields of one question; probes are edited one per line, so adding or deleting a line adds or deletes a probe."""
    for name, value in defaults(q).items():
        st.session_state.setdefault(f"{prefix}-{name}", value)
    label = own_questions.LABELS
    st.text_area(label["text"], key=f"{prefix}-text")
    st.selectbox(label["category"], bank.CATEGORIES, key=f"{prefix}-category")
    st.text_input(label["tags"], key=f"{prefix}-tags")
    low, high = st.columns(2)
    low.number_input(label["min"], min_value=1, key=f"{prefix}-min")
    high.number_input(label["max"], min_value=2, key=f"{prefix}-max")
    st.text_area(label["probes"], key=f"{prefix}-probes", height=140)


def entered(prefix: str) -> dict:
    get = lambda name: st.session_state[f"{prefix}-{name}"]  # noqa: E731
    return {
        "text": get("text"),
        "category": get("category"),
        "tags": get("tags").split(","),
        "target": (get("min"), get("max")),
        "probes": get("probes").splitlines(),
    }


# Callbacks run before the page is drawn, so a failed save keeps every field as typed and says why.
def add() -> None:
    try:
        added = own_questions.add_question(settings, bank.load_library(settings), **entered("new"))
    except RehearseError as exc:
        st.session_state["own-message"] = ("error", str(exc))
        return
    st.session_state["own-message"] = (
        "success",
        f"Added “{ui.plain(added.text)}”. It is in every drill that selects "
        f"{added.category} questions" + (f" or the tags {ui.plain(', '.join(added.tags))}." if added.tags else "."),
    )
    for name, value in defaults(None).items():
        st.session_state[f"new-{name}"] = value


def save(qid: str) -> None:
    try:
        own_questions.update_question(settings, bank.load_library(settings), qid, **entered(f"edit-{qid}"))
        st.session_state["own-message"] = ("success", "Saved your changes.")
    except RehearseError as exc:
        st.session_state["own-message"] = ("error", str(exc))


def delete(qid: str) -> None:
    try:
        library = bank.load_library(settings)
        text = library.questions[qid].text if qid in library.questions else qid
        own_questions.delete_question(settings, library, qid)
        st.session_state["own-message"] = ("success", f"Deleted “{ui.plain(text)}”.")
        for name in FIELDS:
            st.session_state.pop(f"edit-{qid}-{name}", None)
    except RehearseError as exc:
        st.session_state["own-message"] = ("error", str(exc))


with st.form("add-question"):
    st.subheader("Add a question")
    question_form("new", None)
    st.form_submit_button("Add question", type="primary", on_click=add)

kind, message = st.session_state.pop("own-message", (None, None))
if kind == "error":
    st.error(ui.message(message))
elif kind == "success":
    st.success(message)  # built with ui.plain around the user's words

own = own_questions.load_own(settings)
if not own.questions:
    st.info("You have no questions of your own yet.")
    st.stop()

st.subheader(f"Your questions ({len(own.questions)})")
if st.button("Practise my questions"):
    ui.request_drill(own_questions.drill(own))

for q in own.questions:
    with st.expander(ui.plain(q.text)):
        st.caption(
            f"{q.category.capitalize()} · {len(q.probes)} follow-ups · aim for {q.target_seconds[0]:.0f}–{q.target_seconds[1]:.0f} s"
        )
        with st.form(f"edit-{q.id}"):
            question_form(f"edit-{q.id}", q)
            st.form_submit_button("Save changes", on_click=save, args=(q.id,))
        if ui.confirmed(
            f"delete-{q.id}",
            "Delete this question",
            "Delete this question and its follow-ups from your questions? Answers you already recorded to it are kept.",
            "Yes, delete the question",
        ):
            delete(q.id)
            st.rerun()
