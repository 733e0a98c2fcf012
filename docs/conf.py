"""Sphinx configuration of the course website (``make site``, scripts/build_site.sh).

The build script assembles a source folder (build/site_src/) from this file, docs/index.md and
the lesson notebooks (notebooks/NN_topic.ipynb), then runs Sphinx on it. Everything the pages
load comes from local files: MathJax 3 is copied from node_modules/ into _static/mathjax/.
"""

project = "The LSTM course"
author = "The lstm_course authors"
copyright = "the lstm_course authors, MIT licence"
html_title = "The LSTM course"

extensions = ["myst_nb"]

# The notebooks are executed and validated by nbval (make test); the site shows their stored
# outputs and never executes them again.
nb_execution_mode = "off"
# No widget manager from a CDN: the lessons keep a plain-text fallback for every widget.
nb_ipywidgets_js = {}
# Notebook markdown: $...$, $$...$$ and \begin{align} math; heading anchors for deep links.
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

exclude_patterns = ["_build", "**.ipynb_checkpoints", "exercises", "README*.md", "slides_template"]
suppress_warnings = ["mystnb.unknown_mime_type"]

# MathJax 3 from the local copy that scripts/build_site.sh places in _static/mathjax/
# (a relative mathjax_path is resolved against _static/). No CDN.
mathjax_path = "mathjax/tex-mml-chtml.js"
mathjax3_config = {"tex": {"tags": "ams"}}

html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": True,
    "use_repository_button": False,
    "navigation_with_keys": True,
}
# Light by default (the lessons' figures are drawn on white); the reader can switch to dark.
html_context = {"default_mode": "light"}
html_show_sourcelink = False
html_copy_source = True  # the download button offers the .ipynb
