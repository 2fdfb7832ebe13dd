"""Debrief page: the checklist after a real interview, written or spoken, then back into practice,
what was rehearsed against what happened, and the follow-up letter."""

import streamlit as st

from rehearse import clock
from rehearse.debrief import checklist, letter
from rehearse.errors import RehearseError
from rehearse.library import bank
from rehearse.practice import pipeline
from rehearse.store import debriefs
from rehearse.web import ui

settings = ui.settings()
st.title("Debrief")
st.caption("A day after a real interview, while you still remember it. Everything saves as you type or speak.")

db = ui.page_database(settings)


def new_debrief() -> None:
    st.session_state.debrief_choice = debriefs.create_debrief(ui.database(settings)).id


def field_key(debrief_id: str, name: str) -> str:
    return f"item-{debrief_id}-{name}"


def save_item(debrief_id: str, name: str) -> None:
    key = field_key(debrief_id, name)
    saved = debriefs.set_item(ui.database(settings), debrief_id, name, st.session_state.get(key, ""))
    # Show the value as stored: a spoken or typed 'yesterday' becomes the date itself.
    st.session_state[key] = checklist.text_of(saved, name)


def item_widget(d: checklist.Debrief, item: checklist.Item) -> None:
    key = field_key(d.id, item.name)
    if key not in st.session_state:
        st.session_state[key] = checklist.text_of(d, item.name)
    widget = st.text_input if item.kind in ("short", "date") else st.text_area
    widget(item.label, key=key, help=item.help or None, on_change=save_item, args=(d.id, item.name))


all_debriefs = debriefs.list_debriefs(db)
if not all_debriefs:
    st.info("No debriefs yet. Start one after your next real interview.")
    st.button("New debrief", type="primary", on_click=new_debrief)
    st.stop()

ids = [x.id for x in all_debriefs]
if st.session_state.get("debrief_choice") not in ids:
    # A reload starts a new browser session: come back to the debrief in the address bar.
    wanted = st.query_params.get("debrief")
    st.session_state.debrief_choice = wanted if wanted in ids else ids[0]
labels = {x.id: f"{x.title} · {checklist.status(x)}" for x in all_debriefs}
cols = st.columns([4, 1], vertical_alignment="bottom")
debrief_id = cols[0].selectbox("Debrief", ids, format_func=labels.get, key="debrief_choice")
cols[1].button("New debrief", on_click=new_debrief)
st.query_params["debrief"] = debrief_id
d = debriefs.get_debrief(db, debrief_id)

gaps = checklist.gaps(d)
if gaps:
    st.warning(f"Draft: {len(gaps)} checklist item(s) still to fill in.")
    st.markdown("\n".join(f"- **{g.item.label}**: {ui.plain(g.reason)}" for g in gaps))
else:
    st.success("Complete: every checklist item is filled in.")

mode = st.radio("Fill it in by", ["Writing", "Speaking"], horizontal=True, key="debrief_mode")

if mode == "Speaking":
    index_key = f"speak-index-{d.id}"
    if index_key not in st.session_state:
        # Start at the first item still to fill, so a draft picks up where it stopped.
        first_gap = gaps[0].item if gaps else checklist.ITEMS[0]
        st.session_state[index_key] = checklist.ITEMS.index(first_gap)
    index = st.session_state[index_key]
    item = checklist.ITEMS[index]
    st.progress(index / len(checklist.ITEMS), text=f"Item {index + 1} of {len(checklist.ITEMS)}: {item.label}")
    ui.play_prompt(settings, item.prompt)
    st.subheader(item.prompt)

    attempt_key = f"speak-attempt-{d.id}-{item.name}"
    rec_key = f"speak-{d.id}-{item.name}-{st.session_state.get(attempt_key, 0)}"
    done_key = f"done-{rec_key}"
    if done_key not in st.session_state:
        recording = st.audio_input("Record your answer", sample_rate=ui.SAMPLE_RATE, key=rec_key)
        if recording is not None:
            bar = st.progress(0.0, text="Transcribing…")

            def saved(rec: debriefs.Recording) -> None:
                st.session_state[done_key] = rec.id  # saved: a rerun must not save it again

            try:
                rec, d = pipeline.speak_item(
                    db,
                    settings,
                    lambda: ui.model(settings),
                    d.id,
                    item.name,
                    recording.getvalue(),
                    on_progress=lambda f: bar.progress(f, text="Transcribing…"),
                    on_saved=saved,
                )
                st.session_state[field_key(d.id, item.name)] = checklist.text_of(d, item.name)
            except RehearseError as exc:
                ui.show_error(exc)
                if done_key not in st.session_state:
                    # Not saved (a full or read-only disk): the recorder above still holds it.
                    st.button("Save again", key=f"save-again-{rec_key}", type="primary")
            bar.empty()
    latest = debriefs.recordings(db, d.id, item.name)
    if latest and latest[-1].status == "failed":
        st.error(f"{ui.message(latest[-1].error or '')} Your recording is kept.")
    elif latest and latest[-1].error:
        st.warning(ui.message(latest[-1].error))  # recovered after a crash, not transcribed
    elif latest and done_key in st.session_state:
        st.caption("Heard: " + ui.plain(latest[-1].transcript or ""))
    item_widget(d, item)
    st.caption("Edit the text if the transcript got something wrong; it saves when you leave the field.")

    def move(to: int) -> None:
        st.session_state[index_key] = to

    def again() -> None:
        st.session_state[attempt_key] = st.session_state.get(attempt_key, 0) + 1

    def finish() -> None:
        st.session_state.debrief_mode = "Writing"

    nav = st.columns(3)
    nav[0].button("Previous item", disabled=index == 0, on_click=move, args=(index - 1,))
    nav[1].button(
        "Record another person" if item.kind == "people" else "Record again",
        disabled=done_key not in st.session_state,
        on_click=again,
    )
    if index == len(checklist.ITEMS) - 1:
        nav[2].button("Finish", type="primary", on_click=finish)
    else:
        nav[2].button("Next item", type="primary", on_click=move, args=(index + 1,))
    st.stop()

for item in checklist.ITEMS:
    item_widget(d, item)

st.header("Back to practice")
library = bank.load_library(settings)
question_ids = [q for q in debriefs.question_ids(db, d.id) if q in library.questions]


def practise(drill: bank.Drill, focus: str) -> None:
    ui.request_drill(
        drill, on_start=lambda conn, sid, debrief_id=d.id: debriefs.link_session(conn, debrief_id, sid, focus)
    )


if d.questions_asked:
    st.write(
        f"The {len(d.questions_asked)} question(s) they asked become questions in your own bank, "
        "with each interviewer's concerns as follow-up probes."
    )
    left, right = st.columns(2)
    if left.button("Add their questions to my questions"):
        try:
            result = debriefs.sync_questions(db, settings, d)
            st.success(f"{len(result.added)} added and {len(result.updated)} updated in {ui.plain(str(result.path))}.")
        except RehearseError as exc:
            ui.show_error(exc)
    if right.button("Practise the questions they asked", type="primary"):
        try:
            result = debriefs.sync_questions(db, settings, d)
            practise(
                checklist.practice_drill(
                    d,
                    result.question_ids,
                    title=f"Their questions: {d.title}",
                    description="The questions from your debrief, with their concerns as probes.",
                    key="asked",
                ),
                "The questions they asked",
            )
        except RehearseError as exc:
            ui.show_error(exc)
else:
    st.caption("Fill in 'Questions they asked' to practise them.")

focuses = [("Weak area", w) for w in d.weak_areas] + [("Takeaway", t) for t in d.takeaways]
if focuses:
    st.write("Drill a weak area or a takeaway now:")
for n, (kind, focus) in enumerate(focuses):
    if st.button(f"{kind}: {ui.plain(focus)}", key=f"focus-{d.id}-{n}"):
        try:
            practise(checklist.focus_drill(d, focus, library.questions, question_ids), focus)
        except RehearseError as exc:
            ui.show_error(exc)

rehearsals = debriefs.rehearsals(db, d.id)
linked = debriefs.linked_sessions(db, d.id)
if rehearsals or linked:
    st.header("Rehearsed against what happened")
for r in rehearsals:
    with st.container(border=True):
        st.markdown(f"**They asked{' (' + ui.plain(r.person) + ')' if r.person else ''}:** {ui.plain(r.recalled)}")
        if not r.answers:
            st.caption("Not rehearsed yet.")
            continue
        st.caption(f"You rehearsed it: {len(r.answers)} take(s). Your latest answer to each prompt:")
        for answer in r.latest_takes:
            st.markdown(f"*{ui.plain(answer.prompt)}*")
            ui.answer_card(settings, answer, key_prefix="debrief-")
for link in linked:
    s = link.session
    st.caption(
        f"{clock.label(s.started_at)} · drill '{ui.plain(s.drill_title)}' ({ui.plain(link.focus)}) · "
        f"{s.answer_count} answer(s) · {s.status}"
    )
if linked:
    st.page_link("pages/review.py", label="Review those sessions", icon=":material/play_circle:")

st.header("Follow-up letter")
letter_key = f"letter-{d.id}"


def save_letter(debrief_id: str) -> None:
    debriefs.set_letter(ui.database(settings), debrief_id, st.session_state.get(letter_key, ""))


def redraft(debrief_id: str) -> None:
    conn = ui.database(settings)
    text = letter.draft(debriefs.get_debrief(conn, debrief_id))
    debriefs.set_letter(conn, debrief_id, text)
    st.session_state[letter_key] = text


if not d.letter:
    st.caption("A draft to the people you met, by name, built from this debrief.")
    st.button("Draft the letter", type="primary", on_click=redraft, args=(d.id,))
    st.stop()
if letter_key not in st.session_state:
    st.session_state[letter_key] = d.letter
st.text_area("Letter", key=letter_key, height=360, on_change=save_letter, args=(d.id,))
st.button(
    "Draft again from the debrief",
    on_click=redraft,
    args=(d.id,),
    help="Replaces the letter above with a new draft from the debrief as it is now.",
)
text = st.session_state[letter_key]
for c in letter.check(text, d):
    (st.success if c.ok else st.warning)(f"{'✓' if c.ok else '✗'} {c.name}: {ui.plain(c.detail)}")
st.caption("Copy it with the button at the top right of the box below.")
st.code(text, language=None, wrap_lines=True)
stem = letter.file_stem(d)
left, right = st.columns(2)
left.download_button("Export as text", text, file_name=f"{stem}.txt", mime="text/plain")
right.download_button("Export as Markdown", letter.to_markdown(text), file_name=f"{stem}.md", mime="text/markdown")
