"""Data page: export a session or everything, back up and restore, delete sessions and old audio."""

import logging
from functools import partial

import streamlit as st

from rehearse import clock
from rehearse.errors import RehearseError
from rehearse.store import database, deletion, export
from rehearse.web import ui

log = logging.getLogger(__name__)
FORMAT_LABELS = {"markdown": "Markdown report", "csv": "CSV (one row per answer)", "json": "JSON (everything)"}

settings = ui.settings()
st.title("Export and delete")

db = ui.page_database(settings)

flash = st.session_state.pop("data_flash", None)
if flash:
    st.success(flash)
sessions = {s.id: s for s in database.list_sessions(db)}


def session_label(sid: str) -> str:
    if not sid:
        return f"Everything ({len(sessions)} sessions)"
    s = sessions[sid]
    return f"{clock.label(s.started_at)} · {s.drill_title} · {s.answer_count} answer(s)"


def make_export(fmt: str, session_id: str | None) -> str:
    # Runs on Streamlit's download thread when clicked: it opens its own connection.
    return export.export_text(database.open_database(settings), fmt, session_id)


def make_backup() -> bytes:
    data, info = export.backup_to_bytes(database.open_database(settings), settings)
    log.info("backup downloaded: %s", info)
    return data


st.subheader("Export")
if not sessions:
    st.info("Nothing to export yet.")
else:
    scope = st.selectbox("What", ["", *sessions], format_func=session_label, key="data_scope")
    fmt = st.radio("Format", list(export.FORMATS), format_func=FORMAT_LABELS.get, horizontal=True, key="data_format")
    session = sessions.get(scope)
    st.download_button(
        f"Download {FORMAT_LABELS[fmt].split(' (')[0]}",
        data=partial(make_export, fmt, scope or None),
        file_name=export.file_name(fmt, session),
        mime=export.FORMATS[fmt][1],
        on_click="ignore",
        key="data_download",
    )

st.subheader("Backup")
st.caption(
    "One zip with the database and every recording, restorable into an empty data folder "
    "(here, or with `rehearse restore`). Your data folder is " + f"`{settings.home}`."
)
# Debriefs, own questions or settings count as data too: restore is offered only into an empty folder.
if sessions or export.folder_contents(settings):
    st.download_button(
        "Download a backup",
        data=make_backup,
        file_name=export.file_name("backup"),
        mime="application/zip",
        on_click="ignore",
        key="data_backup",
    )
else:
    st.caption("This data folder is empty, so you can restore a backup into it.")
    upload = st.file_uploader("Restore a backup", type=["zip"], key="data_restore")
    if upload is not None and st.button("Restore this backup", type="primary", key="data_restore_go"):
        try:
            info = export.restore_backup(upload, settings)
        except RehearseError as exc:
            ui.show_error(exc)
        else:
            st.session_state.data_flash = (
                f"Restored {info.counts['sessions']} session(s), {info.counts['answers']} "
                f"answer(s) and {info.files} file(s)."
            )
            st.rerun()

st.subheader("Delete")
if sessions:
    with st.container(border=True):
        st.markdown("**A session**, with every take, recording, rating and note in it")
        doomed = st.selectbox("Session to delete", list(sessions), format_func=session_label, key="data_delete_session")
        if ui.confirmed(
            "data_confirm_session",
            "Delete this session",
            f"Delete “{session_label(doomed)}” for good? This cannot be undone.",
            "Yes, delete the session",
            token=doomed,
        ):
            try:
                done = deletion.delete_session(db, settings, doomed)
            except RehearseError as exc:
                ui.show_error(exc)
            else:
                st.session_state.data_flash = (
                    f"Deleted the session: {done.answers} answer(s), {done.files} "
                    f"recording(s), {deletion.size_label(done.bytes)}."
                )
                st.rerun()

with st.container(border=True):
    st.markdown("**Old recordings**: delete the audio, keep the transcripts, ratings and notes")
    days = st.number_input("Older than (days)", min_value=0, value=90, step=1, key="data_prune_days")
    include = st.checkbox(
        "Also delete recordings that have no transcript (failed or never transcribed)", key="data_prune_untranscribed"
    )
    plan = deletion.prune_plan(db, settings, int(days), include)
    if not plan.answers:
        st.caption(f"No recordings made before {plan.cutoff}.")
    else:
        st.caption(
            f"{len(plan.answers)} recording(s) made before {plan.cutoff}, {deletion.size_label(plan.bytes)}"
            + (f"; {plan.without_transcript} of them have no transcript" if plan.without_transcript else "")
            + "."
        )
        if ui.confirmed(
            "data_confirm_prune",
            f"Delete {len(plan.answers)} recording(s)",
            f"Delete {len(plan.answers)} recording(s) for good? Transcripts, ratings and notes stay.",
            "Yes, delete the recordings",
            token=f"{plan.cutoff}-{include}",
        ):
            try:
                done = deletion.prune_audio(db, settings, plan)
            except RehearseError as exc:
                ui.show_error(exc)
            else:
                st.session_state.data_flash = (
                    f"Deleted {done.files} recording(s), {deletion.size_label(done.bytes)}; their transcripts are kept."
                )
                st.rerun()
