"""The network diagram's pixels: a fast PNG redraw (only the artists that change are drawn again, over a
saved background, with the unit labels pasted back from alpha masks), a quick PNG encoder, and the WCAG
contrast that picks each unit label's colour. Split from diagram.py; `NetworkDiagram` inherits `FastPNG`."""

from __future__ import annotations

import struct
import zlib

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

BLACK, WHITE = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)


def relative_luminance(rgb) -> float:
    """WCAG 2 relative luminance of an sRGB colour with channels in 0..1."""
    c = np.asarray(rgb, dtype=float)[:3]
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(lin @ [0.2126, 0.7152, 0.0722])


def contrast_ratio(rgb1, rgb2) -> float:
    """WCAG 2 contrast ratio (1..21) of two sRGB colours; AA asks >= 4.5 for text."""
    hi, lo = sorted((relative_luminance(rgb1), relative_luminance(rgb2)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def label_color(fill) -> tuple[float, float, float]:
    """Black or white, whichever contrasts more with `fill` (always >= 4.58 : 1)."""
    return BLACK if contrast_ratio(fill, BLACK) >= contrast_ratio(fill, WHITE) else WHITE


class FastPNG:
    """`png()` for a diagram that has fig, ax, the dynamic artists (links, bundle, path, units, biases),
    unit_texts with label_colors, and `_background = None` until the first call."""

    def png(self) -> bytes:
        """The current picture as PNG bytes, redrawing only what update() can change.

        The first call renders the static parts once (titles, layer names, colour bars)
        and, on a transparent layer, the unit labels. Later calls paste the static
        background, draw the links, the paths and the units over it (blitting), and paste
        each label back on top in its chosen colour. Drawing text is the slow part of
        matplotlib, so it is never redrawn: that keeps a slider event within milliseconds.
        """
        canvas = self.fig.canvas
        if not isinstance(canvas, FigureCanvasAgg):
            canvas = FigureCanvasAgg(self.fig)
        dynamic = [self.links, self.bundle, self.path, self.units, self.biases]
        if self._background is None:
            self._prepare_layers(canvas, dynamic)
        canvas.restore_region(self._background)
        for artist in dynamic:
            self.ax.draw_artist(artist)
        rgba = np.asarray(canvas.buffer_rgba())
        for ((r0, r1, c0, c1), alpha), color in zip(self._labels, self.label_colors, strict=True):
            dst = rgba[r0:r1, c0:c1, :3]
            ink = np.asarray(color) * 255.0
            dst[...] = (ink * alpha + dst * (1.0 - alpha)).astype(np.uint8)
        return encode_png(rgba)

    def _prepare_layers(self, canvas, dynamic) -> None:
        if self._own_layout:
            self.fig.set_layout_engine("constrained")
        canvas.draw()  # let the layout settle with everything shown, then freeze it:
        self.fig.set_layout_engine("none")  # hiding artists below must not move the others
        everything = [self.fig.patch, *self.fig.axes, self.ax.patch, *self.ax.get_children()]
        shown = {a: a.get_visible() for a in everything}
        colors = [t.get_color() for t in self.unit_texts]
        for a in everything:
            a.set_visible(a in self.unit_texts or a is self.ax)
        for t in self.unit_texts:
            t.set_color("black")
        canvas.draw()  # the labels alone, in black, on a transparent figure: their alpha masks
        alpha = np.array(np.asarray(canvas.buffer_rgba())[:, :, 3])  # one byte a pixel, not 32: a kernel's memory
        height = alpha.shape[0]
        self._labels = []
        renderer = canvas.get_renderer()
        for t in self.unit_texts:
            x0, y0, x1, y1 = np.round(t.get_window_extent(renderer).extents).astype(int)
            r0, r1, c0, c1 = height - y1 - 1, height - y0 + 1, x0 - 1, x1 + 1
            self._labels.append(((r0, r1, c0, c1), alpha[r0:r1, c0:c1, None] / 255.0))
        for a in everything:
            a.set_visible(shown[a] and a not in dynamic and a not in self.unit_texts)
        canvas.draw()  # the static background
        self._background = canvas.copy_from_bbox(self.fig.bbox)
        for a in everything:
            a.set_visible(shown[a])
        for t, c in zip(self.unit_texts, colors, strict=True):
            t.set_color(c)


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
