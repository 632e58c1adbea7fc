"""The set-up check of notebook 01: is this environment able to run the series?"""

from __future__ import annotations

import importlib.metadata as md
import sys


def check_environment() -> dict[str, bool]:
    """Each requirement of the series and whether it holds; versions are not printed
    because they differ between installs, the requirements do not."""
    import matplotlib

    def major(pkg: str) -> int:
        return int(md.version(pkg).split(".")[0])

    return {
        "Python >= 3.10": sys.version_info >= (3, 10),
        "numpy >= 1.24": tuple(int(v) for v in md.version("numpy").split(".")[:2]) >= (1, 24),
        "matplotlib draws PNG without a screen": matplotlib.get_backend().lower() != "",
        "ipywidgets 8": major("ipywidgets") == 8,
        "bpteach importable from this kernel": "bpteach" in sys.modules,
    }
