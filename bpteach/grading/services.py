"""The harness's services: what a graded function is handed to call (exercise 5's f, exercise 7's
cost_and_gradients) is evaluated here, in the harness, outside the exercise process.

The exercise process holds a handle (exercise_process.run's `call`): each call is a record on
CALL_FD, answered on ANSWER_FD, and counted and logged here. That log is the evidence of how the
answer was made; it reaches the grader ahead of the exercise's stream, as `sv__` records the grader
accepts from there only. The exercise process can ask for evaluations; it cannot reach the log.

A service may use bpteach's own code (exercise 7's is `Network.cost` and `Network.gradients`, the
one backward pass, bpteach.backprop). bpteach is hidden in the sandbox (its reference functions are
exercises 1-6's answers), so the grader sends the text of the modules the service names with that
exercise's job alone; `load` runs them as a private package, and the harness that held them ends
after that job (harness.run_job), so no later exercise's process is forked from it.
"""

from __future__ import annotations

import os
import sys
import types

import numpy as np

from . import wire
from .exercise_process import case_args

SERVICE_REQUEST_BYTES = 16 * 1024**2  # largest call the harness-side service answers
REFERENCE = "_bpteach_reference"  # the private package the sent modules are loaded as


def load(package: str, modules: list) -> types.ModuleType:
    """Modules given as (name, source text), run in order as `package.name` (their relative imports
    find each other in sys.modules); the package, with each module as an attribute."""
    pkg = types.ModuleType(package)
    pkg.__path__ = []
    sys.modules[package] = pkg
    for name, text in modules:
        module = types.ModuleType(f"{package}.{name}")
        module.__package__, module.__file__ = package, f"<{package}/{name}.py>"
        sys.modules[module.__name__] = module  # before it runs: a dataclass looks its module up there
        exec(compile(text, module.__file__, "exec"), module.__dict__)
        setattr(pkg, name, module)
    return pkg


def make(job: dict, data: bytes) -> dict:
    """One Service per case of the job (its hidden inputs rebuilt), or {} for a job without one."""
    if not job.get("service"):
        return {}
    namespace = {"_np": np}
    if job.get("modules"):
        namespace["bpteach"] = load(REFERENCE, job["modules"])
    exec(compile(job["service"], "<service>", "exec"), namespace)
    return {n: namespace["Service"](case_args(data, spec)) for n, spec in enumerate(job["cases"])}


def serve(services: dict, requests: bytearray, answers: int) -> bool:
    """Answer every complete request in `requests` (consumed); False once the stream cannot go on."""
    while True:
        try:
            record = wire.take(requests, 65536, SERVICE_REQUEST_BYTES)
        except ValueError:
            return False
        if record is None:
            return True
        request, payload = record
        try:
            if request is None:
                raise ValueError("a request whose header is not a JSON object")
            service = services[int(request["case"])]
            arrays = wire.unpack_all(request["arrays"], payload, dtype="<f8")
            if any(a.ndim > 8 for a in arrays):
                raise ValueError("expected arrays of at most 8 dimensions")
            out = [np.asarray(a, dtype=float) for a in service(arrays)]
            blob = bytearray()
            reply = wire.frame({"arrays": wire.pack(out, blob)}, bytes(blob))
        except Exception as err:  # noqa: BLE001 - any bad request is answered with an error, never fatal
            why = str(err) if type(err) is ValueError else f"{type(err).__name__}: {err}"
            reply = wire.frame({"error": why[:500]})  # raised as a ValueError by the caller
        try:
            if os.write(answers, reply) != len(reply):
                return False
        except OSError:  # the pipe is full (nobody reads) or closed
            return False


def evidence(services: dict) -> bytes:
    """Each case's record of calls, as array records under `sv__<name>` (never from the exercise's stream)."""
    blob = bytearray()

    def put(case, path, value):
        if isinstance(value, dict):
            for k, v in value.items():
                put(case, f"{path}__{k}", v)
        elif value is not None:
            spec, raw = wire.encode(value)
            if np.dtype(spec["dtype"]).kind in "biuf":
                blob.extend(wire.frame({"kind": "array", "case": case, "path": path, **spec}, raw))

    for n, service in services.items():
        for name, value in service.evidence().items():
            put(n, f"sv__{name}", value)
    return bytes(blob)
