"""Diagrams of chapter 4 (problems in training): dropout's thinned networks, a residual block,
and batch normalisation's data flow, drawn with the shared primitives of
:mod:`dlbook.diagrams.base` so they match the book's other pictures.
"""
from __future__ import annotations

import numbers

import numpy as np

from dlbook.diagrams.base import DIAGRAM_COLORS, arrow, box, canvas, label, node

__all__ = ["dropout_thinned_networks", "residual_block", "batchnorm_flow"]


def _check_layers(layers):
    try:
        sizes = [int(n) for n in layers]
    except (TypeError, ValueError):
        raise ValueError(f"layers: expected a list of layer sizes, got {layers!r}") from None
    if len(sizes) < 3 or any(n < 1 or n > 8 for n in sizes):
        raise ValueError("layers: expected at least 3 layer sizes between 1 and 8 "
                         f"(input, hidden..., output), got {layers!r}")
    return sizes


def dropout_thinned_networks(p=0.5, samples=3, seed=0, layers=(3, 5, 5, 2)):
    """The full network and ``samples`` thinned networks that dropout trains at random.

    Each hidden unit is dropped with probability ``p`` (drawn from ``seed``); a dropped unit is
    drawn crossed out and grey, with its connections removed. Input and output units are never
    dropped. Dropout trains a different thinned network at every step, all sharing weights.
    """
    import matplotlib.pyplot as plt

    ok = isinstance(p, numbers.Real) and not isinstance(p, bool) and 0.0 <= p < 1.0
    if not ok:
        raise ValueError(f"p: expected a drop probability in [0, 1), got {p!r}")
    if isinstance(samples, bool) or not isinstance(samples, numbers.Integral) \
            or not 1 <= samples <= 4:
        raise ValueError(f"samples: expected an integer from 1 to 4, got {samples!r}")
    sizes = _check_layers(layers)
    rng = np.random.default_rng(seed)
    width, height = 2.0 * (len(sizes) - 1) + 1.0, max(sizes) + 1.0
    fig, axes = plt.subplots(1, samples + 1, figsize=(1.75 * (samples + 1), 2.3))
    for panel, ax in enumerate(np.atleast_1d(axes)):
        canvas(width, height, ax=ax)
        kept = [np.ones(n, bool) for n in sizes]
        if panel > 0:
            for k in range(1, len(sizes) - 1):
                kept[k] = rng.random(sizes[k]) >= p
        xy = [[(0.5 + 2.0 * k, height / 2 + (n - 1) / 2 - i) for i in range(n)]
              for k, n in enumerate(sizes)]
        for k in range(len(sizes) - 1):
            for i, a in enumerate(xy[k]):
                for j, b in enumerate(xy[k + 1]):
                    if kept[k][i] and kept[k + 1][j]:
                        ax.plot([a[0], b[0]], [a[1], b[1]], color=DIAGRAM_COLORS["ink"],
                                linewidth=0.5, alpha=0.6, zorder=1)
        for k, layer in enumerate(xy):
            role = "input" if k == 0 else "output" if k == len(sizes) - 1 else "activation"
            for i, c in enumerate(layer):
                node(ax, c, radius=0.28, color=role if kept[k][i] else "neutral")
                if not kept[k][i]:
                    ax.plot([c[0] - 0.22, c[0] + 0.22], [c[1] - 0.22, c[1] + 0.22],
                            color=DIAGRAM_COLORS["output"], linewidth=1.4, zorder=5)
                    ax.plot([c[0] - 0.22, c[0] + 0.22], [c[1] + 0.22, c[1] - 0.22],
                            color=DIAGRAM_COLORS["output"], linewidth=1.4, zorder=5)
        title = "full network" if panel == 0 else f"thinned, step {panel}"
        ax.set_title(title, fontsize=9)
    fig.suptitle(f"dropout with p = {p:g}: each training step uses a random thinned network",
                 fontsize=9)
    return fig


def residual_block():
    """A residual block y = relu(x + W2 relu(W1 x)): the branch F and the identity shortcut."""
    fig, ax = canvas(9.0, 3.0, scale=0.75)
    y0 = 1.0
    label(ax, (0.4, y0), "$x$", fontsize=12)
    stages = [(2.0, "Linear $W_1$", "weight"), (3.7, "ReLU", "activation"),
              (5.4, "Linear $W_2$", "weight")]
    arrow(ax, (0.6, y0), (1.3, y0))
    for k, (x, text, role) in enumerate(stages):
        box(ax, (x, y0), 1.35, 0.7, text, color=role, fontsize=9)
        if k + 1 < len(stages):
            arrow(ax, (x + 0.68, y0), (stages[k + 1][0] - 0.68, y0))
    node(ax, (6.85, y0), radius=0.25, text="+", color="sum")
    arrow(ax, (6.08, y0), (6.6, y0))
    label(ax, (5.9, y0 - 0.55), "$F(x)$", fontsize=9)
    box(ax, (7.9, y0), 0.85, 0.6, "ReLU", color="activation", fontsize=9)
    arrow(ax, (7.1, y0), (7.47, y0))
    arrow(ax, (8.33, y0), (8.85, y0))
    label(ax, (8.85, y0 + 0.35), "$y$", fontsize=12)
    # the shortcut: up from x, across, down into the sum
    ax.plot([0.95, 0.95, 6.85], [y0, 2.4, 2.4], color=DIAGRAM_COLORS["ink"], linewidth=1.2)
    arrow(ax, (6.85, 2.4), (6.85, y0 + 0.25))
    label(ax, (3.9, 2.65), "identity shortcut: the gradient passes unchanged", fontsize=9)
    label(ax, (3.7, y0 - 0.75), "branch $F$ (W$_2$ = 0 at the start: the block is the identity)",
          fontsize=8)
    return fig


def batchnorm_flow():
    """Batch normalisation of one unit over a mini-batch: statistics, normalise, scale and shift,
    and the running averages that evaluation mode uses instead of the batch statistics."""
    fig, ax = canvas(10.0, 3.6, scale=0.72)
    ys = [2.9, 2.3, 1.7, 1.1]
    for i, y in enumerate(ys):
        text = "$x_m$" if i == len(ys) - 1 else f"$x_{i + 1}$"
        box(ax, (0.6, y), 0.7, 0.45, text, color="input", fontsize=9)
    label(ax, (0.6, 0.55), "a mini-batch\nof one unit", fontsize=8)
    box(ax, (2.7, 2.85), 2.2, 0.7, r"$\mu, \sigma^2$ of the batch", color="sum", fontsize=9)
    box(ax, (5.1, 2.0), 2.2, 0.75, r"$\hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}$",
        color="neutral", fontsize=10)
    box(ax, (7.6, 2.0), 1.9, 0.75, r"$y_i = \gamma \hat x_i + \beta$", color="activation",
        fontsize=10)
    box(ax, (7.6, 3.25), 1.3, 0.5, r"$\gamma, \beta$ (learned)", color="weight", fontsize=8)
    box(ax, (4.3, 0.6), 3.4, 0.6, r"running $\hat\mu, \hat\sigma^2$ (for evaluation)",
        color="highlight", fontsize=9)
    arrow(ax, (0.95, 2.6), (1.6, 2.8))
    arrow(ax, (0.95, 1.6), (4.0, 1.9))
    arrow(ax, (3.8, 2.7), (4.6, 2.4))
    arrow(ax, (6.2, 2.0), (6.65, 2.0))
    arrow(ax, (7.6, 3.0), (7.6, 2.4))
    arrow(ax, (8.55, 2.0), (9.5, 2.0))
    label(ax, (9.6, 2.35), "$y_i$", fontsize=11)
    arrow(ax, (2.7, 2.5), (3.2, 0.9), style="-|>", linewidth=0.9, color="ink")
    label(ax, (3.75, 1.25), "momentum 0.1", fontsize=7)
    return fig
