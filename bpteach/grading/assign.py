"""`bpteach assign`: the student version of an exercise notebook, and its manifest.

Exercise notebooks are the workbook and every teaching notebook that ends with exercises.
`ship` copies the teaching notebooks (outputs cleared) into the package, so that an installed
grader has them: `make exercises` runs it, and a test keeps the copies up to date.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path

SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION\s*$.*?^[ \t]*### END SOLUTION\s*$", re.M | re.S)
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS\s*$.*?^[ \t]*### END HIDDEN TESTS\s*\n?", re.M | re.S)


class Node(dict):
    """A notebook, cell or metadata read from JSON, with attribute access as nbformat's NotebookNode.
    The grader reads its trusted notebooks with this: `import nbformat` pulls in jsonschema's format
    checkers (1.2 s of a 2.2 s `bpteach grade` here), and a notebook of ours needs no validation."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value


def _node(value):
    if isinstance(value, dict):
        return Node({k: _node(v) for k, v in value.items()})
    return [_node(v) for v in value] if isinstance(value, list) else value


def read_notebook(path) -> Node:
    """An nbformat-4 notebook as nbformat.read would give it (each cell's source one string)."""
    nb = _node(json.loads(Path(path).read_text(encoding="utf-8")))
    if nb.get("nbformat") != 4:
        raise ValueError(f"{path}: expected an nbformat 4 notebook, got nbformat {nb.get('nbformat')!r}")
    for cell in nb.cells:
        if isinstance(cell.get("source"), list):
            cell.source = "".join(cell.source)
    return nb


def stub_source(source: str) -> str:
    """The solution with its marked part replaced by a stub that raises NotImplementedError."""
    return SOLUTION.sub(lambda m: f'{m.group(1)}raise NotImplementedError("your code here")', source)


def normalise(source: str) -> str:
    """Source without trailing spaces or surrounding blank lines: what "unchanged" means."""
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def locked_hash(source: str) -> str:
    return hashlib.sha256(normalise(source).encode()).hexdigest()


def cleared(nb):
    """A copy without outputs, execution counts, timings or saved widget state."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    return nb


def student_notebook(nb):
    nb = cleared(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = HIDDEN.sub("", stub_source(cell.source))
        if cell.metadata.get("nbgrader", {}).get("solution"):  # the stub is the learner's to see
            cell.metadata.get("jupyter", {}).pop("source_hidden", None)
    nb.metadata.setdefault("bpteach", {})["student"] = True
    return nb


def assign(source, out_dir) -> tuple[Path, Path]:
    """Write OUT/<name>.ipynb (student version) and OUT/<name>.manifest.json; return both paths."""
    import nbformat  # the instructor's command, which writes notebooks nbformat's way

    source, out_dir = Path(source), Path(out_dir)
    nb = nbformat.read(source, as_version=4)
    student = student_notebook(nb)
    out_dir.mkdir(parents=True, exist_ok=True)
    nb_path = out_dir / source.name
    nbformat.write(student, nb_path)
    locked = {}
    for cell in student.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("locked") and meta.get("grade_id"):
            locked[meta["grade_id"]] = locked_hash(cell.source)
    manifest = {
        "source": source.name,
        "exercises": [
            c.metadata["nbgrader"]["grade_id"] for c in student.cells if c.metadata.get("nbgrader", {}).get("solution")
        ],
        "locked_cells": locked,
    }
    man_path = out_dir / f"{source.stem}.manifest.json"
    man_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return nb_path, man_path


def has_exercises(nb) -> bool:
    return any(c.metadata.get("nbgrader", {}).get("solution") for c in nb.cells)


def ship(notebooks, package) -> list[Path]:
    """Copy every teaching notebook with exercises from `notebooks` into `package`, outputs cleared."""
    import nbformat

    written = []
    for path in sorted(Path(notebooks).glob("[0-9][0-9]-*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if has_exercises(nb):
            nbformat.write(cleared(nb), Path(package) / path.name)
            written.append(Path(package) / path.name)
    return written

