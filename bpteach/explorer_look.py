"""The explorer's look: its CSS (lecture mode: 24 px type) and its two small plots, J(w) with its tangent and the
loss history, on fixed axes so that only their lines are redrawn (blitting); `png(model)` returns PNG bytes."""

from __future__ import annotations

import time

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Text

from .diagram import encode_png

CSS = """
<style>
.bpteach-root {font-size: var(--bp-font, 14px); color: #111; background: #fff;}
.bpteach-root .widget-label, .bpteach-root .widget-label-basic, .bpteach-root .widget-readout, .bpteach-root button,
.bpteach-root select, .bpteach-root .widget-html-content {font-size: var(--bp-font, 14px);}
.bpteach-root .widget-readout {min-width: 4.5em; overflow: visible;}
.bpteach-panel td, .bpteach-stage td {padding: 1px 6px;}
.bpteach-panel td:last-child, .bpteach-num-cell {font-family: monospace; text-align: right; white-space: nowrap;}
.bpteach-panel td.bpteach-why {font-family: inherit; text-align: left; white-space: normal; color: #a00;}
.bpteach-root .widget-html-content {white-space: normal;}
.bpteach-stage {font-size: 1.05em; line-height: 1.5; overflow-wrap: break-word;}
.bpteach-root .nw {white-space: nowrap;}
.bpteach-stage .f {font-family: serif; font-size: 1.1em;}
.bpteach-lecture {--bp-font: 24px; font-weight: 500;}
.bpteach-lecture small {font-size: 1em;}
.bpteach-lecture .bpteach-stage {line-height: 1.25;}
.bpteach-lecture .bpteach-stage sub, .bpteach-lecture .bpteach-stage sup {line-height: 0;}
@media (max-height: 520px) {.bpteach-lecture .bpteach-stage .x {display: none;}}  /* 720p at 150%: symbol = value */
.bpteach-lecture .widget-slider .noUi-handle {width: 18px; height: 18px;}
.bpteach-root .widget-play + .widget-html {margin-right: 0.8em;}
.bpteach-key {margin-right: 0.8em;}
.bpteach-key i {display: inline-block; width: 3em; height: 0.8em; vertical-align: middle; margin: 0 0.25em;
  border: 1px solid #555;}
</style>
"""

KEYS_HTML = ("<small>keys, in JupyterLab once you click the explorer (elsewhere JupyterLab's own keys work), and "
             "anywhere on the lecture page: → / PageDown next step, ← / PageUp back, space play/pause, ↓ / ↑ next / "
             "previous line of the derivation</small>")

# The same keys in JupyterLab (the lecture page's template has its own listener, so this one stays out of Voilà):
# one listener per page, acting only when the focus is inside an explorer; a click anywhere on an explorer focuses
# it. The keys click the explorer's own buttons (the kernel decides) and never reach JupyterLab's shortcuts;
# PageUp/PageDown never reach a slider; the arrows and space on a focused slider, menu or button are theirs.
KEYS_JS = """(() => {
  if (window.bpteachKeys || document.body.dataset.voila) return;
  window.bpteachKeys = true;
  const root = (e) => e.target.closest && e.target.closest(".bpteach-root");
  document.addEventListener("pointerdown", (e) => {
    const r = root(e);
    if (r && !r.hasAttribute("tabindex")) r.tabIndex = -1;
  }, true);
  document.addEventListener("keydown", (e) => {
    const r = root(e);
    if (!r || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const own = e.target.closest(".widget-slider, input, select, textarea, button");
    const click = (name) => {
      const b = [...r.querySelectorAll("button.bpteach-" + name)].find((b) => !b.disabled);
      if (b) b.click();
      return !!b;
    };
    const act = {PageDown: "next", PageUp: "back"}[e.key] || (own ? null : {ArrowRight: "next", ArrowLeft: "back",
      " ": "playpause", ArrowDown: "reveal", ArrowUp: "hide"}[e.key]);
    if (!act) return;
    e.preventDefault();
    e.stopPropagation();
    if (act === "next") click("forward") || click("backward");
    else click(act);
  }, true);
})();"""


def _bar(lo: str, cmap, hi: str) -> str:
    """A colour map as a CSS gradient between its two ends' values: the picture's colours, in the text's size."""
    stops = ", ".join(to_hex(cmap(v)) for v in np.linspace(0, 1, 9))
    return f"<span class='nw'>{lo}<i style='background: linear-gradient(to right, {stops})'></i>{hi}</span>"


def legend_html(d, paths: bool) -> str:
    """The picture's colour keys as HTML beside it (lecture mode draws them there, in 24 px type, not in the PNG):
    what colours the units and the links, on which scale, as the colour bars of the notebook's picture say."""
    norm, cmap, title = d.unit_norm_and_cmap()
    keys = []
    if d.color_by == "activation":
        keys.append(f"units: a {_bar(f'{norm.vmin:g}', cmap, f'{norm.vmax:g}')}")
        keys.append(f"inputs x {_bar(f'−{d.limit:g}', d.input_cmap, f'+{d.limit:g}')}")
    elif d.color_by == "delta":
        how = "symlog" if d.delta_scale == "symlog" else "÷ the layer's largest |δ|"
        keys.append(f"units: δ {_bar('−1', cmap, '+1')} ({how}); layer (1) has no δ")
    if d.links_by == "gradient":
        keys.append(f"links: ∂J/∂W {_bar('−1', d.link_cmap, '+1')} (÷ the layer's largest)")
    else:
        keys.append(f"links and ▪ biases: W {_bar(f'−{d.limit:g}', d.link_cmap, f'+{d.limit:g}')}, width ∝ |W|")
    if paths:
        keys.append(f"paths: net flow {_bar('−1', d.flow_cmap, '+1')} (÷ the largest)")
    return "<div class='bpteach-legend'>" + "".join(f"<span class='bpteach-key'>{k}</span>" for k in keys) + "</div>"


class SidePlots:
    """J(w) for the studied weight w over -limit..limit (scaled to its own range) and the loss history."""

    def __init__(self, size: tuple[float, float], dpi: float, fontsize: float, limit: float,
                 legend: bool = True) -> None:
        self.limit = limit  # legend=False: the caption under the plots says what the lines are (lecture mode, where
        # 21 pt on 4.6 x 3.8 in, shown 440 CSS px wide or more, gives 24 CSS px type or more)
        self.fig = Figure(figsize=size, dpi=dpi, layout="constrained")
        FigureCanvasAgg(self.fig)
        fs = fontsize
        ax1, ax2 = self.fig.subplots(2, 1)
        (self.curve,) = ax1.plot([], [], color="#333333", lw=1.6, label="J(w)")
        (self.tangent,) = ax1.plot([], [], color="#d62728", lw=2.0, label="tangent, slope ∂J/∂W")
        (self.here,) = ax1.plot([], [], "o", color="#f5a300", mec="black", ms=7)
        if legend:
            ax1.legend(fontsize=fs - 2, loc="upper center", ncols=2, frameon=False)
        ax1.set_xlim(-limit, limit)
        ax1.set_ylim(-0.1, 1.35)
        ax1.set_yticks([0, 1], ["min J", "max J"])
        ax1.tick_params(labelsize=fs - 2)
        ax1.set_xlabel("the studied weight w", fontsize=fs - 1)
        (self.loss,) = ax2.plot([], [], color="#1f77b4", lw=1.6, marker=".", ms=3)
        ax2.set_xlim(0, 1)
        ax2.set_ylim(-0.05, 1.1)
        ax2.set_xticks([0, 1], ["start", "now"])
        ax2.set_yticks([0, 1], ["0", "first J"])
        ax2.tick_params(labelsize=fs - 2)
        ax2.set_title("loss history", fontsize=fs - 1)
        self.lines = [self.curve, self.tangent, self.here, self.loss]
        self._background = None

    def smallest_type_px(self) -> float:
        """The smallest font size the plots show, in their own pixels (as NetworkDiagram.smallest_type_px)."""
        if self._background is None:  # tick labels get their text when drawn
            self.fig.canvas.draw()
        shown = [t for t in self.fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        return min(t.get_fontsize() for t in shown) * self.fig.dpi / 72

    def png(self, model) -> tuple[bytes, tuple[float, float]]:
        """The plots for the model's current state, and J(w)'s range (lowest, highest)."""
        s = model.snapshot()
        l, i, j = s["weight"]
        ws, Js = model.J_curve(limit=self.limit)
        w0 = float(model.net.W[l][i, j])
        lo, hi = float(Js.min()), float(Js.max())
        span = max(hi - lo, 1e-12)
        slope = s["grad_correct"] / span  # in the plot's units: J scaled to 0..1
        y0, half = (s["J"] - lo) / span, 0.25 * self.limit
        self.curve.set_data(ws, (Js - lo) / span)
        self.here.set_data([w0], [y0])
        self.tangent.set_data([w0 - half, w0 + half], [y0 - slope * half, y0 + slope * half])
        hist = model.history or [s["J"]]
        self.loss.set_data(np.linspace(0, 1, len(hist)) if len(hist) > 1 else [0.0], np.array(hist) / hist[0])
        canvas = self.fig.canvas
        if self._background is None:
            for line in self.lines:
                line.set_visible(False)
            canvas.draw()
            self.fig.set_layout_engine("none")
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            for line in self.lines:
                line.set_visible(True)
        canvas.restore_region(self._background)
        for line in self.lines:
            line.axes.draw_artist(line)
        return encode_png(np.asarray(canvas.buffer_rgba())), (lo, hi)


class EchoFilter:
    """Which values arriving from a browser slider are late echoes. When the view moves a slider to a new
    position (reset, a preset, a training step), the browser may still send the positions it had before; such a
    value, until `seconds` after the view last moved that slider, is an echo and must not reach the model. Only
    positions a sync replaced are kept, so a quick move back and forth by hand stays a move. The window runs
    from the last move, not from each replaced position: a long training run followed by a reset keeps every
    position it showed, however slowly a loaded machine stepped."""

    KEEP = 64  # positions kept per slider: a long training run shows many, the browser echoes only recent ones

    def __init__(self, seconds: float = 3.0) -> None:
        self.seconds = seconds
        self._replaced: dict[str, tuple[float, list[float]]] = {}  # slider id -> (last move, old positions)

    def send(self, slider, value: float) -> None:
        """Show `value` on the slider, remembering the position it replaces."""
        now = time.monotonic()
        last, kept = self._replaced.get(slider.model_id, (now, []))
        kept = kept if now - last < self.seconds else []
        if abs(value - slider.value) >= slider.step / 2:
            kept = [*kept, slider.value][-self.KEEP :]
        self._replaced[slider.model_id] = (now, kept)
        slider.value = value

    def is_late_echo(self, slider, value: float) -> bool:
        last, kept = self._replaced.get(slider.model_id, (float("-inf"), []))
        recent = time.monotonic() - last < self.seconds
        return recent and any(abs(value - v) < slider.step / 2 for v in kept)


def compose_png(picture: bytes, side: bytes, text: str, font_px: int = 28) -> bytes:
    """One PNG: `picture` and `side` side by side (same height), `text` under them in DejaVu Sans (matplotlib's
    own font, which has the notation's sub- and superscripts)."""
    import io

    from matplotlib import font_manager
    from PIL import Image, ImageDraw, ImageFont

    a, b = (Image.open(io.BytesIO(png)).convert("RGB") for png in (picture, side))
    b = b.resize((round(b.width * a.height / b.height), a.height))
    font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), font_px)
    lines = text.splitlines()
    height = a.height + (len(lines) + 1) * round(1.4 * font_px)
    out = Image.new("RGB", (a.width + b.width, height), "white")
    out.paste(a, (0, 0))
    out.paste(b, (a.width, 0))
    draw = ImageDraw.Draw(out)
    for n, line in enumerate(lines):
        draw.text((font_px, a.height + round((n + 0.5) * 1.4 * font_px)), line, fill="black", font=font)
    buffer = io.BytesIO()
    out.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
