"""The runner and the sandbox, one guarantee at a time; and folder runs (jobs, summary.csv, resume)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import processes
import pytest

from bpteach.grading import batch, runner, sandbox
from bpteach.grading.exercises import BY_ID
from bpteach.grading.grade import grade_submission
from bpteach.grading.harness import MARKER, frame
from bpteach.grading.sandbox import ENVIRONMENT

SOURCE = batch.sources()["backprop-exercises"]  # the workbook: seven exercises

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
ATTACKS = HERE / "attacks" / "fixtures"
SETUP = ["import numpy as np\n\ndef sigmoid_prime(z):\n    s = 1 / (1 + np.exp(-z))\n    return s * (1 - s)\n"]
GOOD = "def output_delta(y, h, fprime_z):\n    return -(y - h) * fprime_z\n"
EX1 = BY_ID["ex1-output-delta"]


needs_bwrap = pytest.mark.skipif(not sandbox.available() and not os.environ.get("CI"), reason="bwrap unavailable here")
SANDBOXES = [pytest.param("bwrap", marks=needs_bwrap), "none"]


def cases():
    return EX1.make_cases(np.random.default_rng(0))


def sandbox_processes() -> int:
    return sum(MARKER.encode() in processes.argv(pid) for pid in processes.own_processes())


def cli(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "bpteach.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=600)  # fmt: skip


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_good_answer_crosses_as_arrays(sandbox):
    run = runner.run_exercise(SETUP, GOOD, "output_delta", cases(), sandbox=sandbox)
    assert run.status == "ok", run.message
    for n, case in enumerate(cases()):
        want = -(case.inputs["y"] - case.inputs["h"]) * case.inputs["fprime_z"]
        np.testing.assert_allclose(run.outputs[n]["out"], want, rtol=1e-12)
        assert run.types[n]["out"] == "ndarray"
        assert set(run.inputs_after[n]) == {"in__y", "in__h", "in__fprime_z"}


@needs_bwrap
def test_the_pid_namespace_ends_a_detached_process(monkeypatch):
    """With seccomp off (so that fork works), a double-forked setsid process dies with its exercise."""
    monkeypatch.setattr(runner, "SECCOMP", False)
    detach = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(60)\n"
              "        os._exit(0)\n    os._exit(0)\nos.wait()\n" + GOOD)  # fmt: skip
    with runner.Session("bwrap") as session:
        assert session.run(SETUP, GOOD, "output_delta", cases()).status == "ok"
        baseline = sandbox_processes()  # bwrap, its init, the harness
        run = session.run(SETUP, detach, "output_delta", cases())
        assert run.status == "ok", run.message
        assert sandbox_processes() == baseline


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_no_new_process_can_start(sandbox):
    code = ("import os, subprocess\ntry:\n    os.fork()\n    print('forked')\n"
            "except OSError as e:\n    print('refused', e)\n"
            "try:\n    subprocess.run(['true'])\n    print('spawned')\n"
            "except OSError as e:\n    print('refused', e)\n" + GOOD)  # fmt: skip
    run = runner.run_exercise(SETUP, code, "output_delta", cases(), sandbox=sandbox)
    assert run.status == "ok" and run.output.count("refused") == 2 and "forked" not in run.output


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_the_environment_is_explicit(sandbox, monkeypatch):
    monkeypatch.setenv("BPTEACH_GRADER_SEED", "12345")
    monkeypatch.setenv("SOME_TOKEN", "secret")
    run = runner.run_exercise(SETUP, "import os\nprint(sorted(os.environ))\n" + GOOD, "output_delta", cases(),
                              sandbox=sandbox)  # fmt: skip
    keys = set(eval(run.output.strip().splitlines()[0]))  # a printed list of strings
    assert keys <= set(ENVIRONMENT) | {"PWD", "LC_CTYPE"}, keys - set(ENVIRONMENT)
    assert "12345" not in run.output and "secret" not in run.output


@needs_bwrap
def test_the_sandbox_sees_no_repository_home_or_bpteach():
    code = ("import os, sys\nprint([p for p in ('" + str(HERE) + "', '" + str(Path.home()) + "/.bashrc', '"
            + str(Path(runner.__file__).parent) + "/grade.py') if os.path.exists(p)])\n"
            "print(sorted(os.listdir('/etc')) if os.path.isdir('/etc') else [])\n" + GOOD)  # fmt: skip
    run = runner.run_exercise(SETUP, code, "output_delta", cases(), sandbox="bwrap")
    lines = run.output.strip().splitlines()
    assert run.status == "ok"
    assert lines[0] == "[]"
    assert eval(lines[1]) in ([], ["ld.so.cache"])


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_output_is_capped(sandbox):
    run = runner.run_exercise(SETUP, "print('x' * 3_000_000)\n" + GOOD, "output_delta", cases(), sandbox=sandbox)
    assert run.status == "ok" and run.truncated_output and len(run.output) <= runner.OUTPUT_BUDGET


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_wall_clock_limit(sandbox, monkeypatch):
    monkeypatch.setattr(runner, "CELL_TIMEOUT", 2.0)
    run = runner.run_exercise(SETUP, "import time\ntime.sleep(100)\n" + GOOD, "output_delta", cases(), sandbox=sandbox)
    assert run.status == "timeout" and "ran longer than 2 s" in run.message
    assert run.seconds < 30


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_results_are_bounded(sandbox):
    many = "def output_delta(y, h, fprime_z):\n    return {i: y for i in range(5000)}\n"
    run = runner.run_exercise(SETUP, many, "output_delta", cases(), sandbox=sandbox)
    assert sum(len(v) for v in run.outputs.values()) <= 2 * runner.MAX_RECORDS
    huge = "def output_delta(y, h, fprime_z):\n    return np.zeros(10 * 1024**2)\n"  # 80 MiB
    run = runner.run_exercise(SETUP, huge, "output_delta", cases(), sandbox=sandbox)
    assert run.status == "error" and "MiB" in run.message


def test_the_reply_parser_takes_only_plain_arrays():
    good = np.arange(3.0)
    stream = b"".join([
        frame({"kind": "array", "case": 0, "path": "out", "dtype": good.dtype.str, "shape": [3]}, good.tobytes()),
        frame({"kind": "array", "case": 0, "path": "out__obj", "dtype": "|O", "shape": [1]}, b"\0" * 8),
        frame({"kind": "array", "case": 0, "path": "out__short", "dtype": "<f8", "shape": [1000]}, b"\0" * 8),
        frame({"kind": "array", "case": 7, "path": "out", "dtype": "<f8", "shape": [1]}, b"\0" * 8),
        frame({"kind": "array", "case": 0, "path": "out__v", "dtype": "|V8", "shape": [1]}, b"\0" * 8),
        frame({"kind": "status", "status": "ok"}),
        b"garbage that is not a frame",
    ])  # fmt: skip
    result = runner._parse({}, stream, n_cases=1)
    assert set(result.outputs[0]) == {"out"} and np.array_equal(result.outputs[0]["out"], good)


def test_missing_status_means_the_exercise_died():
    assert runner._parse({}, b"", n_cases=1).message == runner.DIED


def test_refuses_without_bwrap(tmp_path):
    done = cli("grade", str(FIXTURES / "ex1-sign-flipped.ipynb"), "--out", str(tmp_path), env={"PATH": "/nonexistent"})
    assert done.returncode == 2
    assert "bubblewrap" in done.stderr and "--no-sandbox" in done.stderr
    assert not (tmp_path / "report.json").exists()


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_reports_name_the_sandbox(tmp_path, sandbox):
    flags = ["--no-sandbox"] if sandbox == "none" else []
    done = cli("grade", str(FIXTURES / "ex1-sign-flipped.ipynb"), "--out", str(tmp_path), "--seed", "3", *flags)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["sandbox"] == sandbox and report["score"] == 0


def test_no_source_or_no_submission_is_an_error(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    no_ex = tmp_path / "plain.ipynb"
    no_ex.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    sub = str(FIXTURES / "ex1-sign-flipped.ipynb")
    for args, says in ((["grade", sub, "--source", str(bad)], "cannot read the exercise source"),
                       (["grade", sub, "--source", str(no_ex)], "no exercise found"),
                       (["grade", str(tmp_path / "empty")], "does not exist")):  # fmt: skip
        done = cli(*args, "--out", str(tmp_path / "out"), "--no-sandbox")
        assert done.returncode == 2 and says in done.stderr, done.stderr
    (tmp_path / "empty").mkdir()
    done = cli("grade", str(tmp_path / "empty"), "--no-sandbox")
    assert done.returncode == 2 and "no .ipynb file" in done.stderr


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
                              sandbox="none")  # fmt: skip
    assert run.status == "ok"
    assert list(tmp_path.iterdir()) == []


def test_prepare_runs_before_the_call_and_may_record_evidence():
    prepare = '    _args["y"] = _args["y"] * 0\n    _evidence["calls"] = lambda: _np.array(3)\n'
    run = runner.run_exercise(SETUP, GOOD, "output_delta", cases(), prepare, sandbox="none")
    assert run.status == "ok", run.message
    for n in range(2):
        assert int(run.inputs_after[n]["ev__calls"]) == 3
        assert np.all(run.inputs_after[n]["in__y"] == 0)


SERVICE = """
class Service:
    def __init__(self, inputs):
        self.calls, self.y = 0, inputs["y"]

    def __call__(self, arrays):
        if len(arrays) != 1 or arrays[0].shape != self.y.shape:
            raise ValueError("one array shaped like y")
        self.calls += 1
        return [arrays[0] * 2]

    def evidence(self):
        return {"calls": _np.array(self.calls)}
"""
FORGE_EVIDENCE = """
import gc, json, os, struct



def _record(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<II", len(text), len(data)) + text + data


for n in range(2):  # a forged record of the calls, on the exercise's own stream
    os.write(3, _record({"kind": "array", "case": n, "path": "sv__calls", "dtype": "<i8", "shape": []},
                        (99).to_bytes(8, "little")))
for o in gc.get_objects():  # and whatever counter the process can reach
    if type(o).__name__ == "Service":
        o.calls = 99
"""


@pytest.mark.parametrize("where", SANDBOXES)
def test_service_evidence_is_the_harness_own(where):
    """What a service (ex5's f, ex7's cost_and_gradients) records is counted in the harness: the
    submission can ask for evaluations, not write the record, on its stream or through gc."""
    prepare = '    _args["y"] = _call(_case, [_args["y"]])[0] / 2\n'
    run = runner.run_exercise(SETUP, FORGE_EVIDENCE + GOOD, "output_delta", cases(), prepare, sandbox=where,
                              service=SERVICE)  # fmt: skip
    assert run.status == "ok", run.message
    for n, case in enumerate(cases()):
        assert int(run.inputs_after[n]["sv__calls"]) == 1
        assert np.allclose(run.outputs[n]["out"], case.expected)
    bad = '    _call(_case, [_np.zeros(7)])\n'
    run = runner.run_exercise(SETUP, GOOD, "output_delta", cases(), bad, sandbox=where, service=SERVICE)
    assert run.status == "error" and "one array shaped like y" in run.message


def test_terminal_shows_a_file_name_as_text(tmp_path):
    """A submission named with terminal escapes (cursor up, erase line) cannot draw a fake score line."""
    name = "bob\x1b[1A\x1b[2K\ralice.ipynb: 14 \r"
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FIXTURES / "ex1-sign-flipped.ipynb", folder / f"{name}.ipynb")
    done = cli("grade", str(folder), "--out", str(tmp_path / "out"), "--seed", "5", "--no-progress", "--no-sandbox")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    assert "bob\\x1b[1A\\x1b[2K\\ralice.ipynb: 14 \\r.ipynb: 0 / 14" in done.stdout
