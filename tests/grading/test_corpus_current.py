"""The committed corpora are what tools/ builds today: a change to an exercise, to the student version
or to a generator that was not followed by a rebuild fails here, not later as a puzzling score."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def content(path: Path):
    """A file as JSON where it is JSON (another nbformat may lay out the same notebook differently), else bytes
    (the corpus holds broken files on purpose)."""
    data = path.read_bytes()
    try:
        return json.loads(data)
    except ValueError:
        return data


def same_files(built: Path, committed: Path, pattern: str) -> None:
    names = {p.name for p in built.glob(pattern)}
    assert names == {p.name for p in committed.glob(pattern)}, f"{committed}: the file sets differ"
    stale = sorted(n for n in names if content(built / n) != content(committed / n))
    assert not stale, f"{committed}: built differently today: {stale}"


@pytest.mark.parametrize("name", ["make_fixtures", "make_attacks"])
def test_the_committed_corpus_is_what_its_generator_builds(tmp_path, name):
    tool = load(name)
    committed = tool.OUT
    tool.OUT = tmp_path / "fixtures"
    if name == "make_attacks":
        tool.HERE, committed_here = tmp_path, tool.HERE  # where it writes expected.json
    tool.build()
    same_files(tool.OUT, committed, "*.ipynb")
    if name == "make_attacks":
        same_files(tmp_path, committed_here, "expected.json")
