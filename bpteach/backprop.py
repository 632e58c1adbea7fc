"""The derivation's three steps, each one short function (notebooks 05-07).

Every function works for one example (vectors of shape (s_l,)) and for a batch
(matrices of shape (s_l, m), one column per example).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .layers import Layers

Array = np.ndarray


def cost(y: Array, h: Array) -> float:
    """J = 1/2 ||y - h||^2, averaged over the columns of a batch."""
    r = y - h
    if r.ndim == 1:
        return 0.5 * float(r @ r)
    return 0.5 * float(np.einsum("pm,pm->", r, r)) / r.shape[1]


def output_delta(y: Array, h: Array, fprime_z: Array) -> Array:
    """Step 1: delta^{(n_l)}_p = -(y_p - h_p) * f'(z^{(n_l)}_p). The minus sign belongs to delta."""
    return -(y - h) * fprime_z


def hidden_delta(W_l: Array, delta_next: Array, fprime_z: Array) -> Array:
    """Step 2: delta^{(l)}_k = (sum_q W^{(l)}_{q<-k} delta^{(l+1)}_q) * f'(z^{(l)}_k).

    The sum runs over the destination index q, the rows of W^{(l)}: hence W^T.
    """
    return (W_l.T @ delta_next) * fprime_z


def weight_gradient(delta_next: Array, a_l: Array) -> Array:
    """Step 3: dJ/dW^{(l)}_{i<-j} = delta^{(l+1)}_i * a^{(l)}_j, i.e. delta a^T (mean over a batch)."""
    if delta_next.ndim == 1:
        return delta_next[:, None] * a_l  # the outer product; cheaper than np.outer or a matmul
    # The same mean, (delta a^T) / m, with the 1/m put on the factor delta (s_{l+1} x m):
    # on a layer wider than the batch that is fewer numbers to divide than the product.
    return (delta_next / delta_next.shape[1]) @ a_l.T


def bias_gradient(delta_next: Array) -> Array:
    """dJ/db^{(l)}_i = delta^{(l+1)}_i, because dz^{(l+1)}_i / db^{(l)}_i = 1 (derived in notebook 06)."""
    # the mean over the batch, as sum / m: the same numbers as np.mean, without its Python-level overhead
    return delta_next if delta_next.ndim == 1 else delta_next.sum(axis=1) / delta_next.shape[1]


def deltas(net, trace, y: Array) -> Layers:
    """Steps 1 and 2: delta^{(n_l)} first, then back to delta^{(2)}."""
    n_l, z, a, f = net.n_l, trace.z, trace.a, net.activations
    delta = Layers("delta")
    delta[n_l] = net.cost_function.delta(y, trace.h, z[n_l], f[n_l])  # step 1 belongs to the cost (costs.py)
    for l in range(n_l - 1, 1, -1):
        delta[l] = hidden_delta(net.W[l], delta[l + 1], f[l].fprime(z[l], a[l]))
    return delta


@dataclass
class Gradients:
    """dJ/dW[l] and dJ/db[l], shaped like the parameters; `delta` and `trace` are kept for inspection."""

    W: Layers
    b: Layers
    delta: Layers | None = field(default=None, repr=False)
    trace: object | None = field(default=None, repr=False)


def gradients(trace, delta: Layers) -> Gradients:
    """Step 3 for every layer: all gradients from one forward and one backward pass."""
    W, b = Layers("dJ/dW"), Layers("dJ/db")
    for l in range(1, max(delta)):
        W[l] = weight_gradient(delta[l + 1], trace.a[l])
        b[l] = bias_gradient(delta[l + 1])
    return Gradients(W, b, delta, trace)


def gradients_by_loops(net, x, y) -> Gradients:
    """The three steps written unit by unit, exactly as the formulas read (notebook 06).

    Slow on purpose: one example only, one Python loop per sum. The vectorised
    `gradients` above is checked against it in notebook 07.
    """
    trace = net.forward(x)
    y = net.check_y(y, trace.h.shape)
    if y.ndim != 1:
        raise ValueError(f"gradients_by_loops: one example only, x of shape ({net.sizes[0]},); got a batch")
    n_l, s, z, a = net.n_l, net.s, trace.z, trace.a
    fp = {l: net.activations[l].df(z[l]) for l in range(2, n_l + 1)}
    delta = Layers("delta", {n_l: np.zeros(s(n_l))})
    for p in range(s(n_l)):  # step 1
        delta[n_l][p] = -(y[p] - a[n_l][p]) * fp[n_l][p]
    for l in range(n_l - 1, 1, -1):  # step 2
        delta[l] = np.zeros(s(l))
        for k in range(s(l)):
            total = 0.0
            for q in range(s(l + 1)):
                total += net.W[l][q, k] * delta[l + 1][q]
            delta[l][k] = total * fp[l][k]
    W, b = Layers("dJ/dW"), Layers("dJ/db")
    for l in range(1, n_l):  # step 3
        W[l] = np.zeros((s(l + 1), s(l)))
        for i in range(s(l + 1)):
            for j in range(s(l)):
                W[l][i, j] = delta[l + 1][i] * a[l][j]
        b[l] = delta[l + 1].copy()
    return Gradients(W, b, delta, trace)


def multiplications(sizes) -> int:
    """Scalar multiplications in one backward pass for one example (notebook 05).

    Step 1: s_{n_l} (times f'). Step 2, for l = n_l-1..2: s_{l+1} s_l for W^T delta
    and s_l for the product with f'. Step 3: s_{l+1} s_l for each delta a^T.
    """
    n_l, s = len(sizes), (None, *sizes)
    count = s[n_l]  # -(y_p - h_p) * f'(z_p): one product per output unit
    for l in range(n_l - 1, 1, -1):
        count += s[l + 1] * s[l] + s[l]
    for l in range(1, n_l):
        count += s[l + 1] * s[l]
    return count
