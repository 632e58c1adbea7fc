"""Notebook 07's exercise: the backward pass of a whole batch, from the stored Z and A.

The reference is `net.gradients` on the batch: its deltas (one column per example) and the
mean-over-the-batch gradients.
"""

from __future__ import annotations

import numpy as np

from ... import backprop
from ...activations import sigmoid
from ...network import Network
from ..spec import Case, Exercise


def _with_slope(W, Z, A, Y, slope):
    """bpteach's own backward pass with `slope(z)` where f'(z) belongs: what a learner's slip computes."""
    delta = backprop.deltas(W, {l: slope(Z[l]) for l in Z}, Y, A[max(A)])
    dW, db = backprop.gradients(A, delta)
    return dict(delta), dict(dW), dict(db)


def _cases(rng):
    cases = []
    for n_l, m in ((3, int(rng.integers(5, 9))), (4, int(rng.integers(9, 13)))):
        s = [int(w) for w in rng.permutation(np.arange(2, 2 + n_l))]  # distinct widths: no layer is square
        net = Network(s, seed=int(rng.integers(2**31)))
        X, Y = rng.normal(size=(s[0], m)), rng.uniform(size=(s[-1], m))
        g = net.gradients(X, Y)
        W = {l: net.W[l].copy() for l in net.W}
        Z, A = dict(g.trace.z), dict(g.trace.a)
        Delta, dW, db = dict(g.delta), dict(g.W), dict(g.b)
        summed_dW, summed_db = {l: m * v for l, v in dW.items()}, {l: m * v for l, v in db.items()}
        cases.append(Case({"W": W, "Z": Z, "A": A, "Y": Y}, (Delta, dW, db), {
            "the sums over the batch, not the means: divide by m": (Delta, summed_dW, summed_db),
            "dW: the sum over the batch, not the mean: divide Delta A^T by m": (Delta, summed_dW, db),
            "f'(a) where f'(z) is needed: the slope is taken at Z": _with_slope(
                W, Z, A, Y, lambda z: sigmoid.df(sigmoid.f(z))),
            "sign flipped: check the sign of Delta^(n_l)": (
                {l: -v for l, v in Delta.items()}, {l: -v for l, v in dW.items()}, {l: -v for l, v in db.items()}),
        }))
    return cases


def _dropout_cases(rng):
    """Inverted dropout on hidden layer l: a^{(l)} = mask * f(z^{(l)}) / keep, one column per example."""
    cases = []
    for sl, s1, m in ((5, 3, int(rng.integers(4, 8))), (3, 6, int(rng.integers(8, 12)))):
        W_l, d1 = rng.normal(size=(s1, sl)), rng.normal(size=(s1, m))
        fp = rng.uniform(0.05, 0.25, size=(sl, m))
        keep = float(rng.uniform(0.5, 0.9))
        mask = (rng.uniform(size=(sl, m)) < keep).astype(float)
        mask[0, 0], mask[-1, -1] = 0.0, 1.0  # both kinds of unit in every case
        back = backprop.hidden_delta(W_l, d1, fp)  # step 2, before the mask
        good = back * mask / keep
        cases.append(Case({"W_l": W_l, "delta_next": d1, "fprime_z": fp, "mask": mask, "keep": keep}, good, {
            "the mask is missing: a dropped unit took no part in the forward pass": back / keep,
            "the 1/keep is missing: the forward pass scaled the kept units": back * mask,
            "times keep: the forward pass divided by it": back * mask * keep,
            "the mask is inverted: the kept units are the ones with mask 1": back * (1 - mask) / keep,
        }))
    return cases


EXERCISES = [
    Exercise(
        "n07-batch-backward", "batch_backward", "The backward pass of a batch", 2, _cases, items=("Delta", "dW", "db")
    ),
    Exercise("n07-dropout-delta", "dropout_delta", "Step 2 through a dropout mask", 2, _dropout_cases,
             derivation=True),
]
