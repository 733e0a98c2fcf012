"""Build the lesson notebooks from their sources and execute them.

The source of each lesson is the jupytext "percent" script lessons/NN_topic.py; the executed
notebook notebooks/NN_topic.ipynb (with outputs, checked by strict nbval) is generated from it.
tests/test_lessons.py fails when the two drift apart. After the title, the build adds one line
(a cell tagged "exercise-pointer") that tells the learner where their own exercise copy is.

    make notebooks                                 # every lesson (then the learner notebooks)
    make notebooks ONLY="03 05"                    # only lessons whose name starts with these
    .venv/bin/python scripts/build_notebooks.py 03 05    # the same, without make

Cells run with LSTM_COURSE_EXPECT=pass, so a failing exercise check stops the build.
Afterwards the learner notebooks in notebooks/exercises/ are regenerated.

The build is deterministic: printed output that arrives in several chunks is merged into one
stream output per cell, and a notebook whose content did not change is not written again, so
running `make notebooks` twice leaves `git status` clean. Figures are stored at twice the
lessons' figure.dpi (crisp on a projector and on HiDPI screens); the figure sizes the lessons
print (`<Figure size 432x216 ...>`) do not change, so strict nbval, which compares text only,
is not affected.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import jupytext
    import nbformat
    from nbclient import NotebookClient
except ImportError:  # run with a Python outside the course's environment: use the venv's
    venv_python = ROOT / ".venv" / "bin" / "python"
    if venv_python.exists() and Path(sys.prefix).resolve() != venv_python.parents[1].resolve():
        os.execv(str(venv_python), [str(venv_python), __file__, *sys.argv[1:]])
    sys.exit("build_notebooks: jupytext/nbclient are missing: run `make install` (or `make notebooks`)")

from lstm_course.blas import use_one_blas_thread  # noqa: E402

use_one_blas_thread()  # the kernels inherit it (lstm_course.blas says why)
LESSONS = ROOT / "lessons"
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# Stored figures at 2x the lessons' dpi (figure.dpi = 72 -> 144 dots per inch in the PNG).
FIGURE_SCALE = 2
KERNEL_ARGS = [f"--InlineBackend.print_figure_kwargs={{'bbox_inches': 'tight', 'dpi': {72 * FIGURE_SCALE}}}"]


def lesson_sources(prefixes=()):
    sources = sorted(LESSONS.glob("[0-9][0-9]_*.py"))
    if prefixes:
        sources = [p for p in sources if p.name.startswith(tuple(prefixes))]
    return sources


POINTER_TAG = "exercise-pointer"  # the generated cell that says where a learner's exercises are


def exercise_pointer_cell(stem):
    """A generated line after a lesson's title: where the learner's own exercise copy is. It is not
    a slide (skip), and the learner notebooks and the website replace it with their own banner."""
    cell = nbformat.v4.new_markdown_cell(
        f"> **Your exercises:** `make lab` opens your own copy of this lesson's exercises, "
        f"`workspace/{stem}.ipynb`, in JupyterLab, with the solved lessons beside it in "
        "`workspace/solutions/`. Git and the tests ignore that folder, and `make lab` never "
        "overwrites a notebook you have edited.")
    cell.id = f"{stem[:2]}-exercises"
    cell.metadata = {"slideshow": {"slide_type": "skip"}, "tags": [POINTER_TAG]}
    return cell


def notebook_from_source(path):
    """The unexecuted notebook for one lesson source, with stable cell ids (no churn in git), and a
    generated line after the title saying where the learner's exercises are."""
    nb = jupytext.read(path)
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    for n, cell in enumerate(nb.cells):
        cell.id = f"{path.stem[:2]}-{n:03d}"
        cell.metadata.pop("lines_to_next_cell", None)
    first_is_title = nb.cells and nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("#")
    nb.cells.insert(1 if first_is_title else 0, exercise_pointer_cell(path.stem))
    return nb


def merge_streams(outputs):
    """Consecutive stream outputs of the same stream (stdout, stderr) merged into one.

    How a cell's prints are split into chunks depends on timing, so the unmerged list changes
    from one run to the next although the text does not.
    """
    merged = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            merged[-1]["text"] = merged[-1]["text"] + out["text"]
        else:
            merged.append(out)
    return merged


def normalise(nb):
    """Remove what changes between runs of the same lesson: stream chunking, timings, widget state."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
        for key in ("execution", "ExecuteTime"):
            cell.metadata.pop(key, None)
    nb.metadata.pop("widgets", None)
    return nb


def execute(nb, timeout=120):
    os.environ["LSTM_COURSE_EXPECT"] = "pass"  # the kernel inherits it
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,  # no git churn
                   extra_arguments=KERNEL_ARGS,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return normalise(nb)


def write_if_changed(nb, path):
    """Write `nb` to `path` unless the file already holds exactly this; True if written."""
    text = nbformat.writes(nb)
    text = text if text.endswith("\n") else text + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def main(argv):
    NOTEBOOKS.mkdir(exist_ok=True)
    sources = lesson_sources(argv)
    if not sources:
        sys.exit(f"no lesson sources match {argv or 'lessons/NN_*.py'}")
    for path in sources:
        start = time.perf_counter()
        nb = execute(notebook_from_source(path))
        out = NOTEBOOKS / f"{path.stem}.ipynb"
        written = write_if_changed(nb, out)
        print(f"{out.relative_to(ROOT)}  executed in {time.perf_counter() - start:.1f} s"
              f"{'' if written else ' (unchanged)'}")
    from lstm_course.cli import main as lstm_course_command
    lstm_course_command(["exercises"])  # the learner copies follow the lessons


if __name__ == "__main__":
    main(sys.argv[1:])
