"""Grade a folder of submitted notebooks: run each in a fresh kernel, read every check's result.

Each check displays a `CheckResult` whose outputs carry a JSON bundle under
`lstm_course.checks.MIME_TYPE`; the grader executes a submission (outputs cleared first, with a
time limit per cell, with LSTM_COURSE_EXPECT unset, in the notebook's own folder as Jupyter
would) and reads those bundles back. One row per submission and exercise; a submission that is not valid JSON,
raises, loops forever or kills its kernel gets a "(notebook)" row saying so, and the others are
still graded.

Note: the grader trusts the notebook's outputs. It catches mistakes, not a determined forger
who prints a fake result bundle.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

import nbformat

from .checks.result import ENV_VAR, MIME_TYPE, CheckResult
from .exercises import METADATA_KEY, find_check_calls

__all__ = ["Row", "COLUMNS", "NOTEBOOK_ROW", "find_submissions", "grade_notebook", "grade_directory",
           "write_csv", "summary"]

COLUMNS = ("submission", "exercise", "status", "passed", "message")
NOTEBOOK_ROW = "(notebook)"
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


@dataclasses.dataclass
class Row:
    """One line of grades.csv.

    status is a check's ("pass", "fail", "not_implemented"), "missing" for an exercise whose check
    reported nothing, or, on a "(notebook)" row: "invalid", "error", "timeout", "crashed",
    "no_checks".
    """
    submission: str
    exercise: str
    status: str
    passed: bool
    message: str

    def as_csv(self):
        return {"submission": self.submission, "exercise": self.exercise, "status": self.status,
                "passed": int(self.passed), "message": self.message}


def find_submissions(directory):
    """Every .ipynb under `directory` (recursively), sorted, skipping .ipynb_checkpoints."""
    directory = Path(directory)
    return sorted(p for p in directory.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _short(text, limit=300):
    text = _ADDRESS.sub("0x…", " ".join(str(text).split()))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _cell_label(nb, index):
    first = next((line.strip() for line in nb.cells[index].source.splitlines() if line.strip()), "")
    return f"cell {index + 1}" + (f" (`{_short(first, 60)}`)" if first else "")


def _execute(nb, timeout, kernel_name, workdir):
    """Run `nb` in place; return None, or (status, message, cell index) if the run stopped early."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    current = {"index": None}

    def on_cell_start(cell=None, cell_index=None, **_):
        current["index"] = cell_index

    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}  # results, not assertions
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, allow_errors=True,
                            shutdown_kernel="immediate", record_timing=False,
                            resources={"metadata": {"path": str(workdir)}}, on_cell_start=on_cell_start)
    try:
        client.execute(env=env, stderr=subprocess.DEVNULL)  # no kernel start-up chatter
    except CellTimeoutError:
        index = current["index"]
        where = _cell_label(nb, index) if index is not None else "a cell"
        return "timeout", (f"{where} ran longer than {timeout:g} s (an infinite loop?) and was "
                           "stopped; the cells after it were not run"), index
    except DeadKernelError:
        index = current["index"]
        where = _cell_label(nb, index) if index is not None else "a cell"
        return "crashed", (f"the kernel died in {where} (a crash, exit() or too much memory); the "
                           "cells after it were not run"), index
    except Exception as exc:  # e.g. the kernel could not start
        return "error", f"could not run the notebook: {_short(f'{type(exc).__name__}: {exc}')}", -1
    return None


def grade_notebook(path, timeout=60, submission=None, kernel_name="python3", workdir=None):
    """Execute one submitted notebook and return its list of Row.

    Parameters
    ----------
    path : path of the .ipynb
    timeout : float, default 60
        Seconds allowed per cell.
    submission : str, optional
        The name written in the "submission" column (default: the file name).
    kernel_name : str, default "python3" (this Python, whatever the notebook names)
    workdir : path, optional
        The kernel's working directory (default: the notebook's folder, as in Jupyter).
    """
    path = Path(path)
    name = submission or path.name
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("it has no list of cells")
    except Exception as exc:
        return [Row(name, NOTEBOOK_ROW, "invalid", False,
                    f"not a valid notebook file: {_short(f'{type(exc).__name__}: {exc}', 200)}")]

    expected = list(nb.metadata.get(METADATA_KEY, {}).get("exercises", []))
    expected += [n for n in find_check_calls(nb) if n not in expected]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    stopped = _execute(nb, timeout, kernel_name, workdir if workdir is not None else path.parent)

    results, errors = {}, []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") in ("execute_result", "display_data") and MIME_TYPE in out.get("data", {}):
                try:
                    result = CheckResult.from_dict(out["data"][MIME_TYPE])
                except Exception:
                    continue
                results[result.name] = result  # a check run twice: the last result counts
            elif out.get("output_type") == "error":
                errors.append((index, f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"))

    rows = []
    if stopped is not None:
        rows.append(Row(name, NOTEBOOK_ROW, stopped[0], False, stopped[1]))
    if errors:
        index, text = errors[0]
        more = f" (and {len(errors) - 1} more cell{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        rows.append(Row(name, NOTEBOOK_ROW, "error", False,
                        f"{_cell_label(nb, index)} raised {_short(text, 200)}{more}"))
    for exercise in expected + [n for n in results if n not in expected]:
        if exercise in results:
            r = results[exercise]
            rows.append(Row(name, exercise, r.status, r.passed, r.message))
        else:
            rows.append(Row(name, exercise, "missing", False, _why_missing(nb, exercise, stopped)))
    if not expected and not results and stopped is None:
        rows.append(Row(name, NOTEBOOK_ROW, "no_checks", False, "no exercise check found in this notebook"))
    return rows


def _why_missing(nb, exercise, stopped):
    call = re.compile(rf"\b{re.escape(exercise)}\s*\(")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and call.search(cell.source):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    return (f"no result: {_cell_label(nb, index)} raised "
                            f"{_short(out.get('ename', 'Error') + ': ' + out.get('evalue', ''), 200)}")
            if stopped is not None and stopped[2] is not None and index >= stopped[2]:
                return ("no result: this check's cell was stopped" if index == stopped[2] else
                        "no result: the notebook stopped before this check ran") + f" ({stopped[0]})"
            return "no result: the check's cell ran but showed no result (is the check its last line?)"
    return "no result: the check is not called in this notebook (was its cell deleted?)"


def grade_directory(directory, timeout=60, kernel_name="python3", workdir=None, progress=None):
    """Grade every notebook under `directory`; return all rows. `progress(name)` is called first."""
    directory = Path(directory)
    rows = []
    for path in find_submissions(directory):
        name = path.relative_to(directory).as_posix()
        if progress is not None:
            progress(name)
        rows += grade_notebook(path, timeout=timeout, submission=name, kernel_name=kernel_name,
                               workdir=workdir)
    return rows


def write_csv(rows, output):
    """Write rows to a CSV file with the columns COLUMNS (passed as 1 or 0)."""
    with open(output, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row.as_csv())


def summary(rows):
    """A short text summary: totals, then one line per submission."""
    submissions = list(dict.fromkeys(r.submission for r in rows))
    exercise_rows = [r for r in rows if r.exercise != NOTEBOOK_ROW]
    counts = Counter(r.status for r in exercise_rows)
    parts = [f"{counts[s]} {label}" for s, label in (("pass", "passed"), ("fail", "failed"),
             ("not_implemented", "not implemented"), ("missing", "missing")) if counts[s]]
    lines = [f"graded {len(submissions)} submission{'s' if len(submissions) != 1 else ''}, "
             f"{len(exercise_rows)} exercise result{'s' if len(exercise_rows) != 1 else ''}"
             + (f": {', '.join(parts)}" if parts else "")]
    for sub in submissions:
        mine = [r for r in rows if r.submission == sub]
        ex = [r for r in mine if r.exercise != NOTEBOOK_ROW]
        line = f"  {sub}: {sum(r.passed for r in ex)}/{len(ex)} passed"
        problems = [f"{r.status}: {r.message}" for r in mine if r.exercise == NOTEBOOK_ROW]
        if problems:
            line += " - " + "; ".join(_short(p, 120) for p in problems)
        lines.append(line)
    return "\n".join(lines)
