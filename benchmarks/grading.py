"""`python -m benchmarks.grading [--full 5] [--submissions 100] [--jobs 2] [--no-sandbox] [--json PATH]`:
grading speed, a full submission (median of --full), one-exercise submissions, a folder of full submissions
graded with --jobs, and `nbgrader autograde` on the same full solution when nbgrader is installed (the
`bench` extra). Every graded submission is checked (full marks for the full solution) before its time counts.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from bpteach.grading.batch import WORKBOOK, grade_path, sources
from bpteach.grading.grade import grade_submission

SOURCE = sources()[WORKBOOK]  # the seven-exercise workbook: the full submission graded here

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "grading" / "fixtures"
ONE_EXERCISE = ["ex1-sign-flipped", "ex2-missing-transpose", "ex3-a-delta-transposed", "ex5-one-sided", "ex4-no-bias"]


def graded(paths: list[Path], sandbox: str, check) -> list[float]:
    """Seconds to grade each submission in `paths`, each report checked by `check`."""
    times = []
    for path in paths:
        start = time.perf_counter()
        report = grade_submission(path, seed=1, sandbox=sandbox)
        times.append(time.perf_counter() - start)
        assert check(report), report
    return times


def _attempted(report) -> int:
    return sum(e["status"] != "not_attempted" for e in report["exercises"])


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
        for step in ("db student add s1", "db assignment add ps1", "generate_assignment ps1 --force"):
            subprocess.run([exe, *step.split()], cwd=course, check=True, capture_output=True, env=env)
        (course / "submitted" / "s1" / "ps1").mkdir(parents=True)
        shutil.copy(SOURCE, course / "submitted" / "s1" / "ps1" / SOURCE.name)  # the full solution, as bpteach's
        for _ in range(repeats):
            start = time.perf_counter()
            done = subprocess.run([exe, "autograde", "ps1", "--force"], cwd=course, capture_output=True, env=env)
            times.append(time.perf_counter() - start)
            assert done.returncode == 0, done.stderr[-2000:].decode(errors="replace")
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
    full = graded([SOURCE] * args.full, sandbox, lambda r: r["score"] == r["max_score"] == 14)
    single = graded([FIXTURES / f"{n}.ipynb" for n in ONE_EXERCISE], sandbox, lambda r: _attempted(r) == 1)
    nb = nbgrader_autograde()
    elapsed = batch(args.submissions, args.jobs, sandbox) if args.submissions else None
    figures = {"sandbox": sandbox, "full_s": full, "one_exercise_s": single, "nbgrader_autograde_s": nb}
    figures |= {"batch_submissions": args.submissions, "batch_jobs": args.jobs, "batch_s": elapsed}
    print(f"sandbox: {sandbox}")
    print(f"full submission (7 exercises): median {median(full):.2f} s over {len(full)} (min {min(full):.2f})")
    print(f"one-exercise submission: median {median(single):.2f} s over {len(single)}")
    if nb:
        figures["ratio_to_nbgrader"] = ratio = median(full) / median(nb)
        print(f"nbgrader autograde, same full solution: median {median(nb):.2f} s; bpteach / nbgrader = {ratio:.2f}")
    else:
        print("nbgrader autograde: nbgrader is not installed (pip install 'bpteach[bench]')")
    if elapsed is not None:
        rate = args.submissions / elapsed * 60
        print(f"--jobs {args.jobs} on {args.submissions} full submissions: {elapsed:.1f} s, {rate:.1f} per minute")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
