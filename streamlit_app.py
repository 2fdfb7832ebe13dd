"""Routing only: every page lives in pages/."""

import streamlit as st

st.set_page_config(page_title="Rehearse", page_icon="🎙️", layout="centered")

navigation = st.navigation([
    st.Page("pages/drill.py", title="Drill", icon="🎙️", default=True),
    st.Page("pages/review.py", title="Review", icon="📼"),
    st.Page("pages/settings.py", title="Settings", icon="⚙️"),
])
navigation.run()
