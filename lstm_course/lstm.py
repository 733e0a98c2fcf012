"""The LSTM cell: one step and a whole sequence, forward and backward, in NumPy.

Letters used in every shape: N batch size, T time steps, D input size, H hidden size.

Forward (lesson 08). Each of the four layers reads the previous hidden state h_{t-1} and the
input x_t:

    f_t = sigmoid(x_t W_xf + h_{t-1} W_hf + b_f)     forget gate: how much of c_{t-1} to keep
    i_t = sigmoid(x_t W_xi + h_{t-1} W_hi + b_i)     input gate: how much to write
    g_t =    tanh(x_t W_xg + h_{t-1} W_hg + b_g)     candidate c~_t: what to write
    o_t = sigmoid(x_t W_xo + h_{t-1} W_ho + b_o)     output gate: how much to show
    c_t = f_t * c_{t-1} + i_t * g_t                  the cell state ("memory lane")
    h_t = o_t * tanh(c_t)                            the hidden state ("main line")

Backward (lesson 09), in the notes' four groups, with dh the whole gradient on h_t, dc the
gradient on c_t from step t+1, and da_k the gradient on layer k's pre-activation:

    1. hidden state   do = dh * tanh(c_t);   dc_total = dc + dh * o * (1 - tanh(c_t)^2)
    2. gates          df = dc_total * c_{t-1};  di = dc_total * g
                      da_f = df * f (1 - f);  da_i = di * i (1 - i);  da_o = do * o (1 - o)
    3. candidate      dg = dc_total * i;  da_g = dg * (1 - g^2)
    4. cell state     dc_prev = dc_total * f;  dh_prev = sum_k da_k W_hk^T;  dx = sum_k da_k W_xk^T
                      dW_xk = x^T da_k;  dW_hk = h_{t-1}^T da_k;  db_k = sum over the batch of da_k

The step functions are these lines, one per equation. The sequence functions are the same
lines, with the four layers' weights side by side as (D, 4H), (H, 4H) and (4H,) arrays in
PyTorch's order (i, f, g, o) (`LSTMParams.stacked`), so that one matrix product serves all four
layers; `split_gates` names the four blocks again. The letter g for the candidate and the gate
order are PyTorch's, so `params_from_torch` / `params_to_torch` map `nn.LSTM`'s weights one to one.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .activations import sigmoid
from .validation import (as_real_array, check_instance, check_ndim, check_positive_int, check_rng,
                         check_sequence, check_shape, check_state, finish_param_fields)

__all__ = [
    "LSTMParams", "LSTMStepCache", "LSTMCache", "init_lstm_params", "split_gates",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "params_from_torch", "params_to_torch", "GATES",
]

GATES = ("i", "f", "g", "o")  # PyTorch's order of the four layers, used by every stacked array


def split_gates(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four (.., H) blocks of a stacked (.., 4H) array, in the order (i, f, g, o): views, not copies.

    >>> a_i, a_f, a_g, a_o = split_gates(np.arange(8.0).reshape(1, 8))  # H = 2
    >>> a_g
    array([[4., 5.]])
    """
    H = a.shape[-1] // 4
    return a[..., :H], a[..., H:2 * H], a[..., 2 * H:3 * H], a[..., 3 * H:]


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

    def __post_init__(self) -> None:
        W_xi = as_real_array("W_xi", self.W_xi)
        W_hi = as_real_array("W_hi", self.W_hi)
        if W_xi.ndim != 2 or W_hi.ndim != 2:
            raise ValueError(f"expected W_xi of shape (D, H) and W_hi of shape (H, H), "
                             f"got {W_xi.shape} and {W_hi.shape}")
        D, H = W_xi.shape
        shapes = {}
        for gate in GATES:
            shapes[f"W_x{gate}"] = ((D, H), "(D, H)")
            shapes[f"W_h{gate}"] = ((H, H), "(H, H)")
            shapes[f"b_{gate}"] = ((H,), "(H,)")
        finish_param_fields(self, shapes)

    @property
    def D(self) -> int:
        """Input size."""
        return self.W_xi.shape[0]

    @property
    def H(self) -> int:
        """Hidden size."""
        return self.W_xi.shape[1]

    @property
    def dtype(self) -> np.dtype:
        """The dtype of all twelve arrays."""
        return self.W_xi.dtype

    def stacked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The four layers side by side in the order (i, f, g, o): W_x (D, 4H), W_h (H, 4H), b (4H,).

        New arrays. x_t W_x + h_{t-1} W_h + b is then the four pre-activations at once, and
        `split_gates` cuts it back into a_i, a_f, a_g, a_o.
        """
        W_x = np.concatenate([getattr(self, f"W_x{k}") for k in GATES], axis=1)
        W_h = np.concatenate([getattr(self, f"W_h{k}") for k in GATES], axis=1)
        b = np.concatenate([getattr(self, f"b_{k}") for k in GATES])
        return W_x, W_h, b

    @classmethod
    def from_stacked(cls, W_x: ArrayLike, W_h: ArrayLike, b: ArrayLike) -> LSTMParams:
        """Inverse of `stacked`: LSTMParams from (D, 4H), (H, 4H), (4H,) arrays in the order (i, f, g, o).

        Each of the twelve fields is a new contiguous array.
        """
        fields = {}
        blocks = zip(GATES, split_gates(np.asarray(W_x)), split_gates(np.asarray(W_h)), split_gates(np.asarray(b)))
        for k, w_x, w_h, b_k in blocks:
            fields[f"W_x{k}"], fields[f"W_h{k}"], fields[f"b_{k}"] = w_x.copy(), w_h.copy(), b_k.copy()
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
    """What `lstm_backward` needs from `lstm_forward`; time-major, so that each step is one block.

    x (T, N, D); h_prev (T, N, H): h_{t-1} for every t, so h_prev[0] = h0; c_prev (T, N, H);
    gates (T, N, 4H): the four gates side by side in the order (i, f, g, o), read them by name
    with `.i`, `.f`, `.g`, `.o` (views of shape (T, N, H)); tanh_c (T, N, H): tanh(c_t).
    """
    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    gates: np.ndarray
    tanh_c: np.ndarray
    params: LSTMParams

    @property
    def i(self) -> np.ndarray:
        """Input gate i_t of every step, (T, N, H)."""
        return split_gates(self.gates)[0]

    @property
    def f(self) -> np.ndarray:
        """Forget gate f_t of every step, (T, N, H)."""
        return split_gates(self.gates)[1]

    @property
    def g(self) -> np.ndarray:
        """Candidate g_t (c~_t) of every step, (T, N, H)."""
        return split_gates(self.gates)[2]

    @property
    def o(self) -> np.ndarray:
        """Output gate o_t of every step, (T, N, H)."""
        return split_gates(self.gates)[3]


def init_lstm_params(D: int, H: int, rng: np.random.Generator, forget_bias: float = 1.0,
                     dtype: DTypeLike = np.float64) -> LSTMParams:
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

    Examples
    --------
    >>> p = init_lstm_params(3, 4, np.random.default_rng(0), forget_bias=3.0)
    >>> p.W_xf.shape, p.W_hf.shape, p.b_f.tolist()
    ((3, 4), (4, 4), [3.0, 3.0, 3.0, 3.0])
    """
    D = check_positive_int("D", D)
    H = check_positive_int("H", H)
    check_rng(rng)
    k = 1.0 / np.sqrt(H)
    fields = {}
    for gate in GATES:
        fields[f"W_x{gate}"] = rng.uniform(-k, k, size=(D, H)).astype(dtype)
        fields[f"W_h{gate}"] = rng.uniform(-k, k, size=(H, H)).astype(dtype)
        fields[f"b_{gate}"] = np.zeros(H, dtype=dtype)
    fields["b_f"] = np.full(H, forget_bias, dtype=dtype)
    return LSTMParams(**fields)


def _check_params(params: object) -> LSTMParams:
    return check_instance("params", params, LSTMParams,
                          " (build one with init_lstm_params or params_from_torch)")


# ---------------------------------------------------------------------------------------
# One step: lesson 08's six equations and lesson 09's four groups, line for line

def lstm_step_forward(x: ArrayLike, h_prev: ArrayLike | None, c_prev: ArrayLike | None,
                      params: LSTMParams) -> tuple[np.ndarray, np.ndarray, LSTMStepCache]:
    """One LSTM step.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        The input x_t.
    h_prev, c_prev : ndarray of shape (N, H), or None for zeros
        The previous hidden state h_{t-1} and cell state c_{t-1}.
    params : LSTMParams

    Returns
    -------
    h, c : ndarray of shape (N, H)
        The new hidden state h_t and cell state c_t.
    cache : LSTMStepCache
        The inputs and every gate, for `lstm_step_backward`.
    """
    p = _check_params(params)
    D, H, dtype = p.D, p.H, p.dtype
    x = check_ndim("x", as_real_array("x", x, dtype), 2, "(N, D)")
    N = x.shape[0]
    check_shape("x", x, (N, D), "(N, D)")
    h_prev = check_state("h_prev", h_prev, N, H, dtype)
    c_prev = check_state("c_prev", c_prev, N, H, dtype)

    f = sigmoid(x @ p.W_xf + h_prev @ p.W_hf + p.b_f)  # forget gate
    i = sigmoid(x @ p.W_xi + h_prev @ p.W_hi + p.b_i)  # input gate
    g = np.tanh(x @ p.W_xg + h_prev @ p.W_hg + p.b_g)  # candidate c~
    o = sigmoid(x @ p.W_xo + h_prev @ p.W_ho + p.b_o)  # output gate
    c = f * c_prev + i * g  # keep part of the old cell, add part of the candidate
    tanh_c = np.tanh(c)
    h = o * tanh_c  # show part of the squashed cell

    # copies: the caller may change x, h_prev, c_prev or c later; the backward must not see it
    cache = LSTMStepCache(x.copy(), h_prev.copy(), c_prev.copy(), i, f, g, o, c.copy(), tanh_c, p)
    return h, c, cache


def lstm_step_backward(dh: ArrayLike, dc: ArrayLike | None,
                       cache: LSTMStepCache) -> tuple[np.ndarray, np.ndarray, np.ndarray, LSTMParams]:
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
    x, h_prev, c_prev, i, f, g, o, c, tanh_c, p = cache
    N, H, dtype = h_prev.shape[0], p.H, p.dtype
    dh = check_shape("dh", check_ndim("dh", as_real_array("dh", dh, dtype), 2, "(N, H)"), (N, H), "(N, H)")
    dc = check_state("dc", dc, N, H, dtype)

    # 1. the hidden state, h = o * tanh(c): dh goes to the output gate and, through the tanh, to c
    do = dh * tanh_c
    dc_total = dc + dh * o * (1 - tanh_c**2)  # c_t feeds both c_{t+1} and h_t: the two add up
    # 2. the gates, through c = f * c_prev + i * g and their sigmoids, s' = s (1 - s)
    df = dc_total * c_prev
    di = dc_total * g
    da_f = df * f * (1 - f)
    da_i = di * i * (1 - i)
    da_o = do * o * (1 - o)
    # 3. the candidate, through its tanh, tanh' = 1 - tanh^2
    dg = dc_total * i
    da_g = dg * (1 - g**2)
    # 4. the cell state, and what goes back to the previous step
    dc_prev = dc_total * f
    da = {"i": da_i, "f": da_f, "g": da_g, "o": da_o}
    dh_prev = sum(da[k] @ getattr(p, f"W_h{k}").T for k in GATES)
    dx = sum(da[k] @ getattr(p, f"W_x{k}").T for k in GATES)
    grads = {}
    for k in GATES:
        grads[f"W_x{k}"] = x.T @ da[k]  # (D, H)
        grads[f"W_h{k}"] = h_prev.T @ da[k]  # (H, H)
        grads[f"b_{k}"] = da[k].sum(axis=0)  # (H,)
    return dx, dh_prev, dc_prev, LSTMParams(**grads)


# ---------------------------------------------------------------------------------------
# A whole sequence: the same lines on stacked arrays, (.., 4H) in the order (i, f, g, o)

def lstm_forward(x: ArrayLike, h0: ArrayLike | None, c0: ArrayLike | None,
                 params: LSTMParams) -> tuple[np.ndarray, np.ndarray, LSTMCache]:
    """Run an LSTM over a sequence.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
        Batch-major: sequence n is x[n].
    h0, c0 : ndarray of shape (N, H), or None for zeros
        The initial hidden and cell states.
    params : LSTMParams

    Returns
    -------
    h, c : ndarray of shape (N, T, H)
        Every hidden state h_1..h_T and every cell state c_1..c_T (new arrays).
    cache : LSTMCache
        For `lstm_backward`; its `.i .f .g .o` are the gates of every step, (T, N, H).

    Examples
    --------
    >>> p = init_lstm_params(3, 4, np.random.default_rng(0))
    >>> h, c, cache = lstm_forward(np.ones((2, 5, 3)), None, None, p)
    >>> h.shape, c.shape, cache.f.shape
    ((2, 5, 4), (2, 5, 4), (5, 2, 4))
    """
    params = _check_params(params)
    D, H, dtype = params.D, params.H, params.dtype
    x, N, T = check_sequence(x, D, dtype)
    h0 = check_state("h0", h0, N, H, dtype, T=T)
    c0 = check_state("c0", c0, N, H, dtype, T=T)

    W_x, W_h, b = params.stacked()  # (D, 4H), (H, 4H), (4H,)
    x = x.transpose(1, 0, 2).copy()  # (T, N, D): each step one contiguous block; a copy the caller cannot change
    # The one speed idea that matters: x_t W_x + b does not depend on h_{t-1}, so it is computed
    # for all T steps in one matrix product, (T N, D) @ (D, 4H), before the loop. A Python loop
    # pays for every NumPy call, not for the arithmetic; only h_{t-1} W_h must wait for step t-1.
    a_x = (x.reshape(T * N, D) @ W_x + b).reshape(T, N, 4 * H)

    gates = np.empty((T, N, 4 * H), dtype=dtype)  # filled step by step through the views i, f, g, o
    i, f, g, o = split_gates(gates)  # (T, N, H) each
    h = np.empty((T + 1, N, H), dtype=dtype)  # the states h_0 .. h_T: h[t] is step t's h_{t-1}
    c = np.empty((T + 1, N, H), dtype=dtype)
    tanh_c = np.empty((T, N, H), dtype=dtype)
    h[0], c[0] = h0, c0
    for t in range(T):
        a = h[t] @ W_h
        a += a_x[t]  # (N, 4H): the pre-activations a_i, a_f, a_g, a_o side by side
        # The results go straight into the cache's rows (out=): no copies inside the loop.
        sigmoid(a, out=gates[t])  # i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o), in one call ...
        np.tanh(split_gates(a)[2], out=g[t])  # ... and the candidate g = tanh(a_g) takes its block
        c[t + 1] = f[t] * c[t] + i[t] * g[t]  # the memory lane: c_t from c_{t-1}
        np.tanh(c[t + 1], out=tanh_c[t])
        np.multiply(o[t], tanh_c[t], out=h[t + 1])  # the main line: h_t = o_t tanh(c_t)

    cache = LSTMCache(x, h[:T], c[:T], gates, tanh_c, params)  # h_prev, c_prev: views, h[t] = h_{t-1}
    return h[1:].transpose(1, 0, 2).copy(), c[1:].transpose(1, 0, 2).copy(), cache  # (N, T, H), new arrays


def lstm_backward(dh: ArrayLike, cache: LSTMCache,
                  dc_last: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, LSTMParams]:
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
    x, h_prev, c_prev, _, tanh_c, params = cache
    i, f, g, o = cache.i, cache.f, cache.g, cache.o  # (T, N, H) each
    T, N, D = x.shape
    H, dtype = params.H, params.dtype
    dh_out = check_shape("dh", check_ndim("dh", as_real_array("dh", dh, dtype), 3, "(N, T, H)"),
                         (N, T, H), "(N, T, H)").transpose(1, 0, 2)  # (T, N, H) view
    dc = check_state("dc_last", dc_last, N, H, dtype)

    W_x, W_h, _ = params.stacked()
    W_hT = np.ascontiguousarray(W_h.T)  # (4H, H): the product in the loop reads it row by row
    # The derivative of each layer's squashing function depends on the forward pass only, so it
    # is computed for all steps at once, before the loop (as the input projection is in the
    # forward pass): s (1 - s) for the sigmoid gates i, f, o, 1 - g^2 for the tanh candidate.
    dsquash = 1 - cache.gates  # (T, N, 4H), blocks (i, f, g, o); in place below: no second large array
    dsquash *= cache.gates
    split_gates(dsquash)[2][...] = 1 - g**2
    dh_dc = 1 - tanh_c**2
    dh_dc *= o  # d h_t / d c_t = o (1 - tanh(c_t)^2), as h_t = o_t tanh(c_t)
    da = np.empty((T, N, 4 * H), dtype=dtype)  # gradients on the pre-activations, da_i, da_f, da_g, da_o
    dh_next = np.zeros((N, H), dtype=dtype)  # the gradient reaching h_t from step t+1
    for t in reversed(range(T)):
        dh_t = dh_out[t] + dh_next  # the whole gradient on h_t
        # 1. the hidden state
        do = dh_t * tanh_c[t]
        dc_total = dc + dh_t * dh_dc[t]
        # 2. the gates and 3. the candidate: the gradient on each layer's output ...
        df = dc_total * c_prev[t]
        di = dc_total * g[t]
        dg = dc_total * i[t]
        # ... times its squashing function's derivative: da_i, da_f, da_g, da_o side by side
        np.multiply(np.concatenate([di, df, dg, do], axis=1), dsquash[t], out=da[t])
        # 4. the cell state, and h_{t-1}: sum_k da_k W_hk^T is one product with the stacked W_h
        dc = dc_total * f[t]
        dh_next = da[t] @ W_hT

    # The weights are the same at every step, so their gradients sum over steps and batch:
    # one product each over all T N rows, after the loop.
    da = da.reshape(T * N, 4 * H)
    dx = (da @ W_x.T).reshape(T, N, D).transpose(1, 0, 2).copy()  # (N, T, D)
    dW_x = x.reshape(T * N, D).T @ da  # (D, 4H)
    dW_h = h_prev.reshape(T * N, H).T @ da  # (H, 4H)
    dparams = LSTMParams.from_stacked(dW_x, dW_h, da.sum(axis=0))
    return dx, dh_next, dc, dparams


# ---------------------------------------------------------------------------------------
# PyTorch's layout

def params_from_torch(weight_ih: ArrayLike, weight_hh: ArrayLike, bias_ih: ArrayLike,
                      bias_hh: ArrayLike) -> LSTMParams:
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
    # PyTorch's rows are our columns: transposed, the (4H, .) arrays are exactly `stacked`'s layout
    return LSTMParams.from_stacked(weight_ih.T, weight_hh.T, bias_ih + bias_hh)


def params_to_torch(params: LSTMParams) -> dict[str, np.ndarray]:
    """The four arrays of a one-layer PyTorch `nn.LSTM`, as a dict of new NumPy arrays.

    Keys weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,), gate rows in the
    order (i, f, g, o). The whole bias goes to bias_ih and bias_hh is zero: the sum is what
    counts, so `nn.LSTM` loaded with these computes the same function.
    """
    params = _check_params(params)
    W_x, W_h, b = params.stacked()
    return {"weight_ih": W_x.T.copy(), "weight_hh": W_h.T.copy(), "bias_ih": b,
            "bias_hh": np.zeros(4 * params.H, dtype=params.dtype)}
