"""Lesson 11's experiment: character language models on the Python docs, against counting baselines.

`make results ONLY=charlm` runs it (about 10 minutes of CPU on one core) and writes
``results/charlm.json`` and the LSTM checkpoints ``results/charlm.npz``. What it does:

1. **Baselines**: a unigram model and interpolated Kneser–Ney n-grams of order 2..9; the order
   with the lowest validation bits per character is the n-gram baseline.
2. **Learning rates**: the LSTM and the tanh RNN (with about the same number of weights) each
   train briefly (`SETTINGS["lr_steps"]` chunks, seed 0) at every learning rate of
   `SETTINGS["lrs"]`; each model then uses its own best rate.
3. **Main runs**: both models, every seed, `SETTINGS["steps"]` chunks of truncated BPTT with Adam
   (the rate decays tenfold over the run), clipping, the validation bpc measured every
   `eval_every` chunks and the best weights kept (early stopping); then the test bpc.
4. **State reset**: the LSTM trained the same way but with the state reset to zero at every
   chunk, for `reset_steps` chunks, against the carried-state run at the same point.
5. **Long range**: on the test text, the bits each model spends on characters that close
   something (``)``, a literal's closing backticks, ``"``), split by how far back the opening is
   compared with the n-gram's window.
6. **Cells**: for each LSTM seed, the unit whose cell state correlates best with each property
   of `text_properties.PROPERTIES` on the validation text, and its correlation on the test text;
   the same for the untrained network, as the level chance gives.

Seeds, settings, the code's revision and the time taken go into the results file.
"""

from __future__ import annotations

import numpy as np

from .cells import best_units
from .charlm import (LN2, CharLMParams, count_params, evaluate_text, generate, init_charlm, train_charlm)
from .ngram import KneserNeyModel, UnigramModel, bits_per_char
from .optim import Adam
from .results import experiment, load_checkpoint
from .text import Vocabulary, load_corpus, split_by_position
from .text_properties import closing_pairs, position_properties
from .tree import tree_leaves_with_path, tree_unflatten_like

__all__ = ["SETTINGS", "SEEDS", "prepare_data", "ngram_baselines", "run_model", "load_charlm_checkpoint",
           "long_range_summary"]

SEEDS = (0, 1, 2, 3)
SETTINGS = {
    "split": [0.90, 0.05, 0.05],
    "E": 32,
    "H": {"lstm": 128, "rnn": 250},  # about 98,000 weights each
    "N": 32,
    "T": 64,
    "clip": 5.0,
    "lrs": [4e-3, 8e-3, 1.6e-2, 3.2e-2],
    "lr_decay": 0.1,  # the rate falls geometrically to this fraction of itself over a run
    "lr_steps": 750,
    "steps": 1500,
    "eval_every": 250,
    "reset_steps": 500,
    "ngram_orders": [2, 3, 4, 5, 6, 7, 8, 9],
    "sample_steps": [100, 500, 1500],
    "sample_temperatures": [0.5, 1.0],
    "sample_length": 240,
    "dtype": "float32",
}


def prepare_data(split=None):
    """(vocab, train, validation, test) of the committed text, split by position."""
    text = load_corpus()
    vocab = Vocabulary.from_text(text)
    train, val, test = split_by_position(vocab.encode(text), SETTINGS["split"] if split is None else split)
    return vocab, train, val, test


def ngram_baselines(vocab, train, val, test, orders):
    """Unigram and Kneser–Ney bpc: {"unigram": {...}, "kn": {n: {"val", "test"}}, "best_order": n}."""
    uni = UnigramModel.fit(train, vocab.size)
    out = {"unigram": {"val": bits_per_char(uni.prob_of_text(val)), "test": bits_per_char(uni.prob_of_text(test))},
           "kn": {}}
    for n in orders:
        model = KneserNeyModel(n, vocab.size).fit(train)
        out["kn"][str(n)] = {"val": model.bits_per_char(val), "test": model.bits_per_char(test)}
    out["best_order"] = int(min(orders, key=lambda n: out["kn"][str(n)]["val"]))
    return out


def _weights(params):
    return {path: leaf for path, leaf in tree_leaves_with_path(params)}


def _lr_schedule(optimizer, lr0, total, decay):
    """Callback body: geometric decay of the rate from lr0 to lr0 * decay over `total` steps."""
    def set_lr(step):
        optimizer.lr = lr0 * decay ** (step / total)
    return set_lr


def run_model(kind, seed, lr, steps, data, settings=None, *, reset_state=False, schedule_steps=None, samples=False,
              keep_weights=False, progress=None):
    """Train one model with truncated BPTT; return its validation curve, best and test bpc, and more.

    Parameters
    ----------
    kind : {"lstm", "rnn"}
    seed : int
        Seeds the initial weights and the offsets of each pass (`numpy.random.default_rng(seed)`).
    lr : float
        Adam's initial rate; it decays geometrically over `schedule_steps` (default `steps`).
    steps : int
    data : (vocab, train, val, test) from `prepare_data`
    settings : dict, default `SETTINGS`
    reset_state : bool
        Reset the state at every chunk (the mistake measured in step 4 of the module's docstring).
    samples, keep_weights : bool
        Also return samples at `SETTINGS["sample_steps"]`, and the best weights (as lists).

    Returns
    -------
    dict with "val_curve" [(step, bpc)], "train_curve" [(step, bpc averaged over 50 chunks)],
    "best_step", "val_bpc", "test_bpc", "params" (the number of weights), optionally "samples",
    "weights", "closing_bits".
    """
    S = SETTINGS if settings is None else settings
    vocab, train, val, test = data
    dtype = np.dtype(S["dtype"])
    rng = np.random.default_rng(seed)
    params = init_charlm(kind, vocab.size, S["E"], S["H"][kind], rng, dtype=dtype)
    optimizer = Adam(lr)
    set_lr = _lr_schedule(optimizer, lr, schedule_steps or steps, S["lr_decay"])
    record = {"val_curve": [], "samples": {}, "params": count_params(params)}
    best = {"bpc": np.inf, "step": 0, "params": params}

    def callback(step, current):
        set_lr(step)
        if step % S["eval_every"] == 0 or step == steps:
            bpc = evaluate_text(current, val)
            record["val_curve"].append([step, bpc])
            if bpc < best["bpc"]:
                best.update(bpc=bpc, step=step, params=current)
        if samples and step in S["sample_steps"]:
            record["samples"][str(step)] = {
                str(temp): generate(current, vocab, S["sample_length"], np.random.default_rng([seed, step]),
                                    temperature=temp, prime="\n")
                for temp in S["sample_temperatures"]}

    _, losses = train_charlm(params, train, steps=steps, N=S["N"], T=S["T"], optimizer=optimizer,
                             rng=rng, clip_norm=S["clip"], reset_state=reset_state, callback=callback,
                             progress=progress)
    record["train_curve"] = [[k + 50, float(np.mean(losses[k:k + 50]))] for k in range(0, len(losses), 50)]
    record.update(best_step=best["step"], val_bpc=best["bpc"])
    bpc, bits = evaluate_text(best["params"], test, per_char=True)
    record["test_bpc"] = bpc
    pairs = closing_pairs(vocab.decode(test))
    # bits[t - 1] is the cost of test[t]
    record["closing_bits"] = {key: bits[pos - 1].tolist() for key, (pos, _) in pairs.items()}
    if keep_weights:
        record["weights"] = {path: leaf.tolist() for path, leaf in _weights(best["params"]).items()}
    if not samples:
        del record["samples"]
    return record


def params_from_weights(kind, weights, vocab_size, settings=None):
    """Rebuild CharLMParams from {path: array} (as saved by the experiment)."""
    S = SETTINGS if settings is None else settings
    template = init_charlm(kind, vocab_size, S["E"], S["H"][kind], np.random.default_rng(0),
                           dtype=np.dtype(S["dtype"]))
    leaves = [np.asarray(weights[path], dtype=leaf.dtype).reshape(leaf.shape)
              for path, leaf in tree_leaves_with_path(template)]
    return tree_unflatten_like(template, leaves)


def load_charlm_checkpoint(seed=0, vocab_size=None) -> CharLMParams:
    """The trained LSTM of `seed` from ``results/charlm.npz`` (its best validation weights)."""
    arrays = load_checkpoint("charlm")
    prefix = f"lstm_seed{seed}."
    weights = {key[len(prefix):]: value for key, value in arrays.items() if key.startswith(prefix)}
    if not weights:
        raise KeyError(f"no LSTM of seed {seed} in results/charlm.npz (seeds: {SEEDS})")
    V = vocab_size if vocab_size is not None else weights["embed"].shape[0]
    return params_from_weights("lstm", weights, V)


def long_range_summary(model_bits, ngram_bits, distances, window):
    """Mean bits at closing characters, near (opening within the n-gram's window) and far.

    Parameters
    ----------
    model_bits, ngram_bits : ndarray of shape (M,), the bits each model spent on M closing characters
    distances : int ndarray of shape (M,), how far back each opening is
    window : int, the n-gram's context length n - 1

    Returns
    -------
    {"near": {"count", "model", "ngram"}, "far": {...}}
    """
    model_bits, ngram_bits, distances = map(np.asarray, (model_bits, ngram_bits, distances))
    out = {}
    for name, mask in (("near", distances <= window), ("far", distances > window)):
        out[name] = {"count": int(mask.sum()),
                     "model": float(model_bits[mask].mean()) if mask.any() else None,
                     "ngram": float(ngram_bits[mask].mean()) if mask.any() else None}
    return out


@experiment("charlm", seeds=SEEDS, settings=SETTINGS,
            description="lesson 11: character LSTM and RNN against unigram and Kneser-Ney n-grams (~10 min CPU)")
def charlm_experiment(runner):
    seeds, S = runner.seeds, runner.settings
    data = prepare_data(S["split"])
    vocab, train, val, test = data
    runner.expect(2 * len(S["lrs"]) + 2 * len(seeds) + len(seeds))
    label = (lambda text: None) if runner.quiet else (lambda text: f"[charlm] {text}")

    baselines = ngram_baselines(vocab, train, val, test, S["ngram_orders"])
    n_best = baselines["best_order"]
    runner.log(f"unigram {baselines['unigram']['test']:.3f} bpc, Kneser-Ney n={n_best} "
               f"{baselines['kn'][str(n_best)]['test']:.3f} bpc (test)")

    best_lr = {}
    sweep = {}
    for kind in ("lstm", "rnn"):
        sweep[kind] = {}
        for lr in S["lrs"]:
            result = runner.unit({"part": "lr", "model": kind, "lr": lr, "seed": 0}, lambda: run_model(
                kind, 0, lr, S["lr_steps"], data, S, progress=label(f"{kind} lr={lr}")))
            sweep[kind][str(lr)] = result["val_bpc"]
        best_lr[kind] = float(min(S["lrs"], key=lambda lr: sweep[kind][str(lr)]))

    main = {"lstm": {}, "rnn": {}}
    for seed in seeds:
        for kind in ("lstm", "rnn"):
            main[kind][str(seed)] = runner.unit(
                {"part": "main", "model": kind, "seed": seed, "lr": best_lr[kind], "steps": S["steps"]},
                lambda: run_model(kind, seed, best_lr[kind], S["steps"], data, S, samples=kind == "lstm",
                                  keep_weights=kind == "lstm", progress=label(f"{kind} seed {seed}")))
    reset = {}
    for seed in seeds:
        reset[str(seed)] = runner.unit(
            {"part": "reset", "seed": seed, "lr": best_lr["lstm"], "steps": S["reset_steps"]},
            lambda: run_model("lstm", seed, best_lr["lstm"], S["reset_steps"], data, S, reset_state=True,
                              schedule_steps=S["steps"], progress=label(f"lstm reset seed {seed}")))

    # Long range: the same closing characters, the n-gram's bits against each model's.
    kn = KneserNeyModel(n_best, vocab.size).fit(train)
    kn_bits = -np.log2(kn.prob_of_text(test))
    pairs = closing_pairs(vocab.decode(test))
    long_range = {}
    for key, (pos, dist) in pairs.items():
        long_range[key] = {kind: [long_range_summary(main[kind][str(s)]["closing_bits"][key], kn_bits[pos - 1],
                                                     dist, n_best - 1) for s in seeds] for kind in main}
        long_range[key]["distances"] = {"median": float(np.median(dist)) if len(dist) else None,
                                        "max": int(dist.max()) if len(dist) else None}

    # Cells: search on the validation text, report on the test text.
    val_props = position_properties(vocab.decode(val))
    test_props = position_properties(vocab.decode(test))
    cells, untrained, checkpoint = {}, {}, {}
    for seed in seeds:
        weights = main["lstm"][str(seed)]["weights"]
        params = params_from_weights("lstm", weights, vocab.size, S)
        cells[str(seed)] = best_units(params, val, test, val_props, test_props)
        fresh = init_charlm("lstm", vocab.size, S["E"], S["H"]["lstm"], np.random.default_rng(seed),
                            dtype=np.dtype(S["dtype"]))
        untrained[str(seed)] = best_units(fresh, val, test, val_props, test_props)
        for path, leaf in _weights(params).items():
            checkpoint[f"lstm_seed{seed}.{path}"] = leaf
    runner.save_checkpoint(checkpoint)

    def summary(run):
        return {k: run[k] for k in ("val_bpc", "test_bpc", "best_step", "val_curve", "train_curve", "params")}

    return {
        "vocab_size": vocab.size,
        "chars": {"train": len(train), "val": len(val), "test": len(test)},
        "baselines": baselines,
        "lr_sweep": sweep,
        "best_lr": best_lr,
        "runs": {kind: {s: summary(run) for s, run in runs.items()} for kind, runs in main.items()},
        "samples": {s: main["lstm"][s]["samples"] for s in main["lstm"]},
        "reset": {s: {"val_bpc_reset": reset[s]["val_curve"][-1][1],
                      "val_bpc_carried": dict(map(tuple, main["lstm"][s]["val_curve"]))[S["reset_steps"]]}
                  for s in reset},
        "long_range": long_range,
        "cells": cells,
        "cells_untrained": untrained,
    }
