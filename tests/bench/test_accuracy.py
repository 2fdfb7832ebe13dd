"""Word error rate and alignment come from jiwer over Rehearse's own normalisation."""

import pytest

from rehearse.bench.accuracy import align, edit_distance, filler_retention, normalize, word_error_rate


def test_word_error_rate_counts_every_kind_of_edit():
    ref = normalize("We shipped 1,200 units in March.")
    assert ref == "we shipped one thousand two hundred units in march".split()
    hyp = normalize("Um, we shipped twelve hundred units in, uh, May.")  # fillers are words until dropped
    assert edit_distance(ref, hyp) == 6  # um added; one thousand two -> twelve (1 sub, 2 del); uh added; march -> may
    assert word_error_rate(ref, hyp) == pytest.approx(6 / 9)
    dropped = normalize("Um, we shipped twelve hundred units in, uh, May.", drop=frozenset({"um", "uh"}))
    assert word_error_rate(ref, dropped) == pytest.approx(4 / 9)
    assert word_error_rate([], []) == 0.0 and word_error_rate([], ["extra"]) == 1.0
    assert word_error_rate(["a"], []) == 1.0


def test_alignment_pairs_every_word():
    assert align(["a", "b", "c"], ["a", "x", "c", "d"]) == [("a", "a"), ("b", "x"), ("c", "c"), (None, "d")]
    assert align(["a", "b"], []) == [("a", None), ("b", None)]
    assert align([], ["a"]) == [(None, "a")]
    with pytest.raises(ValueError, match="not a single word"):
        align(["you know"], ["you", "know"])


def test_a_filler_beside_an_inserted_word_is_still_in_its_place():
    ref = normalize("We, um, shipped it.")
    assert filler_retention(ref, normalize("We, uh, finally shipped it.")) == (1, 1, 0)
    assert filler_retention(ref, normalize("We finally, um, shipped it.")) == (1, 1, 0)
    assert filler_retention(ref, normalize("We shipped, um, it.")) == (1, 0, 1)  # moved past a word
    assert filler_retention(normalize("Um."), normalize("Uh, um.")) == (1, 1, 1)
