"""Diagrams of chapter 2: multilayer perceptrons drawn layer by layer.

* :func:`feedforward_network` -- a fully connected network as columns of units joined by every
  edge, each layer named and each weight layer labelled with its parameter count, the picture
  that d2l and the CS231n notes put at the start of their MLP chapters;
* :func:`one_hidden_layer_network` -- the network of the universal approximation theorem,
  ``F(x) = c_0 + sum_i c_i phi(w_i^T x + b_i)``, with its weights named on the edges;
* :func:`batch_forward_shapes` -- the shapes of the batched forward pass
  ``Z = A W^T + 1 b^T``, one row per example, layer by layer.

All three return the matplotlib Figure, draw with the primitives of :mod:`dlbook.diagrams.base`
and raise ValueError for sizes that do not describe a network.
"""
from __future__ import annotations

import numbers

import numpy as np

from dlbook.diagrams.base import DIAGRAM_COLORS, arrow, box, canvas, label, node

__all__ = ["feedforward_network", "one_hidden_layer_network", "batch_forward_shapes",
           "layer_parameter_counts"]

EDGE_COLOR = "#9A9A9A"


def _check_count(value, name: str) -> int:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0
    if not ok:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def _check_sizes(sizes) -> list[int]:
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise ValueError(f"sizes: expected a sequence of layer widths such as (3, 4, 2), "
                         f"got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"sizes: expected at least an input and an output layer, got {sizes!r}")
    return [_check_count(n, f"sizes[{i}]") for i, n in enumerate(sizes)]


def layer_parameter_counts(sizes) -> list[int]:
    """Parameters of each weight layer: n_l * n_(l-1) weights plus n_l biases."""
    sizes = _check_sizes(sizes)
    return [n_out * (n_in + 1) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def _column(n: int, max_drawn: int, height: float) -> tuple[np.ndarray, bool]:
    """y positions of the drawn units of a layer of n units, and whether some are elided."""
    shown = min(n, max_drawn)
    ys = height / 2 + (np.arange(shown)[::-1] - (shown - 1) / 2) * 0.75
    return ys, shown < n


def _edge(ax, p, q, color=EDGE_COLOR, lw=0.7):
    ax.plot([p[0], q[0]], [p[1], q[1]], color=color, lw=lw, zorder=1, gid="edge")


def feedforward_network(sizes, ax=None, max_drawn: int = 6, show_counts: bool = True,
                        unit_radius: float = 0.22):
    """A fully connected feed-forward network, one column per layer and every edge drawn.

    Layers wider than ``max_drawn`` show their first ``max_drawn - 1`` units, a vertical
    ellipsis and their last unit, with the true width printed below, so that a 784-unit input
    layer still fits. With ``show_counts`` each weight layer is labelled with its shape and
    parameter count, ``W^(l): n_l x n_(l-1), + n_l biases``, which is why the picture is worth
    drawing: the count is the number of edges plus the number of units fed.
    """
    sizes = _check_sizes(sizes)
    max_drawn = _check_count(max_drawn, "max_drawn")
    if max_drawn < 3:
        raise ValueError(f"max_drawn: expected at least 3 (two units and an ellipsis), "
                         f"got {max_drawn}")
    spacing = 2.2
    height = 0.75 * min(max(sizes), max_drawn) + 0.6
    width = spacing * (len(sizes) - 1) + 1.6
    fig, ax = canvas(width, height + 1.6, scale=0.75, ax=ax)
    y0 = 1.0                                     # room for the names below
    columns = []
    for i, n in enumerate(sizes):
        ys, elided = _column(n, max_drawn, height)
        x = 0.8 + spacing * i
        if elided:                               # first units, a gap, the last unit
            ys = np.append(ys[:-2], ys[-1])
        columns.append((x, ys + y0, elided))
    for (x0, ys0, _), (x1, ys1, _) in zip(columns[:-1], columns[1:]):
        for ya in ys0:
            for yb in ys1:
                _edge(ax, (x0, ya), (x1, yb))
    counts = layer_parameter_counts(sizes)
    for i, ((x, ys, elided), n) in enumerate(zip(columns, sizes)):
        role = "input" if i == 0 else "output" if i == len(sizes) - 1 else "activation"
        for y in ys:
            node(ax, (x, y), radius=unit_radius, color=role)
        if elided:
            label(ax, (x, (ys[-2] + ys[-1]) / 2), r"$\vdots$", fontsize=12)
        name = ("input" if i == 0 else "output" if i == len(sizes) - 1
                else f"hidden {i}")
        label(ax, (x, y0 - 0.45), f"{name}\n$n_{i} = {n}$", fontsize=9, va="top")
    if show_counts:
        top = y0 + height + 0.15
        for l, ((x0, _, _), (x1, _, _)) in enumerate(zip(columns[:-1], columns[1:]), 1):
            text = (f"$W^{{({l})}}$: {sizes[l]}×{sizes[l - 1]}\n"
                    f"+ {sizes[l]} biases = {counts[l - 1]:,}")
            label(ax, ((x0 + x1) / 2, top), text, fontsize=8, va="bottom")
        ax.set_ylim(0, top + 1.0)
        ax.set_title(f"{'-'.join(map(str, sizes))} network: "
                     f"{sum(counts):,} parameters", fontsize=10)
    return fig


def one_hidden_layer_network(inputs: int = 2, hidden: int = 4, ax=None):
    """The network of the universal approximation theorem, weights named on its edges.

    ``inputs`` units x_j feed ``hidden`` units that compute phi(w_i^T x + b_i); the output unit
    sums them with the output weights c_i and adds the output bias c_0. The last hidden unit is
    named ``M`` so the picture reads for any width.
    """
    inputs = _check_count(inputs, "inputs")
    hidden = _check_count(hidden, "hidden")
    if inputs > 6 or hidden > 8:
        raise ValueError(f"inputs, hidden: expected at most 6 inputs and 8 hidden units to "
                         f"label, got {inputs} and {hidden}")
    height = 0.8 * hidden + 0.8
    fig, ax = canvas(7.4, height, scale=0.8, ax=ax)
    xs = (0.7, 3.4, 6.1)
    y_in = height / 2 + (np.arange(inputs)[::-1] - (inputs - 1) / 2) * 0.8
    y_hid = height / 2 + (np.arange(hidden)[::-1] - (hidden - 1) / 2) * 0.8
    y_out = height / 2
    for yi in y_in:
        for yh in y_hid:
            _edge(ax, (xs[0], yi), (xs[1], yh))
    names = [str(i) for i in range(1, hidden)] + (["M"] if hidden > 1 else [])
    names = names if hidden > 1 else ["1"]
    for yh, name in zip(y_hid, names):
        _edge(ax, (xs[1], yh), (xs[2], y_out), color=DIAGRAM_COLORS["weight"], lw=1.3)
        mid = ((xs[1] + xs[2]) / 2, (yh + y_out) / 2)
        label(ax, (mid[0], mid[1] + 0.12), f"$c_{{{name}}}$", fontsize=9,
              color=DIAGRAM_COLORS["ink"],
              bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    for j, yi in enumerate(y_in, 1):
        node(ax, (xs[0], yi), radius=0.27, text=f"$x_{{{j}}}$", color="input")
    for yh, name in zip(y_hid, names):
        node(ax, (xs[1], yh), radius=0.27, text=r"$\phi$", color="activation")
        label(ax, (xs[1] + 0.35, yh + 0.3), f"$w_{{{name}}}, b_{{{name}}}$", fontsize=8,
              ha="left")
    node(ax, (xs[2], y_out), radius=0.32, text=r"$\Sigma$", color="output")
    label(ax, (xs[2], y_out - 0.55), "$+\\,c_0$", fontsize=9)
    label(ax, (xs[2] + 0.45, y_out), "$F(x)$", fontsize=10, ha="left")
    label(ax, (xs[0], 0.15), "input $x$", fontsize=9)
    label(ax, (xs[1], 0.15), f"hidden ({hidden} units)", fontsize=9)
    return fig


def batch_forward_shapes(sizes, batch: int = 5, ax=None):
    """Shapes in the batched forward pass Z^(l) = A^(l-1) W^(l)T + 1 b^(l)T, A^(l) = phi(Z^(l)).

    One box per matrix, drawn with its shape, so the reader sees why the weight matrix is
    transposed: a batch of ``batch`` rows of width n_(l-1) times an (n_(l-1) x n_l) matrix gives
    ``batch`` rows of width n_l.
    """
    sizes = _check_sizes(sizes)
    batch = _check_count(batch, "batch")
    layers = len(sizes) - 1
    fig, ax = canvas(2.8 * layers + 1.4, 3.2, scale=0.7, ax=ax)
    y, x = 2.1, 0.7
    box(ax, (x, y), 1.0, 0.7, f"$A^{{(0)}} = X$\n{batch}×{sizes[0]}", color="input",
        fontsize=8)
    for l in range(1, layers + 1):
        x_op, x_next = x + 1.4, x + 2.8
        node(ax, (x_op, y), radius=0.22, text="@", color="neutral", fontsize=9)
        arrow(ax, (x + 0.5, y), (x_op - 0.22, y))
        arrow(ax, (x_op + 0.22, y), (x_next - 0.5, y))
        box(ax, (x_op, y - 1.3), 1.1, 0.6, f"$W^{{({l})\\top}}$\n{sizes[l - 1]}×{sizes[l]}",
            color="weight", fontsize=8)
        arrow(ax, (x_op, y - 1.0), (x_op, y - 0.22))
        how = "+ b, linear" if l == layers else r"+ b, then $\phi$"
        label(ax, ((x_op + x_next - 0.5) / 2 + 0.05, y + 0.5), how, fontsize=7)
        role = "output" if l == layers else "activation"
        name = r"$\hat y$" if l == layers else f"$A^{{({l})}}$"
        box(ax, (x_next, y), 1.0, 0.7, f"{name}\n{batch}×{sizes[l]}", color=role,
            fontsize=8)
        x = x_next
    ax.set_title(f"shapes in the batched forward pass, batch of {batch}", fontsize=10)
    return fig
