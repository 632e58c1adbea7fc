"""The attack corpus (tests/grading/attacks/) against the bwrap sandbox, as a --jobs 2 folder run.

Each attack must get the report in attacks/expected.json (a score of 0 means it did not
win). After the whole corpus: no process started by a submission is alive, no file changed in
the repository, the home folder or /tmp, and the reports folder holds only reports.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import processes
import pytest

from bpteach.grading import sandbox
from bpteach.grading.harness import MARKER

HERE = Path(__file__).resolve().parent
ATTACKS = HERE / "attacks" / "fixtures"
EXPECTED = json.loads((HERE / "attacks" / "expected.json").read_text())
REPO = HERE.parents[1]
LIMITS = {"BPTEACH_GRADER_CELL_TIMEOUT": "40", "BPTEACH_GRADER_HARD_LIMIT": "80"}
ATTACK_MARK = "bpteach-attack"
# git's and the suite's own folders (the browser tests' servers keep logging to test-artifacts)
NOT_THE_REPO = tuple(str(REPO / name) for name in (".git", ".venv", ".hypothesis", "test-artifacts"))


pytestmark = pytest.mark.skipif(not sandbox.available() and not os.environ.get("CI"), reason="bwrap unavailable here")


def survivors() -> list[str]:
    """Processes of a sandbox (the harness's marker in argv) or of an attack (its marker), among this
    test process's own (tests/grading/processes.py: not those of a grader running beside it)."""
    found = []
    for pid in processes.own_processes():
        argv = processes.argv(pid)
        if MARKER.encode() in argv or ATTACK_MARK.encode() in argv:
            found.append(f"{pid}: {argv[:120]!r}")
    return found


def snapshot(root: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of every file and folder under root."""
    out = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in skip]
        for name in dirs + files:
            path = os.path.join(folder, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            out[path] = (st.st_mtime_ns, st.st_size)
    return out


def marked(root: Path, depth: int = 2) -> list[str]:
    hits = []
    for folder, dirs, files in os.walk(root):
        if folder.count(os.sep) - str(root).count(os.sep) >= depth:
            dirs[:] = []
        hits += [os.path.join(folder, f) for f in files + dirs if ATTACK_MARK in f]
    return hits


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    base = tmp_path_factory.mktemp("attacks")
    out, home, tmpdir = base / "reports", base / "home", base / "tmpdir"
    home.mkdir()
    tmpdir.mkdir()
    (home / "precious.txt").write_text("the instructor's file")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    repo_before = snapshot(REPO, skip=NOT_THE_REPO)
    home_before = snapshot(home)
    before = set(survivors())
    env = {**os.environ, **LIMITS, "HOME": str(home), "TMPDIR": str(tmpdir), "BPTEACH_GRADER_SEED": "7",
           "BPTEACH_ATTACK_CANARY_TOKEN": "secret-token"}
    done = subprocess.run(
        [sys.executable, "-m", "bpteach.cli", "grade", str(ATTACKS), "--out", str(out), "--jobs", "2",
         "--no-progress"],
        env=env, capture_output=True, text=True, timeout=1500,
    )
    connections = 0
    try:
        while True:
            listener.accept()[0].close()
            connections += 1
    except BlockingIOError:
        pass
    listener.close()
    time.sleep(5)  # the detached attacks wait 3-10 s before they write: give them the chance
    return {
        "done": done, "out": out, "home": home, "tmpdir": tmpdir, "connections": connections,
        "survivors": sorted(set(survivors()) - before), "repo_before": repo_before, "home_before": home_before,
        "reports": {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/report.json")},
    }


def test_the_run_succeeded(corpus):
    assert corpus["done"].returncode == 0, corpus["done"].stderr[-3000:]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_attack_report(corpus, name):
    want = EXPECTED[name]
    got = corpus["reports"][want.get("folder", name)]
    assert got["sandbox"] == "bwrap"
    assert got["score"] == want["score"], f"{name}: score {got['score']}, expected {want['score']}"
    for e in got["exercises"]:
        assert e["status"] == want["status"].get(e["grade_id"], want["others"]), f"{name}: {e['grade_id']}"
    for fragment in want["says"]:
        assert fragment in json.dumps(got), f"{name}: the report should say {fragment!r}"


def test_every_attack_has_an_expectation():
    assert {p.stem for p in ATTACKS.glob("*.ipynb")} == set(EXPECTED)


def test_no_process_survives(corpus):
    assert corpus["survivors"] == []


def test_no_connection_reached_the_host(corpus):
    assert corpus["connections"] == 0


def test_no_file_changed_outside_the_reports(corpus):
    assert snapshot(REPO, skip=NOT_THE_REPO) == corpus["repo_before"]
    assert snapshot(corpus["home"]) == corpus["home_before"]
    assert list(corpus["tmpdir"].iterdir()) == []  # the grader left nothing in its TMPDIR
    for root in (Path("/tmp"), Path.home(), REPO, corpus["home"], corpus["out"]):
        assert marked(root) == [], f"an attack wrote into {root}"


def test_reports_folder_holds_only_reports(corpus):
    out = corpus["out"]
    names = {p.name for p in out.iterdir()}
    assert names == {EXPECTED[n].get("folder", n) for n in EXPECTED} | {"summary.csv", ".bpteach-run.json"}
    for folder in out.iterdir():
        if folder.is_dir():
            assert sorted(p.name for p in folder.iterdir()) == ["report.json", "report.md"]
            report = json.loads((folder / "report.json").read_text())
            assert report["max_score"] == 14 and report["score"] <= 2


def test_summary_shows_formulas_as_text(corpus):
    """A file named `=HYPERLINK(...)` must not become a live formula in the gradebook."""
    import csv

    with open(corpus["out"] / "summary.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert any("HYPERLINK" in row[0] for row in rows[1:])
    for row in rows[1:]:
        for value in row:
            assert not value.startswith(("=", "+", "-", "@")), f"a formula in summary.csv: {value!r}"
