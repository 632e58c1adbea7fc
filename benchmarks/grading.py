"""Grading speed: median time per submission, and the throughput of --jobs 2 on a folder.

`python -m benchmarks.grading [--submissions 50] [--full 3]`. The folder holds copies of the
corpus's one-exercise submissions (cycled up to the count); the full submissions are the
source notebook with all seven exercises answered.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bpteach.grading.grade import SOURCE, grade_path, grade_submission

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "grading" / "fixtures"
QUICK = ["ex1-sign-flipped", "ex2-missing-transpose", "ex3-a-delta-transposed", "ex5-one-sided",
         "ex1-hardcoded", "reordered-cells", "ex4-no-bias", "ex1-float32"]  # fmt: skip


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.grading")
    ap.add_argument("--submissions", type=int, default=50)
    ap.add_argument("--full", type=int, default=3, help="how many full (7-exercise) submissions to time")
    args = ap.parse_args(argv)
    full = []
    for _ in range(args.full):
        start = time.perf_counter()
        report = grade_submission(SOURCE, seed=1)
        full.append(time.perf_counter() - start)
        assert report["score"] == report["max_score"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "subs"
        folder.mkdir()
        for n in range(args.submissions):
            shutil.copy(FIXTURES / f"{QUICK[n % len(QUICK)]}.ipynb", folder / f"s{n:03d}.ipynb")
        single = []
        for name in QUICK[:4]:
            start = time.perf_counter()
            grade_submission(FIXTURES / f"{name}.ipynb", seed=1)
            single.append(time.perf_counter() - start)
        start = time.perf_counter()
        reports = grade_path(folder, Path(tmp) / "out", jobs=2, seed=1)
        elapsed = time.perf_counter() - start
    assert len(reports) == args.submissions
    if full:
        print(f"full submission (7 exercises, 7 kernels): median {statistics.median(full):.1f} s over {len(full)}")
    print(f"one-exercise submission: median {statistics.median(single):.1f} s over {len(single)}")
    print(f"--jobs 2 on {args.submissions} one-exercise submissions: {elapsed:.1f} s, "
          f"{args.submissions / elapsed * 60:.1f} submissions per minute")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
