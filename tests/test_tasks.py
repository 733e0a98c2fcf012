"""Tests for lstm_course.tasks: shapes, determinism, and that the answer is in the input."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_course.tasks import (
    COPY_BLANK,
    DEFAULT_N_DISTRACTORS,
    adding_problem,
    copy_task,
    copy_task_delimiter_index,
    delayed_recall,
    delayed_recall_query_index,
)


def rng(seed=0):
    return np.random.default_rng(seed)


GENERATORS = {
    "delayed_recall": lambda r: delayed_recall(16, 5, rng=r),
    "adding_problem": lambda r: adding_problem(16, 10, r),
    "copy_task": lambda r: copy_task(16, 3, 4, 5, r),
}


@pytest.mark.parametrize("make", GENERATORS.values(), ids=GENERATORS.keys())
def test_same_seed_same_data_other_seed_other_data(make):
    x1, y1 = make(rng(0))
    x2, y2 = make(rng(0))
    x3, y3 = make(rng(1))
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not (np.array_equal(x1, x3) and np.array_equal(y1, y3))
    assert x1.dtype == np.float64


@pytest.mark.parametrize("make", GENERATORS.values(), ids=GENERATORS.keys())
def test_rng_must_be_a_generator(make):
    with pytest.raises(TypeError, match=r"rng must be a Generator.*got int"):
        make(0)


# ---- delayed recall ----------------------------------------------------------------------


def test_delayed_recall_shapes_and_layout():
    n, gap, k, n_d = 50, 6, 8, DEFAULT_N_DISTRACTORS
    x, y = delayed_recall(n, gap, n_classes=k, rng=rng())
    T, D = gap + 2, k + n_d + 1
    query = delayed_recall_query_index(k, n_d)
    assert x.shape == (n, T, D) and y.shape == (n,)
    assert y.dtype == np.int64 and query == D - 1 == 12
    np.testing.assert_array_equal(x.sum(axis=2), 1.0)  # one-hot at every step
    # the answer is the cue, and only the cue: y is determined by step 0
    np.testing.assert_array_equal(y, np.argmax(x[:, 0, :k], axis=1))
    assert np.all(x[:, 0, :k].sum(axis=1) == 1)
    # distractor steps use only distractor tokens, the last step is always the query
    tokens = np.argmax(x, axis=2)  # (N, T)
    assert np.all((tokens[:, 1:-1] >= k) & (tokens[:, 1:-1] < k + n_d))
    assert np.all(tokens[:, -1] == query)
    # with 50 draws, a broken generator that always gave one cue would be caught
    assert len(np.unique(y)) > 1 and len(np.unique(tokens[:, 1:-1])) > 1


def test_delayed_recall_gap_zero_and_custom_sizes():
    x, y = delayed_recall(3, 0, n_classes=2, n_distractors=1, rng=rng())
    assert x.shape == (3, 2, 4)
    np.testing.assert_array_equal(np.argmax(x[:, 1], axis=1), 3)


def test_delayed_recall_distractors_carry_no_information():
    # across many sequences, distractor tokens are independent of the class
    x, y = delayed_recall(4000, 3, n_classes=2, n_distractors=2, rng=rng(5))
    middle = x[:, 1:-1, 2:4].mean(axis=(0, 1))
    by_class = [x[y == c, 1:-1, 2:4].mean(axis=(0, 1)) for c in (0, 1)]
    np.testing.assert_allclose(middle, [0.5, 0.5], atol=0.03)
    np.testing.assert_allclose(by_class[0], by_class[1], atol=0.05)


def test_delayed_recall_bad_arguments():
    with pytest.raises(ValueError, match="gap must be an integer >= 0, got -1"):
        delayed_recall(4, -1, rng=rng())
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        delayed_recall(0, 3, rng=rng())
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2, got 1"):
        delayed_recall(4, 3, n_classes=1, rng=rng())
    with pytest.raises(ValueError, match="n_distractors must be an integer >= 1, got 0"):
        delayed_recall(4, 3, n_distractors=0, rng=rng())
    with pytest.raises(TypeError, match="gap must be an integer >= 0, got 2.5"):
        delayed_recall(4, 2.5, rng=rng())
    with pytest.raises(TypeError, match="n must be an integer >= 1, got True"):
        delayed_recall(True, 2, rng=rng())


# ---- adding problem ----------------------------------------------------------------------


def test_adding_problem_shapes_and_targets():
    n, T = 200, 11
    x, y = adding_problem(n, T, rng())
    assert x.shape == (n, T, 2) and y.shape == (n, 1) and y.dtype == np.float64
    values, marker = x[..., 0], x[..., 1]
    assert np.all((values >= 0) & (values < 1))
    assert set(np.unique(marker)) == {0.0, 1.0}
    np.testing.assert_array_equal(marker.sum(axis=1), 2.0)
    # one mark in each half (first half is steps [0, T // 2))
    np.testing.assert_array_equal(marker[:, : T // 2].sum(axis=1), 1.0)
    np.testing.assert_array_equal(marker[:, T // 2:].sum(axis=1), 1.0)
    # the target is the sum of the marked values
    np.testing.assert_allclose(y[:, 0], (values * marker).sum(axis=1), rtol=1e-15)


def test_adding_problem_baseline_mse():
    # predicting 1 gives MSE = Var(U1 + U2) = 2 / 12, as the docstring says
    _, y = adding_problem(20000, 8, rng(3))
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, abs=0.01)


def test_adding_problem_shortest_sequence():
    x, _ = adding_problem(5, 2, rng())
    np.testing.assert_array_equal(x[..., 1], 1.0)


def test_adding_problem_bad_arguments():
    with pytest.raises(ValueError, match="T must be an integer >= 2, got 1"):
        adding_problem(4, 1, rng())
    with pytest.raises(TypeError, match="n must be an integer >= 1, got '4'"):
        adding_problem("4", 5, rng())


# ---- copy task ---------------------------------------------------------------------------


def test_copy_task_shapes_and_layout():
    n, L, gap, S = 20, 3, 4, 5
    x, y = copy_task(n, L, gap, S, rng())
    T, D = 2 * L + gap + 1, S + 2
    delimiter = copy_task_delimiter_index(S)
    assert x.shape == (n, T, D) and y.shape == (n, T) and y.dtype == np.int64
    assert delimiter == D - 1
    np.testing.assert_array_equal(x.sum(axis=2), 1.0)
    tokens = np.argmax(x, axis=2)  # (N, T)
    symbols = tokens[:, :L]
    assert np.all((symbols >= 1) & (symbols <= S))
    assert np.all(tokens[:, L:L + gap] == COPY_BLANK)
    assert np.all(tokens[:, L + gap] == delimiter)
    assert np.all(tokens[:, L + gap + 1:] == COPY_BLANK)
    # targets: blank until the delimiter has passed, then the symbols in order
    assert np.all(y[:, :T - L] == COPY_BLANK)
    np.testing.assert_array_equal(y[:, -L:], symbols)
    assert y.max() <= S  # K = S + 1 classes


def test_copy_task_golden_layout():
    x, y = copy_task(1, 2, 1, 3, rng(7))
    s = np.argmax(x[0, :2], axis=1)
    # steps: s0 s1 blank delim blank blank
    np.testing.assert_array_equal(np.argmax(x[0], axis=1), [s[0], s[1], 0, 4, 0, 0])
    np.testing.assert_array_equal(y[0], [0, 0, 0, 0, s[0], s[1]])


def test_copy_task_bad_arguments():
    with pytest.raises(ValueError, match="seq_len must be an integer >= 1, got 0"):
        copy_task(4, 0, 2, 3, rng())
    with pytest.raises(ValueError, match="gap must be an integer >= 0, got -2"):
        copy_task(4, 2, -2, 3, rng())
    with pytest.raises(ValueError, match="n_symbols must be an integer >= 1, got 0"):
        copy_task(4, 2, 2, 0, rng())
