"""Tests of lstm_course.lstm: every gradient against finite differences, golden values worked out
by hand, the sequence = a loop of steps, properties over random shapes, clear errors on bad input,
no mutation or aliasing, and proof that the gradient check rejects known-wrong backward passes."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import (BROKEN, RAW_NUMPY_PHRASES, arrays_in, assert_gradients_ok,
                     assert_no_shared_memory, assert_unchanged, compare_gradients, field_names,
                     gradient_errors, lstm_problem, numerical_gradients, random_lstm_params,
                     snapshot)
from lstm_course import rnn
from lstm_course.lstm import (GATES, LSTMCache, LSTMParams, LSTMStepCache, init_lstm_params,
                              lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward,
                              params_from_torch, params_to_torch, split_gates)


def sigma(z):
    """The logistic sigmoid with math.exp: an independent reference for the golden values."""
    return 1.0 / (1.0 + math.exp(-z))


def seq_loss(x, h0, c0, params, dh, dc_last):
    """A scalar whose gradient is exactly what lstm_backward(dh, cache, dc_last) computes:
    L = sum_t <dh_t, h_t> + <dc_last, c_T>."""
    h, c, _ = lstm_forward(x, h0, c0, params)
    return float(np.sum(h * dh) + np.sum(c[:, -1] * dc_last))


def step_loss(x, h_prev, c_prev, params, dh, dc):
    """L = <dh, h_t> + <dc, c_t>: its gradient is lstm_step_backward(dh, dc, cache)."""
    h, c, _ = lstm_step_forward(x, h_prev, c_prev, params)
    return float(np.sum(h * dh) + np.sum(c * dc))


def step_problem(seed=1, N=2, D=3, H=4):
    P = lstm_problem(seed, N=N, T=1, D=D, H=H)
    rng = np.random.default_rng(seed + 100)
    return dict(x=P.x[:, 0], h_prev=P.h0, c_prev=P.c0, params=P.params,
                dh=rng.normal(size=(N, H)), dc=rng.normal(size=(N, H)) + 0.5)


# =======================================================================================
# Gradients against centred finite differences (float64, step 1e-6, relative error < 1e-7)
#
# The truncation error of centred differences is O(h^2) ~ 1e-12 and the round-off error is
# ~ eps / h ~ 1e-10 (times |L|), so a correct gradient lands near 1e-9, while a wrong formula lands
# near 1e-1 (see the known-wrong implementations at the end). 1e-7 separates the two.

@pytest.mark.parametrize("seed,N,T,D,H", [(0, 2, 4, 3, 5), (1, 3, 3, 4, 2), (2, 1, 5, 2, 3)])
def test_sequence_gradients_match_finite_differences(seed, N, T, D, H):
    # T >= 3, N > 1 (and N = 1), D != H, non-zero h0, c0 and biases, an upstream gradient on
    # every hidden state and on the last cell state.
    P = lstm_problem(seed, N=N, T=T, D=D, H=H)
    for name in field_names(P.params):
        assert np.all(getattr(P.params, name) != 0), name
    assert np.all(P.h0 != 0) and np.all(P.c0 != 0) and np.all(P.dc_last != 0)

    _, _, cache = lstm_forward(P.x, P.h0, P.c0, P.params)
    dx, dh0, dc0, dparams = lstm_backward(P.dh, cache, P.dc_last)

    def loss(x, h0, c0, params):
        return seq_loss(x, h0, c0, params, P.dh, P.dc_last)

    errors = gradient_errors(loss, dict(x=P.x, h0=P.h0, c0=P.c0, params=P.params),
                             dict(x=dx, h0=dh0, c0=dc0, params=dparams))
    assert len(errors) == 3 + 12  # x, h0, c0 and all twelve weight arrays
    assert_gradients_ok(errors)


def test_sequence_gradients_without_dc_last_match_finite_differences():
    P = lstm_problem(3, N=2, T=3, D=2, H=3)
    _, _, cache = lstm_forward(P.x, P.h0, P.c0, P.params)
    dx, dh0, dc0, dparams = lstm_backward(P.dh, cache)

    def loss(x, h0, c0, params):
        return float(np.sum(lstm_forward(x, h0, c0, params)[0] * P.dh))

    assert_gradients_ok(gradient_errors(loss, dict(x=P.x, h0=P.h0, c0=P.c0, params=P.params),
                                        dict(x=dx, h0=dh0, c0=dc0, params=dparams)))


def test_step_backward_matches_finite_differences_with_nonzero_dc():
    S = step_problem()
    _, _, cache = lstm_step_forward(S["x"], S["h_prev"], S["c_prev"], S["params"])
    dx, dh_prev, dc_prev, dparams = lstm_step_backward(S["dh"], S["dc"], cache)

    def loss(x, h_prev, c_prev, params):
        return step_loss(x, h_prev, c_prev, params, S["dh"], S["dc"])

    inputs = {k: S[k] for k in ("x", "h_prev", "c_prev", "params")}
    errors = gradient_errors(loss, inputs, dict(x=dx, h_prev=dh_prev, c_prev=dc_prev, params=dparams))
    assert_gradients_ok(errors)


# =======================================================================================
# The sequence functions are a loop of the step functions

@pytest.mark.parametrize("seed,N,T,D,H", [(0, 2, 4, 3, 5), (1, 1, 1, 2, 2), (2, 3, 6, 1, 4)])
def test_sequence_equals_loop_of_steps(seed, N, T, D, H):
    P = lstm_problem(seed, N=N, T=T, D=D, H=H)
    h, c, cache = lstm_forward(P.x, P.h0, P.c0, P.params)
    dx, dh0, dc0, dparams = lstm_backward(P.dh, cache, P.dc_last)

    h_t, c_t, caches = P.h0, P.c0, []
    for t in range(T):
        h_t, c_t, step_cache = lstm_step_forward(P.x[:, t], h_t, c_t, P.params)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(c[:, t], c_t, rtol=1e-13, atol=1e-15)
        caches.append(step_cache)

    dh_next, dc_next = np.zeros((N, H)), P.dc_last
    total = {k: np.zeros_like(getattr(P.params, k)) for k in field_names(P.params)}
    for t in reversed(range(T)):
        dx_t, dh_next, dc_next, dp_t = lstm_step_backward(P.dh[:, t] + dh_next, dc_next, caches[t])
        np.testing.assert_allclose(dx[:, t], dx_t, rtol=1e-12, atol=1e-14)
        for k in total:
            total[k] += getattr(dp_t, k)
    np.testing.assert_allclose(dh0, dh_next, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dc0, dc_next, rtol=1e-12, atol=1e-14)
    for k, v in total.items():
        np.testing.assert_allclose(getattr(dparams, k), v, rtol=1e-12, atol=1e-14, err_msg=k)


def test_sequence_cache_names_each_gate_in_pytorch_order():
    P = lstm_problem(4, N=2, T=3, D=3, H=4)
    _, _, cache = lstm_forward(P.x, P.h0, P.c0, P.params)
    h_t, c_t = P.h0, P.c0
    for t in range(P.T):
        h_t, c_t, step = lstm_step_forward(P.x[:, t], h_t, c_t, P.params)
        for name in GATES:
            view = getattr(cache, name)
            assert view.shape == (P.T, P.N, P.H), name
            np.testing.assert_allclose(view[t], getattr(step, name), rtol=1e-13, atol=1e-15, err_msg=name)
    # views of the stacked array, whose blocks follow PyTorch's (i, f, g, o)
    for k, name in enumerate(GATES):
        view = getattr(cache, name)
        assert np.shares_memory(view, cache.gates), name
        np.testing.assert_array_equal(view, cache.gates[..., k * P.H:(k + 1) * P.H])


def test_split_gates_cuts_four_blocks_in_order():
    a = np.arange(2 * 3 * 8.0).reshape(2, 3, 8)
    blocks = split_gates(a)
    for k, block in enumerate(blocks):
        np.testing.assert_array_equal(block, a[..., 2 * k:2 * (k + 1)])
    params = random_lstm_params(3, 2, np.random.default_rng(3))
    W_x, W_h, b = params.stacked()  # (D, 4H), (H, 4H), (4H,) with H = 2
    np.testing.assert_array_equal(W_x[:, 4:6], params.W_xg)  # block 2 = the candidate
    np.testing.assert_array_equal(W_h[:, 2:4], params.W_hf)
    np.testing.assert_array_equal(b[6:8], params.b_o)
    back = LSTMParams.from_stacked(W_x, W_h, b)
    for name in field_names(params):
        np.testing.assert_array_equal(getattr(back, name), getattr(params, name))
        assert not np.shares_memory(getattr(back, name), W_x) and not np.shares_memory(getattr(back, name), W_h)


@pytest.mark.parametrize("state", ["h0", "c0"])
def test_time_major_x_is_named_as_such(state):
    """A (T, N, D) x read as (N, T, D): the error says so, instead of only blaming the state."""
    P = lstm_problem(5, N=2, T=3, D=4, H=5)
    x_time_major = P.x.transpose(1, 0, 2)  # (T, N, D) = (3, 2, 4)
    states = {"h0": P.h0, "c0": P.c0}  # (N, H) = (2, 5): matches x_time_major.shape[1]
    with pytest.raises(ValueError, match=r"x looks time-major \(T, N, D\); expected batch-major \(N, T, D\)"):
        lstm_forward(x_time_major, states["h0"], states["c0"], P.params)
    other = {"h0": None, "c0": None, state: states[state]}
    with pytest.raises(ValueError, match=rf"time-major.*expected {state} of shape \(N, H\) = \(3, 5\)"):
        lstm_forward(x_time_major, other["h0"], other["c0"], P.params)
    # a wrong N that is not x's second size is only a wrong shape
    with pytest.raises(ValueError, match=r"^expected h0 of shape \(N, H\) = \(2, 5\), got \(4, 5\)$"):
        lstm_forward(P.x, np.zeros((4, 5)), None, P.params)


def test_none_means_zeros():
    P = lstm_problem(4)
    zeros = np.zeros((P.N, P.H))
    h, c, cache = lstm_forward(P.x, None, None, P.params)
    h2, c2, cache2 = lstm_forward(P.x, zeros, zeros, P.params)
    np.testing.assert_array_equal(h, h2)
    np.testing.assert_array_equal(c, c2)
    for a, b in zip(lstm_backward(P.dh, cache)[:3], lstm_backward(P.dh, cache2, zeros)[:3]):
        np.testing.assert_array_equal(a, b)
    _, _, sc = lstm_step_forward(P.x[:, 0], P.h0, P.c0, P.params)
    for a, b in zip(lstm_step_backward(P.dh[:, 0], None, sc)[:3],
                    lstm_step_backward(P.dh[:, 0], zeros, sc)[:3]):
        np.testing.assert_array_equal(a, b)


# =======================================================================================
# Golden values, worked out by hand

def _golden_params():
    """D = H = 2. Each gate's weights are chosen so that x = [1, 2], h_prev = [1, -1] give
    simple pre-activations, and no matrix is symmetric (a transposed weight gives other numbers).

      i: W_xi = [[0, 1], [0, 0]]    x W_xi = [0, x0]     = [0, 1]    ; b_i = [0.5, 0]  -> a_i = [0.5, 1]
      f: W_hf = [[0, 0], [1, 0]]    h W_hf = [h1, 0]     = [-1, 0]   ; b_f = [1, 2]    -> a_f = [0, 2]
      g: W_xg = [[.5, 0], [0, -.25]] x W_xg = [.5 x0, -.25 x1] = [.5, -.5]; b_g = [0, .25] -> a_g = [.5, -.25]
      o: W_ho = identity            h W_ho = h            = [1, -1]  ; b_o = [-1, 0]   -> a_o = [0, -1]
    every other weight is 0.
    """
    Z = np.zeros((2, 2))
    return LSTMParams(
        W_xi=np.array([[0.0, 1.0], [0.0, 0.0]]), W_hi=Z, b_i=np.array([0.5, 0.0]),
        W_xf=Z, W_hf=np.array([[0.0, 0.0], [1.0, 0.0]]), b_f=np.array([1.0, 2.0]),
        W_xg=np.array([[0.5, 0.0], [0.0, -0.25]]), W_hg=Z, b_g=np.array([0.0, 0.25]),
        W_xo=Z, W_ho=np.eye(2), b_o=np.array([-1.0, 0.0]),
    )


def test_step_forward_golden_values():
    params = _golden_params()
    x, h_prev, c_prev = np.array([[1.0, 2.0]]), np.array([[1.0, -1.0]]), np.array([[0.5, -0.5]])
    h, c, cache = lstm_step_forward(x, h_prev, c_prev, params)

    i = [sigma(0.5), sigma(1.0)]
    f = [sigma(0.0), sigma(2.0)]  # sigma(0) = 0.5
    g = [math.tanh(0.5), math.tanh(-0.25)]
    o = [sigma(0.0), sigma(-1.0)]
    # c = f * c_prev + i * g ;  h = o * tanh(c)
    c_exp = [0.5 * 0.5 + i[0] * g[0], f[1] * -0.5 + i[1] * g[1]]
    h_exp = [o[0] * math.tanh(c_exp[0]), o[1] * math.tanh(c_exp[1])]
    # the same numbers, worked out to 40 digits with decimal.Decimal (an independent check of the
    # float arithmetic above): c = [0.53764913664496792492..., -0.61944842820575883233...],
    # h = [0.24560319447138133562..., -0.14811784071002701792...]
    np.testing.assert_allclose(c_exp, [0.5376491366449679, -0.6194484282057588], rtol=1e-15)
    np.testing.assert_allclose(h_exp, [0.2456031944713813, -0.1481178407100270], rtol=1e-15)

    np.testing.assert_allclose(h, [h_exp], rtol=1e-14)
    np.testing.assert_allclose(c, [c_exp], rtol=1e-14)
    for name, expected in dict(i=i, f=f, g=g, o=o).items():  # and each gate in the cache, by name
        np.testing.assert_allclose(getattr(cache, name), [expected], rtol=1e-14, err_msg=name)


def test_step_forward_and_backward_golden_values_one_unit():
    """D = H = N = 1, every weight 1, x = 3, h_prev = -2, so x W_x + h_prev W_h = 3 - 2 = 1, and
    biases b = target - 1 with targets chosen for round gate values:

      a_i = 0        -> i = 1/2
      a_f = ln 3     -> f = 1 / (1 + 1/3) = 3/4
      a_g = ln(3)/2  -> g = tanh(atanh(1/2)) = 1/2      (atanh(y) = ln((1+y)/(1-y)) / 2)
      a_o = -ln 3    -> o = 1 / (1 + 3) = 1/4

    c_prev = 2:  c = 3/4 * 2 + 1/2 * 1/2 = 1.75 ;  h = 1/4 * tanh(1.75)

    Backward with dh = 1 and dc = 1 (from step t+1), t = tanh(1.75):
      dc_total = dc + dh * o * (1 - t^2)  = 1 + (1 - t^2) / 4
      da_i = dc_total * g * i (1 - i)      = dc_total * 1/2 * 1/4
      da_f = dc_total * c_prev * f (1 - f) = dc_total * 2 * 3/16
      da_g = dc_total * i * (1 - g^2)      = dc_total * 1/2 * 3/4
      da_o = dh * t * o (1 - o)            = t * 3/16
      dc_prev = dc_total * f ;  dW_x? = x * da_? = 3 da_? ;  dW_h? = h_prev * da_? = -2 da_? ;
      db_? = da_? ;  dx = dh_prev = da_i + da_f + da_g + da_o   (every weight is 1)
    """
    ln3 = math.log(3.0)
    one = np.ones((1, 1))
    params = LSTMParams(W_xi=one, W_hi=one, b_i=np.array([0.0 - 1]),
                        W_xf=one, W_hf=one, b_f=np.array([ln3 - 1]),
                        W_xg=one, W_hg=one, b_g=np.array([ln3 / 2 - 1]),
                        W_xo=one, W_ho=one, b_o=np.array([-ln3 - 1]))
    h, c, cache = lstm_step_forward(np.array([[3.0]]), np.array([[-2.0]]), np.array([[2.0]]), params)
    for name, value in dict(i=0.5, f=0.75, g=0.5, o=0.25).items():
        assert getattr(cache, name)[0, 0] == pytest.approx(value, rel=1e-14), name
    t = math.tanh(1.75)
    assert c[0, 0] == pytest.approx(1.75, rel=1e-15)
    assert h[0, 0] == pytest.approx(0.25 * t, rel=1e-14)

    dx, dh_prev, dc_prev, dp = lstm_step_backward(np.array([[1.0]]), np.array([[1.0]]), cache)
    dc_total = 1 + (1 - t * t) / 4
    da = dict(i=dc_total / 8, f=dc_total * 3 / 8, g=dc_total * 3 / 8, o=t * 3 / 16)
    assert dc_prev[0, 0] == pytest.approx(dc_total * 0.75, rel=1e-14)
    assert dx[0, 0] == pytest.approx(sum(da.values()), rel=1e-14)
    assert dh_prev[0, 0] == pytest.approx(sum(da.values()), rel=1e-14)
    for k, v in da.items():
        assert getattr(dp, f"b_{k}")[0] == pytest.approx(v, rel=1e-14), k
        assert getattr(dp, f"W_x{k}")[0, 0] == pytest.approx(3 * v, rel=1e-14), k
        assert getattr(dp, f"W_h{k}")[0, 0] == pytest.approx(-2 * v, rel=1e-14), k


def test_sequence_forward_golden_two_steps():
    # Two steps of the one-unit cell above with zero weights: i = 1/2, f = 3/4, g = 1/2, o = 1/4 at
    # every step, so c_1 = 3/4 c_0 + 1/4 and c_2 = 3/4 c_1 + 1/4. From c_0 = 2: 1.75, then 1.5625.
    ln3 = math.log(3.0)
    zero = np.zeros((1, 1))
    params = LSTMParams(W_xi=zero, W_hi=zero, b_i=[0.0], W_xf=zero, W_hf=zero, b_f=[ln3],
                        W_xg=zero, W_hg=zero, b_g=[ln3 / 2], W_xo=zero, W_ho=zero, b_o=[-ln3])
    h, c, _ = lstm_forward(np.array([[[5.0], [-7.0]]]), np.array([[9.0]]), np.array([[2.0]]), params)
    np.testing.assert_allclose(c[0, :, 0], [1.75, 1.5625], rtol=1e-14)
    np.testing.assert_allclose(h[0, :, 0], [0.25 * math.tanh(1.75), 0.25 * math.tanh(1.5625)], rtol=1e-14)


def test_params_from_torch_gate_order_and_bias_sum():
    # PyTorch stacks the rows (i, f, g, o): fill block k with the number k + 1, so W_xi is all 1,
    # W_xf all 2, W_xg all 3, W_xo all 4 (transposed to (D, H)); biases add.
    D, H = 3, 2
    weight_ih = np.repeat(np.arange(1.0, 5.0), H)[:, None] * np.ones((4 * H, D))
    weight_hh = 10 * np.repeat(np.arange(1.0, 5.0), H)[:, None] * np.ones((4 * H, H))
    bias_ih = np.repeat([0.1, 0.2, 0.3, 0.4], H)
    bias_hh = np.repeat([1.0, 2.0, 3.0, 4.0], H)
    p = params_from_torch(weight_ih, weight_hh, bias_ih, bias_hh)
    for k, gate in enumerate(GATES):
        np.testing.assert_array_equal(getattr(p, f"W_x{gate}"), np.full((D, H), k + 1.0))
        np.testing.assert_array_equal(getattr(p, f"W_h{gate}"), np.full((H, H), 10 * (k + 1.0)))
        np.testing.assert_allclose(getattr(p, f"b_{gate}"), np.full(H, 1.1 * (k + 1)), rtol=1e-15)
    assert GATES == ("i", "f", "g", "o")


def test_params_to_torch_round_trip():
    p = random_lstm_params(3, 4, np.random.default_rng(5))
    t = params_to_torch(p)
    assert set(t) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    assert t["weight_ih"].shape == (16, 3) and t["weight_hh"].shape == (16, 4)
    np.testing.assert_array_equal(t["weight_ih"][4:8], p.W_xf.T)  # rows H:2H = the forget gate
    np.testing.assert_array_equal(t["weight_hh"][8:12], p.W_hg.T)  # rows 2H:3H = the candidate
    back = params_from_torch(**t)
    for k in field_names(p):
        np.testing.assert_array_equal(getattr(back, k), getattr(p, k))


def test_init_lstm_params():
    p = init_lstm_params(3, 4, np.random.default_rng(0), forget_bias=3.0)
    q = init_lstm_params(3, 4, np.random.default_rng(0), forget_bias=3.0)
    for k in field_names(p):
        np.testing.assert_array_equal(getattr(p, k), getattr(q, k))  # seeded: reproducible
    np.testing.assert_array_equal(p.b_f, np.full(4, 3.0))
    for g in ("i", "g", "o"):
        np.testing.assert_array_equal(getattr(p, f"b_{g}"), np.zeros(4))
    assert (p.D, p.H, p.dtype) == (3, 4, np.float64)
    assert np.abs(p.W_hf).max() <= 0.5  # U(-1/sqrt(H), 1/sqrt(H))
    assert init_lstm_params(2, 3, np.random.default_rng(0), dtype=np.float32).dtype == np.float32


# =======================================================================================
# Properties over random shapes

sizes = st.integers(1, 6)


@settings(max_examples=30, deadline=None)
@given(N=sizes, T=sizes, D=sizes, H=sizes, seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_properties_over_random_shapes(N, T, D, H, seed, dtype):
    P = lstm_problem(seed, N=N, T=T, D=D, H=H, dtype=dtype, scale=1.0)
    h, c, cache = lstm_forward(P.x, P.h0, P.c0, P.params)
    assert h.shape == c.shape == (N, T, H)
    assert h.dtype == c.dtype == dtype
    assert type(cache) is LSTMCache
    assert np.all(np.abs(h) < 1)  # h = o * tanh(c), both factors inside (-1, 1)
    # |c_t| <= f |c_{t-1}| + i |g| <= |c_{t-1}| + 1, since f, i in (0, 1) and |g| < 1
    c_prev = np.concatenate([P.c0[:, None], c[:, :-1]], axis=1)
    slack = 4 * np.finfo(dtype).eps * (np.abs(c_prev) + 1)
    assert np.all(np.abs(c) <= np.abs(c_prev) + 1 + slack)

    grads = lstm_backward(P.dh, cache, P.dc_last)
    dx, dh0, dc0, dparams = grads
    assert dx.shape == (N, T, D) and dh0.shape == dc0.shape == (N, H)
    assert type(dparams) is LSTMParams
    for k in field_names(P.params):
        assert getattr(dparams, k).shape == getattr(P.params, k).shape, k
        assert getattr(dparams, k).dtype == dtype, k
    assert dx.dtype == dh0.dtype == dc0.dtype == dtype
    inputs = (P.x, P.h0, P.c0, P.params, P.dh, P.dc_last)
    assert_no_shared_memory((h, c), inputs)
    assert_no_shared_memory(grads, inputs + (cache,))

    # one step, too
    hs, cs, scache = lstm_step_forward(P.x[:, 0], P.h0, P.c0, P.params)
    assert hs.shape == cs.shape == (N, H)
    assert hs.dtype == cs.dtype == dtype
    assert type(scache) is LSTMStepCache
    sgrads = lstm_step_backward(P.dh[:, 0], P.dc_last, scache)
    assert [a.shape for a in sgrads[:3]] == [(N, D), (N, H), (N, H)]
    assert type(sgrads[3]) is LSTMParams and all(a.dtype == dtype for a in arrays_in(sgrads))
    assert_no_shared_memory(sgrads, inputs + (scache,))


# =======================================================================================
# Bad input: a clear ValueError/TypeError naming the argument and the expected shape

P0 = lstm_problem(7, N=2, T=3, D=4, H=5)
_, _, CACHE0 = lstm_forward(P0.x, P0.h0, P0.c0, P0.params)
_, _, STEP_CACHE0 = lstm_step_forward(P0.x[:, 0], P0.h0, P0.c0, P0.params)
TORCH0 = params_to_torch(P0.params)
RNG = np.random.default_rng(0)


def _w(*shape):
    return RNG.normal(size=shape)


BAD_INPUTS = {
    # the forward pass
    "x of rank 2": (lambda: lstm_forward(P0.x[0], P0.h0, P0.c0, P0.params),
                    r"expected x of shape \(N, T, D\) \(3 dimensions\), got shape \(3, 4\)"),
    "x a scalar": (lambda: lstm_forward(1.0, P0.h0, P0.c0, P0.params),
                   r"expected x of shape \(N, T, D\) \(3 dimensions\), got shape \(\)"),
    "x with wrong D": (lambda: lstm_forward(_w(2, 3, 5), P0.h0, P0.c0, P0.params),
                       r"expected x of shape \(N, T, D\) = \(2, 3, 4\), got \(2, 3, 5\)"),
    "h0 with wrong N": (lambda: lstm_forward(P0.x, _w(3, 5), P0.c0, P0.params),
                        r"expected h0 of shape \(N, H\) = \(2, 5\), got \(3, 5\)"),
    "c0 with wrong N": (lambda: lstm_forward(P0.x, P0.h0, _w(1, 5), P0.params),
                        r"expected c0 of shape \(N, H\) = \(2, 5\), got \(1, 5\)"),
    "h0 with wrong H": (lambda: lstm_forward(P0.x, _w(2, 4), P0.c0, P0.params),
                        r"expected h0 of shape \(N, H\) = \(2, 5\), got \(2, 4\)"),
    "h0 of rank 1": (lambda: lstm_forward(P0.x, _w(5), P0.c0, P0.params),
                     r"expected h0 of shape \(N, H\) = \(2, 5\), got \(5,\)"),
    "NaN in x": (lambda: lstm_forward(np.where(P0.x > 0.5, np.nan, P0.x), P0.h0, P0.c0, P0.params),
                 r"x contains NaN or inf"),
    "inf in h0": (lambda: lstm_forward(P0.x, P0.h0 * np.inf, P0.c0, P0.params),
                  r"h0 contains NaN or inf"),
    "inf in c0": (lambda: lstm_forward(P0.x, P0.h0, np.full((2, 5), -np.inf), P0.params),
                  r"c0 contains NaN or inf"),
    "complex x": (lambda: lstm_forward(P0.x + 1j, P0.h0, P0.c0, P0.params),
                  r"x must hold real numbers, got complex"),
    "string x": (lambda: lstm_forward("abc", P0.h0, P0.c0, P0.params),
                 r"x must hold real numbers \(float32 or float64\), got dtype <U3"),
    "object x": (lambda: lstm_forward(np.array([[[1.0, None]]], dtype=object), P0.h0, P0.c0, P0.params),
                 r"x must hold real numbers \(float32 or float64\), got dtype object"),
    "ragged list x": (lambda: lstm_forward([[1.0], [1.0, 2.0]], P0.h0, P0.c0, P0.params),
                      r"^x must be an array of real numbers, got list"),
    "bool x": (lambda: lstm_forward(P0.x > 0, P0.h0, P0.c0, P0.params),
               r"x must hold real numbers \(float32 or float64\), got dtype bool"),
    "T = 0": (lambda: lstm_forward(np.zeros((2, 0, 4)), P0.h0, P0.c0, P0.params),
              r"expected x of shape \(N, T, D\) with N >= 1 and T >= 1, got \(2, 0, 4\)"),
    "params a dict": (lambda: lstm_forward(P0.x, P0.h0, P0.c0, dataclasses.asdict(P0.params)),
                      r"params must be a LSTMParams .*got dict"),
    "params of an RNN": (lambda: lstm_forward(P0.x, P0.h0, P0.c0, rnn.init_rnn_params(4, 5, RNG)),
                         r"params must be a LSTMParams .*got RNNParams"),
    "params_to_torch of a dict": (lambda: params_to_torch(TORCH0),
                                  r"params must be a LSTMParams .*got dict"),
    # the step functions
    "step x of rank 3": (lambda: lstm_step_forward(P0.x, P0.h0, P0.c0, P0.params),
                         r"expected x of shape \(N, D\) \(2 dimensions\), got shape \(2, 3, 4\)"),
    "step x with wrong D": (lambda: lstm_step_forward(_w(2, 3), P0.h0, P0.c0, P0.params),
                            r"expected x of shape \(N, D\) = \(2, 4\), got \(2, 3\)"),
    "step c_prev with wrong H": (lambda: lstm_step_forward(P0.x[:, 0], P0.h0, _w(2, 6), P0.params),
                                 r"expected c_prev of shape \(N, H\) = \(2, 5\), got \(2, 6\)"),
    "step h_prev with wrong N": (lambda: lstm_step_forward(P0.x[:, 0], _w(4, 5), P0.c0, P0.params),
                                 r"expected h_prev of shape \(N, H\) = \(2, 5\), got \(4, 5\)"),
    # the backward passes
    "dh of wrong shape": (lambda: lstm_backward(_w(2, 3, 6), CACHE0),
                          r"expected dh of shape \(N, T, H\) = \(2, 3, 5\), got \(2, 3, 6\)"),
    "dh of wrong rank": (lambda: lstm_backward(_w(2, 5), CACHE0),
                         r"expected dh of shape \(N, T, H\) \(3 dimensions\), got shape \(2, 5\)"),
    "dh with NaN": (lambda: lstm_backward(np.full((2, 3, 5), np.nan), CACHE0), r"dh contains NaN or inf"),
    "dc_last of wrong shape": (lambda: lstm_backward(P0.dh[:, :, :5], CACHE0, _w(2, 6)),
                               r"expected dc_last of shape \(N, H\) = \(2, 5\), got \(2, 6\)"),
    "dc_last for every step": (lambda: lstm_backward(P0.dh[:, :, :5], CACHE0, _w(2, 3, 5)),
                               r"expected dc_last of shape \(N, H\) = \(2, 5\), got \(2, 3, 5\)"),
    "step dc of wrong shape": (lambda: lstm_step_backward(_w(2, 5), _w(3, 5), STEP_CACHE0),
                               r"expected dc of shape \(N, H\) = \(2, 5\), got \(3, 5\)"),
    "step dh of wrong shape": (lambda: lstm_step_backward(_w(2, 6), _w(2, 5), STEP_CACHE0),
                               r"expected dh of shape \(N, H\) = \(2, 5\), got \(2, 6\)"),
    "step cache to lstm_backward": (lambda: lstm_backward(_w(2, 3, 5), STEP_CACHE0),
                                    r"cache must be a LSTMCache .*got LSTMStepCache"),
    "a plain tuple as cache": (lambda: lstm_backward(_w(2, 3, 5), tuple(CACHE0)),
                               r"cache must be a LSTMCache .*got tuple"),
    "sequence cache to lstm_step_backward": (lambda: lstm_step_backward(_w(2, 5), None, CACHE0),
                                             r"cache must be a LSTMStepCache .*got LSTMCache"),
    # PyTorch's layout
    "GRU-sized (3H) weights": (lambda: params_from_torch(_w(15, 4), _w(15, 5), _w(15), _w(15)),
                               r"expected weight_hh of shape \(4H, H\) = \(20, 5\), got \(15, 5\).*GRU"),
    "GRU-sized weight_ih only": (lambda: params_from_torch(_w(15, 4), _w(20, 5), _w(20), _w(20)),
                                 r"expected weight_ih of shape \(4H, D\) = \(20, 4\), got \(15, 4\)"),
    "GRU-sized bias": (lambda: params_from_torch(_w(20, 4), _w(20, 5), _w(20), _w(15)),
                       r"expected bias_hh of shape \(4H,\) = \(20,\), got \(15,\)"),
    "weight_ih of rank 1": (lambda: params_from_torch(_w(20), _w(20, 5), _w(20), _w(20)),
                            r"expected weight_ih of shape \(4H, D\) \(2 dimensions\)"),
    "weight_ih with D = 3, x with D = 4": (
        lambda: lstm_forward(P0.x, P0.h0, P0.c0, params_from_torch(_w(20, 3), _w(20, 5), _w(20), _w(20))),
        r"expected x of shape \(N, T, D\) = \(2, 3, 3\), got \(2, 3, 4\)"),
    "weight_ih transposed": (lambda: params_from_torch(_w(4, 20), _w(20, 5), _w(20), _w(20)),
                             r"expected weight_ih of shape \(4H, D\) = \(20, 20\), got \(4, 20\)"),
    "complex weight_hh": (lambda: params_from_torch(_w(20, 4), _w(20, 5) + 0j, _w(20), _w(20)),
                          r"weight_hh must hold real numbers, got complex"),
    # LSTMParams built by hand
    "LSTMParams with W_hf of (H, H+1)": (lambda: dataclasses.replace(P0.params, W_hf=_w(5, 6)),
                                         r"expected W_hf of shape \(H, H\) = \(5, 5\), got \(5, 6\)"),
    "LSTMParams with W_xg of wrong D": (lambda: dataclasses.replace(P0.params, W_xg=_w(3, 5)),
                                        r"expected W_xg of shape \(D, H\) = \(4, 5\), got \(3, 5\)"),
    "LSTMParams with b_o of wrong H": (lambda: dataclasses.replace(P0.params, b_o=_w(6)),
                                       r"expected b_o of shape \(H,\) = \(5,\), got \(6,\)"),
    "LSTMParams with a 1-D W_xi": (lambda: dataclasses.replace(P0.params, W_xi=_w(4)),
                                   r"expected W_xi of shape \(D, H\)"),
    "LSTMParams with a NaN bias": (lambda: dataclasses.replace(P0.params, b_i=np.full(5, np.nan)),
                                   r"b_i contains NaN or inf"),
    "LSTMParams with a None field": (lambda: dataclasses.replace(P0.params, W_hf=None),
                                     r"W_hf must be an array of real numbers, got None"),
    # a ragged list must be named, not reach NumPy's "setting an array element with a sequence"
    "LSTMParams with a ragged W_xi": (lambda: dataclasses.replace(P0.params, W_xi=[[1.0], [1.0, 2.0]]),
                                      r"^W_xi must be an array of real numbers"),
    # initialisation
    "init with H = 0": (lambda: init_lstm_params(3, 0, RNG), r"H must be an integer >= 1, got 0"),
    "init with a seed for rng": (lambda: init_lstm_params(3, 4, 0), r"rng must be a Generator"),
}


@pytest.mark.parametrize("call,match", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_gets_a_clear_error(call, match):
    with pytest.raises((ValueError, TypeError), match=match) as info:
        call()
    message = str(info.value)
    for phrase in RAW_NUMPY_PHRASES:
        assert phrase not in message.split(" (")[0], f"raw NumPy message: {message}"


# =======================================================================================
# No function changes the arrays it is given, and outputs never share memory with the cache

def test_forward_and_backward_do_not_change_their_arguments():
    P = lstm_problem(8, N=2, T=3, D=3, H=4)
    before = snapshot(P.x, P.h0, P.c0, P.params)
    h, c, cache = lstm_forward(P.x, P.h0, P.c0, P.params)
    assert_unchanged(before, P.x, P.h0, P.c0, P.params)

    before = snapshot(P.dh, cache, P.dc_last, P.params)
    lstm_backward(P.dh, cache, P.dc_last)
    lstm_backward(P.dh, cache)
    assert_unchanged(before, P.dh, cache, P.dc_last, P.params)


def test_forward_does_not_change_float32_or_list_arguments():
    P = lstm_problem(8, N=2, T=3, D=3, H=4)
    x32, h_list = P.x.astype(np.float32), P.h0.tolist()
    before = snapshot(x32)
    lstm_forward(x32, h_list, P.c0, P.params)
    assert_unchanged(before, x32)
    assert h_list == P.h0.tolist()


def test_step_functions_do_not_change_their_arguments():
    S = step_problem()
    before = snapshot(S["x"], S["h_prev"], S["c_prev"], S["params"])
    _, _, cache = lstm_step_forward(S["x"], S["h_prev"], S["c_prev"], S["params"])
    assert_unchanged(before, S["x"], S["h_prev"], S["c_prev"], S["params"])
    before = snapshot(S["dh"], S["dc"], cache)
    lstm_step_backward(S["dh"], S["dc"], cache)
    lstm_step_backward(S["dh"], None, cache)
    assert_unchanged(before, S["dh"], S["dc"], cache)


def test_torch_conversion_and_init_do_not_change_their_arguments():
    p = random_lstm_params(3, 4, np.random.default_rng(9))
    torch_arrays = params_to_torch(p)
    before = snapshot(p, torch_arrays)
    q = params_from_torch(**torch_arrays)
    params_to_torch(p)
    assert_unchanged(before, p, torch_arrays)
    # the results are new arrays: changing them changes nothing else
    for a in arrays_in(q):
        a[...] = 0.0
    for a in arrays_in(params_to_torch(p)):
        a[...] = 0.0
    assert_unchanged(before, p, torch_arrays)
    rng = np.random.default_rng(0)
    init_lstm_params(3, 4, rng)  # takes no arrays; the rng must still be a usable Generator
    assert isinstance(rng.normal(), float)


def test_mutating_sequence_outputs_changes_neither_cache_nor_params():
    P = lstm_problem(10, N=2, T=3, D=3, H=4)
    h, c, cache = lstm_forward(P.x, P.h0, P.c0, P.params)
    before = snapshot(cache, P.params)
    reference = snapshot(lstm_backward(P.dh, cache, P.dc_last))
    h[...] = 7.0
    c[...] = -7.0
    assert_unchanged(before, cache, P.params)
    grads = lstm_backward(P.dh, cache, P.dc_last)
    assert_unchanged(reference, grads)  # same gradients as before the outputs were changed
    for a in arrays_in(grads):
        a[...] = 3.0
    assert_unchanged(before, cache, P.params)
    assert_unchanged(reference, lstm_backward(P.dh, cache, P.dc_last))


def test_mutating_step_outputs_changes_neither_cache_nor_params():
    # the returned c is not the cache's: `c += ...` in a learner's loop must not rewrite the cache
    S = step_problem()
    h, c, cache = lstm_step_forward(S["x"], S["h_prev"], S["c_prev"], S["params"])
    before = snapshot(cache, S["params"])
    reference = snapshot(lstm_step_backward(S["dh"], S["dc"], cache))
    h[...] = 7.0
    c[...] = -7.0
    assert_unchanged(before, cache, S["params"])
    grads = lstm_step_backward(S["dh"], S["dc"], cache)
    assert_unchanged(reference, grads)
    for a in arrays_in(grads):
        a[...] = 3.0
    assert_unchanged(before, cache, S["params"])


# =======================================================================================
# Known-wrong implementations: the gradient check must reject them

def reference_step_backward(dh, dc, cache, bug=None):
    """An independent, unstacked LSTM step backward, written gate by gate from the equations,
    with an optional deliberate bug. With bug=None it must agree with the package."""
    x, h_prev, c_prev, i, f, g, o, c, tanh_c, p = cache
    dc_total = dc + dh * o * (1 - tanh_c ** 2)  # c_t feeds c_{t+1} and h_t
    if bug == "dc without the h_t path":
        dc_total = dc
    da = dict(
        i=dc_total * g * i * (1 - i),
        f=dc_total * (c if bug == "da_f uses c, not c_prev" else c_prev) * f * (1 - f),
        g=dc_total * i * (1 - g ** 2),
        o=dh * tanh_c * (1 if bug == "no sigmoid' on o" else o * (1 - o)),
    )
    if bug == "gates i and f swapped":
        da["i"], da["f"] = da["f"], da["i"]
    dc_prev = dc_total if bug == "dc_prev without f" else dc_total * f
    dx = sum(da[k] @ getattr(p, f"W_x{k}").T for k in GATES)
    dh_prev = sum(da[k] @ getattr(p, f"W_h{k}").T for k in GATES)
    fields = {}
    for k in GATES:
        fields[f"W_x{k}"] = x.T @ da[k]
        fields[f"W_h{k}"] = h_prev.T @ da[k]
        fields[f"b_{k}"] = np.zeros_like(da[k][0]) if bug == "dropped bias" else da[k].sum(axis=0)
    return dx, dh_prev, dc_prev, LSTMParams(**fields)


STEP_BUGS = ["dc without the h_t path", "da_f uses c, not c_prev", "no sigmoid' on o",
             "gates i and f swapped", "dc_prev without f", "dropped bias"]


@pytest.fixture(scope="module")
def step_numerical():
    S = step_problem(seed=11)
    _, _, cache = lstm_step_forward(S["x"], S["h_prev"], S["c_prev"], S["params"])

    def loss(x, h_prev, c_prev, params):
        return step_loss(x, h_prev, c_prev, params, S["dh"], S["dc"])

    inputs = {k: S[k] for k in ("x", "h_prev", "c_prev", "params")}
    return S, cache, numerical_gradients(loss, inputs)


def _analytic(grads):
    dx, dh_prev, dc_prev, dparams = grads
    return dict(x=dx, h_prev=dh_prev, c_prev=dc_prev, params=dparams)


def test_reference_step_backward_is_right(step_numerical):
    S, cache, numerical = step_numerical
    mine = reference_step_backward(S["dh"], S["dc"], cache)
    assert_gradients_ok(compare_gradients(_analytic(mine), numerical))
    for a, b in zip(arrays_in(mine), arrays_in(lstm_step_backward(S["dh"], S["dc"], cache))):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("bug", STEP_BUGS)
def test_gradient_check_rejects_a_wrong_step_backward(step_numerical, bug):
    S, cache, numerical = step_numerical
    errors = compare_gradients(_analytic(reference_step_backward(S["dh"], S["dc"], cache, bug)), numerical)
    assert max(errors.values()) > BROKEN, f"the check missed the bug {bug!r}: {errors}"
    with pytest.raises(AssertionError, match="relative errors above"):
        assert_gradients_ok(errors)


def broken_lstm_backward(dh, step_caches, dc_last, bug):
    """BPTT from the package's step backward, with one deliberate bug in how steps are chained."""
    N, H = dh.shape[0], dh.shape[2]
    dh_next, dc_next = np.zeros((N, H)), dc_last
    dxs, total = [], None
    for t in reversed(range(dh.shape[1])):
        dh_t = dh[:, t] if bug == "dropped dh from step t+1" else dh[:, t] + dh_next
        dc_t = None if bug == "dropped dc from step t+1" and t < dh.shape[1] - 1 else dc_next
        dx, dh_next, dc_next, dp = lstm_step_backward(dh_t, dc_t, step_caches[t])
        dxs.append(dx)
        total = dp if total is None else LSTMParams(
            **{k: getattr(total, k) + getattr(dp, k) for k in field_names(dp)})
    if bug == "dropped dc_last":  # recompute, ignoring dc_last entirely
        return broken_lstm_backward(dh, step_caches, np.zeros((N, H)), None)
    return np.stack(dxs[::-1], axis=1), dh_next, dc_next, total


@pytest.mark.parametrize("bug", ["dropped dc from step t+1", "dropped dh from step t+1", "dropped dc_last"])
def test_gradient_check_rejects_a_wrong_bptt(bug):
    P = lstm_problem(12, N=2, T=3, D=2, H=3)
    h_t, c_t, caches = P.h0, P.c0, []
    for t in range(P.T):
        h_t, c_t, sc = lstm_step_forward(P.x[:, t], h_t, c_t, P.params)
        caches.append(sc)

    def loss(x, h0, c0, params):
        return seq_loss(x, h0, c0, params, P.dh, P.dc_last)

    inputs = dict(x=P.x, h0=P.h0, c0=P.c0, params=P.params)
    numerical = numerical_gradients(loss, inputs)
    right = broken_lstm_backward(P.dh, caches, P.dc_last, None)
    assert_gradients_ok(compare_gradients(dict(zip(inputs, right)), numerical))
    errors = compare_gradients(dict(zip(inputs, broken_lstm_backward(P.dh, caches, P.dc_last, bug))), numerical)
    assert max(errors.values()) > BROKEN, f"the check missed the bug {bug!r}: {errors}"
