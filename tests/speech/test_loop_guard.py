"""The loop guard: a real stammer never comes out as a hundred invented fillers, and the words
around it survive, decoded whole or live."""

from __future__ import annotations

import io

import numpy as np
import pytest

from rehearse.measure.tokens import tokenize
from rehearse.speech import transcribe
from rehearse.speech.live import LiveOptions, LiveTranscriber
from rehearse.speech.transcribe import Word, capped, repeated_runs, runaway


def words(text: str, start: float, step: float) -> tuple[Word, ...]:
    return tuple(Word(start + i * step, start + (i + 1) * step, w) for i, w in enumerate(text.split()))


def test_runs_of_a_word_or_a_phrase_are_found():
    pieces = "so uh uh uh uh i was i was i was i was there".split()
    runs = repeated_runs(pieces)
    assert [(r.at, r.unit, r.repeats) for r in runs] == [(1, ("uh",), 4), (5, ("i", "was"), 4)]
    assert repeated_runs("uh uh uh i".split()) == []  # three is a stammer, never a loop


def test_a_stammer_at_speaking_pace_is_kept():
    spoken = words("I was, uh, uh, uh, uh, uh, uh, working on it.", 0.0, 0.36)
    assert runaway(spoken, 4.0) is None


def test_fillers_faster_than_anyone_says_them_are_a_loop():
    looped = words("I think, " + "um, " * 111 + "the", 0.0, 0.03)
    assert "fillers in" in runaway(looped, 5.3)
    # A run squeezed into a short span even when the chunk is long enough to hold it.
    squeezed = words("Well, " + "uh, " * 21 + "we shipped it", 0.0, 0.1)
    assert "times in" in runaway(squeezed, 30.0)
    assert "compression ratio" in runaway(words("fine", 0, 0.3), 1.0, [2.9])
    # A hyphenated run is as many fillers as it has pieces.
    assert runaway((Word(1.0, 1.4, "uh-uh-uh-uh-uh-uh-uh-uh-uh,"),), 3.0) is not None


def test_capping_keeps_the_words_and_at_most_a_speakers_share_of_fillers():
    looped = words("I think, " + "um, " * 40 + "the deadline.", 0.0, 0.05)
    text, kept = capped(" ".join(w.text for w in looped), looped, 2.0)
    assert text == "I think, um, the deadline."
    assert [w.text for w in kept] == text.split()
    one_word = (Word(0, 1, "to,"), Word(1, 1.2, "uh-uh-uh-uh-uh-uh,"), Word(2, 3, "lead"))
    assert capped("", one_word, 3.0)[0] == "to, uh-uh-uh-uh-uh-uh, lead"  # never drops the whole stammer
    # A stammer at speaking pace stays as said, even beside a loop.
    said = words("So, uh, uh, uh, uh, uh, uh, I was", 0.0, 0.36) + words("I was " * 6, 3.0, 0.05)
    text, _ = capped("", said, 4.0)
    assert text == "So, uh, uh, uh, uh, uh, uh, I was I was I was"


# --- Real stammers: Piper speaking them, the real tiny.en decoding them -----------------------
STAMMERS = (
    # The reported trigger: six "uh," in a row.
    ("Well, uh, uh, uh, uh, uh, uh, we shipped it in March.", {"well", "march"}),
    ("I think, um, um, um, um, um, um, the hardest part was the deadline.", {"think", "hardest", "part", "deadline"}),
    ("My manager asked me to, uh, uh, uh, uh, uh, uh, lead the team.", {"manager", "asked", "lead", "team"}),
)


def filler_count(text: str) -> int:
    return sum(1 for t in tokenize(text) if t.lower in transcribe.LOOP_FILLERS or t.lower in ("um", "uh"))


@pytest.mark.slow
@pytest.mark.parametrize("text,around", STAMMERS)
def test_a_real_stammer_keeps_its_words_and_invents_no_fillers(model, speech, text, around):
    wav = speech(text)
    import soundfile as sf

    data, rate = sf.read(io.BytesIO(wav), dtype="float32")
    assert rate == 16000
    out = transcribe.transcribe(model, data)
    said = text.lower().count("uh,") + text.lower().count("um,")
    heard = {t.lower for t in tokenize(out.text)}
    assert around <= heard, out.text
    assert filler_count(out.text) <= said + 2, out.text  # never the hundred the loop made
    assert filler_count(out.text) <= transcribe.MAX_FILLERS_PER_SECOND * out.duration
    # Streamed in pieces, the live transcriber ends with the very same text.
    live = LiveTranscriber(model, live=LiveOptions(step_seconds=0.5))
    for i in range(0, len(data), 4000):
        live.feed(data[i : i + 4000])
        live.step()
    assert live.finish().text == out.text


@pytest.mark.slow
def test_without_the_guard_the_stammer_loops(model, speech, monkeypatch):
    """The guard is what stops the loop: the same decode with runaway() disabled invents fillers."""
    import soundfile as sf

    text = STAMMERS[1][0]
    data, _ = sf.read(io.BytesIO(speech(text)), dtype="float32")
    monkeypatch.setattr(transcribe, "runaway", lambda *a, **k: None)
    looped = transcribe.transcribe(model, np.asarray(data))
    assert filler_count(looped.text) > 20, looped.text
