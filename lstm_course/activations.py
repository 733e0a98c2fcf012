"""The two squashing functions of an LSTM and their derivatives.

sigmoid squashes to (0, 1): the gates, "how much" to let through.
tanh squashes to (-1, 1): the candidate and the output, "what" (with a sign).
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "sigmoid_grad", "tanh", "tanh_grad"]


def sigmoid(z):
    """Logistic sigmoid 1 / (1 + exp(-z)), computed without overflow.

    Parameters
    ----------
    z : ndarray of any shape, float32 or float64

    Returns
    -------
    ndarray of the same shape and dtype, values in [0, 1].

    Notes
    -----
    The textbook form overflows in exp(-z) for z < -709 (float64). With e = exp(-|z|),
    which is always in (0, 1], sigma(z) = 1 / (1 + e) for z >= 0 and e / (1 + e) for z < 0:
    the same function, and no exponent can overflow.
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return np.where(z < 0, e, 1.0) / (1.0 + e)  # e / (1 + e) on the negative side


def sigmoid_grad(z):
    """Derivative of the sigmoid, sigma(z) * (1 - sigma(z)); shape and dtype of `z`."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    """Hyperbolic tangent (NumPy's, which is already stable); shape and dtype of `z`."""
    return np.tanh(z)


def tanh_grad(z):
    """Derivative of tanh, 1 - tanh(z)**2; shape and dtype of `z`."""
    t = np.tanh(z)
    return 1.0 - t * t
