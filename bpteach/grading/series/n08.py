"""Notebook 08's exercise: what one gradient step does to J, to first order.

After W^{(l)} -= lr dW^{(l)} and b^{(l)} -= lr db^{(l)} for every layer, the chain rule to first
order gives dJ = sum over all parameters of (dJ/dtheta) (dtheta) = -lr sum_l (||dW^{(l)}||^2 + ||db^{(l)}||^2):
never positive, which is why a small enough step lowers J.
"""

from __future__ import annotations

import numpy as np

from ...network import Network
from ..spec import Case, Exercise


def _sum(dW, db, f):
    return float(sum(f(dW[l]) + f(db[l]) for l in dW))


def _cases(rng):
    cases = []
    for sizes, m in (([3, 5, 2], 6), ([4, 2, 6, 3], 9)):
        net = Network(sizes, "sigmoid", seed=int(rng.integers(2**31)))
        X, Y = rng.normal(size=(sizes[0], m)), rng.uniform(size=(sizes[-1], m))
        g = net.gradients(X, Y)
        dW, db = {l: g.W[l].copy() for l in g.W}, {l: g.b[l].copy() for l in g.b}
        lr = float(rng.uniform(0.05, 0.5))  # never 1, so that a missing lr shows
        squares = _sum(dW, db, lambda v: np.sum(v**2))
        cases.append(Case({"dW": dW, "db": db, "lr": lr}, np.array(-lr * squares), {
            "sign flipped: the step goes against the gradient, so J falls": np.array(lr * squares),
            "the norms are not squared: each gradient enters twice, once as dJ/dtheta and once in the step":
                np.array(-lr * _sum(dW, db, np.linalg.norm)),
            "the biases are left out: they move too, and their change counts":
                np.array(-lr * sum(float(np.sum(dW[l] ** 2)) for l in dW)),
            "lr squared: the change of J is first order in the step, so lr appears once":
                np.array(-(lr**2) * squares),
        }))  # fmt: skip
    return cases


EXERCISES = [
    Exercise("n08-predicted-change", "predicted_change", "What one gradient step does to J", 2, _cases,
             derivation=True),  # fmt: skip
]
