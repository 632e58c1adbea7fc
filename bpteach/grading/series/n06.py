"""Notebook 06's exercise: dJ/db^{(l)}_i as a sum over paths, one term per path, no deltas.

The reference terms are bpteach's path terms of a weight W^{(l)}_{i<-j} with their last
factor a^{(l)}_j divided out: the bias's last factor is dz_i/db_i = 1 instead.
"""

from __future__ import annotations

import numpy as np

from ... import backprop
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
                  "y": y, "h": t.h.copy(), "l": l, "i": i}
        cases.append(Case(inputs, terms, {
            "sign flipped: check the sign each term starts with": -terms,
            "the factor -(y_p - h_p) is missing: that sums dh_p/db, not dJ/db": terms / err,
            "the factor f'(z_i) of the bias's own unit i (layer l+1) is missing": terms / fp[l + 1][i],
            "the factor f'(z_p) of the output unit is missing": terms / fp[n_l],
        }))
    return cases


def _skip_cases(rng):
    """delta^{(l)} when z^{(l+2)} also receives V a^{(l)}: every shape distinct, one example then a batch."""
    cases = []
    for s, m in (((3, 5, 2, 4), None), ((4, 2, 6, 3), 5)):
        sl, s1, s2 = s[0], s[1], s[2]
        cols = () if m is None else (m,)
        W_l, V = rng.normal(size=(s1, sl)), rng.normal(size=(s2, sl))
        d1, d2 = rng.normal(size=(s1, *cols)), rng.normal(size=(s2, *cols))
        fp = rng.uniform(0.05, 0.25, size=(sl, *cols))
        main, skip = W_l.T @ d1, V.T @ d2
        good = (main + skip) * fp
        cases.append(Case({"W_l": W_l, "delta_next": d1, "V": V, "delta_skip": d2, "fprime_z": fp}, good, {
            "the skip path is missing: a^(l) now reaches J along two routes": main * fp,
            "the path through layer l+1 is missing: a^(l) still feeds z^(l+1)": skip * fp,
            "f'(z^(l)) multiplies only one of the routes: both pass through a^(l) = f(z^(l))": main * fp + skip,
            "f'(z^(l)) is missing: delta^(l) is a slope with respect to z^(l), not a^(l)": main + skip,
        }))
    return cases


def _leaky(z, alpha):
    return np.where(z > 0, 1.0, alpha)


def _leaky_cases(rng):
    """Step 2 with a leaky ReLU f(z) = max(z, alpha z); some z^{(l)} are exactly 0 (the kink)."""
    cases = []
    for sl, s1, m in ((5, 3, None), (4, 6, 7)):
        W_l = rng.normal(size=(s1, sl))
        d1 = rng.normal(size=(s1,) if m is None else (s1, m))
        z = rng.normal(size=(sl,) if m is None else (sl, m))
        z.flat[:: 3] = 0.0
        alpha = float(rng.uniform(0.05, 0.3))
        back = W_l.T @ d1  # the hints' products with other slopes
        good = backprop.hidden_delta(W_l, d1, _leaky(z, alpha))  # step 2, with the leaky unit's slope
        a = np.maximum(z, alpha * z)
        cases.append(Case({"W_l": W_l, "delta_next": d1, "z_l": z, "alpha": alpha}, good, {
            "the plain ReLU's slope: for z < 0 the leaky unit still passes alpha": back * (z > 0),
            "the slope at z = 0: the text asks for the slope from the left there": back * np.where(z >= 0, 1.0, alpha),
            "f(z) where f'(z) belongs: the step multiplies by the unit's slope": back * a,
            "the two slopes swapped: check which piece of f is the steeper": back * np.where(z > 0, alpha, 1.0),
        }))
    return cases


EXERCISES = [
    Exercise(
        "n06-bias-by-paths", "bias_gradient_by_paths", "The bias gradient, path by path", 2, _cases, derivation=True
    ),
    Exercise("n06-skip-delta", "skip_delta", "delta of a layer with a skip connection", 2, _skip_cases,
             derivation=True),
    Exercise("n06-leaky-relu-delta", "leaky_relu_delta", "Step 2 through a leaky ReLU", 2, _leaky_cases,
             derivation=True),
]
