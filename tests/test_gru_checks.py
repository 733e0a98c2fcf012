"""The checks of lessons 12 and 13: the reference passes, a stub is "not implemented yet", and each
typical mistake gets its own hint."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_course import checks as C
from lstm_course.activations import sigmoid
from lstm_course.checks.gru import GRU_VARIANTS, _gru_step
from lstm_course.classic_tasks import adding_should_stop
from lstm_course.gru import gru_step_forward


@pytest.fixture(autouse=True)
def _no_expectation(monkeypatch):
    monkeypatch.delenv(C.ENV_VAR, raising=False)


def stub(*args):
    # YOUR CODE HERE
    raise NotImplementedError


def _written_out(x, h_prev, p):
    r = sigmoid(x @ p.W_xr + h_prev @ p.W_hr + p.b_r)
    z = sigmoid(x @ p.W_xz + h_prev @ p.W_hz + p.b_z)
    n = np.tanh(x @ p.W_xn + p.b_in + r * (h_prev @ p.W_hn + p.b_hn))
    return (1 - z) * n + z * h_prev, None


@pytest.mark.parametrize("seed", [None, 7])
def test_gru_check_passes_the_reference_and_a_written_out_step(seed):
    assert C.check_gru_step_forward(gru_step_forward, seed=seed).passed
    assert C.check_gru_step_forward(_written_out, seed=seed).passed


def test_gru_check_reports_a_stub_as_not_implemented():
    assert C.check_gru_step_forward(stub).status == "not_implemented"
    assert C.check_adding_should_stop(stub).status == "not_implemented"


@pytest.mark.parametrize("hint, mistake", GRU_VARIANTS, ids=[f"mistake{k}" for k in range(len(GRU_VARIANTS))])
def test_each_gru_mistake_gets_its_hint(hint, mistake):
    result = C.check_gru_step_forward(lambda x, h, p: (_gru_step(x, h, p, **mistake), None))
    assert result.status == "fail" and result.message.startswith(hint), result.message


def test_the_three_named_mistakes_are_told_apart():
    swapped = C.check_gru_step_forward(lambda x, h, p: (_gru_step(x, h, p, update="swap"), None))
    outside = C.check_gru_step_forward(lambda x, h, p: (_gru_step(x, h, p, reset="before_product"), None))
    merged = C.check_gru_step_forward(lambda x, h, p: (_gru_step(x, h, p, reset="bias_outside"), None))
    assert "z and 1 - z are swapped" in swapped.message
    assert "before the matrix product" in outside.message
    assert "b_hn is added outside the reset gate" in merged.message


def test_gru_check_wrong_return_shapes_are_explained():
    assert "return h, cache" in C.check_gru_step_forward(lambda x, h, p: gru_step_forward(x, h, p)[0]).message
    assert "(N, H)" in C.check_gru_step_forward(lambda x, h, p: (np.zeros(3), None)).message


def test_stopping_rule_check():
    assert C.check_adding_should_stop(adding_should_stop).passed

    def whole_history(err, ok):  # averages and checks over everything, not the last 2,000
        return len(ok) >= 2000 and bool(np.all(ok)) and float(np.mean(err)) < 0.01

    def no_window(err, ok):
        return bool(np.all(ok[-2000:])) and float(np.mean(err[-2000:])) < 0.01

    def no_error_test(err, ok):
        return len(ok) >= 2000 and bool(np.all(ok[-2000:]))

    assert "older than the last 2,000" in C.check_adding_should_stop(whole_history).message
    assert "fewer than 2,000" in C.check_adding_should_stop(no_window).message
    assert "below 0.01" in C.check_adding_should_stop(no_error_test).message
    assert "True or False" in C.check_adding_should_stop(lambda e, o: "yes").message
