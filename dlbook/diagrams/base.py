"""Drawing primitives shared by every diagram: a blank canvas in data units and the shapes on it.

Coordinates are plain data units on an axes with equal aspect and no frame, so a diagram is laid
out like a sketch on squared paper: ``canvas(8, 3)`` gives x in [0, 8] and y in [0, 3], drawn at
``scale`` inches per unit. Colours come from the book's Okabe–Ito palette
(:data:`dlbook.plotting.PALETTE`), so diagrams match the plots beside them.
"""
from __future__ import annotations

import numbers

import numpy as np

from dlbook.plotting import PALETTE

# Roles, not hues: a diagram says "input" or "weight" and gets the same colour in every chapter.
DIAGRAM_COLORS = {
    "input": PALETTE[5],      # sky blue
    "weight": PALETTE[1],     # orange
    "sum": PALETTE[0],        # blue
    "activation": PALETTE[2], # green
    "output": PALETTE[3],     # vermillion
    "highlight": PALETTE[6],  # yellow
    "neutral": "#DDDDDD",
    "ink": "#222222",
}
FONT_SIZE = 10


def _check_positive(value, name):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and value > 0
    if not ok:
        raise ValueError(f"{name}: expected a positive number, got {value!r}")
    return float(value)


def canvas(width, height, scale: float = 0.9, ax=None):
    """A frameless axes spanning [0, width] x [0, height] in data units; returns (fig, ax).

    ``scale`` is inches per data unit. With ``ax`` given, that axes is prepared and its figure
    returned, so diagrams can share a figure with plots.
    """
    import matplotlib.pyplot as plt

    width = _check_positive(width, "width")
    height = _check_positive(height, "height")
    scale = _check_positive(scale, "scale")
    if ax is None:
        fig, ax = plt.subplots(figsize=(width * scale, height * scale))
    else:
        fig = ax.figure
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig, ax


def _color(color):
    return DIAGRAM_COLORS.get(color, color)


def box(ax, center, width, height, text="", color="neutral", fontsize=FONT_SIZE,
        rounded: bool = True, alpha: float = 1.0, text_color=None):
    """A (rounded) rectangle centred at ``center`` with ``text`` inside; returns the patch."""
    from matplotlib.patches import FancyBboxPatch

    x, y = center
    style = "round,pad=0.02,rounding_size=0.12" if rounded else "square,pad=0"
    patch = FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle=style,
                           facecolor=_color(color), edgecolor=DIAGRAM_COLORS["ink"],
                           linewidth=1.0, alpha=alpha)
    ax.add_patch(patch)
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize,
                color=text_color or DIAGRAM_COLORS["ink"])
    return patch


def node(ax, center, radius=0.3, text="", color="neutral", fontsize=FONT_SIZE):
    """A circle (a neuron, an operation) centred at ``center``; returns the patch."""
    from matplotlib.patches import Circle

    patch = Circle(center, radius, facecolor=_color(color), edgecolor=DIAGRAM_COLORS["ink"],
                   linewidth=1.0, zorder=3)
    ax.add_patch(patch)
    if text:
        ax.text(center[0], center[1], text, ha="center", va="center", fontsize=fontsize,
                zorder=4, color=DIAGRAM_COLORS["ink"])
    return patch


def arrow(ax, start, end, text="", color="ink", shrink: float = 0.0, fontsize=FONT_SIZE - 1,
          text_offset=(0.0, 0.12), linewidth: float = 1.2, style: str = "-|>"):
    """An arrow from ``start`` to ``end``, optionally shortened by ``shrink`` units at both ends
    (to stop at a node's rim) and labelled at its middle; returns the patch."""
    from matplotlib.patches import FancyArrowPatch

    p0, p1 = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    d = p1 - p0
    length = float(np.hypot(*d))
    if shrink and length > 2 * shrink:
        p0, p1 = p0 + d / length * shrink, p1 - d / length * shrink
    patch = FancyArrowPatch(tuple(p0), tuple(p1), arrowstyle=style, mutation_scale=10,
                            color=_color(color), linewidth=linewidth, zorder=2)
    ax.add_patch(patch)
    if text:
        mid = (p0 + p1) / 2 + np.asarray(text_offset)
        ax.text(mid[0], mid[1], text, ha="center", va="bottom", fontsize=fontsize,
                color=DIAGRAM_COLORS["ink"])
    return patch


def label(ax, xy, text, fontsize=FONT_SIZE, **kwargs):
    """Free text at ``xy`` (centred unless ``ha``/``va`` say otherwise)."""
    kwargs.setdefault("ha", "center")
    kwargs.setdefault("va", "center")
    kwargs.setdefault("color", DIAGRAM_COLORS["ink"])
    return ax.text(xy[0], xy[1], text, fontsize=fontsize, **kwargs)


def grid_cells(ax, values, origin=(0.0, 0.0), cell: float = 1.0, highlight=None,
               color="neutral", highlight_color="highlight", fmt="{:g}", fontsize=FONT_SIZE):
    """A matrix drawn as a grid of numbered squares, row 0 at the top, its lower-left corner at
    ``origin``; ``highlight`` is a boolean mask of the same shape (e.g. a convolution window)."""
    from matplotlib.patches import Rectangle

    vals = np.asarray(values)
    if vals.ndim != 2:
        raise ValueError(f"values: expected a 2-D array, got shape {vals.shape}")
    mask = np.zeros(vals.shape, dtype=bool) if highlight is None else np.asarray(highlight, bool)
    if mask.shape != vals.shape:
        raise ValueError(f"highlight: expected a mask of shape {vals.shape}, got {mask.shape}")
    rows, cols = vals.shape
    x0, y0 = origin
    for i in range(rows):
        for j in range(cols):
            x, y = x0 + j * cell, y0 + (rows - 1 - i) * cell
            face = _color(highlight_color if mask[i, j] else color)
            ax.add_patch(Rectangle((x, y), cell, cell, facecolor=face,
                                   edgecolor=DIAGRAM_COLORS["ink"], linewidth=0.8))
            text = "" if vals.dtype == object and vals[i, j] is None else fmt.format(vals[i, j])
            ax.text(x + cell / 2, y + cell / 2, text, ha="center", va="center",
                    fontsize=fontsize, color=DIAGRAM_COLORS["ink"])
