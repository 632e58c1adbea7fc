"""The exercise process and its boundary (runner, harness): arrays across, output, time and result
limits, the reply parser, the evidence of exercises 5 and 7."""

from __future__ import annotations

import numpy as np
import pytest
from shared import GOOD, SANDBOXES, SETUP, cases

from bpteach.grading import runner
from bpteach.grading.wire import frame

SERVICE = """
class Service:
    def __init__(self, inputs):
        self.calls, self.y = 0, inputs["y"]

    def __call__(self, arrays):
        if len(arrays) != 1 or arrays[0].shape != self.y.shape:
            raise ValueError("one array shaped like y")
        self.calls += 1
        return [arrays[0] * 2]

    def evidence(self):
        return {"calls": _np.array(self.calls)}
"""
FORGE_EVIDENCE = """
import gc, json, os, struct



def _record(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<II", len(text), len(data)) + text + data


for n in range(2):  # a forged record of the calls, on the exercise's own stream
    os.write(3, _record({"kind": "array", "case": n, "path": "sv__calls", "dtype": "<i8", "shape": []},
                        (99).to_bytes(8, "little")))
for o in gc.get_objects():  # and whatever counter the process can reach
    if type(o).__name__ == "Service":
        o.calls = 99
"""


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_good_answer_crosses_as_arrays(sandbox):
    run = runner.run_exercise(SETUP, GOOD, "output_delta", cases(), sandbox=sandbox)
    assert run.status == "ok", run.message
    for n, case in enumerate(cases()):
        want = -(case.inputs["y"] - case.inputs["h"]) * case.inputs["fprime_z"]
        np.testing.assert_allclose(run.outputs[n]["out"], want, rtol=1e-12)
        assert run.types[n]["out"] == "ndarray"
        assert set(run.inputs_after[n]) == {"in__y", "in__h", "in__fprime_z"}


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_output_is_capped(sandbox):
    run = runner.run_exercise(SETUP, "print('x' * 3_000_000)\n" + GOOD, "output_delta", cases(), sandbox=sandbox)
    assert run.status == "ok" and run.truncated_output and len(run.output) <= runner.OUTPUT_BUDGET


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_wall_clock_limit(sandbox, monkeypatch):
    monkeypatch.setattr(runner, "CELL_TIMEOUT", 2.0)
    run = runner.run_exercise(SETUP, "import time\ntime.sleep(100)\n" + GOOD, "output_delta", cases(), sandbox=sandbox)
    assert run.status == "timeout" and "ran longer than 2 s" in run.message
    assert run.seconds < 30


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_results_are_bounded(sandbox):
    many = "def output_delta(y, h, fprime_z):\n    return {i: y for i in range(5000)}\n"
    run = runner.run_exercise(SETUP, many, "output_delta", cases(), sandbox=sandbox)
    assert sum(len(v) for v in run.outputs.values()) <= 2 * runner.MAX_RECORDS
    huge = "def output_delta(y, h, fprime_z):\n    return np.zeros(10 * 1024**2)\n"  # 80 MiB
    run = runner.run_exercise(SETUP, huge, "output_delta", cases(), sandbox=sandbox)
    assert run.status == "error" and "MiB" in run.message


def test_the_reply_parser_takes_only_plain_arrays():
    good = np.arange(3.0)
    stream = b"".join([
        frame({"kind": "array", "case": 0, "path": "out", "dtype": good.dtype.str, "shape": [3]}, good.tobytes()),
        frame({"kind": "array", "case": 0, "path": "out__obj", "dtype": "|O", "shape": [1]}, b"\0" * 8),
        frame({"kind": "array", "case": 0, "path": "out__short", "dtype": "<f8", "shape": [1000]}, b"\0" * 8),
        frame({"kind": "array", "case": 7, "path": "out", "dtype": "<f8", "shape": [1]}, b"\0" * 8),
        frame({"kind": "array", "case": 0, "path": "out__v", "dtype": "|V8", "shape": [1]}, b"\0" * 8),
        frame({"kind": "status", "status": "ok"}),
        b"garbage that is not a frame",
    ])
    result = runner._parse({}, stream, n_cases=1)
    assert set(result.outputs[0]) == {"out"} and np.array_equal(result.outputs[0]["out"], good)


def test_missing_status_means_the_exercise_died():
    assert runner._parse({}, b"", n_cases=1).message == runner.DIED


def test_prepare_runs_before_the_call_and_may_record_evidence():
    prepare = '    _args["y"] = _args["y"] * 0\n    _evidence["calls"] = lambda: _np.array(3)\n'
    run = runner.run_exercise(SETUP, GOOD, "output_delta", cases(), prepare, sandbox="none")
    assert run.status == "ok", run.message
    for n in range(2):
        assert int(run.inputs_after[n]["ev__calls"]) == 3
        assert np.all(run.inputs_after[n]["in__y"] == 0)


@pytest.mark.parametrize("where", SANDBOXES)
def test_service_evidence_is_the_harness_own(where):
    """What a service (ex5's f, ex7's cost_and_gradients) records is counted in the harness: the
    submission can ask for evaluations, not write the record, on its stream or through gc."""
    prepare = '    _args["y"] = _call(_case, [_args["y"]])[0] / 2\n'
    run = runner.run_exercise(SETUP, FORGE_EVIDENCE + GOOD, "output_delta", cases(), prepare, sandbox=where,
                              service=SERVICE)
    assert run.status == "ok", run.message
    for n, case in enumerate(cases()):
        assert int(run.inputs_after[n]["sv__calls"]) == 1
        assert np.allclose(run.outputs[n]["out"], case.expected)
    bad = '    _call(_case, [_np.zeros(7)])\n'
    run = runner.run_exercise(SETUP, GOOD, "output_delta", cases(), bad, sandbox=where, service=SERVICE)
    assert run.status == "error" and "one array shaped like y" in run.message


REFERENCE_SERVICE = SERVICE.replace("self.calls += 1", "self.calls += 1 + 0 * bpteach.activations.sigmoid.f(0.0)")
SEES_REFERENCE = "import sys\nassert not [m for m in sys.modules if m.startswith('_bpteach_reference')], 'held'\n"


@pytest.mark.parametrize("where", SANDBOXES)
def test_bpteach_code_sent_for_a_service_reaches_no_later_exercise(where):
    """A service that uses bpteach's modules (exercise 7's) gets their text with its own job; the harness
    that held them ends after that job, so the next exercise's process is forked from a fresh one."""
    prepare = '    _args["y"] = _call(_case, [_args["y"]])[0] / 2\n'
    with runner.Session(where) as session:
        run = session.run(SETUP, SEES_REFERENCE.replace("not ", "") + GOOD, "output_delta", cases(), prepare,
                          REFERENCE_SERVICE, ("activations",))
        assert run.status == "ok", run.message  # this exercise's own process holds them: they are its service's
        assert int(run.inputs_after[0]["sv__calls"]) == 1
        assert session.proc is None  # the harness that held them is gone
        run = session.run(SETUP, SEES_REFERENCE + GOOD, "output_delta", cases())
        assert run.status == "ok", run.message


DEEP = """
import os
_fd = os.open(os.path.dirname(os.getcwd()), os.O_RDONLY)  # the work folder, which the harness empties
for _ in range(3000):  # deeper than a recursive walk goes, longer than PATH_MAX
    os.mkdir("d", dir_fd=_fd)
    _next = os.open("d", os.O_RDONLY, dir_fd=_fd)
    os.close(_fd)
    _fd = _next
os.chmod(f"/proc/self/fd/{_fd}", 0)
"""


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_folder_3000_deep_is_emptied_and_the_answer_graded(sandbox, tmp_path, monkeypatch):
    """The harness's wipe between exercises, and the grader's own clean-up after a session, were
    recursive: a 3000-deep folder killed the harness (the answer was lost) and, without bwrap, left the
    work folder behind and failed the grader (round k24c)."""
    monkeypatch.setattr(runner.tempfile, "tempdir", str(tmp_path))  # where a session without bwrap works
    run = runner.run_exercise(SETUP, DEEP + GOOD, "output_delta", cases(), sandbox=sandbox)
    assert run.status == "ok", run.message
    assert list(tmp_path.iterdir()) == []


FORGED_STATUS = """
import json, os, struct

def output_delta(y, h, fprime_z):
    text = json.dumps({"kind": "status", "status": "error",
                       "message": "The grader failed on this exercise: OSError (harness)"}).encode()
    os.write(3, struct.pack("<II", len(text), 0) + text)
    os._exit(0)
"""


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_submission_cannot_speak_as_the_grader(sandbox):
    """The exercise's status record is the submission's to write: one that claimed the grader failed was
    reported in the grader's own words (round k24c). Such a message is now shown as the exercise's."""
    run = runner.run_exercise(SETUP, FORGED_STATUS, "output_delta", cases(), sandbox=sandbox)
    assert run.status == "error"
    assert run.message == "the exercise process reported: The grader failed on this exercise: OSError (harness)"
