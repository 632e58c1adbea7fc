"""The drawing and the explorer, driven headless exactly as a front end would drive them."""

import io

import matplotlib
import numpy as np
import pytest
from PIL import Image

import bpteach as bp
from bpteach.diagram import NetworkDiagram, draw_network, encode_png
from bpteach.explorer import Explorer

matplotlib.use("Agg")


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def test_blitted_png_matches_a_full_redraw():
    net = bp.Network.five_layer(seed=0)
    d = NetworkDiagram(net)
    d.update(net.forward(np.array([0.5, -0.3])))
    d.png()  # builds the cached layers
    net.W[2][1, 1] = 2.5  # change something the cache must not hide
    d.update(net.forward(np.array([0.9, 0.1])))
    d.highlight((1, 2, 0, 1, 1))
    fast = _pixels(d.png())
    d.fig.canvas.draw()
    full = np.asarray(d.fig.canvas.buffer_rgba())[:, :, :3].astype(int)
    assert fast.shape == full.shape
    assert np.mean(np.abs(fast - full)) < 0.5 and np.percentile(np.abs(fast - full), 99.9) < 40


def test_encode_png_roundtrips():
    rgba = np.random.default_rng(0).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    assert np.array_equal(_pixels(encode_png(rgba)), rgba[:, :, :3])


def test_diagram_updates_in_place():
    net = bp.Network.five_layer(seed=0)
    d = draw_network(net, net.forward(np.zeros(2)))
    links, units, n_children = d.links, d.units, len(d.ax.get_children())
    net.W[1][0, 0] = -2.0
    d.update(net.forward(np.ones(2)))
    assert d.links is links and d.units is units and len(d.ax.get_children()) == n_children
    widths = d.links.get_linewidths()
    assert widths[d.link_index[1, 0, 0]] == pytest.approx(max(widths))  # the largest weight is the widest
    assert d.links.get_array()[d.link_index[1, 0, 0]] == -2.0


def test_diagram_colours_by_delta_and_highlights_a_path():
    net = bp.Network.five_layer(seed=0)
    x, y = np.array([0.5, -0.3]), np.array([1.0, 0.0])
    g = net.gradients(x, y)
    d = NetworkDiagram(net, color_by="delta")
    d.update(g.trace, g.delta)
    values = np.asarray(d.units.get_array())
    assert np.isnan(values[:2]).all()  # layer 1 has no delta
    assert values[-2:] == pytest.approx(g.delta[5])
    d.highlight((1, 2, 0, 1, 1))
    assert len(d.path.get_segments()) == 4
    with pytest.raises(ValueError, match=r"path: expected one unit for each layer 1..5 \(5 units\), got 3"):
        d.highlight((1, 2, 0))
    with pytest.raises(ValueError, match="color_by"):
        NetworkDiagram(net, color_by="rainbow")


def _expected(ex, l, i, j):
    net = ex._initial[0].copy()
    for m in net.W:
        net.W[m] = ex.net.W[m]
        net.b[m] = ex.net.b[m]
    return net.cost(ex.x, ex.y), net.gradients(ex.x, ex.y).W[l][i, j]


def test_explorer_builds_headless_and_reports_its_state():
    ex = Explorer()
    s = ex.state()
    rounded = bp.Network.five_layer(seed=0)
    for l in rounded.W:
        rounded.W[l] = np.round(rounded.W[l], 2)
    assert s["J"] == pytest.approx(rounded.cost([0.5, -0.3], [1.0, 0.0]), rel=1e-12)
    assert s["grad_delta"] == pytest.approx(s["grad_numerical"], rel=1e-6)
    assert s["grad_delta"] == pytest.approx(s["grad_paths"], rel=1e-10)
    assert bytes(ex.image.value).startswith(b"\x89PNG")
    assert f"{s['J']:.6f}" in ex.panel.value and "24 path terms" in ex.terms.value
    assert f"J = {s['J']:.6f}" in ex.summary()
    assert all(np.array_equal(ex.net.W[l], np.round(ex.net.W[l], 2)) for l in ex.net.W)  # on the slider grid


def test_weight_slider_moves_the_weight_and_everything_follows():
    ex = Explorer()
    image_before, J_before = ex.image.value, ex.state()["J"]
    links = ex.diagram.links
    ex.weight_sliders[1, 2, 1].value = 1.75
    assert ex.net.W[1][2, 1] == 1.75
    J, grad = _expected(ex, 1, 2, 1)
    s = ex.state()
    assert s["J"] == pytest.approx(J, rel=1e-12) and s["J"] != J_before
    assert s["grad_delta"] == pytest.approx(grad, rel=1e-12)
    assert f"{J:.6f}" in ex.panel.value and f"{grad:+.6e}" in ex.panel.value
    assert bytes(ex.image.value) != bytes(image_before)
    assert ex.diagram.links is links  # restyled, not rebuilt


def test_layer_selector_study_selector_and_data_sliders():
    ex = Explorer()
    ex.layer.value = 3
    assert len(ex.weight_box.children) == 12
    ex.weight_box.children[5].value = -1.0  # row 1, column 1 of W[3]
    assert ex.net.W[3][1, 1] == -1.0
    ex.study.value = (3, 1, 1)
    s = ex.state()
    assert len(s["terms"]) == 2 and s["grad_delta"] == pytest.approx(_expected(ex, 3, 1, 1)[1], rel=1e-12)
    ex.x_sliders[0].value = -0.8
    ex.y_sliders[1].value = 0.6
    assert ex.x.tolist() == [-0.8, -0.3] and ex.y.tolist() == [1.0, 0.6]
    assert ex.state()["J"] == pytest.approx(_expected(ex, 3, 1, 1)[0], rel=1e-12)
    ex.color_by.value = "delta"
    assert ex.diagram.color_by == "delta"


def test_buttons_step_reset_random_and_play():
    ex = Explorer()
    J0, W0 = ex.state()["J"], ex.net.W[2].copy()
    ex.step_button.click()
    J1 = ex.state()["J"]
    assert J1 < J0
    assert ex.weight_sliders[1, 2, 1].value == pytest.approx(ex.net.W[1][2, 1], abs=1e-12)
    ex.play.value = 1
    ex.play.value = 2
    assert ex.state()["J"] < J1
    ex.reset()
    assert ex.state()["J"] == J0 and np.array_equal(ex.net.W[2], W0) and ex.play.value == 0
    ex.random_button.click()
    assert not np.array_equal(ex.net.W[2], W0)
    assert ex.weight_sliders[1, 0, 0].value == ex.net.W[1][0, 0]
    assert all(np.array_equal(ex.net.W[l], np.round(ex.net.W[l], 2)) for l in ex.net.W)
