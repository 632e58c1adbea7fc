"""The backward pass unit by unit, one Python loop per sum as the formulas read, and what the vectorised pass
costs in multiplications: slow, obviously correct references the notebooks check `backprop` against (05-07).
Notebooks import them as `bpteach.backprop.gradients_by_loops` and `bpteach.backprop.multiplications`."""

from collections.abc import Sequence

import numpy as np

from .layers import Gradients, Layers


def gradients_by_loops(net, x, y) -> Gradients:
    """The three steps unit by unit as the formulas read, one Python loop per sum: one example, slow on purpose
    (notebook 06); notebook 07 checks the vectorised steps against it."""
    trace = net.forward(x)
    y, s, z, a, n_l = net.check_y(y, trace.h.shape), net.s, trace.z, trace.a, net.n_l
    if y.ndim != 1:
        raise ValueError(f"gradients_by_loops: one example only, x of shape ({net.sizes[0]},); got a batch")
    fp = {l: net.activations[l].df(z[l]) for l in range(2, n_l + 1)}
    delta = Layers("delta", {l: np.zeros(s(l)) for l in range(n_l, 1, -1)})
    for p in range(s(n_l)):  # step 1
        delta[n_l][p] = -(y[p] - a[n_l][p]) * fp[n_l][p]
    for l in range(n_l - 1, 1, -1):  # step 2
        for k in range(s(l)):
            delta[l][k] = sum(net.W[l][q, k] * delta[l + 1][q] for q in range(s(l + 1))) * fp[l][k]
    W, b = Layers("dJ/dW"), Layers("dJ/db", {l: delta[l + 1].copy() for l in range(1, n_l)})
    for l in range(1, n_l):  # step 3
        W[l] = np.array([[delta[l + 1][i] * a[l][j] for j in range(s(l))] for i in range(s(l + 1))])
    return Gradients(W, b, delta, trace)


def multiplications(sizes: Sequence[int]) -> int:
    """Scalar multiplications in one backward pass for one example (notebook 05): s_{n_l} in step 1;
    s_{l+1} s_l for W^T delta and s_l for the product with f' in each step 2; s_{l+1} s_l in each step 3."""
    s, n_l = (None, *sizes), len(sizes)
    return s[n_l] + sum(s[l + 1] * s[l] + s[l] for l in range(2, n_l)) + sum(s[l + 1] * s[l] for l in range(1, n_l))
