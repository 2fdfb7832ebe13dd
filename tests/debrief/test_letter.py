"""The follow-up letter: its draft from a debrief, and each mark of a strong follow-up failing and passing."""

import re
from dataclasses import replace

import pytest
from examples import FULL

from rehearse.debrief import letter
from rehearse.debrief.checklist import Debrief, Person

STRONG = """Subject: The telemetry question from Tuesday

Dear Dana and Sam,

Thank you for the conversation about the Staff Engineer role. Dana, when you asked about the deadline I missed,
I left out the numbers: the release slipped three weeks, and the fix I put in cut our slips to zero for the next
four quarters.

You raised my Kubernetes experience. I have not run it in production, but I moved our fleet of 40 services to
Nomad, which uses the same scheduling ideas, and I have been running a Kubernetes cluster at home since March.
On team size: I have led a team of nine, including two leads. Sam, on on-call load: I cut pages per week from 30
to 6 on my last team by fixing alerts at the source.

Best regards,
Alex"""


def by_name(checks):
    return {c.name: c for c in checks}


def test_draft_speaks_to_people_points_and_concerns():
    text = letter.draft(FULL)
    subject, body = letter.split_subject(text)
    assert "final round" in subject and "Staff Engineer" in subject
    assert body.startswith("Dear Dana and Sam,")
    # A specific point they discussed, quoted as it was said: a statement gets no "?".
    assert "\u201cTell me about a time you missed a deadline.\u201d" in body and "deadline?" not in body
    for concern in ("no Kubernetes experience", "team size I have led", "on-call load"):
        assert concern in body  # every open concern gets its own answer
    # Strengths read as the candidate's own sentences.
    assert "Telemetry pipeline design at scale is one of my strengths." in body
    assert "I have experience leading on-call rotations for large teams." in body
    assert "my leading" not in body and "are telemetry" not in body
    checks = by_name(letter.check(text, FULL))
    # A filled debrief gives a draft that passes its own marks, "not generic" included: no placeholders.
    assert all(c.ok for c in checks.values()), checks
    assert not letter.PLACEHOLDER.search(text)


def test_draft_of_an_empty_debrief_leaves_holes_the_check_names():
    empty = Debrief(id="x" * 32)
    text = letter.draft(empty)
    generic = by_name(letter.check(text, empty))["Not generic"]
    assert not generic.ok and "[role]" in generic.detail and "[company]" in generic.detail
    filled = re.sub(r"\[[^\]]*\]", "a release I shipped for 40 robots in two weeks", text)
    assert by_name(letter.check(filled, empty))["Not generic"].ok


def test_stage_mid_sentence_and_quoted_questions():
    second = replace(FULL, stage="Second round")
    assert "our second round conversation" in letter.split_subject(letter.draft(second))[0]
    assert "our HR screen conversation" in letter.split_subject(letter.draft(replace(FULL, stage="HR screen")))[0]
    assert letter.quoted("How would you scale it") == "\u201cHow would you scale it?\u201d"
    assert letter.quoted("Walk me through your CV") == "\u201cWalk me through your CV.\u201d"
    assert letter.quoted("Why us?") == "\u201cWhy us?\u201d"


@pytest.mark.parametrize(
    "strength, sentence",
    [
        ("Telemetry pipeline design at scale", "Telemetry pipeline design at scale is one of my strengths."),
        ("Leading on-call rotations", "I have experience leading on-call rotations."),
        ("Led the Kafka migration.", "I led the Kafka migration."),
        ("Strong on SQL", "I am strong on SQL."),
        ("I explain trade-offs well", "I explain trade-offs well."),
        ("SQL", "SQL is one of my strengths."),
    ],
)
def test_strengths_read_as_the_candidates_own_sentence(strength, sentence):
    assert letter.own_sentence(strength) == sentence


def test_strong_letter_passes_every_mark():
    checks = letter.check(STRONG, FULL)
    assert [c.name for c in checks] == [
        "Builds rapport",
        "Has a specific purpose",
        "Succinct",
        "Not generic",
        "Follows up on the discussion",
    ]
    assert all(c.ok for c in checks), checks
    assert "Dana and Sam" in checks[0].detail


def test_generic_letter_fails_with_reasons():
    generic = """Dear Hiring Manager,

I am writing to thank you for the opportunity to interview. I am confident that I would be a great fit for the
team and I am excited about the opportunity. Please do not hesitate to contact me. I look forward to hearing from
you at your earliest convenience.

Best regards,
Alex"""
    checks = by_name(letter.check(generic, FULL))
    assert not checks["Builds rapport"].ok and "Dana and Sam" in checks["Builds rapport"].detail
    assert (
        not checks["Has a specific purpose"].ok
        and "no Kubernetes experience" in checks["Has a specific purpose"].detail
    )
    assert not checks["Succinct"].ok and "Only" in checks["Succinct"].detail
    for phrase in (
        "i am writing to",
        "great fit",
        "please do not hesitate",
        "look forward to hearing from you",
        "at your earliest convenience",
        "dear hiring manager",
    ):
        assert phrase in checks["Not generic"].detail
    assert not checks["Follows up on the discussion"].ok
    assert "Tell me about a time you missed a deadline" in checks["Follows up on the discussion"].detail


def test_long_letter_and_one_open_concern_are_flagged():
    long = STRONG.replace(
        "Best regards", " ".join(["We also covered the roadmap in detail."] * 30) + "\n\nBest regards"
    )
    checks = by_name(letter.check(long, FULL))
    assert not checks["Succinct"].ok and f"cut it to {letter.MAX_WORDS}" in checks["Succinct"].detail
    partial = STRONG.replace(
        "Sam, on on-call load: I cut pages per week from 30\nto 6 on my last team by fixing alerts at the source.", ""
    )
    purpose = by_name(letter.check(partial, FULL))["Has a specific purpose"]
    assert not purpose.ok and purpose.detail == "Answer the open concern(s): on-call load."


def test_debrief_without_people_or_questions_says_what_to_add():
    bare = Debrief(id="x", company="Acme", role="Engineer")
    text = letter.draft(bare)
    assert "Dear [name of the person you met]," in text
    checks = by_name(letter.check(text, bare))
    assert "Add the people you met" in checks["Builds rapport"].detail
    assert "concerns" in checks["Has a specific purpose"].detail
    assert "questions they asked" in checks["Follows up on the discussion"].detail


def test_exports_as_text_and_markdown():
    md = letter.to_markdown(STRONG)
    assert md.startswith("# The telemetry question from Tuesday\n\nDear Dana and Sam,\n\n")
    assert "Best regards,  \nAlex\n" in md  # the sign-off keeps its line break
    tricky = letter.to_markdown("Subject: a *b*\n\nUse [brackets] and <b>tags</b> as typed.")
    assert tricky == "# a \\*b\\*\n\nUse \\[brackets\\] and \\<b\\>tags\\</b\\> as typed.\n"
    assert (
        letter.file_stem(replace(FULL, company="Acme Robotics!")) == "follow-up-acme-robotics-staff-engineer-2024-05-07"
    )
    assert letter.file_stem(Debrief(id="abcdef123")) == "follow-up-abcdef12"
    assert letter.word_count("Subject: x y z\n\nOne two three.") == 3
    assert letter.template_phrases("I\u2019m writing to say hi") == ["i'm writing to"]


def test_people_without_concerns_still_get_a_letter():
    d = replace(FULL, people=(Person("Dana Smith", "manager"),))
    checks = by_name(letter.check(letter.draft(d), d))
    assert checks["Builds rapport"].ok and not checks["Has a specific purpose"].ok
