"""Pictures of chapter 1: the biological neuron, the threshold unit and the traffic-light neuron.

Each function draws one diagram with the primitives of :mod:`dlbook.diagrams.base` and returns
its matplotlib Figure. The figures are at most 7 inches wide, so that their 10-point text stays
legible in the website's ~650 px column. ``traffic_light_neuron`` computes the numbers it writes
(the pre-activation and the decision) from its arguments, so the picture cannot disagree with the
chapter's arithmetic.
"""
from __future__ import annotations

import numbers

import numpy as np

from dlbook.diagrams.base import DIAGRAM_COLORS, arrow, box, canvas, label, node

__all__ = ["biological_neuron", "threshold_unit", "traffic_light_neuron",
           "THRESHOLD_KINDS"]

THRESHOLD_KINDS = ("mp", "perceptron")
LAMP_COLORS = {"red": "#D55E00", "yellow": "#F0E442", "green": "#009E73"}
DARK_LAMP = "#555555"


def _fmt(value) -> str:
    """A number as the diagram writes it: 0.5, -1.5, 1 (with a true minus sign)."""
    text = f"{float(value):g}"
    return text.replace("-", "\N{MINUS SIGN}")


def _branch(ax, start, end, color, lw=2.0):
    ax.plot([start[0], end[0]], [start[1], end[1]], color=color, lw=lw,
            solid_capstyle="round", zorder=1)


def biological_neuron(ax=None):
    """A schematic neuron: dendrites with synapses, cell body, myelinated axon, terminals.

    Under each part a second label names the piece of the M-P neuron that models it (inputs and
    weights, weighted sum and threshold, output), which is the point of the picture.
    """
    from matplotlib.patches import Ellipse

    fig, ax = canvas(7.0, 3.3, scale=0.95, ax=ax)
    body_color, ink = "#F3D9B1", DIAGRAM_COLORS["ink"]
    soma = (2.3, 1.95)
    # Dendrites: three main branches, each splitting in two; a synapse at every tip.
    tips = []
    for angle in (150, 180, 210):
        a = np.radians(angle)
        mid = (soma[0] + 0.95 * np.cos(a), soma[1] + 0.75 * np.sin(a))
        _branch(ax, soma, mid, "#B9895A", lw=3.0)
        for split in (-22, 22):
            b = np.radians(angle + split)
            tip = (mid[0] + 0.6 * np.cos(b), mid[1] + 0.5 * np.sin(b))
            _branch(ax, mid, tip, "#B9895A", lw=2.0)
            tips.append(tip)
    for tip in tips:
        node(ax, tip, radius=0.07, color=DIAGRAM_COLORS["weight"])
        arrow(ax, (tip[0] - 0.45, tip[1]), (tip[0] - 0.09, tip[1]), linewidth=0.9)
    ax.add_patch(Ellipse(soma, 1.0, 0.85, facecolor=body_color, edgecolor=ink,
                         lw=1.2, zorder=2))
    node(ax, soma, radius=0.16, color="#C9A27A")
    # Axon with myelin sheaths, then terminals that end in synapses on the next cells.
    axon_start, axon_end = (soma[0] + 0.5, soma[1]), (5.55, soma[1])
    _branch(ax, axon_start, axon_end, "#B9895A", lw=2.5)
    for x in np.arange(3.25, 5.3, 0.55):
        box(ax, (x, soma[1]), 0.4, 0.2, color="#EFEFEF", rounded=True)
    for dy in (0.45, 0.0, -0.45):
        end = (6.2, soma[1] + dy)
        _branch(ax, axon_end, end, "#B9895A", lw=1.8)
        node(ax, end, radius=0.08, color=DIAGRAM_COLORS["weight"])
    arrow(ax, (3.3, soma[1] + 0.35), (5.0, soma[1] + 0.35), text="spike",
          color="output", linewidth=1.4)
    # What each part is, and what the M-P neuron keeps of it.
    parts = [((0.85, 0.55), "dendrites,\nsynapses", "inputs $x_i$,\nweights $w_i$"),
             ((soma[0], 0.55), "cell body", "sum and\nthreshold"),
             ((4.3, 0.55), "axon", "output $y$"),
             ((6.2, 0.55), "terminals", "to next\nneurons")]
    for (x, y), biology, model in parts:
        label(ax, (x, y + 0.12), biology, fontsize=9, va="bottom")
        label(ax, (x, y - 0.05), model, fontsize=9, va="top",
              color=DIAGRAM_COLORS["sum"], style="italic")
    label(ax, (0.05, 3.15), "signals from other neurons", fontsize=9, ha="left")
    return fig


def _sum_node(ax, center):
    """The summation node: a dark-blue circle with a white Σ."""
    node(ax, center, radius=0.38, color="sum")
    label(ax, center, r"$\Sigma$", fontsize=14, color="white", zorder=5)


def _feed(ax, start, sum_at, radius=0.38):
    """A weighted connection from ``start`` to the rim of the sum node at ``sum_at``."""
    p0, p1 = np.asarray(start, float), np.asarray(sum_at, float)
    d = p1 - p0
    end = p1 - d / np.hypot(*d) * (radius + 0.03)
    arrow(ax, tuple(p0), tuple(end), color="weight", linewidth=1.4)


def _activation_icon(ax, center, kind, width=0.9, height=0.7):
    """A box with a tiny plot of the step (M-P) or sign (perceptron) function inside."""
    box(ax, center, width, height, color="activation", alpha=0.35)
    x0, y0 = center
    half_w, half_h = 0.32 * width, 0.32 * height
    low, high = y0 - half_h, y0 + half_h
    axis = low if kind == "mp" else y0      # H jumps from 0 to 1, sign from -1 to +1
    ax.plot([x0 - half_w, x0 + half_w], [axis, axis], color="#777777", lw=0.6, zorder=3)
    ax.plot([x0 - half_w, x0, x0, x0 + half_w], [low, low, high, high],
            color=DIAGRAM_COLORS["ink"], lw=1.6, zorder=4)


def threshold_unit(kind: str = "mp", n_inputs: int = 3, ax=None):
    """The M-P neuron (``kind="mp"``) or Rosenblatt's perceptron (``kind="perceptron"``).

    Both draw inputs, weights on the connections, the weighted sum and the threshold function.
    The M-P neuron subtracts a threshold θ and outputs 0 or 1 through the step H; the perceptron
    adds a bias b (an input fixed at 1), outputs -1 or +1 through the sign function, and learns:
    a dashed arrow carries the update on a mistake back to the weights.
    """
    if kind not in THRESHOLD_KINDS:
        raise ValueError(f"kind: expected one of {THRESHOLD_KINDS}, got {kind!r}")
    ok = isinstance(n_inputs, numbers.Integral) and not isinstance(n_inputs, bool)
    if not ok or not 1 <= n_inputs <= 5:
        raise ValueError(f"n_inputs: expected an integer from 1 to 5, got {n_inputs!r}")
    perceptron = kind == "perceptron"
    height = 3.2 if perceptron else 2.7
    fig, ax = canvas(7.0, height, scale=0.95, ax=ax)
    mid = 1.35
    sum_at, act_at, out_at = (3.2, mid), (4.75, mid), (6.3, mid)
    n_rows = n_inputs + (1 if perceptron else 0)
    spread = min(2.3, 0.75 * (n_rows - 1))
    rows = list(np.linspace(mid + spread / 2, mid - spread / 2, n_rows))
    names = [f"$x_{i + 1}$" for i in range(n_inputs)] + (["$1$"] if perceptron else [])
    weights = [f"$w_{i + 1}$" for i in range(n_inputs)] + (["$b$"] if perceptron else [])
    for i, (y, name, weight) in enumerate(zip(rows, names, weights)):
        color = "neutral" if perceptron and i == n_inputs else "input"
        node(ax, (0.55, y), radius=0.28, text=name, color=color)
        arrow(ax, (0.55, y), sum_at, shrink=0.32, color="weight", linewidth=1.6)
        label(ax, (1.35, y + (sum_at[1] - y) * 0.27 + 0.16), weight, fontsize=10)
    _sum_node(ax, sum_at)
    sum_text = (r"$z = w^\top x + b$" if perceptron
                else r"$z = w_1 x_1 + \cdots + w_n x_n - \theta$")
    label(ax, (sum_at[0], sum_at[1] - 0.6), sum_text, fontsize=9.5)
    arrow(ax, sum_at, act_at, shrink=0.42, text="$z$")
    _activation_icon(ax, act_at, kind)
    act_text = "sign$(z)$" if perceptron else "step $H(z)$"
    label(ax, (act_at[0], act_at[1] - 0.6), act_text, fontsize=9.5)
    out_text = r"$\hat y$" if perceptron else "$y$"
    arrow(ax, act_at, out_at, shrink=0.45)
    node(ax, out_at, radius=0.3, text=out_text, color="output")
    values = r"$\hat y \in \{-1, +1\}$" if perceptron else r"$y \in \{0, 1\}$"
    label(ax, (out_at[0], out_at[1] - 0.6), values, fontsize=9.5)
    if perceptron:
        feedback = arrow(ax, (out_at[0], out_at[1] + 0.34), (1.6, 2.75),
                         color="output", linewidth=1.1)
        feedback.set_linestyle("--")
        feedback.set_connectionstyle("arc3,rad=0.2")
        label(ax, (4.0, 3.0), r"learning, on a mistake: $w \leftarrow w + \eta\, y\, x$"
              r", $b \leftarrow b + \eta\, y$", fontsize=9,
              color=DIAGRAM_COLORS["output"])
    return fig


def _check_vector(value, name, n=None):
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a 1-D sequence of numbers, got {value!r}") from None
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected a 1-D sequence of finite numbers, got {value!r}")
    if n is not None and arr.size != n:
        raise ValueError(f"{name}: expected {n} numbers (one per lamp), got {arr.size}")
    return arr


def traffic_light_neuron(x, w, b, lamps=("red", "yellow", "green"), ax=None):
    """Note 003's traffic-light neuron with its numbers: lamps x, weights w, bias b.

    The lamps with x_i = 1 are drawn lit; every connection carries its weight and its product
    w_i x_i; the sum node shows z = w·x + b computed here, and the output box says "go" if z > 0
    and "stop" otherwise (the step function with 1 read as go).
    """
    lamps = tuple(lamps)
    if not lamps or not all(name in LAMP_COLORS for name in lamps):
        raise ValueError(f"lamps: expected names from {tuple(LAMP_COLORS)}, got {lamps!r}")
    x = _check_vector(x, "x", len(lamps))
    if not np.all(np.isin(x, (0.0, 1.0))):
        raise ValueError(f"x: expected 0 (dark) or 1 (lit) per lamp, got {x.tolist()}")
    w = _check_vector(w, "w", len(lamps))
    ok = isinstance(b, numbers.Real) and not isinstance(b, bool) and np.isfinite(b)
    if not ok:
        raise ValueError(f"b: expected a finite number, got {b!r}")
    z = float(w @ x + b)
    decision = "go" if z > 0 else "stop"

    fig, ax = canvas(7.0, 3.3, scale=0.95, ax=ax)
    n = len(lamps)
    rows = np.linspace(2.75, 2.75 - 0.8 * (n - 1), n)
    housing_h = rows[0] - rows[-1] + 0.75
    box(ax, (0.45, rows.mean()), 0.7, housing_h, color="#333333")
    sum_at = (3.55, 1.55)
    for name, y, xi, wi in zip(lamps, rows, x, w):
        lit = LAMP_COLORS[name] if xi == 1 else DARK_LAMP
        node(ax, (0.45, y), radius=0.26, color=lit)
        label(ax, (0.9, y + 0.13), name, fontsize=9, ha="left")
        label(ax, (0.9, y - 0.14), f"$x = {_fmt(xi)}$", fontsize=9, ha="left")
        _feed(ax, (1.6, y), sum_at)
        above = y >= sum_at[1]            # label on the outer side of the arrow
        label(ax, (1.65, y + (0.1 if above else -0.1)), f"$w = {_fmt(wi)}$",
              fontsize=9, ha="left", va="bottom" if above else "top")
    bias_y = rows[-1] - 0.75
    node(ax, (1.6, bias_y), radius=0.2, text="1", fontsize=9)
    _feed(ax, (1.8, bias_y), sum_at)
    label(ax, (2.3, bias_y - 0.02), f"$b = {_fmt(b)}$", fontsize=9, ha="left",
          va="top")
    _sum_node(ax, sum_at)
    terms = " + ".join(f"({_fmt(wi)})({_fmt(xi)})" for wi, xi in zip(w, x))
    sign = "+" if b >= 0 else "\N{MINUS SIGN}"
    label(ax, (4.9, 2.95), f"$z = w^\\top x + b = {terms} {sign} {_fmt(abs(b))}$",
          fontsize=9)
    label(ax, (4.9, 2.6), f"$z = {_fmt(z)}$", fontsize=10, weight="bold")
    act_at = (5.1, 1.55)
    arrow(ax, sum_at, act_at, shrink=0.42)
    _activation_icon(ax, act_at, "mp", width=0.8, height=0.65)
    label(ax, (act_at[0], act_at[1] - 0.55), "go if $z > 0$", fontsize=9)
    out_color = LAMP_COLORS["green"] if decision == "go" else LAMP_COLORS["red"]
    arrow(ax, (act_at[0] + 0.42, act_at[1]), (6.15, act_at[1]))
    box(ax, (6.55, 1.55), 0.75, 0.5, text=decision, color=out_color,
        fontsize=12, text_color="white")
    return fig
