"""Write the PyTorch reference arrays that tests/test_parity_torch.py compares the package with.

Run with exactly torch==2.13.0 (CPU is enough), from the repository root:

    make reference        # makes .venv-bench (torch, the locked numpy, the package) and runs this

torch never goes into the course's .venv: the tests there prove that the package needs none.

For one-layer `nn.LSTM` and `nn.RNN` (tanh, batch_first=True) in float64, at several shapes
(including N = 1 and T = 1), it draws random non-zero weights, two different non-zero biases
(bias_ih and bias_hh), a non-zero initial state, and random upstream gradients:

    LSTM: loss = (out * G).sum() + (c_n * Gc).sum()      a gradient on every h_t and on c_T
    RNN:  loss = (out * G).sum()

and saves the inputs, the outputs and every gradient to tests/reference/lstm_reference.npz and
tests/reference/rnn_reference.npz. Keys are "<case>__<name>" (the case list is under "cases"),
with h0 and c0 stored as (N, H), not PyTorch's (1, N, H). All random numbers come from seeded
NumPy generators, so the inputs do not depend on torch's own random stream.

The tests need no torch: they only read these files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

TORCH_VERSION = "2.13.0"  # the one version the committed arrays are made with
ROOT = Path(__file__).resolve().parent.parent

# (N, T, D, H): a general case, N = 1 and T = 1 together, D = 1, H < D, and each edge alone.
SHAPES = [(3, 5, 4, 6), (1, 1, 3, 2), (2, 7, 1, 5), (4, 3, 6, 3), (1, 4, 2, 3), (3, 1, 2, 4)]


def import_torch():
    """Import torch, refusing any version but TORCH_VERSION (a local tag such as +cpu is fine)."""
    try:
        import torch
    except ImportError:
        sys.exit(f"error: this script needs PyTorch {TORCH_VERSION}: "
                 f"run `make reference` (it installs torch=={TORCH_VERSION} into .venv-bench)")
    if torch.__version__.split("+")[0] != TORCH_VERSION:
        sys.exit(f"error: the reference arrays must be made with torch=={TORCH_VERSION}, "
                 f"but torch {torch.__version__} is installed; "
                 "run `make reference`, which uses .venv-bench")
    return torch


def case_name(N, T, D, H):
    return f"N{N}_T{T}_D{D}_H{H}"


def random_inputs(rng, N, T, D, H, gates):
    """Every array of one case, drawn from `rng`: weights, biases, x, states, upstream grads.

    Scale 0.5 keeps the gates mostly away from saturation, so every gradient is sizeable.
    """
    G4 = gates * H
    draw = lambda *shape: 0.5 * rng.standard_normal(shape)  # noqa: E731
    return {
        "weight_ih": draw(G4, D),
        "weight_hh": draw(G4, H),
        "bias_ih": draw(G4),
        "bias_hh": draw(G4),  # independent of bias_ih, so a dropped bias cannot go unseen
        "x": rng.standard_normal((N, T, D)),
        "h0": draw(N, H),
        "c0": draw(N, H),
        "G": rng.standard_normal((N, T, H)),  # dL/dh_t for every t
        "Gc": rng.standard_normal((N, H)),  # dL/dc_T (LSTM only)
    }


def run_case(torch, kind, arrays):
    """Forward and backward through a one-layer torch module; return a dict of NumPy results."""
    N, T, D = arrays["x"].shape
    H = arrays["weight_hh"].shape[1]
    module_cls = torch.nn.LSTM if kind == "lstm" else torch.nn.RNN
    kwargs = {} if kind == "lstm" else {"nonlinearity": "tanh"}
    module = module_cls(D, H, num_layers=1, bias=True, batch_first=True, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(module, f"{name}_l0").copy_(torch.from_numpy(arrays[name]))

    t = lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True)  # noqa: E731
    x, h0 = t(arrays["x"]), t(arrays["h0"][None])  # torch wants states as (layers, N, H)
    G = torch.from_numpy(arrays["G"])
    if kind == "lstm":
        c0 = t(arrays["c0"][None])
        out, (h_n, c_n) = module(x, (h0, c0))
        loss = (out * G).sum() + (c_n[0] * torch.from_numpy(arrays["Gc"])).sum()
    else:
        out, h_n = module(x, h0)
        loss = (out * G).sum()
    loss.backward()

    np_ = lambda a: a.detach().numpy().copy()  # noqa: E731
    result = {"h": np_(out), "h_n": np_(h_n[0]), "dx": np_(x.grad), "dh0": np_(h0.grad[0]),
              "loss": np.array(loss.item())}
    if kind == "lstm":
        result["c_n"] = np_(c_n[0])
        result["dc0"] = np_(c0.grad[0])
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        result[f"d{name}"] = np_(getattr(module, f"{name}_l0").grad)
    return result


def make(torch, kind, seed):
    """All cases of one kind, as the flat dict that np.savez_compressed writes."""
    out = {"torch_version": np.array(torch.__version__), "cases": np.array([case_name(*s) for s in SHAPES])}
    for n, (N, T, D, H) in enumerate(SHAPES):
        rng = np.random.default_rng([seed, n])
        arrays = random_inputs(rng, N, T, D, H, gates=4 if kind == "lstm" else 1)
        if kind == "rnn":
            del arrays["c0"], arrays["Gc"]
        results = run_case(torch, kind, arrays)
        for key, value in {**arrays, **results}.items():
            out[f"{case_name(N, T, D, H)}__{key}"] = value
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "reference",
                        help="folder for lstm_reference.npz and rnn_reference.npz (default: %(default)s)")
    args = parser.parse_args(argv)

    torch = import_torch()
    torch.set_num_threads(1)  # one summation order, so a rerun writes the same numbers
    torch.use_deterministic_algorithms(True)
    args.out.mkdir(parents=True, exist_ok=True)
    for kind, seed in (("lstm", 2013), ("rnn", 2014)):
        path = args.out / f"{kind}_reference.npz"
        np.savez_compressed(path, **make(torch, kind, seed))
        print(f"wrote {path} ({path.stat().st_size / 1024:.1f} KiB, {len(SHAPES)} cases, torch {torch.__version__})")


if __name__ == "__main__":
    main()
