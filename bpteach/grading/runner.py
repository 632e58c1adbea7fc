"""Run a submission's exercises: one sandboxed harness per submission, one fork per exercise.

`Session(sandbox)` starts the harness (`harness.program()`: the text of its modules, never an import) under
bwrap (`sandbox="bwrap"`) or, with `--no-sandbox`, as a plain child process (`"none"`), both
with an explicit minimal environment. `session.run(...)` sends one exercise (set-up cells,
solution cell, function name, trusted `prepare` code, hidden inputs as raw arrays) and
returns a RunResult. The reply is read and parsed here with wire.py (the harness writes it with
the same file) under hard bounds (message size, record count, bytes per exercise, dtypes limited
to numbers and text), so nothing the submission writes is ever opened as a file or unpickled.
A session that overruns its hard limit is killed whole, and one whose harness held bpteach's
code for a service ends after that exercise; the next exercise starts a fresh one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from . import quotas, user_route, wire
from . import sandbox as _sandbox
from .harness import program, remove_tree
from .wire import MAX_RECORDS as MAX_RECORDS  # re-exported: the tests read it here

CELL_TIMEOUT = float(os.environ.get("BPTEACH_GRADER_CELL_TIMEOUT", 20))  # seconds for one exercise, in the sandbox
HARD_LIMIT = float(os.environ.get("BPTEACH_GRADER_HARD_LIMIT", 60))  # seconds for one exercise, seen from outside
OUTPUT_BUDGET = 64 * 1024  # bytes of stdout/stderr kept per exercise
MAX_RESULT_BYTES = 64 * 1024**2  # bytes of results per exercise
SECCOMP = True  # no new processes in an exercise; tests turn it off to check the PID namespace alone
HARNESS = program()
DIED = "the kernel died (os._exit, a crash, or a resource limit)"
# how the grader's own messages begin; the exercise's stream, which a submission can write, never does
GRADERS_OWN = ("the grader", "the kernel", "the sandbox", "the exercise ran past", "the harness")


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
            "output_budget": OUTPUT_BUDGET, "result_bytes": MAX_RESULT_BYTES, "seccomp": SECCOMP}


class Session:
    """One harness process for one submission; started on the first exercise, restarted after a kill."""

    def __init__(self, sandbox: str = "bwrap"):
        if sandbox not in ("bwrap", "user", "none"):
            raise ValueError(f"sandbox must be 'bwrap', 'user' or 'none', got {sandbox!r}")
        self.sandbox = sandbox
        self.uid = user_route.student_uid() if sandbox == "user" else None
        self.proc: subprocess.Popen | None = None
        self._tmp: str | None = None  # the work folder of a session without bwrap
        self._groups: list[str] = []
        self._finalizer = None

    def _start(self) -> None:
        lim = limits()
        env = dict(_sandbox.ENVIRONMENT)
        groups, scratch = [], None
        if self.sandbox == "bwrap":
            lim["work"], lim["path"] = "/tmp", _sandbox.import_path()
            groups, scratch = quotas.cgroups(quotas.memory_limit(lim["memory"])), quotas.scratch()
            argv = _sandbox.command(sys.executable, HARNESS, json.dumps(lim), scratch)
            cwd = "/"
            self._groups = groups
            env = {"PATH": "/usr/bin:/bin"}
        else:
            self._tmp = tempfile.mkdtemp(prefix="bpteach-grade-")
            lim["work"] = cwd = self._tmp
            env.update(HOME=cwd, MPLCONFIGDIR=f"{cwd}/.matplotlib", IPYTHONDIR=f"{cwd}/.ipython")
            argv = [sys.executable, "-I", "-B", "-c", HARNESS, json.dumps(lim)]
            if self.uid is not None:  # the route without namespaces: its one folder, as the student user
                os.chown(cwd, self.uid, self.uid)
                argv = user_route.user_command(sys.executable, HARNESS, json.dumps(lim), self.uid)
        argv = quotas.enter(groups, argv)  # and first in line for the OOM killer, whatever the route
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, cwd=cwd, start_new_session=True)
        self._finalizer = weakref.finalize(self, _stop, self.proc, self._tmp, groups, self.uid, scratch)

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self.proc, self._tmp, self._groups, self._finalizer = None, None, [], None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run(self, setup_sources: list[str], solution: str, function: str, cases: list, prepare: str = "",
            service: str = "", uses: tuple[str, ...] = ()) -> RunResult:
        start = time.monotonic()
        if self.proc is None or self.proc.poll() is not None:
            self.close()
            self._start()
        header, data = job(setup_sources, solution, function, cases, prepare, service, uses)
        kills, reached, _ = quotas.memory_events(self._groups)
        try:
            self.proc.stdin.write(wire.frame(header, data))
            self.proc.stdin.flush()
            reply = _read_reply(self.proc.stdout.fileno(), start + HARD_LIMIT)
        except (BrokenPipeError, OSError):
            reply = None
        now = quotas.memory_events(self._groups)  # the kernel killed inside the sandbox: say why
        if reply is None:  # late, dead or garbled: this harness is done for
            late = time.monotonic() - start >= HARD_LIMIT
            self.close()
            result = RunResult("timeout", f"the exercise ran past the hard limit of {HARD_LIMIT:.0f} s") if late \
                else RunResult("error", "the sandbox ended before this exercise was graded")
        else:
            result = _parse(*reply, n_cases=len(cases))
        if now[0] > kills and result.status == "error":
            result.message += (f" (it used all of its {now[2] / 1024**2:.0f} MiB of memory, kernel memory included)"
                               if now[1] > reached else " (the grader's machine ran out of memory: grade it again)")
        if reply is not None and reply[0].get("retire"):  # it held bpteach's code for a service: it ends
            self.close()
        result.seconds = time.monotonic() - start
        return result


def run_exercise(setup_sources: list[str], solution: str, function: str, cases: list, prepare: str = "",
                 sandbox: str = "bwrap", service: str = "", uses: tuple[str, ...] = ()) -> RunResult:
    """One exercise in a session of its own (the grader uses one Session per submission)."""
    with Session(sandbox) as session:
        return session.run(setup_sources, solution, function, cases, prepare, service, uses)


def _stop(proc: subprocess.Popen, tmp, groups: list[str], uid: int | None = None, scratch: str | None = None) -> None:
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
        user_route.kill_user(uid)
    proc.wait()
    quotas.release(groups)
    quotas.release_scratch(scratch)
    proc.stdout.close()
    if tmp is not None:  # however deep the submission made it (not shutil.rmtree: recursive)
        remove_tree(tmp)
    if uid is not None:  # and what its files hold of the disk and of /dev/shm's memory
        user_route.remove_user_files(uid)


def job(setup, solution, function, cases, prepare, service="", uses=()) -> tuple[dict, bytes]:
    """One exercise's job: the code, and the hidden inputs as raw arrays (wire.pack) in one blob; with
    the text of the bpteach modules its service uses (`uses`), read from this grader's own package."""
    blob = bytearray()

    def array(value, kind="array"):
        return {"kind": kind, **wire.pack([value], blob)[0]}

    specs = []
    for case in cases:
        spec = {}
        for name, value in case.inputs.items():
            if isinstance(value, dict):
                spec[name] = {"kind": "dict", "items": {str(k): array(v) for k, v in value.items()}}
            else:
                spec[name] = array(value, {float: "float", int: "int"}.get(type(value), "array"))
        specs.append(spec)
    package = Path(__file__).resolve().parents[1]  # bpteach
    header = {"setup": list(setup), "solution": solution, "function": function, "prepare": prepare,
              "service": service, "cases": specs,
              "modules": [(name, (package / f"{name}.py").read_text()) for name in uses]}
    return header, bytes(blob)


def _read_reply(fd: int, deadline: float) -> tuple[dict, memoryview] | None:
    """The harness's reply: its header, and a view of the records (read once into one buffer, never copied:
    a reply of MAX_RESULT_BYTES costs the grader that much, once, whatever its records claim). The header
    carries up to OUTPUT_BUDGET bytes of output as JSON text: up to 6 bytes each ("\\u0001", or "\\ufffd"
    for a byte that is not UTF-8)."""
    return wire.read_record(fd, deadline, 6 * OUTPUT_BUDGET + 4096, MAX_RESULT_BYTES + 1024**2)


def _parse(header: dict, stream: bytes | memoryview, n_cases: int) -> RunResult:
    """The exercise process's stream: arrays, type lists and a status, each checked before use."""
    truncated = bool(header.get("truncated"))
    output = str(header.get("output", ""))[:OUTPUT_BUDGET]
    if header.get("timeout"):
        return RunResult("timeout", f"the exercise ran longer than {CELL_TIMEOUT:g} s (an endless loop, or a long "
                         "sleep?)", truncated_output=truncated, output=output)
    if header.get("overflow"):
        return RunResult("error", f"the function returned more than {MAX_RESULT_BYTES // 1024**2} MiB of results",
                         truncated_output=truncated, output=output)
    result = RunResult("ok", truncated_output=truncated, output=output)
    status = None
    n_evidence = header.get("evidence", 0)
    n_evidence = n_evidence if isinstance(n_evidence, int) and 0 <= n_evidence <= len(stream) else 0
    # the harness's own record of the calls to its services comes first; only there may `sv__` paths appear
    for item, payload in wire.records(stream[:n_evidence]):
        case, path = item.get("case"), item.get("path")
        if item.get("kind") == "array" and isinstance(path, str) and path.startswith("sv__") \
                and isinstance(case, int) and 0 <= case < n_cases:
            value = wire.decode(item, payload)
            if value is not None:
                result.inputs_after.setdefault(case, {})[path[:200]] = value
    for item, payload in wire.records(stream[n_evidence:]):
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
            value = wire.decode(item, payload)
            if value is not None:
                path = item["path"][:200]
                (result.outputs if path.startswith("out") else result.inputs_after).setdefault(case, {})[path] = value
    if status is None:
        result.status, result.message = "error", DIED
    elif status.get("status") in ("error", "syntax_error"):
        result.status, result.message = status["status"], str(status.get("message", ""))[:4000]
        if result.message.lower().startswith(GRADERS_OWN):  # the submission wrote it: it may not speak as us
            result.message = f"the exercise process reported: {result.message}"
    elif status.get("status") != "ok":
        result.status, result.message = "error", DIED
    if result.status != "ok":
        result.outputs, result.inputs_after, result.types = {}, {}, {}
    for n in range(n_cases):
        result.outputs.setdefault(n, {})
        result.inputs_after.setdefault(n, {})
        result.types.setdefault(n, {})
    return result

