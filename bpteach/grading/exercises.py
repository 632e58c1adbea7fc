"""The seven exercises: hidden inputs, the reference answer, and the hints for known mistakes.

The reference answer of steps 1-3 *is* the package's function (bpteach.backprop),
under the same name and signature the learner writes. Inputs come from the secret
seed and a hash of the submission (`case_rng`), with non-square layers and batches
so that a transpose shows. Each exercise gets its upstream inputs from the reference
(e.g. step 2 receives the true delta of the next layer), so one bug never cascades.
"""

from __future__ import annotations

import numpy as np

from .. import backprop
from ..activations import sigmoid
from ..data import circles, xor
from ..network import Network
from .series import SERIES
from .spec import Case, Exercise

_sig, _dsig = sigmoid.f, sigmoid.df  # the hints' f and f'


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
        }))
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
        }))
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
    """The hidden f of exercise 5; the harness-side Service (_EX5_SERVICE) evaluates the same expression."""
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
        }, judge="central_difference"))
    return cases


_EX5_PREPARE = """
    class _Hidden:  # a handle with no data: each call is evaluated, and counted, by the harness
        __slots__ = ("_case",)

        def __init__(self, case):
            self._case = case

        def __call__(self, t):
            return float(_call(self._case, [t])[0][0])

    _args.pop("c"), _args.pop("A")
    _args["f"] = _Hidden(_case)
"""

# Evaluated in the harness, outside the submission's process: the submission cannot reach the
# counter (nor c and A through f), only ask for evaluations, each of which counts.
_EX5_SERVICE = """
class Service:
    def __init__(self, inputs):
        self.c, self.A, self.calls = inputs["c"], inputs["A"], 0

    def __call__(self, arrays):
        if len(arrays) != 1 or arrays[0].shape != self.c.shape:
            raise ValueError(f"f takes one vector theta of shape {self.c.shape}")
        t = arrays[0]
        self.calls += 1
        return [_np.array([float(_np.sum(self.c * _np.sin(3.0 * t)) + t @ self.A @ t)])]

    def evidence(self):
        return {"calls": _np.array(self.calls)}
"""


def _with_slope(net, X, Y, slope):
    """The batched gradients with `slope(z)` where f'(z) belongs: what a learner's slip computes."""
    t = net.forward(X)
    dW, db = backprop.gradients(t.a, backprop.deltas(net.W, {l: slope(t.z[l]) for l in t.z}, Y, t.h))
    return dict(dW), dict(db)


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
        }))
    return cases


TRAIN_TARGET = 0.01  # the mean J that gradient_descent() must reach, and stop at


_EX7_PREPARE = """
    class _CostAndGradients:  # a handle: the harness computes J and the gradients, and keeps the log
        __slots__ = ("_case", "_keys")

        def __init__(self, case, keys):
            self._case, self._keys = case, keys

        def __call__(self, W, b, X, Y):
            keys = self._keys
            out = _call(self._case, [W[l] for l in keys] + [b[l] for l in keys] + [X, Y])
            k = len(keys)
            return float(out[0][0]), dict(zip(keys, out[1 : 1 + k])), dict(zip(keys, out[1 + k :]))

    _args["cost_and_gradients"] = _CostAndGradients(_case, sorted(_args["W"]))
"""

# The reference J and gradients, evaluated in the harness, out of the submission's reach: bpteach's own
# Network.cost and bpteach.backprop.backward, the one backward pass (the modules in EX7_USES are sent as
# text, services.py), with the log of where it was called: the cost there, whether the point was one
# step W - lr dW from the last one, and the last point and gradient.
EX7_USES = ("activations", "checks", "layers", "costs", "loops", "backprop", "network")
_EX7_SERVICE = """
class Service:
    def __init__(self, inputs):
        self.keys, self.lr = sorted(inputs["W"]), float(inputs["lr"])
        self.shapes = [inputs["W"][l].shape for l in self.keys] + [inputs["b"][l].shape for l in self.keys]
        self.shapes += [inputs["X"].shape, inputs["Y"].shape]
        self.X, self.Y = inputs["X"], inputs["Y"]
        self.costs, self.off_path = [], 0
        self.W = self.b = self.dW = self.db = None
        self.net = bpteach.network.Network.from_params(inputs["W"], inputs["b"])  # the grader's own network

    def __call__(self, arrays):
        if [a.shape for a in arrays] != self.shapes:
            raise ValueError("cost_and_gradients(W, b, X, Y): every array keeps the shape it was given with")
        k = len(self.keys)
        W, b = dict(zip(self.keys, arrays[:k])), dict(zip(self.keys, arrays[k : 2 * k]))
        X, Y = arrays[2 * k :]
        if not (_np.array_equal(X, self.X) and _np.array_equal(Y, self.Y)):  # the log is of J on the hidden data
            raise ValueError("cost_and_gradients(W, b, X, Y): pass the X and Y that gradient_descent was given")
        if self.W is not None:  # was this point one gradient step from the last one?
            step = [(W[l], self.W[l] - self.lr * self.dW[l]) for l in self.W]
            step += [(b[l], self.b[l] - self.lr * self.db[l]) for l in self.b]
            far = [_np.max(_np.abs(u - v), initial=0.0) > 1e-12 * (1.0 + _np.max(_np.abs(v), initial=0.0))
                   for u, v in step]
            self.off_path += any(far)
        net = self.net
        for l in self.keys:  # shapes and dtypes checked by the network
            net.W[l], net.b[l] = W[l], b[l]
        trace = net.forward(X)  # one forward pass for J and for bpteach.backprop's backward pass
        g = bpteach.backprop.backward(net.W, net.fprime(trace), trace, Y)
        J, dW, db = net.cost(X, Y, trace), dict(g.W), dict(g.b)
        self.costs.append(J)
        self.W, self.b, self.dW, self.db = W, b, dW, db
        return [_np.array([J])] + [dW[l] for l in self.keys] + [db[l] for l in self.keys]

    def evidence(self):
        last = {"W": self.W, "b": self.b, "dW": self.dW, "db": self.db} if self.W is not None else {}
        return {"costs": _np.array(self.costs, dtype=float), "off_path": _np.array(self.off_path), "last": last}
"""


def _descend(W, b, X, Y, lr, target, max_steps):
    """The reference: plain gradient descent that stops as soon as the mean cost reaches the target."""
    net = Network.from_params(W, b)
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
             defines=("weight_gradient", "bias_gradient"), items=("weight_gradient", "bias_gradient")),
    Exercise("ex4-forward", "forward_pass", "The forward pass, keeping z and a", 2, _ex4, items=("z", "a")),
    Exercise("ex5-central-difference", "central_difference", "A central-difference gradient check", 2, _ex5,
             rtol=1e-8, prepare=_EX5_PREPARE, service=_EX5_SERVICE, private=("c", "A")),
    Exercise("ex6-batch-gradients", "batch_gradients", "Vectorised, batched gradients", 2, _ex6, items=("dW", "db")),
    Exercise("ex7-train", "gradient_descent", "Gradient descent until the cost is small", 2, _ex7,
             prepare=_EX7_PREPARE, service=_EX7_SERVICE, uses=EX7_USES, items=("W", "b")),
]
BY_ID = {e.grade_id: e for e in EXERCISES + SERIES}


def training_loss(W: dict, b: dict, X, Y) -> float:
    """Mean J of a sigmoid network with these parameters, computed by bpteach (ex7's judge)."""
    return Network.from_params(W, b).cost(X, Y)
