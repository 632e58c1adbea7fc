"""Figures that carry the argument of notebooks 05-07, drawn from live objects.

Each function returns the figure together with the numbers it drew, so that the cell under
it can assert the picture against the maths (and tests/test_figures.py can read it back).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

from .diagram import label_color, unit_label
from .paths import path_terms

DELTA_CMAP = "PuOr_r"  # the diagram's delta colours: orange +, purple -


# -- 05: the 24 path terms as a tree, and the same tree with shared suffixes merged -----------


@dataclass
class PathTree:
    """What `path_tree` drew: the leaves of the tree (one per path term) and the merged graph."""

    fig: object
    paths: list[tuple[int, ...]]  # (j, i, k, q, p) of each leaf, top to bottom
    values: np.ndarray  # each leaf's term, the number it is coloured by
    leaf_colors: np.ndarray  # RGBA of each leaf marker, as drawn
    norm: Normalize
    tree_edges: int  # edges drawn in the tree
    merged_edges: int  # edges drawn in the merged graph
    merged_values: dict[int, np.ndarray]  # delta^{(m)} on each merged layer m = l+1..n_l
    n_tree: int  # multiplications: every path term one by one
    n_merged: int  # multiplications: every shared piece once


def merged_multiplications(sizes, l: int) -> int:
    """Multiplications for dJ/dW^{(l)}_{i<-j} with each delta computed once: s_{n_l} for step 1,
    s_m (s_{m+1} + 1) for each layer m = l+2..n_l-1, then s_{l+2} + 2 for unit i and a_j."""
    s = dict(enumerate(sizes, start=1))
    n_l = len(sizes)
    return s[n_l] + sum(s[m] * (s[m + 1] + 1) for m in range(l + 2, n_l)) + s[l + 2] + 2


def path_tree(net, x, y, l: int = 1, i: int = 2, j: int = 1) -> PathTree:
    """Left: one leaf per path term of dJ/dW^{(l)}_{i<-j}, the tree branching from unit i.
    Right: the same tree with equal suffixes merged into one node per unit, each node's
    piece computed once (it is delta). Multiplications counted under each."""
    terms = list(path_terms(net, x, y, l, i, j))
    n_l = net.n_l
    layers = list(range(l + 1, n_l + 1))
    values = np.array([t.value for t in terms])
    lim = float(np.abs(values).max())
    norm = Normalize(-lim, lim)
    cmap = plt.get_cmap(DELTA_CMAP)
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 5.4), layout="constrained",
                                     gridspec_kw={"width_ratios": [1.25, 1]})
    # the tree: leaves at the bottom of the recursion, each inner node above the mean of its leaves
    n_leaf = len(terms)
    leaf_y = {t.path[1:]: n_leaf - 1 - r for r, t in enumerate(terms)}
    node_y: dict[tuple[int, ...], float] = {}
    for depth in range(len(layers), 0, -1):
        for key in {p[:depth] for p in leaf_y}:
            node_y[key] = float(np.mean([v for p, v in leaf_y.items() if p[:depth] == key]))
    segs = [[(len(key) - 1, node_y[key[:-1]]), (len(key), node_y[key])]
            for key in node_y if len(key) >= 2]
    ax_t.add_collection(LineCollection(segs, colors="0.55", linewidths=0.8, zorder=1))
    for key, yy in node_y.items():
        if len(key) < len(layers):
            m = layers[len(key) - 1]
            ax_t.text(len(key), yy, unit_label(net, m, key[-1]), ha="center", va="center",
                      fontsize=7, bbox={"boxstyle": "circle,pad=0.25", "fc": "white", "ec": "0.3"})
    leaf_keys = [t.path[1:] for t in terms]
    leaves = ax_t.scatter([len(layers)] * n_leaf, [leaf_y[k] for k in leaf_keys], s=60,
                          c=cmap(norm(values)), edgecolors="black", linewidths=0.6,
                          zorder=3)
    for k in leaf_keys:
        ax_t.text(len(layers) + 0.18, leaf_y[k], unit_label(net, n_l, k[-1]), va="center",
                  fontsize=6.5)
    ax_t.set_xlim(0.6, len(layers) + 0.5)
    ax_t.set_ylim(-1, n_leaf)
    ax_t.set_xticks(range(1, len(layers) + 1), [f"layer {m}" for m in layers], fontsize=8)
    ax_t.set_yticks([])
    for side in ("left", "right", "top"):
        ax_t.spines[side].set_visible(False)
    n_tree = len(terms) * 2 * (n_l - l)
    ax_t.set_title(f"{n_leaf} path terms, each multiplied out on its own", fontsize=10)
    ax_t.set_xlabel(f"{n_leaf} terms x {2 * (n_l - l)} multiplications = {n_tree}",
                    fontsize=10, fontweight="bold")
    # the merged graph: one node per unit of layers l+1..n_l (only i on layer l+1)
    delta = net.deltas(x, y)
    units = {m: ([i] if m == l + 1 else list(range(net.s(m)))) for m in layers}
    pos = {(m, u): (m - l, (len(units[m]) - 1) / 2 - r) for m in layers
           for r, u in enumerate(units[m])}
    msegs = [[pos[m, u], pos[m + 1, v]] for m in layers[:-1] for u in units[m]
             for v in units[m + 1]]
    ax_m.add_collection(LineCollection(msegs, colors="0.55", linewidths=1.2, zorder=1))
    merged_values = {m: np.array([delta[m][u] for u in units[m]]) for m in layers}
    for m in layers:
        mn = Normalize(-np.abs(merged_values[m]).max(), np.abs(merged_values[m]).max())
        xy = np.array([pos[m, u] for u in units[m]])
        ax_m.scatter(xy[:, 0], xy[:, 1], s=520, c=cmap(mn(merged_values[m])),
                     edgecolors="black", zorder=3)
        for u, (px, py), v in zip(units[m], xy, merged_values[m], strict=True):
            ax_m.text(px, py, unit_label(net, m, u), ha="center", va="center", fontsize=8,
                      zorder=4, color=label_color(cmap(mn(v))))
        ax_m.text(m - l, -max(net.sizes) / 2 - 0.2, rf"$\delta^{{({m})}}$ once",
                  ha="center", fontsize=9)
    n_merged = merged_multiplications(net.sizes, l)
    ax_m.set_xlim(0.5, len(layers) + 0.5)
    ax_m.set_ylim(-max(net.sizes) / 2 - 0.6, max(net.sizes) / 2 + 0.3)
    ax_m.set_axis_off()
    ax_m.set_title("shared suffixes merged: one node per unit", fontsize=10)
    ax_m.text(0.5, -0.04, f"each piece once: {n_merged} multiplications",
              transform=ax_m.transAxes, ha="center", va="top", fontsize=10, fontweight="bold")
    bar = fig.colorbar(ScalarMappable(norm, cmap), ax=ax_t, fraction=0.04, pad=0.01)
    bar.set_label("path term (tree); nodes: δ per layer", fontsize=8)
    return PathTree(fig, [t.path for t in terms], values, leaves.get_facecolors(), norm,
                    len(segs), len(msegs), merged_values, n_tree, n_merged)


# -- 06: delta flowing back, one small picture per step ---------------------------------------


@dataclass
class DeltaFlow:
    """What `delta_flow` drew: per step, the layers coloured and each unit's colour value."""

    fig: object
    steps: list[int] = field(default_factory=list)  # the layer each step computes
    scaled: list[dict[int, np.ndarray]] = field(default_factory=list)  # delta / max|delta| shown
    colors: list[np.ndarray] = field(default_factory=list)  # RGBA of every unit, layer by layer
    formulas: list[str] = field(default_factory=list)


def delta_flow(net, x, y) -> DeltaFlow:
    """Small multiples of the network, one per step of the backward pass: the units whose
    delta is known are coloured by delta^{(m)} / max_k |delta^{(m)}_k| (each layer its own
    scale), the layer just computed is outlined, the rest grey; the step's formula under each."""
    delta = net.deltas(x, y)
    n_l = net.n_l
    steps = list(range(n_l, 1, -1))
    cmap, norm = plt.get_cmap(DELTA_CMAP), Normalize(-1, 1)
    fig, axes = plt.subplots(1, len(steps), figsize=(3.1 * len(steps), 3.5), layout="constrained")
    pos = {(m, u): (m, (s - 1) / 2 - u) for m, s in enumerate(net.sizes, start=1) for u in range(s)}
    segs = [[pos[m, j], pos[m + 1, i]] for m in range(1, n_l) for i, j in np.ndindex(net.W[m].shape)]
    out = DeltaFlow(fig)
    for ax, step in zip(axes, steps, strict=True):
        done = range(step, n_l + 1)
        shown = {m: delta[m] / np.abs(delta[m]).max() for m in done}
        colors = np.array([cmap(norm(shown[m][u])) if m in shown else (0.85, 0.85, 0.85, 1.0)
                           for (m, u) in pos])
        ax.add_collection(LineCollection(segs, colors="0.75", linewidths=0.7, zorder=1))
        for m in range(step + 1, n_l + 1):  # the arrows the recursion has already travelled
            ax.annotate("", xy=(m - 0.85, max(net.sizes) / 2 + 0.05),
                        xytext=(m - 0.15, max(net.sizes) / 2 + 0.05),
                        arrowprops={"arrowstyle": "->", "color": "tab:red"})
        xy = np.array(list(pos.values()))
        edge = ["black" if m == step else "0.4" for (m, _) in pos]
        width = [2.4 if m == step else 0.8 for (m, _) in pos]
        ax.scatter(xy[:, 0], xy[:, 1], s=300, c=colors, edgecolors=edge, linewidths=width,
                   zorder=3)
        for (m, u), (px, py), fill in zip(pos, xy, colors, strict=True):
            ax.text(px, py, unit_label(net, m, u), ha="center", va="center", fontsize=7, zorder=4,
                    color=label_color(fill))
        if step == n_l:
            formula = rf"$\delta^{{({n_l})}} = -(y-h)\odot f'(z^{{({n_l})}})$"
            title = "step 1"
        else:
            formula = (rf"$\delta^{{({step})}} = W^{{({step})\top}}\delta^{{({step + 1})}}"
                       rf"\odot f'(z^{{({step})}})$")
            title = f"step 2, layer {step}"
        ax.set_title(title, fontsize=10)
        ax.text(0.5, -0.02, formula, transform=ax.transAxes, ha="center", va="top", fontsize=10)
        ax.set_xlim(0.6, n_l + 0.4)
        ax.set_ylim(-max(net.sizes) / 2, max(net.sizes) / 2 + 0.4)
        ax.set_axis_off()
        out.steps.append(step)
        out.scaled.append(shown)
        out.colors.append(colors)
        out.formulas.append(formula)
    bar = fig.colorbar(ScalarMappable(norm, cmap), ax=axes, fraction=0.02, pad=0.01)
    bar.set_label("δ(l) / max_k |δ(l)_k|\n(each layer its own scale)", fontsize=8)
    fig.suptitle("δ flowing back: grey units are not computed yet, the outlined layer is the step's",
                 fontsize=10)
    return out


# -- 07: the shapes of the batched products ---------------------------------------------------


@dataclass
class Block:
    name: str
    shape: tuple[int, int]
    rect: Rectangle


@dataclass
class BatchShapes:
    fig: object
    rows: dict[str, list[Block]]  # one row of blocks per product, e.g. "delta 3" or "dW 2"


def batched_shapes(net, X, Y, cell: float = 0.22) -> BatchShapes:
    """Block diagram of Delta^{(l)} = W^{(l)T} Delta^{(l+1)} (.) f'(Z^{(l)}) for each hidden layer
    and of dJbar/dW^{(l)} = Delta^{(l+1)} A^{(l)T} / m for each weight matrix, every block drawn
    rows x columns at `cell` per entry, its shape read from the live arrays of a batch."""
    g = net.gradients(X, Y)
    m = g.trace.a[1].shape[1]
    fprime = net.fprime(g.trace)
    rows: dict[str, list[list]] = {}
    for l in range(net.n_l - 1, 1, -1):
        rows[f"delta {l}"] = [
            (rf"$W^{{({l})\top}}$", net.W[l].T), "·", (rf"$\Delta^{{({l + 1})}}$", g.delta[l + 1]),
            "⊙", (rf"$f'(Z^{{({l})}})$", fprime[l]), "=", (rf"$\Delta^{{({l})}}$", g.delta[l])]
    for l in range(net.n_l - 1, 0, -1):
        rows[f"dW {l}"] = [
            (rf"$\Delta^{{({l + 1})}}$", g.delta[l + 1]), "·", (rf"$A^{{({l})\top}}$", g.trace.a[l].T),
            f"/ {m} =", (rf"$\partial\bar J/\partial W^{{({l})}}$", g.W[l])]
    fig, axes = plt.subplots(1, 2, figsize=(12, 6.2), layout="constrained")
    out: dict[str, list[Block]] = {}
    for ax, kind, title in ((axes[0], "delta", "step 2 on a batch"),
                            (axes[1], "dW", "step 3 on a batch")):
        top = 0.0
        for key, items in rows.items():
            if not key.startswith(kind):
                continue
            height = max(a.shape[0] for it in items if isinstance(it, tuple) for a in [it[1]])
            xpos, blocks = 0.0, []
            for it in items:
                if isinstance(it, str):
                    gap = 0.5 if len(it) < 3 else 1.1
                    ax.text(xpos + gap / 2 - 0.1, top - height * cell / 2, it, ha="center",
                            va="center", fontsize=12)
                    xpos += gap
                    continue
                name, arr = it
                h, w = arr.shape
                rect = Rectangle((xpos, top - h * cell), w * cell, h * cell, fc="#dbe8f5",
                                 ec="black", lw=1)
                ax.add_patch(rect)
                ax.text(xpos + w * cell / 2, top + 0.08, name, ha="center", va="bottom",
                        fontsize=10)
                ax.text(xpos + w * cell / 2, top - h * cell - 0.08, f"{h}×{w}", ha="center",
                        va="top", fontsize=8)
                blocks.append(Block(name, (h, w), rect))
                xpos += w * cell + 0.2
            out[key] = blocks
            top -= height * cell + 1.1
        ax.set_xlim(-0.2, max(r.rect.get_x() + r.rect.get_width() for k in out
                              if k.startswith(kind) for r in out[k]) + 0.3)
        ax.set_ylim(top + 0.6, 0.6)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(f"{title}: m = {m} examples as columns", fontsize=11)
    return BatchShapes(fig, out)
