"""Notebook 13's claims beyond its one network: bpteach's delta-based gradients equal PyTorch's autograd
(float64) for other sizes, activations and seeds, and the install route keeps torch to its CPU build."""

import importlib.util
import pathlib
import re

import numpy as np
import pytest

import bpteach as bp

# torch is imported by the tests that use it, not when the file is collected: every pytest-xdist worker
# of `make test` collects this file, and `import torch` costs each about 2 s of CPU
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="the `practice` extra (PyTorch) is not installed")
ROOT = pathlib.Path(__file__).resolve().parents[1]


def _torch_gradients(net, X, Y, activation):
    import torch  # here, not at the top of the file: see needs_torch

    f = {"sigmoid": torch.sigmoid, "tanh": torch.tanh}[activation]
    W = {l: torch.tensor(net.W[l], requires_grad=True) for l in net.W}
    b = {l: torch.tensor(net.b[l], requires_grad=True) for l in net.W}
    a, n_l, m = torch.tensor(X), net.n_l, X.shape[1]
    for l in range(1, n_l):
        z = W[l] @ a + b[l][:, None]
        a = f(z)
    Y = torch.tensor(Y)
    if net.cost_function is bp.costs.squared_error:
        J = 0.5 * ((Y - a) ** 2).sum() / m
    else:
        J = -(Y * torch.log_softmax(z, dim=0)).sum() / m
    J.backward()
    return J.item(), {l: W[l].grad.numpy() for l in W}, {l: b[l].grad.numpy() for l in b}


@needs_torch
@pytest.mark.parametrize("cost", ["squared_error", "cross_entropy"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_delta_gradients_equal_autograd(cost, activation, seed):
    rng = np.random.default_rng(seed)
    sizes = [int(n) for n in rng.integers(2, 7, size=5)]
    net = bp.Network(sizes, activation=activation, cost=cost, seed=seed)
    m = int(rng.integers(1, 9))
    X = rng.normal(size=(sizes[0], m))
    one_hot = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)].T
    Y = rng.uniform(size=(sizes[-1], m)) if cost == "squared_error" else one_hot
    g = net.gradients(X, Y)
    J, dW, db = _torch_gradients(net, X, Y, activation)
    assert J == pytest.approx(net.cost(X, Y), rel=1e-13)
    for l in net.W:
        for ours, theirs in ((g.W[l], dW[l]), (g.b[l], db[l])):
            assert np.max(np.abs(ours - theirs)) <= 1e-10 * np.max(np.abs(ours)), (cost, activation, l)


@needs_torch
def test_a_wrong_delta_is_caught_by_the_comparison():
    """The comparison can fail: delta without f' on a hidden layer differs from autograd by far more than 1e-10."""
    rng = np.random.default_rng(0)
    net = bp.Network([2, 3, 4, 3, 2], seed=0)
    X, Y = rng.normal(size=(2, 4)), rng.uniform(size=(2, 4))
    trace = net.forward(X)
    fprime = net.fprime(trace)
    wrong = bp.backprop.backward(net.W, fprime, trace, Y, step2=lambda W_l, d, fp: W_l.T @ d)
    _, dW, _ = _torch_gradients(net, X, Y, "sigmoid")
    assert np.max(np.abs(wrong.W[1] - dW[1])) > 1e-3 * np.max(np.abs(dW[1]))


def test_make_installs_the_cpu_torch_first_and_test_oldest_leaves_notebook_13_out():
    make = (ROOT / "Makefile").read_text()
    extras = re.search(r"^EXTRAS \?= (.*)$", make, re.M).group(1).split(",")
    assert "practice" in extras
    stamp = make.split("$(STAMP):", 1)[1].split("\n\n", 1)[0]
    assert stamp.index("$(TORCH)") < stamp.index("-e '.[$(EXTRAS)]'")  # the pin before the extra's range
    assert re.search(r"^TORCH +\?= torch==2\.13\.0$", make, re.M)
    oldest = make.split("test-oldest: $(STAMP_OLDEST)", 1)[1].split("\n\n", 1)[0]
    assert "--ignore=notebooks/13-practice-with-pytorch.ipynb" in oldest
    assert "--ignore=tests/test_practice.py" in oldest
