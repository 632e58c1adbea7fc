"""Small generated data sets (notebook 08). Nothing is downloaded.

Examples are columns: X has shape (2, m) and Y has shape (1, m) with labels 0 or 1,
ready for a sigmoid output unit.
"""

from __future__ import annotations

import numpy as np


def xor(m: int = 200, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Four noisy clouds at the corners of a square; the label is x1 XOR x2."""
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(2, m))
    X = corners + rng.normal(0.0, noise, size=(2, m)) - 0.5
    return X, (corners[0] ^ corners[1]).astype(float)[None, :]


def two_moons(m: int = 200, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, size=m)
    t = rng.uniform(0.0, np.pi, size=m)
    x1 = np.where(label == 0, np.cos(t), 1.0 - np.cos(t))
    x2 = np.where(label == 0, np.sin(t), 0.5 - np.sin(t))
    X = np.stack([x1 - 0.5, x2 - 0.25]) + rng.normal(0.0, noise, size=(2, m))
    return X, label.astype(float)[None, :]


def circles(m: int = 200, noise: float = 0.08, factor: float = 0.5, seed: int = 0):
    """A small circle inside a large one; label 1 is the inner circle."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, size=m)
    t = rng.uniform(0.0, 2 * np.pi, size=m)
    r = np.where(label == 1, factor, 1.0)
    X = np.stack([r * np.cos(t), r * np.sin(t)]) + rng.normal(0.0, noise, size=(2, m))
    return X, label.astype(float)[None, :]
