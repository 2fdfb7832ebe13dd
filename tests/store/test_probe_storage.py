"""An answer to a generated follow-up keeps what the probe picked up, in a real SQLite file, in
every export, and in the captions History, Review and Compare show; earlier takes feed memory."""

import csv
import io
import json

from rehearse.library.bank import Step
from rehearse.practice import compare, pipeline, probes
from rehearse.store import database, export
from rehearse.store import takes as stored_takes
from rehearse.store.migrations import migrations

MAIN = (
    "I took over the billing rewrite when it was late. We decided to cut scope, and errors fell by 40% "
    "within two months. Dana, our QA lead, ran the new checks."
)


def _answer(db, sid, step: Step, text: str) -> database.Answer:
    a = database.add_answer(
        db,
        answer_id=database.new_id(),
        session_id=sid,
        question_id=step.question_id,
        question_text=step.question_text,
        probe_index=step.probe_index,
        prompt=step.prompt,
        audio_path=None,
        duration=10.0,
        status="recorded",
        **pipeline.probe_fields(step),
    )
    return database.save_transcript(db, a.id, text=text, words=[], model="tiny.en", seconds=1.0, duration=10.0)


def _run(db):
    sid = database.create_session(db, "leadership-follow-ups", "Leadership", [])
    main = Step("lead-turnaround-project", 0, "Q?", "Tell me about a project.", 2)
    first = _answer(db, sid, main, MAIN)
    probe = probes.Probe(
        "vague_we", "You said 'We decided'. What did you do?", "We decided", 42.0, "picks up 'We decided'"
    )
    step = probes.listening_steps([probe], main, 1)[0]
    follow = _answer(db, sid, step, "I wrote the proposal myself and took it to the director.")
    return sid, first, follow


def test_generated_probe_is_stored_with_its_answer(db):
    assert "m_issue12_listening_probes" in [m.name for m in migrations._migrations]  # noqa: SLF001
    _, first, follow = _run(db)
    again = database.get_answer(db, follow.id)
    assert again.probe_index == 101 and again.is_generated_probe
    assert (again.probe_kind, again.probe_evidence, again.probe_start, again.probe_why) == (
        "vague_we",
        "We decided",
        42.0,
        "picks up 'We decided'",
    )
    assert again.prompt == "You said 'We decided'. What did you do?"
    plain = database.get_answer(db, first.id)
    assert (plain.probe_kind, plain.probe_evidence, plain.probe_start) == ("", "", None)
    assert probes.answer_caption(again) == "picks up 'We decided' at 0:42"
    assert probes.answer_caption(plain) == ""


def test_every_export_carries_the_probe(db):
    sid, _, follow = _run(db)
    md = export.to_markdown(db, sid)
    assert "Listening follow-up (vague we): You said 'We decided'. What did you do?" in md
    assert "*picks up 'We decided' at 0:42*" in md
    rows = list(csv.DictReader(io.StringIO(export.to_csv(db, sid))))
    row = next(r for r in rows if r["answer_id"] == follow.id)
    assert (row["probe_kind"], row["probe_evidence"], row["probe_start"]) == ("vague_we", "We decided", "42.0")
    data = json.loads(export.to_json(db, sid))
    record = next(a for a in data["sessions"][0]["answers"] if a["id"] == follow.id)
    assert record["probe_kind"] == "vague_we" and record["probe_start"] == 42.0 and record["probe_why"]


def test_earlier_takes_feed_story_memory_and_compare_shows_the_fact_diff(db):
    sid, first, _ = _run(db)
    main = Step("lead-turnaround-project", 0, "Q?", "Tell me about a project.", 2)
    second = _answer(
        db, sid, main, "I took over the billing rewrite when it was late. Errors fell by 25% and Ravi ran the checks."
    )
    earlier = stored_takes.earlier_answers(db, "lead-turnaround-project", before=second.id)
    assert [a.id for a in earlier] == [first.id]  # main answers only, not the follow-up
    takes = probes.takes_from_answers(earlier)
    found = probes.propose(second.transcript, (), None, None, earlier=takes)
    memory = [p for p in found if p.kind == "memory"]
    assert any("40%" in p.text and "25%" in p.text for p in memory)
    assert any("Dana" in p.text for p in memory)
    lines = compare.fact_diff(first, second)
    assert "names: Dana dropped, Ravi new" in lines
    assert any(line.startswith("numbers: by 40% → by 25%") for line in lines)
