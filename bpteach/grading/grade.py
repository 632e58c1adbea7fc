"""`bpteach grade`: one submission through the pipeline, in this (clean) process: read it
(submission.py), run each exercise in its sandboxed session (runner.py), judge what crossed back
(judge.py), and fill the report."""

from __future__ import annotations

import re
from pathlib import Path

from . import runner
from .assign import locked_hash, normalise
from .catalogue import pick_seed, source_for, trusted_or_fail
from .judge import _judge_arrays as _judge_arrays  # re-exported: where callers and tests have found them
from .judge import flatten as flatten
from .judge import judge_case
from .spec import case_rng
from .submission import MAX_BYTES as MAX_BYTES
from .submission import MAX_CELLS as MAX_CELLS
from .submission import find_solution, nbgrader, read, source_of
from .submission import read_submission as read_submission

STATUSES = ("passed", "partial", "failed", "error", "syntax_error", "timeout", "missing", "not_attempted")


def grade_submission(path, source: Path | None = None, seed: int | None = None, sandbox: str = "bwrap") -> dict:
    """Grade one notebook; always returns a report, whatever the file holds.

    `source` is the trusted notebook with solutions; by default, the shipped one the submission
    answers (catalogue.source_for: the one sharing most grade_ids, else the file name).

    Every exercise runs in one sandboxed session (runner.Session); `sandbox="none"` is --no-sandbox.
    An unreadable source, or one without exercises, raises GradingError: never a 0 / 0 report.
    """
    path = Path(path)
    seed = pick_seed(seed)
    data, cells, problem = read(path)  # the file is read here, once
    source = Path(source) if source else source_for(path, cells or [])
    setup, exercises, locked = trusted_or_fail(source)
    session = runner.Session(sandbox)
    report = {"submission": path.name, "score": 0.0, "max_score": float(sum(e.points for e, _ in exercises)),
              "exercises": [], "notes": []}
    report["sandbox"], report["source"] = sandbox, source.name
    if problem:
        report["notes"].append(problem)
        cells = []
    for cell in cells:
        gid = nbgrader(cell).get("grade_id")
        if gid in locked and locked_hash(source_of(cell)) not in locked[gid]:
            report["notes"].append(f"locked cell {gid} was edited; the original was used")
    for index, (exercise, stub) in enumerate(exercises):
        entry = {"name": exercise.title, "grade_id": exercise.grade_id, "points": 0.0,
                 "max_points": float(exercise.points), "status": "missing", "checks": [], "seconds": 0.0}
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
            entry["checks"].append({"name": "attempted", "passed": False,
                                    "message": f"{', '.join(exercise.names)}: still the stub that raises "
                                               "NotImplementedError; nothing to grade"})
            continue
        try:
            _run_and_judge(exercise, index, data, seed, setup, solution, session, entry, report)
        except Exception as err:  # the grader's own failure on this exercise: an entry, the others still graded
            session.close()  # whatever state the harness is in, the next exercise starts a fresh one
            entry["points"], entry["status"] = 0.0, "error"
            why = f"the grader failed on this exercise: {type(err).__name__}: {err}"
            entry["checks"].append({"name": "graded", "passed": False, "message": why})
    session.close()
    report["score"] = round(sum(e["points"] for e in report["exercises"]), 2)
    return report


def _run_and_judge(exercise, index, data, seed, setup, solution, session, entry, report) -> None:
    """Run one exercise in the session, judge each of its cases, fill its entry."""
    cases = exercise.make_cases(case_rng(seed, data, index))
    run = session.run(setup, solution, exercise.function, cases, exercise.prepare, exercise.service,
                      exercise.uses)
    entry["seconds"] = round(run.seconds, 2)
    if run.truncated_output:
        report["notes"].append(f"{exercise.grade_id}: output was cut at {runner.OUTPUT_BUDGET // 1024} KiB")
    if run.status != "ok":
        entry["status"] = run.status
        entry["checks"].append({"name": "runs", "passed": False, "message": _explain(run.message)})
        return
    passed = 0
    for n, case in enumerate(cases):
        ok, checks = judge_case(exercise, case, run.outputs.get(n, {}), run.inputs_after.get(n, {}),
                                run.types.get(n, {}))
        for c in checks:
            c["name"] = f"case {n + 1}: {c['name']}"
        entry["checks"] += checks
        passed += ok
    entry["points"] = round(exercise.points * passed / len(cases), 2)
    entry["status"] = "passed" if passed == len(cases) else "partial" if passed else "failed"


def _explain(message: str) -> str:
    if "mismatch in its core dimension" in message or "not aligned" in message:  # a matrix product @
        return message + " — check the shapes: W (s_{l+1}, s_l) needs its transpose Wᵀ to carry δ backwards"
    if "could not be broadcast" in message:  # an element-wise * or +
        shapes = re.findall(r"\(([\d, ]*)\)", message.split("shapes", 1)[-1])[:2]
        if len(shapes) == 2 and shapes[0] != shapes[1] and shapes[0].split(",")[::-1] == shapes[1].split(","):
            return message + " — the two shapes are each other's transpose: which term is the transposed one?"
        return message + (" — check the shapes: * and + pair entries one to one; `@` is the matrix product, "
                          "and `v[:, None]` makes a vector a column")
    if message.startswith("NotImplementedError"):
        return message + " — the stub is still there"
    return message
