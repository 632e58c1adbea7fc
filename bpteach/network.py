"""The network: its parameters W[l], b[l] and the forward trace z[l], a[l].

Layers are numbered as in the derivation: 1 is the input, n_l the output.
`W[l][i, j]` is W^{(l)}_{i<-j}, the weight from unit j on layer l to unit i on
layer l+1: destination row, source column. Array positions are 0-based, so the
text's unit i = 1 is row 0. Taught in notebooks 01 and 02.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import backprop, costs
from .activations import Activation, get_activation
from .layers import Layers, ParamLayers

Array = np.ndarray


@dataclass
class Trace:
    """What the forward pass keeps for the backward pass: z[l] for l = 2..n_l, a[l] for 1..n_l.

    Arrays are (s_l,) for one example, (s_l, m) for a batch of m columns.
    """

    z: Layers
    a: Layers

    @property
    def h(self) -> Array:
        """The output h(W, b; x) = a^{(n_l)}."""
        return self.a[max(self.a)]


class Network:
    """A fully connected network in the derivation's notation (notebook 02).

    `sizes = [s_1, ..., s_{n_l}]`. `activation` is one name for every layer, or a
    list with one name for each of the layers 2..n_l (layer 1 is the input and has none).
    `cost` is "squared_error" (the derivation's) or "cross_entropy", which puts a softmax on
    layer n_l; `weight_decay` is lambda in J + lambda/2 sum_l ||W^{(l)}||^2 (notebook 11).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Sequence[str] = "sigmoid",
        seed: int | None = None,
        dtype: str | type = "float64",
        cost: str | costs.Cost = "squared_error",
        weight_decay: float = 0.0,
    ) -> None:
        self.sizes = _check_sizes(sizes)
        self.n_l = len(self.sizes)
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"dtype: expected a floating type, got {self.dtype}")
        self.cost_function = costs.get_cost(cost)
        self.weight_decay = costs.check_weight_decay(weight_decay)
        activation = costs.output_activation(self.cost_function, activation, self.n_l)  # softmax for cross-entropy
        self.activations = _check_activations(activation, self.n_l)
        self.letters: tuple[str, ...] | None = None
        s = (None, *self.sizes)  # s[l] is s_l, 1-based like the text
        self.W = ParamLayers("W", {l: (s[l + 1], s[l]) for l in range(1, self.n_l)}, self.dtype)
        self.b = ParamLayers("b", {l: (s[l + 1],) for l in range(1, self.n_l)}, self.dtype)
        self.randomize(seed)

    @classmethod
    def five_layer(cls, seed: int = 0, activation: str | Sequence[str] = "sigmoid") -> Network:
        """The derivation's example: layers n_l-4..n_l (here 1..5) with units j, i, k, q, p.

        The widths 2-3-4-3-2 make every W non-square, so an index-order mistake
        shows up as a shape error instead of a silently wrong number.
        """
        net = cls([2, 3, 4, 3, 2], activation=activation, seed=seed)
        net.letters = ("j", "i", "k", "q", "p")
        return net

    def randomize(self, seed: int | None = None) -> None:
        """Draw W[l] ~ N(0, 1/s_l) and small non-zero biases, so that a bias bug shows."""
        rng = np.random.default_rng(seed)
        for l in range(1, self.n_l):
            rows, cols = self.W.shapes[l]
            self.W[l] = rng.normal(0.0, 1.0 / np.sqrt(cols), (rows, cols))
            self.b[l] = rng.normal(0.0, 0.1, rows)

    def s(self, l: int) -> int:
        """s_l, the number of units on layer l."""
        self._check_layer(l, 1, self.n_l, "layer")
        return self.sizes[l - 1]

    def copy(self) -> Network:
        new = Network(self.sizes, list(self.activations.values()), dtype=self.dtype,
                      cost=self.cost_function, weight_decay=self.weight_decay)
        new.letters = self.letters
        for l in self.W:
            new.W[l] = self.W[l]
            new.b[l] = self.b[l]
        return new

    def __repr__(self) -> str:
        acts = "/".join(a.name for a in self.activations.values())
        extra = "" if self.cost_function is costs.squared_error else f", cost={self.cost_function.name}"
        extra += f", weight_decay={self.weight_decay}" if self.weight_decay else ""
        return f"Network(sizes={self.sizes}, activation={acts}, dtype={self.dtype}{extra})"

    # -- forward ---------------------------------------------------------------

    def forward(self, x) -> Trace:
        """z^{(l+1)} = W^{(l)} a^{(l)} + b^{(l)}, a^{(l+1)} = f(z^{(l+1)}), from a^{(1)} = x."""
        a1 = self.check_x(x)
        z, a = Layers("z"), Layers("a", {1: a1})
        batch = a1.ndim == 2
        for l in range(1, self.n_l):
            b = self.b[l][:, None] if batch else self.b[l]
            z[l + 1] = self.W[l] @ a[l] + b
            a[l + 1] = self.activations[l + 1].f(z[l + 1])
        return Trace(z, a)

    def cost(self, x, y) -> float:
        """J = 1/2 ||y - h||^2 for one example; the mean of it over a batch (notebook 03).

        With another cost, that cost's J; with weight decay, plus lambda/2 sum_l ||W^{(l)}||^2 (notebook 11).
        """
        h = self.forward(x).h
        J = self.cost_function.J(self.check_y(y, h.shape), h)
        return J + costs.decay_cost(self.W, self.weight_decay) if self.weight_decay else J

    # -- backward (the three steps live in backprop.py) --------------------------

    def deltas(self, x, y, trace: Trace | None = None) -> Layers:
        """delta^{(l)} for l = 2..n_l: steps 1 and 2 of the derivation (notebook 06)."""
        trace = self.forward(x) if trace is None else trace
        y = self.check_y(y, trace.h.shape)
        return backprop.deltas(self, trace, y)

    def gradients(self, x, y) -> backprop.Gradients:
        """dJ/dW[l] and dJ/db[l]; for a batch, the gradient of the mean cost (notebook 06)."""
        trace = self.forward(x)
        delta = self.deltas(x, y, trace)
        g = backprop.gradients(trace, delta)
        if self.weight_decay:  # step 3 gains lambda W^{(l)}; the deltas and dJ/db do not change
            for l in g.W:
                g.W[l] = g.W[l] + costs.decay_gradient(self.W[l], self.weight_decay)
        return g

    # -- input checks: a wrong shape is an error, never a broadcast ---------------

    def check_x(self, x) -> Array:
        s1 = self.sizes[0]
        arr = _as_real(x, "x", self.dtype)
        if arr.ndim not in (1, 2) or arr.shape[0] != s1:
            raise ValueError(
                f"x: layer 1 has s_1 = {s1} units, so x must have shape ({s1},) for one example "
                f"or ({s1}, m) for a batch of m columns; got {arr.shape}"
            )
        if not np.isfinite(arr).all():
            raise ValueError("x: contains NaN or infinity")
        return arr

    def check_y(self, y, shape: tuple[int, ...]) -> Array:
        arr = _as_real(y, "y", self.dtype)
        if arr.shape != shape:
            raise ValueError(
                f"y: must match the output h = a^({self.n_l}) of layer {self.n_l}, shape {shape}; got {arr.shape}"
            )
        if not np.isfinite(arr).all():
            raise ValueError("y: contains NaN or infinity")
        return arr

    def _check_layer(self, l, lo: int, hi: int, what: str) -> None:
        if not isinstance(l, (int, np.integer)) or isinstance(l, bool) or not lo <= l <= hi:
            raise ValueError(f"{what}: expected a layer number in {lo}..{hi}, got {l!r}")


def _as_real(value, name: str, dtype) -> Array:
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected an array of numbers, got {type(value).__name__}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    return arr.astype(dtype, copy=False)


def _check_sizes(sizes) -> list[int]:
    try:
        sizes = list(sizes)
    except TypeError:
        raise TypeError(f"sizes: expected a list of layer widths, got {type(sizes).__name__}") from None
    if len(sizes) < 2:
        raise ValueError(f"sizes: a network needs at least 2 layers (input and output), got {len(sizes)}")
    for l, s in enumerate(sizes, start=1):
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"sizes: s_{l} (layer {l}) must be an integer, got {s!r}")
        if s < 1:
            raise ValueError(f"sizes: s_{l} (layer {l}) must be at least 1, got {s}")
    return [int(s) for s in sizes]


def _check_activations(activation, n_l: int) -> dict[int, Activation]:
    if isinstance(activation, (str, Activation)):
        return {l: get_activation(activation) for l in range(2, n_l + 1)}
    names = list(activation)
    if len(names) != n_l - 1:
        raise ValueError(f"activation: expected one name per layer 2..{n_l} ({n_l - 1} names), got {len(names)}")
    return {l: get_activation(n, f"activation of layer {l}") for l, n in enumerate(names, start=2)}
