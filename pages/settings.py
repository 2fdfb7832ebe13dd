"""Settings page: the speech model, live transcription, the user's own words for the decoder, and the
word lists and thresholds the feedback uses, saved in the data folder."""

import streamlit as st

from rehearse import settings as config
from rehearse.errors import RehearseError
from rehearse.speech import vocabulary
from rehearse.speech.transcribe import model_options
from rehearse.web import ui

st.title("Settings")
home = config.home_dir()
path = home / "settings.toml"
try:
    saved = config.saved_values(home)
except RehearseError as exc:
    ui.show_error(exc)
    if not st.button("Set the broken file aside and start from the defaults", key="set_aside"):
        st.stop()
    aside = config.set_aside(path)
    ui.settings.clear()
    st.success(f"The broken file is kept as {aside.name}; these are the defaults.")
    saved = config.saved_values(home)

st.write(
    "How your answers are transcribed, what the feedback after each answer counts, and how it "
    f"judges pace and pauses. Saved in {ui.plain(str(path))}."
)
for key, variable in config.env_overrides().items():
    st.warning(f"{variable} is set in the environment, so it wins over “{config.LABELS.get(key, key)}” saved here.")

# A new form generation after "Restore defaults", so the widgets show the restored values.
generation = st.session_state.setdefault("settings_generation", 0)
models, current_model = model_options(saved["final_model"])
try:
    gathered = vocabulary.gathered(ui.database(config.Settings(home=home)), config.Settings(home=home))
except RehearseError:
    gathered = ()  # a broken database is reported on the pages that use it; the settings still save
with st.form(f"settings-{generation}"):
    st.subheader("Transcription")
    label = config.LABELS
    model_name = st.selectbox(
        label["final_model"],
        [name for name, _ in models],
        format_func=dict(models).get,
        index=current_model,
        help="Whisper base makes about a fifth fewer word errors than tiny.en but takes about twice as long "
        "after you stop; choose tiny.en on a slow machine. The words you see while speaking always come from tiny.en.",
    )
    live = st.toggle(
        label["live_capture"],
        value=saved["live_capture"],
        help="Streams the microphone to this app (on this machine only) and transcribes as you speak, "
        "so the transcript is ready when you stop. Off: the browser's simple recorder, "
        "transcribed after you stop.",
    )
    st.subheader("Words")
    st.caption("One word or phrase per line. Matching ignores case, and “I'm” also matches “I am”.")
    fillers = st.text_area(label["fillers"], "\n".join(saved["fillers"]), height=150)
    ambiguous = st.text_area(
        label["ambiguous_fillers"] + " (counted apart, only where they act as fillers, like “it was, like, fine”)",
        "\n".join(saved["ambiguous_fillers"]),
        height=80,
    )
    hedges = st.text_area(label["hedges"], "\n".join(saved["hedges"]), height=150)
    stock = st.text_area(label["stock_phrases"], "\n".join(saved["stock_phrases"]), height=150)
    st.subheader("Your own words")
    st.caption(
        "Names of people, companies, products and places you say, spelled the way you write them: "
        "the transcript spells them the same way. One per line."
    )
    own_words = st.text_area(label["vocabulary"], "\n".join(saved["vocabulary"]), height=100)
    if gathered:
        st.caption("Also used, from your debriefs and own questions: " + ui.plain(", ".join(gathered)))
    st.subheader("Thresholds")
    columns = st.columns(3)
    wpm_low = columns[0].number_input(label["wpm_low"], 40.0, 400.0, float(saved["wpm_low"]), step=5.0)
    wpm_high = columns[1].number_input(label["wpm_high"], 40.0, 400.0, float(saved["wpm_high"]), step=5.0)
    long_pause = columns[2].number_input(
        label["long_pause_seconds"], 0.5, 30.0, float(saved["long_pause_seconds"]), step=0.5
    )
    submitted = st.form_submit_button("Save", type="primary")

if submitted:
    values = {
        "fillers": config.phrases_from_text(fillers),
        "ambiguous_fillers": config.phrases_from_text(ambiguous),
        "hedges": config.phrases_from_text(hedges),
        "stock_phrases": config.phrases_from_text(stock),
        "wpm_low": wpm_low,
        "wpm_high": wpm_high,
        "long_pause_seconds": long_pause,
        "model": saved["model"],
        "final_model": model_name,
        "vocabulary": config.phrases_from_text(own_words),
        "live_capture": live,
    }
    problems = config.form_problems(values)
    if problems:
        st.error("Nothing was saved. Please fix:\n" + "\n".join(f"- {ui.plain(p)}" for p in problems))
    else:
        try:
            config.write_settings_file(path, values)
        except RehearseError as exc:
            ui.show_error(exc)
        else:
            ui.settings.clear()
            st.success(
                "Saved. Answers you record from now on are measured with these settings; "
                "answers already recorded keep the feedback they were given."
            )

if st.button("Restore defaults", key="restore_defaults"):
    try:
        config.write_settings_file(path, config.default_values())
    except RehearseError as exc:
        ui.show_error(exc)
    else:
        ui.settings.clear()
        st.session_state.settings_generation = generation + 1
        st.rerun()
