"""The book's one look for figures, and the few plot helpers every chapter uses.

Call ``use_book_style()`` once near the top of a chapter. The helpers take an ``ax`` and draw
on it, so they compose inside any figure layout. ``loss_curve`` and ``mark_divergence`` carry
the book's divergence convention: a run whose loss blows up is drawn up to the step where it
diverged and labelled "diverged at step k" on the figure, never a NaN crash or an empty plot.
"""
from __future__ import annotations

import numbers

import matplotlib as mpl
import numpy as np

from dlbook._validate import check_positive_int

# Okabe–Ito palette: distinguishable with every common colour-vision deficiency, and in greyscale.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

# One colour per side of a side-by-side comparison, the same in every chapter.
COLORS = {"numpy": PALETTE[0], "torch": PALETTE[1], "reference": "#555555", "diverged": PALETTE[3]}

# Loss values beyond this (in absolute value) count as diverged, as do inf and NaN.
DIVERGENCE_THRESHOLD = 1e6

BOOK_STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
    "legend.frameon": False,
    "image.cmap": "viridis",
    "figure.max_open_warning": 50,
    # Reproducible files: the same figure gives the same bytes (nbval, site diffs).
    "svg.hashsalt": "dlbook",
}


def use_book_style() -> None:
    """Apply the book's matplotlib style (sizes, grid, colours); safe to call more than once."""
    mpl.rcParams.update(BOOK_STYLE)


def first_divergence(values, threshold: float = DIVERGENCE_THRESHOLD):
    """Index of the first value that is NaN, infinite or beyond ``threshold`` in size; None if none.

    This is the step at which a training run is declared diverged.
    """
    _check_threshold(threshold)
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    bad = ~np.isfinite(arr) | (np.abs(np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)) > threshold)
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else None


DIVERGENCE_GID = "dlbook-divergence"   # marks the labels, so that the next one goes below them
DIVERGENCE_LABEL_STEP = 0.11           # their vertical spacing, in axes coordinates


def mark_divergence(ax, values, threshold: float = DIVERGENCE_THRESHOLD, steps=None, label=None):
    """Write "diverged at step k" on ``ax`` if ``values`` diverge; return k (or None).

    ``steps`` gives the step number of each value (default 0, 1, 2, ...), so k is reported in the
    units of the x-axis. With a ``label`` the text names the run ("SGD: diverged at step k"); each
    further diverged run on the same axes gets its label below the earlier ones, not on top.
    """
    k = first_divergence(values, threshold)
    if k is None:
        return None
    step = int(np.asarray(steps).reshape(-1)[k]) if steps is not None else k
    _label_divergence(ax, step, label)
    return step


def _label_divergence(ax, step: int, label=None) -> None:
    earlier = sum(1 for t in ax.texts if t.get_gid() == DIVERGENCE_GID)
    text = f"diverged at step {step}" if label is None else f"{label}: diverged at step {step}"
    ax.text(0.5, 0.92 - DIVERGENCE_LABEL_STEP * earlier, text, transform=ax.transAxes, ha="center",
            va="top", color=COLORS["diverged"], fontweight="bold", gid=DIVERGENCE_GID,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": COLORS["diverged"]})


def loss_curve(ax, losses, label=None, steps=None, log: bool = False, color=None,
               threshold: float = DIVERGENCE_THRESHOLD, xlabel: str = "step", ylabel: str = "loss"):
    """Plot a loss (or any per-step quantity) against the step, stopping where it diverges.

    Values from the first diverged one on are not drawn (a NaN would blank the plot, a 1e30 would
    flatten it); the figure says "diverged at step k" instead. Returns k, or None if the run
    stayed finite.
    """
    try:
        values = np.asarray(losses, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError("losses: expected a sequence of numbers (one loss per step), got "
                         f"{type(losses).__name__} {losses!r:.40}") from None
    if values.size == 0:
        raise ValueError("losses: expected at least one value, got an empty sequence")
    x = np.arange(values.size) if steps is None else np.asarray(steps).reshape(-1)
    if x.shape != values.shape:
        raise ValueError(f"steps: expected {values.size} step numbers (one per loss), got shape {x.shape}")
    k = first_divergence(values, threshold)
    keep = values.size if k is None else k
    ax.plot(x[:keep], values[:keep], label=label, color=color)
    if k is not None:
        _label_divergence(ax, int(x[k]), label)
        if keep == 0:  # nothing finite to draw: keep a sensible frame rather than an empty one
            ax.set_xlim(x[0], x[-1] if x.size > 1 else x[0] + 1)
    if log and keep > 0 and np.all(values[:keep] > 0):
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if label is not None:
        ax.legend()
    return None if k is None else int(x[k])


def contour(ax, f, xlim, ylim, levels: int = 30, resolution: int = 200, log_levels: bool = False):
    """Contour lines of a 2-D function ``f(X, Y)`` (vectorised over arrays) on the given box."""
    for name, lim in (("xlim", xlim), ("ylim", ylim)):
        if len(lim) != 2 or not lim[0] < lim[1]:
            raise ValueError(f"{name}: expected (low, high) with low < high, got {lim!r}")
    xs = np.linspace(xlim[0], xlim[1], resolution)
    ys = np.linspace(ylim[0], ylim[1], resolution)
    X, Y = np.meshgrid(xs, ys)
    Z = np.asarray(f(X, Y), dtype=np.float64)
    if log_levels:
        low = max(float(np.min(Z[Z > 0])) if np.any(Z > 0) else 1e-3, 1e-12)
        lv = np.geomspace(low, float(np.max(Z)), levels)
    else:
        lv = levels
    cs = ax.contour(X, Y, Z, levels=lv, colors="#999999", linewidths=0.7)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return cs


def path_2d(ax, points, label=None, color=None, threshold: float = DIVERGENCE_THRESHOLD):
    """Draw an optimiser's path (an (n, 2) array of iterates) with markers; stop where it diverges.

    Returns the step at which the path diverged, or None.
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"points: expected an (n, 2) array of iterates, got shape {pts.shape}")
    size = np.max(np.abs(np.nan_to_num(pts, nan=np.inf)), axis=1)
    k = first_divergence(size, threshold)
    keep = pts.shape[0] if k is None else k
    ax.plot(pts[:keep, 0], pts[:keep, 1], "-o", markersize=3, label=label, color=color)
    if k is not None:
        _label_divergence(ax, k, label)
    if label is not None:
        ax.legend()
    return k


def show_images(images, ncols: int = 8, titles=None, cmap: str = "gray", size: float = 1.0):
    """A grid of small images (MNIST digits, samples of a generative model); returns the figure.

    ``images`` is an (n, H, W) or (n, H, W, 3) array, or (n, 1, H, W) as torch lays it out.
    """
    import matplotlib.pyplot as plt

    imgs = np.asarray(images)
    if imgs.ndim == 4 and imgs.shape[1] == 1:
        imgs = imgs[:, 0]
    if imgs.ndim not in (3, 4) or imgs.shape[0] == 0:
        raise ValueError(f"images: expected (n, H, W), (n, 1, H, W) or (n, H, W, 3), got shape {imgs.shape}")
    ncols = check_positive_int(ncols, "ncols")
    n = imgs.shape[0]
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles: expected {n} titles (one per image), got {len(titles)}")
    ncols = min(int(ncols), n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * (1.25 if titles else 1)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            ax.imshow(imgs[i], cmap=cmap)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    return fig


def _check_threshold(threshold) -> None:
    ok = isinstance(threshold, numbers.Real) and not isinstance(threshold, bool) and threshold > 0
    if not ok:
        raise ValueError(f"threshold: expected a positive number, got {threshold!r}")
