"""The `lstm-course` command.

    lstm-course exercises [--lessons DIR] [--out DIR] [--check]
        Generate the learner notebooks (notebooks/exercises/) from the lessons (notebooks/).
        --check writes nothing and exits 1 if any generated notebook is missing or out of date.

    lstm-course grade SUBMISSIONS_DIR [--output grades.csv] [--timeout SECONDS] [--workdir DIR]
        Execute every submitted notebook in a fresh kernel and write one CSV row per
        submission and exercise, then print a short summary.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main", "build_parser"]


def build_parser():
    parser = argparse.ArgumentParser(prog="lstm-course", description="The LSTM course's tools.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ex = sub.add_parser("exercises", help="generate the learner notebooks from the lessons",
                        description="Generate notebooks/exercises/NN_topic.ipynb from every lesson "
                        "notebooks/NN_topic.ipynb: solutions replaced by `raise NotImplementedError`, "
                        "outputs cleared. A notebook a learner has edited is never overwritten.")
    ex.add_argument("--lessons", default="notebooks", metavar="DIR",
                    help="the lesson notebooks (default: %(default)s)")
    ex.add_argument("--out", default=None, metavar="DIR",
                    help="where to write the learner notebooks (default: LESSONS/exercises)")
    ex.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 listing every file that is not up to date")

    gr = sub.add_parser("grade", help="grade a folder of submitted notebooks",
                        description="Execute each submitted notebook (recursively under "
                        "SUBMISSIONS_DIR) in a fresh kernel and write one CSV row per submission and "
                        "exercise: submission, exercise, status, passed (1/0), message.")
    gr.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    gr.add_argument("--output", "-o", default="grades.csv", help="the CSV to write (default: %(default)s)")
    gr.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                    help="time allowed per cell before a submission is stopped (default: %(default)s)")
    gr.add_argument("--workdir", default=None, metavar="DIR",
                    help="the kernels' working directory (default: each notebook's own folder)")
    return parser


def _exercises(args):
    from .exercises import SolutionMarkerError, generate

    lessons = Path(args.lessons)
    if not lessons.is_dir():
        print(f"lstm-course exercises: no lessons directory {lessons} (run from the course's root, or "
              "pass --lessons DIR)", file=sys.stderr)
        return 2
    try:
        actions = generate(lessons, args.out, check=args.check)
    except SolutionMarkerError as exc:
        print(f"lstm-course exercises: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else lessons / "exercises"
    if not actions:
        print(f"no lessons (NN_topic.ipynb) in {lessons}: nothing to do")
        return 0
    if args.check:
        problems = [a for a in actions if a.problem]
        for a in problems:
            print(f"{a.path}: {a.message}")
        if problems:
            print(f"{len(problems)} learner notebook{'s are' if len(problems) != 1 else ' is'} not up to "
                  f"date with the lessons in {lessons}")
            return 1
        print(f"all {len(actions)} learner notebooks in {out} are up to date")
        return 0
    for a in actions:
        if a.action != "unchanged":
            print(f"{a.path}: {a.message}")
    unchanged = sum(a.action == "unchanged" for a in actions)
    print(f"{len(actions)} learner notebook{'s' if len(actions) != 1 else ''} in {out} "
          f"({unchanged} unchanged)")
    return 0


def _grade(args):
    from .grading import find_submissions, grade_directory, summary, write_csv

    directory = Path(args.submissions)
    if not directory.is_dir():
        print(f"lstm-course grade: no directory {directory}", file=sys.stderr)
        return 2
    if not find_submissions(directory):
        print(f"lstm-course grade: no .ipynb files under {directory}", file=sys.stderr)
        return 2
    if args.workdir is not None and not Path(args.workdir).is_dir():
        print(f"lstm-course grade: no directory {args.workdir}", file=sys.stderr)
        return 2
    rows = grade_directory(directory, timeout=args.timeout, workdir=args.workdir,
                           progress=lambda name: print(f"grading {name} ...", flush=True))
    write_csv(rows, args.output)
    print(summary(rows))
    print(f"wrote {args.output} ({len(rows)} rows)")
    return 0


def main(argv=None):
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return _exercises(args) if args.command == "exercises" else _grade(args)
    except ImportError as exc:
        if exc.name not in ("nbformat", "nbclient"):
            raise
        print(f"lstm-course {args.command} needs {exc.name}: pip install 'lstm_course[course]' "
              "(or run `make install`)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
