"""The benchmark is not timed here (timings belong to `make bench`); this checks that its
smoke run works on a fresh install, with or without torch, and that its bookkeeping is right."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.backprop_vs_torch import interleaved, median_ratio  # noqa: E402


def test_quick_run_checks_and_reports_every_implementation(tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)]
    # one thread for torch and OpenBLAS: beside the rest of `make test` on 2 cores, their idle threads
    # spin waiting for work the other processes hold the cores for (41 s against 9 s for this run)
    one = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, **one})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    rows = data["networks"]
    expected = {(m, impl, dt) for m in (1, 256) for impl in ("bpteach", "torch") for dt in ("float64", "float32")}
    assert {(r["batch"], r["impl"], r["dtype"]) for r in rows} == expected | {(256, "loop over examples", "float64")}
    for r in rows:
        if r["impl"] == "torch" and r["status"] != "ok":
            assert r["status"] == "not installed" and data["machine"]["torch"] is None
            continue
        assert r["status"] == "ok"
        assert r["rel_error"] <= (1e-10 if r["dtype"] == "float64" else 1e-5)
        # timings are only checked to exist: comparing them here would make a timed, flaky test
        assert r["step_s"] > 0
        assert ("over_torch" in r) == (r["impl"] != "torch" and data["machine"]["torch"] is not None)
    # the naive path sum: one term per path, the product of the widths of layers 3..n_l
    assert [p["terms"] for p in data["paths"]] == [1, 3, 9, 27]
    assert data["explorer"]["median_ms"] > 0 and data["explorer"]["step_median_ms"] > 0


def test_interleaved_takes_one_sample_per_function_per_round():
    calls = []
    fns = {k: (lambda k=k: calls.append(k)) for k in "abc"}
    samples = interleaved(fns, rounds=4, warmup=1)
    assert {k: len(v) for k, v in samples.items()} == {"a": 4, "b": 4, "c": 4}
    # rounds rotate which function goes first, so none always runs in another's wake
    assert [calls[3 + 3 * r] for r in range(4)] == ["a", "b", "c", "a"]
    assert median_ratio([2.0, 4.0, 9.0], [1.0, 2.0, 3.0]) == pytest.approx(2.0)


def test_the_grading_benchmark_runs(tmp_path):
    """A smoke run of benchmarks.grading: one full submission and a folder of two, each report checked."""
    from bpteach.grading import sandbox

    flags = [] if sandbox.available() else ["--no-sandbox"]
    cmd = [sys.executable, "-m", "benchmarks.grading", "--full", "1", "--submissions", "2", "--jobs", "1", *flags,
           "--json", str(tmp_path / "grading.json")]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures = json.loads((tmp_path / "grading.json").read_text())
    # the run graded (and checked, inside the benchmark) what was asked: one full workbook, the five
    # one-exercise fixtures, a folder of two with one job, on the route asked for
    assert figures["sandbox"] == ("bwrap" if not flags else "none")
    assert len(figures["full_s"]) == 1 and len(figures["one_exercise_s"]) == 5
    assert (figures["batch_submissions"], figures["batch_jobs"]) == (2, 1)
    assert all(t > 0 for t in [*figures["full_s"], *figures["one_exercise_s"], figures["batch_s"]])
    nb = figures["nbgrader_autograde_s"]
    assert (nb is None) == ("ratio_to_nbgrader" not in figures)
    assert "full submission (7 exercises): median" in proc.stdout
