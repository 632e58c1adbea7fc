"""Dictionaries keyed by the derivation's 1-based layer numbers.

`net.W[1]` is W^{(1)}, `trace.z[2]` is z^{(2)}: the keys are the layer labels of
the text, so no code ever renumbers silently. Asking for a layer that does not
exist says which layers do.
"""

from __future__ import annotations

import numpy as np


class LayerIndexError(KeyError, ValueError):
    """A layer number outside the range a quantity is defined on.

    It is a KeyError so that mappings behave as mappings, and a ValueError because
    it is bad input.
    """

    def __str__(self) -> str:
        return str(self.args[0])


class Layers(dict):
    """A dict from layer number l to an array, named after its symbol ("z", "delta", ...)."""

    def __init__(self, symbol: str, items=(), /):
        super().__init__(items)
        self.symbol = symbol

    def __missing__(self, l):
        ls = sorted(self)
        span = f"l = {ls[0]}..{ls[-1]}" if ls else "no layers"
        raise LayerIndexError(f"{self.symbol}[{l!r}] does not exist: {self.symbol} is defined for {span}")

    def __repr__(self) -> str:
        inner = ", ".join(f"{l}: shape {np.shape(v)}" for l, v in self.items())
        return f"<{self.symbol} {{{inner}}}>"


class ParamLayers(Layers):
    """W or b of a network: assignment checks the shape, so a slider or an exercise
    can set `net.W[2] = ...` but can never store a transposed or broadcast matrix."""

    def __init__(self, symbol: str, shapes: dict[int, tuple[int, ...]], dtype, items=()):
        self.shapes = shapes
        self.dtype = np.dtype(dtype)
        super().__init__(symbol)
        for l, v in dict(items).items():
            self[l] = v

    def __setitem__(self, l, value) -> None:
        if l not in self.shapes:
            ls = sorted(self.shapes)
            raise LayerIndexError(
                f"{self.symbol}[{l!r}] does not exist: {self.symbol} is defined for l = {ls[0]}..{ls[-1]}"
            )
        super().__setitem__(l, check_array(value, f"{self.symbol}[{l}]", self.shapes[l], self.dtype))

    def update(self, *args, **kwargs) -> None:  # route through the checks above
        for l, v in dict(*args, **kwargs).items():
            self[l] = v


def check_array(value, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    """A float copy of `value` with exactly `shape`, or a clear error naming `name`."""
    try:
        arr = np.array(value, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}: expected an array of numbers with shape {shape}, got {type(value).__name__}"
        ) from None
    if np.asarray(value).dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected real numbers, got dtype {np.asarray(value).dtype}")
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinity")
    return arr
