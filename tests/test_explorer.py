"""The drawing and the explorer, driven headless exactly as a front end would drive them."""

import io
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from PIL import Image

import bpteach as bp
import bpteach.train
from bpteach.diagram import NO_VALUE, NetworkDiagram, contrast_ratio, draw_network, draw_paths, encode_png
from bpteach.diagram_pixels import label_color
from bpteach.explorer import PRESETS, Explorer
from bpteach.mistakes import MISTAKES

matplotlib.use("Agg")
X, Y = np.array([0.5, -0.3]), np.array([1.0, 0.0])


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def _fill(d: NetworkDiagram, l: int, u: int) -> np.ndarray:
    return d.fills[d.unit_keys.index((l, u))]


# -- the diagram ---------------------------------------------------------------------------


def test_blitted_png_matches_a_full_redraw():
    net = bp.Network.five_layer(seed=0)
    d = NetworkDiagram(net, color_by="delta")
    d.update(net.forward(X), net.deltas(X, Y))
    d.png()  # builds the cached layers
    net.W[2][1, 1] = 2.5  # change something the cache must not hide
    d.update(net.forward(np.array([0.9, 0.1])), net.deltas(np.array([0.9, 0.1]), Y))
    d.highlight((1, 2, 0, 1, 1))
    fast = _pixels(d.png())
    d.fig.canvas.draw()
    full = np.asarray(d.fig.canvas.buffer_rgba())[:, :, :3].astype(int)
    assert fast.shape == full.shape
    assert np.mean(np.abs(fast - full)) < 0.5 and np.percentile(np.abs(fast - full), 99.9) < 40


def test_encode_png_roundtrips():
    rgba = np.random.default_rng(0).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    assert np.array_equal(_pixels(encode_png(rgba)), rgba[:, :, :3])


def test_diagram_updates_in_place_on_a_fixed_link_scale():
    net = bp.Network.five_layer(seed=0)
    d = draw_network(net, net.forward(np.zeros(2)), limit=3.0)
    links, units, n_children = d.links, d.units, len(d.ax.get_children())
    widths0 = np.array(d.links.get_linewidths())
    net.W[1][0, 0] = -3.0
    d.update(net.forward(np.ones(2)))
    assert d.links is links and d.units is units and len(d.ax.get_children()) == n_children
    widths = np.array(d.links.get_linewidths())
    k = d.link_index[1, 0, 0]
    assert widths[k] == pytest.approx(4.0)  # |W| = limit: the widest a link gets
    others = np.arange(len(widths)) != k
    assert np.array_equal(widths[others], widths0[others])  # one weight at the limit thins no other link
    assert np.allclose(d.links.get_colors()[k], d.link_cmap(0.0))  # -limit: the bluest end


def test_diagram_colours_by_delta_per_layer_and_symlog_with_layer_1_marked():
    net = bp.Network.five_layer(seed=0)
    delta = net.deltas(X, Y)
    d = NetworkDiagram(net, color_by="delta")
    d.update(net.forward(X), delta)
    values = d.unit_values(net.forward(X), delta)
    assert np.isnan(values[:2]).all()  # layer 1 has no delta...
    assert np.allclose(d.fills[:2], to_rgba(NO_VALUE)) and d.no_delta.get_visible()  # ...and says so
    for l in range(2, 6):  # each layer on its own scale: its largest |delta| reaches the end of the bar
        v = np.array([values[d.unit_keys.index((l, u))] for u in range(net.s(l))])
        assert np.max(np.abs(v)) == pytest.approx(1.0) and v == pytest.approx(delta[l] / np.abs(delta[l]).max())
    # diverging colours: the sign of delta shows (orange for +, purple for -)
    for l in range(2, 6):
        for u in range(net.s(l)):
            r, _, b, _ = _fill(d, l, u)
            assert (r > b) == (delta[l][u] > 0)
    d.delta_scale = "symlog"
    d.update(net.forward(X), delta)
    assert d.unit_values(net.forward(X), delta)[-1] == delta[5][1]  # raw delta, on the log norm
    assert "symlog" in d.unit_bar.ax.get_title() and d.no_delta.get_visible()
    d.color_by = "activation"
    assert not d.no_delta.get_visible() and d.unit_bar.ax.get_title() == "a"
    with pytest.raises(ValueError, match="color_by"):
        NetworkDiagram(net, color_by="rainbow")
    with pytest.raises(ValueError, match="delta_scale"):
        d.delta_scale = "linear"


def test_unit_labels_contrast_with_any_fill():
    for seed in range(6):
        net = bp.Network.five_layer(seed=seed)
        for color_by in ("activation", "delta"):
            for scale in ("per-layer", "symlog"):
                d = NetworkDiagram(net, color_by=color_by, delta_scale=scale, colorbars=False)
                x = np.random.default_rng(seed).normal(size=2) * 2
                d.update(net.forward(x), net.deltas(x, Y), layers={1, 2, 5})
                assert min(d.label_contrasts()) >= 4.5
                matplotlib.pyplot.close(d.fig)
    # the rule itself: white on black is 21, black on white 21, grey 50% picks black, a dark blue white
    assert contrast_ratio((0, 0, 0), (1, 1, 1)) == pytest.approx(21.0)
    assert label_color((0.5, 0.5, 0.5)) == (0.0, 0.0, 0.0) and label_color((0.1, 0.1, 0.4)) == (1.0, 1.0, 1.0)


def test_diagram_highlights_a_path_and_draws_every_path_of_a_weight():
    net = bp.Network.five_layer(seed=0)
    d = NetworkDiagram(net)
    d.highlight((1, 2, 0, 1, 1))
    assert len(d.path.get_segments()) == 4
    with pytest.raises(ValueError, match=r"path: expected one unit for each layer 1..5 \(5 units\), got 3"):
        d.highlight((1, 2, 0))
    fig2 = draw_paths(net, X, Y, 1, 2, 1)
    terms = fig2.terms  # drawn as the net flow through each link (tests/test_figures.py)
    assert len(terms) == 24 and len(fig2.bundle.get_segments()) == 1 + 4 + 4 * 3 + 3 * 2
    assert fig2.flows[1, 2, 1] == pytest.approx(net.gradients(X, Y).W[1][2, 1], rel=1e-10)


def test_link_width_follows_the_weight_between_the_thinnest_and_the_thickest():
    net = bp.Network.five_layer(seed=0)
    net.W[1][0, 0], net.W[1][1, 0], net.W[1][2, 0] = 0.0, -1.5, 7.0  # nothing, half the range, beyond it
    d = NetworkDiagram(net, limit=3.0, link_widths=(3.2, 10.0))
    widths = d.links.get_linewidths()
    got = [widths[d.link_index[1, i, 0]] for i in range(3)]
    assert got == pytest.approx([3.2, 6.6, 10.0])
    assert min(widths) >= 3.2 and max(widths) <= 10.0 and d.path.get_linewidth()[0] > 10.0
    lecture, desk = Explorer(lecture=True).diagram, Explorer().diagram  # a projector gets thicker lines
    assert min(lecture.links.get_linewidths()) > 2 * max(desk.link_widths[0], min(desk.links.get_linewidths()))
    with pytest.raises(ValueError, match=r"link_widths: .* got \(2, 1\)"):
        NetworkDiagram(net, link_widths=(2, 1))
    matplotlib.pyplot.close("all")


# -- the explorer: its numbers are bpteach's, with the true weights --------------------------


def test_explorer_uses_the_true_weights():
    ex = Explorer()
    net = bp.Network.five_layer(seed=0)
    s = ex.state()
    assert s["J"] == net.cost(X, Y)  # no rounding anywhere: the very same number
    assert s["grad_delta"] == net.gradients(X, Y).W[1][2, 1]
    assert s["grad_delta"] == pytest.approx(s["grad_numerical"], rel=1e-6)
    assert s["grad_delta"] == pytest.approx(s["grad_paths"], rel=1e-10)
    assert all(np.array_equal(ex.net.W[l], net.W[l]) for l in net.W)
    assert ex.weight_sliders[1, 2, 1].value == round(net.W[1][2, 1], 2)  # the slider shows it rounded
    assert bytes(ex.image.value).startswith(b"\x89PNG")
    assert f"{s['J']:.6f}" in ex.panel.value and "24 path terms" in ex.terms.value
    assert f"J = {s['J']:.6f}" in ex.summary()


def test_gradient_steps_move_every_weight_by_exactly_its_updates(monkeypatch):
    calls = []
    real_step = bpteach.train.step
    monkeypatch.setattr(bpteach.train, "step", lambda *a, **k: calls.append(a) or real_step(*a, **k))
    ex = Explorer()
    ref, start = bp.Network.five_layer(seed=0), bp.Network.five_layer(seed=0)
    total = {l: np.zeros_like(ref.W[l]) for l in ref.W}
    n = 20
    for _ in range(n):
        ex.step_button.click()
        g = ref.gradients(X, Y)
        for l in ref.W:
            ref.W[l] = ref.W[l] - ex.lr.value * g.W[l]
            ref.b[l] = ref.b[l] - ex.lr.value * g.b[l]
            total[l] += -ex.lr.value * g.W[l]
    assert len(calls) == n  # the step is bpteach.train.step
    for l in ref.W:
        assert np.array_equal(ex.net.W[l], ref.W[l]) and np.array_equal(ex.net.b[l], ref.b[l])  # bit for bit
        moved = ex.net.W[l] - start.W[l]
        assert np.allclose(moved, total[l], rtol=1e-12, atol=1e-16)
        assert (moved != 0).all()  # every weight moved, W^{(1)} too (its updates are < 0.005)
        for (m, i, j), s in ex.weight_sliders.items():
            if m == l:
                assert s.value == round(ex.net.W[l][i, j], 2)  # the sliders show the true values rounded
    assert np.abs(total[1]).max() < 0.005 * n
    assert ex.steps == n and len(ex.history) == n + 1 and ">20</span> steps" in ex.step_counter.value
    assert ex.history[-1] < ex.history[0] and ex.history[-1] == ex.state()["J"]


def test_weight_and_bias_sliders_set_exactly_their_value_and_nothing_else():
    ex = Explorer()
    before = {l: ex.net.W[l].copy() for l in ex.net.W}
    image_before = bytes(ex.image.value)
    links = ex.diagram.links
    ex.weight_sliders[1, 2, 1].value = 1.75
    assert ex.net.W[1][2, 1] == 1.75
    for l in ex.net.W:
        changed = ex.net.W[l] != before[l]
        assert changed.sum() == (1 if l == 1 else 0)
    check = bp.Network.five_layer(seed=0)
    check.W[1][2, 1] = 1.75
    s = ex.state()
    assert s["J"] == check.cost(X, Y) and s["grad_delta"] == check.gradients(X, Y).W[1][2, 1]
    assert f"{s['J']:.6f}" in ex.panel.value and f"{s['grad_delta']:+.6e}" in ex.panel.value
    assert bytes(ex.image.value) != image_before and ex.diagram.links is links  # restyled, not rebuilt
    ex.bias_sliders[1, 2].value = -0.5
    assert ex.net.b[1][2] == -0.5
    check.b[1][2] = -0.5
    assert ex.state()["J"] == check.cost(X, Y)
    ex.lr.value = 0.5
    g = check.gradients(X, Y)
    w0 = ex.net.W[2].copy()
    ex.gradient_step()
    assert np.array_equal(ex.net.W[2], w0 - 0.5 * g.W[2])


def test_study_selector_moves_the_sliders_and_data_sliders_move_x_and_y():
    ex = Explorer()
    ex.study.value = (4, 0, 0)
    assert ex.layer.value == 4  # the sliders follow the studied weight's layer
    assert len(ex.weight_box.children) == 6 and len(ex.bias_box.children) == 2
    assert "1 path term<" in ex.terms.value  # singular
    ex.weight_box.children[0].value = -1.0
    assert ex.net.W[4][0, 0] == -1.0
    ex.layer.value = 3  # still free to show another layer
    assert len(ex.weight_box.children) == 12
    ex.x_sliders[0].value = -0.8
    ex.y_sliders[1].value = 0.6
    assert ex.x.tolist() == [-0.8, -0.3] and ex.y.tolist() == [1.0, 0.6]
    check = bp.Network.five_layer(seed=0)
    check.W[4][0, 0] = -1.0
    assert ex.state()["J"] == check.cost([-0.8, -0.3], [1.0, 0.6])


def test_no_negative_zero_is_ever_shown():
    ex = Explorer()
    ex.x_sliders[1].value = 0.0  # a_j2 = 0: every path term of W^(1)_{i3<-j2} is +-0
    assert all(t.value == 0 for t in ex.state()["terms"])
    shown = ex.panel.value + ex.terms.value + " ".join(label for label, _ in ex.path_select.options) + ex.summary()
    assert "-0.000" not in shown and "−0.000" not in shown


# -- the step-through ------------------------------------------------------------------------


def test_step_through_forward_then_backward_with_the_numbers_of_bpteach():
    ex = Explorer()
    net = bp.Network.five_layer(seed=0)
    t, delta, g = net.forward(X), net.deltas(X, Y), net.gradients(X, Y)
    with pytest.raises(RuntimeError, match="forward pass comes first"):
        ex.step_backward()
    seen = []
    while ex.step_forward():
        kind, l = ex.stage
        seen.append(ex.stage)
        u = ex.model.units()[l + 1]
        assert f"<b class='bpteach-stage-value'>{t.z[l + 1][u]:+.4f}</b>" in ex.stage_text.value
        known = [not np.allclose(_fill(ex.diagram, m, 0), to_rgba(NO_VALUE)) for m in range(1, 6)]
        assert known == [m <= l + 1 for m in range(1, 6)]  # layers 1..l+1 lit, the rest grey
    assert seen == [("forward", l) for l in range(1, 5)] and ex.backward_button.disabled is False
    assert ex.forward_button.disabled
    while ex.step_backward():
        kind, l = ex.stage
        seen.append(ex.stage)
        units = ex.model.units()
        if kind == "delta":
            fmt = "+.6f" if l == 5 else "+.6e"
            assert f"{delta[l][units[l]]:{fmt}}</b>" in ex.stage_text.value
            assert ex.color_by.value == "delta"
            grey = [np.allclose(_fill(ex.diagram, m, 0), to_rgba(NO_VALUE)) for m in range(1, 6)]
            assert grey == [m < l for m in range(1, 6)]  # delta appears from the output backwards
        else:
            i, j = units[l + 1], units[l]
            assert f"{g.W[l][i, j]:+.6e}</b>" in ex.stage_text.value and ex.links_by.value == "gradient"
    assert seen[4:] == [("delta", 5), ("delta", 4), ("delta", 3), ("delta", 2)] + [
        ("gradient", l) for l in (4, 3, 2, 1)
    ]
    assert "step 12 of 12" in ex.stage_counter.value
    ex.clear_steps()
    assert ex.stage is None and ex.pass_play.value == 0


def test_gradient_links_path_selection_and_all_paths():
    ex = Explorer()
    g = ex.state()["gradients"]
    ex.links_by.value = "gradient"
    colors = ex.diagram.links.get_colors()
    for (l, i, j), k in ex.diagram.link_index.items():
        if abs(g.W[l][i, j]) > 1e-3 * np.abs(g.W[l]).max():
            assert (colors[k][0] > colors[k][2]) == (g.W[l][i, j] > 0)  # red: dJ/dW > 0
    image = bytes(ex.image.value)
    path = ex.path_select.options[5][1]
    ex.path_select.value = path
    segs = ex.diagram.path.get_segments()
    assert len(segs) == 4 and tuple(segs[0][0]) == ex.diagram.pos[1, path[0]]
    assert bytes(ex.image.value) != image
    ex.all_paths.value = True
    assert len(ex.diagram.bundle.get_segments()) == 1 + 4 + 4 * 3 + 3 * 2  # a link each, net flow
    ex.all_paths.value = False
    assert len(ex.diagram.bundle.get_segments()) == 0


def test_j_curve_and_its_tangent():
    ex = Explorer()
    ws, Js = ex.J_curve()
    check = bp.Network.five_layer(seed=0)
    for k in (0, 7, 30, 60):  # the batched curve against one full forward pass per point
        check.W[1][2, 1] = ws[k]
        assert Js[k] == pytest.approx(check.cost(X, Y), rel=1e-12)
    assert ex.net.W[1][2, 1] == bp.Network.five_layer(seed=0).W[1][2, 1]
    (x0, x1), (y0, y1) = ex.side.tangent.get_data()
    span = Js.max() - Js.min()
    assert (y1 - y0) / (x1 - x0) * span == pytest.approx(ex.state()["grad_correct"], rel=1e-9)


# -- training, presets, mistakes -------------------------------------------------------------


def test_reset_stops_the_player_and_restores_everything():
    ex = Explorer()
    J0, W0 = ex.state()["J"], ex.net.W[2].copy()
    ex.play.playing = True
    ex.play.value = 1
    ex.play.value = 3
    assert ex.steps == 2 and ex.state()["J"] < J0  # one step per tick
    ex.reset()
    ex.play.value = 4  # a late tick from the browser, after reset stopped the player
    assert ex.steps == 0
    ex.play.playing = True
    ex.reset()
    assert ex.play.playing is False and ex.play.value == 0 and ex.steps == 0 and ex.history == []
    assert ex.state()["J"] == J0 and np.array_equal(ex.net.W[2], W0)
    ex.random_button.click()
    assert not np.array_equal(ex.net.W[2], W0)
    assert ex.weight_sliders[1, 0, 0].value == round(ex.net.W[1][0, 0], 2)


def test_presets():
    ex = Explorer()
    ex.preset.value = "saturated output"
    s = ex.state()
    assert s["trace"].a[5][0] < 1e-3 and abs(s["delta"][5][0]) < 1e-3 and s["J"] > 0.4
    ex.preset.value = "vanishing first-layer gradients"
    g = ex.state()["gradients"]
    assert np.linalg.norm(g.W[1]) < 1e-3 * np.linalg.norm(g.W[4])
    ex.apply_preset("symmetric start")
    for _ in range(5):
        ex.gradient_step()
    for l in (2, 3):  # the units of a hidden layer stay identical: the symmetry never breaks
        assert np.allclose(ex.net.W[l], ex.net.W[l][0], rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="preset"):
        ex.apply_preset("chaos")
    assert set(PRESETS) == {v for _, v in ex.preset.options if v}


def test_the_panel_shows_finite_differences_to_the_digits_they_have():
    """A central difference is ~1e-10 off: 4 significant digits, not the 7 shown for delta."""
    ex = Explorer()
    s = ex.state()
    assert f"<td class='bpteach-num'>{s['grad_numerical']:+.3e}</td>" in ex.panel.value


def test_mistakes_toggle_moves_the_delta_gradient_away_from_finite_differences():
    ex = Explorer()
    ex.mistake.value = "f'(a) instead of f'(z)"
    s = ex.state()
    assert abs(s["grad_delta"] - s["grad_numerical"]) > 1e-3 * abs(s["grad_numerical"])
    assert s["grad_delta"] == MISTAKES["f'(a) instead of f'(z)"](ex.net, X, Y)[1][2, 1]
    assert "agree with it within 1e-6 relative: NO" in ex.summary()
    ex.mistake.value = "sign of -(y - h) dropped"
    assert ex.state()["grad_delta"] == pytest.approx(-ex.state()["grad_correct"], rel=1e-12)
    ex.mistake.value = "a delta^T instead of delta a^T"
    assert "wrong shape" in ex.state()["grad_delta"] and "wrong shape" in ex.panel.value
    ex.mistake.value = "W instead of W^T in step 2"
    message = ex.state()["grad_delta"]
    assert message.startswith("fails at step 2, layer 4") and "matmul" not in message and len(message) < 120
    assert "matmul" not in ex.panel.value and "still use the correct gradient" in ex.note.value
    ex.mistake.value = ""
    assert "within 1e-6 relative: yes" in ex.summary()


def test_lecture_mode_builds_for_one_screen():
    ex = Explorer(lecture=True)
    assert ex.image.layout.max_width == "min(100%, 750px)" and ex.image.layout.max_height == "52vh"  # beside the
    assert "bpteach-lecture" in ex.widget.get_state()["_dom_classes"]  # numbers, with the formula under it
    w, h = Image.open(io.BytesIO(bytes(ex.image.value))).size
    # 380 x 250 CSS px at least, 750 wide at most (tests/browser/test_lecture_screen.py measures it): at pixel
    # ratio 2, 1.5 of its pixels a CSS px or more; then its smallest type, 72 of its pixels, is 24 CSS px or more
    assert (w, h) == (380 * 3, 250 * 3) and ex.diagram.smallest_type_px() == pytest.approx(72.0)
    assert w / 750 >= 1.5 and ex.diagram.smallest_type_px() * 380 / w >= 24


def test_lecture_picture_says_few_things_big_and_its_keys_beside_it_follow_the_drawing():
    ex = Explorer(lecture=True)
    texts = {t.get_text() for t in ex.diagram.ax.texts if t.get_visible()}
    assert texts == {"j1", "j2", "i1", "i2", "i3", "k1", "k2", "k3", "k4", "q1", "q2", "q3", "p1", "p2",
                     "(1)", "(2)", "(3)", "(4)", "(5)", "$W^{(1)}$", "$W^{(2)}$", "$W^{(3)}$", "$W^{(4)}$"}
    assert ex.diagram.unit_bar is None and len(ex.diagram.fig.axes) == 1  # the colour keys are HTML
    assert "units: a" in ex.legend.value and "W <span" in ex.legend.value and "δ" not in ex.legend.value
    ex.color_by.value, ex.links_by.value, ex.all_paths.value = "delta", "gradient", True
    assert "units: δ" in ex.legend.value and "has no δ" in ex.legend.value and "∂J/∂W" in ex.legend.value
    assert "net flow" in ex.legend.value and "inputs x" not in ex.legend.value
    assert Explorer().legend.value == "" and Explorer().diagram.smallest_type_px() < 24  # notebooks: colour bars
    side = Image.open(io.BytesIO(bytes(ex.side_image.value)))  # J(w) and the loss: no legend, the caption says
    assert ex.side.smallest_type_px() * 440 / side.width >= 24 and "red: its tangent" in ex.curve_note.value
    assert "black: J(w)" not in Explorer().curve_note.value


def test_a_browser_echo_of_the_rounded_value_does_not_overwrite_the_true_weight():
    ex = Explorer()
    true = ex.net.W[1][2, 1]
    s = ex.weight_sliders[1, 2, 1]
    assert s.value == 0.26 and true != 0.26
    s.value = 0.26000000000000023  # what a browser slider sends back for its own grid position
    assert ex.net.W[1][2, 1] == true
    s.value = 0.27000000000000024  # a real move of one step: the weight takes the slider's value
    assert ex.net.W[1][2, 1] == 0.27
    x = ex.x.copy()
    ex.x_sliders[0].value = 0.5000000000000002
    assert np.array_equal(ex.x, x)
    ex.lr.value = 1.9999999999999998
    w0, g = ex.net.W[1].copy(), ex.net.gradients(X, Y)
    ex.gradient_step()
    assert np.array_equal(ex.net.W[1], w0 - 2.0 * g.W[1])


# -- the model and its view: the model owns the state, the view only asks ---------------------


def test_the_model_imports_no_widgets():
    import subprocess
    import sys

    code = "import sys, bpteach.explorer_model; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_one_backward_pass_per_event(monkeypatch):
    ex = Explorer()
    calls = []
    real = bp.Network.gradients
    monkeypatch.setattr(bp.Network, "gradients", lambda self, *a: calls.append(1) or real(self, *a))
    ex.weight_sliders[1, 2, 1].value = 1.0
    assert len(calls) == 1  # the snapshot carries the trace and the deltas; the view reuses it
    ex.state(), ex.summary()
    assert len(calls) == 1


def test_late_slider_echoes_never_undo_a_reset_or_training():
    ex = Explorer()
    start = bp.Network.five_layer(seed=0)
    ex.study.value = (4, 1, 0)
    s, b = ex.weight_sliders[4, 1, 0], ex.bias_sliders[4, 0]
    seen = []
    for _ in range(6):
        ex.gradient_step()
        seen.append((s.value, b.value))
    trained = ex.net.W[4].copy()
    ex.reset()
    for old_w, old_b in seen:  # the browser sends back what it showed during training, late
        s.value, b.value = old_w, old_b
    assert all(np.array_equal(ex.net.W[l], start.W[l]) and np.array_equal(ex.net.b[l], start.b[l]) for l in start.W)
    assert s.value == round(start.W[4][1, 0], 2) and ex.steps == 0
    assert not np.array_equal(trained, start.W[4])
    ex.gradient_step()
    s.value = 1.23  # a move on purpose to a value never sent: the weight takes it
    assert ex.net.W[4][1, 0] == 1.23
    for v in (1.24, 1.23000000000000002, 1.24):  # quick moves back and forth are moves, not echoes
        s.value = v
        assert ex.net.W[4][1, 0] == round(v, 9)


def test_a_slider_that_cannot_show_its_weight_says_so_and_does_not_move_it():
    ex = Explorer()
    ex.layer.value = 4
    ex.preset.value = "saturated output"
    true = ex.net.b[4][0]
    assert true < -8
    s = ex.bias_sliders[4, 0]
    assert s.value == -3.0 and s.description.endswith("⚠") and "beyond" in s.tooltip
    assert "b⁽⁴⁾ₚ₁" in ex.note.value and "beyond its slider" in ex.note.value
    assert "Output unit p1 is pushed" in ex.note.value  # the preset's own sentence
    s.value = -3.0000000000000004  # the browser's echo of its clipped position
    assert ex.net.b[4][0] == true
    s.value = -2.5  # dragged on purpose
    assert ex.net.b[4][0] == -2.5 and not s.description.endswith("⚠")


def test_labels_are_readable_unicode_with_tooltips():
    ex = Explorer()
    assert ex.weight_sliders[1, 2, 1].description == "W⁽¹⁾ᵢ₃←ⱼ₂"
    assert ex.bias_sliders[1, 0].description == "b⁽¹⁾ᵢ₁" and ex.x_sliders[0].description == "xⱼ₁"
    assert ("W⁽¹⁾ᵢ₃←ⱼ₂", (1, 2, 1)) in ex.study.options
    ex.study.value = (3, 0, 0)  # q has no Unicode subscript: it stays, its number goes down
    assert ex.study.label == "W⁽³⁾q₁←ₖ₁"
    for s in [*ex.weight_sliders.values(), *ex.bias_sliders.values(), *ex.x_sliders, ex.lr]:
        assert s.tooltip and "<" not in s.description


def test_step_through_goes_back_and_jumps():
    ex = Explorer()
    for _ in range(6):
        ex.model.next_step()
    assert ex.stage == ("delta", 4) and ex.pass_play.value == 6 and ex.jump.value == 6
    ex.back_button.click()
    assert ex.stage == ("delta", 5) and "step 5 of 12" in ex.stage_counter.value
    ex.jump.value = 12
    assert ex.stage == ("gradient", 1) and ex.pass_play.value == 12
    ex.pass_play.value = 2  # the player's own ticks move the model too
    assert ex.stage == ("forward", 2) and ex.jump.value == 2
    while ex.previous_step():
        pass
    assert ex.stage is None and ex.back_button.disabled
    ex.speed.value = 0.5
    assert ex.pass_play.interval == 500


def test_training_with_the_mistake_on_is_an_option_and_says_so():
    ex = Explorer()
    J0 = ex.state()["J"]
    ex.mistake.value = "sign of -(y - h) dropped"
    ex.train_mistake.value = True
    assert "by this mistaken" in ex.note.value
    for _ in range(3):
        ex.gradient_step()
    assert ex.state()["J"] > J0  # the dropped minus sign climbs the cost
    ex.reset()
    ex.train_mistake.value = False
    ex.gradient_step()
    assert ex.state()["J"] < J0


def test_displayed_the_explorer_brings_its_keys_for_jupyterlab(monkeypatch):
    """Headless too: the widget and a script that listens for the keys only with the focus inside an explorer
    (tests/browser/test_explorer_browser.py presses them in JupyterLab)."""
    import bpteach.explorer as module

    shown = []
    monkeypatch.setattr(module, "display", lambda *objs: shown.extend(objs))
    ex = Explorer()
    ex._ipython_display_()
    assert shown[0] is ex.widget and isinstance(shown[1], module.Javascript)
    script = shown[1].data
    assert 'closest(".bpteach-root")' in script and "document.body.dataset.voila" in script
    assert all(f'"{key}"' in script or f"{key}:" in script for key in ("PageDown", "PageUp", "ArrowRight", "ArrowLeft"))
    assert "in JupyterLab once you click the explorer" in ex.keys.value


def test_space_toggles_the_step_player_through_its_button():
    ex = Explorer(lecture=True)
    ex.playpause.click()
    assert ex.pass_play.playing and ex.playpause.description == "⏸ pause"
    ex.playpause.click()
    assert not ex.pass_play.playing and ex.playpause.description == "▶ play"


def test_the_explorer_draws_itself_to_a_static_png():
    ex = Explorer()
    ex.set_weight(1, 2, 1, 2.5)
    png = ex.to_png()
    img = Image.open(io.BytesIO(png))
    picture = Image.open(io.BytesIO(bytes(ex.image.value)))
    assert img.format == "PNG" and img.width > picture.width and img.height > picture.height
    assert np.array_equal(_pixels(png)[: picture.height, : picture.width], _pixels(bytes(ex.image.value)))
    text_rows = _pixels(png)[picture.height :]
    assert (text_rows < 100).any()  # the summary's text is drawn under the pictures
    artifacts = Path(__file__).resolve().parents[1] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "explorer-static.png").write_bytes(png)  # what notebook 10 stores for a reader online


def test_the_derivation_reveals_one_line_per_press_with_bpteach_numbers():
    ex = Explorer()
    d, g = ex.derivation, bp.Network.five_layer(seed=0).gradients(X, Y)
    assert d.shown == 0 and d.less.disabled
    lines = d.lines  # step 1, step 2 for layers 4, 3, 2, step 3, then the path sum and finite difference
    assert len(lines) == 6 and lines[0].startswith("step 1") and lines[3].startswith("step 2: δ<sup>(2)")
    for k in range(1, 7):
        d.more.click()
        assert d.shown == k and ex.derivation.text.value.count("<div>") == k
    assert d.more.disabled and f"{g.W[1][2, 1]:+.6e}" in d.text.value and "24 path terms" in d.text.value
    assert f"{g.delta[5][0]:+.3e}" in d.text.value
    d.less.click()
    assert d.shown == 5
    ex.study.value = (4, 0, 0)  # the studied weight's own derivation: no step 2 in between
    assert len(ex.derivation.lines) == 3 and ex.derivation.shown == 3
