"""Generate the learner notebooks from the lessons: solutions stripped, outputs cleared.

A lesson marks each solution region (nbgrader-compatible markers)::

    def forget_gate(x, h_prev, params):
        ### BEGIN SOLUTION
        return sigmoid(x @ params.W_xf + h_prev @ params.W_hf + params.b_f)
        ### END SOLUTION

In the learner notebook the region becomes, at the region's indentation::

        # YOUR CODE HERE
        raise NotImplementedError

(in a Markdown cell, "*Your answer here*"). Every lesson notebooks/NN_topic.ipynb gives
notebooks/exercises/NN_topic.ipynb, with a short banner cell after the title that says where to
work (the learner's own copies in workspace/, made by `lstm_course.workspace`). Speaker notes
(cells of slide type "notes") become quoted asides that begin "**For instructors:**".

No one loses work: each generated notebook records the SHA-256 of its cell sources in
metadata["lstm_course"]["generated_sha256"]. When its current sources no longer match
(a learner edited it), it is never overwritten; if the lesson changed meanwhile, the new
version is written beside it as NN_topic.new.ipynb. A file identical to what would be
generated is left untouched, so regenerating causes no churn.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path

import nbformat

__all__ = ["strip_solutions", "make_exercise_notebook", "generate", "sources_sha256",
           "find_check_calls", "SolutionMarkerError", "Action", "as_instructor_aside", "is_speaker_note",
           "read_generated", "serialize_notebook"]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
METADATA_KEY = "lstm_course"
BANNER_ID = "exercise-banner"
POINTER_TAG = "exercise-pointer"  # the lesson's generated line saying where the exercises are
_CALL = re.compile(r"\b(check_\w+)\s*\(")


class SolutionMarkerError(ValueError):
    """A lesson's solution markers are unbalanced, nested, or outside a function."""


def strip_solutions(source, cell_type="code", where="a cell"):
    """Replace every BEGIN/END SOLUTION region of one cell's source; return (source, count)."""
    out, count, indent = [], 0, None
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped == BEGIN:
            if indent is not None:
                raise SolutionMarkerError(f"{where}, line {number}: {BEGIN} inside another solution region")
            indent = line[:len(line) - len(line.lstrip())]
            if cell_type == "code" and not indent:
                raise SolutionMarkerError(
                    f"{where}, line {number}: a solution region at the top level would stop the learner's "
                    "notebook; put the exercise code inside a function")
            count += 1
            if cell_type == "code":
                out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError"]
            else:
                out.append(f"{indent}*Your answer here.*")
        elif stripped == END:
            if indent is None:
                raise SolutionMarkerError(f"{where}, line {number}: {END} without {BEGIN}")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise SolutionMarkerError(f"{where}: {BEGIN} without {END}")
    return "\n".join(out), count


def sources_sha256(nb):
    """SHA-256 of the notebook's cell types and sources (not outputs, not metadata)."""
    cells = [[cell.cell_type, cell.source] for cell in nb.cells]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode("utf-8")).hexdigest()


def find_check_calls(nb, known=None):
    """Names of the checks called in the notebook's code cells, in order, without repeats.

    `known` restricts them to these names (default: the checks of `lstm_course.checks`).
    """
    if known is None:
        from .checks import ALL_CHECKS
        known = ALL_CHECKS
    names = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            for name in _CALL.findall(cell.source):
                if name in known and name not in names:
                    names.append(name)
    return names


NOTES_MARK = "For instructors"


def is_speaker_note(cell) -> bool:
    """True for a cell of slide type "notes" (a speaker note, shown in a deck's speaker view)."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type") == "notes"


def as_instructor_aside(source: str) -> str:
    """A speaker note's Markdown as a clearly marked aside for readers: a quote that begins
    "**For instructors:**". Already marked text is returned as it is."""
    if source.lstrip().startswith(f"> **{NOTES_MARK}"):
        return source
    lines = source.strip("\n").split("\n")
    lines[0] = f"**{NOTES_MARK}:** {lines[0]}"
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def _banner(lesson_link, n_code, n_text, workspace=False):
    if n_code or n_text:
        todo = []
        if n_code:
            todo.append(f"{n_code} exercise{'s' if n_code != 1 else ''} to do: find each `# YOUR CODE "
                        "HERE`, replace `raise NotImplementedError` with your code, and run the cell "
                        "with the check below it (✅ means right, ❌ says what is wrong)")
        if n_text:
            todo.append(f"{n_text} question{'s' if n_text != 1 else ''} to answer where it says "
                        "*Your answer here*")
        todo = ("; ".join(todo) + ".")
        todo = todo[0].upper() + todo[1:]
    else:
        todo = "This lesson has no exercise to fill in; it is here so that the whole course is in one folder."
    if workspace:
        return (f"> **Your copy** of the exercises of this lesson ([the solved lesson]({lesson_link}), "
                f"for reading, is in `solutions/`). {todo}\n"
                ">\n> This file is yours: it lives in `workspace/`, which git and the tests ignore, and "
                "`make lab` never overwrites it. If the lesson changes after you have edited this file, "
                "the new version is put beside it as a `.new.ipynb`.")
    return (f"> **Exercise version** of [this lesson]({lesson_link}), with the solutions taken out. {todo}\n"
            ">\n> **Where to work:** `make lab` opens your own copy of this notebook in `workspace/` (a folder "
            "that git and the tests ignore, and that is never overwritten), with the solved lessons in "
            "`workspace/solutions/`. This file is generated from the lesson and checked by the tests; "
            "if you edited it here, `make exercises` moves your copy to `workspace/`.")


def make_exercise_notebook(lesson, lesson_link, workspace=False):
    """The learner version of a lesson notebook (a new NotebookNode; `lesson` is not changed).

    Solutions are stripped, outputs cleared, speaker notes marked as asides for instructors and
    a banner cell added after the title; `workspace` selects the banner of a learner's own copy.
    """
    nb = nbformat.from_dict(json.loads(json.dumps(lesson)))  # a deep copy
    nb.cells = [c for c in nb.cells if POINTER_TAG not in c.get("metadata", {}).get("tags", [])]  # the banner says it
    counts = {"code": 0, "markdown": 0}
    for index, cell in enumerate(nb.cells, 1):
        cell.source, count = strip_solutions(cell.source, cell.cell_type, f"cell {index}")
        if cell.cell_type == "markdown" and is_speaker_note(cell):
            cell.source = as_instructor_aside(cell.source)
        counts[cell.cell_type] = counts.get(cell.cell_type, 0) + count
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in ("execution", "ExecuteTime"):
            cell.metadata.pop(key, None)
    banner = nbformat.v4.new_markdown_cell(_banner(lesson_link, counts["code"], counts["markdown"], workspace))
    if "id" in (nb.cells[0] if nb.cells else {}):
        banner["id"] = BANNER_ID
    else:
        banner.pop("id", None)
    first_is_title = nb.cells and nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("#")
    nb.cells.insert(1 if first_is_title else 0, banner)
    nb.metadata[METADATA_KEY] = {
        "generated_from": Path(lesson_link).name,
        "exercises": find_check_calls(nb),
        "solution_regions": sum(counts.values()),
        "generated_sha256": sources_sha256(nb),
    }
    return nb


def serialize_notebook(nb):
    """The notebook's JSON text as nbformat writes it, ending with a newline (comparable byte for byte)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


@dataclasses.dataclass
class Action:
    """What `generate` did (or, with check=True, would do) to one file."""
    path: Path
    action: str  # created, updated, unchanged, kept, new, removed, out-of-date, missing, orphan, leftover
    message: str

    @property
    def problem(self):
        """True for what `exercises --check` fails on (the repository is not in sync)."""
        return self.action in ("out-of-date", "missing", "orphan", "leftover")


def read_generated(path):
    """A generated notebook as found on disk: (notebook or None if unreadable, the SHA-256 of its
    current cell sources or None, the SHA-256 recorded when it was generated or None). The two
    hashes differ when someone edited its cells."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return None, None, None
    recorded = nb.metadata.get(METADATA_KEY, {}).get("generated_sha256")
    return nb, sources_sha256(nb), recorded


def generate(lessons_dir="notebooks", out_dir=None, check=False):
    """Write notebooks/exercises/NN_topic.ipynb for every lesson notebooks/NN_topic.ipynb.

    Parameters
    ----------
    lessons_dir : path, default "notebooks"
    out_dir : path, default lessons_dir / "exercises"
    check : bool
        Write nothing; report every file that is missing, out of date, edited, left over or
        orphaned (for CI).

    Returns
    -------
    list of Action, one per file looked at.
    """
    lessons_dir = Path(lessons_dir)
    out_dir = Path(out_dir) if out_dir is not None else lessons_dir / "exercises"
    if not lessons_dir.is_dir():
        raise FileNotFoundError(f"no lessons directory {lessons_dir}")
    lessons = sorted(p for p in lessons_dir.glob(LESSON_GLOB) if ".new." not in p.name)
    actions = []
    if not check:
        out_dir.mkdir(parents=True, exist_ok=True)
    for lesson_path in lessons:
        link = Path(os.path.relpath(lesson_path, out_dir)).as_posix()
        lesson = nbformat.read(lesson_path, as_version=4)
        try:
            nb = make_exercise_notebook(lesson, link)
        except SolutionMarkerError as exc:
            raise SolutionMarkerError(f"{lesson_path}: {exc}") from None
        actions.append(_write(out_dir / lesson_path.name, nb, check))
    actions += _orphans(out_dir, {p.name for p in lessons}, check)
    return actions


def _write(target, nb, check):
    text = serialize_notebook(nb)
    new_path = target.with_name(target.stem + ".new.ipynb")
    if not target.exists():
        if check:
            return Action(target, "missing", "not generated yet: run `make exercises`")
        target.write_text(text, encoding="utf-8")
        return Action(target, "created", "created")
    if target.read_text(encoding="utf-8") == text:
        return Action(target, "unchanged", "up to date")
    _, current, recorded = read_generated(target)
    new_hash = nb.metadata[METADATA_KEY]["generated_sha256"]
    edited = current is None or current not in (recorded, new_hash)
    if check:
        why = "edited since it was generated" if edited else "out of date with its lesson"
        return Action(target, "out-of-date", f"{why}: run `make exercises`")
    if not edited:  # only outputs differ, or an untouched file whose lesson changed
        target.write_text(text, encoding="utf-8")
        return Action(target, "updated", "updated")
    if recorded == new_hash:  # the learner edited it, but the lesson has not changed since
        return Action(target, "kept", "kept as it is: you edited it, and its lesson has not changed")
    new_path.write_text(text, encoding="utf-8")
    return Action(new_path, "new", f"not overwritten, because you edited {target.name}; the updated "
                  f"version is in {new_path.name}: copy your answers over, then delete one of the two")


def _orphans(out_dir, lesson_names, check):
    actions = []
    if not out_dir.is_dir():
        return actions
    for path in sorted(out_dir.glob("[0-9][0-9]_*.ipynb")):
        if ".new." in path.name:
            if check:
                actions.append(Action(path, "leftover", "a .new.ipynb left by `make exercises`: resolve it "
                                      "and delete it"))
            continue
        if path.name in lesson_names:
            continue
        _, current, recorded = read_generated(path)
        if current is not None and current == recorded and not check:
            path.unlink()
            actions.append(Action(path, "removed", "removed: its lesson no longer exists"))
        else:
            actions.append(Action(path, "orphan", "its lesson no longer exists" + (
                "" if check else "; kept because it was edited")))
    return actions
