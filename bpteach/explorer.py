"""The interactive explorer (notebook 10): the state lives in `ExplorerModel` (no widgets); this view only asks
the model to change and redraws from its snapshot. A slider shows its weight rounded to 0.01; moving it sets the
weight to its value; nothing else is rounded. A browser re-sends a slider's value, at times late: one that does
not move the slider, or that this view sent in the last seconds, is an echo and never reaches the model."""

from __future__ import annotations

import html
from contextlib import contextmanager

import ipywidgets as w
import numpy as np
from IPython.display import Javascript, display
from matplotlib.figure import Figure

from .diagram import NetworkDiagram, unit_label
from .explorer_derivation import DerivationView
from .explorer_look import CSS, KEYS_HTML, KEYS_JS, EchoFilter, SidePlots, compose_png, legend_html
from .explorer_model import PRESETS, ExplorerModel
from .mistakes import MISTAKES
from .network import Network
from .notation import curve_note_html, num, panel_html, path_label, stage_html, sym_text, weight_text

STEP = 0.01  # slider resolution: what a slider shows, never what the network holds


class Explorer:
    """The five-layer network live: sliders for one layer's weights and biases, x, y and eta; the weight under
    study; J and dJ/dW by delta, finite differences and path terms; J(w) and its tangent; both passes one step at
    a time, forwards and back; gradient steps, a train player, presets and the classic mistakes. `lecture=True`:
    the projector layout (24 px type, one screen). `model` is the state, `widget` the view, `to_png()` a still."""

    def __init__(self, net: Network | None = None, x=(0.5, -0.3), y=(1.0, 0.0),
                 weight: tuple[int, int, int] = (1, 2, 1), layer: int | None = None, lr: float = 2.0,
                 seed: int = 0, limit: float = 3.0, lecture: bool = False, pixel_ratio: float = 2.0) -> None:
        self.model = m = ExplorerModel(net, x, y, weight, lr, seed)
        self.limit, self.seed, self.lecture = limit, seed, lecture
        self._syncing = False  # True only inside _sync(): the view itself is setting widgets
        self._echoes = EchoFilter()  # the slider positions the view replaced, which a browser may still send
        dpi = 96 * pixel_ratio  # lecture: the picture is 380 x 250 CSS px or more (up to 750 wide, 1.5 x the ratio
        fig = Figure(figsize=(380 / 96, 250 / 96) if lecture else (7.4, 3.6), dpi=dpi * (1.5 if lecture else 1),
                     layout="constrained")  # its pixels), its type 18 pt = 24 CSS px or more; keys beside it, in HTML
        look = {"fontsize": 18, "colorbars": False, "few_labels": True, "link_widths": (2.0, 7.0)} if lecture else {}
        self.diagram = NetworkDiagram(m.net, fig.add_subplot(), limit=limit, **look)
        size = {"width": "auto", "max_height": "52vh", "max_width": "min(100%, 750px)"} if lecture else {
            "width": "640px", "max_width": "100%"}
        self.image, self.legend = w.Image(format="png", layout=w.Layout(height="auto", **size)), w.HTML()
        self.side = SidePlots((4.6, 3.8), dpi, 21, limit, False) if lecture else SidePlots((3.6, 3.3), dpi, 9, limit)
        self.side_image = w.Image(format="png", layout=w.Layout(width="100%" if lecture else "300px",
                                                                max_width="100%", height="auto"))
        net = m.net
        self.layer = w.Dropdown(options=[(f"W⁽{l}⁾, b⁽{l}⁾", l) for l in net.W],
                                value=m.weight[0] if layer is None else layer, layout=w.Layout(width="9em"))
        self.study = w.Dropdown(options=[(weight_text(net, l, i, j), (l, i, j)) for l in net.W
                                         for i, j in np.ndindex(net.W[l].shape)],
                                value=m.weight, layout=w.Layout(width="9em"))
        self.color_by = w.ToggleButtons(options=[("activation", "activation"), ("δ", "delta")],
                                        tooltips=["colour units by a", "colour units by δ"])
        self.delta_scale = w.ToggleButtons(options=[("per layer", "per-layer"), ("symlog", "symlog")],
                                           tooltips=["each layer's δ on its own scale", "one log scale"])
        self.links_by = w.ToggleButtons(options=[("W", "weight"), ("∂J/∂W", "gradient")],
                                        tooltips=["links show W", "links show ∂J/∂W"])
        self.mistake = w.Dropdown(options=[("correct backprop", "")] + [(k, k) for k in MISTAKES],
                                  layout=w.Layout(width="16em"))
        self.train_mistake = w.Checkbox(value=False, description="train with it", indent=False,
                                        tooltip="gradient steps use the mistaken ∂J/∂W", layout=w.Layout(width="auto"))
        self.preset = w.Dropdown(options=[("choose a preset…", "")] + [(p, p) for p in PRESETS],
                                 layout=w.Layout(width="16em"))
        self.weight_sliders: dict[tuple[int, int, int], w.FloatSlider] = {}
        self.bias_sliders: dict[tuple[int, int], w.FloatSlider] = {}
        grid = {"grid_template_columns": "repeat(auto-fill, minmax(19em, 1fr))", "width": "100%"}
        self.weight_box, self.bias_box = w.GridBox(layout=w.Layout(**grid)), w.GridBox(layout=w.Layout(**grid))
        self.study_slider_box = w.Box()  # the studied weight's own slider, beside the numbers
        self.x_sliders = [self._slider(sym_text("x", None, unit_label(net, 1, u)), v, m.set_x, u)
                          for u, v in enumerate(m.x)]
        self.y_sliders = [self._slider(sym_text("y", None, unit_label(net, net.n_l, u)), v, m.set_y, u, lo=0.0, hi=1.0)
                          for u, v in enumerate(m.y)]
        self.lr = self._slider("learning rate η", lr, lambda v: m.set_lr(v), lo=0.05, hi=10.0, step=0.05)
        self.step_button = w.Button(description="gradient step", tooltip="W ← W − η ∂J/∂W, b ← b − η ∂J/∂b, once")
        self.reset_button = w.Button(description="reset", tooltip="the starting weights, x and y; stops the player")
        self.random_button = w.Button(description="random weights", tooltip="fresh weights from N(0, 1/s_l)")
        self.play = w.Play(value=0, min=0, max=500, interval=150, tooltip="train: one gradient step per tick",
                           show_repeat=False)
        self.step_counter, self.moved, self.note = w.HTML(), w.HTML(), w.HTML()
        self.back_button = w.Button(description="◂ back", tooltip="one step back (← or PageUp)")
        self.forward_button = w.Button(description="Forward ▸", tooltip="one more layer of the forward pass")
        self.backward_button = w.Button(description="Backward ◂", tooltip="one more step of the backward pass")
        self.clear_button = w.Button(description="whole pass", tooltip="leave the step-through: show everything")
        self.pass_play = w.Play(value=0, min=0, max=len(m.stages), interval=1200, show_repeat=False,
                                tooltip="play the forward, then the backward pass, one step per tick")
        self.speed = w.FloatSlider(value=1.2, min=0.3, max=4.0, step=0.1, description="s per step",
                                   tooltip="the step player's pace", readout_format=".1f",
                                   layout=w.Layout(width="16em"))
        self.jump = w.IntSlider(value=0, min=0, max=len(m.stages), description="go to step",
                                tooltip="jump to a step (0: the whole pass)", layout=w.Layout(width="18em"))
        for s in (self.lr, self.speed, self.jump):
            s.style.description_width = "initial"  # the whole label, at 24 px too
        self.playpause = w.Button(description="▶ play", tooltip="play or pause the step-through (space)")
        self.derivation = DerivationView(m)  # the studied weight's backward pass, one line per press
        self.keys = w.HTML(KEYS_HTML)
        self.stage_counter, self.stage_text = w.HTML(), w.HTML(layout=w.Layout(min_height="" if lecture else "6em"))
        self.path_select = w.Select(options=[], rows=8, layout=w.Layout(width="100%"))
        self.all_paths = w.ToggleButton(value=False, description="draw every path", tooltip="Figure 2: all path terms")
        self.terms, self.panel, self.curve_note = w.HTML(), w.HTML(), w.HTML()
        for b in (self.step_button, self.reset_button, self.random_button, self.back_button, self.forward_button,
                  self.backward_button, self.clear_button, self.all_paths, self.playpause):
            b.layout.width = "auto"  # never cut a label short, at any font size
        for b, act in ((self.step_button, self.gradient_step), (self.reset_button, self.reset),
                       (self.random_button, self.randomize), (self.back_button, self.previous_step),
                       (self.forward_button, self.step_forward), (self.backward_button, self.step_backward),
                       (self.clear_button, self.clear_steps),
                       (self.playpause, lambda: setattr(self.pass_play, "playing", not self.pass_play.playing))):
            b.on_click(lambda _, act=act: act())
        self.pass_play.observe(lambda c: setattr(self.playpause, "description", "⏸ pause" if c["new"] else "▶ play"),
                               names="playing")
        for b, name in ((self.forward_button, "forward"), (self.backward_button, "backward"),
                        (self.back_button, "back"), (self.playpause, "playpause")):  # the lecture keys click them
            b.add_class(f"bpteach-{name}")
        watch = [(self.play, self._on_play), (self.pass_play, lambda c: self._ask(m.go_to, c["new"])),
                 (self.jump, lambda c: self._ask(m.go_to, c["new"])),
                 (self.speed, lambda c: setattr(self.pass_play, "interval", int(1000 * c["new"]))),
                 (self.layer, lambda _: self._show_layer()), (self.study, lambda c: self._ask(m.study, c["new"])),
                 (self.path_select, lambda c: self._ask(m.select_path, c["new"])),
                 (self.mistake, lambda c: self._ask(m.set_mistake, c["new"], self.train_mistake.value)),
                 (self.train_mistake, lambda c: self._ask(m.set_mistake, self.mistake.value, c["new"])),
                 (self.preset, lambda c: c["new"] and self._ask(m.apply_preset, c["new"])),
                 (self.all_paths, lambda _: self.render())]
        watch += [(t, self._on_style) for t in (self.color_by, self.delta_scale, self.links_by)]
        for widget, handler in watch:
            widget.observe(handler, names="value")
        self._show_layer()
        self.widget = self._layout(lecture)
        m.observe(self._on_model)
        self._on_model("study")

    # -- layout ------------------------------------------------------------------------

    def _layout(self, lecture: bool) -> w.VBox:
        def labelled(text, widget):
            return w.HBox([w.HTML(f"<b>{text}</b>"), widget], layout=w.Layout(align_items="center"))
        row = {"align_items": "center", "flex_flow": "row wrap"}
        header = w.HBox([labelled("study", self.study), labelled("colour units by", self.color_by),
                         labelled("δ scale", self.delta_scale), labelled("links show", self.links_by)],
                        layout=w.Layout(**row))
        header2 = w.HBox([labelled("backprop", self.mistake), self.train_mistake, labelled("preset", self.preset)],
                         layout=w.Layout(**row))
        desk, lec = ([], [self.stage_counter]) if lecture else ([self.stage_counter], [])  # lecture: by the player
        stepper = w.HBox([self.back_button, self.forward_button, self.backward_button, self.playpause, *desk],
                         layout=w.Layout(**row))
        pacing = w.HBox([self.clear_button, self.pass_play, *lec, self.speed, self.jump, self.keys],
                        layout=w.Layout(**row))
        trainer = w.HBox([self.step_button, self.reset_button, self.random_button, w.HTML("<b>train</b>"), self.play,
                          self.step_counter], layout=w.Layout(**row))
        if lecture:  # one screen: picture and formula on the left; numbers, the slider, the stepper right
            left = w.VBox([self.image, self.stage_text], layout=w.Layout(flex="1 1 380px", min_width="0"))
            right = w.VBox([self.panel, self.study_slider_box, stepper, self.legend, self.note, pacing,
                            self.derivation.widget, self.side_image, self.curve_note],
                           layout=w.Layout(flex="1 1 440px", min_width="0"))
        else:
            left = w.VBox([self.image, stepper, self.stage_text, pacing, self.derivation.widget],
                          layout=w.Layout(flex="1 1 600px", min_width="0", align_items="stretch"))
            right = w.VBox([self.panel, self.study_slider_box, self.note, self.side_image, self.curve_note],
                           layout=w.Layout(flex="1 1 20em", min_width="0", max_width="34em"))
        top = w.HBox([left, right], layout=w.Layout(align_items="flex-start", width="100%", flex_flow="row wrap"))
        sliders = w.VBox([labelled("sliders for", self.layer), self.weight_box, self.bias_box,
                          w.HBox([w.VBox(self.x_sliders), w.VBox(self.y_sliders), self.lr], layout=w.Layout(**row))],
                         layout=w.Layout(width="100%"))
        paths = w.VBox([w.HBox([self.terms, self.all_paths], layout=w.Layout(**row)), self.path_select],
                       layout=w.Layout(width="100%"))
        parts = [top, header, header2] if lecture else [header, header2, top]  # lecture: the picture first
        box = w.VBox([w.HTML(CSS), *parts, trainer, self.moved, sliders, paths], layout=w.Layout(width="100%"))
        box.add_class("bpteach-root")
        if lecture:
            box.add_class("bpteach-lecture")
        return box

    def _slider(self, label: str, value: float, apply, *key, lo=None, hi=None, step: float = STEP) -> w.FloatSlider:
        lo, hi = (-self.limit if lo is None else lo), (self.limit if hi is None else hi)
        s = w.FloatSlider(value=float(np.clip(round(value / step) * step, lo, hi)), min=lo, max=hi, step=step,
                          description=label, tooltip=label, continuous_update=True, readout_format=".2f",
                          layout=w.Layout(width="19em"), style={"description_width": "7em"})
        s.observe(lambda c: self._moved(s, c, lambda v: apply(*key, v), step), names="value")
        return s

    def _sliders_for(self, l: int) -> tuple[list[w.FloatSlider], list[w.FloatSlider]]:
        net = self.model.net
        for i, j in np.ndindex(net.W[l].shape):
            if (l, i, j) not in self.weight_sliders:
                self.weight_sliders[l, i, j] = self._slider(weight_text(net, l, i, j), net.W[l][i, j],
                                                            self.model.set_weight, l, i, j)
        for i in range(net.W[l].shape[0]):
            if (l, i) not in self.bias_sliders:
                label = sym_text("b", l, unit_label(net, l + 1, i))
                self.bias_sliders[l, i] = self._slider(label, net.b[l][i], self.model.set_bias, l, i)
        ws = [self.weight_sliders[l, i, j] for i, j in np.ndindex(net.W[l].shape)]
        return ws, [self.bias_sliders[l, i] for i in range(net.W[l].shape[0])]

    def _show_layer(self) -> None:
        self.weight_box.children, self.bias_box.children = self._sliders_for(self.layer.value)
        self._sync_sliders()

    # -- the view asks, the model changes ----------------------------------------------------

    @contextmanager
    def _sync(self):
        """The only place the view sets its own widgets: their change events are not requests."""
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False

    def _ask(self, method, *args) -> None:
        if not self._syncing:
            method(*args)

    def _moved(self, s: w.FloatSlider, change, apply, step: float) -> None:
        """A slider's value changed: a move on purpose reaches the model; an echo is dropped."""
        if self._syncing or abs(change["new"] - change["old"]) < step / 2:
            return  # the view's own update, or the browser re-expressing the same grid position
        if self._echoes.is_late_echo(s, change["new"]):
            with self._sync():
                s.value = change["old"]  # a late echo of a value already replaced: show the true one again
            return
        apply(round(change["new"], 9))  # the slider's value, without the browser's float noise

    def _sync_sliders(self) -> None:
        """Show the true values on the sliders, rounded there and only there; say when one cannot."""
        m, far = self.model, []
        pairs = [(s, m.net.W[l][i, j], weight_text(m.net, l, i, j)) for (l, i, j), s in self.weight_sliders.items()]
        pairs += [(s, m.net.b[l][i], sym_text("b", l, unit_label(m.net, l + 1, i)))
                  for (l, i), s in self.bias_sliders.items()]
        pairs += [(s, v, s.description) for s, v in zip(self.x_sliders + self.y_sliders, [*m.x, *m.y], strict=True)]
        with self._sync():
            for s, value, label in pairs:
                shown = float(np.clip(round(float(value) / STEP) * STEP, s.min, s.max).round(2))
                outside = not s.min - STEP / 2 <= value <= s.max + STEP / 2
                s.description = f"{label} ⚠" if outside else label.rstrip(" ⚠")
                s.tooltip = (f"{label} = {num(value, '+.2f')}, beyond this slider's range: it shows {shown:+.2f} "
                             "and changes nothing until dragged") if outside else label.rstrip(" ⚠")
                if outside:
                    far.append(f"{html.escape(label)} = {num(value, '+.2f')}")
                if s.value != shown:
                    self._echoes.send(s, shown)
            self.lr.value = m.lr if abs(self.lr.value - m.lr) >= 0.025 else self.lr.value
        self._far = far

    # -- model -> view -----------------------------------------------------------------------

    def _on_model(self, what: str) -> None:
        m = self.model
        with self._sync():
            if what == "study":
                self.study.value, self.layer.value = m.weight, m.weight[0]
                terms = m.snapshot()["terms"]
                self.path_select.options = [(path_label(m.net, m.weight[0], t.path, t.value), t.path) for t in terms]
                self.path_select.value = m.path
            if what == "stage" and m.stage is not None:
                self.color_by.value = "activation" if m.stage[0] == "forward" else "delta"
                self.links_by.value = "gradient" if m.stage[0] == "gradient" else "weight"
                self._on_style(None)
            self.pass_play.value = self.jump.value = m.position
            self.preset.value = m.preset
        if what == "study":
            self._show_layer()
        elif what in ("params", "data"):
            self._sync_sliders()
        self.render()

    def _on_style(self, _change) -> None:
        self.diagram.color_by, self.diagram.delta_scale = self.color_by.value, self.delta_scale.value
        self.diagram.links_by = self.links_by.value
        if not self._syncing:
            self.render()

    def _on_play(self, change) -> None:
        # One step per tick, and only while playing: a tick that arrives after reset stopped the player
        # (the browser's timer is not the kernel's) must not train on.
        if self.play.playing and change["new"] > change["old"] and not self._syncing:
            self.model.gradient_step()

    def render(self) -> None:
        """Restyle the existing pictures and panels from the model's snapshot."""
        m = self.model
        s, stage, (l, i, j) = m.snapshot(), m.stage, m.weight
        self._render_panel(s)  # the numbers first: they cost little, the two PNGs below cost more
        known, grads = None, dict(s["gradients"].W)
        if stage is not None:
            kind, k = stage
            if kind == "forward":
                known = set(range(1, k + 2))
            elif kind == "delta":
                known = set(range(k, m.net.n_l + 1))
            else:
                grads = {n: grads[n] for n in range(k, m.net.n_l)}
        self.diagram.update(s["trace"], s["delta"], grads, layers=known)
        self.diagram.show_paths(s["terms"] if self.all_paths.value else None, l)
        if m.path:
            self.diagram.highlight(m.path, l)
        else:
            self.diagram.highlight_weight(l, i, j)
        self.image.value = self.diagram.png()
        self.legend.value = legend_html(self.diagram, self.all_paths.value) if self.lecture else ""
        self.side_image.value, (lo, hi) = self.side.png(m)
        self.curve_note.value = curve_note_html(m, self.limit, lo, hi, lines=self.lecture)
        self.derivation.render()
        self.stage_text.value = stage_html(m.net, m.y, stage, m.units(), s)
        k = m.position  # the buttons before the counter: a key pressed as the counter shows a step clicks the right one
        self.forward_button.disabled, self.back_button.disabled = k >= m.n_forward, k == 0
        self.backward_button.disabled = k < m.n_forward or k >= len(m.stages)
        self.stage_counter.value = f"step {k} of {len(m.stages)}"
        self.step_counter.value = f"<span class='bpteach-steps'>{m.steps}</span> step{'s' if m.steps != 1 else ''}"
        best = m.moved_most()
        self.moved.value = ("<span>no parameter has moved from the start</span>" if best is None else
                            f"<span>moved most since the start: {best[0]} by {num(best[1], '+.4f')}</span>")
        far = [f"{t} lies beyond its slider (±{self.limit:g}): it changes nothing until dragged." for t in self._far]
        self.note.value = "".join(f"<div class='bpteach-note'>{n}</div>" for n in m.notes() + far)

    def _render_panel(self, s: dict) -> None:
        m, (l, i, j) = self.model, s["weight"]
        self.panel.value, self.terms.value = panel_html(m.net, s, m.mistake, None if self.lecture else m.lr)
        opts = [(path_label(m.net, m.weight[0], t.path, t.value), t.path) for t in s["terms"]]
        if opts != list(self.path_select.options):
            with self._sync():
                self.path_select.options, self.path_select.value = opts, m.path
        self._sliders_for(l)
        self.study_slider_box.children = (self.weight_sliders[l, i, j],)

    # -- the documented methods (notebook 10, README) -------------------------------------

    net, x, y, steps, history, stages, stage, n_forward = (
        property(lambda self, name=name: getattr(self.model, name))
        for name in ("net", "x", "y", "steps", "history", "stages", "stage", "n_forward")
    )

    def state(self) -> dict:
        """The model's snapshot: J, dJ/dW of the studied weight three ways, its path terms, trace and deltas."""
        return self.model.snapshot()

    def J_curve(self, n: int = 61) -> tuple[np.ndarray, np.ndarray]:
        """J as the studied weight alone sweeps its slider's range."""
        return self.model.J_curve(n, self.limit)

    def set_weight(self, l: int, i: int, j: int, value: float) -> None:
        """Set W[l][i, j] to exactly `value` (its slider then shows it rounded)."""
        self._sliders_for(l)
        self.model.set_weight(l, i, j, value)

    def gradient_step(self) -> None:
        """W <- W - lr dJ/dW and b <- b - lr dJ/db, on the current example (bpteach.train.step)."""
        self.model.gradient_step()

    def reset(self) -> None:
        """Back to the weights, x and y the explorer started with; stops the train player."""
        self.play.playing = False
        with self._sync():
            self.play.value = 0
        self.model.reset()

    def randomize(self) -> None:
        """Fresh random weights (reproducible: the explorer's own generator)."""
        self.model.randomize()

    def apply_preset(self, name: str) -> None:
        """One of PRESETS from the starting weights; stops the train player."""
        self.play.playing = False
        self.model.apply_preset(name)

    def step_forward(self) -> bool:
        """Compute the next layer of the forward pass; False when the forward pass is done."""
        return self.model.position < self.model.n_forward and self.model.next_step()

    def step_backward(self) -> bool:
        """The next step of the backward pass, after the forward pass (steps 1, 2, 3); False when done."""
        k = self.model.position
        if k < self.model.n_forward:
            raise RuntimeError(f"the forward pass comes first: {self.model.n_forward - k} layer(s) left "
                               "(call step_forward())")
        return self.model.next_step()

    def previous_step(self) -> bool:
        """One step back in the step-through; False at the start."""
        return self.model.previous_step()

    def clear_steps(self) -> None:
        """Leave the step-through: everything computed and shown."""
        self.pass_play.playing = False
        self.model.go_to(0)

    def to_png(self) -> bytes:
        """One still PNG: the picture, J(w), the loss history and `summary()` (for GitHub, nbviewer, handouts)."""
        self.render()
        return compose_png(bytes(self.image.value), bytes(self.side_image.value), self.summary())

    def summary(self) -> str:
        """The current state as plain text (what a notebook prints after the widget cell)."""
        return self.model.summary(self.limit)

    def _ipython_display_(self) -> None:
        display(self.widget, Javascript(KEYS_JS))  # the keys in JupyterLab (KEYS_JS: only with the focus inside)
