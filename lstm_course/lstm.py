"""The LSTM cell: one step and a whole sequence, forward and backward, in NumPy.

Letters used in every shape: N batch size, T time steps, D input size, H hidden size.

Each of the four layers reads the previous hidden state h_{t-1} and the input x_t:

    i_t = sigmoid(x_t W_xi + h_{t-1} W_hi + b_i)     input gate: how much to write
    f_t = sigmoid(x_t W_xf + h_{t-1} W_hf + b_f)     forget gate: how much to keep
    g_t =    tanh(x_t W_xg + h_{t-1} W_hg + b_g)     candidate c~_t: what to write
    o_t = sigmoid(x_t W_xo + h_{t-1} W_ho + b_o)     output gate: how much to show
    c_t = f_t * c_{t-1} + i_t * g_t                  the cell state ("memory lane")
    h_t = o_t * tanh(c_t)                            the hidden state

The gate order (i, f, g, o) and the letter g for the candidate are PyTorch's, so that
`params_from_torch` / `params_to_torch` map `nn.LSTM`'s weights one to one.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from .validation import (as_real_array, check_instance, check_ndim, check_positive_int, check_shape,
                         check_sequence, finish_param_fields)

__all__ = [
    "LSTMParams", "LSTMStepCache", "LSTMCache", "init_lstm_params",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "params_from_torch", "params_to_torch", "GATES",
]

GATES = ("i", "f", "g", "o")  # PyTorch's order of the four layers


@dataclasses.dataclass(frozen=True, eq=False)
class LSTMParams:
    """The weights of one LSTM cell, one named triple per layer.

    W_x? : ndarray of shape (D, H), the weights on the input x_t
    W_h? : ndarray of shape (H, H), the weights on the previous hidden state h_{t-1}
    b_?  : ndarray of shape (H,), the bias (PyTorch's bias_ih + bias_hh)

    for ? in i (input gate), f (forget gate), g (candidate), o (output gate).
    All twelve arrays share one dtype (float64 unless all are float32). Frozen: build
    a changed copy with `dataclasses.replace`.
    """

    W_xi: np.ndarray
    W_hi: np.ndarray
    b_i: np.ndarray
    W_xf: np.ndarray
    W_hf: np.ndarray
    b_f: np.ndarray
    W_xg: np.ndarray
    W_hg: np.ndarray
    b_g: np.ndarray
    W_xo: np.ndarray
    W_ho: np.ndarray
    b_o: np.ndarray

    def __post_init__(self):
        W_xi = as_real_array("W_xi", self.W_xi)
        W_hh = as_real_array("W_hi", self.W_hi)
        if W_xi.ndim != 2 or W_hh.ndim != 2:
            raise ValueError(f"expected W_xi of shape (D, H) and W_hi of shape (H, H), "
                             f"got {W_xi.shape} and {W_hh.shape}")
        D, H = W_xi.shape
        shapes = {}
        for gate in GATES:
            shapes[f"W_x{gate}"] = ((D, H), "(D, H)")
            shapes[f"W_h{gate}"] = ((H, H), "(H, H)")
            shapes[f"b_{gate}"] = ((H,), "(H,)")
        finish_param_fields(self, shapes)

    @property
    def D(self):
        """Input size."""
        return self.W_xi.shape[0]

    @property
    def H(self):
        """Hidden size."""
        return self.W_xi.shape[1]

    @property
    def dtype(self):
        return self.W_xi.dtype

    def _stacked(self):
        """Weights side by side in the order (i, f, o, g): (D, 4H), (H, 4H), (4H,).

        The three sigmoid layers come first so that one sigmoid call covers them.
        """
        order = ("i", "f", "o", "g")
        W_x = np.concatenate([getattr(self, f"W_x{k}") for k in order], axis=1)  # (D, 4H)
        W_h = np.concatenate([getattr(self, f"W_h{k}") for k in order], axis=1)  # (H, 4H)
        b = np.concatenate([getattr(self, f"b_{k}") for k in order])  # (4H,)
        return W_x, W_h, b

    @classmethod
    def _from_stacked(cls, W_x, W_h, b):
        """Inverse of `_stacked`: split (.., 4H) arrays in the order (i, f, o, g)."""
        H = W_h.shape[0]
        fields = {}
        for n, k in enumerate(("i", "f", "o", "g")):
            cols = slice(n * H, (n + 1) * H)
            fields[f"W_x{k}"] = W_x[:, cols]
            fields[f"W_h{k}"] = W_h[:, cols]
            fields[f"b_{k}"] = b[cols]
        return cls(**fields)


class LSTMStepCache(NamedTuple):
    """What `lstm_step_backward` needs from one forward step (all (N, H) but x: (N, D))."""
    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    tanh_c: np.ndarray
    params: LSTMParams


class LSTMCache(NamedTuple):
    """What `lstm_backward` needs from `lstm_forward`; time-major for contiguous steps.

    x (T, N, D); h_prev (T, N, H): h_{t-1} for every t, so h_prev[0] = h0; c_prev (T, N, H);
    gates (T, N, 4H) in the order (i, f, o, g); tanh_c (T, N, H).
    """
    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    gates: np.ndarray
    tanh_c: np.ndarray
    params: LSTMParams


def init_lstm_params(D, H, rng, forget_bias=1.0, dtype=np.float64):
    """Random LSTM weights, as PyTorch initialises them, with a chosen forget-gate bias.

    Parameters
    ----------
    D, H : int
        Input and hidden size.
    rng : numpy.random.Generator
    forget_bias : float, default 1.0
        Initial b_f. A positive bias starts the forget gate near 1 (sigmoid(1) = 0.73,
        sigmoid(3) = 0.95), so the cell keeps what it holds until training says otherwise
        (Gers et al. 2000; Jozefowicz et al. 2015). All other biases start at 0.
    dtype : float32 or float64, default float64

    Returns
    -------
    LSTMParams with weights drawn from U(-1/sqrt(H), 1/sqrt(H)).
    """
    D = check_positive_int("D", D)
    H = check_positive_int("H", H)
    check_instance("rng", rng, np.random.Generator, " (use numpy.random.default_rng(seed))")
    k = 1.0 / np.sqrt(H)
    fields = {}
    for gate in GATES:
        fields[f"W_x{gate}"] = rng.uniform(-k, k, size=(D, H)).astype(dtype)
        fields[f"W_h{gate}"] = rng.uniform(-k, k, size=(H, H)).astype(dtype)
        fields[f"b_{gate}"] = np.zeros(H, dtype=dtype)
    fields["b_f"] = np.full(H, forget_bias, dtype=dtype)
    return LSTMParams(**fields)


# ---------------------------------------------------------------------------------------
# The arithmetic of one step, on stacked (.., 4H) arrays in the order (i, f, o, g).
# Public functions check their inputs, then call these. They write into arrays the caller
# owns (out= and in-place operators), so a sequence allocates nothing inside its loop over
# t: at these sizes each NumPy call costs microseconds, and the calls, not the arithmetic,
# are what a Python loop over time steps pays for.

def _forward_weights(params):
    """The stacked weights (D, 4H), (H, 4H), (4H,) with the i, f, o columns halved, for `_activate`.

    Halving is exact in binary floating point, so x W/2 + h W/2 + b/2 is exactly z/2.
    """
    H = params.H
    W_x, W_h, b = params._stacked()  # new arrays: safe to change
    for w in (W_x, W_h, b):
        w[..., :3 * H] *= 0.5
    return W_x, W_h, b


def _activate(a, H):
    """In place: a (.., 4H), holding z/2 for i, f, o and z for g, becomes the four gates.

    sigmoid(z) = (1 + tanh(z / 2)) / 2, so one tanh call covers all four layers (the halving
    is done once, on the weights: `_forward_weights`). It is the same function as
    `activations.sigmoid` up to round-off, and as safe: tanh cannot overflow.
    """
    np.tanh(a, out=a)
    ifo = a[..., :3 * H]  # a view: the three sigmoid layers
    ifo += 1.0
    ifo *= 0.5
    return a


def _forward_step(a, c_prev, c, tanh_c, h, H):
    """One step in place: a (N, 4H) holds the pre-activations (made with `_forward_weights`)
    and becomes the gates; c_t, tanh(c_t) and h_t are written into c, tanh_c, h (N, H)."""
    gates = _activate(a, H)
    i, f, o, g = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    np.multiply(f, c_prev, out=c)  # c_t = f * c_{t-1} + i * g
    c += i * g
    np.tanh(c, out=tanh_c)
    np.multiply(o, tanh_c, out=h)  # h_t = o * tanh(c_t)


def _local_grads(gates, c_prev, tanh_c, H):
    """The parts of the backward pass that depend on the forward pass only (any leading shape).

    Returns coef (.., 4H) and dc_dh (.., H) such that, with dh the whole gradient on h_t and
    dc the whole gradient on c_t,

        dc   = (gradient from step t+1) + dh * dc_dh,   dc_dh  = o (1 - tanh(c_t)^2)
        da_i = dc * coef_i,                            coef_i = g * i (1 - i)    (sigmoid' = s (1 - s))
        da_f = dc * coef_f,                            coef_f = c_{t-1} * f (1 - f)
        da_o = dh * coef_o,                            coef_o = tanh(c_t) * o (1 - o)
        da_g = dc * coef_g,                            coef_g = i (1 - g^2)      (tanh' = 1 - tanh^2)

    A sequence gets them for all T steps at once, in a few large NumPy calls outside its loop;
    they work in place, as a large temporary costs more (fresh memory) than its arithmetic.
    """
    i, o, g = gates[..., :H], gates[..., 2 * H:3 * H], gates[..., 3 * H:]
    coef = 1.0 - gates
    coef *= gates  # s (1 - s) for i, f, o; the g block is replaced below
    coef[..., :H] *= g
    coef[..., H:2 * H] *= c_prev
    coef[..., 2 * H:3 * H] *= tanh_c
    coef_g = coef[..., 3 * H:]  # a view: i (1 - g^2)
    np.multiply(g, g, out=coef_g)
    np.subtract(1.0, coef_g, out=coef_g)
    coef_g *= i
    dc_dh = tanh_c * tanh_c
    np.subtract(1.0, dc_dh, out=dc_dh)
    dc_dh *= o  # o (1 - tanh(c_t)^2)
    return coef, dc_dh


def _backward_step(dh, dc, da, dc_dh, f, H):
    """One step back, in place.

    On entry dh (N, H) is the whole gradient on h_t, dc (N, H) the gradient that reaches c_t
    from step t+1, and da (N, 4H), dc_dh (N, H) come from `_local_grads`. On exit da holds the
    gradient on the pre-activations and dc the gradient on c_{t-1}. dh and f are only read.
    """
    dc += dh * dc_dh  # c_t also feeds h_t = o tanh(c_t): the two contributions add up
    da[:, :H] *= dc  # input gate
    da[:, H:2 * H] *= dc  # forget gate
    da[:, 2 * H:3 * H] *= dh  # output gate: reached through h_t only
    da[:, 3 * H:] *= dc  # candidate
    dc *= f  # the cell path: only a product with the forget gate


# ---------------------------------------------------------------------------------------
# Input checks

def _check_params(params):
    return check_instance("params", params, LSTMParams,
                          " (build one with init_lstm_params or params_from_torch)")


def _check_state(name, value, N, H, dtype, spec="(N, H)"):
    if value is None:
        return np.zeros((N, H), dtype=dtype)
    arr = as_real_array(name, value, dtype)
    return check_shape(name, arr, (N, H), spec)


# ---------------------------------------------------------------------------------------
# One step

def lstm_step_forward(x, h_prev, c_prev, params):
    """One LSTM step.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        The input x_t.
    h_prev, c_prev : ndarray of shape (N, H)
        The previous hidden state h_{t-1} and cell state c_{t-1}.
    params : LSTMParams

    Returns
    -------
    h, c : ndarray of shape (N, H)
        The new hidden state h_t and cell state c_t.
    cache : LSTMStepCache
        The inputs and every gate, for `lstm_step_backward`.

    Notes
    -----
    See the module docstring for the six equations.
    """
    params = _check_params(params)
    D, H, dtype = params.D, params.H, params.dtype
    x = check_ndim("x", as_real_array("x", x, dtype), 2, "(N, D)")
    N = x.shape[0]
    check_shape("x", x, (N, D), "(N, D)")
    h_prev = _check_state("h_prev", h_prev, N, H, dtype)
    c_prev = _check_state("c_prev", c_prev, N, H, dtype)

    W_x, W_h, b = _forward_weights(params)
    gates = x @ W_x + h_prev @ W_h + b  # (N, 4H) pre-activations, turned into gates in place
    c, tanh_c, h = (np.empty((N, H), dtype=dtype) for _ in range(3))
    _forward_step(gates, c_prev, c, tanh_c, h, H)
    i, f, o, g = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    # copies: the caller may change x, h_prev, c_prev or c later; the backward must not see it
    cache = LSTMStepCache(x.copy(), h_prev.copy(), c_prev.copy(), i, f, g, o, c.copy(), tanh_c, params)
    return h, c, cache


def lstm_step_backward(dh, dc, cache):
    """Backward through one LSTM step.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        The whole gradient of the loss on h_t (from the output at step t and from step t+1).
    dc : ndarray of shape (N, H), or None
        The gradient on c_t that flows back from step t+1; None (or zeros) at the last step.
    cache : LSTMStepCache
        From `lstm_step_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dh_prev, dc_prev : ndarray of shape (N, H)
        Gradients on h_{t-1} and c_{t-1}.
    dparams : LSTMParams
        Gradients on every weight, summed over the batch; new arrays.
    """
    check_instance("cache", cache, LSTMStepCache, " (the third value lstm_step_forward returns)")
    params = cache.params
    N, H, dtype = cache.h_prev.shape[0], params.H, params.dtype
    dh = check_shape("dh", check_ndim("dh", as_real_array("dh", dh, dtype), 2, "(N, H)"), (N, H), "(N, H)")
    dc = _check_state("dc", dc, N, H, dtype)

    gates = np.concatenate([cache.i, cache.f, cache.o, cache.g], axis=1)  # (N, 4H), (i, f, o, g)
    da, dc_dh = _local_grads(gates, cache.c_prev, cache.tanh_c, H)  # da (N, 4H) starts as coefficients
    dc_prev = dc.copy()  # the caller's dc is never written to
    _backward_step(dh, dc_prev, da, dc_dh, cache.f, H)
    W_x, W_h, _ = params._stacked()
    dx = da @ W_x.T  # (N, D)
    dh_prev = da @ W_h.T  # (N, H)
    dparams = LSTMParams._from_stacked(cache.x.T @ da, cache.h_prev.T @ da, da.sum(axis=0))
    return dx, dh_prev, dc_prev, dparams


# ---------------------------------------------------------------------------------------
# A whole sequence

def lstm_forward(x, h0, c0, params):
    """Run an LSTM over a sequence.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0, c0 : ndarray of shape (N, H), or None for zeros
        The initial hidden and cell states.
    params : LSTMParams

    Returns
    -------
    h, c : ndarray of shape (N, T, H)
        Every hidden state h_1..h_T and every cell state c_1..c_T (new arrays).
    cache : LSTMCache
        For `lstm_backward`.

    Notes
    -----
    The input projection x_t W_x + b does not depend on the recurrence, so it is done for
    all steps in one matrix product; only h_{t-1} W_h is left inside the loop over t.
    """
    params = _check_params(params)
    D, H, dtype = params.D, params.H, params.dtype
    x, N, T = check_sequence(x, D, dtype)
    h_t = _check_state("h0", h0, N, H, dtype)
    c_t = _check_state("c0", c0, N, H, dtype)

    W_x, W_h, b = _forward_weights(params)
    x_tm = x.transpose(1, 0, 2).copy()  # (T, N, D): one contiguous block per step; a copy the caller cannot change
    # x_t W_x + b for every step; step t adds h_{t-1} W_h and turns its block into gates in place.
    gates = x_tm.reshape(T * N, D) @ W_x
    gates += b  # in place: `x @ W + b` would hold two large arrays at once
    gates = gates.reshape(T, N, 4 * H)
    h_prev = np.empty((T + 1, N, H), dtype=dtype)  # h_prev[t] = h_{t-1}; the last row is h_T
    c_prev = np.empty((T + 1, N, H), dtype=dtype)
    tanh_c = np.empty((T, N, H), dtype=dtype)
    h_prev[0], c_prev[0] = h_t, c_t
    a_h = np.empty((N, 4 * H), dtype=dtype)  # h_{t-1} W_h, reused at every step
    for t in range(T):
        np.matmul(h_prev[t], W_h, out=a_h)
        gates[t] += a_h
        _forward_step(gates[t], c_prev[t], c_prev[t + 1], tanh_c[t], h_prev[t + 1], H)

    h = h_prev[1:].transpose(1, 0, 2).copy()  # (N, T, H)
    c = c_prev[1:].transpose(1, 0, 2).copy()
    cache = LSTMCache(x_tm, h_prev[:T], c_prev[:T], gates, tanh_c, params)
    return h, c, cache


def lstm_backward(dh, cache, dc_last=None):
    """Backpropagation through time for `lstm_forward`.

    Parameters
    ----------
    dh : ndarray of shape (N, T, H)
        Gradient of the loss on every hidden state h_1..h_T (from the outputs only).
    cache : LSTMCache
        From `lstm_forward`.
    dc_last : ndarray of shape (N, H), optional
        Gradient on the last cell state c_T (for example when c_T is passed on to another
        sequence); zeros if None.

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    dh0, dc0 : ndarray of shape (N, H)
    dparams : LSTMParams
        Gradients summed over the batch and over time; new arrays.
    """
    check_instance("cache", cache, LSTMCache, " (the third value lstm_forward returns)")
    params = cache.params
    T, N, D = cache.x.shape
    H, dtype = params.H, params.dtype
    dh = check_shape("dh", check_ndim("dh", as_real_array("dh", dh, dtype), 3, "(N, T, H)"),
                     (N, T, H), "(N, T, H)")
    dc_t = _check_state("dc_last", dc_last, N, H, dtype)

    W_x, W_h, _ = params._stacked()
    W_hT = np.ascontiguousarray(W_h.T)  # (4H, H)
    dh_tm = dh.transpose(1, 0, 2)  # (T, N, H) view
    # Everything that depends on the forward pass only, for all steps at once: (T, N, 4H), (T, N, H).
    da, dc_dh = _local_grads(cache.gates, cache.c_prev, cache.tanh_c, H)
    f = cache.gates[:, :, H:2 * H]
    dc_t = dc_t.copy()  # updated in place below; the caller's dc_last is never written to
    dh_t = np.empty((N, H), dtype=dtype)  # whole gradient on h_t
    dh_next = np.zeros((N, H), dtype=dtype)  # gradient reaching h_t from step t+1
    for t in reversed(range(T)):
        np.add(dh_tm[t], dh_next, out=dh_t)
        _backward_step(dh_t, dc_t, da[t], dc_dh[t], f[t], H)
        np.matmul(da[t], W_hT, out=dh_next)  # (N, H)

    da_flat = da.reshape(T * N, 4 * H)
    dx = (da_flat @ W_x.T).reshape(T, N, D).transpose(1, 0, 2).copy()  # (N, T, D)
    dW_x = cache.x.reshape(T * N, D).T @ da_flat  # summed over steps and batch at once
    dW_h = cache.h_prev.reshape(T * N, H).T @ da_flat
    dparams = LSTMParams._from_stacked(dW_x, dW_h, da_flat.sum(axis=0))
    return dx, dh_next, dc_t, dparams


# ---------------------------------------------------------------------------------------
# PyTorch's layout

def params_from_torch(weight_ih, weight_hh, bias_ih, bias_hh):
    """LSTMParams from the arrays of a one-layer PyTorch `nn.LSTM` (no torch import needed).

    Parameters
    ----------
    weight_ih : array of shape (4H, D)   (`weight_ih_l0`, rows in the order i, f, g, o)
    weight_hh : array of shape (4H, H)   (`weight_hh_l0`)
    bias_ih, bias_hh : array of shape (4H,)

    NumPy arrays or CPU tensors. PyTorch adds two biases; we keep their sum.
    """
    weight_hh = as_real_array("weight_hh", weight_hh)
    if weight_hh.ndim != 2:
        raise ValueError(f"expected weight_hh of shape (4H, H), got {weight_hh.shape}")
    H = weight_hh.shape[1]
    if H == 0:
        raise ValueError(f"expected weight_hh of shape (4H, H) with H >= 1, got {weight_hh.shape}")
    if weight_hh.shape[0] == 3 * H:
        raise ValueError(f"expected weight_hh of shape (4H, H) = ({4 * H}, {H}), got {weight_hh.shape}: "
                         "3H rows are a GRU's; an LSTM has four layers (i, f, g, o)")
    check_shape("weight_hh", weight_hh, (4 * H, H), "(4H, H)")
    weight_ih = check_ndim("weight_ih", as_real_array("weight_ih", weight_ih), 2, "(4H, D)")
    check_shape("weight_ih", weight_ih, (4 * H, weight_ih.shape[1]), "(4H, D)")
    bias_ih = check_shape("bias_ih", as_real_array("bias_ih", bias_ih), (4 * H,), "(4H,)")
    bias_hh = check_shape("bias_hh", as_real_array("bias_hh", bias_hh), (4 * H,), "(4H,)")
    fields = {}
    for n, gate in enumerate(GATES):
        rows = slice(n * H, (n + 1) * H)
        fields[f"W_x{gate}"] = weight_ih[rows].T.copy()
        fields[f"W_h{gate}"] = weight_hh[rows].T.copy()
        fields[f"b_{gate}"] = bias_ih[rows] + bias_hh[rows]
    return LSTMParams(**fields)


def params_to_torch(params):
    """The four arrays of a one-layer PyTorch `nn.LSTM`, as a dict of new NumPy arrays.

    Keys weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,), gate rows in the
    order (i, f, g, o). The whole bias goes to bias_ih and bias_hh is zero: the sum is what
    counts, so `nn.LSTM` loaded with these computes the same function.
    """
    params = _check_params(params)
    return {
        "weight_ih": np.concatenate([getattr(params, f"W_x{k}").T for k in GATES], axis=0),
        "weight_hh": np.concatenate([getattr(params, f"W_h{k}").T for k in GATES], axis=0),
        "bias_ih": np.concatenate([getattr(params, f"b_{k}") for k in GATES]),
        "bias_hh": np.zeros(4 * params.H, dtype=params.dtype),
    }
