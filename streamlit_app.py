"""Routing only: every page lives in pages/."""

from pathlib import Path

import streamlit as st

import rehearse.web
from rehearse.web import serve

# The tab icon is a file served by this app: a :material/...: favicon is fetched from
# fonts.gstatic.com, and an emoji one needs an emoji font, which many machines lack.
st.set_page_config(
    page_title="Rehearse", page_icon=str(Path(rehearse.web.__file__).parent / "icon.png"), layout="centered"
)

# A real server (a browser's headers) without the guard in front is a bare `streamlit run`: it would
# answer any Host and anyone on the machine, so it shows nothing (AppTest has no headers).
if st.context.headers and not serve.active():
    st.error(
        "Rehearse was started without its guard, so it would be open to other web sites and other "
        "accounts on this machine. Stop it and start it with `make run` "
        "(or `python -m rehearse.web.serve run streamlit_app.py`)."
    )
    st.stop()

# Page icons are Streamlit's Material Symbols, drawn with the font bundled in Streamlit's own static
# files (no network; tests/browser catches any request that leaves the machine), so they show
# where no emoji font is installed.
navigation = st.navigation(
    {
        "Practise": [
            st.Page("pages/drill.py", title="Drill", icon=":material/mic:", default=True),
            st.Page("pages/queue.py", title="Practice queue", icon=":material/event_repeat:"),
            st.Page("pages/my_questions.py", title="My questions", icon=":material/edit_note:"),
        ],
        "Look back": [
            st.Page("pages/review.py", title="Review", icon=":material/play_circle:"),
            st.Page("pages/history.py", title="History", icon=":material/search:"),
            st.Page("pages/compare.py", title="Compare takes", icon=":material/compare_arrows:"),
            st.Page("pages/progress.py", title="Progress", icon=":material/trending_up:"),
        ],
        "Real interviews": [
            st.Page("pages/debrief.py", title="Debrief", icon=":material/rate_review:"),
        ],
        "Your data": [
            st.Page("pages/data.py", title="Export and delete", icon=":material/download:"),
            st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
        ],
    }
)
navigation.run()
