"""The network: its parameters W[l], b[l] and the forward trace z[l], a[l] (notebooks 01 and 02).
Layers are numbered as in the text, 1 the input and n_l the output. `W[l][i, j]` is W^{(l)}_{i<-j},
from unit j on layer l to unit i on layer l+1: destination row, source column, 0-based (the text's i = 1 is row 0)."""

from collections.abc import Mapping, Sequence

import numpy as np

from . import backprop, checks, costs
from .activations import SOFTMAX, Activation, slope_at_z
from .layers import Gradients, Layers, ParamLayers, Trace

ActivationSpec = str | Activation | Sequence[str | Activation]


class Network:
    """A fully connected network, `sizes = [s_1, ..., s_{n_l}]`. `activation` is one name for every layer, or one
    for each of the layers 2..n_l (layer 1, the input, has none). `cost` is "squared_error" (the derivation's) or
    "cross_entropy", which puts a softmax on layer n_l; `weight_decay` is lambda in J + lambda/2 sum_l ||W^{(l)}||^2."""

    def __init__(
        self,
        sizes: Sequence[int],
        activation: ActivationSpec = "sigmoid",
        seed: int | None = None,
        dtype: str | type = "float64",
        cost: str | costs.Cost = "squared_error",
        weight_decay: float = 0.0,
    ) -> None:
        self.sizes = checks.sizes(sizes)
        self.n_l = len(self.sizes)
        if (dtype := np.dtype(dtype)).kind != "f":
            raise TypeError(f"dtype: expected a floating type, got {dtype}")
        self.dtype, self.cost_function = dtype, costs.get_cost(cost)
        self.weight_decay = checks.weight_decay(weight_decay)
        activation = costs.output_activation(self.cost_function, activation, self.n_l)  # softmax for cross-entropy
        self.activations = checks.activations(activation, self.n_l)
        self.letters: tuple[str, ...] | None = None
        s = (None, *self.sizes)  # s[l] is s_l, 1-based like the text
        self.W = ParamLayers("W", {l: (s[l + 1], s[l]) for l in range(1, self.n_l)}, self.dtype)
        self.b = ParamLayers("b", {l: (s[l + 1],) for l in range(1, self.n_l)}, self.dtype)
        self.randomize(seed)

    @classmethod
    def five_layer(cls, seed: int = 0, activation: ActivationSpec = "sigmoid") -> "Network":
        """The derivation's example: layers 1..5 with units j, i, k, q, p. The widths 2-3-4-3-2 make
        every W non-square, so an index-order mistake is a shape error, not a silently wrong number."""
        net = cls([2, 3, 4, 3, 2], activation=activation, seed=seed)
        net.letters = ("j", "i", "k", "q", "p")
        return net

    @classmethod
    def from_params(cls, W: Mapping, b: Mapping, activation: ActivationSpec = "sigmoid", dtype="float64") -> "Network":
        """A network holding copies of W[l] and b[l], l = 1..n_l-1; the sizes are read from W's shapes."""
        net = cls([np.shape(W[1])[1]] + [np.shape(W[l])[0] for l in range(1, len(W) + 1)], activation, dtype=dtype)
        for l in net.W:
            net.W[l], net.b[l] = W[l], b[l]
        return net

    def randomize(self, seed: int | None = None) -> None:
        """Draw W[l] ~ N(0, 1/s_l) and small non-zero biases, so that a bias bug shows."""
        rng = np.random.default_rng(seed)
        for l, (rows, cols) in self.W.shapes.items():
            self.W[l] = rng.normal(0.0, 1.0 / np.sqrt(cols), (rows, cols))
            self.b[l] = rng.normal(0.0, 0.1, rows)

    def s(self, l: int) -> int:
        """s_l, the number of units on layer l."""
        return self.sizes[checks.layer(l, 1, self.n_l, "layer") - 1]

    def copy(self) -> "Network":
        new = Network.from_params(self.W, self.b, list(self.activations.values()), self.dtype)
        new.cost_function, new.weight_decay, new.letters = self.cost_function, self.weight_decay, self.letters
        return new

    def __repr__(self) -> str:
        acts = "/".join(a.name for a in self.activations.values())
        extra = "" if self.cost_function is costs.squared_error else f", cost={self.cost_function.name}"
        extra += f", weight_decay={self.weight_decay}" if self.weight_decay else ""
        return f"Network(sizes={self.sizes}, activation={acts}, dtype={self.dtype}{extra})"

    def check_x(self, x) -> np.ndarray:
        return checks.x(x, self.sizes[0], self.dtype)

    def check_y(self, y, shape: tuple[int, ...]) -> np.ndarray:
        return checks.y(y, shape, self.n_l, self.dtype)

    def forward(self, x) -> Trace:
        """z^{(l+1)} = W^{(l)} a^{(l)} + b^{(l)}, a^{(l+1)} = f(z^{(l+1)}), from a^{(1)} = x."""
        z, a = Layers("z"), Layers("a", {1: self.check_x(x)})
        for l in range(1, self.n_l):
            b = self.b[l] if a[l].ndim == 1 else self.b[l][:, None]  # a batch: the same b for every column
            z[l + 1] = self.W[l] @ a[l] + b
            a[l + 1] = self.activations[l + 1].f(z[l + 1])
        return Trace(z, a)

    def cost(self, x, y, trace: Trace | None = None) -> float:
        """J = 1/2 ||y - h||^2 for one example, the mean over a batch (notebook 03); with another cost, that
        cost's J, and with weight decay plus lambda/2 sum_l ||W^{(l)}||^2 (notebook 11). `trace`: x's forward
        pass, if already run (train.step's J before the step)."""
        h = (self.forward(x) if trace is None else trace).h
        J = self.cost_function.J(self.check_y(y, h.shape), h)
        return J + costs.decay_cost(self.W, self.weight_decay) if self.weight_decay else J

    def fprime(self, trace: Trace) -> dict[int, np.ndarray | None]:
        """f'(z^{(l)}) for l = 2..n_l, the slope at z (activations.slope_at_z says how it is read off a).
        A softmax output gets None: it has no slope per unit, and cross-entropy's step 1 needs none."""
        z, a = trace.z, trace.a
        return {l: None if f is SOFTMAX else slope_at_z(f, z[l], a[l]) for l, f in self.activations.items()}

    def deltas(self, x, y, trace: Trace | None = None) -> Layers:
        """delta^{(l)} for l = 2..n_l: steps 1 (the cost's) and 2 of the derivation (notebook 06)."""
        trace = self.forward(x) if trace is None else trace
        y = self.check_y(y, trace.h.shape)
        return backprop.deltas(self.W, self.fprime(trace), y, trace.h, output_delta=self.cost_function.delta)

    def gradients(self, x, y) -> Gradients:
        """dJ/dW[l] and dJ/db[l] of this network's J; for a batch, the gradient of the mean cost (notebook 06).
        One forward pass, then backprop.backward: the cost's step 1, steps 2 and 3, weight decay."""
        trace = self.forward(x)
        y, fprime = self.check_y(y, trace.h.shape), self.fprime(trace)
        return backprop.backward(
            self.W, fprime, trace, y, step1=self.cost_function.delta, weight_decay=self.weight_decay
        )
