# ruff: noqa: E501  (the fixtures are code written inline, one submission per line)
"""Build the corpus of bad and hostile submissions from the student version.

Run `python tests/grading/make_fixtures.py` after changing the exercises; the files it
writes are committed, and tests/grading/expected.json says what each must score.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
STUDENT = ROOT / "bpteach" / "grading" / "notebooks" / "student" / "backprop-exercises.ipynb"
SOURCE = ROOT / "bpteach" / "grading" / "notebooks" / "backprop-exercises.ipynb"
OUT = HERE / "fixtures"

GOOD = {
    "ex1": "def output_delta(y, h, z):\n    return -(y - h) * sigmoid_prime(z)\n",
    "ex2": "def hidden_delta(W, delta_next, z):\n    return (W.T @ delta_next) * sigmoid_prime(z)\n",
    "ex3": "def gradients(delta_next, a):\n    return np.outer(delta_next, a), delta_next.copy()\n",
}


SUM_NOT_MEAN = """
def batch_gradients(W, b, X, Y):
    n_l = max(W) + 1
    z, a = {}, {1: X}
    for l in sorted(W):
        z[l + 1] = W[l] @ a[l] + b[l][:, None]
        a[l + 1] = sigmoid(z[l + 1])
    delta = {n_l: -(Y - a[n_l]) * sigmoid_prime(z[n_l])}
    for l in range(n_l - 1, 1, -1):
        delta[l] = (W[l].T @ delta[l + 1]) * sigmoid_prime(z[l])
    return {l: delta[l + 1] @ a[l].T for l in W}, {l: delta[l + 1].sum(axis=1) for l in W}
"""


def student():
    return nbformat.read(STUDENT, as_version=4)


def cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


def with_code(**solutions):
    nb = student()
    ids = {
        "ex1": "ex1-output-delta",
        "ex2": "ex2-hidden-delta",
        "ex3": "ex3-gradients",
        "ex4": "ex4-forward",
        "ex5": "ex5-central-difference",
        "ex6": "ex6-batch-gradients",
        "ex7": "ex7-train",
    }
    for ex, src in solutions.items():
        cell(nb, ids[ex]).source = src
    return nb


def ex1(body):
    return "def output_delta(y, h, z):\n" + "".join(f"    {line}\n" for line in body.strip().splitlines())


FIXTURES = {
    # wrong answers
    "ex1-sign-flipped": with_code(ex1=ex1("return (y - h) * sigmoid_prime(z)")),
    "ex1-f-instead-of-fprime": with_code(ex1=ex1("return -(y - h) * sigmoid(z)")),
    "ex1-fprime-of-a": with_code(ex1=ex1("return -(y - h) * sigmoid_prime(h)")),
    "ex1-float32": with_code(ex1=ex1("return (-(y - h) * sigmoid_prime(z)).astype(np.float32)")),
    "ex1-nan": with_code(ex1=ex1("return -(y - h) * sigmoid_prime(z) * np.nan")),
    "ex1-list": with_code(ex1=ex1("return list(-(y - h) * sigmoid_prime(z))")),
    "ex1-mutates-input": with_code(ex1=ex1("y -= h\nreturn -y * sigmoid_prime(z)")),
    "ex1-hardcoded": with_code(ex1=ex1("return np.array([-0.05, 0.075])")),
    "ex2-missing-transpose": with_code(
        ex2="def hidden_delta(W, delta_next, z):\n    return (W @ delta_next) * sigmoid_prime(z)\n"
    ),
    "ex2-star-not-at": with_code(
        ex2="def hidden_delta(W, delta_next, z):\n    return (W.T * delta_next).sum(axis=1) * sigmoid_prime(z)\n"
    ),
    "ex2-exception-inside": with_code(ex2="def hidden_delta(W, delta_next, z):\n    raise ValueError('not today')\n"),
    "ex3-a-delta-transposed": with_code(
        ex3="def gradients(delta_next, a):\n    return np.outer(a, delta_next), delta_next.copy()\n"
    ),
    "ex4-no-bias": with_code(
        ex4="def forward(W, b, x):\n    z, a = {}, {1: x}\n    for l in sorted(W):\n        z[l + 1] = W[l] @ a[l]\n        a[l + 1] = sigmoid(z[l + 1])\n    return z, a\n"
    ),
    "ex5-one-sided": with_code(
        ex5="def central_difference(f, theta, eps=1e-5):\n    g = np.zeros(theta.shape)\n    for k in range(theta.size):\n        s = np.zeros(theta.shape)\n        s[k] = eps\n        g[k] = (f(theta + s) - f(theta)) / eps\n    return g\n"
    ),
    "ex6-sum-not-mean": with_code(ex6=SUM_NOT_MEAN),
    # code errors
    "syntax-error-ex1-good-ex2": with_code(ex1="def output_delta(y, h, z)\n    return 0\n", ex2=GOOD["ex2"]),
    "name-error": with_code(ex1=ex1("return -(y - h) * sigmoid_primed(z)")),
    # structure changes
    "duplicated-cell": None,
    "deleted-cell": None,
    "reordered-cells": None,
    "retyped-cell": None,
    "stripped-metadata": None,
    "renamed-function": with_code(ex1="def output_delta_v2(y, h, z):\n    return -(y - h) * sigmoid_prime(z)\n"),
    "edited-locked-cell": None,
    # resource abuse
    "infinite-loop": with_code(ex1=ex1("while True:\n    pass")),
    "loop-ignoring-sigint": with_code(
        ex1=ex1("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")
    ),
    "long-sleep": with_code(ex1=ex1("import time\ntime.sleep(1000)")),
    "print-flood": with_code(
        ex1=ex1(
            "print('x' * 5_000_000)\nfor _ in range(2000):\n    print('y' * 200)\nreturn -(y - h) * sigmoid_prime(z)"
        )
    ),
    "memory-bomb": with_code(ex1=ex1("hog = np.ones(10**11)\nreturn hog")),
    "input-call": with_code(ex1=ex1("input('your name?')\nreturn -(y - h) * sigmoid_prime(z)")),
    "os-exit": with_code(ex1=ex1("import os\nos._exit(0)")),
    "background-thread": with_code(
        ex1="import threading\n\ndef _spin():\n    while True:\n        pass\n\nthreading.Thread(target=_spin, daemon=True).start()\n\n"
        + GOOD["ex1"]
    ),
    # tampering
    "patch-allclose": with_code(
        ex1="np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
        + ex1("return np.zeros_like(y)")
    ),
    "input-transformer": with_code(
        ex1="def _rewrite(lines):\n    return [l.replace('_bpteach_call(', 'print(') for l in lines]\n\nget_ipython().input_transformers_cleanup.append(_rewrite)\n\n"
        + ex1("return np.zeros_like(y)")
    ),
    "stdout-hijack": with_code(
        ex1="import sys\nprint('passed: 14/14')\nclass _Fake:\n    def write(self, s):\n        return len(s)\n    def flush(self):\n        pass\nsys.stdout = _Fake()\n"
        + ex1("return np.zeros_like(y)")
    ),
    "fake-report": with_code(
        ex1="import json, os\nfor d in ('.', '..', '../..', os.environ.get('HOME', '.')):\n    try:\n        with open(os.path.join(d, 'report.json'), 'w') as f:\n            json.dump({'score': 14, 'max_score': 14}, f)\n    except OSError:\n        pass\n"
        + ex1("return np.zeros_like(y)")
    ),
    "lying-ndarray": with_code(
        ex1="class Liar(np.ndarray):\n    def __eq__(self, other):\n        return True\n    def __array_finalize__(self, obj):\n        pass\n\n"
        + ex1("return np.zeros_like(y).view(Liar)")
    ),
    "imports-bpteach": with_code(
        ex1="from bpteach.backprop import output_delta as _ref\n" + ex1("return _ref(y, h, sigmoid_prime(z))")
    ),
    "imports-bpteach-hidden": with_code(
        ex1=ex1("ref = __import__('bp' + 'teach').backprop\nreturn ref.output_delta(y, h, sigmoid_prime(z))")
    ),
    "untouched-student-version": student(),
}


def build():
    OUT.mkdir(exist_ok=True)
    nb = with_code(ex1=ex1("return np.zeros_like(y)"))
    nb.cells.insert(8, copy.deepcopy(cell(nb, "ex1-output-delta")))
    cell(nb, "ex1-output-delta").source = GOOD["ex1"]  # the first stays wrong, the last is right
    dup = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex1-output-delta"]
    dup[0].source, dup[-1].source = ex1("return np.zeros_like(y)"), GOOD["ex1"]
    FIXTURES["duplicated-cell"] = nb
    nb = with_code(ex2=GOOD["ex2"])
    nb.cells.remove(cell(nb, "ex1-output-delta"))
    FIXTURES["deleted-cell"] = nb
    nb = with_code(ex1=GOOD["ex1"], ex2=GOOD["ex2"])
    a, b = cell(nb, "ex1-output-delta"), cell(nb, "ex2-hidden-delta")
    ia, ib = nb.cells.index(a), nb.cells.index(b)
    nb.cells[ia], nb.cells[ib] = b, a
    FIXTURES["reordered-cells"] = nb
    nb = with_code(ex1=GOOD["ex1"])
    c = cell(nb, "ex1-output-delta")
    nb.cells[nb.cells.index(c)] = nbformat.v4.new_markdown_cell(c.source, metadata=c.metadata)
    FIXTURES["retyped-cell"] = nb
    nb = with_code(ex1=GOOD["ex1"], ex3=GOOD["ex3"])
    for c in nb.cells:
        c.metadata = {}
    nb.metadata = {}
    FIXTURES["stripped-metadata"] = nb
    nb = with_code(ex1=GOOD["ex1"])
    cell(nb, "ex1-output-delta-tests").source = "assert True  # trust me\n"
    FIXTURES["edited-locked-cell"] = nb
    for name, nb in FIXTURES.items():
        nbformat.write(nb, OUT / f"{name}.ipynb")
    # broken files, written as bytes
    (OUT / "empty.ipynb").write_bytes(b"")
    text = SOURCE.read_text()
    (OUT / "truncated.ipynb").write_text(text[: len(text) // 2])
    (OUT / "not-a-notebook.ipynb").write_text(json.dumps({"hello": "world", "cells": "none"}))
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "code", "language": "python", "input": GOOD["ex1"], "outputs": [], "metadata": {}},
                    {"cell_type": "markdown", "source": "an nbformat 3 notebook", "metadata": {}},
                ]
            }
        ],
    }
    (OUT / "nbformat3.ipynb").write_text(json.dumps(v3))
    nbformat.write(nbformat.read(SOURCE, as_version=4), OUT / "source-with-solutions.ipynb")


if __name__ == "__main__":
    build()
    print(f"wrote {len(list(OUT.glob('*.ipynb')))} fixtures to {OUT}")
