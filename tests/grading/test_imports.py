"""bpteach/grading imports as its pipeline runs: no module imports one that imports it back
(counting imports inside functions too, which only hide a circle until the call)."""

from __future__ import annotations

import ast
from pathlib import Path

import bpteach.grading

PACKAGE = Path(bpteach.grading.__file__).parent


def _graph() -> dict[str, set[str]]:
    """Each module of the package -> the package's modules it imports (the package itself left out)."""
    names = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    graph = {}
    for name in names:
        deps = set()
        for node in ast.walk(ast.parse((PACKAGE / f"{name}.py").read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:  # from . import x
                    deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bpteach.grading."):
                deps.add(node.module.split(".")[2])
        graph[name] = deps & names
    return graph


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return path[path.index(dep) :] + [node, dep] if dep in path else [node, dep]
            if dep not in state and (found := visit(dep, path + [node])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [])):
            return found
    return None


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert "catalogue" in graph["batch"] and "catalogue" in graph["grade"] and "grade" in graph["batch"]


def test_no_import_circle_in_grading() -> None:
    assert _circle(_graph()) is None


def test_the_circle_finder_finds_one() -> None:
    assert _circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None
