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

# --- assemble the source folder: conf.py, index.md, the lessons and any files they link ------
# Only changed files are rewritten, so that Sphinx rebuilds only the lessons that changed. Cells of
# slide type "notes" (speaker notes) are tagged remove-cell: they show in the slides' speaker view only.
mkdir -p "$SRC"
cp -p "$ROOT/docs/conf.py" "$ROOT/docs/index.md" "$SRC/"
"$PYTHON" - "$NOTEBOOKS_DIR" "$SRC" <<'EOF'
import filecmp, json, shutil, sys
from pathlib import Path

src, dst = Path(sys.argv[1]), Path(sys.argv[2])
keep = {"conf.py", "index.md"}
skip_dirs = {"exercises", ".ipynb_checkpoints", "__pycache__"}
wanted = {}
for p in src.rglob("*"):
    rel = p.relative_to(src)
    if p.is_dir() or set(rel.parts) & skip_dirs or rel.name.startswith("."):
        continue
    # the lessons themselves, and the images/data files their markdown may link (not other notebooks)
    if p.suffix == ".ipynb" and not (len(rel.parts) == 1 and rel.name[:2].isdigit() and rel.name[2] == "_"):
        continue
    wanted[rel] = p
for p in sorted(dst.rglob("*"), reverse=True):  # drop what is no longer in the notebook folder
    rel = p.relative_to(dst)
    if p.is_file() and rel not in wanted and str(rel) not in keep:
        p.unlink()
    elif p.is_dir() and not any(p.iterdir()):
        p.rmdir()
for rel, p in wanted.items():
    q = dst / rel
    if p.suffix == ".ipynb":
        # Speaker notes (cells of slide type "notes") belong to the slides, not to the reader's page.
        nb = json.loads(p.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell.get("metadata", {}).get("slideshow", {}).get("slide_type") == "notes":
                tags = cell["metadata"].setdefault("tags", [])
                if "remove-cell" not in tags:
                    tags.append("remove-cell")
        text = json.dumps(nb, ensure_ascii=False, indent=1) + "\n"
        if not q.exists() or q.read_text(encoding="utf-8") != text:
            q.write_text(text, encoding="utf-8")
    elif not q.exists() or not filecmp.cmp(p, q, shallow=False):
        q.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, q)
EOF

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
"$PYTHON" - "$OUT" <<'EOF'
import re, sys
from pathlib import Path

remote = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I | re.S)
css_remote = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*["']?(?:https?:)?//""", re.I)
bad = []
for p in Path(sys.argv[1]).rglob("*"):
    if p.suffix in {".html", ".css"} and "_static/mathjax" not in p.as_posix():
        text = p.read_text(encoding="utf-8", errors="replace")
        for m in list(remote.finditer(text)) + list(css_remote.finditer(text)):
            bad.append(f"{p}: {m.group(0)[:120]}")
if bad:
    print("build_site: these pages load something from the network:\n  " + "\n  ".join(bad), file=sys.stderr)
    sys.exit(1)
EOF
echo "build_site: done; open $OUT/index.html"
