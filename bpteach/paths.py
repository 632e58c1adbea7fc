"""The naive expansion: dJ/dW^{(l)}_{i<-j} as a sum over every path (notebook 04).

Before the trick, the chain rule unrolls into one term per path from the weight's
destination unit i to an output unit p, the product of the local derivatives on it:

    -(y_p - h_p) f'(z_p) * W_{p<-q} f'(z_q) * ... * W_{k<-i} f'(z_i) * a_j

Enumerated one by one on purpose: the slow, obviously correct reference for the delta
recursion. The number of terms is the product of the widths of layers l+2..n_l.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from . import checks


@dataclass(frozen=True)
class PathTerm:
    """One term of the expansion: `path` is the 0-based unit on each layer l..n_l, (j, i, ..., p)."""

    path: tuple[int, ...]
    value: float


@dataclass(frozen=True)
class PathSum:
    value: float
    n_terms: int
    n_multiplications: int


def path_terms(net, x, y, l: int, i: int, j: int) -> Iterator[PathTerm]:
    """Yield every term of the unrolled sum for dJ/dW^{(l)}_{i<-j}, one per path.

    For a batch the value of a term is its mean over the examples, like J.
    """
    checks.weight(net.W.shapes, l, i, j)
    trace = net.forward(x)
    y = net.check_y(y, trace.h.shape)
    n_l, batch = net.n_l, trace.h.ndim == 2
    fp = {m: net.activations[m].df(trace.z[m]) for m in range(l + 1, n_l + 1)}
    err = -(y - trace.h)  # -(y_p - h_p), the factor in front of every term
    a_j = trace.a[l][j]
    later = [range(net.s(m)) for m in range(l + 2, n_l + 1)]  # units on layers l+2..n_l
    for units in itertools.product(*later):
        path = (i, *units)  # the unit on layers l+1, l+2, ..., n_l
        p = path[-1]
        term = err[p] * fp[n_l][p]
        for m in range(n_l - 1, l, -1):  # walk back from the output: W^{(m)}_{u_{m+1}<-u_m} f'(z^{(m)}_{u_m})
            dst, src = path[m + 1 - (l + 1)], path[m - (l + 1)]
            term = term * net.W[m][dst, src] * fp[m][src]
        term = term * a_j
        yield PathTerm((j, *path), float(term.mean()) if batch else float(term))


def path_sum(net, x, y, l: int, i: int, j: int) -> PathSum:
    """dJ/dW^{(l)}_{i<-j} the naive way: sum every path term. Also counts terms and multiplications."""
    total, n = 0.0, 0
    for t in path_terms(net, x, y, l, i, j):
        total += t.value
        n += 1
    # Per term: err * f'(z_p), then a W and an f' for each of the n_l-1-l layers between, then a_j.
    per_term = 1 + 2 * (net.n_l - 1 - l) + 1
    return PathSum(total, n, n * per_term)
