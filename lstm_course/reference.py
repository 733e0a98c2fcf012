"""The PyTorch reference arrays that lessons 08 and 09 (and tests/test_parity_torch.py) compare with.

scripts/make_torch_reference.py writes them with torch 2.13.0 into tests/reference/*.npz; reading
them needs no torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["TorchReference", "reference_path", "load_torch_reference"]

NAMES = ("lstm_reference.npz", "rnn_reference.npz")


def reference_path(name: str = "lstm_reference.npz", start: str | Path | None = None) -> Path:
    """Where tests/reference/`name` is: beside the package (a clone of the course), or else in
    `start` (default: the working folder) or one of its parents. Raises FileNotFoundError."""
    if name not in NAMES:
        raise ValueError(f"name must be one of {NAMES}, got {name!r}")
    here = Path.cwd() if start is None else Path(start)
    folders = [Path(__file__).resolve().parents[1], here.resolve(), *here.resolve().parents]
    for folder in folders:
        path = folder / "tests" / "reference" / name
        if path.is_file():
            return path
    raise FileNotFoundError(f"tests/reference/{name} not found beside the package nor above {here}; "
                            "it comes with a clone of the course (make reference rebuilds it)")


class TorchReference(NamedTuple):
    """torch_version : str; cases : dict mapping a case name such as "N3_T5_D4_H6" to a dict of
    its arrays (the inputs x, h0, c0, G, Gc, PyTorch's weight_ih ... bias_hh, outputs and gradients)."""
    torch_version: str
    cases: dict


def load_torch_reference(name: str = "lstm_reference.npz", start: str | Path | None = None) -> TorchReference:
    """The reference arrays of `name`, grouped by case: a TorchReference."""
    with np.load(reference_path(name, start)) as data:
        cases = {str(case): {key.split("__", 1)[1]: data[key] for key in data.files
                             if key.startswith(f"{case}__")}
                 for case in data["cases"]}
        return TorchReference(str(data["torch_version"]), cases)
