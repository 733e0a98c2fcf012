"""Build the lesson notebooks from their sources and execute them.

The source of each lesson is the jupytext "percent" script lessons/NN_topic.py; the executed
notebook notebooks/NN_topic.ipynb (with outputs, checked by strict nbval) is generated from it.
tests/test_lessons.py fails when the two drift apart.

    python scripts/build_notebooks.py              # every lesson
    python scripts/build_notebooks.py 03 05        # only lessons whose name starts with these

Cells run with LSTM_COURSE_EXPECT=pass, so a failing exercise check stops the build.
Afterwards the learner notebooks in notebooks/exercises/ are regenerated.
"""

import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

from lstm_course.blas import use_one_blas_thread

ROOT = Path(__file__).resolve().parents[1]
use_one_blas_thread()  # the kernels inherit it (lstm_course.blas says why)
LESSONS = ROOT / "lessons"
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def lesson_sources(prefixes=()):
    sources = sorted(LESSONS.glob("[0-9][0-9]_*.py"))
    if prefixes:
        sources = [p for p in sources if p.name.startswith(tuple(prefixes))]
    return sources


def notebook_from_source(path):
    """The unexecuted notebook for one lesson source, with stable cell ids (no churn in git)."""
    nb = jupytext.read(path)
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    for n, cell in enumerate(nb.cells):
        cell.id = f"{path.stem[:2]}-{n:03d}"
        cell.metadata.pop("lines_to_next_cell", None)
    return nb


def execute(nb, timeout=120):
    os.environ["LSTM_COURSE_EXPECT"] = "pass"  # the kernel inherits it
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,  # no git churn
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    nb.metadata.pop("widgets", None)
    return nb


def main(argv):
    NOTEBOOKS.mkdir(exist_ok=True)
    sources = lesson_sources(argv)
    if not sources:
        sys.exit(f"no lesson sources match {argv or 'lessons/NN_*.py'}")
    for path in sources:
        start = time.perf_counter()
        nb = execute(notebook_from_source(path))
        out = NOTEBOOKS / f"{path.stem}.ipynb"
        nbformat.write(nb, out)
        print(f"{out.relative_to(ROOT)}  executed in {time.perf_counter() - start:.1f} s")
    from lstm_course.cli import main as lstm_course_command
    lstm_course_command(["exercises"])  # the learner copies follow the lessons


if __name__ == "__main__":
    main(sys.argv[1:])
