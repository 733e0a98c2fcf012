"""How long the package takes to solve two long-gap tasks, against figures measured beforehand.

    .venv-bench/bin/python benchmarks/bench_training.py        # or: make bench

1. The adding problem (Hochreiter & Schmidhuber 1997) at T = 100, trained until a batch's MSE is
   below 0.01 (predicting the mean scores about 0.167). LSTM, H = 32, batch 32, Adam lr 3e-3,
   gradient-norm clipping 1.0. Reference: a NumPy LSTM took about 7 s on one core here.
2. Delayed recall ("I grew up in France ... I speak fluent French") at gap 80, 8 classes, trained
   until a batch of 64 is recalled perfectly. LSTM, H = 64, forget-gate bias 3, Adam lr 1e-3,
   clipping 1.0. Reference: solved in about 50-100 Adam steps, under 2 s.

Each task runs for several seeds (the training data are drawn from the seed too); the script
prints steps, seconds (CPU time of this process, one BLAS thread) and the ratio to the
reference. It is a report: the exit status is 0 unless a run fails to reach its target.
"""

from lstm_course.blas import use_one_blas_thread

use_one_blas_thread(force=True)  # before numpy is imported: the figures are for one thread

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from lstm_course import model, optim, tasks, train  # noqa: E402

BENCHES = {
    # name: (reference seconds, budget in steps, settings)
    "adding problem, T=100, MSE < 0.01": (7.0, 3000, dict(
        kind="lstm", D=2, H=32, K=1, forget_bias=1.0, lr=3e-3, loss="mse",
        batch=lambda rng: tasks.adding_problem(32, 100, rng), target=dict(target_loss=0.01))),
    "delayed recall, gap 80, accuracy 1.0": (2.0, 400, dict(
        kind="lstm", D=None, H=64, K=8, forget_bias=3.0, lr=1e-3, loss="cross_entropy",
        batch=lambda rng: tasks.delayed_recall(64, 80, n_classes=8, rng=rng), target=dict(target_accuracy=1.0))),
}


def run(settings, budget, seed):
    rng = np.random.default_rng(seed)
    x, _ = settings["batch"](np.random.default_rng(0))
    params = model.init_sequence_model(settings["kind"], x.shape[2], settings["H"], settings["K"], rng,
                                       forget_bias=settings["forget_bias"])
    start = time.process_time()
    _, history = train.train(params, model.make_loss_fn(settings["loss"]), settings["batch"], budget,
                             optim.Adam(settings["lr"]), rng, clip_norm=1.0, progress=False,
                             **settings["target"])
    seconds = time.process_time() - start
    key, limit = next(iter(settings["target"].items()))
    reached = (history.first_step(loss=limit) if key == "target_loss"
               else history.first_step(accuracy=limit)) is not None
    return len(history), seconds, reached


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    failed = False
    print(f"{'task':<40} {'seed':>4} {'steps':>6} {'seconds':>8} {'ratio':>6}  reached")
    for name, (reference, budget, settings) in BENCHES.items():
        for seed in range(args.seeds):
            steps, seconds, reached = run(settings, budget, seed)
            failed |= not reached
            print(f"{name:<40} {seed:>4} {steps:>6} {seconds:8.2f} {seconds / reference:6.2f}  "
                  f"{'yes' if reached else 'NO (budget ' + str(budget) + ' steps)'}")
        print(f"{'':<40} reference: about {reference:.0f} s")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
