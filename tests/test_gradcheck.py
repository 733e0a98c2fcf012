"""Tests for lstm_course.gradcheck: it must accept right gradients and reject wrong ones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from lstm_course.gradcheck import (
    GradientCheckError,
    check_gradient,
    check_param_gradients,
    numerical_gradient,
    relative_error,
)

# float64 centred differences with h = 1e-5 are accurate to about 1e-10 relative (truncation
# ~h**2, rounding ~eps/h); 1e-7 leaves a wide margin for correct gradients while any sign or
# factor mistake gives an error of order 0.1 to 1.
TOL = 1e-7


def cubic(x):
    return float(np.sum(x**3) + np.sum(np.sin(x)))


def cubic_grad(x):
    return 3 * x**2 + np.cos(x)


@dataclass(frozen=True)
class Linear:
    W: np.ndarray  # (K, D)
    b: np.ndarray  # (K,)

    def __post_init__(self):
        if self.b.shape != (self.W.shape[0],):
            raise ValueError("expected b of shape (K,)")


def linear_loss_and_grads(params: Linear, x: np.ndarray):
    """Loss 0.5 * sum(tanh(x W^T + b)**2) and its exact gradients, x of shape (N, D)."""
    a = np.tanh(x @ params.W.T + params.b)  # (N, K)
    da = a * (1 - a**2)
    return 0.5 * float(np.sum(a**2)), Linear(W=da.T @ x, b=da.sum(axis=0))


def test_numerical_gradient_golden_and_does_not_mutate():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    x_before = x.copy()
    grad = numerical_gradient(cubic, x)
    np.testing.assert_allclose(grad, cubic_grad(x_before), rtol=1e-9)
    np.testing.assert_array_equal(x, x_before)
    assert grad.shape == x.shape and grad.dtype == x.dtype


def test_numerical_gradient_is_robust_to_f_modifying_its_argument():
    def greedy(x):
        value = float(np.sum(x**2))
        x[...] = 1e6  # a badly behaved f; the next call must not see this
        return value

    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(numerical_gradient(greedy, x), [2.0, 4.0], rtol=1e-9)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_relative_error_golden_values():
    a = np.array([1.0, -2.0, 0.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, -a) == 1.0  # |2a| / |2a| at the largest entry
    assert relative_error(2 * a, a) == pytest.approx(1 / 3)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    # scale-aware: noise on a near-zero entry does not fail a gradient whose scale is 1
    # 1e-11 / max(1 + 1, 0 + 1e-11) = 5e-12
    assert relative_error(np.array([1.0, 0.0]), np.array([1.0, 1e-11])) == pytest.approx(5e-12)
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(2,\)"):
        relative_error(a, a[:2])


def test_check_gradient_accepts_correct_gradient():
    x = np.random.default_rng(0).normal(size=(3, 4))
    error = check_gradient(cubic, x, cubic_grad(x), tol=TOL)
    assert 0.0 <= error < TOL


@pytest.mark.parametrize(
    "wrong",
    [
        lambda g: -g,  # sign error
        lambda g: 2 * g,  # factor error
        lambda g: g.T.reshape(g.shape),  # transposed layout
    ],
    ids=["sign", "factor", "transpose"],
)
def test_check_gradient_rejects_wrong_gradient(wrong):
    x = np.random.default_rng(1).normal(size=(3, 4))
    with pytest.raises(GradientCheckError, match="gradient check failed for W_hh"):
        check_gradient(cubic, x, wrong(cubic_grad(x)), tol=TOL, name="W_hh")


def test_check_gradient_rejects_a_single_wrong_entry_and_reports_it():
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    analytic = cubic_grad(x)
    analytic[1, 2] += 0.01  # a small bug in one place only
    with pytest.raises(GradientCheckError) as info:
        check_gradient(cubic, x, analytic, tol=TOL, name="b")
    err = info.value
    assert isinstance(err, AssertionError)  # so plain `assert`-style tooling treats it as failure
    assert err.index == (1, 2) and err.name == "b"
    assert err.analytic == pytest.approx(err.numerical + 0.01, abs=1e-8)
    assert "index (1, 2)" in str(err) and "relative error" in str(err)


def test_check_gradient_rejects_nan_gradient():
    x = np.ones(3)
    with pytest.raises(GradientCheckError):
        check_gradient(cubic, x, np.array([np.nan, 0.0, 0.0]), tol=TOL)


def test_check_gradient_bad_inputs():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"analytic gradient of x .* \(2, 3\), got \(3, 2\)"):
        check_gradient(cubic, x, np.ones((3, 2)))
    with pytest.raises(TypeError, match="floating-point"):
        numerical_gradient(cubic, np.ones(3, dtype=int))
    with pytest.raises(ValueError, match="h must be a finite number > 0"):
        numerical_gradient(cubic, x, h=0.0)
    with pytest.raises(TypeError, match=r"scalar, got an array of shape \(2, 3\)"):
        numerical_gradient(lambda x: x, x)
    with pytest.raises(ValueError, match="finite loss"):
        numerical_gradient(lambda x: float("nan"), x)


def test_check_param_gradients_accepts_correct_tree_and_keeps_params():
    rng = np.random.default_rng(2)
    params = Linear(W=rng.normal(size=(3, 4)), b=rng.normal(size=3))
    x = rng.normal(size=(5, 4))
    before = (params.W.copy(), params.b.copy())
    _, grads = linear_loss_and_grads(params, x)
    errors = check_param_gradients(lambda p: linear_loss_and_grads(p, x)[0], params, grads,
                                   tol=TOL)
    assert set(errors) == {"W", "b"} and max(errors.values()) < TOL
    np.testing.assert_array_equal(params.W, before[0])
    np.testing.assert_array_equal(params.b, before[1])


def test_check_param_gradients_rejects_one_wrong_leaf_and_names_it():
    rng = np.random.default_rng(3)
    params = {"layer": Linear(W=rng.normal(size=(2, 3)), b=rng.normal(size=2))}
    x = rng.normal(size=(4, 3))
    _, grads = linear_loss_and_grads(params["layer"], x)
    bad = {"layer": Linear(W=grads.W, b=-grads.b)}  # the bias gradient has the wrong sign
    with pytest.raises(GradientCheckError, match=r"1 of 2 gradients failed:\n.*layer\.b") as info:
        check_param_gradients(lambda p: linear_loss_and_grads(p["layer"], x)[0], params, bad,
                              tol=TOL)
    assert info.value.name == "layer.b"


def test_check_param_gradients_structure_mismatch():
    params = {"W": np.ones((2, 2))}
    with pytest.raises(ValueError, match=r"expected grads\.W of shape \(2, 2\)"):
        check_param_gradients(lambda p: 0.0, params, {"W": np.ones(4)})
    with pytest.raises(ValueError, match="leaves of params"):
        check_param_gradients(lambda p: 0.0, params, {"V": np.ones((2, 2))})
