"""Run one exercise of one submission in a fresh sandboxed kernel, through nbclient.

The notebook that runs is rebuilt from trusted parts: the source notebook's
set-up cells, the submission's solution cell (alone), and a generated cell that
loads the hidden inputs from .npy files, calls the function and saves what it
returned as .npy files. Nothing is read back until the kernel is dead.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

CELL_TIMEOUT = 20.0  # seconds for one cell
HARD_LIMIT = 45.0  # seconds for the whole exercise, kernel start included
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
    else:
        try:
            out[path] = _np.asarray(value)
        except Exception:
            pass
def _bpteach_call(case):
    _args = {{}}
{rebuild}
{prepare}
    _before = {{}}
    _flatten({{k: v for k, v in _args.items() if k not in ("f",)}}, "in", _before, {{}})
    _result = {function}(**_args)
    _out, _types = {{}}, {{}}
    _flatten(_result, "out", _out, _types)
    _after = {{}}
    _flatten({{k: v for k, v in _args.items() if k not in ("f",)}}, "in", _after, {{}})
    for p, v in list(_out.items()) + list(_after.items()):
        if v.dtype.kind in "biufc" or v.dtype.kind == "U":
            _np.save(f"case{{case}}__{{p}}.npy", _np.ascontiguousarray(v), allow_pickle=False)
    _np.save(f"case{{case}}__types.npy", _np.array([f"{{k}}={{v}}" for k, v in _types.items()]), allow_pickle=False)
"""


def run_exercise(setup_sources: list[str], solution: str, function: str, cases: list, prepare: str = "") -> RunResult:
    """Execute `solution` after the trusted set-up, then call `function` on each hidden case."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bpteach-grade-") as tmp:
        root = Path(tmp)
        work = root / "work"
        work.mkdir()
        cells = [nbformat.v4.new_code_cell(s) for s in setup_sources]
        cells.append(nbformat.v4.new_code_cell(solution))
        calls = []
        for n, case in enumerate(cases):
            rebuild = _save_inputs(case.inputs, work, prefix=f"hidden{n}__")
            calls.append(CALL_TEMPLATE.format(rebuild="\n".join(rebuild), prepare=prepare, function=function))
            calls[-1] += f"\n_bpteach_call({n})\n"
        cells += [nbformat.v4.new_code_cell(c) for c in calls]
        nb = nbformat.v4.new_notebook(cells=cells)
        solution_index = len(setup_sources)

        ksm = KernelSpecManager(kernel_dirs=[str(_kernel_spec_dir(root))])
        km = KernelManager(kernel_name="bpteach-sandbox", kernel_spec_manager=ksm)
        client = CappedClient(nb, km=km, timeout=CELL_TIMEOUT, allow_errors=False, kernel_name="bpteach-sandbox",
                              resources={"metadata": {"path": str(work)}}, record_timing=False)  # fmt: skip
        client.truncated = False
        result = RunResult("ok")
        killed = threading.Event()

        def watchdog():
            if not killed.wait(HARD_LIMIT):
                result.status, result.message = "timeout", f"the exercise ran past the hard limit of {HARD_LIMIT:.0f} s"
                _kill(km)

        guard = threading.Thread(target=watchdog, daemon=True)
        guard.start()
        try:
            client.execute(cwd=str(work))
        except CellTimeoutError:
            result.status = "timeout"
            result.message = f"a cell ran longer than {CELL_TIMEOUT:.0f} s (an endless loop, or a long sleep?)"
        except CellExecutionError as err:
            ename = getattr(err, "ename", "") or ""
            result.status = "syntax_error" if ename in ("SyntaxError", "IndentationError", "TabError") else "error"
            where = "in your solution cell" if _failing_cell(nb) == solution_index else "when your function was called"
            result.message = f"{ename}: {getattr(err, 'evalue', '')} ({where})".strip()
        except DeadKernelError:
            if result.status != "timeout":
                result.status, result.message = "error", "the kernel died (os._exit, a crash, or a resource limit)"
        except Exception as err:  # the kernel could not even start, or nbclient broke: report, never crash
            if result.status != "timeout":
                result.status, result.message = "error", f"{type(err).__name__}: {err}"
        finally:
            killed.set()
            _kill(km)
        result.truncated_output = client.truncated
        if result.status == "ok":
            _collect(work, len(cases), result)
        result.seconds = time.monotonic() - start
        return result


def _failing_cell(nb) -> int | None:
    for i, cell in enumerate(nb.cells):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i
    return None


def _kill(km: KernelManager) -> None:
    """Kill the kernel's whole process group (threads and children included), then tidy up."""
    try:
        pid = km.provisioner.pid if km.provisioner else None
    except Exception:
        pid = None
    if pid:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    except Exception:
        pass
    try:
        km.cleanup_resources()
    except Exception:
        pass


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
