"""The `lstm-course` command.

    lstm-course exercises [--lessons DIR] [--out DIR] [--check]
        Generate the learner notebooks (notebooks/exercises/) from the lessons (notebooks/).
        --check writes nothing and exits 1 if any generated notebook is missing or out of date.
        A learner notebook edited in notebooks/exercises/ is moved to workspace/, then regenerated.

    lstm-course exercises --workspace DIR [--lessons DIR]
        Create or refresh a learner's own workspace (what `make lab` opens): a copy of every
        exercise notebook that is never overwritten once edited, and the solved lessons.

    lstm-course grade SUBMISSIONS_DIR [--output grades.csv] [--lessons DIR] [--jobs N] [--timeout S]
                      [--resume] [--shard K/N] [--secret S] [--no-sandbox] ...
        Grade every submitted notebook in its own sandbox against the lessons; write the long CSV,
        a gradebook, feedback files and a similarity report. See README, "Grading a class".

    lstm-course grade merge OUT.csv SHARD.csv...
        Join the CSVs of shards graded with --shard K/N.
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
                        description="Grade every submitted notebook under SUBMISSIONS_DIR, each in its own "
                        "sandbox, against the instructor's lessons; write one CSV row per submission and "
                        "exercise (submission, exercise, status, passed, message, ...), a gradebook, "
                        "feedback files and a similarity report beside it. "
                        "`lstm-course grade merge OUT.csv SHARD.csv...` joins the CSVs of shards.")
    gr.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    gr.add_argument("shards", nargs="*", help=argparse.SUPPRESS)
    gr.add_argument("--output", "-o", default="grades.csv", help="the long CSV to write (default: %(default)s)")
    gr.add_argument("--lessons", default=None, metavar="DIR",
                    help="the instructor's lesson notebooks, which say what each submission must contain "
                    "(default: ./notebooks, else the course's own)")
    gr.add_argument("--lesson", default=None, metavar="NAME",
                    help="grade every submission against this lesson (e.g. 04_the_forget_gate.ipynb) "
                    "instead of matching by file name")
    gr.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                    help="submissions graded at once (default: the number of cores)")
    gr.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                    help="wall time allowed to one exercise's check, and to the set-up (default: %(default)s)")
    gr.add_argument("--memory", type=int, default=2048, metavar="MB",
                    help="address space allowed to each sandbox (default: %(default)s)")
    gr.add_argument("--secret", default=None,
                    help="seeds the fresh test cases (default: generated once and kept in OUTPUT.secret, 0600)")
    gr.add_argument("--resume", action="store_true", help="skip the submissions already in the output CSV")
    gr.add_argument("--shard", default=None, metavar="K/N",
                    help="grade only the K-th of N shares of the class (1 <= K <= N), for a cluster")
    gr.add_argument("--no-sandbox", action="store_true",
                    help="run the submissions without bubblewrap (UNSAFE: they can read and change your "
                    "files and reach the network); for machines without a sandbox")
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


def _parse_shard(text):
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        return None
    return (k, n) if 1 <= k <= n else None


def _default_lessons():
    here = Path("notebooks")
    if here.is_dir():
        return here
    import lstm_course

    return Path(lstm_course.__file__).resolve().parent.parent / "notebooks"


def _grade(args):
    from .grading import Interrupted, grade_directory, merge, summary
    from .grading.grader import install_signal_handlers
    from .grading.report import outputs_for
    from .grading.sandbox import bwrap_problem

    if args.submissions == "merge" and args.shards:
        output, shards = args.shards[0], args.shards[1:]
        missing = [s for s in shards if not Path(s).is_file()]
        if not shards or missing:
            print("lstm-course grade merge OUT.csv SHARD.csv...: " + (f"no file {missing[0]}" if missing else
                  "give the shards' CSV files"), file=sys.stderr)
            return 2
        try:
            rows = merge(output, shards)
        except (ValueError, KeyError, OSError) as exc:
            print(f"lstm-course grade merge: {exc}", file=sys.stderr)
            return 2
        print(summary(rows))
        print(f"wrote {output} ({len(rows)} rows) from {len(shards)} shards")
        return 0
    if args.shards:
        print(f"lstm-course grade: unexpected arguments {' '.join(args.shards)}", file=sys.stderr)
        return 2
    directory = Path(args.submissions)
    if not directory.is_dir():
        print(f"lstm-course grade: no directory {directory}", file=sys.stderr)
        return 2
    if not any(directory.rglob("*.ipynb")):
        print(f"lstm-course grade: no .ipynb files under {directory}", file=sys.stderr)
        return 2
    lessons = Path(args.lessons) if args.lessons else _default_lessons()
    if not lessons.is_dir():
        print(f"lstm-course grade: no lessons directory {lessons} (pass --lessons DIR)", file=sys.stderr)
        return 2
    if args.lesson and not (lessons / args.lesson).is_file():
        print(f"lstm-course grade: no lesson {lessons / args.lesson}", file=sys.stderr)
        return 2
    shard = None
    if args.shard is not None:
        shard = _parse_shard(args.shard)
        if shard is None:
            print(f"lstm-course grade: --shard must be K/N with 1 <= K <= N, got {args.shard}", file=sys.stderr)
            return 2
    output = Path(args.output)
    if output.resolve().is_relative_to(directory.resolve()):
        print("lstm-course grade: the output must not be inside the submissions folder", file=sys.stderr)
        return 2
    if args.no_sandbox:
        print("lstm-course grade: WARNING: --no-sandbox: the submissions run as you, with your files, "
              "your network and your environment; only do this with submissions you trust", file=sys.stderr)
    elif bwrap_problem():
        print(f"lstm-course grade: no sandbox: {bwrap_problem()}.\nGrading runs students' code; it refuses "
              "to run it unsandboxed unless you pass --no-sandbox (read README's warning first).",
              file=sys.stderr)
        return 2
    import threading

    stop = threading.Event()
    install_signal_handlers(stop)
    try:
        rows = grade_directory(directory, output, lessons, jobs=args.jobs, timeout=args.timeout,
                               memory_mb=args.memory, secret=args.secret, resume=args.resume, shard=shard,
                               sandbox=not args.no_sandbox, lesson=args.lesson, stop=stop)
    except Interrupted as exc:
        print(f"lstm-course grade: {exc.message}; {output} holds them (run again with --resume)",
              file=sys.stderr)
        return 130
    print(summary(rows))
    from .grading.sandbox import CPU_USED

    print(f"the sandboxes that ended normally used {CPU_USED[0]:.1f} s of CPU", file=sys.stderr)
    paths = outputs_for(output)
    print(f"wrote {output} ({len(rows)} rows), {paths['gradebook']}, {paths['feedback']}/, {paths['similarity']}")
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
