"""Routing only: every page lives in pages/."""

import streamlit as st

st.set_page_config(page_title="Rehearse", page_icon=":material/mic:", layout="centered")

# Material icons ship with Streamlit itself: they show without an emoji font and need no network.
navigation = st.navigation({
    "Practise": [
        st.Page("pages/drill.py", title="Drill", icon=":material/mic:", default=True),
        st.Page("pages/queue.py", title="Practice queue", icon=":material/event_repeat:"),
        st.Page("pages/my_questions.py", title="My questions", icon=":material/edit_note:"),
    ],
    "Look back": [
        st.Page("pages/review.py", title="Review", icon=":material/history:"),
        st.Page("pages/history.py", title="History", icon=":material/search:"),
        st.Page("pages/compare.py", title="Compare takes", icon=":material/compare_arrows:"),
        st.Page("pages/progress.py", title="Progress", icon=":material/trending_up:"),
    ],
    "Real interviews": [
        st.Page("pages/debrief.py", title="Debrief", icon=":material/fact_check:"),
    ],
    "Your data": [
        st.Page("pages/data.py", title="Export and delete", icon=":material/save:"),
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
    ],
})
navigation.run()
