"""A test for learners checks without telling: no public test (message or comment), no grader hint and no
hint before the last stage states the formula its exercise asks for. Each entry lists the giveaways an
earlier version had, and the like; beside them, each solution's own lines are looked for in the public
tests and the early hints. A test that fails names what it found, where."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bpteach.grading.batch import sources
from bpteach.grading.series import SERIES as EXERCISES
from bpteach.grading.spec import case_rng

REPO = Path(__file__).resolve().parents[2]
SERIES = REPO / "bpteach" / "grading" / "series"
TEACHING = sorted((REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))

GIVEAWAYS = {  # public-test grade_id -> text that would state its exercise's answer
    "n02-layer-jacobian-tests": ["f'(z^(l+1)_i) W", "f'(z_i) W", "slope is 1/4", "matrix is W / 4", "W_small / 4"],
    "n03-last-layer-gradient-tests": ["(y_p - h_p) f'(z_p) a_q", "-(y - h) f'(z)"],
    "n03-l1-cost-gradient-tests": ["sign(h - y)", "sign(y - h)", "sign(h_p - y_p)"],
    "n04-path-terms-tests": ["carries -(y_p - h_p)", "(y_p - h_p) / 8", "(y_p - h_p) (1/2)", "f'(z_p) W4[p, q]"],
    "n04-naive-counts-tests": ["(y_p - h_p) f'(z_p) a_q"],
    "n05-naive-vs-recursion-tests": [
        "2 * (n_l - l)",
        "2 (n_l - l)",
        "s[l] * s[l - 1] + s[l - 1]",
        "24 * 8 * 6",
        "8 multiplications each",
    ],
    "n06-bias-by-paths-tests": ["-(y[p] - h[p])", "fprime_z[n_l][p]", "W[m][dst, src]"],
    "n06-skip-delta-tests": ["V.T @", "V^T delta", "two terms"],
    "n06-leaky-relu-delta-tests": ["np.where(z", "slope alpha", "alpha for z"],
    "n07-batch-backward-tests": ["@ A[l].T / m", "W[l].T @ Delta", "-(Y - A"],
    "n07-dropout-delta-tests": ["mask / keep", "* mask", "divide by keep"],
    "n08-predicted-change-tests": ["sum of the squares", "-lr times"],
    "n08-momentum-change-tests": ["dW[l] * (mu", "g * (mu", "new velocity"],
    "n09-delta-bound-tests": ["|W^(2)|^T", "1/4 |W", "abs(W", "1/4 sum_q |W"],
    "n09-relative-error-tests": ["||(1, -1)|| / (1 + 1)"],
    "n09-input-gradient-tests": ["W_1.T @", "W^T delta", "no f'"],
    "n10-gradient-entry-tests": ["delta^(2)_2 a^(1)_3", "delta^(3)_1 a^(2)_2", "delta^(l+1)_i a^(l)_j"],
    "n10-tied-gradient-tests": ["np.outer(delta_3", ".T +", "sum of the two"],
    "n11-softmax-delta-tests": ["delta = h - y", "h - y"],
    "n11-weight-decay-tests": ["delta a^T + lambda W", "with no decay"],
    "n11-softmax-squared-delta-tests": ["h * (", "sum(h *", "h_p (", "(h - y)"],
    "n11-tanh-bce-delta-tests": ["2 * (p", "2(p - y)", "2 (p - y)", "p - y", "pi - y", "π - y", "2(π", "2 (π"],
    "n12-layer-backward-tests": [
        "sigma'(0) = 1/4",
        "adds over every z_i",
        "V = 94 nodes",
        "E = 176",
        "g times sigma'(z)",
        "g sigma'(z)",
        "g * sigma'(z)",
    ],
    "n12-operation-counts-tests": ["36 weights and 12 biases", "V = 94 nodes", "E = 176"],
    "n13-weighted-batch-tests": ["w / w.sum()", "w_wb / w_wb.sum()", "share"],
    "n13-batchnorm-backward-tests": ["dxhat", "- xhat *", "mean(axis=1"],
}
HINT_GIVEAWAYS = ["delta = h - y", "-(y_p - h_p), with", "so da = W^T", "dh_p/dz_p = f'(z_p)", "da/dz = f'(z)",
                  "so sum |W| beta", "-(Y - H) * f'", "an outer product delta a^T",
                  "np.abs(W[l]).T @ beta"]


def _cells():
    for path in [*TEACHING, *sources().values()]:
        for cell in json.loads(Path(path).read_text())["cells"]:
            yield Path(path).name, cell, cell["metadata"].get("nbgrader", {})


def _public_test_cells():
    for name, cell, meta in _cells():
        if meta.get("grade") and meta.get("grade_id") in GIVEAWAYS:
            yield name, meta["grade_id"], "".join(cell["source"]).split("### BEGIN HIDDEN TESTS")[0]


def test_every_listed_test_cell_exists():
    found = {grade_id for _, grade_id, _ in _public_test_cells()}
    assert found == set(GIVEAWAYS), f"not found: {set(GIVEAWAYS) - found}"


def test_every_exercise_of_the_series_has_its_giveaways_listed():
    """Notebook 02's exercise and every new one included: no exercise's public tests go unscanned."""
    assert {f"{e.grade_id}-tests" for e in EXERCISES} == set(GIVEAWAYS)


@pytest.mark.parametrize("where,grade_id,public", list(_public_test_cells()), ids=lambda v: str(v)[:40])
def test_public_tests_do_not_state_the_answer(where, grade_id, public):
    said = [g for g in GIVEAWAYS[grade_id] if g in public]
    assert not said, f"{where}, {grade_id}: the public test states {said}"


def test_grader_hints_name_the_mistake_not_the_answer():
    for module in sorted(SERIES.glob("n*.py")):
        text = module.read_text()
        said = [g for g in HINT_GIVEAWAYS if g in text]
        assert not said, f"{module.name}: a hint states {said}"
    for exercise in EXERCISES:  # the new exercises' hints, against their own answers' text
        answers = GIVEAWAYS.get(f"{exercise.grade_id}-tests", [])
        for case in exercise.make_cases(case_rng(5, b"any", 0)):
            said = [(hint, a) for hint in case.mistakes for a in answers if a in hint]
            assert not said, f"{exercise.grade_id}: a grader hint states {said}"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _solution_lines():
    """Each teaching notebook's solution lines that carry a formula (an operator, 12 characters or more)."""
    for path in TEACHING:
        for cell in json.loads(path.read_text())["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            source = "".join(cell["source"])
            if meta.get("solution") and "### BEGIN SOLUTION" in source:
                body = source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
                for line in body.splitlines():
                    code = re.sub(r"^return\s+", "", line.split("#")[0].strip())
                    if len(_squash(code)) >= 12 and re.search(r"[-+*/@]", code) and not code.startswith("def "):
                        yield path.name, meta["grade_id"], _squash(code)


SOLUTION_LINES = list(_solution_lines())


def _stages(text: str) -> list[str]:
    return re.findall(r"<details><summary>(.*?)</details>", text, re.S)


def test_no_public_test_or_early_hint_repeats_a_solution_line():
    """The solution's own code, spaces ignored, is in no public test of its notebook and in no hint but the last."""
    assert SOLUTION_LINES, "no solution line found"
    for name, cell, meta in _cells():
        gid, source = meta.get("grade_id", ""), "".join(cell["source"])
        if meta.get("grade") and gid.endswith("-tests"):
            public = _squash(source.split("### BEGIN HIDDEN TESTS")[0])
            said = [line for where, g, line in SOLUTION_LINES if where == name and g == gid[:-6] and line in public]
            assert not said, f"{name}, {gid}: the public test repeats the solution's {said}"
        if gid.endswith("-text"):
            early = _squash("".join(_stages(source)[:-1]))
            said = [line for where, g, line in SOLUTION_LINES if where == name and g == gid[:-5] and line in early]
            assert not said, f"{name}, {gid}: a hint before the last repeats the solution's {said}"


def test_no_hint_before_the_last_states_the_answer():
    """The giveaways of each exercise, and the grader-hint giveaways, are in none of its hints but the last."""
    scanned = set()
    for name, cell, meta in _cells():
        gid = meta.get("grade_id", "")
        if gid.endswith("-text"):
            early = "".join(_stages("".join(cell["source"]))[:-1])
            said = [g for g in GIVEAWAYS.get(f"{gid[:-5]}-tests", []) + HINT_GIVEAWAYS if g in early]
            assert not said, f"{name}, {gid}: a hint before the last states {said}"
            scanned.add(gid[:-5])
    assert {e.grade_id for e in EXERCISES} <= scanned, "an exercise whose hints were not found"


@pytest.mark.parametrize("path", [p for p in TEACHING if 2 <= int(p.name[:2]) <= 13], ids=lambda p: p.stem)
def test_hints_come_in_stages_each_in_its_own_fold(path):
    for cell in json.loads(path.read_text())["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("-text"):
            stages = _stages("".join(cell["source"]))
            assert 2 <= len(stages) <= 3, f"{path.name}, {gid}: {len(stages)} hint folds"
            assert all(s.startswith(f"Hint {k + 1} ") for k, s in enumerate(stages)), f"{path.name}, {gid}"
            assert "close to the formula" in stages[-1].split("</summary>")[0], f"{path.name}, {gid}: the last stage"
