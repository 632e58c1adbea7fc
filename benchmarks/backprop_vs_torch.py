"""bpteach's backprop against a per-example loop and PyTorch CPU autograd, and the naive path sum.

Every implementation computes the gradients of the same network (same weights, same data, sigmoid
units, J = 1/2 ||y - h||^2 averaged over the batch) and is checked against bpteach float64 before
anything is timed. What is timed is one forward and one backward pass, as a training step needs.
"""

import os
import platform
import time
from statistics import median

import numpy as np

import bpteach as bp
from bpteach import loops

NETWORKS = [("five-layer 2-3-4-3-2", [2, 3, 4, 3, 2]), ("784-128-64-32-10", [784, 128, 64, 32, 10])]


def sample(f, min_time: float = 0.0) -> float:
    """Seconds per call of f(), calling it until min_time has passed (so tiny calls are not all timer noise)."""
    n, start = 1, time.perf_counter()
    f()
    while (elapsed := time.perf_counter() - start) < min_time:
        f()
        n += 1
    return elapsed / n


def interleaved(fns: dict, rounds: int, min_time: float = 0.0, warmup: int = 3) -> dict:
    """Samples of every function in `fns`, one per function per round, the starting one rotating:
    a slow minute on a shared machine slows every function alike, so a ratio within a round stays fair."""
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
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__}


def torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", 0)) or os.cpu_count() or 1)
    return f"{torch.__version__}, {torch.get_num_threads()} threads"


def bpteach_step(net, x, y):
    """bpteach as a learner calls it: net.gradients, one forward pass and steps 1-3."""
    return lambda: net.gradients(x, y)


def loop_step(net, x, y):
    """One forward and backward pass per example, then the mean: what vectorising replaces."""

    def step():
        gs = [net.gradients(x[:, c], y[:, c]) for c in range(x.shape[1])]
        W = {l: np.mean([g.W[l] for g in gs], axis=0) for l in net.W}
        return bp.Gradients(W, {l: np.mean([g.b[l] for g in gs], axis=0) for l in net.W})

    return step


def torch_step(net, x, y):
    """The same network written the usual PyTorch way; autograd does the backward pass."""
    import torch

    W = [torch.tensor(net.W[l], requires_grad=True) for l in net.W]
    b = [torch.tensor(net.b[l], requires_grad=True) for l in net.W]
    x, y, m = torch.tensor(x), torch.tensor(y), x.shape[1] if x.ndim == 2 else 1

    def step():
        a = x
        for W_l, b_l in zip(W, b, strict=True):
            a = torch.sigmoid(W_l @ a + (b_l[:, None] if x.ndim == 2 else b_l))
        g = [t.numpy() for t in torch.autograd.grad(0.5 * ((y - a) ** 2).sum() / m, W + b)]
        return bp.Gradients(dict(enumerate(g[: len(W)], start=1)), dict(enumerate(g[len(W) :], start=1)))

    return step


IMPLS = {"bpteach": bpteach_step, "torch": torch_step, "loop over examples": loop_step}


def run_networks(quick: bool = False) -> list[dict]:
    """Each implementation on each network, one example and a batch of 256, sampled round by round."""
    rows, torch_ok = [], torch_version() is not None
    for name, sizes in NETWORKS[:1] if quick else NETWORKS:
        base = bp.Network(sizes, seed=0)
        for m in (1, 256):
            rng = np.random.default_rng(0)
            x = rng.normal(size=(sizes[0], m) if m > 1 else sizes[0])
            y = rng.uniform(size=(sizes[-1], m) if m > 1 else sizes[-1])
            ref, here, steps = base.gradients(x, y), [], {}
            for impl, dtype in [(i, d) for i in IMPLS for d in ("float64", "float32")]:
                if impl == "loop over examples" and (m == 1 or dtype == "float32"):
                    continue  # the loop is only worth timing against a batch
                here.append(row := {"network": name, "batch": m, "impl": impl, "dtype": dtype, "status": "ok"})
                if impl == "torch" and not torch_ok:
                    row["status"] = "not installed"
                    continue
                net = bp.Network.from_params(base.W, base.b, dtype=dtype)
                steps[impl, dtype] = step = IMPLS[impl](net, x.astype(dtype), y.astype(dtype))
                row["rel_error"] = err = bp.relative_error(step(), ref)
                if not err <= (1e-10 if dtype == "float64" else 1e-5):
                    raise AssertionError(f"{impl} {dtype} on {name} (batch {m}): gradients differ by {err:.1e}")
            samples = interleaved(steps, rounds=3 if quick else 21, min_time=0.02)
            for row in (r for r in here if r["status"] == "ok"):
                row["step_s"] = median(own := samples[row["impl"], row["dtype"]])
                if ("torch", row["dtype"]) in samples and row["impl"] != "torch":
                    row["over_torch"] = median_ratio(own, samples["torch", row["dtype"]])
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
            row["delta_multiplications"] = loops.multiplications(sizes)
            rows.append(row)
    return rows
