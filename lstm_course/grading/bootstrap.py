"""What runs inside the sandbox: the submission's needed statements, then calls from the grader.

Started by the grader as ``python -I -B bootstrap.py PACKAGE_PARENT`` with the wire protocol of
`rpc.py` on stdin/stdout; PACKAGE_PARENT (the folder holding the sanitised `lstm_course`) goes first
on sys.path. Everything the submission prints goes to /dev/null: nothing it prints counts.

Before any of the submission's code runs, the process forbids itself to start programs or
processes (a seccomp filter: no fork, vfork, execve, and clone only for threads), so that a fork
bomb or a detached process is impossible even where the sandbox's other limits are not.

Requests the grader sends (besides `rpc.Endpoint`'s "call" and "getattr"):

- {"op": "exec", "file": "<cell 7>", "source": cell source, "stmt": k}: run top-level statement k
  of that cell in the submission's namespace. An import of a name that the sandbox does not allow
  (a reference solution) binds a stand-in that raises the ImportError when it is used, so the
  learner sees "not allowed in an exercise: import of lstm_course.lstm" where they used it.
- {"op": "get", "name": n}: the value of a global of the submission (a function comes back as
  a handle that the grader can call).
"""

from __future__ import annotations

import ast
import builtins
import ctypes
import linecache
import os
import platform
import sys

NOT_ALLOWED = "not allowed in an exercise"


# ---------------------------------------------------------------------------------------
# No new processes

_SECCOMP = {  # machine -> (audit arch, fork, vfork, execve, execveat, clone, clone3)
    "x86_64": (0xC000003E, 57, 58, 59, 322, 56, 435),
    "aarch64": (0xC00000B7, None, None, 221, 281, 220, 435),
}


def forbid_new_processes():
    """Install a seccomp filter: fork, vfork, execve(at) fail with EPERM; clone only makes threads.

    Returns True when installed (Linux on x86_64 or aarch64), False elsewhere.
    """
    spec = _SECCOMP.get(platform.machine())
    if spec is None or not sys.platform.startswith("linux"):
        return False
    arch, fork, vfork, execve, execveat, clone, clone3 = spec
    LD_W_ABS, JEQ, JSET, RET = 0x20, 0x15, 0x45, 0x06
    ALLOW, KILL = 0x7FFF0000, 0x80000000
    EPERM, ENOSYS = 0x00050000 | 1, 0x00050000 | 38
    CLONE_THREAD = 0x00010000
    deny = [n for n in (fork, vfork, execve, execveat) if n is not None]
    prog = [(LD_W_ABS, 0, 0, 4), (JEQ, 1, 0, arch), (RET, 0, 0, KILL), (LD_W_ABS, 0, 0, 0)]
    if arch == 0xC000003E:  # the x32 ABI shares the arch value: refuse it
        prog += [(0x35, 0, 1, 0x40000000), (RET, 0, 0, EPERM)]  # JGE
    for nr in deny:
        prog += [(JEQ, 0, 1, nr), (RET, 0, 0, EPERM)]
    prog += [(JEQ, 0, 1, clone3), (RET, 0, 0, ENOSYS)]  # glibc then falls back to clone
    prog += [(JEQ, 0, 3, clone), (LD_W_ABS, 0, 0, 16), (JSET, 1, 0, CLONE_THREAD), (RET, 0, 0, EPERM),
             (RET, 0, 0, ALLOW)]

    class Filter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                    ("k", ctypes.c_uint32)]

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Filter))]

    filters = (Filter * len(prog))(*[Filter(*ins) for ins in prog])
    program = Prog(len(prog), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return libc.prctl(22, 2, ctypes.byref(program), 0, 0) == 0  # PR_SET_SECCOMP, MODE_FILTER


# ---------------------------------------------------------------------------------------
# The submission's namespace

class NotAllowed:
    """Stands for a name whose import is not allowed: using it raises the ImportError."""

    def __init__(self, message):
        self._message = message

    def __call__(self, *args, **kwargs):
        raise ImportError(self._message)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(object.__getattribute__(self, "_message"))


def run_import(stmt, namespace, filename):
    """Run an import statement name by name; a refused name gets a `NotAllowed` stand-in."""
    names = stmt.names if not (isinstance(stmt, ast.ImportFrom) and stmt.names[0].name == "*") else None
    parts = [stmt] if names is None else [
        type(stmt)(**{**{f: getattr(stmt, f) for f in stmt._fields}, "names": [alias]}) for alias in names]
    for part in parts:
        ast.copy_location(part, stmt)
        code = compile(ast.fix_missing_locations(ast.Module(body=[part], type_ignores=[])), filename, "exec")
        try:
            exec(code, namespace)
        except ImportError as exc:
            if NOT_ALLOWED not in str(exc) or names is None:
                raise
            alias = part.names[0]
            bound = alias.asname or alias.name.split(".")[0]
            namespace[bound] = NotAllowed(str(exc))


class Program:
    """The submission's namespace and the cells sent so far."""

    def __init__(self):
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.cells = {}

    def exec_statement(self, filename, source, index):
        if filename not in self.cells:
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            self.cells[filename] = ast.parse(source, filename)
        stmt = self.cells[filename].body[index]
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            run_import(stmt, self.namespace, filename)
        else:
            exec(compile(ast.Module(body=[stmt], type_ignores=[]), filename, "exec"), self.namespace)


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import numpy  # noqa: F401  (before the filter: NumPy's import may start BLAS threads)
    import rpc
    sys.path.pop(0)
    if len(sys.argv) > 1:  # where the sanitised package is: before anything else
        sys.path.insert(0, sys.argv[1])

    read_fd, write_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdout = sys.__stdout__ = open(os.devnull, "w")
    sys.stderr = sys.__stderr__ = open(os.devnull, "w")
    sys.stdin = sys.__stdin__ = open(os.devnull)
    sys.setrecursionlimit(3000)

    class Pipe(rpc.Endpoint):
        contain_exits = True

        def read_exact(self, n):
            chunks = []
            while n:
                chunk = os.read(read_fd, min(n, 1 << 20))
                if not chunk:
                    raise SystemExit(0)  # the grader is gone
                chunks.append(chunk)
                n -= len(chunk)
            return b"".join(chunks)

        def write(self, data):
            view = memoryview(data)
            while view:
                view = view[os.write(write_fd, view):]

    program = Program()
    resolve = _resolver()
    pipe = Pipe(resolve_type=resolve)

    def op_exec(header, blobs):
        program.exec_statement(str(header["file"]), str(header["source"]), int(header["stmt"]))
        return {"op": "ok", "value": None}, []

    def op_get(header, blobs):
        name = str(header.get("name"))
        if name not in program.namespace:
            raise NameError(f"name {name!r} is not defined", name=name)
        return pipe._reply_value(program.namespace[name])

    def op_usage(header, blobs):
        import resource

        use = resource.getrusage(resource.RUSAGE_SELF)
        return {"op": "ok", "value": use.ru_utime + use.ru_stime}, []

    pipe.ops.update({"exec": op_exec, "get": op_get, "usage": op_usage})
    forbidden = forbid_new_processes()
    pipe.send({"op": "ready", "seccomp": forbidden, "pid": os.getpid()})
    while True:
        header, blobs = pipe.receive()
        pipe.serve_one(header, blobs)


def _resolver():
    """Records from the grader are rebuilt as the package's own classes when the sandbox's
    (sanitised) package still has them, e.g. LSTMParams and LSTMStepCache."""
    import dataclasses
    import importlib

    def resolve(name, kind):
        module, _, qualname = name.rpartition(".")
        if not module.startswith("lstm_course.") or "." in qualname:
            return None
        try:
            cls = getattr(importlib.import_module(module), qualname)
        except Exception:
            return None
        if kind == "dataclass" and dataclasses.is_dataclass(cls):
            return cls
        if kind == "namedtuple" and isinstance(cls, type) and issubclass(cls, tuple):
            return cls
        return None

    return resolve


if __name__ == "__main__":
    main()
