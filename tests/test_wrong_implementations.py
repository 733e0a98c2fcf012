"""A corpus of known-wrong learner implementations: each must fail with ITS specific hint.

Plus correct implementations written differently from the package's (a stacked weight
matrix, loops, a concatenation of [h_prev, x]), which must pass.
"""

import numpy as np
import pytest

from lstm_course import checks as C
from lstm_course.activations import sigmoid
from lstm_course.lstm import LSTMParams, lstm_step_backward, lstm_step_forward
from lstm_course.rnn import RNNParams, rnn_step_backward, rnn_step_forward


@pytest.fixture(autouse=True)
def _no_expectation(monkeypatch):
    monkeypatch.delenv(C.ENV_VAR, raising=False)


def layer(x, h, p, k, act=sigmoid):
    return act(x @ getattr(p, f"W_x{k}") + h @ getattr(p, f"W_h{k}") + getattr(p, f"b_{k}"))


def gates(x, h, p):
    return (layer(x, h, p, "i"), layer(x, h, p, "f"), layer(x, h, p, "g", np.tanh), layer(x, h, p, "o"))


# ---------------------------------------------------------------------------------------
# wrong forward pieces

def forget_tanh(x, h, p):
    return layer(x, h, p, "f", np.tanh)


def forget_no_bias(x, h, p):
    return sigmoid(x @ p.W_xf + h @ p.W_hf)


def forget_no_h_prev(x, h, p):
    return sigmoid(x @ p.W_xf + p.b_f)


def forget_input_weights(x, h, p):
    return layer(x, h, p, "i")


def forget_batch_mean(x, h, p):
    return layer(x, h, p, "f").mean(axis=0)


def forget_transposed(x, h, p):
    return layer(x, h, p, "f").T


def forget_returns_none(x, h, p):
    layer(x, h, p, "f")


def forget_in_place(x, h, p):
    h *= 0.5
    return layer(x, h, p, "f")


def forget_stub(x, h, p):
    # YOUR CODE HERE
    raise NotImplementedError


def forget_raises(x, h, p):
    return sigmoid(x @ p.W_hf + h @ p.W_xf + p.b_f)


def forget_sign(x, h, p):
    return sigmoid(-(x @ p.W_xf + h @ p.W_hf + p.b_f))


def forget_weights_in_place(x, h, p):
    p.b_f[:] = 0.0
    return layer(x, h, p, "f")


def input_no_sigmoid(x, h, p):
    return x @ p.W_xi + h @ p.W_hi + p.b_i


def candidate_sigmoid(x, h, p):
    return layer(x, h, p, "g", sigmoid)


def candidate_tanh_twice(x, h, p):
    return np.tanh(layer(x, h, p, "g", np.tanh))


def output_h_transposed(x, h, p):
    return sigmoid(x @ p.W_xo + h @ p.W_ho.T + p.b_o)


def cell_swapped(f, i, g, c_prev):
    return i * c_prev + f * g


def cell_tanh(f, i, g, c_prev):
    return np.tanh(f * c_prev + i * g)


def cell_matmul(f, i, g, c_prev):
    return f @ c_prev + i * g


def cell_in_place(f, i, g, c_prev):
    c_prev *= f
    c_prev += i * g
    return c_prev


def hidden_no_tanh(o, c):
    return o * c


def hidden_tanh_twice(o, c):
    return o * np.tanh(np.tanh(c))


def hidden_batch_mean(o, c):
    return (o * np.tanh(c)).mean(axis=0, keepdims=True)


def step_no_tanh_on_output(x, h_prev, c_prev, p):
    i, f, g, o = gates(x, h_prev, p)
    c = f * c_prev + i * g
    return o * c, c, None


def step_output_uses_c_prev(x, h_prev, c_prev, p):
    i, f, g, o = gates(x, h_prev, p)
    c = f * c_prev + i * g
    return o * np.tanh(c_prev), c, None


def step_swapped_outputs(x, h_prev, c_prev, p):
    h, c, cache = lstm_step_forward(x, h_prev, c_prev, p)
    return c, h, cache


def step_input_forget_swapped(x, h_prev, c_prev, p):
    i, f, g, o = gates(x, h_prev, p)
    c = i * c_prev + f * g
    return o * np.tanh(c), c, None


def step_forget_tanh(x, h_prev, c_prev, p):
    i, _, g, o = gates(x, h_prev, p)
    f = layer(x, h_prev, p, "f", np.tanh)
    c = f * c_prev + i * g
    return o * np.tanh(c), c, None


def step_h_prev_dropped(x, h_prev, c_prev, p):
    return lstm_step_forward(x, np.zeros_like(h_prev), c_prev, p)


def step_no_bias(x, h_prev, c_prev, p):
    zero = {f"b_{k}": np.zeros(p.H) for k in "ifgo"}
    q = LSTMParams(**{**{n: getattr(p, n) for n in LSTMParams.__dataclass_fields__}, **zero})
    return lstm_step_forward(x, h_prev, c_prev, q)


def step_gates_g_o_mixed(x, h_prev, c_prev, p):
    i, f = layer(x, h_prev, p, "i"), layer(x, h_prev, p, "f")
    g, o = layer(x, h_prev, p, "o", np.tanh), layer(x, h_prev, p, "g")  # stacked as (i, f, o, g) but split as (i, f, g, o)
    c = f * c_prev + i * g
    return o * np.tanh(c), c, None


def step_two_values(x, h_prev, c_prev, p):
    h, c, _ = lstm_step_forward(x, h_prev, c_prev, p)
    return h, c


def step_changes_c_prev(x, h_prev, c_prev, p):
    i, f, g, o = gates(x, h_prev, p)
    c_prev *= f
    c_prev += i * g
    return o * np.tanh(c_prev), c_prev, None


# ---------------------------------------------------------------------------------------
# wrong backward passes

def _da(dh, dc, cache, *, add_dc=True, through_h=True):
    x, h_prev, c_prev, i, f, g, o, c, tanh_c, p = cache
    dct = (dc if add_dc else 0.0) + (dh * o * (1 - tanh_c ** 2) if through_h else 0.0)
    return {"i": dct * g * i * (1 - i), "f": dct * c_prev * f * (1 - f), "g": dct * i * (1 - g ** 2),
            "o": dh * tanh_c * o * (1 - o)}, dct


def _assemble(da, dc_prev, cache, scale=1.0):
    x, h_prev, p = cache.x, cache.h_prev, cache.params
    fields = {}
    for k in "ifgo":
        fields[f"W_x{k}"] = x.T @ da[k] * scale
        fields[f"W_h{k}"] = h_prev.T @ da[k] * scale
        fields[f"b_{k}"] = da[k].sum(axis=0) * scale
    dx = sum(da[k] @ getattr(p, f"W_x{k}").T for k in "ifgo")
    dh_prev = sum(da[k] @ getattr(p, f"W_h{k}").T for k in "ifgo")
    return dx, dh_prev, dc_prev, LSTMParams(**fields)


def bwd_dc_not_added(dh, dc, cache):
    da, dct = _da(dh, dc, cache, add_dc=False)
    return _assemble(da, dct * cache.f, cache)


def bwd_dc_overwritten(dh, dc, cache):
    da, dct = _da(dh, dc, cache, through_h=False)
    return _assemble(da, dct * cache.f, cache)


def bwd_batch_mean(dh, dc, cache):
    da, dct = _da(dh, dc, cache)
    return _assemble(da, dct * cache.f, cache, scale=1.0 / dh.shape[0])


def bwd_sign_error(dh, dc, cache):
    dx, dh_prev, dc_prev, dp = lstm_step_backward(dh, dc, cache)
    return -dx, -dh_prev, -dc_prev, LSTMParams(**{n: -getattr(dp, n) for n in LSTMParams.__dataclass_fields__})


def bwd_dc_prev_without_f(dh, dc, cache):
    da, dct = _da(dh, dc, cache)
    return _assemble(da, dct, cache)


def bwd_swapped(dh, dc, cache):
    dx, dh_prev, dc_prev, dp = lstm_step_backward(dh, dc, cache)
    return dx, dc_prev, dh_prev, dp


def bwd_one_minus_c_squared(dh, dc, cache):
    x, h_prev, c_prev, i, f, g, o, c, tanh_c, p = cache
    dct = dc + dh * o * (1 - c ** 2)
    da = {"i": dct * g * i * (1 - i), "f": dct * c_prev * f * (1 - f), "g": dct * i * (1 - g ** 2),
          "o": dh * tanh_c * o * (1 - o)}
    return _assemble(da, dct * f, cache)


def bwd_dc_in_place(dh, dc, cache):
    dc += dh * cache.o * (1 - cache.tanh_c ** 2)
    da = {"i": dc * cache.g * cache.i * (1 - cache.i), "f": dc * cache.c_prev * cache.f * (1 - cache.f),
          "g": dc * cache.i * (1 - cache.g ** 2), "o": dh * cache.tanh_c * cache.o * (1 - cache.o)}
    return _assemble(da, dc * cache.f, cache)


def bwd_dparams_dict_missing_field(dh, dc, cache):
    dx, dh_prev, dc_prev, dp = lstm_step_backward(dh, dc, cache)
    fields = {n: getattr(dp, n) for n in LSTMParams.__dataclass_fields__ if n != "b_o"}
    return dx, dh_prev, dc_prev, fields


def bwd_i_f_grads_swapped(dh, dc, cache):
    dx, dh_prev, dc_prev, dp = lstm_step_backward(dh, dc, cache)
    fields = {n: getattr(dp, n) for n in LSTMParams.__dataclass_fields__}
    for a in ("W_x", "W_h", "b_"):
        fields[a + "i"], fields[a + "f"] = fields[a + "f"], fields[a + "i"]
    return dx, dh_prev, dc_prev, fields


def rnn_fwd_sigmoid(x, h_prev, p):
    h = sigmoid(x @ p.W_xh + h_prev @ p.W_hh + p.b_h)
    return h, (x, h_prev, h, p)


def rnn_fwd_only_h(x, h_prev, p):
    return np.tanh(x @ p.W_xh + h_prev @ p.W_hh + p.b_h)


def rnn_bwd_no_derivative(dh, cache):
    x, h_prev, h, p = cache
    da = dh
    return da @ p.W_xh.T, da @ p.W_hh.T, RNNParams(x.T @ da, h_prev.T @ da, da.sum(0))


def rnn_bwd_mean(dh, cache):
    x, h_prev, h, p = cache
    da = dh * (1 - h ** 2)
    N = x.shape[0]
    return da @ p.W_xh.T, da @ p.W_hh.T, RNNParams(x.T @ da / N, h_prev.T @ da / N, da.mean(0))


def rnn_bwd_swapped(dh, cache):
    dx, dh_prev, dp = rnn_step_backward(dh, cache)
    return dh_prev, dx, dp


def clip_each_array(grads, max_norm):
    out = []
    for g in grads:
        n = np.linalg.norm(g)
        out.append(g * max_norm / n if n > max_norm else g.copy())
    return out, float(np.sqrt(sum((g ** 2).sum() for g in grads)))


def clip_in_place(grads, max_norm):
    norm = float(np.sqrt(sum((g ** 2).sum() for g in grads)))
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm
    return grads, norm


def clip_norm_after(grads, max_norm):
    norm = float(np.sqrt(sum((g ** 2).sum() for g in grads)))
    scale = min(1.0, max_norm / norm)
    return [g * scale for g in grads], norm * scale


def clip_always(grads, max_norm):
    norm = float(np.sqrt(sum((g ** 2).sum() for g in grads)))
    return [g * max_norm / norm for g in grads], norm


def clip_value(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads], float(np.sqrt(sum((g ** 2).sum() for g in grads)))


def softmax_ce_sum(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = np.arange(len(targets))
    d = np.exp(log_p)
    d[n, targets] -= 1
    return -log_p[n, targets].sum(), d


def softmax_ce_unstable(logits, targets):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    n = np.arange(len(targets))
    d = p.copy()
    d[n, targets] -= 1
    return -np.log(p[n, targets]).mean(), d / len(targets)


def softmax_ce_no_minus_one(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n = np.arange(len(targets))
    return -np.log(p[n, targets]).mean(), p / len(targets)


def softmax_ce_per_example(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = np.arange(len(targets))
    d = np.exp(log_p)
    d[n, targets] -= 1
    return -log_p[n, targets], d / len(targets)



# Lesson 12: the GRU step (PyTorch's form: r multiplies h_prev @ W_hn + b_hn)
def _gru_parts(x, h, p):
    r = 1 / (1 + np.exp(-(x @ p.W_xr + h @ p.W_hr + p.b_r)))
    z = 1 / (1 + np.exp(-(x @ p.W_xz + h @ p.W_hz + p.b_z)))
    return r, z


def gru_z_swapped(x, h, p):
    r, z = _gru_parts(x, h, p)
    n = np.tanh(x @ p.W_xn + p.b_in + r * (h @ p.W_hn + p.b_hn))
    return z * n + (1 - z) * h, None


def gru_reset_before_product(x, h, p):
    r, z = _gru_parts(x, h, p)
    n = np.tanh(x @ p.W_xn + p.b_in + (r * h) @ p.W_hn + p.b_hn)
    return (1 - z) * n + z * h, None


def gru_b_hn_merged(x, h, p):
    r, z = _gru_parts(x, h, p)
    n = np.tanh(x @ p.W_xn + p.b_in + p.b_hn + r * (h @ p.W_hn))
    return (1 - z) * n + z * h, None


# Lesson 13: the adding problem's stopping rule, checked over the whole history
def stop_whole_history(err, ok):
    return len(ok) >= 2000 and bool(np.all(ok)) and float(np.mean(err)) < 0.01


# (check, wrong implementation, a keyword its message must contain)
CORPUS = [
    (C.check_forget_gate, forget_tanh, "tanh instead of a sigmoid"),
    (C.check_forget_gate, forget_no_bias, "bias b_f is missing"),
    (C.check_forget_gate, forget_no_h_prev, "h_prev's part"),
    (C.check_forget_gate, forget_input_weights, "weights of the input gate"),
    (C.check_forget_gate, forget_batch_mean, "mean over the batch"),
    (C.check_forget_gate, forget_transposed, "transposed"),
    (C.check_forget_gate, forget_returns_none, "forget a `return`"),
    (C.check_forget_gate, forget_in_place, "changed h_prev in place"),
    (C.check_forget_gate, forget_stub, "not implemented yet"),
    (C.check_forget_gate, forget_raises, "raised ValueError"),
    (C.check_forget_gate, forget_sign, "sign error"),
    (C.check_forget_gate, forget_weights_in_place, "changed params.b_f in place"),
    (C.check_forget_gate, lambda x, h, p: None, "forget a `return`"),
    (C.check_forget_gate, 42, "expected a function"),
    (C.check_input_gate, input_no_sigmoid, "apply the sigmoid"),
    (C.check_candidate, candidate_sigmoid, "sigmoid instead of a tanh"),
    (C.check_candidate, candidate_tanh_twice, "applied twice"),
    (C.check_output_gate, output_h_transposed, "W_ho.T"),
    (C.check_cell_update, cell_swapped, "swapped the gates"),
    (C.check_cell_update, cell_tanh, "squashed c with tanh"),
    (C.check_cell_update, cell_matmul, "element by element"),
    (C.check_cell_update, cell_in_place, "changed c_prev in place"),
    (C.check_hidden_state, hidden_no_tanh, "apply tanh to c before the output gate"),
    (C.check_hidden_state, hidden_tanh_twice, "tanh is applied twice"),
    (C.check_hidden_state, hidden_batch_mean, "mean over the batch"),
    (C.check_lstm_step_forward, step_no_tanh_on_output, "c is right but h is not: did you apply tanh"),
    (C.check_lstm_step_forward, step_output_uses_c_prev, "output uses c_prev"),
    (C.check_lstm_step_forward, step_swapped_outputs, "outputs swapped"),
    (C.check_lstm_step_forward, step_input_forget_swapped, "swapped the input and forget gates"),
    (C.check_lstm_step_forward, step_forget_tanh, "forget gate gives values below 0"),
    (C.check_lstm_step_forward, step_h_prev_dropped, "h_prev is missing"),
    (C.check_lstm_step_forward, step_no_bias, "biases are missing"),
    (C.check_lstm_step_forward, step_gates_g_o_mixed, "mixed-up weights"),
    (C.check_lstm_step_forward, step_two_values, "3 values (h, c, cache), got 2"),
    (C.check_lstm_step_forward, step_changes_c_prev, "changed c_prev in place"),
    (C.check_lstm_step_backward, bwd_dc_not_added, "missing the gradient that flows in from the next time step"),
    (C.check_lstm_step_backward, bwd_dc_overwritten, "overwritten instead of accumulated"),
    (C.check_lstm_step_backward, bwd_batch_mean, "averaged instead of summed"),
    (C.check_lstm_step_backward, bwd_sign_error, "wrong sign"),
    (C.check_lstm_step_backward, bwd_dc_prev_without_f, "multiplied by the forget gate"),
    (C.check_lstm_step_backward, bwd_swapped, "outputs swapped"),
    (C.check_lstm_step_backward, bwd_one_minus_c_squared, "not 1 - c**2"),
    (C.check_lstm_step_backward, bwd_dc_in_place, "changed dc in place"),
    (C.check_lstm_step_backward, bwd_dparams_dict_missing_field, "dparams has no b_o"),
    (C.check_lstm_step_backward, bwd_i_f_grads_swapped, "holds the forget gate's gradient"),
    (C.check_rnn_step_forward, rnn_fwd_sigmoid, "sigmoid instead of a tanh"),
    (C.check_rnn_step_forward, rnn_fwd_only_h, "return h, cache"),
    (C.check_rnn_step_backward, rnn_bwd_no_derivative, "missing tanh's derivative"),
    (C.check_rnn_step_backward, rnn_bwd_mean, "averaged instead of summed"),
    (C.check_rnn_step_backward, rnn_bwd_swapped, "outputs swapped"),
    (C.check_clip_grad_norm, clip_each_array, "each array by its own norm"),
    (C.check_clip_grad_norm, clip_in_place, "changed grads[0] in place"),
    (C.check_clip_grad_norm, clip_norm_after, "norm before clipping"),
    (C.check_clip_grad_norm, clip_always, "only scale when norm > max_norm"),
    (C.check_clip_grad_norm, clip_value, "value clipping"),
    (C.check_forget_product, lambda f: f.sum(axis=0), "you added the forget gates"),
    (C.check_forget_product, lambda f: np.cumprod(f, axis=0), "running product"),
    (C.check_forget_product, lambda f: np.prod(f, axis=1), "wrong axis"),
    (C.check_forget_product, lambda f: np.prod(f[1:], axis=0), "one forget gate short"),
    (C.check_forget_product, lambda f: np.prod(f, axis=0).mean(axis=0), "mean over the batch"),
    (C.check_softmax_cross_entropy, softmax_ce_sum, "summed over the batch"),
    (C.check_softmax_cross_entropy, softmax_ce_unstable, "overflows for large logits"),
    (C.check_softmax_cross_entropy, softmax_ce_no_minus_one, "subtract 1 at each target"),
    (C.check_softmax_cross_entropy, softmax_ce_per_example, "one loss per example"),
    (C.check_gru_step_forward, gru_z_swapped, "z and 1 - z are swapped"),
    (C.check_gru_step_forward, gru_reset_before_product, "before the matrix product"),
    (C.check_gru_step_forward, gru_b_hn_merged, "b_hn is added outside the reset gate"),
    (C.check_adding_should_stop, stop_whole_history, "older than the last 2,000"),
]


def _id(entry):
    check, fn, _ = entry
    return f"{check.__name__}-{getattr(fn, '__name__', type(fn).__name__)}"


@pytest.mark.parametrize("check, fn, keyword", CORPUS, ids=[_id(e) for e in CORPUS])
def test_wrong_implementation_gets_its_hint(check, fn, keyword):
    result = check(fn)
    assert not result.passed
    assert result.status == ("not_implemented" if keyword == "not implemented yet" else "fail")
    assert keyword in result.message, result.message


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 20
    # every check has wrong ones: here, or for the sequence-level checks in test_checks_sequence.py,
    # or for lesson 11's in test_checks_text.py
    sequence_level = {"check_rnn_backward", "check_lstm_forward", "check_lstm_backward",
                      "check_gradient_check", "check_train_step",
                      "check_sample_with_temperature", "check_tbptt_epoch"}
    assert {check.__name__ for check, _, _ in CORPUS} | sequence_level == set(C.ALL_CHECKS)


# ---------------------------------------------------------------------------------------
# correct, but written differently from the package

def forget_concatenated(x, h_prev, p):
    xh = np.concatenate([h_prev, x], axis=1)  # (N, H + D)
    W = np.concatenate([p.W_hf, p.W_xf], axis=0)  # (H + D, H)
    return 1.0 / (1.0 + np.exp(-(xh @ W + p.b_f)))


def forget_loops(x, h_prev, p):
    N, H = h_prev.shape
    out = np.empty((N, H))
    for n in range(N):
        for j in range(H):
            a = p.b_f[j] + sum(x[n, d] * p.W_xf[d, j] for d in range(x.shape[1]))
            a += sum(h_prev[n, k] * p.W_hf[k, j] for k in range(H))
            out[n, j] = 0.5 * (1.0 + np.tanh(0.5 * a))  # sigmoid written with tanh
    return out


def step_stacked(x, h_prev, c_prev, p):
    H = p.H
    W = np.concatenate([np.concatenate([getattr(p, f"W_x{k}"), getattr(p, f"W_h{k}")], axis=0)
                        for k in "ifgo"], axis=1)  # (D + H, 4H)
    b = np.concatenate([getattr(p, f"b_{k}") for k in "ifgo"])
    a = np.concatenate([x, h_prev], axis=1) @ W + b  # (N, 4H)
    i, f, o = (sigmoid(a[:, n * H:(n + 1) * H]) for n in (0, 1, 3))
    g = np.tanh(a[:, 2 * H:3 * H])
    c = f * c_prev + i * g
    return o * np.tanh(c), c, {"anything": "goes in the cache"}


def bwd_per_example_loop(dh, dc, cache):
    x, h_prev, c_prev, i, f, g, o, c, tanh_c, p = cache
    fields = {n: np.zeros_like(getattr(p, n)) for n in LSTMParams.__dataclass_fields__}
    dx, dh_prev, dc_prev = np.zeros_like(x), np.zeros_like(h_prev), np.zeros_like(c_prev)
    for n in range(x.shape[0]):
        dct = dc[n] + dh[n] * o[n] * (1 - tanh_c[n] ** 2)
        da = {"i": dct * g[n] * i[n] * (1 - i[n]), "f": dct * c_prev[n] * f[n] * (1 - f[n]),
              "g": dct * i[n] * (1 - g[n] ** 2), "o": dh[n] * tanh_c[n] * o[n] * (1 - o[n])}
        dc_prev[n] = dct * f[n]
        for k in "ifgo":
            fields[f"W_x{k}"] += np.outer(x[n], da[k])
            fields[f"W_h{k}"] += np.outer(h_prev[n], da[k])
            fields[f"b_{k}"] += da[k]
            dx[n] += getattr(p, f"W_x{k}") @ da[k]
            dh_prev[n] += getattr(p, f"W_h{k}") @ da[k]
    return dx, dh_prev, dc_prev, fields  # a dict is accepted


def rnn_forward_einsum(x, h_prev, p):
    h = np.tanh(np.einsum("nd,dh->nh", x, p.W_xh) + np.einsum("nk,kh->nh", h_prev, p.W_hh) + p.b_h)
    return h, None


def rnn_backward_namedtuple(dh, cache):
    from collections import namedtuple
    Grads = namedtuple("Grads", "W_xh W_hh b_h")
    x, h_prev, h, p = cache
    da = dh * (1 - np.tanh(np.arctanh(h)) ** 2)
    return np.dot(da, p.W_xh.T), np.dot(da, p.W_hh.T), Grads(x.T.dot(da), h_prev.T.dot(da), np.sum(da, 0))


def clip_tuple_of_copies(grads, max_norm):
    norm = np.sqrt(sum(np.vdot(g, g) for g in grads))
    scale = max_norm / norm if norm > max_norm else 1.0
    return tuple(np.multiply(g, scale) for g in grads), np.float64(norm)


def softmax_ce_logsumexp(logits, targets):
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    N = len(targets)
    loss = np.mean(lse - logits[np.arange(N), targets])
    d = np.exp(logits - lse[:, None])
    d[np.arange(N), targets] -= 1.0
    return loss, d / N


def forget_product_logs(f):
    return np.exp(np.log(f).sum(axis=0))


CORRECT = [
    (C.check_forget_gate, forget_concatenated),
    (C.check_forget_gate, forget_loops),
    (C.check_lstm_step_forward, step_stacked),
    (C.check_lstm_step_forward, lstm_step_forward),
    (C.check_lstm_step_backward, bwd_per_example_loop),
    (C.check_lstm_step_backward, lstm_step_backward),
    (C.check_rnn_step_forward, rnn_forward_einsum),
    (C.check_rnn_step_forward, rnn_step_forward),
    (C.check_rnn_step_backward, rnn_backward_namedtuple),
    (C.check_rnn_step_backward, rnn_step_backward),
    (C.check_clip_grad_norm, clip_tuple_of_copies),
    (C.check_softmax_cross_entropy, softmax_ce_logsumexp),
    (C.check_forget_product, forget_product_logs),
    (C.check_cell_update, lambda f, i, g, c_prev: np.add(np.multiply(f, c_prev), np.multiply(i, g))),
    (C.check_hidden_state, lambda o, c: o * (np.exp(2 * c) - 1) / (np.exp(2 * c) + 1)),
    (C.check_input_gate, lambda x, h, p: sigmoid(h @ p.W_hi + p.b_i + x @ p.W_xi)),
    (C.check_candidate, lambda x, h, p: np.tanh(np.concatenate([x, h], 1) @ np.vstack([p.W_xg, p.W_hg]) + p.b_g)),
    (C.check_output_gate, lambda x, h, p: layer(x, h, p, "o")),
]


@pytest.mark.parametrize("check, fn", CORRECT,
                         ids=[f"{c.__name__}-{getattr(f, '__name__', 'fn')}" for c, f in CORRECT])
def test_correct_implementation_written_differently_passes(check, fn):
    result = check(fn)
    assert result.passed, result.message
    assert result.status == "pass"
