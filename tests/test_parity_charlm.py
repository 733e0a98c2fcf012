"""Two truncated-BPTT training steps of the character model agree with PyTorch to 1e-10 (float64).

The reference (tests/reference/charlm_reference.npz) is made by scripts/make_torch_reference_charlm.py
with torch 2.13.0: nn.Embedding -> nn.LSTM / nn.RNN (1 or 2 layers) -> nn.Linear, cross-entropy,
Adam, two consecutive chunks with the state carried and detached. Here no torch is needed.
1e-10 is the project's bar for float64 parity: the two computations differ only in the order of
floating-point operations (relative round-off about 1e-15), amplified by at most a few orders.
"""

from pathlib import Path

import numpy as np
import pytest

from lstm_course import lstm, rnn
from lstm_course.charlm import CharLMParams, chunk_loss_and_grads, train_step
from lstm_course.optim import Adam

REFERENCE = Path(__file__).parent / "reference" / "charlm_reference.npz"
TOL = 1e-10


def load_cases():
    with np.load(REFERENCE) as data:
        cases = {str(c): {k.split("__", 1)[1]: data[k] for k in data.files if k.startswith(f"{c}__")}
                 for c in data["cases"]}
        return cases, float(data["lr"]), str(data["torch_version"])


CASES, LR, TORCH_VERSION = load_cases()


def ours(case, prefix):
    """CharLMParams from PyTorch's arrays (bias_ih + bias_hh summed, as params_from_torch does)."""
    layers = sum(1 for k in case if k.startswith(f"{prefix}rnn.weight_hh_l"))
    kind = "lstm" if case[f"{prefix}rnn.weight_hh_l0"].shape[0] == 4 * case[f"{prefix}rnn.weight_hh_l0"].shape[1] \
        else "rnn"
    module = lstm if kind == "lstm" else rnn
    cells = tuple(module.params_from_torch(*(case[f"{prefix}rnn.{n}_l{k}"] for n in
                                               ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
                  for k in range(layers))
    return CharLMParams(case[f"{prefix}embed.weight"], cells, case[f"{prefix}linear.weight"].T,
                        case[f"{prefix}linear.bias"]), kind


def close(a, b):
    return np.max(np.abs(np.asarray(a) - np.asarray(b))) <= TOL * max(1.0, np.max(np.abs(b)))


def test_reference_made_by_the_pinned_torch():
    assert TORCH_VERSION.split("+")[0] == "2.13.0"
    assert set(CASES) == {"lstm1", "lstm2", "rnn1"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_two_training_steps_match_pytorch(name):
    case = CASES[name]
    params, kind = ours(case, "init.")
    layers = len(params.cells)
    if kind == "lstm":
        state = tuple((case["h0"][k], case["c0"][k]) for k in range(layers))
    else:
        state = tuple((case["h0"][k],) for k in range(layers))
    optimizer = Adam(LR)
    module = lstm if kind == "lstm" else rnn
    for step in (1, 2):
        x, y = case[f"x{step}"], case[f"y{step}"]
        loss, grads, _ = chunk_loss_and_grads(params, x, y, state)
        assert abs(loss - float(case[f"step{step}.loss"])) <= TOL
        g = f"step{step}.grad."
        assert close(grads.embed, case[g + "embed.weight"])
        assert close(grads.W_out, case[g + "linear.weight"].T)
        assert close(grads.b_out, case[g + "linear.bias"])
        for k, cell in enumerate(grads.cells):
            torch_layout = module.params_to_torch(cell)
            for n in ("weight_ih", "weight_hh", "bias_ih"):
                assert close(torch_layout[n], case[f"{g}rnn.{n}_l{k}"]), (name, step, k, n)
        params, loss_again, state, _ = train_step(params, x, y, state, optimizer, clip_norm=None)
        assert loss_again == loss
        expected, _ = ours(case, f"step{step}.")
        assert close(params.embed, expected.embed)
        assert close(params.W_out, expected.W_out) and close(params.b_out, expected.b_out)
        for mine, theirs in zip(params.cells, expected.cells):
            for field in mine.__dataclass_fields__:
                assert close(getattr(mine, field), getattr(theirs, field)), (name, step, field)
        # the state carried into the next chunk is PyTorch's final state
        assert close(np.stack([s[0] for s in state]), case[f"step{step}.h_n"])
        if kind == "lstm":
            assert close(np.stack([s[1] for s in state]), case[f"step{step}.c_n"])


def test_a_wrong_step_is_caught():
    # The comparison can fail: dropping the carried state (a reset) moves the second step's loss.
    case = CASES["lstm1"]
    params, _ = ours(case, "init.")
    state = ((case["h0"][0], case["c0"][0]),)
    optimizer = Adam(LR)
    params, _, _, _ = train_step(params, case["x1"], case["y1"], state, optimizer, clip_norm=None)
    loss, _, _ = chunk_loss_and_grads(params, case["x2"], case["y2"], None)
    assert abs(loss - float(case["step2.loss"])) > 1e-6
