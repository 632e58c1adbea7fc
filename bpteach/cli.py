"""The `bpteach` command: `bpteach assign SOURCE -o DIR` and `bpteach grade SUBMISSION [--out DIR] [--jobs N]`."""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bpteach")
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("assign", help="write the student version and the manifest of an exercise notebook")
    a.add_argument("source")
    a.add_argument("-o", "--out", required=True)
    g = sub.add_parser("grade", help="grade a submission, or every .ipynb in a folder")
    g.add_argument("submission")
    g.add_argument("--out", help="where report.json and report.md go (default: a reports/ folder beside)")
    g.add_argument("--jobs", type=int, default=1)
    g.add_argument("--source", help="the trusted exercise notebook (default: the one shipped in notebooks/)")
    g.add_argument("--seed", type=int, help="secret seed of the hidden inputs (default: $BPTEACH_GRADER_SEED)")
    args = ap.parse_args(argv)

    if args.command == "assign":
        from .grading import assign

        nb, manifest = assign(args.source, args.out)
        print(f"wrote {nb} and {manifest}")
        return 0
    from .grading.grade import SOURCE, grade_path

    reports = grade_path(args.submission, args.out, jobs=max(1, args.jobs), source=args.source or SOURCE,
                         seed=args.seed)  # fmt: skip
    for r in reports:
        print(f"{r['submission']}: {r['score']:g} / {r['max_score']:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
