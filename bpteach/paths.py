"""The naive expansion: dJ/dW^{(l)}_{i<-j} as a sum over every path (notebook 04). Before the trick, the
chain rule unrolls into one term per path from the weight's destination unit i to an output unit p:

    -(y_p - h_p) f'(z_p) * W_{p<-q} f'(z_q) * ... * W_{k<-i} f'(z_i) * a_j

enumerated one by one on purpose, the slow and obviously correct reference for the delta recursion.
"""

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
    """Every term of the unrolled sum for dJ/dW^{(l)}_{i<-j}, one per path; over a batch, its mean."""
    checks.weight(net.W.shapes, l, i, j)
    trace, n_l = net.forward(x), net.n_l
    err = -(net.check_y(y, trace.h.shape) - trace.h)  # -(y_p - h_p), the factor in front of every term
    fp = {m: net.activations[m].df(trace.z[m]) for m in range(l + 1, n_l + 1)}
    for path in itertools.product([i], *(range(net.s(m)) for m in range(l + 2, n_l + 1))):
        u = dict(enumerate(path, start=l + 1))  # u[m] is the path's unit on layer m = l+1..n_l
        term = err[u[n_l]] * fp[n_l][u[n_l]]
        for m in range(n_l - 1, l, -1):  # walk back from the output: W^{(m)}_{u_{m+1}<-u_m} f'(z^{(m)}_{u_m})
            term = term * net.W[m][u[m + 1], u[m]] * fp[m][u[m]]
        term = term * trace.a[l][j]
        yield PathTerm((j, *path), float(term.mean()) if term.ndim else float(term))


def path_sum(net, x, y, l: int, i: int, j: int) -> PathSum:
    """dJ/dW^{(l)}_{i<-j} the naive way, the sum of every path term; the number of terms is the product of
    the widths of layers l+2..n_l, and each costs 2 (n_l - l) multiplications (a W and an f' per layer)."""
    total, n = 0.0, 0
    for t in path_terms(net, x, y, l, i, j):
        total, n = total + t.value, n + 1
    return PathSum(total, n, n * 2 * (net.n_l - l))
