"""The learner's workspace (make lab): created from the lessons, never overwritten once edited,
new lessons added, solved lessons beside it; and a learner session that leaves the repository and
the tests as they were."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lstm_course.cli import main
from lstm_course.exercises import generate
from lstm_course.workspace import rescue_edited_exercise, sync_workspace

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "lessons" / "01_fixture_lesson.ipynb"


@pytest.fixture
def course(tmp_path):
    """A course folder: notebooks/ with the fixture lesson; the workspace goes to workspace/."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(FIXTURE, notebooks / FIXTURE.name)
    return tmp_path


def read(path):
    return nbformat.read(path, as_version=4)


def actions(result):
    return [(a.path.relative_to(a.path.parents[1]).as_posix() if a.path.parent.name == "solutions"
             else a.path.name, a.action) for a in result]


def edit_exercise(path, text="    return 42  # my answer"):
    nb = read(path)
    cell = next(c for c in nb.cells if "def forget_gate" in c.source)
    cell.source = cell.source.replace("    raise NotImplementedError", text, 1)
    nbformat.write(nb, path)
    return path.read_bytes()


def change_lesson(course, text="One more sentence."):
    path = course / "notebooks" / FIXTURE.name
    nb = read(path)
    nb.cells[-1].source += f"\n\n{text}"
    nbformat.write(nb, path)


def test_first_run_creates_exercises_solutions_and_a_readme(course):
    ws = course / "workspace"
    result = sync_workspace(course / "notebooks", ws)
    assert actions(result) == [(FIXTURE.name, "created"), (f"solutions/{FIXTURE.name}", "created")]
    mine, solved = read(ws / FIXTURE.name), read(ws / "solutions" / FIXTURE.name)
    assert "raise NotImplementedError" in "\n".join(c.source for c in mine.cells)
    assert "### BEGIN SOLUTION" not in (ws / FIXTURE.name).read_text()
    assert "**Your copy**" in mine.cells[1].source and f"(solutions/{FIXTURE.name})" in mine.cells[1].source
    assert "Solved lesson, for reading" in solved.cells[1].source and f"(../{FIXTURE.name})" in solved.cells[1].source
    lesson = read(course / "notebooks" / FIXTURE.name)
    assert [c.outputs for c in solved.cells if c.cell_type == "code"] == \
        [c.outputs for c in lesson.cells if c.cell_type == "code"]  # the solved copy keeps its outputs
    assert "make lab" in (ws / "README.md").read_text()
    assert [a.action for a in sync_workspace(course / "notebooks", ws)] == ["unchanged", "unchanged"]


def test_a_copy_that_was_only_run_keeps_its_outputs(course):
    ws = course / "workspace"
    sync_workspace(course / "notebooks", ws)
    nb = read(ws / FIXTURE.name)
    nb.cells[3].outputs = [nbformat.v4.new_output("stream", text="my run\n")]
    nb.cells[3].execution_count = 7
    nbformat.write(nb, ws / FIXTURE.name)
    before = (ws / FIXTURE.name).read_bytes()
    assert actions(sync_workspace(course / "notebooks", ws))[0] == (FIXTURE.name, "unchanged")
    assert (ws / FIXTURE.name).read_bytes() == before


def test_an_edited_copy_is_never_written(course):
    ws = course / "workspace"
    sync_workspace(course / "notebooks", ws)
    mine = edit_exercise(ws / FIXTURE.name)
    assert actions(sync_workspace(course / "notebooks", ws))[0] == (FIXTURE.name, "kept")
    change_lesson(course)
    result = sync_workspace(course / "notebooks", ws)
    assert actions(result)[0] == ("01_fixture_lesson.new.ipynb", "new")
    assert (ws / FIXTURE.name).read_bytes() == mine
    assert "One more sentence." in (ws / "01_fixture_lesson.new.ipynb").read_text()
    # the solved copy was not edited: it follows the lesson
    assert actions(result)[1] == (f"solutions/{FIXTURE.name}", "updated")
    assert "One more sentence." in (ws / "solutions" / FIXTURE.name).read_text()


def test_an_unedited_copy_follows_its_lesson(course):
    ws = course / "workspace"
    sync_workspace(course / "notebooks", ws)
    change_lesson(course)
    assert actions(sync_workspace(course / "notebooks", ws))[0] == (FIXTURE.name, "updated")
    assert "One more sentence." in (ws / FIXTURE.name).read_text()


def test_an_edited_solution_copy_is_kept(course):
    ws = course / "workspace"
    sync_workspace(course / "notebooks", ws)
    solved = ws / "solutions" / FIXTURE.name
    nb = read(solved)
    nb.cells[-1].source += "\n\nmy note"
    nbformat.write(nb, solved)
    change_lesson(course)
    assert actions(sync_workspace(course / "notebooks", ws))[1] == (f"solutions/{FIXTURE.name}", "kept")
    assert "my note" in solved.read_text()


def test_a_new_lesson_is_added_without_touching_edited_copies(course):
    ws = course / "workspace"
    sync_workspace(course / "notebooks", ws)
    mine = edit_exercise(ws / FIXTURE.name)
    shutil.copy(FIXTURE, course / "notebooks" / "02_second.ipynb")
    result = dict(actions(sync_workspace(course / "notebooks", ws)))
    assert result["02_second.ipynb"] == "created" and result[FIXTURE.name] == "kept"
    assert (ws / FIXTURE.name).read_bytes() == mine
    assert (ws / "solutions" / "02_second.ipynb").exists()


def test_cli_workspace(course, capsys):
    assert main(["exercises", "--lessons", str(course / "notebooks"), "--workspace", str(course / "ws")]) == 0
    assert "solved lessons in" in capsys.readouterr().out
    assert (course / "ws" / FIXTURE.name).exists()
    assert not (course / "notebooks" / "exercises").exists()  # the generated folder is not touched


def test_a_copy_solved_in_the_generated_folder_is_moved_to_the_workspace(course, capsys):
    """The learner of point 1: solved notebooks/exercises/NN in place, and `make exercises` must help."""
    notebooks = course / "notebooks"
    generate(notebooks)
    mine = edit_exercise(notebooks / "exercises" / FIXTURE.name)
    assert main(["exercises", "--lessons", str(notebooks)]) == 0
    out = capsys.readouterr().out
    assert "you edited it; your copy is now" in out
    assert (course / "workspace" / FIXTURE.name).read_bytes() == mine
    assert main(["exercises", "--lessons", str(notebooks), "--check"]) == 0  # the generated one is back
    # a second rescue never replaces the learner's edited workspace copy
    edit_exercise(notebooks / "exercises" / FIXTURE.name, "    return 7  # second try")
    main(["exercises", "--lessons", str(notebooks)])
    assert (course / "workspace" / FIXTURE.name).read_bytes() == mine
    assert "second try" in (course / "workspace" / "01_fixture_lesson.from-exercises.ipynb").read_text()


def test_rescue_replaces_an_unedited_workspace_copy(course):
    ws = course / "workspace"
    sync_workspace(course / "notebooks", ws)
    generate(course / "notebooks")
    mine = edit_exercise(course / "notebooks" / "exercises" / FIXTURE.name)
    assert rescue_edited_exercise(course / "notebooks" / "exercises" / FIXTURE.name, ws) == ws / FIXTURE.name
    assert (ws / FIXTURE.name).read_bytes() == mine


# ------------------------------------------------------------------ a learner's session, on the real course

def _git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def _run_in_place(path, monkeypatch, expect=""):
    """Run a notebook top to bottom in its own folder and save it, as JupyterLab's Run All + autosave."""
    from nbclient import NotebookClient
    monkeypatch.setenv("LSTM_COURSE_EXPECT", expect)  # the kernel inherits it
    nb = read(path)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)
    return nb


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_a_learner_session_leaves_the_repository_and_the_tests_as_they_were(monkeypatch):
    """Solve an exercise in the workspace, run a solved lesson twice in place: git status, the
    lessons, the generated learner notebooks and the collected tests stay as they were."""
    lesson = "04_the_forget_gate.ipynb"
    if not (ROOT / "notebooks" / lesson).exists():
        pytest.skip(f"no {lesson}")
    assert _git("check-ignore", "workspace/x.ipynb").strip() == "workspace/x.ipynb", "workspace/ must be git-ignored"
    status_before = _git("status", "--porcelain", "--untracked-files=all")
    tracked = {p: p.read_bytes() for p in (ROOT / "notebooks").rglob("*.ipynb")}
    # a folder inside workspace/ (ignored like the learner's own), removed afterwards
    ws = ROOT / "workspace" / f".test-session-{os.getpid()}"
    try:
        sync_workspace(ROOT / "notebooks", ws)
        for copy in (ws / lesson, ws / "solutions" / lesson):  # their banners replace the lesson's pointer
            cells = read(copy).cells
            assert not [c for c in cells if "exercise-pointer" in c.metadata.get("tags", [])]
            assert sum("make lab" in c.source or "Solved lesson" in c.source for c in cells[:2]) == 1
        # the learner copies the solution into their exercise, cell by cell, and runs it
        solved = read(ROOT / "notebooks" / lesson)
        mine = read(ws / lesson)
        by_id = {c.get("id"): c for c in solved.cells}
        for cell in mine.cells:
            if cell.cell_type == "code" and "# YOUR CODE HERE" in cell.source:
                cell.source = "\n".join(line for line in by_id[cell["id"]].source.splitlines()
                                        if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
        nbformat.write(mine, ws / lesson)
        _run_in_place(ws / lesson, monkeypatch, expect="pass")  # every check passes on the learner's copy
        for _ in range(2):
            _run_in_place(ws / "solutions" / lesson, monkeypatch)
        again = {a.path.relative_to(ws).as_posix(): a.action for a in sync_workspace(ROOT / "notebooks", ws)}
        assert again[lesson] == "kept" and again[f"solutions/{lesson}"] == "unchanged"  # `make lab` again
        assert "return sigmoid" in (ws / lesson).read_text()  # the learner's work is still there
    finally:
        shutil.rmtree(ws, ignore_errors=True)
        if (ROOT / "workspace").is_dir() and not any((ROOT / "workspace").iterdir()):
            (ROOT / "workspace").rmdir()
    assert _git("status", "--porcelain", "--untracked-files=all") == status_before
    assert {p: p.read_bytes() for p in (ROOT / "notebooks").rglob("*.ipynb")} == tracked
    assert main(["exercises", "--lessons", str(ROOT / "notebooks"), "--check"]) == 0

    # what `pytest` collects from the course's root never includes the workspace
    collected = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                                "-p", "no:randomly"], cwd=ROOT, capture_output=True, text=True)
    assert collected.returncode == 0, collected.stdout[-2000:] + collected.stderr[-2000:]
    ids = [line for line in collected.stdout.splitlines() if "::" in line]
    assert ids and not [i for i in ids if not i.startswith("tests/")], "pytest collects outside tests/"
