"""Containers keyed by the derivation's 1-based layer numbers: `net.W[1]` is W^{(1)}, `trace.z[2]`
is z^{(2)}, so no code renumbers silently. Asking for a layer that does not exist says which do."""

from dataclasses import dataclass, field

import numpy as np

from . import checks


class Layers(dict):
    """A dict from layer number l to an array, named after its symbol ("z", "delta", ...)."""

    def __init__(self, symbol: str, items=(), /):
        super().__init__(items)
        self.symbol = symbol

    def __missing__(self, l):
        raise checks.LayerIndexError(self.symbol, l, self.keys())

    def __repr__(self) -> str:
        return f"<{self.symbol} {{{', '.join(f'{l}: shape {np.shape(v)}' for l, v in self.items())}}}>"


class ParamLayers(Layers):
    """W or b of a network: `net.W[2] = ...` is checked, so it never stores a transposed or broadcast matrix."""

    def __init__(self, symbol: str, shapes: dict[int, tuple[int, ...]], dtype):
        super().__init__(symbol)
        self.shapes, self.dtype = Layers(symbol, shapes), dtype  # shapes[l] of a missing l says which exist

    def __setitem__(self, l, value) -> None:
        super().__setitem__(l, checks.parameter(value, f"{self.symbol}[{l}]", self.shapes[l], self.dtype))


@dataclass
class Trace:
    """What the forward pass keeps: z[l] for l = 2..n_l, a[l] for 1..n_l; (s_l,) or (s_l, m) for m columns."""

    z: Layers
    a: Layers

    @property
    def h(self) -> np.ndarray:
        """The output h(W, b; x) = a^{(n_l)}."""
        return self.a[max(self.a)]


@dataclass
class Gradients:
    """dJ/dW[l] and dJ/db[l], shaped like the parameters; `delta` and `trace` are kept for inspection."""

    W: Layers
    b: Layers
    delta: Layers | None = field(default=None, repr=False)
    trace: Trace | None = field(default=None, repr=False)
