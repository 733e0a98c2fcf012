"""Ablated LSTM cells: the full LSTM with one part taken out, for the lessons' experiments.

Letters used in every shape: N batch size, T time steps, D input size, H hidden size, K outputs.

Each variant is the LSTM of :mod:`lstm_course.lstm` (same `LSTMParams`, same gate order) with
one switch turned (see `VariantFlags`):

- ``"full"``: nothing changed, the standard LSTM; the baseline.
- ``"sigmoid_candidate"``: c~_t = sigmoid(...) instead of tanh(...). A write can then only add
  to the cell, never subtract. Why a tanh candidate? (lesson 05)
- ``"no_input_gate"``: i_t = 1. Every step writes its whole candidate into the cell.
  Why an input gate? (lesson 05)
- ``"no_output_tanh"``: h_t = o_t * c_t instead of o_t * tanh(c_t), so |h_t| grows with |c_t|.
  Why squash the cell before output? Greff et al. (2017) found this activation critical (lesson 07).

A variant ignores the weights of the part it removes (``"no_input_gate"`` never reads W_xi,
W_hi, b_i); their gradients are zero, so the same `LSTMParams` and optimizer serve every variant.

    h, c, cache = variant_forward(x, h0, c0, params, "no_input_gate")
    dx, dh0, dc0, dparams = variant_backward(dh, cache)
    loss_fn = make_variant_loss_fn("sigmoid_candidate")   # for train.train, same as model.make_loss_fn
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import losses
from .activations import sigmoid
from .lstm import LSTMParams, _check_params, _check_state
from .model import SequenceModelParams
from .validation import as_real_array, check_instance, check_ndim, check_sequence, check_shape

__all__ = ["VARIANTS", "VariantFlags", "VariantCache", "variant_flags", "variant_forward",
           "variant_backward", "make_variant_loss_fn"]


class VariantFlags(NamedTuple):
    """The three switches; the full LSTM has all three True."""
    tanh_candidate: bool  # False: c~ = sigmoid(a_g), in (0, 1): a write can only add to c
    input_gate: bool  # False: i = 1, every step writes its whole candidate
    output_tanh: bool  # False: h = o * c, so h is as large as c is


VARIANTS = {
    "full": VariantFlags(tanh_candidate=True, input_gate=True, output_tanh=True),
    "sigmoid_candidate": VariantFlags(tanh_candidate=False, input_gate=True, output_tanh=True),
    "no_input_gate": VariantFlags(tanh_candidate=True, input_gate=False, output_tanh=True),
    "no_output_tanh": VariantFlags(tanh_candidate=True, input_gate=True, output_tanh=False),
}


def variant_flags(variant):
    """The `VariantFlags` of a variant name; ValueError naming the valid ones otherwise."""
    if not isinstance(variant, str) or variant not in VARIANTS:
        raise ValueError(f"unknown LSTM variant {variant!r}; expected one of {', '.join(map(repr, VARIANTS))}")
    return VARIANTS[variant]


class VariantCache(NamedTuple):
    """What `variant_backward` needs; time-major like `lstm.LSTMCache`.

    x (T, N, D); h_prev, c_prev (T, N, H): the states before each step; gates (T, N, 4H) in the
    order (i, f, o, g) of `LSTMParams._stacked`; out (T, N, H): what o multiplies, tanh(c_t) or c_t.
    """
    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    gates: np.ndarray
    out: np.ndarray
    params: LSTMParams
    variant: str


def _sigmoid(z):
    """The package's one sigmoid (`activations.sigmoid`), as `lstm.lstm_forward` uses it, so that the
    variant "full" gives its numbers bit for bit."""
    return sigmoid(z)


# ---------------------------------------------------------------------------------------
# One step on stacked (.., 4H) arrays in the order (i, f, o, g), with the switches.

def _step_forward(a, c_prev, H, flags):
    """From pre-activations a (N, 4H) and c_{t-1} to gates (N, 4H), c_t, out_t and h_t = o_t out_t."""
    gates = np.empty_like(a)
    gates[:, :3 * H] = _sigmoid(a[:, :3 * H])  # i, f, o
    gates[:, 3 * H:] = np.tanh(a[:, 3 * H:]) if flags.tanh_candidate else _sigmoid(a[:, 3 * H:])
    if not flags.input_gate:
        gates[:, :H] = 1.0
    i, f, o, g = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    c = f * c_prev + i * g
    out = np.tanh(c) if flags.output_tanh else c
    return gates, c, out, o * out


def _step_backward(dh, dc, gates, c_prev, out, H, flags):
    """Gradient on the pre-activations da (N, 4H) and on c_{t-1}, given dL/dh_t and dL/dc_t."""
    i, f, o, g = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    dout_dc = 1.0 - out * out if flags.output_tanh else 1.0
    dc = dc + dh * o * dout_dc  # total gradient on c_t
    da = np.empty_like(gates)
    da[:, :H] = dc * g * i * (1.0 - i) if flags.input_gate else 0.0  # a constant i has no weights
    da[:, H:2 * H] = dc * c_prev * f * (1.0 - f)
    da[:, 2 * H:3 * H] = dh * out * o * (1.0 - o)
    dg_da = 1.0 - g * g if flags.tanh_candidate else g * (1.0 - g)
    da[:, 3 * H:] = dc * i * dg_da
    return da, dc * f


# ---------------------------------------------------------------------------------------
# A whole sequence

def variant_forward(x, h0, c0, params, variant="full"):
    """Run an LSTM variant over a sequence (see the module docstring for the variants).

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0, c0 : ndarray of shape (N, H), or None for zeros
    params : LSTMParams
    variant : str, one of VARIANTS

    Returns
    -------
    h, c : ndarray of shape (N, T, H)
        Every hidden and cell state; for "full" exactly what `lstm.lstm_forward` returns.
    cache : VariantCache
        For `variant_backward`.
    """
    flags = variant_flags(variant)
    params = _check_params(params)
    D, H, dtype = params.D, params.H, params.dtype
    x, N, T = check_sequence(x, D, dtype)
    h_t = _check_state("h0", h0, N, H, dtype)
    c_t = _check_state("c0", c0, N, H, dtype)

    # the same arithmetic, in the same order, as lstm_forward (so "full" matches it bit for bit)
    W_x, W_h, b = params._stacked()
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, N, D)
    a_x = (x_tm.reshape(T * N, D) @ W_x + b).reshape(T, N, 4 * H)
    h_prev = np.empty((T + 1, N, H), dtype=dtype)  # h_prev[t] = h_{t-1}
    c_prev = np.empty((T + 1, N, H), dtype=dtype)
    gates = np.empty((T, N, 4 * H), dtype=dtype)
    out = np.empty((T, N, H), dtype=dtype)
    h_prev[0], c_prev[0] = h_t, c_t
    for t in range(T):
        a = a_x[t] + h_prev[t] @ W_h
        gates[t], c_prev[t + 1], out[t], h_prev[t + 1] = _step_forward(a, c_prev[t], H, flags)

    h = h_prev[1:].transpose(1, 0, 2).copy()
    c = c_prev[1:].transpose(1, 0, 2).copy()
    return h, c, VariantCache(x_tm, h_prev[:T], c_prev[:T], gates, out, params, variant)


def variant_backward(dh, cache, dc_last=None):
    """Backpropagation through time for `variant_forward`.

    Parameters
    ----------
    dh : ndarray of shape (N, T, H)
        Gradient of the loss on every hidden state.
    cache : VariantCache
    dc_last : ndarray of shape (N, H), optional
        Gradient on the last cell state; zeros if None.

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    dh0, dc0 : ndarray of shape (N, H)
    dparams : LSTMParams
        Summed over batch and time; zero for the weights a variant does not use.
    """
    check_instance("cache", cache, VariantCache, " (the third value variant_forward returns)")
    flags = variant_flags(cache.variant)
    params = cache.params
    T, N, D = cache.x.shape
    H, dtype = params.H, params.dtype
    dh = check_shape("dh", check_ndim("dh", as_real_array("dh", dh, dtype), 3, "(N, T, H)"),
                     (N, T, H), "(N, T, H)")
    dc_t = _check_state("dc_last", dc_last, N, H, dtype)

    W_x, W_h, _ = params._stacked()
    dh_tm = dh.transpose(1, 0, 2)
    da = np.empty((T, N, 4 * H), dtype=dtype)
    dh_next = np.zeros((N, H), dtype=dtype)
    for t in reversed(range(T)):
        da[t], dc_t = _step_backward(dh_tm[t] + dh_next, dc_t, cache.gates[t], cache.c_prev[t],
                                     cache.out[t], H, flags)
        dh_next = da[t] @ W_h.T

    da_flat = da.reshape(T * N, 4 * H)
    dx = (da_flat @ W_x.T).reshape(T, N, D).transpose(1, 0, 2).copy()
    dW_x = cache.x.reshape(T * N, D).T @ da_flat
    dW_h = cache.h_prev.reshape(T * N, H).T @ da_flat
    return dx, dh_next, dc_t, LSTMParams._from_stacked(dW_x, dW_h, da_flat.sum(axis=0))


# ---------------------------------------------------------------------------------------
# Training a variant with train.train

def make_variant_loss_fn(variant, loss="cross_entropy"):
    """`loss_fn(params, x, y) -> (loss, grads, accuracy)` for `train.train`, for one variant.

    The model is the variant's cell followed by a linear read-out of the last hidden state,
    y = h_T W_out + b_out; `params` is a `model.SequenceModelParams` with an LSTM cell (from
    `model.init_sequence_model("lstm", ...)`), so every variant can start from the same weights.

    loss : {"cross_entropy", "mse"}
        "cross_entropy": integer classes y of shape (N,), accuracy reported;
        "mse": real targets of shape (N, K), accuracy None.
    """
    variant_flags(variant)
    losses.check_loss_name(loss)

    def loss_fn(params, x, y):
        check_instance("params", params, SequenceModelParams, " (build one with init_sequence_model)")
        if params.kind != "lstm":
            raise ValueError("an LSTM variant needs an LSTM cell: init_sequence_model('lstm', ...)")
        h, _, cache = variant_forward(x, None, None, params.cell, variant)
        h_last = h[:, -1]  # (N, H)
        out = h_last @ params.W_out + params.b_out  # (N, K)
        value, dout, acc = losses.evaluate(out, y, loss)
        dh = np.zeros_like(h)
        dh[:, -1] = dout @ params.W_out.T
        dcell = variant_backward(dh, cache)[3]
        grads = SequenceModelParams(dcell, h_last.T @ dout, dout.sum(axis=0))
        return value, grads, acc

    return loss_fn
