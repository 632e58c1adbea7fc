"""The seven exercises: hidden inputs, the reference answer, and the hints for known mistakes.

Inputs come from a secret seed, with non-square layers and batches so that a
transpose shows. Each exercise gets its upstream inputs from the reference (e.g.
step 2 receives the true delta of the next layer), so one bug never cascades.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import backprop
from ..activations import sigmoid
from ..network import Network


def _sig(z):
    return sigmoid.f(z)


def _dsig(z):
    return sigmoid.df(z)


@dataclass
class Case:
    inputs: dict  # name -> ndarray, float, or dict[int, ndarray]
    expected: object  # ndarray, tuple of them, or dicts of them
    mistakes: dict = field(default_factory=dict)  # hint -> what that mistake would have returned
    judge: str = "allclose"  # or "loss" for the training exercise


@dataclass
class Exercise:
    grade_id: str
    function: str
    title: str
    points: int
    make_cases: Callable[[np.random.Generator], list[Case]]
    rtol: float = 1e-7
    prepare: str = ""  # kernel-side code run before the call (e.g. to build a callable from arrays)


def _net(rng, sizes):
    net = Network(sizes, "sigmoid", seed=int(rng.integers(2**31)))
    return net, {l: net.W[l].copy() for l in net.W}, {l: net.b[l].copy() for l in net.b}


def _ex1(rng):
    cases = []
    for shape in ((3,), (2, 5)):
        y, h, z = rng.uniform(size=shape), rng.uniform(0.05, 0.95, size=shape), rng.normal(size=shape)
        good = backprop.output_delta(y, h, _dsig(z))
        cases.append(Case({"y": y, "h": h, "z": z}, good, {
            "sign flipped: delta is -(y - h) f'(z), with the minus": -good,
            "f(z) where f'(z) is needed": -(y - h) * _sig(z),
            "f'(h) (that is f'(a)) where f'(z) is needed": -(y - h) * _dsig(h),
        }))  # fmt: skip
    return cases


def _ex2(rng):
    cases = []
    for m in (None, 4):
        W = rng.normal(size=(5, 3))
        d = rng.normal(size=(5,) if m is None else (5, m))
        z = rng.normal(size=(3,) if m is None else (3, m))
        good = backprop.hidden_delta(W, d, _dsig(z))
        cases.append(Case({"W": W, "delta_next": d, "z": z}, good, {
            "sign flipped": -good,
            "f(z) where f'(z) is needed": (W.T @ d) * _sig(z),
            "f'(z) is missing": W.T @ d,
        }))  # fmt: skip
    return cases


def _ex3(rng):
    cases = []
    for s_next, s in ((4, 3), (2, 5)):
        d, a = rng.normal(size=s_next), rng.uniform(size=s)
        dW, db = backprop.weight_gradient(d, a), backprop.bias_gradient(d)
        cases.append(Case({"delta_next": d, "a": a}, (dW, db), {
            "looks like a delta^T instead of delta a^T (the transpose)": (dW.T, db),
            "sign flipped": (-dW, -db),
        }))  # fmt: skip
    return cases


def _ex4(rng):
    cases = []
    for sizes in ([3, 4, 2], [2, 5, 3, 2]):
        net, W, b = _net(rng, sizes)
        x = rng.normal(size=sizes[0])
        t = net.forward(x)
        z, a = dict(t.z), dict(t.a)
        no_bias = {}
        a_nb = {1: x}
        for l in W:
            no_bias[l + 1] = W[l] @ a_nb[l]
            a_nb[l + 1] = _sig(no_bias[l + 1])
        cases.append(Case({"W": W, "b": b, "x": x}, (z, a), {"the bias b is not added": (no_bias, a_nb)}))
    return cases


def _ex5(rng):
    cases = []
    for n in (3, 6):
        c, A, theta = rng.normal(size=n), rng.normal(size=(n, n)), rng.normal(size=n)
        true = c * np.cos(theta) + (A + A.T) @ theta
        eps = 1e-5

        def f(t, c=c, A=A):
            return float(np.sum(c * np.sin(t)) + t @ A @ t)

        one_sided = np.array([(f(theta + eps * e) - f(theta)) / eps for e in np.eye(n)])
        cases.append(Case({"c": c, "A": A, "theta": theta}, true, {
            "one-sided difference: use (f(theta+eps) - f(theta-eps)) / (2 eps)": one_sided,
        }))  # fmt: skip
    return cases


def _ex6(rng):
    cases = []
    for sizes, m in (([3, 5, 2], 7), ([4, 3, 6, 2], 5)):
        net, W, b = _net(rng, sizes)
        X, Y = rng.normal(size=(sizes[0], m)), rng.uniform(size=(sizes[-1], m))
        g = net.gradients(X, Y)
        dW, db = dict(g.W), dict(g.b)
        cases.append(Case({"W": W, "b": b, "X": X, "Y": Y}, (dW, db), {
            "the sum over the batch, not the mean: divide by m": ({l: m * v for l, v in dW.items()},
                                                                   {l: m * v for l, v in db.items()}),
            "sign flipped": ({l: -v for l, v in dW.items()}, {l: -v for l, v in db.items()}),
        }))  # fmt: skip
    return cases


_EX7_PREPARE = """
    def _grad(W, b, X, Y):  # the reference gradient, so that exercise 6 cannot cascade into 7
        m, n = X.shape[1], max(W) + 1
        z, a = {}, {1: X}
        for l in sorted(W):
            z[l + 1] = W[l] @ a[l] + b[l][:, None]
            a[l + 1] = 1.0 / (1.0 + _np.exp(-z[l + 1]))
        d = {n: -(Y - a[n]) * a[n] * (1 - a[n])}
        for l in range(n - 1, 1, -1):
            d[l] = (W[l].T @ d[l + 1]) * a[l] * (1 - a[l])
        return {l: d[l + 1] @ a[l].T / m for l in W}, {l: d[l + 1].mean(axis=1) for l in W}
    _args["gradient_fn"] = _grad
"""

_EX5_PREPARE = """
    _c, _A = _args.pop("c"), _args.pop("A")
    _args["f"] = lambda t: float(_np.sum(_c * _np.sin(t)) + t @ _A @ t)
"""

TRAIN_TARGET = 0.01  # mean J on the hidden data set that train() must reach


def _ex7(rng):
    from ..data import xor

    X, Y = xor(120, noise=0.1, seed=int(rng.integers(2**31)))
    return [Case({"X": X, "Y": Y, "seed": int(rng.integers(1000))}, TRAIN_TARGET, judge="loss")]


EXERCISES = [
    Exercise("ex1-output-delta", "output_delta", "Step 1: the output delta", 2, _ex1),
    Exercise("ex2-hidden-delta", "hidden_delta", "Step 2: the backward recursion", 2, _ex2),
    Exercise("ex3-gradients", "gradients", "Step 3: weight and bias gradients", 2, _ex3),
    Exercise("ex4-forward", "forward", "The forward pass, keeping z and a", 2, _ex4),
    Exercise(
        "ex5-central-difference",
        "central_difference",
        "A central-difference gradient check",
        2,
        _ex5,
        rtol=1e-6,
        prepare=_EX5_PREPARE,
    ),  # fmt: skip
    Exercise("ex6-batch-gradients", "batch_gradients", "Vectorised, batched gradients", 2, _ex6),
    Exercise("ex7-train", "train", "Training until the loss is small", 2, _ex7, prepare=_EX7_PREPARE),
]
BY_ID = {e.grade_id: e for e in EXERCISES}


def training_loss(W: dict, b: dict, X, Y) -> float:
    """Mean J of a sigmoid network with these parameters, computed by bpteach (ex7's judge)."""
    sizes = [W[1].shape[1]] + [W[l].shape[0] for l in sorted(W)]
    net = Network(sizes, "sigmoid")
    for l in sorted(W):
        net.W[l], net.b[l] = W[l], b[l]
    return net.cost(X, Y)
