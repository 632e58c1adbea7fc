"""Bad input gets an error that names the layer and the shapes, never a wrong number."""

import numpy as np
import pytest

import bpteach as bp


@pytest.fixture
def net():
    return bp.Network.five_layer(seed=0)


@pytest.mark.parametrize("x", [np.zeros(3), np.zeros((3, 4)), np.zeros((2, 4, 1)), np.zeros(()), np.zeros((4, 2))])
def test_wrong_x_shape(net, x):
    with pytest.raises(ValueError, match=r"x: layer 1 has s_1 = 2 units.*\(2,\).*\(2, m\).*got"):
        net.forward(x)


def test_x_as_row_is_not_taken_as_batch(net):
    # (m, s_1) instead of (s_1, m) is the classic transpose; it must not run
    with pytest.raises(ValueError, match=r"got \(5, 2\)"):
        net.forward(np.zeros((5, 2)))


@pytest.mark.parametrize(
    "x, y, got",
    [
        (np.zeros(2), np.zeros(3), r"\(3,\)"),
        (np.zeros(2), np.zeros((2, 1)), r"\(2, 1\)"),
        (np.zeros((2, 4)), np.zeros(2), r"\(2,\)"),  # would broadcast silently
        (np.zeros((2, 4)), np.zeros((2, 3)), r"\(2, 3\)"),
        (np.zeros((2, 4)), np.zeros((4, 2)), r"\(4, 2\)"),
    ],
)
def test_wrong_y_shape(net, x, y, got):
    for call in (net.cost, net.deltas, net.gradients, bp.numerical_gradient):
        with pytest.raises(ValueError, match=r"y: must match the output h = a\^\(5\) of layer 5.*got " + got):
            call(net, x, y) if call is bp.numerical_gradient else call(x, y)


@pytest.mark.parametrize("l, shape", [(1, (2, 3)), (2, (3, 4)), (4, (2,)), (3, (3, 4, 1))])
def test_weight_assigned_with_wrong_shape(net, l, shape):
    expected = net.W[l].shape
    with pytest.raises(ValueError, match=rf"W\[{l}\]: expected shape \({expected[0]}, {expected[1]}\), got"):
        net.W[l] = np.zeros(shape)
    assert net.W[l].shape == expected  # unchanged


def test_bias_assigned_with_wrong_shape(net):
    with pytest.raises(ValueError, match=r"b\[2\]: expected shape \(4,\), got \(4, 1\)"):
        net.b[2] = np.zeros((4, 1))


def test_weight_for_a_layer_that_does_not_exist(net):
    with pytest.raises(ValueError, match=r"W\[5\] does not exist: W is defined for l = 1..4"):
        net.W[5] = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"W\[0\] does not exist"):
        net.W[0]
    with pytest.raises(bp.LayerIndexError, match=r"b\[9\] does not exist: b is defined for l = 1..4"):
        net.b[9]


def test_trace_names_the_layers_it_has(net):
    t = net.forward(np.zeros(2))
    with pytest.raises(ValueError, match=r"z\[1\] does not exist: z is defined for l = 2..5"):
        t.z[1]


def test_weight_assigned_with_non_numbers(net):
    with pytest.raises(TypeError, match=r"W\[1\]"):
        net.W[1] = [["a", "b"], ["c", "d"], ["e", "f"]]
    with pytest.raises(TypeError, match=r"W\[1\]"):
        net.W[1] = object()
    with pytest.raises(ValueError, match=r"W\[1\]: contains NaN"):
        net.W[1] = np.full((3, 2), np.nan)


@pytest.mark.parametrize("bad", ["softmax", "Sigmoid", ""])
def test_unknown_activation_lists_known_ones(bad):
    with pytest.raises(ValueError, match=rf"unknown activation '{bad}'; known: identity, relu, sigmoid, tanh"):
        bp.Network([2, 2], bad)
    with pytest.raises(ValueError, match=r"activation of layer 3: unknown activation"):
        bp.Network([2, 2, 2], ["tanh", bad])


def test_activation_list_of_wrong_length():
    with pytest.raises(ValueError, match=r"one name per layer 2..3 \(2 names\), got 3"):
        bp.Network([2, 2, 2], ["tanh", "tanh", "tanh"])
    with pytest.raises(TypeError, match="activation name"):
        bp.Network([2, 2], [3])


@pytest.mark.parametrize(
    "sizes, exc, msg",
    [
        ([3], ValueError, "at least 2 layers"),
        ([], ValueError, "at least 2 layers"),
        ([3, 0, 2], ValueError, r"s_2 \(layer 2\) must be at least 1, got 0"),
        ([3, -1], ValueError, r"s_2 \(layer 2\)"),
        ([3, 2.5], TypeError, r"s_2 \(layer 2\) must be an integer"),
        (5, TypeError, "list of layer widths"),
    ],
)
def test_bad_sizes(sizes, exc, msg):
    with pytest.raises(exc, match=msg):
        bp.Network(sizes)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input(net, bad):
    with pytest.raises(ValueError, match="x: contains NaN or infinity"):
        net.forward([0.0, bad])
    with pytest.raises(ValueError, match="y: contains NaN or infinity"):
        net.cost([0.0, 0.0], [bad, 0.0])


def test_non_numeric_input(net):
    with pytest.raises(TypeError, match="x: expected real numbers"):
        net.forward(["a", "b"])
    with pytest.raises(TypeError, match="x: expected real numbers"):
        net.forward([1 + 2j, 0])


@pytest.mark.parametrize(
    "l, i, j, msg",
    [
        (0, 0, 0, r"l \(the weight's layer\): expected a layer number in 1..4, got 0"),
        (5, 0, 0, r"expected a layer number in 1..4, got 5"),
        (1, 3, 0, r"i: W\[1\] has shape \(3, 2\), so the destination index i must be in 0..2 .*got 3"),
        (1, -1, 0, r"i: W\[1\].*got -1"),
        (2, 0, 3, r"j: W\[2\] has shape \(4, 3\), so the source index j must be in 0..2 .*got 3"),
        (2, 0, 1.0, r"j: .*got 1.0"),
    ],
)
def test_path_sum_indexes_out_of_range(net, l, i, j, msg):
    with pytest.raises(ValueError, match=msg):
        bp.path_sum(net, np.zeros(2), np.zeros(2), l, i, j)


def test_relative_error_shape_mismatch():
    with pytest.raises(ValueError, match="shapes differ"):
        bp.relative_error(np.zeros(3), np.zeros(4))
    assert bp.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert bp.relative_error([1.0, 0.0], [-1.0, 0.0]) == 1.0
