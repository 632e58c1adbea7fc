"""Timing and machine description shared by the benchmarks."""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np


def sample(f: Callable[[], object], min_time: float = 0.0) -> float:
    """Seconds per call of f(), looping until min_time has passed (so tiny calls are not all timer noise)."""
    n, start = 0, time.perf_counter()
    while True:
        f()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / n


def median_seconds(f: Callable[[], object], repeat: int = 30, warmup: int = 5, min_time: float = 0.0) -> float:
    """Median wall time of f() after warm-up."""
    for _ in range(warmup):
        f()
    return statistics.median(sample(f, min_time) for _ in range(repeat))


def interleaved(groups: dict, rounds: int, warmup: int = 3, min_time: float = 0.0,
                pause: float = 0.15) -> dict:  # fmt: skip
    """Samples of every function in `groups` ({group: {name: f}}), one per function per round.

    The machines are shared and their speed drifts, so one round takes every group in turn
    (the starting group rotating) and a slow minute slows all of them alike: ratios taken
    within a round stay fair. Each group is one thread pool (numpy's OpenBLAS, torch's
    OpenMP) and OpenBLAS's idle workers spin for about 0.1 s after a product, stealing a
    core from whatever runs next; the pause before each group lets them fall asleep, and
    one untimed call wakes the group's own threads again.
    """
    keys = list(groups)
    for key in keys:
        for f in groups[key].values():
            for _ in range(warmup):
                f()
    samples = {key: {name: [] for name in groups[key]} for key in keys}
    for r in range(rounds):
        for key in keys[r % len(keys):] + keys[: r % len(keys)]:
            time.sleep(pause)
            fns = groups[key]
            next(iter(fns.values()))()
            for name, f in fns.items():
                samples[key][name].append(sample(f, min_time))
    return samples


def median_ratio(a: list[float], b: list[float]) -> float:
    """Median over rounds of a/b, each pair taken in the same round."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def steady_allocator() -> str:
    """Fix glibc's malloc thresholds for the whole run, for every library in the process alike.

    With glibc's defaults the thresholds move as a process runs and freed memory at the top
    of the heap goes back to the OS, so the same float64 step of the large net can cost
    thousands of page faults early in a process and none later: timings would depend on what
    ran before. Pinned, large blocks stay in the heap and are reused.
    """
    if not sys.platform.startswith("linux"):
        return "default"
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return "default"
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h
    if libc.mallopt(M_MMAP_THRESHOLD, 32 << 20) and libc.mallopt(M_TRIM_THRESHOLD, 512 << 20):
        return "glibc malloc: mmap threshold 32 MiB, trim threshold 512 MiB (pinned for the run)"
    return "default"


def page_faults(f: Callable[[], object], calls: int = 5) -> float:
    """Minor page faults per call of f(): pages the OS had to hand out, and clear, afresh."""
    f()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        f()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    blas = "unknown"
    try:
        cfg = np.show_config(mode="dicts")
        deps = cfg.get("Build Dependencies", {})
        blas = f"{deps.get('blas', {}).get('name', '?')} {deps.get('blas', {}).get('version', '')}".strip()
    except Exception:  # older numpy: no dict mode
        pass
    threads = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                           "OPENBLAS_CORETYPE") if k in os.environ}  # fmt: skip
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas,
        "thread_env": threads,
    }
