"""The backward-pass mistakes learners make, kept runnable so they can fail a gradient check.

Each function takes (net, x, y) for one example and returns dJ/dW[l] for every l
with one classic slip in it (notebook 09). They reuse the real forward pass so
that the slip is the only difference.
"""

from __future__ import annotations

import numpy as np

from .layers import Layers


def _backward(net, x, y, *, fprime_at_a=False, no_transpose=False, sign=-1.0, outer_swapped=False):
    t = net.forward(x)
    n_l = net.n_l

    def fp(l):
        return net.activations[l].df(t.a[l] if fprime_at_a else t.z[l])

    delta = {n_l: sign * (y - t.h) * fp(n_l)}
    for l in range(n_l - 1, 1, -1):
        W = net.W[l] if no_transpose else net.W[l].T
        delta[l] = (W @ delta[l + 1]) * fp(l)
    W = Layers("dJ/dW (with a mistake)")
    for l in range(1, n_l):
        W[l] = np.outer(t.a[l], delta[l + 1]) if outer_swapped else np.outer(delta[l + 1], t.a[l])
    return W


def fprime_at_a(net, x, y):
    """f'(a) where f'(z) is meant: the sigmoid's s(1-s) applied to a = s(z) a second time."""
    return _backward(net, x, y, fprime_at_a=True)


def missing_transpose(net, x, y):
    """W^{(l)} delta^{(l+1)} where the sum over the destination index needs W^{(l)T}."""
    return _backward(net, x, y, no_transpose=True)


def sign_flipped(net, x, y):
    """delta^{(n_l)} = +(y - h) f'(z): the minus sign of -(y - h) dropped."""
    return _backward(net, x, y, sign=1.0)


def outer_swapped(net, x, y):
    """a delta^T where delta a^T is meant: the gradient comes out transposed."""
    return _backward(net, x, y, outer_swapped=True)


MISTAKES = {
    "f'(a) instead of f'(z)": fprime_at_a,
    "W instead of W^T in step 2": missing_transpose,
    "sign of -(y - h) dropped": sign_flipped,
    "a delta^T instead of delta a^T": outer_swapped,
}
