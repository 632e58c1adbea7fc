"""The submission, read once: its cells as clean dicts (whatever shape its JSON has), the bytes that seed
its hidden inputs, and the cell that answers each exercise. Nothing here runs its code."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

MAX_BYTES = 20 * 1024**2
MAX_CELLS = 10_000  # a notebook of the series has fewer than 100; each cell costs the grader (outside the sandbox)


def nbgrader(cell) -> dict:
    """A cell's nbgrader metadata, keeping only fields of the right type: any shape in, a clean dict out."""
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    data = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    if not isinstance(data, dict):
        return {}
    clean = {k: data[k] for k in ("grade", "solution", "locked") if isinstance(data.get(k), bool)}
    if isinstance(data.get("grade_id"), str):
        clean["grade_id"] = data["grade_id"]
    if isinstance(data.get("points"), (int, float)) and not isinstance(data.get("points"), bool):
        clean["points"] = data["points"]
    return clean


def source_of(cell) -> str:
    src = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(src, list):
        return "".join(x if isinstance(x, str) else "" for x in src)
    return src if isinstance(src, str) else ""


def no_links(path, flags: int) -> int:
    """Open the file itself: the kernel refuses a symbolic link (O_NOFOLLOW), and a FIFO does not block."""
    return os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK)


def read(path: Path) -> tuple[bytes, list[dict] | None, str | None]:
    """The submission, read once: its bytes (with the secret seed, what its hidden inputs are drawn from;
    up to MAX_BYTES + 1 of them) and its cells (`cells_of`), or None and why they cannot be read.

    Only a regular file counts, never what a symbolic link points to: the grader reads as its own user
    (root on Gradescope), so a link submitted in a repository or a zip would be graded as the notebook
    with the solutions, or as a classmate's."""
    try:
        with open(path, "rb", opener=no_links) as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return b"", None, "the submission is not a regular file (a FIFO or a device?): submit the notebook"
            data = f.read(MAX_BYTES + 1)
    except OSError as err:
        if err.errno == errno.ELOOP:
            return b"", None, "the submission is a symbolic link: submit the notebook file itself"
        return b"", None, f"the file could not be read as a notebook: {type(err).__name__}: {err}"
    except Exception as err:
        return b"", None, f"the file could not be read as a notebook: {type(err).__name__}: {err}"
    return (data, *cells_of(data))


def read_submission(path: Path) -> tuple[list[dict] | None, str | None]:
    """`read` without the bytes."""
    return read(path)[1:]


def cells_of(data: bytes) -> tuple[list[dict] | None, str | None]:
    """The notebook's cells as clean dicts (cell_type, source, nbgrader metadata), or an error message.

    Whatever shape the JSON has, every cell comes out with a str type, a str source and
    well-typed nbgrader fields, so nothing downstream can trip on it. Never raises.
    """
    try:
        if len(data) > MAX_BYTES:
            return None, f"the file is larger than {MAX_BYTES // 1024**2} MB"
        if not data.strip():
            return None, "the file is empty"
        raw = json.loads(data.decode("utf-8", errors="replace"))
        if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
            return None, "the file is JSON but not a notebook"
        if "cells" in raw:  # nbformat 4: read the cells as they are, whatever their metadata's shape
            cells = raw["cells"]
        else:  # nbformat 3: let nbformat convert the worksheets (counted first: conversion is slow)
            sheets = raw["worksheets"] if isinstance(raw["worksheets"], list) else []
            n = sum(len(w["cells"]) for w in sheets if isinstance(w, dict) and isinstance(w.get("cells"), list))
            if n > MAX_CELLS:
                return None, f"the notebook has {n} cells, more than {MAX_CELLS}"
            import nbformat  # its v3 converter; slow to import (jsonschema), and only needed here

            cells = nbformat.reads(json.dumps(raw), as_version=4).get("cells", [])
        if not isinstance(cells, list):
            return None, f"the file could not be read as a notebook: its cells are a {type(cells).__name__}"
        if len(cells) > MAX_CELLS:
            return None, f"the notebook has {len(cells)} cells, more than {MAX_CELLS}"
        return [_clean_cell(c) for c in cells if isinstance(c, dict)], None
    except json.JSONDecodeError as err:
        return None, f"the file is not valid JSON (truncated?): {err.msg} at line {err.lineno}"
    except Exception as err:
        return None, f"the file could not be read as a notebook: {type(err).__name__}: {err}"


def _clean_cell(cell: dict) -> dict:
    kind = cell.get("cell_type")
    return {"cell_type": kind if isinstance(kind, str) else "unknown", "source": source_of(cell),
            "metadata": {"nbgrader": nbgrader(cell)}}


def find_solution(cells, exercise):
    """The submission's cell for an exercise: by grade_id, else by `def function(`; the last wins."""
    name = exercise.names[0]
    by_id = [c for c in cells if nbgrader(c).get("grade_id") == exercise.grade_id]
    code_by_id = [c for c in by_id if c.get("cell_type") == "code"]
    if code_by_id:
        return code_by_id[-1], len(code_by_id) > 1, None
    by_name = [c for c in cells if c.get("cell_type") == "code" and f"def {name}(" in source_of(c)]
    if by_name:
        return by_name[-1], len(by_name) > 1, None
    if by_id:
        return None, False, f"the solution cell is now a {by_id[-1].get('cell_type')} cell, not code"
    return None, False, f"no cell defines {name}() and no cell has grade_id {exercise.grade_id}"
