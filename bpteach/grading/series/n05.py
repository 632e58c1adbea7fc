"""Notebook 05's exercise: count the work of the naive path sums against the delta recursion.

The reference counts are bpteach's own: `path_sum` (one weight of each W^{(l)}, its terms and
multiplications) and `multiplications` (one backward pass), with notebook 05's conventions.
"""

from __future__ import annotations

import numpy as np

from ...backprop import multiplications
from ...network import Network
from ...paths import path_sum
from ..spec import Case, Exercise


def _cases(rng):
    cases = []
    for n_l in (4, 5):
        s = [int(w) for w in rng.permutation(np.arange(2, 2 + n_l))]  # distinct widths: no layer is square
        net = Network(s, seed=0)
        x, y = np.full(s[0], 0.5), np.full(s[-1], 0.5)
        one = [path_sum(net, x, y, l, 0, 0) for l in net.W]  # one weight of each W^(l): all of them cost the same
        weights = np.array([net.W[l].size for l in net.W], dtype=np.int64)
        terms = np.array([o.n_terms for o in one], dtype=np.int64)
        naive = np.array([o.n_multiplications for o in one], dtype=np.int64) * weights
        recursion = np.array(multiplications(s), dtype=np.int64)
        per_term = naive // (terms * weights)  # 2 (n_l - l): the factors of a path, minus one
        step2_f = sum(s[1:-1])  # the product with f'(z^(l)_k) of each hidden unit
        step3 = int(weights.sum())  # delta_i a_j, once per weight
        start = np.array(s[1:], dtype=np.int64)  # s_{l+1}: the layer of the weight's destination unit i
        cases.append(Case({"sizes": np.array(s, dtype=np.int64)}, (terms, naive, recursion), {
            "a path starts at the weight's own unit i: multiply the widths of layers l+2..n_l only":
                (terms * start, naive * start, recursion),
            "a product of F factors takes F - 1 multiplications": (terms, terms * (per_term + 1) * weights, recursion),
            "naive: each of the s_{l+1} s_l weights of W^(l) needs its own path sum": (terms, naive // weights,
                                                                                         recursion),
            "recursion: step 2 also multiplies each sum by f'(z^(l)_k), s_l products per hidden layer":
                (terms, naive, recursion - step2_f),
            "recursion: step 3 counts too, one product delta_i a_j per weight": (terms, naive, recursion - step3),
        }))
    return cases


EXERCISES = [
    Exercise(
        "n05-naive-vs-recursion",
        "naive_vs_recursion",
        "What the reordering saves, counted",
        2,
        _cases,
        items=("terms", "naive", "recursion"),
        kind="counting",
    ),
]
