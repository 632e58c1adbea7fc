"""Figure 1 and Figure 2 of the derivation, drawn from a live Network (notebooks 02, 04, 10).

Every weight is one segment of a single LineCollection and every unit one point of
a single scatter, so `update()` only changes colours and widths of artists that
already exist: a slider never pays for rebuilding the figure.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, TwoSlopeNorm

LAYER_NAMES_5 = ("n_l-4", "n_l-3", "n_l-2", "n_l-1", "n_l")


def unit_label(net, l: int, u: int) -> str:
    """The text's 1-based label of unit position u (0-based) on layer l, e.g. 'k3' or '3'."""
    return f"{net.letters[l - 1]}{u + 1}" if net.letters else f"{u + 1}"


def weight_label(net, l: int, i: int, j: int) -> str:
    """W^{(l)}_{i<-j} with the text's 1-based unit labels, as mathtext."""
    dst, src = unit_label(net, l + 1, i), unit_label(net, l, j)
    return rf"$W^{{({l})}}_{{{dst}\leftarrow {src}}}$"


class NetworkDiagram:
    """The network as units and links: link width and colour show each weight,
    unit colour shows a^{(l)} or delta^{(l)} (`color_by`), and one path can be highlighted."""

    def __init__(
        self,
        net,
        ax=None,
        *,
        color_by: str = "activation",
        title: str | None = None,
        figsize: tuple[float, float] = (7.0, 3.6),
    ) -> None:
        if color_by not in ("activation", "delta", "none"):
            raise ValueError(f"color_by: expected 'activation', 'delta' or 'none', got {color_by!r}")
        self.net, self.color_by = net, color_by
        if ax is None:
            fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        self.ax, self.fig = ax, ax.figure
        self.pos = {(l, u): (l, (s - 1) / 2 - u) for l, s in enumerate(net.sizes, start=1) for u in range(s)}
        self.link_index = {}  # (l, i, j) -> position in the LineCollection
        segs = []
        for l in range(1, net.n_l):
            for i, j in np.ndindex(net.W[l].shape):
                self.link_index[l, i, j] = len(segs)
                segs.append([self.pos[l, j], self.pos[l + 1, i]])
        self.w_norm = TwoSlopeNorm(0.0, -1.0, 1.0)
        self.links = LineCollection(segs, cmap="coolwarm", norm=self.w_norm, zorder=1)
        ax.add_collection(self.links)
        self.path = LineCollection([], colors="#f5a300", linewidths=5, alpha=0.85, zorder=2)
        ax.add_collection(self.path)
        self.unit_keys = list(self.pos)
        xy = np.array([self.pos[k] for k in self.unit_keys])
        self.units = ax.scatter(
            xy[:, 0], xy[:, 1], s=620, c=np.zeros(len(xy)), cmap="viridis",
            edgecolors="black", linewidths=1.2, zorder=3,
        )  # fmt: skip
        self.unit_texts = [
            ax.text(px, py, unit_label(net, l, u), ha="center", va="center", fontsize=9,
                    color="white", zorder=4, fontweight="bold")
            for (l, u), (px, py) in self.pos.items()
        ]  # fmt: skip
        self._background = None  # the static part of the picture, for png()
        names = LAYER_NAMES_5 if net.letters and net.n_l == 5 else None
        bottom = -max(net.sizes) / 2 - 0.15
        for l in range(1, net.n_l + 1):
            name = f"layer ${names[l - 1]}$ ({l})" if names else f"layer {l}"
            ax.text(l, bottom, name, ha="center", va="top", fontsize=9)
        for l in range(1, net.n_l):
            ax.text(l + 0.5, max(net.sizes) / 2 + 0.05, f"$W^{{({l})}}$", ha="center", fontsize=10)
        ax.set_xlim(0.6, net.n_l + 0.4)
        ax.set_ylim(bottom - 0.45, max(net.sizes) / 2 + 0.35)
        ax.set_axis_off()
        if title:
            ax.set_title(title, fontsize=11)
        self.update()

    def update(self, trace=None, delta=None) -> None:
        """Restyle links from net.W and units from trace.a or delta (first column of a batch)."""
        w = np.concatenate([self.net.W[l].ravel() for l in range(1, self.net.n_l)])
        wmax = max(float(np.abs(w).max()), 1e-12)
        self.w_norm.vmin, self.w_norm.vmax = -wmax, wmax
        self.links.set_array(w)
        self.links.set_linewidths(0.4 + 3.6 * np.abs(w) / wmax)
        values = self._unit_values(trace, delta)
        if values is not None:
            self.units.set_array(values)
            finite = values[np.isfinite(values)]
            if self.color_by == "delta":
                vmax = max(float(np.abs(finite).max()) if finite.size else 0.0, 1e-12)
                self.units.set_norm(TwoSlopeNorm(0.0, -vmax, vmax))
                self.units.set_cmap("PuOr_r")
            else:
                lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
                self.units.set_norm(Normalize(min(lo, 0.0), max(hi, 1.0)))
                self.units.set_cmap("viridis")

    def _unit_values(self, trace, delta) -> np.ndarray | None:
        if self.color_by == "none":
            return None
        source = trace.a if self.color_by == "activation" and trace is not None else None
        if self.color_by == "delta":
            source = delta
        if source is None:
            return None
        out = np.full(len(self.unit_keys), np.nan)  # NaN: no value (e.g. no delta on layer 1)
        for n, (l, u) in enumerate(self.unit_keys):
            if l in source:
                v = source[l]
                out[n] = v[u] if v.ndim == 1 else v[u, 0]
        return out

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

    def png(self) -> bytes:
        """The current picture as PNG bytes, redrawing only what update() can change.

        The first call renders the static parts once (titles, layer names) and, on a
        transparent layer, the unit labels. Later calls paste the static background,
        draw the links, the path and the units over it (blitting), and paste the
        labels back on top. Drawing text is the slow part of matplotlib, so it is
        never redrawn: that keeps a slider event within milliseconds.
        """
        canvas = self.fig.canvas
        if not isinstance(canvas, FigureCanvasAgg):
            canvas = FigureCanvasAgg(self.fig)
        dynamic = [self.links, self.path, self.units]
        if self._background is None:
            self._prepare_layers(canvas, dynamic)
        canvas.restore_region(self._background)
        for artist in dynamic:
            self.ax.draw_artist(artist)
        rgba = np.asarray(canvas.buffer_rgba())
        for (r0, r1, c0, c1), src, alpha in self._labels:
            dst = rgba[r0:r1, c0:c1, :3]
            dst[...] = (src * alpha + dst * (1.0 - alpha)).astype(np.uint8)
        return encode_png(rgba)

    def _prepare_layers(self, canvas, dynamic) -> None:
        everything = [self.fig.patch, self.ax.patch, *self.ax.get_children()]
        shown = {a: a.get_visible() for a in everything}
        for a in everything:
            a.set_visible(a in self.unit_texts)
        canvas.draw()  # the labels alone, on a transparent figure
        layer = np.array(canvas.buffer_rgba(), dtype=float)
        height = layer.shape[0]
        self._labels = []
        renderer = canvas.get_renderer()
        for t in self.unit_texts:
            x0, y0, x1, y1 = np.round(t.get_window_extent(renderer).extents).astype(int)
            r0, r1, c0, c1 = height - y1 - 1, height - y0 + 1, x0 - 1, x1 + 1
            patch = layer[r0:r1, c0:c1]
            self._labels.append(((r0, r1, c0, c1), patch[..., :3], patch[..., 3:] / 255.0))
        for a in everything:
            a.set_visible(shown[a] and a not in dynamic and a not in self.unit_texts)
        canvas.draw()  # the static background
        self._background = canvas.copy_from_bbox(self.fig.bbox)
        for a in everything:
            a.set_visible(shown[a])


def encode_png(rgba: np.ndarray) -> bytes:
    """RGB PNG bytes from an (h, w, 4) uint8 array: no row filters and zlib level 1.

    For a live diagram, encoding speed matters more than file size; this is about
    twice as fast as a general-purpose encoder for the same picture.
    """
    h, w, _ = rgba.shape
    raw = np.empty((h, 1 + 3 * w), np.uint8)
    raw[:, 0] = 0  # filter type "none" for every row
    raw[:, 1:] = rgba[:, :, :3].reshape(h, 3 * w)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 1))
        + chunk(b"IEND", b"")
    )


def draw_network(net, trace=None, delta=None, *, path=None, path_layer: int = 1, **kwargs) -> NetworkDiagram:
    """Draw Figure 1 (with `path`, Figure 2) in one call; returns the diagram for later updates."""
    d = NetworkDiagram(net, **kwargs)
    d.update(trace, delta)
    if path is not None:
        d.highlight(path, path_layer)
    return d
