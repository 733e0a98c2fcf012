"""Defects that learners found in the checks, one test each (each failed before its fix):
float32 reported as "expected 0.973723, got 0.973723", the softmax check rejecting the lesson's
own method, PyTorch-style and float32 clipping diagnosed as "already below max_norm", a learner
function that never returns, SystemExit, and a learner's np.seterr(all="raise")."""

import signal
import threading
import time

import numpy as np
import pytest

from lstm_course import checks as C
from lstm_course.checks import core
from lstm_course.lstm import lstm_step_forward


@pytest.fixture(autouse=True)
def _no_expectation(monkeypatch):
    monkeypatch.delenv(C.ENV_VAR, raising=False)


# ---------------------------------------------------------------------------------------
# float32

def test_float32_result_is_named_as_the_reason():
    result = C.check_hidden_state(lambda o, c: (o * np.tanh(c)).astype(np.float32))
    assert not result.passed
    assert "h is float32" in result.message and "float64" in result.message
    assert not _same_digits_shown(result.message), result.message


def _same_digits_shown(message):
    import re
    m = re.search(r"expected ([-\d.e]+), got ([-\d.e]+)", message)
    return m is not None and m.group(1) == m.group(2)


def test_float32_step_forward_and_backward():
    def step32(x, h_prev, c_prev, params):
        h, c, cache = lstm_step_forward(x, h_prev, c_prev, params)
        return h.astype(np.float32), c.astype(np.float32), cache

    result = C.check_lstm_step_forward(step32)
    assert "float32" in result.message and "float64" in result.message


def test_a_near_miss_in_float64_shows_the_digits_that_differ():
    result = C.check_hidden_state(lambda o, c: o * np.tanh(c) * (1 + 1e-7))
    assert not result.passed and not _same_digits_shown(result.message), result.message


# ---------------------------------------------------------------------------------------
# softmax: the lesson's method, log-softmax hint, the learner's error state

def lesson_method(logits, targets):
    """Shift by the row maximum, softmax, then -log p[target] (lesson 10's text)."""
    N = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    rows = np.arange(N)
    loss = -np.log(p[rows, targets]).mean()
    d = p.copy()
    d[rows, targets] -= 1.0
    return loss, d / N


@pytest.mark.parametrize("seed", [None, 0, 1, 2, 3])
def test_softmax_accepts_the_shift_by_max_method(seed):
    result = C.check_softmax_cross_entropy(lesson_method, seed=seed)
    assert result.passed, result.message


def test_softmax_underflow_gets_the_log_softmax_hint():
    # as if a target's probability had underflowed to 0 in this learner's code: -log(0) = inf
    def underflowing(logits, targets):
        loss, d = lesson_method(logits, targets)
        return (np.inf if logits.max() > 100 else loss), d

    result = C.check_softmax_cross_entropy(underflowing)
    assert "log(0)" in result.message and "logsumexp" in result.message
    assert "subtract each row's maximum" not in result.message


def test_learner_seterr_raise_does_not_break_a_correct_answer():
    old = np.seterr(all="raise")
    try:
        result = C.check_softmax_cross_entropy(lesson_method)
    finally:
        np.seterr(**old)
    assert result.passed, result.message


def test_lesson_10_teaches_what_the_check_expects():
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / "lessons" / "10_training_rnn_vs_lstm.py").read_text()
    assert "logsumexp" in text and "maximum" in text


# ---------------------------------------------------------------------------------------
# clipping: a variant equal to the reference is never the diagnosis

def torch_clip(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    scale = min(1.0, max_norm / (norm + 1e-6))
    return [g * scale for g in grads], norm


def float32_clip(grads, max_norm):
    clipped, norm = torch_clip(grads, max_norm)
    return [np.where(True, g, 0).astype(np.float32) for g in clipped], np.float32(norm)


@pytest.mark.parametrize("seed", [None, 0, 1])
def test_pytorch_style_clipping_passes(seed):
    result = C.check_clip_grad_norm(torch_clip, seed=seed)
    assert result.passed, result.message


def test_float32_clipping_is_not_called_a_needless_scaling():
    result = C.check_clip_grad_norm(float32_clip)
    assert not result.passed
    assert "already below" not in result.message
    assert "float32" in result.message


def test_a_variant_equal_to_the_reference_is_never_named():
    # off by 1e-7 everywhere: wrong at the check's 1e-8, but equal to "always scale" (which
    # matches the reference whenever the norm is above max_norm) within the variants' 1e-6
    def nearly(grads, max_norm):
        clipped, norm = torch_clip(grads, max_norm)
        return [c * (1 + 1e-7) for c in clipped], norm

    result = C.check_clip_grad_norm(nearly)
    assert not result.passed and "already below" not in result.message, result.message


# ---------------------------------------------------------------------------------------
# functions that never return, exit, or are interrupted

@pytest.fixture
def short_timeout(monkeypatch):
    monkeypatch.setattr(core, "LEARNER_TIMEOUT", 0.3)


def forever(o, c):
    while True:
        pass


def forever_swallowing(o, c):
    while True:
        try:
            while True:
                pass
        except Exception:
            pass


@pytest.mark.parametrize("fn", [forever, forever_swallowing])
def test_a_function_that_never_returns_is_stopped(short_timeout, fn):
    start = time.monotonic()
    result = C.check_hidden_state(fn)
    assert time.monotonic() - start < 5
    assert result.status == "fail" and "did not return within 0.3 s" in result.message


def test_the_alarm_of_someone_else_is_restored(short_timeout):
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        assert C.check_hidden_state(lambda o, c: o * np.tanh(c)).passed
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 20 < left <= 30
        assert signal.getsignal(signal.SIGALRM) is not core._run_with_alarm
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert fired == []


def test_outside_the_main_thread_a_watching_thread_reports(short_timeout):
    box = {}

    def stuck(o, c):
        time.sleep(1.0)  # ends by itself, after the check has given up on it
        return o * np.tanh(c)

    thread = threading.Thread(target=lambda: box.setdefault("r", C.check_hidden_state(stuck)))
    thread.start()
    thread.join(10)
    assert "did not return within 0.3 s" in box["r"].message and "restart the kernel" in box["r"].message
    assert C.check_hidden_state(lambda o, c: o * np.tanh(c)).passed


def test_outside_the_main_thread_a_right_answer_passes():
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault(
        "r", C.check_hidden_state(lambda o, c: o * np.tanh(c))))
    thread.start()
    thread.join(10)
    assert box["r"].passed, box["r"].message


def test_a_caller_with_its_own_limit_can_turn_ours_off(monkeypatch):
    monkeypatch.setattr(core, "LEARNER_TIMEOUT", None)

    def slow(o, c):
        time.sleep(0.2)
        return o * np.tanh(c)

    assert C.check_hidden_state(slow).passed


def test_system_exit_becomes_a_message():
    def exits(o, c):
        raise SystemExit(3)

    result = C.check_hidden_state(exits)
    assert result.status == "fail" and "sys.exit()" in result.message and "3" in result.message


def test_keyboard_interrupt_still_interrupts():
    def interrupted(o, c):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        C.check_hidden_state(interrupted)


def test_in_a_jupyter_kernel_a_function_that_never_returns_is_stopped():
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "from lstm_course.checks import core, check_hidden_state\n"
        "core.LEARNER_TIMEOUT = 0.5\n"
        "def forever(o, c):\n"
        "    while True:\n"
        "        pass\n"
        "check_hidden_state(forever)"))
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    text = nb.cells[0].outputs[-1]["data"]["text/plain"]
    assert "did not return within 0.5 s, so the check stopped it" in text
