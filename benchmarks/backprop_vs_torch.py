"""bpteach's backprop against a per-example loop and PyTorch CPU autograd, and the naive path sum.

Every implementation computes the gradients of the same network (same weights,
same data, sigmoid units, J = 1/2 ||y - h||^2 averaged over the batch) and is
checked against bpteach float64 before anything is timed.
"""

from __future__ import annotations

import os
import time
from statistics import median

import numpy as np

import bpteach as bp
from bpteach import backprop
from bpteach.backprop import Gradients

from .common import interleaved, median_ratio, median_seconds, page_faults

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
    """bpteach as a learner calls it: net.forward, then the deltas and gradients of backprop.py."""

    def __init__(self, net, x, y, dtype):
        self.net = net if dtype == "float64" else _cast(net, dtype)
        self.x, self.y = x.astype(dtype), y.astype(dtype)
        self.state = self.forward()

    def forward(self):
        return self.net.forward(self.x)

    def backward(self):
        """Steps 1-3 on the trace of one earlier forward pass."""
        trace = self.state
        return backprop.gradients(trace, backprop.deltas(self.net, trace, self.y))

    def both(self):
        return self.net.gradients(self.x, self.y)

    def grads(self):
        g = self.both()
        return g.W, g.b


class Loop(Bpteach):
    """One forward and backward pass per example, then the mean: what vectorising replaces."""

    def forward(self):
        return [self.net.forward(self.x[:, c]) for c in range(self.x.shape[1])]

    def backward(self, traces=None):
        traces = self.state if traces is None else traces
        return [backprop.gradients(t, backprop.deltas(self.net, t, self.y[:, c])) for c, t in enumerate(traces)]

    def both(self):
        return self.backward(self.forward())

    def grads(self):
        gs = self.both()
        W = {l: np.mean([g.W[l] for g in gs], axis=0) for l in self.net.W}
        b = {l: np.mean([g.b[l] for g in gs], axis=0) for l in self.net.W}
        return W, b


class InPlace:
    """The same step with every array allocated once and every operation written in place
    (and 1/m folded into delta^{(n_l)}, and no input checks): as fast as numpy code for it
    gets, and unfit to teach from.

    It answers one question: how much does bpteach's readable code leave on the table?
    Batches only (one column per example), sigmoid units as in every benchmark network.
    """

    def __init__(self, net, x, y, dtype):
        net = net if dtype == "float64" else _cast(net, dtype)
        m, s = x.shape[1], (None, *net.sizes)
        self.y = y.astype(dtype)
        self.W, self.b = net.W, {l: net.b[l][:, None] for l in net.W}
        self.a = {1: x.astype(dtype)} | {l: np.empty((s[l], m), dtype) for l in range(2, net.n_l + 1)}
        self.delta = {l: np.empty((s[l], m), dtype) for l in range(2, net.n_l + 1)}
        self.fprime = {l: np.empty((s[l], m), dtype) for l in range(2, net.n_l + 1)}
        self.dW = {l: np.empty_like(net.W[l]) for l in net.W}
        self.db = {l: np.empty(s[l + 1], dtype) for l in net.W}
        self.state = self.forward()

    def forward(self):
        W, b, a = self.W, self.b, self.a
        for l in W:
            t = a[l + 1]
            np.matmul(W[l], a[l], out=t)
            t += b[l]  # z
            np.negative(t, out=t)
            np.minimum(t, 80.0, out=t)
            np.exp(t, out=t)
            t += 1.0
            np.reciprocal(t, out=t)  # a = 1 / (1 + e^{-z})
        return a

    def backward(self):
        W, a, delta, fp = self.W, self.a, self.delta, self.fprime
        n_l, m = max(a), self.y.shape[1]
        for l in range(n_l, 1, -1):
            np.subtract(1.0, a[l], out=fp[l])
            fp[l] *= a[l]  # f'(z) = a (1 - a)
            if l == n_l:
                np.subtract(a[l], self.y, out=delta[l])
                delta[l] *= 1.0 / m  # the mean's 1/m, once, here
            else:
                np.matmul(W[l].T, delta[l + 1], out=delta[l])
            delta[l] *= fp[l]
        for l in W:
            np.matmul(delta[l + 1], a[l].T, out=self.dW[l])
            np.sum(delta[l + 1], axis=1, out=self.db[l])
        return self.dW, self.db

    def both(self):
        self.forward()
        return self.backward()

    def grads(self):
        dW, db = self.both()
        return {l: v.copy() for l, v in dW.items()}, {l: v.copy() for l, v in db.items()}


class Torch:
    """The same network written the usual PyTorch way; autograd does the backward pass."""

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
        self.state = self.forward()

    def forward(self):
        a = self.x
        for W, b in zip(self.W, self.b, strict=True):
            a = self.torch.sigmoid(W @ a + (b[:, None] if self.batch else b))
        return 0.5 * ((self.y - a) ** 2).sum() / self.m

    def backward(self):
        # retain_graph keeps the graph of that one forward pass, so that the backward pass
        # can be timed on its own, again and again, like bpteach's
        return self.torch.autograd.grad(self.state, self.params, retain_graph=True)

    def both(self):
        return self.torch.autograd.grad(self.forward(), self.params)

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


def reference_matmul(dtype: str, n: int = 1024, m: int = 256):
    """numpy's own product the size of the large net's hidden layers: the practical limit here."""
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(n, n)).astype(dtype), rng.normal(size=(n, m)).astype(dtype)
    return (lambda: A @ B), 2 * n * n * m


def floor_parts(obj: Bpteach) -> dict:
    """What any numpy code for this step has to do, and nothing else: the step's matrix
    products, on the same arrays, and one exp per unit (the sigmoid cannot do without it).

    Timed beside bpteach, it bounds the share of the matmul rate that numpy can reach here.
    Each function returns its results, so that a test can count the products' flops.
    """
    net, trace = obj.net, obj.state
    W, a, z, n_l = net.W, trace.a, trace.z, net.n_l
    delta = backprop.deltas(net, trace, obj.y)
    out = {l: np.empty_like(z[l]) for l in z}

    def products():
        forward = [W[l] @ a[l] for l in W]  # W a
        step2 = [W[l].T @ delta[l + 1] for l in range(n_l - 1, 1, -1)]  # W^T delta
        step3 = [delta[l + 1] @ a[l].T for l in W]  # delta a^T
        return forward + step2 + step3

    def exps():
        return [np.exp(z[l], out=out[l]) for l in z]

    return {"products": products, "exp": exps}


def _share(times, ref_times, step_flops, ref_flops):
    """The rate of a step as a share of the reference product's rate, both timed in the same rounds."""
    return median_ratio(ref_times, times) * step_flops / ref_flops


def have_torch() -> bool:
    try:
        import torch

        torch.set_num_threads(max(1, os.cpu_count() or 1))
        return True
    except ImportError:
        return False


def run_networks(quick: bool = False) -> tuple[list[dict], dict]:
    """Every implementation on every network, interleaved round by round (see common.interleaved).

    Returns the rows and, from the large net's rounds, for each dtype: numpy's matmul rate
    (GFLOP/s) and the floor of the step (see floor_parts) as a share of that rate.
    """
    rows, reference = [], {}
    torch_ok = have_torch()
    for name, sizes, m in NETWORKS[:2] if quick else NETWORKS:
        net = bp.Network(sizes, "sigmoid", seed=0)
        x, y = _data(sizes, m)
        ref = Bpteach(net, x, y, "float64").grads()
        kinds = [("bpteach", "float64", Bpteach), ("bpteach", "float32", Bpteach)]
        if m > 1:
            kinds += [("numpy, all in place", "float64", InPlace), ("numpy, all in place", "float32", InPlace)]
        if m > 1 and sizes[1] < 1024:  # the loop on the large net would take minutes
            kinds.append(("loop over examples", "float64", Loop))
        kinds += [("torch", "float64", Torch), ("torch", "float32", Torch)]
        large = sizes[1] >= 1024
        groups, impls, objs = {}, {}, {}
        for impl, dtype, cls in kinds:
            row = {"network": name, "sizes": sizes, "batch": m, "impl": impl, "dtype": dtype}
            rows.append(row)
            if cls is Torch and not torch_ok:
                row["status"] = "not installed"
                continue
            obj = cls(net, x, y, dtype)
            err = _rel(obj.grads(), ref)
            tol = 1e-10 if dtype == "float64" else 1e-5
            if not err <= tol:
                raise AssertionError(f"{impl} {dtype} on {name} (batch {m}): gradients differ by {err:.1e} > {tol}")
            row.update(status="ok", rel_error=err, page_faults_per_step=page_faults(obj.both))
            impls[impl, dtype], objs[impl, dtype] = row, obj
            groups[impl, dtype] = {part: getattr(obj, part) for part in ("forward", "backward", "both")}
        if large:
            for dtype in ("float64", "float32"):
                matmul, matmul_flops = reference_matmul(dtype)
                groups["numpy matmul", dtype] = {"matmul": matmul}
                groups["numpy floor", dtype] = floor_parts(objs["bpteach", dtype])
        samples = interleaved(
            groups, rounds=3 if quick else (15 if large else 21),
            min_time=0.0 if large else 0.02, pause=0.02 if quick else 0.15,
        )  # fmt: skip
        for (impl, dtype), row in impls.items():
            fwd, bwd, both = (samples[impl, dtype][part] for part in ("forward", "backward", "both"))
            row.update(
                forward_s=median(fwd), backward_s=median(bwd), total_s=median(both),
                backward_over_forward=median_ratio(bwd, fwd), per_example_s=median(both) / m,
                gflops=flops(sizes, m) / median(both) / 1e9,
            )  # fmt: skip
            if impl in ("bpteach", "numpy, all in place") and ("torch", dtype) in samples:
                row["over_torch"] = median_ratio(both, samples["torch", dtype]["both"])
            if ("numpy matmul", dtype) in samples:
                ref_t = samples["numpy matmul", dtype]["matmul"]
                row["of_matmul_rate"] = _share(both, ref_t, flops(sizes, m), matmul_flops)
        for dtype in ("float64", "float32"):
            if ("numpy matmul", dtype) in samples:
                ref_t = samples["numpy matmul", dtype]["matmul"]
                prod, exp = samples["numpy floor", dtype]["products"], samples["numpy floor", dtype]["exp"]
                floor = [p + e for p, e in zip(prod, exp, strict=True)]  # both in the same round
                reference[dtype] = {"matmul_gflops": matmul_flops / median(ref_t) / 1e9,
                                    "products_s": median(prod), "exp_s": median(exp),
                                    "products_share": _share(prod, ref_t, flops(sizes, m), matmul_flops),
                                    "floor_share": _share(floor, ref_t, flops(sizes, m), matmul_flops)}  # fmt: skip
    return rows, reference


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
