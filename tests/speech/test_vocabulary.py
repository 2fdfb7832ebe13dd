"""The user's own words: gathered from debriefs and own questions, edited in settings.toml, and
given to the decoder, so that the real model spells a name it garbles without them."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
import soundfile as sf

from rehearse.debrief.checklist import Person
from rehearse.library import bank, own_questions
from rehearse.settings import load_settings, read_settings_file, write_settings_file
from rehearse.speech import transcribe, vocabulary
from rehearse.speech.final import final_pass
from rehearse.store import debriefs


def test_names_in_a_typed_question():
    text = "Tell me about your time at Northwind Traders. What did Dana think? I moved us to iOS and PostgreSQL."
    assert vocabulary.names_in_text(text) == ["Northwind Traders", "Dana", "iOS", "PostgreSQL"]
    assert vocabulary.names_in_text("Walk me through a project. How did it go?") == []


def test_gathered_from_debriefs_and_own_questions_and_the_users_list_first(settings, db):
    d = debriefs.create_debrief(db)
    debriefs.save_debrief(db, replace(d, company="Northwind", people=(Person("Priya Raman", "CTO"), Person("Dana"))))
    question = own_questions.build_question(
        "my-shopify",
        "Why do you want to work at Shopify with Marisol?",
        "motivation",
        (),
        (60, 120),
        ("What would you change first?", "How would Marisol know it worked?"),
        "test",
    )
    settings.user_questions_dir.mkdir(parents=True)
    own_questions.write_bank(settings.user_questions_dir / "mine.toml", "Mine", [question])
    assert vocabulary.gathered(db, settings) == ("Northwind", "Priya Raman", "Dana", "Shopify", "Marisol")
    mine = replace(settings, vocabulary=("Okonkwo", "dana"))
    # The user's own spelling wins over a gathered one, and each name is given once.
    assert vocabulary.vocabulary(db, mine) == ("Okonkwo", "dana", "Northwind", "Priya Raman", "Shopify", "Marisol")
    assert isinstance(question, bank.Question)


def test_vocabulary_is_kept_in_the_settings_file_as_spelled(tmp_path):
    path = tmp_path / "settings.toml"
    write_settings_file(path, {"vocabulary": ["Northwind", " Priya  Raman ", "northwind", "iOS"]})
    assert read_settings_file(path)["vocabulary"] == ("Northwind", "Priya Raman", "iOS")
    env = load_settings({"REHEARSE_HOME": str(tmp_path), "REHEARSE_VOCABULARY": "Shopify, Dana"})
    assert env.vocabulary == ("Shopify", "Dana")


def test_decode_options_carry_the_names_as_hotwords_or_prompt():
    options = vocabulary.decode_options(["Northwind", "Priya"])
    assert options.hotwords == "Northwind, Priya"
    assert options.initial_prompt == transcribe.DISFLUENT_PROMPT  # the filler prompt is kept
    prompt = vocabulary.decode_options(["Northwind"], how="prompt")
    assert prompt.initial_prompt == "Northwind. " + transcribe.DISFLUENT_PROMPT and prompt.hotwords is None
    assert vocabulary.decode_options([]) == transcribe.DecodeOptions()
    many = [f"Name{i}" for i in range(100)]
    assert len(vocabulary.decoder_text(many).split(", ")) == vocabulary.MAX_WORDS


@pytest.mark.slow
def test_the_vocabulary_reaches_the_decoder_and_fixes_a_name(model, speech):
    """tiny.en writes "At North when I led..." for Northwind; told the name, it spells it."""
    data, _ = sf.read(
        io.BytesIO(speech("At Northwind I led the move from our own servers to Shopify.")), dtype="float32"
    )
    without = final_pass(model, data)
    with_names = final_pass(model, data, ["Northwind", "Shopify"])
    assert "Northwind" not in without.text, without.text
    assert "Northwind" in with_names.text, with_names.text
    assert "servers" in with_names.text and "Shopify" in with_names.text
