"""The exercises that end the teaching notebooks: present, shipped, graded, and teachable.

The judge is checked without a sandbox first (cheap, every exercise, every hidden case): the
reference passes and each known mistake fails with its own hint. Then each teaching notebook's
full solution is graded in the sandbox and must score full marks, and its student version
(`bpteach assign`) must score zero, every exercise "not_attempted".
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from bpteach.grading.assign import assign, ship
from bpteach.grading.batch import WORKBOOK, source_for, sources
from bpteach.grading.exercises import BY_ID, EXERCISES
from bpteach.grading.grade import flatten, grade_submission, judge_case
from bpteach.grading.series import SERIES
from bpteach.grading.spec import case_rng

ROOT = Path(__file__).resolve().parents[2]
TEACHING = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
LAST_TEACHING = 13  # "from 02 to the last teaching notebook": 13-practice-with-pytorch
SHIPPED = {name: path for name, path in sources().items() if name != WORKBOOK}


def number(path: Path) -> int:
    return int(path.name[:2])


def solution_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


@pytest.mark.parametrize("path", [p for p in TEACHING if 2 <= number(p) <= LAST_TEACHING], ids=lambda p: p.stem)
def test_every_teaching_notebook_ends_with_a_graded_exercise(path):
    nb = nbformat.read(path, as_version=4)
    solutions = solution_cells(nb)
    assert solutions, f"{path.name} has no exercise"
    prefix = f"n{number(path):02d}-"
    for cell in solutions:
        gid = cell.metadata["nbgrader"]["grade_id"]
        assert gid.startswith(prefix) and gid in BY_ID, f"{gid}: no exercise of that grade_id in bpteach.grading.series"
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
    graded = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade")]
    assert graded and all(c.cell_type == "markdown" for c in nb.cells[graded[-1] + 1 :]), "the exercise comes last"
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"].get("points") for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade")}  # fmt: skip
    for cell in solutions:
        exercise = BY_ID[cell.metadata["nbgrader"]["grade_id"]]
        assert points.get(f"{exercise.grade_id}-tests") == exercise.points, f"{exercise.grade_id}: test cell points"


def test_grade_ids_are_unique_across_exercise_notebooks():
    seen: dict[str, str] = {}
    for name, path in sources().items():
        for cell in nbformat.read(path, as_version=4).cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid:
                assert gid not in seen, f"{gid} is in both {seen[gid]} and {name}"
                seen[gid] = name
    assert {e.grade_id for e in EXERCISES + SERIES} <= set(seen), "an exercise no notebook asks for"


def test_at_least_half_of_the_notebook_exercises_practise_the_derivation():
    derivation = [e.grade_id for e in SERIES if e.derivation]
    assert len(derivation) * 2 >= len(SERIES), derivation


def test_the_shipped_copies_are_the_teaching_notebooks(tmp_path):
    """`make exercises` was run after the last change to a teaching notebook."""
    written = {p.name for p in ship(ROOT / "notebooks", tmp_path)}
    assert written == {f"{name}.ipynb" for name in SHIPPED}, "run `make exercises`"
    for name in written:
        assert (tmp_path / name).read_text() == SHIPPED[Path(name).stem].read_text(), f"{name}: run `make exercises`"


CASES = [(e, n) for e in EXERCISES + SERIES for n in range(len(e.make_cases(case_rng(5, b"any", 0))))]


@pytest.mark.parametrize(("exercise", "n"), CASES, ids=[f"{e.grade_id}-{n}" for e, n in CASES])
def test_the_reference_passes_and_each_mistake_gets_its_hint(exercise, n):
    if exercise.prepare or exercise.service:
        pytest.skip("judged by how the answer was made: covered by the sandboxed tests")
    case = exercise.make_cases(case_rng(5, b"any", 0))[n]
    again = exercise.make_cases(case_rng(5, b"any", 0))[n]
    first, second = flatten(case.inputs), flatten(again.inputs)
    assert first.keys() == second.keys() and all(np.array_equal(first[k], second[k]) for k in first), "deterministic"
    given = flatten({k: v for k, v in case.inputs.items() if k not in exercise.private}, "in")
    ok, checks = judge_case(exercise, case, flatten(case.expected), given, {})
    assert ok, [c for c in checks if not c["passed"]]
    for hint, wrong in case.mistakes.items():
        ok, checks = judge_case(exercise, case, flatten(wrong), given, {})
        assert not ok, f"the mistake '{hint}' passes"
        assert checks[-1]["message"] == f"looks like: {hint}", f"'{hint}' is reported as {checks[-1]['message']!r}"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_full_solution_scores_full_marks_and_the_student_version_zero(name, tmp_path):
    source = SHIPPED[name]
    report = grade_submission(source, seed=11)
    assert report["source"] == source.name
    failed = [(e["grade_id"], [c["message"] for c in e["checks"] if not c["passed"]]) for e in report["exercises"]]
    assert report["score"] == report["max_score"] > 0, failed
    student, _ = assign(source, tmp_path)
    text = student.read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert '"source_hidden": true' not in text, "the stub must be visible in the student version"
    renamed = tmp_path / "my work.ipynb"  # the learner renamed it: still matched by its grade_ids
    renamed.write_text(text)
    assert source_for(renamed, nbformat.read(renamed, as_version=4).cells) == source
    blank = grade_submission(renamed, seed=11)
    assert blank["score"] == 0 and {e["status"] for e in blank["exercises"]} == {"not_attempted"}


def test_a_solution_without_its_metadata_is_matched_by_the_functions_it_defines(tmp_path):
    for name, source in SHIPPED.items():
        nb = nbformat.read(source, as_version=4)
        for cell in nb.cells:
            cell.metadata = {}
        bare = tmp_path / f"{re.sub('[0-9]', 'x', name)}.ipynb"
        nbformat.write(nb, bare)
        assert source_for(bare, nbformat.read(bare, as_version=4).cells) == source, name


def test_the_readme_lists_every_notebook_exercise():
    readme = (ROOT / "README.md").read_text()
    for e in SERIES:
        row = next((line for line in readme.splitlines() if f"| `{e.names[0]}`" in line), None)
        assert row is not None, f"README: no row for {e.grade_id}"
        kind = "derivation" if e.derivation else "code"
        assert row.startswith(f"| {e.grade_id[1:3]} | `{e.names[0]}` | {kind} |"), row
