"""Practice queue page: which questions are due again, by a spaced-repetition schedule over your
ratings, and today's weakest answers to go over again while they are fresh."""

from datetime import timedelta

import streamlit as st

from rehearse import clock
from rehearse.library import bank
from rehearse.measure import feedback
from rehearse.practice import schedule
from rehearse.store import takes
from rehearse.web import ui

ONE_DAY = timedelta(days=1)

settings = ui.settings()
st.title("Practice queue")
st.caption(
    "Questions come back here on a schedule set by your star ratings: the lower you rate an answer, "
    "the sooner its question returns; the better you do, the longer the gap."
)

db = ui.page_database(settings)

library = bank.load_library(settings)
today = clock.today()
items = schedule.queue(db, library.questions)
due = schedule.due(items, today)
unrated = schedule.unrated(db)
run = st.session_state.get("run")
busy = bool(run and not run.finished)

if not items and not unrated:
    st.info(
        "Nothing scheduled yet. Answer and rate some questions on the Drill page: low ratings come back "
        "within a day or two, high ones later."
    )
    st.stop()

if items and not due and all(i.reviews == 1 and i.last_day == today for i in items):
    # Day one: every rating is from today, so nothing can be due until tomorrow at the earliest.
    first = min(i.due for i in items)
    rated = f"{len(items)} question{'s' if len(items) != 1 else ''}"
    st.info(
        f"You rated {rated} today, your first day. Each comes back on its own day: the lower you rated it, "
        f"the sooner, and each good go after that stretches the gap. The first is due on {first:%A %-d %B}. "
        "Until then, go over today's weakest answers while they are fresh."
    )

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
    if drill and st.button(
        f"Start the due-today drill ({drill.count} question(s))", type="primary", disabled=busy, key="queue_start"
    ):
        ui.request_drill(drill)
else:
    st.success("Nothing is due today.")
if busy:
    st.caption("A drill is in progress on the Drill page: finish or end it first.")

todays = takes.main_answers_on(db, today)
weak_drill, weakest_takes = schedule.weakest_drill(todays, library.questions)
if weak_drill:
    st.subheader("Today's weakest answers")
    for take in weakest_takes:
        line = feedback.headline(take.metrics)
        stars = f"{take.stars}★" if take.stars else "not rated"
        st.markdown(f"- **{ui.plain(take.question_text)}** · {stars}" + (f" · {ui.plain(line.title)}" if line else ""))
    if st.button(
        "Practise the weakest answers from today",
        type="primary" if not due else "secondary",
        disabled=busy,
        key="queue_weakest",
    ):
        ui.request_drill(weak_drill)


upcoming = [i for i in items if i.due > today]
if upcoming:
    st.subheader("Coming up")
    # A list, not a table: a long question wraps instead of being cut off, at any width.
    for i in upcoming:
        when = "tomorrow" if i.due - today == ONE_DAY else f"in {(i.due - today).days} days"
        times = "once" if i.reviews == 1 else f"{i.reviews} times"
        st.markdown(
            f"- **{i.due:%a %-d %b}** ({when}) · {ui.plain(i.question_text)} · last rated "
            f"{'★' * i.last_grade}, practised {times}"
        )
if unrated:
    st.subheader("Not scheduled: rate these first")
    for question_id, text in unrated:
        st.markdown(f"- {ui.plain(text or question_id)}")
with st.expander("How the schedule works"):
    st.markdown(schedule.RULES)
