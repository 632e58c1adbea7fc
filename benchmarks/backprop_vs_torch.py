"""bpteach's backprop against a per-example loop and PyTorch CPU autograd, and the naive path sum.

Every implementation computes the gradients of the same network (same weights, same data,
sigmoid units, J = 1/2 ||y - h||^2 averaged over the batch) and is checked against bpteach
float64 before anything is timed.
"""

from __future__ import annotations

import contextlib
import os
import platform
import time
from collections.abc import Callable
from statistics import median

import numpy as np

import bpteach as bp
from bpteach import backprop


def sample(f: Callable[[], object], min_time: float = 0.0) -> float:
    """Seconds per call of f(), calling it until min_time has passed (so tiny calls are not all timer noise)."""
    n, start = 1, time.perf_counter()
    f()
    while (elapsed := time.perf_counter() - start) < min_time:
        f()
        n += 1
    return elapsed / n


def interleaved(fns: dict, rounds: int, min_time: float = 0.0, warmup: int = 3) -> dict:
    """Samples of every function in `fns`, one per function per round, the starting one rotating.

    A slow minute on a shared machine then slows every function alike, so a ratio of two
    samples taken in the same round stays fair.
    """
    keys, samples = list(fns), {k: [] for k in fns}
    for f in fns.values():
        for _ in range(warmup):
            f()
    for r in range(rounds):
        for k in keys[r % len(keys) :] + keys[: r % len(keys)]:
            samples[k].append(sample(fns[k], min_time))
    return samples


def median_ratio(a: list[float], b: list[float]) -> float:
    """Median over rounds of a/b, each pair taken in the same round."""
    return median(x / y for x, y in zip(a, b, strict=True))


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__}


NETWORKS = [
    ("five-layer 2-3-4-3-2", [2, 3, 4, 3, 2], 1),
    ("five-layer 2-3-4-3-2", [2, 3, 4, 3, 2], 256),
    ("784-128-64-32-10", [784, 128, 64, 32, 10], 1),
    ("784-128-64-32-10", [784, 128, 64, 32, 10], 256),
    ("784-1024-1024-1024-10", [784, 1024, 1024, 1024, 10], 256),
]


class Bpteach:
    """bpteach as a learner calls it: net.forward, then net.deltas and backprop.gradients."""

    def __init__(self, net, x, y, dtype):
        self.net = bp.Network.from_params(net.W, net.b, "sigmoid", dtype)
        self.x, self.y = x.astype(dtype), y.astype(dtype)
        self.trace = self.forward()

    def forward(self):
        return self.net.forward(self.x)

    def backward(self):
        """Steps 1-3 on the trace of one earlier forward pass."""
        return backprop.gradients(self.trace.a, self.net.deltas(self.x, self.y, self.trace))

    def both(self):
        g = self.net.gradients(self.x, self.y)
        return g.W, g.b


class Loop(Bpteach):
    """One forward and backward pass per example, then the mean: what vectorising replaces."""

    def forward(self):
        return [self.net.forward(self.x[:, c]) for c in range(self.x.shape[1])]

    def backward(self):
        return [backprop.gradients(t.a, self.net.deltas(None, self.y[:, c], t)) for c, t in enumerate(self.trace)]

    def both(self):
        gs = [self.net.gradients(self.x[:, c], self.y[:, c]) for c in range(self.x.shape[1])]
        return (
            {l: np.mean([g.W[l] for g in gs], axis=0) for l in self.net.W},
            {l: np.mean([g.b[l] for g in gs], axis=0) for l in self.net.W},
        )


class Torch:
    """The same network written the usual PyTorch way; autograd does the backward pass."""

    def __init__(self, net, x, y, dtype):
        import torch

        self.torch, dt = torch, getattr(torch, dtype)
        self.W = [torch.tensor(net.W[l], dtype=dt, requires_grad=True) for l in net.W]
        self.b = [torch.tensor(net.b[l], dtype=dt, requires_grad=True) for l in net.W]
        self.x, self.y, self.m = torch.tensor(x, dtype=dt), torch.tensor(y, dtype=dt), x.shape[1] if x.ndim == 2 else 1
        self.trace = self.forward()

    def forward(self):
        a = self.x
        for W, b in zip(self.W, self.b, strict=True):
            a = self.torch.sigmoid(W @ a + (b[:, None] if self.x.ndim == 2 else b))
        return 0.5 * ((self.y - a) ** 2).sum() / self.m

    def backward(self):  # retain_graph: the backward pass of one forward pass, timed again and again
        return self.torch.autograd.grad(self.trace, self.W + self.b, retain_graph=True)

    def both(self):
        g = [t.detach().numpy() for t in self.torch.autograd.grad(self.forward(), self.W + self.b)]
        n = len(self.W)
        return dict(enumerate(g[:n], start=1)), dict(enumerate(g[n:], start=1))


def torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", 0)) or os.cpu_count() or 1)
    return f"{torch.__version__}, {torch.get_num_threads()} threads"


def run_networks(quick: bool = False, impls=None) -> list[dict]:
    """Every implementation on every network, sampled round by round (see interleaved)."""
    impls = impls or {"bpteach": Bpteach, "torch": Torch, "loop over examples": Loop}
    rows, torch_ok = [], torch_version() is not None
    for name, sizes, m in NETWORKS[:2] if quick else NETWORKS:
        net = bp.Network(sizes, "sigmoid", seed=0)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(sizes[0], m) if m > 1 else sizes[0])
        y = rng.uniform(size=(sizes[-1], m) if m > 1 else sizes[-1])
        ref = bp.Gradients(*Bpteach(net, x, y, "float64").both())
        here, fns = [], {}
        for impl, cls in impls.items():
            for dtype in ("float64",) if cls is Loop else ("float64", "float32"):
                if cls is Loop and (m == 1 or sizes[1] >= 1024):
                    continue  # only worth timing against a batch; on the large net it takes minutes
                here.append(row := {"network": name, "batch": m, "impl": impl, "dtype": dtype, "status": "ok"})
                if cls is Torch and not torch_ok:
                    row["status"] = "not installed"
                    continue
                obj = cls(net, x, y, dtype)
                row["rel_error"] = err = bp.relative_error(bp.Gradients(*obj.both()), ref)
                if not err <= (1e-10 if dtype == "float64" else 1e-5):
                    raise AssertionError(f"{impl} {dtype} on {name} (batch {m}): gradients differ by {err:.1e}")
                fns |= {(impl, dtype, part): getattr(obj, part) for part in ("forward", "backward", "both")}
        large = sizes[1] >= 1024
        samples = interleaved(fns, rounds=3 if quick else (9 if large else 21), min_time=0.0 if large else 0.02)
        for row in (r for r in here if r["status"] == "ok"):
            fwd, bwd, both = (samples[row["impl"], row["dtype"], part] for part in ("forward", "backward", "both"))
            row.update(
                forward_s=median(fwd),
                backward_s=median(bwd),
                total_s=median(both),
                backward_over_forward=median_ratio(bwd, fwd),
            )
            if ("torch", row["dtype"], "both") in samples and row["impl"] != "torch":
                row["over_torch"] = median_ratio(both, samples["torch", row["dtype"], "both"])
        rows += here
    return rows


def run_paths(max_seconds: float = 1.0, quick: bool = False) -> list[dict]:
    """Naive path sum for one weight of W^(1) against the delta method, as depth and width grow."""
    rows = []
    for width in (3,) if quick else (3, 4, 5, 6):
        naive_s = 0.0
        for depth in range(2, 6 if quick else 11):
            sizes = [width] * depth
            net, x, y = bp.Network(sizes, seed=1), np.full(width, 0.3), np.full(width, 0.5)
            row = {"width": width, "depth": depth, "terms": int(np.prod(sizes[2:])), "naive_s": None}
            if naive_s <= max_seconds:  # past the line, it only grows: not run
                start = time.perf_counter()
                ps = bp.path_sum(net, x, y, 1, 0, 0)
                row["naive_s"] = naive_s = time.perf_counter() - start
                assert ps.n_terms == row["terms"]
                assert np.isclose(ps.value, net.gradients(x, y).W[1][0, 0], rtol=1e-8, atol=1e-15)
            row["delta_s"] = median(sample(lambda net=net, x=x, y=y: net.gradients(x, y), 0.005) for _ in range(15))
            row["delta_multiplications"] = backprop.multiplications(sizes)
            rows.append(row)
    return rows
