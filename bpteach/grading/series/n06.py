"""Notebook 06's exercise: dJ/db^{(l)}_i as a sum over paths, one term per path, no deltas.

The reference terms are bpteach's path terms of a weight W^{(l)}_{i<-j} with their last
factor a^{(l)}_j divided out: the bias's last factor is dz_i/db_i = 1 instead.
"""

from __future__ import annotations

import numpy as np

from ...network import Network
from ...paths import path_terms
from ..spec import Case, Exercise


def _cases(rng):
    cases = []
    for n_l, l in ((4, 2), (5, 1)):  # the bias feeds layer l+1 < n_l: paths through one layer, or three
        s = [int(w) for w in rng.permutation(np.arange(2, 2 + n_l))]  # distinct widths: no layer is square
        net = Network(s, seed=int(rng.integers(2**31)))
        x, y = rng.normal(size=s[0]), rng.uniform(size=s[-1])
        i = int(rng.integers(s[l]))  # 0-based unit on layer l+1
        t = net.forward(x)
        fp = net.fprime(t)
        j = int(np.argmax(np.abs(t.a[l])))  # any weight into unit i will do; the largest a_j divides best
        terms = np.array([term.value for term in path_terms(net, x, y, l, i, j)]) / t.a[l][j]
        terms = terms.reshape(s[l + 1 :])  # axes: the units on layers l+2..n_l, the output unit p last
        err = -(y - t.h)  # -(y_p - h_p), along the last axis
        inputs = {"W": {m: net.W[m].copy() for m in net.W}, "fprime_z": {m: fp[m].copy() for m in fp},
                  "y": y, "h": t.h.copy(), "l": l, "i": i}  # fmt: skip
        cases.append(Case(inputs, terms, {
            "sign flipped: check the sign each term starts with": -terms,
            "the factor -(y_p - h_p) is missing: that sums dh_p/db, not dJ/db": terms / err,
            "the factor f'(z_i) of the bias's own unit i (layer l+1) is missing": terms / fp[l + 1][i],
            "the factor f'(z_p) of the output unit is missing": terms / fp[n_l],
        }))  # fmt: skip
    return cases


EXERCISES = [
    Exercise(
        "n06-bias-by-paths", "bias_gradient_by_paths", "The bias gradient, path by path", 2, _cases, derivation=True
    ),
]
