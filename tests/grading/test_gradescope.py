"""The Gradescope bundle, unpacked into a temporary /autograder and run as Gradescope runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bpteach.grading import sandbox
from bpteach.grading.batch import GradingError, sources
from bpteach.grading.grade import grade_submission
from bpteach.grading.gradescope import CONFIG, bundle

SOURCE = sources()["backprop-exercises"]  # the workbook: seven exercises

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
STUDENT = SOURCE.parent / "student" / SOURCE.name


pytestmark = pytest.mark.skipif(not sandbox.available() and not os.environ.get("CI"), reason="bwrap unavailable here")


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    base = tmp_path_factory.mktemp("gradescope")
    zip_path, seed = bundle(base / "autograder.zip")
    return zip_path, seed, base


def run_autograder(zip_path: Path, root: Path, submission: Path | None) -> tuple[subprocess.CompletedProcess, dict]:
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
        for info in z.infolist():  # zipfile drops the mode bits; Gradescope keeps them
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    if submission is not None:
        shutil.copy(submission, root / "submission" / submission.name)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "BPTEACH_PYTHON": sys.executable}
    done = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=600)
    return done, json.loads((root / "results" / "results.json").read_text())


def check_format(results: dict) -> None:
    """Gradescope's documented results.json: score, and tests[] with name, score, max_score, output, visibility."""
    assert isinstance(results["score"], float)
    for t in results["tests"]:
        assert set(t) >= {"name", "score", "max_score", "output", "visibility"}
        assert isinstance(t["name"], str) and isinstance(t["output"], str)
        assert 0 <= t["score"] <= t["max_score"] and t["visibility"] in ("visible", "hidden", "after_due_date",
                                                                          "after_published")
    assert abs(sum(t["score"] for t in results["tests"]) - results["score"]) < 1e-9
    assert sum(t["max_score"] for t in results["tests"]) == 14


def test_bundle_layout(autograder):
    zip_path, seed, _ = autograder
    with zipfile.ZipFile(zip_path) as z:
        names = set(z.namelist())
        assert {"setup.sh", "run_autograder", CONFIG} <= names
        assert "vendor/bpteach/grading/harness.py" in names
        assert json.loads(z.read(CONFIG))["seed"] == seed
        setup = z.read("setup.sh").decode()
        assert "bubblewrap" in setup and "pip install" in setup
        for name in ("setup.sh", "run_autograder"):
            assert (z.getinfo(name).external_attr >> 16) & 0o111


@pytest.mark.parametrize("submission", [SOURCE, STUDENT, FIXTURES / "ex1-sign-flipped.ipynb",
                                        FIXTURES / "reordered-cells.ipynb"], ids=lambda p: p.stem)
def test_run_autograder(autograder, tmp_path, submission):
    zip_path, seed, _ = autograder
    done, results = run_autograder(zip_path, tmp_path / "autograder", submission)
    assert done.returncode == 0, done.stderr[-2000:]
    check_format(results)
    alone = grade_submission(submission, seed=seed)
    assert results["score"] == alone["score"]
    assert [t["score"] for t in results["tests"]] == [e["points"] for e in alone["exercises"]]
    assert str(seed) not in json.dumps(results) + done.stdout + done.stderr
    if submission == SOURCE:
        assert results["score"] == 14
    if submission == STUDENT:
        assert results["score"] == 0 and all("not attempted" in t["output"] for t in results["tests"])
    if submission.stem == "ex1-sign-flipped":
        assert "sign flipped" in results["tests"][0]["output"]


def test_no_submission_is_reported(autograder, tmp_path):
    zip_path, _, _ = autograder
    done, results = run_autograder(zip_path, tmp_path / "autograder", None)
    assert done.returncode == 1
    assert results["score"] == 0 and "no .ipynb file was submitted" in results["output"]


def test_a_bundle_grades_its_own_assignment_only(tmp_path):
    """A bundle for notebook 02: the solved workbook (14 points elsewhere) answers none of its exercises."""
    zip_path, _ = bundle(tmp_path / "n02.zip", seed=3, source="02-five-layer-network")
    done, results = run_autograder(zip_path, tmp_path / "n02", SOURCE)
    assert done.returncode == 0, done.stderr[-2000:]
    assert results["score"] == 0 and sum(t["max_score"] for t in results["tests"]) == 2
    done, results = run_autograder(zip_path, tmp_path / "n02-solved", sources()["02-five-layer-network"])
    assert results["score"] == 2
    with pytest.raises(GradingError, match="no shipped exercise notebook is named 'nope'"):
        bundle(tmp_path / "x.zip", source="nope")
