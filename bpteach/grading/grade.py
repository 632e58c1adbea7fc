"""`bpteach grade`: judge submissions in this (clean) process, from arrays the sandbox wrote."""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

import nbformat
import numpy as np

from . import runner
from .assign import locked_hash, normalise, stub_source, student_notebook
from .batch import GradingError, sources
from .batch import grade_path as grade_path
from .exercises import BY_ID, training_loss

SOURCE = sources()["backprop-exercises"]
MAX_BYTES = 20 * 1024**2
USES_BPTEACH = re.compile(r"^\s*(import\s+bpteach|from\s+bpteach)", re.M)  # a hidden import fails at run time
STATUSES = ("passed", "partial", "failed", "error", "syntax_error", "timeout", "missing", "not_attempted")


def nbgrader(cell) -> dict:
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    data = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return data if isinstance(data, dict) else {}


def source_of(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def trusted(source_path: Path = SOURCE):
    """The source notebook's set-up cells, its exercises (solution, stub) and its locked cells."""
    nb = nbformat.read(source_path, as_version=4)
    setup, exercises, locked = [], [], {}
    for cell, handed_out in zip(nb.cells, student_notebook(nb).cells, strict=True):
        meta, bp = nbgrader(cell), cell.metadata.get("bpteach", {})
        if meta.get("locked") and meta.get("grade_id"):  # as written, or as handed out (hidden tests removed)
            locked[meta["grade_id"]] = {locked_hash(cell.source), locked_hash(handed_out.source)}
        if cell.cell_type == "code" and bp.get("setup"):
            setup.append(cell.source)
        if meta.get("solution") and meta.get("grade_id") in BY_ID:
            exercises.append((BY_ID[meta["grade_id"]], stub_source(cell.source)))
    return setup, exercises, locked


def read_submission(path: Path):
    """The submission as a v4 notebook, or an error message; never raises."""
    try:
        data = path.read_bytes()[: MAX_BYTES + 1]
        if len(data) > MAX_BYTES:
            return None, f"the file is larger than {MAX_BYTES // 1024**2} MB"
        if not data.strip():
            return None, "the file is empty"
        raw = json.loads(data.decode("utf-8", errors="replace"))
        if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
            return None, "the file is JSON but not a notebook"
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        cells = [c for c in nb.get("cells", []) if isinstance(c, dict)]
        return cells, None
    except json.JSONDecodeError as err:
        return None, f"the file is not valid JSON (truncated?): {err.msg} at line {err.lineno}"
    except Exception as err:
        return None, f"the file could not be read as a notebook: {type(err).__name__}: {err}"


def find_solution(cells, exercise):
    """The submission's cell for an exercise: by grade_id, else by `def function(`; the last wins."""
    by_id = [c for c in cells if nbgrader(c).get("grade_id") == exercise.grade_id]
    code_by_id = [c for c in by_id if c.get("cell_type") == "code"]
    if code_by_id:
        return code_by_id[-1], len(code_by_id) > 1, None
    by_name = [c for c in cells if c.get("cell_type") == "code" and f"def {exercise.function}(" in source_of(c)]
    if by_name:
        return by_name[-1], len(by_name) > 1, None
    if by_id:
        return None, False, f"the solution cell is now a {by_id[-1].get('cell_type')} cell, not code"
    return None, False, f"no cell defines {exercise.function}() and no cell has grade_id {exercise.grade_id}"


def flatten(value, path="out", out=None):
    """Leaves of nested tuples/dicts, named like the kernel-side flatten in runner.py."""
    out = {} if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, f"{path}__{k}", out)
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            flatten(v, f"{path}__{i}", out)
    else:
        out[path] = np.asarray(value)
    return out


def _close(a, b, rtol):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind not in "fiu":
        return False
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-300)
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(a - b) <= rtol * np.abs(b) + 1e-9 * scale))


def judge_case(exercise, case, outputs, inputs_after, types) -> tuple[bool, list[dict]]:
    checks = []

    def check(name, ok, message=""):
        checks.append({"name": name, "passed": bool(ok), "message": "" if ok else message})
        return ok

    if case.judge == "loss":
        return _judge_training(case, outputs, check), checks
    expected = flatten(case.expected)
    ok = True
    for path, want in expected.items():
        label = path.replace("out__", "item ").replace("__", ", key ") if path != "out" else "the result"
        got = outputs.get(path)
        kind = types.get(path, "nothing")
        if not check(f"{label}: returned", got is not None, f"{label}: expected an array, got {kind}"):
            ok = False
            continue
        if not check(f"{label}: type", kind == "ndarray",
                     f"{label}: returned {kind}, expected a plain numpy ndarray"):  # fmt: skip
            ok = False
        if not check(
            f"{label}: shape",
            got.shape == want.shape,
            f"{label}: shape {got.shape}, expected {want.shape}"
            + (" (the transpose: W vs Wᵀ, or a δᵀ vs δ aᵀ?)" if got.shape == want.shape[::-1] else ""),
        ):
            ok = False  # fmt: skip
            continue
        if not check(f"{label}: dtype", got.dtype == np.float64, f"{label}: dtype {got.dtype}, expected float64"):
            ok = False
        if not check(f"{label}: finite", got.dtype.kind in "fiu" and np.all(np.isfinite(got)),
                     f"{label}: contains NaN or infinity"):  # fmt: skip
            ok = False
            continue
        if not check(
            f"{label}: value",
            _close(got, want, exercise.rtol),
            f"{label}: wrong values (max difference {np.max(np.abs(got.astype(float) - want)):.2e})",
        ):
            ok = False  # fmt: skip
    for name, original in flatten(case.inputs, "in").items():
        after = inputs_after.get(name)
        if after is not None and not check(
            f"input {name[4:]} unchanged",
            after.shape == original.shape and np.array_equal(after, original),
            f"your function changed its input {name[4:].replace('__', '[')}{']' if '__' in name[4:] else ''} in place",
        ):
            ok = False  # fmt: skip
    if not ok:
        got = {k: v for k, v in outputs.items() if k in expected}
        for hint, wrong in case.mistakes.items():
            w = flatten(wrong)
            if set(w) <= set(got) and all(_close(got[k], w[k], 1e-6) for k in w):
                checks.append({"name": "hint", "passed": False, "message": f"looks like: {hint}"})
                break
    return ok, checks


def _judge_training(case, outputs, check) -> bool:
    W = {int(k.split("__")[2]): v for k, v in outputs.items() if k.startswith("out__0__")}
    b = {int(k.split("__")[2]): v for k, v in outputs.items() if k.startswith("out__1__")}
    if not check("returned (W, b) dicts", W and b and sorted(W) == sorted(b) == list(range(1, len(W) + 1)),
                 "train must return (W, b): two dicts keyed by layer 1..n_l-1"):  # fmt: skip
        return False
    try:
        loss = training_loss(W, b, case.inputs["X"], case.inputs["Y"])
    except (ValueError, TypeError) as err:
        check("parameters fit together", False, f"the returned parameters do not form a network: {err}")
        return False
    return check(f"mean J <= {case.expected}", np.isfinite(loss) and loss <= case.expected,
                 f"mean J on the hidden data is {loss:.4f}, the target is {case.expected}")  # fmt: skip


def grade_submission(path, source: Path = SOURCE, seed: int | None = None, sandbox: str = "bwrap") -> dict:
    """Grade one notebook; always returns a report, whatever the file holds.

    Every exercise runs in one sandboxed session (runner.Session); `sandbox="none"` is --no-sandbox.
    An unreadable source, or one without exercises, raises GradingError: never a 0 / 0 report.
    """
    path = Path(path)
    seed = _seed(seed)
    setup, exercises, locked = _trusted_or_fail(source)
    session = runner.Session(sandbox)
    report = {"submission": path.name, "score": 0.0, "max_score": float(sum(e.points for e, _ in exercises)),
              "exercises": [], "notes": []}  # fmt: skip
    report["sandbox"] = sandbox
    cells, problem = read_submission(path)
    if problem:
        report["notes"].append(problem)
        cells = []
    for cell in cells:
        gid = nbgrader(cell).get("grade_id")
        if gid in locked and locked_hash(source_of(cell)) not in locked[gid]:
            report["notes"].append(f"locked cell {gid} was edited; the original was used")
    for index, (exercise, stub) in enumerate(exercises):
        entry = {"name": exercise.title, "grade_id": exercise.grade_id, "points": 0.0,
                 "max_points": float(exercise.points), "status": "missing", "checks": [], "seconds": 0.0}  # fmt: skip
        report["exercises"].append(entry)
        if problem:
            entry["checks"].append({"name": "notebook readable", "passed": False, "message": problem})
            continue
        cell, duplicated, why = find_solution(cells, exercise)
        if cell is None:
            entry["checks"].append({"name": "solution cell found", "passed": False, "message": why})
            continue
        if duplicated:
            report["notes"].append(f"{exercise.grade_id}: several solution cells; the last one was graded")
        solution = source_of(cell)
        if normalise(solution) == normalise(stub):
            entry["status"] = "not_attempted"
            continue
        if USES_BPTEACH.search(solution):
            entry["status"] = "failed"
            entry["checks"].append(
                {
                    "name": "own work",
                    "passed": False,
                    "message": "the solution uses bpteach, the reference; write it yourself",
                }
            )
            continue  # fmt: skip
        rng = np.random.default_rng([seed, index])
        cases = exercise.make_cases(rng)
        run = session.run(setup, solution, exercise.function, cases, exercise.prepare)
        entry["seconds"] = round(run.seconds, 2)
        if run.truncated_output:
            report["notes"].append(f"{exercise.grade_id}: output was cut at {runner.OUTPUT_BUDGET // 1024} KiB")
        if run.status != "ok":
            entry["status"] = run.status
            entry["checks"].append({"name": "runs", "passed": False, "message": _explain(run.message)})
            continue
        passed = 0
        for n, case in enumerate(cases):
            ok, checks = judge_case(exercise, case, run.outputs.get(n, {}), run.inputs_after.get(n, {}),
                                    run.types.get(n, {}))  # fmt: skip
            for c in checks:
                c["name"] = f"case {n + 1}: {c['name']}"
            entry["checks"] += checks
            passed += ok
        entry["points"] = round(exercise.points * passed / len(cases), 2)
        entry["status"] = "passed" if passed == len(cases) else "partial" if passed else "failed"
    session.close()
    report["score"] = round(sum(e["points"] for e in report["exercises"]), 2)
    return report


def _trusted_or_fail(source):
    try:
        setup, exercises, locked = trusted(Path(source))
    except Exception as err:
        raise GradingError(f"cannot read the exercise source {source}: {type(err).__name__}: {err}") from err
    if not exercises:
        raise GradingError(f"no exercise found in {source} (no solution cell with a known grade_id)")
    return setup, exercises, locked


def _explain(message: str) -> str:
    if "mismatch in its core dimension" in message or "not aligned" in message or "could not be broadcast" in message:
        return message + " — check the shapes: W (s_{l+1}, s_l) needs its transpose Wᵀ to carry δ backwards"
    if message.startswith("NotImplementedError"):
        return message + " — the stub is still there"
    return message


def _seed(seed):
    if seed is not None:
        return int(seed)
    env = os.environ.get("BPTEACH_GRADER_SEED")
    return int(env) if env else secrets.randbits(32)


def markdown(report: dict) -> str:
    lines = [f"# Report: {report['submission']}", "",
             f"**Score: {report['score']:g} / {report['max_score']:g}**", "",
             "| exercise | status | points |", "| --- | --- | --- |"]  # fmt: skip
    for e in report["exercises"]:
        lines.append(f"| {e['name']} | {e['status'].replace('_', ' ')} | {e['points']:g} / {e['max_points']:g} |")
    for e in report["exercises"]:
        bad = [c for c in e["checks"] if not c["passed"]]
        if bad:
            lines += ["", f"## {e['name']}", ""] + [f"- {c['message']}" for c in bad if c["message"]]
    if report["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(lines) + "\n"
