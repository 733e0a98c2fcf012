#!/usr/bin/env bash
# make site: build the course website (an HTML book of every lesson) into build/site/.
#
#   bash scripts/build_site.sh [NOTEBOOK_DIR]
#
# NOTEBOOK_DIR (or the NOTEBOOKS_DIR environment variable; default notebooks/) holds the lessons,
# NN_topic.ipynb, executed with outputs; its exercises/ folder is left out. BUILD_DIR (default
# build/) is where build/site/ goes. Sphinx + myst-nb + sphinx-book-theme render the stored
# outputs (no execution: nbval has checked them). Everything a page loads is local: MathJax 3 comes
# from the npm package in node_modules/ (installed from package-lock.json when missing), copied
# into build/site/_static/mathjax/. Runs offline. Open build/site/index.html.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NOTEBOOKS_DIR="$(realpath "${1:-${NOTEBOOKS_DIR:-$ROOT/notebooks}}")"
BUILD_DIR="$(realpath -m "${BUILD_DIR:-$ROOT/build}")"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x "$ROOT/.venv/bin/python" ]]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
SRC="$BUILD_DIR/site_src"        # the assembled Sphinx source folder
OUT="$BUILD_DIR/site"
DOCTREES="$BUILD_DIR/.site_doctrees"

# --- local JavaScript, only when missing (scripts/node_assets.sh) ---
source "$ROOT/scripts/node_assets.sh"
ensure_node_modules

shopt -s nullglob
lessons=("$NOTEBOOKS_DIR"/[0-9][0-9]_*.ipynb)
shopt -u nullglob
if (( ${#lessons[@]} == 0 )); then
    echo "build_site: no lesson notebooks (NN_topic.ipynb) in $NOTEBOOKS_DIR" >&2
    exit 1
fi

# --- assemble the source folder: conf.py, index.md, references.md, the lessons and any files they link ------
# Only changed files are rewritten, so that Sphinx rebuilds only the lessons that changed. Speaker
# notes (cells of slide type "notes") become asides titled "For instructors", and each lesson
# says where the learner's own exercise copy is (scripts/site_pages.py).
mkdir -p "$SRC"
cp -p "$ROOT/docs/conf.py" "$ROOT/docs/index.md" "$ROOT/docs/references.md" "$SRC/"
"$PYTHON" "$ROOT/scripts/site_pages.py" stage "$NOTEBOOKS_DIR" "$SRC"

# --- build ------------------------------------------------------------------------------------
echo "build_site: ${#lessons[@]} lesson(s) from $NOTEBOOKS_DIR -> $OUT"
# Every lesson is read and written again (-E -a): each page's sidebar and its links to other lessons
# (resolved when a lesson is read) must see the lessons as they are now, including any new one.
for page in "$OUT"/[0-9][0-9]_*.html; do
    [[ -e "$page" && ! -e "$SRC/$(basename "${page%.html}").ipynb" ]] && rm -f "$page"
done
"$PYTHON" -m sphinx -b html -E -a -q -j auto -d "$DOCTREES" "$SRC" "$OUT"

# MathJax 3 (its es5 bundle with fonts and extensions) beside the pages.
if ! cmp -s "$ROOT/node_modules/mathjax/package.json" "$OUT/_static/mathjax/.package.json" 2>/dev/null; then
    rm -rf "$OUT/_static/mathjax"
    cp -r "$ROOT/node_modules/mathjax/es5" "$OUT/_static/mathjax"
    cp "$ROOT/node_modules/mathjax/package.json" "$OUT/_static/mathjax/.package.json"
fi

# --- guard: no page may load a script or a stylesheet from the network -----------------------
"$PYTHON" "$ROOT/scripts/site_pages.py" check "$OUT"
echo "build_site: done; open $OUT/index.html"
