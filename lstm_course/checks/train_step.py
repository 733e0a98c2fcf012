"""Check for one training step (lesson 10): forward, loss, backward, clipping, an SGD update.

The learner writes

    train_step(params, x, y, lr, max_norm) -> (new_params, loss, grad_norm)

for a `model.SequenceModelParams` (an LSTM cell and a linear read-out of the last hidden state),
x of shape (N, T, D), integer classes y of shape (N,): the softmax cross-entropy of the read-out
(a mean over the batch), its gradient on every parameter, the gradient clipped to a global norm
of at most max_norm, and one step of plain gradient descent, p - lr * g, on every parameter.
The reference is the same step made of the package's own pieces (`model.make_loss_fn`,
`optim.clip_grad_norm`, `optim.SGD`); a pure function, so it needs no optimizer object.
"""

from __future__ import annotations

import numpy as np

from ..model import SequenceModelParams, make_loss_fn
from ..optim import SGD, Adam, clip_grad_norm
from ..tree import tree_global_norm, tree_leaves_with_path, tree_map
from .core import (Case, call, case_rng, checker, close, diagnose_components, expect_array,
                   expect_scalar, fail, get_field, run_cases, unpack)
from .gates import random_lstm_params

__all__ = ["check_train_step"]

PYTORCH_CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_ scales by max_norm / (norm + 1e-6): accepted


def _cases(default, seed):
    """Three small problems; clipping active in the first and third, not in the second."""
    rng = case_rng(default, seed)
    loss_fn = make_loss_fn("cross_entropy", "last")
    specs = ((4, 5, 3, 6, 3, 0.5, 0.3), (3, 4, 2, 5, 4, 0.1, 3.0), (5, 3, 4, 3, 2, 1.0, 0.5))
    cases = []
    for N, T, D, H, K, lr, clip_ratio in specs:
        if seed is not None:
            N, T, D, H, K = (int(v) for v in rng.integers(2, 7, 5))
            K = max(K, 2)
        cell = random_lstm_params(rng, D, H, scale=0.5)
        params = SequenceModelParams(cell, rng.normal(0.0, 0.5, (H, K)), rng.normal(0.0, 0.5, K))
        x, y = rng.normal(size=(N, T, D)), rng.integers(0, K, N)
        norm = tree_global_norm(loss_fn(params, x, y)[1])
        max_norm = float(clip_ratio * norm)  # clip_ratio < 1: clipping acts; > 1: it must not
        label = f"N={N}, T={T}, D={D}, H={H}, K={K}, lr={lr:g}, " + \
            ("gradient norm above max_norm" if clip_ratio < 1 else "gradient norm below max_norm")
        cases.append(Case(label, params=params, x=x, y=y, lr=lr, max_norm=max_norm))
    return cases


def _step(params, x, y, lr, max_norm, clip="ok", update="ok", norm_after=False, loss_after=False,
          loss_scale=1.0, grad_scale=1.0, which="all", optimizer="sgd", norm_squared=False):
    """(new_params, loss, norm) of a chosen (possibly wrong) step, built from the package's pieces."""
    loss_fn = make_loss_fn("cross_entropy", "last")
    loss, grads, _ = loss_fn(params, x, y)
    grads = tree_map(lambda g: g * loss_scale * grad_scale, grads)
    loss = loss * loss_scale
    norm = tree_global_norm(grads)
    if clip == "ok":
        clipped, _ = clip_grad_norm(grads, max_norm)
    elif clip == "none":
        clipped = grads
    elif clip == "always":
        clipped = tree_map(lambda g: g * (max_norm / norm), grads)
    elif clip == "inverted":
        clipped = grads if norm <= max_norm else tree_map(lambda g: g * (norm / max_norm), grads)
    elif clip == "per_leaf":
        clipped = tree_map(lambda g: clip_grad_norm(g, max_norm)[0], grads)
    elif clip == "value":
        clipped = tree_map(lambda g: np.clip(g, -max_norm, max_norm), grads)
    elif clip == "torch":
        clipped = grads if norm <= max_norm else tree_map(lambda g: g * (max_norm / (norm + PYTORCH_CLIP_EPS)), grads)
    if optimizer == "adam":
        new = Adam(lr).step(params, clipped)
    elif update == "ok":
        new = SGD(lr).step(params, clipped)  # the reference: the package's own optimizer
    else:
        step = {"ok": lambda p, g: p - lr * g, "plus": lambda p, g: p + lr * g, "no_lr": lambda p, g: p - g,
                "none": lambda p, g: p.copy()}[update]
        new = tree_map(step, params, clipped)
    if which == "cell":
        new = SequenceModelParams(new.cell, params.W_out.copy(), params.b_out.copy())
    elif which == "readout":
        new = SequenceModelParams(tree_map(np.copy, params.cell), new.W_out, new.b_out)
    if loss_after:
        loss = loss_fn(new, x, y)[0] * loss_scale
    norm_out = min(norm, max_norm) if norm_after else norm
    return new, loss, (norm_out ** 2 if norm_squared else norm_out)


VARIANTS = [
    ("the update used the unclipped gradients: clip first, clipped, norm = clip_grad_norm(grads, "
     "max_norm), then update with the clipped ones", {"clip": "none"}),
    ("you scaled gradients whose norm was already below max_norm: clipping only acts when norm > "
     "max_norm", {"clip": "always"}),
    ("the clipping factor is max_norm / norm, not norm / max_norm", {"clip": "inverted"}),
    ("you clipped each parameter's gradient by its own norm: clip them all together, by the global "
     "norm of every gradient at once", {"clip": "per_leaf"}),
    ("return the gradient norm before clipping (it is what tells you that gradients explode), not "
     "after", {"norm_after": True}),
    ("gradient ascent: the update is p - lr * g (downhill), not p + lr * g", {"update": "plus"}),
    ("the learning rate is missing: p - lr * g", {"update": "no_lr"}),
    ("the parameters are returned unchanged: the step must update them, p - lr * g", {"update": "none"}),
    ("only the LSTM cell was updated: W_out and b_out are parameters too", {"which": "cell"}),
    ("only the read-out (W_out, b_out) was updated: the LSTM cell's twelve arrays are parameters "
     "too", {"which": "readout"}),
    ("return the loss before the update, the one the gradients belong to, not the loss of the new "
     "parameters", {"loss_after": True}),
    ("the loss is summed over the batch: it is the mean over the N sequences (and its gradient "
     "carries the 1/N)", {"loss_scale": "N"}),
    ("that is Adam's step: this exercise asks for plain gradient descent, p - lr * g",
     {"optimizer": "adam"}),
    ("that is value clipping (np.clip on each entry): norm clipping scales every gradient by "
     "max_norm / norm when the global norm is above max_norm", {"clip": "value"}),
    ("the loss is a mean over the batch but its gradient is not: dlogits = (softmax - onehot) / N",
     {"grad_scale": "N"}),
    ("grad_norm is the sum of squares: the norm is its square root", {"norm_squared": True}),
]


def _as_dict(new, loss, norm, paths):
    out = {"loss": np.float64(loss), "grad_norm": np.float64(norm)}
    leaves = dict(tree_leaves_with_path(new))
    out.update({f"new_params.{path}": leaves[path] for path in paths})
    return out


def _learner_params(new, ref_leaves):
    """The learner's new parameters as {path: array}, read by attribute or key."""
    hint = ("a SequenceModelParams (or any object or dict with fields cell, W_out, b_out, and cell with "
            "the twelve fields W_xi, W_hi, b_i, ...)")
    got = {}
    for path, ref in ref_leaves:
        node, what = new, "new_params"
        for part in path.split("."):
            node = get_field(node, part, what, hint)
            what = f"{what}.{part}"
        got[f"new_params.{path}"] = expect_array(node, what, ref.shape, "like params." + path)
    return got


@checker
def check_train_step(fn, seed=None):
    """Check fn(params, x, y, lr, max_norm) -> (new_params, loss, grad_norm), one training step.

    params : SequenceModelParams, an LSTM cell and a read-out (W_out (H, K), b_out (K,)) of the
        last hidden state h_T, as `model.model_forward(params, x, readout="last")` computes it.
    x : ndarray of shape (N, T, D); y : int ndarray of shape (N,), classes in [0, K).
    lr : float, the learning rate; max_norm : float, the clipping threshold.

    Returns new_params (same structure, new arrays: params itself must not change), loss (the
    mean softmax cross-entropy before the update) and grad_norm (the global gradient norm before
    clipping). The step: loss and gradients, clip the gradients to a global norm of at most
    max_norm, then p - lr * g for every parameter. Clipping with PyTorch's max_norm / (norm + 1e-6)
    is accepted.

    seed : int or None, default None
        None runs the check's fixed cases (the same at every run); an int draws fresh cases.
    """

    def test(case):
        p, x, y, lr, M = case.params, case.x, case.y, case.lr, case.max_norm
        ref_leaves = tree_leaves_with_path(p)
        paths = [path for path, _ in ref_leaves]
        ref = _as_dict(*_step(p, x, y, lr, M), paths)
        out = call(fn, (p, x, y, lr, M), ("params", "x", "y", "lr", "max_norm"),
                   "x is (N, T, D), y is (N,); model_forward(params, x) gives (N, K) logits",
                   in_place_hint=(" (with -=, += or [...] =): return new parameters, p - lr * g makes a "
                                  "new array where p -= lr * g changes the caller's"))
        new, loss, norm = unpack(out, ("new_params", "loss", "grad_norm"))
        got = {"loss": expect_scalar(loss, "loss", ": return the mean loss over the batch"),
               "grad_norm": expect_scalar(norm, "grad_norm", ": return the global norm of all gradients")}
        got.update(_learner_params(new, ref_leaves))
        torch_style = _as_dict(*_step(p, x, y, lr, M, clip="torch"), paths)
        if all(close(got[k], torch_style[k]) for k in ref):
            return
        variants = []
        for hint, kw in VARIANTS:
            kw = {k: (x.shape[0] if isinstance(v, str) and v == "N" else v) for k, v in kw.items()}
            variants.append((hint, _as_dict(*_step(p, x, y, lr, M, **kw), paths)))
        message = diagnose_components(got, ref, variants, groups=(("new_params.", "new_params"),))
        if message is not None:
            fail(message)

    return run_cases(_cases(1501, seed), test)
