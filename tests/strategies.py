"""The one hypothesis strategy for networks, and the central-difference check, shared by the property
tests (test_core, test_costs)."""

import numpy as np
from hypothesis import strategies as st

import bpteach as bp
from bpteach import costs

ANY_COST = st.sampled_from(sorted(costs.COSTS))
ANY_DECAY = st.sampled_from([0.0, 0.05, 0.7])
SQUARED_ERROR, NO_DECAY = st.just("squared_error"), st.just(0.0)


def targets(rng: np.random.Generator, cost: str, s: int, m: int | None) -> np.ndarray:
    """y for the cost: any reals for squared error; one probability vector per example for cross-entropy."""
    shape = (s,) if m is None else (s, m)
    if cost == "squared_error":
        return rng.uniform(-1, 1, size=shape)
    y = rng.dirichlet(np.ones(s), size=1 if m is None else m).T
    return y[:, 0] if m is None else y


@st.composite
def networks(draw, cost=SQUARED_ERROR, decay=NO_DECAY, max_depth: int = 7, max_width: int = 6):
    """(net, x, y): 2..max_depth layers of 1..max_width units, any activations (a softmax output with
    cross-entropy), one example (m = None) or a batch of 1..4, weights and data from a drawn seed."""
    depth = draw(st.integers(2, max_depth))
    sizes = draw(st.lists(st.integers(1, max_width), min_size=depth, max_size=depth))
    cost, decay = draw(cost), draw(decay)
    acts = draw(st.lists(st.sampled_from(sorted(bp.ACTIVATIONS)), min_size=depth - 1, max_size=depth - 1))
    if cost == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
        acts[-1] = "softmax"
    seed = draw(st.integers(0, 2**32 - 1))
    m = draw(st.one_of(st.none(), st.integers(1, 4)))
    net = bp.Network(sizes, acts, seed=seed, cost=cost, weight_decay=decay)
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(size=(sizes[0],) if m is None else (sizes[0], m))
    return net, x, targets(rng, cost, sizes[-1], m)


def agrees_with_central_differences(net, x, y) -> tuple[bool, str]:
    """Backprop against central differences (step 1e-6), within what the differences can resolve.
    Their truncation error (about 1e-12 of the gradient) is far below 1e-7 relative; their round-off is
    about machine-eps |J| / 1e-6 per entry, whatever the gradient's size, so a tiny gradient (a net whose
    one-unit layers nearly cut the path) is held to that absolute floor instead."""
    g, n = net.gradients(x, y), bp.numerical_gradient(net, x, y)
    flat = [np.concatenate([np.ravel(v) for d in (G.W, G.b) for v in d.values()]) for G in (g, n)]
    gap, size = np.linalg.norm(flat[0] - flat[1]), np.linalg.norm(flat[0]) + np.linalg.norm(flat[1])
    roundoff = 10 * np.sqrt(flat[0].size) * np.finfo(float).eps * max(abs(net.cost(x, y)), 1.0) / 1e-6
    return gap <= 1e-7 * size + roundoff, f"|backprop - differences| = {gap:.3g}, |both| = {size:.3g}"
