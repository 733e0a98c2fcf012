"""Gradient checking: compare an analytic gradient with centred finite differences.

Every backward pass in the course is trusted only after it agrees with
:func:`numerical_gradient`. The checks *raise* :class:`GradientCheckError` when they disagree,
so a test (or a learner's exercise) cannot pass with a wrong gradient by accident.

Examples
--------
>>> x = np.array([1.0, -2.0, 3.0])
>>> f = lambda x: float(np.sum(x ** 3))
>>> err = check_gradient(f, x, analytic=3 * x ** 2)
>>> err < 1e-8
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .tree import tree_leaves, tree_leaves_with_path, tree_unflatten_like
from .validation import check_finite_positive, check_float_array

__all__ = [
    "GradientCheckError",
    "numerical_gradient",
    "relative_error",
    "check_gradient",
    "check_param_gradients",
]

# Smallest denominator in relative_error: only stops 0/0, so two all-zero arrays agree exactly.
_TINY = np.finfo(np.float64).tiny


class GradientCheckError(AssertionError):
    """An analytic gradient disagrees with the finite-difference one.

    Attributes
    ----------
    name : str
        What was checked (e.g. ``"x"`` or ``"W_hh"``).
    index : tuple of int
        Where the two gradients differ the most.
    analytic, numerical : float
        The two values at ``index``.
    error : float
        The relative error of the whole array (see :func:`relative_error`).
    tol : float
        The tolerance it exceeded.
    """

    def __init__(self, message: str, *, name: str = "", index: tuple[int, ...] = (),
                 analytic: float = math.nan, numerical: float = math.nan,
                 error: float = math.nan, tol: float = math.nan) -> None:
        super().__init__(message)
        self.name = name
        self.index = index
        self.analytic = analytic
        self.numerical = numerical
        self.error = error
        self.tol = tol


def _scalar(value: Any, what: str) -> float:
    if np.ndim(value) != 0:
        raise TypeError(f"expected {what} to return a scalar, got an array of shape "
                        f"{np.shape(value)}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{what} returned {out}; finite differences need a finite loss")
    return out


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       h: float = 1e-5) -> np.ndarray:
    """Estimate the gradient of a scalar function by centred differences.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, the function to differentiate. It receives a fresh copy of ``x`` on
        every call, so it may keep or even modify what it is given.
    x : ndarray of any shape, floating dtype
        The point at which to differentiate. It is never modified. Use float64: in float32 the
        differences are mostly rounding noise.
    h : float, default 1e-5
        The step. For centred differences the truncation error is O(h**2) and the rounding
        error O(eps / h); with eps = 2.2e-16 they balance near h = eps**(1/3), about 1e-5.

    Returns
    -------
    ndarray of the same shape and dtype as x
        ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h)``.

    Notes
    -----
    It costs 2 * x.size calls of ``f``: fine for the small arrays of a test, not for training.
    """
    x = check_float_array("x", x)
    h = check_finite_positive("h", h)
    work = np.array(x, copy=True)  # perturbed in place, restored after each entry
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        original = work[idx]
        work[idx] = original + h
        f_plus = _scalar(f(work.copy()), "f")
        work[idx] = original - h
        f_minus = _scalar(f(work.copy()), "f")
        work[idx] = original
        grad[idx] = (f_plus - f_minus) / (2.0 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """The relative error between two arrays of the same shape.

    Parameters
    ----------
    a, b : ndarray of the same shape
        Typically an analytic and a numerical gradient.

    Returns
    -------
    float
        ``max_i |a_i - b_i| / max(max_i (|a_i| + |b_i|), tiny)``, with ``tiny`` the smallest
        positive float64. It is 0 for equal arrays (including two zero arrays), 1 when
        ``b = -a``, 1/3 when ``a = 2 b``.

    Notes
    -----
    The denominator is the scale of the *whole array*, not of each entry. An entrywise ratio
    ``|a_i - b_i| / (|a_i| + |b_i|)`` blows up on entries that are nearly zero, where the
    finite-difference estimate is pure rounding noise (about ``eps * |f| / h``, 1e-11 for
    ``|f| ~ 1``), and would fail correct gradients. Against the array's scale that noise is tiny,
    while a wrong sign or factor on any sizeable entry still gives an error of order 1.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"expected arrays of the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    diff = float(np.max(np.abs(a - b)))
    scale = float(np.max(np.abs(a) + np.abs(b)))
    return diff / max(scale, _TINY)


def _compare(analytic: np.ndarray, numerical: np.ndarray, tol: float,
             name: str) -> tuple[float, GradientCheckError | None]:
    """The relative error, and the error to raise if it exceeds ``tol``."""
    error = relative_error(analytic, numerical)
    if error <= tol:  # also False for nan, so a nan gradient fails
        return error, None
    diff = np.abs(np.asarray(analytic, np.float64) - np.asarray(numerical, np.float64))
    # nan entries first: they are the worst of all
    diff = np.where(np.isnan(diff), np.inf, diff)
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
    a_val, n_val = float(analytic[index]), float(numerical[index])
    message = (f"gradient check failed for {name}: relative error {error:.3e} > tol {tol:.1e}; "
               f"worst at index {index}: analytic {a_val:.10g}, numerical {n_val:.10g}")
    return error, GradientCheckError(message, name=name, index=index, analytic=a_val,
                                     numerical=n_val, error=error, tol=tol)


def check_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: np.ndarray,
                   tol: float = 1e-7, name: str = "x", h: float = 1e-5) -> float:
    """Check an analytic gradient against centred finite differences, raising if they disagree.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : ndarray of any shape, floating dtype (float64 recommended)
        The point of the check; not modified.
    analytic : ndarray of the same shape as x
        The gradient of ``f`` at ``x`` from your backward pass.
    tol : float, default 1e-7
        The largest acceptable :func:`relative_error`.
    name : str, default "x"
        What ``x`` is called, for the error message.
    h : float, default 1e-5
        The finite-difference step (see :func:`numerical_gradient`).

    Returns
    -------
    float
        The relative error, when it is at most ``tol``.

    Raises
    ------
    GradientCheckError
        If the error exceeds ``tol`` (or is nan); the message names the array, the worst index,
        both values there and the error.
    ValueError
        If ``analytic`` does not have the shape of ``x``.
    """
    x = check_float_array(name, x)
    analytic = np.asarray(analytic)
    if analytic.shape != x.shape:
        raise ValueError(f"expected the analytic gradient of {name} to have the shape of {name}, "
                         f"{x.shape}, got {analytic.shape}")
    tol = check_finite_positive("tol", tol)
    numerical = numerical_gradient(f, x, h)
    error, failure = _compare(analytic, numerical, tol, name)
    if failure is not None:
        raise failure
    return error


def check_param_gradients(loss_fn: Callable[[Any], float], params: Any, grads: Any,
                          tol: float = 1e-7, h: float = 1e-5) -> dict[str, float]:
    """Check every leaf of a gradient tree against finite differences of ``loss_fn``.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(params) -> float``, the loss as a function of the whole parameter tree.
    params : parameter tree (see :mod:`lstm_course.tree`)
        Where to check; not modified. Perturbed copies are built as new trees (dataclasses via
        :func:`dataclasses.replace`), so frozen dataclasses and their validation work.
    grads : parameter tree with the same structure as params
        The analytic gradient, e.g. ``dparams`` from a backward pass.
    tol : float, default 1e-7
        The largest acceptable :func:`relative_error` for each leaf.
    h : float, default 1e-5
        The finite-difference step.

    Returns
    -------
    dict of str to float
        ``{path: relative error}`` for every leaf, e.g. ``{"W_x": 3e-10, "b": 1e-11}``.

    Raises
    ------
    GradientCheckError
        If any leaf fails. All leaves are checked first; the message lists every failing one and
        the attributes describe the worst.
    ValueError
        If ``grads`` does not have the structure and shapes of ``params``.
    """
    tol = check_finite_positive("tol", tol)
    named_params = tree_leaves_with_path(params)
    named_grads = tree_leaves_with_path(grads)
    if [p for p, _ in named_params] != [p for p, _ in named_grads]:
        raise ValueError(f"expected grads with the leaves of params "
                         f"{[p for p, _ in named_params]}, got {[p for p, _ in named_grads]}")
    leaves = tree_leaves(params)
    errors: dict[str, float] = {}
    failures: list[GradientCheckError] = []
    for i, ((path, leaf), (_, grad)) in enumerate(zip(named_params, named_grads)):
        name = path or "params"
        if grad.shape != leaf.shape:
            raise ValueError(f"expected grads.{name} of shape {leaf.shape} like params.{name}, "
                             f"got {grad.shape}")

        def f(value: np.ndarray, i: int = i) -> float:
            new_leaves = list(leaves)
            new_leaves[i] = value
            return loss_fn(tree_unflatten_like(params, new_leaves))

        numerical = numerical_gradient(f, check_float_array(name, leaf), h)
        errors[name], failure = _compare(grad, numerical, tol, name)
        if failure is not None:
            failures.append(failure)
    if failures:
        worst = max(failures, key=lambda e: e.error if math.isfinite(e.error) else math.inf)
        lines = "\n  ".join(str(e) for e in failures)
        raise GradientCheckError(f"{len(failures)} of {len(errors)} gradients failed:\n  {lines}",
                                 name=worst.name, index=worst.index, analytic=worst.analytic,
                                 numerical=worst.numerical, error=worst.error, tol=tol)
    return errors
