"""The Gradescope bundle installs what pyproject.toml asks for: its fallback list (a checkout never
installed) and the list it reads from the installed metadata both equal `dependencies` + `grade`."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from bpteach.grading import gradescope

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _declared() -> set[str]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    return _normal([*project["dependencies"], *project["optional-dependencies"]["grade"]])


def _normal(reqs) -> set[str]:
    """One spelling per requirement (metadata writes `ipywidgets<9,>=8.1.9` for `ipywidgets>=8.1.9,<9`)."""
    out = set()
    for text in reqs:
        req = Requirement(text)
        out.add(f"{req.name.lower()}{','.join(sorted(str(s) for s in req.specifier))}")
    return out


def test_fallback_requirements_equal_pyproject() -> None:
    assert _normal(gradescope.FALLBACK_REQUIREMENTS) == _declared()


def test_installed_requirements_equal_pyproject() -> None:
    try:
        metadata.requires("bpteach")
    except metadata.PackageNotFoundError:
        pytest.skip("bpteach is not installed: the fallback list is the one used")
    assert _normal(gradescope._requirements()) == _declared()
