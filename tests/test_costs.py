"""Costs and weight decay against independent references: central differences, the softmax's Jacobian, path sums."""

import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from strategies import ANY_COST, ANY_DECAY, SQUARED_ERROR, agrees_with_central_differences, networks, targets

import bpteach as bp
from bpteach import costs
from bpteach.layers import Layers


@settings(max_examples=150, deadline=None)
@given(networks(cost=ANY_COST, decay=ANY_DECAY, max_depth=6, max_width=5))
def test_every_cost_and_decay_matches_central_differences(case):
    net, x, y = case
    ok, why = agrees_with_central_differences(net, x, y)
    assert ok, why


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(costs.COSTS)), st.integers(1, 6), st.integers(0, 2**32 - 1))
@example("cross_entropy", 3, 8040)  # h_p near 4e-5: failed with a fixed step in h
def test_output_delta_is_dJ_dz_by_central_differences(name, s, seed):
    cost, rng = costs.get_cost(name), np.random.default_rng(seed)
    s = max(s, 2) if cost.output is not None else s
    f = cost.output or bp.ACTIVATIONS[["sigmoid", "tanh", "identity"][seed % 3]]
    z, y = rng.normal(0, 2, s), targets(rng, name, s, None)
    eps, num = 1e-6, np.zeros(s)
    for p in range(s):
        up, down = z.copy(), z.copy()
        up[p] += eps
        down[p] -= eps
        num[p] = (cost.J(y, f.f(up)) - cost.J(y, f.f(down))) / (2 * eps)
    h = f.f(z)
    np.testing.assert_allclose(cost.delta(y, h, None if cost.output else f.df(z)), num, rtol=1e-6, atol=1e-9)
    # dJ/dh against differences in h itself (h as free variables, not through f)
    # The step is relative for cross-entropy: -y log h curves ever faster as h nears 0, and a central
    # difference's relative error is about (step / h)^2 / 3 (a fixed 1e-7 at h = 4e-5 was 3e-5 off: hypothesis
    # found it, seed 8040). Squared error has no third derivative: a fixed step is exact but for rounding.
    for p in range(s):
        step = 1e-4 * abs(h[p]) if name == "cross_entropy" else 1e-7
        up, down = h.copy(), h.copy()
        up[p] += step
        down[p] -= step
        num_h = (cost.J(y, up) - cost.J(y, down)) / (2 * step)
        assert cost.dJ_dh(y, h)[p] == pytest.approx(num_h, rel=1e-5, abs=1e-8)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 7), st.integers(0, 2**32 - 1))
def test_cross_entropy_delta_is_the_softmax_coupling_summed(s, seed):
    # delta_p = sum_r dJ/dh_r dh_r/dz_p: unrolled over every output r, it collapses to h_p - y_p
    rng = np.random.default_rng(seed)
    z, y = rng.normal(0, 3, s), rng.dirichlet(np.ones(s))
    h, jac = costs.softmax(z), costs.softmax_jacobian(z)
    unrolled = np.array([sum(costs.cross_entropy.dJ_dh(y, h)[r] * jac[r, p] for r in range(s)) for p in range(s)])
    np.testing.assert_allclose(unrolled, h - y, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(costs.cross_entropy.delta(y, h, None), h - y, rtol=0, atol=0)
    num = np.array([(costs.softmax(z + 1e-6 * e) - costs.softmax(z - 1e-6 * e)) / 2e-6 for e in np.eye(s)]).T
    np.testing.assert_allclose(jac, num, rtol=1e-6, atol=1e-9)


def _path_sum_from_delta(net, x, y, l, i, j):
    """dJ/dW^{(l)}_{i<-j} as a sum over paths that starts from the cost's delta^{(n_l)} (one example)."""
    t = net.forward(x)
    n_l = net.n_l
    d_out = net.cost_function.delta(y, t.h, net.fprime(t).get(n_l))
    fp = {m: net.activations[m].df(t.z[m]) for m in range(l + 1, n_l)}
    total, n = 0.0, 0
    for units in itertools.product(*[range(net.s(m)) for m in range(l + 2, n_l + 1)]):
        path = (i, *units)
        term = d_out[path[-1]]
        for m in range(n_l - 1, l, -1):
            term *= net.W[m][path[m + 1 - (l + 1)], path[m - (l + 1)]] * fp[m][path[m - (l + 1)]]
        total += term * t.a[l][j]
        n += 1
    return total, n


@settings(max_examples=25, deadline=None)
@given(networks(cost=ANY_COST, max_depth=6, max_width=5))
def test_path_sum_from_the_cost_delta_equals_backprop(case):
    net, x, y = case
    x, y = (x, y) if x.ndim == 1 else (x[:, 0], y[:, 0])
    g = net.gradients(x, y)
    for l in range(1, net.n_l):
        for i, j in np.ndindex(net.W[l].shape):
            value, n = _path_sum_from_delta(net, x, y, l, i, j)
            assert n == int(np.prod(net.sizes[l + 1 :]))
            assert value == pytest.approx(g.W[l][i, j], rel=1e-9, abs=1e-13)


@settings(max_examples=25, deadline=None)
@given(networks(cost=SQUARED_ERROR, decay=st.sampled_from([0.05, 0.7]), max_depth=6, max_width=5))
def test_weight_decay_adds_lambda_W_to_the_path_sum(case):
    net, x, y = case
    g = net.gradients(x, y)
    for l in range(1, net.n_l):
        for i, j in np.ndindex(net.W[l].shape):
            naive = bp.path_sum(net, x, y, l, i, j).value  # the data term alone: decay adds no path
            assert naive + net.weight_decay * net.W[l][i, j] == pytest.approx(g.W[l][i, j], rel=1e-9, abs=1e-13)


@pytest.mark.parametrize("cost", sorted(costs.COSTS))
def test_weight_decay_changes_dW_only(cost):
    plain = bp.Network([3, 4, 3], "tanh", seed=4, cost=cost)
    decayed = bp.Network([3, 4, 3], "tanh", seed=4, cost=cost, weight_decay=0.3)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 5)), targets(rng, cost, 3, 5)
    g0, g1 = plain.gradients(x, y), decayed.gradients(x, y)
    # exact: backward adds decay_gradient = 0.3 * W to the same dW, the same operations in the same order
    for l in plain.W:
        np.testing.assert_array_equal(g1.b[l], g0.b[l])
        np.testing.assert_array_equal(g1.W[l], g0.W[l] + 0.3 * plain.W[l])
    for l in range(2, 4):
        np.testing.assert_array_equal(decayed.deltas(x, y)[l], plain.deltas(x, y)[l])
    extra = 0.15 * sum(np.sum(plain.W[l] ** 2) for l in plain.W)
    assert decayed.cost(x, y) == pytest.approx(plain.cost(x, y) + extra, rel=1e-14)


def test_squared_error_is_the_default_and_unchanged():
    net, same = bp.Network.five_layer(seed=0), bp.Network([2, 3, 4, 3, 2], seed=0, cost="squared_error")
    x, y = np.array([0.5, -0.3]), np.array([1.0, 0.0])
    assert net.cost_function is costs.squared_error and net.weight_decay == 0.0
    t = net.forward(x)
    # J is np.sum of the squares; the dot product reduces in another order (BLAS, SIMD), so the two
    # agree to a few ulps, not bit for bit (numpy 1.24 on an AVX-512 Xeon differed in the last bit)
    assert net.cost(x, y) == pytest.approx(0.5 * float((y - t.h) @ (y - t.h)), rel=4 * np.finfo(float).eps)
    assert net.cost(x, y) == same.cost(x, y)  # exact: the same function on the same numbers
    # exact: output_delta computes -(y - h) * f'(z) in this order, and f'(z) is sigmoid.df itself
    expected = -(y - t.h) * bp.sigmoid.df(t.z[5])
    np.testing.assert_array_equal(net.deltas(x, y)[5], expected)
    assert repr(net) == "Network(sizes=[2, 3, 4, 3, 2], activation=sigmoid/sigmoid/sigmoid/sigmoid, dtype=float64)"


def test_cross_entropy_worked_by_hand():
    # z = (0, log 3): h = (1/4, 3/4); y = (1, 0): J = -log(1/4) = log 4, delta = h - y = (-3/4, 3/4)
    net = bp.Network([1, 2], "identity", cost="cross_entropy")
    net.W[1] = [[0.0], [np.log(3.0)]]
    net.b[1] = [0.0, 0.0]
    x, y = np.array([1.0]), np.array([1.0, 0.0])
    np.testing.assert_allclose(net.forward(x).h, [0.25, 0.75], rtol=1e-15)
    assert net.cost(x, y) == pytest.approx(np.log(4.0), rel=1e-15)
    np.testing.assert_allclose(net.deltas(x, y)[2], [-0.75, 0.75], rtol=1e-15)
    np.testing.assert_allclose(net.gradients(x, y).W[1], [[-0.75], [0.75]], rtol=1e-15)
    assert repr(net) == "Network(sizes=[1, 2], activation=softmax, dtype=float64, cost=cross_entropy)"


def test_cross_entropy_batch_is_the_mean_of_examples():
    net = bp.Network([3, 4, 3], "tanh", seed=2, cost="cross_entropy", weight_decay=0.1)
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(3, 6)), np.eye(3)[:, rng.integers(0, 3, 6)]
    batch, singles = net.gradients(x, y), [net.gradients(x[:, c], y[:, c]) for c in range(6)]
    for l in net.W:
        np.testing.assert_allclose(batch.W[l], np.mean([g.W[l] for g in singles], axis=0), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(batch.b[l], np.mean([g.b[l] for g in singles], axis=0), rtol=1e-12, atol=1e-15)
    assert net.cost(x, y) == pytest.approx(np.mean([net.cost(x[:, c], y[:, c]) for c in range(6)]), rel=1e-12)


def test_softmax_is_stable_and_keeps_dtype():
    with np.errstate(over="raise", invalid="raise"):
        h = costs.softmax(np.array([1000.0, 0.0, -1000.0]))
    assert h.tolist() == [1.0, 0.0, 0.0]
    z32 = np.array([[1.0, 2.0], [3.0, -1.0]], dtype=np.float32)
    assert costs.softmax(z32).dtype == np.float32
    np.testing.assert_allclose(costs.softmax(z32).sum(axis=0), 1.0, rtol=1e-6)
    # an output that underflows to 0 where y is 0 costs nothing, not NaN (exact: log(1) = 0 in every libm)
    assert costs.cross_entropy.J(np.array([1.0, 0.0, 0.0]), h) == 0.0


def test_copy_keeps_cost_and_decay():
    net = bp.Network([2, 3, 3], "relu", seed=1, cost="cross_entropy", weight_decay=0.2)
    other = net.copy()
    assert other.cost_function is costs.cross_entropy and other.weight_decay == 0.2
    assert other.activations[3] is costs.SOFTMAX and other.activations[2].name == "relu"
    x, y = np.array([0.1, -0.4]), np.array([0.2, 0.3, 0.5])
    assert other.cost(x, y) == net.cost(x, y)  # exact: a copy runs the same operations on the same numbers


def test_decay_helpers():
    W = Layers("W", {1: np.array([[1.0, -2.0]]), 2: np.array([[3.0]])})
    assert costs.decay_cost(W, 0.5) == 0.25 * (1 + 4 + 9)
    np.testing.assert_array_equal(costs.decay_gradient(W[1], 0.5), [[0.5, -1.0]])


# -- bad input: the message names what was expected and what came ---------------------------


def test_unknown_cost_lists_known_ones():
    with pytest.raises(ValueError, match=r"cost: unknown cost 'mse'; known: cross_entropy, squared_error"):
        bp.Network([2, 2], cost="mse")
    with pytest.raises(TypeError, match=r"cost: expected a cost name \(str\), got int"):
        bp.Network([2, 2], cost=3)


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (-0.1, ValueError, r"weight_decay: expected a finite number lambda >= 0, got -0.1"),
        (float("nan"), ValueError, r"weight_decay: expected a finite number lambda >= 0, got nan"),
        ("0.1", TypeError, r"weight_decay: expected a number lambda >= 0, got str"),
        (True, TypeError, r"weight_decay: expected a number lambda >= 0, got bool"),
    ],
)
def test_bad_weight_decay(bad, error, message):
    with pytest.raises(error, match=message):
        bp.Network([2, 2], weight_decay=bad)


def test_cross_entropy_needs_a_softmax_output_and_distributions():
    with pytest.raises(ValueError, match=r"activation of layer 3: cost='cross_entropy' expected a softmax output"
                       r" layer, got 'sigmoid'"):
        bp.Network([2, 3, 2], ["tanh", "sigmoid"], cost="cross_entropy")
    net = bp.Network([2, 3, 2], ["tanh", "softmax"], cost="cross_entropy")
    assert net.activations[3] is costs.SOFTMAX
    with pytest.raises(ValueError, match=r"y: cross-entropy expected each example to be a probability vector"
                       r" \(entries >= 0 summing to 1\), got entries from 0.5 to 1 with sums \[1.5\]"):
        net.gradients(np.zeros(2), [1.0, 0.5])
    with pytest.raises(ValueError, match=r"got entries from -0.5 to 1.5"):
        net.cost(np.zeros(2), [1.5, -0.5])
    with pytest.raises(ValueError, match=r"y: must match the output h = a\^\(3\)"):  # the shape check still comes first
        net.cost(np.zeros(2), [1.0])


def test_softmax_refuses_a_per_unit_slope():
    net = bp.Network([2, 3, 2], cost="cross_entropy")
    with pytest.raises(ValueError, match=r"softmax: expected to be differentiated through its cost"):
        bp.path_sum(net, np.zeros(2), np.array([1.0, 0.0]), 1, 0, 0)
    with pytest.raises(ValueError, match=r"softmax_jacobian: expected one example, z of shape \(s,\); got \(2, 3\)"):
        costs.softmax_jacobian(np.zeros((2, 3)))
