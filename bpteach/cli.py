"""The `bpteach` command: `lab`, `assign`, `grade` and `gradescope`.

`bpteach lab [DIR] [--no-open]` copies the executed series into DIR (never over a learner's file) and
opens JupyterLab there.

`bpteach assign SOURCE -o DIR`; `bpteach grade SUBMISSION [--out DIR] [--jobs N] [--force]
[--no-sandbox]`; `bpteach gradescope -o autograder.zip`. Exit code 0 when every submission got
a report, 1 when some got only an error entry, 2 when nothing could be graded (no sandbox,
no exercise source, no submission).
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bpteach")
    sub = ap.add_subparsers(dest="command", required=True)
    lab = sub.add_parser("lab", help="copy the executed series into a folder of yours and open JupyterLab there")
    lab.add_argument("dir", nargs="?", default="bpteach-notebooks")
    lab.add_argument("--no-open", action="store_true", help="copy only; do not start JupyterLab")
    a = sub.add_parser("assign", help="write the student version and the manifest of an exercise notebook")
    a.add_argument("source", nargs="?", help="the exercise notebook with solutions (default: every shipped one)")
    a.add_argument("-o", "--out", required=True)
    g = sub.add_parser("grade", help="grade a submission, or every .ipynb in a folder")
    g.add_argument("submission")
    g.add_argument("--out", help="where the reports go (default: a reports/ folder beside)")
    g.add_argument("--jobs", type=int, default=1, help="submissions graded at once")
    g.add_argument("--source", help="the trusted exercise notebook (default: the shipped one it answers)")
    g.add_argument("--seed", type=int, help="secret seed of the hidden inputs (default: $BPTEACH_GRADER_SEED)")
    g.add_argument("--force", action="store_true", help="grade again submissions that already have a report")
    g.add_argument("--no-sandbox", action="store_true",
                   help="run student code without bubblewrap (no OS isolation; reports say \"sandbox\": \"none\")")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    s = sub.add_parser("gradescope", help="write a Gradescope autograder bundle (setup.sh, run_autograder)")
    s.add_argument("-o", "--out", default="autograder.zip")
    s.add_argument("--seed", type=int, help="secret seed of the hidden inputs (default: a new random one)")
    s.add_argument("--wheel", help="a bpteach wheel to install in the bundle (default: the running bpteach's code)")
    s.add_argument("--source", default="backprop-exercises",
                   help="the assignment: the shipped exercise notebook every submission is graded against, by name "
                        "(e.g. 04-unrolling-the-chain-rule; default: the workbook, backprop-exercises)")
    s.add_argument("--no-sandbox", action="store_true",
                   help="no wall but Gradescope's container (by default a bundle uses bubblewrap, or, where user "
                        "namespaces are refused, runs student code as an unprivileged user)")
    args = ap.parse_args(argv)
    if args.command == "lab":
        from .lab import lab as open_lab

        return open_lab(args.dir, open_lab=not args.no_open)

    from .grading.batch import GradingError
    from .grading.sandbox import SandboxUnavailable

    try:
        if args.command == "assign":
            return _assign(args)
        if args.command == "gradescope":
            from .grading.gradescope import bundle

            path, _ = bundle(args.out, seed=args.seed, wheel=args.wheel, sandbox="none" if args.no_sandbox else "auto",
                             source=args.source)
            print(f"wrote {path} (its seed is secret: share the zip with Gradescope only)")
            return 0
        from .grading.batch import grade_path

        reports = grade_path(args.submission, args.out, jobs=max(1, args.jobs), source=args.source, seed=args.seed,
                             sandbox="none" if args.no_sandbox else "bwrap", force=args.force,
                             progress=False if args.no_progress else None)
    except (GradingError, SandboxUnavailable) as err:
        print(f"bpteach {args.command}: {err}", file=sys.stderr)
        return 2
    failed = 0
    for r in reports:
        mark = " (could not be graded: see its report)" if r.get("error") else ""
        failed += bool(r.get("error"))
        print(f"{_printable(r['submission'])}: {r['score']:g} / {r['max_score']:g}{mark}")
    return 1 if failed else 0


def _printable(name: str) -> str:
    """A submission's file name for the terminal: control characters (ESC, CR...) shown as escapes."""
    from .grading.batch import printable

    return printable(name)


def _assign(args) -> int:
    from pathlib import Path

    from .grading import assign
    from .grading.batch import GradingError, sources

    targets = [Path(args.source)] if args.source else list(sources().values())
    if not targets:
        raise GradingError("no exercise notebook is installed with bpteach")
    for source in targets:
        if not source.is_file():
            raise GradingError(f"{source} is not a file")
        nb, manifest = assign(source, args.out)
        print(f"wrote {nb} and {manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
