"""Tests for lstm_course.optim: golden steps, clipping, and no mutation or aliasing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from lstm_course.optim import SGD, Adam, clip_grad_norm
from lstm_course.tree import tree_global_norm, tree_leaves


@dataclass(frozen=True)
class Params:
    W: np.ndarray
    b: np.ndarray


def make(dtype=np.float64):
    params = Params(W=np.array([[1.0, -2.0], [0.5, 0.0]], dtype=dtype),
                    b=np.array([3.0, -1.0], dtype=dtype))
    grads = Params(W=np.array([[0.1, -0.2], [4.0, 0.0]], dtype=dtype),
                   b=np.array([-1e-3, 2.0], dtype=dtype))
    return params, grads


def snapshot(tree):
    return [leaf.copy() for leaf in tree_leaves(tree)]


def assert_unchanged(tree, before):
    for leaf, old in zip(tree_leaves(tree), before):
        np.testing.assert_array_equal(leaf, old)


def assert_no_aliasing(out, *inputs):
    for leaf in tree_leaves(out):
        for tree in inputs:
            for other in tree_leaves(tree):
                assert not np.shares_memory(leaf, other)


# ---- clip_grad_norm ----------------------------------------------------------------------


def test_clip_leaves_small_gradients_unchanged_but_copied():
    grads = {"a": np.array([3.0, 4.0])}  # norm 5
    clipped, norm = clip_grad_norm(grads, max_norm=5.0)
    assert norm == 5.0
    np.testing.assert_array_equal(clipped["a"], [3.0, 4.0])
    assert_no_aliasing(clipped, grads)


def test_clip_scales_big_gradients_to_exactly_max_norm():
    grads = {"a": np.array([3.0, 4.0]), "b": np.array([[12.0]])}  # norm 13
    before = snapshot(grads)
    clipped, norm = clip_grad_norm(grads, max_norm=1.3)
    assert norm == 13.0
    np.testing.assert_allclose(clipped["a"], [0.3, 0.4], rtol=1e-15)
    np.testing.assert_allclose(clipped["b"], [[1.2]], rtol=1e-15)
    assert tree_global_norm(clipped) == pytest.approx(1.3, rel=1e-15)
    assert_unchanged(grads, before)
    assert_no_aliasing(clipped, grads)


def test_clip_keeps_float32():
    _, grads = make(np.float32)
    clipped, _ = clip_grad_norm(grads, 0.1)
    assert all(leaf.dtype == np.float32 for leaf in tree_leaves(clipped))
    assert tree_global_norm(clipped) == pytest.approx(0.1, rel=1e-6)


def test_clip_bad_inputs():
    with pytest.raises(ValueError, match=r"max_norm must be a finite number > 0, got 0.0"):
        clip_grad_norm({"a": np.ones(2)}, 0.0)
    with pytest.raises(ValueError, match=r"NaN or inf \(in \['b'\]\)"):
        clip_grad_norm({"a": np.ones(2), "b": np.array([np.nan])}, 1.0)


# ---- SGD ---------------------------------------------------------------------------------


def test_sgd_plain_step_golden():
    params, grads = make()
    new = SGD(lr=0.5).step(params, grads)
    assert isinstance(new, Params)
    np.testing.assert_allclose(new.W, [[0.95, -1.9], [-1.5, 0.0]], rtol=1e-15)
    np.testing.assert_allclose(new.b, [3.0005, -2.0], rtol=1e-15)


def test_sgd_momentum_golden_values():
    # g = 1 each step, momentum 0.9, lr 0.1: v = 1, 1.9, 2.71; p = 1 - 0.1, - 0.19, - 0.271
    opt = SGD(lr=0.1, momentum=0.9)
    p = {"w": np.array([1.0])}
    expected = [0.9, 0.71, 0.439]
    for target in expected:
        p = opt.step(p, {"w": np.array([1.0])})
        assert p["w"][0] == pytest.approx(target, rel=1e-14)
    np.testing.assert_allclose(opt.velocity["w"], [2.71], rtol=1e-14)


@pytest.mark.parametrize("opt_factory", [lambda: SGD(0.1), lambda: SGD(0.1, momentum=0.9),
                                         lambda: Adam(0.01)], ids=["sgd", "momentum", "adam"])
def test_step_never_mutates_or_aliases(opt_factory):
    params, grads = make()
    p_before, g_before = snapshot(params), snapshot(grads)
    opt = opt_factory()
    new = opt.step(params, grads)
    new2 = opt.step(new, grads)
    assert_unchanged(params, p_before)
    assert_unchanged(grads, g_before)
    assert_no_aliasing(new, params, grads)
    assert_no_aliasing(new2, new, grads)
    # the optimizer's state must not be handed out either, or the caller could corrupt it
    state = [s for s in (getattr(opt, "velocity", None), getattr(opt, "m", None),
                         getattr(opt, "v", None)) if s is not None]
    assert_no_aliasing(new2, *state)


@pytest.mark.parametrize("opt", [SGD(0.1, momentum=0.5), Adam(0.01)], ids=["sgd", "adam"])
def test_step_keeps_float32(opt):
    params, grads = make(np.float32)
    new = opt.step(params, grads)
    assert all(leaf.dtype == np.float32 for leaf in tree_leaves(new))


# ---- Adam --------------------------------------------------------------------------------


def test_adam_first_step_is_lr_times_sign():
    # bias correction makes m_hat = g and v_hat = g**2, so the step is lr * g / (|g| + eps)
    params, grads = make()
    lr, eps = 0.01, 1e-8
    new = Adam(lr=lr, eps=eps).step(params, grads)
    for p, g, q in zip(tree_leaves(params), tree_leaves(grads), tree_leaves(new)):
        np.testing.assert_allclose(q, p - lr * g / (np.abs(g) + eps), rtol=1e-15, atol=1e-18)
        # whatever the gradient's size (1e-3 or 4), the move is lr * sign(g) to within lr * 1e-5
        np.testing.assert_allclose(q, p - lr * np.sign(g), rtol=0, atol=lr * 1e-5)


def test_adam_second_step_golden():
    # g1 = 1, g2 = -1, beta1 = 0.5, beta2 = 0.75, lr = 1, eps = 0:
    # m = 0.5*0.5 + 0.5*(-1) = -0.25, m_hat = -0.25 / (1 - 0.25) = -1/3
    # v = 0.75*0.25 + 0.25*1 = 0.4375, v_hat = 0.4375 / (1 - 0.5625) = 1
    # p2 = p1 - (-1/3) / 1 = (0 - 1) + 1/3
    opt = Adam(lr=1.0, beta1=0.5, beta2=0.75, eps=1e-300)
    p = opt.step({"w": np.array([0.0])}, {"w": np.array([1.0])})
    assert p["w"][0] == pytest.approx(-1.0, rel=1e-14)
    p = opt.step(p, {"w": np.array([-1.0])})
    assert p["w"][0] == pytest.approx(-2 / 3, rel=1e-14)
    assert opt.t == 2


def test_adam_minimises_a_quadratic():
    # sanity: 300 Adam steps bring a badly scaled quadratic close to its minimum at 0
    scales = np.array([100.0, 1.0, 0.01])
    opt, p = Adam(lr=0.05), {"w": np.array([1.0, -1.0, 1.0])}
    for _ in range(300):
        p = opt.step(p, {"w": scales * p["w"]})
    assert np.all(np.abs(p["w"]) < 0.1)


# ---- errors ------------------------------------------------------------------------------


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match=r"lr must be a finite number > 0, got -0.1"):
        SGD(lr=-0.1)
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\), got 1.0"):
        SGD(lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match=r"beta2 must be a number in \[0, 1\), got 1.5"):
        Adam(beta2=1.5)
    with pytest.raises(ValueError, match=r"eps must be a finite number > 0"):
        Adam(eps=0.0)


@pytest.mark.parametrize("opt", [SGD(0.1), SGD(0.1, momentum=0.9), Adam()],
                         ids=["sgd", "momentum", "adam"])
def test_bad_grads(opt):
    params, grads = make()
    with pytest.raises(ValueError, match=r"grads\.W of shape \(2, 2\) like params\.W, got \(4,\)"):
        opt.step(params, Params(W=np.zeros(4), b=grads.b))
    with pytest.raises(ValueError, match=r"grads\.b contains NaN or inf"):
        opt.step(params, Params(W=grads.W, b=np.array([np.nan, 0.0])))
    with pytest.raises(ValueError, match="leaves of params"):
        opt.step(params, {"W": grads.W, "b": grads.b, "c": grads.b})


def test_state_is_tied_to_the_first_params():
    opt = Adam()
    opt.step({"w": np.zeros(2)}, {"w": np.ones(2)})
    with pytest.raises(ValueError, match="use a new optimizer"):
        opt.step({"w": np.zeros(3)}, {"w": np.ones(3)})
