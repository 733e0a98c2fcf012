"""The website's build steps in Python (scripts/build_site.sh runs them around Sphinx).

    python scripts/site_pages.py stage NOTEBOOK_DIR SOURCE_DIR   # the Sphinx source folder
    python scripts/site_pages.py check SITE_DIR                  # no page loads from the network

Staging copies the lessons (and any file their Markdown links) into Sphinx's source folder,
rewriting only what changed so that Sphinx rebuilds only the lessons that changed. Two things
are changed on the way, for readers of the website:

- a speaker note (a cell of slide type "notes") becomes a marked aside, an admonition titled
  "For instructors", instead of unmarked text (nothing of a lesson is dropped);
- after each lesson's title, a line tells the learner where their own exercise copy is.
"""

from __future__ import annotations

import filecmp
import json
import re
import shutil
import sys
from pathlib import Path

NOTES_TITLE = "For instructors"
EXERCISE_CELL_ID = "site-exercise-pointer"
POINTER_TAG = "exercise-pointer"  # the lesson's own generated line (scripts/build_notebooks.py): replaced
KEEP = {"conf.py", "index.md", "references.md"}
SKIP_DIRS = {"exercises", ".ipynb_checkpoints", "__pycache__"}


def is_lesson(rel: Path) -> bool:
    return len(rel.parts) == 1 and re.match(r"\d\d_", rel.name) is not None and rel.suffix == ".ipynb"


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def notes_admonition(source: str) -> str:
    """A speaker note as a MyST admonition titled "For instructors" (a fence longer than any inside)."""
    longest = max([len(m) for m in re.findall(r"`{3,}", source)] + [3])
    fence = "`" * (longest + 1)
    return f"{fence}{{admonition}} {NOTES_TITLE}\n:class: note instructor-notes\n\n{source.strip()}\n{fence}"


def exercise_pointer(name: str) -> str:
    return (f"> **Your exercises:** `make lab` opens your own copy of this lesson's exercises, "
            f"`workspace/{name}`, in JupyterLab (the solved lesson is beside it, in "
            f"`workspace/solutions/`). The copy is yours: git and the tests ignore it and `make lab` "
            "never overwrites it.")


def _plain_sentence(markdown: str, limit: int = 220) -> str:
    """The first sentence of a Markdown text as plain words: no heading marks, links, code or emphasis."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)   # [words](link) -> words
    body = re.sub(r"^\s*#+.*$", "", text, flags=re.M)          # headings dropped when there is more
    text = body if body.strip() else re.sub(r"^\s*#+\s*", "", text, flags=re.M)
    text = re.sub(r"[`*_>]", "", text)
    text = " ".join(text.split())
    sentence = re.split(r"(?<=[.!?:])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[:limit - 1].rstrip() + "…"


def figure_alt(cells: list, index: int) -> str:
    """Alt text for the figures of code cell `index`: what draws them and the text that introduces them.

    A lesson may set its own (cell metadata ``"alt"``); otherwise the alt text names the package's
    figure function the cell calls (``draw_*`` / ``plot_*``) and the first sentence of the nearest
    Markdown cell above, which in these lessons says what the figure is about.
    """
    cell = cells[index]
    own = cell.get("metadata", {}).get("alt")
    if own:
        return str(own)
    drawers = sorted(set(re.findall(r"\b((?:draw|plot)_\w+)\(", _source(cell))))
    intro = ""
    for before in reversed(cells[:index]):
        notes = before.get("metadata", {}).get("slideshow", {}).get("slide_type") == "notes"
        if before["cell_type"] == "markdown" and not notes and _source(before).strip():
            intro = _plain_sentence(_source(before))
            break
    what = f"Figure drawn by {', '.join(drawers)}" if drawers else "Figure"
    return f"{what}: {intro}" if intro else what


def site_notebook(nb: dict, name: str) -> dict:
    """The lesson as the website shows it: notes as marked asides, a pointer to the exercises, alt text."""
    nb = json.loads(json.dumps(nb))
    nb["cells"] = [c for c in nb["cells"] if POINTER_TAG not in c.get("metadata", {}).get("tags", [])]
    for index, cell in enumerate(nb["cells"]):
        slideshow = cell.get("metadata", {}).get("slideshow", {})
        if cell["cell_type"] == "markdown" and slideshow.get("slide_type") == "notes":
            cell["source"] = notes_admonition(_source(cell))
        if cell["cell_type"] == "code" and any("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
                                               for o in cell.get("outputs", [])):
            # myst-nb reads cell-level options under "mystnb"; its "image" options set the <img> alt.
            options = cell["metadata"].setdefault("mystnb", {}).setdefault("image", {})
            options.setdefault("alt", figure_alt(nb["cells"], index))
    pointer = {"cell_type": "markdown", "id": EXERCISE_CELL_ID, "metadata": {},
               "source": exercise_pointer(name)}
    if nb["nbformat"] == 4 and nb.get("nbformat_minor", 0) < 5:
        pointer.pop("id")
    cells = nb["cells"]
    first_is_title = cells and cells[0]["cell_type"] == "markdown" and _source(cells[0]).lstrip().startswith("#")
    cells.insert(1 if first_is_title else 0, pointer)
    return nb


def stage(src: Path, dst: Path) -> list[Path]:
    """Assemble Sphinx's source folder `dst` from the notebook folder `src`; return what was written."""
    wanted = {}
    for p in src.rglob("*"):
        rel = p.relative_to(src)
        if p.is_dir() or set(rel.parts) & SKIP_DIRS or rel.name.startswith("."):
            continue
        if p.suffix == ".ipynb" and not is_lesson(rel):  # other notebooks are not pages of the site
            continue
        wanted[rel] = p
    dst.mkdir(parents=True, exist_ok=True)
    for p in sorted(dst.rglob("*"), reverse=True):  # drop what is no longer in the notebook folder
        rel = p.relative_to(dst)
        if p.is_file() and rel not in wanted and str(rel) not in KEEP:
            p.unlink()
        elif p.is_dir() and not any(p.iterdir()):
            p.rmdir()
    written = []
    for rel, p in sorted(wanted.items()):
        q = dst / rel
        q.parent.mkdir(parents=True, exist_ok=True)
        if is_lesson(rel):
            nb = site_notebook(json.loads(p.read_text(encoding="utf-8")), rel.name)
            text = json.dumps(nb, ensure_ascii=False, indent=1) + "\n"
            if not q.exists() or q.read_text(encoding="utf-8") != text:
                q.write_text(text, encoding="utf-8")
                written.append(q)
        elif not q.exists() or not filecmp.cmp(p, q, shallow=False):
            shutil.copy2(p, q)
            written.append(q)
    return written


REMOTE = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I | re.S)
CSS_REMOTE = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*["']?(?:https?:)?//""", re.I)


def network_loads(text: str) -> list[str]:
    return [m.group(0)[:120] for m in list(REMOTE.finditer(text)) + list(CSS_REMOTE.finditer(text))]


def check(out: Path) -> int:
    bad = []
    for p in sorted(out.rglob("*")):
        if p.suffix in {".html", ".css"} and "_static/mathjax" not in p.as_posix():
            bad += [f"{p}: {m}" for m in network_loads(p.read_text(encoding="utf-8", errors="replace"))]
    if bad:
        print("build_site: these pages load something from the network:\n  " + "\n  ".join(bad), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["stage"] and len(argv) == 3:
        stage(Path(argv[1]), Path(argv[2]))
        return 0
    if argv[:1] == ["check"] and len(argv) == 2:
        return check(Path(argv[1]))
    print("usage: site_pages.py stage NOTEBOOK_DIR SOURCE_DIR | check SITE_DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
