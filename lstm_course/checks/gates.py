"""Checks for the pieces of one LSTM step: the four layers, the cell update, the hidden state.

Learner functions take the package's `LSTMParams` and use its named weights, e.g. the forget
gate is sigmoid(x @ params.W_xf + h_prev @ params.W_hf + params.b_f).
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from ..lstm import lstm_step_forward
from ..random_params import random_lstm_params as _package_random_lstm_params
from .core import Case, call, case_rng, checker, close, diff_text, expect_array, fail, first_match, run_cases

__all__ = ["check_forget_gate", "check_input_gate", "check_candidate", "check_output_gate",
           "check_cell_update", "check_hidden_state"]

LSTM_SHAPES = ((4, 3, 5), (3, 5, 2), (2, 4, 3))  # (N, D, H): N > 1, D != H, no two sizes equal
LAYERS = {"i": "input gate", "f": "forget gate", "g": "candidate", "o": "output gate"}
ACTIVATIONS = {"i": sigmoid, "f": sigmoid, "g": np.tanh, "o": sigmoid}


def random_lstm_params(rng, D, H, scale=0.7):
    """Non-zero weights and biases, large enough that sigmoid, tanh and identity differ clearly:
    the package's `random_params.random_lstm_params` (test data for the checks, not the model's
    initialisation, whose zero biases would hide a missing bias)."""
    return _package_random_lstm_params(D, H, rng, scale=scale)


def random_shapes(rng, count, letters="NDH"):
    """`count` tuples of distinct sizes in 2..6 (N > 1, D != H, so transposes show)."""
    shapes = []
    for _ in range(count):
        shapes.append(tuple(int(v) for v in rng.choice(np.arange(2, 7), size=len(letters), replace=False)))
    return tuple(shapes)


def lstm_cases(default, seed=None):
    """Three cases of (x, h_prev, c_prev, params) with non-zero states; fixed when seed is None."""
    rng = case_rng(default, seed)
    cases = []
    for N, D, H in (LSTM_SHAPES if seed is None else random_shapes(rng, 3)):
        params = random_lstm_params(rng, D, H)
        cases.append(Case(f"N={N}, D={D}, H={H}", params=params, x=rng.normal(size=(N, D)),
                          h_prev=np.tanh(rng.normal(size=(N, H))),
                          c_prev=rng.normal(0.0, 1.5, (N, H))))
    return cases


def pre_activation(x, h_prev, params, k, bias=True, use_h=True, use_x=True, W_h_T=False):
    """a = x @ W_xk + h_prev @ W_hk + b_k for layer k in "ifgo", with parts optionally left out.

    For the mistake models only: every reference comes from `lstm_course.lstm`.
    """
    W_h = getattr(params, f"W_h{k}")
    a = np.zeros((x.shape[0], params.H))
    if use_x:
        a = a + x @ getattr(params, f"W_x{k}")
    if use_h:
        a = a + h_prev @ (W_h.T if W_h_T else W_h)
    if bias:
        a = a + getattr(params, f"b_{k}")
    return a


def layer_shape_hint(k, case):
    N, D = case.x.shape
    H = case.params.H
    return (f"x is (N, D) = ({N}, {D}), W_x{k} is (D, H) = ({D}, {H}), h_prev is (N, H) = ({N}, {H}) "
            f"and W_h{k} is (H, H) = ({H}, {H}), so it is x @ W_x{k} + h_prev @ W_h{k} + b_{k}")


def _layer_variants(k, x, h_prev, p):
    """Known mistakes for layer k, as (hint, output) pairs."""
    label, act = LAYERS[k], ACTIVATIONS[k]
    a = pre_activation(x, h_prev, p, k)
    mine = f"W_x{k}, W_h{k} and b_{k}"
    if act is sigmoid:
        wrong_act = (f"your {label} gives values below 0: is it a tanh instead of a sigmoid? A gate lies "
                     "between 0 (let nothing through) and 1 (let everything through)", np.tanh(a))
        raw = f"your {label} is the raw pre-activation: apply the sigmoid"
        sign = f"your {label} is 1 minus the right one: a sign error in the pre-activation?"
    else:
        wrong_act = (f"your {label} is never negative: is it a sigmoid instead of a tanh? The "
                     "candidate proposes values between -1 and 1", sigmoid(a))
        raw = f"your {label} is the raw pre-activation: apply tanh"
        sign = f"your {label} has the wrong sign: a sign error in the pre-activation?"
    variants = [wrong_act, (raw, a), (f"the {act.__name__} is applied twice", act(act(a))),
                (sign, act(-a))]
    for j in LAYERS:
        if j != k:
            a_j = pre_activation(x, h_prev, p, j)
            hint = (f"your {label} uses the weights of the {LAYERS[j]} (W_x{j}, W_h{j}, b_{j}): the "
                    f"{label} has its own, {mine}")
            variants += [(hint, act(a_j)), (hint, ACTIVATIONS[j](a_j))]
    variants += [
        (f"the bias b_{k} is missing: a = x @ W_x{k} + h_prev @ W_h{k} + b_{k}",
         act(pre_activation(x, h_prev, p, k, bias=False))),
        (f"h_prev's part (h_prev @ W_h{k}) is missing: the {label} looks at the previous hidden "
         "state as well as at x", act(pre_activation(x, h_prev, p, k, use_h=False))),
        (f"x's part (x @ W_x{k}) is missing: the {label} looks at the input as well as at h_prev",
         act(pre_activation(x, h_prev, p, k, use_x=False))),
        (f"you used W_h{k}.T: weights are stored as (inputs, outputs), so it is h_prev @ W_h{k}",
         act(pre_activation(x, h_prev, p, k, W_h_T=True))),
    ]
    return variants


def _range_hint(k, got):
    label = LAYERS[k]
    if ACTIVATIONS[k] is sigmoid:
        if got.min() < 0:
            return (f"your {label} gives values below 0: is it a tanh instead of a sigmoid? A gate "
                    "lies between 0 (let nothing through) and 1 (let everything through)")
        if got.max() > 1:
            return f"your {label} gives values above 1: did you apply the sigmoid?"
    else:
        if got.min() >= 0:
            return f"your {label} is never negative: is it a sigmoid instead of a tanh?"
        if np.abs(got).max() > 1:
            return f"your {label} has values outside (-1, 1): did you apply tanh?"
    return None


def check_layer(fn, k, default, seed):
    """The body shared by the four layer checks: fn(x, h_prev, params) -> (N, H)."""
    act_name = ACTIVATIONS[k].__name__

    def test(case):
        x, h_prev, p = case.x, case.h_prev, case.params
        ref = getattr(lstm_step_forward(x, h_prev, case.c_prev, p)[2], k)  # the gate, from the package
        out = call(fn, (x, h_prev, p), ("x", "h_prev", "params"), layer_shape_hint(k, case))
        got = expect_array(out, f"your {LAYERS[k]}", ref.shape, "(N, H)", ref, returned=True)
        if close(got, ref):
            return
        fail(first_match(got, _layer_variants(k, x, h_prev, p), ref, f"your {LAYERS[k]}")
             or _range_hint(k, got)
             or f"your {LAYERS[k]} differs from {act_name}(x @ W_x{k} + h_prev @ W_h{k} + b_{k}): "
                f"{diff_text(got, ref)}")

    return run_cases(lstm_cases(default, seed), test)


@checker
def check_forget_gate(fn, seed=None):
    """Check fn(x, h_prev, params) -> f = sigmoid(x @ W_xf + h_prev @ W_hf + b_f), shape (N, H).

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """
    return check_layer(fn, "f", 401, seed)


@checker
def check_input_gate(fn, seed=None):
    """Check fn(x, h_prev, params) -> i = sigmoid(x @ W_xi + h_prev @ W_hi + b_i), shape (N, H).

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """
    return check_layer(fn, "i", 501, seed)


@checker
def check_candidate(fn, seed=None):
    """Check fn(x, h_prev, params) -> g = tanh(x @ W_xg + h_prev @ W_hg + b_g), shape (N, H).

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """
    return check_layer(fn, "g", 502, seed)


@checker
def check_output_gate(fn, seed=None):
    """Check fn(x, h_prev, params) -> o = sigmoid(x @ W_xo + h_prev @ W_ho + b_o), shape (N, H).

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """
    return check_layer(fn, "o", 701, seed)


# ---------------------------------------------------------------------------------------
# The cell update and the hidden state

STATE_SHAPES = ((4, 5), (3, 2), (2, 3))  # (N, H), N != H
ELEMENTWISE = "the gates act element by element: use *, not @ or np.dot"


def _state_cases(default, seed):
    rng = case_rng(default, seed)
    cases = []
    for N, H in (STATE_SHAPES if seed is None else random_shapes(rng, 3, "NH")):
        gate = lambda: rng.uniform(0.05, 0.95, (N, H))  # noqa: E731
        cases.append(Case(f"N={N}, H={H}", f=gate(), i=gate(), o=gate(),
                          g=rng.uniform(-0.95, 0.95, (N, H)), c_prev=rng.normal(0.0, 1.5, (N, H)),
                          c=rng.normal(0.0, 1.5, (N, H))))
    return cases


@checker
def check_cell_update(fn, seed=None):
    """Check fn(f, i, g, c_prev) -> c = f * c_prev + i * g, all of shape (N, H).

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """

    def test(case):
        f, i, g, c_prev = case.f, case.i, case.g, case.c_prev
        ref = f * c_prev + i * g
        out = call(fn, (f, i, g, c_prev), ("f", "i", "g", "c_prev"), ELEMENTWISE)
        got = expect_array(out, "c", ref.shape, "(N, H)", ref, returned=True)
        if close(got, ref):
            return
        variants = [
            ("you swapped the gates: the forget gate f scales the old cell c_prev, the input gate i "
             "scales the candidate g", i * c_prev + f * g),
            ("you squashed c with tanh: the cell state is not squashed, c = f * c_prev + i * g (tanh "
             "comes later, in h)", np.tanh(ref)),
            ("c_prev is not multiplied by the forget gate f", c_prev + i * g),
            ("the candidate g is not scaled by the input gate i", f * c_prev + g),
            ("the old cell state is missing: c = f * c_prev + i * g keeps a fraction f of it", i * g),
            ("the new information i * g is missing: c = f * c_prev + i * g", f * c_prev),
            ("you used 1 - f: f says how much to keep, so it multiplies c_prev directly",
             (1 - f) * c_prev + i * g),
            ("you used 1 - f in place of the input gate: this LSTM has its own input gate i",
             f * c_prev + (1 - f) * g),
            ("a sign error: c = f * c_prev + i * g", f * c_prev - i * g),
            ("a sign error: c = f * c_prev + i * g", -ref),
        ]
        fail(first_match(got, variants, ref, "c") or f"c differs from f * c_prev + i * g: {diff_text(got, ref)}")

    return run_cases(_state_cases(601, seed), test)


@checker
def check_hidden_state(fn, seed=None):
    """Check fn(o, c) -> h = o * tanh(c), all of shape (N, H).

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """

    def test(case):
        o, c = case.o, case.c
        ref = o * np.tanh(c)
        out = call(fn, (o, c), ("o", "c"), ELEMENTWISE)
        got = expect_array(out, "h", ref.shape, "(N, H)", ref, returned=True)
        if close(got, ref):
            return
        variants = [
            ("h is o * c: did you apply tanh to c before the output gate? h = o * tanh(c)", o * c),
            ("tanh is applied after the gate: h = o * tanh(c), not tanh(o * c)", np.tanh(o * c)),
            ("tanh is applied twice: h = o * tanh(c)", o * np.tanh(np.tanh(c))),
            ("the output gate is missing: h = o * tanh(c)", np.tanh(c)),
            ("sigmoid instead of tanh on c: h = o * tanh(c)", o * sigmoid(c)),
            ("you used 1 - o: the output gate says how much to show, h = o * tanh(c)",
             (1 - o) * np.tanh(c)),
            ("multiply, don't add: h = o * tanh(c)", o + np.tanh(c)),
            ("a sign error: h = o * tanh(c)", -ref),
        ]
        fail(first_match(got, variants, ref, "h") or f"h differs from o * tanh(c): {diff_text(got, ref)}")

    return run_cases(_state_cases(702, seed), test)
