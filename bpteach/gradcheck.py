"""Central differences: the independent check on every gradient (notebooks 03 and 06)."""

import numpy as np

from . import checks
from .layers import Gradients, Layers


def numerical_gradient(net, x, y, eps: float = 1e-6) -> Gradients:
    """(J(theta + eps) - J(theta - eps)) / (2 eps) for every weight and bias: central, its error falls like eps^2."""
    g = Gradients(Layers("dJ/dW (numerical)"), Layers("dJ/db (numerical)"))
    for out, params in ((g.W, net.W), (g.b, net.b)):
        for l, theta in params.items():
            out[l] = np.zeros_like(theta)
            for idx in np.ndindex(theta.shape):
                out[l][idx] = _central(theta, idx, lambda: net.cost(x, y), eps)
    return g


def weight_derivative(net, x, y, l: int, i: int, j: int, eps: float = 1e-6) -> float:
    """dJ/dW^{(l)}_{i<-j} alone, by a central difference (the explorer's second opinion)."""
    checks.weight(net.W.shapes, l, i, j)
    return _central(net.W[l], (i, j), lambda: net.cost(x, y), eps)


def trace_derivative(net, x, l: int, i: int, j: int, eps: float = 1e-6) -> tuple[Layers, Layers]:
    """dz^{(m)}/dW^{(l)}_{i<-j} and da^{(m)}/dW^{(l)}_{i<-j} for every layer m, by central differences (notebook 04)."""
    checks.weight(net.W.shapes, l, i, j)
    dz = _central(net.W[l], (i, j), lambda: net.forward(x).z, eps)
    return Layers("dz/dW", dz), Layers("da/dW", _central(net.W[l], (i, j), lambda: net.forward(x).a, eps))


def _central(theta: np.ndarray, idx, f, eps: float):
    """(f() at theta[idx] + eps - f() at theta[idx] - eps) / 2 eps, of a number or each array of a dict."""
    old = theta[idx]
    try:
        theta[idx] = old + eps
        plus = f()
        theta[idx] = old - eps
        minus = f()
    finally:
        theta[idx] = old
    if isinstance(plus, dict):
        return {m: (plus[m] - minus[m]) / (2 * eps) for m in plus}
    return (plus - minus) / (2 * eps)


def relative_error(a, b) -> float:
    """||a - b|| / (||a|| + ||b||) of arrays, numbers or whole Gradients: 0 when equal (or both 0), 1 at
    worst. In float64, backprop against central differences agree to about 1e-9; above 1e-5 something is wrong."""
    fa, fb = _flat(a), _flat(b)
    if fa.shape != fb.shape:
        raise ValueError(f"relative_error: shapes differ, {fa.shape} against {fb.shape}")
    denom = np.linalg.norm(fa) + np.linalg.norm(fb)
    return 0.0 if denom == 0 else float(np.linalg.norm(fa - fb) / denom)


def _flat(g) -> np.ndarray:
    if isinstance(g, Gradients):
        return np.concatenate([np.ravel(g.W[l]) for l in sorted(g.W)] + [np.ravel(g.b[l]) for l in sorted(g.b)])
    return np.ravel(np.asarray(g, dtype=float))
