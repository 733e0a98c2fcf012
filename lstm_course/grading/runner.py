"""Grade one submission: its functions run in a sandbox, the checks run here.

Each check of the lesson is called in the grader's process with the learner's functions replaced
by proxies (`rpc.RemoteCallable`): a call sends the arguments to the sandbox as plain arrays, the
learner's function runs there, and its return value comes back as plain arrays (or as a handle,
for an object that is not plain data, e.g. a learner's own cache). So the comparison with the
reference, and the verdict, never run in the submission's process: nothing it prints, patches or
forges counts.
"""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import hmac
import importlib
import itertools
import linecache
import os
import pkgutil
import shutil
import tempfile
import threading
import time
import types
from pathlib import Path

from . import rpc
from .notebook import NotebookError, fingerprint, parse_cells, plan, read_code_cells
from .package import PackageCopies
from .sandbox import Limits, Sandbox, SandboxCrashed, SandboxTimeout

__all__ = ["Row", "NOTEBOOK_ROW", "Settings", "grade_submission", "exercise_seed"]

NOTEBOOK_ROW = "(notebook)"
_COUNTER = itertools.count()


@dataclasses.dataclass
class Row:
    """One line of the long CSV.

    status: a check's ("pass", "fail", "not_implemented"), or "missing" (the function is not in
    the notebook), "timeout", "crashed", "error" (its definition failed); on a "(notebook)" row:
    "invalid", "unknown_lesson", "error", "no_checks".
    """
    submission: str
    exercise: str
    status: str
    passed: bool
    message: str
    lesson: str = ""
    student: str = ""
    fingerprint: str = ""
    sketch: str = ""

    def as_csv(self):
        return {"submission": self.submission, "exercise": self.exercise, "status": self.status,
                "passed": int(self.passed), "message": self.message, "lesson": self.lesson,
                "student": self.student, "fingerprint": self.fingerprint, "sketch": self.sketch}


@dataclasses.dataclass
class Settings:
    """How to grade: limits, the secret, the sandbox."""
    timeout: float = 20.0  # seconds of wall time for one exercise's check (and for the set-up)
    limits: Limits = dataclasses.field(default_factory=Limits)
    secret: bytes = b""
    sandbox: bool = True
    packages: PackageCopies | None = None  # the sanitised copies of the package
    package_dir: Path | None = None  # where the real package is (the copy is mounted over it)
    scratch: Path | None = None  # a private directory of the grader for working files
    stop: threading.Event | None = None
    checks: dict = dataclasses.field(default_factory=dict)  # check name -> function


def exercise_seed(secret, lesson, check):
    """The seed of one exercise's fresh cases: the same for every student, unknown to them."""
    digest = hmac.new(secret, f"{lesson}/{check}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "little")


def _short(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ---------------------------------------------------------------------------------------
# Types the grader rebuilds from the sandbox's records

def _package_modules():
    import lstm_course

    names = {"lstm_course"}
    for info in pkgutil.walk_packages(lstm_course.__path__, "lstm_course."):
        names.add(info.name)
    return names


_MODULES = None


def resolve_type(name, kind):
    """The package's own dataclasses and named tuples, and nothing else."""
    global _MODULES
    if _MODULES is None:
        _MODULES = _package_modules()
    module, _, qualname = name.rpartition(".")
    if module not in _MODULES or not qualname.isidentifier() or module.startswith("lstm_course.grading"):
        return None
    try:
        cls = getattr(importlib.import_module(module), qualname)
    except Exception:
        return None
    if not isinstance(cls, type) or cls.__module__ != module:
        return None
    if kind == "dataclass" and dataclasses.is_dataclass(cls):
        return cls
    if kind == "namedtuple" and issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return cls
    return None


# ---------------------------------------------------------------------------------------
# The grader's end of the pipe

class GraderPipe(Sandbox):
    """A sandbox whose learner functions come back as callables the checks can use."""

    def __init__(self, *args, tag="", **kwargs):
        super().__init__(*args, resolve_type=resolve_type, **kwargs)
        self.tag = tag
        self._types = {}

    def make_remote(self, info):
        name = rpc._identifier(info.get("n", "object"), "object")
        base = rpc.RemoteCallable if info.get("c") else rpc.RemoteObject
        key = (name, base)
        if key not in self._types:  # so that a check's describe() says "a MyCache", not a proxy
            self._types[key] = type(name, (base,), {})
        proxy = self._types[key](self, info)
        if info.get("c"):
            proxy.__code__ = types.SimpleNamespace(co_filename=self._file(info.get("file", "")))
        return proxy

    def _file(self, filename):
        return f"{filename} [{self.tag}]"

    def make_exception(self, info):
        exc = rpc.rebuild_exception(info)
        frame = info.get("frame")
        if not (isinstance(frame, list) and len(frame) == 4):
            return exc
        filename, line, func, text = str(frame[0]), frame[1], rpc._identifier(frame[2], "f"), str(frame[3])
        line = line if isinstance(line, int) and 0 < line < 100_000 else 1
        inner = info.get("innermost")
        inner = rpc._identifier(inner, "") if isinstance(inner, str) else ""
        fake = self._file(filename)
        lines = ["\n"] * (line - 1) + [text + "\n"]
        linecache.cache[fake] = (len(lines), None, lines, fake)
        # A traceback whose learner frame has the learner's file, line and function name, as the
        # checks read it (lstm_course.checks.core._learner_frame); the innermost frame's name
        # too, for "not implemented yet: helper, which your function calls, raises ...".
        namespace = {"__exc__": exc}
        if inner and inner != func and inner != "<module>":
            from .notebook import AST_LOCK

            with AST_LOCK:
                exec(compile(f"def {inner}():\n    raise __exc__\n", "<library>", "exec"), namespace)
            call = f"{inner}()"
        else:
            call = "raise __exc__"
        body = "\n" * (line - 1) + f"def {func if func != '<module>' else 'f'}(): {call}\n"
        from .notebook import AST_LOCK

        try:
            with AST_LOCK:
                code = compile(body, fake, "exec")
            exec(code, namespace)
            namespace[func if func != "<module>" else "f"]()
        except BaseException as raised:  # noqa: BLE001 - it is the exception we made
            return raised
        return exc

    def _serve_getattr(self, header, blobs):
        """The sandbox may read attributes of objects a check gave it (an optimizer's learning
        rate, its step method), but nothing that leads out of the course's package: no module, no
        class, no function from elsewhere."""
        import inspect as _inspect

        target = self._local(header.get("id"))
        name = str(header.get("name", ""))
        value = getattr(target, name) if not name.startswith("_") else None
        owner = getattr(value, "__self__", None)
        module = str(getattr(value, "__module__", "") or getattr(type(owner), "__module__", "") or "")
        if name.startswith("_") or _inspect.ismodule(value) or isinstance(value, type) or (
                callable(value) and not module.startswith("lstm_course")):
            raise AttributeError(f"{name} is not available to the sandbox")
        return self._reply_value(value)

    def request(self, header, blobs=()):
        try:
            return super().request(header, blobs)
        except rpc.ProtocolError as exc:
            raise SandboxCrashed(f"it sent a malformed message ({exc})") from None

    def call_remote(self, handle, args, kwargs):
        try:
            return super().call_remote(handle, args, kwargs)
        except rpc.ProtocolError as exc:
            raise SandboxCrashed(f"it sent a malformed message ({exc})") from None

    def getattr_remote(self, handle, name):
        try:
            return super().getattr_remote(handle, name)
        except rpc.ProtocolError as exc:
            raise SandboxCrashed(f"it sent a malformed message ({exc})") from None

    def close(self, graceful=True):
        for key in [k for k in linecache.cache if isinstance(k, str) and k.endswith(f"[{self.tag}]")]:
            linecache.cache.pop(key, None)
        self.kill(graceful)


def _exception_text(info):
    text = str(info.get("text", ""))
    return f"{info.get('type', 'Exception')}: {text}" if text else str(info.get("type", "Exception"))


# ---------------------------------------------------------------------------------------
# One submission

def _call_check(check, functions, keywords, seed):
    kwargs = dict(keywords)
    if seed is not None:
        try:
            return check(*functions, seed=seed, **kwargs)
        except TypeError as exc:  # this check has no `seed` yet: its fixed cases
            if "seed" not in str(exc):
                raise
    return check(*functions, **kwargs)


class _Session:
    """The sandbox of one submission, restarted after a timeout or a crash."""

    def __init__(self, settings, workdir, notebook_file, tag, package_copy):
        self.settings, self.workdir, self.notebook_file, self.tag = settings, workdir, notebook_file, tag
        self.package_copy = package_copy
        self.pipe = None
        self.done = []  # statements executed successfully (replayed after a restart)
        self.seccomp = None

    def start(self, graceful=True):
        s = self.settings
        if self.pipe is not None:
            self.pipe.close(graceful)
        self.pipe = GraderPipe(self.workdir, self.package_copy, s.package_dir, s.limits, sandbox=s.sandbox,
                               stop=s.stop, notebook_file=self.notebook_file, tag=self.tag)
        self.pipe.wait_ready(max(s.timeout, 10.0))
        self.seccomp = self.pipe.seccomp
        for st in self.done:
            self._exec(st)

    def _exec(self, st, until=None):
        self.pipe.deadline = min(time.monotonic() + self.settings.timeout, until or float("inf"))
        self.pipe.what = f"{st.cell.label()} ran longer than {self.settings.timeout:g} s"
        return self.pipe.request({"op": "exec", "file": st.cell.filename, "source": st.cell.source,
                                  "stmt": st.index})

    def run(self, st, until=None):
        """Execute one statement (by `until` at the latest); None or the exception info it raised."""
        reply, _ = self._exec(st, until)
        if reply.get("op") == "raise":
            exc = reply.get("exc")
            return exc if isinstance(exc, dict) else {}
        self.done.append(st)
        return None

    def get(self, name):
        self.pipe.deadline = time.monotonic() + self.settings.timeout
        self.pipe.what = f"looking up {name}"
        reply, blobs = self.pipe.request({"op": "get", "name": name})
        if reply.get("op") == "raise":
            return None
        return self.pipe._result(reply, blobs, [])

    def close(self, graceful=True):
        if self.pipe is not None:
            self.pipe.close(graceful)
            self.pipe = None


def grade_submission(path, name, lesson, exercises, settings, student=""):
    """Rows of one submission (never raises for anything the submission does).

    Parameters
    ----------
    path : the notebook file
    name : its name in the "submission" column
    lesson : the lesson's file name (used for the seeds and the "lesson" column)
    exercises : [notebook.Exercise] from the instructor's lesson
    """
    def row(exercise, status, message, fp=("", "")):
        return Row(name, exercise, status, status == "pass", _short(message), lesson, student, *fp)

    try:
        cells = parse_cells(read_code_cells(path))
    except NotebookError as exc:
        return [row(NOTEBOOK_ROW, "invalid", str(exc))]
    if not exercises:
        return [row(NOTEBOOK_ROW, "no_checks", f"the lesson {lesson} has no exercise to grade")]
    all_run, _ = plan(cells, exercises)
    global_names = set().union(set(dir(builtins)), *(st.binds for st in all_run))  # kept by the fingerprint

    tag = f"{next(_COUNTER)}-{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="sub-", dir=settings.scratch))
    notebook_file = workdir / "submission.ipynb"
    _write_sources(notebook_file, cells)
    rows, failed = [], {}
    try:
        for ex in exercises:  # each in a fresh sandbox, with its own copy of the package
            to_run, found = plan(cells, [ex])
            defs = found[ex.check]
            fp = fingerprint([st.node if st is not None else None for st in defs.values()], global_names)
            missing = [fn for fn, st in defs.items() if st is None]
            broken = [fn for fn in missing if _syntax_error_defining(cells, fn)]
            if broken:
                cell = _syntax_error_defining(cells, broken[0])
                rows.append(row(ex.check, "error", f"{broken[0]} is not defined: {cell.label()} has a "
                                f"{cell.error}", fp))
                continue
            if missing:
                rows.append(row(ex.check, "missing", f"{' and '.join(missing)} "
                                f"{'is' if len(missing) == 1 else 'are'} not defined in this notebook "
                                "(was the exercise's cell deleted or renamed?)", fp))
                continue
            session = _Session(settings, workdir, notebook_file, tag, settings.packages.get(ex.allowed))
            try:
                rows.append(_set_up_and_grade(session, ex, to_run, defs, failed, lesson, settings, row, fp))
            finally:
                session.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    notebook_rows = []
    if failed:
        first = next(iter(failed.values()))
        more = len(failed) - 1
        notebook_rows.append(row(NOTEBOOK_ROW, "error", first + (f" (and {more} more statement"
                                                                f"{'s' if more > 1 else ''})" if more else "")))
    return notebook_rows + rows


def _set_up_and_grade(session, ex, to_run, defs, failed, lesson, settings, row, fp):
    """Start the sandbox, run the statements the exercise needs, grade it: its row."""
    try:
        session.start()
    except (SandboxTimeout, SandboxCrashed, rpc.ProtocolError, OSError) as exc:
        why = getattr(exc, "message", "") or str(exc)
        return row(ex.check, "error", f"not graded: the sandbox could not start ({_short(why, 150)})", fp)
    setup_end = time.monotonic() + 3 * settings.timeout  # the whole set-up, whatever it holds
    own_failure = None
    for st in to_run:
        if time.monotonic() > setup_end:
            info = {"type": "skipped", "text": f"was not run: the statements {' and '.join(ex.functions)} "
                    f"needs took more than {3 * settings.timeout:g} s in all"}
        else:
            try:
                info = session.run(st, setup_end)
            except SandboxTimeout:
                info = {"type": "timeout", "text": f"ran longer than {settings.timeout:g} s and was stopped"}
                session.start(graceful=False)
            except SandboxCrashed:
                info = {"type": "crashed", "text": "stopped the sandbox (exit(), a crash or too much memory)"}
                session.start(graceful=False)
        if info is not None:
            text = f"{st.cell.label()} " + (f"raised {_exception_text(info)}" if info.get("type") not in (
                "timeout", "crashed", "skipped") else info["text"])
            failed.setdefault(st.position, text)
            if any(defs[fn] is st for fn in ex.functions):
                own_failure = text
    if own_failure is not None:
        return row(ex.check, "error", own_failure, fp)
    return _grade_exercise(session, ex, lesson, settings, row, fp)


def _grade_exercise(session, ex, lesson, settings, row, fp):
    check = settings.checks.get(ex.check)
    if check is None:
        return row(ex.check, "error", f"the grader has no {ex.check}")
    seed = exercise_seed(settings.secret, lesson, ex.check) if settings.secret else None
    names = " and ".join(ex.functions)
    try:
        if session.pipe is None or session.pipe.proc.poll() is not None:
            session.start()
        functions = [session.get(fn) for fn in ex.functions]
        session.pipe.deadline = time.monotonic() + settings.timeout
        session.pipe.what = names
        result = _call_check(check, functions, ex.keywords, seed)
    except SandboxTimeout:
        session.close(graceful=False)
        return row(ex.check, "timeout", f"{names} ran longer than {settings.timeout:g} s (an infinite "
                   "loop?) and was stopped", fp)
    except SandboxCrashed as exc:
        session.close(graceful=False)
        extra = f": {exc.message}" if exc.message and "malformed" in exc.message else ""
        return row(ex.check, "crashed", f"the sandbox stopped while running {names} (exit(), a crash or "
                   f"too much memory){extra}", fp)
    status = getattr(result, "status", None)
    if status not in ("pass", "fail", "not_implemented"):
        return row(ex.check, "error", f"{ex.check} gave no result", fp)
    return row(ex.check, status, str(result.message), fp)


def _syntax_error_defining(cells, fn):
    for cell in cells:
        if cell.tree is None and f"def {fn}" in cell.source:
            return cell
    return None


def _write_sources(target, cells):
    """The submission's code, without outputs or metadata: all its working directory holds."""
    import json

    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": c.source} for c in cells]}
    target.write_text(json.dumps(nb), encoding="utf-8")
