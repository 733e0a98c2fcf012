"""The grader's pipe: plain data both ways, handles for the rest, callbacks, fresh seeds; and every
lesson's own solution graded through it."""

import dataclasses
import os
import shutil
import threading
from pathlib import Path

import nbformat
import numpy as np
import pytest

import lstm_course
from grading_class import run_cli
from lstm_course.checks import CheckResult
from lstm_course.checks.core import call, checker, close, fail
from lstm_course.grading import rpc
from lstm_course.grading.notebook import Exercise
from lstm_course.grading.runner import Settings, grade_submission, resolve_type
from lstm_course.grading.package import PackageCopies
from lstm_course.grading.sandbox import Limits, bwrap_problem
from lstm_course.lstm import LSTMParams, LSTMStepCache, init_lstm_params, lstm_step_forward

ROOT = Path(__file__).resolve().parent.parent
# Skipped where bubblewrap is missing, except in CI (CI=true), where it is mandatory (.ci/run installs it).
needs_sandbox = pytest.mark.skipif(bwrap_problem() is not None and not os.environ.get("CI"),
                                   reason=f"no sandbox: {bwrap_problem()}")


def _roundtrip(value, resolve=resolve_type):
    codec = rpc.Codec(lambda obj: 1, lambda hid: None, lambda info: info, resolve)
    enc, blobs, _ = codec.encode(value)
    return codec.decode(rpc.unpack_from(_reader(rpc.pack({"v": enc, "blobs": len(blobs)}, blobs)))[0]["v"],
                        rpc.unpack_from(_reader(rpc.pack({"v": enc, "blobs": len(blobs)}, blobs)))[1])[0]


def _reader(data):
    view = memoryview(data)
    pos = [0]

    def read(n):
        chunk = bytes(view[pos[0]:pos[0] + n])
        pos[0] += n
        return chunk
    return read


def test_plain_values_and_package_types_travel_exactly():
    rng = np.random.default_rng(0)
    params = init_lstm_params(3, 4, rng)
    _, _, cache = lstm_step_forward(rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4)), params)
    value = (1, 2.5, float("nan"), "s", None, True, [np.arange(3)], {"k": np.float64(1.5)}, cache, 2 ** 70)
    back = _roundtrip(value)
    assert isinstance(back, tuple) and back[:2] == (1, 2.5) and np.isnan(back[2]) and back[9] == 2 ** 70
    assert isinstance(back[8], LSTMStepCache) and isinstance(back[8].params, LSTMParams)
    assert np.array_equal(back[8].params.W_xf, params.W_xf) and isinstance(back[7]["k"], np.float64)


def test_unknown_records_come_back_as_plain_stand_ins():
    @dataclasses.dataclass
    class Grads:
        W: np.ndarray

    back = _roundtrip(Grads(np.ones(2)))
    assert type(back).__name__ == "Record" and np.array_equal(back.W, np.ones(2))
    assert resolve_type("os.system", "dataclass") is None  # only the package's own types
    assert resolve_type("lstm_course.lstm.lstm_forward", "dataclass") is None


def test_malformed_messages_are_refused():
    with pytest.raises(rpc.ProtocolError):
        rpc.unpack_from(_reader(b"\xff" * 8))  # a header of 2**64 bytes
    with pytest.raises(rpc.ProtocolError):
        rpc.bytes_to_array(b"not npy")
    obj = np.array([object()], dtype=object)
    import io
    buf = io.BytesIO()
    np.lib.format.write_array(buf, obj, allow_pickle=True)
    with pytest.raises(rpc.ProtocolError):
        rpc.bytes_to_array(buf.getvalue())  # pickled objects never load


def test_remote_exceptions_never_stop_the_grader():
    exc = rpc.rebuild_exception({"type": "SystemExit", "bases": ["SystemExit", "BaseException"], "text": "0"})
    assert isinstance(exc, Exception) and type(exc).__name__ == "SystemExit"
    key = rpc.rebuild_exception({"type": "KeyError", "bases": ["KeyError", "LookupError"], "text": "1"})
    assert isinstance(key, KeyError) and str(key) == "1"


# ---------------------------------------------------------------------------------------
# Checks of the kinds helper i10 adds: callbacks, a learner's own cache, seeds

SEEDS = []


def check_numgrad(fn, seed=None):
    """Like check_gradient_check: the learner's function calls a function of the grader."""
    SEEDS.append(seed)
    x = np.random.default_rng(seed).normal(size=4)
    got = fn(lambda v: float(np.sum(v ** 3)), x)
    ok = close(got, 3 * x ** 2, rtol=1e-5)
    return CheckResult("check_numgrad", ok, "ok" if ok else "wrong", "pass" if ok else "fail")


def check_pair(forward, backward):
    """Like check_lstm_backward: the learner's cache goes from forward to backward. No seed."""
    x = np.arange(3.0)
    y, cache = forward(x)
    dx = backward(np.ones(3), cache)
    ok = close(y, x ** 2) and close(dx, 2 * x)
    return CheckResult("check_pair", ok, f"cache was a {type(cache).__name__}", "pass" if ok else "fail")


@checker
def check_no_inplace(fn):
    x = np.ones(3)
    out = call(fn, (x,), ("x",))
    if not close(out, np.full(3, 2.0)):
        fail("wrong")
    return "ok"


LEARNER = '''
import numpy as np

class MyCache:
    def __init__(self, x):
        self.x = x

def numgrad(f, x, eps=1e-5):
    g = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = eps
        g[k] = (f(x + e) - f(x - e)) / (2 * eps)
    return g

def forward(x):
    return x ** 2, MyCache(x)

def backward(dy, cache):
    return dy * 2 * cache.x

def doubler(x):
    x += 1
    return x
'''


@needs_sandbox
def test_callbacks_handles_seeds_and_in_place_changes(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(LEARNER)])
    path = tmp_path / "sub.ipynb"
    nbformat.write(nb, path)
    package_dir = Path(lstm_course.__file__).resolve().parent
    checks = {"check_numgrad": check_numgrad, "check_pair": check_pair, "check_no_inplace": check_no_inplace}
    packages = PackageCopies(package_dir, tmp_path / "pkg", checks)
    settings = Settings(timeout=20, limits=Limits(), secret=b"k", packages=packages, package_dir=package_dir,
                        scratch=tmp_path, stop=threading.Event(), checks=checks)
    exercises = [Exercise("check_numgrad", ("numgrad",)), Exercise("check_pair", ("forward", "backward")),
                 Exercise("check_no_inplace", ("doubler",))]
    SEEDS.clear()
    rows = {r.exercise: r for r in grade_submission(path, "sub", "L.ipynb", exercises, settings)}
    assert rows["check_numgrad"].status == "pass", rows["check_numgrad"].message
    assert rows["check_pair"].status == "pass" and rows["check_pair"].message == "cache was a MyCache"
    assert rows["check_no_inplace"].status == "fail"
    assert "changed x in place" in rows["check_no_inplace"].message
    rows2 = grade_submission(path, "sub", "L.ipynb", exercises[:1], dataclasses.replace(settings, secret=b"j"))
    assert rows2[0].status == "pass"
    assert len(SEEDS) == 2 and SEEDS[0] != SEEDS[1] and None not in SEEDS  # fresh cases per secret


@needs_sandbox
def test_every_lessons_solution_passes_and_every_learner_notebook_is_not_implemented(tmp_path):
    lessons = ROOT / "notebooks"
    solved, stubs = tmp_path / "solved", tmp_path / "stubs"
    solved.mkdir()
    stubs.mkdir()
    for nb in sorted(lessons.glob("[0-9][0-9]_*.ipynb")):
        shutil.copy(nb, solved / nb.name)
        shutil.copy(lessons / "exercises" / nb.name, stubs / nb.name)
    for folder, expected in ((solved, "pass"), (stubs, "not_implemented")):
        output = tmp_path / f"{folder.name}.csv"
        done = run_cli("grade", folder, "--output", output, "--lessons", lessons, "--jobs", "2")
        assert done.returncode == 0, done.stderr
        import csv
        with open(output, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert rows and {(r["status"]) for r in rows} == {expected}, [r for r in rows if r["status"] != expected]
        assert {r["submission"] for r in rows} == {p.name for p in folder.iterdir()}


def test_the_sandbox_package_keeps_only_what_the_lessons_solution_uses(tmp_path):
    from lstm_course.grading.package import PackageGraph, build_sanitised_package

    package_dir = Path(lstm_course.__file__).resolve().parent
    graph = PackageGraph(package_dir)
    keep = graph.closure({("lstm_course.lstm", "lstm_step_forward")})
    copy = build_sanitised_package(package_dir, tmp_path / "a" / "lstm_course", {"check_x": None}, keep)
    text = (copy / "lstm.py").read_text()
    assert "def lstm_step_forward(" in text and "class LSTMParams" in text
    for name in ("lstm_forward", "lstm_backward", "lstm_step_backward"):
        assert f"def {name}(" not in text
    assert "def rnn_step_forward(" not in (copy / "rnn.py").read_text()
    assert "def sigmoid(" in (copy / "activations.py").read_text()  # allowed as it is
    assert "check_x = _no_check" in (copy / "checks" / "__init__.py").read_text()
    nothing = build_sanitised_package(package_dir, tmp_path / "b" / "lstm_course", (), graph.closure(set()))
    assert "def lstm_step_forward(" not in (nothing / "lstm.py").read_text()
