"""Notebook 11's exercises: delta^{(n_l)} of a softmax output with cross-entropy, and step 3 with weight decay."""

from __future__ import annotations

import numpy as np

from ... import backprop, costs
from ...activations import sigmoid
from ..spec import Case, Exercise


def _softmax_delta(rng):
    """One example with a one-hot target, then a batch of soft targets (one probability vector per column)."""
    cases = []
    for shape in ((4,), (3, 5)):
        z = rng.normal(0.0, 2.0, size=shape)
        if len(shape) == 1:
            y = np.eye(shape[0])[int(rng.integers(shape[0]))]
        else:
            y = rng.uniform(0.05, 1.0, size=shape)
            y /= y.sum(axis=0)
        h = costs.softmax(z)
        good = costs.cross_entropy.delta(y, h)
        mistakes = {
            "sign flipped: check which of h and y comes first": y - h,
            "the softmax is missing: delta compares the network's output with y, not z": z - y,
            "a factor f' too many: the squared error's step 1; cross-entropy cancels it": (h - y) * h * (1 - h),
            "a sigmoid output: the softmax divides e^z by the sum of e^z over the units": sigmoid.f(z) - y,
        }
        if len(shape) == 2:
            e = np.exp(z)
            mistakes["softmax along a row: each column (one example) sums over its units, axis 0"] = (
                e / e.sum(axis=1, keepdims=True) - y)
            mistakes["softmax over the whole batch: each column (one example) is normalised alone"] = e / e.sum() - y
        cases.append(Case({"y": y, "z": z}, good, mistakes))
    return cases


def _decay(rng):
    """Step 3 of UFLDL's J + lambda/2 sum ||W||^2: one example, then a batch (the mean over its columns)."""
    cases = []
    for s_next, s, m in ((3, 4, None), (2, 5, 6)):
        d = rng.normal(size=(s_next,) if m is None else (s_next, m))
        a = rng.uniform(size=(s,) if m is None else (s, m))
        W, b, lam = rng.normal(size=(s_next, s)), rng.normal(size=s_next), float(rng.uniform(0.05, 0.5))
        dW0, db = backprop.weight_gradient(d, a), backprop.bias_gradient(d)
        dW = dW0 + costs.decay_gradient(W, lam)
        mistakes = {
            "the decay term is missing from dJ/dW: add lambda W": (dW0, db),
            "minus lambda W: the decay term is added to J, so its slope is added too": (dW0 - lam * W, db),
            "lambda/2 W: the derivative of lambda/2 W^2 is lambda W": (dW0 + lam / 2 * W, db),
            "the biases decayed too: the decay term has no b, so dJ/db does not change": (dW, db + lam * b),
        }
        if m is not None:
            mistakes["lambda W divided by m: the decay term is not inside the mean over the examples"] = (
                dW0 + lam * W / m, db)
        cases.append(Case({"delta_next": d, "a_l": a, "W_l": W, "b_l": b, "lam": lam}, (dW, db), mistakes))
    return cases


def _columns_softmax(z):
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def _softmax_squared(rng):
    """delta^{(n_l)} of softmax with J = 1/2 sum_p (y_p - h_p)^2: the coupling kept. One example, then a batch."""
    cases = []
    for shape in ((4,), (3, 5)):
        z, y = rng.normal(0.0, 1.5, size=shape), rng.uniform(size=shape)
        h = _columns_softmax(z)
        g = h - y
        good = h * (g - np.sum(h * g, axis=0))
        mistakes = {
            "cross-entropy's delta: with squared error the slope of h still multiplies": g,
            "only the diagonal of the softmax's Jacobian: each h_r depends on every z_p": g * h * (1 - h),
            "sign flipped: check which of h and y comes first": -good,
            "the sum runs over the wrong axis: each column (one example) sums over its units":
                h * (g - np.sum(h * g, axis=-1, keepdims=True)) if len(shape) == 2 else h * g,
        }
        if len(shape) == 2:
            mistakes["the sum runs over the whole batch: each column (one example) sums over its own units only"] = (
                h * (g - np.sum(h * g)))
        cases.append(Case({"y": y, "z": z}, good, mistakes))
    return cases


def _tanh_bce(rng):
    """delta^{(n_l)} of h = tanh(z) read as a probability π = (1 + h)/2, with binary cross-entropy on π."""
    cases = []
    for shape in ((5,), (3, 4)):
        z, y = rng.normal(size=shape), rng.uniform(size=shape)
        h = np.tanh(z)
        p = (1 + h) / 2
        good = 2 * (p - y)
        cases.append(Case({"y": y, "z": z}, good, {
            "a constant factor is missing: write tanh's slope 1 - h^2 in terms of π before cancelling": p - y,
            "h - y: the cost compares π = (1 + h)/2 with y, not h": h - y,
            "π = 1 + h: the probability is (1 + h)/2, which keeps it between 0 and 1": 2 * (1 + h - y),
            "the half of π = (1 + h)/2 is missing from its slope: dπ/dz carries it too": 4 * (p - y),
            "a factor tanh'(z) too many: it cancels against the 1 / (π (1 - π)) of the cross-entropy":
                2 * (p - y) * (1 - h**2),
            "sign flipped: J grows when π moves away from y": -good,
        }))
    return cases


EXERCISES = [
    Exercise(
        "n11-softmax-delta",
        "softmax_output_delta",
        "The output delta of softmax with cross-entropy",
        2,
        _softmax_delta,
        kind="code",
    ),
    Exercise("n11-weight-decay", "step3_with_decay", "Step 3 with weight decay", 2, _decay, items=("dW", "db")),
    Exercise("n11-softmax-squared-delta", "softmax_squared_delta", "The output delta of softmax with squared error",
             2, _softmax_squared, derivation=True),
    Exercise("n11-tanh-bce-delta", "tanh_bce_delta", "The output delta of a tanh unit with cross-entropy", 2,
             _tanh_bce, derivation=True),
]
