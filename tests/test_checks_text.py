"""The checks of lesson 11's exercises pass right answers and name each classic mistake."""

import numpy as np
import pytest

from lstm_course.checks import check_sample_with_temperature, check_tbptt_epoch
from lstm_course.checks.text import DRAWS, PASS_DISTANCE, TEMPERATURES, sampling_candidates


@pytest.fixture(autouse=True)
def _no_expectation(monkeypatch):
    monkeypatch.delenv("LSTM_COURSE_EXPECT", raising=False)


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def right_sample(logits, temperature, rng):
    p = softmax(logits / temperature)
    return int(rng.choice(len(p), p=p))


def test_candidates_are_far_apart_compared_with_sampling_noise():
    # The verdict relies on the right distribution and each mistake's being > 0.15 apart in total
    # variation, while the noise of DRAWS draws is about sqrt(V / DRAWS) / 2 ~ 0.02.
    for seed in (None, 0, 1, 2, 3):
        rng = np.random.default_rng(0 if seed is None else seed)
        logits = rng.permutation(np.array([2.0, 1.0, 0.5, 0.0, -0.5, -1.5]))
        for T in TEMPERATURES:
            cands = sampling_candidates(logits, T)
            right = cands[0][1]
            for hint, p in cands[1:]:
                distance = 0.5 * np.abs(right - p).sum()
                if T == 1.0 and "temperature" in hint:
                    continue  # at T = 1 the temperature mistakes are harmless: other T catch them
                assert distance > 0.15, (hint, T, distance)
    assert PASS_DISTANCE < 0.15 / 2 and DRAWS >= 2000


@pytest.mark.parametrize("seed", [None, 5])
def test_sampling_right_answers_pass(seed):
    assert check_sample_with_temperature(right_sample, seed=seed).passed

    def inverse_cdf(logits, temperature, rng):
        p = softmax(logits / temperature)
        return int(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right"))

    assert check_sample_with_temperature(inverse_cdf, seed=seed).passed


def after_softmax(logits, temperature, rng):
    p = softmax(logits) / temperature
    p = p / p.sum()
    return int(rng.choice(len(p), p=p))


def times_t(logits, temperature, rng):
    p = softmax(logits * temperature)
    return int(rng.choice(len(p), p=p))


def argmax(logits, temperature, rng):
    return int(np.argmax(logits / temperature))


def global_rng(logits, temperature, rng):
    p = softmax(logits / temperature)
    return int(np.random.choice(len(p), p=p))


def in_place(logits, temperature, rng):
    logits /= temperature
    p = softmax(logits)
    return int(rng.choice(len(p), p=p))


def not_implemented(logits, temperature, rng):
    raise NotImplementedError


@pytest.mark.parametrize("fn, words", [
    (after_softmax, "after the softmax"),
    (times_t, "multiplied"),
    (argmax, "argmax"),
    (global_rng, "rng you are given"),
    (in_place, "in place"),
])
def test_sampling_mistakes_are_named(fn, words):
    result = check_sample_with_temperature(fn)
    assert not result.passed and result.status == "fail"
    assert words in result.message, result.message


def test_sampling_not_implemented():
    assert check_sample_with_temperature(not_implemented).status == "not_implemented"


# ---------------------------------------------------------------------------------------

def right_tbptt(params, chunks, state, forward, loss_fn, backward, update):
    losses = []
    for x, y in chunks:
        logits, next_state, cache = forward(params, x, state)
        loss, dlogits = loss_fn(logits, y)
        dparams, _ = backward(dlogits, cache)
        params = update(params, dparams)
        state = next_state
        losses.append(loss)
    return params, state, losses


def reset_every_chunk(params, chunks, state, forward, loss_fn, backward, update):
    losses, first = [], state
    for x, y in chunks:
        logits, next_state, cache = forward(params, x, first)
        loss, dlogits = loss_fn(logits, y)
        dparams, _ = backward(dlogits, cache)
        params = update(params, dparams)
        state = next_state
        losses.append(loss)
    return params, state, losses


def zeros_every_chunk(params, chunks, state, forward, loss_fn, backward, update):
    losses = []
    for k, (x, y) in enumerate(chunks):
        if k > 0:
            state = tuple(np.zeros_like(s) for s in state)
        logits, state, cache = forward(params, x, state)
        loss, dlogits = loss_fn(logits, y)
        dparams, _ = backward(dlogits, cache)
        params = update(params, dparams)
        losses.append(loss)
    return params, state, losses


def gradient_across_cut(params, chunks, state, forward, loss_fn, backward, update):
    losses, dstate = [], None
    for x, y in chunks:
        logits, state, cache = forward(params, x, state)
        loss, dlogits = loss_fn(logits, y)
        dparams, dstate = backward(dlogits, cache, dstate)
        params = update(params, dparams)
        losses.append(loss)
    return params, state, losses


def backprop_through_all_chunks(params, chunks, state, forward, loss_fn, backward, update):
    losses, caches = [], []
    for x, y in chunks:
        logits, state, cache = forward(params, x, state)
        loss, dlogits = loss_fn(logits, y)
        caches.append((dlogits, cache))
        dstate = None
        for dl, c in reversed(caches):  # back through every earlier chunk
            dparams, dstate = backward(dl, c, dstate)
        params = update(params, dparams)
        losses.append(loss)
    return params, state, losses


def targets_are_inputs(params, chunks, state, forward, loss_fn, backward, update):
    losses = []
    for x, y in chunks:
        logits, state, cache = forward(params, x, state)
        loss, dlogits = loss_fn(logits, x)
        dparams, _ = backward(dlogits, cache)
        params = update(params, dparams)
        losses.append(loss)
    return params, state, losses


def no_update(params, chunks, state, forward, loss_fn, backward, update):
    losses = []
    for x, y in chunks:
        logits, state, cache = forward(params, x, state)
        loss, dlogits = loss_fn(logits, y)
        dparams, _ = backward(dlogits, cache)
        update(params, dparams)
        losses.append(loss)
    return params, state, losses


@pytest.mark.parametrize("seed", [None, 0, 7])
def test_tbptt_right_answer_passes(seed):
    result = check_tbptt_epoch(right_tbptt, seed=seed)
    assert result.passed, result.message


@pytest.mark.parametrize("fn, words", [
    (reset_every_chunk, "reset at every chunk"),
    (zeros_every_chunk, "reset at every chunk"),
    (gradient_across_cut, "carried across the cut"),
    (backprop_through_all_chunks, "carried across the cut"),
    (targets_are_inputs, "targets are the inputs"),
    (no_update, "update"),
])
def test_tbptt_mistakes_are_named(fn, words):
    result = check_tbptt_epoch(fn)
    assert not result.passed and result.status == "fail"
    assert words in result.message, result.message


def test_tbptt_not_implemented_and_not_a_function():
    def stub(params, chunks, state, forward, loss_fn, backward, update):
        raise NotImplementedError

    assert check_tbptt_epoch(stub).status == "not_implemented"
    assert check_tbptt_epoch(42).status == "fail"
