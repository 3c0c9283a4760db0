"""Diagrams of chapter 6: convolution step by step, channels, pooling and the classic blocks.

Every function returns a matplotlib Figure drawn with the primitives of
:mod:`dlbook.diagrams.base`, so that the chapter's pictures of a convolution are reviewed and
tested like its code. The slider over a convolution calls :func:`convolution_step` once per
frame; the other diagrams are drawn once.
"""
from __future__ import annotations

import numbers

import numpy as np

from dlbook.diagrams.base import (DIAGRAM_COLORS, arrow, box, canvas, grid_cells,
                                  label)

__all__ = ["window_positions", "convolution_step", "multichannel_convolution",
           "pooling_windows", "lenet_architecture", "inception_module",
           "residual_block"]


def _check_int(value, name, minimum):
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_matrix(values, name):
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2 or min(arr.shape) < 1:
        raise ValueError(f"{name}: expected a non-empty 2-D array, got shape "
                         f"{arr.shape}")
    return arr


def window_positions(size, kernel, padding=0, stride=1):
    """Top-left corners (row, col), in padded coordinates, of every window, row by row.

    ``size`` and ``kernel`` are (height, width) pairs. Raises ValueError when the kernel
    does not fit into the padded input, so the slider cannot show an empty output.
    """
    (h, w), (kh, kw) = size, kernel
    padding = _check_int(padding, "padding", 0)
    stride = _check_int(stride, "stride", 1)
    if kh > h + 2 * padding or kw > w + 2 * padding:
        raise ValueError(f"kernel: a {kh}x{kw} kernel does not fit into the "
                         f"{h}x{w} input padded by {padding}")
    rows = range(0, h + 2 * padding - kh + 1, stride)
    cols = range(0, w + 2 * padding - kw + 1, stride)
    return [(r, c) for r in rows for c in cols]


def convolution_step(x, kernel, step, padding=0, stride=1, width=7.0,
                     layout_padding=None):
    """One frame of the sliding window: the padded input with the window highlighted, the
    kernel, the nine products, and the output filled up to position ``step`` (1-based).

    A ``step`` beyond the number of output positions shows the finished output, so that a
    slider with a fixed range works for every padding and stride. ``layout_padding`` (at
    least ``padding``) lays the frame out for that padding and stride 1, the largest case,
    so that every frame of a slider has the same size and scale.
    """
    x = _check_matrix(x, "x")
    kernel = _check_matrix(kernel, "kernel")
    step = _check_int(step, "step", 1)
    positions = window_positions(x.shape, kernel.shape, padding, stride)
    kh, kw = kernel.shape
    xp = np.pad(x, padding)
    out_h = (xp.shape[0] - kh) // stride + 1
    out_w = (xp.shape[1] - kw) // stride + 1
    done = min(step, len(positions))
    r, c = positions[done - 1]
    window = xp[r:r + kh, c:c + kw]
    products = window * kernel

    out = np.full((out_h, out_w), None, dtype=object)
    for t, (pr, pc) in enumerate(positions[:done]):
        patch = xp[pr:pr + kh, pc:pc + kw]
        out[t // out_w, t % out_w] = float(np.sum(patch * kernel))
    current = np.zeros((out_h, out_w), dtype=bool)
    current[(done - 1) // out_w, (done - 1) % out_w] = True

    # Layout in cell units: input | kernel | products | output, one gap between.
    lay = padding if layout_padding is None else _check_int(
        layout_padding, "layout_padding", padding)
    lay_h, lay_w = x.shape[0] + 2 * lay, x.shape[1] + 2 * lay
    lay_out = lay_w - kw + 1
    grid_h = max(lay_h, 4)
    total_w = lay_w + kw + kw + lay_out + 5.2
    fig, ax = canvas(total_w, grid_h + 2.2, scale=width / total_w)
    top = 0.9
    in_mask = np.zeros(xp.shape, dtype=bool)
    in_mask[r:r + kh, c:c + kw] = True
    off = lay - padding              # the input's cells stay put as padding grows
    origin = (off, top + grid_h - xp.shape[0] - off)
    grid_cells(ax, xp, origin=origin, highlight=in_mask, color="input")
    _shade_padding(ax, xp.shape, padding, origin=origin)
    label(ax, (off + xp.shape[1] / 2, origin[1] - 0.45),
          f"input, padding {padding}", fontsize=9)

    x0 = lay_w + 1.2
    y_small = top + grid_h - kh
    grid_cells(ax, kernel, origin=(x0, y_small), color="weight")
    label(ax, (x0 - 0.6, y_small + kh / 2), r"$\star$", fontsize=14)
    label(ax, (x0 + kw / 2, y_small - 0.45), "kernel", fontsize=9)

    x1 = x0 + kw + 1.0
    grid_cells(ax, products, origin=(x1, y_small), color="highlight")
    label(ax, (x1 - 0.5, y_small + kh / 2), "→", fontsize=12)
    label(ax, (x1 + kw / 2, y_small - 0.45),
          f"products, sum {np.sum(products):g}", fontsize=9)

    x2 = x1 + kw + 2.0
    y_out = top + grid_h - out_h
    grid_cells(ax, out, origin=(x2, y_out), color="neutral",
               highlight=current, highlight_color="output")
    arrow(ax, (x1 + kw + 0.2, y_small + kh / 2), (x2 - 0.2, y_out + out_h - 0.5))
    label(ax, (x2 + out_w / 2, y_out - 0.45), f"output {out_h}×{out_w}",
          fontsize=9)
    i, j = (done - 1) // out_w, (done - 1) % out_w
    label(ax, (total_w / 2, grid_h + top + 0.75),
          f"padding {padding}, stride {stride}: position {done} of "
          f"{len(positions)}, output[{i}, {j}] = {np.sum(products):g}",
          fontsize=10)
    return fig


def _shade_padding(ax, shape, padding, origin):
    """Grey veil over the zero ring added by padding (the numbers stay readable)."""
    from matplotlib.patches import Rectangle

    rows, cols = shape
    for i in range(rows):
        for j in range(cols):
            inside = padding <= i < rows - padding and padding <= j < cols - padding
            if not inside:
                ax.add_patch(Rectangle((origin[0] + j, origin[1] + rows - 1 - i), 1, 1,
                                       facecolor="white", alpha=0.55,
                                       edgecolor="none", zorder=1.5))


def _stack(ax, corner, count, side, color, step=0.18, text=""):
    """``count`` squares of ``side`` units, each shifted by ``step`` up and to the right:
    a pile of feature maps or of kernel slices. ``corner`` is the front square's lower left."""
    from matplotlib.patches import Rectangle

    x, y = corner
    for n in reversed(range(count)):
        ax.add_patch(Rectangle((x + n * step, y + n * step), side, side,
                               facecolor=DIAGRAM_COLORS.get(color, color),
                               edgecolor=DIAGRAM_COLORS["ink"], linewidth=0.8))
    if text:
        label(ax, (x + side / 2 + (count - 1) * step / 2, y - 0.3), text, fontsize=9)
    top_right = (x + side + (count - 1) * step, y + side + (count - 1) * step)
    return top_right


def multichannel_convolution(in_channels=3, filters=2, width=7.0):
    """A C_in x H x W input, ``filters`` kernels of C_in x k_h x k_w, and the output:
    each kernel's slices meet their own channels, their sums add up (plus a bias) to
    ONE output map, and ``filters`` kernels give ``filters`` output channels."""
    in_channels = _check_int(in_channels, "in_channels", 1)
    filters = _check_int(filters, "filters", 1)
    if in_channels > 6 or filters > 4:
        raise ValueError("in_channels, filters: expected at most 6 input channels and "
                         f"4 filters (to stay legible), got {in_channels}, {filters}")
    height = max(4.2, 1.55 * filters + 1.4)
    fig, ax = canvas(11.5, height, scale=width / 11.5)
    mid = height / 2
    _stack(ax, (0.3, mid - 1.3), in_channels, 2.4, "input",
           text=f"input {in_channels} × H × W")
    colors = ["weight", "activation", "sum", "highlight"]
    ys = np.linspace(height - 1.35, 0.75, filters) if filters > 1 else [mid - 0.45]
    for f, y in enumerate(ys):
        _stack(ax, (4.4, y), in_channels, 0.9, colors[f])
        label(ax, (5.9 + 0.18 * in_channels, y + 0.45),
              f"filter {f}: {in_channels} × $k_h$ × $k_w$", fontsize=9, ha="left")
        arrow(ax, (3.2 + 0.18 * in_channels, mid), (4.3, y + 0.45), linewidth=0.9)
        box(ax, (9.3, y + 0.45), 0.9, 0.9, rounded=False, color=colors[f])
        arrow(ax, (8.6, y + 0.45), (8.8, y + 0.45), linewidth=0.9)
        label(ax, (10.55, y + 0.45), f"map {f}", fontsize=9)
    label(ax, (9.3, height - 0.25),
          f"output {filters} × $O_H$ × $O_W$", fontsize=9)
    label(ax, (6.4, 0.18), "each map: Σ over the channels of the slice-by-channel "
          "cross-correlations, + bias", fontsize=8)
    return fig


def pooling_windows(x, size=2, width=7.0):
    """Non-overlapping ``size`` x ``size`` windows of ``x``, one colour each, and the max-
    and average-pooled outputs in the same colours; the maximum of each window is boxed."""
    from matplotlib.patches import Rectangle

    x = _check_matrix(x, "x")
    size = _check_int(size, "size", 1)
    h, w = x.shape
    if h % size or w % size:
        raise ValueError(f"size: expected a divisor of the input shape {x.shape}, "
                         f"got {size}")
    oh, ow = h // size, w // size
    blocks = x.reshape(oh, size, ow, size)
    maxed, averaged = blocks.max(axis=(1, 3)), blocks.mean(axis=(1, 3))
    palette = ["input", "weight", "activation", "highlight", "sum", "output"]
    total_w = w + 2 * ow + 5
    fig, ax = canvas(total_w, h + 1.6, scale=width / total_w)
    y0 = 0.9
    for bi in range(oh):
        for bj in range(ow):
            mask = np.zeros(x.shape, dtype=bool)
            mask[bi * size:(bi + 1) * size, bj * size:(bj + 1) * size] = True
            color = palette[(bi * ow + bj) % len(palette)]
            _colored(ax, x, mask, (0, y0), color)
            _colored(ax, maxed, _one(oh, ow, bi, bj), (w + 2, y0 + (h - oh) / 2),
                     color)
            _colored(ax, averaged, _one(oh, ow, bi, bj),
                     (w + ow + 3.5, y0 + (h - oh) / 2), color, fmt="{:.3g}")
            block = blocks[bi, :, bj, :]
            mi, mj = np.unravel_index(np.argmax(block), block.shape)
            row, col = bi * size + mi, bj * size + mj
            ax.add_patch(Rectangle((col + 0.08, y0 + h - 1 - row + 0.08), 0.84, 0.84,
                                   fill=False, edgecolor=DIAGRAM_COLORS["ink"],
                                   linewidth=2.0, zorder=3))
    label(ax, (w / 2, 0.35), f"input {h}×{w}, windows {size}×{size}", fontsize=9)
    label(ax, (w + 2 + ow / 2, y0 + (h - oh) / 2 - 0.45), "max pooling", fontsize=9)
    label(ax, (w + ow + 3.5 + ow / 2, y0 + (h - oh) / 2 - 0.45), "average pooling",
          fontsize=9)
    arrow(ax, (w + 0.2, y0 + h / 2), (w + 1.8, y0 + h / 2))
    return fig


def _one(rows, cols, i, j):
    mask = np.zeros((rows, cols), dtype=bool)
    mask[i, j] = True
    return mask


def _colored(ax, values, mask, origin, color, fmt="{:g}"):
    """Draw only the cells of ``values`` under ``mask`` in ``color`` (via grid_cells on a
    masked copy: cells outside the mask are skipped)."""
    from matplotlib.patches import Rectangle

    rows, cols = values.shape
    for i, j in zip(*np.nonzero(mask)):
        x, y = origin[0] + j, origin[1] + rows - 1 - i
        ax.add_patch(Rectangle((x, y), 1, 1, facecolor=DIAGRAM_COLORS[color],
                               edgecolor=DIAGRAM_COLORS["ink"], linewidth=0.8))
        label(ax, (x + 0.5, y + 0.5), fmt.format(values[i, j]), fontsize=10)


# LeNet-5 for a 28 x 28 digit: (name, maps, side) of every stage; side 1 = a vector.
LENET_STAGES = [("input", 1, 28), ("C1: conv 5×5", 6, 28), ("S2: pool 2×2", 6, 14),
                ("C3: conv 5×5", 16, 10), ("S4: pool 2×2", 16, 5),
                ("C5: full", 120, 1), ("F6: full", 84, 1), ("output", 10, 1)]


def lenet_architecture(width=7.0):
    """LeNet-5's stages as piles of feature maps (side proportional to the map's size) and
    bars for the fully connected layers, each labelled with its shape."""
    fig, ax = canvas(17.0, 4.6, scale=width / 17.0)
    x, base, gap = 0.2, 1.2, 0.8
    rights = []
    for name, maps, side in LENET_STAGES:
        if side > 1:
            s = 0.4 + 1.9 * side / 28
            shown, step = min(maps, 6), 0.09
            kind = "input" if name == "input" else (
                "activation" if "conv" in name else "sum")
            _stack(ax, (x, base), shown, s, kind, step=step)
            right = x + s + (shown - 1) * step
            shape = f"{maps}@{side}×{side}"
        else:
            hgt = 0.5 + 2.3 * maps / 120
            box(ax, (x + 0.2, base + hgt / 2), 0.4, hgt, rounded=False,
                color="weight" if name != "output" else "output")
            right = x + 0.4
            shape = f"{maps}"
        lines = name.split(": ")
        label(ax, ((x + right) / 2, base - 0.3), shape, fontsize=8)
        for k, line in enumerate(lines):
            label(ax, ((x + right) / 2, base - 0.68 - 0.36 * k), line, fontsize=8)
        rights.append(right)
        x = right + gap
    for right in rights[:-1]:
        arrow(ax, (right + 0.08, base + 0.25), (right + gap - 0.08, base + 0.25),
              linewidth=0.9)
    label(ax, (8.5, 4.35), "LeNet-5 on a 28 × 28 digit (padding 2 in C1)",
          fontsize=10)
    return fig


def inception_module(widths=None, width=6.0):
    """GoogLeNet's Inception module: four branches from the previous layer, concatenated
    along the channels. ``widths`` = (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5,
    pool proj), as in the paper's Table 1, adds the channel counts to the boxes."""
    if widths is not None:
        widths = tuple(_check_int(v, "widths", 1) for v in widths)
        if len(widths) != 6:
            raise ValueError(f"widths: expected 6 channel counts, got {len(widths)}")
    n = (lambda i: f"\n{widths[i]} ch") if widths else (lambda i: "")
    fig, ax = canvas(10.0, 6.0, scale=width / 10.0)
    box(ax, (5.0, 0.55), 4.0, 0.7, "previous layer", color="input")
    box(ax, (5.0, 5.45), 4.0, 0.7, "concatenate along channels", color="output")
    xs = [1.25, 3.75, 6.25, 8.75]
    lower = [None, ("1×1 conv" + n(1), "weight"), ("1×1 conv" + n(3), "weight"),
             ("3×3 max pool", "neutral")]
    upper = [("1×1 conv" + n(0), "weight"), ("3×3 conv" + n(2), "activation"),
             ("5×5 conv" + n(4), "activation"), ("1×1 conv" + n(5), "weight")]
    for x, lo, up in zip(xs, lower, upper):
        arrow(ax, (5.0 + (x - 5.0) * 0.35, 0.9), (x, 1.65 if lo else 3.1),
              linewidth=0.9)
        if lo:
            box(ax, (x, 2.15), 2.1, 0.95, lo[0], color=lo[1], fontsize=9)
            arrow(ax, (x, 2.65), (x, 3.1), linewidth=0.9)
        box(ax, (x, 3.6), 2.1, 0.95, up[0], color=up[1], fontsize=9)
        arrow(ax, (x, 4.1), (5.0 + (x - 5.0) * 0.35, 5.1), linewidth=0.9)
    return fig


def residual_block(width=4.2):
    """A residual block: two weight layers compute F(x), the shortcut carries x around
    them, and the sum F(x) + x passes through a ReLU."""
    fig, ax = canvas(6.0, 6.4, scale=width / 6.0)
    box(ax, (2.5, 0.45), 1.6, 0.6, "x", color="input")
    box(ax, (2.5, 1.75), 2.6, 0.7, "weight layer", color="weight")
    box(ax, (2.5, 2.85), 1.6, 0.6, "ReLU", color="activation")
    box(ax, (2.5, 3.95), 2.6, 0.7, "weight layer", color="weight")
    box(ax, (2.5, 5.05), 0.6, 0.6, "+", color="sum")
    box(ax, (2.5, 6.0), 1.6, 0.55, "ReLU", color="activation")
    for y0, y1 in [(0.75, 1.4), (2.1, 2.55), (3.15, 3.6), (4.3, 4.75), (5.35, 5.72)]:
        arrow(ax, (2.5, y0), (2.5, y1), linewidth=1.0)
    label(ax, (1.25, 3.4), "F(x)", fontsize=11)
    ax.plot([3.3, 4.9, 4.9], [0.45, 0.45, 5.05], color=DIAGRAM_COLORS["ink"],
            linewidth=1.2)
    arrow(ax, (4.9, 5.05), (2.8, 5.05), linewidth=1.2)
    label(ax, (5.25, 2.9), "identity\nshortcut: x", fontsize=9, rotation=90)
    label(ax, (3.6, 5.55), "F(x) + x", fontsize=10)
    return fig
