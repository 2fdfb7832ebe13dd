"""Drill page: hear a question, answer out loud, then the follow-up probes, one at a time.

The run itself (its steps, where it is, skip and end, what is stored) is a practice.run.DrillRun
kept in the session state; this page shows it and passes on the clicks.
"""

import random

import streamlit as st

from rehearse import clock
from rehearse.errors import RehearseError
from rehearse.library import bank
from rehearse.practice import summary
from rehearse.practice.run import DrillRun
from rehearse.web import ui

settings = ui.settings()
st.title("Drill")

db = ui.page_database(settings)

library = bank.load_library(settings)
for problem in library.problems:
    st.warning(f"Skipped a broken file: {ui.message(str(problem))}")

run: DrillRun | None = st.session_state.get("run")
LISTEN_ONLY = "Listen only (hide the question text, and your words while you speak)"


def begin(new: DrillRun) -> None:
    ui.speak_ahead(settings, (s.prompt for s in new.steps))
    st.session_state.run = new
    # The toggle's own state goes once the chooser is off the page: the run keeps the choice.
    st.session_state.drill_listen_only = bool(st.session_state.get("listen_only"))


def start(drill: bank.Drill, on_start=None) -> None:
    begin(DrillRun.start(drill, library.questions, seed=random.randrange(1 << 30), on_create=on_start))


def listen_only_toggle() -> None:
    st.toggle(LISTEN_ONLY, key="listen_only", value=st.session_state.get("drill_listen_only", False))


# Another page (practice queue, debrief, my questions) asked for this drill: it replaces any run in progress.
request = ui.take_drill_request()
if request is not None:
    try:
        unfinished = run if run is not None else DrillRun.unfinished(db)
        if unfinished is not None:
            unfinished.end(db)
        start(request.drill, request.on_start)
    except RehearseError as exc:
        ui.show_error(exc)
        st.stop()
    run = st.session_state.run

if run is None:
    # A reload or a closed tab left a run in progress: offer to continue it.
    stored = DrillRun.unfinished(db)
    if stored is not None:
        number, total = stored.question_number()
        st.info(
            f"You have a drill in progress: {ui.plain(stored.drill.title)}, started {clock.label(stored.started_at)}."
        )
        listen_only_toggle()
        # One under the other: side by side, the long label is cut off.
        if st.button(
            f"Continue {ui.plain(stored.drill.title)} where you left off (question {number} of {total})", type="primary"
        ):
            begin(stored)
            st.rerun()
        if st.button("Start a new drill", help="The unfinished drill is kept, marked as ended early."):
            try:
                stored.end(db)
            except RehearseError as exc:
                ui.show_error(exc)
                st.stop()
            st.rerun()
        st.stop()
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
    listen_only_toggle()
    st.caption(ui.model_caption(settings))
    if st.button("Start drill", type="primary"):
        try:
            start(drill)
        except RehearseError as exc:
            ui.show_error(exc)
            st.stop()
        st.rerun()
    st.stop()

if run.finished:
    if run.ended_early:
        st.info(f"Ended early: {ui.plain(run.drill.title)}. Every answer you gave is saved.")
    else:
        st.success(f"Drill complete: {ui.plain(run.drill.title)}. Every answer is saved.")
    if run.session_id is not None:
        try:
            ui.drill_summary(summary.summarise(db, run.session_id, library.questions), key="drill-summary")
        except RehearseError as exc:
            ui.show_error(exc)
        st.page_link("pages/review.py", label="Review this session", icon=":material/play_circle:")
    else:
        st.caption("Nothing was recorded in this drill, so there is nothing to sum up.")
    if st.button("Start another drill"):
        del st.session_state.run
        st.rerun()
    st.stop()

step = run.step
drill = run.drill
question = library.questions.get(step.question_id)
listen_only = st.session_state.get("drill_listen_only", False)
st.progress(run.progress, text=run.position_text())

ui.play_prompt(settings, step.prompt)

if step.is_probe:
    st.caption(f"Follow-up on: {ui.plain(step.question_text)}")
picked = run.picked_up(db)
if picked is not None:
    # What this follow-up picked up, marked in the answer it comes from.
    st.caption(f"Listening follow-up · {ui.plain(picked.caption)}")
    if picked.evidence and any(hit for _, hit in picked.segments) and not listen_only:
        st.container(key="picked-up").markdown("**You said:** " + ui.highlighted(picked.segments))
if listen_only:
    with st.expander("Show the text"):
        st.markdown(f"**{ui.plain(step.prompt)}**")
else:
    st.subheader(ui.plain(step.prompt))
rec_key = f"rec-{run.token}-{run.index}-{run.attempt}"
recorded = f"done-{rec_key}" in st.session_state
if not recorded:
    ui.answer_timer(drill.think_seconds, drill.time_limit_seconds, rec_key)
target = question.target_seconds if question and not step.is_probe else None
category = question.category if question else None

if not recorded:
    try:
        ui.record_answer(
            db,
            settings,
            run,
            rec_key,
            target,
            show_words=not listen_only,
            category=category,
            watch=run.cut_watch(question, settings),
        )
    except RehearseError as exc:
        ui.show_error(exc)
    recorded = f"done-{rec_key}" in st.session_state

try:
    # Once the main answer is transcribed, the follow-ups it invites go first in the plan (once per answer).
    run.listen(db, settings, run.usable_take(db), question, voice=ui.voice(settings), cut=ui.live_cut(rec_key))
except RehearseError as exc:
    ui.show_error(exc)
takes = run.takes(db)
latest = takes[0] if takes else None
if latest is not None:
    cut = ui.live_cut(rec_key)
    if cut is not None and latest.probe_index == step.probe_index:
        said = "" if listen_only else f": “{ui.plain(cut.say)}”"  # it quotes the answer's own words
        st.info(f"The interviewer cut in at {cut.seconds:.0f} s{said}. Your answer up to there is saved.")
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

following = run.next_step
next_label = "Finish drill" if following is None else ("Next follow-up" if following.is_probe else "Next question")
cols = st.columns(4)
try:
    if cols[0].button(next_label, type="primary", disabled=not run.can_advance(db), key=f"next-{run.index}"):
        run.advance(db)
        st.rerun()
    if cols[1].button("Record again", disabled=not recorded, key=f"again-{run.index}"):
        run.record_again()
        st.rerun()
    skip_label = "Skip this follow-up" if step.is_probe else "Skip this question"
    if cols[2].button(skip_label, disabled=not run.can_skip(db), key=f"skip-{run.index}"):
        run.skip(db)
        st.rerun()
    if cols[3].button("End drill", key=f"end-{run.index}"):
        run.end(db)
        st.rerun()
except RehearseError as exc:
    ui.show_error(exc)
