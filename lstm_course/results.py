"""Committed results of the experiments that take minutes: `make results` writes them, lessons read them.

A lesson must run in seconds, yet some of its claims rest on training runs that take minutes
(several seeds, a learning-rate grid, a language model). Those runs live here, outside the
notebooks:

- an *experiment* is a function registered with :func:`experiment`; it receives a
  :class:`Runner` and returns plain JSON data (numbers, lists, dicts of them);
- `make results` (``python -m lstm_course.results [NAME ...]``) runs the experiments and writes
  ``results/NAME.json`` with the data, the seeds, the settings, the code's git revision and the
  time taken; small checkpoints go beside it as ``results/NAME.npz``;
- the work of an experiment is split into *units* (one model, one learning rate, one seed...):
  :meth:`Runner.unit` stores each finished unit under ``results/.partial/NAME/``, so an
  interrupted run resumes where it stopped (``--fresh`` starts over);
- a lesson calls :func:`load_result` and plots or quotes the numbers; ``pytest -m slow`` re-runs
  the experiments (or a stated subset) and compares with the committed files.

Experiments are registered by the modules listed in :data:`EXPERIMENT_MODULES` when they are
imported; add a module there to make its experiments known to `make results`.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["experiment", "Runner", "load_result", "save_result", "load_checkpoint", "results_dir",
           "EXPERIMENTS", "EXPERIMENT_MODULES", "main"]

#: The modules whose import registers experiments (each calls :func:`experiment` at import time).
EXPERIMENT_MODULES: tuple[str, ...] = (
    "lstm_course.experiments",
    "lstm_course.relatives", "lstm_course.classic",  # lessons 12 and 13
    "lstm_course.charlm_experiments",
)

#: Every registered experiment, by name.
EXPERIMENTS: dict[str, "Experiment"] = {}


@dataclasses.dataclass(frozen=True)
class Experiment:
    """A registered experiment: its name, the function that runs it, its seeds and settings."""

    name: str
    run: Callable[["Runner"], Any]
    seeds: tuple[int, ...]
    settings: Mapping[str, Any]
    description: str = ""


def experiment(name: str, *, seeds, settings: Mapping[str, Any], description: str = ""):
    """Register the decorated function ``fn(runner) -> data`` as the experiment `name`.

    `seeds` and `settings` are written into the results file beside the data, so that a reader
    knows exactly what was run; the function should read them from ``runner.seeds`` and
    ``runner.settings`` rather than repeat them.
    """
    if not isinstance(name, str) or not name.replace("_", "").isalnum():
        raise ValueError(f"expected an experiment name of letters, digits and '_', got {name!r}")

    def register(fn):
        EXPERIMENTS[name] = Experiment(name, fn, tuple(int(s) for s in seeds), dict(settings), description)
        return fn

    return register


def results_dir() -> Path:
    """The folder of committed results: ``results/`` at the top of the repository."""
    return Path(__file__).resolve().parents[1] / "results"


def _to_json(value):
    """Plain JSON from NumPy scalars and arrays (results files hold no pickles)."""
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return _to_json(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _revision() -> str:
    """The code's git revision (with '+dirty' when the work tree has changes), or 'unknown'."""
    root = results_dir().parent
    try:
        rev = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "lstm_course"],
                               cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def save_result(name: str, data, *, seeds, settings: Mapping[str, Any], seconds: float,
                directory: Path | None = None) -> Path:
    """Write ``NAME.json``: the data with its seeds, settings, git revision and time taken."""
    directory = Path(directory) if directory is not None else results_dir()
    directory.mkdir(parents=True, exist_ok=True)
    record = {"name": name, "revision": _revision(), "seconds": round(float(seconds), 1),
              "seeds": list(seeds), "settings": _to_json(settings), "data": _to_json(data)}
    path = directory / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=False) + "\n")
    tmp.replace(path)  # atomic: a reader never sees half a file
    return path


def load_result(name: str, directory: Path | None = None) -> dict:
    """The committed record of experiment `name`: keys name, revision, seconds, seeds, settings, data."""
    directory = Path(directory) if directory is not None else results_dir()
    path = directory / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no results file {path}: run `make results` (or `make results ONLY={name}`)")
    return json.loads(path.read_text())


def load_checkpoint(name: str, directory: Path | None = None) -> dict[str, np.ndarray]:
    """The arrays an experiment saved with :meth:`Runner.save_checkpoint` (``NAME.npz``)."""
    directory = Path(directory) if directory is not None else results_dir()
    path = directory / f"{name}.npz"
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint {path}: run `make results` (or `make results ONLY={name}`)")
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}


class Runner:
    """What an experiment gets: its seeds and settings, resumable units, progress, checkpoints.

    Parameters
    ----------
    spec : Experiment
    directory : Path
        Where results, checkpoints and partial units go.
    resume : bool
        Reuse the units finished by an earlier, interrupted run (default True).
    quiet : bool
        No progress lines (used by the slow tests).
    """

    def __init__(self, spec: Experiment, directory: Path, *, resume: bool = True, quiet: bool = False):
        self.spec, self.directory, self.resume, self.quiet = spec, Path(directory), resume, quiet
        self.seeds, self.settings = spec.seeds, spec.settings
        self._partial = self.directory / ".partial" / spec.name
        self._done = self._total = 0
        self._started = time.perf_counter()

    def expect(self, total_units: int) -> None:
        """Say how many units the experiment will run, for the progress line's time left."""
        self._total = int(total_units)

    def unit(self, key: Mapping[str, Any], fn: Callable[[], Any]):
        """The result of ``fn()`` for the unit `key` (a dict of JSON values), computed at most once.

        A finished unit is stored as JSON under ``results/.partial/NAME/``; a resumed run reads it
        back instead of computing it again.
        """
        text = json.dumps(_to_json(key), sort_keys=True)
        path = self._partial / (hashlib.sha1(text.encode()).hexdigest()[:16] + ".json")
        if self.resume and path.is_file():
            stored = json.loads(path.read_text())
            if stored.get("key") == json.loads(text):
                self._tick(key, cached=True)
                return stored["value"]
        value = _to_json(fn())
        self._partial.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": json.loads(text), "value": value}))
        tmp.replace(path)
        self._tick(key, cached=False)
        return value

    def log(self, message: str) -> None:
        """One line of progress on stderr (nothing when quiet)."""
        if not self.quiet:
            print(f"[{self.spec.name}] {message}", file=sys.stderr, flush=True)

    def _tick(self, key, cached: bool) -> None:
        self._done += 1
        elapsed = time.perf_counter() - self._started
        left = ""
        if self._total and self._done < self._total:
            left = f", about {elapsed / self._done * (self._total - self._done):.0f} s left"
        total = f"/{self._total}" if self._total else ""
        what = ", ".join(f"{k}={v}" for k, v in key.items())
        self.log(f"{self._done}{total} {what}{' (resumed)' if cached else ''} [{elapsed:.0f} s{left}]")

    def save_checkpoint(self, arrays: Mapping[str, np.ndarray], suffix: str = "") -> Path:
        """Save small arrays as ``results/NAME[suffix].npz`` (keep checkpoints to a few MB in all)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{self.spec.name}{suffix}.npz"
        tmp = self.directory / f"{self.spec.name}{suffix}.tmp.npz"
        np.savez_compressed(tmp, **{k: np.asarray(v) for k, v in arrays.items()})
        tmp.replace(path)
        return path

    def finish(self) -> None:
        """Forget the partial units once the results file is written."""
        if self._partial.is_dir():
            for path in self._partial.glob("*"):
                path.unlink()
            self._partial.rmdir()


def _import_experiments() -> None:
    import importlib

    for module in EXPERIMENT_MODULES:
        importlib.import_module(module)


def run_experiment(name: str, *, directory: Path | None = None, resume: bool = True, quiet: bool = False,
                   write: bool = True) -> dict:
    """Run experiment `name` and (when `write`) write its results file; return the record's data."""
    _import_experiments()
    if name not in EXPERIMENTS:
        raise KeyError(f"unknown experiment {name!r}; known: {', '.join(sorted(EXPERIMENTS)) or 'none'}")
    spec = EXPERIMENTS[name]
    directory = Path(directory) if directory is not None else results_dir()
    runner = Runner(spec, directory, resume=resume, quiet=quiet)
    started = time.perf_counter()
    data = _to_json(spec.run(runner))
    if write:
        save_result(name, data, seeds=spec.seeds, settings=spec.settings,
                    seconds=time.perf_counter() - started, directory=directory)
        runner.finish()
    return data


def main(argv=None) -> int:
    """``python -m lstm_course.results [NAME ...] [--fresh] [--list]``: write the results files."""
    _import_experiments()
    parser = argparse.ArgumentParser(prog="python -m lstm_course.results", description=main.__doc__)
    parser.add_argument("names", nargs="*", help="experiments to run (default: all)")
    parser.add_argument("--fresh", action="store_true", help="ignore units finished by an interrupted run")
    parser.add_argument("--list", action="store_true", help="list the experiments and stop")
    args = parser.parse_args(argv)
    if args.list:
        for name, spec in sorted(EXPERIMENTS.items()):
            print(f"{name}: {spec.description}")
        return 0
    unknown = [n for n in args.names if n not in EXPERIMENTS]
    if unknown:
        parser.error(f"unknown experiment(s) {', '.join(unknown)}; known: {', '.join(sorted(EXPERIMENTS))}")
    for name in args.names or sorted(EXPERIMENTS):
        started = time.perf_counter()
        print(f"== {name}", file=sys.stderr, flush=True)
        run_experiment(name, resume=not args.fresh)
        print(f"== {name}: wrote results/{name}.json in {time.perf_counter() - started:.0f} s",
              file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    # Run as `python -m lstm_course.results`, this file is `__main__`, while the experiment modules
    # register with the importable `lstm_course.results`: use that module's registry.
    from lstm_course.results import main as _main

    raise SystemExit(_main())
