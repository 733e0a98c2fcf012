"""Parity with PyTorch's nn.LSTM and nn.RNN, forward and backward, without importing torch.

The reference arrays in tests/reference/ are made by scripts/make_torch_reference.py with
torch==2.13.0 in float64: random non-zero weights, two different non-zero biases, non-zero
h0 and c0, and a random upstream gradient on every h_t (and, for the LSTM, on c_T).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from lstm_course import lstm, rnn

REFERENCE = Path(__file__).parent / "reference"
TORCH_VERSION = "2.13.0"

# float64 round-off over these sizes (a few dozen terms per sum) is ~1e-15; 1e-10 leaves room
# for a different summation order, yet any formula error (a wrong gate order, a dropped bias or
# dc) shows up at ~1e-2 or more and fails.
TOL = 1e-10


@functools.lru_cache(maxsize=None)
def load(kind):
    """{case: {name: array}} and the torch version from tests/reference/<kind>_reference.npz."""
    path = REFERENCE / f"{kind}_reference.npz"
    with np.load(path) as z:
        cases = {str(c): {} for c in z["cases"]}
        for key in z.files:
            case, sep, name = key.partition("__")
            if sep:
                cases[case][name] = z[key]
        return cases, str(z["torch_version"])


def case_ids(kind):
    return list(load(kind)[0])


def assert_close(name, ours, ref):
    assert ours.shape == ref.shape, f"{name}: shape {ours.shape}, torch's {ref.shape}"
    np.testing.assert_allclose(ours, ref, rtol=0, atol=TOL, err_msg=f"{name} differs from torch's")


TORCH_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def torch_arrays(ref):
    return [ref[k] for k in TORCH_KEYS]


# ---------------------------------------------------------------------------------------
# The references themselves: made with the pinned torch, and not degenerate.

@pytest.mark.parametrize("kind", ["lstm", "rnn"])
def test_reference_made_with_torch_2_13_0(kind):
    _, version = load(kind)
    assert version.split("+")[0] == TORCH_VERSION, (
        f"tests/reference/{kind}_reference.npz was made with torch {version}; "
        f"regenerate it with torch=={TORCH_VERSION} (make reference)")


@pytest.mark.parametrize("kind", ["lstm", "rnn"])
def test_reference_is_not_degenerate(kind):
    """All-zero biases or states would hide bias and state bugs; N = 1 and T = 1 must be covered."""
    cases, _ = load(kind)
    shapes = [ref["x"].shape for ref in cases.values()]
    assert any(N == 1 for N, _, _ in shapes) and any(T == 1 for _, T, _ in shapes)
    for name, ref in cases.items():
        for key in ("bias_ih", "bias_hh", "h0", "G") + (("c0", "Gc") if kind == "lstm" else ()):
            assert np.all(ref[key] != 0), f"{name}: {key} has zeros"
        assert not np.allclose(ref["bias_ih"], ref["bias_hh"]), f"{name}: the two biases are equal"


# ---------------------------------------------------------------------------------------
# LSTM

@pytest.mark.parametrize("case", case_ids("lstm"))
def test_lstm_params_round_trip(case):
    ref = load("lstm")[0][case]
    back = lstm.params_to_torch(lstm.params_from_torch(*torch_arrays(ref)))
    assert set(back) == set(TORCH_KEYS)
    np.testing.assert_array_equal(back["weight_ih"], ref["weight_ih"])
    np.testing.assert_array_equal(back["weight_hh"], ref["weight_hh"])
    # Only the sum of the two biases is a parameter of the function.
    np.testing.assert_allclose(back["bias_ih"] + back["bias_hh"], ref["bias_ih"] + ref["bias_hh"],
                               rtol=0, atol=1e-15)


@pytest.mark.parametrize("case", case_ids("lstm"))
def test_lstm_forward_matches_torch(case):
    ref = load("lstm")[0][case]
    params = lstm.params_from_torch(*torch_arrays(ref))
    h, c, _ = lstm.lstm_forward(ref["x"], ref["h0"], ref["c0"], params)
    assert_close("h (every step)", h, ref["h"])
    assert_close("h_T", h[:, -1], ref["h_n"])
    assert_close("c_T", c[:, -1], ref["c_n"])  # torch returns only the last cell state
    loss = (h * ref["G"]).sum() + (c[:, -1] * ref["Gc"]).sum()
    assert_close("loss", np.array(loss), ref["loss"])


@pytest.mark.parametrize("case", case_ids("lstm"))
def test_lstm_backward_matches_torch(case):
    ref = load("lstm")[0][case]
    params = lstm.params_from_torch(*torch_arrays(ref))
    _, _, cache = lstm.lstm_forward(ref["x"], ref["h0"], ref["c0"], params)
    dx, dh0, dc0, dparams = lstm.lstm_backward(ref["G"], cache, dc_last=ref["Gc"])
    assert_close("dx", dx, ref["dx"])
    assert_close("dh0", dh0, ref["dh0"])
    assert_close("dc0", dc0, ref["dc0"])
    grads = lstm.params_to_torch(dparams)
    assert_close("d weight_ih", grads["weight_ih"], ref["dweight_ih"])
    assert_close("d weight_hh", grads["weight_hh"], ref["dweight_hh"])
    # Our one bias b = bias_ih + bias_hh, so dL/db equals torch's gradient on each of the two.
    assert_close("d bias (vs bias_ih.grad)", grads["bias_ih"], ref["dbias_ih"])
    assert_close("d bias (vs bias_hh.grad)", grads["bias_ih"], ref["dbias_hh"])


# ---------------------------------------------------------------------------------------
# RNN

@pytest.mark.parametrize("case", case_ids("rnn"))
def test_rnn_params_round_trip(case):
    ref = load("rnn")[0][case]
    back = rnn.params_to_torch(rnn.params_from_torch(*torch_arrays(ref)))
    assert set(back) == set(TORCH_KEYS)
    np.testing.assert_array_equal(back["weight_ih"], ref["weight_ih"])
    np.testing.assert_array_equal(back["weight_hh"], ref["weight_hh"])
    np.testing.assert_allclose(back["bias_ih"] + back["bias_hh"], ref["bias_ih"] + ref["bias_hh"],
                               rtol=0, atol=1e-15)


@pytest.mark.parametrize("case", case_ids("rnn"))
def test_rnn_forward_matches_torch(case):
    ref = load("rnn")[0][case]
    params = rnn.params_from_torch(*torch_arrays(ref))
    h, _ = rnn.rnn_forward(ref["x"], ref["h0"], params)
    assert_close("h (every step)", h, ref["h"])
    assert_close("h_T", h[:, -1], ref["h_n"])
    assert_close("loss", np.array((h * ref["G"]).sum()), ref["loss"])


@pytest.mark.parametrize("case", case_ids("rnn"))
def test_rnn_backward_matches_torch(case):
    ref = load("rnn")[0][case]
    params = rnn.params_from_torch(*torch_arrays(ref))
    _, cache = rnn.rnn_forward(ref["x"], ref["h0"], params)
    dx, dh0, dparams = rnn.rnn_backward(ref["G"], cache)
    assert_close("dx", dx, ref["dx"])
    assert_close("dh0", dh0, ref["dh0"])
    grads = rnn.params_to_torch(dparams)
    assert_close("d weight_ih", grads["weight_ih"], ref["dweight_ih"])
    assert_close("d weight_hh", grads["weight_hh"], ref["dweight_hh"])
    assert_close("d bias (vs bias_ih.grad)", grads["bias_ih"], ref["dbias_ih"])
    assert_close("d bias (vs bias_hh.grad)", grads["bias_ih"], ref["dbias_hh"])
