"""`bpteach lab [DIR]`: the executed series in a folder of the learner's own, opened in JupyterLab.

For a learner without a clone: `pip install "bpteach[lab]"`, then `bpteach lab`. The notebooks come
with the package (the wheel installs them under `<prefix>/share/bpteach/notebooks`, with their
stored outputs); in a checkout they are read from `notebooks/`. A file already in DIR is never
overwritten: it may hold the learner's edits.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path


def series() -> list[Path]:
    """The executed notebooks, in reading order: the installed copies, or a checkout's own."""
    # a venv's or system install puts them under sys.prefix, `pip install --user` under the user base
    installed = [Path(base, "share", "bpteach", "notebooks") for base in (sys.prefix, site.USER_BASE) if base]
    for folder in (*installed, Path(__file__).resolve().parents[1] / "notebooks"):
        found = sorted(folder.glob("[0-9][0-9]-*.ipynb"))
        if found:
            return found
    raise FileNotFoundError("the notebooks of the series are not installed: pip install 'bpteach[lab]'")


def copy_series(dest) -> tuple[list[Path], list[Path]]:
    """Copy the series into `dest`; return (copied, kept): a notebook already there is kept as it is."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    copied, kept = [], []
    for path in series():
        target = dest / path.name
        if target.exists():
            kept.append(target)
        else:
            shutil.copyfile(path, target)
            copied.append(target)
    return copied, kept


def lab(dest="bpteach-notebooks", open_lab: bool = True) -> int:
    copied, kept = copy_series(dest)
    print(f"bpteach lab: {len(copied)} notebooks copied into {dest}/", end="")
    print(f"; {len(kept)} already there kept as they are (your edits are safe)" if kept else "")
    if not open_lab:
        return 0
    jupyter = Path(sys.executable).with_name("jupyter")  # the one installed beside bpteach, by its [lab] extra
    if not jupyter.exists():
        print("bpteach lab: JupyterLab is not installed here: pip install 'bpteach[lab]'", file=sys.stderr)
        return 2
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []  # else JupyterLab refuses root
    return subprocess.call([str(jupyter), "lab", f"--ServerApp.root_dir={dest}", *root])
