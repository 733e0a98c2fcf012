"""Lesson 12: the LSTM's relatives (GRU, peepholes, coupled gates, Greff's ablations) in one race.

Letters used in every shape: N batch size, T time steps, D input size, H hidden size, K classes.

- :class:`CellModel`: any recurrent cell of the course followed by a linear read-out,
  y = h_T W_out + b_out (or y_t = h_t W_out + b_out at every step).
- :func:`init_cell_model`, :func:`make_cell_loss_fn`: build and train one with `train.train`,
  for every kind in :data:`KINDS`: "lstm" (the package's standard cell), "gru", "rnn" and every
  name of `variants.VARIANTS`.
- :func:`count_params`: the weights each kind uses.
- The experiment ``relatives_race`` (``make results ONLY=relatives_race``): every kind on the
  delayed-recall task of lesson 10, each at its own best learning rate from a small grid, with
  the same budget of Adam steps, on several seeds.

Fairness: for a given seed, every model sees the same training batches in the same order and is
scored on the same held-out sequences; every LSTM variant starts from the same weights (the GRU
and the RNN from their own, since their shapes differ).
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import numpy as np

from . import losses
from .gru import GRUParams, gru_backward, gru_forward, init_gru_params
from .lstm import LSTMParams, init_lstm_params, lstm_backward, lstm_forward
from .optim import Adam
from .results import experiment
from .rnn import RNNParams, init_rnn_params, rnn_backward, rnn_forward
from .tasks import delayed_recall
from .train import train
from .validation import as_real_array, check_instance, check_ndim, check_positive_int, check_shape
from .variants import VARIANTS, PeepholeParams, add_peepholes, count_variant_params, variant_backward, variant_forward

__all__ = ["KINDS", "CellModel", "init_cell_model", "cell_forward", "cell_backward", "make_cell_loss_fn",
           "count_params", "race_unit", "RACE", "best_learning_rates", "race_claims"]

#: Every kind of cell a CellModel can hold: the standard LSTM, the GRU, the tanh RNN, and the variants.
KINDS = ("lstm", "gru", "rnn", *(v for v in VARIANTS if v != "full"))


def _check_kind(kind):
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(map(repr, KINDS))}")
    return kind


_CELL_TYPES = {"gru": GRUParams, "rnn": RNNParams, "peepholes": PeepholeParams}


@dataclasses.dataclass(frozen=True, eq=False)
class CellModel:
    """A recurrent cell and a linear read-out.

    cell : LSTMParams, PeepholeParams, GRUParams or RNNParams
    W_out : ndarray of shape (H, K)
    b_out : ndarray of shape (K,)
    """

    cell: Any
    W_out: np.ndarray
    b_out: np.ndarray

    def __post_init__(self):
        if not isinstance(self.cell, (LSTMParams, PeepholeParams, GRUParams, RNNParams)):
            raise TypeError("cell must be an LSTMParams, PeepholeParams, GRUParams or RNNParams, "
                            f"got {type(self.cell).__name__}")
        H, dtype = self.cell.H, self.cell.dtype
        W_out = check_ndim("W_out", as_real_array("W_out", self.W_out, dtype), 2, "(H, K)")
        check_shape("W_out", W_out, (H, W_out.shape[1]), "(H, K)")
        b_out = check_shape("b_out", as_real_array("b_out", self.b_out, dtype), (W_out.shape[1],), "(K,)")
        object.__setattr__(self, "W_out", W_out)
        object.__setattr__(self, "b_out", b_out)


def init_cell_model(kind: str, D: int, H: int, K: int, rng: np.random.Generator,
                    forget_bias: float = 1.0) -> CellModel:
    """A randomly initialised CellModel.

    Parameters
    ----------
    kind : str, one of KINDS
    D, H, K : int
        Input size, hidden size, number of outputs.
    rng : numpy.random.Generator
    forget_bias : float, default 1.0
        The initial forget-gate bias of the LSTM kinds (ignored by the GRU and the RNN).

    Notes
    -----
    Every LSTM kind draws the same numbers from `rng`, so that, from equal generators, the
    variants start from the same weights; "peepholes" adds zero peephole weights.
    """
    _check_kind(kind)
    D, H, K = (check_positive_int(n, v) for n, v in (("D", D), ("H", H), ("K", K)))
    if kind == "gru":
        cell = init_gru_params(D, H, rng)
    elif kind == "rnn":
        cell = init_rnn_params(D, H, rng)
    else:
        cell = init_lstm_params(D, H, rng, forget_bias=forget_bias)
        if kind == "peepholes":
            cell = add_peepholes(cell)
    k = 1.0 / np.sqrt(H)
    return CellModel(cell, rng.uniform(-k, k, size=(H, K)), np.zeros(K))


class _Cache(NamedTuple):
    kind: str
    cache: Any


def cell_forward(kind: str, cell, x) -> tuple[np.ndarray, _Cache]:
    """Every hidden state (N, T, H) of a cell of `kind` over x (N, T, D), from zero states."""
    _check_kind(kind)
    if kind == "lstm":
        h, _, cache = lstm_forward(x, None, None, check_instance("cell", cell, LSTMParams))
    elif kind == "gru":
        h, cache = gru_forward(x, None, cell)
    elif kind == "rnn":
        h, cache = rnn_forward(x, None, cell)
    else:
        h, _, cache = variant_forward(x, None, None, cell, kind)
    return h, _Cache(kind, cache)


def cell_backward(dh, cache: _Cache):
    """The gradient on the cell's weights, given dL/dh (N, T, H) and `cell_forward`'s cache."""
    kind, inner = cache
    if kind == "lstm":
        return lstm_backward(dh, inner)[3]
    if kind == "gru":
        return gru_backward(dh, inner)[2]
    if kind == "rnn":
        return rnn_backward(dh, inner)[2]
    return variant_backward(dh, inner)[3]


def make_cell_loss_fn(kind: str, loss: str = "cross_entropy"):
    """`loss_fn(params, x, y) -> (loss, grads, accuracy)` for `train.train`: a CellModel of `kind`
    reading out its last hidden state. loss: "cross_entropy" (y (N,) classes) or "mse" (y (N, K))."""
    _check_kind(kind)
    losses.check_loss_name(loss)
    cell_type = _CELL_TYPES.get(kind, LSTMParams)

    def loss_fn(params, x, y):
        check_instance("params", params, CellModel, f" (build one with init_cell_model({kind!r}, ...))")
        check_instance("params.cell", params.cell, cell_type, f" for kind {kind!r}")
        h, cache = cell_forward(kind, params.cell, x)
        h_last = h[:, -1]  # (N, H)
        value, dout, acc = losses.evaluate(h_last @ params.W_out + params.b_out, y, loss)
        dh = np.zeros_like(h)
        dh[:, -1] = dout @ params.W_out.T
        grads = CellModel(cell_backward(dh, cache), h_last.T @ dout, dout.sum(axis=0))
        return value, grads, acc

    return loss_fn


def count_params(kind: str, D: int, H: int, K: int = 0) -> int:
    """The weights a kind of cell uses (removed parts not counted), plus a read-out of K outputs."""
    _check_kind(kind)
    readout = H * K + K
    if kind == "gru":
        return 3 * (D * H + H * H + H) + H + readout  # b_in and b_hn: one bias more than three layers
    if kind == "rnn":
        return D * H + H * H + H + readout
    return count_variant_params("full" if kind == "lstm" else kind, D, H) + readout


# ---------------------------------------------------------------------------------------
# The race (make results ONLY=relatives_race)

#: The race's settings: the task, the budget, the grid of learning rates and the entrants.
RACE = {
    "gap": 20, "n_classes": 8, "H": 32, "batch_size": 32, "steps": 800, "eval_size": 512,
    "learning_rates": (0.003, 0.01, 0.03), "clip": 1.0, "solved_at": 0.99,
    # label -> (kind, forget bias of the LSTM kinds)
    "entrants": {
        "LSTM": ("lstm", 1.0), "LSTM, forget bias 0": ("lstm", 0.0), "GRU": ("gru", 1.0),
        "peepholes (Greff's V)": ("peepholes", 1.0), "CIFG": ("cifg", 1.0), "NIG": ("no_input_gate", 1.0),
        "NFG": ("no_forget_gate", 1.0), "NOG": ("no_output_gate", 1.0), "NIAF": ("no_input_activation", 1.0),
        "NOAF": ("no_output_tanh", 1.0), "tanh RNN": ("rnn", 1.0),
    },
}


def race_unit(kind: str, forget_bias: float, lr: float, seed: int, settings=RACE) -> dict:
    """Train one entrant at one learning rate on one seed; return what the race records.

    The weights come from ``default_rng([seed, 0])``, the training batches from
    ``default_rng([seed, 1])``, a validation set from ``[seed, 3]`` and the held-out test set from
    ``[seed, 2]``, the same for every entrant. Training pauses at each batch answered all right;
    it stops there if the validation set is answered at least `solved_at` right, and goes on
    (same optimizer, same stream of batches) otherwise, until the budget is spent.

    Returns
    -------
    dict with "steps" (Adam steps taken; the budget when not solved), "accuracy" (held-out),
    "solved" (held-out accuracy >= solved_at), "loss" (the training loss every 10 steps).
    """
    s = settings
    n_distractors = 4
    D = s["n_classes"] + n_distractors + 1
    params = init_cell_model(kind, D, s["H"], s["n_classes"], np.random.default_rng([seed, 0]), forget_bias)

    def data(n, rng):
        return delayed_recall(n, s["gap"], s["n_classes"], n_distractors, rng=rng)

    def score(params, x, y):
        h, _ = cell_forward(kind, params.cell, x)
        return losses.accuracy(h[:, -1] @ params.W_out + params.b_out, y)

    x_val, y_val = data(s["eval_size"], np.random.default_rng([seed, 3]))
    loss_fn, optimizer, batches = make_cell_loss_fn(kind), Adam(lr), np.random.default_rng([seed, 1])
    trace = []
    try:
        while len(trace) < s["steps"]:
            params, part = train(params, loss_fn, lambda rng: data(s["batch_size"], rng), s["steps"] - len(trace),
                                 optimizer, batches, clip_norm=s["clip"], progress=False, target_accuracy=1.0)
            trace += part.loss
            if part.accuracy[-1] >= 1.0 and score(params, x_val, y_val) >= s["solved_at"]:
                break
    except FloatingPointError:  # diverged at this learning rate: a failure, not a crash
        return {"steps": s["steps"], "accuracy": 1.0 / s["n_classes"], "solved": False, "loss": []}
    acc = score(params, *data(s["eval_size"], np.random.default_rng([seed, 2])))
    solved = acc >= s["solved_at"]
    return {"steps": len(trace) if solved else s["steps"], "accuracy": float(acc), "solved": bool(solved),
            "loss": [round(v, 5) for v in trace[::10]]}


def best_learning_rates(runs: dict, learning_rates) -> dict:
    """For each label, the learning rate with the most seeds solved, then the fewest median steps.

    runs[label][str(lr)] is a list (one per seed) of `race_unit` results.
    """
    best = {}
    for label, by_lr in runs.items():
        def score(lr):
            rows = by_lr[str(lr)]
            return (-sum(r["solved"] for r in rows), float(np.median([r["steps"] for r in rows])),
                    -float(np.median([r["accuracy"] for r in rows])))
        best[label] = min(learning_rates, key=score)
    return best


@experiment("relatives_race", seeds=(0, 1, 2, 3), settings=RACE,
            description="lesson 12: LSTM, GRU, peepholes and Greff's ablations on delayed recall, each at its best LR")
def _race(runner):
    s = runner.settings
    entrants = s["entrants"]
    runner.expect(len(entrants) * len(s["learning_rates"]) * len(runner.seeds))
    runs = {}
    for label, (kind, forget_bias) in entrants.items():
        runs[label] = {}
        for lr in s["learning_rates"]:
            runs[label][str(lr)] = [
                runner.unit({"label": label, "lr": lr, "seed": seed},
                            lambda kind=kind, fb=forget_bias, lr=lr, seed=seed: race_unit(kind, fb, lr, seed, s))
                for seed in runner.seeds]
    best = best_learning_rates(runs, s["learning_rates"])
    summary = {}
    for label, lr in best.items():
        rows = runs[label][str(lr)]
        steps = [r["steps"] for r in rows]
        acc = [r["accuracy"] for r in rows]
        summary[label] = {"lr": lr, "solved": sum(r["solved"] for r in rows), "seeds": len(rows),
                          "steps": steps, "steps_min_median_max": [min(steps), float(np.median(steps)), max(steps)],
                          "accuracy": acc, "accuracy_min_median_max": [min(acc), float(np.median(acc)), max(acc)]}
    params = {label: count_params(kind, s["n_classes"] + 5, s["H"], s["n_classes"])
              for label, (kind, _) in entrants.items()}
    return {"summary": summary, "runs": runs, "param_counts": params}


def race_claims(summary: dict) -> dict[str, bool]:
    """What lesson 12 says about the race, each claim with whether `summary` bears it out.

    `summary` is ``load_result("relatives_race")["data"]["summary"]``; the lesson asserts every
    claim and tests/test_relatives_classic_slow.py asserts them on the committed results.
    """
    s = summary
    solved = {label: row["solved"] for label, row in s.items()}
    seeds = {label: row["seeds"] for label, row in s.items()}
    median = {label: float(np.median(row["steps"])) for label, row in s.items()}
    vanilla = "peepholes (Greff's V)"
    faster_than_vanilla = [label for label in ("CIFG", "NIG", "NFG", "NOG", "NIAF", "NOAF")
                           if solved[label] >= solved[vanilla] and median[label] < median[vanilla]]
    return {
        "with forget bias 0 the LSTM solves no seed; with forget bias 1 it solves some":
            solved["LSTM, forget bias 0"] == 0 and solved["LSTM"] >= 1,
        "the GRU solves every seed; the LSTM with forget bias 1 does not":
            solved["GRU"] == seeds["GRU"] and solved["LSTM"] < seeds["LSTM"],
        "NFG solves every seed, each in fewer steps than any other entrant's median":
            solved["NFG"] == seeds["NFG"] and max(s["NFG"]["steps"]) < min(m for k, m in median.items() if k != "NFG"),
        "NOAF solves every seed, in fewer median steps than the peephole cell (Greff's vanilla)":
            solved["NOAF"] == seeds["NOAF"] and median["NOAF"] < median[vanilla],
        "NFG, NOAF, NOG and CIFG each beat Greff's vanilla cell here (as many seeds, fewer median steps)":
            {"NFG", "NOAF", "NOG", "CIFG"} <= set(faster_than_vanilla),
        "CIFG solves as many seeds as the peephole cell": solved["CIFG"] >= solved[vanilla],
        "the peephole cell solves more seeds than the standard cell without peepholes (NP)":
            solved[vanilla] > solved["LSTM"],
        "the tanh RNN solves at least half the seeds at gap 20": 2 * solved["tanh RNN"] >= seeds["tanh RNN"],
    }
