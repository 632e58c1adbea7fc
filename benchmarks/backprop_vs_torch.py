"""bpteach's backprop against a per-example loop and PyTorch CPU autograd, and the naive path sum.

Every implementation computes the gradients of the same network (same weights,
same data, sigmoid units, J = 1/2 ||y - h||^2 averaged over the batch) and is
checked against bpteach float64 before anything is timed.
"""

from __future__ import annotations

import time

import numpy as np

import bpteach as bp
from bpteach import backprop
from bpteach.backprop import Gradients

from .common import median_seconds

NETWORKS = [
    ("five-layer toy", [2, 3, 4, 3, 2], 1),
    ("five-layer toy", [2, 3, 4, 3, 2], 256),
    ("medium", [784, 128, 64, 32, 10], 1),
    ("medium", [784, 128, 64, 32, 10], 256),
    ("large", [784, 1024, 1024, 1024, 10], 256),
]


def _data(sizes, m, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(sizes[0],) if m == 1 else (sizes[0], m))
    y = rng.uniform(size=(sizes[-1],) if m == 1 else (sizes[-1], m))
    return x, y


class Bpteach:
    def __init__(self, net, x, y, dtype):
        self.net = net if dtype == "float64" else _cast(net, dtype)
        self.x, self.y = x.astype(dtype), y.astype(dtype)

    def forward(self):
        return self.net.forward(self.x)

    def backward(self, trace):
        y = self.y
        return backprop.gradients(trace, backprop.deltas(self.net, trace, y))

    def both(self):
        return self.net.gradients(self.x, self.y)

    def grads(self):
        g = self.both()
        return g.W, g.b


class Loop(Bpteach):
    """One net.gradients call per example, then the mean: what vectorising replaces."""

    def forward(self):
        return [self.net.forward(self.x[:, c]) for c in range(self.x.shape[1])]

    def backward(self, traces):
        return [backprop.gradients(t, backprop.deltas(self.net, t, self.y[:, c])) for c, t in enumerate(traces)]

    def both(self):
        return self.backward(self.forward())

    def grads(self):
        gs = self.both()
        W = {l: np.mean([g.W[l] for g in gs], axis=0) for l in self.net.W}
        b = {l: np.mean([g.b[l] for g in gs], axis=0) for l in self.net.W}
        return W, b


class Torch:
    def __init__(self, net, x, y, dtype):
        import torch

        self.torch = torch
        dt = getattr(torch, dtype)
        self.W = [torch.tensor(net.W[l], dtype=dt, requires_grad=True) for l in net.W]
        self.b = [torch.tensor(net.b[l], dtype=dt, requires_grad=True) for l in net.W]
        self.batch = x.ndim == 2
        self.x = torch.tensor(x, dtype=dt)
        self.y = torch.tensor(y, dtype=dt)
        self.m = x.shape[1] if self.batch else 1
        self.params = self.W + self.b

    def forward(self):
        a = self.x
        for W, b in zip(self.W, self.b, strict=True):
            a = self.torch.sigmoid(W @ a + (b[:, None] if self.batch else b))
        return 0.5 * ((self.y - a) ** 2).sum() / self.m

    def backward(self, J):
        return self.torch.autograd.grad(J, self.params)

    def both(self):
        return self.backward(self.forward())

    def grads(self):
        g = [t.detach().numpy().astype(np.float64) for t in self.both()]
        n = len(self.W)
        return dict(enumerate(g[:n], start=1)), dict(enumerate(g[n:], start=1))


def _cast(net, dtype):
    new = bp.Network(net.sizes, "sigmoid", dtype=dtype)
    for l in net.W:
        new.W[l] = net.W[l]
        new.b[l] = net.b[l]
    return new


def _rel(a, b):
    return bp.relative_error(Gradients(*a), Gradients(*b))


def flops(sizes, m):
    """Floating-point operations of the matrix products in one forward + backward pass."""
    pairs = [sizes[l + 1] * sizes[l] for l in range(len(sizes) - 1)]
    forward = 2 * m * sum(pairs)
    backward = 2 * m * sum(pairs) + 2 * m * sum(pairs[1:])  # dW for every layer, delta for layers >= 2
    return forward + backward


def matmul_gflops(n=1024, m=256, repeat=15) -> float:
    """numpy's own rate on a product the size of the large net's: the practical limit here."""
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(n, n)), rng.normal(size=(n, m))
    return 2 * n * n * m / median_seconds(lambda: A @ B, repeat=repeat, warmup=3) / 1e9


def have_torch() -> bool:
    try:
        import torch

        torch.set_num_threads(max(1, __import__("os").cpu_count() or 1))
        return True
    except ImportError:
        return False


def run_networks(quick: bool = False) -> list[dict]:
    rows = []
    torch_ok = have_torch()
    for name, sizes, m in NETWORKS[:2] if quick else NETWORKS:
        net = bp.Network(sizes, "sigmoid", seed=0)
        x, y = _data(sizes, m)
        ref = Bpteach(net, x, y, "float64").grads()
        impls = [("bpteach", "float64", Bpteach), ("bpteach", "float32", Bpteach)]
        if m > 1 and sizes[1] < 1024:  # the loop on the large net would take minutes
            impls.append(("loop over examples", "float64", Loop))
        impls += [("torch", "float64", Torch), ("torch", "float32", Torch)]
        big = sizes[1] >= 1024 or (m > 1 and sizes[0] > 100)
        repeat = 5 if quick else (9 if big else 41)
        min_time = 0.0 if big else 0.02
        for impl, dtype, cls in impls:
            row = {"network": name, "sizes": sizes, "batch": m, "impl": impl, "dtype": dtype}
            if cls is Torch and not torch_ok:
                row["status"] = "not installed"
                rows.append(row)
                continue
            obj = cls(net, x, y, dtype)
            err = _rel(obj.grads(), ref)
            tol = 1e-10 if dtype == "float64" else 1e-5
            if not err <= tol:
                raise AssertionError(f"{impl} {dtype} on {name} (batch {m}): gradients differ by {err:.1e} > {tol}")
            t_fwd = median_seconds(obj.forward, repeat=repeat, min_time=min_time)
            # backward alone cannot be repeated on one graph (autograd frees it), so time
            # forward + backward together and subtract the forward time measured just above
            t_both = median_seconds(obj.both, repeat=repeat, min_time=min_time)
            t_bwd = max(t_both - t_fwd, 0.0)
            row.update(
                status="ok", rel_error=err, forward_s=t_fwd, backward_s=t_bwd, total_s=t_both,
                backward_over_forward=t_bwd / t_fwd, per_example_s=t_both / m,
                gflops=flops(sizes, m) / t_both / 1e9,
            )  # fmt: skip
            rows.append(row)
    return rows


def run_paths(max_seconds: float = 1.0, quick: bool = False) -> list[dict]:
    """Naive path sum for one weight of W^(1) against the delta method, as depth and width grow."""
    rows = []
    for width in (3,) if quick else (3, 4, 5, 6):
        passed = False
        for depth in range(2, 6 if quick else 11):
            sizes = [width] * depth
            net = bp.Network(sizes, seed=1)
            x, y = np.full(width, 0.3), np.full(width, 0.5)
            row = {"width": width, "depth": depth, "terms": int(np.prod(sizes[2:]))}
            if passed:
                row["naive_s"] = None  # past the 1 s line already: not run, it only grows
            else:
                start = time.perf_counter()
                ps = bp.path_sum(net, x, y, 1, 0, 0)
                row["naive_s"] = time.perf_counter() - start
                assert ps.n_terms == row["terms"]
                assert np.isclose(ps.value, net.gradients(x, y).W[1][0, 0], rtol=1e-8, atol=1e-15)
                passed = row["naive_s"] > max_seconds
            row["delta_s"] = median_seconds(lambda net=net, x=x, y=y: net.gradients(x, y), repeat=15, min_time=0.005)
            row["delta_multiplications"] = backprop.multiplications(sizes)
            rows.append(row)
    return rows
