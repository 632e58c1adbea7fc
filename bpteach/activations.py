"""Activation functions f, each beside its derivative f' = da/dz. f' takes z, never a: the text writes
da/dz at z^{(l)}, and evaluating f' at a is the commonest slip learners make (notebook 09 shows it)."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)  # each activation is one object, compared and hashed by identity
class Activation:
    """A unit's non-linearity f and its derivative f' = da/dz, both taking z (notebook 02). `df_in_a`, where
    there is one, is the same slope f'(z) written in a = f(z): see `slope_at_z`."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    df_in_a: Callable[[np.ndarray], np.ndarray] | None = None

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


def slope_at_z(f: Activation, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """f'(z), the slope the backward pass needs, read off a = f(z) where f' has a form in a (sigmoid, tanh).

    Speed only: the forward pass kept a, and sigma'(z) = a (1 - a) saves computing sigma(z) again; with f'(z)
    from z a step of the five-layer net takes about 1.45 times as long, of 784-128-64-32-10 1.1-1.2 times
    (timed side by side as `make bench` times). It is NOT the slip of this module's first line:
    that slip is f'(a), the formula for f' fed a in place of z, e.g. sigma(a)(1 - sigma(a)) for a sigmoid;
    a (1 - a) is sigma(z)(1 - sigma(z)) itself, the slope at z. Any f without such a form is given z."""
    return f.df(z) if f.df_in_a is None else f.df_in_a(a)


def _sigmoid(z):
    # z is kept above -80 so that e^{-z} cannot overflow, even in float32 (sigma(-80) is about 2e-35)
    return 1.0 / (1.0 + np.exp(-np.maximum(z, -80.0)))


sigmoid = Activation("sigmoid", _sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z)), lambda a: a * (1.0 - a))
tanh = Activation("tanh", np.tanh, lambda z: 1.0 - np.tanh(z) ** 2, lambda a: 1.0 - a * a)
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


# -- softmax: the output non-linearity of cross-entropy (costs.py), not in ACTIVATIONS -----------------------


def softmax(z: np.ndarray) -> np.ndarray:
    """h_p = e^{z_p} / sum_r e^{z_r} over the units (axis 0); max(z) is subtracted first so e^z cannot overflow."""
    e = np.exp(z - np.max(z, axis=0))
    return e / np.sum(e, axis=0)


def softmax_jacobian(z: np.ndarray) -> np.ndarray:
    """dh_r/dz_p = h_r (1[r = p] - h_p) for one example: every output depends on every z_p."""
    z = np.asarray(z)
    if z.ndim != 1:
        raise ValueError(f"softmax_jacobian: expected one example, z of shape (s,); got {z.shape}")
    h = softmax(z)
    return np.diag(h) - np.outer(h, h)


def _softmax_df(z: np.ndarray) -> np.ndarray:
    raise ValueError(
        "softmax: expected to be differentiated through its cost; it has no slope per unit, since every "
        "h_r depends on every z_p (softmax_jacobian). Use cost='cross_entropy', whose step 1 is delta = h - y "
        "(path_sum and gradients_by_loops assume an elementwise output activation)"
    )


SOFTMAX = Activation("softmax", softmax, _softmax_df)
