"""Checks for whole sequences: the LSTM's forward pass and backpropagation through time, and the
plain RNN's backward pass over T steps.

The references are the package's `lstm.lstm_forward`, `lstm.lstm_backward` and
`rnn.rnn_backward`. The mistake models below are written out on purpose: they are the wrong
programs learners write (a state not carried from step to step, weight gradients kept from one
step only, ...), unrolled over the steps of `lstm.lstm_step_forward` / `rnn.rnn_step_forward`.
"""

from __future__ import annotations

import numpy as np

from ..lstm import lstm_backward, lstm_forward, lstm_step_forward
from ..random_params import random_rnn_params
from ..rnn import rnn_backward, rnn_forward, rnn_step_forward
from .core import (VARIANT_RTOL, Case, Verdict, call, case_rng, checker, close, diagnose_components,
                   diff_text, expect_array, fail, first_match, get_field, precision_hint, run_cases,
                   safe_shape, unpack)
from .gates import random_lstm_params, random_shapes
from .rnn import RNN_BACKWARD_VARIANTS, rnn_backward_model
from .steps import BACKWARD_VARIANTS, FORWARD_VARIANTS, PARAM_FIELDS, step_model, step_backward_model

__all__ = ["check_lstm_forward", "check_lstm_backward", "check_rnn_backward"]

SEQ_SHAPES = ((3, 4, 2, 5), (2, 5, 4, 3), (4, 3, 5, 2))  # (N, T, D, H): four different sizes


def sequence_cases(default, seed, rnn=False):
    """Three cases of (x, h0, c0, params, dh, dc_last): non-zero states, biases and gradients.

    The last case has dc_last None (the backward must treat it as zeros).
    """
    rng = case_rng(default, seed)
    cases = []
    shapes = SEQ_SHAPES if seed is None else random_shapes(rng, 3, "NTDH")
    for k, (N, T, D, H) in enumerate(shapes):
        if rnn:
            params = random_rnn_params(D, H, rng, scale=0.6)
        else:
            params = random_lstm_params(rng, D, H, scale=0.6)
        case = Case(f"N={N}, T={T}, D={D}, H={H}", params=params, x=rng.normal(size=(N, T, D)),
                    h0=np.tanh(rng.normal(size=(N, H))), c0=rng.normal(0.0, 1.5, (N, H)),
                    dh=rng.normal(size=(N, T, H)),
                    dc_last=rng.normal(size=(N, H)) if k < 2 else None)
        if k == 2:
            case.label += ", dc_last=None"
        cases.append(case)
    return cases


def _time_major_hint(got, ref, what, spec):
    """Messages for a sequence output with its axes in the wrong order, or only the last step."""
    if isinstance(got, (list, tuple)) and len(got) == ref.shape[1] and \
            all(safe_shape(v) == ref[:, 0].shape for v in got):
        return (f"{what} is a {type(got).__name__} of {len(got)} arrays, one per step: stack them into one "
                f"array of shape {spec} with np.stack(..., axis=1)")
    shape = safe_shape(got)
    if shape is None:
        return None
    arr = np.asarray(got, dtype=np.float64) if np.asarray(got).dtype.kind in "fiu" else None
    if arr is None:
        return None
    if shape == (ref.shape[1], ref.shape[0], ref.shape[2]) and close(arr.transpose(1, 0, 2), ref):
        return (f"{what} is time-major, shape (T, N, ...) = {shape}: return {spec} = {ref.shape}, "
                "e.g. with np.stack(..., axis=1) or .transpose(1, 0, 2)")
    if shape == ref.shape and close(arr[:, ::-1], ref):
        return (f"{what} is in reverse time order: {what}[:, t] belongs to step t (did you append in a "
                "loop that runs backwards, or forget to reverse a list?)")
    if shape == ref[:, -1].shape and close(arr, ref[:, -1]):
        return f"you returned only the last step's {what}: return every step, {spec} = {ref.shape}"
    if shape == (ref.shape[0], ref.shape[1] + 1, ref.shape[2]) and close(arr[:, 1:], ref):
        return (f"{what} has T + 1 = {shape[1]} states: it includes the initial state; return only the "
                f"T states after each step, {spec} = {ref.shape}")
    return None


# ---------------------------------------------------------------------------------------
# The LSTM forward over a sequence

def _seq_forward(x, h0, c0, p, init="ok", carry="ok", order="ok", store="ok", **step):
    """(h, c) of shape (N, T, H) from a chosen wrong program, unrolled with `steps.step_model`."""
    N, T, _ = x.shape
    zeros = np.zeros_like(h0)
    h_prev, c_prev = {"ok": (h0, c0), "zeros": (zeros, zeros), "h_zero": (zeros, c0),
                      "c_zero": (h0, zeros), "swap": (c0, h0)}[init]
    first_h, first_c = h_prev, c_prev
    hs, cs = np.zeros((N, T, h0.shape[1])), np.zeros((N, T, h0.shape[1]))
    for t in (reversed(range(T)) if order == "reversed" else range(T)):
        h, c = step_model(x[:, t], h_prev, c_prev, p, **step)
        hs[:, t] = h_prev if store in ("before", "h_before") else h
        cs[:, t] = c_prev if store in ("before", "c_before") else c
        h_prev = {"ok": h, "no_h": first_h, "no_c": h, "c_as_h": c}[carry]
        c_prev = {"ok": c, "no_h": c, "no_c": first_c, "c_as_h": c}[carry]
    return hs, cs


SEQUENCE_FORWARD_VARIANTS = [
    ("h0 and c0 are ignored: the first step starts from the given h0 and c0, not from zeros",
     {"init": "zeros"}),
    ("h0 is ignored: the first step reads the given h0, not zeros", {"init": "h_zero"}),
    ("c0 is ignored: the first step reads the given c0, not zeros", {"init": "c_zero"}),
    ("h0 and c0 are swapped: the arguments come in the order (x, h0, c0, params)", {"init": "swap"}),
    ("h is not carried from step to step: step t reads h_(t-1), the hidden state the step before "
     "produced (h_prev = h after each step), not h0 every time", {"carry": "no_h"}),
    ("c is not carried from step to step: step t reads c_(t-1), the cell state the step before "
     "produced (c_prev = c after each step), not c0 every time", {"carry": "no_c"}),
    ("hidden state confused with cell state: the next step's layers read h_(t-1) = o * tanh(c), but "
     "yours read c_(t-1); carry both, h_prev = h and c_prev = c", {"carry": "c_as_h"}),
    ("you ran through time backwards: step t = 0, 1, ..., T-1 reads x[:, t] in order", {"order": "reversed"}),
    ("off by one in time: h[:, t] and c[:, t] are the states after step t (h_1 ... h_T), but you stored "
     "the states before it (h_0 ... h_(T-1))", {"store": "before"}),
    ("off by one in time: h[:, t] is the hidden state after step t (h_1 ... h_T), but you stored the "
     "one before it", {"store": "h_before"}),
    ("off by one in time: c[:, t] is the cell state after step t (c_1 ... c_T), but you stored the "
     "one before it", {"store": "c_before"}),
]


@checker
def check_lstm_forward(fn, seed=None):
    """Check fn(x, h0, c0, params) -> (h, c, cache), the LSTM over a whole sequence.

    x has shape (N, T, D); h0, c0 (N, H); params an `LSTMParams`. h and c, of shape (N, T, H),
    hold every hidden and cell state h_1..h_T, c_1..c_T and are compared with
    `lstm_course.lstm.lstm_forward`; the cache is yours (anything your backward needs).

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """

    def test(case):
        x, h0, c0, p = case.x, case.h0, case.c0, case.params
        ref_h, ref_c, _ = lstm_forward(x, h0, c0, p)
        args, names = (x, h0, c0, p), ("x", "h0", "c0", "params")
        hint = ("x is (N, T, D), so step t reads x[:, t] of shape (N, D); h0, c0 are (N, H); W_x? is "
                "(D, H) and W_h? is (H, H)")
        h, c, _cache = unpack(call(fn, args, names, hint), ("h", "c", "cache"))
        for what, got, ref in (("h", h, ref_h), ("c", c, ref_c)):
            message = _time_major_hint(got, ref, what, "(N, T, H)")
            if message:
                fail(message)
        h = expect_array(h, "h", ref_h.shape, "(N, T, H)")
        c = expect_array(c, "c", ref_c.shape, "(N, T, H)")
        h_ok, c_ok = close(h, ref_h), close(c, ref_c)
        if not (h_ok and c_ok):
            fail(_forward_diagnosis(x, h0, c0, p, h, c, ref_h, ref_c))
        # same inputs, same answer: no state kept between calls (a global h, a default argument)
        h2, c2, _ = unpack(call(fn, args, names, hint), ("h", "c", "cache"))
        h2 = expect_array(h2, "h", ref_h.shape, "(N, T, H)")
        c2 = expect_array(c2, "c", ref_c.shape, "(N, T, H)")
        if not (close(h2, ref_h) and close(c2, ref_c)):
            fail("the second call on the same inputs gave a different result: does your function keep "
                 "state between calls (a global h or c, a default argument it changes, an object it "
                 "updates)? Start every sequence from the h0 and c0 it is given")

    return run_cases(sequence_cases(1101, seed), test)


def _forward_diagnosis(x, h0, c0, p, h, c, ref_h, ref_c):
    if close(h, ref_c) and close(c, ref_h):
        return "outputs swapped: you returned (c, h, cache); the order is (h, c, cache)"
    for what, got, ref in (("c", c, ref_c), ("h", h, ref_h)):
        hint = precision_hint(what, got, ref)
        if hint:
            return hint
    variants = [(hint, _seq_forward(x, h0, c0, p, **kw)) for hint, kw in SEQUENCE_FORWARD_VARIANTS]
    variants += [(hint, _seq_forward(x, h0, c0, p, **kw)) for hint, kw in FORWARD_VARIANTS]
    variants = [(hint, v) for hint, v in variants
                if not (close(v[0], ref_h, VARIANT_RTOL) and close(v[1], ref_c, VARIANT_RTOL))]
    hint = first_match((h, c), variants)
    if hint is None and not close(c, ref_c):
        hint = first_match(c, [(hint, vc) for hint, (_, vc) in variants if not close(vc, ref_c, VARIANT_RTOL)])
    if hint is None and close(h[:, 0], ref_h[:, 0]) and close(c[:, 0], ref_c[:, 0]):
        wrong = [t for t in range(ref_h.shape[1])
                 if not (close(h[:, t], ref_h[:, t]) and close(c[:, t], ref_c[:, t]))]
        hint = (f"the first step is right but step {wrong[0]} is not: does each step read the states "
                "the step before produced, and x[:, t] of its own time step?")
    if hint is None:
        which = "c is wrong" if not close(c, ref_c) else "c is right but h is not"
        got, ref = (c, ref_c) if not close(c, ref_c) else (h, ref_h)
        hint = (f"{which}: {diff_text(got, ref)}. Check your step with check_lstm_step_forward, then the "
                "loop: step t reads x[:, t], h_(t-1) and c_(t-1)")
    return hint


# ---------------------------------------------------------------------------------------
# Backpropagation through time for the LSTM

def _step_caches(x, h0, c0, p):
    """The per-step caches of the sequence, from the package's `lstm_step_forward`."""
    caches, h, c = [], h0, c0
    for t in range(x.shape[1]):
        h, c, cache = lstm_step_forward(x[:, t], h, c, p)
        caches.append(cache)
    return caches


def _seq_backward(dh, caches, dc_last, carry_h=True, carry_c=True, params_from="all",
                  use_dc_last=True, dh0="ok", dc0="ok", h_prev_is_h=False, accumulate=False,
                  dh_shift=0, time_mean=False, order="backward", partial=None, **step):
    """Every output of a chosen wrong BPTT program, as a dict like the reference's."""
    N, T, H = dh.shape
    D = caches[0].x.shape[1]
    dh_next = np.zeros((N, H))
    dc_next = dc_last if (use_dc_last and dc_last is not None) else np.zeros((N, H))
    out = {"dx": np.zeros((N, T, D))}
    for name in PARAM_FIELDS:
        out[f"dparams.{name}"] = 0.0
    last_dh_prev = last_dc_prev = None
    for t in (range(T) if order == "forward" else reversed(range(T))):
        cache = caches[t]
        h_prev = cache.o * cache.tanh_c if h_prev_is_h else None  # h_t where h_(t-1) belongs
        dh_own = dh[:, t + dh_shift] if 0 <= t + dh_shift < T else np.zeros((N, H))
        dh_t = dh_own + dh_next if carry_h else dh_own
        if partial == "cell":  # the path into c_t uses dh[:, t] only
            step = {**step, "dh_cell": dh_own}
        elif partial == "out":  # the output gate uses dh[:, t] only
            step = {**step, "dh_out": dh_own}
        grads = step_backward_model(dh_t, dc_next, cache, h_prev=h_prev, **step)
        out["dx"][:, t] = grads["dx"]
        if params_from == "all" or (params_from == "last" and t == T - 1) or (params_from == "first" and t == 0):
            for name in PARAM_FIELDS:
                out[f"dparams.{name}"] = out[f"dparams.{name}"] + grads[f"dparams.{name}"]
        last_dh_prev, last_dc_prev = grads["dh_prev"], grads["dc_prev"]
        dh_next = dh_next + grads["dh_prev"] if accumulate else grads["dh_prev"]
        dc_next = grads["dc_prev"] if carry_c else np.zeros((N, H))
    if accumulate:
        last_dh_prev = dh_next
    if time_mean:
        for name in PARAM_FIELDS:
            out[f"dparams.{name}"] = out[f"dparams.{name}"] / T
    out["dh0"] = np.zeros((N, H)) if dh0 == "zero" else last_dh_prev
    out["dc0"] = np.zeros((N, H)) if dc0 == "zero" else last_dc_prev
    return out


SEQUENCE_BACKWARD_VARIANTS = [
    ("dh_next is not carried back through time: the whole gradient on h_t is dh[:, t] plus the "
     "dh_prev that step t+1 sent back (dh_t = dh[:, t] + dh_next)", {"carry_h": False}),
    ("dc_next is not carried back through time: step t must receive the dc_prev that step t+1 "
     "computed (the cell path), not zeros", {"carry_c": False}),
    ("dh_next and dc_next are both not carried back through time: each step must add what step t+1 "
     "sent back, dh_t = dh[:, t] + dh_next, and take dc from step t+1", {"carry_h": False, "carry_c": False}),
    ("the weight gradients come from the last step only: the same weights are used at every step, "
     "so their gradients are summed over all T steps (+=, not =)", {"params_from": "last"}),
    ("the weight gradients come from one step only (the last one your loop visited, t = 0): the same "
     "weights are used at every step, so their gradients are summed over all T steps (+=, not =)",
     {"params_from": "first"}),
    ("dc_last is ignored: it is a gradient on the last cell state c_T from outside the sequence; "
     "start the loop with dc_next = dc_last (zeros when it is None)", {"use_dc_last": False}),
    ("dh0 is missing (zeros): return the gradient that flows out of the first step, dh_prev of "
     "step 0", {"dh0": "zero"}),
    ("dc0 is missing (zeros): return the gradient that flows out of the first step, dc_prev of "
     "step 0", {"dc0": "zero"}),
    ("dh0 and dc0 are missing (zeros): return what flows out of the first step, its dh_prev and "
     "dc_prev", {"dh0": "zero", "dc0": "zero"}),
    ("off by one in time: dW_h? multiplies by h_(t-1), the hidden state step t read, not by h_t "
     "(the one it produced)", {"h_prev_is_h": True}),
    ("dh_next keeps growing: it is replaced at every step by the dh_prev of the step just undone "
     "(dh_next = dh_prev), not accumulated (+=) over all later steps", {"accumulate": True}),
    ("off by one in time: step t's own gradient is dh[:, t], the gradient on the h_t it produced, "
     "not dh[:, t - 1]", {"dh_shift": -1}),
    ("off by one in time: step t's own gradient is dh[:, t], the gradient on the h_t it produced, "
     "not dh[:, t + 1]", {"dh_shift": 1}),
    ("the weight gradients are averaged over time: sum them over the T steps (any averaging belongs "
     "in the loss, and is already inside dh)", {"time_mean": True}),
    ("your loop runs forward in time: backpropagation starts at the last step, t = T-1, and goes "
     "down to 0 (for t in reversed(range(T))), since step t needs what step t+1 sends back",
     {"order": "forward"}),
    ("the path into c_t uses only dh[:, t]: it needs the whole gradient on h_t, dh[:, t] + dh_next, "
     "like the output gate", {"partial": "cell"}),
    ("the output gate's gradient uses only dh[:, t]: it needs the whole gradient on h_t, dh[:, t] + "
     "dh_next", {"partial": "out"}),
]


def _sequence_components(out, shapes, names=("dx", "dh0", "dc0", "dparams"), fields=PARAM_FIELDS,
                         fields_hint="an LSTMParams (or any object or dict with its twelve fields W_xi, "
                                     "W_hi, b_i, ...)"):
    """The learner's backward outputs as a dict like the reference's."""
    values = dict(zip(names, unpack(out, names)))
    got = {}
    specs = {"dx": "(N, T, D)", "dh0": "(N, H)", "dc0": "(N, H)"}
    for name in names[:-1]:
        if name == "dx" and isinstance(values[name], np.ndarray) and values[name].ndim == 3 and \
                values[name].shape == (shapes["dx"][1], shapes["dx"][0], shapes["dx"][2]) and \
                shapes["dx"][0] != shapes["dx"][1]:
            fail(f"dx is time-major, shape (T, N, D) = {values[name].shape}: return (N, T, D) = "
                 f"{shapes['dx']}, like x")
        got[name] = expect_array(values[name], name, shapes[name], specs[name])
    for field in fields:
        spec = "(D, H)" if field.startswith("W_x") else "(H, H)" if field.startswith("W_h") else "(H,)"
        value = get_field(values["dparams"], field, "dparams", fields_hint)
        got[f"dparams.{field}"] = expect_array(value, f"dparams.{field}", shapes[f"dparams.{field}"], spec)
    return got


def _time_order_hint(got, ref):
    """dx stored in reverse time order: a list appended in the backward loop, not reversed."""
    if not close(got["dx"], ref["dx"]) and close(got["dx"][:, ::-1], ref["dx"]):
        return ("dx is in reverse time order: dx[:, t] belongs to step t, but the backward loop visits "
                "t = T-1 first (reverse your list, or write dx[:, t] = ...)")
    return None


@checker
def check_lstm_backward(forward, backward, seed=None):
    """Check your pair forward(x, h0, c0, params) -> (h, c, cache) and
    backward(dh, cache, dc_last=None) -> (dx, dh0, dc0, dparams), backpropagation through time.

    dh has shape (N, T, H): the loss gradient on every hidden state, from the outputs only (what
    flows back from step t+1 is yours to add). dc_last (N, H) is a gradient on the last cell state
    c_T, or None for zeros. dx (N, T, D); dh0, dc0 (N, H); dparams with the twelve fields of
    `LSTMParams`, summed over the batch and over time. Compared with `lstm_course.lstm.lstm_backward`;
    the cache is whatever your forward returns.

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """

    def test(case):
        x, h0, c0, p, dh, dc_last = case.x, case.h0, case.c0, case.params, case.dh, case.dc_last
        ref_h, ref_c, ref_cache = lstm_forward(x, h0, c0, p)
        dx, dh0, dc0, dparams = lstm_backward(dh, ref_cache, dc_last)
        ref = {"dh0": dh0, "dc0": dc0, "dx": dx}
        ref.update({f"dparams.{name}": getattr(dparams, name) for name in PARAM_FIELDS})

        out = call(forward, (x, h0, c0, p), ("x", "h0", "c0", "params"),
                   "x is (N, T, D), step t reads x[:, t]; h0, c0 are (N, H)", who="your forward")
        h, c, cache = unpack(out, ("h", "c", "cache"))
        h = expect_array(h, "your forward's h", ref_h.shape, "(N, T, H)")
        c = expect_array(c, "your forward's c", ref_c.shape, "(N, T, H)")
        if not (close(h, ref_h) and close(c, ref_c)):
            fail("your forward pass is wrong, so its cache cannot be right either: "
                 + _forward_diagnosis(x, h0, c0, p, h, c, ref_h, ref_c)
                 + " (check_lstm_forward tests it on its own)")
        args, names = ((dh, cache, dc_last), ("dh", "cache", "dc_last")) if dc_last is not None else \
            ((dh, cache), ("dh", "cache"))
        try:
            out = call(backward, args, names, "dh is (N, T, H), da is (N, H) per layer, W_x? is (D, H), "
                       "W_h? is (H, H)", who="your backward")
        except Verdict as exc:
            if "positional argument" in exc.message and "given" in exc.message:
                fail("your backward must accept a third argument: backward(dh, cache, dc_last=None)")
            if dc_last is None and "NoneType" in exc.message:
                exc.message += (". This case calls backward(dh, cache) with no dc_last: when it is None, "
                                "start from zeros, np.zeros((N, H))")
            raise
        got = _sequence_components(out, {k: v.shape for k, v in ref.items()})
        if close(got["dh0"], ref["dc0"]) and close(got["dc0"], ref["dh0"]):
            fail("outputs swapped: dh0 and dc0 are in each other's place; the order is "
                 "(dx, dh0, dc0, dparams)")
        caches = _step_caches(x, h0, c0, p)
        variants = [(hint, _seq_backward(dh, caches, dc_last, **kw)) for hint, kw in SEQUENCE_BACKWARD_VARIANTS]
        variants += [(hint, _seq_backward(dh, caches, dc_last, **kw)) for hint, kw in BACKWARD_VARIANTS]
        message = diagnose_components(got, ref, variants, groups=(("dparams.", "dparams"),),
                                      more=_time_order_hint)
        if message is not None:
            fail(message)

    return run_cases(sequence_cases(1201, seed), test)


# ---------------------------------------------------------------------------------------
# The RNN's backward over a sequence (lesson 02)

def _rnn_seq_backward(dh, step_caches, carry=True, params_from="all", dh0="ok", h_prev_is_h=False,
                      accumulate=False, time_mean=False, order="backward", **step):
    N, T, H = dh.shape
    D = step_caches[0].x.shape[1]
    out = {"dx": np.zeros((N, T, D)), "dparams.W_xh": 0.0, "dparams.W_hh": 0.0, "dparams.b_h": 0.0}
    dh_next = np.zeros((N, H))
    last = None
    for t in (range(T) if order == "forward" else reversed(range(T))):
        cache = step_caches[t]
        if h_prev_is_h:
            cache = cache._replace(h_prev=cache.h)
        grads = rnn_backward_model(dh[:, t] + dh_next if carry else dh[:, t], cache, **step)
        out["dx"][:, t] = grads["dx"]
        if params_from == "all" or (params_from == "last" and t == T - 1) or (params_from == "first" and t == 0):
            for name in ("W_xh", "W_hh", "b_h"):
                out[f"dparams.{name}"] = out[f"dparams.{name}"] + grads[f"dparams.{name}"]
        last = dh_next = dh_next + grads["dh_prev"] if accumulate else grads["dh_prev"]
    if time_mean:
        for name in ("W_xh", "W_hh", "b_h"):
            out[f"dparams.{name}"] = out[f"dparams.{name}"] / T
    out["dh0"] = np.zeros((N, H)) if dh0 == "zero" else last
    return out


RNN_SEQUENCE_VARIANTS = [
    ("dh_next is not carried back through time: the whole gradient on h_t is dh[:, t] plus what "
     "step t+1 sent back (dh_t = dh[:, t] + dh_next)", {"carry": False}),
    ("the weight gradients come from the last step only: W_xh, W_hh and b_h are used at every step, "
     "so their gradients are summed over all T steps (+=, not =)", {"params_from": "last"}),
    ("the weight gradients come from one step only (the last one your loop visited, t = 0): they "
     "are summed over all T steps (+=, not =)", {"params_from": "first"}),
    ("dh0 is missing (zeros): return the gradient that flows out of the first step, its dh_prev",
     {"dh0": "zero"}),
    ("off by one in time: dW_hh multiplies by h_(t-1) = cache.h_prev[t], the state step t read, not "
     "by h_t = cache.h[t]", {"h_prev_is_h": True}),
    ("dh_next keeps growing: it is replaced at every step by what the step just undone sends back "
     "(dh_next = da @ W_hh.T), not accumulated (+=)", {"accumulate": True}),
    ("the weight gradients are averaged over time: sum them over the T steps", {"time_mean": True}),
    ("your loop runs forward in time: backpropagation starts at the last step, t = T-1, and goes "
     "down to 0 (for t in reversed(range(T))), since step t needs what step t+1 sends back",
     {"order": "forward"}),
]


@checker
def check_rnn_backward(fn, seed=None):
    """Check fn(dh, cache) -> (dx, dh0, dparams), backpropagation through time for the tanh RNN.

    `cache` comes from `lstm_course.rnn.rnn_forward` and is time-major: cache.x (T, N, D),
    cache.h_prev (T, N, H) with h_prev[t] = h_(t-1) (so h_prev[0] = h0), cache.h (T, N, H),
    cache.params. dh (N, T, H) is the loss gradient on every hidden state from the outputs only.
    Returns dx (N, T, D), dh0 (N, H) and dparams with fields W_xh, W_hh, b_h, summed over the
    batch and over time. Compared with `lstm_course.rnn.rnn_backward`.

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """

    def test(case):
        x, h0, p, dh = case.x, case.h0, case.params, case.dh
        _, cache = rnn_forward(x, h0, p)
        dx, dh0, dparams = rnn_backward(dh, cache)
        ref = {"dh0": dh0, "dx": dx, "dparams.W_xh": dparams.W_xh, "dparams.W_hh": dparams.W_hh,
               "dparams.b_h": dparams.b_h}
        out = call(fn, (dh, cache), ("dh", "cache"),
                   "dh[:, t] is (N, H); cache.x[t] is (N, D) and cache.h[t], cache.h_prev[t] are (N, H)")
        if isinstance(out, (tuple, list)) and len(out) == 3 and safe_shape(out[0]) == dh0.shape \
                and safe_shape(out[1]) == dx.shape:
            fail("outputs swapped: dx and dh0 are in each other's place; the order is (dx, dh0, dparams)")
        got = _sequence_components(out, {k: v.shape for k, v in ref.items()}, ("dx", "dh0", "dparams"),
                                   ("W_xh", "W_hh", "b_h"),
                                   "an RNNParams (or any object or dict with fields W_xh, W_hh, b_h)")
        step_caches, h = [], h0
        for t in range(x.shape[1]):
            h, step_cache = rnn_step_forward(x[:, t], h, p)
            step_caches.append(step_cache)
        variants = [(hint, _rnn_seq_backward(dh, step_caches, **kw)) for hint, kw in RNN_SEQUENCE_VARIANTS]
        variants += [(hint, _rnn_seq_backward(dh, step_caches, **kw)) for hint, kw in RNN_BACKWARD_VARIANTS]
        variants += [(hint1 + "; also " + hint2, _rnn_seq_backward(dh, step_caches, **kw1, **kw2))
                     for hint1, kw1 in RNN_SEQUENCE_VARIANTS[:1] for hint2, kw2 in RNN_BACKWARD_VARIANTS[:1]]
        message = diagnose_components(got, ref, variants, groups=(("dparams.", "dparams"),),
                                      more=_time_order_hint)
        if message is not None:
            fail(message)

    return run_cases(sequence_cases(1301, seed, rnn=True), test)
