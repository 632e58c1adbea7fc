"""What the grading tests share: the workbook, the fixture folders, a first exercise's set-up and answer, the
two routes, and the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import processes
import pytest

from bpteach.grading import batch, sandbox
from bpteach.grading.exercises import BY_ID
from bpteach.grading.harness import MARKER

SOURCE = batch.sources()["backprop-exercises"]  # the workbook: seven exercises

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
ATTACKS = HERE / "attacks" / "fixtures"
SETUP = ["import numpy as np\n\ndef sigmoid_prime(z):\n    s = 1 / (1 + np.exp(-z))\n    return s * (1 - s)\n"]
GOOD = "def output_delta(y, h, fprime_z):\n    return -(y - h) * fprime_z\n"
EX1 = BY_ID["ex1-output-delta"]


needs_bwrap = pytest.mark.skipif(not sandbox.available() and not os.environ.get("CI"), reason="bwrap unavailable here")
SANDBOXES = [pytest.param("bwrap", marks=needs_bwrap), "none"]


def cases():
    return EX1.make_cases(np.random.default_rng(0))


def sandbox_processes() -> int:
    return sum(MARKER.encode() in processes.argv(pid) for pid in processes.own_processes())


def cli(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "bpteach.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=600)
