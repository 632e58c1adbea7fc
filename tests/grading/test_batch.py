"""Grading a folder (batch): reports per submission, safe folder names, --jobs, a crash, --resume,
nothing left in /tmp."""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from shared import ATTACKS, FIXTURES, GOOD, SANDBOXES, SETUP, SOURCE, cases, cli

from bpteach.grading import batch, runner
from bpteach.grading.grade import grade_submission


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_reports_name_the_sandbox(tmp_path, sandbox):
    flags = ["--no-sandbox"] if sandbox == "none" else []
    done = cli("grade", str(FIXTURES / "ex1-sign-flipped.ipynb"), "--out", str(tmp_path), "--seed", "3", *flags)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["sandbox"] == sandbox and report["score"] == 0


def test_folder_names_are_safe_and_unique():
    taken: set[str] = set()
    names = [batch.folder_name(s, taken) for s in ("..", ".", "a/b", "x", "X", "x", "", "ünï cödé")]
    assert names[:3] == ["submission", "submission-2", "a_b"]
    assert names[3:6] == ["x", "X-2", "x-3"]
    assert all(n and not n.startswith(".") and "/" not in n for n in names)


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_jobs_2_an_attacker_does_not_change_honest_scores(tmp_path, sandbox):
    folder = tmp_path / "class"
    folder.mkdir()
    honest = {"full": SOURCE, "partial": FIXTURES / "reordered-cells.ipynb"}
    for name, path in honest.items():
        shutil.copy(path, folder / f"{name}.ipynb")
    attackers = ["writes-outside", "kills-the-grader"] if sandbox == "bwrap" else ["fifo-and-sparse-files"]
    for name in attackers:
        shutil.copy(ATTACKS / f"{name}.ipynb", folder / f"{name}.ipynb")
    reports = batch.grade_path(folder, tmp_path / "out", jobs=2, seed=11, sandbox=sandbox, progress=False)
    by_name = {r["submission"]: r for r in reports}
    for name in honest:
        alone = grade_submission(folder / f"{name}.ipynb", seed=11, sandbox=sandbox)
        assert by_name[f"{name}.ipynb"]["score"] == alone["score"] > 0
    assert by_name["full.ipynb"]["score"] == by_name["full.ipynb"]["max_score"] == 14
    rows = list(csv.DictReader(open(tmp_path / "out" / "summary.csv")))
    assert len(rows) == len(reports) * 8  # a total line and 7 exercise lines per submission
    totals = {r["submission"]: float(r["points"]) for r in rows if r["exercise"] == "total"}
    assert totals == {r["submission"]: r["score"] for r in reports}
    assert {r["source"] for r in rows if r["submission"] == "full.ipynb"} == {"backprop-exercises.ipynb"}


def test_a_batch_survives_a_grader_crash(tmp_path, monkeypatch):
    from bpteach.grading import grade

    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ex1-sign-flipped", "ex1-nan", "retyped-cell"):
        shutil.copy(FIXTURES / f"{name}.ipynb", folder / f"{name}.ipynb")
    real = grade.grade_submission

    def flaky(path, *args, **kwargs):
        if Path(path).stem == "ex1-nan":
            raise RuntimeError("BrokenProcessPool, say")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(grade, "grade_submission", flaky)
    reports = batch.grade_path(folder, tmp_path / "out", jobs=2, seed=1, sandbox="none", progress=False)
    assert [r["submission"] for r in reports] == ["ex1-nan.ipynb", "ex1-sign-flipped.ipynb", "retyped-cell.ipynb"]
    assert reports[0]["error"] and "BrokenProcessPool" in reports[0]["notes"][0] and reports[0]["max_score"] == 14
    assert not reports[1].get("error") and not reports[2].get("error")
    assert json.loads((tmp_path / "out" / "ex1-nan" / "report.json").read_text())["error"] is True


def test_resume_skips_graded_submissions_unless_forced(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ex1-sign-flipped", "retyped-cell"):
        shutil.copy(FIXTURES / f"{name}.ipynb", folder / f"{name}.ipynb")
    out = tmp_path / "out"
    first = batch.grade_path(folder, out, seed=5, sandbox="none", progress=False)
    assert not any(r.get("resumed") for r in first)
    (folder / "retyped-cell.ipynb").write_bytes((FIXTURES / "ex1-hardcoded.ipynb").read_bytes())  # resubmitted
    second = batch.grade_path(folder, out, sandbox="none", progress=False)  # the seed comes from the run file
    assert [bool(r.get("resumed")) for r in second] == [True, False]
    assert second[0]["score"] == first[0]["score"]
    third = batch.grade_path(folder, out, sandbox="none", force=True, progress=False)
    assert not any(r.get("resumed") for r in third)
    assert "seed" not in json.dumps(json.loads((out / "ex1-sign-flipped" / "report.json").read_text())).replace(
        "seed_id", "")


def test_no_sandbox_leaves_nothing_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    run = runner.run_exercise(SETUP, "open('left-behind', 'w').write('x')\n" + GOOD, "output_delta", cases(),
                              sandbox="none")
    assert run.status == "ok"
    assert list(tmp_path.iterdir()) == []
