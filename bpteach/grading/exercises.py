"""The seven exercises: hidden inputs, the reference answer, and the hints for known mistakes.

The reference answer of steps 1-3 *is* the package's function (bpteach.backprop),
under the same name and signature the learner writes. Inputs come from the secret
seed and a hash of the submission (`case_rng`), with non-square layers and batches
so that a transpose shows. Each exercise gets its upstream inputs from the reference
(e.g. step 2 receives the true delta of the next layer), so one bug never cascades.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import backprop
from ..activations import sigmoid
from ..data import circles, xor
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
    judge: str = "allclose"  # "central_difference" (ex5) or "descent" (ex7) for the judged-by-process ones


@dataclass
class Exercise:
    grade_id: str
    function: str  # what the kernel calls: the learner's function, or a local that `prepare` builds
    title: str
    points: int
    make_cases: Callable[[np.random.Generator], list[Case]]
    rtol: float = 1e-7
    prepare: str = ""  # trusted kernel-side code run right before the call, where `_args` is in scope
    defines: tuple[str, ...] = ()  # the functions the solution cell defines (default: `function`)
    private: tuple[str, ...] = ()  # inputs `prepare` consumes: never handed to the learner's function
    items: tuple[str, ...] = ()  # names of the returned tuple's items, for the report

    @property
    def names(self) -> tuple[str, ...]:
        return self.defines or (self.function,)


def case_rng(seed: int, submission: bytes, index: int) -> np.random.Generator:
    """The generator of one exercise's hidden inputs: the secret seed, the submission's hash, the index.

    No two different submissions share their hidden inputs, and a given submission
    graded with a given seed always gets the same ones.
    """
    digest = hashlib.sha256(submission).digest()
    words = [int.from_bytes(digest[k : k + 4], "little") for k in range(0, 32, 4)]
    return np.random.default_rng([int(seed) % 2**63, *words, index])


def _net(rng, sizes):
    net = Network(sizes, "sigmoid", seed=int(rng.integers(2**31)))
    return net, {l: net.W[l].copy() for l in net.W}, {l: net.b[l].copy() for l in net.b}


def _ex1(rng):
    cases = []
    for shape in ((3,), (2, 5)):
        y, h = rng.uniform(size=shape), rng.uniform(0.05, 0.95, size=shape)
        fprime_z = rng.uniform(0.01, 0.25, size=shape)  # a sigmoid's slope lies in (0, 1/4]
        good = backprop.output_delta(y, h, fprime_z)
        cases.append(Case({"y": y, "h": h, "fprime_z": fprime_z}, good, {
            "sign flipped: delta is -(y - h) f'(z), with the minus": -good,
            "f' applied to fprime_z, which already is f'(z): multiply by it": -(y - h) * _dsig(fprime_z),
            "f'(z) recomputed from h as h (1 - h); use the fprime_z you are given": -(y - h) * h * (1 - h),
        }))  # fmt: skip
    return cases


def _ex2(rng):
    cases = []
    for m in (None, 4):
        W = rng.normal(size=(5, 3))
        d = rng.normal(size=(5,) if m is None else (5, m))
        fp = rng.uniform(0.01, 0.25, size=(3,) if m is None else (3, m))
        good = backprop.hidden_delta(W, d, fp)
        cases.append(Case({"W_l": W, "delta_next": d, "fprime_z": fp}, good, {
            "sign flipped": -good,
            "f' applied to fprime_z, which already is f'(z): multiply by it": (W.T @ d) * _dsig(fp),
            "the factor f'(z) is missing": W.T @ d,
        }))  # fmt: skip
    return cases


_EX3_PREPARE = """
    def _step3(delta_next, a_l):  # step 3 is two functions: call both on the same inputs
        return weight_gradient(delta_next, a_l), bias_gradient(delta_next)
"""


def _ex3(rng):
    cases = []
    for s_next, s, m in ((4, 3, None), (2, 5, 6)):
        d = rng.normal(size=(s_next,) if m is None else (s_next, m))
        a = rng.uniform(size=(s,) if m is None else (s, m))
        dW, db = backprop.weight_gradient(d, a), backprop.bias_gradient(d)
        mistakes = {
            "looks like a delta^T instead of delta a^T (the transpose)": (dW.T, db),
            "sign flipped": (-dW, -db),
        }
        if m is not None:
            mistakes["the sum over the batch, not the mean: divide by m"] = (m * dW, m * db)
        cases.append(Case({"delta_next": d, "a_l": a}, (dW, db), mistakes))
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


def _ex5_f(c, A):
    """The hidden f of exercise 5; _Hidden in the kernel evaluates the same expression."""
    return lambda t: float(np.sum(c * np.sin(3.0 * t)) + t @ A @ t)


def _central(f, theta, eps):
    grad = np.zeros(theta.shape)
    for k in range(theta.size):
        step = np.zeros(theta.shape)
        step[k] = eps
        grad[k] = (f(theta + step) - f(theta - step)) / (2 * eps)
    return grad


def _ex5(rng):
    """Judged on how the answer was made: a central difference with the eps given carries a
    truncation error of about eps^2/6 f''' (here ~1e-6), far above rounding (~1e-12), so the
    exact gradient, or a difference with another eps, does not match; and f is called 2n times."""
    cases = []
    for n, eps in ((3, 1e-3), (6, 2e-3)):
        c, A, theta = rng.normal(size=n), rng.normal(size=(n, n)), rng.normal(size=n)
        f = _ex5_f(c, A)
        exact = 3.0 * c * np.cos(3.0 * theta) + (A + A.T) @ theta
        one_sided = np.array([(f(theta + eps * e) - f(theta)) / eps for e in np.eye(n)])
        cases.append(Case({"c": c, "A": A, "theta": theta, "eps": float(eps)}, _central(f, theta, eps), {
            "one-sided difference: use (f(theta+eps) - f(theta-eps)) / (2 eps)": one_sided,
            "the exact gradient, or a difference with another eps than the one passed in": exact,
        }, judge="central_difference"))  # fmt: skip
    return cases


_EX5_PREPARE = """
    class _Hidden:  # f built from data: no closure, no globals of its own, no defaults; it counts its calls
        __slots__ = ("_p", "calls")

        def __init__(self, p):
            self._p, self.calls = p, 0

        def __call__(self, t):
            self.calls += 1
            t = _np.array(t, dtype=float)
            n = t.shape[0]
            c, A = self._p[:n], self._p[n:].reshape(n, n)
            return float(_np.sum(c * _np.sin(3.0 * t)) + t @ A @ t)

    _f = _Hidden(_np.concatenate([_args.pop("c"), _args.pop("A").ravel()]))
    _args["f"] = _f
    _evidence["calls"] = lambda: _np.array(_f.calls)
"""


def _with_slope(net, X, Y, slope):
    """The batched gradients with `slope(z)` where f'(z) belongs: what a learner's slip computes."""
    t, n_l = net.forward(X), net.n_l
    d = {n_l: backprop.output_delta(Y, t.h, slope(t.z[n_l]))}
    for l in range(n_l - 1, 1, -1):
        d[l] = backprop.hidden_delta(net.W[l], d[l + 1], slope(t.z[l]))
    return ({l: backprop.weight_gradient(d[l + 1], t.a[l]) for l in net.W},
            {l: backprop.bias_gradient(d[l + 1]) for l in net.W})  # fmt: skip


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
            "f(z) where f'(z) is needed": _with_slope(net, X, Y, _sig),
            "f'(a) where f'(z) is needed: the slope is taken at z": _with_slope(net, X, Y, lambda z: _dsig(_sig(z))),
        }))  # fmt: skip
    return cases


TRAIN_TARGET = 0.01  # the mean J that gradient_descent() must reach, and stop at


_EX7_PREPARE = """
    class _CostAndGradients:  # the reference J and gradients; it keeps a log of where it was called
        __slots__ = ("lr", "costs", "off_path", "W", "b", "dW", "db")

        def __init__(self, lr):
            self.lr, self.costs, self.off_path = lr, [], 0
            self.W = self.b = self.dW = self.db = None

        def __call__(self, W, b, X, Y):
            if self.W is not None:  # was this point one gradient step from the last one?
                step = [(W[l], self.W[l] - self.lr * self.dW[l]) for l in self.W]
                step += [(b[l], self.b[l] - self.lr * self.db[l]) for l in self.b]
                far = [_np.shape(u) != _np.shape(v) or _np.max(_np.abs(u - v), initial=0.0)
                       > 1e-12 * (1.0 + _np.max(_np.abs(v), initial=0.0)) for u, v in step]
                self.off_path += any(far)
            m, n = X.shape[1], max(W) + 1
            a = {1: X}
            for l in sorted(W):
                a[l + 1] = 1.0 / (1.0 + _np.exp(-(W[l] @ a[l] + b[l][:, None])))
            J = 0.5 * float(_np.sum((Y - a[n]) ** 2)) / m
            d = {n: -(Y - a[n]) * a[n] * (1 - a[n])}
            for l in range(n - 1, 1, -1):
                d[l] = (W[l].T @ d[l + 1]) * a[l] * (1 - a[l])
            dW, db = {l: d[l + 1] @ a[l].T / m for l in W}, {l: d[l + 1].mean(axis=1) for l in W}
            self.costs.append(J)
            self.W, self.b = {l: _np.array(W[l], dtype=float) for l in W}, {l: _np.array(b[l], dtype=float) for l in b}
            self.dW, self.db = {l: v.copy() for l, v in dW.items()}, {l: v.copy() for l, v in db.items()}
            return J, dW, db

    _g = _CostAndGradients(_args["lr"])
    _args["cost_and_gradients"] = _g
    _evidence["costs"] = lambda: _np.array(_g.costs, dtype=float)
    _evidence["off_path"] = lambda: _np.array(_g.off_path)
    _evidence["last"] = lambda: {"W": _g.W, "b": _g.b, "dW": _g.dW, "db": _g.db} if _g.W is not None else {}
"""


def _descend(W, b, X, Y, lr, target, max_steps):
    """The reference: plain gradient descent that stops as soon as the mean cost reaches the target."""
    net = network_of(W, b)
    for _ in range(max_steps):
        if net.cost(X, Y) <= target:
            return net
        g = net.gradients(X, Y)
        for l in net.W:
            net.W[l] -= lr * g.W[l]
            net.b[l] -= lr * g.b[l]
    return net


def _ex7(rng):
    """Data the learner never saw (XOR and circles, their own seed and size), and starting weights
    the grader draws, kept only if the reference reaches the target from them."""
    cases = []
    for make, noise in ((xor, 0.1), (circles, 0.05)):
        m, hidden = int(rng.integers(80, 161)), int(rng.integers(6, 11))
        X, Y = make(m, noise=noise, seed=int(rng.integers(2**31)))
        lr, max_steps = 5.0, 20_000
        for _ in range(20):
            net, W, b = _net(rng, [2, hidden, 1])
            reached = _descend(W, b, X, Y, lr, TRAIN_TARGET, 4000).cost(X, Y) <= TRAIN_TARGET
            if net.cost(X, Y) > TRAIN_TARGET and reached:
                break
        inputs = {"W": W, "b": b, "X": X, "Y": Y, "lr": lr, "target": TRAIN_TARGET, "max_steps": max_steps}
        cases.append(Case(inputs, TRAIN_TARGET, judge="descent"))
    return cases


EXERCISES = [
    Exercise("ex1-output-delta", "output_delta", "Step 1: the output delta", 2, _ex1),
    Exercise("ex2-hidden-delta", "hidden_delta", "Step 2: the backward recursion", 2, _ex2),
    Exercise("ex3-gradients", "_step3", "Step 3: weight and bias gradients", 2, _ex3, prepare=_EX3_PREPARE,
             defines=("weight_gradient", "bias_gradient"), items=("weight_gradient", "bias_gradient")),  # fmt: skip
    Exercise("ex4-forward", "forward_pass", "The forward pass, keeping z and a", 2, _ex4, items=("z", "a")),
    Exercise("ex5-central-difference", "central_difference", "A central-difference gradient check", 2, _ex5,
             rtol=1e-8, prepare=_EX5_PREPARE, private=("c", "A")),  # fmt: skip
    Exercise("ex6-batch-gradients", "batch_gradients", "Vectorised, batched gradients", 2, _ex6, items=("dW", "db")),
    Exercise("ex7-train", "gradient_descent", "Gradient descent until the cost is small", 2, _ex7,
             prepare=_EX7_PREPARE, items=("W", "b")),  # fmt: skip
]
BY_ID = {e.grade_id: e for e in EXERCISES}


def network_of(W: dict, b: dict) -> Network:
    """A sigmoid network holding copies of these parameters (shapes checked by Network)."""
    sizes = [W[1].shape[1]] + [W[l].shape[0] for l in sorted(W)]
    net = Network(sizes, "sigmoid")
    for l in sorted(W):
        net.W[l], net.b[l] = W[l], b[l]
    return net


def training_loss(W: dict, b: dict, X, Y) -> float:
    """Mean J of a sigmoid network with these parameters, computed by bpteach (ex7's judge)."""
    return network_of(W, b).cost(X, Y)
