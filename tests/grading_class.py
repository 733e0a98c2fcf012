"""Build classes of submitted notebooks for the grader's tests, from the fixture lesson.

Every submission is the learner version of tests/fixtures/lessons/01_fixture_lesson.ipynb with the
two exercises (forget_gate, hidden_state) filled in with the given bodies. Hostile bodies attack,
then give the right answer, so that a test sees both whether the attack worked and whether the
attacker's grade is still honest.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

from lstm_course.exercises import generate

FIXTURE = Path(__file__).parent / "fixtures" / "lessons" / "01_fixture_lesson.ipynb"
LESSON = FIXTURE.name
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError"
RIGHT_F = "return sigmoid(x @ params.W_xf + h_prev @ params.W_hf + params.b_f)"
RIGHT_H = "return o * np.tanh(c)"
TANH_F = "return np.tanh(x @ params.W_xf + h_prev @ params.W_hf + params.b_f)"


def lessons_dir(tmp):
    """A lessons folder holding the fixture lesson, and its learner version."""
    lessons = Path(tmp) / "lessons"
    if not lessons.exists():
        lessons.mkdir(parents=True)
        shutil.copy(FIXTURE, lessons / LESSON)
        generate(lessons)
    return lessons


def learner(tmp):
    return nbformat.read(lessons_dir(tmp) / "exercises" / LESSON, as_version=4)


def _indent(body):
    return textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")


def submission(tmp, forget=RIGHT_F, hidden=RIGHT_H, extra_cells=(), drop=()):
    """A learner notebook with the two bodies filled in (None leaves the stub)."""
    nb = learner(tmp)
    for cell in nb.cells:
        if "def forget_gate" in cell.source and forget is not None:
            cell.source = cell.source.replace(STUB, _indent(forget))
        if "def hidden_state" in cell.source and hidden is not None:
            cell.source = cell.source.replace(STUB, _indent(hidden))
    nb.cells = [c for c in nb.cells if not any(d in c.source for d in drop)]
    for index, source in extra_cells:
        nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    return nb


def write(nb, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def run_cli(*args, timeout=300, env=None):
    """Run the installed `lstm-course` as the instructor would, in a fresh process."""
    script = Path(sys.executable).parent / "lstm-course"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "lstm_course.cli"]
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env)


def sandbox_processes(scratch=""):
    """Command lines of running sandboxes started by a grader whose TMPDIR was `scratch`."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "bootstrap.py" in cmd and str(scratch) in cmd:
                found.append(cmd)
    return found
