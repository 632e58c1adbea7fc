"""Activation functions f, each beside its derivative f' = da/dz. f' takes z, never a: the text writes
da/dz at z^{(l)}, and evaluating f' at a is the commonest slip learners make (notebook 09 shows it)."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)  # each activation is one object, compared and hashed by identity
class Activation:
    """A unit's non-linearity f and its derivative f' = da/dz, both taking z (notebook 02)."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


def _sigmoid(z):
    # z is kept above -80 so that e^{-z} cannot overflow, even in float32 (sigma(-80) is about 2e-35)
    return 1.0 / (1.0 + np.exp(-np.maximum(z, -80.0)))


sigmoid = Activation("sigmoid", _sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z)))
tanh = Activation("tanh", np.tanh, lambda z: 1.0 - np.tanh(z) ** 2)
# relu' is the step H(z), taken as 0 at z = 0 (any value in [0, 1] is a subgradient there)
relu = Activation("relu", lambda z: np.maximum(z, 0.0), lambda z: np.heaviside(z, 0.0))
identity = Activation("identity", lambda z: z, np.ones_like)
ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (sigmoid, tanh, relu, identity)}


def get_activation(name: str | Activation, where: str = "activation") -> Activation:
    """Look an activation up by name; the error lists the names that exist."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"{where}: expected an activation name (str), got {type(name).__name__}")
    if name not in ACTIVATIONS:
        raise ValueError(f"{where}: unknown activation {name!r}; known: {', '.join(sorted(ACTIVATIONS))}")
    return ACTIVATIONS[name]
