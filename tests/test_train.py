"""bpteach.train: a step returns the network's own J before it (its cost, with its weight decay)."""

import numpy as np
import pytest

import bpteach as bp
from bpteach import train


def _batch(net, cost, m, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(net.sizes[0], m))
    if cost == "cross_entropy":
        return X, rng.dirichlet(np.ones(net.sizes[-1]), size=m).T  # one probability vector per column
    return X, rng.uniform(size=(net.sizes[-1], m))


@pytest.mark.parametrize(
    "cost, weight_decay",
    [("squared_error", 0.0), ("cross_entropy", 0.0), ("squared_error", 0.3), ("cross_entropy", 0.3)],
)
def test_step_returns_the_networks_own_J_before_the_step(cost, weight_decay):
    net = bp.Network([3, 5, 4, 3], "tanh", seed=1, cost=cost, weight_decay=weight_decay)
    X, Y = _batch(net, cost, 8, seed=2)
    before = net.copy()
    J = train.step(net, X, Y, lr=0.5)
    # Exact: step's J is net.cost run on the forward pass its gradients ran, and that pass is the same
    # operations on the same numbers as before.cost's own, so the two floats are one float.
    assert J == before.cost(X, Y)
    squared_error_alone = 0.5 * float(np.sum((Y - before.forward(X).h) ** 2)) / X.shape[1]
    assert (J == squared_error_alone) == (cost == "squared_error" and weight_decay == 0.0)  # the old, wrong J
    g = before.gradients(X, Y)
    for l in net.W:  # and the step itself is W - lr dJ/dW, b - lr dJ/db
        np.testing.assert_array_equal(net.W[l], before.W[l] - 0.5 * g.W[l])
        np.testing.assert_array_equal(net.b[l], before.b[l] - 0.5 * g.b[l])


def test_step_J_counts_weight_decay_as_written_in_notebook_11():
    plain = bp.Network([2, 4, 2], "tanh", seed=3, cost="cross_entropy")
    decayed = bp.Network([2, 4, 2], "tanh", seed=3, cost="cross_entropy", weight_decay=0.2)
    X, Y = _batch(plain, "cross_entropy", 5, seed=4)
    extra = 0.1 * sum(float(np.sum(plain.W[l] ** 2)) for l in plain.W)  # lambda/2 sum_l ||W^(l)||^2
    # a tolerance here: the same sum in another order (notebook 11 writes it so)
    assert train.step(decayed, X, Y, 0.1) == pytest.approx(train.step(plain, X, Y, 0.1) + extra, rel=1e-14)


def test_a_training_run_falls_in_the_networks_own_J():
    net = bp.Network([2, 6, 2], "tanh", seed=5, cost="cross_entropy", weight_decay=0.01)
    X, Y = _batch(net, "cross_entropy", 20, seed=6)
    J0 = net.cost(X, Y)
    losses = train.train(net, X, Y, lr=0.5, epochs=30)
    assert losses[-1] == net.cost(X, Y) and losses[-1] < losses[0] < J0
