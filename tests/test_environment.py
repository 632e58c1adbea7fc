"""environment.yml (conda, which we cannot run here) must ask for exactly what pyproject.toml asks for."""

import pathlib
import sys

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

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
