"""Random parameters with nothing at zero, for tests, exercise checks and worked examples.

Letters used in every shape: D input size, H hidden size.

`init_lstm_params` and `init_rnn_params` start a model as PyTorch does (all biases 0 but the
forget gate's). A test of a formula needs the opposite: every weight and every bias clearly
non-zero and of a chosen size, so that no mistake (a dropped bias, a swapped gate, a missing
term) can hide behind a zero.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from .lstm import GATES, LSTMParams
from .rnn import RNNParams
from .validation import check_positive_int, check_rng

__all__ = ["nonzero_normal", "random_lstm_params", "random_rnn_params"]


def nonzero_normal(shape: tuple[int, ...], rng: np.random.Generator, scale: float = 0.5,
                   dtype: DTypeLike = np.float64) -> np.ndarray:
    """Normal(0, scale) values pushed away from 0: every entry has |v| >= scale / 5.

    >>> v = nonzero_normal((1000,), np.random.default_rng(0), scale=0.5)
    >>> bool(np.abs(v).min() >= 0.1)
    True
    """
    check_rng(rng)
    if not scale > 0:
        raise ValueError(f"scale must be a number > 0, got {scale!r}")
    v = rng.normal(scale=scale, size=shape)
    return (np.where(v >= 0, 1.0, -1.0) * (np.abs(v) + scale / 5)).astype(dtype)


def random_lstm_params(D: int, H: int, rng: np.random.Generator, scale: float = 0.5,
                       dtype: DTypeLike = np.float64) -> LSTMParams:
    """LSTMParams with every weight AND every bias non-zero, of size about `scale`.

    Drawn gate by gate in the order (i, f, g, o), W_x then W_h then b, with `nonzero_normal`.

    >>> p = random_lstm_params(3, 4, np.random.default_rng(0))
    >>> p.W_xg.shape, bool((p.b_i != 0).all())
    ((3, 4), True)
    """
    D = check_positive_int("D", D)
    H = check_positive_int("H", H)
    fields = {}
    for gate in GATES:
        fields[f"W_x{gate}"] = nonzero_normal((D, H), rng, scale, dtype)
        fields[f"W_h{gate}"] = nonzero_normal((H, H), rng, scale, dtype)
        fields[f"b_{gate}"] = nonzero_normal((H,), rng, scale, dtype)
    return LSTMParams(**fields)


def random_rnn_params(D: int, H: int, rng: np.random.Generator, scale: float = 0.5,
                      dtype: DTypeLike = np.float64) -> RNNParams:
    """RNNParams with every weight and the bias non-zero, of size about `scale` (W_xh, W_hh, b_h in that order)."""
    D = check_positive_int("D", D)
    H = check_positive_int("H", H)
    return RNNParams(nonzero_normal((D, H), rng, scale, dtype), nonzero_normal((H, H), rng, scale, dtype),
                     nonzero_normal((H,), rng, scale, dtype))
