"""The two squashing functions of an LSTM and their derivatives.

sigmoid squashes to (0, 1): the gates, "how much" to let through.
tanh squashes to (-1, 1): the candidate and the output, "what" (with a sign).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["sigmoid", "sigmoid_grad", "tanh", "tanh_grad"]


def sigmoid(z: ArrayLike, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + exp(-z)), computed without overflow.

    Parameters
    ----------
    z : ndarray of any shape, float32 or float64
    out : ndarray of z's shape, optional
        Where to write the result, as for a NumPy ufunc (it may be z itself).

    Returns
    -------
    ndarray of the same shape and dtype, values in [0, 1].

    Notes
    -----
    The textbook form 1 / (1 + exp(-z)) overflows in exp(-z) for z < -709 (float64). The same
    function written e^z / (1 + e^z) can only overflow on the other side, and there it is not
    needed: for z >= 40, sigma(z) rounds to exactly 1 in float64 and float32 (1 - sigma(40) is
    4e-18), so z is capped at 40 and exp never overflows. For z << 0 it keeps the tiny value
    e^z (down to the smallest subnormal), instead of rounding it to 0 as (1 + tanh(z/2)) / 2 would.

    >>> sigmoid(np.array([-800.0, -30.0, 0.0, 30.0, 800.0]))
    array([0.00000000e+00, 9.35762297e-14, 5.00000000e-01, 1.00000000e+00,
           1.00000000e+00])
    """
    if out is None:
        e = np.exp(np.minimum(z, 40.0))  # e^z; a new array (or NumPy scalar) of z's float type
    else:
        e = np.exp(np.minimum(z, 40.0, out=out), out=out)
    e /= 1.0 + e  # in place: one temporary less, which shows in a loop over time steps
    return e


def sigmoid_grad(z: ArrayLike) -> np.ndarray:
    """Derivative of the sigmoid, sigma(z) * (1 - sigma(z)); shape and dtype of `z`."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent (NumPy's, which is already stable); shape and dtype of `z`."""
    return np.tanh(z)


def tanh_grad(z: ArrayLike) -> np.ndarray:
    """Derivative of tanh, 1 - tanh(z)**2; shape and dtype of `z`."""
    t = np.tanh(z)
    return 1.0 - t * t
