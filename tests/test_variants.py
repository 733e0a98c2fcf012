"""Tests for lstm_course.variants: the standard LSTM with one switch turned (lessons 05, 07 and 12).

Every variant's gradients are checked against centred finite differences (float64, relative
error < 1e-7) with T >= 3 and non-zero h0, c0, biases, peephole weights and upstream gradients
on every h_t and on c_T, for the sequence and for the single step; "full" must give
lstm_forward's and lstm_backward's numbers to round-off (allclose 1e-12).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lstm_course import lstm, model, optim, tasks, train
from lstm_course.gradcheck import check_gradient, check_param_gradients
from lstm_course.variants import (GREFF_NAMES, VARIANTS, PeepholeParams, add_peepholes, count_variant_params,
                                  make_variant_loss_fn, variant_backward, variant_flags, variant_forward,
                                  variant_step_backward, variant_step_forward)

TOL = 1e-7
N, T, D, H = 3, 4, 3, 5


def _cell_params(variant, cell, rng):
    """The params a variant takes: the cell, or the cell with non-zero peepholes."""
    if variant == "peepholes":
        return add_peepholes(cell, *(rng.normal(0, 0.5, cell.H) for _ in range(3)))
    return cell


def _problem(seed=0, variant="full"):
    """Random params with non-zero biases, non-zero initial states and upstream gradients."""
    rng = np.random.default_rng(seed)
    params = lstm.init_lstm_params(D, H, rng)
    params = dataclasses.replace(params, **{f"b_{k}": rng.normal(0, 0.5, H) for k in "ifgo"})
    x = rng.normal(size=(N, T, D))
    h0 = rng.normal(0, 0.5, (N, H))
    c0 = rng.normal(0, 0.5, (N, H))
    dh = rng.normal(size=(N, T, H))
    dc_last = rng.normal(size=(N, H))
    return _cell_params(variant, params, rng), x, h0, c0, dh, dc_last


def _loss(variant, params, x, h0, c0, dh, dc_last):
    """A scalar whose gradient on h is dh and on c_T is dc_last."""
    h, c, _ = variant_forward(x, h0, c0, params, variant)
    return float(np.sum(h * dh) + np.sum(c[:, -1] * dc_last))


def _fields(params):
    names = [f"cell.{f.name}" for f in dataclasses.fields(lstm.LSTMParams)] if isinstance(params, PeepholeParams) \
        else [f.name for f in dataclasses.fields(lstm.LSTMParams)]
    return set(names) | ({"p_i", "p_f", "p_o"} if isinstance(params, PeepholeParams) else set())


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_gradients_match_finite_differences(variant):
    params, x, h0, c0, dh, dc_last = _problem(variant=variant)
    _, _, cache = variant_forward(x, h0, c0, params, variant)
    dx, dh0, dc0, dparams = variant_backward(dh, cache, dc_last)
    assert type(dparams) is type(params)

    def f(p=params, x=x, h0=h0, c0=c0):
        return _loss(variant, p, x, h0, c0, dh, dc_last)

    errors = check_param_gradients(lambda p: f(p=p), params, dparams, tol=TOL)
    assert set(errors) == _fields(params)
    check_gradient(lambda a: f(x=a), x, dx, tol=TOL, name="x")
    check_gradient(lambda a: f(h0=a), h0, dh0, tol=TOL, name="h0")
    check_gradient(lambda a: f(c0=a), c0, dc0, tol=TOL, name="c0")


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_step_gradients_match_finite_differences(variant):
    params, x, h0, c0, dh, dc_last = _problem(seed=11, variant=variant)
    x0, g = x[:, 0], dh[:, 0]
    _, _, cache = variant_step_forward(x0, h0, c0, params, variant)
    dx, dh_prev, dc_prev, dparams = variant_step_backward(g, dc_last, cache)

    def f(p=params, x=x0, h=h0, c=c0):
        h_t, c_t, _ = variant_step_forward(x, h, c, p, variant)
        return float(np.sum(h_t * g) + np.sum(c_t * dc_last))

    check_param_gradients(lambda p: f(p=p), params, dparams, tol=TOL)
    check_gradient(lambda a: f(x=a), x0, dx, tol=TOL, name="x")
    check_gradient(lambda a: f(h=a), h0, dh_prev, tol=TOL, name="h_prev")
    check_gradient(lambda a: f(c=a), c0, dc_prev, tol=TOL, name="c_prev")


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_sequence_is_the_step_repeated(variant):
    params, x, h0, c0, _, _ = _problem(seed=12, variant=variant)
    h, c, _ = variant_forward(x, h0, c0, params, variant)
    h_t, c_t = h0, c0
    for t in range(T):
        h_t, c_t, _ = variant_step_forward(x[:, t], h_t, c_t, params, variant)
        np.testing.assert_allclose(h[:, t], h_t, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(c[:, t], c_t, rtol=1e-13, atol=1e-15)


@dataclasses.dataclass(frozen=True, eq=False)
class _PeepholeModel:
    cell: PeepholeParams
    W_out: np.ndarray
    b_out: np.ndarray


def _model_for(variant, rng, K=4):
    params = model.init_sequence_model("lstm", D, H, K, rng)
    if variant == "peepholes":
        return _PeepholeModel(_cell_params(variant, params.cell, rng), params.W_out, params.b_out)
    return params


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_loss_fn_gradients_match_finite_differences(variant):
    rng = np.random.default_rng(1)
    params = _model_for(variant, rng)
    x = rng.normal(size=(N, T, D))
    y = rng.integers(0, 4, size=N)
    loss_fn = make_variant_loss_fn(variant)
    value, grads, acc = loss_fn(params, x, y)
    assert type(grads) is type(params)
    assert 0.0 <= acc <= 1.0 and np.isfinite(value)
    check_param_gradients(lambda p: loss_fn(p, x, y)[0], params, grads, tol=TOL)


def test_mse_loss_fn_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    params = model.init_sequence_model("lstm", 2, H, 1, rng)
    x, y = tasks.adding_problem(N, 5, rng)
    loss_fn = make_variant_loss_fn("sigmoid_candidate", loss="mse")
    value, grads, acc = loss_fn(params, x, y)
    assert acc is None
    check_param_gradients(lambda p: loss_fn(p, x, y)[0], params, grads, tol=TOL)


def test_full_is_the_package_lstm_to_round_off():
    params, x, h0, c0, dh, dc_last = _problem(3)
    h, c, cache = variant_forward(x, h0, c0, params, "full")
    h_ref, c_ref, cache_ref = lstm.lstm_forward(x, h0, c0, params)
    # not bit for bit: lstm.py computes the sigmoid through tanh, we through activations.sigmoid
    np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c, c_ref, rtol=1e-12, atol=1e-14)
    got = variant_backward(dh, cache, dc_last)
    want = lstm.lstm_backward(dh, cache_ref, dc_last)
    for a, b in zip(got[:3], want[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    for field in dataclasses.fields(lstm.LSTMParams):
        np.testing.assert_allclose(getattr(got[3], field.name), getattr(want[3], field.name),
                                   rtol=1e-12, atol=1e-14, err_msg=field.name)
    h_step, c_step, _ = variant_step_forward(x[:, 0], h0, c0, params, "full")
    h_ref, c_ref, step_cache = lstm.lstm_step_forward(x[:, 0], h0, c0, params)
    np.testing.assert_allclose(h_step, h_ref, rtol=1e-12, atol=1e-14)
    _, _, cache = variant_step_forward(x[:, 0], h0, c0, params, "full")
    for a, b in zip(variant_step_backward(dh[:, 0], dc_last, cache)[:3],
                    lstm.lstm_step_backward(dh[:, 0], dc_last, step_cache)[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_zero_peepholes_are_the_standard_cell():
    params, x, h0, c0, _, _ = _problem(13)
    h, c, _ = variant_forward(x, h0, c0, add_peepholes(params), "peepholes")
    h_ref, c_ref, _ = variant_forward(x, h0, c0, params, "full")
    np.testing.assert_array_equal(h, h_ref)
    np.testing.assert_array_equal(c, c_ref)


def test_full_loss_fn_is_model_make_loss_fn():
    rng = np.random.default_rng(4)
    params = model.init_sequence_model("lstm", D, H, 4, rng)
    x = rng.normal(size=(N, T, D))
    y = rng.integers(0, 4, size=N)
    value, grads, acc = make_variant_loss_fn("full")(params, x, y)
    value_ref, grads_ref, acc_ref = model.make_loss_fn()(params, x, y)
    assert abs(value - value_ref) < 1e-12 and acc == acc_ref
    np.testing.assert_allclose(grads.W_out, grads_ref.W_out, rtol=1e-10)
    np.testing.assert_allclose(grads.cell.W_hf, grads_ref.cell.W_hf, rtol=1e-10, atol=1e-15)


def test_each_switch_does_what_it_says():
    params, x, h0, c0, _, _ = _problem(5)
    _, _, full = variant_forward(x, h0, c0, params, "full")
    _, c_sig, sig = variant_forward(x, h0, c0, params, "sigmoid_candidate")
    assert np.all((sig.g > 0) & (sig.g < 1)), "a sigmoid candidate lies in (0, 1)"
    assert np.any(full.g < 0), "a tanh candidate takes both signs"
    assert np.all(variant_forward(x, h0, c0, params, "no_input_gate")[2].i == 1.0)
    assert np.all(variant_forward(x, h0, c0, params, "no_forget_gate")[2].f == 1.0)
    assert np.all(variant_forward(x, h0, c0, params, "no_output_gate")[2].o == 1.0)
    cifg = variant_forward(x, h0, c0, params, "cifg")[2]
    np.testing.assert_array_equal(cifg.f, 1.0 - cifg.i)
    niaf = variant_forward(x, h0, c0, params, "no_input_activation")[2]
    a_g = x[:, 0] @ params.W_xg + h0 @ params.W_hg + params.b_g
    np.testing.assert_allclose(niaf.g[0], a_g, rtol=1e-13)
    h_not, c_not, cache = variant_forward(x, h0, c0, params, "no_output_tanh")
    np.testing.assert_allclose(h_not, cache.o.transpose(1, 0, 2) * c_not)


def test_peepholes_feed_the_right_cell_state_into_each_gate():
    """p_i and p_f read c_{t-1}; p_o reads the new c_t (Gers & Schmidhuber 2000)."""
    params, x, h0, c0, _, _ = _problem(14)
    H_ = params.H
    peep = add_peepholes(params, np.full(H_, 0.7), np.full(H_, -0.4), np.full(H_, 0.9))
    _, _, cache = variant_step_forward(x[:, 0], h0, c0, peep, "peepholes")
    a = {k: x[:, 0] @ getattr(params, f"W_x{k}") + h0 @ getattr(params, f"W_h{k}") + getattr(params, f"b_{k}")
         for k in "ifgo"}
    s = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    np.testing.assert_allclose(cache.i, s(a["i"] + 0.7 * c0), rtol=1e-13)
    np.testing.assert_allclose(cache.f, s(a["f"] - 0.4 * c0), rtol=1e-13)
    np.testing.assert_allclose(cache.o, s(a["o"] + 0.9 * cache.c), rtol=1e-13)


def test_sigmoid_candidate_can_only_add():
    """With c0 = 0 and a candidate in (0, 1), the cell never goes negative."""
    rng = np.random.default_rng(6)
    params = lstm.init_lstm_params(D, H, rng)
    _, c, _ = variant_forward(rng.normal(size=(8, 20, D)), None, None, params, "sigmoid_candidate")
    assert c.min() > 0
    _, c_full, _ = variant_forward(rng.normal(size=(8, 20, D)), None, None, params, "full")
    assert c_full.min() < 0


@pytest.mark.parametrize("variant, unused", [("no_input_gate", "i"), ("no_forget_gate", "f"),
                                             ("no_output_gate", "o"), ("cifg", "f")])
def test_removed_gate_gets_no_gradient(variant, unused):
    params, x, h0, c0, dh, dc_last = _problem(7)
    _, _, cache = variant_forward(x, h0, c0, params, variant)
    dparams = variant_backward(dh, cache, dc_last)[3]
    for name in (f"W_x{unused}", f"W_h{unused}", f"b_{unused}"):
        assert not np.any(getattr(dparams, name)), name
    others = [k for k in "ifgo" if k != unused]
    assert all(np.any(getattr(dparams, f"W_h{k}")) for k in others)


def test_parameter_counts():
    per_layer = D * H + H * H + H
    assert count_variant_params("full", D, H) == 4 * per_layer
    assert count_variant_params("peepholes", D, H) == 4 * per_layer + 3 * H
    for v in ("cifg", "no_input_gate", "no_forget_gate", "no_output_gate"):
        assert count_variant_params(v, D, H) == 3 * per_layer, v
    assert count_variant_params("no_output_tanh", D, H) == 4 * per_layer


def test_greff_names_map_to_variants():
    assert set(GREFF_NAMES.values()) <= set(VARIANTS)
    assert GREFF_NAMES["V"] == "peepholes" and GREFF_NAMES["NP"] == "full"
    with pytest.raises(ValueError, match="Greff et al.'s 'NFG' is our 'no_forget_gate'"):
        variant_flags("NFG")


def test_variants_train_with_train_train():
    for variant in VARIANTS:
        params = model.init_sequence_model("lstm", 13, 8, 8, np.random.default_rng(8))
        if variant == "peepholes":
            params = _PeepholeModel(add_peepholes(params.cell), params.W_out, params.b_out)
        _, history = train.train(params, make_variant_loss_fn(variant),
                                 lambda r: tasks.delayed_recall(16, gap=2, rng=r), 5,
                                 optim.Adam(1e-2), np.random.default_rng(0), clip_norm=1.0,
                                 progress=False)
        assert len(history) == 5 and all(np.isfinite(history.loss))


# ---------------------------------------------------------------------------------------
# Bad input

@pytest.mark.parametrize("bad", ["ful", "NFG", "", None, 3])
def test_unknown_variant_lists_the_valid_ones(bad):
    params, x, h0, c0, _, _ = _problem()
    for call in (lambda: variant_forward(x, h0, c0, params, bad), lambda: make_variant_loss_fn(bad),
                 lambda: variant_flags(bad)):
        with pytest.raises(ValueError, match="unknown LSTM variant") as err:
            call()
        for name in VARIANTS:
            assert repr(name) in str(err.value)


def test_bad_shapes_and_types_are_named():
    params, x, h0, c0, dh, _ = _problem()
    with pytest.raises(ValueError, match=r"x of shape \(N, T, D\)"):
        variant_forward(x[0], h0, c0, params, "full")
    with pytest.raises(ValueError, match=r"h0 of shape \(N, H\)"):
        variant_forward(x, h0[:, :2], c0, params, "full")
    with pytest.raises(TypeError, match="params"):
        variant_forward(x, h0, c0, {"W": 1}, "full")
    with pytest.raises(TypeError, match="add_peepholes"):
        variant_forward(x, h0, c0, params, "peepholes")
    with pytest.raises(TypeError, match="no peepholes: pass params.cell"):
        variant_forward(x, h0, c0, add_peepholes(params), "cifg")
    with pytest.raises(ValueError, match=r"p_o of shape \(H,\)"):
        add_peepholes(params, p_o=np.zeros(2))
    _, _, cache = variant_forward(x, h0, c0, params, "full")
    with pytest.raises(ValueError, match=r"dh of shape \(N, T, H\)"):
        variant_backward(dh[:, :2], cache)
    with pytest.raises(TypeError, match="cache"):
        variant_backward(dh, lstm.lstm_forward(x, h0, c0, params)[2])
    with pytest.raises(TypeError, match="cache"):
        variant_step_backward(dh[:, 0], None, cache)
    with pytest.raises(ValueError, match="loss must be"):
        make_variant_loss_fn("full", loss="hinge")
    rnn_model = model.init_sequence_model("rnn", D, H, 4, np.random.default_rng(0))
    with pytest.raises(ValueError, match="LSTM cell"):
        make_variant_loss_fn("full")(rnn_model, x, np.zeros(N, dtype=int))
    with pytest.raises(TypeError, match="a cell and a read-out"):
        make_variant_loss_fn("full")(params, x, np.zeros(N, dtype=int))


# ---------------------------------------------------------------------------------------
# The claims of lessons 05 and 07, over several seeds (slow: about a minute each; run with
# `pytest -m slow tests/test_variants.py`). Each lesson shows one seed and asserts only what
# holds in all of these.

def _adding_experiment(seed, steps=600):
    """Lesson 05's comparison: the same init and data for three cells on the adding problem."""
    params0 = model.init_sequence_model("lstm", 2, 16, 1, np.random.default_rng(seed))
    final, first = {}, {}
    for variant in ("full", "sigmoid_candidate", "no_input_gate"):
        _, history = train.train(params0, make_variant_loss_fn(variant, loss="mse"),
                                 lambda rng: tasks.adding_problem(32, 20, rng), steps,
                                 optim.Adam(lr=0.01), np.random.default_rng(1000 + seed),
                                 clip_norm=1.0, progress=False)
        final[variant] = float(np.mean(history.loss[-50:]))
        first[variant] = history.first_step(loss=0.01)
    return final, first


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(8))
def test_lesson05_both_tanh_and_input_gate_are_needed_on_the_adding_problem(seed):
    final, first = _adding_experiment(seed)
    assert final["full"] < 0.01 and first["full"] is not None
    for variant in ("sigmoid_candidate", "no_input_gate"):
        assert final[variant] > 2 * final["full"], (variant, final)
        assert first[variant] is None or first[variant] > first["full"], (variant, first)


def _output_tanh_experiment(seed, gap=20, steps=300):
    """Lesson 07's comparison: train at one gap, test at 1, 2, 4 and 8 times that gap."""
    from lstm_course.losses import accuracy

    params0 = model.init_sequence_model("lstm", 13, 16, 8, np.random.default_rng(seed), forget_bias=3.0)
    out = {}
    for variant in ("full", "no_output_tanh"):
        params, history = train.train(params0, make_variant_loss_fn(variant),
                                      lambda rng: tasks.delayed_recall(32, gap=gap, rng=rng), steps,
                                      optim.Adam(lr=0.01), np.random.default_rng(100 + seed),
                                      clip_norm=1.0, progress=False)
        acc, h_max = [], []
        for k in (1, 2, 4, 8):
            x, y = tasks.delayed_recall(200, gap=k * gap, rng=np.random.default_rng(7))
            h, _, _ = variant_forward(x, None, None, params.cell, variant)
            acc.append(accuracy(h[:, -1] @ params.W_out + params.b_out, y))
            h_max.append(float(np.abs(h).max()))
        out[variant] = dict(first=history.first_step(accuracy=0.95), acc=acc, h_max=h_max)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(7))
def test_lesson07_without_output_tanh_h_grows_and_longer_gaps_fail(seed):
    gap = 20
    out = _output_tanh_experiment(seed, gap)
    full, raw = out["full"], out["no_output_tanh"]
    assert full["first"] is not None and raw["first"] is not None
    assert raw["first"] <= full["first"]
    assert max(full["h_max"]) < 1.0
    assert all(m > k * gap / 2 for m, k in zip(raw["h_max"], (1, 2, 4, 8)))
    assert full["acc"][1] > raw["acc"][1], out
