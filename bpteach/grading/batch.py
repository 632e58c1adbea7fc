"""Grading a folder: jobs, report folders, summary.csv, resume.

The trusted exercise notebooks are found by `catalogue` (re-exported here: `sources`,
`source_for`, `GradingError`, `WORKBOOK`). A folder run grades its notebooks on N threads
(each submission's code runs in its own sandboxed process, so a thread is all the grader
needs), writes each report as soon as it is judged, skips a submission whose report is
already there for the same file content (unless `force`), and ends with summary.csv.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import secrets
import stat
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from . import quotas
from .catalogue import WORKBOOK as WORKBOOK  # re-exported: where callers have always found them
from .catalogue import GradingError as GradingError
from .catalogue import pick_seed, sources, trusted_or_fail
from .catalogue import source_for as source_for
from .submission import no_links


def folder_name(stem: str, taken: set[str]) -> str:
    """A safe folder name from a notebook's stem (no dots first, no separators), unique in `taken`."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_-")[:80] or "submission"
    unique, n = name, 2
    while unique.lower() in taken:
        unique, n = f"{name}-{n}", n + 1
    taken.add(unique.lower())
    return unique


def digest(path: Path) -> str:
    """The file's sha256, or "" for one that is not a regular file: a link is not followed (it may point at
    /proc/kcore, endless; submission.read refuses it anyway)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb", opener=no_links) as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return ""
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return ""
    return h.hexdigest()


def grade_path(path, out=None, jobs: int = 1, source=None, seed: int | None = None, sandbox: str = "bwrap",
               force: bool = False, progress: bool | None = None) -> list[dict]:
    """Grade a notebook, or every .ipynb in a folder; write report.json and report.md for each.

    A folder's reports go to OUT/<safe stem>/ and OUT/summary.csv; a single notebook's to OUT/.
    Raises GradingError (and SandboxUnavailable) before grading anything when nothing can be graded.
    """
    from . import sandbox as _sandbox
    from .grade import grade_submission
    from .report import markdown

    path = Path(path)
    if not path.exists():
        raise GradingError(f"{path} does not exist")
    files = sorted(p for p in path.glob("*.ipynb") if p.is_file()) if path.is_dir() else [path]
    if not files:
        raise GradingError(f"no .ipynb file in {path}")
    chosen = Path(source) if source else None
    maxima = {}  # source -> max score, for the entry of a submission the grader failed on
    for candidate in [chosen] if chosen is not None else list(sources().values()):
        _, exercises, _ = trusted_or_fail(candidate)
        maxima[candidate] = float(sum(e.points for e, _ in exercises))
    if not maxima:
        raise GradingError("no exercise notebook is installed with bpteach")
    if sandbox == "bwrap":
        _sandbox.check()
    out = Path(out) if out else (path if path.is_dir() else path.parent) / "reports"
    seed = _run_seed(out, seed, pick_seed)
    seed_id = hashlib.sha256(secrets_salt(out).encode() + str(seed).encode()).hexdigest()[:16]
    taken: set[str] = set()
    folders = [out / folder_name(f.stem, taken) if path.is_dir() else out for f in files]

    def one(f: Path, folder: Path) -> dict:
        sha = digest(f)
        previous = folder / "report.json"
        if not force and previous.is_file():
            try:
                old = json.loads(previous.read_text())
                if old.get("sha256") == sha and old.get("sandbox") == sandbox and old.get("seed_id") == seed_id:
                    old["resumed"] = True
                    return old
            except (OSError, ValueError, AttributeError):
                pass
        try:
            report = grade_submission(f, chosen, seed, sandbox=sandbox)
        except Exception as err:  # the last line of defence: an entry, never a lost batch
            top = maxima.get(chosen, max(maxima.values()))
            report = {"submission": f.name, "score": 0.0, "max_score": top, "exercises": [],
                      "notes": [f"the grader failed on this file: {type(err).__name__}: {err}"],
                      "error": True, "sandbox": sandbox}
        report["sha256"], report["seed_id"] = sha, seed_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.json").write_text(json.dumps(report, indent=2))
        (folder / "report.md").write_text(markdown(report))
        return report

    reports: list[dict | None] = [None] * len(files)
    bar = _progress(len(files), progress)
    if sandbox == "user":  # one student uid: ending one job kills its processes and removes its files
        jobs = 1
    with quotas.side_by_side(jobs), ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(one, f, d): i for i, (f, d) in enumerate(zip(files, folders, strict=True))}
        for future in as_completed(futures):
            i = futures[future]
            try:
                reports[i] = future.result()
            except Exception as err:  # writing the report failed (disk full?): still an entry
                note = f"no report could be written: {err}"
                reports[i] = {"submission": files[i].name, "score": 0.0, "max_score": max(maxima.values()),
                              "exercises": [], "notes": [note], "error": True}
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    if path.is_dir():
        write_summary(out / "summary.csv", files, folders, reports)
    return reports


RUN_FILE = ".bpteach-run.json"  # in the reports folder: the seed and a salt, for the instructor only


def _run_seed(out: Path, seed: int | None, default) -> int:
    """--seed or $BPTEACH_GRADER_SEED, else the seed of the interrupted run in OUT, else a new one."""
    stored = None
    try:
        stored = json.loads((out / RUN_FILE).read_text()).get("seed")
    except (OSError, ValueError, AttributeError):
        pass
    chosen = default(seed) if seed is not None or os.environ.get("BPTEACH_GRADER_SEED") or stored is None else stored
    out.mkdir(parents=True, exist_ok=True)
    run = out / RUN_FILE
    salt = secrets_salt(out)
    run.write_text(json.dumps({"seed": int(chosen), "salt": salt}))
    os.chmod(run, 0o600)
    return int(chosen)


def secrets_salt(out: Path) -> str:
    """A random salt kept beside the seed, so that a report's seed_id cannot be brute-forced back to the seed."""
    try:
        salt = json.loads((out / RUN_FILE).read_text()).get("salt")
        if isinstance(salt, str) and salt:
            return salt
    except (OSError, ValueError, AttributeError):
        pass
    return secrets.token_hex(16)


def _progress(total: int, enabled: bool | None):
    if enabled is False:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="submission", desc="grading", disable=None if enabled is None else not enabled)


def printable(text) -> str:
    """Student-controlled text for a terminal: control characters (ESC, CR, BEL...) written as escapes."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in str(text))


def cell(text) -> str:
    """A CSV cell a spreadsheet shows as text, and a terminal too: one that would start a formula gets a
    leading apostrophe, and it is `printable`, so `cat summary.csv` cannot clear or retitle the
    instructor's terminal."""
    text = printable(text)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r", "|", "%")) else text


def write_summary(target: Path, files, folders, reports) -> None:
    """The gradebook: one line per submission (exercise "total") and one per exercise.

    The submission's file name is the student-controlled string here: every field goes through
    `cell`, so `=HYPERLINK(...)` or `@SUM(...)` in a name is shown, never evaluated, and ESC stays text.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["submission", "report_folder", "exercise", "status", "points", "max_points", "source"])
        for file, folder, r in zip(files, folders, reports, strict=True):
            status, source = "error" if r.get("error") else "graded", r.get("source", "")  # the notebook judged against
            rows = [("total", status, r["score"], r["max_score"])]
            rows += [(e.get("grade_id", e.get("name")), e["status"], e["points"], e["max_points"])
                     for e in r.get("exercises", [])]
            for row in rows:  # every field through `cell`, not only those a student names
                w.writerow([cell(v) for v in (file.name, folder.name, *row, source)])
