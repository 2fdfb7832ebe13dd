"""The panel's signals and highlights, from stored metrics dicts (new and old)."""

import json
from pathlib import Path

from rehearse.measure import analysis, feedback
from rehearse.settings import Settings
from rehearse.web import ui

SETTINGS = Settings(home=Path("/nonexistent-rehearse-home"))
FAILURE = (
    "Um, two years ago I was the team lead for a launch at a bank in Toronto. My job was to ship by March. "
    "I think I promised the date before I asked the engineers, and uh, we missed it by three weeks. "
    "So I went to the sales director and told her it was my fault. "
    "What I learned is to ask the people doing the work first. I'm a perfectionist, you know."
)


def stored(text: str, **kw) -> dict:
    words, t = [], 0.0
    for w in text.split():
        words.append({"start": t, "end": t + 0.3, "text": w})
        t += 0.4
    return json.loads(json.dumps(analysis.analyze(text, words, t + 1, SETTINGS, **kw).to_dict()))


def by_name(signals):
    return {s.name: s for s in signals}


def test_every_signal_has_a_value_a_tone_and_one_plain_reason():
    m = stored(FAILURE, target=(60, 120), category="failure")
    signals = feedback.delivery(m) + feedback.content(m)
    assert {s.name for s in signals} >= {
        "Length",
        "Pace",
        "Long pauses",
        "Fillers",
        "I and we",
        "Hedges",
        "Stock phrases",
        "Story structure",
        "Numbers in the result",
        "People and places",
        "Owns the mistake",
    }
    for s in signals:
        assert s.value and s.tone in ("good", "warn", "info") and s.why.endswith(".") and "\n" not in s.why
    named = by_name(signals)
    assert named["Length"].tone == "warn" and named["Length"].value.startswith("short")
    assert named["Fillers"].value.startswith("3 fillers heard (6.1 a minute)") and "um" in named["Fillers"].value
    assert named["Owns the mistake"].tone == "good" and "“my fault”" in named["Owns the mistake"].value
    assert "Toronto" in named["People and places"].value and "engineer" in named["People and places"].value
    assert named["Stock phrases"].value == "“I'm a perfectionist”"
    assert "ends on the reflection" in named["Story structure"].value
    assert named["Numbers in the result"].tone == "good" and "three" in named["Numbers in the result"].value
    assert (
        by_name(feedback.content(stored("I fixed it for two teams. It worked.", category="behavioral")))[
            "Numbers in the result"
        ].tone
        == "warn"
    )  # "two" is said, but not in the result


def test_failure_without_owning_it_and_follow_ups_without_structure():
    m = stored("The vendor shipped late and it was not my fault.", category="failure")
    owns = by_name(feedback.content(m))["Owns the mistake"]
    assert owns.tone == "warn" and "puts it on others" in owns.value and "“was not my fault”" in owns.value
    probe = stored("The pushback came from finance.", category="behavioral", follow_up=True)
    assert "Story structure" not in by_name(feedback.content(probe))
    intro = stored("I build payment systems and I lead a team of six.", category="intro")
    assert "Story structure" not in by_name(feedback.content(intro))


def test_pauses_are_reported_with_time_and_the_word_before():
    text = "We had a plan. Then the vendor went bust."
    words = [
        {"start": i * 0.4 + (3.0 if i >= 4 else 0), "end": i * 0.4 + 0.3 + (3.0 if i >= 4 else 0), "text": w}
        for i, w in enumerate(text.split())
    ]
    m = analysis.analyze(text, words, 8.0, SETTINGS).to_dict()
    pauses = by_name(feedback.delivery(m))["Long pauses"]
    assert pauses.value == "1 of 2 s or more: 3 s at 0:02 after “plan”"


def test_metrics_from_before_content_signals_still_show():
    old = {
        "duration": 42.0,
        "speaking_seconds": 40.0,
        "word_count": 100,
        "wpm": 150.0,
        "filler_count": 2,
        "fillers_per_minute": 3.0,
        "long_pauses": 1,
        "longest_pause": 2.5,
        "target_min": None,
        "target_max": None,
        "length_verdict": "",
    }
    named = by_name(feedback.delivery(old))
    assert named["Pace"].tone == "good" and "longest 3 s" in named["Long pauses"].value
    assert feedback.content(old) == []
    assert feedback.summary_line(old).startswith("about 150 words/min · 2 fillers")


def test_segments_highlight_without_overlap_and_stock_phrases_win():
    text = "I think, um, I'm a perfectionist, like, you know."
    m = stored(text)
    pieces = feedback.segments(text, m["hits"])
    assert "".join(p for p, _ in pieces) == text
    marked = [(p, label) for p, label in pieces if label]
    assert marked == [
        ("I think", "hedge"),
        ("um", "filler"),
        ("I'm a perfectionist", "stock phrase"),
        ("like", "filler (like/so)"),
        ("you know", "filler"),
    ]
    # Broken or out-of-range hits (a transcript edited since) are ignored, not drawn in the wrong place.
    assert feedback.segments("short", [{"kind": "filler", "start": 3, "end": 40}]) == [("short", None)]


def test_highlighted_transcript_never_renders_what_the_user_said():
    text = "Um, I used **bold** and [a link](http://x) and <b>html</b> and $x$, like, #1."
    m = stored(text)
    md = ui.transcript_markdown(text, m["hits"])
    assert md.startswith(":orange-background[Um]")
    assert r"\*\*bold\*\*" in md and r"\[a link\]\(http" in md and r"\<b\>html\</b\>" in md and r"\$x\$" in md
    assert ":violet-background[like]" in md
    # Taking the highlights and the escapes away gives back exactly what was said.
    plain = md.replace(":orange-background[Um]", "Um").replace(":violet-background[like]", "like").replace("\\", "")
    assert plain.replace(ui.WORD_JOINER, "") == text


def test_text_lines_for_a_terminal():
    lines = feedback.text_lines(stored(FAILURE, target=(60, 120), category="failure"))
    assert lines[0].startswith("Length: short, ") and lines[0].endswith("(!)")
    assert any(line.startswith("Owns the mistake: yes: ") for line in lines)
    assert all(": " in line and "\n" not in line for line in lines)
