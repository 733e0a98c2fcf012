"""The sequence model (cell + linear read-out): gradients, shapes, bad input."""

import dataclasses

import numpy as np
import pytest

from lstm_course import losses
from lstm_course.gradcheck import check_param_gradients
from lstm_course.model import (SequenceModelParams, init_sequence_model, make_loss_fn, model_backward,
                               model_forward)
from lstm_course.tree import tree_leaves, tree_map

N, T, D, H, K = 3, 4, 2, 5, 3


def nonzero_model(kind, rng):
    """Random weights with every bias non-zero (a zero bias can hide a dropped-bias bug)."""
    params = init_sequence_model(kind, D, H, K, rng)
    return tree_map(lambda a: rng.normal(scale=0.5, size=a.shape), params)


@pytest.mark.parametrize("kind", ["lstm", "rnn"])
@pytest.mark.parametrize("loss,readout", [("cross_entropy", "last"), ("mse", "last"),
                                          ("cross_entropy", "all"), ("mse", "all")])
def test_gradients_match_finite_differences(kind, loss, readout):
    # float64 centred differences: a correct gradient lands near 1e-9 relative error, a wrong
    # formula near 1e-1; 1e-7 separates the two with room on both sides.
    rng = np.random.default_rng(0)
    params = nonzero_model(kind, rng)
    x = rng.normal(size=(N, T, D))
    if loss == "cross_entropy":
        y = rng.integers(0, K, size=(N,) if readout == "last" else (N, T))
    else:
        y = rng.normal(size=(N, K) if readout == "last" else (N, T, K))
    loss_fn = make_loss_fn(loss, readout)
    value, grads, acc = loss_fn(params, x, y)
    assert (acc is None) == (loss == "mse")
    errors = check_param_gradients(lambda p: loss_fn(p, x, y)[0], params, grads, tol=1e-7)
    assert len(errors) == len(tree_leaves(params)) and max(errors.values()) < 1e-7


def test_output_shapes_and_last_readout_uses_the_last_state():
    rng = np.random.default_rng(1)
    params = nonzero_model("lstm", rng)
    x = rng.normal(size=(N, T, D))
    y_last, cache = model_forward(params, x, "last")
    y_all, _ = model_forward(params, x, "all")
    assert y_last.shape == (N, K) and y_all.shape == (N, T, K)
    np.testing.assert_allclose(y_last, y_all[:, -1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(y_last, cache.h[:, -1] @ params.W_out + params.b_out, atol=1e-15)


def test_gradients_are_new_arrays_and_inputs_unchanged():
    rng = np.random.default_rng(2)
    params = nonzero_model("rnn", rng)
    before = [a.copy() for a in tree_leaves(params)]
    x = rng.normal(size=(N, T, D))
    x_before = x.copy()
    _, grads, _ = make_loss_fn("cross_entropy")(params, x, np.zeros(N, dtype=int))
    assert isinstance(grads, SequenceModelParams) and grads.kind == "rnn"
    for g in tree_leaves(grads):
        assert not any(np.shares_memory(g, p) for p in tree_leaves(params))
    for a, b in zip(tree_leaves(params), before):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(x, x_before)


def test_evaluate_matches_the_named_losses():
    rng = np.random.default_rng(3)
    out = rng.normal(size=(4, 3))
    targets = np.array([0, 2, 1, 2])
    value, dout, acc = losses.evaluate(out, targets, "cross_entropy")
    ref_value, ref_dout = losses.softmax_cross_entropy(out, targets)
    assert value == ref_value and acc == losses.accuracy(out, targets)
    np.testing.assert_array_equal(dout, ref_dout)
    assert losses.evaluate(out, out * 0, "mse")[2] is None


@pytest.mark.parametrize("call,match", [
    (lambda p, x: model_forward(p, x, "first"), "readout must be one of"),
    (lambda p, x: model_forward(p, x[0]), r"expected x of shape \(N, T, D\)"),
    (lambda p, x: model_forward(p, x[..., :1]), r"expected x of shape \(N, T, D\) = \(3, 4, 2\)"),
    (lambda p, x: model_forward({"cell": p.cell}, x), "params must be a SequenceModelParams"),
    (lambda p, x: model_backward(np.zeros((N, K + 1)), model_forward(p, x)[1]), r"expected dy of shape \(N, K\)"),
    (lambda p, x: dataclasses.replace(p, W_out=np.zeros((H + 1, K))), r"expected W_out of shape \(H, K\)"),
    (lambda p, x: dataclasses.replace(p, b_out=np.zeros(K + 1)), r"expected b_out of shape \(K,\)"),
    (lambda p, x: SequenceModelParams({"W": 1}, p.W_out, p.b_out), "cell must be an LSTMParams or an RNNParams"),
    (lambda p, x: make_loss_fn("hinge"), "loss must be one of"),
    (lambda p, x: init_sequence_model("gru", D, H, K, np.random.default_rng(0)), "kind must be 'lstm' or 'rnn'"),
])
def test_bad_input_names_what_was_expected(call, match):
    rng = np.random.default_rng(4)
    params = nonzero_model("lstm", rng)
    with pytest.raises((ValueError, TypeError), match=match):
        call(params, rng.normal(size=(N, T, D)))
