"""Shared helpers for the RNN / LSTM tests: random non-zero problems and a tiny gradient check.

The finite-difference code is deliberately local (a dozen lines) so that the tests of
`lstm_course.lstm` and `lstm_course.rnn` do not trust the package's own `gradcheck` module:
a bug there cannot hide a bug here.

Why biases, h0 and c0 are never zero: a zero bias makes a wrong bias gradient invisible in
some checks, and zero initial states make dh0/dc0 and the first step's W_h terms vanish
(one well-known NumPy LSTM compared itself to PyTorch with all biases at zero and hid a
bias bug for months).
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np

from lstm_course.random_params import nonzero_normal, random_lstm_params, random_rnn_params  # noqa: F401 (used by the tests)

# Centred differences in float64 with step 1e-6: the truncation error is O(step^2) ~ 1e-12 and the
# round-off error is ~ eps * |loss| / step ~ 1e-16 * 10 / 1e-6 = 1e-9 at worst, so a correct
# gradient shows a relative error near 1e-9 (1e-10 typically), while a wrong formula (a missing
# term, a swapped gate) shows an error near 1e-1. 1e-7 sits safely between the two.
STEP = 1e-6
TOL = 1e-7
# A broken backward must be reported with an error at least this large (see the known-wrong tests).
BROKEN = 1e-3

# Phrases of raw NumPy / Python errors that must never reach a learner from our public functions.
RAW_NUMPY_PHRASES = (
    "operands could not be broadcast",
    "not enough values to unpack",
    "too many values to unpack",
    "matmul: Input operand",
    "setting an array element with a sequence",
    "could not convert",
    "inhomogeneous",
    "object has no attribute",
    "unsupported operand",
    "return arrays must be of ArrayType",
)


def numerical_gradient(f, a, step=STEP):
    """Centred differences of the scalar function `f` at the float64 array `a` (never modified)."""
    a = np.array(a, dtype=np.float64)  # a private copy that we perturb
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + step
        f_plus = f(a.copy())
        a[idx] = old - step
        f_minus = f(a.copy())
        a[idx] = old
        grad[idx] = (f_plus - f_minus) / (2.0 * step)
    return grad


def relative_error(analytic, numerical):
    """max|a - n| / (max|a| + max|n|): 0 when equal, ~1 when unrelated, scale-free."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numerical = np.asarray(numerical, dtype=np.float64)
    if analytic.shape != numerical.shape:
        raise AssertionError(f"gradient of shape {analytic.shape}, expected {numerical.shape}")
    denom = np.abs(analytic).max(initial=0.0) + np.abs(numerical).max(initial=0.0)
    return float(np.abs(analytic - numerical).max(initial=0.0) / max(denom, 1e-300))


def field_names(params):
    return [f.name for f in dataclasses.fields(params)]


def replace_field(params, name, value):
    return dataclasses.replace(params, **{name: value})


def numerical_gradients(loss, inputs):
    """Centred-difference gradients of `loss` for every input.

    loss : callable taking the keyword arguments in `inputs` and returning a float
    inputs : dict name -> array or parameter dataclass (whose every field is differentiated)

    Returns a dict "name" (arrays) or "name.field" (dataclass fields) -> gradient.
    """
    grads = {}
    for name, value in inputs.items():
        if dataclasses.is_dataclass(value):
            for field in field_names(value):
                def f(a, name=name, field=field, value=value):
                    return loss(**{**inputs, name: replace_field(value, field, a)})
                grads[f"{name}.{field}"] = numerical_gradient(f, getattr(value, field))
        else:
            def f(a, name=name):
                return loss(**{**inputs, name: a})
            grads[name] = numerical_gradient(f, value)
    return grads


def flatten_gradients(analytic):
    """dict name -> array or dataclass  ==>  dict "name" / "name.field" -> array."""
    flat = {}
    for name, value in analytic.items():
        if dataclasses.is_dataclass(value):
            for field in field_names(value):
                flat[f"{name}.{field}"] = getattr(value, field)
        else:
            flat[name] = value
    return flat


def compare_gradients(analytic, numerical):
    """Relative error of each analytic gradient (dict as for flatten_gradients) vs `numerical`."""
    flat = flatten_gradients(analytic)
    assert flat.keys() == numerical.keys(), f"gradients for {sorted(flat)}, expected {sorted(numerical)}"
    return {k: relative_error(flat[k], numerical[k]) for k in numerical}


def gradient_errors(loss, inputs, analytic):
    """Relative errors of every analytic gradient against centred differences of `loss`."""
    return compare_gradients(analytic, numerical_gradients(loss, inputs))


def assert_gradients_ok(errors, tol=TOL):
    bad = {k: v for k, v in errors.items() if not v < tol}
    assert not bad, f"relative errors above {tol:g}: {bad}"


# ---------------------------------------------------------------------------------------
# Random problems with nothing at zero

def lstm_problem(seed=0, N=2, T=4, D=3, H=5, dtype=np.float64, scale=0.5):
    """Everything an LSTM test needs: x (N, T, D), non-zero h0 and c0 (N, H), params, an upstream
    gradient dh (N, T, H) on every hidden state and dc_last (N, H) on the last cell state."""
    rng = np.random.default_rng(seed)
    return SimpleNamespace(
        N=N, T=T, D=D, H=H,
        params=random_lstm_params(D, H, rng, scale, dtype),
        x=rng.normal(size=(N, T, D)).astype(dtype),
        h0=nonzero_normal((N, H), rng, 0.5, dtype),
        c0=nonzero_normal((N, H), rng, 1.0, dtype),
        dh=rng.normal(size=(N, T, H)).astype(dtype),
        dc_last=nonzero_normal((N, H), rng, 1.0, dtype),
    )


def rnn_problem(seed=0, N=2, T=4, D=3, H=5, dtype=np.float64, scale=0.5):
    """x (N, T, D), non-zero h0 (N, H), params, upstream dh (N, T, H) on every hidden state."""
    rng = np.random.default_rng(seed)
    return SimpleNamespace(
        N=N, T=T, D=D, H=H,
        params=random_rnn_params(D, H, rng, scale, dtype),
        x=rng.normal(size=(N, T, D)).astype(dtype),
        h0=nonzero_normal((N, H), rng, 0.5, dtype),
        dh=rng.normal(size=(N, T, H)).astype(dtype),
    )


# ---------------------------------------------------------------------------------------
# "Nothing was changed" and "nothing is shared"

def snapshot(*objects):
    """Deep copies of every array in `objects` (arrays, parameter dataclasses, tuples, dicts)."""
    return [_copy(o) for o in objects]


def _copy(o):
    if isinstance(o, np.ndarray):
        return o.copy()
    if dataclasses.is_dataclass(o):
        return {f: getattr(o, f).copy() for f in field_names(o)}
    if isinstance(o, dict):
        return {k: _copy(v) for k, v in o.items()}
    if isinstance(o, tuple):
        return tuple(_copy(v) for v in o)
    return o


def assert_unchanged(before, *objects):
    """Every array in `objects` equals (values, dtype, shape) its copy in `before`."""
    for old, new in zip(before, objects):
        _compare(old, new, "argument")


def _compare(old, new, where):
    if isinstance(old, np.ndarray):
        assert new.dtype == old.dtype and new.shape == old.shape, f"{where} changed dtype or shape"
        assert np.array_equal(old, new), f"{where} was modified"
    elif dataclasses.is_dataclass(new):
        for k, v in old.items():
            _compare(v, getattr(new, k), f"{where}.{k}")
    elif isinstance(old, dict):
        assert old.keys() == new.keys()
        for k in old:
            _compare(old[k], new[k], f"{where}[{k!r}]")
    elif isinstance(old, tuple):
        names = getattr(new, "_fields", range(len(old)))  # NamedTuple caches: say which field
        for k, a, b in zip(names, old, new):
            _compare(a, b, f"{where}.{k}" if isinstance(k, str) else f"{where}[{k}]")


def arrays_in(o):
    """Every ndarray inside `o` (an array, a parameter dataclass, a NamedTuple cache, a dict ...)."""
    if isinstance(o, np.ndarray):
        return [o]
    if dataclasses.is_dataclass(o):
        return [getattr(o, f) for f in field_names(o)]
    if isinstance(o, dict):
        return [a for v in o.values() for a in arrays_in(v)]
    if isinstance(o, (tuple, list)):
        return [a for v in o for a in arrays_in(v)]
    return []


def assert_no_shared_memory(outputs, others):
    """No array of `outputs` shares memory with any array of `others`."""
    for a in arrays_in(outputs):
        for b in arrays_in(others):
            assert not np.shares_memory(a, b), f"an output array of shape {a.shape} aliases an input of shape {b.shape}"
