"""A small training loop that records loss, accuracy and gradient norm at every step."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .validation import check_positive_int, check_rng

__all__ = ["TrainingHistory", "train"]


@dataclasses.dataclass
class TrainingHistory:
    """What happened at each training step (lists indexed by step).

    loss : list of float
    accuracy : list of float, or of None when the loss has no accuracy (MSE)
    grad_norm : list of float, the global gradient norm before clipping
    """

    loss: list = dataclasses.field(default_factory=list)
    accuracy: list = dataclasses.field(default_factory=list)
    grad_norm: list = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return len(self.loss)

    def as_dict(self) -> dict[str, list]:
        """The three lists, copied, by name (for a results file or a plot)."""
        return {"loss": list(self.loss), "accuracy": list(self.accuracy), "grad_norm": list(self.grad_norm)}

    def first_step(self, accuracy: float | None = None, loss: float | None = None) -> int | None:
        """The first step (1-based count of steps taken) whose accuracy >= `accuracy` or
        loss <= `loss`, or None if no step reached it."""
        if (accuracy is None) == (loss is None):
            raise ValueError("give exactly one of accuracy= or loss=")
        for step, (l, a) in enumerate(zip(self.loss, self.accuracy), start=1):
            if (accuracy is not None and a is not None and a >= accuracy) or (loss is not None and l <= loss):
                return step
        return None


def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


class _Progress:
    """Live one-line display in Jupyter ("bar"), a few plain lines elsewhere ("lines"), or nothing."""

    def __init__(self, mode, steps):
        if mode == "auto":
            mode = "bar" if _in_notebook() else "lines"
        if mode not in ("bar", "lines", False, None):
            raise ValueError(f"progress must be 'auto', 'bar', 'lines' or False, got {mode!r}")
        self.mode, self.steps, self.start = mode, steps, time.perf_counter()
        self.every = max(1, steps // 5)  # about five lines
        self.handle = None

    @staticmethod
    def _line(step, steps, history):
        acc = history.accuracy[-1]
        acc_text = "" if acc is None else f"  accuracy {acc:.3f}"
        return f"step {step}/{steps}  loss {history.loss[-1]:.4f}{acc_text}  grad norm {history.grad_norm[-1]:.3g}"

    def update(self, step, history, done=False):
        if self.mode == "lines":
            if step % self.every == 0 or done:
                print(self._line(step, self.steps, history))
        elif self.mode == "bar" and (done or step % max(1, self.steps // 100) == 0):
            from IPython.display import HTML, display
            frac = step / self.steps
            html = (f"<progress value='{frac:.3f}' max='1' style='width:12em'></progress> "
                    f"<code>{self._line(step, self.steps, history)}  "
                    f"({time.perf_counter() - self.start:.1f} s)</code>")
            if self.handle is None:
                self.handle = display(HTML(html), display_id=True)
            else:
                self.handle.update(HTML(html))


def train(params: Any, loss_fn: Callable[..., tuple[float, Any, float | None]],
          make_batch: Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]], steps: int,
          optimizer: Any, rng: np.random.Generator, clip_norm: float | None = None,
          progress: str | bool = "auto", target_accuracy: float | None = None,
          target_loss: float | None = None) -> tuple[Any, TrainingHistory]:
    """Train with a fresh batch at every step.

    Parameters
    ----------
    params : parameter tree (for example SequenceModelParams)
    loss_fn : callable
        `loss_fn(params, x, y) -> (loss, grads, accuracy or None)`, for example
        `model.make_loss_fn("cross_entropy")`.
    make_batch : callable
        `make_batch(rng) -> (x, y)`, for example
        `lambda rng: tasks.delayed_recall(64, gap=20, rng=rng)`.
    steps : int
        The most steps to take (the budget).
    optimizer : object with `step(params, grads) -> new params` (optim.SGD, optim.Adam)
    rng : numpy.random.Generator
        Draws the batches.
    clip_norm : float, optional
        Rescale the gradient to this global norm when it is larger (Pascanu et al. 2013).
    progress : {"auto", "bar", "lines", False}
        "auto" is a live line in Jupyter and about five printed lines elsewhere. Use "lines"
        or False in notebooks checked by nbval: the live line shows elapsed time.
    target_accuracy, target_loss : float, optional
        Stop as soon as a step's batch reaches this accuracy (>=) or loss (<=).

    Returns
    -------
    params : the trained parameters (new objects; the given ones are not changed)
    history : TrainingHistory
    """
    from .optim import clip_grad_norm
    from .tree import tree_global_norm

    steps = check_positive_int("steps", steps)
    check_rng(rng)
    if clip_norm is not None and not clip_norm > 0:
        raise ValueError(f"clip_norm must be a positive number or None, got {clip_norm!r}")
    history = TrainingHistory()
    bar = _Progress(progress, steps)
    for step in range(1, steps + 1):
        x, y = make_batch(rng)
        loss, grads, acc = loss_fn(params, x, y)
        if not math.isfinite(loss):
            raise FloatingPointError(f"the loss became {loss} at step {step}: lower the learning rate "
                                     "or clip the gradient (clip_norm=1.0)")
        if clip_norm is not None:
            grads, norm = clip_grad_norm(grads, clip_norm)
        else:
            norm = tree_global_norm(grads)
        params = optimizer.step(params, grads)
        history.loss.append(float(loss))
        history.accuracy.append(None if acc is None else float(acc))
        history.grad_norm.append(float(norm))
        reached = ((target_accuracy is not None and acc is not None and acc >= target_accuracy)
                   or (target_loss is not None and loss <= target_loss))
        bar.update(step, history, done=reached or step == steps)
        if reached:
            break
    return params, history
