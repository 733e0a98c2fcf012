"""Tests for lstm_course.losses: golden values, gradients, stability, and input checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstm_course.gradcheck import check_gradient
from lstm_course.losses import accuracy, mse, softmax, softmax_cross_entropy

# float64 centred differences (h = 1e-5) agree with exact gradients to ~1e-10 relative here;
# 1e-7 is the course-wide bar and leaves a margin of about 100x.
TOL = 1e-7


# ---- mse ---------------------------------------------------------------------------------


def test_mse_golden():
    # diff = [0, 2, 3]: loss = (0 + 4 + 9) / 3, dpred = 2 * diff / 3
    loss, dpred = mse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0]))
    assert loss == pytest.approx(13 / 3, rel=1e-15)
    np.testing.assert_allclose(dpred, [0.0, 4 / 3, 2.0], rtol=1e-15)


def test_mse_gradient_check():
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    _, dpred = mse(pred, target)
    check_gradient(lambda p: mse(p, target)[0], pred, dpred, tol=TOL, name="pred")


def test_mse_preserves_float32_and_does_not_mutate():
    pred = np.array([[0.5], [1.5]], dtype=np.float32)
    target = np.array([[1.0], [1.0]])
    pred_before, target_before = pred.copy(), target.copy()
    loss, dpred = mse(pred, target)
    assert dpred.dtype == np.float32 and isinstance(loss, float)
    assert loss == pytest.approx(0.25)
    np.testing.assert_array_equal(pred, pred_before)
    np.testing.assert_array_equal(target, target_before)


def test_mse_bad_inputs():
    with pytest.raises(ValueError, match=r"target of the shape of pred, \(4,\), got \(4, 1\)"):
        mse(np.zeros(4), np.zeros((4, 1)))
    with pytest.raises(TypeError, match="pred must be a floating-point array"):
        mse(np.zeros(3, dtype=int), np.zeros(3))
    with pytest.raises(ValueError, match="pred contains NaN or inf"):
        mse(np.array([np.nan, 1.0]), np.zeros(2))
    with pytest.raises(ValueError, match="target to be finite"):
        mse(np.zeros(2), np.array([np.inf, 1.0]))


# ---- softmax and cross-entropy ------------------------------------------------------------


def test_softmax_golden():
    # exp([0, ln 3]) = [1, 3], normalised to [1/4, 3/4]; the shift invariance gives row 2
    out = softmax(np.array([[0.0, math.log(3.0)], [1000.0, 1000.0 + math.log(3.0)]]))
    np.testing.assert_allclose(out, [[0.25, 0.75], [0.25, 0.75]], rtol=1e-12)


def test_cross_entropy_golden():
    # row 1: p = [1/2, 1/2], target 0: loss ln 2, grad [-1/2, 1/2]
    # row 2: p = [1/4, 3/4], target 1: loss ln(4/3), grad [1/4, -1/4]
    logits = np.array([[0.0, 0.0], [0.0, math.log(3.0)]])
    loss, dlogits = softmax_cross_entropy(logits, np.array([0, 1]))
    assert loss == pytest.approx((math.log(2.0) + math.log(4 / 3)) / 2, rel=1e-14)
    np.testing.assert_allclose(dlogits, np.array([[-0.5, 0.5], [0.25, -0.25]]) / 2, rtol=1e-12)


def test_cross_entropy_confident_mistake_is_finite():
    # log softmax([1000, 0])[1] = -1000 exactly; a naive log(exp(.)) would give inf
    loss, dlogits = softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))
    assert loss == pytest.approx(1000.0, rel=1e-15)
    np.testing.assert_allclose(dlogits, [[1.0, -1.0]], atol=1e-15)


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)], ids=["(N,K)", "(N,T,K)"])
def test_cross_entropy_gradient_check(shape):
    rng = np.random.default_rng(1)
    logits = 2.0 * rng.normal(size=shape)
    targets = rng.integers(0, shape[-1], size=shape[:-1])
    _, dlogits = softmax_cross_entropy(logits, targets)
    check_gradient(lambda z: softmax_cross_entropy(z, targets)[0], logits, dlogits, tol=TOL,
                   name="logits")


def test_cross_entropy_sequence_is_mean_over_all_positions():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(2, 3, 4))
    targets = rng.integers(0, 4, size=(2, 3))
    loss3, d3 = softmax_cross_entropy(logits, targets)
    loss2, d2 = softmax_cross_entropy(logits.reshape(6, 4), targets.reshape(6))
    assert loss3 == pytest.approx(loss2, rel=1e-15)
    np.testing.assert_allclose(d3.reshape(6, 4), d2, rtol=1e-15)


def test_cross_entropy_float32_and_no_mutation():
    logits = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    targets = np.array([2])
    before = logits.copy()
    _, dlogits = softmax_cross_entropy(logits, targets)
    assert dlogits.dtype == np.float32 and softmax(logits).dtype == np.float32
    assert not np.shares_memory(dlogits, logits)
    np.testing.assert_array_equal(logits, before)
    np.testing.assert_array_equal(targets, [2])


def test_cross_entropy_bad_inputs():
    logits = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"targets of shape \(N,\) = \(4,\), got \(4, 1\)"):
        softmax_cross_entropy(logits, np.zeros((4, 1), dtype=int))
    with pytest.raises(ValueError, match=r"targets of shape \(N, T\) = \(4, 2\), got \(4,\)"):
        softmax_cross_entropy(np.zeros((4, 2, 3)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=r"targets in \[0, K\) = \[0, 3\), got values from 0 to 3"):
        softmax_cross_entropy(logits, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"got values from -1"):
        softmax_cross_entropy(logits, np.array([-1, 1, 2, 0]))
    with pytest.raises(TypeError, match="integer class indices"):
        softmax_cross_entropy(logits, np.zeros(4))
    with pytest.raises(ValueError, match=r"logits of shape \(N, K\) or \(N, T, K\), got \(3,\)"):
        softmax_cross_entropy(np.zeros(3), np.zeros((), dtype=int))
    with pytest.raises(ValueError, match="logits contains NaN or inf"):
        softmax_cross_entropy(np.array([[np.nan, 0.0]]), np.array([0]))


# ---- accuracy ----------------------------------------------------------------------------


def test_accuracy_golden():
    # argmax per row: 1, 0, 0 (a tie goes to the lower index); targets 1, 1, 0: 2 of 3 right
    logits = np.array([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]])
    assert accuracy(logits, np.array([1, 1, 0])) == pytest.approx(2 / 3)
    assert accuracy(logits[None], np.array([[1, 0, 0]])) == 1.0


def test_accuracy_bad_inputs():
    with pytest.raises(ValueError, match=r"targets of shape \(N,\) = \(3,\), got \(2,\)"):
        accuracy(np.zeros((3, 2)), np.array([0, 1]))


# ---- properties --------------------------------------------------------------------------

logit_arrays = arrays(
    np.float64,
    shape=st.tuples(st.integers(1, 5), st.integers(1, 6)),
    elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=60, deadline=None)
@given(logits=logit_arrays)
def test_softmax_rows_are_distributions(logits):
    p = softmax(logits)
    assert np.all(np.isfinite(p)) and np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    # the largest logit has the largest probability
    rows = np.arange(len(logits))
    assert np.all(p[rows, np.argmax(logits, axis=1)] == p.max(axis=1))


@settings(max_examples=60, deadline=None)
@given(logits=logit_arrays, data=st.data())
def test_cross_entropy_is_finite_nonnegative_with_zero_sum_gradient(logits, data):
    n, k = logits.shape
    targets = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    loss, dlogits = softmax_cross_entropy(logits, targets)
    assert math.isfinite(loss) and loss >= 0
    assert np.all(np.isfinite(dlogits))
    # each row of softmax - onehot sums to 0 (up to rounding of values of size 1/n)
    np.testing.assert_allclose(dlogits.sum(axis=1), 0.0, atol=1e-12)
