"""The derivation's backward pass (notebooks 05-07): `backward` runs it top to bottom, calling each step, a short
function taking what its formula takes. Arrays are vectors (s_l,) for one example, or matrices (s_l, m) for a
batch of m columns, whose gradients are means. Step 1 is the cost's: each cost keeps its delta^{(n_l)} beside
its J in costs.py, the derivation's squared error (`output_delta`) included."""

from collections.abc import Callable, Mapping

import numpy as np

from . import costs
from .costs import decay_gradient, output_delta
from .layers import Gradients, Layers, Trace
from .loops import gradients_by_loops, multiplications  # noqa: F401 (the notebooks import them from here)

Array = np.ndarray


def hidden_delta(W_l: Array, delta_next: Array, fprime_z: Array) -> Array:
    """Step 2: delta^{(l)}_k = (sum_q W^{(l)}_{q<-k} delta^{(l+1)}_q) * f'(z^{(l)}_k).
    The sum runs over the destination index q, the rows of W^{(l)}: hence W^T."""
    return (W_l.T @ delta_next) * fprime_z


def weight_gradient(delta_next: Array, a_l: Array) -> Array:
    """Step 3: dJ/dW^{(l)}_{i<-j} = delta^{(l+1)}_i a^{(l)}_j, i.e. delta a^T (over a batch, delta a^T / m)."""
    if delta_next.ndim == 1:
        return delta_next[:, None] * a_l  # the column delta times the row a^T
    return delta_next @ a_l.T / delta_next.shape[1]


def bias_gradient(delta_next: Array) -> Array:
    """dJ/db^{(l)}_i = delta^{(l+1)}_i, because dz^{(l+1)}_i / db^{(l)}_i = 1 (derived in notebook 06)."""
    # the mean (1/m) sum over the batch as sum / m: np.mean's overhead was 6-11% of a five-layer step at m = 256
    return delta_next if delta_next.ndim == 1 else delta_next.sum(axis=1) / delta_next.shape[1]


def backward(
    W: Mapping[int, Array],
    fprime: Mapping[int, Array | None],
    trace: Trace,
    y: Array,
    *,
    step1: Callable[[Array, Array, Array | None], Array] = output_delta,
    step2: Callable[[Array, Array, Array], Array] = hidden_delta,
    step3: Callable[[Array, Array], Array] = weight_gradient,
    weight_decay: float = 0.0,
) -> Gradients:
    """dJ/dW[l] and dJ/db[l], l = 1..n_l-1, from y and the forward trace (z, a and h = a^{(n_l)}): the
    derivation top to bottom (notebook 06). fprime[l] is f'(z^{(l)}), l = 2..n_l. step1 is the cost's
    delta^{(n_l)} (costs.py; the squared error's by default); notebook 09's mistakes swap in a wrong step."""
    n_l, a, h = max(W) + 1, trace.a, trace.h
    # step 1, the output error delta^{(n_l)} = dJ/dz^{(n_l)}, the cost's own. A softmax output has no slope per
    # unit (fprime[n_l] is None: each h_r moves with every z_p); cross-entropy's step 1, h - y, needs none.
    delta = Layers("delta", {n_l: step1(y, h, fprime[n_l])})
    # step 2, from layer n_l - 1 back to layer 2: delta^{(l)} = (W^{(l)T} delta^{(l+1)}) * f'(z^{(l)})
    for l in range(n_l - 1, 1, -1):
        delta[l] = step2(W[l], delta[l + 1], fprime[l])
    # step 3 for l = 1..n_l-1: dJ/dW^{(l)} = delta^{(l+1)} a^{(l)T}; and the bias, dJ/db^{(l)} = delta^{(l+1)}
    dW, db = Layers("dJ/dW"), Layers("dJ/db")
    for l in range(1, n_l):
        dW[l], db[l] = step3(delta[l + 1], a[l]), bias_gradient(delta[l + 1])
    # the cost's extra term: weight decay's lambda/2 ||W^{(l)}||^2 adds lambda W^{(l)} to dJ/dW^{(l)}, not to b
    for l in dW if weight_decay else ():
        dW[l] = dW[l] + decay_gradient(W[l], weight_decay)
    return Gradients(dW, db, delta, trace)


# -- the two halves of `backward` apart, for callers holding only y and h, or the deltas (notebook 06, grader) --


def deltas(
    W: Mapping[int, Array],
    fprime: Mapping[int, Array | None],
    y: Array,
    h: Array,
    *,
    output_delta: Callable[[Array, Array, Array | None], Array] | None = None,
) -> Layers:
    """Steps 1 and 2 of `backward` alone: delta^{(l)}, l = n_l..2. `output_delta` replaces step 1 (notebook 06
    swaps in delta_p = f'(z_p)); None is the squared error's, costs.output_delta."""
    n_l, step1 = max(W) + 1, costs.output_delta if output_delta is None else output_delta
    delta = Layers("delta", {n_l: step1(y, h, fprime[n_l])})
    for l in range(n_l - 1, 1, -1):
        delta[l] = hidden_delta(W[l], delta[l + 1], fprime[l])
    return delta


def gradients(a: Mapping[int, Array], delta: Layers) -> tuple[Layers, Layers]:
    """Step 3 of `backward` alone, from the deltas: dJ/dW[l] and dJ/db[l], l = 1..n_l-1 (no weight decay)."""
    n_l = max(delta)
    dW = Layers("dJ/dW", {l: weight_gradient(delta[l + 1], a[l]) for l in range(1, n_l)})
    return dW, Layers("dJ/db", {l: bias_gradient(delta[l + 1]) for l in range(1, n_l)})
