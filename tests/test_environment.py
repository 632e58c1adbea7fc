"""environment.yml (conda, which we cannot run here) must ask for exactly what pyproject.toml asks for."""

import json
import os
import pathlib
import runpy
import sys

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
# PyPI name -> conda-forge name, where they differ.
CONDA_NAMES = {"pyyaml": "pyyaml", "torch": "pytorch"}
# Extras that conda users install by hand (documented in the README), not from environment.yml.
NOT_IN_CONDA = {"bench"}


def _pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra, deps in project.get("optional-dependencies", {}).items():
        if extra not in NOT_IN_CONDA:
            reqs += deps
    out = {}
    for r in map(Requirement, reqs):
        if r.name.lower() == "bpteach":
            continue
        name = CONDA_NAMES.get(r.name.lower(), r.name.lower())
        if name in out and out[name] != r.specifier:
            raise AssertionError(f"pyproject.toml asks for {name} twice, differently: {out[name]} and {r.specifier}")
        out[name] = r.specifier
    return out, project["requires-python"]


def _conda_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out, pip = {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip += dep["pip"]
            continue
        r = Requirement(dep.replace(" ", ""))
        out[r.name.lower()] = r.specifier
    return out, pip


def test_environment_yml_matches_pyproject():
    wanted, requires_python = _pyproject_requirements()
    conda, pip = _conda_requirements()
    assert conda.pop("python") == SpecifierSet(requires_python)
    assert conda.pop("pip") == SpecifierSet()
    missing = sorted(set(wanted) - set(conda))
    extra = sorted(set(conda) - set(wanted))
    assert not missing, f"in pyproject.toml but not in environment.yml: {missing}"
    assert not extra, f"in environment.yml but not in pyproject.toml: {extra}"
    differ = {n: (str(wanted[n]), str(conda[n])) for n in wanted if wanted[n] != conda[n]}
    assert not differ, f"version specifiers differ (pyproject, conda): {differ}"
    assert pip == ["-e ."], "bpteach itself is installed from the checkout"


def test_channels_are_conda_forge_only():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]


# -- the floor: `make test-oldest` installs pyproject's lowest versions and runs the tests there --

OLDEST = ROOT / "tests" / "oldest-constraints.txt"


def _pins():
    pins = {}
    for line in OLDEST.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            r = Requirement(line)
            (spec,) = r.specifier
            assert spec.operator == "==", f"{OLDEST.name}: pin {r.name} with ==, got {spec}"
            pins[r.name.lower()] = spec.version
    return pins


def _floor(specifier: SpecifierSet) -> str | None:
    lows = [s.version for s in specifier if s.operator == ">="]
    return lows[0] if lows else None


def test_oldest_constraints_are_pyprojects_floors():
    wanted, requires_python = _pyproject_requirements()
    pins = _pins()
    for name in ("numpy", "matplotlib", "ipywidgets", "jupyterlab"):
        floor = _floor(wanted[name])
        assert name in pins, f"{OLDEST.name} does not pin {name}"
        assert Version(pins[name]) == Version(floor), f"{name}: pyproject's floor is {floor}, pinned {pins[name]}"
    makefile = (ROOT / "Makefile").read_text()
    floor_python = _floor(SpecifierSet(requires_python))
    assert f"PYTHON_OLDEST ?= python{floor_python}\n" in makefile
    assert f"PYENV_VERSION={floor_python} " in makefile


@pytest.mark.skipif("BPTEACH_OLDEST" not in os.environ, reason="runs inside `make test-oldest` only")
def test_this_run_has_the_oldest_versions():
    from importlib.metadata import version

    for name, pinned in _pins().items():
        assert Version(version(name)) == Version(pinned), name
    _, requires_python = _pyproject_requirements()
    python = "{}.{}".format(*sys.version_info[:2])
    if (pathlib.Path(sys.prefix) / ".python-not-oldest").exists():  # the Makefile found no python3.10
        pytest.skip(f"the oldest Python was not available: this run used Python {python}")
    assert python == _floor(SpecifierSet(requires_python))


def test_jupyterlab_opens_without_the_news_pop_up():
    """`make lab` installs jupyterlab-settings/overrides.json into the venv; its keys are JupyterLab's own."""
    overrides = json.loads((ROOT / "jupyterlab-settings" / "overrides.json").read_text())
    lab = pathlib.Path(sys.prefix) / "share" / "jupyter" / "lab"
    for plugin, values in overrides.items():
        package, name = plugin.split(":")
        schema = json.loads((lab / "schemas" / package / f"{name}.json").read_text())
        assert set(values) <= set(schema["properties"]), plugin
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    installed = lab / "settings" / "overrides.json"
    assert installed.is_file() and json.loads(installed.read_text()) == overrides, "make lab did not install it"


def test_the_files_make_test_starts_first_exist():
    """conftest.py's SLOWEST_FIRST schedules by path: a renamed file would quietly fall back to the end."""
    SLOWEST_FIRST = runpy.run_path(str(ROOT / "conftest.py"))["SLOWEST_FIRST"]
    missing = [p for p in SLOWEST_FIRST if not (ROOT / p).is_file()]
    assert not missing, f"conftest.SLOWEST_FIRST names files that do not exist: {missing}"
