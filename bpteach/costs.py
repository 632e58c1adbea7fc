"""Costs, each kept beside its own step 1: J(y, h) next to delta^{(n_l)} = dJ/dz^{(n_l)} (notebook 11).

As the activations keep f beside f', a cost keeps J beside dJ/dh and the output error
delta^{(n_l)} that step 1 of the backward pass starts from. Steps 2 and 3 never look at
the cost: only delta^{(n_l)} changes when J does.

- squared error, J = 1/2 ||y - h||^2, with any output activation f:
  delta^{(n_l)}_p = -(y_p - h_p) f'(z^{(n_l)}_p), the derivation's step 1;
- cross-entropy with a softmax output, J = -sum_p y_p log h_p with h_p = e^{z_p} / sum_r e^{z_r}:
  delta^{(n_l)}_p = h_p - y_p, for y a probability vector (y_p >= 0, sum_p y_p = 1).

Weight decay (UFLDL's J + lambda/2 sum_l ||W^{(l)}||^2, biases not decayed) adds
lambda W^{(l)} to dJ/dW^{(l)} in step 3 and changes nothing else.
Arrays are (s_{n_l},) for one example, (s_{n_l}, m) for a batch; J is the mean over the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import SOFTMAX, Activation, softmax, softmax_jacobian  # noqa: F401 (costs.softmax: notebook 11)

Array = np.ndarray


@dataclass(frozen=True)
class Cost:
    """J(y, h) beside dJ/dh and delta^{(n_l)}(y, h, f'(z^{(n_l)})), the error step 1 starts from.

    `output` is the output non-linearity the cost requires (None: any activation).
    """

    name: str
    J: Callable[[Array, Array], float]
    dJ_dh: Callable[[Array, Array], Array]
    delta: Callable[[Array, Array, Array | None], Array]  # (y, h, f'(z^{(n_l)}) or None for a softmax output)
    output: Activation | None = None

    def __repr__(self) -> str:
        return f"Cost({self.name!r})"


# -- squared error: J = 1/2 ||y - h||^2, the derivation's cost -----------------------------------


def _squared_error(y: Array, h: Array) -> float:
    """J = 1/2 ||y - h||^2, averaged over the columns of a batch."""
    return 0.5 * float(np.sum((y - h) ** 2)) / (1 if h.ndim == 1 else h.shape[1])


def _squared_error_dJ_dh(y: Array, h: Array) -> Array:
    return -(y - h)


def output_delta(y: Array, h: Array, fprime_z: Array) -> Array:
    """Step 1: delta^{(n_l)}_p = -(y_p - h_p) * f'(z^{(n_l)}_p). The minus sign belongs to delta."""
    return -(y - h) * fprime_z


squared_error = Cost("squared_error", _squared_error, _squared_error_dJ_dh, output_delta)


# -- cross-entropy with a softmax output: J = -sum_p y_p log h_p -------------------------------


def _check_distribution(y: Array) -> None:
    """y must be a probability vector per example: delta = h - y uses sum_p y_p = 1."""
    sums = np.sum(y, axis=0)
    if np.any(y < 0) or not np.allclose(sums, 1.0, rtol=0, atol=1e-9):
        raise ValueError(
            "y: cross-entropy expected each example to be a probability vector (entries >= 0 summing to 1), "
            f"got entries from {np.min(y):g} to {np.max(y):g} with sums {np.round(np.atleast_1d(sums), 12).tolist()}"
        )


def _cross_entropy(y: Array, h: Array) -> float:
    _check_distribution(y)
    terms = y * np.log(h, out=np.zeros_like(h), where=y != 0)  # 0 log 0 taken as 0
    J = -float(np.sum(terms))
    return J if h.ndim == 1 else J / h.shape[1]


def _cross_entropy_dJ_dh(y: Array, h: Array) -> Array:
    return -y / h


def _cross_entropy_delta(y: Array, h: Array, fprime_z: None = None) -> Array:
    # sum_r dJ/dh_r dh_r/dz_p = sum_r (-y_r / h_r) h_r (1[r = p] - h_p) = -y_p + h_p sum_r y_r = h_p - y_p
    _check_distribution(y)
    return h - y


cross_entropy = Cost("cross_entropy", _cross_entropy, _cross_entropy_dJ_dh, _cross_entropy_delta, SOFTMAX)

COSTS: dict[str, Cost] = {c.name: c for c in (squared_error, cross_entropy)}


def get_cost(name: str | Cost) -> Cost:
    """Look a cost up by name; the error lists the names that exist."""
    if isinstance(name, Cost):
        return name
    if not isinstance(name, str):
        raise TypeError(f"cost: expected a cost name (str), got {type(name).__name__}")
    try:
        return COSTS[name]
    except KeyError:
        raise ValueError(f"cost: unknown cost {name!r}; known: {', '.join(sorted(COSTS))}") from None


def output_activation(cost: Cost, activation, n_l: int):
    """The activation argument of Network with the cost's output non-linearity on layer n_l.

    One name for every layer: the hidden layers keep it and layer n_l gets the cost's
    output (softmax for cross-entropy). A list must already name that output last.
    A cost without its own output (squared error) leaves the argument as it is.
    """
    if cost.output is None:
        return activation
    if isinstance(activation, (str, Activation)):
        return [activation] * (n_l - 2) + [cost.output]
    names = list(activation)
    if len(names) != n_l - 1:
        return names  # Network's own check reports the count
    last = names[-1].name if isinstance(names[-1], Activation) else names[-1]
    if last != cost.output.name:
        raise ValueError(
            f"activation of layer {n_l}: cost={cost.name!r} expected a {cost.output.name} output layer, got {last!r}"
        )
    return [*names[:-1], cost.output]


# -- weight decay: J + lambda/2 sum_l ||W^{(l)}||^2, biases not decayed -----------------------


def decay_cost(W, weight_decay: float) -> float:
    """lambda/2 sum_l sum_{i,j} (W^{(l)}_{i<-j})^2: the term weight decay adds to J (no biases)."""
    return 0.5 * weight_decay * sum(float(np.sum(W[l] * W[l])) for l in W)


def decay_gradient(W_l: Array, weight_decay: float) -> Array:
    """d/dW^{(l)} of the decay term: lambda W^{(l)}. It is added to step 3's delta a^T; dJ/db gets nothing."""
    return weight_decay * W_l
