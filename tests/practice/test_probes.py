"""Listening follow-ups on typed answers: each kind on real sentences, ranking, quotes that are
grounded and never repeated, unsure words never quoted, story memory across takes, drill steps."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from rehearse.library import bank
from rehearse.library.bank import Step
from rehearse.practice import probes
from rehearse.settings import Settings

SETTINGS = Settings(home=Path("/nonexistent-rehearse-home"))
LIBRARY = bank.load_library(SETTINGS)


def q(qid: str) -> bank.Question:
    return LIBRARY.questions[qid]


def propose(text: str, qid: str, **kw) -> list[probes.Probe]:
    return probes.propose(text, (), q(qid), SETTINGS, **kw)


# One real sentence per kind (written for these tests), the question it answers, and the
# evidence the probe must quote ("" for a structural gap).
KIND_CASES = [
    (
        "person",
        "lead-conflict-between-peers",
        "When the two leads stopped talking, I went to Priya first and asked her what the real problem was. "
        "She said the rota had been unfair for months, so I changed how we assigned weekend cover and it calmed down.",
        "Priya",
    ),
    (
        "role",
        "lead-influence-without-authority",
        "The plan needed sign-off and the finance director refused to fund it. I rebuilt the business case "
        "around the savings she cared about, and in the end she approved a smaller pilot.",
        "the finance director",
    ),
    (
        "vague_we",
        "lead-turnaround-project",
        "The project was three months late when it came to me. We aligned the teams on one plan and the "
        "whole thing got back on track by the summer, and everyone was relieved.",
        "We aligned the teams on one plan",
    ),
    (
        "number",
        "comp-process-improvement",
        "Our invoices were going out with errors. I changed the template and added one check before sending, "
        "and after that conversion went up 12% against the previous quarter.",
        "12%",
    ),
    (
        "duration",
        "comp-learning-fast",
        "I had never used the billing system, so I read every ticket from the last year and shadowed the "
        "support team. I was answering escalations on my own within two weeks, which surprised my manager.",
        "within two weeks",
    ),
    (
        "hedge",
        "comp-delivered-results",
        "The goal was to double sign-ups. I ran the referral campaign myself and rewrote the landing page. "
        "I think it worked, but the launch got mixed up with a price change that month.",
        "I think it worked",
    ),
    (
        "stock_phrase",
        "intro-tell-me-about-yourself",
        "I'm a product designer with six years at agencies and two in-house. I'm a team player and I love "
        "working with engineers early, before anything is locked in.",
        "I'm a team player",
    ),
    (
        "blame",
        "failure-missed-launch",
        "We missed the release by three weeks. Honestly the vendor let us down, their API kept breaking, "
        "and there was nothing I could do about it.",
        "the vendor let us down",
    ),
    (
        "no_ownership",
        "failure-missed-launch",
        "The launch slipped by a month because the requirements kept changing and the design team was late "
        "with the final screens. Once they delivered, the release went out and customers liked it.",
        "",
    ),
    (
        "no_result",
        "lead-influence-without-authority",
        "Our head of sales wanted to keep the old discount rules. I pulled the numbers on which deals lost "
        "money and walked him through them one afternoon. He listened, and then the quarter got busy and I "
        "moved onto another project.",
        "",
    ),
    (
        "no_reflection",
        "lead-unpopular-decision",
        "I moved the team from two releases a month to one, because every release was breaking something. "
        "People hated losing the pace. I explained the incident numbers in our retro, we kept to it, and "
        "incidents fell by half over the next quarter.",
        "",
    ),
    (
        "off_question",
        "self-energy-drains",
        "What I really love is a hard customer problem. Give me a messy escalation and a whiteboard and I'm "
        "happy all day, and that's honestly where I do my best work, solving it with the customer in the room.",
        "",
    ),
    ("too_short", "values-helping-others", "I once helped a colleague with a report.", ""),
]


@pytest.mark.parametrize("kind, qid, text, evidence", KIND_CASES, ids=[c[0] for c in KIND_CASES])
def test_each_kind_on_a_real_sentence(kind, qid, text, evidence):
    found = propose(text, qid)
    mine = [p for p in found if p.kind == kind]
    assert mine, f"no {kind} probe in {[(p.kind, p.evidence) for p in found]}"
    probe = mine[0]
    if evidence:
        assert evidence.lower() in probe.evidence.lower() or probe.evidence.lower() in evidence.lower()
        assert probe.evidence in text  # quoted exactly as said
        # The spoken text carries the quoted words (turned to "you" where the speaker said "my").
        assert probes.spoken(probes.second_person(probe.evidence)).lower() in probe.text.lower() or (
            probes.spoken(probe.evidence).lower() in probe.text.lower()
        )
    else:
        assert probe.evidence == ""
    assert probe.start is None  # typed: no timings
    assert probe.text.endswith(("?", ".")) and probe.why
    assert probe.kind in probes.KINDS


def test_off_question_repeats_the_question_and_comes_first():
    found = propose(KIND_CASES[11][2], "self-energy-drains")
    assert found[0].kind == "off_question"
    assert q("self-energy-drains").text in found[0].text


def test_specific_evidence_outranks_structural_gaps():
    text = (
        "I took over the onboarding project when it was late. I asked Marta, our lead designer, to cut the "
        "flow to three screens, and sign-ups went up 18% in the first month."
    )
    kinds = [p.kind for p in propose(text, "lead-turnaround-project")]
    assert kinds.index("person") < kinds.index("no_reflection")
    assert kinds.index("number") < kinds.index("no_reflection")


def test_failure_questions_ask_about_blame_and_ownership_first():
    text = (
        "We launched the app six weeks late. Honestly that one was not on me: the vendor let us down and "
        "Karim, their account manager, kept promising dates he could not hit. We shipped in the end and it was fine."
    )
    found = propose(text, "failure-missed-launch")
    assert [p.kind for p in found[:2]] == ["blame", "no_ownership"]
    assert "not on me" in found[0].evidence
    # The same words on a question that is no failure story: nobody asks whose fault it was.
    assert "no_ownership" not in [p.kind for p in propose(text, "lead-turnaround-project")]


def test_no_two_probes_pick_up_the_same_words():
    text = (
        "We reset the plan, I think, and we cut costs by about 20% within three months. Dana, our CFO, said "
        "it was probably the best quarter we had, and I'm a team player so I shared the credit with the team."
    )
    found = propose(text, "lead-turnaround-project")
    spans = []
    for p in found:
        if p.evidence:
            at = text.find(p.evidence)
            assert at >= 0
            spans.append((at, at + len(p.evidence)))
    for i, a in enumerate(spans):
        for b in spans[i + 1 :]:
            assert a[1] <= b[0] or b[1] <= a[0], (a, b)
    assert len({p.evidence for p in found if p.evidence}) == len(spans)


def _words(text: str, unsure: set[str]) -> list[dict]:
    out, t = [], 0.0
    for w in text.split():
        core = w.strip(".,")
        out.append({"word": " " + w, "start": t, "end": t + 0.3, "probability": 0.3 if core in unsure else 0.95})
        t += 0.35
    return out


def test_words_the_model_was_unsure_of_are_not_quoted():
    text = "I went to Siobhan and asked for two weeks. Conversion went up 40% after that, and Marek agreed."
    sure = probes.propose(text, _words(text, set()), q("lead-influence-without-authority"), SETTINGS)
    assert {"Siobhan", "Marek"} <= {p.evidence for p in sure}
    unsure = probes.propose(text, _words(text, {"Siobhan", "40%"}), q("lead-influence-without-authority"), SETTINGS)
    quoted = " ".join(p.evidence + " " + p.text for p in unsure)
    assert "Siobhan" not in quoted and "40" not in quoted
    assert "Marek" in {p.evidence for p in unsure}


def test_timings_give_each_quote_its_start():
    text = "At first nothing moved. Then I asked Priya for help and sign-ups went up 30%."
    found = probes.propose(text, _words(text, set()), q("lead-turnaround-project"), SETTINGS)
    by_kind = {p.kind: p for p in found}
    assert by_kind["person"].start == pytest.approx(7 * 0.35)  # the eighth word
    assert by_kind["number"].start is not None and by_kind["number"].start > by_kind["person"].start


def test_blunt_tone_is_blunter_and_still_quotes():
    text = KIND_CASES[2][2]
    plain = [p for p in propose(text, "lead-turnaround-project") if p.kind == "vague_we"][0]
    blunt = [p for p in propose(text, "lead-turnaround-project", tone="blunt") if p.kind == "vague_we"][0]
    assert plain.evidence == blunt.evidence and plain.text != blunt.text
    assert "personally" in blunt.text and "We aligned the teams" in blunt.text
    with pytest.raises(ValueError):
        propose(text, "lead-turnaround-project", tone="rude")


def test_memory_probes_across_two_takes():
    now = datetime(2026, 12, 1, 18, 0)
    first = probes.Take(
        "I led the move with three teams at Brightline. Dana, our tech lead, pushed back on the timeline, "
        "and errors fell by 30% by the end of the quarter.",
        when=now - timedelta(days=7),
    )
    today = (
        "I led the move with two teams at Brightline. Ravi helped me with the rollout, "
        "and errors fell by 25% by the end of the quarter."
    )
    found = propose(today, "lead-cross-org-change", earlier=[first], now=now)
    memory = [p for p in found if p.kind == "memory"]
    texts = " ".join(p.text for p in memory)
    assert "Last week you said three teams; today you said two teams. Which was it?" in texts
    assert "Last week you mentioned Dana. What did Dana do?" in texts
    changed = next(p for p in memory if "teams" in p.text)
    assert probes.memory_evidence(changed) == ("three teams", "two teams")
    assert changed.evidence == "three teams → two teams"
    dropped = next(p for p in memory if "Dana" in p.text)
    assert probes.memory_evidence(dropped) == ("Dana", "")
    # Nothing to remember on a first take.
    assert not [p for p in propose(today, "lead-cross-org-change") if p.kind == "memory"]


def test_fact_diff_names_what_changed():
    older = "Dana and I cut churn by 30% across three teams."
    newer = "Ravi and I cut churn by 25% across three teams."
    assert probes.fact_diff(older, newer) == ["names: Dana dropped, Ravi new", "numbers: by 30% → by 25%"]
    assert probes.fact_diff(older, older) == []


def test_listening_steps_number_generated_probes_after_the_curated_ones():
    main = Step("lead-turnaround-project", 0, "Q?", "Q?", 2)
    found = propose(KIND_CASES[2][2], "lead-turnaround-project")
    steps = probes.listening_steps(found, main, 2)
    assert [s.probe_index for s in steps] == [101, 102]
    assert all(s.is_generated and s.is_probe for s in steps)
    assert (steps[0].kind, steps[0].evidence, steps[0].evidence_start, steps[0].why) == (
        found[0].kind,
        found[0].evidence,
        found[0].start,
        found[0].why,
    )
    assert [s.probe_index for s in probes.listening_steps(found, main, 1, taken=2)] == [103]
    assert probes.listening_steps(found, main, 0) == []


def test_caption_says_what_was_picked_up_and_when():
    assert probes.caption("vague_we", "we decided", 42.3) == "picks up 'we decided' at 0:42"
    assert probes.caption("number", "um, 30%", None) == "picks up '30%'"
    assert probes.caption("no_result", "", None, "the story never says how it ended") == (
        "the story never says how it ended"
    )
    assert probes.caption("", "", None) == ""
    assert probes.step_name(0) == "Main answer" and probes.step_name(2) == "Follow-up 2"
    assert probes.step_name(101, "vague_we") == "Listening follow-up (vague we)"


def test_empty_answer_has_no_probes():
    assert propose("   ", "lead-turnaround-project") == []


def test_memory_wording_follows_how_long_ago_the_last_take_was():
    from datetime import UTC

    text = "I led the move with two teams at Brightline, and errors fell by 25% by the end of the quarter."
    before = "I led the move with three teams at Brightline, and errors fell by 25% by the end of the quarter."
    now = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    for then, word in (
        (now - timedelta(hours=2), "Earlier"),
        (now - timedelta(days=1), "Yesterday"),
        (now - timedelta(days=7), "Last week"),
        (now - timedelta(days=30), "Last time"),
        (None, "Last time"),
    ):
        found = propose(text, "lead-cross-org-change", earlier=[probes.Take(before, when=then)], now=now)
        memory = next(p for p in found if p.kind == "memory")
        assert memory.text.startswith(f"{word} you said three teams"), memory.text
    # Stored times are naive UTC strings; a timezone-aware clock still compares.
    naive = probes.Take(before, when=datetime(2026, 11, 24, 18, 0))
    found = propose(text, "lead-cross-org-change", earlier=[naive], now=now)
    assert next(p for p in found if p.kind == "memory").text.startswith("Last week")


def test_the_answer_card_and_the_follow_ups_hear_the_same_blame():
    """A follow-up that quotes blame back ("You said 'the vendor let us down'") and an answer card
    that reports none would contradict each other: both read measure.content.ownership."""
    from rehearse.measure import content
    from rehearse.measure.tokens import tokenize

    text = (
        "We missed the launch by a month. The vendor let us down, and these things happen. "
        "The team shipped it in May in the end."
    )
    card = content.analyze(tokenize(text), SETTINGS, "failure")
    assert card.blame == ("let us down", "these things happen") and card.owns_mistake is False
    found = probes.propose(text, (), q("failure-missed-launch"), SETTINGS)
    blame = [p for p in found if p.kind == "blame"]
    assert blame and all(any(b in p.evidence.lower() for b in card.blame) for p in blame), found
    assert "no_ownership" in [p.kind for p in found]
    owned = "I dropped the ball on the handover, and the vendor was late. That was my fault."
    assert content.analyze(tokenize(owned), SETTINGS, "failure").owns_mistake
    kinds = [p.kind for p in probes.propose(owned, (), q("failure-missed-launch"), SETTINGS)]
    assert "no_ownership" not in kinds and "blame" not in kinds
