# Sourced by build_site.sh and build_slides.sh (ROOT set): the pinned JavaScript (MathJax,
# reveal.js, require.js, jQuery) in node_modules/, installed with `npm ci` from package-lock.json
# only when something is missing or the lock file changed.
ensure_node_modules() {
    local nm="$ROOT/node_modules"
    local need=(mathjax/es5/tex-mml-chtml.js mathjax2/MathJax.js reveal.js/dist/reveal.js
                requirejs/require.js jquery/dist/jquery.min.js)
    local f missing=0
    for f in "${need[@]}"; do [[ -f "$nm/$f" ]] || missing=1; done
    if [[ -f "$nm/.package-lock.json" && "$ROOT/package-lock.json" -nt "$nm/.package-lock.json" ]]; then
        missing=1
    fi
    if (( missing )); then
        command -v npm >/dev/null || { echo "build: npm is needed once to fetch MathJax/reveal.js (apt-get install npm)" >&2; exit 1; }
        echo "build: installing the pinned JavaScript packages (npm ci) into node_modules/"
        (cd "$ROOT" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    fi
}
