"""The derivation's three steps, each a short function taking what its formula takes (notebooks 05-07):
vectors (s_l,) for one example, or matrices (s_l, m) for a batch of m columns, whose gradients are means."""

import numpy as np

from .layers import Gradients, Layers


def cost(y: np.ndarray, h: np.ndarray) -> float:
    """J = 1/2 ||y - h||^2, averaged over the columns of a batch."""
    return 0.5 * float(np.sum((y - h) ** 2)) / (1 if h.ndim == 1 else h.shape[1])


def output_delta(y: np.ndarray, h: np.ndarray, fprime_z: np.ndarray) -> np.ndarray:
    """Step 1: delta^{(n_l)}_p = -(y_p - h_p) * f'(z^{(n_l)}_p). The minus sign belongs to delta."""
    return -(y - h) * fprime_z


def hidden_delta(W_l: np.ndarray, delta_next: np.ndarray, fprime_z: np.ndarray) -> np.ndarray:
    """Step 2: delta^{(l)}_k = (sum_q W^{(l)}_{q<-k} delta^{(l+1)}_q) * f'(z^{(l)}_k).
    The sum runs over the destination index q, the rows of W^{(l)}: hence W^T."""
    return (W_l.T @ delta_next) * fprime_z


def weight_gradient(delta_next: np.ndarray, a_l: np.ndarray) -> np.ndarray:
    """Step 3: dJ/dW^{(l)}_{i<-j} = delta^{(l+1)}_i a^{(l)}_j, i.e. delta a^T (over a batch, delta a^T / m)."""
    if delta_next.ndim == 1:
        return delta_next[:, None] * a_l  # the column delta times the row a^T
    return delta_next @ a_l.T / delta_next.shape[1]


def bias_gradient(delta_next: np.ndarray) -> np.ndarray:
    """dJ/db^{(l)}_i = delta^{(l+1)}_i, because dz^{(l+1)}_i / db^{(l)}_i = 1 (derived in notebook 06)."""
    # the mean (1/m) sum over the batch as sum / m: np.mean's overhead was 6-11% of a five-layer step at m = 256
    return delta_next if delta_next.ndim == 1 else delta_next.sum(axis=1) / delta_next.shape[1]


def deltas(W, fprime, y: np.ndarray, h: np.ndarray, *, output_delta=output_delta, hidden_delta=hidden_delta) -> Layers:
    """Steps 1 and 2: delta^{(n_l)} from y and h, then back to delta^{(2)}; fprime[l] is f'(z^{(l)}). Either step
    can be swapped: notebook 09 swaps in the classic mistakes, another cost brings its own step 1 (notebook 11)."""
    n_l = max(W) + 1
    delta = Layers("delta", {n_l: output_delta(y, h, fprime.get(n_l))})
    for l in range(n_l - 1, 1, -1):
        delta[l] = hidden_delta(W[l], delta[l + 1], fprime[l])
    return delta


def gradients(a, delta: Layers, *, weight_gradient=weight_gradient) -> tuple[Layers, Layers]:
    """Step 3 for l = 1..n_l-1: dJ/dW[l] from delta[l+1] and a[l], and dJ/db[l] from delta[l+1]."""
    dW = Layers("dJ/dW", {l: weight_gradient(delta[l + 1], a[l]) for l in range(1, max(delta))})
    db = Layers("dJ/db", {l: bias_gradient(delta[l + 1]) for l in range(1, max(delta))})
    return dW, db


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


def multiplications(sizes) -> int:
    """Scalar multiplications in one backward pass for one example (notebook 05): s_{n_l} in step 1;
    s_{l+1} s_l for W^T delta and s_l for the product with f' in each step 2; s_{l+1} s_l in each step 3."""
    s, n_l = (None, *sizes), len(sizes)
    return s[n_l] + sum(s[l + 1] * s[l] + s[l] for l in range(2, n_l)) + sum(s[l + 1] * s[l] for l in range(1, n_l))
