"""The figures read back: what each drew is what the maths says. Checks of matplotlib itself
(colours and widths read from the artists) live here rather than in the notebooks.
Screenshots of the new figures land in test-artifacts/."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import bpteach as bp  # noqa: E402
from bpteach import figures  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
X1, Y1 = np.array([0.5, -0.3]), np.array([1.0, 0.0])


def save(fig, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    fig.savefig(ARTIFACTS / name, dpi=90)
    assert (ARTIFACTS / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plt.close(fig)


class Counted:
    """A number that counts the multiplications it takes part in."""

    tally = 0

    def __init__(self, v):
        self.v = float(v)

    def __mul__(self, other):
        Counted.tally += 1
        return Counted(self.v * (other.v if isinstance(other, Counted) else other))

    __rmul__ = __mul__

    def __add__(self, other):
        return Counted(self.v + (other.v if isinstance(other, Counted) else other))

    __radd__ = __add__


def count_once(net, x, y, i, j):
    """dJ/dW^{(1)}_{i<-j} by the delta recursion on counted numbers, for any depth."""
    t = net.forward(x)
    fp = {m: [Counted(v) for v in net.activations[m].df(t.z[m])] for m in range(2, net.n_l + 1)}
    W = {m: np.vectorize(Counted)(net.W[m]) for m in net.W}
    Counted.tally = 0
    d = [Counted(-(y[p] - t.h[p])) * fp[net.n_l][p] for p in range(net.s(net.n_l))]
    for m in range(net.n_l - 1, 2, -1):
        d = [fp[m][q] * sum(W[m][p, q] * d[p] for p in range(len(d))) for q in range(net.s(m))]
    value = fp[2][i] * sum(W[2][k, i] * d[k] for k in range(len(d))) * Counted(t.a[1][j])
    return value.v, Counted.tally


@pytest.mark.parametrize("sizes", [(2, 3, 4, 3, 2), (2, 3, 2, 4), (3, 2, 2, 3, 2, 2)])
def test_merged_count_is_the_counted_recursion(sizes):
    net = bp.Network(list(sizes), seed=1)
    x, y = np.full(sizes[0], 0.3), np.full(sizes[-1], 0.5)
    value, n = count_once(net, x, y, 1, 0)
    assert np.isclose(value, net.gradients(x, y).W[1][1, 0], rtol=1e-12)
    assert n == figures.merged_multiplications(net.sizes, 1)


def test_path_tree_draws_the_terms_and_the_deltas():
    net = bp.Network.five_layer(seed=0)
    tree = figures.path_tree(net, X1, Y1, 1, 2, 1)
    assert len(tree.paths) == 24 and tree.n_tree == 192 and tree.n_merged == 33
    assert tree.tree_edges == 4 + 12 + 24 and tree.merged_edges == 4 + 12 + 6
    assert np.isclose(tree.values.sum(), net.gradients(X1, Y1).W[1][2, 1], rtol=1e-12)
    cmap = plt.get_cmap(figures.DELTA_CMAP)
    assert np.allclose(tree.leaf_colors, cmap(tree.norm(tree.values)), atol=1e-12)
    delta = net.deltas(X1, Y1)
    assert np.allclose(tree.merged_values[2], [delta[2][2]]) and np.allclose(tree.merged_values[4], delta[4])
    save(tree.fig, "figure-05-path-tree.png")


def test_delta_flow_colours_each_step_by_its_deltas():
    net = bp.Network.five_layer(seed=0)
    flow = figures.delta_flow(net, X1, Y1)
    delta = net.deltas(X1, Y1)
    cmap = plt.get_cmap(figures.DELTA_CMAP)
    assert flow.steps == [5, 4, 3, 2]
    for step, shown, colors in zip(flow.steps, flow.scaled, flow.colors, strict=True):
        assert sorted(shown) == list(range(step, 6))
        row = 0
        for m, s in enumerate(net.sizes, start=1):
            for u in range(s):
                want = cmap((delta[m][u] / np.abs(delta[m]).max() + 1) / 2) if m >= step else None
                if want is None:
                    assert np.allclose(colors[row], (0.85, 0.85, 0.85, 1))
                else:
                    assert np.allclose(colors[row], want)
                row += 1
        assert max(np.abs(v).max() for v in shown.values()) == 1.0
    save(flow.fig, "figure-06-delta-flow.png")


def test_batched_shapes_are_the_arrays_shapes():
    net = bp.Network.five_layer(seed=0)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(2, 8)), rng.uniform(size=(2, 8))
    fig = figures.batched_shapes(net, X, Y, cell=0.22)
    g = net.gradients(X, Y)
    for l in (4, 3, 2):
        shapes = [b.shape for b in fig.rows[f"delta {l}"]]
        assert shapes == [net.W[l].T.shape, g.delta[l + 1].shape, g.delta[l].shape, g.delta[l].shape]
    for l in (4, 3, 2, 1):
        shapes = [b.shape for b in fig.rows[f"dW {l}"]]
        assert shapes == [(net.s(l + 1), 8), (8, net.s(l)), net.W[l].shape]
    for row in fig.rows.values():
        for b in row:
            assert np.isclose(b.rect.get_width(), 0.22 * b.shape[1])
            assert np.isclose(b.rect.get_height(), 0.22 * b.shape[0])
    save(fig.fig, "figure-07-batched-shapes.png")


# -- Figure 1 and Figure 2 (bpteach.diagram), read back from their artists --------------------


def test_figure_1_colours_and_widths_follow_the_weights_and_the_units():
    from bpteach.diagram import draw_network

    net = bp.Network.five_layer(seed=0)
    trace = net.forward(X1)
    fig1 = draw_network(net, trace)
    W_of_link = np.empty(36)
    for (l, i, j), n in fig1.link_index.items():
        W_of_link[n] = net.W[l][i, j]
    fig1.fig.canvas.draw()  # make the figure settle its colours
    rgba = fig1.links.get_colors()  # one RGBA per link, as painted
    widths = np.asarray(fig1.links.get_linewidths())
    red, blue = rgba[:, 0] > rgba[:, 2], rgba[:, 2] > rgba[:, 0]
    assert np.array_equal(red, W_of_link > 0) and np.array_equal(blue, W_of_link < 0)
    slope, floor = np.polyfit(np.abs(W_of_link), widths, 1)  # width = floor + slope * |W|
    assert slope > 0 and 0 < floor < widths.min() + 1e-9
    assert np.allclose(widths, floor + slope * np.abs(W_of_link), rtol=1e-9)
    values = fig1.unit_values(trace)  # the value behind each unit's fill
    assert all(np.isclose(v, trace.a[l][u], rtol=1e-12) for (l, u), v in zip(fig1.unit_keys, values, strict=True))
    faces = fig1.units.get_facecolors()
    for n, (l, _) in enumerate(fig1.unit_keys):
        if l == 1:  # the inputs on their own scale: x2 = -0.3 is not painted as 0 (or as x1)
            assert np.allclose(faces[n], fig1.input_cmap(fig1.input_norm(values[n])))
        else:
            assert np.allclose(faces[n], fig1.unit_cmap(fig1.unit_norm(values[n])))
    j1, j2 = fig1.unit_keys.index((1, 0)), fig1.unit_keys.index((1, 1))
    assert not np.allclose(faces[j2], fig1.unit_cmap(0.0)) and not np.allclose(faces[j1], faces[j2])
    assert fig1.input_bar.ax.get_visible() and not fig1.flow_bar.ax.get_visible()
    save(fig1.fig, "figure-02-network.png")


def test_figure_2_draws_each_link_with_the_net_signed_flow():
    from bpteach.diagram import draw_paths

    net = bp.Network.five_layer(seed=0)
    fig2 = draw_paths(net, X1, Y1, 1, 2, 1)
    terms = list(bp.path_terms(net, X1, Y1, 1, 2, 1))
    for (m, dst, src), flow in fig2.flows.items():  # each link: the sum of the terms through it
        through = [t.value for t in terms if t.path[m - 1] == src and t.path[m] == dst]
        assert through and np.isclose(flow, sum(through), rtol=1e-12, atol=0)
    # i3 -> k2: its largest term is positive, the terms' sum negative; drawn blue, as the sum
    k = fig2.flow_order.index((2, 1, 2))
    assert max((t.value for t in terms if t.path[2] == 1), key=abs) > 0 > fig2.flows[2, 1, 2]
    r, _, b, _ = fig2.bundle.get_colors()[k]
    assert b > r
    widths = np.asarray(fig2.bundle.get_linewidths())
    flows = np.array([fig2.flows[key] for key in fig2.flow_order])
    assert np.allclose(widths, 0.6 + 7.0 * np.abs(flows) / np.abs(flows).max())
    assert fig2.flow_bar.ax.get_visible()
    fig2.show_paths(None)
    assert not fig2.flow_bar.ax.get_visible() and not fig2.bundle.get_segments()
    fig2.show_paths(terms, 1)
    save(fig2.fig, "figure-04-every-path.png")
