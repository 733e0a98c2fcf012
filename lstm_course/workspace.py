"""The learner's own workspace: copies of the exercises that nothing overwrites, beside the solved lessons.

`make lab` calls :func:`sync_workspace` and opens JupyterLab inside the folder (``workspace/``,
ignored by git and never read by the tests)::

    workspace/
        README.md                  what this folder is
        NN_topic.ipynb             the learner's copy of each exercise notebook
        solutions/NN_topic.ipynb   the solved lesson, for reading and running

Rules, so that no one loses work:

- an exercise copy is created when missing, and replaced only when the learner has not edited its
  cells and the lesson has changed; a copy that was only run (outputs, no edits) is left as it
  is when its lesson has not changed;
- if the learner edited a copy and the lesson changed, the new version goes beside it as
  ``NN_topic.new.ipynb``; the learner's file is never written;
- a solved-lesson copy is refreshed when its lesson changed, unless the learner edited it.

The recorded SHA-256 of the cell sources (``metadata["lstm_course"]["generated_sha256"]``, as in
:mod:`lstm_course.exercises`) tells an edited notebook from an untouched one.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

from .exercises import (LESSON_GLOB, METADATA_KEY, POINTER_TAG, Action, as_instructor_aside, is_speaker_note,
                        make_exercise_notebook, read_generated, serialize_notebook, sources_sha256)

__all__ = ["sync_workspace", "solution_copy", "rescue_edited_exercise", "WORKSPACE_README"]

SOLUTIONS = "solutions"
SOLUTION_BANNER_ID = "solution-banner"
WORKSPACE_README = """\
# Your workspace

This folder is yours. `make lab` created it from the course's lessons and opens JupyterLab here.
Git ignores it and the tests never read it: edit, run and save freely.

- `NN_topic.ipynb`: your copy of each lesson's exercises. Replace each `raise NotImplementedError`
  with your code and run the cell with the check below it.
- `solutions/NN_topic.ipynb`: the solved lessons, to read (and run) beside your copy.

`make lab` never overwrites a notebook you edited. When a lesson changes after you edited its
copy, the new version is put beside yours as `NN_topic.new.ipynb`: copy your answers over, then
delete one of the two. A lesson added to the course appears here the next time you run `make lab`.
"""


def solution_copy(lesson: nbformat.NotebookNode, exercise_link: str) -> nbformat.NotebookNode:
    """The solved lesson as a learner's reading copy: outputs kept, speaker notes marked, a banner."""
    nb = nbformat.reads(nbformat.writes(nbformat.from_dict(lesson)), as_version=4)  # a deep copy
    nb.cells = [c for c in nb.cells if POINTER_TAG not in c.get("metadata", {}).get("tags", [])]  # the banner says it
    for cell in nb.cells:
        if cell.cell_type == "markdown" and is_speaker_note(cell):
            cell.source = as_instructor_aside(cell.source)
    banner = nbformat.v4.new_markdown_cell(
        f"> **Solved lesson, for reading.** Your exercise version is [{Path(exercise_link).name}]"
        f"({exercise_link}), one folder up. This copy is refreshed when the course's lesson changes, "
        "unless you edit it.")
    banner["id"] = SOLUTION_BANNER_ID
    first_is_title = nb.cells and nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("#")
    nb.cells.insert(1 if first_is_title else 0, banner)
    nb.metadata[METADATA_KEY] = {"solved_copy_of": Path(exercise_link).name,
                                 "generated_sha256": sources_sha256(nb)}
    return nb


def _place(target: Path, nb: nbformat.NotebookNode, beside_if_edited: bool) -> Action:
    """Write `nb` to `target` by the workspace's rules; return an Action."""
    if not target.exists():
        target.write_text(serialize_notebook(nb), encoding="utf-8")
        return Action(target, "created", "created")
    new_hash = nb.metadata[METADATA_KEY]["generated_sha256"]
    _, current, recorded = read_generated(target)
    if current == new_hash:
        return Action(target, "unchanged", "up to date (your outputs are kept)")
    if current is not None and current == recorded:  # untouched by the learner; the lesson changed
        target.write_text(serialize_notebook(nb), encoding="utf-8")
        return Action(target, "updated", "updated: its lesson changed and you had not edited it")
    if recorded == new_hash or not beside_if_edited:
        return Action(target, "kept", "kept as it is: you edited it")
    new_path = target.with_name(target.stem + ".new.ipynb")
    text = serialize_notebook(nb)
    if not (new_path.exists() and new_path.read_text(encoding="utf-8") == text):
        new_path.write_text(text, encoding="utf-8")
    return Action(new_path, "new", f"its lesson changed since you edited {target.name}: the new version is "
                  f"{new_path.name}; copy your answers over, then delete one of the two")


def sync_workspace(lessons_dir: str | os.PathLike = "notebooks",
                   workspace: str | os.PathLike = "workspace") -> list[Action]:
    """Create or refresh the learner's workspace from the lesson notebooks in `lessons_dir`.

    Parameters
    ----------
    lessons_dir : path, default "notebooks"
        The solved lessons, NN_topic.ipynb (executed, with outputs).
    workspace : path, default "workspace"

    Returns
    -------
    list of Action, one per notebook looked at (exercise copies first, then solved copies).
    """
    lessons_dir, workspace = Path(lessons_dir), Path(workspace)
    if not lessons_dir.is_dir():
        raise FileNotFoundError(f"no lessons directory {lessons_dir}")
    lessons = sorted(p for p in lessons_dir.glob(LESSON_GLOB) if ".new." not in p.name)
    (workspace / SOLUTIONS).mkdir(parents=True, exist_ok=True)
    readme = workspace / "README.md"
    if not readme.exists():
        readme.write_text(WORKSPACE_README, encoding="utf-8")
    exercises, solutions = [], []
    for path in lessons:
        lesson = nbformat.read(path, as_version=4)
        mine = make_exercise_notebook(lesson, f"{SOLUTIONS}/{path.name}", workspace=True)
        exercises.append(_place(workspace / path.name, mine, beside_if_edited=True))
        solved = solution_copy(lesson, f"../{path.name}")
        solutions.append(_place(workspace / SOLUTIONS / path.name, solved, beside_if_edited=False))
    return exercises + solutions


def rescue_edited_exercise(path: str | os.PathLike, workspace: str | os.PathLike) -> Path:
    """Move a learner's edited copy out of the generated folder into `workspace`; return where.

    The workspace's own copy is never replaced if the learner edited it: the rescued file then
    gets the name NN_topic.from-exercises.ipynb (or .from-exercises-2, ...).
    """
    path, workspace = Path(path), Path(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    target = workspace / path.name
    if target.exists():
        _, current, recorded = read_generated(target)
        if current is None or current != recorded:  # the learner's work: keep it
            n, stem = 1, path.stem
            target = workspace / f"{stem}.from-exercises.ipynb"
            while target.exists():
                n += 1
                target = workspace / f"{stem}.from-exercises-{n}.ipynb"
    os.replace(path, target)
    return target
