"""Drill page: hear a question, answer out loud, then the follow-up probes, one at a time."""

import random
from dataclasses import asdict

import streamlit as st

from rehearse.errors import RehearseError
from rehearse.library import bank
from rehearse.practice import pipeline
from rehearse.store import database
from rehearse.web import ui

settings = ui.settings()
st.title("Drill")

db = ui.page_database(settings)

library = bank.load_library(settings)
for problem in library.problems:
    st.warning(f"Skipped a broken file: {ui.message(str(problem))}")

run = st.session_state.get("run")


def start(drill: bank.Drill, on_start=None) -> None:
    steps = bank.plan_drill(drill, library.questions, seed=random.randrange(1 << 30))
    sid = database.create_session(db, drill.id, drill.title, [asdict(s) for s in steps])
    ui.voice(settings).prefetch(s.prompt for s in steps)
    st.session_state.run = {
        "session_id": sid,
        "drill": drill,
        "steps": steps,
        "index": 0,
        "attempt": {},
        "finished": False,
    }
    if on_start is not None:
        on_start(db, sid)


def advance(run: dict, to: int | None = None) -> None:
    run["index"] = run["index"] + 1 if to is None else to
    if run["index"] >= len(run["steps"]):
        database.end_session(db, run["session_id"], "completed")
        run["finished"] = True


# Another page (practice queue, debrief, my questions) asked for this drill: it replaces any run in progress.
request = ui.take_drill_request()
if request is not None:
    if run is not None and not run["finished"]:
        database.end_session(db, run["session_id"], "ended")
    start(request.drill, request.on_start)
    run = st.session_state.run

if run is None:
    if "voice_warm" not in st.session_state:
        st.session_state.voice_warm = True
        ui.voice(settings).prefetch()
    if not library.drills:
        st.error("No drills could be loaded. Fix the files named above, or run `rehearse check`.")
        st.stop()
    drill_id = st.selectbox(
        "Choose a drill", list(library.drills), key="drill_choice", format_func=lambda d: library.drills[d].title
    )
    drill = library.drills[drill_id]
    st.markdown(ui.plain(drill.description))
    st.caption(
        f"{drill.count} question(s), up to {drill.probes_per_question} follow-up(s) each"
        + (f" · {drill.think_seconds:g} s to think" if drill.think_seconds else "")
        + (f" · {drill.time_limit_seconds:g} s per answer" if drill.time_limit_seconds else "")
    )
    st.toggle("Listen only (hide the question text, and your words while you speak)", key="listen_only")
    st.caption(ui.model_caption(settings))
    if st.button("Start drill", type="primary"):
        try:
            start(drill)
        except RehearseError as exc:
            ui.show_error(exc)
            st.stop()
        st.rerun()
    st.stop()

if run["finished"]:
    st.success(f"Drill complete: {ui.plain(run['drill'].title)}. Every answer is saved.")
    st.page_link("pages/review.py", label="Review this session", icon="📼")
    if st.button("Start another drill", type="primary"):
        del st.session_state.run
        st.rerun()
    st.stop()

sid, steps, index = run["session_id"], run["steps"], run["index"]
step: bank.Step = steps[index]
question = library.questions.get(step.question_id)
question_numbers = list(dict.fromkeys(s.question_id for s in steps))
st.progress(
    index / len(steps),
    text=f"Question {question_numbers.index(step.question_id) + 1} of {len(question_numbers)}"
    + (f" · follow-up {step.probe_index} of {step.probe_count}" if step.is_probe else ""),
)

ui.play_prompt(settings, step.prompt)

if step.is_probe:
    st.caption(f"Follow-up on: {ui.plain(step.question_text)}")
if st.session_state.get("listen_only"):
    with st.expander("Show the text"):
        st.markdown(f"**{ui.plain(step.prompt)}**")
else:
    st.subheader(ui.plain(step.prompt))
drill = run["drill"]
attempt = run["attempt"].get(index, 0)
rec_key = f"rec-{sid}-{index}-{attempt}"
done_key = f"done-{rec_key}"
if done_key not in st.session_state:
    ui.answer_timer(drill.think_seconds, drill.time_limit_seconds, rec_key)
target = question.target_seconds if question and not step.is_probe else None
category = question.category if question else None

if done_key not in st.session_state:
    try:
        ui.record_answer(
            db,
            settings,
            sid,
            step,
            rec_key,
            target,
            show_words=not st.session_state.get("listen_only"),
            category=category,
        )
    except RehearseError as exc:
        ui.show_error(exc)

takes = database.step_answers(db, sid, step.question_id, step.probe_index)
latest = takes[0] if takes else None
if latest is not None:
    with st.container(border=True):
        ui.answer_card(settings, latest, target=target, category=category)
        if drill.time_limit_seconds and latest.duration and latest.duration > drill.time_limit_seconds:
            st.warning(
                f"That answer ran {latest.duration:.0f} s, over the drill's {drill.time_limit_seconds:g} s limit."
            )
    if len(takes) > 1:
        with st.expander(f"Earlier takes ({len(takes) - 1})"):
            for old in takes[1:]:
                ui.answer_card(settings, old, key_prefix="old-", target=target, category=category)

is_last = index == len(steps) - 1
next_label = "Finish drill" if is_last else ("Next follow-up" if steps[index + 1].is_probe else "Next question")
cols = st.columns(4)
try:
    if cols[0].button(next_label, type="primary", disabled=latest is None, key=f"next-{index}"):
        advance(run)
        st.rerun()
    if cols[1].button("Record again", disabled=done_key not in st.session_state, key=f"again-{index}"):
        run["attempt"][index] = attempt + 1
        st.rerun()
    skip_label = "Skip this follow-up" if step.is_probe else "Skip this question"
    if cols[2].button(skip_label, disabled=latest is not None, key=f"skip-{index}"):
        pipeline.skip_step(db, sid, step)
        if step.is_probe:
            advance(run)
        else:
            # Skipping a question skips its probes too: they make no sense without the story.
            following = [i for i in range(index + 1, len(steps)) if steps[i].question_id != step.question_id]
            advance(run, following[0] if following else len(steps))
        st.rerun()
    if cols[3].button("End drill", key=f"end-{index}"):
        database.end_session(db, sid, "ended")
        run["finished"] = True
        st.rerun()
except RehearseError as exc:
    ui.show_error(exc)
