"""Tests of lstm_course.rnn (the plain tanh RNN): every gradient against finite differences, golden
values worked out by hand, the sequence = a loop of steps, properties over random shapes, clear
errors on bad input, no mutation or aliasing, and known-wrong backward passes that must be caught."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import (BROKEN, RAW_NUMPY_PHRASES, arrays_in, assert_gradients_ok,
                     assert_no_shared_memory, assert_unchanged, compare_gradients, field_names,
                     gradient_errors, numerical_gradients, random_rnn_params, rnn_problem, snapshot)
from lstm_course import lstm
from lstm_course.rnn import (RNNCache, RNNParams, RNNStepCache, init_rnn_params, params_from_torch,
                             params_to_torch, rnn_backward, rnn_forward, rnn_step_backward,
                             rnn_step_forward)


def seq_loss(x, h0, params, dh):
    """L = sum_t <dh_t, h_t>: its gradient is what rnn_backward(dh, cache) computes."""
    return float(np.sum(rnn_forward(x, h0, params)[0] * dh))


def step_loss(x, h_prev, params, dh):
    return float(np.sum(rnn_step_forward(x, h_prev, params)[0] * dh))


def step_problem(seed=1, N=2, D=3, H=4):
    P = rnn_problem(seed, N=N, T=1, D=D, H=H)
    return dict(x=P.x[:, 0], h_prev=P.h0, params=P.params, dh=P.dh[:, 0])


# =======================================================================================
# Gradients against centred finite differences (float64, step 1e-6, relative error < 1e-7):
# truncation O(h^2) ~ 1e-12, round-off ~ eps / h ~ 1e-10, so a right gradient lands near 1e-9 and a
# wrong formula near 1e-1 (see the known-wrong implementations at the end).

@pytest.mark.parametrize("seed,N,T,D,H", [(0, 2, 4, 3, 5), (1, 3, 3, 4, 2), (2, 1, 5, 2, 3)])
def test_sequence_gradients_match_finite_differences(seed, N, T, D, H):
    P = rnn_problem(seed, N=N, T=T, D=D, H=H)
    for name in field_names(P.params):
        assert np.all(getattr(P.params, name) != 0), name
    assert np.all(P.h0 != 0)
    _, cache = rnn_forward(P.x, P.h0, P.params)
    dx, dh0, dparams = rnn_backward(P.dh, cache)

    def loss(x, h0, params):
        return seq_loss(x, h0, params, P.dh)

    errors = gradient_errors(loss, dict(x=P.x, h0=P.h0, params=P.params),
                             dict(x=dx, h0=dh0, params=dparams))
    assert len(errors) == 2 + 3
    assert_gradients_ok(errors)


def test_step_backward_matches_finite_differences():
    S = step_problem()
    _, cache = rnn_step_forward(S["x"], S["h_prev"], S["params"])
    dx, dh_prev, dparams = rnn_step_backward(S["dh"], cache)

    def loss(x, h_prev, params):
        return step_loss(x, h_prev, params, S["dh"])

    inputs = {k: S[k] for k in ("x", "h_prev", "params")}
    assert_gradients_ok(gradient_errors(loss, inputs, dict(x=dx, h_prev=dh_prev, params=dparams)))


# =======================================================================================
# The sequence functions are a loop of the step functions

@pytest.mark.parametrize("seed,N,T,D,H", [(0, 2, 4, 3, 5), (1, 1, 1, 2, 2), (2, 3, 6, 1, 4)])
def test_sequence_equals_loop_of_steps(seed, N, T, D, H):
    P = rnn_problem(seed, N=N, T=T, D=D, H=H)
    h, cache = rnn_forward(P.x, P.h0, P.params)
    dx, dh0, dparams = rnn_backward(P.dh, cache)

    h_t, caches = P.h0, []
    for t in range(T):
        h_t, step_cache = rnn_step_forward(P.x[:, t], h_t, P.params)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-13, atol=1e-15)
        caches.append(step_cache)

    dh_next = np.zeros((N, H))
    total = {k: np.zeros_like(getattr(P.params, k)) for k in field_names(P.params)}
    for t in reversed(range(T)):
        dx_t, dh_next, dp_t = rnn_step_backward(P.dh[:, t] + dh_next, caches[t])
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-12, atol=1e-14)
        for k in total:
            total[k] += getattr(dp_t, k)
    np.testing.assert_allclose(dh0, dh_next, rtol=1e-12, atol=1e-14)
    for k, v in total.items():
        np.testing.assert_allclose(getattr(dparams, k), v, rtol=1e-12, atol=1e-14, err_msg=k)


def test_h0_none_means_zeros():
    P = rnn_problem(4)
    h, _ = rnn_forward(P.x, None, P.params)
    np.testing.assert_array_equal(h, rnn_forward(P.x, np.zeros((P.N, P.H)), P.params)[0])


# =======================================================================================
# Golden values, worked out by hand

def test_step_forward_and_backward_golden_values():
    """D = H = 2, N = 1, x = [1, 2], h_prev = [1, -1]; no matrix is symmetric, so a transposed
    weight gives other numbers.

      W_xh = [[0.5, 0], [0.25, -1]]:  x W_xh    = [1*0.5 + 2*0.25, 1*0 + 2*(-1)] = [1, -2]
      W_hh = [[0, 1], [2, 0]]:        h_prev W_hh = [1*0 + (-1)*2, 1*1 + (-1)*0]   = [-2, 1]
      b_h  = [0.5, 1.25]                                   ->  a = [-0.5, 0.25]
      h = tanh(a) = [tanh(-0.5), tanh(0.25)]

    Backward with dh = [1, -2]:  da = dh * (1 - h^2) = [1 - tanh(0.5)^2, -2 (1 - tanh(0.25)^2)]
      dx      = da W_xh^T = [0.5 da0,  0.25 da0 - da1]
      dh_prev = da W_hh^T = [da1, 2 da0]
      dW_xh = x^T da = [[da0, da1], [2 da0, 2 da1]];  dW_hh = h_prev^T da = [[da0, da1], [-da0, -da1]]
      db_h = da
    """
    params = RNNParams(W_xh=np.array([[0.5, 0.0], [0.25, -1.0]]), W_hh=np.array([[0.0, 1.0], [2.0, 0.0]]),
                       b_h=np.array([0.5, 1.25]))
    h, cache = rnn_step_forward(np.array([[1.0, 2.0]]), np.array([[1.0, -1.0]]), params)
    np.testing.assert_allclose(h, [[math.tanh(-0.5), math.tanh(0.25)]], rtol=1e-15)
    np.testing.assert_allclose(h, [[-0.46211715726000974, 0.24491866240370913]], rtol=1e-15)

    dx, dh_prev, dp = rnn_step_backward(np.array([[1.0, -2.0]]), cache)
    da0 = 1 - math.tanh(0.5) ** 2
    da1 = -2 * (1 - math.tanh(0.25) ** 2)
    np.testing.assert_allclose(dx, [[0.5 * da0, 0.25 * da0 - da1]], rtol=1e-14)
    np.testing.assert_allclose(dh_prev, [[da1, 2 * da0]], rtol=1e-14)
    np.testing.assert_allclose(dp.W_xh, [[da0, da1], [2 * da0, 2 * da1]], rtol=1e-14)
    np.testing.assert_allclose(dp.W_hh, [[da0, da1], [-da0, -da1]], rtol=1e-14)
    np.testing.assert_allclose(dp.b_h, [da0, da1], rtol=1e-14)


def test_sequence_forward_golden_two_steps():
    # D = H = N = 1, W_xh = 0.5, W_hh = 2, b_h = -1, h0 = 0.5, x = [2, -2]:
    #   a_1 = 0.5*2 + 2*0.5 - 1 = 1                      -> h_1 = tanh(1)
    #   a_2 = 0.5*(-2) + 2*tanh(1) - 1 = 2 tanh(1) - 2   -> h_2 = tanh(2 tanh(1) - 2)
    params = RNNParams(W_xh=[[0.5]], W_hh=[[2.0]], b_h=[-1.0])
    h, _ = rnn_forward(np.array([[[2.0], [-2.0]]]), np.array([[0.5]]), params)
    t1 = math.tanh(1.0)
    np.testing.assert_allclose(h[0, :, 0], [t1, math.tanh(2 * t1 - 2)], rtol=1e-14)


def test_params_from_torch_transposes_and_sums_biases():
    weight_ih = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # (H, D) = (2, 3)
    weight_hh = np.array([[1.0, 2.0], [3.0, 4.0]])
    p = params_from_torch(weight_ih, weight_hh, np.array([0.5, 1.0]), np.array([0.25, -1.0]))
    np.testing.assert_array_equal(p.W_xh, weight_ih.T)
    np.testing.assert_array_equal(p.W_hh, weight_hh.T)
    np.testing.assert_array_equal(p.b_h, [0.75, 0.0])
    t = params_to_torch(p)
    assert set(t) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    np.testing.assert_array_equal(t["weight_ih"], weight_ih)
    np.testing.assert_array_equal(t["weight_hh"], weight_hh)
    np.testing.assert_array_equal(t["bias_ih"] + t["bias_hh"], [0.75, 0.0])


def test_init_rnn_params():
    p = init_rnn_params(3, 4, np.random.default_rng(0))
    q = init_rnn_params(3, 4, np.random.default_rng(0))
    for k in field_names(p):
        np.testing.assert_array_equal(getattr(p, k), getattr(q, k))
    assert (p.D, p.H, p.dtype) == (3, 4, np.float64)
    np.testing.assert_array_equal(p.b_h, np.zeros(4))
    assert np.abs(p.W_hh).max() <= 0.5
    s = init_rnn_params(2, 5, np.random.default_rng(1), recurrent_scale=0.8)
    np.testing.assert_allclose(np.linalg.svd(s.W_hh, compute_uv=False), np.full(5, 0.8), rtol=1e-12)
    assert init_rnn_params(2, 3, np.random.default_rng(0), dtype=np.float32).dtype == np.float32


# =======================================================================================
# Properties over random shapes

sizes = st.integers(1, 6)


@settings(max_examples=30, deadline=None)
@given(N=sizes, T=sizes, D=sizes, H=sizes, seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_properties_over_random_shapes(N, T, D, H, seed, dtype):
    P = rnn_problem(seed, N=N, T=T, D=D, H=H, dtype=dtype, scale=1.0)
    h, cache = rnn_forward(P.x, P.h0, P.params)
    assert h.shape == (N, T, H) and h.dtype == dtype
    assert type(cache) is RNNCache
    assert np.all(np.abs(h) <= 1)  # tanh; exactly +-1 can happen in float32 (tanh(9.1) rounds to 1)
    grads = rnn_backward(P.dh, cache)
    dx, dh0, dparams = grads
    assert dx.shape == (N, T, D) and dh0.shape == (N, H)
    assert dx.dtype == dh0.dtype == dtype
    assert type(dparams) is RNNParams
    for k in field_names(P.params):
        assert getattr(dparams, k).shape == getattr(P.params, k).shape, k
        assert getattr(dparams, k).dtype == dtype, k
    inputs = (P.x, P.h0, P.params, P.dh)
    assert_no_shared_memory(h, inputs)
    assert_no_shared_memory(grads, inputs + (cache,))

    hs, scache = rnn_step_forward(P.x[:, 0], P.h0, P.params)
    assert hs.shape == (N, H) and hs.dtype == dtype
    assert type(scache) is RNNStepCache
    sgrads = rnn_step_backward(P.dh[:, 0], scache)
    assert [a.shape for a in sgrads[:2]] == [(N, D), (N, H)]
    assert type(sgrads[2]) is RNNParams and all(a.dtype == dtype for a in arrays_in(sgrads))
    assert_no_shared_memory(sgrads, inputs + (scache,))


def test_float64_hidden_states_stay_strictly_inside_minus_one_one():
    P = rnn_problem(3, N=4, T=6, D=5, H=6, scale=1.0)
    h, _ = rnn_forward(P.x, P.h0, P.params)
    assert np.all(np.abs(h) < 1)


# =======================================================================================
# Bad input: a clear ValueError/TypeError naming the argument and the expected shape

P0 = rnn_problem(7, N=2, T=3, D=4, H=5)
_, CACHE0 = rnn_forward(P0.x, P0.h0, P0.params)
_, STEP_CACHE0 = rnn_step_forward(P0.x[:, 0], P0.h0, P0.params)
RNG = np.random.default_rng(0)


def _w(*shape):
    return RNG.normal(size=shape)


BAD_INPUTS = {
    "x of rank 2": (lambda: rnn_forward(P0.x[0], P0.h0, P0.params),
                    r"expected x of shape \(N, T, D\) \(3 dimensions\), got shape \(3, 4\)"),
    "x with wrong D": (lambda: rnn_forward(_w(2, 3, 3), P0.h0, P0.params),
                       r"expected x of shape \(N, T, D\) = \(2, 3, 4\), got \(2, 3, 3\)"),
    "h0 with wrong N": (lambda: rnn_forward(P0.x, _w(3, 5), P0.params),
                        r"expected h0 of shape \(N, H\) = \(2, 5\), got \(3, 5\)"),
    "h0 with wrong H": (lambda: rnn_forward(P0.x, _w(2, 6), P0.params),
                        r"expected h0 of shape \(N, H\) = \(2, 5\), got \(2, 6\)"),
    "NaN in x": (lambda: rnn_forward(np.full((2, 3, 4), np.nan), P0.h0, P0.params), r"x contains NaN or inf"),
    "inf in h0": (lambda: rnn_forward(P0.x, np.full((2, 5), np.inf), P0.params), r"h0 contains NaN or inf"),
    "complex x": (lambda: rnn_forward(P0.x.astype(complex), P0.h0, P0.params),
                  r"x must hold real numbers, got complex"),
    "string x": (lambda: rnn_forward(np.array([["a"]]), P0.h0, P0.params),
                 r"x must hold real numbers \(float32 or float64\), got dtype <U1"),
    "bool h0": (lambda: rnn_forward(P0.x, np.ones((2, 5), dtype=bool), P0.params),
                r"h0 must hold real numbers \(float32 or float64\), got dtype bool"),
    "T = 0": (lambda: rnn_forward(np.zeros((2, 0, 4)), P0.h0, P0.params),
              r"expected x of shape \(N, T, D\) with N >= 1 and T >= 1, got \(2, 0, 4\)"),
    "params of an LSTM": (lambda: rnn_forward(P0.x, P0.h0, lstm.init_lstm_params(4, 5, RNG)),
                          r"params must be a RNNParams .*got LSTMParams"),
    "params a dict": (lambda: rnn_forward(P0.x, P0.h0, dataclasses.asdict(P0.params)),
                      r"params must be a RNNParams .*got dict"),
    "params_to_torch of LSTMParams": (lambda: params_to_torch(lstm.init_lstm_params(4, 5, RNG)),
                                      r"params must be a RNNParams .*got LSTMParams"),
    "step x with wrong D": (lambda: rnn_step_forward(_w(2, 5), P0.h0, P0.params),
                            r"expected x of shape \(N, D\) = \(2, 4\), got \(2, 5\)"),
    "step h_prev with wrong N": (lambda: rnn_step_forward(P0.x[:, 0], _w(1, 5), P0.params),
                                 r"expected h_prev of shape \(N, H\) = \(2, 5\), got \(1, 5\)"),
    "dh of wrong shape": (lambda: rnn_backward(_w(2, 4, 5), CACHE0),
                          r"expected dh of shape \(N, T, H\) = \(2, 3, 5\), got \(2, 4, 5\)"),
    "dh of wrong rank": (lambda: rnn_backward(_w(2, 5), CACHE0),
                         r"expected dh of shape \(N, T, H\) \(3 dimensions\), got shape \(2, 5\)"),
    "step dh of wrong shape": (lambda: rnn_step_backward(_w(2, 4), STEP_CACHE0),
                               r"expected dh of shape \(N, H\) = \(2, 5\), got \(2, 4\)"),
    "step cache to rnn_backward": (lambda: rnn_backward(_w(2, 3, 5), STEP_CACHE0),
                                   r"cache must be a RNNCache .*got RNNStepCache"),
    "LSTM cache to rnn_step_backward": (
        lambda: rnn_step_backward(_w(2, 5), lstm.lstm_step_forward(P0.x[:, 0], None, None,
                                                                   lstm.init_lstm_params(4, 5, RNG))[2]),
        r"cache must be a RNNStepCache .*got LSTMStepCache"),
    "GRU-sized (3H) weights": (lambda: params_from_torch(_w(15, 4), _w(15, 5), _w(15), _w(15)),
                               r"expected weight_hh of shape \(H, H\) = \(5, 5\), got \(15, 5\).*GRU"),
    "LSTM-sized (4H) weights": (lambda: params_from_torch(_w(20, 4), _w(20, 5), _w(20), _w(20)),
                                r"expected weight_hh of shape \(H, H\) = \(5, 5\), got \(20, 5\).*LSTM"),
    "weight_ih with wrong H": (lambda: params_from_torch(_w(6, 4), _w(5, 5), _w(5), _w(5)),
                               r"expected weight_ih of shape \(H, D\) = \(5, 4\), got \(6, 4\)"),
    "bias_hh with wrong H": (lambda: params_from_torch(_w(5, 4), _w(5, 5), _w(5), _w(4)),
                             r"expected bias_hh of shape \(H,\) = \(5,\), got \(4,\)"),
    "weight_ih with D = 3, x with D = 4": (
        lambda: rnn_forward(P0.x, P0.h0, params_from_torch(_w(5, 3), _w(5, 5), _w(5), _w(5))),
        r"expected x of shape \(N, T, D\) = \(2, 3, 3\), got \(2, 3, 4\)"),
    "RNNParams with W_hh of (H, H+1)": (lambda: RNNParams(_w(4, 5), _w(5, 6), _w(5)),
                                        r"expected W_hh of shape \(H, H\) = \(5, 5\), got \(5, 6\)"),
    "RNNParams with b_h of wrong H": (lambda: RNNParams(_w(4, 5), _w(5, 5), _w(4)),
                                      r"expected b_h of shape \(H,\) = \(5,\), got \(4,\)"),
    # a ragged list must be named, not reach NumPy's "setting an array element with a sequence"
    "RNNParams with a ragged W_xh": (lambda: RNNParams([[1.0], [1.0, 2.0]], _w(2, 2), _w(2)),
                                     r"^W_xh must be an array of real numbers"),
    "init with D = 0": (lambda: init_rnn_params(0, 3, RNG), r"D must be an integer >= 1, got 0"),
}


@pytest.mark.parametrize("call,match", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_gets_a_clear_error(call, match):
    with pytest.raises((ValueError, TypeError), match=match) as info:
        call()
    message = str(info.value)
    for phrase in RAW_NUMPY_PHRASES:
        assert phrase not in message.split(" (")[0], f"raw NumPy message: {message}"


# =======================================================================================
# No function changes the arrays it is given; outputs never share memory with the cache

def test_forward_and_backward_do_not_change_their_arguments():
    P = rnn_problem(8, N=2, T=3, D=3, H=4)
    before = snapshot(P.x, P.h0, P.params)
    _, cache = rnn_forward(P.x, P.h0, P.params)
    assert_unchanged(before, P.x, P.h0, P.params)
    before = snapshot(P.dh, cache)
    rnn_backward(P.dh, cache)
    assert_unchanged(before, P.dh, cache)


def test_step_functions_do_not_change_their_arguments():
    S = step_problem()
    before = snapshot(S["x"], S["h_prev"], S["params"])
    _, cache = rnn_step_forward(S["x"], S["h_prev"], S["params"])
    assert_unchanged(before, S["x"], S["h_prev"], S["params"])
    before = snapshot(S["dh"], cache)
    rnn_step_backward(S["dh"], cache)
    assert_unchanged(before, S["dh"], cache)


def test_torch_conversion_and_init_do_not_change_their_arguments():
    p = random_rnn_params(3, 4, np.random.default_rng(9))
    torch_arrays = params_to_torch(p)
    before = snapshot(p, torch_arrays)
    q = params_from_torch(**torch_arrays)
    assert_unchanged(before, p, torch_arrays)
    for a in arrays_in(q) + arrays_in(params_to_torch(p)):
        a[...] = 0.0
    assert_unchanged(before, p, torch_arrays)
    init_rnn_params(3, 4, np.random.default_rng(0), recurrent_scale=1.5)


def test_mutating_sequence_outputs_changes_neither_cache_nor_params():
    P = rnn_problem(10, N=2, T=3, D=3, H=4)
    h, cache = rnn_forward(P.x, P.h0, P.params)
    before = snapshot(cache, P.params)
    reference = snapshot(rnn_backward(P.dh, cache))
    h[...] = 0.5
    assert_unchanged(before, cache, P.params)
    grads = rnn_backward(P.dh, cache)
    assert_unchanged(reference, grads)
    for a in arrays_in(grads):
        a[...] = 3.0
    assert_unchanged(before, cache, P.params)
    assert_unchanged(reference, rnn_backward(P.dh, cache))


def test_mutating_step_outputs_changes_neither_cache_nor_params():
    # the returned h is not the cache's: rnn_step_backward reads cache.h for tanh' = 1 - h^2, so
    # changing the returned h (h *= mask, h += noise) must not change the gradients
    S = step_problem()
    h, cache = rnn_step_forward(S["x"], S["h_prev"], S["params"])
    before = snapshot(cache, S["params"])
    reference = snapshot(rnn_step_backward(S["dh"], cache))
    h[...] = 0.5
    assert_unchanged(reference, rnn_step_backward(S["dh"], cache))
    assert_unchanged(before, cache, S["params"])
    grads = rnn_step_backward(S["dh"], cache)
    for a in arrays_in(grads):
        a[...] = 3.0
    assert_unchanged(before, cache, S["params"])


# =======================================================================================
# Known-wrong implementations: the gradient check must reject them

def reference_step_backward(dh, cache, bug=None):
    """An independent RNN step backward with an optional deliberate bug."""
    x, h_prev, h, p = cache
    da = dh * (1 - (h_prev if bug == "tanh' of h_prev" else h) ** 2)
    if bug == "no tanh'":
        da = dh
    W_hh = p.W_hh if bug == "W_hh not transposed" else p.W_hh.T
    dparams = RNNParams(x.T @ da, h_prev.T @ da,
                        np.zeros(da.shape[1]) if bug == "dropped bias" else da.sum(axis=0))
    return da @ p.W_xh.T, da @ W_hh, dparams


@pytest.fixture(scope="module")
def step_numerical():
    S = step_problem(seed=11, N=2, D=3, H=4)
    _, cache = rnn_step_forward(S["x"], S["h_prev"], S["params"])

    def loss(x, h_prev, params):
        return step_loss(x, h_prev, params, S["dh"])

    return S, cache, numerical_gradients(loss, {k: S[k] for k in ("x", "h_prev", "params")})


def _analytic(grads):
    return dict(zip(("x", "h_prev", "params"), grads))


def test_reference_step_backward_is_right(step_numerical):
    S, cache, numerical = step_numerical
    mine = reference_step_backward(S["dh"], cache)
    assert_gradients_ok(compare_gradients(_analytic(mine), numerical))
    for a, b in zip(arrays_in(mine), arrays_in(rnn_step_backward(S["dh"], cache))):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("bug", ["no tanh'", "tanh' of h_prev", "W_hh not transposed", "dropped bias"])
def test_gradient_check_rejects_a_wrong_step_backward(step_numerical, bug):
    S, cache, numerical = step_numerical
    errors = compare_gradients(_analytic(reference_step_backward(S["dh"], cache, bug)), numerical)
    assert max(errors.values()) > BROKEN, f"the check missed the bug {bug!r}: {errors}"


def test_gradient_check_rejects_bptt_without_the_recurrent_gradient():
    P = rnn_problem(12, N=2, T=3, D=2, H=3)
    h_t, caches = P.h0, []
    for t in range(P.T):
        h_t, sc = rnn_step_forward(P.x[:, t], h_t, P.params)
        caches.append(sc)

    def bptt(carry):
        dh_next, dxs, total = np.zeros((P.N, P.H)), [], None
        for t in reversed(range(P.T)):
            dx, dh_next, dp = rnn_step_backward(P.dh[:, t] + (dh_next if carry else 0), caches[t])
            dxs.append(dx)
            total = dp if total is None else RNNParams(*(a + b for a, b in zip(arrays_in(total), arrays_in(dp))))
        return dict(x=np.stack(dxs[::-1], axis=1), h0=dh_next, params=total)

    def loss(x, h0, params):
        return seq_loss(x, h0, params, P.dh)

    numerical = numerical_gradients(loss, dict(x=P.x, h0=P.h0, params=P.params))
    assert_gradients_ok(compare_gradients(bptt(carry=True), numerical))
    errors = compare_gradients(bptt(carry=False), numerical)
    assert max(errors.values()) > BROKEN, errors


def test_time_major_x_is_named_as_such():
    """A (T, N, D) x read as (N, T, D): the error says so, instead of only blaming h0."""
    P = rnn_problem(5, N=2, T=3, D=4, H=5)
    with pytest.raises(ValueError, match=r"x looks time-major \(T, N, D\); expected batch-major \(N, T, D\)"):
        rnn_forward(P.x.transpose(1, 0, 2), P.h0, P.params)
