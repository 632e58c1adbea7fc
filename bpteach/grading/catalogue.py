"""The catalogue of exercise sources: the trusted notebooks shipped with bpteach, the one a
submission answers, what each holds, and the seed that draws the cases.

The trusted exercise notebooks (with solutions) ship inside the package, in
`bpteach/grading/notebooks/`, and are found through importlib.resources, so an installed
`bpteach[grade]` grades with no checkout.

Both `batch` (a folder) and `grade` (one submission) start here: `batch` calls `grade`, and
`grade` never imports `batch`, so the grading package has no import circle (tests/grading/test_imports.py).
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
from importlib import resources
from pathlib import Path

from .assign import locked_hash, read_notebook, stub_source, student_notebook
from .exercises import BY_ID


class GradingError(RuntimeError):
    """Nothing can be graded: no exercise source, an unreadable one, or no submission."""


WORKBOOK = "backprop-exercises"  # the seven exercises of the backward pass, in a notebook of their own


def sources() -> dict[str, Path]:
    """The shipped exercise notebooks, by name (several: one per teaching notebook that has exercises)."""
    folder = resources.files("bpteach.grading") / "notebooks"
    found = {}
    if folder.is_dir():
        found = {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".ipynb")}
    return found


def source_for(submission: Path, cells: list | None = None) -> Path:
    """The shipped notebook a submission answers: the one sharing most grade_ids, then most of
    the functions its solution cells define, then its file name; with no clue at all, the workbook.

    Set intersections against each shipped notebook's own grade_ids and functions: a submission
    with a million cells or `def`s costs one pass over it, not a text search per name and notebook.
    """
    shipped = sources()
    if not shipped:
        raise GradingError("no exercise notebook is installed with bpteach (bpteach/grading/notebooks/ is empty)")
    if len(shipped) == 1:
        return next(iter(shipped.values()))
    cells = [c for c in cells or [] if isinstance(c, dict)]
    ids = {str(((c.get("metadata") or {}).get("nbgrader") or {}).get("grade_id")) for c in cells}
    code = "\n".join(c["source"] for c in cells if isinstance(c.get("source"), str))
    names = set(re.findall(r"^def (\w+)\(", code, re.M))

    def score(path: Path) -> tuple:
        known_ids, functions = _answers(path)
        return (len(ids & known_ids), len(names & functions), path.stem in submission.stem, path.stem == WORKBOOK)

    return max(sorted(shipped.values()), key=score)


@functools.lru_cache(maxsize=64)
def _answers(path: Path) -> tuple[frozenset, frozenset]:
    """A shipped notebook's grade_ids and the functions its solution cells define (bpteach metadata)."""
    cells = json.loads(path.read_text()).get("cells", [])
    metas = [c.get("metadata", {}) for c in cells]
    ids = {str(m.get("nbgrader", {}).get("grade_id")) for m in metas if m.get("nbgrader", {}).get("grade_id")}
    functions = {str(m.get("bpteach", {}).get("function")) for m in metas if m.get("bpteach", {}).get("function")}
    return frozenset(ids), frozenset(functions)


def trusted(source_path: Path) -> tuple[list[str], list, dict]:
    """The source notebook's set-up cells, its exercises (solution, stub) and its locked cells."""
    nb = read_notebook(source_path)
    setup, exercises, locked = [], [], {}
    for cell, handed_out in zip(nb.cells, student_notebook(nb).cells, strict=True):
        meta, bp = cell.metadata.get("nbgrader", {}), cell.metadata.get("bpteach", {})  # ours: no need to clean
        if meta.get("locked") and meta.get("grade_id"):  # as written, or as handed out (hidden tests removed)
            locked[meta["grade_id"]] = {locked_hash(cell.source), locked_hash(handed_out.source)}
        if cell.cell_type == "code" and bp.get("setup"):
            setup.append(cell.source)
        if meta.get("solution") and meta.get("grade_id") in BY_ID:
            exercises.append((BY_ID[meta["grade_id"]], stub_source(cell.source)))
    return setup, exercises, locked


def trusted_or_fail(source: Path | str) -> tuple[list[str], list, dict]:
    """The trusted source's set-up, exercises and locked cells, or a GradingError saying why not."""
    try:
        setup, exercises, locked = trusted(Path(source))
    except Exception as err:
        raise GradingError(f"cannot read the exercise source {source}: {type(err).__name__}: {err}") from err
    if not exercises:
        raise GradingError(f"no exercise found in {source} (no solution cell with a known grade_id)")
    return setup, exercises, locked


def pick_seed(seed: int | None) -> int:
    """The seed given, else $BPTEACH_GRADER_SEED, else a fresh random one (a run's cases unknown in advance)."""
    if seed is not None:
        return int(seed)
    env = os.environ.get("BPTEACH_GRADER_SEED")
    return int(env) if env else secrets.randbits(32)
