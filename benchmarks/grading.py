"""Grading speed, in one run: a full submission (median of 5), a one-exercise submission, 100 full
submissions with --jobs 2, and nbgrader's autograde on the same full solution when nbgrader is
installed (the `bench` extra), as the ratio bpteach / nbgrader.

`python -m benchmarks.grading [--full 5] [--submissions 100] [--jobs 2] [--no-sandbox] [--json PATH]`.
Every graded submission is checked (full marks for the full solution) before its time counts.
Targets: full submission median <= 3 s, bpteach/nbgrader <= 0.5, 100 submissions <= 180 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bpteach.grading.batch import grade_path
from bpteach.grading.grade import SOURCE, grade_submission

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "grading" / "fixtures"
ONE_EXERCISE = ["ex1-sign-flipped", "ex2-missing-transpose", "ex3-a-delta-transposed", "ex5-one-sided",
                "ex4-no-bias"]  # fmt: skip
TARGETS = {"full_median_s": 3.0, "ratio_to_nbgrader": 0.5, "batch_s": 180.0}


def full_submissions(n: int, sandbox: str) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        report = grade_submission(SOURCE, seed=1, sandbox=sandbox)
        times.append(time.perf_counter() - start)
        assert report["score"] == report["max_score"] == 14, report
    return times


def one_exercise(sandbox: str) -> list[float]:
    times = []
    for name in ONE_EXERCISE:
        start = time.perf_counter()
        report = grade_submission(FIXTURES / f"{name}.ipynb", seed=1, sandbox=sandbox)
        times.append(time.perf_counter() - start)
        assert sum(e["status"] != "not_attempted" for e in report["exercises"]) == 1
    return times


def batch(n: int, jobs: int, sandbox: str) -> float:
    with tempfile.TemporaryDirectory(prefix="bpteach-bench-") as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        for i in range(n):
            shutil.copy(SOURCE, folder / f"student{i:03d}.ipynb")
        start = time.perf_counter()
        reports = grade_path(folder, Path(tmp) / "reports", jobs=jobs, seed=1, sandbox=sandbox, progress=False)
        elapsed = time.perf_counter() - start
    assert len(reports) == n and all(r["score"] == 14 for r in reports)
    return elapsed


def nbgrader_autograde(repeats: int = 3) -> list[float] | None:
    """`nbgrader autograde` of the same full solution in a throwaway course; None without nbgrader."""
    exe = shutil.which("nbgrader", path=str(Path(sys.executable).parent)) or shutil.which("nbgrader")
    if exe is None:
        return None
    times = []
    env = {**os.environ, "PATH": f"{Path(exe).parent}:{os.environ.get('PATH', '')}"}  # nbgrader runs alembic
    with tempfile.TemporaryDirectory(prefix="bpteach-nbgrader-") as tmp:
        course = Path(tmp)
        config = f"c = get_config()\nc.CourseDirectory.course_id = 'bench'\nc.CourseDirectory.root = {str(course)!r}\n"
        (course / "nbgrader_config.py").write_text(config + "c.ExecutePreprocessor.timeout = 120\n")
        (course / "source" / "ps1").mkdir(parents=True)
        shutil.copy(SOURCE, course / "source" / "ps1" / SOURCE.name)
        for step in (["db", "student", "add", "s1"], ["db", "assignment", "add", "ps1"],
                     ["generate_assignment", "ps1", "--force"]):  # fmt: skip
            subprocess.run([exe, *step], cwd=course, check=True, capture_output=True, env=env)
        (course / "submitted" / "s1" / "ps1").mkdir(parents=True)
        shutil.copy(SOURCE, course / "submitted" / "s1" / "ps1" / SOURCE.name)  # the full solution, as bpteach's
        for _ in range(repeats):
            start = time.perf_counter()
            done = subprocess.run([exe, "autograde", "ps1", "--force"], cwd=course, capture_output=True, text=True,
                                  env=env)  # fmt: skip
            times.append(time.perf_counter() - start)
            assert done.returncode == 0, done.stderr[-2000:]
    return times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.grading")
    ap.add_argument("--full", type=int, default=5, help="full submissions timed one by one (median)")
    ap.add_argument("--submissions", type=int, default=100, help="full submissions in the --jobs folder run")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-sandbox", action="store_true")
    ap.add_argument("--json", help="write the figures here too")
    args = ap.parse_args(argv)
    sandbox = "none" if args.no_sandbox else "bwrap"
    full = full_submissions(args.full, sandbox)
    single = one_exercise(sandbox)
    nb = nbgrader_autograde()
    elapsed = batch(args.submissions, args.jobs, sandbox) if args.submissions else None
    figures = {"sandbox": sandbox, "full_s": full, "full_median_s": statistics.median(full),
               "one_exercise_s": single, "one_exercise_median_s": statistics.median(single),
               "nbgrader_autograde_s": nb, "batch_submissions": args.submissions, "batch_jobs": args.jobs,
               "batch_s": elapsed}  # fmt: skip
    print(f"sandbox: {sandbox}")
    print(f"full submission (7 exercises): median {figures['full_median_s']:.2f} s over {len(full)} "
          f"(min {min(full):.2f}, max {max(full):.2f})")  # fmt: skip
    print(f"one-exercise submission: median {figures['one_exercise_median_s']:.2f} s over {len(single)}")
    verdicts = [("full submission median <= 3 s", figures["full_median_s"] <= TARGETS["full_median_s"])]
    if nb:
        ratio = figures["full_median_s"] / statistics.median(nb)
        figures["ratio_to_nbgrader"] = ratio
        print(f"nbgrader autograde, same full solution: median {statistics.median(nb):.2f} s over {len(nb)}; "
              f"bpteach / nbgrader = {ratio:.2f}")  # fmt: skip
        verdicts.append(("bpteach / nbgrader <= 0.5", ratio <= TARGETS["ratio_to_nbgrader"]))
    else:
        print("nbgrader autograde: nbgrader is not installed (pip install 'bpteach[bench]')")
    if elapsed is not None:
        print(f"--jobs {args.jobs} on {args.submissions} full submissions: {elapsed:.1f} s, "
              f"{args.submissions / elapsed * 60:.1f} submissions per minute")  # fmt: skip
        if args.submissions == 100:
            verdicts.append(("100 full submissions <= 180 s", elapsed <= TARGETS["batch_s"]))
    print("targets: " + "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in verdicts))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
