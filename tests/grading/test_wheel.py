"""An installed bpteach grades with no checkout: build the wheel, install it into a fresh venv, grade.

The fresh venv gets its dependencies from this venv's site-packages (a .pth line, so no
download and no copy) and bpteach itself only from the wheel. From a folder outside the
repository it grades the shipped full solution to full marks, then a sample of the corpus in one
--jobs 2 run, each to its expected verdict: the attacks that look for what an installed package
holds (its solutions, its source, the reference) and a few wrong answers. The whole corpora are
graded once per `make test`, from the checkout, by test_grader.py and test_attacks.py; the wheel
changes where the grader finds its files, not how it judges them.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from wheelvenv import run, shared_wheel

from bpteach.grading import sandbox

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# 20 s an exercise, as the corpus run of test_grader (see there why)
LIMITS = {"BPTEACH_GRADER_CELL_TIMEOUT": "20", "BPTEACH_GRADER_HARD_LIMIT": "40"}


pytestmark = pytest.mark.skipif(not sandbox.available() and not os.environ.get("CI"), reason="bwrap unavailable here")




@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    wheel = shared_wheel(tmp_path_factory)
    python, purelib = wheel["python"], str(wheel["purelib"])
    work = base / "work"  # outside the repository
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BPTEACH_GRADER_SEED")}
    return {"python": python, "bpteach": wheel["bin"] / "bpteach", "purelib": Path(purelib), "work": work,
            "env": {**env, **LIMITS}}


def test_bpteach_comes_from_the_wheel(installed):
    where = run([str(installed["python"]), "-c", "import bpteach; print(bpteach.__file__)"],
                cwd=installed["work"], env=installed["env"]).stdout.strip()
    assert where.startswith(str(installed["purelib"]))
    assert (installed["purelib"] / "bpteach" / "grading" / "notebooks" / "backprop-exercises.ipynb").is_file()


def test_assign_and_grade_the_full_solution(installed):
    work, env = installed["work"], installed["env"]
    run([str(installed["bpteach"]), "assign", "-o", "student"], cwd=work, env=env)
    assert (work / "student" / "backprop-exercises.ipynb").is_file()
    full = installed["purelib"] / "bpteach" / "grading" / "notebooks" / "backprop-exercises.ipynb"
    shutil.copy(full, work / "full.ipynb")
    done = run([str(installed["bpteach"]), "grade", "full.ipynb", "--out", "out", "--seed", "1"], cwd=work, env=env)
    report = json.loads((work / "out" / "report.json").read_text())
    assert report["score"] == report["max_score"] == 14 and report["sandbox"] == "bwrap", done.stdout
    done = run([str(installed["bpteach"]), "grade", "student/backprop-exercises.ipynb", "--out", "out2", "--seed", "1"],
               cwd=work, env=env)
    assert json.loads((work / "out2" / "report.json").read_text())["score"] == 0


# what depends on where the package is installed: the copies of the solutions and the reference
SAMPLE_ATTACKS = ("reads-solutions-from-disk", "reads-grader-source", "reference-importlib", "reference-runpy",
                  "reads-classmates-notebooks", "writes-outside")
SAMPLE_FIXTURES = ("ex1-sign-flipped", "reordered-cells", "ex1-nan", "retyped-cell")


def test_a_sample_of_the_corpus_in_the_wheel_install(installed):
    work, env = installed["work"], installed["env"]
    corpus = work / "corpus"
    corpus.mkdir()
    for name in SAMPLE_FIXTURES:
        shutil.copy(HERE / "fixtures" / f"{name}.ipynb", corpus)
    for name in SAMPLE_ATTACKS:
        shutil.copy(HERE / "attacks" / "fixtures" / f"{name}.ipynb", corpus)
    expected = {k: v for k, v in json.loads((HERE / "expected.json").read_text()).items() if k in SAMPLE_FIXTURES}
    attacks = {k: v for k, v in json.loads((HERE / "attacks" / "expected.json").read_text()).items()
               if k in SAMPLE_ATTACKS}
    assert len(expected) + len(attacks) == len(SAMPLE_FIXTURES) + len(SAMPLE_ATTACKS)
    run([str(installed["bpteach"]), "grade", str(corpus), "--out", "reports", "--jobs", "2", "--seed", "7",
         "--no-progress"], cwd=work, env=env)
    for name, want in {**expected, **attacks}.items():
        got = json.loads((work / "reports" / want.get("folder", name) / "report.json").read_text())
        assert got["score"] == want["score"], f"{name}: {got['score']} != {want['score']}"
        for e in got["exercises"]:
            assert e["status"] == want.get("status", {}).get(e["grade_id"], want.get("others", "not_attempted")), name
