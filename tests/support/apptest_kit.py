"""Helpers shared by the AppTest page tests."""

from paths import ROOT
from streamlit.testing.v1 import AppTest

APP = str(ROOT / "streamlit_app.py")


def button(at: AppTest, label: str):
    """The button labelled `label`, or a failure that lists the buttons there are."""
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}; buttons: {[b.label for b in at.button]}"
    return matches[0]


def start_drill(at: AppTest, drill: str) -> None:
    """Run the app, choose `drill` and press Start drill, as a person does on the drill page."""
    at.run()
    at.selectbox(key="drill_choice").set_value(drill)
    at.run()
    button(at, "Start drill").click()
    at.run()
    assert not at.exception, at.exception
