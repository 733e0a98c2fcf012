"""Checks for lessons 01-03: the RNN step forward and backward, gradient clipping, and the
product of forget gates along the cell path."""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..optim import clip_grad_norm
from ..random_params import random_rnn_params
from ..rnn import rnn_step_backward, rnn_step_forward
from .core import (Case, call, case_rng, checker, close, describe, diagnose_components, diff_text,
                   expect_array, expect_scalar, fail, first_match, get_field, run_cases, safe_ndim,
                   safe_shape, unpack)
from .gates import random_shapes

__all__ = ["check_rnn_step_forward", "check_rnn_step_backward", "check_clip_grad_norm",
           "check_forget_product"]

RNN_SHAPES = ((4, 3, 5), (3, 5, 2), (2, 4, 3))  # (N, D, H): N > 1, D != H, no two sizes equal
RNN_SHAPE_HINT = ("x is (N, D), W_xh is (D, H), h_prev is (N, H) and W_hh is (H, H), so it is "
                  "x @ W_xh + h_prev @ W_hh + b_h")


def _rnn_cases(default, seed):
    rng = case_rng(default, seed)
    cases = []
    for N, D, H in (RNN_SHAPES if seed is None else random_shapes(rng, 3)):
        params = random_rnn_params(D, H, rng, scale=0.7)
        cases.append(Case(f"N={N}, D={D}, H={H}", params=params, x=rng.normal(size=(N, D)),
                          h_prev=np.tanh(rng.normal(size=(N, H))), dh=rng.normal(size=(N, H))))
    return cases


@checker
def check_rnn_step_forward(fn, seed=None):
    """Check fn(x, h_prev, params) -> (h, cache), h = tanh(x @ W_xh + h_prev @ W_hh + b_h) of shape
    (N, H); only h is compared.

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """

    def test(case):
        x, h_prev, p = case.x, case.h_prev, case.params
        ref = rnn_step_forward(x, h_prev, p)[0]
        out = call(fn, (x, h_prev, p), ("x", "h_prev", "params"), RNN_SHAPE_HINT)
        if isinstance(out, np.ndarray):
            fail("expected your function to return 2 values (h, cache), got a single array: return "
                 "h, cache (the cache holds what the backward pass needs, e.g. (x, h_prev, h, params))")
        h, _cache = unpack(out, ("h", "cache"))
        h = expect_array(h, "h", ref.shape, "(N, H)", ref)
        if close(h, ref):
            return
        a = x @ p.W_xh + h_prev @ p.W_hh + p.b_h
        variants = [
            ("h is not squashed: h = tanh(x @ W_xh + h_prev @ W_hh + b_h)", a),
            ("h is never negative: is it a sigmoid instead of a tanh?", sigmoid(a)),
            ("is that a ReLU? This RNN uses tanh", np.maximum(a, 0.0)),
            ("tanh is applied twice", np.tanh(np.tanh(a))),
            ("the bias b_h is missing", np.tanh(a - p.b_h)),
            ("h_prev's part (h_prev @ W_hh) is missing: the RNN must look at its previous state",
             np.tanh(x @ p.W_xh + p.b_h)),
            ("x's part (x @ W_xh) is missing", np.tanh(h_prev @ p.W_hh + p.b_h)),
            ("you used W_hh.T: weights are stored as (inputs, outputs), so it is h_prev @ W_hh",
             np.tanh(x @ p.W_xh + h_prev @ p.W_hh.T + p.b_h)),
            ("a sign error: your h is the negative of the right one", -ref),
        ]
        fail(first_match(h, variants, ref, "h")
             or f"h differs from tanh(x @ W_xh + h_prev @ W_hh + b_h): {diff_text(h, ref)}")

    return run_cases(_rnn_cases(101, seed), test)


def rnn_backward_model(dh, cache, deriv="ok", scale=1.0, dh_prev_T=True, dW_hh_T=False, sign=1.0):
    x, h_prev, h, p = cache.x, cache.h_prev, cache.h, cache.params
    d = {"ok": 1 - h ** 2, "none": 1.0, "no_square": 1 - h, "h_prev": 1 - h_prev ** 2,
         "sigmoid": h * (1 - h), "tanh_again": 1 - np.tanh(h) ** 2}[deriv]
    da = dh * d
    s = 1.0 / x.shape[0] if scale == "mean" else scale
    dW_hh = h_prev.T @ da
    out = {"dh_prev": da @ (p.W_hh.T if dh_prev_T else p.W_hh), "dx": da @ p.W_xh.T,
           "dparams.W_xh": x.T @ da * s, "dparams.W_hh": (dW_hh.T if dW_hh_T else dW_hh) * s,
           "dparams.b_h": da.sum(axis=0) * s}
    return {k: sign * v for k, v in out.items()}


RNN_BACKWARD_VARIANTS = [
    ("the gradient is missing tanh's derivative: da = dh * (1 - h**2)", {"deriv": "none"}),
    ("tanh's derivative is 1 - h**2: the square is missing", {"deriv": "no_square"}),
    ("tanh's derivative is taken at the new state: da = dh * (1 - h**2) with h, not h_prev",
     {"deriv": "h_prev"}),
    ("h * (1 - h) is the sigmoid's derivative: for tanh it is 1 - h**2", {"deriv": "sigmoid"}),
    ("h is already tanh(a): its derivative is 1 - h**2, not 1 - tanh(h)**2", {"deriv": "tanh_again"}),
    ("gradients averaged instead of summed over the batch: dparams must be sums over the N examples "
     "(any 1/N is already inside dh)", {"scale": "mean"}),
    ("dh_prev = da @ W_hh.T: you multiplied by W_hh without the transpose", {"dh_prev_T": False}),
    ("dparams.W_hh is transposed: dW_hh = h_prev.T @ da", {"dW_hh_T": True}),
    ("every gradient has the wrong sign: a sign error?", {"sign": -1.0}),
]


@checker
def check_rnn_step_backward(fn, seed=None):
    """Check fn(dh, cache) -> (dx, dh_prev, dparams), with `cache` from
    `lstm_course.rnn.rnn_step_forward`; dparams has fields W_xh, W_hh, b_h (summed over the batch).

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """

    def test(case):
        _, cache = rnn_step_forward(case.x, case.h_prev, case.params)
        dx, dh_prev, dparams = rnn_step_backward(case.dh, cache)
        ref = {"dh_prev": dh_prev, "dx": dx, "dparams.W_xh": dparams.W_xh,
               "dparams.W_hh": dparams.W_hh, "dparams.b_h": dparams.b_h}
        out = call(fn, (case.dh, cache), ("dh", "cache"),
                   "da is (N, H), W_xh is (D, H), W_hh is (H, H), x is (N, D)")
        g_dx, g_dh_prev, g_dparams = unpack(out, ("dx", "dh_prev", "dparams"))
        if safe_shape(g_dx) == dh_prev.shape and safe_shape(g_dh_prev) == dx.shape:
            fail("outputs swapped: dx and dh_prev are in each other's place; the order is "
                 "(dx, dh_prev, dparams)")
        fields = "an RNNParams (or any object or dict with fields W_xh, W_hh, b_h)"
        got = {"dh_prev": expect_array(g_dh_prev, "dh_prev", dh_prev.shape, "(N, H)"),
               "dx": expect_array(g_dx, "dx", dx.shape, "(N, D)")}
        for name, spec in (("W_xh", "(D, H)"), ("W_hh", "(H, H)"), ("b_h", "(H,)")):
            value = get_field(g_dparams, name, "dparams", fields)
            got[f"dparams.{name}"] = expect_array(value, f"dparams.{name}", ref[f"dparams.{name}"].shape,
                                                  spec, ref[f"dparams.{name}"])
        variants = [(hint, rnn_backward_model(case.dh, cache, **kw)) for hint, kw in RNN_BACKWARD_VARIANTS]
        message = diagnose_components(got, ref, variants, groups=(("dparams.", "dparams"),))
        if message is not None:
            fail(message)

    return run_cases(_rnn_cases(201, seed), test)


# ---------------------------------------------------------------------------------------
# Gradient clipping (lesson 02)

def _clip_cases(default, seed):
    rng = case_rng(default, seed)
    shapes = [(4, 3), (3,), (2, 5)] if seed is None else [tuple(int(v) for v in rng.integers(2, 6, k))
                                                          for k in (2, 1, 2)]
    big = [rng.normal(0.0, 1.0, s) for s in shapes]
    small = [rng.normal(0.0, 0.1, s) for s in shapes]
    lopsided = [rng.normal(0.0, 3.0, (3, 2)), rng.normal(0.0, 0.05, (2,))]
    norm = lambda gs: float(np.sqrt(sum(np.sum(g * g) for g in gs)))  # noqa: E731
    return [Case("3 arrays, norm above max_norm", grads=big, max_norm=0.5 * norm(big)),
            Case("3 arrays, norm below max_norm", grads=small, max_norm=2.0 * norm(small)),
            Case("2 arrays of very different sizes", grads=lopsided, max_norm=0.3 * norm(lopsided))]


def _clip(grads, max_norm, norm, always=False, invert=False):
    """Clipping with a chosen mistake (for the mistake models; the reference is optim.clip_grad_norm)."""
    if norm <= max_norm and not always:
        return [g.copy() for g in grads]
    scale = norm / max_norm if invert else max_norm / norm
    return [g * scale for g in grads]


def _clip_variants(grads, M, ref):
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    squares = norm ** 2
    summed = float(sum(np.linalg.norm(g) for g in grads))
    rms = float(np.sqrt(squares / sum(g.size for g in grads)))
    each = [_clip([g], M, float(np.linalg.norm(g)))[0] for g in grads]

    def as_dict(clipped, n):
        return {"norm": np.float64(n), **{f"clipped[{k}]": c for k, c in enumerate(clipped)}}

    return [
        ("you clipped each array by its own norm: clip them all together, by the global norm sqrt(sum "
         "of all squares)", as_dict(each, norm)),
        ("return the norm before clipping, not after", as_dict(_clip(grads, M, norm), min(norm, M))),
        ("you scaled gradients whose norm was already below max_norm: only scale when norm > max_norm",
         as_dict(_clip(grads, M, norm, always=True), norm)),
        ("the scale factor is max_norm / norm, not norm / max_norm",
         as_dict(_clip(grads, M, norm, invert=True), norm)),
        ("the norm is the square root of the sum of squares: the square root is missing",
         as_dict(_clip(grads, M, squares), squares)),
        ("the global norm is sqrt(sum of all squares), not the sum of each array's norm",
         as_dict(_clip(grads, M, summed), summed)),
        ("the global norm is the square root of the sum of squares, not of their mean",
         as_dict(_clip(grads, M, rms), rms)),
        ("that is value clipping (np.clip): norm clipping scales every array by max_norm / norm",
         as_dict([np.clip(g, -M, M) for g in grads], norm)),
    ]


# PyTorch's clip_grad_norm_ scales by max_norm / (norm + 1e-6): as right as ours, and accepted
PYTORCH_CLIP_EPS = 1e-6


@checker
def check_clip_grad_norm(fn, seed=None):
    """Check fn(grads, max_norm) -> (clipped, norm): grads a list of arrays, clipped a new list of
    arrays whose global norm is at most max_norm, norm the global norm before clipping.

    The scale max_norm / norm is expected; PyTorch's max_norm / (norm + 1e-6) is accepted too.

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """

    def test(case):
        grads, M = case.grads, case.max_norm
        items = list(grads)
        clipped_ref, norm = clip_grad_norm(list(grads), M)  # the reference: the package's own
        ref = {"norm": np.float64(norm), **{f"clipped[{k}]": c for k, c in enumerate(clipped_ref)}}
        out = call(fn, (grads, M), ("grads", "max_norm"))
        if len(grads) != len(items) or any(a is not b for a, b in zip(grads, items)):
            fail("your function changed the list grads (replaced, added or removed items): build and "
                 "return a new list")
        clipped, got_norm = unpack(out, ("clipped", "norm"))
        if safe_ndim(clipped) == 0 and isinstance(got_norm, (list, tuple)):
            fail("outputs swapped: you returned (norm, clipped); the order is (clipped, norm)")
        if isinstance(clipped, np.ndarray) or not isinstance(clipped, (list, tuple)):
            fail(f"expected clipped to be a list with one array per gradient, got {describe(clipped)}")
        if len(clipped) != len(grads):
            fail(f"expected clipped to hold {len(grads)} arrays, one per gradient, got {len(clipped)}")
        got = {"norm": expect_scalar(got_norm, "norm", ": return the global norm of all the gradients "
                                     "together")}
        for k, (c, g) in enumerate(zip(clipped, grads)):
            got[f"clipped[{k}]"] = expect_array(c, f"clipped[{k}]", g.shape, f"like grads[{k}]")
        if norm > M:  # PyTorch's convention, also right
            torch_style = [g * (M / (norm + PYTORCH_CLIP_EPS)) for g in grads]
            if all(close(got[f"clipped[{k}]"], c) for k, c in enumerate(torch_style)) and \
                    close(got["norm"], ref["norm"]):
                return
        message = diagnose_components(got, ref, _clip_variants(grads, M, ref))
        if message is not None:
            fail(message)

    return run_cases(_clip_cases(301, seed), test)


# ---------------------------------------------------------------------------------------
# The cell path's gradient (lesson 03)

@checker
def check_forget_product(fn, seed=None):
    """Check fn(f) -> d c_T / d c_0 along the cell path: the product of the forget gates over time.
    f has shape (T, N, H); the result has shape (N, H).

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """
    rng = case_rng(303, seed)
    shapes = ((5, 3, 4), (4, 2, 3), (6, 4, 2)) if seed is None else random_shapes(rng, 3, "TNH")
    cases = [Case(f"T={T}, N={N}, H={H}", f=rng.uniform(0.4, 1.0, (T, N, H))) for T, N, H in shapes]

    def test(case):
        f = case.f
        ref = np.prod(f, axis=0)
        out = call(fn, (f,), ("f",))
        arr = np.asarray(out) if isinstance(out, np.ndarray) else None
        if arr is not None and arr.shape != ref.shape:
            if arr.shape == f.shape and close(arr, np.cumprod(f, axis=0)):
                fail(f"you returned the running product for every step (shape {arr.shape}): return "
                     f"only the product over all T steps, shape (N, H) = {ref.shape}")
            for axis in (1, 2):
                if close(arr, np.prod(f, axis=axis)):
                    fail("you multiplied over the wrong axis: time is axis 0 (f has shape (T, N, H))")
        got = expect_array(out, "the product", ref.shape, "(N, H)", ref, returned=True)
        if close(got, ref):
            return
        variants = [
            ("you added the forget gates: each step multiplies the gradient by f_t, so it is a product",
             f.sum(axis=0)),
            ("you averaged the forget gates: each step multiplies the gradient by f_t, so it is a product",
             f.mean(axis=0)),
            ("you multiplied 1 - f_t: the cell keeps f_t * c_(t-1), so the gradient keeps a factor f_t",
             np.prod(1 - f, axis=0)),
            ("one forget gate short: the product runs over all T steps, f_1 to f_T", np.prod(f[1:], axis=0)),
            ("one forget gate short: the product runs over all T steps, f_1 to f_T", np.prod(f[:-1], axis=0)),
            ("only one forget gate: multiply all T of them", f[-1]),
            ("only one forget gate: multiply all T of them", f[0]),
            ("there is no sigmoid derivative on the cell path: c_t depends on c_(t-1) through "
             "f_t * c_(t-1) only", np.prod(f * (1 - f), axis=0)),
        ]
        fail(first_match(got, variants, ref, "the product") or f"the product differs from f_1 * f_2 * ... * f_T: "
             f"{diff_text(got, ref)}")

    return run_cases(cases, test)
