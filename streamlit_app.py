"""Routing only: every page lives in pages/."""

import streamlit as st

st.set_page_config(page_title="Rehearse", page_icon="🎙️", layout="centered")

navigation = st.navigation([
    st.Page("pages/drill.py", title="Drill", icon="🎙️", default=True),
    st.Page("pages/review.py", title="Review", icon="📼"),
    st.Page("pages/history.py", title="History", icon="🔎"),
    st.Page("pages/compare.py", title="Compare takes", icon="🔁"),
    st.Page("pages/progress.py", title="Progress", icon="📈"),
    st.Page("pages/queue.py", title="Practice queue", icon="🗓️"),
    st.Page("pages/data.py", title="Export and delete", icon="💾"),
])
navigation.run()
