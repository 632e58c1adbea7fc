"""The series' other pictures, so that no notebook carries plotting code of its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch


def loss_curve(losses: Sequence[float], ax=None, label: str | None = None, log: bool = True):
    """J after each epoch (notebook 08)."""
    ax = ax or plt.subplots(figsize=(5, 3.2), layout="constrained")[1]
    ax.plot(np.arange(1, len(losses) + 1), losses, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("J (mean over the data)")
    if log:
        ax.set_yscale("log")
    if label:
        ax.legend()
    return ax


def decision_boundary(
    net, X, Y, ax=None, title: str | None = None, resolution: int = 200, legend: bool = True, output: int = -1
):
    """The output h over the plane, the 0.5 contour, and the data, with a legend (notebook 08);
    `output`: which output unit to show when there are several (a softmax's class 1, notebook 11)."""
    ax = ax or plt.subplots(figsize=(4.2, 4), layout="constrained")[1]
    pad = 0.4
    lo, hi = X.min(axis=1) - pad, X.max(axis=1) + pad
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    h = net.forward(np.stack([g1.ravel(), g2.ravel()])).h[output].reshape(g1.shape)
    ax.contourf(g1, g2, h, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    ax.contour(g1, g2, h, levels=[0.5], colors="black", linewidths=1.5)
    y = np.ravel(Y) > 0.5
    ax.scatter(X[0, ~y], X[1, ~y], s=12, c="tab:blue", edgecolors="white", linewidths=0.4, label="y = 0")
    ax.scatter(X[0, y], X[1, y], s=12, c="tab:red", edgecolors="white", linewidths=0.4, label="y = 1")
    if legend:
        boundary = Line2D([], [], color="black", linewidth=1.5, label="h = 0.5 (boundary)")
        cmap = plt.get_cmap("RdBu_r")
        shades = [Patch(facecolor=cmap(0.85), alpha=0.6, label="h > 0.5: predicts 1"),
                  Patch(facecolor=cmap(0.15), alpha=0.6, label="h < 0.5: predicts 0")]
        handles = [*ax.get_legend_handles_labels()[0], boundary, *shades]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=2, fontsize=7, frameon=False)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def scaling(x, series: Mapping[str, Sequence[float]], xlabel: str, ylabel: str, ax=None, title=None):
    """Several measured costs against a size, on a log scale (notebooks 05 and 07)."""
    ax = ax or plt.subplots(figsize=(5, 3.4), layout="constrained")[1]
    for name, ys in series.items():
        ax.plot(x, ys, marker="o", label=name)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def gradient_norms(norms: Mapping[str, Mapping[int, float]], ax=None, title: str | None = None):
    """||dJ/dW^{(l)}|| against the layer number l, one line per network (notebook 09)."""
    ax = ax or plt.subplots(figsize=(5.5, 3.4), layout="constrained")[1]
    for name, per_layer in norms.items():
        ls = sorted(per_layer)
        ax.plot(ls, [per_layer[l] for l in ls], marker="o", label=name)
    ax.set_yscale("log")
    ax.set_xlabel("layer l of the weight W^(l)")
    ax.set_ylabel("||dJ/dW^(l)||")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def slopes_across_kink(steps, exact, central, ax=None, title: str | None = None):
    """Back-propagation's slope and the central difference's as a weight crosses a ReLU kink,
    the weight's offset from the kink in units of epsilon (notebook 06)."""
    ax = ax or plt.subplots(figsize=(5.5, 3.4), layout="constrained")[1]
    ax.plot(steps, exact, drawstyle="steps-mid", linewidth=2.5, label="back-propagation (one side's slope)")
    ax.plot(steps, central, marker=".", linestyle="--", label="central difference, ±ε")
    ax.axvspan(-1, 1, color="tab:red", alpha=0.12, label="within ε of the kink")
    ax.set_xlabel("weight − (weight where z crosses 0), in units of ε")
    ax.set_ylabel("dJ/dW")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def curve_and_tangent(ws, Js, w0: float, J0: float, slope: float, ax=None, xlabel: str = "w"):
    """J along one weight, and the tangent at w0 whose slope is the derivative (notebook 03)."""
    ax = ax or plt.subplots(figsize=(5.5, 3.2), layout="constrained")[1]
    ws = np.asarray(ws)
    ax.plot(ws, Js, color="#333333", lw=1.8, label="J(w)")
    ax.plot(ws, J0 + slope * (ws - w0), color="#d62728", lw=1.5, linestyle="--",
            label=f"tangent at w0, slope {slope:+.3e}")
    ax.plot([w0], [J0], "o", color="#f5a300", mec="black", label="w0")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("J")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return ax
