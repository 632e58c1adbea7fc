"""The kernel launcher for student code: limits first, then an ordinary ipykernel.

Runs as `python -m bpteach.grading.sandbox -f CONNECTION_FILE`. Before the kernel
starts it caps memory, CPU time, file size and processes with setrlimit, asks
Linux to kill it if the grader dies, and makes bpteach unimportable (the
reference must not be reachable from a submission).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys

MEMORY_BYTES = int(os.environ.get("BPTEACH_SANDBOX_MEMORY", 2 * 1024**3))
CPU_SECONDS = int(os.environ.get("BPTEACH_SANDBOX_CPU", 60))
FILE_BYTES = 64 * 1024**2
PROCESSES = 256


def limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:  # not enforced for root, but it is for the usual grading user
        resource.setrlimit(resource.RLIMIT_NPROC, (PROCESSES, PROCESSES))
    except (ValueError, OSError):
        pass
    try:  # PR_SET_PDEATHSIG: die with the process that started us
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except OSError:
        pass


def hide_bpteach() -> None:
    for name in [m for m in sys.modules if m == "bpteach" or m.startswith("bpteach.")]:
        del sys.modules[name]
    sys.modules["bpteach"] = None  # `import bpteach` now raises ImportError


def main() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # the kernel's own log lines; student output travels over iopub
    limit()
    hide_bpteach()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
