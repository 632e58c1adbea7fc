"""The exercises that end the teaching notebooks: present, shipped, graded, and teachable.

The judge is checked without a sandbox first (cheap, every exercise, every hidden case): the
reference passes and each known mistake fails with its own hint. Then each teaching notebook's
full solution is graded in the sandbox and must score full marks, and its student version
(`bpteach assign`) must score zero, every exercise "not_attempted".
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest
from series_slips import SLIPS

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
              if c.metadata.get("nbgrader", {}).get("grade")}
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
        assert row.startswith(f"| {e.grade_id[1:3]} | `{e.names[0]}` | {e.kind} |"), row


def test_each_exercise_carries_its_kind_in_the_notebook_as_in_its_definition():
    """The solution cell's `bpteach.kind` (notebooks 02 on) is the definition's; the README test checks the table."""
    for path in [p for p in TEACHING if 2 <= number(p) <= LAST_TEACHING]:
        for cell in solution_cells(nbformat.read(path, as_version=4)):
            exercise = BY_ID[cell.metadata["nbgrader"]["grade_id"]]
            assert cell.metadata.get("bpteach", {}).get("kind") == exercise.kind, f"{path.name}: {exercise.grade_id}"
    derivations = [e for e in SERIES if e.kind == "derivation"]
    assert len(derivations) >= 14, [e.grade_id for e in derivations]


def test_questions_come_before_the_worked_solutions():
    """On GitHub or nbviewer (no folding) a reader meets every question and its hints before any solution."""
    for path in [p for p in TEACHING if 2 <= number(p) <= LAST_TEACHING]:
        cells = nbformat.read(path, as_version=4).cells
        header = next(i for i, c in enumerate(cells) if c.source.startswith("## Answers and public tests"))
        kinds = [c.metadata.get("nbgrader", {}) for c in cells]
        assert all(not k.get("solution") for k in kinds[:header]), f"{path.name}: a solution above the questions' end"
        texts = [i for i, k in enumerate(kinds) if k.get("grade_id", "").endswith("-text")]
        assert texts and max(texts) < header, f"{path.name}: a question below the solutions"


def _hint(exercise, start: str) -> str:
    """The one hint of `exercise` that begins with `start` (in any of its hidden cases)."""
    hints = {h for case in exercise.make_cases(case_rng(5, b"any", 0)) for h in case.mistakes}
    found = [h for h in hints if h.startswith(start)]
    assert len(found) == 1, f"{exercise.grade_id}: {len(found)} hints start with {start!r}"
    return found[0]


def test_the_slip_corpus_has_one_slip_for_every_hint_of_every_exercise():
    """Every hint of the series' graders is shown firing below: none is left without its slip."""
    assert set(SLIPS) == {e.grade_id for e in SERIES}, "an exercise with no slips, or slips for no exercise"
    for exercise in SERIES:
        hints = {h for case in exercise.make_cases(case_rng(5, b"any", 0)) for h in case.mistakes}
        covered = [_hint(exercise, start) for start, _ in SLIPS[exercise.grade_id]]
        assert len(set(covered)) == len(covered), f"{exercise.grade_id}: two slips for one hint"
        assert set(covered) == hints, f"{exercise.grade_id}: no slip for {hints - set(covered)}"


def slip_source(solution: str, slip) -> str:
    """The worked solution with one slip in it: its edits applied (each text once in it), or its body swapped in."""
    lines = solution.splitlines(keepends=True)
    begin = next(n for n, line in enumerate(lines) if "### BEGIN SOLUTION" in line)
    end = next(n for n, line in enumerate(lines) if "### END SOLUTION" in line)
    head, body = "".join(lines[:begin]), "".join(lines[begin + 1 : end])
    if isinstance(slip, str):
        return head + textwrap.indent(slip, "    ") + "\n"
    for old, new in slip:
        assert body.count(old) == 1, f"{old!r} is {body.count(old)} times in the solution:\n{body}"
        body = body.replace(old, new)
    return head + body


def _rounds():
    """(notebook, k): the student version with the k-th slip of each of its exercises (the others left stubs)."""
    for stem in sorted(SHIPPED):
        depth = max((len(SLIPS[e.grade_id]) for e in SERIES if e.grade_id[1:3] == stem[:2]), default=0)
        yield from ((stem, k) for k in range(depth))


@pytest.mark.parametrize(("name", "k"), list(_rounds()), ids=lambda v: str(v)[:14])
def test_each_natural_slip_gets_its_hint_in_the_sandbox(name, k, tmp_path):
    """The fixture corpus: the student version answered with slips from SLIPS, graded as a learner's file; each
    slipped exercise must fail and be told the hint of its slip."""
    source = SHIPPED[name]
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in solution_cells(nbformat.read(source, 4))}
    student, _ = assign(source, tmp_path)
    nb = nbformat.read(student, as_version=4)
    slipped = {}
    for c in solution_cells(nb):
        gid = c.metadata["nbgrader"]["grade_id"]
        if k < len(SLIPS[gid]):
            start, slip = SLIPS[gid][k]
            c.source, slipped[gid] = slip_source(solutions[gid], slip), _hint(BY_ID[gid], start)
    assert slipped
    nbformat.write(nb, student)
    report = grade_submission(student, seed=11)
    for entry in report["exercises"]:
        gid = entry["grade_id"]
        said = [c["message"] for c in entry["checks"] if not c["passed"]]
        if gid not in slipped:
            assert entry["status"] == "not_attempted", (gid, said)
            continue
        assert entry["status"] in ("failed", "partial") and entry["points"] < entry["max_points"], (gid, said)
        assert f"looks like: {slipped[gid]}" in said, (gid, slipped[gid], said)
