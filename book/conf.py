"""Sphinx settings for `make book`: the series as a static web book, from the notebooks' stored
outputs (never executed here), with nothing loaded from outside the build: MathJax is copied in
from Debian's libjs-mathjax (see build.py), the theme's assets come with its wheel."""

project = "bpteach: back-propagation, derived"
author = "bpteach"
extensions = ["myst_nb"]
nb_execution_mode = "off"  # the stored outputs are the book; nbval checks them
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
html_theme = "sphinx_book_theme"
html_title = "bpteach: back-propagation, derived"
html_static_path = ["_static"]
html_css_files = ["bpteach.css"]
html_theme_options = {
    "use_download_button": True,  # each page offers its .ipynb
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
}
html_last_updated_fmt = None
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS_CHTML"  # served from the build, not a CDN
nb_ipywidgets_js = {}  # widget views show their stored text/picture: no require.js, no CDN
exclude_patterns = ["_build", "_nb"]
suppress_warnings = ["mystnb.unknown_mime_type", "misc.highlighting_failure"]
# Debian ships MathJax 2: its own configuration (Sphinx writes MathJax 3's otherwise)
mathjax2_config = {"tex2jax": {"processClass": "math|output_area", "ignoreClass": "document"},
                   "CommonHTML": {"linebreaks": {"automatic": True}}, "showMathMenu": False}
html_favicon = "_static/favicon.svg"  # or the browser asks for /favicon.ico, which is not there
