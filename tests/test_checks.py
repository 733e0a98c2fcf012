"""The checks themselves: the result object, the LSTM_COURSE_EXPECT switch, references pass,
stubs are "not implemented yet", and no learner output whatsoever makes a check raise."""

import json
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lstm_course import checks as C
from lstm_course.classic_tasks import adding_should_stop
from lstm_course.gru import gru_step_forward
from lstm_course.activations import sigmoid
from lstm_course.checks.core import Verdict, checker, named_arrays
from lstm_course.gradcheck import numerical_gradient, relative_error
from lstm_course.lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from lstm_course.model import make_loss_fn
from lstm_course.optim import SGD, clip_grad_norm
from lstm_course.rnn import rnn_backward, rnn_step_backward, rnn_step_forward


@pytest.fixture(autouse=True)
def _no_expectation(monkeypatch):
    monkeypatch.delenv(C.ENV_VAR, raising=False)


def _clip(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    scale = min(1.0, max_norm / norm)
    return [g * scale for g in grads], norm


def _softmax_ce(logits, targets):
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = np.arange(len(targets))
    d = np.exp(log_p)
    d[n, targets] -= 1.0
    return float(-log_p[n, targets].mean()), d / len(targets)


def _layer(k, act=sigmoid):
    return lambda x, h, p: act(x @ getattr(p, f"W_x{k}") + h @ getattr(p, f"W_h{k}") + getattr(p, f"b_{k}"))


def _grad_check(f, x, analytic_grad, eps=1e-5):
    return relative_error(analytic_grad, numerical_gradient(f, x, eps))


def _train_step(params, x, y, lr, max_norm):
    loss, grads, _ = make_loss_fn("cross_entropy")(params, x, y)
    clipped, norm = clip_grad_norm(grads, max_norm)
    return SGD(lr).step(params, clipped), loss, norm


def _sample_with_temperature(logits, temperature, rng):
    z = logits / temperature
    p = np.exp(z - z.max())
    return int(rng.choice(len(p), p=p / p.sum()))


def _tbptt_epoch(params, chunks, state, forward, loss_fn, backward, update):
    losses = []
    for x, y in chunks:
        logits, next_state, cache = forward(params, x, state)
        loss, dlogits = loss_fn(logits, y)
        dparams, _ = backward(dlogits, cache)
        params, state = update(params, dparams), next_state
        losses.append(loss)
    return params, state, losses


REFERENCE = {
    "check_rnn_step_forward": rnn_step_forward,
    "check_rnn_step_backward": rnn_step_backward,
    "check_clip_grad_norm": _clip,
    "check_forget_product": lambda f: np.prod(f, axis=0),
    "check_forget_gate": _layer("f"),
    "check_input_gate": _layer("i"),
    "check_candidate": _layer("g", np.tanh),
    "check_output_gate": _layer("o"),
    "check_cell_update": lambda f, i, g, c_prev: f * c_prev + i * g,
    "check_hidden_state": lambda o, c: o * np.tanh(c),
    "check_lstm_step_forward": lstm_step_forward,
    "check_lstm_step_backward": lstm_step_backward,
    "check_softmax_cross_entropy": _softmax_ce,
    "check_rnn_backward": rnn_backward,
    "check_lstm_forward": lstm_forward,
    "check_lstm_backward": (lstm_forward, lstm_backward),
    "check_gradient_check": _grad_check,
    "check_train_step": _train_step,
    "check_gru_step_forward": gru_step_forward,
    "check_adding_should_stop": adding_should_stop,
    "check_sample_with_temperature": _sample_with_temperature,
    "check_tbptt_epoch": _tbptt_epoch,
}
PASS_MESSAGE = {"check_gradient_check": "all 9 cases right: correct gradients below 1e-07, planted bugs caught",
                "check_adding_should_stop": "all 6 cases match the reference",
                "check_sample_with_temperature": "your draws follow softmax(logits / T) at T = 0.5, 1.0, 2.0 "
                                                 "(2000 draws each), from the rng given",
                "check_tbptt_epoch": "state carried across 5 chunks, gradient cut at each chunk's start, "
                                     "parameters updated after every chunk"}


def functions(name, last=None):
    """The reference function(s) of a check, the last one replaced by `last` if given."""
    fns = REFERENCE[name] if isinstance(REFERENCE[name], tuple) else (REFERENCE[name],)
    return fns if last is None else (*fns[:-1], last)


def stub(*args):
    # YOUR CODE HERE
    raise NotImplementedError


def test_every_check_has_a_reference_here():
    assert set(REFERENCE) == set(C.ALL_CHECKS)


# ---------------------------------------------------------------------------------------
# CheckResult

def test_result_repr_is_one_line_with_a_symbol():
    ok = C.CheckResult("check_x", True, "all 3 cases match the reference", "pass")
    bad = C.CheckResult("check_x", False, "a <b> & c", "fail")
    assert repr(ok) == "✅ check_x: all 3 cases match the reference" == str(ok)
    assert repr(bad) == "❌ check_x: a <b> & c"
    assert bool(ok) and not bool(bad)
    assert "\n" not in repr(bad)


def test_result_html_is_escaped_and_styled():
    html = C.CheckResult("check_x", False, "a <b> & c", "fail")._repr_html_()
    assert "a &lt;b&gt; &amp; c" in html and "<code>check_x</code>" in html and "❌" in html
    assert "lstm-course-check-fail" in html


def test_result_mimebundle_carries_json_for_the_grader():
    r = C.CheckResult("check_x", False, "not implemented yet", "not_implemented")
    bundle = r._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", C.MIME_TYPE}
    assert bundle[C.MIME_TYPE] == {"check": "check_x", "status": "not_implemented", "passed": False,
                                   "message": "not implemented yet"}
    assert C.CheckResult.from_dict(json.loads(json.dumps(bundle[C.MIME_TYPE]))) == r


def test_ipython_displays_all_three_mime_types():
    from IPython.core.formatters import DisplayFormatter
    data, _ = DisplayFormatter().format(C.check_cell_update(stub))
    assert {"text/plain", "text/html", C.MIME_TYPE} <= set(data)
    assert data["text/plain"].startswith("❌ check_cell_update: not implemented yet")


@pytest.mark.parametrize("status, passed", [("pass", False), ("fail", True), ("maybe", False)])
def test_result_rejects_inconsistent_fields(status, passed):
    with pytest.raises(ValueError):
        C.CheckResult("check_x", passed, "m", status)


# ---------------------------------------------------------------------------------------
# LSTM_COURSE_EXPECT

def test_unset_never_raises():
    assert C.check_hidden_state(lambda o, c: o * c).status == "fail"
    assert C.check_hidden_state(stub).status == "not_implemented"


def test_expect_pass(monkeypatch):
    monkeypatch.setenv(C.ENV_VAR, "pass")
    assert C.check_hidden_state(REFERENCE["check_hidden_state"]).passed
    with pytest.raises(AssertionError, match="apply tanh to c"):
        C.check_hidden_state(lambda o, c: o * c)
    with pytest.raises(AssertionError, match="not implemented yet"):
        C.check_hidden_state(stub)


def test_expect_not_implemented(monkeypatch):
    monkeypatch.setenv(C.ENV_VAR, "not_implemented")
    assert C.check_hidden_state(stub).status == "not_implemented"
    with pytest.raises(AssertionError, match="all 3 cases match"):
        C.check_hidden_state(REFERENCE["check_hidden_state"])
    with pytest.raises(AssertionError, match="apply tanh"):
        C.check_hidden_state(lambda o, c: o * c)


def test_expect_with_a_typo_is_an_error(monkeypatch):
    monkeypatch.setenv(C.ENV_VAR, "passs")
    with pytest.raises(ValueError, match="LSTM_COURSE_EXPECT"):
        C.check_hidden_state(stub)


# ---------------------------------------------------------------------------------------
# every check: the reference passes, the stub is not implemented, messages are deterministic

@pytest.mark.parametrize("name", sorted(C.ALL_CHECKS))
def test_reference_passes(name):
    result = C.ALL_CHECKS[name](*functions(name))
    assert result.passed and result.status == "pass", result.message
    assert result.name == name
    assert result.message == PASS_MESSAGE.get(name, "all 3 cases match the reference")


@pytest.mark.parametrize("name", sorted(C.ALL_CHECKS))
@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_reference_passes_on_fresh_cases(name, seed):
    result = C.ALL_CHECKS[name](*functions(name), seed=seed)
    assert result.passed, f"seed={seed}: {result.message}"


@pytest.mark.parametrize("name", sorted(C.ALL_CHECKS))
def test_every_check_documents_its_seed(name):
    import inspect
    check = C.ALL_CHECKS[name]
    assert inspect.signature(check).parameters["seed"].default is None
    assert "seed : int or None" in check.__doc__


@pytest.mark.parametrize("name", sorted(C.ALL_CHECKS))
def test_different_seeds_give_different_cases(name):
    """Each seed draws different inputs (recorded by a function that passes them on)."""
    seen = {}
    for seed in (None, 0, 1):
        calls = []

        def recording(*args, _ref=functions(name)[-1], _calls=calls):
            arrays = [arr for k, a in enumerate(args) for _, arr in named_arrays(a, str(k))]
            numbers = [a for a in args if isinstance(a, (int, float))]
            _calls.append([arr.ravel()[:5].astype(float).round(12).tolist() for arr in arrays] + numbers)
            return _ref(*args)

        result = C.ALL_CHECKS[name](*functions(name, recording), seed=seed)
        assert result.passed, result.message
        seen[seed] = repr(calls)
    assert len(set(seen.values())) == 3, "two seeds gave the same cases"


def test_seed_must_be_an_int():
    with pytest.raises(TypeError, match="seed must be an int or None"):
        C.check_hidden_state(REFERENCE["check_hidden_state"], seed=1.5)


def test_two_function_check_counts_its_functions():
    with pytest.raises(TypeError, match="takes 2 functions"):
        C.check_lstm_backward(lstm_backward)
    result = C.check_lstm_backward(lstm_forward, "not a function")
    assert result.status == "fail" and "expected a function as backward" in result.message


@pytest.mark.parametrize("name", sorted(C.ALL_CHECKS))
def test_stub_is_not_implemented(name):
    result = C.ALL_CHECKS[name](*functions(name, stub))
    assert result.status == "not_implemented" and not result.passed
    expected = "not implemented yet: replace `raise NotImplementedError` with your code"
    if isinstance(REFERENCE[name], tuple):
        expected += " (in your backward)"
    assert result.message == expected


def test_two_functions_say_which_one_is_not_implemented():
    result = C.check_lstm_backward(stub, stub)
    assert result.status == "not_implemented" and result.message.endswith("(in your forward)")


@pytest.mark.parametrize("name", sorted(C.ALL_CHECKS))
def test_messages_are_deterministic_and_address_free(name):
    def wrong(*args):
        out = functions(name)[-1](*args)
        if isinstance(out, tuple):  # perturb the first array of the result
            first = out[0]
            first = np.asarray(first) * 1.5 if isinstance(first, np.ndarray) else first
            return (first, out[1] * 1.5, *out[2:])
        return np.asarray(out) * 1.5

    first, second = C.ALL_CHECKS[name](*functions(name, wrong)), C.ALL_CHECKS[name](*functions(name, wrong))
    assert not first.passed
    assert first == second
    assert not re.search(r"0x[0-9a-f]{4,}", first.message)


def test_not_a_function():
    result = C.check_forget_gate(np.zeros((4, 5)))
    assert result.status == "fail" and "expected a function, got an array of shape (4, 5)" in result.message


def test_exception_names_type_and_line():
    def forget_gate(x, h_prev, params):
        a = x @ params.W_xf + h_prev @ params.W_hf + params.b_f
        return sigmoid(a) / 0 + undefined_name  # noqa: F821

    result = C.check_forget_gate(forget_gate)
    assert "raised NameError: name 'undefined_name' is not defined at line" in result.message
    assert "`return sigmoid(a) / 0 + undefined_name  # noqa: F821`" in result.message


def test_missing_import_gets_the_import_line():
    namespace = {}
    exec("def forget_gate(x, h_prev, params):\n    return sigmoid(x @ params.W_xf)\n", namespace)
    result = C.check_forget_gate(namespace["forget_gate"])
    assert "from lstm_course.activations import sigmoid" in result.message


def test_not_implemented_in_a_helper_is_named():
    def helper(x):
        raise NotImplementedError

    def lstm_step(x, h_prev, c_prev, params):
        return helper(x)

    result = C.check_lstm_step_forward(lstm_step)
    assert result.status == "not_implemented"
    assert "helper, which your function calls" in result.message


def test_failure_names_the_case():
    result = C.check_forget_gate(_layer("f", np.tanh))
    assert result.message.endswith("(case 1 of 3: N=4, D=3, H=5)")


def test_learner_warnings_are_silenced():
    def overflowing(o, c):
        return o * np.exp(1e5 * c) / np.exp(1e5 * c)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = C.check_hidden_state(overflowing)
    assert not result.passed and caught == []


def test_a_bug_in_a_check_still_returns_a_result():
    @checker
    def check_broken(fn):
        raise KeyError("oops")

    result = check_broken(stub)
    assert result.status == "fail" and "the check itself failed (KeyError: 'oops')" in result.message


def test_verdict_status_passes_through():
    @checker
    def check_custom(fn):
        raise Verdict("not yet", "not_implemented")

    assert check_custom(stub).status == "not_implemented"


def test_forward_cache_can_be_anything():
    def step(x, h_prev, c_prev, params):
        h, c, _ = lstm_step_forward(x, h_prev, c_prev, params)
        return h, c, "my cache"

    assert C.check_lstm_step_forward(step).passed


def test_multiline_exception_messages_stay_on_one_line():
    def forget_gate(x, h_prev, params):
        raise ValueError("first line\n  second line")

    result = C.check_forget_gate(forget_gate)
    assert "ValueError: first line second line" in result.message and "\n" not in repr(result)


# ---------------------------------------------------------------------------------------
# nothing a learner returns makes a check raise

scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True),
                    st.text(max_size=3), st.complex_numbers(max_magnitude=2))
arrays = hnp.arrays(dtype=st.sampled_from([np.float64, np.float32, np.int64, np.complex128, np.bool_]),
                    shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=6),
                    elements=None)
leaf = st.one_of(scalars, arrays, st.builds(object), st.dictionaries(st.text(max_size=4), scalars, max_size=3))
garbage = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.tuples(inner, inner),
                                                     st.tuples(inner, inner, inner),
                                                     st.tuples(inner, inner, inner, inner)),
                       max_leaves=8)


@pytest.mark.parametrize("name", sorted(C.ALL_CHECKS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=garbage)
def test_any_return_value_gives_a_result_never_an_exception(name, value):
    result = C.ALL_CHECKS[name](*functions(name, lambda *args: value))
    assert isinstance(result, C.CheckResult)
    assert result.status in ("fail", "pass")
    assert "the check itself failed" not in result.message, result.message
    assert "\n" not in result.message
