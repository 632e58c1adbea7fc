"""The benchmark is not timed here (timings belong to `make bench`); this checks that its
smoke run works on a fresh install, with or without torch, and that its arithmetic is right."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.__main__ import targets  # noqa: E402
from benchmarks.backprop_vs_torch import Bpteach, _data, floor_parts, flops  # noqa: E402
from benchmarks.common import interleaved, median_ratio  # noqa: E402


def test_quick_run_checks_and_reports_every_implementation(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "targets (issue 6):" in proc.stdout
    data = json.loads(out.read_text())
    rows = data["networks"]
    assert {(r["batch"], r["impl"], r["dtype"]) for r in rows} == {
        (m, impl, dt) for m in (1, 256) for impl in ("bpteach", "torch") for dt in ("float64", "float32")
    } | {(256, "loop over examples", "float64")} | {(256, "numpy, all in place", dt) for dt in ("float64", "float32")}
    for r in rows:
        if r["impl"] == "torch" and r["status"] != "ok":
            assert r["status"] == "not installed"
            continue
        assert r["status"] == "ok"
        assert r["rel_error"] <= (1e-10 if r["dtype"] == "float64" else 1e-5)
        # timings are only checked to exist: comparing them here would make a timed, flaky test
        assert all(r[k] > 0 for k in ("forward_s", "backward_s", "total_s", "backward_over_forward"))
        assert r["per_example_s"] == pytest.approx(r["total_s"] / r["batch"])
    bpteach = [r for r in rows if r["impl"] == "bpteach"]
    assert all(("over_torch" in r) == (data["machine"]["torch"][0].isdigit()) for r in bpteach)
    # the naive path sum: one term per path, the product of the widths of layers 3..n_l
    assert [p["terms"] for p in data["paths"]] == [1, 3, 9, 27]
    assert data["explorer"]["median_ms"] > 0


def test_flops_counts_the_products_of_one_step_by_hand():
    # 2-3-1, one example: forward W1 (3x2) and W2 (1x3): 2*(6+3) = 18;
    # backward dW1, dW2: 18 more; delta^(2) = W2^T delta^(3): 2*3 = 6.
    assert flops([2, 3, 1], 1) == 42
    assert flops([2, 3, 1], 10) == 420


@pytest.mark.parametrize("sizes, m", [([2, 3, 4, 3, 2], 5), ([7, 6, 1], 3)])
def test_floor_does_the_steps_products_and_one_exp_per_unit(sizes, m):
    import bpteach as bp

    net = bp.Network(sizes, "sigmoid", seed=0)
    obj = Bpteach(net, *_data(sizes, m), "float64")
    parts = floor_parts(obj)
    products = parts["products"]()
    # each product (r x k) @ (k x c) is 2 r k c flops; k is m for delta a^T, else a layer size
    ks = [sizes[l] for l in range(len(sizes) - 1)] + [sizes[l] for l in range(len(sizes) - 1, 1, -1)]
    ks += [m] * (len(sizes) - 1)
    assert sum(2 * p.size * k for p, k in zip(products, ks, strict=True)) == flops(sizes, m)
    exps = parts["exp"]()
    assert sum(e.size for e in exps) == sum(sizes[1:]) * m
    np.testing.assert_array_equal(exps[-1], np.exp(obj.state.z[len(sizes)]))


def test_targets_are_judged_at_their_limits():
    def row(network, batch, over_torch, bwd_fwd, rate=None):
        r = {"impl": "bpteach", "status": "ok", "network": network, "batch": batch, "dtype": "float64",
             "over_torch": over_torch, "backward_over_forward": bwd_fwd}  # fmt: skip
        if rate is not None:
            r["of_matmul_rate"] = rate
        return r

    checks = targets([row("five-layer toy", 256, 0.35, 2.0), row("medium", 1, 1.01, 2.9),
                      row("large", 256, 0.99, 2.01, 0.84)])  # fmt: skip
    assert [c["met"] for c in checks] == [True, True, False, True, True, False, False]


def test_interleaved_takes_one_sample_per_function_per_round():
    calls = []
    groups = {g: {n: (lambda g=g, n=n: calls.append((g, n))) for n in "xy"} for g in "ab"}
    samples = interleaved(groups, rounds=4, warmup=1, pause=0.0)
    assert {g: {n: len(v) for n, v in s.items()} for g, s in samples.items()} == {g: {"x": 4, "y": 4} for g in "ab"}
    # rounds alternate which group goes first, so neither always runs in the other's wake
    firsts = [calls[4 + 6 * r][0] for r in range(4)]
    assert firsts == ["a", "b", "a", "b"]
    assert median_ratio([2.0, 4.0, 9.0], [1.0, 2.0, 3.0]) == pytest.approx(2.0)
