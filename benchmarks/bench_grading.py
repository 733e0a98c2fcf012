"""Grade a synthetic class of lesson-04 submissions and report the rate.

    python benchmarks/bench_grading.py [--n 300] [--jobs 2] [--timeout 20] [--looping 0.05]

The class is the learner notebook of lesson 04 (notebooks/exercises/04_the_forget_gate.ipynb)
with the forget gate filled in five ways: solved, wrong (tanh instead of the sigmoid), unsolved
(the stub), crashing (os._exit inside the function) and looping forever (each costs --timeout
seconds of one job). Prints submissions per minute, wall and CPU time per submission (the CPU
time of the grader and of every sandbox), and checks every row's status against the kind.
"""

from __future__ import annotations

import argparse
import collections
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
LESSON = "04_the_forget_gate.ipynb"
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError"
BODIES = {
    "solved": "    return sigmoid(x @ params.W_xf + h_prev @ params.W_hf + params.b_f)",
    "wrong": "    return np.tanh(x @ params.W_xf + h_prev @ params.W_hf + params.b_f)",
    "unsolved": None,
    "crashing": "    import os\n    os._exit(3)",
    "looping": "    while True:\n        pass",
}
EXPECTED = {"solved": "pass", "wrong": "fail", "unsolved": "not_implemented", "crashing": "crashed",
            "looping": "timeout"}


def make_class(folder, n, looping, crashing=0.05):
    learner = nbformat.read(ROOT / "notebooks" / "exercises" / LESSON, as_version=4)
    shares = {"looping": looping, "crashing": crashing}
    rest = (1 - looping - crashing) / 4
    shares.update(solved=2 * rest, wrong=rest, unsolved=rest)
    kinds = []
    for kind, share in shares.items():
        kinds += [kind] * round(share * n)
    kinds = (kinds + ["solved"] * n)[:n]
    kinds.sort(key=lambda k: hash((k, len(kinds))) % 7)  # mixed, not grouped
    truth = {}
    for k, kind in enumerate(kinds):
        nb = nbformat.reads(nbformat.writes(learner), as_version=4)
        if BODIES[kind] is not None:
            for cell in nb.cells:
                if "def forget_gate" in cell.source:
                    cell.source = cell.source.replace(STUB, BODIES[kind])
        path = Path(folder) / f"student{k:03d}" / LESSON
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
        truth[f"student{k:03d}/{LESSON}"] = kind
    return truth


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--looping", type=float, default=0.05, help="share of looping submissions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        truth = make_class(tmp / "class", args.n, args.looping)
        counts = collections.Counter(truth.values())
        print(f"{args.n} submissions of lesson 04: " + ", ".join(f"{counts[k]} {k}" for k in BODIES))
        output = tmp / "grades.csv"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "lstm_course.cli", "grade", str(tmp / "class"),
                               "--output", str(output), "--lessons", str(ROOT / "notebooks"),
                               "--jobs", str(args.jobs), "--timeout", str(args.timeout)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            print(done.stderr[-2000:])
            return 1
        with open(output, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        wrong = [(r["submission"], truth[r["submission"]], r["status"]) for r in rows
                 if r["exercise"] != "(notebook)" and EXPECTED[truth[r["submission"]]] != r["status"]]
        print(f"graded {args.n} in {wall:.0f} s wall on {args.jobs} jobs (target: 600 s): "
              f"{args.n / wall * 60:.1f} submissions/min, {wall / args.n:.2f} s wall per submission")
        import re

        found = re.search(r"used ([0-9.]+) s of CPU", done.stderr)
        sandboxes = float(found.group(1)) if found else float("nan")
        loops = sum(kind == "looping" for kind in truth.values()) * args.timeout
        total = cpu + sandboxes + loops
        print(f"CPU time: grader {cpu:.0f} s + sandboxes {sandboxes:.0f} s + looping ones about {loops:.0f} s "
              f"(killed at the timeout) = {total:.0f} s, {total / args.n:.2f} s per submission")
        print(f"rows whose status is not the kind's: {len(wrong)}" + (f", e.g. {wrong[:3]}" if wrong else ""))
        return 0 if not wrong else 1


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
