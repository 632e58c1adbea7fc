"""A Gradescope autograder bundle: `bpteach gradescope -o autograder.zip`.

The zip holds what Gradescope expects at its top level: `setup.sh` (run once, as root, on
Gradescope's Ubuntu image: installs bubblewrap and bpteach with its `grade` extra into
/autograder/venv) and `run_autograder` (run once per submission: grades
/autograder/submission/*.ipynb in the bwrap sandbox and writes
/autograder/results/results.json in Gradescope's format). It also holds bpteach itself (the
running package's code, or a wheel given with --wheel) and `bpteach-gradescope.json` with the
secret seed of the hidden inputs, drawn when the bundle is made. Students never see the bundle.

Which wall a bundle uses is chosen per submission (`sandbox: auto`, the default): bubblewrap where
it starts; where user namespaces are refused, as Docker's default seccomp profile does on
Gradescope, the `user` route (user_route.py): student code runs as the unprivileged user `student`
that setup.sh makes, while the bundle's sources, seed, the submission, the results folder and every
bpteach copy are readable by root only, and every process of that user is killed before
results.json is written; in Gradescope's disposable container its disk is bounded too (the shared
folders locked, its work folder on /dev/shm watched: user_route.confine, DiskWatch). `--no-sandbox`
("none") leaves only Gradescope's container.

`python -m bpteach.grading.gradescope [--root /autograder]` is what run_autograder calls.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import stat
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from .batch import WORKBOOK

CONFIG = "bpteach-gradescope.json"

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends bubblewrap python3 python3-venv python3-pip util-linux
# student code never runs as root where bubblewrap cannot start (Docker refuses user namespaces)
id -u student >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin student
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet --upgrade pip
{install}
chmod -R go-rwx /autograder/source
# nothing of the image writable by every user (the shared temporary folders run_autograder locks itself):
# student code then writes only in the folder on /dev/shm whose size run_autograder watches
find / -xdev \\( -type d -o -type f \\) -perm -0002 -not -path /tmp -not -path /var/tmp -not -path /run/lock \\
    -exec chmod o-w {{}} + 2>/dev/null || true
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this once per submission. AUTOGRADER_ROOT and BPTEACH_PYTHON exist for tests.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${BPTEACH_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT/source"
PYTHONPATH="$ROOT/source/vendor${PYTHONPATH:+:$PYTHONPATH}" exec "$PY" -m bpteach.grading.gradescope --root "$ROOT"
"""


def bundle(out, seed: int | None = None, wheel=None, sandbox: str = "auto",
           source: str = WORKBOOK) -> tuple[Path, int]:
    """Write the autograder zip for one assignment, the shipped exercise notebook `source` (by name);
    return its path and the seed it holds. Every submission is graded against that notebook only,
    whatever exercises it answers: a solved copy of another notebook scores nothing."""
    from .batch import GradingError, sources

    if sandbox not in ("auto", "bwrap", "user", "none"):
        raise GradingError(f"sandbox must be auto, bwrap, user or none, not {sandbox!r}")
    if source not in sources():
        raise GradingError(f"no shipped exercise notebook is named {source!r}: one of {', '.join(sorted(sources()))}")
    out = Path(out)
    seed = secrets.randbits(32) if seed is None else int(seed)
    with tempfile.TemporaryDirectory(prefix="bpteach-gradescope-") as tmp:
        root = Path(tmp)
        if wheel:
            wheel = Path(wheel)
            shutil.copy(wheel, root / wheel.name)
            install = f'/autograder/venv/bin/pip install --quiet "/autograder/source/{wheel.name}[grade]"'
        else:  # the running bpteach's code, vendored; its dependencies from PyPI
            package = Path(__file__).resolve().parents[1]
            shutil.copytree(package, root / "vendor" / "bpteach", ignore=shutil.ignore_patterns("__pycache__"))
            (root / "requirements.txt").write_text("\n".join(_requirements()) + "\n")
            install = "/autograder/venv/bin/pip install --quiet -r /autograder/source/requirements.txt"
        (root / "setup.sh").write_text(SETUP.format(install=install))
        (root / "run_autograder").write_text(RUN)
        (root / CONFIG).write_text(json.dumps({"seed": seed, "sandbox": sandbox, "source": source}))
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo(str(path.relative_to(root)), date_time=(2020, 1, 1, 0, 0, 0))
                    executable = path.name in ("setup.sh", "run_autograder")
                    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    z.writestr(info, path.read_bytes())
    return out, seed


# pyproject.toml's `dependencies` and `grade` extra, for a bpteach run from a checkout that was never
# installed (no metadata); tests/grading/test_gradescope_requirements.py fails when they drift apart.
FALLBACK_REQUIREMENTS = ("numpy>=1.24", "matplotlib>=3.7", "ipywidgets>=8.1.9,<9", "nbformat>=5.9", "ipython>=8",
                         "tqdm>=4.60")


def _requirements() -> list[str]:
    """bpteach's runtime and `grade` requirements, as its installed metadata states them."""
    from importlib import metadata

    try:
        reqs = metadata.requires("bpteach") or []
    except metadata.PackageNotFoundError:
        reqs = []
    keep = [r.split(";")[0].strip() for r in reqs if "extra ==" not in r or "'grade'" in r or '"grade"' in r]
    return keep or list(FALLBACK_REQUIREMENTS)


def results(report: dict) -> dict:
    """A bpteach report in Gradescope's results.json format (score, tests[] with the hints in output)."""
    tests = []
    for e in report["exercises"]:
        lines = [f"status: {e['status'].replace('_', ' ')}"]
        lines += [f"- {c['message']}" for c in e["checks"] if not c["passed"] and c["message"]]
        tests.append({"name": e["name"], "score": e["points"], "max_score": e["max_points"],
                      "output": "\n".join(lines), "visibility": "visible"})
    notes = [f"graded with student code in the {report.get('sandbox', 'bwrap')!r} sandbox", *report.get("notes", [])]
    output = "\n".join(f"- {n}" for n in notes)
    return {"score": report["score"], "output": output, "visibility": "visible", "stdout_visibility": "hidden",
            "tests": tests}


def run(root: Path) -> int:
    """Grade the submission under ROOT/submission and write ROOT/results/results.json."""
    from . import sandbox as _sandbox
    from . import user_route
    from .batch import GradingError, sources
    from .grade import grade_submission
    from .sandbox import SandboxUnavailable

    start = time.monotonic()
    config = json.loads((root / "source" / CONFIG).read_text())
    target = root / "results" / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    notebooks = sorted(p for p in (root / "submission").glob("*.ipynb") if p.is_file())
    mode = config.get("sandbox", "bwrap")
    try:
        if not notebooks:
            raise GradingError("no .ipynb file was submitted")
        if mode == "auto":
            mode = user_route.route()
        elif mode == "bwrap":
            _sandbox.check()
        if mode == "user":  # before any student code runs: answers, seed and verdict out of its reach
            copies = _sandbox.bpteach_copies(["/usr", sys.prefix, sys.base_prefix])
            user_route.protect([root / "source", root / "submission", target.parent, *copies])
        path = notebooks[0]
        source = sources().get(config.get("source", WORKBOOK))
        if source is None:
            raise GradingError(f"the bundle's exercise notebook {config.get('source')!r} is not installed")
        with _disk_walls(mode, root) as watch:
            report = grade_submission(path, source, int(config["seed"]), sandbox=mode)
        if watch is not None and watch.kills:
            report["notes"].append(f"student code was stopped: its files took more than {watch.cap >> 20} MiB "
                                   "of disk")
        if len(notebooks) > 1:
            report["notes"].append(f"several notebooks were submitted; {path.name} was graded")
        data = results(report)
        code = 0
    except Exception as err:  # GradingError, SandboxUnavailable, or a grader bug: results.json all the same
        why = err if isinstance(err, (GradingError, SandboxUnavailable)) else f"{type(err).__name__}: {err}"
        data, code = {"score": 0.0, "output": f"The autograder could not grade this submission: {why}",
                      "visibility": "visible", "tests": []}, 1
    if mode == "user":  # nothing of the student's may outlive the grading to touch results.json
        try:
            user_route.kill_user(user_route.student_uid())
        except SandboxUnavailable:
            pass  # no such user: no student code ran
    data["execution_time"] = round(time.monotonic() - start, 2)
    target.unlink(missing_ok=True)  # a fresh file of root's, not one opened earlier by anyone else
    target.write_text(json.dumps(data, indent=2))
    return code


@contextlib.contextmanager
def _disk_walls(mode: str, root: Path):
    """On the `user` route in a disposable container (Gradescope's /autograder; tests say so with
    BPTEACH_DISPOSABLE=1): the shared folders locked and the student's disk watched (user_route.py).
    Never on an instructor's own machine, whose /tmp stays as it is."""
    from . import user_route

    if mode != "user" or not (root == Path("/autograder") or os.environ.get("BPTEACH_DISPOSABLE") == "1"):
        yield None
        return
    with user_route.confine() as folder, user_route.DiskWatch(folder, user_route.student_uid()) as watch:
        yield watch


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bpteach.grading.gradescope")
    ap.add_argument("--root", default="/autograder")
    return run(Path(ap.parse_args(argv).root))


if __name__ == "__main__":
    sys.exit(main())
