"""Run one exercise of one submission in a fresh sandboxed kernel, through nbclient.

The notebook that runs is rebuilt from trusted parts: the source notebook's
set-up cells, the submission's solution cell (alone), and a generated cell that
loads the hidden inputs from .npy files, calls the function and saves what it
returned as .npy files. Nothing is read back until the kernel is dead.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

CELL_TIMEOUT = float(os.environ.get("BPTEACH_GRADER_CELL_TIMEOUT", 20))  # seconds for one cell
HARD_LIMIT = float(os.environ.get("BPTEACH_GRADER_HARD_LIMIT", 60))  # seconds for one exercise, all in
OUTPUT_BUDGET = 64 * 1024  # bytes of stdout/stderr/display kept per exercise


@dataclass
class RunResult:
    status: str  # "ok", "error", "syntax_error", "timeout"
    message: str = ""
    outputs: dict = field(default_factory=dict)  # case -> {path: ndarray}
    inputs_after: dict = field(default_factory=dict)  # case -> {path: ndarray}
    types: dict = field(default_factory=dict)  # case -> {path: type name}
    truncated_output: bool = False
    seconds: float = 0.0


class CappedClient(NotebookClient):
    """nbclient with a ceiling on the output it keeps: a print flood costs nothing."""

    budget = OUTPUT_BUDGET

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        self.budget -= size
        if self.budget < 0:
            self.truncated = True
            return None
        return super().output(outs, msg, display_id, cell_index)


def _kernel_spec_dir(root: Path) -> Path:
    spec = root / "kernels" / "bpteach-sandbox"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "bpteach.grading.sandbox", "-f", "{connection_file}"],
        "display_name": "bpteach sandbox", "language": "python",
        "env": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg",
                "PYTHONDONTWRITEBYTECODE": "1"},
    }))  # fmt: skip
    return spec.parent


def _save_inputs(inputs: dict, folder: Path, prefix: str) -> list[str]:
    """Write every hidden input as .npy; return the code lines that rebuild them in the kernel."""
    lines = []
    for name, value in inputs.items():
        if isinstance(value, dict):
            for k, v in value.items():
                np.save(folder / f"{prefix}{name}__{k}.npy", np.asarray(v), allow_pickle=False)
            keys = ", ".join(f"{k}: _load('{prefix}{name}__{k}.npy')" for k in value)
            lines.append(f"    _args[{name!r}] = {{{keys}}}")
        else:
            np.save(folder / f"{prefix}{name}.npy", np.asarray(value), allow_pickle=False)
            cast = {float: "float", int: "int"}.get(type(value), "")
            lines.append(f"    _args[{name!r}] = {cast}(_load('{prefix}{name}.npy'))")
    return lines


CALL_TEMPLATE = """
import numpy as _np
def _load(p):
    return _np.load(p, allow_pickle=False)
def _flatten(value, path, out, types):
    types[path] = type(value).__name__
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, path + "__" + str(k), out, types)
    elif isinstance(value, (tuple, list)) and path.count("__") < 2:
        for i, v in enumerate(value):
            _flatten(v, path + "__" + str(i), out, types)
    elif isinstance(value, _np.ndarray):  # only arrays cross; anything else is known by its type name
        out[path] = _np.asarray(value)
def _bpteach_call(case):
    _args, _evidence = {{}}, {{}}  # prepare may add evidence: name -> callable, read after the call
{rebuild}
{prepare}
    _result = {function}(**_args)
    _out, _types = {{}}, {{}}
    _flatten(_result, "out", _out, _types)
    _after = {{}}
    _flatten({{k: v for k, v in _args.items() if k not in ("f",)}}, "in", _after, {{}})
    _flatten({{k: v() for k, v in _evidence.items()}}, "ev", _after, {{}})
    for p, v in list(_out.items()) + list(_after.items()):
        if v.dtype.kind in "biufc" or v.dtype.kind == "U":
            _np.save(f"case{{case}}__{{p}}.npy", _np.ascontiguousarray(v), allow_pickle=False)
    _np.save(f"case{{case}}__types.npy", _np.array([f"{{k}}={{v}}" for k, v in _types.items()]), allow_pickle=False)
"""


def run_exercise(setup_sources: list[str], solution: str, function: str, cases: list, prepare: str = "") -> RunResult:
    """Execute `solution` after the trusted set-up, then call `function` on each hidden case.

    nbclient runs in a worker process (`python -m bpteach.grading.runner JOB`) that reports
    back over a private pipe; this process only waits, with a hard wall-clock limit, then
    kills the worker and the kernel's process group, and reads the .npy files last.
    """
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bpteach-grade-") as tmp:
        root = Path(tmp)
        work = root / "work"
        work.mkdir()
        cells = [*setup_sources, solution]
        for n, case in enumerate(cases):
            rebuild = _save_inputs(case.inputs, work, prefix=f"hidden{n}__")
            call = CALL_TEMPLATE.format(rebuild="\n".join(rebuild), prepare=prepare, function=function)
            cells.append(call + f"\n_bpteach_call({n})\n")
        job = root / "job.json"
        job.write_text(json.dumps({"cells": cells, "solution_index": len(setup_sources), "root": str(root)}))
        read_fd, write_fd = os.pipe()
        worker = subprocess.Popen(
            [sys.executable, "-m", "bpteach.grading.runner", str(job), str(write_fd)],
            pass_fds=(write_fd,), start_new_session=True, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(write_fd)
        report, kernel_pid = _read_report(read_fd, worker, HARD_LIMIT)
        _kill_group(worker.pid)
        worker.wait()
        _kill_group(kernel_pid)
        if report is None:
            result = RunResult("timeout", f"the exercise ran past the hard limit of {HARD_LIMIT:.0f} s")
        else:
            result = RunResult(report["status"], report.get("message", ""),
                               truncated_output=report.get("truncated", False))  # fmt: skip
        if result.status == "ok":
            _collect(work, len(cases), result)
        result.seconds = time.monotonic() - start
        return result


def _read_report(fd: int, worker, limit: float) -> tuple[dict | None, int | None]:
    """The worker's lines: the kernel's pid first, then the report; None if it is late.

    The pipe is private to the worker (the kernel it starts does not inherit it), so
    nothing the submission does can write here.
    """
    deadline = time.monotonic() + limit
    data = b""
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([pipe], [], [], max(0.0, min(0.5, deadline - time.monotonic())))
            if ready:
                chunk = pipe.read(65536)
                if not chunk:
                    break
                data += chunk
                if len(data) > 1_000_000:
                    break
            elif worker.poll() is not None and not data:
                break
    report, kernel_pid = None, None
    for line in data.decode(errors="replace").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and isinstance(item.get("kernel_pid"), int):
            kernel_pid = item["kernel_pid"]
        elif isinstance(item, dict) and "status" in item:
            report = item
    if report is None and time.monotonic() < deadline:
        report = {"status": "error", "message": "the grader's worker failed"}
    return report, kernel_pid


def _kill_group(pid: int | None) -> None:
    if pid:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _work(job_path: str, fd: int) -> None:
    """The worker: run the rebuilt notebook with nbclient, write one JSON line to fd, exit hard."""
    job = json.loads(Path(job_path).read_text())
    root = Path(job["root"])
    work = root / "work"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in job["cells"]])
    ksm = KernelSpecManager(kernel_dirs=[str(_kernel_spec_dir(root))])
    km = AsyncKernelManager(kernel_name="bpteach-sandbox", kernel_spec_manager=ksm)
    client = CappedClient(nb, km=km, timeout=CELL_TIMEOUT, allow_errors=False, kernel_name="bpteach-sandbox",
                          resources={"metadata": {"path": str(work)}}, record_timing=False)  # fmt: skip
    client.truncated = False

    def remember_pid(**_):
        pid = km.provisioner.pid if km.provisioner else None
        if pid:
            os.write(fd, (json.dumps({"kernel_pid": pid}) + "\n").encode())

    client.on_notebook_start = remember_pid
    report = {"status": "ok"}
    try:
        client.execute(cwd=str(work))
    except CellTimeoutError:
        report = {
            "status": "timeout",
            "message": f"a cell ran longer than {CELL_TIMEOUT:.0f} s (an endless loop, or a long sleep?)",
        }
    except CellExecutionError as err:
        ename = getattr(err, "ename", "") or ""
        status = "syntax_error" if ename in ("SyntaxError", "IndentationError", "TabError") else "error"
        where = "in your solution cell" if _failing_cell(nb) == job["solution_index"] else "when your function ran"
        report = {"status": status, "message": f"{ename}: {getattr(err, 'evalue', '')} ({where})".strip()}
    except DeadKernelError:
        report = {"status": "error", "message": "the kernel died (os._exit, a crash, or a resource limit)"}
    except Exception as err:  # noqa: BLE001 - the kernel failed to start, or nbclient broke: report it
        report = {"status": "error", "message": f"{type(err).__name__}: {err}"}
    report["truncated"] = client.truncated
    os.write(fd, (json.dumps(report) + "\n").encode())
    _kill_group(km.provisioner.pid if km.provisioner else None)
    os._exit(0)  # skip nbclient's clean-up, which can wait forever on a hostile kernel


def _failing_cell(nb) -> int | None:
    for i, cell in enumerate(nb.cells):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i
    return None


def _collect(work: Path, n_cases: int, result: RunResult) -> None:
    for n in range(n_cases):
        outs, after, types = {}, {}, {}
        tfile = work / f"case{n}__types.npy"
        try:
            for item in np.load(tfile, allow_pickle=False).tolist():
                k, _, v = str(item).partition("=")
                types[k] = v
        except Exception:
            pass
        for p in work.glob(f"case{n}__*.npy"):
            key = p.name[len(f"case{n}__") : -4]
            if key == "types":
                continue
            try:
                arr = np.load(p, allow_pickle=False)
            except Exception:
                continue
            (outs if key.startswith("out") else after)[key] = arr
        result.outputs[n], result.inputs_after[n], result.types[n] = outs, after, types


if __name__ == "__main__":
    _work(sys.argv[1], int(sys.argv[2]))
