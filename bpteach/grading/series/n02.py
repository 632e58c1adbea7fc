"""Notebook 02's exercise: the local derivatives of one layer, da^{(l+1)}/da^{(l)}."""

from __future__ import annotations

import numpy as np

from ...activations import sigmoid
from ...network import Network
from ..spec import Case, Exercise


def _make_cases(rng: np.random.Generator) -> list[Case]:
    """A hidden layer of a sigmoid network: W^{(l)} and z^{(l+1)} from a forward pass, non-square."""
    cases = []
    for l in (1, 2):
        sizes = [int(s) for s in rng.choice(np.arange(2, 8), size=l + 2, replace=False)]  # no square W
        net = Network(sizes, "sigmoid", seed=int(rng.integers(2**31)))
        z_next = net.forward(rng.normal(size=sizes[0])).z[l + 1]
        W_l, slope = net.W[l].copy(), sigmoid.df(z_next)
        good = slope[:, None] * W_l  # [i, j] = f'(z^{(l+1)}_i) W^{(l)}_{i<-j}
        cases.append(Case({"W_l": W_l, "z_next": z_next}, good, {
            "the transpose: row i is the destination unit on layer l+1, column j the source": good.T,
            "a factor is missing: a^(l+1) is f of z^(l+1), so the chain rule passes through f": W_l,
            "f(z) where f'(z) is needed: the slope of a sigmoid is sigma(z) (1 - sigma(z))":
                sigmoid.f(z_next)[:, None] * W_l,
            "f'(a) where f'(z) is needed: the slope is taken at z": sigmoid.df(sigmoid.f(z_next))[:, None] * W_l,
        }))
    return cases


EXERCISES = [
    Exercise(
        "n02-layer-jacobian", "layer_jacobian", "The local derivatives of one layer", 2, _make_cases, derivation=True
    ),
]
