"""Write the PyTorch reference of two truncated-BPTT training steps of the character language model.

Run with exactly torch==2.13.0 (CPU), from the repository root, in any venv that has torch and numpy:

    .venv-bench/bin/python scripts/make_torch_reference_charlm.py

For each case (an LSTM of 1 and of 2 layers, a tanh RNN of 1 layer), in float64, it builds

    nn.Embedding(V, E) -> nn.LSTM / nn.RNN (batch_first, num_layers) -> nn.Linear(H, V)

with random non-zero weights and biases, and takes two Adam steps (lr 0.01) on two consecutive
chunks of N streams, with the loss ``F.cross_entropy`` (the mean over N * T positions):

- chunk 1 starts from a random non-zero state; chunk 2 starts from chunk 1's final state,
  *detached* (the cut of truncated BPTT);
- no gradient clipping (`clip_grad_norm_` divides by norm + 1e-6, not by the norm, which differs
  from ours by about 1e-6 relative; clipping is tested on its own in tests/test_optim.py);
- `bias_hh` is frozen (`requires_grad=False`) at a non-zero value: PyTorch's two biases would each
  take an Adam step, so their sum (our single bias) would move twice as far as any other weight.
  With bias_hh fixed, the sum still enters the forward pass, and only bias_ih trains.

It saves the inputs, the initial weights, and after each step the loss, every gradient, every
updated weight and the final state, to tests/reference/charlm_reference.npz (keys
"<case>__<name>"). The tests need no torch: they only read that file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

TORCH_VERSION = "2.13.0"
ROOT = Path(__file__).resolve().parent.parent
# name: (kind, layers, V, E, H, N, T)
CASES = {"lstm1": ("lstm", 1, 7, 4, 5, 3, 6), "lstm2": ("lstm", 2, 6, 3, 4, 2, 5), "rnn1": ("rnn", 1, 7, 4, 5, 3, 6)}
LR = 0.01


def import_torch():
    try:
        import torch
    except ImportError:
        sys.exit(f"error: this script needs PyTorch {TORCH_VERSION} (pip install torch=={TORCH_VERSION})")
    if torch.__version__.split("+")[0] != TORCH_VERSION:
        sys.exit(f"error: the reference must be made with torch=={TORCH_VERSION}, found {torch.__version__}")
    return torch


def make_case(torch, name, kind, layers, V, E, H, N, T, seed):
    rng = np.random.default_rng(seed)
    draw = lambda *shape: 0.5 * rng.standard_normal(shape)  # noqa: E731
    embed = torch.nn.Embedding(V, E, dtype=torch.float64)
    cls = torch.nn.LSTM if kind == "lstm" else torch.nn.RNN
    rnn = cls(E, H, num_layers=layers, batch_first=True, dtype=torch.float64)
    linear = torch.nn.Linear(H, V, dtype=torch.float64)
    out = {}
    with torch.no_grad():
        embed.weight.copy_(torch.from_numpy(draw(V, E)))
        for name_, p in rnn.named_parameters():
            p.copy_(torch.from_numpy(draw(*p.shape)))
        linear.weight.copy_(torch.from_numpy(draw(V, H)))
        linear.bias.copy_(torch.from_numpy(draw(V)))
    for layer in range(layers):
        getattr(rnn, f"bias_hh_l{layer}").requires_grad_(False)
    modules = {"embed": embed, "rnn": rnn, "linear": linear}

    def snapshot(prefix):
        for mod_name, mod in modules.items():
            for p_name, p in mod.named_parameters():
                out[f"{prefix}{mod_name}.{p_name}"] = p.detach().numpy().copy()

    snapshot("init.")
    x = rng.integers(V, size=(N, 2 * T + 1))
    out["x1"], out["y1"] = x[:, :T], x[:, 1:T + 1]
    out["x2"], out["y2"] = x[:, T:2 * T], x[:, T + 1:2 * T + 1]
    h0 = draw(layers, N, H)
    out["h0"] = h0
    state = torch.from_numpy(h0)
    if kind == "lstm":
        c0 = draw(layers, N, H)
        out["c0"] = c0
        state = (state, torch.from_numpy(c0))
    trainable = [p for mod in modules.values() for p in mod.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=LR)
    for step in (1, 2):
        optimizer.zero_grad()
        xs, ys = torch.from_numpy(out[f"x{step}"]), torch.from_numpy(out[f"y{step}"])
        hidden, state = rnn(embed(xs), state)
        logits = linear(hidden)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), ys.reshape(-1))
        loss.backward()
        out[f"step{step}.loss"] = np.array(loss.item())
        for mod_name, mod in modules.items():
            for p_name, p in mod.named_parameters():
                if p.grad is not None:
                    out[f"step{step}.grad.{mod_name}.{p_name}"] = p.grad.numpy().copy()
        optimizer.step()
        snapshot(f"step{step}.")
        # the cut: the next chunk starts from this state, but no gradient flows back into this chunk
        state = tuple(s.detach() for s in state) if kind == "lstm" else state.detach()
        out[f"step{step}.h_n"] = (state[0] if kind == "lstm" else state).numpy().copy()
        if kind == "lstm":
            out[f"step{step}.c_n"] = state[1].numpy().copy()
    return {f"{name}__{k}": v for k, v in out.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "reference" / "charlm_reference.npz")
    args = parser.parse_args(argv)
    torch = import_torch()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    arrays = {"torch_version": np.array(torch.__version__), "cases": np.array(list(CASES)), "lr": np.array(LR)}
    for n, (name, spec) in enumerate(CASES.items()):
        arrays.update(make_case(torch, name, *spec, seed=[2015, n]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.1f} KiB, cases {', '.join(CASES)}, "
          f"torch {torch.__version__})")


if __name__ == "__main__":
    main()
