"""The character language model: gradients, truncated BPTT, evaluation, sampling, internals."""

import numpy as np
import pytest

from lstm_course.charlm import (CharLMParams, charlm_backward, charlm_forward, chunk_loss_and_grads,
                                count_params, evaluate_text, generate, init_charlm, lstm_internals,
                                sample_next, train_charlm, zero_state)
from lstm_course.gradcheck import check_param_gradients
from lstm_course.losses import softmax_cross_entropy
from lstm_course.optim import Adam
from lstm_course.text import Vocabulary
from lstm_course.tree import tree_leaves_with_path


def random_state(params, N, rng):
    return tuple(tuple(0.5 * rng.standard_normal((N, cell.H)) for _ in range(2 if params.kind == "lstm" else 1))
                 for cell in params.cells)


@pytest.mark.parametrize("kind, layers", [("lstm", 1), ("lstm", 2), ("rnn", 2)])
def test_gradients_match_finite_differences(kind, layers):
    rng = np.random.default_rng(3)
    params = init_charlm(kind, 7, 3, 4, rng, layers=layers)
    params = CharLMParams(params.embed, params.cells, params.W_out, params.b_out + 0.3)  # non-zero biases
    x, y = rng.integers(7, size=(2, 4)), rng.integers(7, size=(2, 4))
    x[0, :2] = 3  # a repeated character: its embedding row gathers two gradients
    state = random_state(params, 2, rng)
    _, grads, _ = chunk_loss_and_grads(params, x, y, state)
    # float64, centred differences: relative error below 1e-7 (the project's bar)
    check_param_gradients(lambda p: chunk_loss_and_grads(p, x, y, state)[0], params, grads, tol=1e-7)


def test_gradient_on_initial_state_and_dstate_last():
    # dstate0 is the gradient on the initial state (what truncated BPTT drops); dstate_last feeds
    # a gradient in at the final state. Both against finite differences.
    rng = np.random.default_rng(4)
    params = init_charlm("lstm", 5, 3, 4, rng)
    x, y = rng.integers(5, size=(2, 3)), rng.integers(5, size=(2, 3))
    state = random_state(params, 2, rng)
    G = random_state(params, 2, rng)  # upstream gradient on the final (h, c)

    def loss(state):
        logits, final, _ = charlm_forward(params, x, state)
        return softmax_cross_entropy(logits, y)[0] + sum(np.sum(f * g) for f, g in zip(final[0], G[0]))

    logits, _, cache = charlm_forward(params, x, state)
    _, dlogits = softmax_cross_entropy(logits, y)
    _, dstate0 = charlm_backward(dlogits, cache, dstate_last=G)
    eps = 1e-6
    for part in (0, 1):
        num = np.zeros_like(state[0][part])
        for i in np.ndindex(num.shape):
            plus = [s.copy() for s in state[0]]
            minus = [s.copy() for s in state[0]]
            plus[part][i] += eps
            minus[part][i] -= eps
            num[i] = (loss((tuple(plus),)) - loss((tuple(minus),))) / (2 * eps)
        assert np.max(np.abs(num - dstate0[0][part])) < 1e-7 * max(1.0, np.max(np.abs(num)))


def test_carrying_the_state_equals_one_long_sequence():
    rng = np.random.default_rng(5)
    params = init_charlm("lstm", 6, 3, 5, rng, layers=2)
    x = rng.integers(6, size=(3, 12))
    whole, _, _ = charlm_forward(params, x, None)
    first, state, _ = charlm_forward(params, x[:, :5], None)
    second, _, _ = charlm_forward(params, x[:, 5:], state)
    assert np.allclose(np.concatenate([first, second], axis=1), whole, atol=1e-13)
    reset, _, _ = charlm_forward(params, x[:, 5:], None)
    assert not np.allclose(reset, second)  # a reset forgets: the test above can fail


def test_evaluate_text_is_the_mean_loss_in_bits():
    rng = np.random.default_rng(6)
    params = init_charlm("rnn", 6, 3, 5, rng)
    ids = rng.integers(6, size=50)
    logits, _, _ = charlm_forward(params, ids[None, :-1], None)
    loss, _ = softmax_cross_entropy(logits, ids[None, 1:])
    bpc, bits = evaluate_text(params, ids, chunk=7, per_char=True)  # chunking carries the state
    assert bpc == pytest.approx(loss / np.log(2), abs=1e-12) and bits.shape == (49,)


def test_training_lowers_the_loss_and_reset_state_is_honoured():
    text = "the cat sat on the mat. " * 40
    vocab = Vocabulary.from_text(text)
    ids = vocab.encode(text)
    params = init_charlm("lstm", vocab.size, 8, 16, np.random.default_rng(0))
    before = evaluate_text(params, ids[:200])
    trained, losses = train_charlm(params, ids, steps=60, N=4, T=16, optimizer=Adam(1e-2),
                                   rng=np.random.default_rng(0))
    assert losses.shape == (60,) and evaluate_text(trained, ids[:200]) < before - 1.5
    # with reset_state, the same seed gives a different (but also finite) run
    _, reset_losses = train_charlm(params, ids, steps=5, N=4, T=16, optimizer=Adam(1e-2),
                                   rng=np.random.default_rng(0), reset_state=True)
    assert reset_losses[0] == losses[0] and not np.allclose(reset_losses[1:], losses[1:5])


def test_sample_next_follows_the_temperature():
    rng = np.random.default_rng(7)
    logits = np.array([2.0, 0.0, -1.0])
    for temperature in (0.5, 2.0):
        draws = np.array([sample_next(logits, temperature, rng) for _ in range(4000)])
        p = np.exp(logits / temperature) / np.exp(logits / temperature).sum()
        assert np.abs(np.bincount(draws, minlength=3) / 4000 - p).max() < 0.03
    with pytest.raises(ValueError, match="temperature > 0"):
        sample_next(logits, 0.0, rng)


def test_generate_is_seeded_and_reads_the_prime():
    vocab = Vocabulary.from_text("abc \n")
    params = init_charlm("lstm", vocab.size, 3, 4, np.random.default_rng(8))
    a = generate(params, vocab, 30, np.random.default_rng(1), temperature=0.7, prime="ab")
    assert a == generate(params, vocab, 30, np.random.default_rng(1), temperature=0.7, prime="ab")
    # by hand: read the prime, then draw and feed back one character at a time
    rng = np.random.default_rng(1)
    logits, state, _ = charlm_forward(params, vocab.encode("ab")[None], None)
    out = []
    for _ in range(30):
        k = sample_next(logits[0, -1], 0.7, rng)
        out.append(vocab.chars[k])
        logits, state, _ = charlm_forward(params, np.array([[k]]), state)
    assert a == "".join(out)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        generate(params, vocab, 5, np.random.default_rng(1), prime="xyz")


def test_lstm_internals_match_the_forward_pass():
    rng = np.random.default_rng(9)
    params = init_charlm("lstm", 6, 3, 5, rng, layers=2)
    ids = rng.integers(6, size=20)
    inside = lstm_internals(params, ids, layer=1)
    _, state, cache = charlm_forward(params, ids[None], None)
    assert np.allclose(inside["h"][-1], state[1][0][0]) and np.allclose(inside["c"][-1], state[1][1][0])
    # the gates reproduce the cell update c_t = f c_{t-1} + i g and h_t = o tanh(c_t)
    c_prev = np.vstack([np.zeros((1, 5)), inside["c"][:-1]])
    assert np.allclose(inside["c"], inside["f"] * c_prev + inside["i"] * inside["g"])
    assert np.allclose(inside["h"], inside["o"] * np.tanh(inside["c"]))


def test_shapes_counts_and_errors():
    params = init_charlm("lstm", 10, 4, 6, np.random.default_rng(0))
    assert count_params(params) == 10 * 4 + 4 * (4 * 6 + 6 * 6 + 6) + 6 * 10 + 10
    assert [s[0].shape for s in zero_state(params, 3)] == [(3, 6)]
    with pytest.raises(ValueError, match=r"ids in \[0, V\)"):
        charlm_forward(params, np.array([[0, 10]]))
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        charlm_forward(params, np.array([0, 1]))
    with pytest.raises(ValueError, match="kind"):
        init_charlm("gru", 10, 4, 6, np.random.default_rng(0))
    with pytest.raises(ValueError, match="layer 2"):
        CharLMParams(params.embed, (params.cells[0], params.cells[0]), params.W_out, params.b_out)
    paths = [p for p, _ in tree_leaves_with_path(params)]
    assert paths[0] == "embed" and paths[1] == "cells.0.W_xi" and paths[-1] == "b_out"
