"""Run a submission's exercises: one sandboxed harness per submission, one fork per exercise.

`Session(sandbox)` starts `bpteach/grading/harness.py` (its text, never an import) under
bwrap (`sandbox="bwrap"`) or, with `--no-sandbox`, as a plain child process (`"none"`), both
with an explicit minimal environment. `session.run(...)` sends one exercise (set-up cells,
solution cell, function name, trusted `prepare` code, hidden inputs as raw arrays) and
returns a RunResult. The reply is parsed here under hard bounds (message size, record count,
bytes per exercise, dtypes limited to numbers and text), so nothing the submission writes is
ever opened as a file or unpickled. A session that overruns its hard limit is killed whole;
the next exercise starts a fresh one.
"""

from __future__ import annotations

import json
import math
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import sandbox as _sandbox
from .harness import frame

CELL_TIMEOUT = float(os.environ.get("BPTEACH_GRADER_CELL_TIMEOUT", 20))  # seconds for one exercise, in the sandbox
HARD_LIMIT = float(os.environ.get("BPTEACH_GRADER_HARD_LIMIT", 60))  # seconds for one exercise, seen from outside
OUTPUT_BUDGET = 64 * 1024  # bytes of stdout/stderr kept per exercise
MAX_RECORDS = 512  # arrays and type lists per exercise
MAX_RESULT_BYTES = 64 * 1024**2  # bytes of results per exercise
SECCOMP = True  # no new processes in an exercise; tests turn it off to check the PID namespace alone
HARNESS = (Path(__file__).with_name("harness.py")).read_text()
DIED = "the kernel died (os._exit, a crash, or a resource limit)"


@dataclass
class RunResult:
    status: str  # "ok", "error", "syntax_error", "timeout"
    message: str = ""
    outputs: dict = field(default_factory=dict)  # case -> {path: ndarray}
    inputs_after: dict = field(default_factory=dict)  # case -> {path: ndarray}
    types: dict = field(default_factory=dict)  # case -> {path: type name}
    truncated_output: bool = False
    seconds: float = 0.0
    output: str = ""  # the first OUTPUT_BUDGET bytes of stdout and stderr


def limits() -> dict:
    return {"memory": _sandbox.MEMORY_BYTES, "cpu": _sandbox.CPU_SECONDS, "file_bytes": _sandbox.FILE_BYTES,
            "processes": _sandbox.PROCESSES, "files": _sandbox.FILES, "timeout": CELL_TIMEOUT,
            "output_budget": OUTPUT_BUDGET, "result_bytes": MAX_RESULT_BYTES, "seccomp": SECCOMP}  # fmt: skip


class Session:
    """One harness process for one submission; started on the first exercise, restarted after a kill."""

    def __init__(self, sandbox: str = "bwrap"):
        if sandbox not in ("bwrap", "user", "none"):
            raise ValueError(f"sandbox must be 'bwrap', 'user' or 'none', got {sandbox!r}")
        self.sandbox = sandbox
        self.uid = _sandbox.student_uid() if sandbox == "user" else None
        self.proc: subprocess.Popen | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._finalizer = None

    def _start(self) -> None:
        lim = limits()
        env = dict(_sandbox.ENVIRONMENT)
        group = scratch = None
        if self.sandbox == "bwrap":
            lim["work"] = "/tmp"
            group, scratch = _sandbox.pids_cgroup(), _sandbox.scratch()
            argv = _sandbox.command(sys.executable, HARNESS, json.dumps(lim), scratch)
            argv, cwd = _sandbox.in_cgroup(group, argv), "/"
            env = {"PATH": "/usr/bin:/bin"}
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="bpteach-grade-")
            lim["work"] = cwd = self._tmp.name
            env.update(HOME=cwd, MPLCONFIGDIR=f"{cwd}/.matplotlib", IPYTHONDIR=f"{cwd}/.ipython")
            argv = [sys.executable, "-I", "-B", "-c", HARNESS, json.dumps(lim)]
            if self.uid is not None:  # the route without namespaces: its one folder, as the student user
                os.chown(cwd, self.uid, self.uid)
                argv = _sandbox.user_command(sys.executable, HARNESS, json.dumps(lim), self.uid)
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, cwd=cwd, start_new_session=True)  # fmt: skip
        self._finalizer = weakref.finalize(self, _stop, self.proc, self._tmp, group, self.uid, scratch)

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self.proc, self._tmp, self._finalizer = None, None, None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run(self, setup_sources: list[str], solution: str, function: str, cases: list, prepare: str = "",
            service: str = "") -> RunResult:  # fmt: skip
        start = time.monotonic()
        if self.proc is None or self.proc.poll() is not None:
            self.close()
            self._start()
        header, data = _job(setup_sources, solution, function, cases, prepare, service)
        try:
            self.proc.stdin.write(frame(header, data))
            self.proc.stdin.flush()
            reply = _read_reply(self.proc.stdout.fileno(), start + HARD_LIMIT)
        except (BrokenPipeError, OSError):
            reply = None
        if reply is None:  # late, dead or garbled: this harness is done for
            late = time.monotonic() - start >= HARD_LIMIT
            self.close()
            result = RunResult("timeout", f"the exercise ran past the hard limit of {HARD_LIMIT:.0f} s") if late \
                else RunResult("error", "the sandbox ended before this exercise was graded")  # fmt: skip
        else:
            result = _parse(*reply, n_cases=len(cases))
        result.seconds = time.monotonic() - start
        return result


def run_exercise(setup_sources: list[str], solution: str, function: str, cases: list, prepare: str = "",
                 sandbox: str = "bwrap", service: str = "") -> RunResult:  # fmt: skip
    """One exercise in a session of its own (the grader uses one Session per submission)."""
    with Session(sandbox) as session:
        return session.run(setup_sources, solution, function, cases, prepare, service)


def _stop(proc: subprocess.Popen, tmp, group=None, uid: int | None = None, scratch: str | None = None) -> None:
    try:
        proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if uid is not None:  # what left the process group (a session of its own) still has the uid
        _sandbox.kill_user(uid)
    proc.wait()
    _sandbox.release(group)
    _sandbox.release_scratch(scratch)
    proc.stdout.close()
    if tmp is not None:
        tmp.cleanup()
    if uid is not None:  # and what its files hold of the disk and of /dev/shm's memory
        _sandbox.remove_user_files(uid)


def _job(setup, solution, function, cases, prepare, service="") -> tuple[dict, bytes]:
    """The hidden inputs as raw arrays (dtype, shape, offset) in one blob, beside the code."""
    blob = bytearray()

    def array(value, kind="array"):
        a = np.asarray(value, order="C")
        item = {"kind": kind, "dtype": a.dtype.str, "shape": list(a.shape), "offset": len(blob), "nbytes": a.nbytes}
        blob.extend(a.tobytes())
        return item

    specs = []
    for case in cases:
        spec = {}
        for name, value in case.inputs.items():
            if isinstance(value, dict):
                spec[name] = {"kind": "dict", "items": {str(k): array(v) for k, v in value.items()}}
            else:
                spec[name] = array(value, {float: "float", int: "int"}.get(type(value), "array"))
        specs.append(spec)
    header = {"setup": list(setup), "solution": solution, "function": function, "prepare": prepare,
              "service": service, "cases": specs}  # fmt: skip
    return header, bytes(blob)


def _read_reply(fd: int, deadline: float) -> tuple[dict, memoryview] | None:
    """The harness's reply: its header, and a view of the records (read once into one buffer, never copied:
    a reply of MAX_RESULT_BYTES costs the grader that much, once, whatever its records claim)."""
    head = _read_into(fd, bytearray(8), deadline)
    if head is None:
        return None
    n_json, n_data = int.from_bytes(head[:4], "little"), int.from_bytes(head[4:8], "little")
    # the header carries up to OUTPUT_BUDGET bytes of output as JSON text: up to 6 bytes each
    # ("\u0001", or "\ufffd" for a byte that is not UTF-8)
    if n_json > 6 * OUTPUT_BUDGET + 4096 or n_data > MAX_RESULT_BYTES + 1024**2:
        return None
    data = _read_into(fd, bytearray(n_json + n_data), deadline)
    if data is None:
        return None
    try:
        header = json.loads(bytes(data[:n_json]))
    except ValueError:
        return None
    return (header, memoryview(data)[n_json:]) if isinstance(header, dict) else None


def _read_into(fd: int, buffer: bytearray, deadline: float) -> bytearray | None:
    """BUFFER filled from FD by the deadline, or None (late, or the pipe closed early)."""
    view, got = memoryview(buffer), 0
    while got < len(buffer):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        n = os.readv(fd, [view[got : got + (1 << 20)]])
        if not n:
            return None
        got += n
    return buffer


def _parse(header: dict, stream: bytes | memoryview, n_cases: int) -> RunResult:
    """The exercise process's stream: arrays, type lists and a status, each checked before use."""
    truncated = bool(header.get("truncated"))
    output = str(header.get("output", ""))[:OUTPUT_BUDGET]
    if header.get("timeout"):
        return RunResult("timeout", f"the exercise ran longer than {CELL_TIMEOUT:g} s (an endless loop, or a long "
                         "sleep?)", truncated_output=truncated, output=output)  # fmt: skip
    if header.get("overflow"):
        return RunResult("error", f"the function returned more than {MAX_RESULT_BYTES // 1024**2} MiB of results",
                         truncated_output=truncated, output=output)  # fmt: skip
    result = RunResult("ok", truncated_output=truncated, output=output)
    status = None
    n_evidence = header.get("evidence", 0)
    n_evidence = n_evidence if isinstance(n_evidence, int) and 0 <= n_evidence <= len(stream) else 0
    # the harness's own record of the calls to its services comes first; only there may `sv__` paths appear
    for item, payload in _records(stream[:n_evidence]):
        case, path = item.get("case"), item.get("path")
        if item.get("kind") == "array" and isinstance(path, str) and path.startswith("sv__") \
                and isinstance(case, int) and 0 <= case < n_cases:  # fmt: skip
            value = _array(item, payload)
            if value is not None:
                result.inputs_after.setdefault(case, {})[path[:200]] = value
    for item, payload in _records(stream[n_evidence:]):
        kind = item.get("kind")
        if kind == "status":
            status = item
            continue
        case = item.get("case")
        if not isinstance(case, int) or not 0 <= case < n_cases:
            continue
        if kind == "types" and isinstance(item.get("types"), dict):
            result.types[case] = {str(k)[:200]: str(v)[:200] for k, v in list(item["types"].items())[:MAX_RECORDS]}
        elif kind == "array" and isinstance(item.get("path"), str) and not item["path"].startswith("sv__"):
            value = _array(item, payload)
            if value is not None:
                path = item["path"][:200]
                (result.outputs if path.startswith("out") else result.inputs_after).setdefault(case, {})[path] = value
    if status is None:
        result.status, result.message = "error", DIED
    elif status.get("status") in ("error", "syntax_error"):
        result.status, result.message = status["status"], str(status.get("message", ""))[:4000]
    elif status.get("status") != "ok":
        result.status, result.message = "error", DIED
    if result.status != "ok":
        result.outputs, result.inputs_after, result.types = {}, {}, {}
    for n in range(n_cases):
        result.outputs.setdefault(n, {})
        result.inputs_after.setdefault(n, {})
        result.types.setdefault(n, {})
    return result


RECORD_HEADER_BYTES = 16 * 1024  # an honest record's header (kind, case, path, shape, dtype; a types list) is < 4 KiB


def _records(stream: bytes | memoryview):
    """(header dict, payload) of each length-prefixed record, at most MAX_RECORDS * 2, malformed ones skipped.

    Payloads are slices of STREAM (views, when it is a memoryview); only a header within
    RECORD_HEADER_BYTES is copied out, to be parsed."""
    records, pos = 0, 0
    while pos + 8 <= len(stream) and records < MAX_RECORDS * 2:
        records += 1
        n_json = int.from_bytes(stream[pos : pos + 4], "little")
        n_data = int.from_bytes(stream[pos + 4 : pos + 8], "little")
        head_end = pos + 8 + n_json
        end = head_end + n_data
        if end > len(stream):
            return
        item = None
        if n_json <= RECORD_HEADER_BYTES:  # a bigger one is forged: `[{},{},...]` costs the parser ~25x its size
            try:
                item = json.loads(bytes(stream[pos + 8 : head_end]))
            except (ValueError, RecursionError):  # a forged header nested deeper than the parser goes
                pass
        payload = stream[head_end:end]
        pos = end
        if isinstance(item, dict):
            yield item, payload


def _array(item: dict, payload: bytes):
    """A plain ndarray of numbers or text, or None: no objects, no pickles, sizes that add up.

    The record is the submission's to forge: a shape is a list of at most 32 plain ints below
    2**31, its size is counted in Python ints (no int64 wrap-around to match an empty payload),
    and an item is at least one byte (numpy cannot view bytes as "U0").
    """
    shape = item.get("shape", [])
    if not isinstance(shape, list) or len(shape) > 32 or any(type(s) is not int or not 0 <= s < 2**31 for s in shape):
        return None
    try:
        dtype = np.dtype(str(item.get("dtype")))
    except (TypeError, ValueError):
        return None
    if dtype.kind not in "biufcU" or dtype.hasobject or dtype.itemsize == 0:
        return None
    if math.prod(shape) * dtype.itemsize != len(payload):
        return None
    try:
        return np.frombuffer(payload, dtype=dtype).reshape(shape).copy()
    except ValueError:  # an empty array whose other dimensions are more than numpy can index
        return None
