"""Machinery shared by every check: calling a learner's function safely, and comparing.

A check body receives the learner's function(s) and a `seed`, and either returns a message
(all cases pass) or raises `Verdict` with a message for the learner. `checker` turns such a
body into a public check that never raises on a learner's mistake and returns a `CheckResult`.

Diagnosis works by comparison with *known variants*: a check computes what a typical mistake
(tanh on a gate, a missing bias, ...) would give and reports the hint of the first variant
that matches the learner's output. That is robust: a correct function written differently
(a loop, a stacked weight matrix) matches the reference, a wrong one matches its mistake.
A variant that matches the reference itself (on a case where the mistake makes no difference)
is never the diagnosis.

Seeds: every public check takes a keyword `seed`. With `seed=None` (the default) it runs its
fixed cases, the same at every run, so that a notebook's stored message never changes; with
an integer it draws fresh cases of the same kinds from that seed (the grader uses this, so
that a function tuned to the fixed cases does not pass by accident).

Safety: the learner's function runs under NumPy's and Python's "ignore" error and warning
state (a `np.seterr(all="raise")` in the notebook does not break a correct answer, and
overflow warnings do not print paths), with a time limit (`LEARNER_TIMEOUT` seconds per call;
SIGALRM in the main thread, else a watching thread), and a `SystemExit` it raises becomes a
message. A Ctrl-C (KeyboardInterrupt) still interrupts.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import signal
import threading
import time
import traceback
import warnings

import numpy as np

from .result import CheckResult, apply_expectation

RTOL = 1e-8  # a correct answer: max |got - ref| <= RTOL * max |ref|
VARIANT_RTOL = 1e-6  # a known mistake's output, computed by us, may round a little differently
LOW_PRECISION_RTOL = 1e-4  # float32 keeps ~7 digits: a float32 result of the right formula is this close
# Seconds for one call of the learner's function (right answers take milliseconds). A caller with
# its own time limit (a grader running the function in a sandbox) may set it to None: no limit here.
LEARNER_TIMEOUT = 5.0


class Verdict(Exception):
    """Raised inside a check body to end it with a message (status "fail" or "not_implemented")."""

    def __init__(self, message, status="fail"):
        super().__init__(message)
        self.message = message
        self.status = status


def fail(message):
    raise Verdict(message)


def case_rng(default, seed):
    """The generator of a check's cases: fixed (`default`) when seed is None, else from `seed`."""
    if seed is None:
        return np.random.default_rng(default)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
    return np.random.default_rng([int(seed) & 0xFFFFFFFFFFFFFFFF, default])


def checker(body):
    """Decorator: make a public check from `body(*fns, seed) -> pass message` (which raises Verdict).

    The public check takes the learner's function(s) positionally (as many as `body` has before
    `seed`) and `seed=None` by keyword.
    """
    name = body.__name__
    signature = inspect.signature(body).parameters
    params = [p for p in signature if p != "seed"]
    takes_seed = "seed" in signature

    @functools.wraps(body)
    def check(*fns, seed=None):
        if seed is not None and (isinstance(seed, (bool, np.bool_))
                                 or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"{name}: seed must be an int or None, got {type(seed).__name__}")
        if len(fns) != len(params):
            raise TypeError(f"{name} takes {len(params)} function{'s' if len(params) > 1 else ''} "
                            f"({', '.join(params)}), got {len(fns)}")
        run = functools.partial(body, seed=seed) if takes_seed else body
        return apply_expectation(_evaluate(name, run, fns, params))

    return check


def _evaluate(name, body, fns, params):
    for fn, param in zip(fns, params):
        if not callable(fn):
            which = "" if len(params) == 1 else f" as {param}"
            return CheckResult(name, False, f"expected a function{which}, got {describe(fn)}: pass the "
                               f"function itself, {name}(your_function), without calling it", "fail")
    try:
        # our own reference computations may underflow (exp(-1000)): never let a learner's
        # np.seterr(all="raise") turn that into an error, nor print warnings into the notebook
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return CheckResult(name, True, body(*fns), "pass")
    except Verdict as verdict:
        return CheckResult(name, False, verdict.message, verdict.status)
    except Exception as exc:  # a bug in the check itself: still never raise at the learner
        return CheckResult(name, False, f"the check itself failed ({_exception_text(exc)}); "
                           "please report this to the course's authors", "fail")


# ---------------------------------------------------------------------------------------
# Calling the learner's function

class _TimedOut(BaseException):
    """Raised inside the learner's function by our alarm (BaseException: `except Exception` in
    learner code does not swallow it)."""


def _timeout_message(seconds):
    return (f"your function did not return within {seconds:g} s, so the check stopped it: is there "
            "a loop that never ends (a `while` whose condition never changes, a counter that is never "
            "increased)? The check's cases are tiny; a right answer takes milliseconds")


def _run_with_alarm(fn, args, kwargs, seconds):
    """fn(*args, **kwargs) with SIGALRM after `seconds` (main thread only); restores any alarm."""
    def on_alarm(signum, frame):
        raise _TimedOut()

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    # an interval too: if learner code swallows the first alarm (a bare `except:`), it fires again
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    start = time.monotonic()
    try:
        return fn(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay > 0:  # someone else's alarm (pytest-timeout, say): give it its time back
            left = max(previous_delay - (time.monotonic() - start), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, previous_interval)


def _run_in_thread(fn, args, kwargs, seconds):
    """fn(*args, **kwargs) in a watched daemon thread, for callers outside the main thread.

    A thread cannot be stopped from outside: after `seconds` we stop waiting and say so.
    """
    box = {}

    def target():
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                box["out"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed over to the calling thread
            box["exc"] = exc

    worker = threading.Thread(target=target, name="lstm-course-learner-call", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise Verdict(_timeout_message(seconds) + " (it could not be stopped, as the check was not "
                      "called from the main thread, and may still be running: restart the kernel)")
    if "exc" in box:
        raise box["exc"]
    return box["out"]


def run_limited(fn, args, kwargs=None):
    """Call the learner's fn with a time limit of LEARNER_TIMEOUT seconds (None: no limit); the
    alarm in the main thread, else a watching thread."""
    seconds = LEARNER_TIMEOUT
    kwargs = kwargs or {}
    if seconds is None:
        return fn(*args, **kwargs)
    if hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread():
        return _run_with_alarm(fn, args, kwargs, seconds)
    return _run_in_thread(fn, args, kwargs, seconds)


def _name(message, who):
    return message.replace("your function", who, 1) if who else message


def named_arrays(obj, name):
    """Yield (label, ndarray) for every array inside `obj` (arrays, dataclasses, tuples, lists)."""
    if isinstance(obj, np.ndarray):
        yield name, obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for field in dataclasses.fields(obj):
            yield from named_arrays(getattr(obj, field.name), f"{name}.{field.name}")
    elif isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a NamedTuple
        for field in obj._fields:
            yield from named_arrays(getattr(obj, field), f"{name}.{field}")
    elif isinstance(obj, (list, tuple)):
        for k, item in enumerate(obj):
            yield from named_arrays(item, f"{name}[{k}]")


def call(fn, args, names, shape_hint="", kwargs=None, in_place_hint=None, who=None):
    """Call fn(*args, **kwargs) for the learner; turn exceptions, time-outs and in-place changes
    into a Verdict.

    `names` are the argument names, used to report "your function changed h_prev in place".
    `shape_hint` is added to the message when NumPy complains about shapes. `in_place_hint`,
    if given, replaces the advice of the in-place message.
    """
    snapshots = [(label, arr, arr.copy()) for arg, name in zip(args, names)
                 for label, arr in named_arrays(arg, name)]
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # overflow warnings would print a path into the notebook
            out = run_limited(fn, args, kwargs)
    except _TimedOut:
        raise Verdict(_name(_timeout_message(LEARNER_TIMEOUT), who)) from None
    except NotImplementedError as exc:
        message = _not_implemented_message(fn, exc) + (f" (in {who})" if who else "")
        raise Verdict(message, "not_implemented") from None
    except SystemExit as exc:
        code = "" if exc.code is None else f" with {exc.code!r}"
        raise Verdict(_name(f"your function called sys.exit() or exit(){_clean(code, 80)}, which would "
                            "end the program: return your result instead", who)) from None
    except Verdict as verdict:
        verdict.message = _name(verdict.message, who)
        raise
    except Exception as exc:
        raise Verdict(_name(_raised_message(fn, exc, shape_hint), who)) from None
    for label, arr, before in snapshots:
        if arr.shape != before.shape or not np.array_equal(arr, before, equal_nan=True):
            raise Verdict(f"{who or 'your function'} changed {label} in place"
                          + (in_place_hint or " (with `+=`, `*=`, `[...] =` or an `out=` argument): "
                             "leave the inputs as they are and compute new arrays"))
    return out


_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_CELL_PATH = re.compile(r"/tmp/ipykernel_\d+/\d+\.py")


def _clean(text, limit=300):
    """No memory addresses or kernel paths (strict nbval compares messages), bounded length."""
    text = _CELL_PATH.sub("<cell>", _ADDRESS.sub("0x…", re.sub(r"\s*\n\s*", " ", text.strip())))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _exception_text(exc):
    text = str(exc)
    return _clean(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def _learner_frame(fn, exc):
    """The last traceback frame in the learner's own file (a notebook cell), if any."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == code.co_filename]
    return frames[-1] if frames else None


def _raised_message(fn, exc, shape_hint):
    message = f"your function raised {_exception_text(exc)}"
    frame = _learner_frame(fn, exc)
    if frame is not None:
        where = f" at line {frame.lineno}"
        if frame.name != getattr(fn, "__name__", frame.name):
            where += f" of {frame.name}"
        line = (frame.line or "").strip()
        message += where + (f" (`{_clean(line, 120)}`)" if line else "")
    text = str(exc)
    if isinstance(exc, NameError):
        message += ": is that name defined? Run the cells above, or import it"
        if getattr(exc, "name", None) in ("sigmoid", "tanh"):
            message += f" (from lstm_course.activations import {exc.name})"
    elif isinstance(exc, (ValueError, TypeError)) and re.search(
            r"matmul|shape|broadcast|operands|dimension|size", text):
        message += f": check the shapes{': ' + shape_hint if shape_hint else ''}"
    elif isinstance(exc, RecursionError):
        message += ": does your function call itself?"
    return message


def _not_implemented_message(fn, exc):
    frames = traceback.extract_tb(exc.__traceback__)
    name = getattr(fn, "__name__", None)
    if frames and name not in (None, "<lambda>") and frames[-1].name not in (name, "<module>"):
        return (f"not implemented yet: {frames[-1].name}, which your function calls, raises "
                "NotImplementedError")
    return "not implemented yet: replace `raise NotImplementedError` with your code"


# ---------------------------------------------------------------------------------------
# Reading what the learner returned

def describe(value):
    """A short, address-free description of a value: "None", "a tuple of 2 values", ..."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} value{'s' if len(value) != 1 else ''}"
    if isinstance(value, (bool, int, float, complex, np.number)):
        return f"a number ({type(value).__name__})"
    return f"a {type(value).__name__}"


def safe_ndim(value):
    """np.ndim(value), or -1 for ragged sequences and other things NumPy cannot read."""
    try:
        return np.ndim(value)
    except Exception:
        return -1


def safe_shape(value):
    """np.shape(value), or None for things NumPy cannot read."""
    try:
        return np.shape(value)
    except Exception:
        return None


def unpack(out, names):
    """Split the learner's return value into len(names) values, or fail saying what came back."""
    spelled = f"({', '.join(names)})"
    if out is None:
        fail(f"your function returned None: did you forget `return {', '.join(names)}`?")
    if not isinstance(out, (tuple, list)):
        fail(f"expected your function to return {len(names)} values {spelled}, got {describe(out)}")
    if len(out) != len(names):
        fail(f"expected your function to return {len(names)} values {spelled}, got {len(out)}")
    return tuple(out)


def get_field(obj, name, what, fields_hint):
    """obj[name] or obj.name, so that a dict or any object with the fields is accepted."""
    if obj is None:
        fail(f"{what} is None: did you forget to return it?")
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
    elif hasattr(obj, name):
        return getattr(obj, name)
    fail(f"{what} has no {name}: return {fields_hint}")


class LearnerArray(np.ndarray):
    """A learner's result as float64, remembering the dtype it came in (`source_dtype`)."""

    source_dtype = None

    def __array_finalize__(self, obj):
        self.source_dtype = getattr(obj, "source_dtype", None)


def _as_float(value):
    try:
        arr = np.asarray(value)
    except Exception:
        return None
    if arr.dtype.kind not in "fiu":
        return None
    out = arr.astype(np.float64).view(LearnerArray)
    out.source_dtype = arr.dtype if arr.dtype.kind == "f" else None
    return out


def low_precision(value):
    """The name of the learner's float dtype if it holds fewer digits than float64, else None."""
    dtype = getattr(value, "source_dtype", None)
    if dtype is not None and np.dtype(dtype).kind == "f" and np.dtype(dtype).itemsize < 8:
        return np.dtype(dtype).name
    return None


def precision_hint(what, got, ref):
    """A message when `got` is float32 (or float16) and only that keeps it from matching `ref`."""
    name = low_precision(got)
    if name is None or not close(got, ref, LOW_PRECISION_RTOL):
        return None
    digits = {"float32": 7, "float16": 3}.get(name, 7)
    return (f"{what} is {name}, which keeps only about {digits} significant digits: it cannot match the "
            f"float64 reference to the check's 1e-8 ({diff_text(got, ref)}). Compute in float64, NumPy's "
            f"default (no dtype=np.{name} or .astype(np.{name})): gradient checks by finite "
            "differences need its 16 digits")


def expect_array(value, what, shape, spec, ref=None, nonfinite=None, returned=False):
    """Return `value` as a float64 array of `shape`, or fail with what is wrong with it.

    `spec` spells the shape in letters ("(N, H)"). With `ref` (the right answer), a wrong
    shape is diagnosed further: transposed, a mean or a sum over the batch, a single number.
    `returned`: `value` is the function's whole return value (for the wording of None).
    """
    shape = tuple(shape)
    expected = f"{what} of shape {spec} = {shape}"
    if value is None:
        fail(f"{'your function returned None' if returned else what + ' is None'}: did you forget a "
             "`return`?")
    if isinstance(value, (tuple, list)):
        fail(f"expected {expected}, got {describe(value)}")
    arr = _as_float(value)
    if arr is None:
        fail(f"expected {expected} holding real numbers, got {describe(value)}"
             + (f" of dtype {np.asarray(value).dtype}" if isinstance(value, np.ndarray) else ""))
    if arr.shape != shape:
        fail(_shape_message(arr, what, expected, shape, ref))
    if not np.all(np.isfinite(arr)):
        fail(nonfinite or f"{what} contains NaN or inf: does something overflow or divide by zero?")
    return arr


def _shape_message(arr, what, expected, shape, ref):
    message = f"expected {expected}, got {arr.shape}"
    if ref is not None:
        if arr.ndim == 2 and arr.shape == shape[::-1] and close(arr.T, ref):
            return f"{message}: it is transposed"
        for how, reduce in (("mean", np.mean), ("sum", np.sum)):
            reduced = reduce(ref, axis=0)
            if arr.size == reduced.size and close(arr.reshape(reduced.shape), reduced):
                return (f"you returned the {how} over the batch (shape {arr.shape}): keep one row per "
                        f"example, {expected}")
        if arr.size == 1 and close(arr.reshape(()), np.mean(ref)):
            return f"you returned a single number, the mean of everything: return {expected}"
    if arr.ndim == 2 and arr.shape == shape[::-1]:
        message += ": it looks transposed"
    return message


def expect_scalar(value, what, ref_hint=""):
    """Return a learner's scalar (a float, a NumPy scalar or a 0-d array) as a float."""
    if value is None:
        fail(f"{what} is None: did you forget to return it?")
    arr = _as_float(value)
    if arr is None or isinstance(value, (tuple, list)):
        fail(f"expected {what} to be a single number, got {describe(value)}")
    if arr.size != 1:
        fail(f"expected {what} to be a single number, got an array of shape {arr.shape}{ref_hint}")
    out = arr.reshape(())
    if low_precision(arr) is not None:
        return out  # a 0-d LearnerArray that remembers its dtype, for `precision_hint`
    return float(out)


# ---------------------------------------------------------------------------------------
# Comparing

def close(got, ref, rtol=RTOL):
    """True if `got` equals `ref` up to rtol relative to the largest |ref| (shapes must agree)."""
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape or not np.all(np.isfinite(got)):
        return False
    if ref.size == 0:
        return True
    scale = max(float(np.max(np.abs(ref))), 1e-12)
    return float(np.max(np.abs(got - ref))) <= rtol * scale


def diff_text(got, ref):
    """Where `got` and `ref` differ most, e.g. "at [1, 2] expected 0.5312, got 0.7304"."""
    name = low_precision(got)
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    digits = 6
    if got.ndim == 0:
        a, b = float(ref), float(got)
    else:
        idx = np.unravel_index(int(np.argmax(np.abs(got - ref))), got.shape)
        a, b = float(ref[idx]), float(got[idx])
    if a != b and f"{a:.{digits}g}" == f"{b:.{digits}g}":
        digits = 12  # "expected 0.973723, got 0.973723" tells nothing: show the digits that differ
    text = f"expected {a:.{digits}g}, got {b:.{digits}g}"
    if name is not None:
        text += f" (yours is {name})"
    if got.ndim == 0:
        return text
    where = ", ".join(str(int(i)) for i in idx)
    return f"the largest difference is at [{where}]: {text}"


def first_match(got, variants, ref=None, what="your result"):
    """The hint of the first (hint, value) variant whose value matches `got`, else None.

    With `ref`, a float32 near-miss gets the float32 message first, and a variant that equals
    the reference on this case (its mistake makes no difference here) is never the diagnosis.
    """
    if ref is not None:
        hint = precision_hint(what, got, ref)
        if hint is not None:
            return hint
    for hint, value in variants:
        if ref is not None and close(value, ref, VARIANT_RTOL):
            continue
        if close(got, value, VARIANT_RTOL):
            return hint
    return None


def _join(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def diagnose_components(got, ref, variants, groups=(), more=None):
    """Compare several outputs at once; return None if all are right, else a message.

    got, ref : dict name -> array (same keys, in a meaningful order)
    variants : list of (hint, dict name -> array), known mistakes
    groups : (prefix, label) pairs to shorten lists, e.g. ("dparams.", "dparams")
    more : optional callable(got, ref) -> hint or None, tried when no variant matches

    First a variant matching every output wins; then one matching the first wrong output
    (a learner may make two mistakes); else a message listing what is right and what is not.
    """
    wrong = [k for k in ref if not close(got[k], ref[k])]
    if not wrong:
        return None
    for k in wrong:
        hint = precision_hint(k, got[k], ref[k])
        if hint is not None:
            return hint
    # a variant equal to the reference on every output is no diagnosis (its mistake makes no
    # difference on this case), e.g. "you always scale" when the norm is above max_norm anyway
    variants = [(hint, var) for hint, var in variants
                if not all(close(var[k], ref[k], VARIANT_RTOL) for k in ref)]
    for hint, var in variants:
        if all(close(got[k], var[k], VARIANT_RTOL) for k in ref):
            return hint
    first = wrong[0]
    for hint, var in variants:
        if not close(var[first], ref[first], VARIANT_RTOL) and close(got[first], var[first], VARIANT_RTOL):
            return hint
    hint = more(got, ref) if more is not None else None
    if hint is not None:
        return hint
    right = [k for k in ref if k not in wrong]

    def shorten(names):
        for prefix, label in groups:
            members = [k for k in ref if k.startswith(prefix)]
            if members and all(m in names for m in members):
                names = [label if k == members[0] else k for k in names if k not in members[1:]]
        return names

    verb = "is" if len(wrong) == 1 and shorten(wrong) == wrong else "are"
    message = f"{_join(shorten(wrong))} {verb} wrong ({first}: {diff_text(got[first], ref[first])})"
    return message + (f"; right: {_join(shorten(right))}" if right else "")


def run_cases(cases, test):
    """Run test(case) on every case; a failure names the case. Returns the pass message."""
    for k, case in enumerate(cases, 1):
        try:
            test(case)
        except Verdict as verdict:
            if verdict.status == "fail":
                verdict.message += f" (case {k} of {len(cases)}: {case.label})"
            raise
    return f"all {len(cases)} cases match the reference"


class Case(dict):
    """One test case: a dict of inputs with a `label` such as "N=4, D=3, H=5"."""

    def __init__(self, label, **inputs):
        super().__init__(**inputs)
        self.label = label

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
