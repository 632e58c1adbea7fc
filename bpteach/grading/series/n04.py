"""Notebook 04's exercises: the path terms of dJ/dW^{(1)}_{i<-j}, and what the naive expansion costs."""

from __future__ import annotations

import numpy as np

from ... import paths
from ...network import Network
from ..spec import Case, Exercise


def _widths(rng: np.random.Generator, n: int) -> list[int]:
    return [int(s) for s in rng.integers(2, 6, size=n)]


def _path_cases(rng: np.random.Generator) -> list[Case]:
    """Five layers j i k q p of five different widths, so that a transpose or reversed axes show."""
    cases = []
    for _ in range(2):
        sizes = [int(s) for s in rng.choice(np.arange(2, 8), size=5, replace=False)]
        net = Network(sizes, "sigmoid", seed=int(rng.integers(2**31)))
        x, y = rng.normal(size=sizes[0]), rng.uniform(size=sizes[-1])
        i, j = int(rng.integers(sizes[1])), int(rng.integers(sizes[0]))
        t = net.forward(x)
        fp = net.fprime(t)
        terms = np.array([term.value for term in paths.path_terms(net, x, y, 1, i, j)])
        good = terms.reshape(sizes[2:])  # path_terms runs over (k, q, p), p fastest
        inputs = {"W": {l: net.W[l].copy() for l in net.W}, "fprime_z": fp, "x": x, "y": y, "h": t.h, "i": i, "j": j}
        cases.append(Case(inputs, good, {
            "sign flipped: every term starts with -(y_p - h_p)": -good,
            "these are the terms of dh_p/dW: multiply each by -(y_p - h_p)": good / -(y - t.h),
            "the factor f'(z_i) of unit i is missing": good / fp[2][i],
            "the axes are reversed: index the array [k, q, p]": good.transpose(2, 1, 0),
        }))
    return cases


def _counts(sizes: list[int], first: int, per_term: int) -> np.ndarray:
    """(terms, multiplications) when a path chooses one unit on each layer from `first` (1-based) to n_l."""
    n_terms = int(np.prod(sizes[first - 1 :]))
    return np.array([n_terms, n_terms * per_term], dtype=np.int64)


def _count_cases(rng: np.random.Generator) -> list[Case]:
    """Counted as bpteach.paths.path_sum counts: per term, 2 (n_l - l) multiplications."""
    cases = []
    for n_l in (5, int(rng.integers(6, 9))):
        while True:
            sizes, l = _widths(rng, n_l), int(rng.integers(1, n_l - 2))
            net = Network(sizes, "sigmoid", seed=0)
            s = paths.path_sum(net, np.zeros(sizes[0]), np.zeros(sizes[-1]), l, 0, 0)
            good = np.array([s.n_terms, s.n_multiplications], dtype=np.int64)
            mistakes = {
                "one layer too many: a path from unit i chooses units on layers l+2..n_l only, i is fixed":
                    _counts(sizes, l + 1, 2 * (n_l - l)),
                "one multiplication per layer crossed: each one brings a W and an f'(z), two factors":
                    _counts(sizes, l + 2, n_l - l),
                "the factors of a term, not its multiplications: n factors take n - 1 products":
                    _counts(sizes, l + 2, 2 * (n_l - l) + 1),
                "the sum of the widths: a path picks one unit on EVERY layer, so the widths multiply":
                    np.array([sum(sizes[l + 1 :]), sum(sizes[l + 1 :]) * 2 * (n_l - l)], dtype=np.int64),
            }
            wrong = [tuple(m) for m in mistakes.values()]
            if len(set(wrong)) == len(wrong) and tuple(good) not in wrong:  # every hint told apart
                break
        cases.append(Case({"sizes": np.array(sizes, dtype=np.int64), "l": l}, good, mistakes))
    return cases


EXERCISES = [
    Exercise("n04-path-terms", "path_terms", "The path terms of one weight's gradient", 2, _path_cases,
             kind="bookkeeping"),
    Exercise("n04-naive-counts", "naive_counts", "What the naive expansion costs", 2, _count_cases,
             kind="counting"),
]
