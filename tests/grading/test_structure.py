"""bpteach/grading reads as its pipeline: every module short enough to read whole, and the submission
read once (the bytes its hidden inputs are drawn from are the bytes whose cells were graded)."""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest

import bpteach.grading
from bpteach.grading import grade, submission

PACKAGE = Path(bpteach.grading.__file__).parent
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_300_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 300


def test_the_submission_is_read_once(monkeypatch) -> None:
    target = FIXTURES / "source-with-solutions.ipynb"
    opened = []

    def counting_open(file, *args, **kwargs):
        if Path(str(file)) == target:
            opened.append(file)
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(submission, "open", counting_open, raising=False)
    report = grade.grade_submission(target, seed=7, sandbox="none")
    assert report["score"] == report["max_score"] == 14.0
    assert len(opened) == 1
