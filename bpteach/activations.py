"""Activation functions, each kept beside its own derivative da/dz.

The derivative is always a function of z, never of a: the derivation writes
da/dz evaluated at z^{(l)}, and evaluating f' at a is the commonest slip
learners make (notebook 09 shows it failing a gradient check).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """A unit's non-linearity f and its derivative f' = da/dz, both taking z (taught in notebook 02)."""

    name: str
    f: Callable[[Array], Array]
    df: Callable[[Array], Array]

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


def _sigmoid(z: Array) -> Array:
    # z is kept above -80 so that e^{-z} cannot overflow, even in float32 (sigma(-80) is about 2e-35)
    return 1.0 / (1.0 + np.exp(-np.maximum(z, -80.0)))


def _dsigmoid(z: Array) -> Array:
    s = _sigmoid(z)
    return s * (1.0 - s)


def _dtanh(z: Array) -> Array:
    return 1.0 - np.tanh(z) ** 2


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _drelu(z: Array) -> Array:
    # At z == 0 we take the derivative as 0 (any value in [0, 1] is a subgradient).
    z = np.asarray(z)
    return (z > 0).astype(z.dtype if z.dtype.kind == "f" else float)


def _identity(z: Array) -> Array:
    return z


def _didentity(z: Array) -> Array:
    return np.ones_like(z)


sigmoid = Activation("sigmoid", _sigmoid, _dsigmoid)
tanh = Activation("tanh", np.tanh, _dtanh)
relu = Activation("relu", _relu, _drelu)
identity = Activation("identity", _identity, _didentity)

ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (sigmoid, tanh, relu, identity)}


def get_activation(name: str | Activation, where: str = "activation") -> Activation:
    """Look an activation up by name; the error lists the names that exist."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"{where}: expected an activation name (str), got {type(name).__name__}")
    try:
        return ACTIVATIONS[name]
    except KeyError:
        known = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"{where}: unknown activation {name!r}; known: {known}") from None
