"""The exercises that end the teaching notebooks: one module per notebook (n02.py for 02-..., ...).

Each module lists its `EXERCISES`; their grade_ids start with the notebook's number
(`n04-...`), so that no two notebooks share one.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..spec import Exercise

SERIES: list[Exercise] = [
    exercise
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
    for exercise in importlib.import_module(f"{__name__}.{info.name}").EXERCISES
]
