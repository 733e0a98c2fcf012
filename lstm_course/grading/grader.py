"""Grade a class: find the submissions, grade them in parallel, write rows as they finish."""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import signal
import stat
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from .notebook import NotebookError, lesson_exercises
from .report import outputs_for, read_csv, sort_rows, student_of, write_all, write_csv
from .runner import NOTEBOOK_ROW, Row, Settings, grade_submission
from .package import PackageCopies
from .sandbox import Interrupted, Limits, bwrap_problem

__all__ = ["find_submissions", "Lessons", "grade_directory", "Interrupted", "load_or_make_secret",
           "select_shard", "Submission"]

LESSON_NUMBER = re.compile(r"^(\d\d)[_ -]")


@dataclasses.dataclass
class Submission:
    name: str  # path inside the folder, with "/"
    path: Path | None  # None when it must not be read
    problem: str = ""


def find_submissions(directory):
    """Every *.ipynb under `directory` (recursively, sorted), never following a link out of it.

    Returns [Submission]; a link pointing outside the folder, or something that is not a file,
    comes with a `problem` instead of a path.
    """
    directory = Path(directory)
    root = directory.resolve()
    found = []
    for folder, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints" and not d.startswith("."))
        for name in files:
            if not name.endswith(".ipynb"):
                continue
            path = Path(folder) / name
            rel = path.relative_to(directory).as_posix()
            problem, real = "", None
            try:
                real = path.resolve(strict=True)
                if root != real and root not in real.parents:
                    problem = "a link to a file outside the submissions folder: not read"
                elif not stat.S_ISREG(real.stat().st_mode):
                    problem = "not a regular file"
            except (OSError, RuntimeError):
                problem = "a broken link or an unreadable file"
            found.append(Submission(rel, None if problem else real, problem))
    found.sort(key=lambda s: s.name)
    return found


def select_shard(submissions, shard):
    """Submissions of shard (k, n), 1-based: every n-th of the sorted list, starting at the k-th."""
    if shard is None:
        return submissions
    k, n = shard
    return [s for i, s in enumerate(submissions) if i % n == k - 1]


class Lessons:
    """The instructor's lessons: which exercises a submission must have, by file name."""

    def __init__(self, folder, checks, only=None):
        self.folder, self.checks, self.only = Path(folder), checks, only
        self._cache = {}
        names = sorted(p.name for p in self.folder.glob("*.ipynb")) if self.folder.is_dir() else []
        self.names = [n for n in names if ".new." not in n]

    def match(self, submission_name):
        """The lesson file name for a submission, or None."""
        if self.only:
            return self.only
        base = submission_name.rsplit("/", 1)[-1]
        if base in self.names:
            return base
        number = LESSON_NUMBER.match(base)
        if number:
            candidates = [n for n in self.names if n.startswith(number.group(1) + "_")]
            return candidates[0] if len(candidates) == 1 else None
        return self.names[0] if len(self.names) == 1 else None  # a course of one lesson

    def exercises(self, lesson):
        if lesson not in self._cache:
            self._cache[lesson] = lesson_exercises(self.folder / lesson, self.checks)
        return self._cache[lesson]


def load_or_make_secret(path, given=None):
    """The secret that seeds the fresh cases: `given`, or the one stored at `path`, or a new one
    stored there with permissions 0600."""
    if given:
        return given.encode("utf-8")
    path = Path(path)
    if path.exists():
        return path.read_text(encoding="utf-8").strip().encode("utf-8")
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value.encode("utf-8")


class _Progress:
    def __init__(self, total, stream):
        self.total, self.stream, self.start, self.done = total, stream, time.monotonic(), 0
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last = 0.0

    def step(self, name, force=False):
        self.done += 1
        now = time.monotonic()
        if not (force or self.tty or now - self.last > 5 or self.done == self.total):
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed * 60
        left = (self.total - self.done) / (self.done / elapsed) if self.done else 0
        line = (f"graded {self.done}/{self.total} ({rate:.1f}/min, about {_duration(left)} left) "
                f"last: {name[:60]}")
        if self.tty:
            self.stream.write("\r\x1b[K" + line + ("\n" if self.done == self.total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _duration(seconds):
    seconds = int(seconds)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def grade_directory(directory, output, lessons_dir, *, checks=None, jobs=None, timeout=20.0,
                    memory_mb=2048, secret=None, resume=False, shard=None, sandbox=True, lesson=None,
                    progress=sys.stderr, stop=None):
    """Grade every submission under `directory`; write `output` after each one; return the rows.

    Raises `Interrupted` (after writing what finished) when `stop` is set, e.g. by Ctrl-C.
    """
    from .. import checks as checks_module

    checks = checks if checks is not None else dict(checks_module.ALL_CHECKS)
    if sandbox and bwrap_problem():
        raise RuntimeError(bwrap_problem())
    stop = stop or threading.Event()
    jobs = max(1, jobs or os.cpu_count() or 1)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    lessons = Lessons(lessons_dir, checks, only=lesson)
    submissions = select_shard(find_submissions(directory), shard)
    order = {s.name: i for i, s in enumerate(submissions)}
    secret_bytes = load_or_make_secret(outputs_for(output)["secret"], secret)

    rows = []
    if resume and output.exists():
        rows = [r for r in read_csv(output) if r.submission in order]
    done = {r.submission for r in rows}
    todo = [s for s in submissions if s.name not in done]

    import lstm_course

    package_dir = Path(lstm_course.__file__).resolve().parent
    lock = threading.Lock()
    meter = _Progress(len(todo), progress) if progress is not None else None
    saved_env = os.environ.pop("LSTM_COURSE_EXPECT", None)  # results, not assertions
    saved_limit = checks_time_limit(None)  # the sandbox has its own; the checks' would call in a thread
    with tempfile.TemporaryDirectory(prefix="lstm-course-grade-") as scratch:
        scratch = Path(scratch)
        packages = PackageCopies(package_dir, scratch / "package", checks)
        settings = Settings(timeout=timeout, limits=Limits(cpu_seconds=max(60, int(timeout * 4)),
                                                           memory_mb=memory_mb),
                            secret=secret_bytes, sandbox=sandbox, packages=packages,
                            package_dir=package_dir, scratch=scratch, stop=stop, checks=checks)

        def one(sub):
            student = student_of(sub.name)
            if sub.path is None:
                return [Row(sub.name, NOTEBOOK_ROW, "invalid", False, sub.problem, "", student)]
            name = lessons.match(sub.name)
            if name is None:
                return [Row(sub.name, NOTEBOOK_ROW, "unknown_lesson", False,
                            f"no lesson in {lessons.folder} matches this file's name (expected a lesson's "
                            "file name, e.g. 04_the_forget_gate.ipynb, or pass --lesson)", "", student)]
            try:
                exercises = lessons.exercises(name)
            except NotebookError as exc:
                return [Row(sub.name, NOTEBOOK_ROW, "error", False, f"the lesson {name} cannot be read: {exc}",
                            name, student)]
            return grade_submission(sub.path, sub.name, name, exercises, settings, student=student)

        interrupted = False
        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
        try:
            futures = {pool.submit(one, s): s for s in todo}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in finished:
                    sub = futures[fut]
                    try:
                        new = fut.result()
                    except Interrupted:
                        continue
                    except Exception as exc:  # a bug of the grader: still a row, still a CSV
                        new = [Row(sub.name, NOTEBOOK_ROW, "error", False,
                                   f"the grader failed on this submission ({type(exc).__name__}: {exc})")]
                    with lock:
                        rows.extend(new)
                        rows[:] = sort_rows(rows, order)
                        write_csv(rows, output)
                    if meter is not None:
                        meter.step(sub.name)
                if stop.is_set():
                    interrupted = True
                    for fut in pending:
                        fut.cancel()
                    break
        except KeyboardInterrupt:
            interrupted = True
            stop.set()
        finally:
            if interrupted:
                stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            if saved_env is not None:
                os.environ["LSTM_COURSE_EXPECT"] = saved_env
            checks_time_limit(saved_limit)
        rows = sort_rows(rows, order)
        write_all(rows, output)
        if interrupted:
            raise Interrupted(f"interrupted: {len({r.submission for r in rows})} of {len(submissions)} "
                              "submissions graded")
    return rows


def checks_time_limit(seconds):
    """Set the checks' own time limit per call (lstm_course.checks.core.LEARNER_TIMEOUT, None: none);
    return the previous value."""
    from ..checks import core

    previous = getattr(core, "LEARNER_TIMEOUT", None)
    if hasattr(core, "LEARNER_TIMEOUT"):
        core.LEARNER_TIMEOUT = seconds
    return previous


def install_signal_handlers(stop):
    """Ctrl-C and SIGTERM (Slurm, Kubernetes) set `stop`; a second Ctrl-C exits at once."""
    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
