"""The website's and the decks' build steps (scripts/site_pages.py, scripts/slide_decks.py), without
Sphinx, nbconvert or a browser: what they change in a lesson, and what they refuse."""

import base64
import io
import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import site_pages  # noqa: E402
import slide_decks  # noqa: E402
from slide_decks import LAYOUT, cell_height, fit_cells, slide_type  # noqa: E402

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def md(source, kind=None, cell_id=None):
    cell = nbformat.v4.new_markdown_cell(source)
    if kind:
        cell.metadata["slideshow"] = {"slide_type": kind}
    if cell_id:
        cell["id"] = cell_id
    return cell


def code(source, outputs=(), kind=None, cell_id=None):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = list(outputs)
    cell.execution_count = 1
    if kind:
        cell.metadata["slideshow"] = {"slide_type": kind}
    if cell_id:
        cell["id"] = cell_id
    return cell


def png_output(width_in=6.0, height_in=3.0, dpi=144):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=dpi)
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return nbformat.v4.new_output("display_data", data={"image/png": data, "text/plain": "<Figure>"})


def real(cells):
    """The cells without the "(continued)" labels the build adds."""
    return [c for c in cells if not c.get("id", "").endswith("-cont")]


def slides_of(cells):
    """The cells grouped by (sub-)slide, as reveal.js shows them."""
    slides = []
    for n, cell in enumerate(cells):
        if n == 0 or slide_type(cell) in ("slide", "subslide"):
            slides.append([])
        slides[-1].append(cell)
    return slides


# ------------------------------------------------------------------ slide_decks: shortening

def test_long_code_shows_its_first_lines_and_says_how_many_more():
    source = "\n".join(f"x{i} = {i}" for i in range(30))
    short = slide_decks.shorten_code(source, limit=18)
    lines = short.splitlines()
    assert len(lines) == 18 and lines[:17] == source.splitlines()[:17]
    assert lines[-1] == "# ... 13 more lines: the full code is in the notebook"
    assert slide_decks.shorten_code("a = 1\nb = 2", limit=18) == "a = 1\nb = 2"


def test_long_output_is_shortened_with_a_count():
    text = "".join(f"line {i}\n" for i in range(20))
    short = slide_decks.shorten_output(text, limit=14)
    assert short.splitlines()[:13] == text.splitlines()[:13]
    assert short.splitlines()[-1] == "... 7 more lines in the notebook"
    assert slide_decks.shorten_output("one\ntwo\n", limit=14) == "one\ntwo\n"


def test_png_size_is_read_from_the_header():
    out = png_output(6, 3, dpi=144)
    assert slide_decks.png_size(out["data"]["image/png"]) == (864, 432)


def test_image_height_respects_the_css_maxima():
    assert slide_decks.image_height(864, 432) == 432
    assert slide_decks.image_height(1008, 1008) == LAYOUT.image_max_height
    assert slide_decks.image_height(2400, 600) == pytest.approx(600 * LAYOUT.image_max_width / 2400)
    assert slide_decks.image_height(864, 432, {"width": 432, "height": 216}) == 216


def test_markdown_height_grows_with_text_and_math():
    short = slide_decks.markdown_height("One sentence.")
    long = slide_decks.markdown_height(" ".join(["word"] * 400))
    assert long > 5 * short
    with_math = slide_decks.markdown_height("One sentence.\n\n$$a = b$$\n")
    assert with_math > short + 40
    # a source paragraph hard-wrapped over several lines is one paragraph, not one per line
    wrapped = "\n".join(["a few words on this line"] * 3)
    assert slide_decks.markdown_height(wrapped) == slide_decks.markdown_height(" ".join(wrapped.splitlines()))


def test_split_markdown_keeps_every_paragraph_and_math_block_whole():
    paragraphs = [f"Paragraph {i}: " + "text " * 120 for i in range(6)]
    source = "\n\n".join(paragraphs[:3] + ["$$\na = b\n\nc = d\n$$"] + paragraphs[3:])
    pieces = slide_decks.split_markdown(source, LAYOUT.budget)
    assert len(pieces) > 1
    assert "\n\n".join(pieces).split() == source.split()
    assert any("$$\na = b\n\nc = d\n$$" in piece for piece in pieces)  # never cut inside display math
    assert all(slide_decks.markdown_height(p) <= LAYOUT.budget for p in pieces)


# ------------------------------------------------------------------ slide_decks: fitting

def test_fit_cells_starts_sub_slides_so_that_every_slide_fits():
    cells = [md("## A long section", "slide", "a")]
    cells += [md("Some words. " * 30, cell_id=f"m{i}") for i in range(6)]
    cells += [code("x = 1", [png_output()], cell_id="fig"), md("Notes for me", "notes", "n")]
    fitted = fit_cells(cells)
    slides = slides_of(fitted)
    assert len(slides) > 1
    for slide in slides:
        heights = [cell_height(c) for c in slide]
        assert sum(heights) <= LAYOUT.budget or len([h for h in heights if h]) == 1
    assert [c["id"] for c in real(fitted) if c.cell_type == "markdown"] == ["a"] + [f"m{i}" for i in range(6)] + ["n"]
    labels = [c for c in fitted if c not in real(fitted)]
    assert labels and all(c.source == '<p class="lstm-continued">A long section (continued)</p>' for c in labels)
    assert all(slide_type(c) == "subslide" and slides_of(fitted)[0][0] is not c for c in labels)
    assert slide_type(fitted[-1]) == "notes"  # a note stays a note, on the slide it follows


def test_a_short_slide_is_left_alone():
    cells = [md("## Title", "slide", "a"), code("print(1)", [nbformat.v4.new_output("stream", text="1\n")], cell_id="b")]
    before = json.loads(json.dumps(cells))
    assert json.loads(json.dumps(fit_cells(cells))) == before


def test_code_and_a_tall_output_are_shown_as_two_cells():
    cells = [md("## Figure", "slide", "a"), code("\n".join(["y = 2"] * 10), [png_output(7, 4.2)], cell_id="f")]
    fitted = real(fit_cells(cells))
    assert [c.get("id") for c in fitted] == ["a", "f-in", "f-out"]
    code_part, output_part = fitted[1], fitted[2]
    assert code_part.outputs == [] and code_part.source == cells[1].source
    assert "remove-input" in output_part.metadata["tags"] and output_part.outputs
    assert len({c["id"] for c in fitted}) == len(fitted)


def test_a_fragment_that_no_longer_fits_starts_a_sub_slide():
    cells = [md("## Build-up", "slide", "a"), md("Words. " * 200, cell_id="b"), md("More. " * 100, "fragment", "c")]
    fitted = fit_cells(cells)
    assert slide_type(fitted[-2]) == "subslide" and fitted[-2]["id"] == "c-cont"  # a label starts the sub-slide
    assert slide_type(fitted[-1]) == "-"


def test_lessons_without_slide_metadata_get_slides_from_headings(capsys):
    nb = nbformat.v4.new_notebook(cells=[md("# Title"), md("text"), md("## Part"), md("### Sub"), code("x = 1")])
    assert slide_decks.add_heading_slides(nb, "99_x.ipynb")
    assert [slide_type(c) for c in nb.cells] == ["slide", "-", "slide", "subslide", "-"]
    assert "no slide metadata" in capsys.readouterr().err
    assert not slide_decks.add_heading_slides(nb, "99_x.ipynb")  # now it has some: left alone


@pytest.mark.skipif(not LESSONS, reason="no lessons yet")
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_estimated_slide_of_the_lessons_fits(lesson, tmp_path):
    """The staged deck's every slide fits the budget by the estimate (the browser test measures it)."""
    staged = nbformat.read(slide_decks.stage_deck(lesson, tmp_path), as_version=4)
    original = nbformat.read(lesson, as_version=4)
    for slide in slides_of(staged.cells):
        heights = [cell_height(c) for c in slide]
        assert sum(heights) <= LAYOUT.budget or len([h for h in heights if h]) == 1, (
            f"{lesson.name}: a slide of {sum(heights):.0f} px starting with {slide[0].source[:60]!r}")
    notes = [c.source for c in original.cells if slide_type(c) == "notes"]
    assert [c.source for c in staged.cells if slide_type(c) == "notes"] == notes


# ------------------------------------------------------------------ slide_decks: index and finalize

def test_finalize_points_lesson_links_at_decks_and_drops_cited_urls():
    page = ('<style>/* see https://example.org/x */ .a{}</style>\n'
            '  // from https://example.org/y\n'
            '<a href="02_next.ipynb">next</a> <a href="02_next.ipynb#part">part</a> '
            '<a href="https://colah.github.io/">the notes</a>')
    out = slide_decks.finalize_deck(page)
    assert 'href="02_next.slides.html"' in out and 'href="02_next.slides.html#part"' in out
    assert "example.org" not in out and "https://colah.github.io/" in out
    assert slide_decks.network_loads(out) == []


@pytest.mark.parametrize("page, in_site_check", [
    ('<script src="https://cdn.example.com/x.js"></script>', True),
    ('<link rel="stylesheet" href="//cdn.example.com/a.css">', True),
    ('<style>@import url("https://fonts.example.com/f.css");</style>', True),
    ("<script type=module>import m from 'https://cdn.example.com/m.js';</script>", False),  # decks only
])
def test_network_loads_are_found(page, in_site_check):
    assert slide_decks.network_loads(page)
    assert bool(site_pages.network_loads(page)) == in_site_check


def test_write_index_lists_decks_by_title_and_drops_stale_ones(tmp_path):
    stage, out = tmp_path / "stage", tmp_path / "out"
    stage.mkdir(), out.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[md("# 01 · First & best")]), stage / "01_first.ipynb")
    (out / "99_gone.slides.html").write_text("old")
    assert slide_decks.write_index(out, stage) == ["01_first"]
    index = (out / "index.html").read_text()
    assert '<a href="01_first.slides.html">01 · First &amp; best</a>' in index
    assert not (out / "99_gone.slides.html").exists()


# ------------------------------------------------------------------ site_pages

def test_notes_become_a_marked_admonition_with_all_their_text():
    note = "Ask the room.\n\n```python\nx = 1\n```\n\nThen wait."
    block = site_pages.notes_admonition(note)
    assert block.startswith("````{admonition} For instructors\n:class: note instructor-notes\n")
    assert note in block and block.endswith("\n````")


def test_site_notebook_marks_notes_and_points_to_the_exercises():
    nb = nbformat.v4.new_notebook(cells=[md("# 04 · Title", "slide", "t"), md("Stress this.", "notes", "n"),
                                         md("Body", cell_id="b")])
    page = site_pages.site_notebook(json.loads(nbformat.writes(nb)), "04_title.ipynb")
    sources = ["".join(c["source"]) for c in page["cells"]]
    assert sources[0] == "# 04 · Title"
    assert "`workspace/04_title.ipynb`" in sources[1] and "make lab" in sources[1]
    assert "{admonition} For instructors" in sources[2] and "Stress this." in sources[2]
    assert sources[3] == "Body" and len(sources) == 4
    assert nb.cells[1].source == "Stress this."  # the input is not changed


def test_site_stage_copies_lessons_and_linked_files_only_when_changed(tmp_path):
    src, dst = tmp_path / "notebooks", tmp_path / "site_src"
    (src / "exercises").mkdir(parents=True)
    (src / "img").mkdir()
    nb = nbformat.v4.new_notebook(cells=[md("# 01 · One", "slide", "a")])
    nbformat.write(nb, src / "01_one.ipynb")
    nbformat.write(nb, src / "exercises" / "01_one.ipynb")
    nbformat.write(nb, src / "scratch.ipynb")
    (src / "img" / "pic.png").write_bytes(b"png")
    dst.mkdir()
    (dst / "conf.py").write_text("# kept")
    (dst / "02_gone.ipynb").write_text("{}")
    written = site_pages.stage(src, dst)
    assert sorted(p.relative_to(dst).as_posix() for p in written) == ["01_one.ipynb", "img/pic.png"]
    assert sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*") if p.is_file()) == [
        "01_one.ipynb", "conf.py", "img/pic.png"]
    assert site_pages.stage(src, dst) == []  # nothing changed: nothing written


def test_site_check_fails_on_a_page_that_loads_from_the_network(tmp_path, capsys):
    (tmp_path / "ok.html").write_text('<a href="https://example.org">a link is fine</a>')
    assert site_pages.check(tmp_path) == 0
    (tmp_path / "bad.html").write_text('<script src="https://cdn.example.com/x.js"></script>')
    assert site_pages.check(tmp_path) == 1
    assert "bad.html" in capsys.readouterr().err


def test_several_figures_of_one_cell_go_to_slides_that_each_fit():
    cells = [md("## Many figures", "slide", "a"), code("plot_all()", [png_output(7, 4.2) for _ in range(3)], cell_id="f")]
    fitted = fit_cells(cells)
    assert [c.get("id") for c in real(fitted)] == ["a", "f-in", "f-out", "f-out1", "f-out2"]
    assert [len(c.outputs) for c in real(fitted)[2:]] == [1, 1, 1]
    assert all(sum(cell_height(c) for c in slide) <= LAYOUT.budget for slide in slides_of(fitted))
    figures = [[c for c in slide if c.cell_type == "code" and c.outputs] for slide in slides_of(fitted)]
    assert [len(f) for f in figures if f] == [1, 1, 1]  # two figures never share a slide


def test_a_long_text_repr_is_shortened():
    out = nbformat.v4.new_output("execute_result", data={"text/plain": "\n".join(map(str, range(40)))},
                                 execution_count=1)
    fitted = fit_cells([md("## Numbers", "slide", "a"), code("list(range(40))", [out], cell_id="n")])
    shown = "".join(c.outputs[0]["data"]["text/plain"] for c in fitted if c.cell_type == "code" and c.outputs)
    assert shown.splitlines()[-1] == "... 27 more lines in the notebook"


def test_exercise_markers_are_not_shown_on_slides():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\n\ncheck_f(f)"
    assert slide_decks.shorten_code(source) == "def f(x):\n    return x\n\n\ncheck_f(f)"


def test_a_long_table_is_split_with_its_header_repeated():
    table = "| gap | ours | paper |\n|---|---|---|\n" + "\n".join(f"| {g} | 0.{g} | 0.{g + 1} |" for g in range(30))
    source = "Results:\n\n" + table
    pieces = slide_decks.split_markdown(source, LAYOUT.budget)
    assert len(pieces) > 1
    assert all(slide_decks.markdown_height(p) <= LAYOUT.budget for p in pieces)
    assert all("| gap | ours | paper |\n|---|---|---|\n" in p for p in pieces if "| 1" in p or "| 2" in p)
    rows = [line for p in pieces for line in p.splitlines() if line.startswith("| ") and "gap" not in line]
    assert rows == table.splitlines()[2:]  # every row once, in order


def test_the_lessons_own_pointer_is_replaced_by_the_sites():
    pointer = md("> **Your exercises:** ...", "skip", "04-exercises")
    pointer.metadata["tags"] = ["exercise-pointer"]
    nb = nbformat.v4.new_notebook(cells=[md("# 04 · Title", "slide", "t"), pointer, md("Body", cell_id="b")])
    page = site_pages.site_notebook(json.loads(nbformat.writes(nb)), "04_title.ipynb")
    assert [c.get("id") for c in page["cells"]] == ["t", site_pages.EXERCISE_CELL_ID, "b"]


def test_every_figure_gets_alt_text_from_its_drawer_and_introduction():
    png = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    cells = [md("# 04 · Title", "slide", "t"),
             md("## The gate\nThe [forget gate](x.ipynb) of a trained `LSTM`, step by step. More text.", cell_id="a"),
             md("Say this aloud.", "notes", "n"),
             nbformat.v4.new_code_cell("ax = plot_gates(cache)\ndraw_lstm_cell(ax)", outputs=[png]),
             nbformat.v4.new_code_cell("print(1)"),
             nbformat.v4.new_code_cell("plt.plot([1])", outputs=[png], metadata={"alt": "A line."})]
    nb = nbformat.v4.new_notebook(cells=cells)
    page = site_pages.site_notebook(json.loads(nbformat.writes(nb)), "04_title.ipynb")
    alts = [c["metadata"].get("mystnb", {}).get("image", {}).get("alt")
            for c in page["cells"] if c["cell_type"] == "code"]
    assert alts[0] == "Figure drawn by draw_lstm_cell, plot_gates: The forget gate of a trained LSTM, step by step."
    assert alts[1] is None, "a cell without a figure needs no alt text"
    assert alts[2] == "A line.", "a lesson's own alt text wins"
