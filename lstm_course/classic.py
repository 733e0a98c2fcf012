"""Lesson 13: the classic experiments of 1997 (adding problem, embedded Reber grammar) and the copy task.

Letters used in every shape: N batch size, T time steps, D input size, H hidden size, K outputs.

Each experiment trains a `relatives.CellModel` with Adam and full backpropagation through time:
the standard LSTM ("lstm", forget bias 1), the cell of 1997 without a forget gate
("no_forget_gate", from `variants`), the GRU and the tanh RNN; and applies the paper's own criterion:

- ``classic_adding``: the 1997 adding problem (T = 100, minimal lag 50) until the paper's stopping
  rule (average training error below 0.01 and the 2,000 most recent training sequences right, a
  sequence being right when |error| < 0.04), then 2,560 fresh test sequences.
- ``classic_reber``: the embedded Reber grammar, 256 training and 256 test strings, until every
  symbol of every string of both sets is predicted (the possible next symbols are the most active
  outputs).
- ``classic_copy``: the copy task of Arjovsky et al. (2016) beside its memoryless baseline.

What differs from the paper (said in the lesson): the paper trained online (one sequence at a
time) by gradient descent at learning rate 0.5 (0.1 to 0.5 for the Reber grammar) with a truncated
gradient, in a network of 2 memory blocks of 2 cells with input and output gates and no forget
gate (it came in 2000); we train minibatches with Adam and full BPTT, with the cells of this course.
"""

from __future__ import annotations

import math

import numpy as np

from . import losses
from .classic_tasks import (REBER_SYMBOLS, adding_correct, adding_problem_1997, embedded_reber_string,
                            encode_reber_batch)
from .optim import Adam, clip_grad_norm
from .relatives import CellModel, cell_backward, cell_forward, count_params, init_cell_model
from .results import experiment
from .tasks import copy_task

__all__ = ["reber_soft_cross_entropy", "reber_strings_correct", "train_adding_1997", "train_reber", "train_copy",
           "copy_baseline", "ADDING", "REBER", "COPY", "PAPER"]

#: The 1997 paper's numbers (Hochreiter & Schmidhuber 1997, Tables 1 and 7), and Arjovsky et al.'s baseline.
PAPER = {
    "adding": {"T": 100, "minimal_lag": 50, "sequences_to_stop": 74_000, "trials": 10,
               "test_wrong": 1, "test_sequences": 2560, "source": "Hochreiter & Schmidhuber (1997), Table 7"},
    "reber": {"lstm_solved_percent": 100, "lstm_sequences": 8_440, "elman_solved_percent": 0,
              "elman_sequences": "> 200,000", "source": "Hochreiter & Schmidhuber (1997), Table 1"},
    "copy": {"baseline": "10 ln 8 / (T + 20)", "source": "Arjovsky, Shah & Bengio (2016)"},
}


def _step(params, grads, optimizer, clip):
    grads, _ = clip_grad_norm(grads, clip)
    return optimizer.step(params, grads)


# ---------------------------------------------------------------------------------------
# The adding problem (Experiment 4)

#: "no_forget_gate" is the cell of 1997: input and output gates, no forget gate (Gers et al. added it in 2000).
ADDING = {"T": 100, "H": 8, "batch_size": 16, "lr": 0.01, "clip": 1.0, "max_sequences": 60_000,
          "window": 2000, "max_error": 0.01, "test_sequences": 2560,
          "kinds": ("no_forget_gate", "lstm", "rnn")}  # the GRU is left out here only to save CPU time


def train_adding_1997(kind: str, seed: int, settings=ADDING) -> dict:
    """Train a CellModel of `kind` on the 1997 adding problem until the paper's stopping rule.

    Returns
    -------
    dict: "stopped" (the rule was met within max_sequences), "sequences" (training sequences seen
    when it was met, or max_sequences), "test_wrong" (of test_sequences fresh ones), "test_mse",
    "train_mse" (the last window), "curve" (MSE of the window, every 2,000 sequences).
    """
    s = settings
    rng_data, rng_test = np.random.default_rng([seed, 1]), np.random.default_rng([seed, 2])
    params = init_cell_model(kind, 2, s["H"], 1, np.random.default_rng([seed, 0]), forget_bias=1.0)
    optimizer, window = Adam(s["lr"]), s["window"]
    sq_err, correct, curve = [], [], []
    stopped = False
    while len(sq_err) < s["max_sequences"]:
        x, y, lengths = adding_problem_1997(s["batch_size"], s["T"], rng=rng_data)
        value, grads, pred = _adding_loss(params, kind, x, y, lengths)
        sq_err += ((pred - y[:, 0]) ** 2).tolist()  # errors before this update, as the paper counts them
        correct += adding_correct(pred, y[:, 0]).tolist()
        if len(sq_err) // window > len(curve):
            curve.append(float(np.mean(sq_err[-window:])))
        if len(sq_err) >= window and all(correct[-window:]) and np.mean(sq_err[-window:]) < s["max_error"]:
            stopped = True
            break
        params = _step(params, grads, optimizer, s["clip"])
    x, y, lengths = adding_problem_1997(s["test_sequences"], s["T"], rng=rng_test)
    pred = _adding_predict(params, kind, x, lengths)
    return {"stopped": stopped, "sequences": len(sq_err), "test_wrong": int((~adding_correct(pred, y[:, 0])).sum()),
            "test_mse": float(np.mean((pred - y[:, 0]) ** 2)), "train_mse": float(np.mean(sq_err[-window:])),
            "curve": curve}


def _adding_predict(params, kind, x, lengths):
    h, _ = cell_forward(kind, params.cell, x)
    return h[np.arange(len(x)), lengths - 1] @ params.W_out[:, 0] + params.b_out[0]


def _adding_loss(params, kind, x, y, lengths):
    """MSE of the answer read at each sequence's own last step; (loss, grads, predictions)."""
    h, cache = cell_forward(kind, params.cell, x)
    rows = np.arange(len(x))
    h_last = h[rows, lengths - 1]  # (N, H): padding after a sequence's end never reaches it
    pred = h_last @ params.W_out + params.b_out  # (N, 1)
    value, dpred = losses.mse(pred, y)
    dh = np.zeros_like(h)
    dh[rows, lengths - 1] = dpred @ params.W_out.T
    grads = CellModel(cell_backward(dh, cache), h_last.T @ dpred, dpred.sum(axis=0))
    return value, grads, pred[:, 0]


def _every_kind_and_seed(runner, train) -> dict[str, list]:
    """``train(kind, seed, settings)`` for every kind of the settings and every seed, each a resumable unit."""
    s = runner.settings
    runner.expect(len(s["kinds"]) * len(runner.seeds))
    return {kind: [runner.unit({"kind": kind, "seed": seed}, lambda kind=kind, seed=seed: train(kind, seed, s))
                   for seed in runner.seeds] for kind in s["kinds"]}


@experiment("classic_adding", seeds=(0, 1, 2, 3, 4), settings=ADDING,
            description="lesson 13: the 1997 adding problem (T=100) to the paper's stopping rule; LSTM (with and without forget gate), GRU, RNN")
def _adding_experiment(runner):
    s = runner.settings
    runs = _every_kind_and_seed(runner, train_adding_1997)
    return {"runs": runs, "param_counts": {k: count_params(k, 2, s["H"], 1) for k in s["kinds"]}, "paper": PAPER["adding"]}


# ---------------------------------------------------------------------------------------
# The embedded Reber grammar (Experiment 1)

REBER = {"H": 8, "batch_size": 16, "lr": 0.01, "clip": 1.0, "max_sequences": 40_000, "train_strings": 256,
         "test_strings": 256, "check_every": 320, "kinds": ("no_forget_gate", "lstm", "gru", "rnn")}


def reber_soft_cross_entropy(logits, targets, mask):
    """Cross-entropy against the uniform distribution over the possible next symbols.

    logits, targets : (N, T, 7); mask : (N, T) bool. Returns (mean over the string steps, dlogits).
    A network that minimises it spreads its probability evenly over the symbols that may come,
    so they are exactly the most active outputs: the paper's criterion.
    """
    q = targets / np.maximum(targets.sum(axis=2, keepdims=True), 1.0)  # (N, T, 7)
    z = logits - logits.max(axis=2, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=2, keepdims=True))
    m = mask[:, :, None]
    count = max(int(mask.sum()), 1)
    value = float(-(q * log_p * m).sum() / count)
    return value, (np.exp(log_p) - q) * m / count


def reber_strings_correct(logits, targets, mask) -> np.ndarray:
    """Per string (N,), bool: at every step, every possible next symbol's output is above every
    impossible one's (the paper: "the output units corresponding to the possible next symbols are
    always the most active")."""
    legal = targets > 0
    lowest_legal = np.where(legal, logits, np.inf).min(axis=2)  # (N, T)
    highest_illegal = np.where(legal, -np.inf, logits).max(axis=2)
    return np.all((lowest_legal > highest_illegal) | ~mask, axis=1)


def _reber_sets(seed, n_train, n_test):
    """Training strings, and test strings none of which is a training string (as in the paper)."""
    rng = np.random.default_rng([seed, 1])
    train = [embedded_reber_string(rng) for _ in range(n_train)]
    seen, test = set(train), []
    while len(test) < n_test:
        s = embedded_reber_string(rng)
        if s not in seen:
            test.append(s)
    return train, test


def _reber_logits(params, kind, x):
    h, cache = cell_forward(kind, params.cell, x)
    return h @ params.W_out + params.b_out, h, cache


def train_reber(kind: str, seed: int, settings=REBER) -> dict:
    """Train a CellModel of `kind` to predict the next symbols of embedded Reber strings.

    Returns
    -------
    dict: "solved" (every symbol of every training and test string predicted), "sequences"
    (training strings presented when that was first seen, checked every check_every; or
    max_sequences), "wrong_strings" (of train + test at the end).
    """
    s = settings
    train_set, test_set = _reber_sets(seed, s["train_strings"], s["test_strings"])
    everything = encode_reber_batch(train_set + test_set)
    params = init_cell_model(kind, len(REBER_SYMBOLS), s["H"], len(REBER_SYMBOLS), np.random.default_rng([seed, 0]))
    optimizer, pick = Adam(s["lr"]), np.random.default_rng([seed, 2])
    seen, solved = 0, False
    while seen < s["max_sequences"]:
        batch = [train_set[k] for k in pick.integers(len(train_set), size=s["batch_size"])]
        x, targets, mask = encode_reber_batch(batch)
        logits, h, cache = _reber_logits(params, kind, x)
        _, dlogits = reber_soft_cross_entropy(logits, targets, mask)
        grads = CellModel(cell_backward(dlogits @ params.W_out.T, cache),
                          np.einsum("nth,ntk->hk", h, dlogits), dlogits.sum(axis=(0, 1)))
        params = _step(params, grads, optimizer, s["clip"])
        seen += s["batch_size"]
        if seen % s["check_every"] == 0:
            x_all, t_all, m_all = everything
            if reber_strings_correct(_reber_logits(params, kind, x_all)[0], t_all, m_all).all():
                solved = True
                break
    x_all, t_all, m_all = everything
    wrong = int((~reber_strings_correct(_reber_logits(params, kind, x_all)[0], t_all, m_all)).sum())
    return {"solved": solved, "sequences": seen, "wrong_strings": wrong}


@experiment("classic_reber", seeds=(0, 1, 2, 3, 4), settings=REBER,
            description="lesson 13: the embedded Reber grammar to the paper's criterion; LSTM (with and without forget gate), GRU, RNN")
def _reber_experiment(runner):
    s = runner.settings
    runs = _every_kind_and_seed(runner, train_reber)
    K = len(REBER_SYMBOLS)
    return {"runs": runs, "param_counts": {k: count_params(k, K, s["H"], K) for k in s["kinds"]}, "paper": PAPER["reber"]}


# ---------------------------------------------------------------------------------------
# The copy task (Arjovsky et al. 2016)

COPY = {"T": 50, "seq_len": 10, "n_symbols": 8, "H": 32, "batch_size": 32, "steps": 1500, "lr": 0.003, "clip": 1.0,
        "kinds": ("lstm", "gru", "rnn")}


def copy_baseline(T: int, seq_len: int = 10, n_symbols: int = 8) -> float:
    """The memoryless baseline's cross-entropy per step, seq_len ln(n_symbols) / (T + 2 seq_len)
    (10 ln 8 / (T + 20) in Arjovsky et al. 2016): blanks everywhere, then guesses uniformly."""
    return seq_len * math.log(n_symbols) / (T + 2 * seq_len)


def train_copy(kind: str, seed: int, settings=COPY) -> dict:
    """Train a CellModel of `kind` on the copy task at Arjovsky's T (gap T - 1, T + 20 steps in all).

    Returns dict: "loss" (training cross-entropy per step, averaged over each 25 steps), "baseline",
    "final" (mean of the last 100 steps).
    """
    s = settings
    K = s["n_symbols"] + 1
    params = init_cell_model(kind, s["n_symbols"] + 2, s["H"], K, np.random.default_rng([seed, 0]))
    optimizer, rng = Adam(s["lr"]), np.random.default_rng([seed, 1])
    trace = []
    for _ in range(s["steps"]):
        x, y = copy_task(s["batch_size"], s["seq_len"], s["T"] - 1, s["n_symbols"], rng)
        h, cache = cell_forward(kind, params.cell, x)
        N, T, H = h.shape
        logits = h.reshape(N * T, H) @ params.W_out + params.b_out
        value, dlogits = losses.softmax_cross_entropy(logits, y.reshape(N * T))
        if not math.isfinite(value):
            break
        trace.append(value)
        grads = CellModel(cell_backward((dlogits @ params.W_out.T).reshape(N, T, H), cache),
                          h.reshape(N * T, H).T @ dlogits, dlogits.sum(axis=0))
        params = _step(params, grads, optimizer, s["clip"])
    curve = [float(np.mean(trace[k:k + 25])) for k in range(0, len(trace), 25)]
    return {"loss": curve, "baseline": copy_baseline(s["T"], s["seq_len"], s["n_symbols"]),
            "final": float(np.mean(trace[-100:]))}


@experiment("classic_copy", seeds=(0, 1, 2, 3), settings=COPY,
            description="lesson 13: the copy task (T=50) beside its memoryless baseline; LSTM, GRU, RNN")
def _copy_experiment(runner):
    s = runner.settings
    runs = _every_kind_and_seed(runner, train_copy)
    return {"runs": runs, "baseline": copy_baseline(s["T"], s["seq_len"], s["n_symbols"])}


def reber_claims(reber: dict) -> dict[str, bool]:
    """What lesson 13 says about the Reber runs (``load_result("classic_reber")["data"]``)."""
    runs = reber["runs"]
    solved = {k: [r["sequences"] for r in rows if r["solved"]] for k, rows in runs.items()}
    paper = PAPER["reber"]["lstm_sequences"]
    return {
        "no model solved every seed within the cap (the paper's LSTM solved 100 % of its trials)":
            all(len(v) < len(runs[k]) for k, v in solved.items()),
        "every model solved at least 3 of 5 seeds, the tanh RNN included (the paper's Elman nets: none)":
            all(len(v) >= 3 for v in solved.values()),
        "the fastest LSTM run is within 10 % of the paper's average (8,440 strings)":
            min(solved["lstm"]) <= 1.1 * paper,
        "every model's median success took longer than the paper's average":
            all(np.median(v) > paper for v in solved.values()),
        "every success of the tanh RNN came after every success of the standard LSTM":
            min(solved["rnn"]) > max(solved["lstm"]),
    }


def adding_claims(adding: dict) -> dict[str, bool]:
    """What lesson 13 says about the adding runs (``load_result("classic_adding")["data"]``)."""
    runs = adding["runs"]
    stopped = {k: [r for r in rows if r["stopped"]] for k, rows in runs.items()}
    paper = PAPER["adding"]
    old = stopped["no_forget_gate"]
    return {
        "the LSTM of 1997 (no forget gate) met the stopping rule in some seeds, each time within the "
        "paper's average of 74,000 sequences": len(old) >= 1 and all(r["sequences"] < paper["sequences_to_stop"]
                                                                    for r in old),
        "where it met the rule, fewer than 1 % of the 2,560 test sequences were wrong (the paper: 1)":
            all(r["test_wrong"] < 0.01 * paper["test_sequences"] for r in old),
        "the standard LSTM (forget bias 1) met it in no seed within 60,000 sequences": not stopped["lstm"],
        "the tanh RNN met it in no seed": not stopped["rnn"],
        "every run that did not meet the rule stayed near the error of always answering 0.5 (test MSE > 0.03)":
            all(r["test_mse"] > 0.03 for rows in runs.values() for r in rows if not r["stopped"]),
    }


def copy_claims(copy: dict) -> dict[str, bool]:
    """What lesson 13 says about the copy runs (``load_result("classic_copy")["data"]``)."""
    base = copy["baseline"]
    finals = {k: [r["final"] for r in rows] for k, rows in copy["runs"].items()}
    starts = {k: [r["loss"][0] for r in rows] for k, rows in copy["runs"].items()}
    return {
        "every model starts far above the baseline (more than 3 times it)": all(s > 3 * base for v in starts.values() for s in v),
        "the LSTM and the tanh RNN end within 1 % of the baseline in every seed: they did not learn to copy":
            all(abs(f - base) < 0.01 * base for k in ("lstm", "rnn") for f in finals[k]),
        "the GRU ends below the baseline in at least half the seeds, but by less than 10 %: a start, no more":
            2 * sum(f < base for f in finals["gru"]) >= len(finals["gru"]) and min(finals["gru"]) > 0.9 * base,
    }
