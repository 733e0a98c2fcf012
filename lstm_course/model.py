"""A sequence model: a recurrent cell (RNN or LSTM) followed by a linear read-out.

Letters used in every shape: N batch, T time, D input size, H hidden size, K outputs.

    h_1..h_T = cell(x_1..x_T)            (rnn_forward or lstm_forward, zero initial state)
    y = h_T W_out + b_out                 readout="last": one output per sequence, (N, K)
    y_t = h_t W_out + b_out               readout="all": one output per step, (N, T, K)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import losses
from .lstm import LSTMParams, init_lstm_params, lstm_backward, lstm_forward
from .rnn import RNNParams, init_rnn_params, rnn_backward, rnn_forward
from .validation import as_real_array, check_instance, check_ndim, check_positive_int, check_shape

__all__ = ["SequenceModelParams", "ModelCache", "init_sequence_model", "model_forward",
           "model_backward", "make_loss_fn"]

READOUTS = ("last", "all")


@dataclasses.dataclass(frozen=True, eq=False)
class SequenceModelParams:
    """cell : LSTMParams or RNNParams; W_out : (H, K); b_out : (K,)."""

    cell: Any
    W_out: np.ndarray
    b_out: np.ndarray

    def __post_init__(self) -> None:
        if not isinstance(self.cell, (LSTMParams, RNNParams)):
            raise TypeError(f"cell must be an LSTMParams or an RNNParams, got {type(self.cell).__name__}")
        H, dtype = self.cell.H, self.cell.dtype
        W_out = check_ndim("W_out", as_real_array("W_out", self.W_out, dtype), 2, "(H, K)")
        check_shape("W_out", W_out, (H, W_out.shape[1]), "(H, K)")
        b_out = check_shape("b_out", as_real_array("b_out", self.b_out, dtype), (W_out.shape[1],), "(K,)")
        object.__setattr__(self, "W_out", W_out)
        object.__setattr__(self, "b_out", b_out)

    @property
    def kind(self) -> str:
        """"lstm" or "rnn"."""
        return "lstm" if isinstance(self.cell, LSTMParams) else "rnn"

    @property
    def K(self) -> int:
        """Number of outputs."""
        return self.W_out.shape[1]


class ModelCache(NamedTuple):
    h: np.ndarray  # (N, T, H), every hidden state
    cell_cache: Any
    params: SequenceModelParams
    readout: str


def init_sequence_model(kind: str, D: int, H: int, K: int, rng: np.random.Generator,
                        forget_bias: float = 1.0, dtype: DTypeLike = np.float64) -> SequenceModelParams:
    """A randomly initialised model.

    Parameters
    ----------
    kind : {"lstm", "rnn"}
    D, H, K : int
        Input size, hidden size, number of outputs.
    rng : numpy.random.Generator
    forget_bias : float, default 1.0
        The LSTM's initial forget-gate bias (ignored for an RNN).
    """
    if kind not in ("lstm", "rnn"):
        raise ValueError(f"kind must be 'lstm' or 'rnn', got {kind!r}")
    K = check_positive_int("K", K)
    if kind == "lstm":
        cell = init_lstm_params(D, H, rng, forget_bias=forget_bias, dtype=dtype)
    else:
        cell = init_rnn_params(D, H, rng, dtype=dtype)
    k = 1.0 / np.sqrt(H)
    W_out = rng.uniform(-k, k, size=(H, K)).astype(dtype)
    return SequenceModelParams(cell, W_out, np.zeros(K, dtype=dtype))


def model_forward(params: SequenceModelParams, x: ArrayLike,
                  readout: str = "last") -> tuple[np.ndarray, ModelCache]:
    """Outputs of the model for a batch of sequences.

    Parameters
    ----------
    params : SequenceModelParams
    x : ndarray of shape (N, T, D)
    readout : {"last", "all"}

    Returns
    -------
    y : ndarray of shape (N, K) for readout="last", (N, T, K) for readout="all"
    cache : ModelCache
    """
    check_instance("params", params, SequenceModelParams, " (build one with init_sequence_model)")
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
    if params.kind == "lstm":
        h, _, cell_cache = lstm_forward(x, None, None, params.cell)
    else:
        h, cell_cache = rnn_forward(x, None, params.cell)
    h_read = h[:, -1] if readout == "last" else h  # (N, H) or (N, T, H)
    y = h_read @ params.W_out + params.b_out
    return y, ModelCache(h, cell_cache, params, readout)


def model_backward(dy: ArrayLike, cache: ModelCache) -> SequenceModelParams:
    """Gradients of the loss on every parameter, given dL/dy.

    Parameters
    ----------
    dy : ndarray of shape (N, K) or (N, T, K), like `y`
    cache : ModelCache

    Returns
    -------
    SequenceModelParams of gradients (new arrays).
    """
    check_instance("cache", cache, ModelCache, " (the second value model_forward returns)")
    params, h = cache.params, cache.h
    N, T, H = h.shape
    K = params.K
    if cache.readout == "last":
        dy = check_shape("dy", as_real_array("dy", dy, params.W_out.dtype), (N, K), "(N, K)")
        dW_out = h[:, -1].T @ dy
        dh = np.zeros_like(h)
        dh[:, -1] = dy @ params.W_out.T  # only h_T feeds the output
        db_out = dy.sum(axis=0)
    else:
        dy = check_shape("dy", as_real_array("dy", dy, params.W_out.dtype), (N, T, K), "(N, T, K)")
        dW_out = h.reshape(N * T, H).T @ dy.reshape(N * T, K)
        dh = dy @ params.W_out.T  # (N, T, H)
        db_out = dy.sum(axis=(0, 1))
    if params.kind == "lstm":
        dcell = lstm_backward(dh, cache.cell_cache)[3]
    else:
        dcell = rnn_backward(dh, cache.cell_cache)[2]
    return SequenceModelParams(dcell, dW_out, db_out)


LossFn = Callable[[SequenceModelParams, ArrayLike, ArrayLike], tuple[float, SequenceModelParams, "float | None"]]


def make_loss_fn(loss: str = "cross_entropy", readout: str = "last") -> LossFn:
    """A function `loss_fn(params, x, y) -> (loss, grads, accuracy)` for `train.train`.

    loss : {"cross_entropy", "mse"}
        "cross_entropy" takes integer class targets y of shape (N,) (or (N, T) with readout
        "all") and reports accuracy; "mse" takes real targets shaped like the output and
        reports accuracy as None.
    """
    losses.check_loss_name(loss)

    def loss_fn(params, x, y):
        out, cache = model_forward(params, x, readout)
        value, dout, acc = losses.evaluate(out, y, loss)
        return value, model_backward(dout, cache), acc

    return loss_fn
