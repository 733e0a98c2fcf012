"""`lstm-course grade`: a folder of submissions (correct, wrong, raising, looping forever, not
JSON) gives one CSV row per submission and exercise, and a short summary."""

import csv
import io
import shutil
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest

from lstm_course.cli import main
from lstm_course.exercises import generate
from lstm_course.grading import NOTEBOOK_ROW, Row, grade_notebook, summary

FIXTURE = Path(__file__).parent / "fixtures" / "lessons" / "01_fixture_lesson.ipynb"
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError"
RIGHT_F = "    return sigmoid(x @ params.W_xf + h_prev @ params.W_hf + params.b_f)"
RIGHT_H = "    return o * np.tanh(c)"


def _learner_notebook(tmp):
    lessons = tmp / "lessons"
    lessons.mkdir()
    shutil.copy(FIXTURE, lessons / FIXTURE.name)
    generate(lessons)
    return nbformat.read(lessons / "exercises" / FIXTURE.name, as_version=4)


def _fill(nb, forget=RIGHT_F, hidden=RIGHT_H):
    for cell in nb.cells:
        if "def forget_gate" in cell.source:
            cell.source = cell.source.replace(STUB, forget)
        if "def hidden_state" in cell.source:
            cell.source = cell.source.replace(STUB, hidden)
    return nb


def _write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade five submissions once (with LSTM_COURSE_EXPECT=pass set, which the grader must unset)."""
    tmp = tmp_path_factory.mktemp("grading")
    subs = tmp / "submissions"
    learner = _learner_notebook(tmp)
    _write(_fill(nbformat.reads(nbformat.writes(learner), 4)), subs / "alice" / FIXTURE.name)

    bob = _fill(nbformat.reads(nbformat.writes(learner), 4),
                forget="    return np.tanh(x @ params.W_xf + h_prev @ params.W_hf + params.b_f)")
    bob.cells = [c for c in bob.cells if c.source.strip() != "check_hidden_state(hidden_state)"]
    _write(bob, subs / "bob.ipynb")

    carol = _fill(nbformat.reads(nbformat.writes(learner), 4), hidden="    return o * np.tanh(c) + {}[1]")
    carol.cells.insert(3, nbformat.v4.new_code_cell('raise RuntimeError("boom")'))
    _write(carol, subs / "carol.ipynb")

    _write(_fill(nbformat.reads(nbformat.writes(learner), 4), forget="    while True:\n        pass"),
           subs / "dave.ipynb")
    (subs / "eve.ipynb").write_text('{"cells": [', encoding="utf-8")

    output = tmp / "grades.csv"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LSTM_COURSE_EXPECT", "pass")
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            status = main(["grade", str(subs), "--output", str(output), "--timeout", "5"])
    with open(output, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {"status": status, "rows": rows, "stdout": buffer.getvalue(), "subs": subs, "tmp": tmp}


def _rows(graded, submission):
    return {r["exercise"]: r for r in graded["rows"] if r["submission"] == submission}


def test_exit_status_and_columns(graded):
    assert graded["status"] == 0
    assert list(graded["rows"][0]) == ["submission", "exercise", "status", "passed", "message"]
    assert {r["submission"] for r in graded["rows"]} == {
        "alice/01_fixture_lesson.ipynb", "bob.ipynb", "carol.ipynb", "dave.ipynb", "eve.ipynb"}


def test_correct_submission_passes_every_exercise(graded):
    rows = _rows(graded, "alice/01_fixture_lesson.ipynb")
    assert set(rows) == {"check_forget_gate", "check_hidden_state"}
    assert all(r["status"] == "pass" and r["passed"] == "1" for r in rows.values())


def test_wrong_submission_gets_the_hint_and_a_deleted_check_is_missing(graded):
    rows = _rows(graded, "bob.ipynb")
    assert rows["check_forget_gate"]["status"] == "fail" and rows["check_forget_gate"]["passed"] == "0"
    assert "tanh instead of a sigmoid" in rows["check_forget_gate"]["message"]
    assert rows["check_hidden_state"]["status"] == "missing"
    assert "not called in this notebook" in rows["check_hidden_state"]["message"]
    assert NOTEBOOK_ROW not in rows


def test_raising_submission_is_reported_and_still_graded(graded):
    rows = _rows(graded, "carol.ipynb")
    assert rows[NOTEBOOK_ROW]["status"] == "error"
    assert "raised RuntimeError: boom" in rows[NOTEBOOK_ROW]["message"]
    assert rows["check_forget_gate"]["status"] == "pass"  # cells after the error still ran
    assert rows["check_hidden_state"]["status"] == "fail"
    assert "raised KeyError: 1 at line" in rows["check_hidden_state"]["message"]


def test_infinite_loop_times_out(graded):
    rows = _rows(graded, "dave.ipynb")
    assert rows[NOTEBOOK_ROW]["status"] == "timeout"
    assert "longer than 5 s" in rows[NOTEBOOK_ROW]["message"]
    assert rows["check_forget_gate"]["status"] == "missing"
    assert "this check's cell was stopped (timeout)" in rows["check_forget_gate"]["message"]
    assert rows["check_hidden_state"]["status"] == "missing"
    assert "stopped before this check" in rows["check_hidden_state"]["message"]


def test_invalid_json_gets_a_row(graded):
    rows = _rows(graded, "eve.ipynb")
    assert list(rows) == [NOTEBOOK_ROW]
    assert rows[NOTEBOOK_ROW]["status"] == "invalid" and "not a valid notebook" in rows[NOTEBOOK_ROW]["message"]


def test_summary_is_printed(graded):
    out = graded["stdout"]
    assert "graded 5 submissions, 8 exercise results: 3 passed, 2 failed, 3 missing" in out
    assert "alice/01_fixture_lesson.ipynb: 2/2 passed" in out
    assert "dave.ipynb: 0/2 passed - timeout:" in out
    assert "wrote " in out and "(11 rows)" in out


def test_submissions_are_not_modified(graded):
    nb = nbformat.read(graded["subs"] / "bob.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_installed_command(graded, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(graded["subs"] / "alice" / FIXTURE.name, subs / "alice.ipynb")
    shutil.copy(graded["subs"] / "eve.ipynb", subs / "eve.ipynb")
    script = Path(sys.executable).parent / "lstm-course"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "lstm_course.cli"]
    output = tmp_path / "grades.csv"
    done = subprocess.run([*command, "grade", str(subs), "--output", str(output), "--timeout", "30"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "graded 2 submissions" in done.stdout
    with open(output, newline="", encoding="utf-8") as fh:
        rows = [(r["submission"], r["exercise"], r["status"]) for r in csv.DictReader(fh)]
    assert rows == [("alice.ipynb", "check_forget_gate", "pass"), ("alice.ipynb", "check_hidden_state", "pass"),
                    ("eve.ipynb", NOTEBOOK_ROW, "invalid")]


def test_notebook_without_checks(tmp_path):
    path = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)
    rows = grade_notebook(path, timeout=30)
    assert [(r.exercise, r.status) for r in rows] == [(NOTEBOOK_ROW, "no_checks")]


def test_cli_errors(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nope")]) == 2
    assert "no directory" in capsys.readouterr().err
    assert main(["grade", str(tmp_path)]) == 2
    assert "no .ipynb files" in capsys.readouterr().err


def test_summary_counts():
    rows = [Row("a", "check_x", "pass", True, "ok"), Row("a", "check_y", "not_implemented", False, "n"),
            Row("b", NOTEBOOK_ROW, "invalid", False, "not a valid notebook file")]
    assert summary(rows).splitlines() == [
        "graded 2 submissions, 2 exercise results: 1 passed, 1 not implemented",
        "  a: 1/2 passed",
        "  b: 0/0 passed - invalid: not a valid notebook file"]
