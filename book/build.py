"""`make book`: the series (notebooks/NN-*.ipynb, stored outputs) as a static HTML book in build/book.

The notebooks are staged, not edited: each copy gets a first cell saying how to run it with a link to
download it, JupyterLab's folded cells (solutions, long checks) become Sphinx's folded "hide-input"
cells, and live widget views fall back to the text and picture stored beside them. MathJax comes from
Debian's libjs-mathjax (`.ci/apt-packages`), copied into the build, so a page loads nothing from
elsewhere. Usage: python book/build.py [OUT]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MATHJAX = Path("/usr/share/javascript/mathjax")
# what TeX input with CommonHTML output loads: MathJax's own files, the TeX woff fonts, English
MATHJAX_PARTS = ["MathJax.js", "config/TeX-AMS_CHTML.js", "extensions", "jax/input/TeX", "jax/output/CommonHTML",
                 "jax/element", "localization/en", "fonts/HTML-CSS/TeX/woff"]
WIDGET = "application/vnd.jupyter.widget-view+json"

HOW_TO_RUN = """\
```{{admonition}} Run this notebook
:class: tip
{{download}}`Download {name} <_nb/{name}>`, or get the whole series: in a clone of the repository,
`make lab`; without one, `pip install "bpteach[lab]"` then `bpteach lab my-bpteach`, which copies the
executed notebooks into `my-bpteach/` and opens JupyterLab there.
```
"""


def notebooks() -> list[Path]:
    return sorted((REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def stage(nb_path: Path, out: Path) -> None:
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        meta = cell.setdefault("metadata", {})
        if cell["cell_type"] == "code" and meta.get("jupyter", {}).get("source_hidden"):
            meta["tags"] = sorted(set(meta.get("tags", [])) | {"hide-input"})
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET, None)  # the text/plain beside it remains; pictures follow
    nb.get("metadata", {}).pop("widgets", None)
    first = {"cell_type": "markdown", "id": "bpteach-how-to-run", "metadata": {},
             "source": HOW_TO_RUN.format(name=nb_path.name)}
    title = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown")
    nb["cells"].insert(title + 1, first)  # under the notebook's own title, which names the page
    (out / nb_path.name).write_text(json.dumps(nb))
    (out / "_nb").mkdir(exist_ok=True)
    shutil.copy(nb_path, out / "_nb" / nb_path.name)  # the notebook as stored, for the download link


def build(out: Path) -> Path:
    src = out.parent / "book-src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(HERE, src, ignore=shutil.ignore_patterns("build.py", "__pycache__"))
    if not (MATHJAX / "MathJax.js").is_file():
        raise SystemExit("make book: MathJax is missing: apt-get install libjs-mathjax fonts-mathjax")
    for part in MATHJAX_PARTS:
        target = src / "_static" / "mathjax" / part
        if (MATHJAX / part).is_dir():
            shutil.copytree(MATHJAX / part, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(MATHJAX / part, target)
    names = [p.stem for p in notebooks()]
    for path in notebooks():
        stage(path, src)
    readme = (REPO / "README.md").read_text().split("\n## ", 2)
    (src / "index.md").write_text(
        "# bpteach: back-propagation, derived\n\n" + readme[0].split("\n", 1)[1].strip() + "\n\n"
        "```{toctree}\n:maxdepth: 1\n:caption: The series\n\n" + "\n".join(names) + "\n```\n"
    )
    html = out / "html"
    shutil.rmtree(html, ignore_errors=True)  # a page of a notebook since renamed must not linger
    done = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", "auto", str(src), str(html)])
    if done.returncode != 0:
        raise SystemExit(done.returncode)
    return html


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "build" / "book"
    print(build(out.resolve()) / "index.html")
