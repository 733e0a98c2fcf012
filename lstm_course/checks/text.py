"""Checks for lesson 11's exercises: sampling with a temperature, and the truncated-BPTT loop.

Both name the classic mistakes:

- sampling: the temperature applied after the softmax (it then changes nothing), multiplying by
  the temperature instead of dividing, the argmax instead of a draw, not using the rng given;
- truncated BPTT: the state reset at every chunk, the gradient carried across the cut into the
  previous chunk, the parameters not updated between chunks, the inputs used as targets.

The sampling check compares *frequencies*: it draws a few thousand characters at several
temperatures and measures the total-variation distance between what the learner's function
drew and each candidate distribution (the right one and each mistake's). With M = 2000 draws
over V = 6 characters the sampling noise of that distance is about 0.02-0.03; the candidates are at
least 0.15 apart (tests/test_checks_text.py asserts it), so the verdict does not depend on luck.

The truncated-BPTT check hands the learner's loop *spies* for forward, loss, backward and
update, which record how they were called, and compares the record with the right order of calls.
"""

from __future__ import annotations

import traceback
import warnings

import numpy as np

from .result import CheckResult, apply_expectation

__all__ = ["check_sample_with_temperature", "check_tbptt_epoch", "sampling_candidates", "TEMPERATURES",
           "DRAWS"]

TEMPERATURES = (0.5, 1.0, 2.0)
DRAWS = 2000
PASS_DISTANCE = 0.06  # total variation below this: the learner's draws follow the distribution
LESSON_SEED = 2015  # the fixed cases of the lessons (seed=None), not any seed a grader would draw


class _Fail(Exception):
    def __init__(self, message, status="fail"):
        super().__init__(message)
        self.message, self.status = message, status


def _run(name, body, fn, seed):
    """Run a check body on the learner's function; never raise at the learner (except by CI's request)."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
    if not callable(fn):
        result = CheckResult(name, False, f"expected a function, got {type(fn).__name__}: pass the function "
                             f"itself, {name}(your_function), without calling it", "fail")
    else:
        try:
            result = CheckResult(name, True, body(fn, seed), "pass")
        except _Fail as verdict:
            result = CheckResult(name, False, verdict.message, verdict.status)
        except Exception as exc:  # a bug in the check itself
            result = CheckResult(name, False, f"the check itself failed ({type(exc).__name__}: {exc}); "
                                 "please report this to the course's authors", "fail")
    return apply_expectation(result)


def _call(fn, *args):
    """fn(*args), turning NotImplementedError and other exceptions into a verdict for the learner."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*args)
    except _Fail:
        raise
    except NotImplementedError:
        raise _Fail("not implemented yet: replace `raise NotImplementedError` with your code",
                    "not_implemented") from None
    except Exception as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if f.filename == getattr(getattr(fn, "__code__", None), "co_filename", None)]
        where = f" at line {frames[-1].lineno} (`{(frames[-1].line or '').strip()[:100]}`)" if frames else ""
        raise _Fail(f"your function raised {type(exc).__name__}: {str(exc)[:200]}{where}") from None


# ---------------------------------------------------------------------------------------
# Sampling with a temperature

def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def sampling_candidates(logits, temperature):
    """The distribution of the right answer and of each classic mistake: list of (hint, p), right first."""
    z = np.asarray(logits, dtype=np.float64)
    V = len(z)
    argmax = np.zeros(V)
    argmax[np.argmax(z)] = 1.0
    return [
        (None, _softmax(z / temperature)),
        ("your draws ignore the temperature, as when it is applied after the softmax "
         "(softmax(z) / T, renormalised, is softmax(z) again): divide the logits by T, then take the softmax",
         _softmax(z)),
        ("the temperature is applied to the probabilities: softmax(softmax(z) / T) is not it; divide the "
         "logits by T, then take the softmax", _softmax(_softmax(z) / temperature)),
        ("you multiplied the logits by the temperature: divide them, softmax(z / T), so that T < 1 sharpens "
         "and T > 1 flattens", _softmax(z * temperature)),
        ("you always return the most likely character (the argmax): draw one at random from "
         "softmax(z / T), with rng.choice(V, p=p) or rng.random()", argmax),
        ("your draws are uniform: they do not depend on the logits", np.full(V, 1.0 / V)),
    ]


def _sample_body(fn, seed):
    rng = np.random.default_rng(LESSON_SEED if seed is None else seed)
    base = np.array([2.0, 1.0, 0.5, 0.0, -0.5, -1.5])
    logits = rng.permutation(base) + rng.normal(0.0, 0.05, size=base.size)  # fresh but well separated
    V = len(logits)
    for temperature in TEMPERATURES:
        draw_seed = int(rng.integers(2**31))
        draws = []
        for i in range(DRAWS):
            # a fresh generator per draw: the grader's sandbox receives a copy of the generator, whose
            # state would not come back, so each draw gets its own seed
            z = logits.copy()
            k = _call(fn, z, temperature, np.random.default_rng([draw_seed, i]))
            if not np.array_equal(z, logits):
                raise _Fail("your function changed the logits in place: compute new arrays (z / T, not z /= T)")
            if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) and not (
                    isinstance(k, np.ndarray) and k.shape == () and np.issubdtype(k.dtype, np.integer)):
                what = f"an array of shape {k.shape}" if isinstance(k, np.ndarray) else f"a {type(k).__name__}"
                raise _Fail(f"expected your function to return one integer id in [0, {V}), got {what}")
            k = int(k)
            if not 0 <= k < V:
                raise _Fail(f"expected an id in [0, {V}), got {k}")
            draws.append(k)
        repeat = [int(_call(fn, logits.copy(), temperature, np.random.default_rng([draw_seed, i])))
                  for i in range(30)]
        if repeat != draws[:30]:
            raise _Fail("the same rng state gave different draws: draw from the rng you are given "
                        "(rng.choice or rng.random), not from np.random or random")
        freq = np.bincount(draws, minlength=V) / DRAWS
        candidates = sampling_candidates(logits, temperature)
        distances = [0.5 * np.abs(freq - p).sum() for _, p in candidates]
        best = int(np.argmin(distances))
        if best == 0 and distances[0] < PASS_DISTANCE:
            continue
        hint = candidates[best][0] if best > 0 else "draw from softmax(logits / T)"
        raise _Fail(f"at temperature {temperature}, your {DRAWS} draws are {distances[0]:.2f} away (total "
                    f"variation) from softmax(logits / T): {hint}")
    return (f"your draws follow softmax(logits / T) at T = {', '.join(map(str, TEMPERATURES))} "
            f"({DRAWS} draws each), from the rng given")


def check_sample_with_temperature(fn, *, seed: int | None = None) -> CheckResult:
    """Check ``fn(logits (V,), temperature, rng) -> int``: one id drawn from softmax(logits / temperature).

    Parameters
    ----------
    fn : the learner's function
    seed : int or None
        Draws fresh logits and random streams (None: the lesson's fixed case).
    """
    return _run("check_sample_with_temperature", _sample_body, fn, seed)


# ---------------------------------------------------------------------------------------
# The truncated-BPTT loop

class _Cache:
    """What the spy forward returns as a cache: remembers its chunk."""

    def __init__(self, chunk):
        self.chunk = chunk

    def __repr__(self):
        return f"<cache of chunk {self.chunk}>"


class _Spies:
    """forward, loss_fn, backward, update that record their calls and return recognisable values."""

    def __init__(self, rng, N, T, V, H, n_chunks):
        self.rng, self.N, self.V, self.H = rng, N, V, H
        self.calls = []  # ("forward", chunk index, ...), in order
        self.state0 = self._state(-1)
        self.params0 = np.array([0.0])
        self.chunks = []
        L = n_chunks * T + 1
        streams = rng.integers(V, size=(N, L))
        for start in range(0, L - 1, T):
            stop = min(start + T, L - 1)
            self.chunks.append((streams[:, start:stop], streams[:, start + 1:stop + 1]))
        self.states = {}  # chunk -> final state returned by forward
        self.losses = {}
        self.logits = {}
        self.dstate0 = {}

    def _state(self, k):
        marks = self.rng.normal(size=(2, self.N, self.H))
        return (marks[0] + 10 * (k + 2), marks[1] - 10 * (k + 2))  # (h, c)

    def _which_chunk(self, x):
        for k, (cx, _) in enumerate(self.chunks):
            if np.shape(x) == cx.shape and np.array_equal(x, cx):
                return k
        return None

    def forward(self, params, x, state):
        k = self._which_chunk(x)
        self.calls.append(("forward", k, np.array(params, copy=True), state, np.array(x, copy=True)))
        if k is None:
            k = -1
        logits = self.rng.normal(size=(self.N, np.shape(x)[1], self.V))
        new_state = self._state(k)
        self.states[k], self.logits[k] = new_state, logits
        return logits, new_state, _Cache(k)

    def loss_fn(self, logits, y):
        k = next((j for j, z in self.logits.items() if z is logits or np.array_equal(np.asarray(logits), z)), None)
        self.calls.append(("loss", k, np.array(y, copy=True)))
        loss = float(self.rng.uniform(1, 5))
        self.losses[k] = loss
        return loss, self.rng.normal(size=np.shape(logits))

    def backward(self, dlogits, cache, dstate_last=None):
        self.calls.append(("backward", getattr(cache, "chunk", None), dstate_last))
        dstate0 = tuple(self.rng.normal(size=(self.N, self.H)) for _ in range(2))
        self.dstate0[getattr(cache, "chunk", None)] = dstate0
        return np.array([1.0]), dstate0

    def update(self, params, dparams):
        new = np.asarray(params, dtype=float) + 1.0  # the params count the updates
        self.calls.append(("update", None, np.array(params, copy=True)))
        return new


def _same_state(a, b):
    try:
        return len(a) == len(b) and all(np.shape(u) == np.shape(v) and np.array_equal(u, v) for u, v in zip(a, b))
    except TypeError:
        return False


def _tbptt_body(fn, seed):
    rng = np.random.default_rng(LESSON_SEED if seed is None else seed)
    N, T, V, H = int(rng.integers(2, 5)), int(rng.integers(3, 7)), 5, 3
    n_chunks = int(rng.integers(4, 7))
    spies = _Spies(rng, N, T, V, H, n_chunks)
    # a list, not an iterator: the grader's sandbox receives plain data (and calls the spies back)
    out = _call(fn, spies.params0.copy(), list(spies.chunks), spies.state0, spies.forward, spies.loss_fn,
                spies.backward, spies.update)
    chunks = len(spies.chunks)
    forwards = [c for c in spies.calls if c[0] == "forward"]
    backwards = [c for c in spies.calls if c[0] == "backward"]
    losses = [c for c in spies.calls if c[0] == "loss"]
    updates = [c for c in spies.calls if c[0] == "update"]
    if not forwards:
        raise _Fail("your loop never called forward: for each chunk (x, y), run forward(params, x, state)")
    if any(c[1] is None for c in forwards):
        raise _Fail("forward received an x that is not one of the chunks (a longer stretch of text, reaching "
                    "back across earlier chunks?): pass each chunk's x as it is")
    if [c[1] for c in forwards] != list(range(chunks)):
        raise _Fail(f"expected forward to run once per chunk, in order (chunks 0..{chunks - 1}), got chunks "
                    f"{[c[1] for c in forwards]}")
    for k, call in enumerate(forwards):
        state = call[3]
        if k == 0:
            if not _same_state(state, spies.state0):
                raise _Fail("the first chunk must start from the state you are given (the `state` argument)")
            continue
        if _same_state(state, spies.states[k - 1]):
            continue
        if state is None or _same_state(state, spies.state0) or all(
                np.all(np.asarray(s) == 0) for s in state):
            raise _Fail("the state is reset at every chunk: pass the state forward returned for chunk k - 1 "
                        "into chunk k, so that the model reads the text as one sequence")
        raise _Fail(f"chunk {k} did not start from the state that forward returned for chunk {k - 1}")
    if len(backwards) > chunks or any(c[2] is not None for c in backwards) or any(
            c[1] != k for k, c in enumerate(backwards)):
        raise _Fail("the gradient is carried across the cut: call backward once per chunk, on that chunk's "
                    "cache only, without dstate_last; drop the gradient on the initial state it returns "
                    "(truncated BPTT stops there)")
    if len(backwards) < chunks:
        raise _Fail(f"expected backward once per chunk ({chunks} chunks), got {len(backwards)} calls")
    if len(losses) != chunks or any(c[1] != k for k, c in enumerate(losses)):
        raise _Fail("call loss_fn(logits, y) once per chunk, with the logits forward returned for that chunk")
    for k, call in enumerate(losses):
        if not np.array_equal(call[2], spies.chunks[k][1]):
            same_as_x = np.array_equal(call[2], spies.chunks[k][0])
            raise _Fail("the targets are the inputs themselves: pass the chunk's y (the next characters) to "
                        "loss_fn" if same_as_x else f"loss_fn did not receive chunk {k}'s y as targets")
    if len(updates) != chunks:
        raise _Fail(f"expected update(params, dparams) once per chunk ({chunks}), got {len(updates)} calls")
    for k, call in enumerate(forwards):
        if float(np.asarray(call[2]).ravel()[0]) != float(k):
            raise _Fail("forward must use the parameters update returned after the previous chunk "
                        "(params = update(params, dparams))")
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        raise _Fail("expected your function to return (params, state, losses)")
    params, state, loss_list = out
    if float(np.asarray(params).ravel()[0]) != float(chunks):
        raise _Fail("return the parameters after the last update")
    if not _same_state(state, spies.states[chunks - 1]):
        raise _Fail("return the state forward returned for the last chunk (the next pass would start there)")
    expected = [spies.losses[k] for k in range(chunks)]
    try:
        got = [float(v) for v in loss_list]
    except (TypeError, ValueError):
        raise _Fail("expected losses as a list of numbers, one per chunk") from None
    if got != expected:
        raise _Fail("expected losses to list loss_fn's loss of every chunk, in order")
    return (f"state carried across {chunks} chunks, gradient cut at each chunk's start, parameters updated "
            "after every chunk")


def check_tbptt_epoch(fn, *, seed: int | None = None) -> CheckResult:
    """Check ``fn(params, chunks, state, forward, loss_fn, backward, update) -> (params, state, losses)``.

    forward(params, x, state) -> (logits, state, cache); loss_fn(logits, y) -> (loss, dlogits);
    backward(dlogits, cache, dstate_last=None) -> (dparams, dstate0); update(params, dparams) -> params.
    Parameters
    ----------
    fn : the learner's function
    seed : int or None
        Draws fresh sizes and numbers (None: the lesson's fixed case).
    """
    return _run("check_tbptt_epoch", _tbptt_body, fn, seed)
