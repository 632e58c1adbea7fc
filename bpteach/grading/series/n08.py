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
        }))
    return cases


def _momentum_cases(rng):
    """Momentum: v <- mu v - lr g, theta <- theta + v; the first-order change of J over that one step."""
    cases = []
    for sizes in ([3, 5, 2], [4, 2, 6, 3]):
        dW = {l: rng.normal(size=(t, s)) for l, (s, t) in enumerate(zip(sizes[:-1], sizes[1:], strict=True))}
        db = {l: rng.normal(size=t) for l, t in enumerate(sizes[1:])}
        vW = {l: rng.normal(size=w.shape) for l, w in dW.items()}
        vb = {l: rng.normal(size=b.shape) for l, b in db.items()}
        lr, mu = float(rng.uniform(0.05, 0.5)), float(rng.uniform(0.5, 0.95))

        def change(mu_, lr_, biases=True, g=(dW, db), v=(vW, vb)):
            return np.array(sum(np.sum(g[0][l] * (mu_ * v[0][l] - lr_ * g[0][l]))
                                + biases * np.sum(g[1][l] * (mu_ * v[1][l] - lr_ * g[1][l])) for l in g[0]))

        good = change(mu, lr)
        cases.append(Case({"dW": dW, "db": db, "vW": vW, "vb": vb, "lr": lr, "mu": mu}, good, {
            "the old velocity is left out: the step also carries the motion the parameters already had": change(0, lr),
            "the old velocity is not scaled by mu: momentum keeps only a fraction of the last motion": change(1, lr),
            "the step is the old velocity: v is updated before it moves the parameters": change(mu, 0) / mu,
            "the gradient's own term has the wrong sign: the step goes against the gradient": -change(-mu, lr),
            "the biases are left out: they move too, and their change counts": change(mu, lr, biases=False),
        }))
    return cases


EXERCISES = [
    Exercise("n08-predicted-change", "predicted_change", "What one gradient step does to J", 2, _cases,
             derivation=True),
    Exercise("n08-momentum-change", "momentum_predicted_change", "What one momentum step does to J", 2,
             _momentum_cases, derivation=True),
]
