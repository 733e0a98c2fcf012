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

Experiments that take minutes, registered for `make results` (lstm_course.results):

- ``lesson10_race`` (:func:`run_race`, settings :data:`RACE`): RNNs against LSTMs, each model at
  its own best learning rate (:func:`best_learning_rate`, chosen on validation sequences), an RNN
  with as many units and one with about as many parameters (:func:`rnn_units_matching_lstm`), four
  seeds, learning curves;
- ``lesson10_gates`` (:func:`run_lesson10_gates`): LSTMs trained for a whole budget, their gates
  summarised (:func:`gate_summary`) and their weights kept as a checkpoint;
- ``lesson05_adding`` and ``lesson07_output_tanh``: lessons 05 and 07's comparisons of LSTM
  variants on twelve seeds, four of which no lesson uses.

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
           "lstm_gates_over_sequence",
           "param_count", "rnn_units_matching_lstm", "validation_score", "model_from_arrays", "RACE",
           "race_unit", "best_learning_rate", "run_race", "VARIANT_SEEDS", "LESSON_05", "LESSON_07",
           "adding_variants_unit", "output_tanh_unit", "run_lesson05", "run_lesson07",
           "LESSON_10_GATES", "gate_summary", "trained_gates_unit", "run_lesson10_gates", "run_race_unseen"]

KINDS = ("lstm", "rnn")

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


# ---------------------------------------------------------------------------------------
# The fair race of lesson 10, run by `make results` (lstm_course.results).

from .losses import softmax_cross_entropy as _cross_entropy  # noqa: E402
from .results import experiment  # noqa: E402


def param_count(kind, D, H, K):
    """The number of trainable numbers of `init_sequence_model(kind, D, H, K, ...)`.

    An LSTM has four layers of (D + H + 1) * H numbers, a tanh RNN one; both add a read-out
    of (H + 1) * K.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be 'lstm' or 'rnn', got {kind!r}")
    layers = 4 if kind == "lstm" else 1
    return layers * (D + H + 1) * H + (H + 1) * K


def rnn_units_matching_lstm(H, D, K):
    """The hidden size of the tanh RNN whose parameter count is closest to an LSTM with H units."""
    target = param_count("lstm", D, check_positive_int("H", H), K)
    return min(range(1, 4 * H + 1), key=lambda h: (abs(param_count("rnn", D, h, K) - target), h))


def validation_score(params, gap, seed, val_size=256, n_classes=8):
    """(accuracy, mean cross-entropy) on the validation sequences of (seed, gap).

    These are the very sequences `train_on_gap` uses for its early-stopping decision (the
    validation stream of `_streams`); the test sequences are never used to choose anything.
    """
    _, _, val_rng, _ = _streams(_check_seed(seed), _check_gap(gap))
    x, y = delayed_recall(val_size, gap, n_classes, rng=val_rng)
    out, _ = model_forward(params, x, "last")
    loss, _ = _cross_entropy(out, y)
    return _accuracy(out, y), float(loss)


def _curve(values, every):
    """Means of consecutive windows of `every` steps (the last window may be shorter)."""
    values = np.asarray(values, dtype=float)
    return [float(values[k:k + every].mean()) for k in range(0, len(values), every)]


def _params_to_lists(params):
    arrays = {f"cell.{k}": v for k, v in vars(params.cell).items()}
    arrays.update({"W_out": params.W_out, "b_out": params.b_out})
    return {k: np.asarray(v).tolist() for k, v in arrays.items()}


def model_from_arrays(kind, arrays, prefix=""):
    """Rebuild a `SequenceModelParams` from the arrays of a race checkpoint (keys PREFIX + name)."""
    from .lstm import LSTMParams as _L
    from .rnn import RNNParams as _R

    cell_type = _L if kind == "lstm" else _R
    names = [f.name for f in dataclasses.fields(cell_type)]
    cell = cell_type(**{n: np.asarray(arrays[f"{prefix}cell.{n}"]) for n in names})
    return SequenceModelParams(cell, np.asarray(arrays[f"{prefix}W_out"]), np.asarray(arrays[f"{prefix}b_out"]))


#: Lesson 10's race. Every model trains at each gap with its own best learning rate from
#: LR_GRID, chosen on validation sequences with SELECT_SEED on SELECT_STEPS steps; then it
#: trains with that rate on every seed of the experiment with the full budget of STEPS.
RACE = {
    "gaps": (20, 40, 80),
    "steps": 500,
    "select_steps": 250,
    "select_seed": 10,
    "lr_grid": (3e-4, 1e-3, 3e-3, 1e-2),
    "curve_every": 10,
    "checkpoint_gap": 40,
    "train": {"clip": 1.0, "batch_size": 64, "n_classes": 8, "eval_size": 512, "val_size": 256,
              "solved_at": 0.95, "target_accuracy": 1.0},
    "models": {
        "LSTM, forget bias 1": {"kind": "lstm", "H": 64, "forget_bias": 1.0},
        "LSTM, forget bias 3": {"kind": "lstm", "H": 64, "forget_bias": 3.0},
        "tanh RNN, 64 units": {"kind": "rnn", "H": 64},
        "tanh RNN, 133 units": {"kind": "rnn", "H": 133},  # about the LSTM's parameter count
    },
}


def race_unit(spec, gap, seed, lr, steps, settings=RACE):
    """Train one model of the race (spec: a value of RACE["models"]) and summarise the run as JSON.

    Returns a dict: test accuracy, solved, steps taken, validation accuracy and loss, and the
    learning curves (batch accuracy and loss, means over windows of settings["curve_every"] steps).
    """
    r = train_on_gap(gap=gap, seed=seed, steps=steps, lr=lr, **spec, **settings["train"])
    val_acc, val_loss = validation_score(r.params, gap, seed, settings["train"]["val_size"],
                                         settings["train"]["n_classes"])
    every = settings["curve_every"]
    return {"accuracy": r.accuracy, "solved": bool(r.solved), "steps": r.steps,
            "val_accuracy": val_acc, "val_loss": val_loss,
            "curve_accuracy": _curve(r.history.accuracy, every), "curve_loss": _curve(r.history.loss, every),
            "params": _params_to_lists(r.params)}


def best_learning_rate(scores, solved_at=0.95):
    """The best rate of a grid from {lr: unit}: solved on validation in the fewest steps, else the
    highest validation accuracy, ties broken by the lower validation loss."""
    def key(lr):
        s = scores[lr]
        solved = s["val_accuracy"] >= solved_at
        return (not solved, s["steps"] if solved else 0, -s["val_accuracy"], s["val_loss"])
    return min(scores, key=key)


@experiment("lesson10_race", seeds=(0, 1, 2, 3), settings=RACE,
            description="lesson 10: RNNs against LSTMs on delayed recall, each at its own best learning rate")
def run_race(runner):
    """The race: learning-rate selection per model and gap, then every seed at the chosen rate."""
    s = runner.settings
    models, gaps, seeds = s["models"], s["gaps"], runner.seeds
    runner.expect(len(models) * len(gaps) * (len(s["lr_grid"]) + len(seeds)))
    data = {"selection": {}, "chosen_lr": {}, "runs": {}, "param_count": {}}
    D = delayed_recall_query_index(s["train"]["n_classes"]) + 1
    checkpoint = {}
    for label, spec in models.items():
        data["param_count"][label] = param_count(spec["kind"], D, spec["H"], s["train"]["n_classes"])
        data["selection"][label], data["chosen_lr"][label], data["runs"][label] = {}, {}, {}
        for gap in gaps:
            scores = {}
            for lr in s["lr_grid"]:
                unit = runner.unit({"phase": "select", "model": label, "gap": gap, "lr": lr},
                                   lambda: race_unit(spec, gap, s["select_seed"], lr, s["select_steps"], s))
                unit.pop("params", None)
                scores[lr] = unit
            lr = best_learning_rate(scores, s["train"]["solved_at"])
            data["selection"][label][str(gap)] = {str(k): v for k, v in scores.items()}
            data["chosen_lr"][label][str(gap)] = lr
            runs = []
            for seed in seeds:
                unit = runner.unit({"phase": "race", "model": label, "gap": gap, "seed": seed, "lr": lr},
                                   lambda: race_unit(spec, gap, seed, lr, s["steps"], s))
                params = unit.pop("params")
                if spec["kind"] == "lstm" and gap == s["checkpoint_gap"]:
                    for name, value in params.items():
                        checkpoint[f"{label}|seed{seed}|{name}"] = np.asarray(value)
                runs.append(dict(unit, seed=seed))
            data["runs"][label][str(gap)] = runs
            acc = [r["accuracy"] for r in runs]
            runner.log(f"{label}, gap {gap}, lr {lr:g}: accuracy min {min(acc):.3f} "
                       f"median {np.median(acc):.3f} max {max(acc):.3f}")
    runner.save_checkpoint(checkpoint)
    return data


# ---------------------------------------------------------------------------------------
# Lessons 05 and 07: the variants' claims over many seeds, run by `make results`.

#: Seeds of the variant experiments: the lessons' own (0-7) and seeds no lesson uses (100-103).
VARIANT_SEEDS = tuple(range(8)) + (100, 101, 102, 103)

LESSON_05 = {"variants": ("full", "sigmoid_candidate", "no_input_gate"), "H": 16, "T": 20, "batch_size": 32,
             "steps": 600, "lr": 0.01, "clip": 1.0, "solved_mse": 0.01, "final_window": 50,
             "data_seed": "1000 + seed"}


def adding_variants_unit(seed, settings=LESSON_05):
    """Lesson 05 for one seed: the three cells from the same weights (seed) on the same batches
    (seed 1000 + seed). Returns {variant: {"final": mean MSE of the last steps, "first": first step
    whose batch MSE is below solved_mse, or None}}."""
    from .tasks import adding_problem
    from .variants import make_variant_loss_fn
    from .train import train as _train

    s = settings
    params0 = init_sequence_model("lstm", 2, s["H"], 1, np.random.default_rng(seed))
    out = {}
    for variant in s["variants"]:
        _, history = _train(params0, make_variant_loss_fn(variant, loss="mse"),
                            lambda rng: adding_problem(s["batch_size"], s["T"], rng), s["steps"],
                            Adam(lr=s["lr"]), np.random.default_rng(1000 + seed), clip_norm=s["clip"],
                            progress=False)
        out[variant] = {"final": float(np.mean(history.loss[-s["final_window"]:])),
                        "first": history.first_step(loss=s["solved_mse"])}
    return out


@experiment("lesson05_adding", seeds=VARIANT_SEEDS, settings=LESSON_05,
            description="lesson 05: full LSTM, sigmoid candidate and no input gate on the adding problem")
def run_lesson05(runner):
    """Every seed of lesson 05's comparison."""
    runner.expect(len(runner.seeds))
    return {str(seed): runner.unit({"seed": seed}, lambda: adding_variants_unit(seed, runner.settings))
            for seed in runner.seeds}


LESSON_07 = {"variants": ("full", "no_output_tanh"), "H": 16, "gap": 20, "batch_size": 32, "steps": 300,
             "lr": 0.01, "clip": 1.0, "forget_bias": 3.0, "test_multiples": (1, 2, 4, 8), "test_size": 200,
             "test_seed": 7, "data_seed": "100 + seed"}


def output_tanh_unit(seed, settings=LESSON_07):
    """Lesson 07 for one seed: both cells from the same weights (seed) on the same batches (seed
    100 + seed), trained at one gap and tested at multiples of it. Returns {variant: {"first":
    first step with a batch at 95 % accuracy, "acc": test accuracy per multiple, "h_max": largest
    |h| per multiple}}."""
    from .train import train as _train
    from .variants import make_variant_loss_fn, variant_forward

    s = settings
    params0 = init_sequence_model("lstm", 13, s["H"], 8, np.random.default_rng(seed), forget_bias=s["forget_bias"])
    out = {}
    for variant in s["variants"]:
        params, history = _train(params0, make_variant_loss_fn(variant),
                                 lambda rng: delayed_recall(s["batch_size"], gap=s["gap"], rng=rng), s["steps"],
                                 Adam(lr=s["lr"]), np.random.default_rng(100 + seed), clip_norm=s["clip"],
                                 progress=False)
        acc, h_max = [], []
        for k in s["test_multiples"]:
            x, y = delayed_recall(s["test_size"], gap=k * s["gap"], rng=np.random.default_rng(s["test_seed"]))
            h, _, _ = variant_forward(x, None, None, params.cell, variant)
            acc.append(_accuracy(h[:, -1] @ params.W_out + params.b_out, y))
            h_max.append(float(np.abs(h).max()))
        out[variant] = {"first": history.first_step(accuracy=0.95), "acc": acc, "h_max": h_max}
    return out


@experiment("lesson07_output_tanh", seeds=VARIANT_SEEDS, settings=LESSON_07,
            description="lesson 07: the LSTM with and without the output tanh, tested beyond its training gap")
def run_lesson07(runner):
    """Every seed of lesson 07's comparison."""
    runner.expect(len(runner.seeds))
    return {str(seed): runner.unit({"seed": seed}, lambda: output_tanh_unit(seed, runner.settings))
            for seed in runner.seeds}


# ---------------------------------------------------------------------------------------
# Lesson 10: the gates of LSTMs trained until they solve the task.

LESSON_10_GATES = {"kind": "lstm", "H": 64, "forget_bias": 3.0, "gap": 40, "lr": 3e-3, "steps": 400,
                   "train": {"clip": 1.0, "batch_size": 64, "n_classes": 8, "eval_size": 512, "val_size": 256,
                             "solved_at": 0.95, "target_accuracy": None},
                   "analysis": {"n": 256, "holding_units": 8, "seed_offset": 500}}


def gate_summary(params, gap, rng, n=256, holding_units=8, n_classes=8):
    """What the gates of a trained LSTM do on `n` fresh delayed-recall sequences.

    The *cue-holding units* are the `holding_units` units whose cell state, at the last distractor
    step, differs most between cues (the spread, over the cues, of the mean cell state of each cue).

    Parameters
    ----------
    params : SequenceModelParams of an LSTM
    gap : int
    rng : numpy.random.Generator
        Draws the sequences.
    n, holding_units, n_classes : int

    Returns
    -------
    dict of JSON values
        "units": the cue-holding units, best first; "spread": their spread, and "spread_median": the
        median spread of all units; for the holding units and for the others ("rest"): "f_gap" the
        mean forget gate over the gap, "kept" the median (over sequences and units) of the product of
        the forget gates over the gap, "i_cue" / "i_gap" the mean input gate at the cue and over the
        gap, "o_query" / "o_gap" the mean output gate at the query and over the gap; and "b_f" the
        mean forget bias of the holding units and of the rest.
    """
    check_instance("params", params, SequenceModelParams, " (a trained model)")
    x, y = delayed_recall(n, gap, n_classes, rng=rng)
    g = [lstm_gates_over_sequence(params, seq) for seq in x]
    gates = {k: np.array([d[k] for d in g]) for k in ("i", "f", "o", "c")}  # each (n, T, H)
    present = [k for k in range(n_classes) if (y == k).any()]
    by_cue = np.array([gates["c"][y == k, -2].mean(axis=0) for k in present])  # (K, H) at the last distractor
    spread = by_cue.std(axis=0)  # (H,)
    order = np.argsort(spread)[::-1]
    hold, rest = order[:holding_units], order[holding_units:]
    gap_steps = slice(1, gap + 1)

    def describe(units):
        f = gates["f"][:, gap_steps][:, :, units]
        return {"f_gap": float(f.mean()), "kept": float(np.median(np.prod(f, axis=1))),
                "i_cue": float(gates["i"][:, 0, units].mean()), "i_gap": float(gates["i"][:, gap_steps][:, :, units].mean()),
                "o_query": float(gates["o"][:, -1, units].mean()), "o_gap": float(gates["o"][:, gap_steps][:, :, units].mean()),
                "b_f": float(params.cell.b_f[units].mean())}

    return {"units": hold.tolist(), "spread": spread[hold].tolist(), "spread_median": float(np.median(spread)),
            "hold": describe(hold), "rest": describe(rest)}


def trained_gates_unit(seed, settings=LESSON_10_GATES):
    """Train one LSTM of lesson 10's gate analysis for the whole budget and summarise its gates."""
    s = settings
    r = train_on_gap(s["kind"], s["gap"], seed=seed, steps=s["steps"], forget_bias=s["forget_bias"], H=s["H"],
                     lr=s["lr"], **s["train"])
    a = s["analysis"]
    summary = gate_summary(r.params, s["gap"], np.random.default_rng(a["seed_offset"] + seed), a["n"],
                           a["holding_units"], s["train"]["n_classes"])
    return {"accuracy": r.accuracy, "solved": bool(r.solved), "steps": r.steps,
            "final_loss": float(np.mean(r.history.loss[-20:])), "gates": summary,
            "params": _params_to_lists(r.params)}


@experiment("lesson10_gates", seeds=(0, 1, 2, 3), settings=LESSON_10_GATES,
            description="lesson 10: the gates of LSTMs trained on gap 40 for 400 steps (checkpoints)")
def run_lesson10_gates(runner):
    """Every seed: train, summarise the gates, keep the weights as a checkpoint."""
    runner.expect(len(runner.seeds))
    data, checkpoint = {}, {}
    for seed in runner.seeds:
        unit = runner.unit({"seed": seed}, lambda: trained_gates_unit(seed, runner.settings))
        for name, value in unit.pop("params").items():
            checkpoint[f"seed{seed}|{name}"] = np.asarray(value)
        data[str(seed)] = unit
    runner.save_checkpoint(checkpoint)
    return data


@experiment("lesson10_race_unseen", seeds=(100, 101, 102, 103), settings=RACE,
            description="lesson 10: the race again on seeds no lesson uses, at the rates lesson10_race chose")
def run_race_unseen(runner):
    """The race's runs on new seeds, each model at the learning rate `lesson10_race` chose for it.

    No selection here: the rates are read from results/lesson10_race.json, so this checks that the
    race's claims hold on seeds that played no part in writing them.
    """
    from .results import load_result

    chosen = load_result("lesson10_race", runner.directory)["data"]["chosen_lr"]
    s = runner.settings
    runner.expect(len(s["models"]) * len(s["gaps"]) * len(runner.seeds))
    runs = {}
    for label, spec in s["models"].items():
        runs[label] = {}
        for gap in s["gaps"]:
            lr = chosen[label][str(gap)]
            runs[label][str(gap)] = []
            for seed in runner.seeds:
                unit = runner.unit({"phase": "race", "model": label, "gap": gap, "seed": seed, "lr": lr},
                                   lambda: race_unit(spec, gap, seed, lr, s["steps"], s))
                unit.pop("params")
                runs[label][str(gap)].append(dict(unit, seed=seed))
    return {"chosen_lr": chosen, "runs": runs}
