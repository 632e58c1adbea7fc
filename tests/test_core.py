"""The core maths: backprop against independent references (finite differences, path sums, hand work)."""

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import agrees_with_central_differences, networks

import bpteach as bp


def _data(net, rng, m):
    shape_x = (net.sizes[0],) if m is None else (net.sizes[0], m)
    shape_y = (net.sizes[-1],) if m is None else (net.sizes[-1], m)
    return rng.normal(size=shape_x), rng.uniform(-1, 1, size=shape_y)


@settings(max_examples=150, deadline=None)
@given(networks())
def test_backprop_matches_central_differences(case):
    net, x, y = case
    ok, why = agrees_with_central_differences(net, x, y)
    assert ok, why


@settings(max_examples=25, deadline=None)
@given(networks())
def test_path_sum_equals_backprop_for_every_weight(case):
    net, x, y = case
    g = net.gradients(x, y)
    for l in range(1, net.n_l):
        between = int(np.prod(net.sizes[l + 1 :]))  # widths of layers l+2..n_l
        for i, j in np.ndindex(net.W[l].shape):
            ps = bp.path_sum(net, x, y, l, i, j)
            assert ps.n_terms == between
            assert ps.value == pytest.approx(g.W[l][i, j], rel=1e-9, abs=1e-13)


def test_five_layer_path_count_and_every_term_listed():
    net = bp.Network.five_layer(seed=3)
    x, y = np.array([0.4, -0.8]), np.array([0.9, 0.1])
    terms = list(bp.path_terms(net, x, y, 1, 2, 1))
    assert len(terms) == 4 * 3 * 2  # s_3 * s_4 * s_5
    assert len({t.path for t in terms}) == 24 and all(t.path[:2] == (1, 2) for t in terms)
    assert sum(t.value for t in terms) == pytest.approx(net.gradients(x, y).W[1][2, 1], rel=1e-12)
    assert bp.path_sum(net, x, y, 4, 0, 0).n_terms == 1  # the last layer's weight has a single path


@pytest.mark.parametrize("acts", ["sigmoid", "tanh", ["relu", "tanh", "identity"]])
def test_batch_gradient_is_mean_of_per_example_gradients(acts):
    net = bp.Network([3, 5, 4, 2], acts, seed=11)
    x, y = _data(net, np.random.default_rng(5), 7)
    batch = net.gradients(x, y)
    singles = [net.gradients(x[:, c], y[:, c]) for c in range(7)]
    for l in net.W:
        np.testing.assert_allclose(batch.W[l], np.mean([g.W[l] for g in singles], axis=0), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(batch.b[l], np.mean([g.b[l] for g in singles], axis=0), rtol=1e-12, atol=1e-15)
    assert net.cost(x, y) == pytest.approx(np.mean([net.cost(x[:, c], y[:, c]) for c in range(7)]))
    for l in range(2, net.n_l + 1):
        d = net.deltas(x, y)[l]
        np.testing.assert_allclose(d[:, 3], net.deltas(x[:, 3], y[:, 3])[l], rtol=1e-12)


def _tiny(hidden):
    net = bp.Network([2, 1, 1], [hidden, "identity"])
    net.W[1] = [[1.0, -0.5]]
    net.b[1] = [0.0]
    net.W[2] = [[2.0]]
    net.b[2] = [1.0]
    return net


def test_tiny_network_worked_by_hand_sigmoid():
    # x = (1, 2): z2 = 1*1 - 0.5*2 + 0 = 0, a2 = sigma(0) = 0.5, f'(z2) = 0.25
    # z3 = 2*0.5 + 1 = 2 = h; y = 1: J = 0.5*(1-2)^2 = 0.5
    # delta3 = -(1-2)*1 = 1; delta2 = 2*1*0.25 = 0.5
    # dW2 = delta3*a2 = 0.5, db2 = 1, dW1 = 0.5*(1, 2) = (0.5, 1.0), db1 = 0.5
    # exact comparisons: every value here is a small dyadic rational and sigma(0) = 1 / (1 + exp(0)) with
    # exp(0) = 1 in every libm, so float64 computes them without rounding on any CPU
    net, x, y = _tiny("sigmoid"), np.array([1.0, 2.0]), np.array([1.0])
    t = net.forward(x)
    assert t.z[2][0] == 0.0 and t.a[2][0] == 0.5 and t.h[0] == 2.0
    assert net.cost(x, y) == 0.5
    d = net.deltas(x, y)
    assert d[3][0] == 1.0 and d[2][0] == 0.5
    g = net.gradients(x, y)
    np.testing.assert_array_equal(g.W[2], [[0.5]])
    np.testing.assert_array_equal(g.b[2], [1.0])
    np.testing.assert_array_equal(g.W[1], [[0.5, 1.0]])
    np.testing.assert_array_equal(g.b[1], [0.5])


def test_tiny_network_worked_by_hand_identity():
    # identity hidden unit: z2 = a2 = 0, h = 1 = y, so J = 0 and every gradient vanishes;
    # with y = 3: delta3 = -(3-1) = -2, delta2 = 2*(-2)*1 = -4, dW1 = -4*(1, 2), dW2 = -2*0 = 0
    net, x = _tiny("identity"), np.array([1.0, 2.0])  # small integers: exact on any CPU
    assert net.cost(x, [1.0]) == 0.0
    g = net.gradients(x, [3.0])
    np.testing.assert_array_equal(g.W[1], [[-4.0, -8.0]])
    np.testing.assert_array_equal(g.b[1], [-4.0])
    np.testing.assert_array_equal(g.W[2], [[0.0]])
    np.testing.assert_array_equal(g.b[2], [-2.0])
    assert net.cost(x, [3.0]) == 2.0


def test_activations_derivatives_match_differences():
    z = np.linspace(-4, 4, 41) + 0.013  # stays clear of relu's kink at 0
    for act in bp.ACTIVATIONS.values():
        num = (act.f(z + 1e-6) - act.f(z - 1e-6)) / 2e-6
        np.testing.assert_allclose(act.df(z), num, rtol=1e-6, atol=1e-9, err_msg=act.name)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow, float64 or float32
        for dtype in (np.float64, np.float32):
            lo, hi = bp.sigmoid.f(np.array([-1000.0, 1000.0], dtype=dtype)).tolist()
            assert 0.0 <= lo < 1e-30 and hi == 1.0  # exact: 1 / (1 + exp(-1000)) = 1 / (1 + 0)


def test_activations_take_scalars_and_zero_d_arrays():
    for act in bp.ACTIVATIONS.values():
        assert np.shape(act.f(np.array(0.5))) == () and np.shape(act.df(np.array(0.5))) == ()
        assert float(act.df(0.5)) == pytest.approx(float(act.df(np.array([0.5]))[0]))


def test_fprime_of_a_trace_is_the_slope_at_z():
    net = bp.Network([3, 4, 4, 4, 2], ["sigmoid", "tanh", "relu", "identity"], seed=0)
    trace = net.forward(np.random.default_rng(0).normal(size=(3, 5)) * 3)
    fprime = net.fprime(trace)
    assert sorted(fprime) == [2, 3, 4, 5]
    for l in fprime:
        np.testing.assert_allclose(fprime[l], net.activations[l].df(trace.z[l]), rtol=1e-12, atol=1e-15)


def test_mistakes_run_the_real_steps_with_one_swapped():
    from bpteach import mistakes

    net = bp.Network([3, 3, 3, 3], seed=4)
    x, y = np.array([0.2, -0.5, 0.9]), np.array([0.1, 0.8, 0.4])
    good = net.gradients(x, y).W
    unchanged = mistakes._dW(net, x, y)  # nothing swapped: exactly bpteach's gradients
    assert all(np.array_equal(unchanged[l], good[l]) for l in good)
    assert all(np.array_equal(mistakes.sign_flipped(net, x, y)[l], -good[l]) for l in good)
    assert all(np.array_equal(mistakes.outer_swapped(net, x, y)[l], good[l].T) for l in good)

    def flat(W):
        return np.concatenate([W[l].ravel() for l in sorted(W)])

    for wrong in mistakes.MISTAKES.values():
        assert bp.relative_error(flat(wrong(net, x, y)), flat(good)) > 1e-3
    with pytest.raises(ValueError):  # W instead of W^T cannot even run on non-square layers
        mistakes.missing_transpose(bp.Network.five_layer(), np.zeros(2), np.zeros(2))


def test_shapes_and_layer_numbers_follow_the_text():
    net = bp.Network.five_layer()
    assert net.letters == ("j", "i", "k", "q", "p") and net.n_l == 5
    for l in range(1, 5):
        assert net.W[l].shape == (net.s(l + 1), net.s(l)) and net.b[l].shape == (net.s(l + 1),)
    t = net.forward(np.zeros((2, 6)))
    assert sorted(t.z) == [2, 3, 4, 5] and sorted(t.a) == [1, 2, 3, 4, 5]
    assert t.a[3].shape == (4, 6)
    assert sorted(net.deltas(np.zeros(2), np.zeros(2))) == [2, 3, 4, 5]


def test_weights_are_writable_in_place_and_by_assignment():
    net = bp.Network.five_layer(seed=1)
    x, y = np.array([0.3, 0.7]), np.array([0.0, 1.0])
    before = net.cost(x, y)
    net.W[2][1, 0] += 0.5
    moved = net.cost(x, y)
    assert moved != before
    net.W[2] = net.W[2] - np.eye(4, 3)
    assert net.cost(x, y) != moved
    assert net.W[2].dtype == np.float64


def test_float32_network_runs_in_float32():
    net = bp.Network([3, 4, 2], "tanh", seed=0, dtype="float32")
    g = net.gradients(np.ones(3), np.zeros(2))
    assert g.W[1].dtype == np.float32 and net.forward(np.ones((3, 2))).h.dtype == np.float32


def test_copy_is_independent():
    net = bp.Network.five_layer(seed=2, activation=["tanh", "relu", "identity", "sigmoid"])
    other = net.copy()
    other.W[1][0, 0] = 5.0
    assert net.W[1][0, 0] != 5.0 and other.letters == net.letters
    assert other.activations == net.activations and other.dtype == net.dtype


def test_from_params_copies_the_parameters_and_reads_the_sizes():
    W = {1: np.arange(6.0).reshape(3, 2), 2: np.ones((1, 3))}
    b = {1: np.zeros(3), 2: np.array([0.5])}
    net = bp.Network.from_params(W, b, ["tanh", "identity"], dtype="float32")
    assert net.sizes == [2, 3, 1] and net.W[1].dtype == np.float32
    np.testing.assert_array_equal(net.W[1], W[1])
    W[1][0, 0] = 9.0
    assert net.W[1][0, 0] == 0.0  # a copy, not a view
    assert net.forward(np.array([1.0, 0.0])).h == pytest.approx(np.tanh([0.0, 2.0, 4.0]).sum() + 0.5)
    with pytest.raises(ValueError, match=r"b\[2\]: expected shape \(1,\), got \(2,\)"):
        bp.Network.from_params(W, {1: np.zeros(3), 2: np.zeros(2)})
