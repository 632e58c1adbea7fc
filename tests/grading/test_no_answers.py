"""A test for learners checks without telling: no public test (message or comment) and no grader hint
states the formula its exercise asks for. Each entry lists the giveaways an earlier version had, and the
like; a test that fails names what it found, where."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bpteach.grading.batch import sources

REPO = Path(__file__).resolve().parents[2]
SERIES = REPO / "bpteach" / "grading" / "series"

GIVEAWAYS = {  # public-test grade_id -> text that would state its exercise's answer
    "n02-layer-jacobian-tests": ["f'(z^(l+1)_i) W", "slope is 1/4", "matrix is W / 4", "W_small / 4"],
    "n03-last-layer-gradient-tests": ["(y_p - h_p) f'(z_p) a_q", "-(y - h) f'(z)"],
    "n04-path-terms-tests": ["carries -(y_p - h_p)", "(y_p - h_p) / 8", "(y_p - h_p) (1/2)"],
    "n04-naive-counts-tests": ["(y_p - h_p) f'(z_p) a_q"],
    "n08-predicted-change-tests": ["sum of the squares", "-lr times"],
    "n09-delta-bound-tests": ["|W^(2)|^T", "1/4 |W", "abs(W"],
    "n09-relative-error-tests": ["||(1, -1)|| / (1 + 1)"],
    "n10-gradient-entry-tests": ["delta^(2)_2 a^(1)_3", "delta^(3)_1 a^(2)_2"],
    "n11-softmax-delta-tests": ["delta = h - y", "h - y"],
    "n11-weight-decay-tests": ["delta a^T + lambda W", "with no decay"],
    "n12-layer-backward-tests": ["sigma'(0) = 1/4", "adds over every z_i", "V = 94 nodes", "E = 176"],
    "n12-operation-counts-tests": ["36 weights and 12 biases", "V = 94 nodes", "E = 176"],
    "n13-weighted-batch-tests": ["w / w.sum()", "w_wb / w_wb.sum()", "share"],
    "n13-batchnorm-backward-tests": ["dxhat", "- xhat *", "mean(axis=1"],
}
HINT_GIVEAWAYS = ["delta = h - y", "-(y_p - h_p), with", "so da = W^T", "dh_p/dz_p = f'(z_p)", "da/dz = f'(z)",
                  "so sum |W| beta", "-(Y - H) * f'", "an outer product delta a^T"]  # fmt: skip


def _public_test_cells():
    for path in [*sorted((REPO / "notebooks").glob("[0-9][0-9]-*.ipynb")), *sources().values()]:
        for cell in json.loads(Path(path).read_text())["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade") and meta.get("grade_id") in GIVEAWAYS:
                public = "".join(cell["source"]).split("### BEGIN HIDDEN TESTS")[0]
                yield Path(path).name, meta["grade_id"], public


def test_every_listed_test_cell_exists():
    found = {grade_id for _, grade_id, _ in _public_test_cells()}
    assert found == set(GIVEAWAYS), f"not found: {set(GIVEAWAYS) - found}"


@pytest.mark.parametrize("where,grade_id,public", list(_public_test_cells()), ids=lambda v: str(v)[:40])
def test_public_tests_do_not_state_the_answer(where, grade_id, public):
    said = [g for g in GIVEAWAYS[grade_id] if g in public]
    assert not said, f"{where}, {grade_id}: the public test states {said}"


def test_grader_hints_name_the_mistake_not_the_answer():
    for module in sorted(SERIES.glob("n*.py")):
        text = module.read_text()
        said = [g for g in HINT_GIVEAWAYS if g in text]
        assert not said, f"{module.name}: a hint states {said}"
