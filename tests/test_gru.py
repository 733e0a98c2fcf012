"""Tests for lstm_course.gru: gradients, parity with PyTorch's nn.GRU, PyTorch's layout, bad input.

Gradients are checked against centred finite differences (float64, relative error < 1e-7) for
every parameter and input, with T >= 3 and non-zero h0, biases (b_in and b_hn different) and
upstream gradients on every h_t. Parity uses tests/reference/gru_reference.npz, made by
scripts/make_torch_reference.py (`make_gru_reference`) with torch==2.13.0 in float64; these tests
need no torch.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from lstm_course import gru
from lstm_course.gradcheck import check_gradient, check_param_gradients
from lstm_course.gru import (GRUParams, gru_backward, gru_forward, gru_step_backward, gru_step_forward,
                             init_gru_params, params_from_torch, params_to_torch)

TOL = 1e-7  # finite differences in float64 with eps ~1e-6: truncation ~1e-10, round-off ~1e-10
PARITY_TOL = 1e-10  # round-off over a few dozen terms is ~1e-15; a formula error shows at ~1e-2
REFERENCE = Path(__file__).parent / "reference" / "gru_reference.npz"
FIELDS = tuple(f.name for f in dataclasses.fields(GRUParams))


def _problem(N=3, T=4, D=3, H=5, seed=0):
    rng = np.random.default_rng(seed)
    params = init_gru_params(D, H, rng)
    params = dataclasses.replace(params, **{b: rng.normal(0, 0.5, H) for b in ("b_r", "b_z", "b_in", "b_hn")})
    x = rng.normal(size=(N, T, D))
    h0 = rng.normal(0, 0.5, (N, H))
    dh = rng.normal(size=(N, T, H))
    return params, x, h0, dh


# ---------------------------------------------------------------------------------------
# The step against the equations, written out independently

def _step_by_the_equations(x, h_prev, p):
    s = lambda a: 1.0 / (1.0 + np.exp(-a))  # noqa: E731
    r = s(x @ p.W_xr + h_prev @ p.W_hr + p.b_r)
    z = s(x @ p.W_xz + h_prev @ p.W_hz + p.b_z)
    n = np.tanh(x @ p.W_xn + p.b_in + r * (h_prev @ p.W_hn + p.b_hn))
    return (1 - z) * n + z * h_prev


def test_step_follows_the_equations():
    params, x, h0, _ = _problem(seed=1)
    h, cache = gru_step_forward(x[:, 0], h0, params)
    np.testing.assert_allclose(h, _step_by_the_equations(x[:, 0], h0, params), rtol=1e-13, atol=1e-15)
    assert np.all((cache.r > 0) & (cache.r < 1)) and np.all((cache.z > 0) & (cache.z < 1))


def test_sequence_is_the_step_repeated():
    params, x, h0, dh = _problem(seed=2)
    h, cache = gru_forward(x, h0, params)
    h_t, caches = h0, []
    for t in range(x.shape[1]):
        h_t, c = gru_step_forward(x[:, t], h_t, params)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-13, atol=1e-15)
        caches.append(c)
    # backward: the sequence function equals the step backward looped by hand
    dh_next = np.zeros_like(h0)
    total = None
    dxs = []
    for t in reversed(range(x.shape[1])):
        dx_t, dh_next, dp = gru_step_backward(dh[:, t] + dh_next, caches[t])
        dxs.append(dx_t)
        total = dp if total is None else GRUParams(**{f: getattr(total, f) + getattr(dp, f) for f in FIELDS})
    dx, dh0, dparams = gru_backward(dh, cache)
    np.testing.assert_allclose(dx, np.stack(dxs[::-1], axis=1), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dh0, dh_next, rtol=1e-12, atol=1e-14)
    for f in FIELDS:
        np.testing.assert_allclose(getattr(dparams, f), getattr(total, f), rtol=1e-12, atol=1e-14, err_msg=f)


def test_update_gate_one_keeps_the_state():
    """z = 1 everywhere: h_t = h_{t-1}, whatever the input (the GRU's memory lane)."""
    params, x, h0, _ = _problem(seed=3)
    params = dataclasses.replace(params, b_z=np.full(params.H, 50.0))
    h, _ = gru_forward(x, h0, params)
    np.testing.assert_allclose(h[:, -1], h0, atol=1e-15)


# ---------------------------------------------------------------------------------------
# Gradients

@pytest.mark.parametrize("shape", [(3, 4, 3, 5), (2, 3, 4, 2), (1, 5, 1, 3)])
def test_sequence_gradients_match_finite_differences(shape):
    params, x, h0, dh = _problem(*shape, seed=4)
    _, cache = gru_forward(x, h0, params)
    dx, dh0, dparams = gru_backward(dh, cache)

    def f(p=params, x=x, h0=h0):
        return float(np.sum(gru_forward(x, h0, p)[0] * dh))

    errors = check_param_gradients(lambda p: f(p=p), params, dparams, tol=TOL)
    assert set(errors) == set(FIELDS)
    check_gradient(lambda a: f(x=a), x, dx, tol=TOL, name="x")
    check_gradient(lambda a: f(h0=a), h0, dh0, tol=TOL, name="h0")


def test_step_gradients_match_finite_differences():
    params, x, h0, dh = _problem(seed=5)
    x0, g = x[:, 0], dh[:, 0]
    _, cache = gru_step_forward(x0, h0, params)
    dx, dh_prev, dparams = gru_step_backward(g, cache)

    def f(p=params, x=x0, h=h0):
        return float(np.sum(gru_step_forward(x, h, p)[0] * g))

    check_param_gradients(lambda p: f(p=p), params, dparams, tol=TOL)
    check_gradient(lambda a: f(x=a), x0, dx, tol=TOL, name="x")
    check_gradient(lambda a: f(h=a), h0, dh_prev, tol=TOL, name="h_prev")


def test_gradients_are_new_arrays():
    params, x, h0, dh = _problem(seed=6)
    _, cache = gru_forward(x, h0, params)
    dparams = gru_backward(dh, cache)[2]
    for f in FIELDS:
        assert not np.shares_memory(getattr(dparams, f), getattr(params, f)), f


def test_forward_does_not_change_or_keep_the_callers_arrays():
    params, x, h0, dh = _problem(seed=7)
    x_before, h0_before = x.copy(), h0.copy()
    _, cache = gru_forward(x, h0, params)
    want = gru_backward(dh, cache)[0]
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(h0, h0_before)
    x += 1.0  # the cache must not see it
    h0 += 1.0
    np.testing.assert_array_equal(gru_backward(dh, cache)[0], want)


# ---------------------------------------------------------------------------------------
# Parity with PyTorch's nn.GRU (reference arrays; no torch needed)

def _reference_cases():
    with np.load(REFERENCE) as z:
        cases = {str(c): {} for c in z["cases"]}
        for key in z.files:
            case, sep, name = key.partition("__")
            if sep:
                cases[case][name] = z[key]
        return cases, str(z["torch_version"])


CASES, TORCH_VERSION = _reference_cases()


def test_reference_was_made_with_torch_2_13_0_and_is_not_degenerate():
    assert TORCH_VERSION.split("+")[0] == "2.13.0"
    assert len(CASES) >= 6
    for ref in CASES.values():
        H = ref["weight_hh"].shape[1]
        # the candidate's two biases differ, so merging b_hn into b_in would be seen
        assert np.abs(ref["bias_hh"][2 * H:] - ref["bias_ih"][2 * H:]).min() > 0
        assert np.abs(ref["h0"]).min() > 0 and np.abs(ref["dbias_hh"][2 * H:]).max() > 1e-3


@pytest.mark.parametrize("case", sorted(CASES))
def test_forward_and_backward_match_torch(case):
    ref = CASES[case]
    params = params_from_torch(ref["weight_ih"], ref["weight_hh"], ref["bias_ih"], ref["bias_hh"])
    h, cache = gru_forward(ref["x"], ref["h0"], params)
    np.testing.assert_allclose(h, ref["h"], rtol=0, atol=PARITY_TOL)
    np.testing.assert_allclose(h[:, -1], ref["h_n"], rtol=0, atol=PARITY_TOL)
    dx, dh0, dparams = gru_backward(ref["G"], cache)
    np.testing.assert_allclose(dx, ref["dx"], rtol=0, atol=PARITY_TOL)
    np.testing.assert_allclose(dh0, ref["dh0"], rtol=0, atol=PARITY_TOL)
    # PyTorch's gradients in its own layout: the gates' bias gradients are the same for bias_ih
    # and bias_hh (they are summed); the candidate's are not.
    H = params.H
    d = params_to_torch(dparams)
    np.testing.assert_allclose(d["weight_ih"], ref["dweight_ih"], rtol=0, atol=PARITY_TOL)
    np.testing.assert_allclose(d["weight_hh"], ref["dweight_hh"], rtol=0, atol=PARITY_TOL)
    np.testing.assert_allclose(d["bias_ih"], ref["dbias_ih"], rtol=0, atol=PARITY_TOL)
    np.testing.assert_allclose(ref["dbias_hh"][:2 * H], ref["dbias_ih"][:2 * H], rtol=0, atol=PARITY_TOL)
    np.testing.assert_allclose(dparams.b_hn, ref["dbias_hh"][2 * H:], rtol=0, atol=PARITY_TOL)


def test_step_matches_torch_on_the_first_step():
    ref = CASES[sorted(CASES)[0]]
    params = params_from_torch(ref["weight_ih"], ref["weight_hh"], ref["bias_ih"], ref["bias_hh"])
    h, _ = gru_step_forward(ref["x"][:, 0], ref["h0"], params)
    np.testing.assert_allclose(h, ref["h"][:, 0], rtol=0, atol=PARITY_TOL)


def test_merging_the_candidate_biases_breaks_parity():
    """The reason b_in and b_hn are kept apart: their sum is a different function."""
    ref = CASES[sorted(CASES)[0]]
    params = params_from_torch(ref["weight_ih"], ref["weight_hh"], ref["bias_ih"], ref["bias_hh"])
    merged = dataclasses.replace(params, b_in=params.b_in + params.b_hn, b_hn=np.zeros(params.H))
    h, _ = gru_forward(ref["x"], ref["h0"], merged)
    assert np.abs(h - ref["h"]).max() > 1e-3


def test_torch_layout_round_trip():
    params, *_ = _problem(seed=8)
    d = params_to_torch(params)
    H, D = params.H, params.D
    assert d["weight_ih"].shape == (3 * H, D) and d["weight_hh"].shape == (3 * H, H)
    assert d["bias_ih"].shape == d["bias_hh"].shape == (3 * H,)
    back = params_from_torch(**d)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(back, f), getattr(params, f), err_msg=f)
        assert not np.shares_memory(getattr(back, f), getattr(params, f))
    # the rows are in PyTorch's order r, z, n
    np.testing.assert_array_equal(d["weight_hh"][H:2 * H], params.W_hz.T)


# ---------------------------------------------------------------------------------------
# Initialisation and bad input

def test_init_is_seeded_and_in_range():
    a = init_gru_params(3, 4, np.random.default_rng(0))
    b = init_gru_params(3, 4, np.random.default_rng(0))
    np.testing.assert_array_equal(a.W_hn, b.W_hn)
    assert np.abs(a.W_xr).max() <= 0.5 and not np.any(a.b_hn)
    assert init_gru_params(3, 4, np.random.default_rng(0), dtype=np.float32).dtype == np.float32
    with pytest.raises(TypeError, match="default_rng"):
        init_gru_params(3, 4, 0)
    with pytest.raises(ValueError, match="H"):
        init_gru_params(3, 0, np.random.default_rng(0))


def test_bad_inputs_name_what_was_expected():
    params, x, h0, dh = _problem(seed=9)
    with pytest.raises(ValueError, match=r"x of shape \(N, T, D\)"):
        gru_forward(x[0], h0, params)
    with pytest.raises(ValueError, match=r"h0 of shape \(N, H\) = \(3, 5\)"):
        gru_forward(x, h0[:, :2], params)
    with pytest.raises(ValueError, match=r"x of shape \(N, T, D\) = \(3, 4, 3\)"):
        gru_forward(x[:, :, :2], h0, params)
    with pytest.raises(ValueError, match="NaN or inf"):
        gru_forward(np.full_like(x, np.nan), h0, params)
    with pytest.raises(TypeError, match="GRUParams"):
        gru_forward(x, h0, {"W": 1})
    with pytest.raises(ValueError, match=r"x of shape \(N, D\)"):
        gru_step_forward(x, h0, params)
    _, cache = gru_forward(x, h0, params)
    with pytest.raises(ValueError, match=r"dh of shape \(N, T, H\)"):
        gru_backward(dh[:, :2], cache)
    with pytest.raises(TypeError, match="GRUCache"):
        gru_backward(dh, gru_step_forward(x[:, 0], h0, params)[1])
    with pytest.raises(TypeError, match="GRUStepCache"):
        gru_step_backward(dh[:, 0], cache)
    with pytest.raises(ValueError, match=r"W_hz of shape \(H, H\)"):
        dataclasses.replace(params, W_hz=np.zeros((2, 2)))


def test_torch_layout_errors_say_what_a_gru_needs():
    params, *_ = _problem(seed=10)
    d = params_to_torch(params)
    H = params.H
    with pytest.raises(ValueError, match="4H rows are an LSTM's"):
        params_from_torch(np.zeros((4 * H, 3)), np.zeros((4 * H, H)), np.zeros(4 * H), np.zeros(4 * H))
    with pytest.raises(ValueError, match=r"bias_hh of shape \(3H,\)"):
        params_from_torch(d["weight_ih"], d["weight_hh"], d["bias_ih"], d["bias_hh"][:H])
    with pytest.raises(TypeError, match="GRUParams"):
        params_to_torch(d)


def test_module_exports_the_contract():
    for name in ("GRUParams", "init_gru_params", "gru_step_forward", "gru_step_backward", "gru_forward",
                 "gru_backward", "params_from_torch", "params_to_torch"):
        assert name in gru.__all__ and callable(getattr(gru, name))
