#!/usr/bin/env bash
# make slides: one reveal.js deck per lesson, built into build/slides/.
#
#   bash scripts/build_slides.sh [NOTEBOOK_DIR]
#
# NOTEBOOK_DIR (or the NOTEBOOKS_DIR environment variable; default notebooks/) holds the lessons,
# NN_topic.ipynb, executed with outputs; its exercises/ folder is left out. BUILD_DIR (default
# build/) is where build/slides/ goes. The decks come from `jupyter nbconvert --to slides` with the
# stored outputs and the cells' slide metadata (View > Cell metadata, "slideshow.slide_type":
# slide, subslide, fragment, "-" to continue, skip, notes). Cells of type "notes" become speaker
# notes (press s in a deck). A lesson with no slide metadata at all still gets a usable deck: each
# "#"/"##" heading starts a slide and each "###" heading a sub-slide (a warning says so).
# Cells tagged remove-cell are left out, remove-input shows only the output, remove-output only
# the code (the same tags the website honours).
#
# reveal.js 4, MathJax 2.7, require.js and jQuery come from the pinned npm packages in
# node_modules/ (npm ci from package-lock.json, only when missing) and are copied to
# build/slides/_static/, so a deck opens from file:// or any local web server, with no network.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NOTEBOOKS_DIR="$(realpath "${1:-${NOTEBOOKS_DIR:-$ROOT/notebooks}}")"
BUILD_DIR="$(realpath -m "${BUILD_DIR:-$ROOT/build}")"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x "$ROOT/.venv/bin/python" ]]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
STAGE="$BUILD_DIR/.slides_src"   # copies of the lessons, with fallback slide metadata if needed
OUT="$BUILD_DIR/slides"
NM="$ROOT/node_modules"

# --- local JavaScript, only when missing (scripts/node_assets.sh) ---
source "$ROOT/scripts/node_assets.sh"
ensure_node_modules

shopt -s nullglob
lessons=("$NOTEBOOKS_DIR"/[0-9][0-9]_*.ipynb)
shopt -u nullglob
if (( ${#lessons[@]} == 0 )); then
    echo "build_slides: no lesson notebooks (NN_topic.ipynb) in $NOTEBOOKS_DIR" >&2
    exit 1
fi

# --- the JavaScript beside the decks (copied once per version) --------------------------------
mkdir -p "$OUT/_static"
copy_once() {  # copy_once NAME: refresh _static/NAME when its npm package changed
    local name="$1" pkg="$NM/$1/package.json" stamp="$OUT/_static/.$1.package.json"
    if cmp -s "$pkg" "$stamp"; then return 1; fi
    rm -rf "${OUT:?}/_static/$name"; return 0
}
if copy_once reveal.js; then
    mkdir -p "$OUT/_static/reveal.js"
    cp -r "$NM/reveal.js/dist" "$NM/reveal.js/plugin" "$NM/reveal.js/LICENSE" "$OUT/_static/reveal.js/"
    # Some reveal.js themes @import web fonts from a CDN: leave those out (the deck uses "white").
    grep -lE '@import[^;]*https?://' "$OUT"/_static/reveal.js/dist/theme/*.css | xargs -r rm -f
    cp "$NM/reveal.js/package.json" "$OUT/_static/.reveal.js.package.json"
fi
if copy_once mathjax2; then
    # MathJax 2.7: the TeX input, every output jax (the menu can switch), the TeX fonts only.
    mkdir -p "$OUT/_static/mathjax2/fonts/HTML-CSS"
    cp -r "$NM/mathjax2/MathJax.js" "$NM/mathjax2/LICENSE" "$NM/mathjax2/config" "$NM/mathjax2/extensions" \
          "$NM/mathjax2/jax" "$NM/mathjax2/localization" "$OUT/_static/mathjax2/"
    cp -r "$NM/mathjax2/fonts/HTML-CSS/TeX" "$OUT/_static/mathjax2/fonts/HTML-CSS/"
    cp "$NM/mathjax2/package.json" "$OUT/_static/.mathjax2.package.json"
fi
cp "$NM/requirejs/require.js" "$NM/jquery/dist/jquery.min.js" "$OUT/_static/"

# --- stage the lessons, with fallback slide metadata for a lesson that has none ---------------
rm -rf "$STAGE" && mkdir -p "$STAGE"
"$PYTHON" - "$STAGE" "${lessons[@]}" <<'EOF'
import re, sys
from pathlib import Path
import nbformat

stage, paths = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
for path in paths:
    nb = nbformat.read(path, as_version=4)
    if not any("slideshow" in c.metadata for c in nb.cells):
        print(f"build_slides: warning: {path.name} has no slide metadata; "
              "slides follow its headings (# / ## start a slide, ### a sub-slide)", file=sys.stderr)
        for i, cell in enumerate(nb.cells):
            first = cell.source.lstrip().split("\n", 1)[0] if cell.cell_type == "markdown" else ""
            kind = "-"
            if i == 0 or re.match(r"#{1,2}\s", first):
                kind = "slide"
            elif re.match(r"###\s", first):
                kind = "subslide"
            cell.metadata["slideshow"] = {"slide_type": kind}
    nbformat.write(nb, stage / path.name)
EOF

# --- the decks ---------------------------------------------------------------------------------
echo "build_slides: ${#lessons[@]} deck(s) from $NOTEBOOKS_DIR -> $OUT"
"$PYTHON" -m jupyter nbconvert --to slides --log-level=WARN \
    --TemplateExporter.extra_template_basedirs="$ROOT/docs/slides_template" \
    --template=lstm_reveal \
    --SlidesExporter.reveal_url_prefix=_static/reveal.js \
    --SlidesExporter.mathjax_url='_static/mathjax2/MathJax.js?config=TeX-AMS_CHTML-full,Safe' \
    --SlidesExporter.require_js_url=_static/require.js \
    --SlidesExporter.jquery_url=_static/jquery.min.js \
    --SlidesExporter.jupyter_widgets_base_url= \
    --SlidesExporter.reveal_theme=white \
    --SlidesExporter.reveal_transition=slide \
    --SlidesExporter.reveal_number=c/t \
    --SlidesExporter.reveal_scroll=True \
    --SlidesExporter.exclude_input_prompt=True \
    --SlidesExporter.exclude_output_prompt=True \
    --TagRemovePreprocessor.enabled=True \
    --TagRemovePreprocessor.remove_cell_tags=remove-cell \
    --TagRemovePreprocessor.remove_input_tags=remove-input \
    --TagRemovePreprocessor.remove_all_outputs_tags=remove-output \
    --output-dir="$OUT" "$STAGE"/*.ipynb

# Drop decks of lessons that no longer exist, then write an index of the decks.
"$PYTHON" - "$OUT" "$STAGE" <<'EOF'
import html, json, sys
from pathlib import Path

out, stage = Path(sys.argv[1]), Path(sys.argv[2])
names = sorted(p.stem for p in stage.glob("*.ipynb"))
for deck in out.glob("*.slides.html"):
    if deck.name.removesuffix(".slides.html") not in names:
        deck.unlink()
items = []
for name in names:
    nb = json.loads((stage / f"{name}.ipynb").read_text(encoding="utf-8"))
    title = name
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    title = line.lstrip("#").strip()
                    break
            if title != name:
                break
    items.append(f'<li><a href="{html.escape(name)}.slides.html">{html.escape(title)}</a></li>')
(out / "index.html").write_text(f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>The LSTM course: slides</title>
<style>body{{font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.5;padding:0 1em}}
kbd{{border:1px solid #aaa;border-radius:3px;padding:0 .3em;background:#f6f6f6}}</style></head>
<body><h1>The LSTM course: slides</h1>
<ol>
{chr(10).join(items)}
</ol>
<h2>Keys</h2>
<ul>
<li><kbd>&rarr;</kbd>/<kbd>space</kbd> next, <kbd>&larr;</kbd> previous, <kbd>&darr;</kbd>/<kbd>&uarr;</kbd> sub-slides</li>
<li><kbd>s</kbd> speaker view: notes, next slide and a timer in a second window (allow pop-ups)</li>
<li><kbd>f</kbd> full screen, <kbd>o</kbd>/<kbd>esc</kbd> overview, <kbd>b</kbd> or <kbd>.</kbd> black screen</li>
<li>Append <code>?print-pdf</code> to a deck's address and print it from Chromium/Chrome for a PDF handout.</li>
</ul>
<p>The website of the course is in <a href="../site/index.html">../site/</a> (make site).</p>
</body></html>
""", encoding="utf-8")
EOF

# --- guard: no deck may load anything from the network ----------------------------------------
# Comments in the stock template's CSS/JS cite web pages; they are removed so that the only
# http(s) addresses left in a deck are links (<a href>) written in the lessons themselves.
# Links between lessons (NN_topic.ipynb) are pointed at the decks (NN_topic.slides.html).
"$PYTHON" - "$OUT" <<'EOF'
import re, sys
from pathlib import Path

URL = r"(?:https?:)?//[\w.-]+\.[a-z]{2,}"
load = re.compile(r"""(?:<(?:script|link|img|iframe|source|video|audio|embed)\b[^>]*?\b(?:src|href|data)\s*=\s*["']?|\bimport\s[^;]*?from\s*["']|\bimport\(\s*["']|@import\s+(?:url\()?\s*["']?|url\(\s*["']?)""" + URL, re.I | re.S)
style = re.compile(r"(<style\b[^>]*>)(.*?)(</style>)", re.I | re.S)
css_comment = re.compile(r"/\*.*?\*/", re.S)
js_comment_line = re.compile(r"^[ \t]*//[^\n]*https?://[^\n]*\n", re.M)
link = re.compile(r"<a\b[^>]*>.*?</a>", re.I | re.S)
bad, other = [], []
for p in sorted(Path(sys.argv[1]).glob("*.html")):
    text = p.read_text(encoding="utf-8")
    new = style.sub(lambda m: m.group(1) + css_comment.sub(lambda c: "" if "http" in c.group(0) else c.group(0), m.group(2)) + m.group(3), text)
    new = js_comment_line.sub("", new)
    # a link to another lesson's notebook leads to that lesson's deck
    new = re.sub(r"""(<a\b[^>]*\bhref=["'])(\d\d_[^"'/#?]+)\.ipynb(?=[#"'])""", r"\1\2.slides.html", new)
    if new != text:
        p.write_text(new, encoding="utf-8")
    bad += [f"{p.name}: {m.group(0)[:120]}" for m in load.finditer(new)]
    other += [f"{p.name}: {m.group(0)}" for m in re.finditer(r"https?://[^\s\"'<>)]+", link.sub("", new))]
if other:
    print("build_slides: note: web addresses in the decks' text (not loaded):\n  " + "\n  ".join(other), file=sys.stderr)
if bad:
    print("build_slides: these decks load something from the network:\n  " + "\n  ".join(bad), file=sys.stderr)
    sys.exit(1)
EOF
echo "build_slides: done; open $OUT/index.html (s: speaker notes)"
