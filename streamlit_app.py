"""Routing only: every page lives in pages/."""

import streamlit as st

from rehearse.web import serve

st.set_page_config(page_title="Rehearse", page_icon="🎙️", layout="centered")

# A real server (a browser's headers) without the guard in front is a bare `streamlit run`: it would
# answer any Host and anyone on the machine, so it shows nothing (AppTest has no headers).
if st.context.headers and not serve.active():
    st.error(
        "Rehearse was started without its guard, so it would be open to other web sites and other "
        "accounts on this machine. Stop it and start it with `make run` "
        "(or `python -m rehearse.web.serve run streamlit_app.py`)."
    )
    st.stop()

# Emoji, not Streamlit's :material/...: icons, which the browser fetches from fonts.gstatic.com
# (tests/browser catches any request that leaves the machine).
navigation = st.navigation(
    {
        "Practise": [
            st.Page("pages/drill.py", title="Drill", icon="🎙️", default=True),
            st.Page("pages/queue.py", title="Practice queue", icon="🗓️"),
            st.Page("pages/my_questions.py", title="My questions", icon="✍️"),
        ],
        "Look back": [
            st.Page("pages/review.py", title="Review", icon="📼"),
            st.Page("pages/history.py", title="History", icon="🔎"),
            st.Page("pages/compare.py", title="Compare takes", icon="🔁"),
            st.Page("pages/progress.py", title="Progress", icon="📈"),
        ],
        "Real interviews": [
            st.Page("pages/debrief.py", title="Debrief", icon="📝"),
        ],
        "Your data": [
            st.Page("pages/data.py", title="Export and delete", icon="💾"),
            st.Page("pages/settings.py", title="Settings", icon="⚙️"),
        ],
    }
)
navigation.run()
