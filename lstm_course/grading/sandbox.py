"""Run one submission in a bubblewrap sandbox and talk to it over a pipe.

What the sandbox sees (an allow-list, nothing else is mounted):

- read-only: /usr, /lib*, /bin, /sbin, Python's installation and the virtual environment;
- the course's package, replaced by a sanitised copy without the exercise's solution (see
  `package`), mounted both where the real one is and at /opt/lstm-course, first on sys.path;
- a private working directory (a small tmpfs) holding only the submission's code cells, and a
  private /tmp;
- no network, no other process (own PID namespace), no environment but an allow-list, an
  unprivileged user, no capabilities.

Resource limits (setrlimit, inherited by everything in the sandbox): CPU seconds, address space,
file size, open files, core dumps; and the sandbox forbids itself new processes (seccomp, see
`bootstrap.forbid_new_processes`). The grader kills the whole process tree when done: bwrap dies
with its parent and takes its PID namespace, and everything in it, with it.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import rpc

__all__ = ["SandboxUnavailable", "SandboxTimeout", "SandboxCrashed", "Interrupted", "Limits",
           "bwrap_problem", "Sandbox", "ENV_ALLOW"]

ENV_ALLOW = ("LANG", "LC_ALL", "TZ")  # the only variables passed on from the grader's environment
HERE = Path(__file__).resolve().parent


class SandboxUnavailable(RuntimeError):
    """No sandbox on this machine (no bubblewrap, or it cannot create namespaces)."""


class _Stop(BaseException):
    """Base of the grader's own stops: not an Exception, so a check's `except Exception` cannot
    swallow them and turn them into a learner's mistake."""

    def __init__(self, message=""):
        super().__init__(message)
        self.message = message


class SandboxTimeout(_Stop):
    pass


class SandboxCrashed(_Stop):
    pass


class Interrupted(_Stop):
    pass


class Limits:
    """Resource limits of one sandbox."""

    def __init__(self, cpu_seconds=120, memory_mb=2048, file_mb=16, tmp_mb=64, open_files=256):
        self.cpu_seconds, self.memory_mb, self.file_mb = cpu_seconds, memory_mb, file_mb
        self.tmp_mb, self.open_files = tmp_mb, open_files

    def apply(self):
        """Called in the child before exec (preexec_fn)."""
        import resource

        mb = 2 ** 20
        for what, value in ((resource.RLIMIT_CPU, int(self.cpu_seconds)),
                            (resource.RLIMIT_AS, int(self.memory_mb * mb)),
                            (resource.RLIMIT_FSIZE, int(self.file_mb * mb)),
                            (resource.RLIMIT_NOFILE, int(self.open_files)),
                            (resource.RLIMIT_CORE, 0)):
            try:
                resource.setrlimit(what, (value, value))
            except (ValueError, OSError):
                pass


_BWRAP_CHECK = {}


def bwrap_problem():
    """None if bubblewrap works here, else a sentence saying why not."""
    if "result" in _BWRAP_CHECK:
        return _BWRAP_CHECK["result"]
    path = shutil.which("bwrap")
    if not sys.platform.startswith("linux"):
        problem = f"the sandbox needs Linux and bubblewrap; this is {sys.platform}"
    elif path is None:
        problem = ("bubblewrap is not installed (Debian/Ubuntu: sudo apt-get install bubblewrap; "
                   "Fedora: sudo dnf install bubblewrap)")
    else:
        try:
            done = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-all", "--unshare-user",
                                   "--die-with-parent", "true"], capture_output=True, timeout=30)
            problem = None if done.returncode == 0 else (
                "bubblewrap cannot create a sandbox here (" + done.stderr.decode(errors="replace").strip()[:200]
                + "); unprivileged user namespaces may be disabled")
        except (OSError, subprocess.SubprocessError) as exc:
            problem = f"bubblewrap failed to start: {exc}"
    _BWRAP_CHECK["result"] = problem
    return problem


# ---------------------------------------------------------------------------------------
# One sandbox

def _python_dirs():
    """Directories the sandboxed Python needs: its installation and the environment."""
    dirs = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.base_exec_prefix)}
    exe = Path(sys.executable)
    dirs.add(exe.parent)
    try:
        dirs.add(exe.resolve().parent.parent)
    except OSError:
        pass
    for entry in sys.path:
        if entry and ("site-packages" in entry or "dist-packages" in entry) and Path(entry).is_dir():
            dirs.add(Path(entry))
    return sorted(d for d in dirs if d.exists() and str(d) != "/")


def _system_dirs():
    return [p for p in ("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc/ld.so.cache",
                        "/etc/alternatives", "/etc/localtime") if os.path.lexists(p)]


CPU_USED = [0.0]  # seconds of CPU used by every sandbox that ended normally (for the benchmark)


class Sandbox(rpc.Endpoint):
    """One running submission: a process in bubblewrap (or, with sandbox=False, a plain process).

    Every read and write has a deadline (`deadline`, a time.monotonic() value) and checks
    `stop` (a threading.Event): the grader's own stops are raised as `_Stop` subclasses.
    """

    def __init__(self, workdir, package_copy, package_dir, limits, sandbox=True, stop=None,
                 resolve_type=None, notebook_file=None):
        super().__init__(resolve_type=resolve_type or (lambda name, kind: None))
        self.limits, self.stop = limits, stop
        self.deadline = time.monotonic() + 60
        self.what = "starting"
        self.seccomp = False
        workdir = Path(workdir)
        boot_dir = workdir / "boot"
        boot_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HERE / "bootstrap.py", boot_dir / "bootstrap.py")
        shutil.copyfile(HERE / "rpc.py", boot_dir / "rpc.py")
        env = {"PATH": "/usr/bin:/bin", "HOME": "/home/learner", "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg",
               "MPLCONFIGDIR": "/tmp", "PYTHONHASHSEED": "0", "LANG": "C.UTF-8"}
        env.update({k: os.environ[k] for k in ENV_ALLOW if k in os.environ})
        python = sys.executable
        if sandbox:
            cmd = ["bwrap", "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
                   "--cap-drop", "ALL", "--die-with-parent", "--new-session", "--clearenv"]
            for key, value in env.items():
                cmd += ["--setenv", key, value]
            for path in _system_dirs():
                cmd += ["--ro-bind", path, path]
            for path in _python_dirs():
                cmd += ["--ro-bind", str(path), str(path)]
            cmd += ["--ro-bind", str(package_copy), str(package_dir),
                    "--ro-bind", str(package_copy), f"/opt/lstm-course/{Path(package_copy).name}",
                    "--dev", "/dev", "--proc", "/proc",
                    "--size", str(limits.tmp_mb * 2 ** 20), "--tmpfs", "/tmp",
                    "--size", str(limits.tmp_mb * 2 ** 20), "--tmpfs", "/home/learner",
                    "--ro-bind", str(boot_dir), "/sandbox"]
            if notebook_file is not None:
                cmd += ["--ro-bind", str(notebook_file), "/home/learner/submission.ipynb"]
            cmd += ["--chdir", "/home/learner", python, "-I", "-B", "/sandbox/bootstrap.py", "/opt/lstm-course"]
            cwd = None
        else:  # --no-sandbox: the same program, without the walls
            home = workdir / "home"
            home.mkdir(exist_ok=True)
            if notebook_file is not None:
                shutil.copyfile(notebook_file, home / "submission.ipynb")
            env.update(HOME=str(home), MPLCONFIGDIR=str(workdir))
            cmd = [python, "-B", "-s", str(boot_dir / "bootstrap.py"), str(Path(package_copy).parent)]
            cwd = str(home)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, cwd=cwd,
                                     preexec_fn=limits.apply, start_new_session=True, close_fds=True)
        self._in, self._out = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self._buffer = bytearray()

    # io with deadlines
    def _wait(self, fd, for_write):
        while True:
            if self.stop is not None and self.stop.is_set():
                raise Interrupted("the grader was interrupted")
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise SandboxTimeout(self.what)
            ready = select.select([] if for_write else [fd], [fd] if for_write else [], [], min(left, 0.2))
            if ready[0] or ready[1]:
                return

    def read_exact(self, n):
        while len(self._buffer) < n:
            self._wait(self._out, False)
            try:
                chunk = os.read(self._out, max(n - len(self._buffer), 1 << 16))
            except BlockingIOError:
                continue
            if not chunk:
                raise SandboxCrashed(self.what)
            self._buffer += chunk
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def write(self, data):
        view = memoryview(data)
        while view:
            self._wait(self._in, True)
            try:
                view = view[os.write(self._in, view):]
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                raise SandboxCrashed(self.what) from None

    def wait_ready(self, seconds):
        self.deadline = time.monotonic() + seconds
        self.what = "starting"
        header, _ = self.receive()
        if header.get("op") != "ready":
            raise rpc.ProtocolError("the sandbox did not start properly")
        self.seccomp = bool(header.get("seccomp"))

    def kill(self, graceful=True):
        """End the sandbox and everything in it. Gracefully: it is asked for the CPU time it used
        and its pipe is closed (it exits), with SIGKILL after 0.5 s; else (after a timeout or a
        crash) SIGKILL at once, to its process group and its PID namespace, which takes every
        process in it."""
        if graceful and self.proc.poll() is None:
            try:  # ask for the CPU time it used, briefly
                self.deadline = time.monotonic() + 0.5
                reply, _ = self.request({"op": "usage"})
                if isinstance(reply.get("value"), float):
                    CPU_USED[0] += max(0.0, min(reply["value"], 1e6))
            except BaseException:  # noqa: BLE001 - a sandbox that does not answer is killed
                pass
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=0.5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.kill()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
