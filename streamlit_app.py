"""Routing only: every page lives in pages/."""

import streamlit as st

st.set_page_config(page_title="Rehearse", page_icon="🎙️", layout="centered")

navigation = st.navigation([
    st.Page("pages/drill.py", title="Drill", icon="🎙️", default=True),
    st.Page("pages/review.py", title="Review", icon="📼"),
    st.Page("pages/debrief.py", title="Debrief", icon="📝"),
    st.Page("pages/my_questions.py", title="My questions", icon="✍️"),
])
navigation.run()
