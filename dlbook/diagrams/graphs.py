"""Diagrams of backpropagation: a computational graph with its two passes, and a network's layers
with the matrices that flow forwards and backwards through them.

Both are drawn the way *Deep Learning from Scratch* draws them: values of the forward pass above
each edge, derivatives of the backward pass below it, so the reader sees one edge carry two
numbers, one in each direction.
"""
from __future__ import annotations

import numbers

from dlbook.diagrams.base import DIAGRAM_COLORS, arrow, box, canvas, label, node

__all__ = ["shopping_graph", "backprop_layers", "SHOPPING_INPUTS"]

SHOPPING_INPUTS = ("apple price", "apple count", "orange price", "orange count", "tax")
_SHOPPING_VALUES = ("apple total", "orange total", "subtotal", "pay")
FORWARD_COLOR = DIAGRAM_COLORS["sum"]      # blue, above the edge
BACKWARD_COLOR = DIAGRAM_COLORS["output"]  # vermillion, below the edge


def _number(value, name):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a number, got {value!r}") from None


def _check_shopping(inputs, values):
    if not isinstance(inputs, dict) or not isinstance(values, dict):
        raise ValueError("inputs, values: expected two dicts (input name -> number, and the "
                         "forward values and 'dL/d...' derivatives of the graph)")
    missing = [k for k in SHOPPING_INPUTS if k not in inputs]
    missing += [k for k in _SHOPPING_VALUES if k not in values]
    missing += [f"dL/d{k}" for k in SHOPPING_INPUTS + _SHOPPING_VALUES[:3]
                if f"dL/d{k}" not in values]
    if missing:
        raise ValueError(f"inputs/values: missing {missing}")


def shopping_graph(inputs, values, ax=None, digits: int = 4):
    """Note 004's apples-and-oranges bill as a computational graph; returns the figure.

    ``inputs`` maps the five names of :data:`SHOPPING_INPUTS` to numbers; ``values`` holds the
    forward values ("apple total", "orange total", "subtotal", "pay") and the derivatives
    ("dL/dapple price", ...) that the chapter computed, so the figure shows those numbers and
    cannot drift from them. Each edge carries its forward value above it (blue) and the derivative
    of the bill with respect to it below it (vermillion), rounded to ``digits`` significant digits.
    """
    _check_shopping(inputs, values)
    fig, ax = canvas(10.2, 5.0, scale=0.7, ax=ax)
    ops = {"apple x": (3.3, 3.7), "orange x": (3.3, 1.6), "+": (5.6, 2.65),
           "tax x": (7.5, 2.0)}
    sources = {"apple price": (0.9, 4.3), "apple count": (0.9, 3.1),
               "orange price": (0.9, 2.2), "orange count": (0.9, 1.0),
               "tax": (5.6, 0.5)}
    for name, xy in ops.items():
        node(ax, xy, radius=0.32, text="+" if name == "+" else "×",
             color="activation" if name == "+" else "weight", fontsize=13)
    for name, xy in sources.items():
        label(ax, xy, name, fontsize=9)
    fwd = {**{k: inputs[k] for k in SHOPPING_INPUTS}, **values}
    bwd = {k: values.get(f"dL/d{k}", 1) for k in fwd}
    edges = [("apple price", sources["apple price"], ops["apple x"]),
             ("apple count", sources["apple count"], ops["apple x"]),
             ("orange price", sources["orange price"], ops["orange x"]),
             ("orange count", sources["orange count"], ops["orange x"]),
             ("apple total", ops["apple x"], ops["+"]),
             ("orange total", ops["orange x"], ops["+"]),
             ("subtotal", ops["+"], ops["tax x"]),
             ("tax", sources["tax"], ops["tax x"]),
             ("pay", ops["tax x"], (9.7, 2.0))]
    for quantity, start, end in edges:
        is_source = quantity in sources
        x0 = start[0] + (0.75 if is_source else 0.32)
        end_x = end[0] - (0.32 if quantity != "pay" else 0.0)
        arrow(ax, (x0, start[1]), (end_x, end[1]), color="ink")
        t = 0.3 if is_source else 0.5       # near the source, where edges are apart
        xm, ym = x0 + t * (end_x - x0), start[1] + t * (end[1] - start[1])
        label(ax, (xm, ym + 0.22), f"{_number(fwd[quantity], quantity):.{digits}g}",
              fontsize=9, color=FORWARD_COLOR)
        label(ax, (xm, ym - 0.24), f"{_number(bwd[quantity], quantity):.{digits}g}",
              fontsize=9, color=BACKWARD_COLOR)
    label(ax, (9.55, 2.35), "bill $L$", fontsize=9, ha="right")
    label(ax, (0.2, 0.1), "forward value above each edge (blue), "
          "derivative $\\partial L/\\partial(\\mathrm{edge})$ below it (vermillion)",
          fontsize=8.5, ha="left")
    return fig


def _check_sizes(sizes):
    ok = (isinstance(sizes, (list, tuple)) and 2 <= len(sizes) <= 4
          and all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0
                  for n in sizes))
    if not ok:
        raise ValueError(f"sizes: expected 2 to 4 positive integers (input, hidden..., output), "
                         f"got {sizes!r}")
    return [int(n) for n in sizes]


def backprop_layers(sizes, loss: str = "softmax-ce", ax=None,
                    signal: str = "\\delta"):
    """Backpropagation in matrix form, layer by layer, for a network with layer ``sizes``.

    Forward arrows (top, left to right) carry the batch matrices :math:`A^{(l)}` and
    :math:`Z^{(l)}` with their shapes (``B`` examples as rows); backward arrows (bottom, right to
    left) carry :math:`\\partial E/\\partial A^{(l)}` and :math:`\\delta^{(l)}`; from each affine
    box a dashed arrow drops to the parameter gradients :math:`\\delta^{(l)\\top} A^{(l-1)}` and
    :math:`\\sum \\delta^{(l)}`. ``loss`` is ``"softmax-ce"`` (the last layer is softmax with
    cross-entropy, whose backward is :math:`\\hat y - y`) or ``"mse"`` (a sigmoid output with
    squared error). ``signal`` is the TeX symbol of the batch error signal in the
    labels: the default ``"\\delta"``, or ``"\\Delta"`` for the book's matrix
    notation (rows of :math:`\\Delta^{(l)}` are the examples' :math:`\\delta^{(l)}`).
    Returns the figure.
    """
    if signal not in ("\\delta", "\\Delta"):
        raise ValueError(f"signal: expected '\\delta' or '\\Delta', got {signal!r}")
    sizes = _check_sizes(sizes)
    if loss not in ("softmax-ce", "mse"):
        raise ValueError(f"loss: expected 'softmax-ce' or 'mse', got {loss!r}")
    n_layers = len(sizes) - 1
    blocks = []                              # (kind, layer index)
    for layer in range(1, n_layers + 1):
        blocks.append(("affine", layer))
        if layer < n_layers:
            blocks.append(("act", layer))
    blocks.append(("loss", n_layers))
    step = 2.05
    width = step * len(blocks) + 1.2
    fig, ax = canvas(width, 4.7, scale=min(0.62, 7.0 / width), ax=ax)
    y_box, y_fwd, y_bwd = 3.0, 3.45, 2.55
    xs = [1.55 + step * i for i in range(len(blocks))]
    for (kind, layer), x in zip(blocks, xs):
        if kind == "affine":
            box(ax, (x, y_box), 1.25, 1.3, f"Affine {layer}\n$W^{{({layer})}}$\n"
                f"{sizes[layer]}×{sizes[layer - 1]}", color="weight", fontsize=9)
            arrow(ax, (x, y_box - 0.68), (x, 1.5), color="ink", style="-|>",
                  linewidth=0.9)
            ax.patches[-1].set_linestyle("--")
            label(ax, (x, 1.25), f"$\\partial E/\\partial W^{{({layer})}} = "
                  f"{signal}^{{({layer})\\top}} A^{{({layer - 1})}}$", fontsize=8.5)
            label(ax, (x, 0.8), f"$\\partial E/\\partial b^{{({layer})}} = "
                  f"\\sum_k \\delta_k^{{({layer})}}$", fontsize=8.5)
        elif kind == "act":
            box(ax, (x, y_box), 1.25, 1.3, "$f$\n(any\nactivation)", color="activation",
                fontsize=9)
        else:
            text = "softmax\n+ cross-\nentropy" if loss == "softmax-ce" else "sigmoid\n+ squared\nerror"
            box(ax, (x, y_box), 1.25, 1.3, text, color="output", fontsize=9)
    label(ax, (0.15, y_fwd + 0.05), "$X$", fontsize=10, ha="left")
    label(ax, (width - 0.1, y_box), "$E$", fontsize=11, ha="right")
    arrow(ax, (xs[-1] + 0.65, y_box), (width - 0.35, y_box))
    n = sizes
    for i, ((kind, layer), x) in enumerate(zip(blocks, xs)):
        left = 0.4 if i == 0 else xs[i - 1] + 0.65
        right = x - 0.65
        if kind == "affine":
            fwd = f"$A^{{({layer - 1})}}$\nB×{n[layer - 1]}"
            bwd = "" if layer == 1 else f"$\\partial E/\\partial A^{{({layer - 1})}}$"
        else:
            fwd = f"$Z^{{({layer})}}$\nB×{n[layer]}"
            bwd = f"${signal}^{{({layer})}}$"
        arrow(ax, (left, y_fwd), (right, y_fwd), color=FORWARD_COLOR)
        label(ax, ((left + right) / 2, y_fwd + 0.42), fwd, fontsize=8.5,
              color=FORWARD_COLOR)
        if bwd:
            arrow(ax, (right, y_bwd), (left, y_bwd), color=BACKWARD_COLOR)
            label(ax, ((left + right) / 2, y_bwd - 0.3), bwd, fontsize=8.5,
                  color=BACKWARD_COLOR)
    last = "$\\hat Y - Y$" if loss == "softmax-ce" else "$(\\hat Y - Y)\\odot\\hat Y(1-\\hat Y)$"
    label(ax, (width / 2, 4.45), "forward: $Z^{(l)} = A^{(l-1)} W^{(l)\\top} + b^{(l)}$, "
          "$A^{(l)} = f(Z^{(l)})$", fontsize=9, color=FORWARD_COLOR)
    label(ax, (width / 2, 0.2), f"backward: ${signal}^{{(l)}} = "
          f"({signal}^{{(l+1)}} W^{{(l+1)}})"
          f"\\odot f'(Z^{{(l)}})$;  last layer: ${signal}^{{(L)}}$ = {last}",
          fontsize=8.5, color=BACKWARD_COLOR)
    return fig
