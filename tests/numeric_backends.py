"""Run the notebooks again under other numeric back-ends of this machine (`make test-backends`).

A notebook's stored outputs were computed on one CPU; a learner's differs. What differs is
numpy's SIMD code paths (its float32 exp, its tanh, ...) and OpenBLAS's kernels (block sizes,
FMA or not, vector width), which change the last bits of a result. This script re-runs pytest
(strict nbval over the notebooks, plus tests/test_numeric_backend.py, which fails if a
setting did not take effect) once, under every setting at once:

- older-cpu: NPY_DISABLE_CPU_FEATURES lists every SIMD target numpy dispatches to and this
  CPU has, so numpy runs its baseline code only (SSE up to 4.2 on x86_64, NEON on arm64), and
  OPENBLAS_CORETYPE forces older OpenBLAS kernels: on x86_64 Sandybridge (AVX, no FMA; Nehalem,
  SSE only, also passed by hand but is left out for CI's time); on arm64 the generic ARMV8 one.
  Either part is left out where this machine cannot vary it;
- libm-4ulp: another CPU's math library, simulated. On this machine float64 exp is the C
  library's in every setting above, while an AVX-512 CPU (or Apple's, or MKL) computes its own.
  An IPython start-up file (IPYTHONDIR) moves every result of np.exp, np.tanh, np.log and
  math.exp 4 units in the last place up, in each notebook kernel, before anything is imported.

A setting that this machine cannot vary (no dispatch target found, no OpenBLAS in numpy, or
OpenBLAS's own core already) is left out, and the script says so.

    python tests/numeric_backends.py --list           # the settings for this machine
    python tests/numeric_backends.py --machine        # one line: CPU, numpy's SIMD targets, BLAS core
    python tests/numeric_backends.py --only older-cpu PYTEST_ARGS...   # some settings only
    python tests/numeric_backends.py PYTEST_ARGS...   # one pytest run under every setting at once
    python tests/numeric_backends.py [--only ...] --apart PYTEST_ARGS...   # one run per setting
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time

# Kernels forced per machine architecture: older than any current CPU, so they differ from the
# native ones in the ways CPUs differ (Sandybridge: 256-bit AVX without FMA).
OPENBLAS_CORES = {"x86_64": ("Sandybridge",), "amd64": ("Sandybridge",), "aarch64": ("ARMV8",),
                  "arm64": ("ARMV8",)}
# A kernel runs only on a CPU that has its instructions (numpy's name for the feature).
CORE_NEEDS = {"Sandybridge": "AVX", "Nehalem": "SSE42", "ARMV8": "ASIMD"}
NAME_VARIABLE = "BPTEACH_NUMERIC_BACKEND"  # the setting's name, for tests/test_numeric_backend.py
ULPS = 4
# The kernels' start-up file for libm-4ulp: each function keeps its signature (out= included).
SHIFTED_LIBM = f"""
import math
import numpy as np


def _shifted(f, exact_at):
    # every result moved {ULPS} units in the last place up, except where every libm is exact
    # (exp(0) = 1, tanh(0) = 0, log(1) = 0), and with f's own signature (out= included)
    def shifted(x, *args, **kwargs):
        r = f(x, *args, **kwargs)
        moved = r
        for _ in range({ULPS}):
            moved = np.nextafter(moved, np.inf)
        # every libm agrees where the result is exact: f(exact_at), and an underflow to 0 (exp(-1000))
        moved = np.where((np.asarray(x) == exact_at) | (r == 0), r, moved)
        if isinstance(r, np.ndarray):
            r[...] = moved
            return r
        return type(r)(moved)
    shifted.__wrapped__ = f  # the machine's own function, for tests/test_numeric_backend.py
    return shifted


np.exp, np.tanh, np.log = _shifted(np.exp, 0.0), _shifted(np.tanh, 0.0), _shifted(np.log, 1.0)
math.exp = _shifted(math.exp, 0.0)
"""


def shifted_libm_dir(root: str) -> str:
    """An IPYTHONDIR whose default profile runs SHIFTED_LIBM in every kernel it starts."""
    startup = os.path.join(root, "profile_default", "startup")
    os.makedirs(startup, exist_ok=True)
    with open(os.path.join(startup, "00-shifted-libm.py"), "w") as f:
        f.write(SHIFTED_LIBM)
    return root


def _umath():
    try:
        from numpy._core import _multiarray_umath as m  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import _multiarray_umath as m
    return m


def dispatched_features_found() -> list[str]:
    """The SIMD targets numpy dispatches to at run time and this CPU has: what NPY_DISABLE_CPU_FEATURES can turn off."""
    m = _umath()
    return [f for f in m.__cpu_dispatch__ if m.__cpu_features__.get(f)]


def openblas_architecture() -> str | None:
    """The OpenBLAS core numpy's BLAS runs on in this process, or None if numpy does not use OpenBLAS."""
    import numpy  # noqa: F401  (loads the BLAS that threadpoolctl inspects)
    from threadpoolctl import threadpool_info

    for lib in threadpool_info():
        if lib.get("internal_api") == "openblas":
            return lib.get("architecture")
    return None


def settings() -> dict[str, dict[str, str]]:
    """name -> the environment variables of that setting, for this machine.

    numpy's baseline code and OpenBLAS's older kernels go together in one setting, `older-cpu`, as
    they do on an older CPU (Sandybridge has neither AVX2 nor FMA, for numpy or for OpenBLAS): one
    run instead of two, and each last-bit change still reaches every notebook."""
    older = {}
    features = dispatched_features_found()
    if features:
        older["NPY_DISABLE_CPU_FEATURES"] = " ".join(features)
    native = openblas_architecture()
    has = _umath().__cpu_features__
    if native is not None:
        for core in OPENBLAS_CORES.get(platform.machine().lower(), ())[:1]:
            if core.lower() != native.lower() and has.get(CORE_NEEDS[core]):
                older["OPENBLAS_CORETYPE"] = core
    out = {"older-cpu": older} if older else {}
    out[f"libm-{ULPS}ulp"] = {"IPYTHONDIR": "(a temporary folder with the start-up file)"}
    return out


def machine() -> str:
    """One line naming what this run computes on, so that a failure names its machine."""
    import numpy as np

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), model)
    except OSError:
        pass
    from threadpoolctl import threadpool_info

    blas = [f"{i.get('internal_api')} {i.get('version')} core {i.get('architecture')}" for i in threadpool_info()
            if i.get("user_api") == "blas"]
    return (f"machine: {model}; Python {platform.python_version()}, numpy {np.__version__}; numpy dispatches to "
            f"{' '.join(dispatched_features_found()) or 'its baseline only'}; BLAS {', '.join(blas) or 'none found'}")


SEPARATOR = "+"  # a run under several settings at once is named after all of them: older-cpu+libm-4ulp


def combined(chosen: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The chosen settings as one run: every variable of each (they share none), named after all of them.

    One run under every setting at once, not one run per setting: each last-bit change still reaches
    every notebook and unit test, and a printed digit that moves under one setting moves under all of
    them unless the moves cancel exactly; it costs one run's CPU (about 60 s here) instead of two."""
    if len(chosen) < 2:
        return chosen
    env: dict[str, str] = {}
    for extra in chosen.values():
        assert not set(env) & set(extra), f"two settings set the same variable: {set(env) & set(extra)}"
        env.update(extra)
    return {SEPARATOR.join(chosen): env}


def parts(name: str) -> list[str]:
    """The settings a run's name stands for (tests/test_numeric_backend.py checks each took effect)."""
    return name.split(SEPARATOR) if name else []


def main(argv: list[str]) -> int:
    if argv == ["--machine"]:
        print(machine(), flush=True)
        return 0
    chosen = settings()
    if argv[:1] == ["--only"]:  # --only NAME[,NAME...] PYTEST_ARGS...: a subset of this machine's settings
        wanted = argv[1].split(",")
        chosen, argv = {n: e for n, e in chosen.items() if n in wanted}, argv[2:]
    if argv == ["--list"]:
        for name, env in chosen.items():
            print(name, " ".join(f"{k}={v!r}" for k, v in env.items()))
        return 0
    if not chosen:
        print("numeric back-ends: this machine offers no other setting to run under", flush=True)
        return 0
    apart = argv[:1] == ["--apart"]  # one run per setting, side by side, as before issue 28
    runs_wanted = chosen if apart else combined(chosen)
    argv = argv[1:] if apart else argv
    # With --apart the settings run side by side, each in its own pytest process with its own output
    # file (shown whole, in order, when all are done).
    with tempfile.TemporaryDirectory(prefix="bpteach-backends-") as tmp:
        runs = {}
        for name, extra in runs_wanted.items():
            env = {**os.environ, **extra, NAME_VARIABLE: name}
            if "IPYTHONDIR" in extra:  # the start-up file lives only as long as its run
                env["IPYTHONDIR"] = shifted_libm_dir(os.path.join(tmp, name))
            log = open(os.path.join(tmp, f"{name}.log"), "w+")
            argv_run = [sys.executable, "-m", "pytest", "tests/test_numeric_backend.py", *argv]
            proc = subprocess.Popen(argv_run, env=env, stdout=log, stderr=subprocess.STDOUT)
            runs[name] = (proc, log, time.perf_counter(), extra)
        times, failed = {}, []
        for name, (proc, log, start, extra) in runs.items():
            code = proc.wait()
            times[name] = time.perf_counter() - start
            log.seek(0)
            print(f"\n== {name}: {' '.join(f'{k}={v!r}' for k, v in extra.items())}", flush=True)
            print(log.read(), end="", flush=True)
            log.close()
            if code != 0:
                print(f"== {name}: FAILED (pytest exit code {code})", flush=True)
                failed.append(code)
    if failed:
        return failed[0]
    print("\n== numeric back-ends passed: " + ", ".join(f"{n} {t:.0f} s" for n, t in times.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
