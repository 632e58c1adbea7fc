"""The backward-pass mistakes learners make, kept runnable so they can fail a gradient check.

Each function takes (net, x, y) for one example and returns dJ/dW[l] for every l
with one classic slip in it (notebook 09). Each runs the real forward pass and the
real `backprop.backward` with one step swapped for a wrong one,
so that the slip is the only difference.
"""

from __future__ import annotations

import numpy as np

from . import backprop
from .layers import Layers


def _wrong_output_delta(y, h, fprime_z):
    return +(y - h) * fprime_z  # the minus sign of -(y - h) dropped


def _wrong_hidden_delta(W_l, delta_next, fprime_z):
    return (W_l @ delta_next) * fprime_z  # W where W^T is needed


def _wrong_weight_gradient(delta_next, a_l):
    return np.outer(a_l, delta_next)  # a delta^T where delta a^T is needed


def _dW(net, x, y, at_a: bool = False, **swap) -> Layers:
    """dJ/dW[l] by backprop.backward itself: f' fed a if `at_a`, the steps in `swap` (step1=...) swapped in."""
    t = net.forward(x)
    fprime = {l: net.activations[l].df(t.a[l] if at_a else t.z[l]) for l in t.z}
    return backprop.backward(net.W, fprime, t, net.check_y(y, t.h.shape), **swap).W


def fprime_at_a(net, x, y) -> Layers:
    """f'(a) where f'(z) is meant: the sigmoid's s(1-s) applied to a = s(z) a second time."""
    return _dW(net, x, y, at_a=True)


def missing_transpose(net, x, y) -> Layers:
    """W^{(l)} delta^{(l+1)} where the sum over the destination index needs W^{(l)T}."""
    return _dW(net, x, y, step2=_wrong_hidden_delta)


def sign_flipped(net, x, y) -> Layers:
    """delta^{(n_l)} = +(y - h) f'(z): the minus sign of -(y - h) dropped."""
    return _dW(net, x, y, step1=_wrong_output_delta)


def outer_swapped(net, x, y) -> Layers:
    """a delta^T where delta a^T is meant: the gradient comes out transposed."""
    return _dW(net, x, y, step3=_wrong_weight_gradient)


MISTAKES = {
    "f'(a) instead of f'(z)": fprime_at_a,
    "W instead of W^T in step 2": missing_transpose,
    "sign of -(y - h) dropped": sign_flipped,
    "a delta^T instead of delta a^T": outer_swapped,
}
