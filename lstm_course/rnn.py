"""The plain (Elman) tanh RNN: one step and a whole sequence, forward and backward.

Letters used in every shape: N batch size, T time steps, D input size, H hidden size.

    h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h)

One layer, one "main line" h_t that carries everything from step to step. Backward through
time multiplies by W_hh^T diag(1 - h_t^2) once per step, which is why gradients over long
gaps vanish or explode (lesson 02).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .validation import (as_real_array, check_instance, check_ndim, check_positive_int, check_rng,
                         check_sequence, check_shape, check_state, finish_param_fields)

__all__ = [
    "RNNParams", "RNNStepCache", "RNNCache", "init_rnn_params",
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "params_from_torch", "params_to_torch",
]


@dataclasses.dataclass(frozen=True, eq=False)
class RNNParams:
    """The weights of a tanh RNN cell.

    W_xh : ndarray of shape (D, H), the weights on the input x_t
    W_hh : ndarray of shape (H, H), the recurrent weights on h_{t-1}
    b_h  : ndarray of shape (H,), the bias (PyTorch's bias_ih + bias_hh)
    """

    W_xh: np.ndarray
    W_hh: np.ndarray
    b_h: np.ndarray

    def __post_init__(self) -> None:
        W_xh = as_real_array("W_xh", self.W_xh)
        if W_xh.ndim != 2:
            raise ValueError(f"expected W_xh of shape (D, H), got {W_xh.shape}")
        D, H = W_xh.shape
        finish_param_fields(self, {"W_xh": ((D, H), "(D, H)"), "W_hh": ((H, H), "(H, H)"),
                                   "b_h": ((H,), "(H,)")})

    @property
    def D(self) -> int:
        """Input size."""
        return self.W_xh.shape[0]

    @property
    def H(self) -> int:
        """Hidden size."""
        return self.W_xh.shape[1]

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the three arrays."""
        return self.W_xh.dtype


class RNNStepCache(NamedTuple):
    """What `rnn_step_backward` needs: x (N, D), h_prev (N, H), h (N, H), params."""
    x: np.ndarray
    h_prev: np.ndarray
    h: np.ndarray
    params: RNNParams


class RNNCache(NamedTuple):
    """What `rnn_backward` needs, time-major: x (T, N, D), h_prev (T, N, H) with h_prev[0] = h0,
    h (T, N, H)."""
    x: np.ndarray
    h_prev: np.ndarray
    h: np.ndarray
    params: RNNParams


def init_rnn_params(D: int, H: int, rng: np.random.Generator, dtype: DTypeLike = np.float64,
                    recurrent_scale: float | None = None) -> RNNParams:
    """Random RNN weights, as PyTorch initialises them: U(-1/sqrt(H), 1/sqrt(H)), zero bias.

    Parameters
    ----------
    D, H : int
    rng : numpy.random.Generator
    dtype : float32 or float64, default float64
    recurrent_scale : float, optional
        If given, W_hh is a random orthogonal matrix times this number, so that every singular
        value of W_hh equals `recurrent_scale`: a knob for lesson 02 (below 1 gradients vanish,
        well above 1 they can explode).
    """
    D = check_positive_int("D", D)
    H = check_positive_int("H", H)
    check_rng(rng)
    k = 1.0 / np.sqrt(H)
    W_xh = rng.uniform(-k, k, size=(D, H))
    if recurrent_scale is None:
        W_hh = rng.uniform(-k, k, size=(H, H))
    else:
        q, r = np.linalg.qr(rng.standard_normal((H, H)))
        W_hh = recurrent_scale * q * np.sign(np.diag(r))  # sign fix: uniformly random orthogonal
    return RNNParams(W_xh.astype(dtype), W_hh.astype(dtype), np.zeros(H, dtype=dtype))


def _check_params(params: object) -> RNNParams:
    return check_instance("params", params, RNNParams,
                          " (build one with init_rnn_params or params_from_torch)")


def rnn_step_forward(x: ArrayLike, h_prev: ArrayLike | None,
                     params: RNNParams) -> tuple[np.ndarray, RNNStepCache]:
    """One RNN step.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    h_prev : ndarray of shape (N, H)
    params : RNNParams

    Returns
    -------
    h : ndarray of shape (N, H)
        h_t = tanh(x W_xh + h_prev W_hh + b_h)
    cache : RNNStepCache
    """
    params = _check_params(params)
    D, H, dtype = params.D, params.H, params.dtype
    x = check_ndim("x", as_real_array("x", x, dtype), 2, "(N, D)")
    N = x.shape[0]
    check_shape("x", x, (N, D), "(N, D)")
    h_prev = check_state("h_prev", h_prev, N, H, dtype)
    h = np.tanh(x @ params.W_xh + h_prev @ params.W_hh + params.b_h)
    return h, RNNStepCache(x.copy(), h_prev.copy(), h.copy(), params)  # the caller may change them


def rnn_step_backward(dh: ArrayLike, cache: RNNStepCache) -> tuple[np.ndarray, np.ndarray, RNNParams]:
    """Backward through one RNN step.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        The whole gradient on h_t (from the output at t and from step t+1).
    cache : RNNStepCache

    Returns
    -------
    dx : ndarray of shape (N, D)
    dh_prev : ndarray of shape (N, H)
    dparams : RNNParams
        Summed over the batch.
    """
    check_instance("cache", cache, RNNStepCache, " (the second value rnn_step_forward returns)")
    params = cache.params
    N, H = cache.h.shape
    dh = check_shape("dh", check_ndim("dh", as_real_array("dh", dh, params.dtype), 2, "(N, H)"),
                     (N, H), "(N, H)")
    da = dh * (1.0 - cache.h * cache.h)  # through tanh'
    dparams = RNNParams(cache.x.T @ da, cache.h_prev.T @ da, da.sum(axis=0))
    return da @ params.W_xh.T, da @ params.W_hh.T, dparams


def rnn_forward(x: ArrayLike, h0: ArrayLike | None, params: RNNParams) -> tuple[np.ndarray, RNNCache]:
    """Run a tanh RNN over a sequence.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0 : ndarray of shape (N, H), or None for zeros
    params : RNNParams

    Returns
    -------
    h : ndarray of shape (N, T, H)
        Every hidden state h_1..h_T (a new array).
    cache : RNNCache
    """
    params = _check_params(params)
    D, H, dtype = params.D, params.H, params.dtype
    x, N, T = check_sequence(x, D, dtype)
    h_t = check_state("h0", h0, N, H, dtype, T=T)

    x_tm = x.transpose(1, 0, 2).copy()  # (T, N, D), a copy the caller cannot change
    # x_t W_xh + b_h for all steps in one product; `+=` so that no second large array is made.
    a_x = x_tm.reshape(T * N, D) @ params.W_xh
    a_x += params.b_h
    a_x = a_x.reshape(T, N, H)
    hs = np.empty((T + 1, N, H), dtype=dtype)  # hs[t] = h_{t-1}; hs[T] = h_T
    hs[0] = h_t
    for t in range(T):  # straight into hs[t + 1]: no temporary arrays inside the loop
        np.matmul(hs[t], params.W_hh, out=hs[t + 1])
        hs[t + 1] += a_x[t]
        np.tanh(hs[t + 1], out=hs[t + 1])
    h = hs[1:].transpose(1, 0, 2).copy()
    return h, RNNCache(x_tm, hs[:T], hs[1:], params)


def rnn_backward(dh: ArrayLike, cache: RNNCache) -> tuple[np.ndarray, np.ndarray, RNNParams]:
    """Backpropagation through time for `rnn_forward`.

    Parameters
    ----------
    dh : ndarray of shape (N, T, H)
        Gradient of the loss on every hidden state.
    cache : RNNCache

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    dh0 : ndarray of shape (N, H)
    dparams : RNNParams
        Summed over the batch and over time.
    """
    check_instance("cache", cache, RNNCache, " (the second value rnn_forward returns)")
    params = cache.params
    T, N, D = cache.x.shape
    H = params.H
    dh = check_shape("dh", check_ndim("dh", as_real_array("dh", dh, params.dtype), 3, "(N, T, H)"),
                     (N, T, H), "(N, T, H)")
    dh_tm = dh.transpose(1, 0, 2)
    # tanh' = 1 - h_t^2 does not depend on the incoming gradient: all steps at once, into da.
    da = cache.h * cache.h  # (T, N, H)
    np.subtract(1.0, da, out=da)
    W_hhT = np.ascontiguousarray(params.W_hh.T)  # (H, H)
    dh_t = np.empty((N, H), dtype=params.dtype)  # whole gradient on h_t
    dh_next = np.zeros((N, H), dtype=params.dtype)  # gradient reaching h_t from step t+1
    for t in reversed(range(T)):
        np.add(dh_tm[t], dh_next, out=dh_t)
        da[t] *= dh_t  # through tanh'
        np.matmul(da[t], W_hhT, out=dh_next)
    da_flat = da.reshape(T * N, H)
    dx = (da_flat @ params.W_xh.T).reshape(T, N, D).transpose(1, 0, 2).copy()
    dparams = RNNParams(cache.x.reshape(T * N, D).T @ da_flat,
                        cache.h_prev.reshape(T * N, H).T @ da_flat, da_flat.sum(axis=0))
    return dx, dh_next, dparams


def params_from_torch(weight_ih: ArrayLike, weight_hh: ArrayLike, bias_ih: ArrayLike,
                      bias_hh: ArrayLike) -> RNNParams:
    """RNNParams from a one-layer PyTorch `nn.RNN` (tanh): weight_ih (H, D), weight_hh (H, H),
    bias_ih (H,), bias_hh (H,); NumPy arrays or CPU tensors. The two biases are summed."""
    weight_hh = check_ndim("weight_hh", as_real_array("weight_hh", weight_hh), 2, "(H, H)")
    H = weight_hh.shape[1]
    if H == 0:
        raise ValueError(f"expected weight_hh of shape (H, H) with H >= 1, got {weight_hh.shape}")
    if weight_hh.shape[0] in (3 * H, 4 * H):
        kind = "a GRU's" if weight_hh.shape[0] == 3 * H else "an LSTM's"
        raise ValueError(f"expected weight_hh of shape (H, H) = ({H}, {H}), got {weight_hh.shape}: "
                         f"{weight_hh.shape[0] // H}H rows are {kind}; use lstm_course.lstm for an LSTM")
    check_shape("weight_hh", weight_hh, (H, H), "(H, H)")
    weight_ih = check_ndim("weight_ih", as_real_array("weight_ih", weight_ih), 2, "(H, D)")
    check_shape("weight_ih", weight_ih, (H, weight_ih.shape[1]), "(H, D)")
    bias_ih = check_shape("bias_ih", as_real_array("bias_ih", bias_ih), (H,), "(H,)")
    bias_hh = check_shape("bias_hh", as_real_array("bias_hh", bias_hh), (H,), "(H,)")
    return RNNParams(weight_ih.T.copy(), weight_hh.T.copy(), bias_ih + bias_hh)


def params_to_torch(params: RNNParams) -> dict[str, np.ndarray]:
    """The four arrays of a one-layer PyTorch `nn.RNN`, as new NumPy arrays: weight_ih (H, D),
    weight_hh (H, H), bias_ih (H,) holding the whole bias, bias_hh (H,) zero."""
    params = _check_params(params)
    return {"weight_ih": params.W_xh.T.copy(), "weight_hh": params.W_hh.T.copy(),
            "bias_ih": params.b_h.copy(), "bias_hh": np.zeros(params.H, dtype=params.dtype)}
