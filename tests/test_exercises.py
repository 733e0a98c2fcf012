"""The exercise generator: solutions stripped, everything else kept, outputs cleared, learner
edits never lost, no churn; the committed learner notebooks are in sync and run to the end."""

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from lstm_course.cli import main
from lstm_course.exercises import (METADATA_KEY, SolutionMarkerError, generate, make_exercise_notebook,
                                   sources_sha256, strip_solutions)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "lessons" / "01_fixture_lesson.ipynb"
SOLUTION_LINES = ("return sigmoid(x @ params.W_xf", "squashed = np.tanh(c)", "return o * squashed",
                  "So that it can carry values")


@pytest.fixture
def lessons(tmp_path):
    """A lessons directory holding the fixture lesson; learner notebooks go to lessons/exercises."""
    d = tmp_path / "notebooks"
    d.mkdir()
    shutil.copy(FIXTURE, d / FIXTURE.name)
    return d


def read(path):
    return nbformat.read(path, as_version=4)


def exercise_path(lessons):
    return lessons / "exercises" / FIXTURE.name


# ---------------------------------------------------------------------------------------
# strip_solutions

def test_strip_keeps_indentation_and_everything_around():
    src = ("def f(x):\n    \"\"\"Doc.\"\"\"\n    if x:\n        ### BEGIN SOLUTION\n        y = 1\n"
           "        return y\n        ### END SOLUTION\n    ### BEGIN SOLUTION\n    return 0\n"
           "    ### END SOLUTION\n\n\ncheck_f(f)")
    out, count = strip_solutions(src)
    assert count == 2
    assert out == ("def f(x):\n    \"\"\"Doc.\"\"\"\n    if x:\n        # YOUR CODE HERE\n"
                   "        raise NotImplementedError\n    # YOUR CODE HERE\n    raise NotImplementedError\n"
                   "\n\ncheck_f(f)")
    compile(out, "<learner>", "exec")  # still valid Python


def test_strip_markdown_answer():
    out, count = strip_solutions("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION\n", "markdown")
    assert (out, count) == ("Why?\n\n*Your answer here.*", 1)


def test_no_markers_no_change():
    assert strip_solutions("x = 1\nprint(x)") == ("x = 1\nprint(x)", 0)


@pytest.mark.parametrize("src, match", [
    ("def f():\n    ### BEGIN SOLUTION\n    pass\n", "without ### END"),
    ("def f():\n    pass\n    ### END SOLUTION\n", "without ### BEGIN"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n", "inside another"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "inside a function"),
])
def test_bad_markers_are_reported(src, match):
    with pytest.raises(SolutionMarkerError, match=match):
        strip_solutions(src, where="cell 3")


# ---------------------------------------------------------------------------------------
# the generated notebook

def test_generated_notebook_strips_solutions_and_keeps_the_rest(lessons):
    actions = generate(lessons)
    assert [(a.path.name, a.action) for a in actions] == [(FIXTURE.name, "created")]
    lesson, learner = read(lessons / FIXTURE.name), read(exercise_path(lessons))

    text = exercise_path(lessons).read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    for line in SOLUTION_LINES:
        assert line not in text
    code = "\n".join(c.source for c in read(exercise_path(lessons)).cells if c.cell_type == "code")
    assert code.count("# YOUR CODE HERE\n    raise NotImplementedError") == 2

    banner = learner.cells[1]
    assert banner.cell_type == "markdown" and banner["id"] == "exercise-banner"
    assert "(../01_fixture_lesson.ipynb)" in banner.source and "2 exercises" in banner.source
    rest = learner.cells[:1] + learner.cells[2:]
    assert len(rest) == len(lesson.cells)
    for theirs, mine in zip(lesson.cells, rest):
        assert (mine.cell_type, mine.get("id")) == (theirs.cell_type, theirs.get("id"))
        if "BEGIN SOLUTION" not in theirs.source:
            assert mine.source == theirs.source
        if mine.cell_type == "code":
            assert mine.outputs == [] and mine.execution_count is None
    assert any(c.get("outputs") for c in lesson.cells)  # the fixture itself has outputs
    assert learner.metadata["kernelspec"] == lesson.metadata["kernelspec"]
    meta = learner.metadata[METADATA_KEY]
    assert meta["exercises"] == ["check_forget_gate", "check_hidden_state"]
    assert meta["generated_sha256"] == sources_sha256(learner)
    assert meta["generated_from"] == FIXTURE.name
    nbformat.validate(learner)


def test_lesson_is_not_modified(lessons):
    before = (lessons / FIXTURE.name).read_bytes()
    generate(lessons)
    assert (lessons / FIXTURE.name).read_bytes() == before


def test_idempotent_no_churn(lessons):
    generate(lessons)
    path = exercise_path(lessons)
    content, mtime = path.read_bytes(), path.stat().st_mtime_ns
    actions = generate(lessons)
    assert [a.action for a in actions] == ["unchanged"]
    assert path.read_bytes() == content and path.stat().st_mtime_ns == mtime
    assert make_exercise_notebook(read(lessons / FIXTURE.name), "../x.ipynb") == \
        make_exercise_notebook(read(lessons / FIXTURE.name), "../x.ipynb")


def _edit_lesson(lessons):
    lesson = read(lessons / FIXTURE.name)
    lesson.cells[-1].source += "\n\nOne more sentence."
    nbformat.write(lesson, lessons / FIXTURE.name)


def _edit_learner(lessons, text="    return 42  # my answer"):
    path = exercise_path(lessons)
    nb = read(path)
    cell = next(c for c in nb.cells if "def forget_gate" in c.source)
    cell.source = cell.source.replace("    raise NotImplementedError", text)
    nbformat.write(nb, path)
    return path.read_bytes()


def test_learner_edits_survive_regeneration(lessons):
    generate(lessons)
    edited = _edit_learner(lessons)

    actions = generate(lessons)  # lesson unchanged: nothing to do, nothing written
    assert [a.action for a in actions] == ["kept"]
    assert exercise_path(lessons).read_bytes() == edited
    assert not list((lessons / "exercises").glob("*.new.ipynb"))

    _edit_lesson(lessons)  # lesson changed: the new version goes beside the learner's file
    actions = generate(lessons)
    assert [a.action for a in actions] == ["new"]
    assert "you edited 01_fixture_lesson.ipynb" in actions[0].message
    assert exercise_path(lessons).read_bytes() == edited
    new = lessons / "exercises" / "01_fixture_lesson.new.ipynb"
    assert actions[0].path == new
    assert "One more sentence." in new.read_text(encoding="utf-8")
    assert "my answer" not in new.read_text(encoding="utf-8")


def test_learner_who_only_ran_the_notebook_gets_the_update(lessons):
    generate(lessons)
    path = exercise_path(lessons)
    nb = read(path)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    nb.cells[2].execution_count = 1
    nbformat.write(nb, path)
    _edit_lesson(lessons)
    assert [a.action for a in generate(lessons)] == ["updated"]
    assert "One more sentence." in path.read_text(encoding="utf-8")


def test_a_broken_file_is_not_overwritten(lessons):
    generate(lessons)
    exercise_path(lessons).write_text("{ half a notebook", encoding="utf-8")
    assert [a.action for a in generate(lessons)] == ["new"]
    assert exercise_path(lessons).read_text(encoding="utf-8") == "{ half a notebook"


def test_orphans_removed_only_when_unedited(lessons):
    generate(lessons)
    shutil.copy(lessons / FIXTURE.name, lessons / "02_other.ipynb")
    generate(lessons)
    (lessons / "02_other.ipynb").unlink()
    (lessons / FIXTURE.name).unlink()
    _edit_learner(lessons)
    actions = {a.path.name: a.action for a in generate(lessons)}
    assert actions == {"01_fixture_lesson.ipynb": "orphan", "02_other.ipynb": "removed"}
    assert exercise_path(lessons).exists()


def test_bad_marker_names_the_lesson(lessons):
    lesson = read(lessons / FIXTURE.name)
    lesson.cells[3].source = lesson.cells[3].source.replace("    ### END SOLUTION\n", "")
    nbformat.write(lesson, lessons / FIXTURE.name)
    with pytest.raises(SolutionMarkerError, match="01_fixture_lesson.ipynb: cell 4"):
        generate(lessons)
    assert main(["exercises", "--lessons", str(lessons)]) == 2


# ---------------------------------------------------------------------------------------
# the command line, and --check

def test_cli_generate_and_check(lessons, capsys):
    out = lessons / "exercises"
    assert main(["exercises", "--lessons", str(lessons), "--check"]) == 1
    assert "not generated yet" in capsys.readouterr().out
    assert main(["exercises", "--lessons", str(lessons)]) == 0
    assert "created" in capsys.readouterr().out
    assert main(["exercises", "--lessons", str(lessons), "--check"]) == 0
    assert "up to date" in capsys.readouterr().out

    _edit_lesson(lessons)
    assert main(["exercises", "--lessons", str(lessons), "--out", str(out), "--check"]) == 1
    report = capsys.readouterr().out
    assert f"{out / FIXTURE.name}: out of date with its lesson" in report

    main(["exercises", "--lessons", str(lessons)])
    _edit_learner(lessons)
    assert main(["exercises", "--lessons", str(lessons), "--check"]) == 1
    assert "edited since it was generated" in capsys.readouterr().out


def test_cli_missing_lessons_dir(tmp_path, capsys):
    assert main(["exercises", "--lessons", str(tmp_path / "nope")]) == 2
    assert "no lessons directory" in capsys.readouterr().err


def test_check_reports_leftover_new_files(lessons, capsys):
    generate(lessons)
    shutil.copy(exercise_path(lessons), lessons / "exercises" / "01_fixture_lesson.new.ipynb")
    assert main(["exercises", "--lessons", str(lessons), "--check"]) == 1
    assert "left by `make exercises`" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------
# both directions, on the fixture: solutions pass, learner copies are "not implemented yet"

def _execute(path, expect, monkeypatch):
    from nbclient import NotebookClient
    monkeypatch.setenv("LSTM_COURSE_EXPECT", expect)  # the kernel inherits it
    nb = read(path)
    NotebookClient(nb, timeout=60, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def test_fixture_lesson_passes_and_learner_copy_runs_to_the_end(lessons, monkeypatch):
    from nbclient.exceptions import CellExecutionError
    _execute(lessons / FIXTURE.name, "pass", monkeypatch)
    generate(lessons)
    nb = _execute(exercise_path(lessons), "not_implemented", monkeypatch)
    assert "[[" in nb.cells[-2].outputs[0]["text"]  # the last code cell ran
    with pytest.raises(CellExecutionError, match="not implemented yet"):
        _execute(exercise_path(lessons), "pass", monkeypatch)  # CI on a learner copy would catch it


# ---------------------------------------------------------------------------------------
# the repository's own notebooks

REPO_LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REPO_EXERCISES = sorted(p for p in (ROOT / "notebooks" / "exercises").glob("[0-9][0-9]_*.ipynb")
                        if ".new." not in p.name)


WORK_ELSEWHERE = ("notebooks/exercises/ holds the generated learner notebooks, which the tests check; "
                  "to do the exercises, work in your own copies (`make lab` opens workspace/). "
                  "`make exercises` moves a copy you edited here to workspace/ and restores this one.")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def test_committed_learner_notebooks_are_up_to_date(capsys):
    if not REPO_LESSONS:
        pytest.skip("no lessons in notebooks/ yet")
    status = main(["exercises", "--lessons", str(ROOT / "notebooks"), "--check"])
    assert status == 0, (f"{capsys.readouterr().out}\n{WORK_ELSEWHERE} After changing a lesson, "
                         "`make exercises` brings these notebooks up to date.")


@pytest.mark.parametrize("path", REPO_EXERCISES or [None], ids=[p.name for p in REPO_EXERCISES] or ["none"])
def test_learner_notebook_runs_to_the_end_with_every_check_not_implemented(path, monkeypatch):
    from nbclient.exceptions import CellExecutionError
    if path is None:
        pytest.skip("no learner notebooks in notebooks/exercises/ yet")
    failure = None
    try:
        nb = _execute(path, "not_implemented", monkeypatch)
    except CellExecutionError as exc:  # the kernel's traceback is coloured: keep its last line's words
        failure = [line for line in ANSI.sub("", str(exc)).strip().splitlines() if line.strip()][-1]
    if failure is not None:  # outside the except block: no coloured traceback chained to the message
        pytest.fail(f"{path.name}: a cell of the learner notebook failed: {failure}\n{WORK_ELSEWHERE}", pytrace=False)
    assert all(c.execution_count is not None for c in nb.cells if c.cell_type == "code" and c.source.strip())


def _words(markdown):
    """The words of a Markdown text, without markup, math or link targets (to compare renderings)."""
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", " ", markdown, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", " ", text)
    return re.findall(r"[A-Za-z0-9]+", text)


@pytest.mark.parametrize("lesson", REPO_LESSONS or [None], ids=[p.stem for p in REPO_LESSONS] or ["none"])
def test_speaker_notes_are_marked_asides_in_the_learner_notebook(lesson):
    """Every speaker note of a lesson is in its learner notebook, whole, as a quote that begins
    "For instructors:" (and still a note for slides made from it)."""
    if lesson is None:
        pytest.skip("no lessons in notebooks/ yet")
    notes = [c for c in read(lesson).cells if c.get("metadata", {}).get("slideshow", {}).get("slide_type") == "notes"]
    learner = {c.get("id"): c for c in read(ROOT / "notebooks" / "exercises" / lesson.name).cells}
    assert not [c for c in learner.values() if "exercise-pointer" in c.metadata.get("tags", [])], (
        "the lesson's pointer to the workspace is replaced by the learner notebook's banner")
    for note in notes:
        mine = learner[note["id"]]
        assert mine.source.startswith("> **For instructors:** "), mine.source[:80]
        assert all(line.startswith(">") for line in mine.source.splitlines())
        assert _words(mine.source) == ["For", "instructors"] + _words(note.source)
        assert mine.metadata["slideshow"]["slide_type"] == "notes"


def test_instructor_aside_quotes_every_line_and_marks_the_start():
    from lstm_course.exercises import as_instructor_aside
    aside = as_instructor_aside("Ask the room.\n\nThen wait for\nguesses.\n")
    assert aside == "> **For instructors:** Ask the room.\n>\n> Then wait for\n> guesses."
    assert as_instructor_aside(aside) == aside  # already marked: unchanged (regenerating adds nothing)
