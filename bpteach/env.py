"""The set-up check of notebook 01: is this environment able to run the series?"""

from __future__ import annotations

import importlib.metadata as md
import io
import sys


def _version(pkg: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in md.version(pkg).split(".")[:2])
    except (md.PackageNotFoundError, ValueError):
        return (0,)


def check_environment() -> dict[str, bool]:
    """Each requirement of the series and whether it holds; versions are not printed
    because they differ between installs, the requirements do not."""
    from matplotlib.figure import Figure

    from . import __version__

    png = io.BytesIO()
    Figure(figsize=(0.5, 0.5)).savefig(png, format="png")  # the Agg canvas: no display needed
    return {
        "Python >= 3.10": sys.version_info >= (3, 10),
        "numpy >= 1.24": _version("numpy") >= (1, 24),
        "matplotlib draws PNG without a screen": png.getvalue().startswith(b"\x89PNG"),
        "ipywidgets 8": _version("ipywidgets")[0] == 8,
        # the bpteach this kernel imports is the installed one (`make lab`), not a stray copy on the path
        "bpteach importable from this kernel": _version("bpteach") == tuple(map(int, __version__.split(".")[:2])),
    }
