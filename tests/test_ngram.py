"""The counting baselines: unigram and interpolated Kneser-Ney, on small texts with known answers."""

import numpy as np
import pytest

from lstm_course.ngram import KneserNeyModel, UnigramModel, bits_per_char


def test_bits_per_char():
    assert bits_per_char([0.5, 0.25]) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="probabilities"):
        bits_per_char([0.0, 0.5])


def test_unigram_is_add_one_counts():
    model = UnigramModel.fit(np.array([0, 0, 1]), V=3)
    assert np.allclose(model.probs, [3 / 6, 2 / 6, 1 / 6])
    assert np.allclose(model.prob_of_text(np.array([2, 0, 1])), [3 / 6, 2 / 6])


@pytest.mark.parametrize("n", [2, 3, 5])
def test_kneser_ney_is_a_distribution_after_any_context(n):
    rng = np.random.default_rng(n)
    V = 6
    train = rng.integers(V, size=400) % 4  # ids 4 and 5 never occur in training
    model = KneserNeyModel(n, V).fit(train)
    for context in (train[:n - 1], np.array([5, 4, 5, 4])[: n - 1], train[10:10 + n - 1]):
        probs = [model.prob_of_text(np.concatenate([context, [w]]))[-1] for w in range(V)]
        assert sum(probs) == pytest.approx(1.0, abs=1e-12)
        assert min(probs) > 0  # even unseen characters keep some probability


def test_kneser_ney_bigram_by_hand():
    # Training text "abab" + "c" as ids a=0, b=1, c=2; bigram with its discount d from n1, n2.
    train = np.array([0, 1, 0, 1, 2])
    model = KneserNeyModel(2, 3).fit(train)
    # bigram counts: ab 2, ba 1, bc 1 -> n1 = 2, n2 = 1, d2 = 2 / (2 + 2) = 0.5
    assert model.discounts[2] == pytest.approx(0.5)
    # unigram continuation counts: distinct left neighbours of a {b}, b {a}, c {b} -> 1, 1, 1;
    # n1 = 3, n2 = 0 -> d1 = 1, kept at 0.95; p1(w) = (1 - 0.95 + 0.95 * 3 * 1/3) / 3 = 1/3 for every w
    assert model.discounts[1] == pytest.approx(0.95)
    p1 = 1 / 3
    # after "b": c(b) = 2 (ba, bc), two types; p(a | b) = (1 - 0.5 + 0.5 * 2 * p1) / 2
    p = model.prob_of_text(np.array([1, 0]))[-1]
    assert p == pytest.approx((1 - 0.5 + 0.5 * 2 * p1) / 2)
    # after "c" (never seen as a context): back off to p1
    assert model.prob_of_text(np.array([2, 0]))[-1] == pytest.approx(p1)


def test_longer_context_wins_on_repetitive_text():
    text = np.tile(np.array([0, 1, 2, 3, 1, 2, 0, 3]), 60)
    uni = bits_per_char(UnigramModel.fit(text, 4).prob_of_text(text[:80]))
    tri = KneserNeyModel(3, 4).fit(text).bits_per_char(text[:80])
    assert tri < 0.5 < uni  # the pattern is deterministic given two characters


def test_errors():
    with pytest.raises(ValueError, match="n must be"):
        KneserNeyModel(1, 5)
    with pytest.raises(ValueError, match="overflow"):
        KneserNeyModel(12, 96)
    with pytest.raises(RuntimeError, match="fit"):
        KneserNeyModel(3, 5).prob_of_text(np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\[0, V\)"):
        KneserNeyModel(3, 5).fit(np.array([0, 1, 7, 2]))
