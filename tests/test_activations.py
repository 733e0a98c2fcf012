"""Tests of lstm_course.activations: a sigmoid that never overflows, tanh, their derivatives."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from lstm_course.activations import sigmoid, sigmoid_grad, tanh, tanh_grad

FUNCTIONS = [sigmoid, sigmoid_grad, tanh, tanh_grad]

# A wide grid, every integer in [-1e4, 1e4] plus the points where exp(-z) overflows in float64
# (z < -709.78) and float32 (z < -88.7), and their neighbours.
EDGES = [-1e4, -1000.0, -800.0, -746.0, -745.0, -710.0, -709.0, -89.0, -88.0, -40.0, -1.0,
         -1e-300, 0.0, 1e-300, 1.0, 40.0, 88.0, 89.0, 709.0, 710.0, 745.0, 746.0, 800.0, 1000.0, 1e4]
WIDE = np.concatenate([np.arange(-10_000.0, 10_001.0), EDGES])


def _strict():
    """Overflow, division by zero and invalid operations raise; so does any warning.

    Underflow is left to NumPy's default ('ignore'): sigmoid(-1e4) = e^-10000 is far below the
    smallest double, so the exact answer itself underflows to 0; that is not an error.
    """
    ctx = np.errstate(over="raise", divide="raise", invalid="raise", under="ignore")
    return ctx


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_no_overflow_no_warning_no_nan_up_to_1e4(fn, dtype):
    z = WIDE.astype(dtype)
    with warnings.catch_warnings(), _strict():
        warnings.simplefilter("error")
        out = fn(z)
    assert out.shape == z.shape
    assert np.isfinite(out).all()


def test_sigmoid_raises_no_floating_point_flag_at_all_where_nothing_underflows():
    # exp(-|z|) is a normal double for |z| <= 700 (and a normal float for |z| <= 80).
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        sigmoid(np.linspace(-700, 700, 2001))
        sigmoid(np.linspace(-80, 80, 2001).astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_limits_range_and_monotonic(dtype):
    s = sigmoid(WIDE.astype(dtype))
    assert ((s >= 0) & (s <= 1)).all()
    order = np.argsort(WIDE, kind="stable")
    assert (np.diff(s[order]) >= 0).all(), "sigmoid must be non-decreasing"
    big = sigmoid(np.array([-1e4, -1000.0, 1000.0, 1e4], dtype=dtype))
    assert big.tolist() == [0.0, 0.0, 1.0, 1.0]


def test_sigmoid_tails_are_accurate_not_just_clipped():
    # For z << 0, sigma(z) = e^z / (1 + e^z) ~ e^z: the stable form must keep this tiny number
    # (the textbook form 1 / (1 + e^-z) gets it right too until e^-z overflows at z = -709.8).
    for z in [-30.0, -100.0, -700.0, -740.0]:
        assert math.isclose(float(sigmoid(np.array([z]))[0]), math.exp(z) / (1 + math.exp(z)),
                            rel_tol=1e-12 if z > -708 else 1e-3)  # below -708: subnormal numbers
    assert sigmoid(np.array([-800.0]))[0] == 0.0  # e^-800 = 3.7e-348 < the smallest subnormal


@pytest.mark.parametrize("dtype,atol", [(np.float64, 2.3e-16), (np.float32, 1.2e-7)])
def test_sigmoid_symmetry(dtype, atol):
    # sigma(-z) = 1 - sigma(z), to the rounding of one subtraction.
    z = WIDE.astype(dtype)
    np.testing.assert_allclose(sigmoid(-z), 1 - sigmoid(z), rtol=0, atol=atol)
    # and exactly 1 when added, at the centre
    assert sigmoid(np.array([0.0]))[0] * 2 == 1.0


def test_sigmoid_agrees_with_the_textbook_formula_where_it_does_not_overflow():
    z = np.linspace(-700, 700, 14001)  # exp(700) = 1.0e304 < max double: no overflow
    naive = 1.0 / (1.0 + np.exp(-z))
    np.testing.assert_allclose(sigmoid(z), naive, rtol=1e-14, atol=0)


def test_golden_values():
    # Worked out independently with math.exp / math.tanh and checked against the literals.
    assert sigmoid(np.array([0.0]))[0] == 0.5
    np.testing.assert_allclose(
        sigmoid(np.array([1.0, -1.0, 2.0, -2.0, math.log(3)])),
        [0.7310585786300049, 0.2689414213699951, 0.8807970779778823, 0.11920292202211755, 0.75],
        rtol=1e-15)
    assert 1 / (1 + math.exp(-1.0)) == pytest.approx(0.7310585786300049, rel=1e-16)
    np.testing.assert_allclose(tanh(np.array([0.0, 1.0, -0.5])),
                               [0.0, 0.7615941559557649, -0.46211715726000974], rtol=1e-15)
    # sigma'(0) = 1/2 * 1/2, sigma'(ln 3) = 3/4 * 1/4, tanh'(0) = 1, tanh'(1) = 1 - tanh(1)^2
    np.testing.assert_allclose(sigmoid_grad(np.array([0.0, math.log(3)])), [0.25, 0.1875], rtol=1e-15)
    np.testing.assert_allclose(tanh_grad(np.array([0.0, 1.0])),
                               [1.0, 1 - 0.7615941559557649 ** 2], rtol=1e-15)


@pytest.mark.parametrize("value,expected", [(0.0, 0.5), (1, 0.7310585786300049),
                                            (np.float64(-1.0), 0.2689414213699951),
                                            (np.array(2.0), 0.8807970779778823),
                                            (-1e4, 0.0), (1e4, 1.0)])
def test_sigmoid_of_a_scalar(value, expected):
    # A lesson writes sigmoid(0) first: plain Python numbers and 0-d arrays must work.
    out = sigmoid(value)
    assert np.ndim(out) == 0
    assert float(out) == pytest.approx(expected, rel=1e-15, abs=0)
    assert float(sigmoid_grad(value)) == pytest.approx(expected * (1 - expected), rel=1e-14, abs=1e-300)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_and_shape_preserved(fn, dtype):
    z = np.linspace(-5, 5, 24).reshape(2, 3, 4).astype(dtype)
    out = fn(z)
    assert out.dtype == dtype
    assert out.shape == (2, 3, 4)


def test_integers_give_float64():
    assert sigmoid(np.array([0, 1, -2])).dtype == np.float64
    np.testing.assert_allclose(sigmoid(np.array([0, 1])), [0.5, 0.7310585786300049], rtol=1e-15)


@pytest.mark.parametrize("fn,grad", [(sigmoid, sigmoid_grad), (tanh, tanh_grad)],
                         ids=["sigmoid", "tanh"])
def test_derivatives_match_centred_differences(fn, grad):
    z = np.linspace(-8, 8, 161)
    h = 1e-6  # truncation O(h^2 f''') ~ 1e-12, round-off ~ eps / h ~ 1e-10
    numerical = (fn(z + h) - fn(z - h)) / (2 * h)
    np.testing.assert_allclose(grad(z), numerical, rtol=0, atol=1e-9)


def test_derivatives_vanish_in_the_tails_without_nan():
    z = np.array([-1e4, -800.0, 800.0, 1e4])
    with warnings.catch_warnings(), _strict():
        warnings.simplefilter("error")
        assert sigmoid_grad(z).tolist() == [0.0, 0.0, 0.0, 0.0]
        assert tanh_grad(z).tolist() == [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_input_is_not_modified(fn):
    z = np.linspace(-3, 3, 7)
    z[0] = -1e4
    before = z.copy()
    fn(z)
    np.testing.assert_array_equal(z, before)
