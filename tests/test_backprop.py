"""bpteach.backprop: `backward` is the derivation top to bottom; its halves, Network's methods, the mistakes and the
unit-by-unit loops agree with it."""

import numpy as np
import pytest

import bpteach as bp
from bpteach import backprop, costs, loops, mistakes
from bpteach.activations import slope_at_z

CASES = [  # (sizes, activation, cost, weight decay, batch m or None)
    ([2, 3, 4, 3, 2], "sigmoid", "squared_error", 0.0, None),
    ([3, 5, 4, 2], ["relu", "tanh", "identity"], "squared_error", 0.2, 6),
    ([3, 4, 3], ["sigmoid", "softmax"], "cross_entropy", 0.0, None),
    ([3, 4, 4, 3], "tanh", "cross_entropy", 0.1, 5),
]


def _case(sizes, acts, cost, decay, m, seed=0):
    net = bp.Network(sizes, acts, seed=seed, cost=cost, weight_decay=decay)
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(size=(sizes[0],) if m is None else (sizes[0], m))
    n = 1 if m is None else m
    y = rng.dirichlet(np.ones(sizes[-1]), size=n).T if cost == "cross_entropy" else rng.uniform(size=(sizes[-1], n))
    return net, x, y[:, 0] if m is None else y


@pytest.mark.parametrize("case", CASES)
def test_backward_is_its_two_halves_and_the_decay_term(case):
    net, x, y = _case(*case)
    t = net.forward(x)
    fprime = net.fprime(t)
    g = backprop.backward(net.W, fprime, t, y, step1=net.cost_function.delta, weight_decay=net.weight_decay)
    delta = backprop.deltas(net.W, fprime, y, t.h, output_delta=net.cost_function.delta)
    dW, db = backprop.gradients(t.a, delta)
    assert list(g.delta) == list(delta) == list(range(net.n_l, 1, -1))
    for l in delta:  # exact: the same step functions on the same numbers
        np.testing.assert_array_equal(g.delta[l], delta[l])
        np.testing.assert_array_equal(net.deltas(x, y)[l], delta[l])
    for l in net.W:
        np.testing.assert_array_equal(g.W[l], dW[l] + costs.decay_gradient(net.W[l], net.weight_decay))
        np.testing.assert_array_equal(g.b[l], db[l])
        np.testing.assert_array_equal(net.gradients(x, y).W[l], g.W[l])
    assert bp.relative_error(g, bp.numerical_gradient(net, x, y)) < 1e-7


def test_a_softmax_output_is_said_to_have_no_slope():
    net, x, y = _case([3, 4, 3], ["tanh", "softmax"], "cross_entropy", 0.0, None)
    fprime = net.fprime(net.forward(x))
    assert fprime[3] is None and fprime[2] is not None
    with pytest.raises(TypeError):  # the squared error's step 1 cannot run on a softmax output by accident
        backprop.backward(net.W, fprime, net.forward(x), y)


def test_slope_read_off_a_is_the_slope_at_z_not_f_prime_of_a():
    z = np.linspace(-4, 4, 17)
    for f in (bp.sigmoid, bp.tanh):
        a = f.f(z)
        np.testing.assert_allclose(slope_at_z(f, z, a), f.df(z), rtol=1e-12, atol=1e-15)
        assert not np.allclose(slope_at_z(f, z, a), f.df(a), rtol=1e-3)  # the slip is another number
    for f in (bp.relu, bp.identity):  # no form in a: given z
        assert f.df_in_a is None
        np.testing.assert_array_equal(slope_at_z(f, z, f.f(z)), f.df(z))


def test_each_step_can_be_swapped_and_only_it_changes():
    net, x, y = _case([3, 3, 3, 3], "sigmoid", "squared_error", 0.0, None, seed=4)
    good = net.gradients(x, y)
    flipped = mistakes.sign_flipped(net, x, y)  # step 1 swapped: every dJ/dW exactly negated
    assert all(np.array_equal(flipped[l], -good.W[l]) for l in good.W)
    transposed = mistakes.outer_swapped(net, x, y)  # step 3 swapped
    assert all(np.array_equal(transposed[l], good.W[l].T) for l in good.W)


def test_the_notebook_helpers_moved_to_loops_and_still_import_from_backprop():
    from bpteach.backprop import gradients_by_loops, multiplications  # notebooks 05-07 and the grader

    assert gradients_by_loops is loops.gradients_by_loops and multiplications is loops.multiplications
    net, x, y = _case([2, 3, 4, 3, 2], "tanh", "squared_error", 0.0, None, seed=2)
    by_loops, g = gradients_by_loops(net, x, y), net.gradients(x, y)
    assert bp.relative_error(by_loops, g) < 1e-13
    assert multiplications(net.sizes) == 2 + (3 * 4 + 4) + (4 * 3 + 3) + (3 * 2 + 3) + (6 + 12 + 12 + 6) == 78
