"""Corpora for the sequence-level checks: known-wrong learner programs, each rejected with ITS
hint, and correct programs written in other ways (loops, stacked weights, einsum, the package's
step functions), all passing, on the fixed cases and on fresh seeds.

The wrong programs are written here as a learner would write them, independently of the checks'
own mistake models.
"""

import dataclasses

import numpy as np
import pytest

from lstm_course import checks as C
from lstm_course.activations import sigmoid
from lstm_course.gradcheck import numerical_gradient, relative_error
from lstm_course.losses import softmax_cross_entropy
from lstm_course.lstm import (LSTMParams, lstm_backward, lstm_forward, lstm_step_backward,
                              lstm_step_forward)
from lstm_course.model import SequenceModelParams, make_loss_fn, model_backward, model_forward
from lstm_course.optim import SGD, Adam, clip_grad_norm
from lstm_course.rnn import RNNParams, RNNStepCache, rnn_backward, rnn_step_backward
from lstm_course.tree import tree_global_norm, tree_map

SEEDS = (None, 7, 2024)


@pytest.fixture(autouse=True)
def _no_expectation(monkeypatch):
    monkeypatch.delenv(C.ENV_VAR, raising=False)


def gates_of(x_t, h_prev, p):
    i = sigmoid(x_t @ p.W_xi + h_prev @ p.W_hi + p.b_i)
    f = sigmoid(x_t @ p.W_xf + h_prev @ p.W_hf + p.b_f)
    g = np.tanh(x_t @ p.W_xg + h_prev @ p.W_hg + p.b_g)
    o = sigmoid(x_t @ p.W_xo + h_prev @ p.W_ho + p.b_o)
    return i, f, g, o


# =======================================================================================
# check_lstm_forward

def fwd_loop(x, h0, c0, p, mistake=None):
    """A learner's loop; `mistake` plants one classic slip."""
    N, T, _ = x.shape
    H = h0.shape[1]
    h_prev, c_prev = (np.zeros_like(h0), np.zeros_like(c0)) if mistake == "zeros" else (h0, c0)
    hs, cs = np.zeros((N, T, H)), np.zeros((N, T, H))
    order = reversed(range(T)) if mistake == "reversed" else range(T)
    for t in order:
        i, f, g, o = gates_of(x[:, t], h_prev, p)
        c = i * c_prev + f * g if mistake == "swap_if" else f * c_prev + i * g
        h = o * c if mistake == "no_tanh" else o * np.tanh(c)
        if mistake == "store_before":
            hs[:, t], cs[:, t] = h_prev, c_prev
        else:
            hs[:, t], cs[:, t] = h, c
        if mistake == "h_not_carried":
            c_prev = c
        elif mistake == "c_not_carried":
            h_prev = h
        elif mistake == "c_as_h":
            h_prev, c_prev = c, c
        else:
            h_prev, c_prev = h, c
    if mistake == "time_major":
        return hs.transpose(1, 0, 2), cs.transpose(1, 0, 2), None
    if mistake == "float32":
        return hs.astype(np.float32), cs.astype(np.float32), None
    if mistake == "swap_out":
        return cs, hs, None
    return hs, cs, None


def forward_with(mistake):
    def forward(x, h0, c0, params):
        return fwd_loop(x, h0, c0, params, mistake)
    forward.__name__ = f"forward_{mistake}"
    return forward


_STATE = {}


def fwd_stateful(x, h0, c0, p):
    """Keeps h and c between calls: the second sequence starts where the first ended."""
    h_prev = _STATE.get("h", h0) if _STATE.get("h", h0).shape == h0.shape else h0
    c_prev = _STATE.get("c", c0) if _STATE.get("c", c0).shape == c0.shape else c0
    hs, cs = [], []
    for t in range(x.shape[1]):
        h_prev, c_prev, _ = lstm_step_forward(x[:, t], h_prev, c_prev, p)
        hs.append(h_prev)
        cs.append(c_prev)
    _STATE["h"], _STATE["c"] = h_prev, c_prev
    return np.stack(hs, axis=1), np.stack(cs, axis=1), None


def fwd_list(x, h0, c0, p):
    hs, cs, _ = lstm_forward(x, h0, c0, p)
    return [hs[:, t] for t in range(hs.shape[1])], cs, None


def fwd_batch_index(x, h0, c0, p):
    h, c, hs, cs = h0, c0, [], []
    for t in range(x.shape[1]):
        h, c, _ = lstm_step_forward(x[t], h, c, p)  # x[t] is example t, not step t
        hs.append(h)
        cs.append(c)
    return np.stack(hs, 1), np.stack(cs, 1), None


FORWARD_WRONG = [
    (forward_with("no_tanh"), "tanh to c before the output gate"),
    (forward_with("swap_if"), "swapped the input and forget gates"),
    (forward_with("h_not_carried"), "h is not carried from step to step"),
    (forward_with("c_not_carried"), "c is not carried from step to step"),
    (forward_with("c_as_h"), "hidden state confused with cell state"),
    (forward_with("zeros"), "h0 and c0 are ignored"),
    (forward_with("store_before"), "off by one in time"),
    (forward_with("reversed"), "through time backwards"),
    (forward_with("time_major"), "time-major"),
    (forward_with("float32"), "float32"),
    (forward_with("swap_out"), "outputs swapped"),
    (fwd_stateful, "keep state between calls"),
    (fwd_list, "np.stack(..., axis=1)"),
    (fwd_batch_index, "check the shapes"),
]


def fwd_package_steps(x, h0, c0, p):
    h, c, hs, cs, caches = h0, c0, [], [], []
    for t in range(x.shape[1]):
        h, c, cache = lstm_step_forward(x[:, t], h, c, p)
        hs.append(h)
        cs.append(c)
        caches.append(cache)
    return np.stack(hs, axis=1), np.stack(cs, axis=1), caches


def fwd_concatenated(x, h0, c0, p):
    """One weight matrix on [x_t, h_(t-1)], gates stacked (i, f, g, o)."""
    W = np.concatenate([np.concatenate([getattr(p, f"W_x{k}"), getattr(p, f"W_h{k}")], axis=0)
                        for k in "ifgo"], axis=1)  # (D + H, 4H)
    b = np.concatenate([getattr(p, f"b_{k}") for k in "ifgo"])
    H = h0.shape[1]
    h, c, hs, cs = h0, c0, [], []
    for t in range(x.shape[1]):
        a = np.hstack([x[:, t], h]) @ W + b
        i, f, o = (1 / (1 + np.exp(-a[:, k * H:(k + 1) * H])) for k in (0, 1, 3))
        g = np.tanh(a[:, 2 * H:3 * H])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs, axis=1), np.stack(cs, axis=1), {"W": W}


def fwd_einsum(x, h0, c0, p):
    N, T, _ = x.shape
    H = h0.shape[1]
    Wx = np.stack([getattr(p, f"W_x{k}") for k in "ifgo"])  # (4, D, H)
    Wh = np.stack([getattr(p, f"W_h{k}") for k in "ifgo"])
    b = np.stack([getattr(p, f"b_{k}") for k in "ifgo"])
    ax = np.einsum("ntd,kdh->ktnh", x, Wx) + b[:, None, None, :]  # all steps' input parts at once
    h, c = h0, c0
    hs, cs = np.empty((N, T, H)), np.empty((N, T, H))
    for t in range(T):
        a = ax[:, t] + np.einsum("nj,kjh->knh", h, Wh)
        i, f, o = sigmoid(a[0]), sigmoid(a[1]), sigmoid(a[3])
        c = f * c + i * np.tanh(a[2])
        h = o * np.tanh(c)
        hs[:, t], cs[:, t] = h, c
    return hs, cs, ()


def fwd_time_major_inside(x, h0, c0, p):
    xs = np.transpose(x, (1, 0, 2))
    h, c, hs, cs = h0, c0, [], []
    for x_t in xs:
        i, f, g, o = gates_of(x_t, h, p)
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.array(hs).transpose(1, 0, 2), np.array(cs).transpose(1, 0, 2), None


def fwd_longdouble(x, h0, c0, p):
    """In extended precision (np.longdouble): more digits than float64, so just as exact."""
    wide = lambda a: np.asarray(a, dtype=np.longdouble)  # noqa: E731
    h, c, hs, cs = wide(h0), wide(c0), [], []
    for t in range(x.shape[1]):
        x_t = wide(x[:, t])
        a = {k: x_t @ wide(getattr(p, f"W_x{k}")) + h @ wide(getattr(p, f"W_h{k}")) + wide(getattr(p, f"b_{k}"))
             for k in "ifgo"}
        i, f, o = (1 / (1 + np.exp(-a[k])) for k in "ifo")
        c = f * c + i * np.tanh(a["g"])
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs, axis=1), np.stack(cs, axis=1), None


FORWARD_RIGHT = [lstm_forward, fwd_package_steps, fwd_concatenated, fwd_einsum, fwd_time_major_inside,
                 lambda x, h0, c0, p: fwd_loop(x, h0, c0, p), fwd_longdouble]


@pytest.mark.parametrize("fn, hint", FORWARD_WRONG, ids=[f.__name__ for f, _ in FORWARD_WRONG])
def test_wrong_forward_gets_its_hint(fn, hint):
    _STATE.clear()
    result = C.check_lstm_forward(fn)
    assert not result.passed and hint in result.message, result.message


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fn", FORWARD_RIGHT, ids=lambda f: f.__name__)
def test_right_forward_passes(fn, seed):
    result = C.check_lstm_forward(fn, seed=seed)
    assert result.passed, result.message


# =======================================================================================
# check_lstm_backward: a right forward that keeps the step caches, and backward programs

def fwd_caches(x, h0, c0, p):
    return fwd_package_steps(x, h0, c0, p)


def my_step_backward(dh, dc, cache, mistake=None, h_for_dW=None):
    """A hand-written step backward, with one planted slip if asked."""
    x, h_prev, c_prev, p = cache.x, cache.h_prev, cache.c_prev, cache.params
    i, f, g, o, tanh_c = cache.i, cache.f, cache.g, cache.o, cache.tanh_c
    dc_total = dc if mistake == "no_tanh_path" else dc + dh * o * (1 - tanh_c ** 2)

    def dsig(s, k):
        if mistake == "sig_pre":
            a = x @ getattr(p, f"W_x{k}") + h_prev @ getattr(p, f"W_h{k}") + getattr(p, f"b_{k}")
            return a * (1 - a)
        if mistake == "one_plus":
            return s * (1 + s)
        return s * (1 - s)

    da = {"i": dc_total * g * dsig(i, "i"), "f": dc_total * c_prev * dsig(f, "f"),
          "g": dc_total * i * ((1 - g) if mistake == "one_minus_g" else (1 - g ** 2)),
          "o": dh * tanh_c * dsig(o, "o")}
    h_for_dW = h_prev if h_for_dW is None else h_for_dW
    grads = {}
    for k in "ifgo":
        grads[f"W_x{k}"] = x.T @ da[k]
        grads[f"W_h{k}"] = h_for_dW.T @ da[k]
        grads[f"b_{k}"] = da[k].sum(axis=0)
    dx = sum(da[k] @ getattr(p, f"W_x{k}").T for k in "ifgo")
    dh_prev = sum(da[k] @ getattr(p, f"W_h{k}").T for k in "ifgo")
    return dx, dh_prev, dc_total * f, LSTMParams(**grads)


def bwd_with(mistake):
    def backward(dh, caches, dc_last=None):
        N, T, H = dh.shape
        p = caches[0].params
        dx = np.zeros((N, T, p.D))
        total = {name: 0.0 for name in (fl.name for fl in dataclasses.fields(LSTMParams))}
        dh_next = np.zeros((N, H))
        dc_next = np.zeros((N, H)) if (dc_last is None or mistake == "ignore_dc_last") else dc_last
        for t in reversed(range(T)):
            dh_t = dh[:, t] if mistake == "no_dh_next" else dh[:, t] + dh_next
            h_t = caches[t].o * caches[t].tanh_c
            step = my_step_backward(dh_t, dc_next, caches[t], mistake,
                                    h_for_dW=h_t if mistake == "off_by_one" else None)
            dx[:, t], dh_next, dc_prev, grads = step
            dc_next = np.zeros((N, H)) if mistake == "no_dc_next" else dc_prev
            for name in total:
                if mistake == "assign":
                    total[name] = getattr(grads, name)  # = instead of +=
                else:
                    total[name] = total[name] + getattr(grads, name)
        dh0 = np.zeros((N, H)) if mistake == "no_dh0" else dh_next
        dc0 = np.zeros((N, H)) if mistake == "no_dc0" else dc_next
        return dx, dh0, dc0, LSTMParams(**total)
    backward.__name__ = f"backward_{mistake}"
    return backward


def bwd_two_arguments(dh, caches):
    return bwd_with(None)(dh, caches)


def fwd_wrong_c(x, h0, c0, p):
    h, c, caches = fwd_package_steps(x, h0, c0, p)
    return h, np.tanh(c), caches


BACKWARD_WRONG = [
    (fwd_caches, bwd_with("no_tanh_path"), "dc was overwritten instead of accumulated"),
    (fwd_caches, bwd_with("sig_pre"), "taken at the pre-activation"),
    (fwd_caches, bwd_with("one_plus"), "s * (1 - s), not s * (1 + s)"),
    (fwd_caches, bwd_with("one_minus_g"), "1 - g**2: the square is missing"),
    (fwd_caches, bwd_with("no_dh_next"), "dh_next is not carried back"),
    (fwd_caches, bwd_with("no_dc_next"), "dc_next is not carried back"),
    (fwd_caches, bwd_with("assign"), "from one step only"),
    (fwd_caches, bwd_with("ignore_dc_last"), "dc_last is ignored"),
    (fwd_caches, bwd_with("no_dh0"), "dh0 is missing"),
    (fwd_caches, bwd_with("no_dc0"), "dc0 is missing"),
    (fwd_caches, bwd_with("off_by_one"), "off by one in time"),
    (fwd_caches, bwd_two_arguments, "must accept a third argument"),
    (fwd_wrong_c, bwd_with(None), "your forward pass is wrong"),
]


def bwd_package_steps(dh, caches, dc_last=None):
    N, T, H = dh.shape
    dx = np.zeros((N, T, caches[0].x.shape[1]))
    dh_next = np.zeros((N, H))
    dc_next = np.zeros((N, H)) if dc_last is None else dc_last
    total = None
    for t in reversed(range(T)):
        dx[:, t], dh_next, dc_next, grads = lstm_step_backward(dh[:, t] + dh_next, dc_next, caches[t])
        total = grads if total is None else tree_map(np.add, total, grads)
    return dx, dh_next, dc_next, total


def fwd_stacked(x, h0, c0, p):
    """Stacked weights (i, f, g, o); the cache is a plain dict of time-major arrays."""
    Wx = np.concatenate([getattr(p, f"W_x{k}") for k in "ifgo"], axis=1)
    Wh = np.concatenate([getattr(p, f"W_h{k}") for k in "ifgo"], axis=1)
    b = np.concatenate([getattr(p, f"b_{k}") for k in "ifgo"])
    N, T, _ = x.shape
    H = h0.shape[1]
    h, c = h0, c0
    cache = {"x": x, "hp": [], "cp": [], "gates": [], "tc": [], "Wx": Wx, "Wh": Wh, "H": H}
    hs, cs = np.empty((N, T, H)), np.empty((N, T, H))
    for t in range(T):
        a = x[:, t] @ Wx + h @ Wh + b
        gates = np.concatenate([sigmoid(a[:, :2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])], 1)
        cache["hp"].append(h)
        cache["cp"].append(c)
        c = gates[:, H:2 * H] * c + gates[:, :H] * gates[:, 2 * H:3 * H]
        h = gates[:, 3 * H:] * np.tanh(c)
        cache["gates"].append(gates)
        cache["tc"].append(np.tanh(c))
        hs[:, t], cs[:, t] = h, c
    return hs, cs, cache


def bwd_stacked(dh, cache, dc_last=None):
    x, Wx, Wh, H = cache["x"], cache["Wx"], cache["Wh"], cache["H"]
    N, T, D = x.shape
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(4 * H)
    dx = np.zeros_like(x)
    dh_next = np.zeros((N, H))
    dc = np.zeros((N, H)) if dc_last is None else dc_last.copy()
    for t in range(T - 1, -1, -1):
        gates, tc = cache["gates"][t], cache["tc"][t]
        i, f, g, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
        dh_t = dh[:, t] + dh_next
        dc = dc + dh_t * o * (1 - tc * tc)
        da = np.concatenate([dc * g * i * (1 - i), dc * cache["cp"][t] * f * (1 - f),
                             dc * i * (1 - g * g), dh_t * tc * o * (1 - o)], axis=1)
        dx[:, t] = da @ Wx.T
        dh_next = da @ Wh.T
        dWx += x[:, t].T @ da
        dWh += cache["hp"][t].T @ da
        db += da.sum(axis=0)
        dc = dc * f
    split = {}
    for n, k in enumerate("ifgo"):
        cols = slice(n * H, (n + 1) * H)
        split.update({f"W_x{k}": dWx[:, cols], f"W_h{k}": dWh[:, cols], f"b_{k}": db[cols]})
    return dx, dh_next, dc, split  # a dict of fields is accepted too


def bwd_einsum(dh, caches, dc_last=None):
    N, T, H = dh.shape
    T_caches = caches
    da_all = []
    dh_next, dc = np.zeros((N, H)), (np.zeros((N, H)) if dc_last is None else dc_last)
    dxs = []
    p = T_caches[0].params
    for t in reversed(range(T)):
        cch = T_caches[t]
        dh_t = dh[:, t] + dh_next
        dc = dc + dh_t * cch.o * (1 - cch.tanh_c ** 2)
        da = {"i": dc * cch.g * cch.i * (1 - cch.i), "f": dc * cch.c_prev * cch.f * (1 - cch.f),
              "g": dc * cch.i * (1 - cch.g ** 2), "o": dh_t * cch.tanh_c * cch.o * (1 - cch.o)}
        da_all.append((t, da))
        dxs.append(sum(np.einsum("nh,dh->nd", da[k], getattr(p, f"W_x{k}")) for k in "ifgo"))
        dh_next = sum(np.einsum("nh,jh->nj", da[k], getattr(p, f"W_h{k}")) for k in "ifgo")
        dc = dc * cch.f
    grads = {}
    for k in "ifgo":
        grads[f"W_x{k}"] = sum(np.einsum("nd,nh->dh", T_caches[t].x, da[k]) for t, da in da_all)
        grads[f"W_h{k}"] = sum(np.einsum("nj,nh->jh", T_caches[t].h_prev, da[k]) for t, da in da_all)
        grads[f"b_{k}"] = sum(da[k].sum(0) for _, da in da_all)
    return np.stack(dxs[::-1], axis=1), dh_next, dc, LSTMParams(**grads)


BACKWARD_RIGHT = [
    (lstm_forward, lstm_backward),
    (fwd_caches, bwd_package_steps),
    (fwd_caches, bwd_with(None)),
    (fwd_stacked, bwd_stacked),
    (fwd_caches, bwd_einsum),
]


@pytest.mark.parametrize("forward, backward, hint", BACKWARD_WRONG,
                         ids=[b.__name__ + ("_" + f.__name__ if f is not fwd_caches else "")
                              for f, b, _ in BACKWARD_WRONG])
def test_wrong_backward_gets_its_hint(forward, backward, hint):
    result = C.check_lstm_backward(forward, backward)
    assert not result.passed and hint in result.message, result.message


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("forward, backward", BACKWARD_RIGHT,
                         ids=[b.__name__ for _, b in BACKWARD_RIGHT])
def test_right_backward_passes(forward, backward, seed):
    result = C.check_lstm_backward(forward, backward, seed=seed)
    assert result.passed, result.message


def test_the_backward_hints_are_all_different():
    hints = [h for _, _, h in BACKWARD_WRONG]
    assert len(set(hints)) == len(hints)


# =======================================================================================
# check_rnn_backward (lesson 02)

def rnn_bwd(dh, cache, mistake=None):
    T, N, D = cache.x.shape
    p = cache.params
    H = p.H
    dx = np.zeros((N, T, D))
    dW_xh, dW_hh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        dh_t = dh[:, t] if mistake == "no_carry" else dh[:, t] + dh_next
        h = cache.h[t]
        da = dh_t * {"no_deriv": 1.0, "one_minus_h": 1 - h}.get(mistake, 1 - h ** 2)
        h_for_dW = h if mistake == "off_by_one" else cache.h_prev[t]
        if mistake == "assign":
            dW_xh, dW_hh, db = cache.x[t].T @ da, h_for_dW.T @ da, da.sum(0)
        else:
            dW_xh += cache.x[t].T @ da
            dW_hh += h_for_dW.T @ da
            db += da.sum(0)
        dx[:, t] = da @ p.W_xh.T
        dh_next = da @ (p.W_hh if mistake == "no_transpose" else p.W_hh.T)
    dh0 = np.zeros((N, H)) if mistake == "no_dh0" else dh_next
    return dx, dh0, RNNParams(dW_xh, dW_hh, db)


def rnn_with(mistake):
    def backward(dh, cache):
        return rnn_bwd(dh, cache, mistake)
    backward.__name__ = f"rnn_backward_{mistake}"
    return backward


RNN_WRONG = [
    (rnn_with("no_carry"), "dh_next is not carried back"),
    (rnn_with("no_deriv"), "missing tanh's derivative"),
    (rnn_with("one_minus_h"), "the square is missing"),
    (rnn_with("off_by_one"), "off by one in time"),
    (rnn_with("assign"), "from one step only"),
    (rnn_with("no_dh0"), "dh0 is missing"),
    (rnn_with("no_transpose"), "without the transpose"),
    (lambda dh, cache: rnn_bwd(dh, cache)[::-1][1:][::-1] + (None,), "dparams is None"),
]


def rnn_steps(dh, cache):
    T = cache.x.shape[0]
    dh_next, total, dxs = np.zeros_like(cache.h[0]), None, []
    for t in reversed(range(T)):
        step = RNNStepCache(cache.x[t], cache.h_prev[t], cache.h[t], cache.params)
        dx, dh_next, grads = rnn_step_backward(dh[:, t] + dh_next, step)
        dxs.append(dx)
        total = grads if total is None else tree_map(np.add, total, grads)
    return np.stack(dxs[::-1], axis=1), dh_next, total


def rnn_all_at_end(dh, cache):
    """Loop only for the recurrence; the weight gradients in one product over all steps."""
    T, N, D = cache.x.shape
    p = cache.params
    das = np.zeros_like(cache.h)
    dh_next = np.zeros((N, p.H))
    for t in range(T - 1, -1, -1):
        das[t] = (dh[:, t] + dh_next) * (1 - cache.h[t] ** 2)
        dh_next = das[t] @ p.W_hh.T
    dW_xh = np.einsum("tnd,tnh->dh", cache.x, das)
    dW_hh = np.einsum("tnj,tnh->jh", cache.h_prev, das)
    return np.einsum("tnh,dh->ntd", das, p.W_xh), dh_next, {"W_xh": dW_xh, "W_hh": dW_hh,
                                                             "b_h": das.sum(axis=(0, 1))}


RNN_RIGHT = [rnn_backward, rnn_steps, rnn_all_at_end, rnn_with(None),
             lambda dh, cache: tuple(np.asarray(v, dtype=np.float64) if isinstance(v, np.ndarray) else v
                                     for v in rnn_backward(dh, cache))]


@pytest.mark.parametrize("fn, hint", RNN_WRONG, ids=[f.__name__ for f, _ in RNN_WRONG])
def test_wrong_rnn_backward_gets_its_hint(fn, hint):
    result = C.check_rnn_backward(fn)
    assert not result.passed and hint in result.message, result.message


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fn", RNN_RIGHT, ids=lambda f: f.__name__)
def test_right_rnn_backward_passes(fn, seed):
    result = C.check_rnn_backward(fn, seed=seed)
    assert result.passed, result.message


# =======================================================================================
# check_gradient_check

def _estimate(f, x, eps, centred=True):
    n = np.zeros_like(x)
    f0 = None if centred else f(x)
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += eps
        minus[idx] -= eps
        n[idx] = (f(plus) - f(minus)) / (2 * eps) if centred else (f(plus) - f0) / eps
    return n


def _scaled(a, n):
    return np.max(np.abs(a - n)) / np.max(np.abs(a) + np.abs(n))


def gc_restore(f, x, analytic_grad, eps=1e-5):
    n = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        f_plus = f(x)
        x[idx] = old - eps
        f_minus = f(x)
        x[idx] = old
        n[idx] = (f_plus - f_minus) / (2 * eps)
    return _scaled(analytic_grad, n)


def gc_norm_form(f, x, analytic_grad, eps=1e-5):
    n = _estimate(f, x, eps)
    return np.linalg.norm(analytic_grad - n) / (np.linalg.norm(analytic_grad) + np.linalg.norm(n))


def gc_flat(f, x, analytic_grad, eps=1e-5):
    flat = x.reshape(-1).copy()
    n = np.empty_like(flat)
    for k in range(flat.size):
        e = np.zeros_like(flat)
        e[k] = eps
        n[k] = (f((flat + e).reshape(x.shape)) - f((flat - e).reshape(x.shape))) / (2 * eps)
    a = analytic_grad.reshape(-1)
    return float(np.max(np.abs(a - n)) / max(np.max(np.abs(a) + np.abs(n)), 1e-300))


def gc_package(f, x, analytic_grad, eps=1e-5):
    return relative_error(analytic_grad, numerical_gradient(f, x, eps))


def gc_nditer(f, x, analytic_grad, eps=1e-5):
    n = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        idx = it.multi_index
        old = x[idx]
        x[idx] = old + eps
        fp = f(x)
        x[idx] = old - eps
        fm = f(x)
        x[idx] = old
        n[idx] = (fp - fm) / (2 * eps)
        it.iternext()
    return _scaled(analytic_grad, n)


def gc_one_sided(f, x, analytic_grad, eps=1e-5):
    return _scaled(analytic_grad, _estimate(f, x, eps, centred=False))


def gc_no_floor(f, x, analytic_grad, eps=1e-5):
    n = _estimate(f, x, eps)
    return np.max(np.abs(analytic_grad - n) / (np.abs(analytic_grad) + np.abs(n)))


def gc_tiny_floor(f, x, analytic_grad, eps=1e-5):
    n = _estimate(f, x, eps)
    return np.max(np.abs(analytic_grad - n) / np.maximum(np.abs(analytic_grad) + np.abs(n), 1e-8))


def gc_not_restored(f, x, analytic_grad, eps=1e-5):
    n = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        x[idx] += eps
        fp = f(x)
        x[idx] -= 2 * eps
        fm = f(x)
        x[idx] += eps  # not always the same float again
        n[idx] = (fp - fm) / (2 * eps)
    return _scaled(analytic_grad, n)


def gc_tiny_eps(f, x, analytic_grad, eps=1e-5):
    return _scaled(analytic_grad, _estimate(f, x, 1e-12))


def gc_large_eps(f, x, analytic_grad, eps=1e-5):
    return _scaled(analytic_grad, _estimate(f, x, 1e-1))


def gc_float32(f, x, analytic_grad, eps=1e-5):
    return _scaled(analytic_grad, _estimate(f, x.astype(np.float32), np.float32(eps)))


def gc_absolute(f, x, analytic_grad, eps=1e-5):
    return np.max(np.abs(analytic_grad - _estimate(f, x, eps)))


def gc_all_at_once(f, x, analytic_grad, eps=1e-5):
    slope = (f(x + eps) - f(x - eps)) / (2 * eps)
    return _scaled(analytic_grad, np.full_like(x, slope / x.size))


def gc_divides_by_eps(f, x, analytic_grad, eps=1e-5):
    return _scaled(analytic_grad, 2 * _estimate(f, x, eps))


def gc_returns_gradient(f, x, analytic_grad, eps=1e-5):
    return _estimate(f, x, eps)


def gc_ignores_eps(f, x, analytic_grad, eps=1e-5):
    return _scaled(analytic_grad, _estimate(f, x, 1e-4))


GRADCHECK_WRONG = [
    (gc_one_sided, "one-sided differences"),
    (gc_no_floor, "divided entry by entry"),
    (gc_tiny_floor, "divided entry by entry"),
    (gc_not_restored, "did not put it back"),
    (gc_tiny_eps, "too small"),
    (gc_large_eps, "too large"),
    (gc_float32, "float32"),
    (gc_absolute, "absolute error"),
    (gc_all_at_once, "one entry at a time"),
    (gc_divides_by_eps, "divides by 2 eps"),
    (gc_returns_gradient, "return one number"),
    (gc_ignores_eps, "ignored the eps argument"),
]
GRADCHECK_RIGHT = [gc_restore, gc_norm_form, gc_flat, gc_package, gc_nditer]


@pytest.mark.parametrize("fn, hint", GRADCHECK_WRONG, ids=[f.__name__ for f, _ in GRADCHECK_WRONG])
def test_wrong_gradient_check_gets_its_hint(fn, hint):
    result = C.check_gradient_check(fn)
    assert not result.passed and hint in result.message, result.message


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fn", GRADCHECK_RIGHT, ids=lambda f: f.__name__)
def test_right_gradient_check_passes(fn, seed):
    result = C.check_gradient_check(fn, seed=seed)
    assert result.passed, result.message


# =======================================================================================
# check_train_step

def _loss_and_grads(params, x, y):
    logits, cache = model_forward(params, x)
    loss, dlogits = softmax_cross_entropy(logits, y)
    return loss, model_backward(dlogits, cache)


def ts_package(params, x, y, lr, max_norm):
    loss, grads, _ = make_loss_fn("cross_entropy")(params, x, y)
    clipped, norm = clip_grad_norm(grads, max_norm)
    return SGD(lr).step(params, clipped), loss, norm


def ts_own_loss(params, x, y, lr, max_norm):
    logits, cache = model_forward(params, x)
    N = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(N), y].mean()
    d = np.exp(log_p)
    d[np.arange(N), y] -= 1
    grads = model_backward(d / N, cache)
    norm = np.sqrt(sum(np.sum(g ** 2) for g in _leaves(grads)))
    scale = min(1.0, max_norm / norm)
    return tree_map(lambda p, g: p - lr * scale * g, params, grads), loss, norm


def _leaves(tree):
    from lstm_course.tree import tree_leaves
    return tree_leaves(tree)


def ts_torch_clip(params, x, y, lr, max_norm):
    loss, grads = _loss_and_grads(params, x, y)
    norm = tree_global_norm(grads)
    coef = max_norm / (norm + 1e-6)
    if coef < 1:
        grads = tree_map(lambda g: g * coef, grads)
    return tree_map(lambda p, g: p - lr * g, params, grads), loss, norm


def ts_fields(params, x, y, lr, max_norm):
    loss, grads = _loss_and_grads(params, x, y)
    clipped, norm = clip_grad_norm(grads, max_norm)
    cell = dataclasses.replace(params.cell, **{fl.name: getattr(params.cell, fl.name) - lr * getattr(clipped.cell, fl.name)
                                               for fl in dataclasses.fields(params.cell)})
    return {"cell": cell, "W_out": params.W_out - lr * clipped.W_out,
            "b_out": params.b_out - lr * clipped.b_out}, float(loss), float(norm)


def ts_momentum_first_step(params, x, y, lr, max_norm):
    loss, grads = _loss_and_grads(params, x, y)
    clipped, norm = clip_grad_norm(grads, max_norm)
    return SGD(lr, momentum=0.9).step(params, clipped), loss, norm  # a first step is plain SGD


TRAIN_RIGHT = [ts_package, ts_own_loss, ts_torch_clip, ts_fields, ts_momentum_first_step]


def ts_mistake(mistake):
    def step(params, x, y, lr, max_norm):
        loss, grads = _loss_and_grads(params, x, y)
        if mistake == "summed":
            loss, grads = loss * x.shape[0], tree_map(lambda g: g * x.shape[0], grads)
        norm = tree_global_norm(grads)
        if mistake == "no_clip":
            clipped = grads
        elif mistake == "always":
            clipped = tree_map(lambda g: g * max_norm / norm, grads)
        elif mistake == "per_leaf":
            clipped = tree_map(lambda g: g * min(1.0, max_norm / np.linalg.norm(g)), grads)
        else:
            clipped, _ = clip_grad_norm(grads, max_norm)
        if mistake == "adam":
            new = Adam(lr).step(params, clipped)
        else:
            sign = 1.0 if mistake == "plus" else -1.0
            new = tree_map(lambda p, g: p + sign * lr * g, params, clipped)
        if mistake == "cell_only":
            new = SequenceModelParams(new.cell, params.W_out, params.b_out)
        if mistake == "norm_after":
            norm = tree_global_norm(clipped)
        if mistake == "loss_after":
            loss = _loss_and_grads(new, x, y)[0]
        return new, loss, norm
    step.__name__ = step.__qualname__ = f"train_step_{mistake}"
    return step


def ts_in_place(params, x, y, lr, max_norm):
    loss, grads = _loss_and_grads(params, x, y)
    clipped, norm = clip_grad_norm(grads, max_norm)
    tree_map(lambda p, g: p.__isub__(lr * g), params, clipped)
    return params, loss, norm


TRAIN_WRONG = [
    (ts_mistake("no_clip"), "unclipped gradients"),
    (ts_mistake("always"), "already below max_norm"),
    (ts_mistake("per_leaf"), "each parameter's gradient by its own norm"),
    (ts_mistake("plus"), "gradient ascent"),
    (ts_mistake("cell_only"), "W_out and b_out are parameters too"),
    (ts_mistake("norm_after"), "norm before clipping"),
    (ts_mistake("loss_after"), "loss before the update"),
    (ts_mistake("summed"), "summed over the batch"),
    (ts_mistake("adam"), "Adam"),
    (ts_in_place, "in place"),
]


@pytest.mark.parametrize("fn, hint", TRAIN_WRONG, ids=[f.__name__ for f, _ in TRAIN_WRONG])
def test_wrong_train_step_gets_its_hint(fn, hint):
    result = C.check_train_step(fn)
    assert not result.passed and hint in result.message, result.message


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fn", TRAIN_RIGHT, ids=lambda f: f.__name__)
def test_right_train_step_passes(fn, seed):
    result = C.check_train_step(fn, seed=seed)
    assert result.passed, result.message


# =======================================================================================
# the corpora are large enough, and their hints distinct

@pytest.mark.parametrize("wrong, right", [(FORWARD_WRONG, FORWARD_RIGHT), (BACKWARD_WRONG, BACKWARD_RIGHT),
                                          (RNN_WRONG, RNN_RIGHT), (GRADCHECK_WRONG, GRADCHECK_RIGHT),
                                          (TRAIN_WRONG, TRAIN_RIGHT)])
def test_corpus_sizes(wrong, right):
    assert len(wrong) >= 8 and len(right) >= 5




# =======================================================================================
# more slips, added after the corpora above: the checks name these too

def bwd_accumulating(dh, caches, dc_last=None):
    N, T, H = dh.shape
    dx = np.zeros((N, T, caches[0].x.shape[1]))
    dh_next, dc_next, total = np.zeros((N, H)), (np.zeros((N, H)) if dc_last is None else dc_last), None
    for t in reversed(range(T)):
        dx[:, t], dh_prev, dc_next, grads = lstm_step_backward(dh[:, t] + dh_next, dc_next, caches[t])
        dh_next = dh_next + dh_prev  # should be replaced, not accumulated
        total = grads if total is None else tree_map(np.add, total, grads)
    return dx, dh_next, dc_next, total


def bwd_time_mean(dh, caches, dc_last=None):
    dx, dh0, dc0, total = bwd_package_steps(dh, caches, dc_last)
    return dx, dh0, dc0, tree_map(lambda g: g / dh.shape[1], total)


def bwd_shifted_dh(dh, caches, dc_last=None):
    N, T, H = dh.shape
    shifted = np.concatenate([np.zeros((N, 1, H)), dh[:, :-1]], axis=1)  # dh[:, t - 1] at step t
    return bwd_package_steps(shifted, caches, dc_last)


def fwd_with_h0(x, h0, c0, p):
    h, c, _ = lstm_forward(x, h0, c0, p)
    return np.concatenate([h0[:, None], h], axis=1), np.concatenate([c0[:, None], c], axis=1), None


def rnn_accumulating(dh, cache):
    T, N, D = cache.x.shape
    p = cache.params
    dx, dh_next = np.zeros((N, T, D)), np.zeros((N, p.H))
    g = {"W_xh": 0.0, "W_hh": 0.0, "b_h": 0.0}
    for t in reversed(range(T)):
        da = (dh[:, t] + dh_next) * (1 - cache.h[t] ** 2)
        dx[:, t] = da @ p.W_xh.T
        g["W_xh"] = g["W_xh"] + cache.x[t].T @ da
        g["W_hh"] = g["W_hh"] + cache.h_prev[t].T @ da
        g["b_h"] = g["b_h"] + da.sum(0)
        dh_next += da @ p.W_hh.T  # accumulated
    return dx, dh_next, g


def ts_value_clip(params, x, y, lr, max_norm):
    loss, grads = _loss_and_grads(params, x, y)
    return (tree_map(lambda p, g: p - lr * np.clip(g, -max_norm, max_norm), params, grads), loss,
            tree_global_norm(grads))


def ts_dlogits_not_averaged(params, x, y, lr, max_norm):
    logits, cache = model_forward(params, x)
    loss, d = softmax_cross_entropy(logits, y)
    grads = model_backward(d * x.shape[0], cache)
    clipped, norm = clip_grad_norm(grads, max_norm)
    return tree_map(lambda p, g: p - lr * g, params, clipped), loss, norm


MORE_WRONG = [
    (C.check_lstm_backward, (fwd_caches, bwd_accumulating), "dh_next keeps growing"),
    (C.check_lstm_backward, (fwd_caches, bwd_time_mean), "averaged over time"),
    (C.check_lstm_backward, (fwd_caches, bwd_shifted_dh), "not dh[:, t - 1]"),
    (C.check_lstm_forward, (fwd_with_h0,), "includes the initial state"),
    (C.check_rnn_backward, (rnn_accumulating,), "dh_next keeps growing"),
    (C.check_train_step, (ts_value_clip,), "value clipping"),
    (C.check_train_step, (ts_dlogits_not_averaged,), "dlogits = (softmax - onehot) / N"),
]


@pytest.mark.parametrize("check, fns, hint", MORE_WRONG, ids=[f[-1].__name__ for _, f, _ in MORE_WRONG])
def test_more_slips_get_their_hints(check, fns, hint):
    result = check(*fns)
    assert not result.passed and hint in result.message, result.message


FRESH = ([(C.check_lstm_forward, (f,), h) for f, h in FORWARD_WRONG[:9]]
         + [(C.check_lstm_backward, (f, b), h) for f, b, h in BACKWARD_WRONG[:11]]
         + [(C.check_gradient_check, (f,), h) for f, h in GRADCHECK_WRONG]
         + [(C.check_train_step, (f,), h) for f, h in TRAIN_WRONG[:9]])


@pytest.mark.parametrize("seed", [3, 99])
@pytest.mark.parametrize("check, fns, hint", FRESH,
                         ids=[f"{c.__name__}-{fns[-1].__name__}" for c, fns, _ in FRESH])
def test_wrong_programs_get_their_hints_on_fresh_cases(check, fns, hint, seed):
    result = check(*fns, seed=seed)
    assert not result.passed and hint in result.message, result.message


def fwd_h_after_c_before(x, h0, c0, p):
    h, c, _ = lstm_forward(x, h0, c0, p)
    return h, np.concatenate([c0[:, None], c[:, :-1]], axis=1), None


def bwd_forward_loop(dh, caches, dc_last=None):
    N, T, H = dh.shape
    dx = np.zeros((N, T, caches[0].x.shape[1]))
    dh_next, dc_next, total = np.zeros((N, H)), (np.zeros((N, H)) if dc_last is None else dc_last), None
    for t in range(T):  # the wrong direction
        dx[:, t], dh_next, dc_next, grads = lstm_step_backward(dh[:, t] + dh_next, dc_next, caches[t])
        total = grads if total is None else tree_map(np.add, total, grads)
    return dx, dh_next, dc_next, total


def bwd_cell_path_own_dh(dh, caches, dc_last=None):
    N, T, H = dh.shape
    dx = np.zeros((N, T, caches[0].x.shape[1]))
    dh_next, dc_next = np.zeros((N, H)), (np.zeros((N, H)) if dc_last is None else dc_last)
    total = None
    for t in reversed(range(T)):
        cch = caches[t]
        # the cell path gets dh[:, t] through tanh(c); the output gate the whole dh_t
        dc_next = dc_next + dh[:, t] * cch.o * (1 - cch.tanh_c ** 2) - (dh[:, t] + dh_next) * cch.o * (1 - cch.tanh_c ** 2)
        dx[:, t], dh_next, dc_next, grads = lstm_step_backward(dh[:, t] + dh_next, dc_next, cch)
        total = grads if total is None else tree_map(np.add, total, grads)
    return dx, dh_next, dc_next, total


def bwd_dx_time_major(dh, caches, dc_last=None):
    dx, dh0, dc0, g = bwd_package_steps(dh, caches, dc_last)
    return dx.transpose(1, 0, 2), dh0, dc0, g


def rnn_forward_loop(dh, cache):
    T, N, D = cache.x.shape
    p = cache.params
    dx, dh_next = np.zeros((N, T, D)), np.zeros((N, p.H))
    g = {"W_xh": 0.0, "W_hh": 0.0, "b_h": 0.0}
    for t in range(T):
        da = (dh[:, t] + dh_next) * (1 - cache.h[t] ** 2)
        dx[:, t] = da @ p.W_xh.T
        g = {"W_xh": g["W_xh"] + cache.x[t].T @ da, "W_hh": g["W_hh"] + cache.h_prev[t].T @ da,
             "b_h": g["b_h"] + da.sum(0)}
        dh_next = da @ p.W_hh.T
    return dx, dh_next, g


def bwd_none_unhandled(dh, caches, dc_last=None):
    N, T, H = dh.shape
    dc_next = dc_last + 0.0  # fails when dc_last is None
    return bwd_package_steps(dh, caches, dc_next)


EVEN_MORE_WRONG = [
    (C.check_lstm_backward, (fwd_caches, bwd_none_unhandled), "when it is None, start from zeros"),
    (C.check_lstm_forward, (fwd_h_after_c_before,), "c[:, t] is the cell state after step t"),
    (C.check_lstm_backward, (fwd_caches, bwd_forward_loop), "your loop runs forward in time"),
    (C.check_lstm_backward, (fwd_caches, bwd_cell_path_own_dh), "the path into c_t uses only dh[:, t]"),
    (C.check_lstm_backward, (fwd_caches, bwd_dx_time_major), "dx is time-major"),
    (C.check_rnn_backward, (rnn_forward_loop,), "your loop runs forward in time"),
]


@pytest.mark.parametrize("check, fns, hint", EVEN_MORE_WRONG, ids=[f[-1].__name__ for _, f, _ in EVEN_MORE_WRONG])
def test_even_more_slips_get_their_hints(check, fns, hint):
    result = check(*fns)
    assert not result.passed and hint in result.message, result.message


def fwd_forget_reads_input_weights(x, h0, c0, p):
    h, c, hs, cs = h0, c0, [], []
    for t in range(x.shape[1]):
        i, _, g, o = gates_of(x[:, t], h, p)
        f = i  # copy-pasted the input gate's line
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs, 1), np.stack(cs, 1), None


def bwd_dx_reversed(dh, caches, dc_last=None):
    dx, dh0, dc0, g = bwd_package_steps(dh, caches, dc_last)
    return dx[:, ::-1], dh0, dc0, g


def gc_analytic_denominator(f, x, analytic_grad, eps=1e-5):
    n = _estimate(f, x, eps)
    return np.max(np.abs(analytic_grad - n)) / np.max(np.abs(analytic_grad))


def ts_norm_squared(params, x, y, lr, max_norm):
    new, loss, norm = ts_package(params, x, y, lr, max_norm)
    return new, loss, norm ** 2


LAST_WRONG = [
    (C.check_lstm_forward, (fwd_forget_reads_input_weights,), "your forget gate uses the input gate's weights"),
    (C.check_lstm_backward, (fwd_caches, bwd_dx_reversed), "dx is in reverse time order"),
    (C.check_gradient_check, (gc_analytic_denominator,), "the analytic gradient's size alone"),
    (C.check_train_step, (ts_norm_squared,), "the norm is its square root"),
]


@pytest.mark.parametrize("check, fns, hint", LAST_WRONG, ids=[f[-1].__name__ for _, f, _ in LAST_WRONG])
def test_last_slips_get_their_hints(check, fns, hint):
    result = check(*fns)
    assert not result.passed and hint in result.message, result.message
