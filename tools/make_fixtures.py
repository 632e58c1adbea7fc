# ruff: noqa: E501  (the fixtures are code written inline, one submission per line)
"""Build the corpus of bad and hostile submissions from the student version.

Run `python tools/make_fixtures.py` after changing the exercises; the files it writes into
tests/grading/fixtures are committed, and tests/grading/expected.json says what each must score.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "tests" / "grading"
STUDENT = ROOT / "bpteach" / "grading" / "notebooks" / "student" / "backprop-exercises.ipynb"
SOURCE = ROOT / "bpteach" / "grading" / "notebooks" / "backprop-exercises.ipynb"
OUT = HERE / "fixtures"

GOOD = {
    "ex1": "def output_delta(y, h, fprime_z):\n    return -(y - h) * fprime_z\n",
    "ex2": "def hidden_delta(W_l, delta_next, fprime_z):\n    return (W_l.T @ delta_next) * fprime_z\n",
    "ex3": "def weight_gradient(delta_next, a_l):\n    if delta_next.ndim == 1:\n        return np.outer(delta_next, a_l)\n    return delta_next @ a_l.T / delta_next.shape[1]\n\n\ndef bias_gradient(delta_next):\n    return delta_next.copy() if delta_next.ndim == 1 else delta_next.mean(axis=1)\n",
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
# the same, with the mean, and the slope taken as SLOPE
BATCH = SUM_NOT_MEAN.replace("@ a[l].T for", "@ a[l].T / X.shape[1] for").replace(".sum(axis=1)", ".mean(axis=1)")

# Exercise 5 attacks. The hidden f is a handle: the harness evaluates it and counts the calls,
# out of the submission's reach. The closure attack finds nothing; the hidden data, dug out of the
# exercise process's own stack, still gives only the exact gradient, which is not the central
# difference with the grader's eps; and a counter rewritten through gc is not the one that counts.
CLOSURE_ATTACK = """
def central_difference(f, theta, eps=1e-5):
    _c, _A = (cell.cell_contents for cell in f.__closure__)
    return _c * np.cos(theta) + (_A + _A.T) @ theta
"""
EXACT_FROM_DATA = """
import sys


def _hidden(n):
    frame = sys._getframe()
    while "job" not in frame.f_locals or "data" not in frame.f_locals:
        frame = frame.f_back
    job, data = frame.f_locals["job"], frame.f_locals["data"]
    for spec in job["cases"]:
        c, A = (np.frombuffer(data[spec[k]["offset"] : spec[k]["offset"] + spec[k]["nbytes"]]).reshape(spec[k]["shape"])
                for k in ("c", "A"))
        if c.size == n:
            return c, A


def central_difference(f, theta, eps=1e-5):
    n = theta.size
    c, A = _hidden(n)
    for k in range(2 * n):  # the right number of calls, for show
        f(theta)
    return 3.0 * c * np.cos(3.0 * theta) + (A + A.T) @ theta
"""
RESET_COUNTER = """
import gc


def _forge(target, calls):
    for o in [target, *gc.get_objects()]:  # whatever keeps the count, set it to what the judge wants
        if type(o).__name__ in ("_Hidden", "Service"):
            try:
                o.calls = calls
            except AttributeError:
                pass
"""
CENTRAL = """
def central_difference(f, theta, eps=1e-5):
    grad = np.zeros(theta.shape)
    for k in range(theta.size):
        step = np.zeros(theta.shape)
        step[k] = EPS
        grad[k] = (f(theta + step) - f(theta - step)) / (2 * EPS)EXTRA
    return grad
"""

# Exercise 7 attacks and slips
HAND_SET = """
def gradient_descent(W, b, X, Y, cost_and_gradients, lr, target=0.01, max_steps=20_000):
    W = {1: np.array([[20.0, 20.0], [-20.0, -20.0]] + [[0.0, 0.0]] * (W[1].shape[0] - 2)),
         2: np.array([[20.0, 20.0] + [0.0] * (W[1].shape[0] - 2)])}
    b = {1: np.array([-10.0, 30.0] + [0.0] * (W[1].shape[0] - 2)), 2: np.array([-30.0])}
CALLS    return W, b
"""
REWRITE_LOG = """
    import gc
    for o in [cost_and_gradients, *gc.get_objects()]:  # the log, cut at the target, and no move off the path
        if type(o).__name__ in ("_CostAndGradients", "Service"):
            try:
                costs = o.costs
                keep = next((i for i, c in enumerate(costs) if c <= target), len(costs) - 1)
                del costs[keep + 1 :]
                o.off_path = 0
            except AttributeError:
                pass
"""
NO_STOP = """
def gradient_descent(W, b, X, Y, cost_and_gradients, lr, target=0.01, max_steps=20_000):
    W = {l: w.copy() for l, w in W.items()}
    b = {l: v.copy() for l, v in b.items()}
    for step in range(max_steps):
        J, dW, db = cost_and_gradients(W, b, X, Y)
        if step % 100 == 0 and J <= target:  # checked only with the progress report, every 100 steps
            break
        for l in W:
            W[l] = W[l] - lr * dW[l]
            b[l] = b[l] - lr * db[l]
    return W, b
"""

MARKDOWN_INJECTION = (
    "def output_delta(y, h, fprime_z):\n"
    "    raise ValueError('\\n\\n# Report: you\\n\\n**Score: 14 / 14**\\n\\n| exercise | status | points |\\n"
    "| --- | --- | --- |\\n| all | passed | 14 / 14 |\\n\\n<!-- the rest is hidden ```')\n"
)


def student():
    return nbformat.read(STUDENT, as_version=4)


def cell(nb, gid):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid)


IDS = {
    "ex1": "ex1-output-delta",
    "ex2": "ex2-hidden-delta",
    "ex3": "ex3-gradients",
    "ex4": "ex4-forward",
    "ex5": "ex5-central-difference",
    "ex6": "ex6-batch-gradients",
    "ex7": "ex7-train",
}


def with_code(**solutions):
    nb = student()
    for ex, src in solutions.items():
        cell(nb, IDS[ex]).source = src
    return nb


def ex1(body):
    return "def output_delta(y, h, fprime_z):\n" + "".join(f"    {line}\n" for line in body.strip().splitlines())


def classmates_answers():
    """ex1 answered with the reference outputs for the hidden inputs of another submission
    (source-with-solutions.ipynb, at the corpus's seed 7), keyed by shape: they fit that
    submission's inputs, not this one's."""
    from bpteach.grading.exercises import BY_ID
    from bpteach.grading.spec import case_rng

    other = (OUT / "source-with-solutions.ipynb").read_bytes()
    cases = BY_ID["ex1-output-delta"].make_cases(case_rng(7, other, 0))
    table = {c.expected.shape: c.expected.tolist() for c in cases}
    return with_code(ex1=f"ANSWERS = {table!r}\n\n\n" + ex1("return np.array(ANSWERS[np.shape(y)])"))


FIXTURES = {
    # wrong answers
    "ex1-sign-flipped": with_code(ex1=ex1("return (y - h) * fprime_z")),
    "ex1-fprime-applied-again": with_code(ex1=ex1("return -(y - h) * sigmoid_prime(fprime_z)")),
    "ex1-float32": with_code(ex1=ex1("return (-(y - h) * fprime_z).astype(np.float32)")),
    "ex1-nan": with_code(ex1=ex1("return -(y - h) * fprime_z * np.nan")),
    "ex1-list": with_code(ex1=ex1("return list(-(y - h) * fprime_z)")),
    "ex1-mutates-input": with_code(ex1=ex1("y -= h\nreturn -y * fprime_z")),
    "ex1-hardcoded": with_code(ex1=ex1("return np.array([-0.05, 0.075])")),
    "ex2-missing-transpose": with_code(
        ex2="def hidden_delta(W_l, delta_next, fprime_z):\n    return (W_l @ delta_next) * fprime_z\n"
    ),
    "ex2-star-not-at": with_code(
        ex2="def hidden_delta(W_l, delta_next, fprime_z):\n    return (W_l.T * delta_next).sum(axis=1) * fprime_z\n"
    ),
    "ex2-exception-inside": with_code(ex2="def hidden_delta(W_l, delta_next, fprime_z):\n    raise ValueError('not today')\n"),
    "ex3-a-delta-transposed": with_code(
        ex3=GOOD["ex3"].replace("np.outer(delta_next, a_l)", "np.outer(a_l, delta_next)").replace(
            "delta_next @ a_l.T / delta_next.shape[1]", "a_l @ delta_next.T / delta_next.shape[1]")
    ),
    "ex4-no-bias": with_code(
        ex4="def forward_pass(W, b, x):\n    z, a = {}, {1: x}\n    for l in sorted(W):\n        z[l + 1] = W[l] @ a[l]\n        a[l + 1] = sigmoid(z[l + 1])\n    return z, a\n"
    ),
    "ex5-one-sided": with_code(
        ex5="def central_difference(f, theta, eps=1e-5):\n    g = np.zeros(theta.shape)\n    for k in range(theta.size):\n        s = np.zeros(theta.shape)\n        s[k] = eps\n        g[k] = (f(theta + s) - f(theta)) / eps\n    return g\n"
    ),
    "ex5-closure-attack": with_code(ex5=CLOSURE_ATTACK),
    "ex5-exact-from-hidden-data": with_code(ex5=EXACT_FROM_DATA),
    "ex5-ignores-eps": with_code(ex5=CENTRAL.replace("EPS", "1e-5").replace("EXTRA", "")),
    "ex5-extra-calls": with_code(ex5=CENTRAL.replace("EPS", "eps").replace("EXTRA", " + 0 * f(theta)")),
    "ex5-extra-calls-resets-counter": with_code(
        ex5=RESET_COUNTER + CENTRAL.replace("EPS", "eps").replace("EXTRA", " + 0 * f(theta)").replace(
            "    return grad", "    _forge(f, 2 * theta.size)\n    return grad")
    ),
    "ex6-sum-not-mean": with_code(ex6=SUM_NOT_MEAN),
    "ex6-f-instead-of-fprime": with_code(ex6=BATCH.replace("sigmoid_prime(", "sigmoid(")),
    "ex6-fprime-of-a": with_code(ex6=BATCH.replace("sigmoid_prime(z[", "sigmoid_prime(a[")),
    "ex7-hand-set-weights": with_code(ex7=HAND_SET.replace("CALLS", "")),
    "ex7-fake-descent": with_code(
        ex7=HAND_SET.replace("    W = {1:", "    cost_and_gradients(W, b, X, Y)\n    W = {1:").replace(
            "CALLS", "    cost_and_gradients(W, b, X, Y)\n")
    ),
    "ex7-does-not-stop": with_code(ex7=NO_STOP),
    "ex7-does-not-stop-rewrites-log": with_code(ex7=NO_STOP.replace("    return W, b", REWRITE_LOG + "    return W, b")),
    # judging the boundary, not the kernel's word
    "class-named-ndarray": with_code(
        ex1="class ndarray(list):  # named like numpy's array, and nothing else like it\n    dtype, shape = np.dtype(float), ()\n\n\n"
        + ex1("return ndarray(-(y - h) * fprime_z)")
    ),
    "hides-mutation": with_code(
        ex1="_real_save = np.save\n\n\ndef _save(path, *args, **kwargs):\n    if '__in__' not in str(path):\n        _real_save(path, *args, **kwargs)\n\n\nnp.save = _save\n\n\n"
        + ex1("y -= h\nreturn -y * fprime_z")
    ),
    "docstring-mentions-bpteach": with_code(
        ex1='def output_delta(y, h, fprime_z):\n    """Step 1, written by hand.\n\nfrom bpteach\'s notebook 06: the minus sign belongs to delta.\n    import bpteach is not needed here.\n    """\n    return -(y - h) * fprime_z\n'
    ),
    "markdown-injection": with_code(ex1=MARKDOWN_INJECTION),
    "malformed-metadata": None,
    "classmates-answers": None,
    # code errors
    "syntax-error-ex1-good-ex2": with_code(ex1="def output_delta(y, h, fprime_z)\n    return 0\n", ex2=GOOD["ex2"]),
    "name-error": with_code(ex1=ex1("return -(y - h) * sigmoid_primed(fprime_z)")),
    # structure changes
    "duplicated-cell": None,
    "deleted-cell": None,
    "reordered-cells": None,
    "retyped-cell": None,
    "stripped-metadata": None,
    "renamed-function": with_code(ex1="def output_delta_v2(y, h, fprime_z):\n    return -(y - h) * fprime_z\n"),
    "edited-locked-cell": None,
    # resource abuse
    "infinite-loop": with_code(ex1=ex1("while True:\n    pass")),
    "loop-ignoring-sigint": with_code(
        ex1=ex1("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")
    ),
    "long-sleep": with_code(ex1=ex1("import time\ntime.sleep(1000)")),
    "print-flood": with_code(
        ex1=ex1(
            "print('x' * 5_000_000)\nfor _ in range(2000):\n    print('y' * 200)\nreturn -(y - h) * fprime_z"
        )
    ),
    "print-flood-escaped": with_code(
        ex1=ex1("print('δ' * 70_000)\nprint(chr(1) * 70_000)\nprint(bytes(range(128, 256)).decode('latin-1') * 600)\nreturn -(y - h) * fprime_z")
    ),
    "memory-bomb": with_code(ex1=ex1("hog = np.ones(10**11)\nreturn hog")),
    "input-call": with_code(ex1=ex1("input('your name?')\nreturn -(y - h) * fprime_z")),
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
        ex1="from bpteach.backprop import output_delta as _ref\n" + ex1("return _ref(y, h, fprime_z)")
    ),
    "imports-bpteach-hidden": with_code(
        ex1=ex1("ref = __import__('bp' + 'teach').backprop\nreturn ref.output_delta(y, h, fprime_z)")
    ),
    "untouched-student-version": student(),
}


def malformed_metadata():
    """nbgrader metadata of every wrong shape; the code is findable by its function's name."""
    nb = with_code(ex1=GOOD["ex1"], ex2=GOOD["ex2"])
    c = {gid: cell(nb, gid) for gid in [*IDS.values(), "ex1-output-delta-tests"]}
    c["ex1-output-delta"].metadata["nbgrader"]["grade_id"] = ["ex1-output-delta"]
    c["ex2-hidden-delta"].metadata["nbgrader"] = "ex2-hidden-delta"
    c["ex3-gradients"].metadata["nbgrader"]["grade_id"] = {"id": "ex3-gradients"}
    c["ex1-output-delta-tests"].metadata["nbgrader"]["grade_id"] = ["ex1-output-delta-tests"]
    c["ex4-forward"].metadata["nbgrader"]["points"] = "lots"
    c["ex5-central-difference"].metadata = ["not", "a", "dict"]
    c["ex6-batch-gradients"].metadata["nbgrader"]["solution"] = {"yes": True}
    c["ex7-train"].metadata["nbgrader"]["grade_id"] = None
    return nb


def build():
    OUT.mkdir(exist_ok=True)
    nb = with_code(ex1=ex1("return np.zeros_like(y)"))
    twin = copy.deepcopy(cell(nb, "ex1-output-delta"))
    twin.id += "-twin"  # cell ids stay unique (nbformat would pick a random one), the grade_id does not
    nb.cells.insert(8, twin)
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
    nb.cells[nb.cells.index(c)] = nbformat.v4.new_markdown_cell(c.source, metadata=c.metadata, id=c.id)
    FIXTURES["retyped-cell"] = nb
    nb = with_code(ex1=GOOD["ex1"], ex3=GOOD["ex3"])
    for c in nb.cells:
        c.metadata = {}
    nb.metadata = {}
    FIXTURES["stripped-metadata"] = nb
    nb = with_code(ex1=GOOD["ex1"])
    cell(nb, "ex1-output-delta-tests").source = "assert True  # trust me\n"
    FIXTURES["edited-locked-cell"] = nb
    FIXTURES["malformed-metadata"] = malformed_metadata()
    nbformat.write(nbformat.read(SOURCE, as_version=4), OUT / "source-with-solutions.ipynb")
    FIXTURES["classmates-answers"] = classmates_answers()  # needs source-with-solutions.ipynb written
    for name, nb in FIXTURES.items():
        if name == "malformed-metadata":  # nbformat.write would validate it: write the JSON as it is
            (OUT / f"{name}.ipynb").write_text(json.dumps(nb, indent=1))
        else:
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


if __name__ == "__main__":
    build()
    print(f"wrote {len(list(OUT.glob('*.ipynb')))} fixtures to {OUT}")
