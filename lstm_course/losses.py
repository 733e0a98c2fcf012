"""Losses and their gradients: mean squared error and softmax cross-entropy.

Each loss returns ``(loss, dinput)``: the scalar loss and its gradient with respect to the
model's output, ready to be passed to a backward pass. Inputs are checked first, so a shape
mistake gives a message naming the expected shape rather than a silent broadcast.

Shapes use N (batch), T (time) and K (classes or outputs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .validation import check_float_array

__all__ = ["mse", "softmax", "softmax_cross_entropy", "accuracy", "LOSSES", "check_loss_name", "evaluate"]


def _check_logits_targets(logits: Any, targets: Any) -> tuple[np.ndarray, np.ndarray]:
    logits = check_float_array("logits", logits, finite=True)
    if logits.ndim not in (2, 3):
        raise ValueError(f"expected logits of shape (N, K) or (N, T, K), got {logits.shape}")
    targets = np.asarray(targets)
    expected = logits.shape[:-1]
    letters = "(N,)" if logits.ndim == 2 else "(N, T)"
    if targets.shape != expected:
        raise ValueError(f"expected targets of shape {letters} = {expected}, got {targets.shape}")
    if not np.issubdtype(targets.dtype, np.integer):
        raise TypeError(f"expected integer class indices in targets, got dtype {targets.dtype}")
    n_classes = logits.shape[-1]
    if targets.size and (targets.min() < 0 or targets.max() >= n_classes):
        raise ValueError(f"expected targets in [0, K) = [0, {n_classes}), got values from "
                         f"{targets.min()} to {targets.max()}")
    return logits, targets


def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error, averaged over *all* elements.

    Parameters
    ----------
    pred : ndarray of any shape, e.g. (N, K), floating dtype
        The model's outputs.
    target : ndarray of the same shape as pred
        The desired outputs. Shapes must match exactly: (N,) against (N, 1) is an error, not a
        broadcast to (N, N).

    Returns
    -------
    loss : float
        ``mean((pred - target) ** 2)``.
    dpred : ndarray of the same shape and dtype as pred
        ``2 * (pred - target) / pred.size``, the gradient of ``loss``.
    """
    pred = check_float_array("pred", pred, finite=True)
    target_arr = np.asarray(target)
    if target_arr.shape != pred.shape:
        raise ValueError(f"expected target of the shape of pred, {pred.shape}, "
                         f"got {target_arr.shape}")
    if not np.issubdtype(target_arr.dtype, np.number) or np.iscomplexobj(target_arr):
        raise TypeError(f"expected target to be a real numeric array, got dtype "
                        f"{target_arr.dtype}")
    if not np.all(np.isfinite(target_arr)):
        raise ValueError("expected target to be finite, but it contains NaN or inf")
    if pred.size == 0:
        raise ValueError("expected a non-empty pred; the mean of no elements is undefined")
    diff = pred - target_arr.astype(pred.dtype, copy=False)
    loss = float(np.mean(np.square(diff, dtype=np.float64)))
    dpred = (2.0 / pred.size) * diff
    return loss, dpred.astype(pred.dtype, copy=False)


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, stable for very large or very negative logits.

    Parameters
    ----------
    logits : ndarray, e.g. (N, K) or (N, T, K), floating dtype
        Unnormalised scores; must be finite.
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray of the same shape and dtype as logits
        Non-negative, summing to 1 along ``axis``.

    Notes
    -----
    ``softmax(z) = exp(z - max z) / sum(exp(z - max z))``: subtracting the maximum leaves the
    result unchanged and keeps every exponent at most 0, so nothing overflows.
    """
    logits = check_float_array("logits", logits, finite=True)
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Cross-entropy of a softmax over classes, averaged over positions.

    Parameters
    ----------
    logits : ndarray of shape (N, K) or (N, T, K), floating dtype
        Unnormalised class scores, one row per example (and time step).
    targets : ndarray of int, shape (N,) or (N, T)
        The correct class of each position, in ``[0, K)``.

    Returns
    -------
    loss : float
        The mean over the N (or N * T) positions of ``-log softmax(logits)[target]``.
    dlogits : ndarray of the same shape and dtype as logits
        The gradient of ``loss``: ``(softmax(logits) - onehot(targets)) / P`` with P the number
        of positions.

    Notes
    -----
    The log-probability is computed as ``z[y] - logsumexp(z)`` with
    ``logsumexp(z) = max z + log sum exp(z - max z)``, which never takes the log of an
    underflowed 0, so confident mistakes give large finite losses rather than inf.
    """
    logits, targets = _check_logits_targets(logits, targets)
    n_positions = targets.size
    if n_positions == 0:
        raise ValueError("expected at least one position in logits, got shape "
                         f"{logits.shape}")
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    log_norm = np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    log_probs = shifted - log_norm  # (..., K)
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)  # (..., 1)
    loss = -float(np.mean(picked, dtype=np.float64))
    dlogits = np.exp(log_probs)
    # subtract 1 at each target: put_along_axis writes into dlogits, our own fresh array
    np.put_along_axis(dlogits, targets[..., None],
                      np.take_along_axis(dlogits, targets[..., None], axis=-1) - 1, axis=-1)
    dlogits /= n_positions
    return loss, dlogits


def accuracy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Fraction of positions where the highest logit is the target class.

    Parameters
    ----------
    logits : ndarray of shape (N, K) or (N, T, K), floating dtype
    targets : ndarray of int, shape (N,) or (N, T)

    Returns
    -------
    float
        In [0, 1], averaged over all N (or N * T) positions. Ties go to the lowest class index,
        as with ``numpy.argmax``.
    """
    logits, targets = _check_logits_targets(logits, targets)
    if targets.size == 0:
        raise ValueError(f"expected at least one position in logits, got shape {logits.shape}")
    return float(np.mean(np.argmax(logits, axis=-1) == targets))


LOSSES = ("cross_entropy", "mse")


def check_loss_name(loss: str) -> str:
    """Return `loss` if it names one of LOSSES, else raise ValueError listing them."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    return loss


def evaluate(out: np.ndarray, targets: np.ndarray, loss: str) -> tuple[float, np.ndarray, float | None]:
    """A named loss of a model's output: (value, gradient on `out`, accuracy or None).

    "cross_entropy": integer class targets, accuracy reported; "mse": real targets shaped like
    `out`, accuracy None (a regression has none).
    """
    if check_loss_name(loss) == "cross_entropy":
        value, dout = softmax_cross_entropy(out, targets)
        return value, dout, accuracy(out, targets)
    value, dout = mse(out, targets)
    return value, dout, None
