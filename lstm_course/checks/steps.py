"""Checks for a whole LSTM step, forward and backward.

The forward check compares h and c (the cache may be anything). The backward check calls the
learner's function on the cache of `lstm_course.lstm.lstm_step_forward`, and compares dx,
dh_prev, dc_prev and all twelve fields of dparams.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..activations import sigmoid
from ..lstm import LSTMParams, lstm_step_backward, lstm_step_forward
from .core import (VARIANT_RTOL, call, case_rng, checker, close, diagnose_components, diff_text,
                   expect_array, fail, first_match, get_field, precision_hint, run_cases, unpack)
from .gates import LAYERS, lstm_cases, pre_activation

__all__ = ["check_lstm_step_forward", "check_lstm_step_backward"]

PARAM_FIELDS = tuple(f.name for f in LSTMParams.__dataclass_fields__.values())
_IDENTITY = lambda a: a  # noqa: E731


def step_model(x, h_prev, c_prev, p, acts=None, weights="ifgo", cell="ok", hidden="ok", **parts):
    """(h, c) of one step with a chosen mistake. `weights[n]` is whose weights layer "ifgo"[n]
    uses; `parts` are passed to `pre_activation` (bias=False, use_h=False, ...)."""
    act = {"i": sigmoid, "f": sigmoid, "g": np.tanh, "o": sigmoid, **(acts or {})}
    z = {k: act[k](pre_activation(x, h_prev, p, w, **parts)) for k, w in zip("ifgo", weights)}
    i, f, g, o = z["i"], z["f"], z["g"], z["o"]
    c = {"ok": f * c_prev + i * g, "swap": i * c_prev + f * g, "tanh": np.tanh(f * c_prev + i * g),
         "no_f": c_prev + i * g, "no_i": f * c_prev + g, "no_c_prev": i * g,
         "one_minus_f": (1 - f) * c_prev + i * g, "minus": f * c_prev - i * g}[cell]
    h = {"ok": o * np.tanh(c), "no_tanh": o * c, "tanh_twice": o * np.tanh(np.tanh(c)),
         "c_prev": o * np.tanh(c_prev), "no_o": np.tanh(c), "tanh_after": np.tanh(o * c),
         "sigmoid": o * sigmoid(c)}[hidden]
    return h, c


def _forward_variants():
    """Known mistakes as (hint, keyword arguments of `step_model`)."""
    c_right = "c is right but h is not: "
    variants = []
    for k in "ifo":
        prefix = c_right if k == "o" else ""
        variants.append((f"{prefix}your {LAYERS[k]} gives values below 0: is it a tanh instead of a "
                         "sigmoid?", {"acts": {k: np.tanh}}))
        variants.append((f"{prefix}your {LAYERS[k]} has no sigmoid", {"acts": {k: _IDENTITY}}))
    variants += [
        ("your candidate is never negative: is it a sigmoid instead of a tanh?", {"acts": {"g": sigmoid}}),
        ("your candidate has no tanh: g = tanh(x @ W_xg + h_prev @ W_hg + b_g)", {"acts": {"g": _IDENTITY}}),
        ("you swapped the input and forget gates: c = f * c_prev + i * g (f keeps the old, i writes "
         "the new)", {"cell": "swap"}),
        ("you squashed c with tanh: the cell state is not squashed, c = f * c_prev + i * g; tanh is "
         "only for h", {"cell": "tanh"}),
        ("c_prev is not multiplied by the forget gate: c = f * c_prev + i * g", {"cell": "no_f"}),
        ("the candidate is not scaled by the input gate: c = f * c_prev + i * g", {"cell": "no_i"}),
        ("c has lost the old cell state: c = f * c_prev + i * g", {"cell": "no_c_prev"}),
        ("you used 1 - f: f says how much of c_prev to keep", {"cell": "one_minus_f"}),
        ("a sign error in the cell update: c = f * c_prev + i * g", {"cell": "minus"}),
        (c_right + "did you apply tanh to c before the output gate? h = o * tanh(c)", {"hidden": "no_tanh"}),
        (c_right + "tanh is applied twice: h = o * tanh(c)", {"hidden": "tanh_twice"}),
        (c_right + "your output uses c_prev: h = o * tanh(c) with the new cell state c",
         {"hidden": "c_prev"}),
        (c_right + "the output gate is missing: h = o * tanh(c)", {"hidden": "no_o"}),
        (c_right + "tanh is applied after the gate: h = o * tanh(c), not tanh(o * c)",
         {"hidden": "tanh_after"}),
        (c_right + "sigmoid instead of tanh on c: h = o * tanh(c)", {"hidden": "sigmoid"}),
        ("the biases are missing: every layer adds its own b_i, b_f, b_g, b_o", {"bias": False}),
        ("h_prev is missing: every layer reads h_prev @ W_h? as well as x @ W_x?", {"use_h": False}),
        ("x is missing: every layer reads x @ W_x? as well as h_prev @ W_h?", {"use_x": False}),
        ("you used W_h?.T: weights are stored as (inputs, outputs), so it is h_prev @ W_h?",
         {"W_h_T": True}),
    ]
    for k in "ifgo":  # one layer reading another layer's weights (a copy-paste slip)
        for j in "ifgo":
            if j != k:
                weights = "".join(j if m == k else m for m in "ifgo")
                variants.append((f"your {LAYERS[k]} uses the {LAYERS[j]}'s weights (W_x{j}, W_h{j}, b_{j}): "
                                 f"each layer has its own, W_x{k}, W_h{k}, b_{k}", {"weights": weights}))
    for perm in itertools.permutations("ifgo"):  # layers reading another layer's weights
        if perm != tuple("ifgo"):
            mixed = ", ".join(f"your {LAYERS[k]} uses the {LAYERS[w]}'s weights"
                              for k, w in zip("ifgo", perm) if k != w)
            variants.append((f"mixed-up weights: {mixed} (each layer has its own W_x?, W_h?, b_?)",
                             {"weights": "".join(perm)}))
    return variants


FORWARD_VARIANTS = _forward_variants()


@checker
def check_lstm_step_forward(fn, seed=None):
    """Check fn(x, h_prev, c_prev, params) -> (h, c, cache); h and c of shape (N, H) are compared.

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """

    def test(case):
        x, h_prev, c_prev, p = case.x, case.h_prev, case.c_prev, case.params
        ref_h, ref_c, _ = lstm_step_forward(x, h_prev, c_prev, p)
        out = call(fn, (x, h_prev, c_prev, p), ("x", "h_prev", "c_prev", "params"),
                   "x is (N, D), h_prev and c_prev are (N, H), W_x? is (D, H) and W_h? is (H, H)")
        h, c, _cache = unpack(out, ("h", "c", "cache"))
        h = expect_array(h, "h", ref_h.shape, "(N, H)", ref_h)
        c = expect_array(c, "c", ref_c.shape, "(N, H)", ref_c)
        h_ok, c_ok = close(h, ref_h), close(c, ref_c)
        if h_ok and c_ok:
            return
        if close(h, ref_c) and close(c, ref_h):
            fail("outputs swapped: you returned (c, h, cache); the order is (h, c, cache)")
        for what, got, ref in (("c", c, ref_c), ("h", h, ref_h)):
            hint = precision_hint(what, got, ref)
            if hint:
                fail(hint)
        variants = [(hint, step_model(x, h_prev, c_prev, p, **kw)) for hint, kw in FORWARD_VARIANTS]
        variants = [(hint, v) for hint, v in variants
                    if not (close(v[0], ref_h, VARIANT_RTOL) and close(v[1], ref_c, VARIANT_RTOL))]
        hint = first_match((h, c), variants)
        if hint is None and not c_ok:  # a mistake in c, maybe another in h
            hint = first_match(c, [(hint, vc) for hint, (_, vc) in variants
                                   if not close(vc, ref_c, VARIANT_RTOL)])
            hint = hint or (f"c is wrong: {diff_text(c, ref_c)}. c = f * c_prev + i * g; test each "
                            "gate with its own check first")
        if hint is None:
            hint = f"c is right but h is not: {diff_text(h, ref_h)}. h = o * tanh(c)"
        fail(hint)

    return run_cases(lstm_cases(801, seed), test)


# ---------------------------------------------------------------------------------------
# Backward

def step_backward_model(dh, dc, cache, dc_mode="add", dc_prev_f=True, tanh_grad="ok", gate_deriv="ok",
                   cand_deriv="ok", df_with="c_prev", do_with="tanh_c", scale=1.0, bias_scale=1.0,
                   dh_prev_T=True, dW_h_T=False, sign=1.0, weights_as_grads=False, h_prev=None,
                   dh_cell=None, dh_out=None):
    """Every output of one step's backward pass, with a chosen mistake, as a dict.

    A mistake model, written out on purpose (the reference is `lstm.lstm_step_backward`).
    `h_prev` replaces cache.h_prev in dW_h? (an off-by-one in time); `dh_cell` and `dh_out`
    replace dh in the path into c and in the output gate (only part of dh_t used there).
    """
    x, c_prev, p = cache.x, cache.c_prev, cache.params
    h_prev = cache.h_prev if h_prev is None else h_prev
    i, f, g, o, c, tanh_c = cache.i, cache.f, cache.g, cache.o, cache.c, cache.tanh_c
    N = x.shape[0]
    dtanh = {"ok": 1 - tanh_c ** 2, "c": 1 - c ** 2, "no_square": 1 - tanh_c, "none": 1.0}[tanh_grad]
    through_h = (dh if dh_cell is None else dh_cell) * o * dtanh
    dct = {"add": dc + through_h, "ignore_dc": through_h, "overwrite": dc}[dc_mode]

    def pre(k):  # the pre-activation, for "derivative taken at the wrong variable"
        return pre_activation(x, cache.h_prev, p, k)

    def sig(k, s):
        return {"ok": s * (1 - s), "none": 1.0, "pre": pre(k) * (1 - pre(k)), "one_plus": s * (1 + s)}[gate_deriv]

    dg_da = {"ok": 1 - g ** 2, "none": 1.0, "one_minus": 1 - g, "pre": 1 - pre("g") ** 2}[cand_deriv]
    da = {"i": dct * g * sig("i", i), "f": dct * (c_prev if df_with == "c_prev" else c) * sig("f", f),
          "g": dct * i * dg_da,
          "o": (dh if dh_out is None else dh_out) * (tanh_c if do_with == "tanh_c" else c) * sig("o", o)}
    out = {"dc_prev": dct * f if dc_prev_f else dct,
           "dh_prev": sum(da[k] @ (getattr(p, f"W_h{k}").T if dh_prev_T else getattr(p, f"W_h{k}"))
                          for k in "ifgo"),
           "dx": sum(da[k] @ getattr(p, f"W_x{k}").T for k in "ifgo")}
    s = 1.0 / N if scale == "mean" else scale
    for k in "ifgo":
        dW_h = h_prev.T @ da[k]
        out[f"dparams.W_x{k}"] = x.T @ da[k] * s
        out[f"dparams.W_h{k}"] = (dW_h.T if dW_h_T else dW_h) * s
        out[f"dparams.b_{k}"] = da[k].sum(axis=0) * s * (1 / N if bias_scale == "mean" else 1.0)
    if weights_as_grads:
        out.update({f"dparams.{name}": getattr(p, name) for name in PARAM_FIELDS})
    return {key: sign * value for key, value in out.items()}


BACKWARD_VARIANTS = [
    ("dc_prev is missing the gradient that flows in from the next time step: the total gradient on "
     "c_t is dc + dh * o * (1 - tanh(c)**2)", {"dc_mode": "ignore_dc"}),
    ("dc was overwritten instead of accumulated: the path through h_t = o * tanh(c_t) is missing. "
     "c_t gets gradient from step t+1 (dc) and through h_t (dh * o * (1 - tanh(c)**2)); add the two",
     {"dc_mode": "overwrite"}),
    ("dc_prev must be multiplied by the forget gate: dc_prev = (total gradient on c) * f, since "
     "c = f * c_prev + i * g", {"dc_prev_f": False}),
    ("the derivative of tanh(c) is 1 - tanh(c)**2 (cache.tanh_c), not 1 - c**2", {"tanh_grad": "c"}),
    ("the derivative of tanh(c) is 1 - tanh(c)**2: the square is missing", {"tanh_grad": "no_square"}),
    ("the gradient through h = o * tanh(c) is missing tanh's derivative: dh * o * (1 - tanh(c)**2)",
     {"tanh_grad": "none"}),
    ("the gates' gradients are missing the sigmoid's derivative: d(pre-activation) = d(gate) * gate "
     "* (1 - gate)", {"gate_deriv": "none"}),
    ("the sigmoid's derivative is taken at the pre-activation a: it is s * (1 - s) with the gate's "
     "value s = sigmoid(a) (cache.i, cache.f, cache.o), not a * (1 - a)", {"gate_deriv": "pre"}),
    ("the sigmoid's derivative is s * (1 - s), not s * (1 + s)", {"gate_deriv": "one_plus"}),
    ("the candidate's gradient is missing tanh's derivative: d(pre-activation) = dg * (1 - g**2)",
     {"cand_deriv": "none"}),
    ("tanh's derivative is 1 - g**2: the square is missing (1 - g is not it)", {"cand_deriv": "one_minus"}),
    ("the candidate's tanh derivative is taken at the pre-activation: it is 1 - g**2 with g = "
     "tanh(a) (cache.g), not 1 - a**2", {"cand_deriv": "pre"}),
    ("the forget gate's gradient is (gradient on c) * c_prev, not * c", {"df_with": "c"}),
    ("the output gate's gradient is dh * tanh(c), not dh * c", {"do_with": "c"}),
    ("gradients averaged instead of summed over the batch: dparams must be sums over the N examples "
     "(any 1/N is already inside dh)", {"scale": "mean"}),
    ("the bias gradients are averaged instead of summed over the batch: db = da.sum(axis=0)",
     {"bias_scale": "mean"}),
    ("dh_prev = da @ W_h?.T: you multiplied by W_h? without the transpose", {"dh_prev_T": False}),
    ("dparams.W_h? is transposed: dW_h? = h_prev.T @ da, one row per unit of h_prev",
     {"dW_h_T": True}),
    ("every gradient has the wrong sign: a sign error?", {"sign": -1.0}),
    ("dparams holds the weights themselves, not their gradients", {"weights_as_grads": True}),
]


def _learner_components(out, shapes):
    """The learner's (dx, dh_prev, dc_prev, dparams) as a dict like `step_backward_model`'s."""
    dx, dh_prev, dc_prev, dparams = unpack(out, ("dx", "dh_prev", "dc_prev", "dparams"))
    got = {"dc_prev": expect_array(dc_prev, "dc_prev", shapes["dc_prev"], "(N, H)"),
           "dh_prev": expect_array(dh_prev, "dh_prev", shapes["dh_prev"], "(N, H)"),
           "dx": expect_array(dx, "dx", shapes["dx"], "(N, D)")}
    hint = "an LSTMParams (or any object or dict with its twelve fields W_xi, W_hi, b_i, ...)"
    for name in PARAM_FIELDS:
        spec = "(D, H)" if name.startswith("W_x") else "(H, H)" if name.startswith("W_h") else "(H,)"
        value = get_field(dparams, name, "dparams", hint)
        got[f"dparams.{name}"] = expect_array(value, f"dparams.{name}", shapes[f"dparams.{name}"], spec)
    return got


def _gate_swap_hint(got, ref):
    """A dparams field holding another layer's gradient, e.g. after splitting in the wrong order."""
    for name in PARAM_FIELDS:
        key = f"dparams.{name}"
        if close(got[key], ref[key]):
            continue
        k = name[-1]
        for j in "ifgo":
            other = f"dparams.{name[:-1]}{j}"
            if j != k and close(got[key], ref[other], VARIANT_RTOL):
                return (f"dparams.{name} holds the {LAYERS[j]}'s gradient, not the {LAYERS[k]}'s: check "
                        "the order in which you split or assign the gates")
    return None


@checker
def check_lstm_step_backward(fn, seed=None):
    """Check fn(dh, dc, cache) -> (dx, dh_prev, dc_prev, dparams), with `cache` from
    `lstm_course.lstm.lstm_step_forward` and dc the gradient on c_t from step t+1.

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """
    cases = lstm_cases(901, seed)
    rng = case_rng(902, seed)
    for case in cases:
        N, H = case.h_prev.shape
        case["dh"], case["dc"] = rng.normal(size=(N, H)), rng.normal(size=(N, H))

    def test(case):
        _, _, cache = lstm_step_forward(case.x, case.h_prev, case.c_prev, case.params)
        dh, dc = case.dh, case.dc
        dx, dh_prev, dc_prev, dparams = lstm_step_backward(dh, dc, cache)
        ref = {"dc_prev": dc_prev, "dh_prev": dh_prev, "dx": dx}
        ref.update({f"dparams.{name}": getattr(dparams, name) for name in PARAM_FIELDS})
        out = call(fn, (dh, dc, cache), ("dh", "dc", "cache"),
                   "da is (N, H) per layer, W_x? is (D, H), W_h? is (H, H), x is (N, D)")
        got = _learner_components(out, {k: v.shape for k, v in ref.items()})
        if close(got["dh_prev"], ref["dc_prev"]) and close(got["dc_prev"], ref["dh_prev"]):
            fail("outputs swapped: dh_prev and dc_prev are in each other's place; the order is "
                 "(dx, dh_prev, dc_prev, dparams)")
        variants = [(hint, step_backward_model(dh, dc, cache, **kw)) for hint, kw in BACKWARD_VARIANTS]
        message = diagnose_components(got, ref, variants, groups=(("dparams.", "dparams"),),
                                      more=_gate_swap_hint)
        if message is not None:
            fail(message)

    return run_cases(cases, test)
