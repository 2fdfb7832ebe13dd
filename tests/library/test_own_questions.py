"""The user's own question bank: written as TOML in the data folder, validated like shipped banks, used by drills."""

import tomllib
from pathlib import Path

import pytest

from rehearse.errors import BankError
from rehearse.library import bank, own_questions

ROOT = Path(__file__).resolve().parents[2]


def shipped_snapshot() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (ROOT / "questions").glob("*.toml")}


def test_add_edit_delete_round_trip(settings):
    before = shipped_snapshot()
    library = bank.load_library(settings)
    q = own_questions.add_question(
        settings,
        library,
        text='Why did you leave "Acme"?\nBe honest.',
        category="motivation",
        tags=["exit", " "],
        target=(45, 90.5),
        probes=["What would your manager say?", "", "Would you go back?"],
    )
    path = settings.user_questions_dir / own_questions.DEFAULT_FILE
    assert q.id == "my-why-did-you-leave-acme-be" and q.source == str(path)
    assert q.text == 'Why did you leave "Acme"?\nBe honest.' and q.tags == ("exit",)
    assert q.probes == ("What would your manager say?", "Would you go back?") and q.target_seconds == (45, 90.5)
    assert tomllib.loads(path.read_text())["title"] == "My questions"

    library = bank.load_library(settings)
    assert library.problems == () and library.questions[q.id] == q
    assert own_questions.is_own(settings, q) and not own_questions.is_own(
        settings, library.questions["lead-cross-org-change"]
    )
    # A shipped drill that selects by category picks the user's question up like a shipped one.
    drill = bank.Drill("mot", "M", "D", count=50, order="fixed", probes_per_question=2, categories=("motivation",))
    assert q.id in [x.id for x in bank.select_questions(drill, library.questions)]

    second = own_questions.add_question(
        settings,
        library,
        text="Why did you leave Acme?",
        category="motivation",
        tags=[],
        target=(60, 120),
        probes=["a?", "b?"],
    )
    assert second.id == "my-why-did-you-leave-acme"
    library = bank.load_library(settings)
    third = own_questions.add_question(
        settings,
        library,
        text="Why did you leave Acme?",
        category="values",
        tags=[],
        target=(60, 120),
        probes=["a?", "b?"],
    )
    assert third.id == "my-why-did-you-leave-acme-2"

    library = bank.load_library(settings)
    edited = own_questions.update_question(
        settings,
        library,
        q.id,
        text="Why did you leave?",
        category="values",
        tags=["exit"],
        target=(30, 60),
        probes=["One?", "Two?", "Three?"],
    )
    assert (edited.id, edited.category, edited.probes) == (q.id, "values", ("One?", "Two?", "Three?"))
    assert [x.id for x in own_questions.load_own(settings).questions] == [q.id, second.id, third.id]

    library = bank.load_library(settings)
    for qid in (q.id, second.id, third.id):
        own_questions.delete_question(settings, library, qid)
        library = bank.load_library(settings)
        assert qid not in library.questions
    assert not path.exists()  # an empty bank would not load, so the file goes
    assert shipped_snapshot() == before  # the shipped questions/ were never written


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"text": "  "}, "Question: write the question"),
        ({"probes": ["Only one?"]}, "at least two"),
        ({"category": "fun"}, "Category: choose one of behavioral"),
        (
            {"target": (90, 60)},
            "“and at most \\(seconds\\)” \\(60\\) must be more than “Aim for at least \\(seconds\\)” \\(90\\)",
        ),
    ],
)
def test_bad_question_is_refused_and_nothing_written(settings, fields, message):
    library = bank.load_library(settings)
    good = {"text": "A question?", "category": "behavioral", "tags": [], "target": (60, 120), "probes": ["a?", "b?"]}
    with pytest.raises(BankError, match=message):
        own_questions.add_question(settings, library, **{**good, **fields})
    assert not (settings.user_questions_dir / own_questions.DEFAULT_FILE).exists()


def test_shipped_questions_cannot_be_changed(settings):
    library = bank.load_library(settings)
    with pytest.raises(BankError, match="'lead-cross-org-change' is a shipped question"):
        own_questions.delete_question(settings, library, "lead-cross-org-change")
    with pytest.raises(BankError, match="No question with id 'nope'"):
        own_questions.update_question(
            settings, library, "nope", text="x", category="values", tags=[], target=(1, 2), probes=["a", "b"]
        )


def test_broken_own_file_is_reported_and_left_alone(settings):
    settings.user_questions_dir.mkdir(parents=True)
    broken = settings.user_questions_dir / "notes.toml"
    broken.write_text("not [ toml")
    own = own_questions.load_own(settings)
    assert own.questions == () and "notes.toml" in own.problems[0]
    own_questions.add_question(
        settings,
        bank.load_library(settings),
        text="Q?",
        category="values",
        tags=[],
        target=(60, 120),
        probes=["a?", "b?"],
    )
    assert broken.read_text() == "not [ toml"


def test_toml_writer_escapes_everything_the_loader_reads_back(tmp_path):
    q = bank.Question(
        "x-1",
        'Quote " back\\slash \t tab \u00e9 \x7f end',
        "values",
        ('t"ag',),
        (1.5, 2.0),
        ("p1 \\n literal", "p2\nline"),
    )
    [back] = own_questions.write_bank(tmp_path / "b.toml", 'Title "q"', [q])
    assert back.text == q.text.strip() and back.tags == q.tags and back.probes == q.probes
    assert back.target_seconds == (1.5, 2.0)


@pytest.mark.slow
def test_own_questions_page_adds_edits_deletes_and_drills(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from rehearse.settings import load_settings
    from rehearse.store import database
    from rehearse.web import ui

    home = tmp_path / "home"
    monkeypatch.setenv("REHEARSE_HOME", str(home))
    ui.settings.clear()
    settings = load_settings({"REHEARSE_HOME": str(home)})
    app = str(ROOT / "streamlit_app.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.switch_page("pages/my_questions.py")
    at.run()
    assert not at.exception, at.exception
    assert "no questions of your own" in at.info[0].value

    at.text_area(key="new-text").input("Tell me about the hardest feedback you ever gave.")
    at.selectbox(key="new-category").set_value("behavioral")
    at.text_input(key="new-tags").input("feedback, leadership")
    at.text_area(key="new-probes").input("Only one probe?")
    at.button[0].click()  # the form's submit button
    at.run()
    assert "at least two" in at.error[0].value  # refused, with the reason
    assert not settings.user_questions_dir.exists() or not list(settings.user_questions_dir.glob("*.toml"))
    # Nothing typed is lost on a refusal.
    assert at.text_area(key="new-text").value == "Tell me about the hardest feedback you ever gave."
    assert at.text_input(key="new-tags").value == "feedback, leadership"

    at.text_area(key="new-probes").input("How did they take it?\nWhat would you say differently?")
    [b for b in at.button if b.label == "Add question"][0].click()
    at.run()
    assert not at.exception, at.exception
    qid = "my-tell-me-about-the-hardest-feedback"
    assert at.success[0].value.startswith("Added “Tell me about the hardest feedback you ever gave\\.”")
    assert qid not in at.success[0].value  # the id is for files, not for people
    assert at.text_area(key="new-text").value == ""  # the form is ready for the next one
    library = bank.load_library(settings)
    q = library.questions[qid]
    assert q.tags == ("feedback", "leadership") and q.probes == (
        "How did they take it?",
        "What would you say differently?",
    )

    # The shipped leadership drill (tag "leadership") now draws on it like on any shipped question.
    drill = library.drills["leadership-follow-ups"]
    assert qid in [x.id for x in bank.select_questions(drill, library.questions)]

    # Edit: change the text and add a probe line; delete a probe by removing its line.
    at.text_area(key=f"edit-{qid}-probes").input("How did they take it?\nWhat happened a month later?")
    [b for b in at.button if b.label == "Save changes"][0].click()
    at.run()
    assert not at.exception, at.exception
    assert bank.load_library(settings).questions[qid].probes == (
        "How did they take it?",
        "What happened a month later?",
    )

    # Practise them: the drill page opens on the user's own question.
    [b for b in at.button if b.label == "Practise my questions"][0].click()
    at.run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == ui.plain(q.text)
    assert at.session_state["run"].drill.title == "My questions"
    assert database.list_sessions(database.open_database(settings)) == []  # stored with the first answer

    at.switch_page("pages/my_questions.py")
    at.run()
    [b for b in at.button if b.label == "Delete this question"][0].click()
    at.run()
    # It asks first, like the other deletes; nothing is gone yet.
    assert qid in bank.load_library(settings).questions
    assert "Delete this question and its follow-ups" in at.warning[0].value
    [b for b in at.button if b.label == "Cancel"][0].click()
    at.run()
    assert qid in bank.load_library(settings).questions
    [b for b in at.button if b.label == "Delete this question"][0].click()
    at.run()
    [b for b in at.button if b.label == "Yes, delete the question"][0].click()
    at.run()
    assert not at.exception, at.exception
    assert qid not in bank.load_library(settings).questions
    assert "no questions of your own" in at.info[0].value
    ui.settings.clear()


def test_every_problem_at_once_in_the_page_words_without_a_path(settings):
    library = bank.load_library(settings)
    with pytest.raises(BankError) as caught:
        own_questions.add_question(
            settings, library, text=" ", category="behavioral", tags=[], target=(90, 60), probes=["One?"]
        )
    message = str(caught.value)
    lines = [line for line in message.splitlines() if line.startswith("- ")]
    assert len(lines) == 3, message
    assert lines[0].startswith("- Question:") and "at most (seconds)" in lines[1]
    assert lines[2].startswith("- Follow-up probes, one per line (at least two): write at least two")
    assert str(settings.home) not in message and ".toml" not in message


def test_an_own_question_id_comes_from_its_words_not_its_html(settings):
    assert own_questions.slug("<b>Tell</b> me about <i>a time</i> &amp; a place") == "tell-me-about-a-time-a"
    q = own_questions.add_question(
        settings,
        bank.load_library(settings),
        text="<script>alert(1)</script> Why <em>this</em> role?",
        category="intro",
        tags=[],
        target=(30, 90),
        probes=["Why now?", "Why us?"],
    )
    assert q.id == "my-alert-1-why-this-role"
