"""Figure 1 and Figure 2 of the derivation, drawn from a live Network (notebooks 02, 04, 10).

Every weight is one segment of a single LineCollection and every unit one point of
a single scatter, so `update()` only changes colours and widths of artists that
already exist: a slider never pays for rebuilding the figure.

Scales are fixed, so that a picture changes only where the network does:
- a link's colour and width show W^{(l)}_{i<-j} on the range -limit..limit (red +, blue -),
  or dJ/dW^{(l)}_{i<-j} with each layer scaled to its own largest |dJ/dW|;
- a unit's fill shows a^{(l)} on a fixed range (the inputs x = a^{(1)} on a scale of their own,
  -limit..limit, with a key beside them), or delta^{(l)} on diverging colours (orange +,
  purple -), either scaled per layer (delta / max_l |delta^{(l)}|) or on a symmetric log
  scale; the colour bar says which. Layer 1 has no delta and is drawn grey with "no δ";
- "every path of a weight" draws each link with the net signed flow through it: the sum of
  the path terms that run through that link (red +, blue -, width by size, a key of its own);
- a small square at each unit's upper right shows its bias b^{(l-1)} on the links' scale.
Unit labels are black or white, whichever contrasts more with the fill (WCAG ratio >= 4.5).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, SymLogNorm, to_rgba
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Text
from matplotlib.transforms import offset_copy

from .diagram_pixels import BLACK, WHITE, FastPNG, contrast_ratio, encode_png, label_color, relative_luminance

__all__ = ["BLACK", "WHITE", "NetworkDiagram", "contrast_ratio", "draw_network", "draw_paths", "encode_png",
           "label_color", "relative_luminance", "unit_label", "weight_label"]  # the pixels' helpers, re-exported

LAYER_NAMES_5 = ("n_l-4", "n_l-3", "n_l-2", "n_l-1", "n_l")
COLOR_BY = ("activation", "delta", "none")
DELTA_SCALES = ("per-layer", "symlog")
LINKS_BY = ("weight", "gradient")
NO_VALUE = "#c8c8c8"  # a unit with nothing to show: layer 1 under "delta", or not computed yet
SYMLOG_LINTHRESH = 1e-5


def unit_label(net, l: int, u: int) -> str:
    """The text's 1-based label of unit position u (0-based) on layer l, e.g. 'k3' or '3'."""
    return f"{net.letters[l - 1]}{u + 1}" if net.letters else f"{u + 1}"


def weight_label(net, l: int, i: int, j: int) -> str:
    """W^{(l)}_{i<-j} with the text's 1-based unit labels, as mathtext."""
    dst, src = unit_label(net, l + 1, i), unit_label(net, l, j)
    return rf"$W^{{({l})}}_{{{dst}\leftarrow {src}}}$"


def _cmap(name: str):
    return matplotlib.colormaps[name].with_extremes(bad=NO_VALUE)


def _style(name: str, doc: str, allowed: tuple[str, ...]) -> property:
    """A style of the drawing, one of `allowed`; setting it restyles the picture (NetworkDiagram._set)."""
    return property(lambda self: getattr(self, "_" + name), lambda self, value: self._set(name, value, allowed),
                    doc=f"{doc}: one of {', '.join(allowed)}")


class NetworkDiagram(FastPNG):
    """The network as units and links: link width and colour show each weight (or its
    gradient), unit colour shows a^{(l)} or delta^{(l)} (`color_by`), each bias is a small
    square beside its unit, one path can be highlighted and all paths of a weight drawn."""

    def __init__(
        self,
        net,
        ax=None,
        *,
        color_by: str = "activation",
        delta_scale: str = "per-layer",
        links_by: str = "weight",
        limit: float = 3.0,
        title: str | None = None,
        figsize: tuple[float, float] = (7.0, 3.6),
        fontsize: float = 9,
        colorbars: bool = True,
        link_widths: tuple[float, float] = (0.4, 4.0),
        few_labels: bool = False,
    ) -> None:
        for name, value, allowed in (
            ("color_by", color_by, COLOR_BY),
            ("delta_scale", delta_scale, DELTA_SCALES),
            ("links_by", links_by, LINKS_BY),
        ):
            if value not in allowed:
                raise ValueError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")
        lo, hi = map(float, link_widths)
        if not 0 < lo < hi:
            raise ValueError(f"link_widths: expected (thinnest, thickest) in points with 0 < thinnest < thickest, "
                             f"got {link_widths!r}")
        self.net, self.limit, self.fontsize = net, float(limit), fontsize
        self.few_labels = few_labels  # a projector: unit labels, W^(l) and layer numbers only, all `fontsize`
        self.link_widths = (lo, hi)  # points: |W| = 0 .. limit; a projector needs a thicker thinnest line
        self._color_by, self._delta_scale, self._links_by = color_by, delta_scale, links_by
        if ax is None:  # pyplot only here: the explorer draws on its own Figure, and a kernel never loads pyplot
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        self.ax, self.fig = ax, ax.figure
        self._own_layout = isinstance(self.fig.get_layout_engine(), ConstrainedLayoutEngine)
        top = max(net.sizes) / 2
        self.pos = {(l, u): (l, (s - 1) / 2 - u) for l, s in enumerate(net.sizes, start=1) for u in range(s)}
        self.link_index = {}  # (l, i, j) -> position in the LineCollection
        segs = []
        for l in range(1, net.n_l):
            for i, j in np.ndindex(net.W[l].shape):
                self.link_index[l, i, j] = len(segs)
                segs.append([self.pos[l, j], self.pos[l + 1, i]])
        self.link_cmap = _cmap("coolwarm")
        self.w_norm = Normalize(-self.limit, self.limit, clip=True)
        self.links = LineCollection(segs, zorder=1)
        ax.add_collection(self.links)
        self.bundle = LineCollection([], zorder=2, capstyle="round")  # every path of one weight
        ax.add_collection(self.bundle)
        self.path = LineCollection([], colors="#f5a300", linewidths=hi + 1, alpha=0.85, zorder=2.5)
        ax.add_collection(self.path)
        self.unit_keys = list(self.pos)
        xy = np.array([self.pos[k] for k in self.unit_keys])
        size = (1.7 * fontsize) ** 2 if few_labels else 620 * (fontsize / 9) ** 2  # few labels: 1.7 em wide
        self.units = ax.scatter(xy[:, 0], xy[:, 1], s=size, c=NO_VALUE, edgecolors="black", linewidths=1.2, zorder=3)
        self.bias_keys = [(l, u) for (l, u) in self.unit_keys if l >= 2]  # b^{(l-1)}_u sits on unit u of layer l
        dx, dy = (0.0, 0.0) if few_labels else (0.16, 0.26)  # few: an offset in points (any aspect), below
        bxy = np.array([(self.pos[k][0] + dx, self.pos[k][1] + dy) for k in self.bias_keys])
        d = 0.4 * size**0.5  # on the circle's upper right
        where = {"transform": offset_copy(ax.transData, fig=self.fig, x=d, y=d, units="points")} if few_labels else {}
        self.biases = ax.scatter(bxy[:, 0], bxy[:, 1], s=size / 7, marker="s", c="white", edgecolors="black",
                                 linewidths=0.6, zorder=3.5, **where)
        self.unit_texts = [
            ax.text(
                px,
                py,
                unit_label(net, l, u),
                ha="center",
                va="center",
                fontsize=fontsize,
                color="black",
                zorder=4,
                fontweight="bold",
            )
            for (l, u), (px, py) in self.pos.items()
        ]
        self.fills = np.tile(to_rgba(NO_VALUE), (len(self.unit_keys), 1))
        self.label_colors = [BLACK] * len(self.unit_keys)
        self._background = None  # the static part of the picture, for png()
        names = LAYER_NAMES_5 if net.letters and net.n_l == 5 else None
        bottom = -top - 0.15
        for l in range(1, net.n_l + 1):
            name = f"({l})" if few_labels else f"layer ${names[l - 1]}$ ({l})" if names else f"layer {l}"
            ax.text(l, bottom, name, ha="center", va="top", fontsize=fontsize)
        self.no_delta = ax.text(1, top + 0.05, "no δ", ha="center", fontsize=fontsize, style="italic")
        for l in range(1, net.n_l):
            ax.text(l + 0.5, top + 0.05, f"$W^{{({l})}}$", ha="center", fontsize=fontsize + (0 if few_labels else 1))
        ax.set_xlim(0.6, net.n_l + 0.4)
        ax.set_ylim(bottom - 0.45, top + 0.35)
        ax.set_axis_off()
        if title:
            ax.set_title(title, fontsize=fontsize + 2)
        self.unit_bar = self.link_bar = None
        if colorbars:
            kw = {"ax": ax, "fraction": 0.035, "pad": 0.02, "aspect": 25}
            self.unit_bar = self.fig.colorbar(ScalarMappable(Normalize(0, 1), _cmap("viridis")), **kw)
            self.link_bar = self.fig.colorbar(ScalarMappable(self.w_norm, self.link_cmap), **kw)
            for bar in (self.unit_bar, self.link_bar):
                bar.ax.tick_params(labelsize=fontsize - 1)
        self.input_norm, self.input_cmap = Normalize(-self.limit, self.limit, clip=True), _cmap("BrBG")
        self.flow_cmap, self.flows = _cmap("RdBu_r"), {}
        self.input_bar = self.flow_bar = None
        if colorbars:
            self.input_bar = self._key([0.01, 0.2, 0.16, 0.035], self.input_norm, self.input_cmap,
                                       f"inputs x (±{self.limit:g})")
            self.flow_bar = self._key([0.01, 0.8, 0.16, 0.035], Normalize(-1.0, 1.0), self.flow_cmap,
                                      "path lines: net flow\n(Σ terms via link) / max")
            self.flow_bar.ax.set_visible(False)
        self._restyle_scales()
        self._trace = self._delta = self._grads = None
        self._layers = None
        self.update()

    def smallest_type_px(self) -> float:
        """The smallest font size of any text the picture shows, in its own pixels (a browser test scales it by
        the picture's displayed width over its natural width: the type's CSS px)."""
        hidden = {t for a in self.fig.axes if not a.axison for axis in (a.xaxis, a.yaxis) for t in axis.findobj(Text)}
        shown = [t for t in self.fig.findobj(Text) if t.get_visible() and t.get_text().strip() and t not in hidden
                 and (t.axes is None or t.axes.get_visible())]
        return min(t.get_fontsize() for t in shown) * self.fig.dpi / 72

    def _key(self, bounds, norm, cmap, title):
        """A small horizontal colour bar inside the axes, so that adding it moves nothing."""
        bar = self.fig.colorbar(ScalarMappable(norm, cmap), cax=self.ax.inset_axes(bounds), orientation="horizontal")
        bar.ax.tick_params(labelsize=self.fontsize - 2)
        bar.ax.set_title(title, fontsize=self.fontsize - 2)
        return bar

    # -- the scales --------------------------------------------------------------------

    color_by = _style("color_by", "what fills the units", COLOR_BY)
    delta_scale = _style("delta_scale", "the delta colour scale", DELTA_SCALES)
    links_by = _style("links_by", "what colours the links", LINKS_BY)

    def _set(self, name: str, value: str, allowed) -> None:
        if value not in allowed:
            raise ValueError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")
        if getattr(self, "_" + name, None) == value:  # unchanged: keep png()'s cached background (a full redraw)
            return
        setattr(self, "_" + name, value)
        self._restyle_scales()
        self.update(self._trace, self._delta, self._grads, layers=self._layers)

    def unit_norm_and_cmap(self):
        """The fixed norm and colour map of the unit fills, and the colour bar's label."""
        if self._color_by == "delta":
            cmap = _cmap("PuOr_r")
            if self._delta_scale == "symlog":
                norm = SymLogNorm(SYMLOG_LINTHRESH, vmin=-1.0, vmax=1.0, base=10, clip=True)
                return norm, cmap, "δ\nsymlog"
            return Normalize(-1.0, 1.0, clip=True), cmap, "δ\nper layer"
        lo = 0.0 if all(a.name in ("sigmoid", "relu") for a in self.net.activations.values()) else -1.0
        return Normalize(lo, 1.0, clip=True), _cmap("viridis"), "a"

    def _restyle_scales(self) -> None:
        self.unit_norm, self.unit_cmap, unit_title = self.unit_norm_and_cmap()
        if self._links_by == "gradient":
            link_title = "∂J/∂W\nper layer"
            self.link_norm = Normalize(-1.0, 1.0, clip=True)
        else:
            link_title = f"W\n(±{self.limit:g})"
            self.link_norm = self.w_norm
        self.no_delta.set_visible(self._color_by == "delta" and not self.few_labels)  # few: said beside it
        if self.input_bar is not None:
            self.input_bar.ax.set_visible(self._color_by == "activation")
        if self.unit_bar is not None:
            self.unit_bar.update_normal(ScalarMappable(self.unit_norm, self.unit_cmap))
            self.unit_bar.ax.set_title(unit_title, fontsize=self.fontsize - 1)
            self.unit_bar.ax.set_visible(self._color_by != "none")
            self.link_bar.update_normal(ScalarMappable(self.link_norm, self.link_cmap))
            self.link_bar.ax.set_title(link_title, fontsize=self.fontsize - 1)
        self._background = None  # the colour bars are part of the static picture

    # -- restyling -----------------------------------------------------------------

    def update(self, trace=None, delta=None, grads=None, *, layers=None) -> None:
        """Restyle links from net.W (or `grads`, a mapping l -> dJ/dW^{(l)}) and units from
        trace.a or delta (first column of a batch). `layers`: the layers whose unit values
        are known (the step-through), all when None; the others are drawn grey."""
        self._trace, self._delta, self._grads, self._layers = trace, delta, grads, layers
        net, (lo, hi) = self.net, self.link_widths
        if self._links_by == "gradient" and grads is not None:
            values = []
            for l in range(1, net.n_l):
                if l in grads:
                    g = np.asarray(grads[l], dtype=float).ravel()
                    values.append(g / max(float(np.abs(g).max()), 1e-300))
                else:
                    values.append(np.full(net.W[l].size, np.nan))
            v = np.concatenate(values)
            colors = self.link_cmap(self.link_norm(v))
            colors[np.isnan(v)] = to_rgba(NO_VALUE)
            self.links.set_color(colors)
            self.links.set_linewidths(np.where(np.isnan(v), 1.5 * lo, lo + (hi - lo) * np.nan_to_num(np.abs(v))))
        else:
            w = np.concatenate([np.asarray(net.W[l], dtype=float).ravel() for l in range(1, net.n_l)])
            self.links.set_color(self.link_cmap(self.w_norm(w)))
            self.links.set_linewidths(lo + (hi - lo) * np.minimum(np.abs(w) / self.limit, 1.0))
        b = np.array([net.b[l - 1][u] for (l, u) in self.bias_keys], dtype=float)
        self.biases.set_facecolor(self.link_cmap(self.w_norm(b)))
        values = self.unit_values(trace, delta, layers)
        if values is None:
            self.fills = np.tile(to_rgba("white"), (len(self.unit_keys), 1))
        else:
            self.fills = self.unit_cmap(self.unit_norm(values))
            if self._color_by == "activation":  # x is no activation: its own scale, not clipped to a's
                first = np.array([l == 1 for (l, _) in self.unit_keys])
                self.fills[first] = self.input_cmap(self.input_norm(values[first]))
            self.fills[np.isnan(values)] = to_rgba(NO_VALUE)
        self.units.set_facecolor(self.fills)
        self.label_colors = [label_color(f) for f in self.fills]
        for t, c in zip(self.unit_texts, self.label_colors, strict=True):
            t.set_color(c)

    def unit_values(self, trace=None, delta=None, layers=None) -> np.ndarray | None:
        """What the fills show, before the colour map (NaN: nothing to show on that unit)."""
        if self._color_by == "none":
            return None
        source = delta if self._color_by == "delta" else (trace.a if trace is not None else None)
        if source is None:
            return None
        out = np.full(len(self.unit_keys), np.nan)
        for n, (l, u) in enumerate(self.unit_keys):
            if l in source and (layers is None or l in layers):
                v = np.asarray(source[l], dtype=float)
                v = v if v.ndim == 1 else v[:, 0]
                if self._color_by == "delta" and self._delta_scale == "per-layer":
                    out[n] = v[u] / max(float(np.abs(v).max()), 1e-300)
                else:
                    out[n] = v[u]
        return out

    def label_contrasts(self) -> list[float]:
        """The WCAG contrast ratio of each unit label against its fill, from the colours chosen."""
        return [contrast_ratio(f, c) for f, c in zip(self.fills, self.label_colors, strict=True)]

    def highlight(self, path: Sequence[int] | None = None, l: int = 1) -> None:
        """Colour one path (Figure 2): `path` lists the 0-based unit on layers l, l+1, ..., n_l."""
        if path is None:
            self.path.set_segments([])
            return
        if len(path) != self.net.n_l - l + 1:
            raise ValueError(
                f"path: expected one unit for each layer {l}..{self.net.n_l} "
                f"({self.net.n_l - l + 1} units), got {len(path)}"
            )
        pts = [self.pos[l + n, u] for n, u in enumerate(path)]
        self.path.set_segments([pts[n : n + 2] for n in range(len(pts) - 1)])

    def highlight_weight(self, l: int, i: int, j: int) -> None:
        """Colour the single link W^{(l)}_{i<-j}."""
        self.highlight_segments([(self.pos[l, j], self.pos[l + 1, i])])

    def highlight_segments(self, segments) -> None:
        self.path.set_segments([list(s) for s in segments])

    def show_paths(self, terms=None, l: int = 1, max_width: float | None = None) -> None:
        """Draw every path term of one weight (Figure 2, complete) as the net signed flow
        through each link: a link gets the sum of the terms whose path runs through it, so
        terms of opposite sign that share a link show their net, not the larger one. Width
        grows with |flow|, colour shows flow / max |flow| on the flow key (red +, blue -);
        the weight's own link carries every term, i.e. dJ/dW. `terms` are PathTerm-like
        objects with `.path` (0-based units on layers l..n_l) and `.value`; `flows` keeps
        (layer, destination, source) -> flow. None clears them. `max_width`: the widest line
        above the thinnest, in points (default: 1.75 times the thickest link)."""
        was_shown = bool(self.flows)
        self.flows = {}
        for t in terms or ():
            for m in range(len(t.path) - 1):
                key = (l + m, t.path[m + 1], t.path[m])
                self.flows[key] = self.flows.get(key, 0.0) + t.value
        if self.flow_bar is not None and was_shown != bool(self.flows):
            self.flow_bar.ax.set_visible(bool(self.flows))
            self._background = None  # the key is part of the static picture
        if not self.flows:
            self.bundle.set_segments([])
            return
        biggest = max(abs(v) for v in self.flows.values()) or 1.0
        order = sorted(self.flows, key=lambda k: abs(self.flows[k]))  # the largest drawn last, on top
        flow = np.array([self.flows[k] for k in order]) / biggest
        self.bundle.set_segments([[self.pos[m, j], self.pos[m + 1, i]] for (m, i, j) in order])
        lo, hi = self.link_widths
        widest = 1.75 * hi if max_width is None else max_width
        self.bundle.set_linewidths(1.5 * lo + widest * np.abs(flow))
        self.bundle.set_color(self.flow_cmap(Normalize(-1.0, 1.0)(flow)))
        self.bundle.set_alpha(0.85)
        self.flow_order = order


def draw_network(net, trace=None, delta=None, *, path=None, path_layer: int = 1, **kwargs) -> NetworkDiagram:
    """Draw Figure 1 (with `path`, Figure 2) in one call; returns the diagram for later updates."""
    d = NetworkDiagram(net, **kwargs)
    d.update(trace, delta)
    if path is not None:
        d.highlight(path, path_layer)
    return d


def draw_paths(net, x, y, l: int, i: int, j: int, ax=None, **kwargs) -> NetworkDiagram:
    """Figure 2, complete: every path from W^{(l)}_{i<-j} to the output units (notebook 04).

    The terms of the unrolled dJ/dW^{(l)}_{i<-j} (bpteach.path_terms) drawn as the net signed
    flow through each link they use (see show_paths), over the network with its links faded
    and its units coloured by activation. The weight itself
    is outlined in orange. Returns the diagram; its `terms` attribute holds the terms drawn.
    """
    from .paths import path_terms

    terms = list(path_terms(net, x, y, l, i, j))
    kwargs.setdefault("color_by", "activation")
    d = NetworkDiagram(net, ax, **kwargs)
    d.update(net.forward(x))
    d.links.set_alpha(0.25)
    d.highlight_weight(l, i, j)
    d.path.set_linewidth(2.25 * d.link_widths[1])
    d.path.set_alpha(0.5)
    d.show_paths(terms, l)
    total = sum(t.value for t in terms)
    if kwargs.get("title") is None:
        d.ax.set_title(
            f"the {len(terms)} paths from {weight_label(net, l, i, j)} to the outputs; each link: the sum of\n"
            f"the terms through it (red > 0, blue < 0, width ∝ size); the weight's own: {total:+.3e}",
            fontsize=d.fontsize + 1,
        )
    d.terms = terms
    return d
