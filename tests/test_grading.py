"""`lstm-course grade`: rows per submission and exercise, robust to any file, parallel, resumable,
shardable, with a gradebook, feedback files and a similarity report."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from grading_class import (LESSON, RIGHT_F, RIGHT_H, TANH_F, lessons_dir, run_cli, sandbox_processes,
                           submission, write)
from lstm_course.cli import main
from lstm_course.grading import NOTEBOOK_ROW, Row, summary
from lstm_course.grading.notebook import fingerprint, lesson_exercises, parse_cells, plan, read_code_cells
from lstm_course.grading.report import similar_groups
from lstm_course.grading.runner import exercise_seed
from lstm_course.grading.sandbox import bwrap_problem

# Skipped where bubblewrap is missing, except in CI (CI=true), where it is mandatory (.ci/run installs it).
needs_sandbox = pytest.mark.skipif(bwrap_problem() is not None and not os.environ.get("CI"),
                                   reason=f"no sandbox: {bwrap_problem()}")


def _read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _rows(rows, who):
    return {r["exercise"]: r for r in rows if r["submission"] == who}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One class with honest mistakes and odd files, graded once through the command line."""
    tmp = tmp_path_factory.mktemp("grading")
    lessons = lessons_dir(tmp)
    subs = tmp / "submissions"
    write(submission(tmp), subs / "alice" / LESSON)
    write(submission(tmp), subs / "alice" / "01_fixture_lesson (1).ipynb")  # a duplicate
    write(submission(tmp, forget=TANH_F, drop=("check_hidden_state(hidden_state)",)), subs / "bob.ipynb")
    write(submission(tmp, hidden="return o * np.tanh(c) + {}[1]",
                     extra_cells=[(3, 'raise RuntimeError("boom")')]), subs / "carol" / LESSON)
    write(submission(tmp, forget="while True:\n    pass"), subs / "dave" / LESSON)
    # a statement the exercise needs loops forever; a function returns a list that contains itself
    write(submission(tmp, forget="return sigmoid(SCALE * x @ params.W_xf + h_prev @ params.W_hf + params.b_f)",
                     extra_cells=[(3, "def slow():\n    while True:\n        pass\n\nSCALE = slow()")]),
          subs / "frank" / LESSON)
    write(submission(tmp, forget="a = []\na.append(a)\nreturn a"), subs / "gina" / LESSON)
    (subs / "eve").mkdir()
    (subs / "eve" / LESSON).write_text('{"cells": [', encoding="utf-8")
    (subs / "empty").mkdir()
    (subs / "empty" / LESSON).write_text("", encoding="utf-8")
    # nbformat 3, with the right answers
    v4 = submission(tmp)
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "code", "input": c.source, "outputs": [], "language": "python"}
        for c in v4.cells if c.cell_type == "code"]}]}
    (subs / "old").mkdir()
    (subs / "old" / LESSON).write_text(json.dumps(v3), encoding="utf-8")
    # 60 MB of outputs, and thousands of cells
    big = submission(tmp)
    big.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (60 * 2 ** 20))] \
        if big.cells[-1].cell_type == "code" else []
    big.cells.append(nbformat.v4.new_code_cell("print(1)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="y" * (60 * 2 ** 20))]))
    write(big, subs / "big" / LESSON)
    many = submission(tmp)
    many.cells += [nbformat.v4.new_code_cell(f"z{k} = {k}") for k in range(3000)]
    write(many, subs / "many" / LESSON)
    # odd names, a link out of the folder, a lesson that does not exist
    write(submission(tmp), subs / "zoë smith" / "01_fixture_lesson.ipynb")
    outside = write(submission(tmp), tmp / "elsewhere.ipynb")
    (subs / "mallory").mkdir()
    os.symlink(outside, subs / "mallory" / LESSON)
    write(submission(tmp), subs / "ted" / "99_no_such_lesson.ipynb")

    output = tmp / "out" / "grades.csv"
    env = dict(os.environ, LSTM_COURSE_EXPECT="pass")  # the grader must ignore it
    done = run_cli("grade", subs, "--output", output, "--lessons", lessons, "--timeout", "4", "--jobs", "2",
                   "--secret", "s", env=env)
    return {"done": done, "rows": _read(output), "subs": subs, "tmp": tmp, "output": output,
            "lessons": lessons}


def test_exit_status_and_columns(graded):
    assert graded["done"].returncode == 0, graded["done"].stderr[-3000:]
    assert list(graded["rows"][0])[:5] == ["submission", "exercise", "status", "passed", "message"]
    names = [r["submission"] for r in graded["rows"]]
    assert names == sorted(names)


@needs_sandbox
def test_correct_submission_passes_every_exercise(graded):
    rows = _rows(graded["rows"], f"alice/{LESSON}")
    assert {k: (r["status"], r["passed"]) for k, r in rows.items()} == {
        "check_forget_gate": ("pass", "1"), "check_hidden_state": ("pass", "1")}


@needs_sandbox
def test_wrong_submission_gets_the_hint_and_a_deleted_check_call_still_counts(graded):
    rows = _rows(graded["rows"], "bob.ipynb")
    assert rows["check_forget_gate"]["status"] == "fail" and rows["check_forget_gate"]["passed"] == "0"
    assert "tanh instead of a sigmoid" in rows["check_forget_gate"]["message"]
    assert rows["check_hidden_state"]["status"] == "pass"  # the grader calls the check itself
    assert NOTEBOOK_ROW not in rows


@needs_sandbox
def test_only_needed_cells_run_and_errors_name_the_line(graded):
    rows = _rows(graded["rows"], f"carol/{LESSON}")
    assert NOTEBOOK_ROW not in rows  # the raising cell is not needed by any exercise
    assert rows["check_forget_gate"]["status"] == "pass"
    assert rows["check_hidden_state"]["status"] == "fail"
    assert "raised KeyError: 1 at line" in rows["check_hidden_state"]["message"]


@needs_sandbox
def test_infinite_loop_times_out_and_the_rest_is_graded(graded):
    rows = _rows(graded["rows"], f"dave/{LESSON}")
    assert rows["check_forget_gate"]["status"] == "timeout"
    assert "longer than 4 s" in rows["check_forget_gate"]["message"]
    assert rows["check_hidden_state"]["status"] == "pass"


@needs_sandbox
def test_a_looping_dependency_and_an_unsendable_result(graded):
    rows = _rows(graded["rows"], f"frank/{LESSON}")
    assert rows[NOTEBOOK_ROW]["status"] == "error"
    assert "(`def slow():`) ran longer than 4 s" in rows[NOTEBOOK_ROW]["message"]
    assert rows["check_forget_gate"]["status"] == "fail" and "SCALE" in rows["check_forget_gate"]["message"]
    assert rows["check_hidden_state"]["status"] == "pass"
    rows = _rows(graded["rows"], f"gina/{LESSON}")
    assert rows["check_forget_gate"]["status"] == "fail"
    assert "nested too deeply" in rows["check_forget_gate"]["message"]


def test_bad_files_get_a_row(graded):
    for who, words in ((f"eve/{LESSON}", "bad JSON"), (f"empty/{LESSON}", "empty"),
                       (f"mallory/{LESSON}", "outside the submissions folder")):
        rows = _rows(graded["rows"], who)
        assert list(rows) == [NOTEBOOK_ROW] and rows[NOTEBOOK_ROW]["status"] == "invalid"
        assert words in rows[NOTEBOOK_ROW]["message"]
    assert _rows(graded["rows"], "ted/99_no_such_lesson.ipynb")[NOTEBOOK_ROW]["status"] == "unknown_lesson"


@needs_sandbox
def test_old_format_huge_outputs_many_cells_odd_names_duplicates_are_graded(graded):
    for who in (f"old/{LESSON}", f"big/{LESSON}", f"many/{LESSON}", f"zoë smith/{LESSON}",
                "alice/01_fixture_lesson (1).ipynb"):
        rows = _rows(graded["rows"], who)
        assert {r["status"] for r in rows.values()} == {"pass"}, (who, rows)


@needs_sandbox
def test_gradebook_feedback_and_similarity(graded):
    out = graded["output"].parent
    book = _read(out / "grades_gradebook.csv")
    by = {r["student"]: r for r in book}
    assert list(book[0]) == ["student", "check_forget_gate", "check_hidden_state", "total", "out_of", "notes"]
    assert (by["alice"]["total"], by["alice"]["out_of"]) == ("2", "2")
    assert "also submitted" in by["alice"]["notes"]  # the duplicate is named
    assert (by["bob"]["check_forget_gate"], by["bob"]["total"]) == ("0", "1")
    assert by["eve"]["notes"].endswith("invalid")
    feedback = (out / "grades_feedback" / "bob.md").read_text(encoding="utf-8")
    assert "tanh instead of a sigmoid" in feedback
    assert (out / "grades_feedback" / "zoë_smith.md").exists()
    similarity = (out / "grades_similarity.md").read_text(encoding="utf-8")
    assert "identical" in similarity and f"zoë smith/{LESSON}" in similarity


def test_summary_is_printed(graded):
    out = graded["done"].stdout
    assert f"alice/{LESSON}: 2/2 passed" in out
    assert "wrote " in out and "grades_gradebook.csv" in out
    assert "graded 15/15" in graded["done"].stderr  # the progress line


def test_submissions_are_not_modified(graded):
    nb = nbformat.read(graded["subs"] / "bob.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_secret_is_kept_private(tmp_path):
    lessons = lessons_dir(tmp_path)
    subs = tmp_path / "subs"
    write(submission(tmp_path), subs / "a.ipynb")
    output = tmp_path / "out.csv"
    done = run_cli("grade", subs, "--output", output, "--lessons", lessons, "--lesson", LESSON)
    assert done.returncode == 0, done.stderr
    secret = tmp_path / "out.secret"
    assert secret.stat().st_mode & 0o777 == 0o600 and len(secret.read_text().strip()) == 64
    assert secret.read_text().strip() not in output.read_text()


def test_seeds_are_fresh_per_secret_and_exercise():
    seeds = {exercise_seed(s, LESSON, c) for s in (b"a", b"b") for c in ("check_x", "check_y")}
    assert len(seeds) == 4
    assert exercise_seed(b"a", LESSON, "check_x") == exercise_seed(b"a", LESSON, "check_x")


@needs_sandbox
def test_sharded_and_merged_equals_one_run(tmp_path):
    lessons = lessons_dir(tmp_path)
    subs = tmp_path / "subs"
    for k, (f, h) in enumerate([(RIGHT_F, RIGHT_H), (TANH_F, RIGHT_H), (None, None), (RIGHT_F, "return o"),
                                (RIGHT_F, RIGHT_H)]):
        write(submission(tmp_path, forget=f, hidden=h), subs / f"s{k}" / LESSON)
    common = ["--lessons", lessons, "--secret", "same", "--jobs", "2"]
    assert run_cli("grade", subs, "--output", tmp_path / "one.csv", *common).returncode == 0
    for k in (1, 2):
        done = run_cli("grade", subs, "--output", tmp_path / f"shard{k}.csv", "--shard", f"{k}/2", *common)
        assert done.returncode == 0, done.stderr
    done = run_cli("grade", "merge", tmp_path / "merged.csv", tmp_path / "shard1.csv", tmp_path / "shard2.csv")
    assert done.returncode == 0, done.stderr
    shard_subs = [{r["submission"] for r in _read(tmp_path / f"shard{k}.csv")} for k in (1, 2)]
    assert shard_subs[0] and shard_subs[1] and not shard_subs[0] & shard_subs[1]
    assert (tmp_path / "merged.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert (tmp_path / "merged_gradebook.csv").read_bytes() == (tmp_path / "one_gradebook.csv").read_bytes()


@needs_sandbox
def test_ctrl_c_leaves_a_valid_csv_and_resume_finishes(tmp_path):
    lessons = lessons_dir(tmp_path)
    subs = tmp_path / "subs"
    write(submission(tmp_path), subs / "a" / LESSON)
    for k in range(3):
        write(submission(tmp_path, forget="while True:\n    pass", hidden="while True:\n    pass"),
              subs / f"loop{k}" / LESSON)
    output = tmp_path / "grades.csv"
    cmd = [sys.executable, "-m", "lstm_course.cli", "grade", str(subs), "--output", str(output), "--lessons",
           str(lessons), "--jobs", "1", "--timeout", "60"]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, TMPDIR=str(scratch)))
    deadline = time.monotonic() + 60
    while not output.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert output.exists(), "the first submission was never written"
    time.sleep(1.0)  # now inside loop0's 60 s timeout
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert time.monotonic() - sent < 10
    rows = _read(output)
    assert {r["submission"] for r in rows} == {f"a/{LESSON}"}
    assert {r["status"] for r in rows} == {"pass"}
    assert sandbox_processes(scratch) == []
    done = run_cli("grade", subs, "--output", output, "--lessons", lessons, "--resume", "--timeout", "1")
    assert done.returncode == 0, done.stderr
    rows = _read(output)
    assert [r["status"] for r in rows if r["submission"] == f"a/{LESSON}"] == ["pass", "pass"]
    assert {r["status"] for r in rows if r["submission"] != f"a/{LESSON}"} == {"timeout"}


def test_refuses_without_a_sandbox(tmp_path, monkeypatch, capsys):
    import lstm_course.grading.sandbox as sandbox

    monkeypatch.setitem(sandbox._BWRAP_CHECK, "result", "bubblewrap is not installed")
    lessons = lessons_dir(tmp_path)
    write(submission(tmp_path), tmp_path / "subs" / LESSON)
    assert main(["grade", str(tmp_path / "subs"), "--lessons", str(lessons), "--output",
                 str(tmp_path / "g.csv")]) == 2
    err = capsys.readouterr().err
    assert "bubblewrap is not installed" in err and "--no-sandbox" in err
    assert not (tmp_path / "g.csv").exists()


def test_no_sandbox_mode_warns_and_grades(tmp_path):
    lessons = lessons_dir(tmp_path)
    write(submission(tmp_path, forget=TANH_F), tmp_path / "subs" / LESSON)
    output = tmp_path / "g.csv"
    done = run_cli("grade", tmp_path / "subs", "--lessons", lessons, "--output", output, "--no-sandbox")
    assert done.returncode == 0, done.stderr
    assert "WARNING" in done.stderr
    assert [r["status"] for r in _read(output)] == ["fail", "pass"]


def test_cli_errors(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nope")]) == 2
    assert "no directory" in capsys.readouterr().err
    assert main(["grade", str(tmp_path)]) == 2
    assert "no .ipynb files" in capsys.readouterr().err
    (tmp_path / "x.ipynb").write_text("{}")
    assert main(["grade", str(tmp_path), "--shard", "3/2", "--lessons", str(tmp_path)]) == 2
    assert "--shard must be K/N" in capsys.readouterr().err
    assert main(["grade", str(tmp_path), "--lessons", str(tmp_path), "--output", str(tmp_path / "g.csv")]) == 2
    assert "must not be inside the submissions folder" in capsys.readouterr().err


def test_summary_counts():
    rows = [Row("a", "check_x", "pass", True, "ok"), Row("a", "check_y", "not_implemented", False, "n"),
            Row("b", NOTEBOOK_ROW, "invalid", False, "not a valid notebook file")]
    assert summary(rows).splitlines() == [
        "graded 2 submissions, 2 exercise results: 1 passed, 1 not implemented",
        "  a: 1/2 passed",
        "  b: 0/0 passed - invalid: not a valid notebook file"]


# ---------------------------------------------------------------------------------------
# What is executed (no sandbox needed)

def _cells(*sources):
    return parse_cells(list(enumerate(sources, 1)))


def test_plan_runs_the_definition_and_its_dependencies_only():
    from lstm_course.grading.notebook import Exercise

    cells = _cells("import numpy as np\nimport matplotlib.pyplot as plt\nfrom x import sigmoid",
                   "SCALE = 2\nhistory = train_for_an_hour()",
                   "def helper(a):\n    return SCALE * a",
                   "def forget_gate(x, h, p):\n    y = helper(x)\n    return sigmoid(y)\ncheck_forget_gate(forget_gate)",
                   "plt.plot(history)\ndef forget_gate(x, h, p):\n    return 0")
    to_run, found = plan(cells, [Exercise("check_forget_gate", ("forget_gate",))])
    ran = [(st.cell.number, st.index) for st in to_run]
    assert ran == [(1, 2), (2, 0), (3, 0), (4, 0)]  # sigmoid, SCALE, helper, the def before the check
    assert found["check_forget_gate"]["forget_gate"].cell.number == 4


def test_lesson_exercises_come_from_the_lessons_check_calls(tmp_path):
    from lstm_course.checks import ALL_CHECKS

    exercises = lesson_exercises(lessons_dir(tmp_path) / LESSON, ALL_CHECKS)
    assert [(e.check, e.functions) for e in exercises] == [
        ("check_forget_gate", ("forget_gate",)), ("check_hidden_state", ("hidden_state",))]


def test_reading_refuses_what_is_not_a_notebook(tmp_path):
    from lstm_course.grading.notebook import NotebookError

    for text, words in (("[1, 2]", "not an object"), ('{"cells": 5}', "no list of cells"),
                        ("[" * 100000, "JSON"), ("{", "bad JSON")):
        (tmp_path / "x.ipynb").write_text(text)
        with pytest.raises(NotebookError, match=words):
            read_code_cells(tmp_path / "x.ipynb")
    (tmp_path / "m.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": "%matplotlib inline\n!pip install x\nx = 1"}, {"cell_type": 5}, "junk"]}))
    cells = parse_cells(read_code_cells(tmp_path / "m.ipynb"))
    assert cells[0].error is None and cells[0].tree is not None


def test_similarity_ignores_names_comments_and_stubs():
    import ast

    a = ast.parse("def f(x, h):\n    '''doc'''\n    y = x + h  # sum\n    return sigmoid(y)").body[0]
    b = ast.parse("def g(inp, hid):\n    total = inp + hid\n    return sigmoid(total)").body[0]
    c = ast.parse("def f(x, h):\n    return np.tanh(x * h) - 1").body[0]
    stub = ast.parse("def f(x):\n    raise NotImplementedError").body[0]
    names = {"sigmoid", "np"}
    assert fingerprint([a], names)[0] == fingerprint([b], names)[0] != fingerprint([c], names)[0]
    assert fingerprint([stub], names) == ("", "")
    rows = [Row(f"{s}/l.ipynb", "check_x", "pass", True, "", "l.ipynb", s, *fingerprint([n], names))
            for s, n in (("ann", a), ("ben", b), ("cy", c))]
    groups = similar_groups(rows)
    assert [(kind, subs) for _, _, kind, subs in groups] == [("identical", ["ann/l.ipynb", "ben/l.ipynb"])]
