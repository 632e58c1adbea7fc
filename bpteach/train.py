"""Gradient descent with the gradients of backprop (notebook 08).

The update subtracts: delta carries the minus sign of -(y - h), so dJ/dW points
uphill and W <- W - eta * dJ/dW goes downhill.
"""

from __future__ import annotations

import numpy as np


def step(net, X, Y, lr: float) -> float:
    """One gradient-descent step on the mean cost of the batch; returns J before the step, the network's own
    (its cost, with its weight decay): net.cost(X, Y) from the forward pass the gradients already ran."""
    g = net.gradients(X, Y)
    J = net.cost(X, Y, trace=g.trace)  # before the update: the decay term reads W
    for l in net.W:
        net.W[l] -= lr * g.W[l]
        net.b[l] -= lr * g.b[l]
    return J


def train(
    net,
    X,
    Y,
    *,
    lr: float = 1.0,
    epochs: int = 1000,
    batch_size: int | None = None,
    seed: int = 0,
    every: int | None = None,
) -> list[float]:
    """Train in place; return the cost of the whole data set after each epoch.

    `every=k` prints a progress line every k epochs, so a long run shows it is alive.
    """
    X, Y = np.asarray(X, dtype=net.dtype), np.asarray(Y, dtype=net.dtype)
    m = X.shape[1]
    rng = np.random.default_rng(seed)
    losses = []
    for epoch in range(1, epochs + 1):
        if batch_size is None or batch_size >= m:
            step(net, X, Y, lr)
        else:
            order = rng.permutation(m)
            for start in range(0, m, batch_size):
                cols = order[start : start + batch_size]
                step(net, X[:, cols], Y[:, cols], lr)
        losses.append(net.cost(X, Y))
        if every and (epoch % every == 0 or epoch == epochs):
            print(f"epoch {epoch:>5}/{epochs}  J = {losses[-1]:.4f}  {_bar(epoch / epochs)}", flush=True)
    return losses


def accuracy(net, X, Y) -> float:
    """Fraction of examples whose output, thresholded at 0.5, equals the 0/1 label."""
    return float(np.mean((net.forward(X).h > 0.5) == (np.asarray(Y) > 0.5)))


def _bar(frac: float, width: int = 20) -> str:
    n = round(frac * width)
    return "[" + "#" * n + "." * (width - n) + "]"
