"""Timing and machine description shared by the benchmarks."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np


def median_seconds(f: Callable[[], object], repeat: int = 30, warmup: int = 5, min_time: float = 0.0) -> float:
    """Median wall time of f() after warm-up; each sample loops f until min_time has passed."""
    for _ in range(warmup):
        f()
    samples = []
    for _ in range(repeat):
        n, start = 0, time.perf_counter()
        while True:
            f()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        samples.append(elapsed / n)
    return statistics.median(samples)


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
