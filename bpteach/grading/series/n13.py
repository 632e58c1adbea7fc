"""Notebook 13's exercises: step 3 for a weighted mini-batch, and the backward pass of batch normalisation,
a layer the series has not derived."""

from __future__ import annotations

import numpy as np

from ..spec import Case, Exercise


def _bn_backward(x, gamma, g, eps, *, mu_path=True, var_path=True, scale=True, ddof=0, dgamma_xhat=True):
    """dJ/dx, dJ/dgamma, dJ/dbeta of y = gamma xhat + beta, xhat = (x - mu) / sqrt(var + eps), per row (unit)
    over the columns (the batch); the keywords switch off one path each, as the known mistakes do."""
    m = x.shape[1]
    mu = x.mean(axis=1, keepdims=True)
    sigma = np.sqrt(x.var(axis=1, ddof=ddof, keepdims=True) + eps)
    xhat = (x - mu) / sigma
    dxhat = g * gamma[:, None] if scale else g
    dx = dxhat
    if mu_path:
        dx = dx - dxhat.mean(axis=1, keepdims=True)
    if var_path:
        dx = dx - xhat * (dxhat * xhat).sum(axis=1, keepdims=True) / (m - ddof)
    dgamma = (g * xhat).sum(axis=1) if dgamma_xhat else g.sum(axis=1)
    return dx / sigma, dgamma, g.sum(axis=1)


def _batchnorm(rng):
    cases = []
    for s, m in ((3, 5), (4, 8)):
        x = rng.normal(size=(s, m)) * rng.uniform(0.5, 2.0, size=(s, 1)) + rng.normal(size=(s, 1))
        gamma, g, eps = rng.uniform(0.5, 2.0, size=s), rng.normal(size=(s, m)), float(rng.uniform(1e-3, 1e-2))
        right = _bn_backward(x, gamma, g, eps)
        cases.append(Case({"x": x, "gamma": gamma, "g": g, "eps": eps}, right, {
            "dx: mu and sigma^2 taken as constants; both depend on every x of the unit's batch":
                _bn_backward(x, gamma, g, eps, mu_path=False, var_path=False),
            "dx: the path through the batch mean mu is missing": _bn_backward(x, gamma, g, eps, mu_path=False),
            "dx: the path through the batch variance sigma^2 is missing":
                _bn_backward(x, gamma, g, eps, var_path=False),
            "dx: the scale gamma is missing from the path to x": _bn_backward(x, gamma, g, eps, scale=False),
            "the variance with m - 1 (the unbiased one): it is not the forward pass's sigma^2":
                _bn_backward(x, gamma, g, eps, ddof=1),
            "dgamma: the local derivative of gamma * xhat with respect to gamma is not 1":
                _bn_backward(x, gamma, g, eps, dgamma_xhat=False),
        }))
    return cases


def _weighted(delta_next, a_l, w, *, norm="weights", power=1):
    """dJ/dW^{(l)}, dJ/db^{(l)} of J = sum_c w_c J_c / sum_c w_c from the per-example step-3 terms (columns);
    `norm` and `power` switch to the known mistakes' normalisers and weightings."""
    v = w**power
    total = {"weights": w.sum(), "m": w.size, "none": 1.0}[norm]
    return (delta_next * v) @ a_l.T / total, (delta_next * v).sum(axis=1) / total


def _weighted_cases(rng):
    cases = []
    for t, s, m in ((3, 4, 5), (2, 5, 7)):
        delta_next, a_l, w = rng.normal(size=(t, m)), rng.uniform(size=(s, m)), rng.uniform(0.2, 3.0, size=m)
        right = _weighted(delta_next, a_l, w)
        cases.append(Case({"delta_next": delta_next, "a_l": a_l, "w": w}, right, {
            "the weights are missing: this is the plain mean over the batch":
                _weighted(delta_next, a_l, w, power=0, norm="m"),
            "divided by m, the batch size: with weights, that is not the denominator of J":
                _weighted(delta_next, a_l, w, norm="m"),
            "not divided at all: J is the weighted mean, not the weighted sum":
                _weighted(delta_next, a_l, w, norm="none"),
            "each weight counted twice: the terms carry w_c squared":
                _weighted(delta_next, a_l, w, power=2),
            "dW is right but db is not: the bias gradient is missing the weights":
                (right[0], delta_next.mean(axis=1)),
        }))
    return cases


EXERCISES = [
    Exercise(
        "n13-weighted-batch",
        "weighted_gradients",
        "Step 3 for a weighted mini-batch",
        2,
        _weighted_cases,
        derivation=True,
        items=("dW", "db"),
    ),
    Exercise(
        "n13-batchnorm-backward",
        "batchnorm_backward",
        "Batch normalisation's backward pass",
        3,
        _batchnorm,
        derivation=True,
        items=("dx", "dgamma", "dbeta"),
    ),
]
