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
# the code (the same tags the website honours). The decks are laid out for a 1280x720 screen:
# scripts/slide_decks.py shortens long code and output and splits tall slides into sub-slides
# (the lessons themselves are not changed).
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

# --- stage the lessons: copies that fit a 1280x720 screen (scripts/slide_decks.py) ------------
rm -rf "$STAGE" && mkdir -p "$STAGE"
"$PYTHON" "$ROOT/scripts/slide_decks.py" stage "$STAGE" "${lessons[@]}"

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
    --SlidesExporter.reveal_scroll=False \
    --SlidesExporter.reveal_width=1280 \
    --SlidesExporter.reveal_height=720 \
    --SlidesExporter.exclude_input_prompt=True \
    --SlidesExporter.exclude_output_prompt=True \
    --TagRemovePreprocessor.enabled=True \
    --TagRemovePreprocessor.remove_cell_tags=remove-cell \
    --TagRemovePreprocessor.remove_input_tags=remove-input \
    --TagRemovePreprocessor.remove_all_outputs_tags=remove-output \
    --output-dir="$OUT" "$STAGE"/*.ipynb

# Drop decks of lessons that no longer exist, write an index of the decks, then the guard: no deck
# may load anything from the network (comments citing web pages are removed from the stock
# template's CSS/JS), and links between lessons (NN_topic.ipynb) lead to the decks.
"$PYTHON" "$ROOT/scripts/slide_decks.py" index "$OUT" "$STAGE"
"$PYTHON" "$ROOT/scripts/slide_decks.py" finalize "$OUT"
echo "build_slides: done; open $OUT/index.html (s: speaker notes)"
