"""The gated recurrent unit (GRU): one step and a whole sequence, forward and backward, in NumPy.

Letters used in every shape: N batch size, T time steps, D input size, H hidden size.

A GRU (Cho et al. 2014) keeps one state, h_t, and updates it with two gates:

    r_t = sigmoid(x_t W_xr + h_{t-1} W_hr + b_r)                  reset gate: how much of h_{t-1} the candidate sees
    z_t = sigmoid(x_t W_xz + h_{t-1} W_hz + b_z)                  update gate: how much of h_{t-1} to keep
    n_t =    tanh(x_t W_xn + b_in + r_t * (h_{t-1} W_hn + b_hn))  candidate: what to write
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

Beside the LSTM: z_t plays the forget gate and 1 - z_t the input gate (coupled, as in the
"CIFG" LSTM variant), there is no separate cell state and no output gate. The gate order
(r, z, n) and the place of b_hn, inside the product with r_t, are PyTorch's `nn.GRU`, so that
`params_from_torch` / `params_to_torch` map its weights one to one. That is why the candidate
keeps two biases: b_in is added outside the reset gate, b_hn inside it, and their sum would
not be the same function. (Cho et al.'s original applies r_t to h_{t-1} before the product,
n_t = tanh(x_t W_xn + (r_t * h_{t-1}) W_hn + b_n); PyTorch and cuDNN use the form above.)
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from .activations import sigmoid
from .validation import (as_real_array, check_instance, check_ndim, check_positive_int, check_sequence,
                         check_shape, finish_param_fields)

__all__ = [
    "GRUParams", "GRUStepCache", "GRUCache", "init_gru_params",
    "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
    "params_from_torch", "params_to_torch", "GATES",
]

GATES = ("r", "z", "n")  # PyTorch's order of the three layers


@dataclasses.dataclass(frozen=True, eq=False)
class GRUParams:
    """The weights of one GRU cell, by layer.

    W_xr, W_xz, W_xn : ndarray of shape (D, H), the weights on the input x_t
    W_hr, W_hz, W_hn : ndarray of shape (H, H), the weights on the previous hidden state h_{t-1}
    b_r, b_z : ndarray of shape (H,), the gates' biases (PyTorch's bias_ih + bias_hh)
    b_in : ndarray of shape (H,), the candidate's bias outside the reset gate (PyTorch's b_in)
    b_hn : ndarray of shape (H,), the candidate's bias inside the reset gate (PyTorch's b_hn)

    All ten arrays share one dtype (float64 unless all are float32). Frozen: build a changed
    copy with `dataclasses.replace`.
    """

    W_xr: np.ndarray
    W_hr: np.ndarray
    b_r: np.ndarray
    W_xz: np.ndarray
    W_hz: np.ndarray
    b_z: np.ndarray
    W_xn: np.ndarray
    W_hn: np.ndarray
    b_in: np.ndarray
    b_hn: np.ndarray

    def __post_init__(self):
        W_xr = as_real_array("W_xr", self.W_xr)
        W_hr = as_real_array("W_hr", self.W_hr)
        if W_xr.ndim != 2 or W_hr.ndim != 2:
            raise ValueError(f"expected W_xr of shape (D, H) and W_hr of shape (H, H), "
                             f"got {W_xr.shape} and {W_hr.shape}")
        D, H = W_xr.shape
        shapes = {}
        for gate in GATES:
            shapes[f"W_x{gate}"] = ((D, H), "(D, H)")
            shapes[f"W_h{gate}"] = ((H, H), "(H, H)")
        for name in ("b_r", "b_z", "b_in", "b_hn"):
            shapes[name] = ((H,), "(H,)")
        finish_param_fields(self, shapes)

    @property
    def D(self) -> int:
        """Input size."""
        return self.W_xr.shape[0]

    @property
    def H(self) -> int:
        """Hidden size."""
        return self.W_xr.shape[1]

    @property
    def dtype(self) -> np.dtype:
        return self.W_xr.dtype


class GRUStepCache(NamedTuple):
    """What `gru_step_backward` needs from one forward step: x (N, D); h_prev, r, z, n and
    hn = h_{t-1} W_hn + b_hn (N, H), all new arrays; params."""
    x: np.ndarray
    h_prev: np.ndarray
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    hn: np.ndarray
    params: GRUParams


class GRUCache(NamedTuple):
    """What `gru_backward` needs from `gru_forward`, time-major: x (T, N, D); h_prev (T, N, H)
    with h_prev[0] = h0; r, z, n, hn (T, N, H) as in `GRUStepCache`; params."""
    x: np.ndarray
    h_prev: np.ndarray
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    hn: np.ndarray
    params: GRUParams


def init_gru_params(D: int, H: int, rng: np.random.Generator, dtype=np.float64) -> GRUParams:
    """Random GRU weights: U(-1/sqrt(H), 1/sqrt(H)) as PyTorch draws them, zero biases.

    Parameters
    ----------
    D, H : int
        Input and hidden size.
    rng : numpy.random.Generator
    dtype : float32 or float64, default float64

    Returns
    -------
    GRUParams

    Notes
    -----
    PyTorch draws the biases from the same uniform law; zero biases start every gate at 1/2,
    like `lstm.init_lstm_params` with forget_bias=0, so that a race starts both on equal terms.
    """
    D = check_positive_int("D", D)
    H = check_positive_int("H", H)
    check_instance("rng", rng, np.random.Generator, " (use numpy.random.default_rng(seed))")
    k = 1.0 / np.sqrt(H)
    fields = {}
    for gate in GATES:
        fields[f"W_x{gate}"] = rng.uniform(-k, k, size=(D, H)).astype(dtype)
        fields[f"W_h{gate}"] = rng.uniform(-k, k, size=(H, H)).astype(dtype)
    for name in ("b_r", "b_z", "b_in", "b_hn"):
        fields[name] = np.zeros(H, dtype=dtype)
    return GRUParams(**fields)


# ---------------------------------------------------------------------------------------
# Input checks

def _check_params(params):
    return check_instance("params", params, GRUParams, " (build one with init_gru_params or params_from_torch)")


def _check_state(name, value, N, H, dtype):
    if value is None:
        return np.zeros((N, H), dtype=dtype)
    arr = check_ndim(name, as_real_array(name, value, dtype), 2, "(N, H)")
    return check_shape(name, arr, (N, H), "(N, H)")


# ---------------------------------------------------------------------------------------
# The arithmetic of one step, without input checks (the sequence functions call these)

def _step(a_r, a_z, a_n_x, h_prev, p):
    """One step from the input parts a_? = x_t W_x? + b_? (N, H) (a_n_x includes b_in).

    Returns h, r, z, n, hn (N, H).
    """
    r = sigmoid(a_r + h_prev @ p.W_hr)
    z = sigmoid(a_z + h_prev @ p.W_hz)
    hn = h_prev @ p.W_hn + p.b_hn  # PyTorch: the bias b_hn sits inside the reset gate's product
    n = np.tanh(a_n_x + r * hn)
    h = (1.0 - z) * n + z * h_prev  # equivalently n + z * (h_prev - n)
    return h, r, z, n, hn


def _step_back(dh, h_prev, r, z, n, hn):
    """Gradients on the pre-activations of one step, and the part of dL/dh_{t-1} through z.

    dh (N, H) is the whole gradient on h_t. Returns da_r, da_z, da_n (on x W_xn + b_in + r hn),
    dhn (on hn = h_{t-1} W_hn + b_hn) and dh_direct = dh * z (the path h_{t-1} -> h_t that
    skips every weight: the GRU's "memory lane").
    """
    dn = dh * (1.0 - z)
    dz = dh * (h_prev - n)
    da_n = dn * (1.0 - n * n)  # tanh' = 1 - tanh^2
    dr = da_n * hn
    dhn = da_n * r
    da_r = dr * r * (1.0 - r)  # sigmoid' = s (1 - s)
    da_z = dz * z * (1.0 - z)
    return da_r, da_z, da_n, dhn, dh * z


def _weight_grads(x, h_prev, da_r, da_z, da_n, dhn):
    """GRUParams of gradients; x (M, D), the rest (M, H), M = N or T * N rows summed over."""
    return GRUParams(W_xr=x.T @ da_r, W_hr=h_prev.T @ da_r, b_r=da_r.sum(axis=0),
                     W_xz=x.T @ da_z, W_hz=h_prev.T @ da_z, b_z=da_z.sum(axis=0),
                     W_xn=x.T @ da_n, W_hn=h_prev.T @ dhn, b_in=da_n.sum(axis=0), b_hn=dhn.sum(axis=0))


# ---------------------------------------------------------------------------------------
# One step

def gru_step_forward(x, h_prev, params: GRUParams) -> tuple[np.ndarray, GRUStepCache]:
    """One GRU step.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        The input x_t.
    h_prev : ndarray of shape (N, H)
        The previous hidden state h_{t-1}.
    params : GRUParams

    Returns
    -------
    h : ndarray of shape (N, H)
        The new hidden state h_t.
    cache : GRUStepCache
        For `gru_step_backward`.

    Notes
    -----
    ::

        r = sigmoid(x W_xr + h_prev W_hr + b_r)
        z = sigmoid(x W_xz + h_prev W_hz + b_z)
        n = tanh(x W_xn + b_in + r * (h_prev W_hn + b_hn))
        h = (1 - z) * n + z * h_prev
    """
    p = _check_params(params)
    D, H, dtype = p.D, p.H, p.dtype
    x = check_ndim("x", as_real_array("x", x, dtype), 2, "(N, D)")
    N = x.shape[0]
    check_shape("x", x, (N, D), "(N, D)")
    h_prev = _check_state("h_prev", h_prev, N, H, dtype)
    h, r, z, n, hn = _step(x @ p.W_xr + p.b_r, x @ p.W_xz + p.b_z, x @ p.W_xn + p.b_in, h_prev, p)
    # copies: the caller may change x or h_prev later; the backward must not see it
    return h, GRUStepCache(x.copy(), h_prev.copy(), r, z, n, hn, p)


def gru_step_backward(dh, cache: GRUStepCache) -> tuple[np.ndarray, np.ndarray, GRUParams]:
    """Backward through one GRU step.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        The whole gradient of the loss on h_t (from the output at step t and from step t+1).
    cache : GRUStepCache
        From `gru_step_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dh_prev : ndarray of shape (N, H)
    dparams : GRUParams
        Gradients on every weight, summed over the batch; new arrays.

    Notes
    -----
    With a_n = x W_xn + b_in + r * hn and hn = h_prev W_hn + b_hn::

        dn = dh * (1 - z)             dz = dh * (h_prev - n)
        da_n = dn * (1 - n^2)         da_z = dz * z (1 - z)
        dhn = da_n * r                da_r = da_n * hn * r (1 - r)
        dh_prev = dh * z + da_r W_hr^T + da_z W_hz^T + dhn W_hn^T
    """
    check_instance("cache", cache, GRUStepCache, " (the second value gru_step_forward returns)")
    p = cache.params
    N, H = cache.h_prev.shape
    dh = check_shape("dh", check_ndim("dh", as_real_array("dh", dh, p.dtype), 2, "(N, H)"), (N, H), "(N, H)")
    da_r, da_z, da_n, dhn, dh_prev = _step_back(dh, cache.h_prev, cache.r, cache.z, cache.n, cache.hn)
    dx = da_r @ p.W_xr.T + da_z @ p.W_xz.T + da_n @ p.W_xn.T
    dh_prev = dh_prev + da_r @ p.W_hr.T + da_z @ p.W_hz.T + dhn @ p.W_hn.T
    return dx, dh_prev, _weight_grads(cache.x, cache.h_prev, da_r, da_z, da_n, dhn)


# ---------------------------------------------------------------------------------------
# A whole sequence

def gru_forward(x, h0, params: GRUParams) -> tuple[np.ndarray, GRUCache]:
    """Run a GRU over a sequence.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0 : ndarray of shape (N, H), or None for zeros
    params : GRUParams

    Returns
    -------
    h : ndarray of shape (N, T, H)
        Every hidden state h_1..h_T (a new array).
    cache : GRUCache
        For `gru_backward`.

    Notes
    -----
    The step equations are in `gru_step_forward`. The input parts x_t W_x? + b_? do not depend
    on the recurrence, so they are computed for all steps in one matrix product each.
    """
    p = _check_params(params)
    D, H, dtype = p.D, p.H, p.dtype
    x, N, T = check_sequence(x, D, dtype)
    h_t = _check_state("h0", h0, N, H, dtype)

    x_tm = x.transpose(1, 0, 2).copy()  # (T, N, D), a copy the caller cannot change
    flat = x_tm.reshape(T * N, D)
    a_r = (flat @ p.W_xr + p.b_r).reshape(T, N, H)
    a_z = (flat @ p.W_xz + p.b_z).reshape(T, N, H)
    a_n = (flat @ p.W_xn + p.b_in).reshape(T, N, H)
    hs = np.empty((T + 1, N, H), dtype=dtype)  # hs[t] = h_{t-1}; hs[T] = h_T
    r, z, n, hn = (np.empty((T, N, H), dtype=dtype) for _ in range(4))
    hs[0] = h_t
    for t in range(T):
        hs[t + 1], r[t], z[t], n[t], hn[t] = _step(a_r[t], a_z[t], a_n[t], hs[t], p)
    h = hs[1:].transpose(1, 0, 2).copy()  # (N, T, H)
    return h, GRUCache(x_tm, hs[:T], r, z, n, hn, p)


def gru_backward(dh, cache: GRUCache) -> tuple[np.ndarray, np.ndarray, GRUParams]:
    """Backpropagation through time for `gru_forward`.

    Parameters
    ----------
    dh : ndarray of shape (N, T, H)
        Gradient of the loss on every hidden state h_1..h_T (from the outputs only).
    cache : GRUCache
        From `gru_forward`.

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    dh0 : ndarray of shape (N, H)
    dparams : GRUParams
        Gradients summed over the batch and over time; new arrays.

    Notes
    -----
    Each step is `gru_step_backward`'s arithmetic; the weight gradients, the same for every
    step, are summed over all T steps at once after the loop.
    """
    check_instance("cache", cache, GRUCache, " (the second value gru_forward returns)")
    p = cache.params
    T, N, D = cache.x.shape
    H, dtype = p.H, p.dtype
    dh = check_shape("dh", check_ndim("dh", as_real_array("dh", dh, dtype), 3, "(N, T, H)"),
                     (N, T, H), "(N, T, H)")
    dh_tm = dh.transpose(1, 0, 2)  # (T, N, H) view
    W_hT = np.concatenate([p.W_hr, p.W_hz, p.W_hn], axis=1).T.copy()  # (3H, H)
    da = np.empty((T, N, 3 * H), dtype=dtype)  # da_r, da_z, dhn side by side: they meet W_hr, W_hz, W_hn
    da_n = np.empty((T, N, H), dtype=dtype)
    dh_next = np.zeros((N, H), dtype=dtype)  # gradient reaching h_t from step t+1
    for t in reversed(range(T)):
        da_r, da_z, da_n[t], dhn, dh_direct = _step_back(dh_tm[t] + dh_next, cache.h_prev[t],
                                                         cache.r[t], cache.z[t], cache.n[t], cache.hn[t])
        da[t, :, :H], da[t, :, H:2 * H], da[t, :, 2 * H:] = da_r, da_z, dhn
        dh_next = dh_direct + da[t] @ W_hT

    M = T * N
    da_flat, da_n_flat = da.reshape(M, 3 * H), da_n.reshape(M, H)
    da_r, da_z, dhn = da_flat[:, :H], da_flat[:, H:2 * H], da_flat[:, 2 * H:]
    dx = da_r @ p.W_xr.T + da_z @ p.W_xz.T + da_n_flat @ p.W_xn.T  # (T * N, D)
    dx = dx.reshape(T, N, D).transpose(1, 0, 2).copy()
    dparams = _weight_grads(cache.x.reshape(M, D), cache.h_prev.reshape(M, H), da_r, da_z, da_n_flat, dhn)
    return dx, dh_next, dparams


# ---------------------------------------------------------------------------------------
# PyTorch's layout

def params_from_torch(weight_ih, weight_hh, bias_ih, bias_hh) -> GRUParams:
    """GRUParams from the arrays of a one-layer PyTorch `nn.GRU` (no torch import needed).

    Parameters
    ----------
    weight_ih : array of shape (3H, D)   (`weight_ih_l0`, rows in the order r, z, n)
    weight_hh : array of shape (3H, H)   (`weight_hh_l0`)
    bias_ih, bias_hh : array of shape (3H,)

    NumPy arrays or CPU tensors. The gates' two biases are summed (b_r, b_z); the candidate's
    stay apart: b_in = bias_ih[2H:], b_hn = bias_hh[2H:].
    """
    weight_hh = check_ndim("weight_hh", as_real_array("weight_hh", weight_hh), 2, "(3H, H)")
    H = weight_hh.shape[1]
    if H == 0:
        raise ValueError(f"expected weight_hh of shape (3H, H) with H >= 1, got {weight_hh.shape}")
    if weight_hh.shape[0] in (H, 4 * H) and weight_hh.shape[0] != 3 * H:
        kind = "an RNN's" if weight_hh.shape[0] == H else "an LSTM's"
        raise ValueError(f"expected weight_hh of shape (3H, H) = ({3 * H}, {H}), got {weight_hh.shape}: "
                         f"{weight_hh.shape[0] // H}H rows are {kind}; a GRU has three layers (r, z, n)")
    check_shape("weight_hh", weight_hh, (3 * H, H), "(3H, H)")
    weight_ih = check_ndim("weight_ih", as_real_array("weight_ih", weight_ih), 2, "(3H, D)")
    check_shape("weight_ih", weight_ih, (3 * H, weight_ih.shape[1]), "(3H, D)")
    bias_ih = check_shape("bias_ih", as_real_array("bias_ih", bias_ih), (3 * H,), "(3H,)")
    bias_hh = check_shape("bias_hh", as_real_array("bias_hh", bias_hh), (3 * H,), "(3H,)")
    rows = {gate: slice(k * H, (k + 1) * H) for k, gate in enumerate(GATES)}
    fields = {}
    for gate in GATES:
        fields[f"W_x{gate}"] = weight_ih[rows[gate]].T.copy()
        fields[f"W_h{gate}"] = weight_hh[rows[gate]].T.copy()
    fields["b_r"] = bias_ih[rows["r"]] + bias_hh[rows["r"]]
    fields["b_z"] = bias_ih[rows["z"]] + bias_hh[rows["z"]]
    fields["b_in"] = bias_ih[rows["n"]].copy()
    fields["b_hn"] = bias_hh[rows["n"]].copy()
    return GRUParams(**fields)


def params_to_torch(params: GRUParams) -> dict[str, np.ndarray]:
    """The four arrays of a one-layer PyTorch `nn.GRU`, as a dict of new NumPy arrays.

    Keys weight_ih (3H, D), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,), rows in the order
    (r, z, n). The gates' biases b_r, b_z go to bias_ih (bias_hh holds zeros there); the
    candidate's b_in goes to bias_ih and b_hn to bias_hh, where `nn.GRU` needs them.
    """
    p = _check_params(params)
    zeros = np.zeros(p.H, dtype=p.dtype)
    return {
        "weight_ih": np.concatenate([getattr(p, f"W_x{k}").T for k in GATES], axis=0),
        "weight_hh": np.concatenate([getattr(p, f"W_h{k}").T for k in GATES], axis=0),
        "bias_ih": np.concatenate([p.b_r, p.b_z, p.b_in]),
        "bias_hh": np.concatenate([zeros, zeros, p.b_hn]),
    }
