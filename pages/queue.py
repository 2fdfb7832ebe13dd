"""Practice queue page: which questions are due again, by a spaced-repetition schedule over your ratings."""

import streamlit as st

from rehearse import clock
from rehearse.library import bank
from rehearse.practice import schedule
from rehearse.web import ui

settings = ui.settings()
st.title("Practice queue")

db = ui.page_database(settings)

library = bank.load_library(settings)
today = clock.today()
items = schedule.queue(db, library.questions)
due = schedule.due(items, today)
unrated = schedule.unrated(db)

if not items and not unrated:
    st.info(
        "Nothing scheduled yet. Answer and rate some questions on the Drill page: low ratings come back "
        "within a day or two, high ones later."
    )
    st.stop()

st.subheader(f"Due today: {len(due)}")
drill, missing = schedule.due_drill(due, library.questions)
for item in missing:
    st.warning(
        f"Question '{ui.plain(item.question_id)}' is due but no longer in your question banks, so it is left out of the drill."
    )
if due:
    for item in due:
        late = item.overdue(today)
        st.markdown(
            f"- **{ui.plain(item.question_text)}** · last rated {item.last_grade}★ on {item.last_day}"
            + (f" · {late} day(s) overdue" if late else " · due today")
        )
    run = st.session_state.get("run")
    busy = bool(run and not run["finished"])
    if drill and st.button(
        f"Start the due-today drill ({drill.count} question(s))", type="primary", disabled=busy, key="queue_start"
    ):
        ui.request_drill(drill)
    if busy:
        st.caption("A drill is in progress on the Drill page: finish or end it first.")
else:
    st.success("Nothing is due today.")

upcoming = [i for i in items if i.due > today]
if upcoming:
    st.subheader("Coming up")
    st.dataframe(
        [
            {
                "Question": i.question_text,
                "Due": i.due.isoformat(),
                "In days": (i.due - today).days,
                "Last rating": "★" * i.last_grade,
                "Reviews": i.reviews,
                "Gap (days)": i.interval,
            }
            for i in upcoming
        ],
        hide_index=True,
        key="queue_upcoming",
    )
if unrated:
    st.subheader("Not scheduled: rate these first")
    for question_id, text in unrated:
        st.markdown(f"- {ui.plain(text or question_id)}")
with st.expander("How the schedule works"):
    st.markdown(schedule.RULES)
