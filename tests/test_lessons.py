"""The lesson notebooks: in sync with their sources, and built the way every lesson must be.

Strict nbval (make nbval) re-executes them; these checks are the fast, static part.
"""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from build_notebooks import lesson_sources, merge_streams, notebook_from_source  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOURCES = lesson_sources()
MAX_BYTES = 1_000_000  # stored figures stay small (6x3-inch figures, PNGs at 2x of 72 dpi)

needs_lessons = pytest.mark.skipif(not SOURCES, reason="no lessons yet (lessons/NN_topic.py)")


def _load(path):
    return json.loads(path.read_text())


def _text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@needs_lessons
def test_every_source_has_its_notebook_and_back():
    assert sorted(p.stem for p in SOURCES) == sorted(p.stem for p in NOTEBOOKS), (
        "lessons/*.py and notebooks/*.ipynb must match one to one: run `make notebooks`")


@needs_lessons
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_matches_its_source(source):
    """The committed notebook was built from the current source (run `make notebooks` if not)."""
    notebook = ROOT / "notebooks" / f"{source.stem}.ipynb"
    assert notebook.exists(), f"{notebook.name} is missing: run `make notebooks`"
    built = notebook_from_source(source)
    stored = _load(notebook)
    want = [(c.cell_type, c.source) for c in built.cells]
    have = [(c["cell_type"], _text(c)) for c in stored["cells"]]
    assert have == want, f"{notebook.name} is out of date with lessons/{source.name}: run `make notebooks`"


@needs_lessons
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_executed_in_order_and_small(notebook):
    nb = _load(notebook)
    counts = [c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code" and _text(c).strip()]
    assert counts and None not in counts, f"{notebook.name} has unexecuted cells (nbval would skip them)"
    assert counts == list(range(1, len(counts) + 1)), f"{notebook.name} was not run top to bottom"
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, f"{notebook.name} stores error outputs"
    assert notebook.stat().st_size < MAX_BYTES, f"{notebook.name} is {notebook.stat().st_size} bytes"


@needs_lessons
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_structure(notebook):
    """Goals and prerequisites first, a summary, links to the neighbours, an exercise with a check."""
    cells = _load(notebook)["cells"]
    first = _text(cells[0]).lower()
    assert cells[0]["cell_type"] == "markdown" and "goal" in first and "prerequisite" in first
    markdown = "\n".join(_text(c) for c in cells if c["cell_type"] == "markdown")
    assert re.search(r"^#+ .*summary", markdown, re.I | re.M), "no Summary heading"
    number = int(notebook.name[:2])
    names = {int(p.name[:2]): p.name for p in NOTEBOOKS}
    for neighbour in (number - 1, number + 1):
        if neighbour in names:
            assert f"]({names[neighbour]})" in markdown, f"no link to {names[neighbour]}"
    code = "\n".join(_text(c) for c in cells if c["cell_type"] == "code")
    assert "### BEGIN SOLUTION" in code and re.search(r"\bcheck_\w+\(", code), "no exercise with a check"


@needs_lessons
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_normalised_so_rebuilds_do_not_churn(notebook):
    """What changes from one run to the next is not stored: printed output is one stream output per
    stream (the kernel's chunking varies), and no timings or widget state (make notebooks)."""
    nb = _load(notebook)
    for n, cell in enumerate(nb["cells"]):
        kinds = [(o["output_type"], o.get("name")) for o in cell.get("outputs", [])]
        repeats = [k for a, k in zip(kinds, kinds[1:]) if a == k and k[0] == "stream"]
        assert not repeats, f"{notebook.name}, cell {n}: split stream outputs {kinds}: run `make notebooks`"
        assert not {"execution", "ExecuteTime"} & set(cell.get("metadata", {})), f"{notebook.name}, cell {n}: timings"
    assert "widgets" not in nb["metadata"]


def test_merge_streams_joins_consecutive_chunks_of_one_stream_only():
    def stream(name, text):
        return {"output_type": "stream", "name": name, "text": text}
    figure = {"output_type": "display_data", "data": {"text/plain": "<Figure>"}, "metadata": {}}
    outputs = [stream("stdout", "a\n"), stream("stdout", "b"), stream("stdout", "c\n"), stream("stderr", "w\n"),
               stream("stdout", "d\n"), figure, stream("stdout", "e\n")]
    assert merge_streams(outputs) == [stream("stdout", "a\nbc\n"), stream("stderr", "w\n"), stream("stdout", "d\n"),
                                      figure, stream("stdout", "e\n")]
    assert merge_streams([]) == []


@needs_lessons
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_says_where_the_learners_exercises_are(notebook):
    """Right after the title, a generated line (not a slide) points to the learner's own copy."""
    cells = _load(notebook)["cells"]
    pointer = cells[1]
    assert "exercise-pointer" in pointer["metadata"].get("tags", []), "run `make notebooks`"
    assert f"`workspace/{notebook.name}`" in _text(pointer) and "make lab" in _text(pointer)
    assert pointer["metadata"]["slideshow"]["slide_type"] == "skip"
    assert sum("exercise-pointer" in c["metadata"].get("tags", []) for c in cells) == 1
