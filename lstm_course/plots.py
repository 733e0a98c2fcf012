"""Figures for the lessons: training curves, gradient norms, accuracy, gates, activations.

Every ``plot_*`` function draws on the Axes it is given (or on a new figure when
``ax`` is None) and returns that Axes; call it again on the same Axes to overlay.
Nothing is styled at import and ``plt.show()`` is never called. Inputs are
checked first, so a wrong length or shape gives an error that names it.

Colours come from the Okabe-Ito palette (safe for colour-blind readers); a gate
has the same colour here as in :mod:`lstm_course.diagrams`.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np

from . import activations
from .diagrams import GATE_COLORS

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
_GATE_ALIASES = {"f": "forget", "f_t": "forget", "i": "input", "i_t": "input", "o": "output",
                 "o_t": "output", "g": "candidate", "c_tilde": "candidate", "candidate": "candidate",
                 "forget": "forget", "input": "input", "output": "output"}


def _new_ax(ax, figsize=(6.4, 3.6)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _array(name, values):
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"expected {name} to hold numbers, got {values!r:.80}") from err
    if arr.size == 0:
        raise ValueError(f"expected {name} to be non-empty")
    return arr


def _vector(name, values):
    """A non-empty 1-D float array."""
    arr = _array(name, values)
    if arr.ndim != 1:
        raise ValueError(f"expected {name} to be 1-D, got shape {arr.shape}")
    return arr


def _runs(name, values, length):
    """(L,) or (S, L) values: one run, or S runs (e.g. seeds) over the same L points."""
    arr = _array(name, values)
    if arr.ndim not in (1, 2) or arr.shape[-1] != length:
        raise ValueError(f"expected {name} of shape ({length},) or (S, {length}) to match the "
                         f"{length} x values, got shape {arr.shape}")
    return arr.reshape(-1, length)


def _labelled(name, mapping):
    if not isinstance(mapping, Mapping) or not mapping:
        raise ValueError(f"expected {name} to be a non-empty dict mapping a label to values")
    return mapping


def _plot_runs(ax, x, runs, label, color, center, **kw):
    """One line through the runs' centre (mean or median), with a min-max band if S > 1."""
    line, = ax.plot(x, center(runs, axis=0), color=color, label=label, **kw)
    if runs.shape[0] > 1:
        ax.fill_between(x, runs.min(axis=0), runs.max(axis=0), color=color, alpha=0.18, lw=0)
    return line


def plot_training_curves(histories, key="loss", ax=None, smooth=1, logy=False):
    """Plot one metric of several training runs against the step.

    Parameters
    ----------
    histories : dict of str to dict
        Label -> history, a dict of lists indexed by step, e.g. ``{"loss": [...],
        "accuracy": [...], "grad_norm": [...]}``.
    key : str
        The metric to plot; every history must have it.
    smooth : int
        Width of a trailing moving average. With ``smooth > 1`` the raw curve is
        drawn faintly behind the smoothed one.
    logy : bool
        Logarithmic y axis (useful for losses and gradient norms).

    Returns
    -------
    ax : matplotlib Axes
    """
    _labelled("histories", histories)
    if int(smooth) != smooth or smooth < 1:
        raise ValueError(f"expected smooth to be a positive integer, got {smooth!r}")
    curves = {}
    for label, history in histories.items():
        if not isinstance(history, Mapping) or key not in history:
            have = sorted(history) if isinstance(history, Mapping) else type(history).__name__
            raise ValueError(f"history {label!r} has no {key!r}; it has {have}")
        curves[label] = _vector(f"histories[{label!r}][{key!r}]", history[key])
    ax = _new_ax(ax)
    for k, (label, y) in enumerate(curves.items()):
        color, steps = PALETTE[k % len(PALETTE)], np.arange(len(y))
        if smooth > 1 and len(y) >= smooth:
            ax.plot(steps, y, color=color, alpha=0.25, lw=1)
            y = np.convolve(y, np.ones(smooth) / smooth, mode="valid")
            steps = steps[smooth - 1:]
        ax.plot(steps, y, color=color, lw=1.8, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel(key.replace("_", " "))
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax


def plot_gradient_norms_vs_lag(lags, norms_by_label, ax=None, logy=True):
    """Plot how large the gradient stays as it travels back ``lag`` steps.

    Parameters
    ----------
    lags : sequence of int, length L
        How many steps back from the loss, e.g. ``range(1, 51)``.
    norms_by_label : dict of str to array of shape (L,) or (S, L)
        Label -> gradient norms ``||dL/dh_{t-lag}||``. With S runs (seeds) the
        median is drawn with a min-max band.
    logy : bool
        Logarithmic y axis, on which geometric decay is a straight line.

    Returns
    -------
    ax : matplotlib Axes
    """
    x = _vector("lags", lags)
    runs = {label: _runs(f"norms_by_label[{label!r}]", v, len(x))
            for label, v in _labelled("norms_by_label", norms_by_label).items()}
    for label, r in runs.items():
        if np.any(r < 0):
            raise ValueError(f"norms_by_label[{label!r}] has negative values; norms are >= 0")
    ax = _new_ax(ax)
    for k, (label, r) in enumerate(runs.items()):
        _plot_runs(ax, x, r, label, PALETTE[k % len(PALETTE)], np.median, lw=1.8)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("lag (steps back in time)")
    ax.set_ylabel("gradient norm")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3, which="major")
    return ax


def plot_accuracy_vs_gap(gaps, acc_by_label, chance=None, ax=None):
    """Plot accuracy (between 0 and 1) against the gap a model must bridge.

    Parameters
    ----------
    gaps : sequence of int, length L
        Distance between the relevant input and the step where it is needed.
    acc_by_label : dict of str to array of shape (L,) or (S, L)
        Label -> accuracy in [0, 1]. With S runs the mean is drawn with a
        min-max band.
    chance : float, optional
        Accuracy of guessing, drawn as a dashed line.

    Returns
    -------
    ax : matplotlib Axes
    """
    x = _vector("gaps", gaps)
    runs = {label: _runs(f"acc_by_label[{label!r}]", v, len(x))
            for label, v in _labelled("acc_by_label", acc_by_label).items()}
    for label, r in runs.items():
        if np.any((r < 0) | (r > 1)):
            raise ValueError(f"acc_by_label[{label!r}] has values outside [0, 1] "
                             "(give accuracy as a fraction, not a percentage)")
    if chance is not None and not 0 <= chance <= 1:
        raise ValueError(f"expected chance in [0, 1], got {chance!r}")
    ax = _new_ax(ax)
    for k, (label, r) in enumerate(runs.items()):
        _plot_runs(ax, x, r, label, PALETTE[k % len(PALETTE)], np.mean, lw=1.8, marker="o", ms=4)
    if chance is not None:
        ax.axhline(chance, color="#777777", ls="--", lw=1.2, label="chance")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("gap (steps between the clue and the answer)")
    ax.set_ylabel("accuracy")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax


def _gate_color(name, k):
    return GATE_COLORS.get(_GATE_ALIASES.get(str(name).lower()), PALETTE[k % len(PALETTE)])


def plot_gates_over_time(gates, tokens=None, kind="mean", ax=None, colorbar=True):
    """Show a trained LSTM's gates across one sequence.

    Parameters
    ----------
    gates : dict of str to array of shape (T, H) or (T,)
        Gate name -> its values at every step of one sequence, e.g.
        ``{"forget": f, "input": i, "output": o}``. All must have the same T.
        Names such as "forget"/"f", "input"/"i", "output"/"o", "candidate"/"g"
        get the gates' diagram colours.
    tokens : sequence of length T, optional
        What was read at each step, written along the x axis.
    kind : {"mean", "heatmap"}
        "mean": one line per gate, the mean over the H units, with a band from
        the 10th to the 90th percentile. "heatmap": every unit of every gate,
        one block of H rows per gate.
    colorbar : bool
        Add a colour bar next to the heatmap.

    Returns
    -------
    ax : matplotlib Axes
    """
    _labelled("gates", gates)
    if kind not in ("mean", "heatmap"):
        raise ValueError(f"expected kind 'mean' or 'heatmap', got {kind!r}")
    values = {}
    for name, v in gates.items():
        arr = _array(f"gates[{name!r}]", v)
        if arr.ndim not in (1, 2):
            raise ValueError(f"expected gates[{name!r}] of shape (T, H) or (T,), got {arr.shape}")
        values[name] = arr.reshape(len(arr), -1)  # (T, H)
    lengths = {name: len(v) for name, v in values.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"expected every gate to have the same number of steps T, got {lengths}")
    T = next(iter(lengths.values()))
    if tokens is not None and len(tokens) != T:
        raise ValueError(f"expected {T} tokens (one per step), got {len(tokens)}")
    signed = any(np.nanmin(v) < 0 for v in values.values())
    ax = _new_ax(ax, figsize=(7, 3.6))
    steps = np.arange(T)
    if kind == "mean":
        for k, (name, v) in enumerate(values.items()):
            color = _gate_color(name, k)
            ax.plot(steps, v.mean(axis=1), color=color, lw=2, marker="o", ms=3, label=str(name))
            if v.shape[1] > 1:
                lo, hi = np.percentile(v, [10, 90], axis=1)
                ax.fill_between(steps, lo, hi, color=color, alpha=0.15, lw=0)
        ax.set_ylim(-1.05 if signed else -0.03, 1.03)
        ax.set_ylabel("gate value (mean over units)")
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.grid(alpha=0.3)
    else:
        stacked = np.concatenate([v.T for v in values.values()], axis=0)  # (sum of H, T)
        image = ax.imshow(stacked, aspect="auto", interpolation="nearest",
                          cmap="PuOr_r" if signed else "cividis", vmin=-1 if signed else 0, vmax=1)
        edges = np.cumsum([v.shape[1] for v in values.values()])
        for edge in edges[:-1]:
            ax.axhline(edge - 0.5, color="white", lw=2)
        ax.set_yticks(edges - np.array([v.shape[1] for v in values.values()]) / 2 - 0.5)
        ax.set_yticklabels([str(name) for name in values])
        if colorbar:
            ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="gate value")
    if tokens is not None:
        labels = [str(t) for t in tokens]
        ax.set_xticks(steps)
        rotate = T > 16 or max(map(len, labels)) > 3
        ax.set_xticklabels(labels, rotation=90 if rotate else 0)
        ax.set_xlabel("input at each step")
    else:
        ax.set_xlabel("step t")
    return ax


_ACTIVATIONS = {  # name -> (legend name, function, derivative, colour)
    "sigmoid": (r"$\sigma$", activations.sigmoid, activations.sigmoid_grad, "#0072B2"),
    "tanh": ("tanh", activations.tanh, activations.tanh_grad, "#D55E00"),
}


def plot_activation(fn="sigmoid", ax=None, x=None, derivative=True, label=None):
    """Plot an activation function and, dashed, its derivative.

    Parameters
    ----------
    fn : "sigmoid", "tanh", a callable, or a list of these
        A callable maps an array to an array of the same shape; its derivative
        is estimated with central differences. A list overlays several.
    x : array of shape (M,), optional
        Increasing points to evaluate at; ``np.linspace(-6, 6, 401)`` by default.
    derivative : bool
        Also draw the derivative; its maximum is given in the legend, since the
        largest slope bounds how much a gradient can grow through the function.
    label : str, optional
        Legend name for a callable (its ``__name__`` by default).

    Returns
    -------
    ax : matplotlib Axes
    """
    x = np.linspace(-6, 6, 401) if x is None else _vector("x", x)
    if len(x) < 3 or not np.all(np.isfinite(x)) or np.any(np.diff(x) <= 0):
        raise ValueError("expected x to be at least 3 finite, strictly increasing points")
    fns = list(fn) if isinstance(fn, (list, tuple)) else [fn]
    if not fns:
        raise ValueError("expected at least one activation to plot")
    ax = _new_ax(ax, figsize=(5.6, 3.6))
    for k, f in enumerate(fns):
        if callable(f):
            name = label or getattr(f, "__name__", "f")
            y = np.asarray(f(x), dtype=float)
            if y.shape != x.shape:
                raise ValueError(f"expected {name}(x) to have shape {x.shape}, got {y.shape}")
            dy, color = np.gradient(y, x, edge_order=2), PALETTE[(2 + k) % len(PALETTE)]
        elif f in _ACTIVATIONS:
            name, fun, dfun, color = _ACTIVATIONS[f]
            y, dy = fun(x), dfun(x)
        else:
            raise ValueError(f"unknown activation {f!r}; expected 'sigmoid', 'tanh' or a callable")
        ax.plot(x, y, color=color, lw=2, label=f"{name}(x)")
        if derivative:
            ax.plot(x, dy, color=color, lw=1.6, ls="--", label=f"{name}'(x), max {dy.max():.3g}")
    ax.axhline(0, color="#999999", lw=0.8, zorder=0)
    ax.axvline(0, color="#999999", lw=0.8, zorder=0)
    ax.set_xlabel("x")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax
