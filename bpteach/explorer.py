"""The interactive explorer: move a weight, watch J, every delta and one gradient (notebook 10).

Everything a slider changes is recomputed by the same bpteach functions the
notebooks check (forward, deltas, gradients, the path sum); the picture is the
NetworkDiagram of Figure 1, restyled in place and sent as PNG bytes to an Image
widget. No browser is needed to build or drive it: tests and nbval set slider
values from Python exactly as a front end would.
"""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np
from matplotlib.figure import Figure

from . import backprop
from .diagram import NetworkDiagram, unit_label
from .gradcheck import weight_derivative
from .network import Network
from .paths import path_terms

MAX_TERMS_SHOWN = 32
STEP = 0.01  # slider resolution; the explorer keeps every weight on this grid (see snap_weights)


def weight_text(net, l: int, i: int, j: int) -> str:
    """W^(l)_{i<-j} in plain text, with the text's 1-based unit labels."""
    return f"W^({l})_{unit_label(net, l + 1, i)}<-{unit_label(net, l, j)}"


class Explorer:
    """Sliders for the weights of one layer, for x and for y; a selector for the weight
    under study; J and dJ/dW by delta and by finite differences; its path terms.

    The weights are rounded to the sliders' step (0.01) when the explorer takes the
    network, so its numbers differ slightly from the unrounded network's.
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
    ) -> None:
        self.net = net if net is not None else Network.five_layer(seed=seed)
        self.x = self.net.check_x(x).copy()
        self.y = self.net.check_y(y, (self.net.sizes[-1],)).copy()
        self.lr, self.limit, self.seed = lr, limit, seed
        self.snap_weights()
        self._initial = (self.net.copy(), self.x.copy(), self.y.copy())
        self._rng = np.random.default_rng(seed + 1)
        self._quiet = False  # True while code moves many sliders at once

        fig = Figure(figsize=(7.0, 3.4), dpi=90, layout="constrained")
        self.diagram = NetworkDiagram(self.net, fig.add_subplot(), color_by="activation")
        self.image = w.Image(format="png", layout=w.Layout(width="630px"))

        l0 = weight[0] if layer is None else layer
        self.layer = w.Dropdown(options=[(f"W^({l})", l) for l in self.net.W], value=l0, description="sliders for")
        self.study = w.Dropdown(
            options=[
                (weight_text(self.net, l, i, j), (l, i, j))
                for l in self.net.W
                for i, j in np.ndindex(self.net.W[l].shape)
            ],
            value=tuple(weight),
            description="study",
        )
        self.color_by = w.ToggleButtons(options=["activation", "delta"], description="colour by")
        self.weight_sliders: dict[tuple[int, int, int], w.FloatSlider] = {}
        self.weight_box = w.GridBox(layout=w.Layout(grid_template_columns="repeat(3, 300px)"))
        self.x_sliders = [self._slider(f"x {unit_label(self.net, 1, u)}", v) for u, v in enumerate(self.x)]
        self.y_sliders = [
            self._slider(f"y {unit_label(self.net, self.net.n_l, u)}", v, 0.0, 1.0) for u, v in enumerate(self.y)
        ]
        for s in self.x_sliders + self.y_sliders:
            s.observe(self._on_data, names="value")
        self.step_button = w.Button(description="gradient step", icon="arrow-down")
        self.reset_button = w.Button(description="reset", icon="undo")
        self.random_button = w.Button(description="random weights", icon="random")
        self.play = w.Play(value=0, min=0, max=500, interval=150, description="train")
        self.panel = w.HTML()
        self.terms = w.HTML()

        self.step_button.on_click(lambda _: self.gradient_step())
        self.reset_button.on_click(lambda _: self.reset())
        self.random_button.on_click(lambda _: self.randomize())
        self.play.observe(self._on_play, names="value")
        self.layer.observe(lambda _: self._show_layer(), names="value")
        self.study.observe(lambda _: self.refresh(), names="value")
        self.color_by.observe(self._on_color, names="value")
        self._show_layer()
        self.widget = w.VBox(
            [
                w.HBox([self.layer, self.study, self.color_by]),
                self.weight_box,
                w.HBox([w.VBox(self.x_sliders), w.VBox(self.y_sliders)]),
                w.HBox([self.step_button, self.reset_button, self.random_button, self.play]),
                w.HBox([self.image, w.VBox([self.panel, self.terms])]),
            ]
        )
        self.refresh()

    # -- building blocks -------------------------------------------------------

    def _slider(self, description: str, value: float, lo: float | None = None, hi: float | None = None):
        lo = -self.limit if lo is None else lo
        hi = self.limit if hi is None else hi
        return w.FloatSlider(
            value=float(value), min=lo, max=hi, step=0.01, description=description,
            continuous_update=True, readout_format=".2f", layout=w.Layout(width="295px"),
            style={"description_width": "60px"},
        )  # fmt: skip

    def _sliders_for(self, l: int) -> list[w.FloatSlider]:
        out = []
        for i, j in np.ndindex(self.net.W[l].shape):
            key = (l, i, j)
            if key not in self.weight_sliders:
                label = f"{unit_label(self.net, l + 1, i)}←{unit_label(self.net, l, j)}"
                s = self._slider(label, self.net.W[l][i, j])
                s.observe(lambda change, key=key: self._on_weight(key, change["new"]), names="value")
                self.weight_sliders[key] = s
            out.append(self.weight_sliders[key])
        return out

    def _show_layer(self) -> None:
        self.weight_box.children = self._sliders_for(self.layer.value)

    # -- events ------------------------------------------------------------------

    def _on_weight(self, key, value: float) -> None:
        l, i, j = key
        self.net.W[l][i, j] = value
        if not self._quiet:
            self.refresh()

    def _on_data(self, _change) -> None:
        self.x[:] = [s.value for s in self.x_sliders]
        self.y[:] = [s.value for s in self.y_sliders]
        if not self._quiet:
            self.refresh()

    def _on_color(self, change) -> None:
        self.diagram.color_by = change["new"]
        self.refresh()

    def _on_play(self, change) -> None:
        if change["new"] > change["old"]:
            self.gradient_step()

    # -- actions -----------------------------------------------------------------

    def snap_weights(self) -> None:
        """Round every weight to the sliders' grid (multiples of STEP, within +-limit).

        A browser slider can only hold grid values and sends its snapped value back to
        the kernel, so without this the front end would quietly change the network.
        Snapping here keeps the kernel, the page and the tests on identical numbers.
        """
        decimals = round(-np.log10(STEP))
        for l in self.net.W:
            self.net.W[l] = np.clip(np.round(self.net.W[l], decimals), -self.limit, self.limit)

    def set_weight(self, l: int, i: int, j: int, value: float) -> None:
        """Move the weight W[l][i, j] as its slider would (creating the slider if needed)."""
        self._sliders_for(l)
        self.weight_sliders[l, i, j].value = value

    def gradient_step(self) -> None:
        """W <- W - lr * dJ/dW for every weight and bias, on the current example."""
        g = self.net.gradients(self.x, self.y)
        for l in self.net.W:
            self.net.W[l] -= self.lr * g.W[l]
            self.net.b[l] -= self.lr * g.b[l]
        self.snap_weights()
        self._sync_sliders()

    def reset(self) -> None:
        """Back to the weights, x and y the explorer started with."""
        net0, x0, y0 = self._initial
        for l in self.net.W:
            self.net.W[l] = net0.W[l]
            self.net.b[l] = net0.b[l]
        self.x[:], self.y[:] = x0, y0
        self.play.value = 0
        self._sync_sliders()

    def randomize(self) -> None:
        """Fresh random weights (reproducible: the explorer's own generator)."""
        self.net.randomize(int(self._rng.integers(2**31)))
        self.snap_weights()
        self._sync_sliders()

    def _sync_sliders(self) -> None:
        self._quiet = True
        try:
            for (l, i, j), s in self.weight_sliders.items():
                s.value = float(self.net.W[l][i, j])
            for u, s in enumerate(self.x_sliders):
                s.value = float(self.x[u])
            for u, s in enumerate(self.y_sliders):
                s.value = float(self.y[u])
        finally:
            self._quiet = False
        self.refresh()

    # -- the state and its display -------------------------------------------------

    def state(self, eps: float = 1e-6) -> dict:
        """J, the studied weight's gradient three ways, and its path terms, for the current sliders."""
        net, (l, i, j) = self.net, self.study.value
        g = net.gradients(self.x, self.y)
        terms = list(path_terms(net, self.x, self.y, l, i, j))
        return {
            "weight": (l, i, j),
            "J": backprop.cost(self.y, g.trace.h),  # from the same forward pass as the gradients
            "grad_delta": float(g.W[l][i, j]),
            "grad_numerical": weight_derivative(net, self.x, self.y, l, i, j, eps),
            "grad_paths": float(sum(t.value for t in terms)),
            "terms": terms,
            "gradients": g,
        }

    def refresh(self) -> None:
        """Recompute the state and restyle the existing picture and panels."""
        s = self.state()
        g = s["gradients"]
        self.diagram.update(g.trace, g.delta)
        self.diagram.highlight_weight(*s["weight"])
        self.image.value = self.diagram.png()
        name = html.escape(weight_text(self.net, *s["weight"]))
        self.panel.value = (
            f"<table class='bpteach-panel'>"
            f"<tr><td>{name}</td><td class='bpteach-w'>{self.net.W[s['weight'][0]][s['weight'][1:]]:+.6f}</td></tr>"
            f"<tr><td>J</td><td class='bpteach-J'>{s['J']:.6f}</td></tr>"
            f"<tr><td>∂J/∂{name} by δ</td><td class='bpteach-grad'>{s['grad_delta']:+.6e}</td></tr>"
            f"<tr><td>by finite differences</td><td class='bpteach-num'>{s['grad_numerical']:+.6e}</td></tr>"
            f"</table>"
        )
        rows = [
            f"<tr><td>{' → '.join(unit_label(self.net, s['weight'][0] + n, u) for n, u in enumerate(t.path))}"
            f"</td><td>{t.value:+.3e}</td></tr>"
            for t in s["terms"][:MAX_TERMS_SHOWN]
        ]
        more = len(s["terms"]) - MAX_TERMS_SHOWN
        if more > 0:
            rows.append(f"<tr><td>… and {more} more</td><td></td></tr>")
        self.terms.value = (
            f"<b>{len(s['terms'])} path terms</b>, sum {s['grad_paths']:+.6e}"
            f"<div style='max-height:260px;overflow-y:auto'><table>{''.join(rows)}</table></div>"
        )
        self._last = s

    def summary(self) -> str:
        """The current state as plain text: what a notebook prints after the widget cell."""
        s = self._last
        name = weight_text(self.net, *s["weight"])
        return (
            f"{name} = {self.net.W[s['weight'][0]][s['weight'][1:]]:+.4f}\n"
            f"J = {s['J']:.6f}\n"
            f"dJ/d{name}: by delta {s['grad_delta']:+.6e}, by finite differences {s['grad_numerical']:+.6e}, "
            f"by {len(s['terms'])} path terms {s['grad_paths']:+.6e}"
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
