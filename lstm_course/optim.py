"""Optimizers over parameter trees: gradient-norm clipping, SGD with momentum, and Adam.

The optimizers are functional in what they return: ``step(params, grads)`` gives a *new*
parameter tree and leaves ``params`` and ``grads`` untouched. Only the optimizer's own state
(velocity, moment estimates, step count) changes, and it lives on the optimizer object, created
from the first ``params`` it sees.

Parameter trees are described in :mod:`lstm_course.tree`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .tree import tree_global_norm, tree_leaves_with_path, tree_map, tree_zeros_like
from .validation import check_finite_positive, check_unit_interval

__all__ = ["clip_grad_norm", "SGD", "Adam"]


def _check_grads(params: Any, grads: Any) -> None:
    """Raise if grads does not match params leaf for leaf, or is not finite."""
    named_params = tree_leaves_with_path(params)
    named_grads = tree_leaves_with_path(grads)
    param_paths = [p for p, _ in named_params]
    grad_paths = [p for p, _ in named_grads]
    if param_paths != grad_paths:
        raise ValueError(f"expected grads with the leaves of params {param_paths}, "
                         f"got {grad_paths}")
    for (path, p), (_, g) in zip(named_params, named_grads):
        name = path or "params"
        if g.shape != p.shape:
            raise ValueError(f"expected grads.{name} of shape {p.shape} like params.{name}, "
                             f"got {g.shape}")
        if not np.issubdtype(p.dtype, np.floating):
            raise TypeError(f"expected params.{name} to be floating-point, got dtype {p.dtype}")
        if not np.all(np.isfinite(g)):
            raise ValueError(f"grads.{name} contains NaN or inf: the loss has diverged "
                             f"(a smaller lr or clip_grad_norm may help)")


def _check_state(state: Any, params: Any) -> None:
    """Raise if params no longer matches the tree the optimizer's state was made for."""
    expected = [(path, leaf.shape) for path, leaf in tree_leaves_with_path(state)]
    got = [(path, leaf.shape) for path, leaf in tree_leaves_with_path(params)]
    if expected != got:
        raise ValueError(f"this optimizer's state was made for params with leaves {expected}, "
                         f"got {got}; use a new optimizer for a new model")


def clip_grad_norm(grads: Any, max_norm: float) -> tuple[Any, float]:
    """Scale a gradient tree down so that its global norm is at most ``max_norm``.

    Parameters
    ----------
    grads : parameter tree
        The gradients of every parameter; not modified.
    max_norm : float
        The largest allowed global norm, > 0.

    Returns
    -------
    clipped : parameter tree of the same structure
        New arrays (never the caller's): a copy of ``grads`` if its norm is at most
        ``max_norm``, otherwise ``grads * (max_norm / norm)``, whose norm is ``max_norm``.
    norm : float
        The global norm *before* clipping (useful to log exploding gradients).

    Notes
    -----
    All leaves are scaled by the same factor, so the update keeps its direction and only its
    length changes (Pascanu et al., 2013). The global norm is that of
    :func:`lstm_course.tree.tree_global_norm`.
    """
    max_norm = check_finite_positive("max_norm", max_norm)
    norm = tree_global_norm(grads)
    if not math.isfinite(norm):
        bad = [path or "grads" for path, g in tree_leaves_with_path(grads)
               if not np.all(np.isfinite(g))]
        raise ValueError(f"cannot clip gradients that contain NaN or inf (in {bad})")
    if norm <= max_norm:
        return tree_map(np.copy, grads), norm
    scale = max_norm / norm
    # a Python float scale keeps each leaf's dtype (float32 stays float32)
    return tree_map(lambda g: g * scale, grads), norm


class SGD:
    """Stochastic gradient descent, optionally with momentum.

    Parameters
    ----------
    lr : float
        The learning rate, > 0.
    momentum : float, default 0.0
        In [0, 1). 0 gives plain gradient descent.

    Attributes
    ----------
    velocity : parameter tree or None
        The running velocity, created as zeros by the first :meth:`step`.

    Notes
    -----
    With velocity v (starting at 0), gradient g and parameters p, each step does::

        v <- momentum * v + g
        p <- p - lr * v

    the convention of PyTorch's ``torch.optim.SGD`` (dampening 0, no Nesterov).
    """

    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        self.lr = check_finite_positive("lr", lr)
        self.momentum = check_unit_interval("momentum", momentum)
        self.velocity: Any = None

    def step(self, params: Any, grads: Any) -> Any:
        """Return updated parameters (a new tree); ``params`` and ``grads`` are not modified.

        Parameters
        ----------
        params : parameter tree
            The current parameters.
        grads : parameter tree with the structure and shapes of params
            The loss gradient at ``params``; must be finite.

        Returns
        -------
        parameter tree
            New arrays, of the same type, shapes and dtypes as ``params``.
        """
        _check_grads(params, grads)
        if self.momentum == 0.0:
            return tree_map(lambda p, g: p - self.lr * g.astype(p.dtype, copy=False),
                            params, grads)
        if self.velocity is None:
            self.velocity = tree_zeros_like(params)
        _check_state(self.velocity, params)
        self.velocity = tree_map(lambda v, g: self.momentum * v + g.astype(v.dtype, copy=False),
                                 self.velocity, grads)
        return tree_map(lambda p, v: p - self.lr * v, params, self.velocity)

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr}, momentum={self.momentum})"


class Adam:
    """Adam: per-parameter step sizes from running moments of the gradient (Kingma & Ba, 2015).

    Parameters
    ----------
    lr : float, default 1e-3
        The learning rate, > 0; roughly the largest step any single parameter takes.
    beta1 : float, default 0.9
        Decay of the first-moment (mean) estimate, in [0, 1).
    beta2 : float, default 0.999
        Decay of the second-moment (uncentred variance) estimate, in [0, 1).
    eps : float, default 1e-8
        Added to the denominator, > 0, so that zero gradients give zero steps.

    Attributes
    ----------
    m, v : parameter trees or None
        The moment estimates, created as zeros by the first :meth:`step`.
    t : int
        The number of steps taken.

    Notes
    -----
    At step t (from 1), with gradient g::

        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)          # bias correction: m and v start at 0
        v_hat = v / (1 - beta2**t)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    On the first step ``m_hat = g`` and ``v_hat = g**2``, so each parameter moves by
    ``lr * g / (|g| + eps)``, almost exactly ``lr * sign(g)`` whatever the gradient's size.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        self.lr = check_finite_positive("lr", lr)
        self.beta1 = check_unit_interval("beta1", beta1)
        self.beta2 = check_unit_interval("beta2", beta2)
        self.eps = check_finite_positive("eps", eps)
        self.m: Any = None
        self.v: Any = None
        self.t = 0

    def step(self, params: Any, grads: Any) -> Any:
        """Return updated parameters (a new tree); ``params`` and ``grads`` are not modified.

        Parameters
        ----------
        params : parameter tree
            The current parameters.
        grads : parameter tree with the structure and shapes of params
            The loss gradient at ``params``; must be finite.

        Returns
        -------
        parameter tree
            New arrays, of the same type, shapes and dtypes as ``params``.
        """
        _check_grads(params, grads)
        if self.m is None:
            self.m = tree_zeros_like(params)
            self.v = tree_zeros_like(params)
        _check_state(self.m, params)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        self.m = tree_map(lambda m, g: b1 * m + (1 - b1) * g.astype(m.dtype, copy=False),
                          self.m, grads)
        self.v = tree_map(lambda v, g: b2 * v + (1 - b2) * np.square(g.astype(v.dtype,
                                                                             copy=False)),
                          self.v, grads)
        correction1 = 1 - b1 ** self.t
        correction2 = 1 - b2 ** self.t

        def update(p: np.ndarray, m: np.ndarray, v: np.ndarray) -> np.ndarray:
            return p - self.lr * (m / correction1) / (np.sqrt(v / correction2) + self.eps)

        return tree_map(update, params, self.m, self.v)

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps})"
