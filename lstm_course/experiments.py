"""Training experiments of lesson 10: a plain RNN against an LSTM on the delayed-recall task.

Letters used in every shape: N batch size, T time steps, D input size, H hidden size,
K classes, S seeds, L gaps.

The question is always the same: at a fixed budget of optimizer steps, which model learns
to carry a cue across a gap of a given length? The answer depends on the gap, on the
budget and on the LSTM's forget-gate bias at initialisation, so all three are parameters
and all three are reported with every result.

- :func:`train_on_gap`: train one model (RNN or LSTM) on one gap, stop early when a batch
  is all right, then score it on fresh sequences.
- :func:`gap_sweep`: the same for several models, gaps and seeds, with the same budget
  and the same training batches for every model.
- :func:`lstm_gates_over_sequence`: the four gates (and the states) of a trained LSTM
  across one sequence, by name, read from `lstm_forward`'s cache.

Fairness: for a given seed, every model sees exactly the same training batches in the same
order and is scored on the same held-out sequences; only the initial weights differ (they
must, since the models differ).
"""

from __future__ import annotations

import dataclasses
import time
import numpy as np

from .lstm import LSTMParams, lstm_forward
from .losses import accuracy as _accuracy
from .model import SequenceModelParams, init_sequence_model, make_loss_fn, model_forward
from .optim import Adam
from .tasks import delayed_recall, delayed_recall_query_index
from .train import TrainingHistory, train
from .validation import as_real_array, check_instance, check_positive_int

__all__ = ["GapResult", "SweepResult", "train_on_gap", "evaluate_on_gap", "gap_sweep",
           "lstm_gates_over_sequence", "LESSON_10"]

KINDS = ("lstm", "rnn")

#: The setting of lesson 10 and of tests/test_claims_slow.py, which checks the lesson's claim on
#: several seeds: the gaps, the budget of Adam steps shared by every model, and the training
#: arguments of `train_on_gap`.
LESSON_10 = {
    "gaps": (5, 10, 20, 40, 80),
    "steps": 150,
    "train": {"H": 64, "lr": 1e-3, "clip": 1.0, "batch_size": 64, "n_classes": 8},
}


@dataclasses.dataclass
class GapResult:
    """One model trained on one gap.

    Attributes
    ----------
    kind : {"lstm", "rnn"}
    gap : int
        Distractor steps between the cue and the query (T = gap + 2).
    seed : int
        The seed of the initial weights, the training batches and the held-out sequences.
    forget_bias : float or None
        The LSTM's initial forget-gate bias (None for an RNN).
    budget : int
        The most Adam steps allowed.
    steps : int
        The Adam steps taken (fewer than `budget` when training stopped early).
    accuracy : float
        Accuracy on `eval_size` fresh sequences after training (chance is 1 / n_classes).
    solved : bool
        accuracy >= the `solved_at` threshold of `train_on_gap`.
    seconds : float
        Wall-clock training time. It depends on the machine and its load: report it, never
        assert on it or print it in a notebook checked by nbval.
    history : TrainingHistory
        Loss, batch accuracy and gradient norm at every step.
    params : SequenceModelParams
        The trained model.
    """

    kind: str
    gap: int
    seed: int
    forget_bias: float | None
    budget: int
    steps: int
    accuracy: float
    solved: bool
    seconds: float
    history: TrainingHistory = dataclasses.field(repr=False)
    params: SequenceModelParams = dataclasses.field(repr=False)


def _check_gap(gap):
    if isinstance(gap, bool) or not isinstance(gap, (int, np.integer)) or gap < 0:
        raise ValueError(f"gap must be an integer >= 0, got {gap!r}")
    return int(gap)


def _check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0 (all randomness is derived from it), got {seed!r}")
    return int(seed)


def _check_fraction(name, value):
    value = float(value)
    if not 0.0 < value <= 1.0:
        raise ValueError(f"{name} must be in (0, 1], got {value}")
    return value


def _streams(seed, gap):
    """Independent generators from one seed: initial weights, training batches, validation, test.

    The three data streams depend on (seed, gap) only, never on the model, so an RNN and an
    LSTM trained with the same seed see exactly the same data.
    """
    init = np.random.default_rng([seed, 0])
    batches = np.random.default_rng([seed, 1, gap])
    validation = np.random.default_rng([seed, 2, gap])
    test = np.random.default_rng([seed, 3, gap])
    return init, batches, validation, test


def evaluate_on_gap(params, gap, n, rng, n_classes=8):
    """Accuracy of a model on `n` fresh delayed-recall sequences with this gap.

    Parameters
    ----------
    params : SequenceModelParams
    gap : int
    n : int
        How many sequences; scored in chunks of at most 256 to bound memory.
    rng : numpy.random.Generator
    n_classes : int, default 8

    Returns
    -------
    float in [0, 1]
    """
    check_instance("params", params, SequenceModelParams, " (build one with init_sequence_model)")
    gap = _check_gap(gap)
    n = check_positive_int("n", n)
    x, y = delayed_recall(n, gap, n_classes, rng=rng)
    return _score(params, x, y)


def _score(params, x, y, chunk=256):
    """Accuracy on (x, y), forward passes of at most `chunk` sequences."""
    correct = 0.0
    for start in range(0, len(y), chunk):
        out, _ = model_forward(params, x[start:start + chunk], "last")
        correct += _accuracy(out, y[start:start + chunk]) * len(y[start:start + chunk])
    return float(correct / len(y))


def train_on_gap(kind, gap, seed=0, steps=300, forget_bias=3.0, H=64, lr=1e-3, clip=1.0,
                 batch_size=64, n_classes=8, target_accuracy=1.0, eval_size=512, solved_at=0.95,
                 val_size=256):
    """Train an RNN or an LSTM on delayed recall with one gap, under a budget of Adam steps.

    Parameters
    ----------
    kind : {"lstm", "rnn"}
        A one-layer LSTM or tanh RNN with H units and a linear read-out of the last hidden
        state (`model.init_sequence_model`).
    gap : int
        Distractor steps between the cue and the query.
    seed : int, default 0
        Derives independent streams (`_streams`): the initial weights, the training batches,
        and the held-out sequences. The data streams depend on (seed, gap) only, so every
        model trained with one seed sees the same batches and is scored on the same sequences.
    steps : int, default 300
        The budget: the most Adam steps.
    forget_bias : float, default 3.0
        The LSTM's initial forget-gate bias; sigmoid(3) = 0.95 keeps 95 % of the cell per
        step at the start of training (ignored for an RNN).
    H : int, default 64
    lr : float, default 1e-3
        Adam's learning rate.
    clip : float or None, default 1.0
        Global gradient-norm clipping (Pascanu, Mikolov & Bengio 2013).
    batch_size : int, default 64
        A fresh batch at every step.
    n_classes : int, default 8
        Number of possible cues; chance accuracy is 1 / n_classes.
    target_accuracy : float or None, default 1.0
        Early stopping. When a training batch reaches this accuracy (1.0: every sequence of
        the batch right), the model is scored on `val_size` validation sequences; training
        stops if that score is at least `solved_at`, and goes on otherwise (one lucky batch
        is not enough). None trains for the whole budget.
    eval_size : int, default 512
        Held-out test sequences scored after training (never used to decide anything).
    solved_at : float, default 0.95
        The accuracy that counts as "solved", on validation and on test sequences.
    val_size : int, default 256
        Validation sequences for the early-stopping decision.

    Returns
    -------
    GapResult
        `steps` counts every Adam step taken; `accuracy` is the test accuracy.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be 'lstm' or 'rnn', got {kind!r}")
    gap = _check_gap(gap)
    seed = _check_seed(seed)
    steps = check_positive_int("steps", steps)
    H = check_positive_int("H", H)
    batch_size = check_positive_int("batch_size", batch_size)
    eval_size = check_positive_int("eval_size", eval_size)
    val_size = check_positive_int("val_size", val_size)
    solved_at = _check_fraction("solved_at", solved_at)
    if target_accuracy is not None:
        target_accuracy = _check_fraction("target_accuracy", target_accuracy)
    init_rng, batch_rng, val_rng, test_rng = _streams(seed, gap)
    D = delayed_recall_query_index(n_classes) + 1
    params = init_sequence_model(kind, D, H, n_classes, init_rng,
                                 forget_bias=forget_bias if kind == "lstm" else 1.0)
    x_val, y_val = delayed_recall(val_size, gap, n_classes, rng=val_rng)

    def make_batch(rng):
        return delayed_recall(batch_size, gap, n_classes, rng=rng)

    loss_fn, optimizer = make_loss_fn("cross_entropy"), Adam(lr)
    history = TrainingHistory()
    start = time.perf_counter()
    while len(history) < steps:
        params, part = train(params, loss_fn, make_batch, steps - len(history), optimizer, batch_rng,
                             clip_norm=clip, progress=False, target_accuracy=target_accuracy)
        for key in ("loss", "accuracy", "grad_norm"):
            getattr(history, key).extend(getattr(part, key))
        stopped_early = target_accuracy is not None and part.accuracy[-1] >= target_accuracy
        if not stopped_early or _score(params, x_val, y_val) >= solved_at:
            break
    seconds = time.perf_counter() - start
    acc = evaluate_on_gap(params, gap, eval_size, test_rng, n_classes)
    return GapResult(kind=kind, gap=gap, seed=seed,
                     forget_bias=float(forget_bias) if kind == "lstm" else None,
                     budget=steps, steps=len(history), accuracy=acc, solved=acc >= solved_at,
                     seconds=seconds, history=history, params=params)


@dataclasses.dataclass
class SweepResult:
    """Results of `gap_sweep`: results[label][s][l] is model `label`, seed seeds[s], gap gaps[l]."""

    gaps: tuple
    seeds: tuple
    results: dict

    @property
    def labels(self):
        return list(self.results)

    def _table(self, field):
        return {label: np.array([[getattr(r, field) for r in row] for row in rows], dtype=float)
                for label, rows in self.results.items()}

    def accuracy(self):
        """dict label -> ndarray (S, L): held-out accuracy."""
        return self._table("accuracy")

    def steps(self):
        """dict label -> ndarray (S, L): Adam steps taken."""
        return self._table("steps")

    def solved(self):
        """dict label -> bool ndarray (S, L)."""
        return {label: v.astype(bool) for label, v in self._table("solved").items()}

    def seconds(self):
        """dict label -> ndarray (S, L): wall-clock seconds (machine-dependent)."""
        return self._table("seconds")

    def get(self, label, gap, seed=None):
        """The GapResult of one model at one gap (and one seed: the first if None)."""
        s = 0 if seed is None else self.seeds.index(seed)
        return self.results[label][s][self.gaps.index(gap)]


def gap_sweep(models, gaps, seeds=(0,), steps=300, **train_kwargs):
    """Train every model at every gap with every seed, with one shared budget.

    Parameters
    ----------
    models : dict of str to dict
        Label -> keyword arguments of `train_on_gap` that define the model, for example
        ``{"LSTM, forget bias 3": {"kind": "lstm", "forget_bias": 3.0},
        "tanh RNN": {"kind": "rnn"}}``.
    gaps : sequence of int, length L
    seeds : sequence of int, length S, default (0,)
    steps : int, default 300
        The budget of Adam steps, the same for every model.
    **train_kwargs
        Further arguments of `train_on_gap` shared by every model (H, lr, clip, ...).

    Returns
    -------
    SweepResult
    """
    if not isinstance(models, dict) or not models:
        raise ValueError("models must be a non-empty dict: label -> {'kind': ..., ...}")
    gaps = tuple(_check_gap(g) for g in gaps)
    seeds = tuple(_check_seed(s) for s in seeds)
    if not gaps or not seeds:
        raise ValueError("give at least one gap and one seed")
    for label, spec in models.items():
        if not isinstance(spec, dict) or "kind" not in spec:
            raise ValueError(f"models[{label!r}] must be a dict with a 'kind' ('lstm' or 'rnn'), got {spec!r}")
        clash = set(spec) & ({"gap", "seed", "steps"} | set(train_kwargs))
        if clash:
            raise ValueError(f"models[{label!r}] sets {sorted(clash)}, which gap_sweep sets for every model")
    results = {label: [[train_on_gap(gap=g, seed=s, steps=steps, **spec, **train_kwargs) for g in gaps]
                       for s in seeds]
               for label, spec in models.items()}
    return SweepResult(gaps, seeds, results)


def lstm_gates_over_sequence(params, x):
    """The gates and states of an LSTM at every step of one sequence, by name.

    Parameters
    ----------
    params : LSTMParams or SequenceModelParams (with an LSTM cell)
    x : ndarray of shape (T, D) or (1, T, D)
        One input sequence; the initial states are zero.

    Returns
    -------
    dict of str to ndarray of shape (T, H)
        "i" input gate, "f" forget gate, "g" candidate c~, "o" output gate, and the states
        "c" (cell) and "h" (hidden) after each step.

    Notes
    -----
    Nothing is recomputed: the gates are read from `lstm_forward`'s cache, by name.
    """
    if isinstance(params, SequenceModelParams):
        if params.kind != "lstm":
            raise ValueError("these are an RNN's parameters: only an LSTM has gates")
        params = params.cell
    check_instance("params", params, LSTMParams, " (an LSTMParams, or a SequenceModelParams of an LSTM)")
    x = as_real_array("x", x, params.dtype)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[0] != 1 or x.shape[2] != params.D:
        raise ValueError(f"expected one sequence x of shape (T, D) or (1, T, D) with D = {params.D}, "
                         f"got {x.shape}")
    h, c, cache = lstm_forward(x, None, None, params)
    gates = {name: getattr(cache, name)[:, 0].copy() for name in ("i", "f", "g", "o")}  # (T, H) each
    gates["c"] = c[0].copy()
    gates["h"] = h[0].copy()
    return gates
