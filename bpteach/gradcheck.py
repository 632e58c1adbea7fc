"""Central differences: the independent check on every gradient (notebooks 03 and 06)."""

from __future__ import annotations

import numpy as np

from . import checks
from .layers import Gradients, Layers


def numerical_gradient(net, x, y, eps: float = 1e-6) -> Gradients:
    """(J(theta + eps) - J(theta - eps)) / (2 eps) for every weight and bias.

    Central rather than one-sided because its error falls like eps^2, not eps.
    Each parameter is restored exactly after it is nudged.
    """
    W, b = Layers("dJ/dW (numerical)"), Layers("dJ/db (numerical)")
    for l in net.W:
        for params, out in ((net.W[l], W), (net.b[l], b)):
            g = np.zeros_like(params)
            for idx in np.ndindex(params.shape):
                g[idx] = _central(params, idx, lambda: net.cost(x, y), eps)
            out[l] = g
    return Gradients(W, b)


def weight_derivative(net, x, y, l: int, i: int, j: int, eps: float = 1e-6) -> float:
    """dJ/dW^{(l)}_{i<-j} alone, by a central difference (the explorer's second opinion)."""
    checks.weight(net.W.shapes, l, i, j)
    return _central(net.W[l], (i, j), lambda: net.cost(x, y), eps)


def trace_derivative(net, x, l: int, i: int, j: int, eps: float = 1e-6) -> tuple[Layers, Layers]:
    """d z^{(m)} / dW^{(l)}_{i<-j} and d a^{(m)} / dW^{(l)}_{i<-j} for every layer m, by central differences.

    Notebook 04 uses it to check each line of the unrolled chain rule *before*
    the line is fully expanded: the inner derivatives a line still contains are
    measured here instead of derived.
    """
    checks.weight(net.W.shapes, l, i, j)
    dz = _central(net.W[l], (i, j), lambda: net.forward(x).z, eps)
    da = _central(net.W[l], (i, j), lambda: net.forward(x).a, eps)
    return Layers("dz/dW", dz), Layers("da/dW", da)


def _central(params: np.ndarray, idx, f, eps: float):
    """(f() with params[idx] + eps  -  f() with params[idx] - eps) / 2 eps; params[idx] is restored.

    f returns a number, or a dict of arrays (then each array is differenced).
    """
    old = params[idx]
    try:
        params[idx] = old + eps
        plus = f()
        params[idx] = old - eps
        minus = f()
    finally:
        params[idx] = old
    if isinstance(plus, dict):
        return {m: (plus[m] - minus[m]) / (2 * eps) for m in plus}
    return (plus - minus) / (2 * eps)


def _flat(g) -> np.ndarray:
    if isinstance(g, Gradients):
        return np.concatenate([np.ravel(g.W[l]) for l in sorted(g.W)] + [np.ravel(g.b[l]) for l in sorted(g.b)])
    return np.ravel(np.asarray(g, dtype=float))


def relative_error(a, b) -> float:
    """||a - b|| / (||a|| + ||b||): 0 when equal, 1 at worst; 0 when both are 0.

    Accepts arrays, numbers or whole Gradients objects. In float64, analytic against
    central-difference gradients agree to about 1e-9; above 1e-5 something is wrong.
    """
    fa, fb = _flat(a), _flat(b)
    if fa.shape != fb.shape:
        raise ValueError(f"relative_error: shapes differ, {fa.shape} against {fb.shape}")
    denom = np.linalg.norm(fa) + np.linalg.norm(fb)
    return 0.0 if denom == 0 else float(np.linalg.norm(fa - fb) / denom)
