"""Input checks, called at the public edges so that the maths modules read as maths. A wrong shape is a
ValueError naming the layer, the expected and the got shape (never a silent broadcast); a wrong kind, TypeError."""

import math

import numpy as np

from .activations import Activation, get_activation


class LayerIndexError(ValueError):
    """A layer number outside the range a quantity is defined on, e.g. z[1] (z starts at layer 2)."""

    def __init__(self, symbol: str, l, defined) -> None:
        span = f"l = {min(defined)}..{max(defined)}" if defined else "no layers"
        super().__init__(f"{symbol}[{l!r}] does not exist: {symbol} is defined for {span}")


def real(value, name: str, dtype) -> np.ndarray:
    """`value` as an array of finite real numbers of `dtype`, or a clear error naming `name`."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected an array of numbers, got {type(value).__name__}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinity")
    return arr.astype(dtype, copy=False)


def x(value, s_1: int, dtype) -> np.ndarray:
    if (arr := real(value, "x", dtype)).ndim not in (1, 2) or arr.shape[0] != s_1:
        raise ValueError(
            f"x: layer 1 has s_1 = {s_1} units, so x must have shape ({s_1},) for one example "
            f"or ({s_1}, m) for a batch of m columns; got {arr.shape}"
        )
    return arr


def y(value, shape: tuple[int, ...], n_l: int, dtype) -> np.ndarray:
    if (arr := real(value, "y", dtype)).shape != shape:
        raise ValueError(f"y: must match the output h = a^({n_l}) of layer {n_l}, shape {shape}; got {arr.shape}")
    return arr


def parameter(value, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    """A copy of W[l] or b[l] with exactly `shape`: never transposed, never broadcast."""
    if (arr := np.array(real(value, name, dtype))).shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    return arr


def layer(l, lo: int, hi: int, what: str) -> int:
    if not isinstance(l, (int, np.integer)) or isinstance(l, bool) or not lo <= l <= hi:
        raise ValueError(f"{what}: expected a layer number in {lo}..{hi}, got {l!r}")
    return l


def weight(shapes: dict[int, tuple[int, int]], l, i, j) -> None:
    """(l, i, j) names a weight W^{(l)}_{i<-j}: i a row (destination), j a column (source)."""
    rows, cols = shapes[layer(l, 1, len(shapes), "l (the weight's layer)")]
    for name, v, n, role in (("i", i, rows, "destination"), ("j", j, cols, "source")):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not 0 <= v < n:
            raise ValueError(
                f"{name}: W[{l}] has shape {(rows, cols)}, so the {role} index {name} must be in "
                f"0..{n - 1} (0-based; the text's {name} = 1..{n}), got {v!r}"
            )


def weight_decay(value) -> float:
    """lambda of J + lambda/2 sum_l ||W^{(l)}||^2: a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"weight_decay: expected a number lambda >= 0, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"weight_decay: expected a finite number lambda >= 0, got {value!r}")
    return float(value)


def sizes(value) -> list[int]:
    if not hasattr(value, "__iter__"):
        raise TypeError(f"sizes: expected a list of layer widths, got {type(value).__name__}")
    if len(widths := list(value)) < 2:
        raise ValueError(f"sizes: a network needs at least 2 layers (input and output), got {len(widths)}")
    for l, s in enumerate(widths, start=1):
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"sizes: s_{l} (layer {l}) must be an integer, got {s!r}")
        if s < 1:
            raise ValueError(f"sizes: s_{l} (layer {l}) must be at least 1, got {s}")
    return [int(s) for s in widths]


def activations(activation, n_l: int) -> dict[int, Activation]:
    """One Activation for each layer 2..n_l, from one name for all or a list of n_l - 1 names."""
    if isinstance(activation, (str, Activation)):
        return {l: get_activation(activation) for l in range(2, n_l + 1)}
    if len(names := list(activation)) != n_l - 1:
        raise ValueError(f"activation: expected one name per layer 2..{n_l} ({n_l - 1} names), got {len(names)}")
    return {l: get_activation(n, f"activation of layer {l}") for l, n in enumerate(names, start=2)}
