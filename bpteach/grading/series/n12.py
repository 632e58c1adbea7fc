"""Notebook 12's exercises: the backward pass through one layer's nodes, and the operation counts of the modes."""

from __future__ import annotations

import numpy as np

from ... import backprop
from ...activations import sigmoid
from ..spec import Case, Exercise


def _back(W, a, dz):
    """From dJ/dz down through the sum node (to b) and the products (to W and to a)."""
    return backprop.weight_gradient(dz, a), W.T @ dz, backprop.bias_gradient(dz)


def _layer(rng):
    """z = W a + b, a' = sigma(z) for one example; g = dJ/da' arrives from above. Non-square W."""
    cases = []
    for t, s in ((3, 5), (4, 2)):
        W, a, b, g = rng.normal(size=(t, s)), rng.uniform(size=s), rng.normal(size=t), rng.normal(size=t)
        z = W @ a + b
        slopes = {"right": sigmoid.df(z), "none": np.ones(t), "at a'": sigmoid.df(sigmoid.f(z)), "f": sigmoid.f(z)}
        back = {k: _back(W, a, g * slope) for k, slope in slopes.items()}  # dz = g times the sigma node's slope
        cases.append(Case({"W_l": W, "a_l": a, "b_l": b, "g": g}, back["right"], {
            "the sigma node's local derivative is missing: a' is sigma of z, so the chain rule passes through sigma":
                back["none"],
            "sigma'(a') where sigma'(z) belongs: the slope is taken at the node's input z": back["at a'"],
            "sigma(z) where its slope sigma'(z) belongs": back["f"],
            "da skips the sigma node: a_j reaches J through z and then sigma, like dW and db":
                (back["right"][0], W.T @ g, back["right"][2]),
        }))
    return cases


def _sizes_counts(sizes, biases=True, cost=True, passes=(1, 1, 2)):
    """N, and the work of reverse mode, forward mode and central differences, counted as notebook 12 counts."""
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    N = sum(s * t + t * biases for s, t in pairs)
    V = sum(2 * s * t + t for s, t in pairs) + 5 * sizes[-1] * cost  # operation nodes
    E = sum(4 * s * t + t for s, t in pairs) + 10 * sizes[-1] * cost  # arrows into them
    reverse, forward, central = passes[0] * V + E, passes[1] * V + N * E, passes[2] * N * V
    return np.array([N, reverse, forward, central], dtype=np.int64)


def _counts(rng):
    cases = []
    for n_l in (3, 5):
        sizes = rng.integers(2, 7, size=n_l)
        cases.append(Case({"sizes": sizes}, _sizes_counts(sizes), {
            "N counts the weights only: each bias is a parameter too": _sizes_counts(sizes, biases=False),
            "the cost's nodes are missing: 5 nodes, 10 arrows per output unit": _sizes_counts(sizes, cost=False),
            "the forward pass (V nodes) is missing: every mode runs it first": _sizes_counts(sizes, passes=(0, 0, 2)),
            "one forward pass per parameter: a central difference takes two": _sizes_counts(sizes, passes=(1, 1, 1)),
        }))
    return cases


EXERCISES = [
    Exercise(
        "n12-layer-backward",
        "layer_backward",
        "Backward through one layer's nodes",
        2,
        _layer,
        derivation=True,
        items=("dW", "da", "db"),
    ),
    Exercise(
        "n12-operation-counts",
        "operation_counts",
        "The work of each method, counted",
        2,
        _counts,
        kind="counting",
        items=("counts",),
    ),
]
