"""Grade a folder of submitted notebooks, each in its own sandbox, with the verdicts decided here.

The pieces, one concept each:

- `notebook`: reading untrusted notebook files, the lesson's exercises, what to execute;
- `rpc`: the wire format (plain arrays and JSON, no pickle) and both ends of the pipe;
- `bootstrap`: what runs inside the sandbox;
- `package`: the copy of the package a sandbox sees, without the exercise's solution;
- `sandbox`: bubblewrap, resource limits, the pipe with deadlines;
- `runner`: one submission (the checks run here, on proxies of the learner's functions);
- `grader`: a whole class, in parallel, resumable, by shards;
- `report`: the long CSV, the gradebook, feedback files, the similarity report, merging shards.
"""

from __future__ import annotations

from pathlib import Path

from .grader import Interrupted, Lessons, find_submissions, grade_directory
from .notebook import Exercise
from .report import COLUMNS, read_csv, summary, write_all, write_csv
from .runner import NOTEBOOK_ROW, Row, Settings, grade_submission

__all__ = ["Row", "COLUMNS", "NOTEBOOK_ROW", "find_submissions", "grade_directory", "grade_notebook",
           "write_csv", "read_csv", "write_all", "summary", "merge", "Interrupted", "Exercise", "Lessons"]


def grade_notebook(path, lessons_dir, lesson=None, timeout=20.0, sandbox=True, secret="", submission=None):
    """Rows of one notebook file, graded against its lesson in `lessons_dir` (a convenience)."""
    import tempfile
    import threading

    import lstm_course

    from .. import checks as checks_module
    from .package import PackageCopies
    from .sandbox import Limits

    path = Path(path)
    lessons = Lessons(lessons_dir, dict(checks_module.ALL_CHECKS), only=lesson)
    name = lessons.match(path.name)
    submission = submission or path.name
    if name is None:
        return [Row(submission, NOTEBOOK_ROW, "unknown_lesson", False, f"no lesson matches {path.name}")]
    package_dir = Path(lstm_course.__file__).resolve().parent
    from .grader import checks_time_limit

    saved = checks_time_limit(None)
    with tempfile.TemporaryDirectory(prefix="lstm-course-grade-") as scratch:
        scratch = Path(scratch)
        packages = PackageCopies(package_dir, scratch / "package", lessons.checks)
        settings = Settings(timeout=timeout, limits=Limits(), secret=secret.encode(), sandbox=sandbox,
                            packages=packages, package_dir=package_dir, scratch=scratch,
                            stop=threading.Event(), checks=lessons.checks)
        try:
            return grade_submission(path, submission, name, lessons.exercises(name), settings)
        finally:
            checks_time_limit(saved)


def merge(output, shards):
    """Join the long CSVs of shards into `output` (and its gradebook, feedback, similarity)."""
    rows, seen = [], {}
    for shard in shards:
        mine = read_csv(shard)
        for sub in {r.submission for r in mine}:
            if sub in seen:
                raise ValueError(f"{sub} is in both {seen[sub]} and {shard}: were the shards made with "
                                 "the same --shard N?")
            seen[sub] = shard
        rows += mine
    rows.sort(key=lambda r: r.submission)  # stable: each submission keeps its rows' order
    write_all(rows, output)
    return rows
