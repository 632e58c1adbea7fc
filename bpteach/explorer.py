"""The interactive explorer: move a weight, watch J, every delta and one gradient (notebook 10).

Everything a control changes is recomputed by the same bpteach functions the notebooks
check (forward, deltas, gradients, the path terms, finite differences, train.step); the
pictures are restyled in place and sent as PNG bytes to Image widgets. No browser is
needed to build or drive it: tests and notebooks set widget values, click buttons and
call `step_forward()` / `step_backward()` from Python exactly as a front end would.

The network's weights are always the true ones. A slider shows its weight rounded to
its step (0.01); moving a slider sets that weight to the slider's value; nothing else is
ever rounded, so a gradient step moves every weight by exactly -lr * dJ/dW.
"""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import train
from .diagram import NetworkDiagram, encode_png, unit_label
from .gradcheck import weight_derivative
from .mistakes import MISTAKES
from .network import Network
from .paths import path_terms

STEP = 0.01  # slider resolution: what a slider shows, never what the network holds
PRESETS = ("saturated output", "vanishing first-layer gradients", "symmetric start")
F_NAMES = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "identity": "id"}
CSS = """
<style>
.bpteach-root {font-size: var(--bp-font, 14px); color: #111; background: #fff;}
.bpteach-root .widget-label, .bpteach-root .widget-readout, .bpteach-root button,
.bpteach-root select, .bpteach-root .widget-html-content {font-size: var(--bp-font, 14px);}
.bpteach-root .widget-readout {min-width: 4.5em; overflow: visible;}
.bpteach-panel td, .bpteach-stage td {padding: 1px 6px; white-space: nowrap;}
.bpteach-panel td:last-child, .bpteach-num-cell {font-family: monospace; text-align: right;}
.bpteach-stage {font-size: 1.05em; line-height: 1.5;}
.bpteach-stage .f {font-family: serif; font-size: 1.1em;}
.bpteach-lecture {--bp-font: 22px; font-weight: 500;}
.bpteach-lecture .widget-slider .noUi-handle {width: 18px; height: 18px;}
.bpteach-lecture .bpteach-panel {font-size: 1.15em;}
</style>
"""


def weight_text(net, l: int, i: int, j: int) -> str:
    """W^(l)_{i<-j} in plain text, the text's notation with its 1-based unit labels."""
    return f"W^({l})_{{{unit_label(net, l + 1, i)}←{unit_label(net, l, j)}}}"


def weight_html(net, l: int, i: int, j: int) -> str:
    """W^{(l)}_{i<-j} as HTML, e.g. W<sup>(1)</sup><sub>i3←j2</sub>."""
    return f"W<sup>({l})</sup><sub>{unit_label(net, l + 1, i)}←{unit_label(net, l, j)}</sub>"


def sym(name: str, l: int, unit: str | None = None) -> str:
    """A layer symbol as HTML: sym('z', 3, 'k1') is z<sup>(3)</sup><sub>k1</sub>."""
    return f"{name}<sup>({l})</sup>" + (f"<sub>{unit}</sub>" if unit else "")


def num(v: float, spec: str = "+.4f") -> str:
    """A number for display; -0.0 prints as 0 (never '-0.000e+00')."""
    return format(float(v) + 0.0, spec)


class Explorer:
    """The five-layer network live: sliders for the weights and biases of one layer, for x,
    y and the learning rate; a selector for the weight under study; J and dJ/dW by delta, by
    finite differences and by the path terms; a J(w) curve with its tangent; a forward and
    backward pass played one layer at a time; gradient steps and a train player with its
    loss history; presets; and the classic backprop mistakes as a toggle.

    `lecture=True` is the projector layout (larger, high contrast, full width).
    """

    def __init__(
        self,
        net: Network | None = None,
        x=(0.5, -0.3),
        y=(1.0, 0.0),
        weight: tuple[int, int, int] = (1, 2, 1),
        layer: int | None = None,
        lr: float = 2.0,
        seed: int = 0,
        limit: float = 3.0,
        lecture: bool = False,
        pixel_ratio: float = 2.0,
    ) -> None:
        self.net = net if net is not None else Network.five_layer(seed=seed)
        self.x = self.net.check_x(x).copy()
        self.y = self.net.check_y(y, (self.net.sizes[-1],)).copy()
        self.limit, self.seed, self.lecture = limit, seed, lecture
        self._initial = (self.net.copy(), self.x.copy(), self.y.copy())
        self._rng = np.random.default_rng(seed + 1)
        self._quiet = False  # True while code moves many widgets at once
        self.steps = 0  # gradient steps taken since the start or the last reset
        self.history: list[float] = []  # J before each step, then the current J
        self.stages = self._make_stages()

        # -- pictures (built once; restyled in place) --
        fs = 13 if lecture else 9
        size = (11.0, 5.0) if lecture else (7.4, 3.6)
        dpi = 96 * pixel_ratio
        fig = Figure(figsize=size, dpi=dpi, layout="constrained")
        self.diagram = NetworkDiagram(self.net, fig.add_subplot(), limit=limit, fontsize=fs)
        css_w = 640  # CSS px; the bitmap has pixel_ratio times as many
        self.image = w.Image(
            format="png",
            layout=w.Layout(
                width="100%" if lecture else f"{css_w}px", max_width="100%", height="auto", object_fit="contain"
            ),
        )
        side = (5.0, 3.9) if lecture else (3.6, 3.3)
        self.side_fig = Figure(figsize=side, dpi=dpi, layout="constrained")
        FigureCanvasAgg(self.side_fig)
        self._build_side_plots(fs)
        self.side_image = w.Image(
            format="png",
            layout=w.Layout(width="100%" if lecture else "300px", max_width="100%", height="auto"),
        )

        # -- selectors --
        l0 = weight[0] if layer is None else layer
        self.layer = w.Dropdown(
            options=[(f"W({l}), b({l})", l) for l in self.net.W], value=l0, layout=w.Layout(width="11em")
        )
        self.study = w.Dropdown(
            options=[
                (weight_text(self.net, l, i, j), (l, i, j))
                for l in self.net.W
                for i, j in np.ndindex(self.net.W[l].shape)
            ],
            value=tuple(weight),
            layout=w.Layout(width="12em"),
        )
        self.color_by = w.ToggleButtons(
            options=[("activation", "activation"), ("δ", "delta")], style={"button_width": "6.5em"}
        )
        self.delta_scale = w.ToggleButtons(
            options=[("per layer", "per-layer"), ("symlog", "symlog")], style={"button_width": "6.5em"}
        )
        self.links_by = w.ToggleButtons(options=[("W", "weight"), ("∂J/∂W", "gradient")], style={"button_width": "5em"})
        self.mistake = w.Dropdown(
            options=[("correct backprop", "")] + [(m, m) for m in MISTAKES], layout=w.Layout(width="16em")
        )
        self.preset = w.Dropdown(
            options=[("choose a preset…", "")] + [(p, p) for p in PRESETS], layout=w.Layout(width="16em")
        )

        # -- sliders --
        self.weight_sliders: dict[tuple[int, int, int], w.FloatSlider] = {}
        self.bias_sliders: dict[tuple[int, int], w.FloatSlider] = {}
        self.weight_box = w.GridBox(
            layout=w.Layout(grid_template_columns="repeat(auto-fill, minmax(19em, 1fr))", width="100%")
        )
        self.bias_box = w.GridBox(
            layout=w.Layout(grid_template_columns="repeat(auto-fill, minmax(19em, 1fr))", width="100%")
        )
        self.x_sliders = [self._slider(f"x<sub>{unit_label(self.net, 1, u)}</sub>", v) for u, v in enumerate(self.x)]
        self.y_sliders = [
            self._slider(f"y<sub>{unit_label(self.net, self.net.n_l, u)}</sub>", v, 0.0, 1.0)
            for u, v in enumerate(self.y)
        ]
        for s in self.x_sliders + self.y_sliders:
            s.observe(self._on_data, names="value")
        self.lr = self._slider("learning rate η", lr, 0.05, 10.0, step=0.05)
        self.lr.observe(lambda change: self._echo(change, 0.05) or self.refresh(), names="value")

        # -- training --
        self.step_button = w.Button(description="gradient step", tooltip="W ← W − η ∂J/∂W, b ← b − η ∂J/∂b, once")
        self.reset_button = w.Button(description="reset", tooltip="the starting weights, x and y; stops the player")
        self.random_button = w.Button(description="random weights", tooltip="fresh weights from N(0, 1/s_l)")
        self.play = w.Play(
            value=0, min=0, max=500, interval=150, tooltip="train: one gradient step per tick", show_repeat=False
        )
        self.play_label = w.HTML("<b>train</b> (one gradient step per tick)")
        self.step_counter = w.HTML(self._counter_html(), layout=w.Layout(min_width="7em"))
        self.moved = w.HTML()

        # -- step-through --
        self.forward_button = w.Button(description="Forward ▸", tooltip="one more layer of the forward pass")
        self.backward_button = w.Button(description="Backward ◂", tooltip="one more step of the backward pass")
        self.clear_button = w.Button(description="whole pass", tooltip="leave the step-through: show everything")
        self.pass_play = w.Play(
            value=0,
            min=0,
            max=len(self.stages),
            interval=1200,
            show_repeat=False,
            tooltip="play the forward, then the backward pass, one step per tick",
        )
        self.pass_label = w.HTML("<b>step-through</b>")
        self.stage_counter = w.HTML(layout=w.Layout(min_width="7em"))
        self.stage_text = w.HTML(layout=w.Layout(min_height="7.5em"))

        # -- paths --
        self.path_select = w.Select(options=[], rows=8, layout=w.Layout(width="100%"))
        self.all_paths = w.ToggleButton(value=False, description="draw every path", tooltip="Figure 2: all path terms")
        self.terms = w.HTML()
        self.panel = w.HTML()
        self.curve_note = w.HTML()

        # -- events --
        buttons = (self.step_button, self.reset_button, self.random_button, self.forward_button, self.backward_button)
        for button in (*buttons, self.clear_button, self.all_paths):
            button.layout.width = "auto"  # never cut a label short, at any font size
        self.step_button.on_click(lambda _: self.gradient_step())
        self.reset_button.on_click(lambda _: self.reset())
        self.random_button.on_click(lambda _: self.randomize())
        self.forward_button.on_click(lambda _: self.step_forward())
        self.backward_button.on_click(lambda _: self.step_backward())
        self.clear_button.on_click(lambda _: self.clear_steps())
        self.play.observe(self._on_play, names="value")
        self.pass_play.observe(self._on_pass, names="value")
        self.layer.observe(lambda _: self._show_layer(), names="value")
        self.study.observe(self._on_study, names="value")
        for toggle in (self.color_by, self.delta_scale, self.links_by):
            toggle.observe(self._on_style, names="value")
        self.mistake.observe(lambda _: self.refresh(), names="value")
        self.preset.observe(self._on_preset, names="value")
        self.path_select.observe(lambda _: self._quiet or self.refresh(), names="value")
        self.all_paths.observe(lambda _: self.refresh(), names="value")

        self._show_layer(refresh=False)
        self.widget = self._layout(lecture)
        self._fill_path_options()
        self.refresh()

    # -- layout ------------------------------------------------------------------------

    def _layout(self, lecture: bool) -> w.VBox:
        def labelled(text, widget):
            return w.HBox([w.HTML(f"<b>{text}</b>"), widget], layout=w.Layout(align_items="center"))

        row = {"align_items": "center", "flex_flow": "row wrap"}
        header = w.HBox(
            [
                labelled("study", self.study),
                labelled("colour units by", self.color_by),
                labelled("δ scale", self.delta_scale),
                labelled("links show", self.links_by),
            ],
            layout=w.Layout(**row),
        )
        header2 = w.HBox([labelled("backprop", self.mistake), labelled("preset", self.preset)], layout=w.Layout(**row))
        stepper = w.HBox(
            [
                self.forward_button,
                self.backward_button,
                self.clear_button,
                self.pass_label,
                self.pass_play,
                self.stage_counter,
            ],
            layout=w.Layout(**row),
        )
        trainer = w.HBox(
            [self.step_button, self.reset_button, self.random_button, self.play_label, self.play, self.step_counter],
            layout=w.Layout(**row),
        )
        left = w.VBox(
            [self.image, stepper, self.stage_text],
            layout=w.Layout(flex="0 1 62%" if lecture else "0 0 auto", align_items="stretch"),
        )
        right = w.VBox(
            [self.panel, self.side_image, self.curve_note],
            layout=w.Layout(flex="1 1 36%" if lecture else "1 0 19em", min_width="14em" if lecture else "19em"),
        )
        # wraps (the numbers go under the picture) rather than squeezing the numbers
        top = w.HBox([left, right], layout=w.Layout(align_items="flex-start", width="100%", flex_flow="row wrap"))
        sliders = w.VBox(
            [
                labelled("sliders for", self.layer),
                self.weight_box,
                self.bias_box,
                w.HBox([w.VBox(self.x_sliders), w.VBox(self.y_sliders), self.lr], layout=w.Layout(**row)),
            ],
            layout=w.Layout(width="100%"),
        )
        paths = w.VBox(
            [w.HBox([self.terms, self.all_paths], layout=w.Layout(**row)), self.path_select],
            layout=w.Layout(width="100%"),
        )
        box = w.VBox(
            [w.HTML(CSS), header, header2, top, trainer, self.moved, sliders, paths], layout=w.Layout(width="100%")
        )
        box.add_class("bpteach-root")
        if lecture:
            box.add_class("bpteach-lecture")
        return box

    def _slider(
        self, description: str, value: float, lo: float | None = None, hi: float | None = None, step: float = STEP
    ) -> w.FloatSlider:
        lo = -self.limit if lo is None else lo
        hi = self.limit if hi is None else hi
        return w.FloatSlider(
            value=self._shown(value, lo, hi),
            min=lo,
            max=hi,
            step=step,
            description=description,
            description_allow_html=True,
            continuous_update=True,
            readout_format=".2f",
            layout=w.Layout(width="19em"),
            style={"description_width": "7.5em"},
        )

    @staticmethod
    def _shown(value: float, lo: float, hi: float) -> float:
        """What a slider shows for a true value: rounded to the grid, within its range."""
        return float(np.clip(round(float(value) / STEP) * STEP, lo, hi).round(2))

    def _sliders_for(self, l: int) -> tuple[list[w.FloatSlider], list[w.FloatSlider]]:
        ws, bs = [], []
        for i, j in np.ndindex(self.net.W[l].shape):
            key = (l, i, j)
            if key not in self.weight_sliders:
                s = self._slider(weight_html(self.net, l, i, j), self.net.W[l][i, j])
                s.observe(lambda change, key=key: self._on_weight(key, change), names="value")
                self.weight_sliders[key] = s
            ws.append(self.weight_sliders[key])
        for i in range(self.net.W[l].shape[0]):
            if (l, i) not in self.bias_sliders:
                s = self._slider(sym("b", l, unit_label(self.net, l + 1, i)), self.net.b[l][i])
                s.observe(lambda change, key=(l, i): self._on_bias(key, change), names="value")
                self.bias_sliders[l, i] = s
            bs.append(self.bias_sliders[l, i])
        return ws, bs

    def _show_layer(self, refresh: bool = True) -> None:
        ws, bs = self._sliders_for(self.layer.value)
        self.weight_box.children, self.bias_box.children = ws, bs

    # -- events --------------------------------------------------------------------------

    @staticmethod
    def _echo(change, step: float = STEP) -> bool:
        """True for a change that does not move the slider: a browser slider re-expresses the value
        it was sent on its own grid (0.09 comes back as 0.08999999999999986). Such an echo must
        not overwrite the true weight the slider shows rounded."""
        return abs(change["new"] - change["old"]) < step / 2

    def _on_weight(self, key, change) -> None:
        if self._quiet or self._echo(change):
            return
        l, i, j = key
        self.net.W[l][i, j] = round(change["new"], 9)  # the slider's value, without the browser's float noise
        self.refresh()

    def _on_bias(self, key, change) -> None:
        if self._quiet or self._echo(change):
            return
        l, i = key
        self.net.b[l][i] = round(change["new"], 9)
        self.refresh()

    def _on_data(self, change) -> None:
        if self._quiet or self._echo(change):
            return
        self.x[:] = [round(s.value, 9) for s in self.x_sliders]
        self.y[:] = [round(s.value, 9) for s in self.y_sliders]
        self.refresh()

    def _on_style(self, _change) -> None:
        self.diagram.color_by = self.color_by.value
        self.diagram.delta_scale = self.delta_scale.value
        self.diagram.links_by = self.links_by.value
        if not self._quiet:
            self.refresh()

    def _on_study(self, _change) -> None:
        self._quiet = True
        try:
            self.layer.value = self.study.value[0]  # the sliders follow the studied weight's layer
            self._fill_path_options()
        finally:
            self._quiet = False
        self.refresh()

    def _on_play(self, change) -> None:
        # One step per tick, and only while playing: a tick that arrives after reset stopped the
        # player (the browser's timer is not the kernel's) must not train on.
        if self.play.playing and change["new"] > change["old"]:
            self.gradient_step()

    def _on_pass(self, change) -> None:
        if self._quiet:
            return
        self._show_stage_mode()
        self.refresh()

    def _on_preset(self, change) -> None:
        if change["new"]:
            self.apply_preset(change["new"])

    # -- actions ---------------------------------------------------------------------------

    def set_weight(self, l: int, i: int, j: int, value: float) -> None:
        """Move the weight W[l][i, j] as its slider would (the slider shows it rounded)."""
        self._sliders_for(l)
        s = self.weight_sliders[l, i, j]
        if abs(s.value - value) < STEP / 2:  # the slider would not move: set the weight directly
            self.net.W[l][i, j] = value
            self.refresh()
        else:
            s.value = value

    def gradient_step(self) -> None:
        """W <- W - lr * dJ/dW and b <- b - lr * dJ/db, on the current example (bpteach.train.step)."""
        J = train.step(self.net, self.x, self.y, round(self.lr.value, 9))
        if not self.history:
            self.history.append(J)
        self.steps += 1
        self.history.append(self.net.cost(self.x, self.y))
        self._sync_sliders()

    def reset(self) -> None:
        """Back to the weights, x and y the explorer started with; stops the train player."""
        self.play.playing = False
        net0, x0, y0 = self._initial
        for l in self.net.W:
            self.net.W[l] = net0.W[l]
            self.net.b[l] = net0.b[l]
        self.x[:], self.y[:] = x0, y0
        self.steps, self.history = 0, []
        self._quiet = True
        try:
            self.play.value = 0
            self.preset.value = ""
        finally:
            self._quiet = False
        self._sync_sliders()

    def randomize(self) -> None:
        """Fresh random weights (reproducible: the explorer's own generator)."""
        self.net.randomize(int(self._rng.integers(2**31)))
        self.history = []
        self._sync_sliders()

    def apply_preset(self, name: str) -> None:
        """Set the network to one of PRESETS (from the starting weights):
        - 'saturated output': output unit p1 pushed to z = -8, so h_1 ~ 0 while y_1 = 1 and
          f'(z) ~ 3e-4: J is large but delta^{(n_l)}_1 tiny, and learning stalls;
        - 'vanishing first-layer gradients': every weight scaled to a tenth, so each layer of
          step 2 multiplies delta by about 0.1 * 1/4: dJ/dW^{(1)} is thousands of times smaller
          than dJ/dW^{(n_l-1)};
        - 'symmetric start': every weight 0.5 and every bias 0, so the units of a layer are
          identical, get identical gradients, and stay identical however long you train."""
        if name not in PRESETS:
            raise ValueError(f"preset: expected one of {', '.join(map(repr, PRESETS))}, got {name!r}")
        net0, x0, y0 = self._initial
        for l in self.net.W:
            self.net.W[l] = net0.W[l]
            self.net.b[l] = net0.b[l]
        n_l = self.net.n_l
        if name == "saturated output":
            self.net.b[n_l - 1][0] = -8.0 - float(self.net.W[n_l - 1][0] @ self.net.forward(self.x).a[n_l - 1])
        elif name == "vanishing first-layer gradients":
            for l in self.net.W:
                self.net.W[l] = 0.1 * self.net.W[l]
        else:
            for l in self.net.W:
                self.net.W[l] = np.full(self.net.W[l].shape, 0.5)
                self.net.b[l] = np.zeros(self.net.b[l].shape)
        self.steps, self.history = 0, []
        self._quiet = True
        try:
            self.preset.value = name
        finally:
            self._quiet = False
        self._sync_sliders()

    def _sync_sliders(self) -> None:
        """Show the true values on the sliders (rounded there, and only there)."""
        self._quiet = True
        try:
            for (l, i, j), s in self.weight_sliders.items():
                s.value = self._shown(self.net.W[l][i, j], s.min, s.max)
            for (l, i), s in self.bias_sliders.items():
                s.value = self._shown(self.net.b[l][i], s.min, s.max)
            for u, s in enumerate(self.x_sliders):
                s.value = self._shown(self.x[u], s.min, s.max)
            for u, s in enumerate(self.y_sliders):
                s.value = self._shown(self.y[u], s.min, s.max)
        finally:
            self._quiet = False
        self.refresh()

    # -- the step-through ----------------------------------------------------------------

    def _make_stages(self) -> list[tuple[str, int]]:
        n_l = self.net.n_l
        return (
            [("forward", l) for l in range(1, n_l)]
            + [("delta", l) for l in range(n_l, 1, -1)]
            + [("gradient", l) for l in range(n_l - 1, 0, -1)]
        )

    @property
    def n_forward(self) -> int:
        return self.net.n_l - 1

    @property
    def stage(self) -> tuple[str, int] | None:
        """The step-through's last completed step, e.g. ('delta', 4); None: whole pass shown."""
        k = self.pass_play.value
        return self.stages[k - 1] if k else None

    def step_forward(self) -> bool:
        """Compute the next layer of the forward pass; False when the forward pass is done."""
        if self.pass_play.value >= self.n_forward:
            return False
        self.pass_play.value += 1
        return True

    def step_backward(self) -> bool:
        """Compute the next step of the backward pass (step 1, step 2 per layer, then step 3 per
        layer); False when it is done. The forward pass must be complete first."""
        k = self.pass_play.value
        if k < self.n_forward:
            raise RuntimeError(
                f"the forward pass comes first: {self.n_forward - k} layer(s) left (call step_forward())"
            )
        if k >= len(self.stages):
            return False
        self.pass_play.value = k + 1
        return True

    def clear_steps(self) -> None:
        """Leave the step-through: everything computed and shown."""
        self.pass_play.playing = False
        self.pass_play.value = 0

    def _show_stage_mode(self) -> None:
        """Colour what the current step is about: activations going forward, deltas going back,
        dJ/dW in step 3."""
        stage = self.stage
        if stage is None:
            return
        self._quiet = True
        try:
            self.color_by.value = "activation" if stage[0] == "forward" else "delta"
            self.links_by.value = "gradient" if stage[0] == "gradient" else "weight"
            self._on_style(None)
        finally:
            self._quiet = False

    def _selected_units(self) -> dict[int, int]:
        """The unit whose numbers the step-through shows, per layer: on the selected path where
        it has one, else the first unit."""
        l0 = self.study.value[0]
        path = self.path_select.value or (self.study.value[2], self.study.value[1])
        units = {l: 0 for l in range(1, self.net.n_l + 1)}
        units.update({l0 + n: u for n, u in enumerate(path)})
        return units

    def _stage_html(self, s: dict) -> str:
        stage = self.stage
        net, n_l = self.net, self.net.n_l
        if stage is None:
            return (
                "<div class='bpteach-stage'>Press <b>Forward ▸</b> to run the forward pass one layer at a "
                "time, then <b>Backward ◂</b> for steps 1, 2 and 3.</div>"
            )
        tr, delta, g = s["trace"], s["delta"], s["gradients"]
        units = self._selected_units()
        kind, l = stage
        lab = unit_label
        if kind == "forward":
            u, f = units[l + 1], net.activations[l + 1].name
            i = lab(net, l + 1, u)
            v = net.letters[l - 1] if net.letters else "v"
            terms = " + ".join(f"({num(net.W[l][u, n])})({num(tr.a[l][n])})" for n in range(net.s(l)))
            body = (
                f"<b>forward, layer {l + 1}</b>: {sym('z', l + 1)} = {sym('W', l)} {sym('a', l)} + {sym('b', l)}, "
                f"then {sym('a', l + 1)} = f({sym('z', l + 1)})<br>"
                f"<span class='f'>{sym('z', l + 1, i)} = Σ<sub>{v}</sub> W<sup>({l})</sup><sub>{i}←{v}</sub> "
                f"{sym('a', l)}<sub>{v}</sub> + {sym('b', l, i)}</span> = {terms} + ({num(net.b[l][u])}) = "
                f"<b class='bpteach-stage-value'>{num(tr.z[l + 1][u])}</b><br>"
                f"<span class='f'>{sym('a', l + 1, i)} = {F_NAMES.get(f, f)}({sym('z', l + 1, i)})</span> = "
                f"<b>{num(tr.a[l + 1][u])}</b>"
            )
        elif kind == "delta" and l == n_l:
            u = units[n_l]
            p = lab(net, n_l, u)
            fp = net.activations[n_l].df(tr.z[n_l])[u]
            body = (
                f"<b>step 1, output layer {n_l}</b><br>"
                f"<span class='f'>{sym('δ', n_l, p)} = −(y<sub>{p}</sub> − h<sub>{p}</sub>) "
                f"f′({sym('z', n_l, p)})</span> = −({num(self.y[u])} − {num(tr.a[n_l][u])}) × {num(fp)} = "
                f"<b class='bpteach-stage-value'>{num(delta[n_l][u], '+.6f')}</b>"
            )
        elif kind == "delta":
            u = units[l]
            k = lab(net, l, u)
            fp = net.activations[l].df(tr.z[l])[u]
            q = net.letters[l] if net.letters else "m"
            terms = " + ".join(f"({num(net.W[l][n, u])})({num(delta[l + 1][n], '+.3e')})" for n in range(net.s(l + 1)))
            body = (
                f"<b>step 2, layer {l}</b>: the error of layer {l + 1} sent back through {sym('W', l)}<br>"
                f"<span class='f'>{sym('δ', l, k)} = (Σ<sub>{q}</sub> W<sup>({l})</sup><sub>{q}←{k}</sub> "
                f"{sym('δ', l + 1)}<sub>{q}</sub>) f′({sym('z', l, k)})</span><br>"
                f"= ({terms}) × {num(fp)} = <b class='bpteach-stage-value'>{num(delta[l][u], '+.6e')}</b>"
            )
        else:
            i, j = units[l + 1], units[l]
            si, sj = lab(net, l + 1, i), lab(net, l, j)
            body = (
                f"<b>step 3, {sym('W', l)}</b>: every weight's gradient is δ of its destination times a of its "
                f"source<br><span class='f'>∂J/∂{weight_html(net, l, i, j)} = {sym('δ', l + 1, si)} "
                f"{sym('a', l, sj)}</span> = ({num(delta[l + 1][i], '+.6e')})({num(tr.a[l][j])}) = "
                f"<b class='bpteach-stage-value'>{num(g.W[l][i, j], '+.6e')}</b>; "
                f"∂J/∂{sym('b', l, si)} = {sym('δ', l + 1, si)} = {num(g.b[l][i], '+.6e')}"
            )
        return f"<div class='bpteach-stage'>{body}</div>"

    # -- the state and its display ----------------------------------------------------------

    def _fill_path_options(self) -> None:
        l, i, j = self.study.value
        self._terms_cache = list(path_terms(self.net, self.x, self.y, l, i, j))
        opts = [(self._path_label(t.path, l), t.path) for t in self._terms_cache]
        self._quiet = True
        try:
            self.path_select.options = opts
            self.path_select.value = opts[0][1]
        finally:
            self._quiet = False

    def _path_label(self, path, l: int) -> str:
        return " → ".join(unit_label(self.net, l + n, u) for n, u in enumerate(path))

    def state(self, eps: float = 1e-6) -> dict:
        """J, the studied weight's gradient three ways, and its path terms, for the current values.

        With a mistake chosen, "grad_delta" is what that mistaken backprop gives (or a message
        when it fails); "grad_correct" is always the right one.
        """
        net, (l, i, j) = self.net, self.study.value
        trace = net.forward(self.x)
        delta = net.deltas(self.x, self.y)
        g = net.gradients(self.x, self.y)
        terms = list(path_terms(net, self.x, self.y, l, i, j))
        grad = float(g.W[l][i, j])
        by_delta: float | str = grad
        if self.mistake.value:
            try:
                wrong = MISTAKES[self.mistake.value](net, self.x, self.y)
                if wrong[l].shape != net.W[l].shape:
                    by_delta = f"wrong shape: ∂J/∂W({l}) comes out {wrong[l].shape}, W({l}) is {net.W[l].shape}"
                else:
                    by_delta = float(wrong[l][i, j])
            except ValueError as err:
                by_delta = f"fails: {err}"
        return {
            "weight": (l, i, j),
            "J": net.cost(self.x, self.y),
            "grad_delta": by_delta,
            "grad_correct": grad,
            "grad_numerical": weight_derivative(net, self.x, self.y, l, i, j, eps),
            "grad_paths": float(sum(t.value for t in terms)),
            "terms": terms,
            "gradients": g,
            "trace": trace,
            "delta": delta,
        }

    def J_curve(self, n: int = 61) -> tuple[np.ndarray, np.ndarray]:
        """J as the studied weight w alone sweeps its slider's range (everything else fixed).

        Only z^{(l+1)}_i depends on w, and linearly (its slope is a^{(l)}_j), so one forward
        pass from layer l+1 with a column per value of w gives the whole curve at once."""
        l, i, j = self.study.value
        net, t = self.net, self.net.forward(self.x)
        ws = np.linspace(-self.limit, self.limit, n)
        z = np.repeat(t.z[l + 1][:, None], n, axis=1)
        z[i] += (ws - net.W[l][i, j]) * t.a[l][j]
        a = net.activations[l + 1].f(z)
        for m in range(l + 1, net.n_l):
            a = net.activations[m + 1].f(net.W[m] @ a + net.b[m][:, None])
        return ws, 0.5 * np.sum((self.y[:, None] - a) ** 2, axis=0)

    def _build_side_plots(self, fs: float) -> None:
        """Two small plots on fixed axes, so that only their lines are redrawn (blitting).
        Both are scaled to their own range; the numbers of the range are in `curve_note`."""
        ax1, ax2 = self.side_fig.subplots(2, 1)
        (self._curve,) = ax1.plot([], [], color="#333333", lw=1.6, label="J(w)")
        (self._tangent,) = ax1.plot([], [], color="#d62728", lw=2.0, label="tangent, slope ∂J/∂W")
        (self._here,) = ax1.plot([], [], "o", color="#f5a300", mec="black", ms=7)
        ax1.legend(fontsize=fs - 2, loc="upper center", ncols=2, frameon=False)
        ax1.set_xlim(-self.limit, self.limit)
        ax1.set_ylim(-0.1, 1.35)
        ax1.set_yticks([0, 1], ["min J", "max J"])
        ax1.tick_params(labelsize=fs - 2)
        ax1.set_xlabel("the studied weight w", fontsize=fs - 1)
        (self._loss,) = ax2.plot([], [], color="#1f77b4", lw=1.6, marker=".", ms=3)
        ax2.set_xlim(0, 1)
        ax2.set_ylim(-0.05, 1.1)
        ax2.set_xticks([0, 1], ["start", "now"])
        ax2.set_yticks([0, 1], ["0", "first J"])
        ax2.tick_params(labelsize=fs - 2)
        ax2.set_title("loss history", fontsize=fs - 1)
        self._side_lines = [self._curve, self._tangent, self._here, self._loss]
        self._side_background = None

    def _side_png(self, s: dict) -> bytes:
        l, i, j = s["weight"]
        ws, Js = self.J_curve()
        w0 = float(self.net.W[l][i, j])
        lo, hi = float(Js.min()), float(Js.max())
        span = max(hi - lo, 1e-12)
        slope = s["grad_correct"] / span  # in the plot's units: J scaled to 0..1
        y0, half = (s["J"] - lo) / span, 0.25 * self.limit
        self._curve.set_data(ws, (Js - lo) / span)
        self._here.set_data([w0], [y0])
        self._tangent.set_data([w0 - half, w0 + half], [y0 - slope * half, y0 + slope * half])
        hist = self.history or [s["J"]]
        self._loss.set_data(np.linspace(0, 1, len(hist)) if len(hist) > 1 else [0.0], np.array(hist) / hist[0])
        self.curve_note.value = (
            f"<small>J(w) for w = {weight_html(self.net, l, i, j)} from {-self.limit:g} to {self.limit:g}: "
            f"J from {num(lo, '.6f')} to {num(hi, '.6f')}; loss history: {self.steps} "
            f"step{'s' if self.steps != 1 else ''}, J from {num(hist[0], '.4f')} to {num(hist[-1], '.4f')}</small>"
        )
        canvas = self.side_fig.canvas
        if self._side_background is None:
            for line in self._side_lines:
                line.set_visible(False)
            canvas.draw()
            self.side_fig.set_layout_engine("none")
            self._side_background = canvas.copy_from_bbox(self.side_fig.bbox)
            for line in self._side_lines:
                line.set_visible(True)
        canvas.restore_region(self._side_background)
        for line in self._side_lines:
            line.axes.draw_artist(line)
        return encode_png(np.asarray(canvas.buffer_rgba()))

    def refresh(self) -> None:
        """Recompute the state and restyle the existing pictures and panels."""
        if self._quiet:
            return
        s = self.state()
        self._render_panel(s)  # the numbers first: they cost little, the two PNGs below cost more
        stage = self.stage
        known = None
        grads = dict(s["gradients"].W)
        if stage is not None:
            kind, l = stage
            if kind == "forward":
                known = set(range(1, l + 2))
            elif kind == "delta":
                known = set(range(l, self.net.n_l + 1))
            else:
                grads = {m: grads[m] for m in range(l, self.net.n_l)}
        self.diagram.update(s["trace"], s["delta"], grads, layers=known)
        l, i, j = s["weight"]
        l0 = l
        if self.all_paths.value:
            self.diagram.show_paths(s["terms"], l0)
        else:
            self.diagram.show_paths(None)
        if self.path_select.value:
            self.diagram.highlight(self.path_select.value, l0)
        else:
            self.diagram.highlight_weight(l, i, j)
        self.image.value = self.diagram.png()
        self.side_image.value = self._side_png(s)
        self.stage_text.value = self._stage_html(s)
        k = self.pass_play.value
        self.stage_counter.value = f"step {k} of {len(self.stages)}"
        self.forward_button.disabled = k >= self.n_forward
        self.backward_button.disabled = k < self.n_forward or k >= len(self.stages)
        self.step_counter.value = self._counter_html()
        self.moved.value = self._moved_html()
        self._last = s

    def _counter_html(self) -> str:
        return f"<span class='bpteach-steps'>{self.steps}</span> step{'s' if self.steps != 1 else ''}"

    def _moved_html(self) -> str:
        """Which parameter moved most since the start (training moves the biases a lot)."""
        net0 = self._initial[0]
        best = (0.0, "")
        for l in self.net.W:
            dW = self.net.W[l] - net0.W[l]
            db = self.net.b[l] - net0.b[l]
            i, j = np.unravel_index(np.argmax(np.abs(dW)), dW.shape)
            if abs(dW[i, j]) > abs(best[0]):
                best = (float(dW[i, j]), weight_html(self.net, l, i, j))
            u = int(np.argmax(np.abs(db)))
            if abs(db[u]) > abs(best[0]):
                best = (float(db[u]), sym("b", l, unit_label(self.net, l + 1, u)))
        if best[0] == 0.0:
            return "<span>no parameter has moved from the start</span>"
        return f"<span>moved most since the start: {best[1]} by {num(best[0], '+.4f')}</span>"

    def _render_panel(self, s: dict) -> None:
        l, i, j = s["weight"]
        name = weight_html(self.net, l, i, j)
        by_delta = s["grad_delta"]
        if isinstance(by_delta, str):
            shown = f"<span class='bpteach-grad'>{html.escape(by_delta)}</span>"
        else:
            shown = f"<span class='bpteach-grad'>{num(by_delta, '+.6e')}</span>"
        label = f"by δ ({html.escape(self.mistake.value)})" if self.mistake.value else "by δ"
        self.panel.value = (
            "<table class='bpteach-panel'>"
            f"<tr><td>{name}</td><td class='bpteach-w'>{num(self.net.W[l][i, j], '+.6f')}</td></tr>"
            f"<tr><td>J</td><td class='bpteach-J'>{num(s['J'], '.6f')}</td></tr>"
            f"<tr><td>∂J/∂{name} {label}</td><td>{shown}</td></tr>"
            # 4 digits: a central difference carries ~1e-10 of noise, so its later digits are not the maths
            f"<tr><td>by finite differences</td><td class='bpteach-num'>{num(s['grad_numerical'], '+.3e')}</td></tr>"
            f"<tr><td>by the path terms</td><td class='bpteach-paths'>{num(s['grad_paths'], '+.6e')}</td></tr>"
            f"<tr><td>learning rate η</td><td>{num(self.lr.value, '.2f')}</td></tr>"
            "</table>"
        )
        n = len(s["terms"])
        self.terms.value = (
            f"<b>{n} path term{'s' if n != 1 else ''}</b> of ∂J/∂{name}, sum "
            f"<span class='bpteach-paths'>{num(s['grad_paths'], '+.6e')}</span>; choose one to highlight it"
        )
        values = {t.path: t.value for t in s["terms"]}
        opts = [(f"{self._path_label(p, l)}   {num(values[p], '+.3e')}", p) for _, p in self.path_select.options]
        if opts != list(self.path_select.options):
            current = self.path_select.value
            self._quiet = True
            try:
                self.path_select.options = opts
                self.path_select.value = current
            finally:
                self._quiet = False

    def summary(self) -> str:
        """The current state as plain text (what a notebook prints after the widget cell).

        Exact for the maths: J and dJ/dW by delta to 6 significant digits (float64 rounding
        is ~1e-15). Finite differences carry ~1e-10 of noise, so they are shown as agreement
        within 1e-6 relative, not as digits."""
        s = self._last
        l, i, j = s["weight"]
        name = weight_text(self.net, l, i, j)
        n = len(s["terms"])
        by_delta = s["grad_delta"]
        shown = by_delta if isinstance(by_delta, str) else num(by_delta, "+.5e")
        shown_w = self._shown(self.net.W[l][i, j], -self.limit, self.limit)
        agree = (not isinstance(by_delta, str)) and np.isclose(by_delta, s["grad_numerical"], rtol=1e-6, atol=0)
        return (
            f"{name} = {num(self.net.W[l][i, j], '+.6f')} (its slider shows {shown_w:+.2f})\n"
            f"J = {num(s['J'], '.6f')}\n"
            f"dJ/d{name} by delta{' (' + self.mistake.value + ')' if self.mistake.value else ''}: {shown}\n"
            f"  {f'sum of the {n} path terms' if n != 1 else 'its single path term'}: {num(s['grad_paths'], '+.5e')}\n"
            f"  finite differences agree with it within 1e-6 relative: {'yes' if agree else 'NO'}"
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
