"""Notebook 10's exercise: one weight's gradient, read off step 3 with the text's unit labels.

dJ/dW^{(l)}_{i<-j} = delta^{(l+1)}_i a^{(l)}_j and dJ/db^{(l)}_i = delta^{(l+1)}_i, where i and j are
the text's 1-based labels (the explorer's "i3", "j2"): array positions i - 1 and j - 1.
"""

from __future__ import annotations

import numpy as np

from ...network import Network
from ..spec import Case, Exercise


def _entry(delta, a, i, j):
    """(delta_i a_j, delta_i) at 0-based positions i, j, as two 0-d float64 arrays."""
    return np.array(delta[i] * a[j]), np.array(delta[i])


def _cases(rng):
    cases = []
    for sizes in ([3, 5, 4, 2], [4, 3, 6, 5, 2]):
        net = Network(sizes, "sigmoid", seed=int(rng.integers(2**31)))
        x, y = rng.normal(size=sizes[0]), rng.uniform(size=sizes[-1])
        t, d = net.forward(x), net.deltas(x, y)
        a, delta = {l: t.a[l].copy() for l in t.a}, {l: d[l].copy() for l in d}
        l = int(rng.integers(2, len(sizes) - 1))  # a hidden layer, so that delta^{(l)} exists too
        i, j = (int(u) + 1 for u in rng.choice(min(sizes[l - 1], sizes[l]) - 1, size=2, replace=False))
        good = net.gradients(x, y)
        expected = (np.array(good.W[l][i - 1, j - 1]), np.array(good.b[l][i - 1]))
        cases.append(Case({"delta": delta, "a": a, "l": l, "i": i, "j": j}, expected, {
            "off by one: the text's unit i is array position i - 1": _entry(delta[l + 1], a[l], i, j),
            "i and j swapped: i is the destination unit, on layer l+1; j the source, on layer l":
                _entry(delta[l + 1], a[l], j - 1, i - 1),
            "delta of layer l: a weight's gradient takes the delta of its destination layer, l+1":
                _entry(delta[l], a[l], i - 1, j - 1),
            "a of layer l+1: a weight's gradient takes the activation of its source layer, l":
                _entry(delta[l + 1], a[l + 1], i - 1, j - 1),
        }))
    return cases


def _tied_cases(rng):
    """Tied weights, W^{(2)} = W^{(1)T} (an autoencoder, s_1 = s_3): dJ/dW of the one shared matrix W = W^{(1)}."""
    cases = []
    for s1, s2 in ((4, 3), (3, 5)):
        d2, a1, d3, a2 = rng.normal(size=s2), rng.normal(size=s1), rng.normal(size=s1), rng.uniform(size=s2)
        first, second = np.outer(d2, a1), np.outer(d3, a2).T
        good = first + second
        cases.append(Case({"delta_2": d2, "a_1": a1, "delta_3": d3, "a_2": a2}, good, {
            "only the use in layer 1: W also acts in layer 2, and J feels both": first,
            "only the use in layer 2: W also acts in layer 1, and J feels both": second,
            "the mean of the two uses: each use adds its own slope": (first + second) / 2,
            "the second use subtracted: both uses add to J's slope": first - second,
        }))
    return cases


EXERCISES = [
    Exercise("n10-gradient-entry", "gradient_entry", "One weight's gradient, as the explorer shows it", 2, _cases,
             kind="bookkeeping", items=("dJ/dW", "dJ/db")),
    Exercise("n10-tied-gradient", "tied_gradient", "The gradient of a weight used twice", 2, _tied_cases,
             derivation=True),
]
