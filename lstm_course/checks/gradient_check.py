"""Check for a learner's own gradient check (lesson 09).

The learner writes

    grad_check(f, x, analytic_grad, eps=1e-5) -> float

which estimates the gradient of the scalar function f at x by centred differences, one entry
at a time, (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), and returns the relative error between
that estimate n and analytic_grad a:

    max_i |a_i - n_i| / max_i (|a_i| + |n_i|)

(the largest difference against the scale of the whole array, as
`lstm_course.gradcheck.relative_error`; the norm version ||a - n|| / (||a|| + ||n||) is accepted
too). x must be left as it was found.

The check feeds it correct gradients, which must score at most 1e-7, and gradients with planted
bugs, whose score must be the relative error above (within 2 %). It watches every call of f
(which points, which dtype) to say what went wrong: one-sided differences, an eps too small or
too large or ignored, several entries moved at once, float32, x changed and not restored, an
entrywise ratio with no floor (0/0 where the gradient is 0), an absolute error.
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient, relative_error
from ..lstm import lstm_backward, lstm_forward
from .core import Case, call, case_rng, checker, expect_scalar, fail, low_precision, run_cases
from .gates import random_lstm_params

__all__ = ["check_gradient_check", "GRADIENT_CHECK_TOL"]

GRADIENT_CHECK_TOL = 1e-7  # a correct float64 gradient scores ~1e-10; the course's threshold
PLANTED_RTOL = 0.02  # a planted bug's score is dominated by the bug, not by round-off


class RecordingFunction:
    """The scalar function handed to the learner: records where it was evaluated and in which dtype."""

    def __init__(self, fn, label):
        self.fn = fn
        self.label = label
        self.calls = []  # (copy of the point, its dtype)

    def __call__(self, x):
        arr = np.asarray(x)
        self.calls.append((np.array(arr, dtype=np.float64, copy=True), arr.dtype))
        return float(self.fn(arr))


# ---------------------------------------------------------------------------------------
# The functions and their gradients: small classes, so that they can be pickled (a grader may
# run the learner's function in another process)

class _Smooth:
    """sum(sin(x) x^2 w) + (sum(x w))^2 / 2, times `scale`."""

    def __init__(self, rng, shape, scale=1.0):
        self.w, self.scale = rng.normal(size=shape), scale

    def __call__(self, x):
        return self.scale * (np.sum(np.sin(x) * x ** 2 * self.w) + 0.5 * np.sum(x * self.w) ** 2)

    def grad(self, x):
        return self.scale * ((np.cos(x) * x ** 2 + 2 * x * np.sin(x)) * self.w + np.sum(x * self.w) * self.w)


class _ExactZeros:
    """Reads only the first column of x: the gradient of every other entry is exactly 0."""

    def __init__(self, rng, shape):
        self.w = rng.normal(size=shape[0])

    def __call__(self, x):
        return np.sum(self.w * x[:, 0] ** 3)

    def grad(self, x):
        g = np.zeros_like(x)
        g[:, 0] = 3 * self.w * x[:, 0] ** 2
        return g


class _NoisyZeros:
    """(x + 100) - x is 100 in exact arithmetic, not in floating point: a zero gradient whose
    finite-difference estimate is round-off noise, as for an entry a loss barely uses."""

    def __init__(self, rng, shape):
        self.w = rng.uniform(1.0, 2.0, size=shape[0]) * rng.choice([-1.0, 1.0], size=shape[0])

    def __call__(self, x):
        return np.sum(self.w * np.tanh(x[:, 0])) + np.sum((x[:, 1:] + 100.0) - x[:, 1:])

    def grad(self, x):
        g = np.zeros_like(x)
        g[:, 0] = self.w * (1 - np.tanh(x[:, 0]) ** 2)
        return g


class _LSTMInitialState:
    """The loss sum(w * h) of a small LSTM as a function of its initial state h0 (N, H)."""

    def __init__(self, rng, shape):
        N, H = shape
        T, D = 3, 2
        self.params = random_lstm_params(rng, D, H, scale=0.6)
        self.x, self.c0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
        self.w = rng.normal(size=(N, T, H))

    def __call__(self, h0):
        return np.sum(self.w * lstm_forward(self.x, h0, self.c0, self.params)[0])

    def grad(self, h0):
        return lstm_backward(self.w, lstm_forward(self.x, h0, self.c0, self.params)[2])[1]


def _smooth(rng, shape):
    return _Smooth(rng, shape)


def _large(rng, shape):
    return _Smooth(rng, shape, scale=1e4)


_exact_zeros, _noisy_zeros, _lstm_h0 = _ExactZeros, _NoisyZeros, _LSTMInitialState


def _one_entry_off(g):
    """1 % off in an entry of middling size (so that the entrywise and the array-scaled error differ)."""
    bad = g.copy()
    idx = np.unravel_index(int(np.argsort(np.abs(g), axis=None)[g.size // 2]), g.shape)
    bad[idx] *= 1.01
    return bad


def _cases(default, seed):
    rng = case_rng(default, seed)
    specs = [  # (label, maker, shape, bug, eps): eps None means "call with your default eps"
        ("a correct gradient", _smooth, (3, 4), None, 1e-5),
        ("a correct gradient, your default eps", _smooth, (2, 3), None, None),
        ("a correct gradient of an LSTM loss with respect to h0", _lstm_h0, (2, 3), None, 1e-5),
        ("a correct gradient with exact zeros", _exact_zeros, (3, 3), None, 1e-5),
        ("a correct gradient of 0 whose estimate is round-off noise", _noisy_zeros, (3, 3), None, 1e-5),
        ("a correct gradient of a function of size 1e4", _large, (2, 3), None, 1e-6),
        ("a planted bug: one entry 1% off", _smooth, (3, 4), "one_entry", 1e-5),
        ("a planted bug: the wrong sign", _lstm_h0, (3, 2), "sign", 1e-5),
        ("a planted bug: twice the gradient", _smooth, (2, 5), "double", 1e-6),
    ]
    cases = []
    for label, maker, shape, bug, eps in specs:
        f = maker(rng, shape)
        x = rng.normal(size=shape)
        g = f.grad(x)
        if bug == "one_entry":
            g = _one_entry_off(g)
        elif bug == "sign":
            g = -g
        elif bug == "double":
            g = 2 * g
        cases.append(Case(label, f=f, x=x, grad=g, eps=eps, bug=bug))
    return cases


# ---------------------------------------------------------------------------------------
# What the learner's function did, seen from the calls of f

def _norm_error(a, n):
    denom = np.linalg.norm(a) + np.linalg.norm(n)
    return float(np.linalg.norm(a - n) / denom) if denom > 0 else 0.0


def _entrywise(a, n, floor=0.0):
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)))


def _steps(recorder, x):
    """For every call of f: how many entries moved, and by how much (signed), as a list."""
    out = []
    for point, _ in recorder.calls:
        if point.shape != x.shape:
            out.append((None, None))
            continue
        moved = np.flatnonzero(point != x)
        out.append((len(moved), (point - x).ravel()[moved] if len(moved) else np.zeros(0)))
    return out


def _call_hint(recorder, x, eps):
    """A message about how f was called, or None if the calls look like centred differences."""
    short = [np.dtype(d).name for _, d in recorder.calls if np.dtype(d).kind == "f" and np.dtype(d).itemsize < 8]
    if short:
        name = short[0]
        return (f"f was evaluated on {name} arrays: {name} keeps about 7 significant digits, so "
                "f(x + eps) - f(x - eps) is mostly rounding noise (1e-7 * |f| / eps, about 1e-2 here); "
                "keep x and every perturbed copy in float64")
    steps = _steps(recorder, x)
    if not steps:  # never called here (or called in another process): judge by the value alone
        return None
    if any(count is None for count, _ in steps):
        return f"f was called with an array of another shape than x {x.shape}: perturb a copy of x itself"
    if any(count > 1 for count, _ in steps):
        return ("f was called with several entries of x moved at once: perturb one entry at a time, "
                "x[idx] + eps for each idx in np.ndindex(x.shape), so that each difference measures one "
                "partial derivative")
    moves = np.concatenate([d for count, d in steps if count]) if any(c for c, _ in steps) else np.zeros(0)
    if moves.size == 0:
        return "f was only ever called at x itself: move one entry by +eps and by -eps each time"
    size = float(np.median(np.abs(moves)))
    if eps is not None and not np.isclose(size, eps, rtol=0.05):
        if size < 1e-8:
            return (f"your step is {size:.0e}, too small: f(x + eps) - f(x - eps) is then mostly round-off "
                    f"(about 1e-16 * |f| / eps); use the eps you are given ({eps:g}), around 1e-5 in float64")
        if size > 1e-3:
            return (f"your step is {size:.0e}, too large: the centred difference is off by O(eps**2) of the "
                    f"third derivative; use the eps you are given ({eps:g})")
        return f"you ignored the eps argument (your step is {size:.1e}, the call asked for {eps:g})"
    if eps is None and not 1e-7 <= size <= 1e-3:
        return (f"your default eps is {size:.0e}: in float64 the error of a centred difference is smallest "
                "near eps = 1e-5 (round-off grows like 1/eps, truncation like eps**2)")
    n_entries = x.size
    plus = np.sum(moves > 0)
    minus = np.sum(moves < 0)
    if minus == 0 and plus >= n_entries:
        return ("one-sided differences: you compared f(x + eps) with f(x); the centred difference "
                "(f(x + eps) - f(x - eps)) / (2 eps) is accurate to O(eps**2) instead of O(eps), which a "
                "1e-7 tolerance needs")
    if plus < n_entries or minus < n_entries:
        return (f"f was evaluated at x + eps in {plus} entries and at x - eps in {minus}, but x has "
                f"{n_entries} entries: estimate every entry of the gradient")
    return None


def _value_hint(value, case, ours, eps):
    """A message about the number returned, compared with what known mistakes give."""
    f, x, a = case.f, case.x, case.grad
    n = numerical_gradient(f, x, eps or 1e-5)
    entrywise = ("you divided entry by entry, |a - n| / (|a| + |n|), with no floor or a tiny one: where "
                 "the gradient is 0 that is 0/0 or round-off over round-off (up to 1). Divide by the "
                 "scale of the whole array, max(|a| + |n|) over all entries, as "
                 "gradcheck.relative_error does")
    variants = [
        (entrywise, _entrywise(a, n)),
        (entrywise, _entrywise(a, n, 1e-8)),
        ("that is the absolute error max |a - n|: divide by the scale, max(|a| + |n|), so that the "
         "error means the same for a gradient of size 1e-3 and one of size 1e4",
         float(np.max(np.abs(a - n)))),
        ("you averaged the entries' differences: the error is the largest one, max |a - n| / max(|a| "
         "+ |n|), so that a single wrong entry shows", float(np.mean(np.abs(a - n)) / np.max(np.abs(a) + np.abs(n)))),
        ("your denominator is the analytic gradient's size alone: divide by max(|a| + |n|), both "
         "gradients together, so that the error is symmetric and at most 1",
         float(np.max(np.abs(a - n)) / np.max(np.abs(a)))),
        ("your denominator is max(max |a|, max |n|): divide by max(|a| + |n|), the largest sum of the "
         "two", float(np.max(np.abs(a - n)) / max(np.max(np.abs(a)), np.max(np.abs(n))))),
        ("the centred difference divides by 2 eps, not eps: (f(x + eps) - f(x - eps)) / (2 eps)",
         relative_error(a, 2 * n)),
        ("use the absolute value: the error is max |a - n| / ..., never negative",
         -ours),
    ]
    if value is not None and np.isnan(value):
        return entrywise
    for hint, v in variants:
        if np.isnan(v) or (abs(v - ours) <= PLANTED_RTOL * max(abs(ours), 1e-300) and case.bug is not None):
            continue
        if np.isfinite(v) and abs(value - v) <= PLANTED_RTOL * max(abs(v), GRADIENT_CHECK_TOL):
            return hint
    return None


@checker
def check_gradient_check(fn, seed=None):
    """Check fn(f, x, analytic_grad, eps=1e-5) -> relative error, your gradient check.

    f(x) -> float is a scalar function; x an ndarray (float64, any shape); analytic_grad an array
    of x's shape. Your function estimates the gradient of f at x by centred differences, one
    entry at a time, (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), leaves x as it was, and returns
    the relative error max_i |a_i - n_i| / max_i (|a_i| + |n_i|) between analytic_grad a and the
    estimate n (the norm form ||a - n|| / (||a|| + ||n||) is accepted too).

    Correct gradients must score at most 1e-7, planted bugs their relative error (within 2 %).

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """

    def test(case):
        recorder = RecordingFunction(case.f, case.label)
        x, grad, eps = case.x, case.grad, case.eps
        args = (recorder, x, grad) if eps is None else (recorder, x, grad, eps)
        names = ("f", "x", "analytic_grad", "eps")[:len(args)]
        out = call(fn, args, names, in_place_hint=(
            " and did not put it back: keep the old value, old = x[idx], and restore it with "
            "x[idx] = old after the two evaluations (adding and subtracting eps does not always give "
            "back the same float), or perturb a copy"))
        if isinstance(out, np.ndarray) and out.shape == x.shape:
            fail("you returned an array of x's shape (the numerical gradient?): return one number, the "
                 "relative error between analytic_grad and your estimate")
        value = expect_scalar(out, "the relative error",
                              ": return one number, the largest relative difference")
        hint = _call_hint(recorder, x, eps)
        if hint is None and low_precision(value) is not None:
            hint = (f"you returned a {low_precision(value)} number: compute in float64, as float32 "
                    "differences of f are mostly rounding noise")
        n = numerical_gradient(case.f, x, eps or 1e-5)
        ours = relative_error(grad, n)
        accepted = [ours, _norm_error(grad, n)]
        if case.bug is None:
            ok = np.isfinite(value) and 0 <= value <= GRADIENT_CHECK_TOL
        else:
            ok = np.isfinite(value) and any(abs(value - v) <= PLANTED_RTOL * v for v in accepted)
        if ok and hint is None:
            return
        hint = hint or _value_hint(value, case, ours, eps)
        if hint is None:
            if case.bug is None:
                hint = (f"on a correct gradient your function reported {value:.3g}, above the tolerance "
                        f"{GRADIENT_CHECK_TOL:g} (expected about {ours:.1e})")
            else:
                hint = (f"on a planted bug your function reported {value:.3g}, expected {ours:.4g}, the "
                        "relative error max |a - n| / max(|a| + |n|)")
        fail(hint)

    cases = _cases(1401, seed)
    run_cases(cases, test)
    return f"all {len(cases)} cases right: correct gradients below {GRADIENT_CHECK_TOL:g}, planted bugs caught"

