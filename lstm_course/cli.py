"""The `lstm-course` command.

    lstm-course exercises [--lessons DIR] [--out DIR] [--check]
        Generate the learner notebooks (notebooks/exercises/) from the lessons (notebooks/).
        --check writes nothing and exits 1 if any generated notebook is missing or out of date.
        A learner notebook edited in notebooks/exercises/ is moved to workspace/, then regenerated.

    lstm-course exercises --workspace DIR [--lessons DIR]
        Create or refresh a learner's own workspace (what `make lab` opens): a copy of every
        exercise notebook that is never overwritten once edited, and the solved lessons.

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
    ex.add_argument("--workspace", default=None, metavar="DIR",
                    help="instead, create or refresh the learner's own copies in DIR (make lab: workspace/)")

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
    if args.workspace is not None:
        return _workspace(lessons, Path(args.workspace))
    out = Path(args.out) if args.out else lessons / "exercises"
    try:
        rescued = [] if args.check or args.out else _rescue_edited(lessons, out)
        actions = generate(lessons, args.out, check=args.check)
    except SolutionMarkerError as exc:
        print(f"lstm-course exercises: {exc}", file=sys.stderr)
        return 2
    for line in rescued:
        print(line)
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


def _rescue_edited(lessons, out):
    """Move learner notebooks edited inside the generated folder to the workspace beside it.

    The generated folder is checked by the tests; a learner who solved an exercise there would
    otherwise be stuck between a failing `make test` and a file `make exercises` must not touch.
    """
    from .exercises import read_generated
    from .workspace import rescue_edited_exercise

    workspace = lessons.resolve().parent / "workspace"
    lines = []
    for path in sorted(out.glob("[0-9][0-9]_*.ipynb")) if out.is_dir() else []:
        if ".new." in path.name or not (lessons / path.name).exists():
            continue
        _, current, recorded = read_generated(path)
        if current is not None and current != recorded:
            target = rescue_edited_exercise(path, workspace)
            lines.append(f"{path}: you edited it; your copy is now {target} (your own folder, which git "
                         "and the tests ignore; `make lab` opens it), and the generated version is back")
    return lines


def _workspace(lessons, workspace):
    from .exercises import SolutionMarkerError
    from .workspace import sync_workspace

    try:
        actions = sync_workspace(lessons, workspace)
    except SolutionMarkerError as exc:
        print(f"lstm-course exercises: {exc}", file=sys.stderr)
        return 2
    for a in actions:
        if a.action != "unchanged":
            print(f"{a.path}: {a.message}")
    print(f"your workspace: {workspace} ({sum(a.action == 'unchanged' for a in actions)} of "
          f"{len(actions)} notebooks unchanged; solved lessons in {workspace / 'solutions'})")
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
