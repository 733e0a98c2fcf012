"""The slide decks' build steps in Python (scripts/build_slides.sh runs them around nbconvert).

    python scripts/slide_decks.py stage STAGE_DIR LESSON.ipynb ...   # copies made to fit the screen
    python scripts/slide_decks.py index OUT_DIR STAGE_DIR            # build/slides/index.html
    python scripts/slide_decks.py finalize OUT_DIR                   # offline guard, links to decks

Staging makes a copy of each lesson that fits a 1280x720 projector without scrolling, and leaves
the lessons themselves alone (the full text and code stay in the notebooks and on the website):

- a lesson with no slide metadata gets slides from its headings (# / ## a slide, ### a sub-slide);
- code longer than CODE_LINES lines shows its first lines and says how many more are in the
  notebook; printed output longer than OUTPUT_LINES lines likewise; exercise markers are left out;
- a Markdown cell taller than a slide is cut at paragraph boundaries into several;
- a code cell whose code and output do not fit together is shown as the code, then its outputs
  (several figures of one cell in groups that each fit a slide);
- the heights of a slide's cells are estimated (LAYOUT, calibrated in headless Chromium by
  tests/test_site_browser.py, which fails on any slide taller than the screen), and a cell that
  would overflow starts a new sub-slide (reveal.js: down arrow), under a small "(continued)"
  label naming the section.

Speaker notes (slide type "notes") stay speaker notes: press s in a deck.
"""

from __future__ import annotations

import base64
import html
import json
import re
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

CODE_LINES = 18      # code lines shown on a slide before "... more lines in the notebook"
OUTPUT_LINES = 14    # printed lines shown on a slide before "... more lines in the notebook"


@dataclass(frozen=True)
class Layout:
    """The deck's geometry in reveal.js's logical pixels (docs/slides_template sets the CSS to match)."""
    width: int = 1280
    height: int = 720
    budget: int = 620           # content height allowed on one slide (margins, reveal.js controls)
    text_line: float = 34.0     # Markdown line height (25 px font)
    code_line: float = 23.5     # code and printed output line height (18 px font)
    text_chars: int = 92        # characters on a line of Markdown
    code_chars: int = 108       # characters on a line of code before it wraps
    image_max_height: int = 460  # CSS max-height of a figure
    image_max_width: int = 1200


LAYOUT = Layout()


def slide_type(cell) -> str:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") or "-"


def set_slide_type(cell, kind: str) -> None:
    cell.setdefault("metadata", {}).setdefault("slideshow", {})["slide_type"] = kind


# ------------------------------------------------------------------ heights (estimates)

def _wrapped(lines, chars):
    return sum(max(1, -(-len(line) // chars)) for line in lines)


def png_size(data: str) -> tuple[int, int]:
    """(width, height) of a base64 PNG, read from its header."""
    head = base64.b64decode(data[:64])
    return struct.unpack(">II", head[16:24])


def image_height(width: int, height: int, metadata: dict | None = None, layout: Layout = LAYOUT) -> float:
    """The height a figure is shown at: its width and height attributes if any, within the CSS maxima."""
    meta = metadata or {}
    width, height = meta.get("width", width), meta.get("height", height)
    scale = min(1.0, layout.image_max_width / width, layout.image_max_height / height)
    return height * scale


def markdown_height(source: str, layout: Layout = LAYOUT) -> float:
    """Estimated height of a Markdown cell: headings, wrapped paragraphs and list items, display
    math, tables and code blocks. Inline math counts as its TeX source, which is longer than what is
    shown: the estimate errs on the tall side."""
    if source.startswith(f'<p class="{CONTINUED_CLASS}">'):
        return 44.0
    total, in_math, in_code, para = 0.0, False, False, []

    def flush():
        nonlocal total, para
        if para:
            total += _wrapped([" ".join(para)], layout.text_chars) * layout.text_line
            para = []

    for line in source.splitlines():
        s = line.strip()
        if s.startswith("```"):
            flush()
            in_code = not in_code
            total += 14
            continue
        if in_code:
            total += layout.code_line
            continue
        if s.startswith("$$") and s.endswith("$$") and len(s) > 4:
            flush()
            total += 66  # one line of display math
            continue
        if s.startswith("$$") or s.startswith("\\begin") or s.startswith("\\end"):
            flush()
            in_math = not in_math if s.startswith("$$") else s.startswith("\\begin")
            total += 22
            continue
        if in_math:
            total += 36
            continue
        if not s:
            flush()
            total += 14
        elif s.startswith("#"):
            flush()
            level = len(s) - len(s.lstrip("#"))
            total += {1: 82, 2: 68}.get(level, 56) * max(1, -(-len(s) // 60))
        elif s.startswith("|"):
            flush()
            total += 0 if re.fullmatch(r"\|[\s:|-]+\|?", s) else 46 + 30 * (_wrapped([s], 110) - 1)
        elif s.startswith("> "):
            para.append(s[2:])
        elif re.match(r"([-*+]|\d+\.)\s", s):
            flush()
            para.append("    " + s)  # a list item starts a new block, indented
        else:
            para.append(s)
    flush()
    return total + 36


def output_height(output: dict, layout: Layout = LAYOUT) -> float:
    kind = output.get("output_type")
    if kind == "stream":
        return _wrapped(output.get("text", "").splitlines(), layout.code_chars) * layout.code_line + 28
    if kind == "error":
        return 20 * layout.code_line
    data = output.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            w, h = png_size(data[mime]) if mime == "image/png" else (800, 450)
            return image_height(w, h, output.get("metadata", {}).get(mime), layout) + 20
    if "image/svg+xml" in data:
        return layout.image_max_height + 20
    if "text/html" in data:
        text = data["text/html"]
        rows = len(re.findall(r"<tr\b", text))
        return 52 + 36 * rows if rows else 60
    if "text/latex" in data or "text/markdown" in data:
        return 80
    if "text/plain" in data:
        return _wrapped(data["text/plain"].splitlines(), layout.code_chars) * layout.code_line + 28
    return 0.0


def cell_height(cell, layout: Layout = LAYOUT) -> float:
    """Estimated height of one cell on a slide (0 for skipped cells, notes and removed cells)."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    if slide_type(cell) in ("skip", "notes") or "remove-cell" in tags:
        return 0.0
    if cell["cell_type"] == "markdown":
        return markdown_height(cell["source"], layout)
    if cell["cell_type"] != "code":
        return 0.0
    height = 0.0
    if "remove-input" not in tags and cell["source"].strip():
        height += _wrapped(cell["source"].splitlines(), layout.code_chars) * layout.code_line + 34
    if "remove-output" not in tags:
        height += sum(output_height(o, layout) for o in cell.get("outputs", []))
    return height


# ------------------------------------------------------------------ shortening and splitting

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def shorten_code(source: str, limit: int = CODE_LINES) -> str:
    """The first lines of long code, and a comment saying how many more are in the notebook.
    The exercise markers (### BEGIN/END SOLUTION) are for the exercise generator, not the room."""
    lines = [line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS]
    if len(lines) <= limit:
        return "\n".join(lines) if len(lines) != len(source.splitlines()) else source
    keep = limit - 1
    return "\n".join(lines[:keep] + [f"# ... {len(lines) - keep} more lines: the full code is in the notebook"])


def shorten_output(text: str, limit: int = OUTPUT_LINES) -> str:
    lines = text.splitlines()
    if len(lines) <= limit:
        return text
    keep = limit - 1
    return "\n".join(lines[:keep] + [f"... {len(lines) - keep} more lines in the notebook"]) + "\n"


def split_markdown(source: str, budget: float, layout: Layout = LAYOUT) -> list[str]:
    """Cut Markdown at blank lines outside math and code blocks into pieces that each fit `budget`."""
    blocks, current, fenced = [], [], False
    for line in source.splitlines():
        if line.strip().startswith("```") or line.strip() == "$$":
            fenced = not fenced
        if not line.strip() and not fenced and current:
            blocks.append("\n".join(current))
            current = []
        elif line.strip() or current:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    blocks = [part for block in blocks for part in split_table(block, budget, layout)]
    pieces, piece = [], []
    for block in blocks:
        trial = "\n\n".join(piece + [block])
        if piece and markdown_height(trial, layout) > budget:
            pieces.append("\n\n".join(piece))
            piece = [block]
        else:
            piece.append(block)
    if piece:
        pieces.append("\n\n".join(piece))
    return pieces


def split_table(block: str, budget: float, layout: Layout = LAYOUT) -> list[str]:
    """A Markdown table taller than `budget` as several tables, each with the header repeated."""
    lines = block.splitlines()
    is_table = len(lines) > 2 and all(line.lstrip().startswith("|") for line in lines) \
        and re.fullmatch(r"\|[\s:|-]+\|?", lines[1].strip())
    if not is_table or markdown_height(block, layout) <= budget:
        return [block]
    header, rows, parts, part = lines[:2], lines[2:], [], []
    for row in rows:
        if part and markdown_height("\n".join(header + part + [row]), layout) > budget:
            parts.append("\n".join(header + part))
            part = []
        part.append(row)
    parts.append("\n".join(header + part))
    return parts


def _copy(cell, suffix):
    new = nbformat.from_dict(json.loads(json.dumps(cell)))
    if "id" in new:
        new["id"] = f"{new['id']}-{suffix}"[:64]
    return new


def _output_groups(outputs, budget, layout):
    """Consecutive outputs grouped so that each group fits `budget` (a group of one may not)."""
    groups, used = [], budget + 1
    for out in outputs:
        h = output_height(out, layout)
        if used + h > budget:
            groups.append([])
            used = 0.0
        groups[-1].append(out)
        used += h
    return groups


def _shorten_outputs(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            out["text"] = shorten_output(out["text"])
        elif set(out.get("data", {})) == {"text/plain"}:  # a long repr shown as text
            out["data"]["text/plain"] = shorten_output(out["data"]["text/plain"]).rstrip("\n")


def fit_cells(cells, layout: Layout = LAYOUT):
    """The cells of one notebook, shortened and split so that every slide fits `layout`."""
    units = []
    for cell in cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell["cell_type"] == "code" and slide_type(cell) not in ("skip", "notes"):
            cell["source"] = shorten_code(cell["source"])
            _shorten_outputs(cell)
            code_only = _copy(cell, "in")
            code_only["outputs"] = []
            shows_code = bool(cell_height(code_only, layout)) and not tags & {"remove-input", "remove-cell"}
            if cell.get("outputs") and cell_height(cell, layout) > layout.budget * 0.55 \
                    and not tags & {"remove-output", "remove-cell"}:
                # the code, then its outputs in groups that each fit a slide
                if shows_code:
                    code_only["execution_count"] = None  # the deck shows no prompts; nbval never sees it
                    units.append(cell_as(code_only, cell))
                groups = _output_groups(cell["outputs"], layout.budget, layout)
                for n, group in enumerate(groups):
                    part = _copy(cell, "out" if n == 0 else f"out{n}")
                    part["outputs"] = group
                    part["metadata"]["tags"] = sorted(tags | {"remove-input"})
                    set_slide_type(part, slide_type(cell) if n == 0 and not shows_code else "-")
                    units.append(part)
                continue
        if cell["cell_type"] == "markdown" and markdown_height(cell["source"], layout) > layout.budget \
                and slide_type(cell) not in ("skip", "notes"):
            for n, piece in enumerate(split_markdown(cell["source"], layout.budget, layout)):
                part = _copy(cell, f"p{n}") if n else cell
                part["source"] = piece
                if n:
                    set_slide_type(part, "-")
                units.append(part)
            continue
        units.append(cell)
    # pack: a cell that would overflow the current slide starts a sub-slide, under a small
    # reminder of the section it continues
    packed, used, title = [], 0.0, ""
    for n, cell in enumerate(units):
        kind, h = slide_type(cell), cell_height(cell, layout)
        heading = _heading(cell)
        if n == 0 or kind in ("slide", "subslide"):
            used, title = h, heading or title
        elif h and used + h > layout.budget:
            label = continued_cell(title, f"{cell.get('id', n)}-cont")
            if title and not heading and cell_height(label, layout) + h <= layout.budget:
                packed.append(label)
                used = cell_height(label, layout)
                set_slide_type(cell, "-")
            else:
                set_slide_type(cell, "subslide")
                used = 0.0
            used += h
        else:
            used += h
        title = heading or title
        packed.append(cell)
    return packed


CONTINUED_CLASS = "lstm-continued"


def _heading(cell) -> str:
    """The text of a Markdown cell's first heading (# to ###), or ""."""
    if cell["cell_type"] != "markdown":
        return ""
    match = re.search(r"^#{1,3}\s+(.+)$", cell["source"], re.M)
    return match.group(1).strip() if match else ""


def continued_cell(title: str, cell_id: str):
    """A small label at the top of a sub-slide that the build started: "<title> (continued)"."""
    cell = nbformat.v4.new_markdown_cell(f'<p class="{CONTINUED_CLASS}">{html.escape(title)} (continued)</p>')
    cell["id"] = cell_id[:64]
    set_slide_type(cell, "subslide")
    return cell


def cell_as(new, old):
    """`new` with the slide type of `old` (the first piece of a split cell keeps its place)."""
    set_slide_type(new, slide_type(old))
    return new


# ------------------------------------------------------------------ staging, index, finalize

def add_heading_slides(nb, name: str) -> bool:
    """Slide types from the headings for a lesson that has none; True if it had none."""
    if any("slideshow" in c.get("metadata", {}) for c in nb.cells):
        return False
    print(f"build_slides: warning: {name} has no slide metadata; "
          "slides follow its headings (# / ## start a slide, ### a sub-slide)", file=sys.stderr)
    for i, cell in enumerate(nb.cells):
        first = cell.source.lstrip().split("\n", 1)[0] if cell.cell_type == "markdown" else ""
        kind = "-"
        if i == 0 or re.match(r"#{1,2}\s", first):
            kind = "slide"
        elif re.match(r"###\s", first):
            kind = "subslide"
        cell.metadata["slideshow"] = {"slide_type": kind}
    return True


def stage_deck(path: Path, stage: Path, layout: Layout = LAYOUT) -> Path:
    """Write the deck's copy of one lesson into `stage`; return its path."""
    nb = nbformat.read(path, as_version=4)
    add_heading_slides(nb, path.name)
    nb.cells = fit_cells(nb.cells, layout)
    out = stage / path.name
    nbformat.write(nb, out)
    return out


def deck_title(nb: dict, default: str) -> str:
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for line in source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return default


def write_index(out: Path, stage: Path) -> list[str]:
    """Remove decks of lessons that no longer exist and write index.html; return the deck names."""
    names = sorted(p.stem for p in stage.glob("*.ipynb"))
    for deck in out.glob("*.slides.html"):
        if deck.name.removesuffix(".slides.html") not in names:
            deck.unlink()
    items = []
    for name in names:
        title = deck_title(json.loads((stage / f"{name}.ipynb").read_text(encoding="utf-8")), name)
        items.append(f'<li><a href="{html.escape(name)}.slides.html">{html.escape(title)}</a></li>')
    (out / "index.html").write_text(INDEX.format(items="\n".join(items)), encoding="utf-8")
    return names


INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>The LSTM course: slides</title>
<style>body{{font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.5;padding:0 1em}}
kbd{{border:1px solid #aaa;border-radius:3px;padding:0 .3em;background:#f6f6f6}}</style></head>
<body><h1>The LSTM course: slides</h1>
<ol>
{items}
</ol>
<h2>Keys</h2>
<ul>
<li><kbd>&rarr;</kbd>/<kbd>space</kbd> next, <kbd>&larr;</kbd> previous, <kbd>&darr;</kbd>/<kbd>&uarr;</kbd> sub-slides</li>
<li><kbd>s</kbd> speaker view: notes, next slide and a timer in a second window (allow pop-ups)</li>
<li><kbd>f</kbd> full screen, <kbd>o</kbd>/<kbd>esc</kbd> overview, <kbd>b</kbd> or <kbd>.</kbd> black screen</li>
<li>Append <code>?print-pdf</code> to a deck's address and print it from Chromium/Chrome for a PDF handout.</li>
</ul>
<p>The decks are made for a 16:9 screen (1280&times;720 and up). Long code and long printed output
are shortened on the slides; the full lessons are on the <a href="../site/index.html">website</a>
(make site) and in the notebooks.</p>
</body></html>
"""

URL = r"(?:https?:)?//[\w.-]+\.[a-z]{2,}"
LOADS = re.compile(r"""(?:<(?:script|link|img|iframe|source|video|audio|embed)\b[^>]*?\b(?:src|href|data)\s*=\s*["']?"""
                   r"""|\bimport\s[^;]*?from\s*["']|\bimport\(\s*["']|@import\s+(?:url\()?\s*["']?|url\(\s*["']?)""" + URL,
                   re.I | re.S)
_STYLE = re.compile(r"(<style\b[^>]*>)(.*?)(</style>)", re.I | re.S)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_JS_COMMENT_LINE = re.compile(r"^[ \t]*//[^\n]*https?://[^\n]*\n", re.M)
_LINK = re.compile(r"<a\b[^>]*>.*?</a>", re.I | re.S)


def finalize_deck(text: str) -> str:
    """Comments citing web pages removed (the stock template's); links to lessons lead to decks."""
    text = _STYLE.sub(lambda m: m.group(1) + _CSS_COMMENT.sub(
        lambda c: "" if "http" in c.group(0) else c.group(0), m.group(2)) + m.group(3), text)
    text = _JS_COMMENT_LINE.sub("", text)
    return re.sub(r"""(<a\b[^>]*\bhref=["'])(\d\d_[^"'/#?]+)\.ipynb(?=[#"'])""", r"\1\2.slides.html", text)


def network_loads(text: str) -> list[str]:
    """What a page would load from the network (scripts, styles, images, imports)."""
    return [m.group(0)[:120] for m in LOADS.finditer(text)]


def finalize(out: Path) -> int:
    bad, other = [], []
    for p in sorted(out.glob("*.html")):
        text = p.read_text(encoding="utf-8")
        new = finalize_deck(text)
        if new != text:
            p.write_text(new, encoding="utf-8")
        bad += [f"{p.name}: {m}" for m in network_loads(new)]
        other += [f"{p.name}: {m.group(0)}" for m in re.finditer(r"https?://[^\s\"'<>)]+", _LINK.sub("", new))]
    if other:
        print("build_slides: note: web addresses in the decks' text (not loaded):\n  " + "\n  ".join(other),
              file=sys.stderr)
    if bad:
        print("build_slides: these decks load something from the network:\n  " + "\n  ".join(bad), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    command, args = argv[0], argv[1:]
    if command == "stage":
        stage = Path(args[0])
        stage.mkdir(parents=True, exist_ok=True)
        for lesson in args[1:]:
            stage_deck(Path(lesson), stage)
        return 0
    if command == "index":
        write_index(Path(args[0]), Path(args[1]))
        return 0
    if command == "finalize":
        return finalize(Path(args[0]))
    print(f"slide_decks: unknown command {command!r} (stage, index, finalize)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
