"""Tests for lstm_course.classic_tasks: the embedded Reber grammar and the 1997 adding problem,
checked against their definitions (Reber 1967; Hochreiter & Schmidhuber 1997, Experiments 1 and 4)."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_course.classic import copy_baseline, reber_soft_cross_entropy, reber_strings_correct
from lstm_course.classic_tasks import (REBER_GRAPH, REBER_SYMBOLS, adding_correct, adding_problem_1997,
                                       adding_should_stop, embedded_reber_next_symbols, embedded_reber_string,
                                       encode_reber_batch, is_embedded_reber, reber_next_symbols, reber_string)

# A few strings of the Reber grammar written out by hand from its graph, and some that are not.
VALID_REBER = ["BTXSE", "BPVVE", "BTSXSE", "BPTVVE", "BTXXVVE", "BPVPXVVE", "BTSSXXTVVE", "BPTTVPXVVE"]
INVALID_REBER = ["BTSE", "BPVE", "BTXXE", "TXSE", "BTXSEE", "BPVVXE", "BE", ""]


@pytest.mark.parametrize("s", VALID_REBER)
def test_hand_written_reber_strings_are_recognised(s):
    assert reber_next_symbols(s) == frozenset()
    assert is_embedded_reber("BT" + s + "TE") and is_embedded_reber("BP" + s + "PE")
    assert not is_embedded_reber("BT" + s + "PE"), "the second and second-to-last symbols must agree"


@pytest.mark.parametrize("s", INVALID_REBER)
def test_non_reber_strings_are_rejected(s):
    assert not is_embedded_reber("BT" + s + "TE")


def test_generated_strings_follow_the_grammar_and_cover_it():
    rng = np.random.default_rng(0)
    strings = [embedded_reber_string(rng) for _ in range(2000)]
    assert all(is_embedded_reber(s) for s in strings)
    assert all(s[1] == s[-2] and s[1] in "TP" for s in strings)
    # both branches, about equally often, and every edge of the graph is used
    share_T = np.mean([s[1] == "T" for s in strings])
    assert 0.45 < share_T < 0.55
    inner = [s[2:-2] for s in strings]
    bigrams = {a + b for s in inner for a, b in zip(s, s[1:])}
    for state, edges in REBER_GRAPH.items():
        for symbol, _ in edges:
            assert any(symbol in s for s in inner)
    assert {"SS", "TT", "XX", "VV", "PV"} <= bigrams, "the loops and the edges between branches occur"
    # the shortest inner string is BTXSE or BPVVE, so embedded strings have at least 9 symbols
    assert min(len(s) for s in strings) == 9


def test_generator_is_seeded():
    a = [reber_string(np.random.default_rng(3)) for _ in range(3)]
    b = [reber_string(np.random.default_rng(3)) for _ in range(3)]
    assert a == b
    with pytest.raises(TypeError, match="default_rng"):
        reber_string(3)


def test_next_symbols_at_every_step():
    s = "BTBTXSETE"
    want = ["TP", "B", "TP", "SX", "SX", "E", "T", "E", ""]
    for t, allowed in enumerate(want):
        assert embedded_reber_next_symbols(s[:t + 1]) == frozenset(allowed), s[:t + 1]
    assert embedded_reber_next_symbols("BPBPVVE") == frozenset("P"), "the long-range rule: only the second symbol"
    with pytest.raises(ValueError, match="expected one of"):
        reber_next_symbols("BTV")
    with pytest.raises(ValueError, match="second symbol again"):
        embedded_reber_next_symbols("BTBTXSEP")


def test_encoding_of_a_batch():
    strings = ["BTBTXSETE", "BPBPTVVEPE"]
    x, targets, mask = encode_reber_batch(strings)
    assert x.shape == targets.shape == (2, 9, len(REBER_SYMBOLS)) and mask.shape == (2, 9)
    assert mask.sum(axis=1).tolist() == [8, 9]
    np.testing.assert_array_equal(x.sum(axis=2), mask.astype(float))
    assert not targets[0, 8].any(), "no target after the end of the shorter string"
    E, P = REBER_SYMBOLS.index("E"), REBER_SYMBOLS.index("P")
    # after the inner E of the second string, only P may come
    assert targets[1, 7].tolist() == [1.0 if k == P else 0.0 for k in range(7)]
    assert targets[0, 7, E] == 1.0
    with pytest.raises(ValueError, match="not an embedded Reber string"):
        encode_reber_batch(["BTBTXSEPE"])


def test_reber_criterion_and_loss():
    strings = ["BTBTXSETE", "BPBPTVVEPE"]
    _, targets, mask = encode_reber_batch(strings)
    perfect = np.where(targets > 0, 1.0, -1.0)
    assert reber_strings_correct(perfect, targets, mask).all()
    one_wrong = perfect.copy()
    one_wrong[1, 7, REBER_SYMBOLS.index("T")] = 2.0  # predicts T where only P may come
    assert reber_strings_correct(one_wrong, targets, mask).tolist() == [True, False]
    logits = np.random.default_rng(0).normal(size=targets.shape)
    value, dlogits = reber_soft_cross_entropy(logits, targets, mask)
    eps, k = 1e-6, (1, 3, 2)
    bumped = logits.copy()
    bumped[k] += eps
    dropped = logits.copy()
    dropped[k] -= eps
    numerical = (reber_soft_cross_entropy(bumped, targets, mask)[0]
                 - reber_soft_cross_entropy(dropped, targets, mask)[0]) / (2 * eps)
    assert abs(numerical - dlogits[k]) < 1e-8
    assert not dlogits[0, 8].any(), "padding gets no gradient"


def test_adding_problem_1997_follows_the_paper():
    rng = np.random.default_rng(1)
    T = 100
    x, y, lengths = adding_problem_1997(500, T, rng=rng)
    assert x.shape == (500, 110, 2) and y.shape == (500, 1)
    assert lengths.min() >= T and lengths.max() <= T + T // 10
    for n in range(500):
        L = lengths[n]
        values, marker = x[n, :L, 0], x[n, :L, 1]
        assert not x[n, L:].any(), "zero padding after the end"
        assert np.all(np.abs(values) <= 1.0)
        marked = np.flatnonzero(marker == 1.0)
        assert len(marked) == 2
        first, second = marked.min(), marked.max()
        assert first < 10 or second < 10, "one mark among the first ten pairs"
        assert second < T // 2 - 1 or first < T // 2 - 1
        assert marker.max() == 1.0 and set(np.unique(marker)) <= {-1.0, 0.0, 1.0}
        assert marker[L - 1] == -1.0 and (marker[0] == -1.0 or 0 in marked)
        if 0 in marked:
            assert values[0] == 0.0, "X1 is set to zero when the first pair is marked"
        assert L - 1 - max(marked) >= T // 2, "the minimal time lag is T / 2"
        assert abs(y[n, 0] - (0.5 + values[marked].sum() / 4.0)) < 1e-15
    assert 0.0 <= y.min() and y.max() <= 1.0


def test_adding_criteria():
    assert adding_correct([0.5, 0.5, 0.5], [0.539, 0.541, 0.461]).tolist() == [True, False, True]
    ok = np.ones(2000, bool)
    assert adding_should_stop(np.full(2000, 0.009), ok)
    assert not adding_should_stop(np.full(2000, 0.011), ok)
    assert not adding_should_stop(np.full(1999, 0.0), ok[:1999])
    assert not adding_should_stop(np.full(2500, 0.0), np.r_[ok, [False], ok[:499]])
    assert adding_should_stop(np.r_[np.ones(500), np.zeros(2000)], np.r_[np.zeros(500, bool), ok])
    with pytest.raises(ValueError, match="same shape"):
        adding_should_stop(np.zeros(3), np.ones(2, bool))


def test_copy_baseline_is_arjovskys():
    assert copy_baseline(100) == pytest.approx(10 * np.log(8) / 120)
    assert copy_baseline(50) == pytest.approx(10 * np.log(8) / 70)
