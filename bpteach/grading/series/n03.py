"""Notebook 03's exercise: the first line of the chain rule, completed for a weight of the last layer."""

from __future__ import annotations

import numpy as np

from ...network import Network
from ..spec import Case, Exercise


def _make_cases(rng: np.random.Generator) -> list[Case]:
    """One example through a sigmoid network; the expected answer is bpteach's step 3 for W^{(n_l-1)}."""
    cases = []
    for n_l in (3, 5):
        sizes = [int(s) for s in rng.choice(np.arange(2, 8), size=n_l, replace=False)]  # no square W
        net = Network(sizes, "sigmoid", seed=int(rng.integers(2**31)))
        x, y = rng.normal(size=sizes[0]), rng.uniform(size=sizes[-1])
        t, last = net.forward(x), net.n_l - 1
        fprime_z, a_prev = net.fprime(t)[net.n_l], t.a[last]
        good = net.gradients(x, y).W[last]  # [p, q] = dJ/dW^{(n_l-1)}_{p<-q}
        err = -(y - t.h) * fprime_z
        cases.append(Case({"y": y, "h": t.h, "fprime_z": fprime_z, "a_prev": a_prev}, good, {
            "sign flipped: check the sign of dJ/dh_p": -good,
            "the transpose: row p (the destination), column q (the source)":
                good.T,
            "a factor is missing: h_p is f of z_p, so the chain rule passes through f":
                np.outer(-(y - t.h), a_prev),
            "every row is the whole sum over p: only h_p depends on W_(p<-q), the other outputs give 0":
                np.outer(np.full(sizes[-1], err.sum()), a_prev),
        }))
    return cases


def _l1_cases(rng: np.random.Generator) -> list[Case]:
    """The same last layer with J = sum_p |y_p - h_p| (no h_p equals its y_p): the chain rule's first line again."""
    cases = []
    for n_l in (3, 4):
        sizes = [int(s) for s in rng.choice(np.arange(2, 8), size=n_l, replace=False)]
        net = Network(sizes, "sigmoid", seed=int(rng.integers(2**31)))
        x, y = rng.normal(size=sizes[0]), rng.uniform(size=sizes[-1])
        t, last = net.forward(x), net.n_l - 1
        fprime_z, a_prev, h = net.fprime(t)[net.n_l], t.a[last], t.h
        good = np.outer(np.sign(h - y) * fprime_z, a_prev)
        cases.append(Case({"y": y, "h": h, "fprime_z": fprime_z, "a_prev": a_prev}, good, {
            "sign flipped: |u| rises with u, so check which way J moves when h_p grows": -good,
            "the squared error's slope: the slope of an absolute value does not grow with the error":
                np.outer((h - y) * fprime_z, a_prev),
            "a factor is missing: h_p is f of z_p, so the chain rule passes through f":
                np.outer(np.sign(h - y), a_prev),
            "the transpose: row p (the destination), column q (the source)": good.T,
        }))
    return cases


EXERCISES = [
    Exercise(
        "n03-last-layer-gradient",
        "last_layer_gradient",
        "The chain rule for a weight of the last layer",
        2,
        _make_cases,
        derivation=True,
    ),
    Exercise(
        "n03-l1-cost-gradient",
        "l1_last_layer_gradient",
        "The last layer's gradient for an absolute-error cost",
        2,
        _l1_cases,
        derivation=True,
    ),
]
