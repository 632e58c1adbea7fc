"""The numeric back-end a run asked for is the one numpy and OpenBLAS actually use (`make test-backends`).

tests/numeric_backends.py re-runs the notebooks with NPY_DISABLE_CPU_FEATURES and OPENBLAS_CORETYPE
set, and names the setting in BPTEACH_NUMERIC_BACKEND. Both libraries read those variables once,
when they load, and a name they do not know leaves them on the native back-end without an error
(OpenBLAS, asked for "Prescott", runs its "Katmai" kernels). This process has the environment of
the notebook kernels it starts, so what holds here holds there.
"""

import math
import os
import subprocess
import sys

import numeric_backends as nb
import pytest

NAME = os.environ.get(nb.NAME_VARIABLE)


@pytest.mark.skipif(NAME is None, reason="runs inside `make test-backends` only")
@pytest.mark.parametrize("part", nb.parts(NAME or ""))
def test_the_setting_took_effect(part):
    """Each setting the run is named after (`older-cpu+libm-4ulp`: both at once)."""
    if part == "older-cpu":
        assert {"NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE"} & set(os.environ), "older-cpu sets neither variable"
        disabled = os.environ.get("NPY_DISABLE_CPU_FEATURES", "").split()
        if disabled:
            features = nb._umath().__cpu_features__
            assert not [f for f in disabled if features.get(f)], "numpy still dispatches to some of them"
            assert nb.dispatched_features_found() == [], "numpy still dispatches beyond its baseline"
        core = os.environ.get("OPENBLAS_CORETYPE", "").lower()
        if core:
            assert (nb.openblas_architecture() or "no OpenBLAS").lower() == core
    elif part.startswith("libm-"):
        # a kernel's IPython runs the start-up file: exp(1) comes out ULPS units in the last place up
        import numpy as np  # tests/conftest.py shifted this process's functions too: undo it for `want`

        assert hasattr(np.exp, "__wrapped__") and hasattr(math.exp, "__wrapped__"), "conftest did not shift libm"

        code = "import math, numpy as np; print(repr(float(np.exp(1.0))), repr(math.exp(1.0)), repr(float(np.tanh(.5))))"  # noqa: E501
        done = subprocess.run([sys.executable, "-m", "IPython", "--no-banner", "-c", code], capture_output=True,
                              text=True, env=os.environ, timeout=120)
        want = [float(np.exp.__wrapped__(1.0)), math.exp.__wrapped__(1.0), float(np.tanh.__wrapped__(0.5))]
        for _ in range(nb.ULPS):
            want = [math.nextafter(w, math.inf) for w in want]
        assert done.stdout.split()[-3:] == [repr(w) for w in want], done.stdout + done.stderr
        here = [float(np.exp(1.0)), math.exp(1.0), float(np.tanh(0.5))]  # and the unit tests' process
        assert [repr(v) for v in here] == [repr(w) for w in want]
    else:
        raise AssertionError(f"unknown setting {part} in {NAME}")
