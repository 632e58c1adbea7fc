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
    """A unit's non-linearity f and its derivative f' = da/dz (taught in notebook 02).

    `df_via_a`, where given, is the same slope f'(z) written through a = f(z), which
    the forward pass has already computed: sigma'(z) = a (1 - a), tanh'(z) = 1 - a^2.
    It is still the slope at z; it only saves recomputing f. (Feeding a to df,
    i.e. f'(a), is the classic mistake that notebook 09 shows failing.)
    """

    name: str
    f: Callable[[Array], Array]
    df: Callable[[Array], Array]
    df_via_a: Callable[[Array], Array] | None = None

    def fprime(self, z: Array, a: Array) -> Array:
        """f'(z) at a unit whose input is z and output a = f(z)."""
        return self.df(z) if self.df_via_a is None else self.df_via_a(a)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


def _sigmoid(z: Array) -> Array:
    # 1 / (1 + e^{-z}), with z kept above -80 so that e^{-z} cannot overflow (even in
    # float32); sigma(-80) is about 2e-35, so nothing a network can use is lost.
    # The steps are written into one array: on a wide layer, a new array for each step
    # costs as much time as the arithmetic itself.
    t = np.asarray(np.maximum(z, -80.0))
    np.negative(t, out=t)  # -z
    np.exp(t, out=t)  # e^{-z}
    t += 1.0  # 1 + e^{-z}
    np.divide(1.0, t, out=t)  # 1 / (1 + e^{-z})
    return t if t.ndim else t[()]


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


sigmoid = Activation("sigmoid", _sigmoid, _dsigmoid, lambda a: a * (1.0 - a))
tanh = Activation("tanh", np.tanh, _dtanh, lambda a: 1.0 - a * a)
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
