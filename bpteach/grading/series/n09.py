"""Notebook 09's exercises: the bound on delta that makes sigmoid gradients vanish, and the gradient check's measure.

Step 2, delta^{(l)}_k = (sum_q W^{(l)}_{q<-k} delta^{(l+1)}_q) f'(z^{(l)}_k), with the triangle
inequality and the sigmoid's f' <= 1/4, gives |delta^{(l)}_k| <= beta^{(l)}_k where
beta^{(n_l)} = |delta^{(n_l)}| and beta^{(l)} = 1/4 |W^{(l)}|^T beta^{(l+1)}, for l = n_l-1 .. 2.
"""

from __future__ import annotations

import numpy as np

from ...gradcheck import relative_error
from ..spec import Case, Exercise


def _bound(W, delta_out, start, back, slope=0.25, after=lambda v: v):
    """beta^{(l)}, l = n_l-1 .. 2: beta^{(n_l)} = start(delta_out), then after(slope back(W^{(l)})^T beta^{(l+1)})."""
    n_l = max(W) + 1
    beta = {n_l: start(delta_out)}
    for l in range(n_l - 1, 1, -1):
        beta[l] = after(slope * (back(W[l]).T @ beta[l + 1]))
    return {l: beta[l] for l in range(2, n_l)}


def _cases(rng):
    cases = []
    for sizes in ([3, 5, 2, 4, 3], [4, 2, 6, 3]):
        W = {l: rng.normal(size=(sizes[l], sizes[l - 1])) for l in range(1, len(sizes))}
        delta_out = rng.normal(0.0, 0.1, size=sizes[-1])
        delta_out[:2] = np.abs(delta_out[:2]) * [1.0, -1.0]  # both signs: else |delta| = +-delta, and two slips agree
        good = _bound(W, delta_out, np.abs, np.abs)
        cases.append(Case({"W": W, "delta_out": delta_out}, good, {
            "the absolute values are missing: terms of either sign could add up, so bound |W| and |delta|":
                _bound(W, delta_out, lambda d: d, lambda w: w),
            "a factor is missing: this would bound tanh, whose slope is at most 1, not the sigmoid":
                _bound(W, delta_out, np.abs, np.abs, slope=1.0),
            "one factor 1/4 too many: delta^(n_l) already contains f'(z^(n_l))":
                _bound(W, 0.25 * delta_out, np.abs, np.abs),
            "absolute values in the wrong places: the bound starts from the size of delta^(n_l), and bounds each term":
                _bound(W, delta_out, lambda d: d, lambda w: w, after=np.abs),
            "the absolute value is taken after the sum: the triangle inequality bounds each term of it":
                _bound(W, delta_out, np.abs, lambda w: w, after=np.abs),
        }))
    return cases


def _norm_ratio(a, b, norm=np.linalg.norm, denominator=None):
    a, b = np.ravel(a), np.ravel(b)
    denom = norm(a) + norm(b) if denominator is None else denominator(a, b)
    return np.array(0.0 if denom == 0 else float(norm(a - b) / denom))


def _error_cases(rng):
    """A gradient with a small error (1e-3: enough to tell the two one-norm slips apart), one with its sign flipped,
    and two zero gradients."""
    cases = []
    g = rng.normal(size=(4, 3))
    for analytic, numeric in ((g, g + 1e-3 * rng.normal(size=g.shape)), (-rng.normal(size=5), None),
                              (np.zeros((2, 5)), np.zeros((2, 5)))):
        numeric = -analytic if numeric is None else numeric
        good = np.array(relative_error(analytic, numeric))  # bpteach's own, the one notebook 09 uses
        wrong = {
            "no denominator: divide ||analytic - numeric|| by ||analytic|| + ||numeric||": np.array(
                float(np.linalg.norm(np.ravel(analytic - numeric)))),
            "one norm only in the denominator: it is ||analytic|| + ||numeric||, so the result lies in [0, 1]":
                _norm_ratio(analytic, numeric, denominator=lambda a, b: np.linalg.norm(b)),
            "only ||analytic|| in the denominator: it is ||analytic|| + ||numeric||, so the result lies in [0, 1]":
                _norm_ratio(analytic, numeric, denominator=lambda a, b: np.linalg.norm(a)),
            "the largest entry, not the norm: use the length of the whole vector of differences":
                _norm_ratio(analytic, numeric, norm=lambda v: np.max(np.abs(v), initial=0.0)),
        }
        mistakes = {}  # keep the ones that differ from the truth and from every mistake kept before them
        for h, w in wrong.items():
            if np.isfinite(w) and not any(np.isclose(w, v, rtol=1e-6, atol=0) for v in (good, *mistakes.values())):
                mistakes[h] = w
        cases.append(Case({"analytic": analytic, "numeric": numeric}, good, mistakes))
    return cases


def _input_cases(rng):
    """dJ/dx for one example, from delta^{(2)} and W^{(1)}; x is handed over too (it is not needed)."""
    from ...activations import sigmoid

    cases = []
    for s1, s2 in ((4, 3), (3, 6)):
        W1, d2, x = rng.normal(size=(s2, s1)), rng.normal(size=s2), rng.normal(size=s1)
        good = W1.T @ d2
        cases.append(Case({"W_1": W1, "delta_2": d2, "x": x}, good, {
            "a factor f'(x) too many: the input layer has no activation, a^(1) = x": good * sigmoid.df(x),
            "sign flipped: the slope of J with respect to x, not the step against it": -good,
            "a factor x too many: that is the shape of a weight's gradient, not an input's": good * x,
        }))
    return cases


EXERCISES = [
    Exercise("n09-delta-bound", "delta_bound", "Why sigmoid gradients vanish: a bound on delta", 2, _cases,
             derivation=True),
    Exercise("n09-relative-error", "relative_error", "The gradient check's relative error", 2, _error_cases),
    Exercise("n09-input-gradient", "input_gradient", "The gradient with respect to the input", 2, _input_cases,
             derivation=True),
]
