"""Diagrams for the optimiser chapter: the vector picture of a momentum and a Nesterov step.

The arrows are computed, not sketched: given a gradient function, a point, the velocity carried
over from the last step, the learning rate and the momentum coefficient, each panel draws the
momentum step ``mu v``, the gradient step ``-lr * grad`` (at the point for momentum, at the
look-ahead point ``theta + mu v`` for Nesterov) and their sum, the actual step (the picture of
the CS231n notes, drawn from real numbers).
"""
from __future__ import annotations

import numpy as np

from dlbook.diagrams.base import DIAGRAM_COLORS, arrow, canvas, label, node

STEP_COLORS = {"momentum": DIAGRAM_COLORS["activation"], "gradient": DIAGRAM_COLORS["output"],
               "actual": DIAGRAM_COLORS["sum"]}


def _vector(value, name):
    v = np.asarray(value, dtype=float)
    if v.shape != (2,) or not np.all(np.isfinite(v)):
        raise ValueError(f"{name}: expected two finite numbers (a point in the plane), got {value!r}")
    return v


def momentum_steps(grad, theta, velocity, lr, mu=0.9, nesterov=False):
    """The three vectors of one step: ``{"momentum", "gradient", "actual"}`` (physics form,
    ``v_new = mu v - lr grad``). Nesterov takes the gradient at ``theta + mu v``."""
    theta, velocity = _vector(theta, "theta"), _vector(velocity, "velocity")
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"lr: expected a number > 0, got {lr!r}")
    if not (isinstance(mu, (int, float)) and 0 <= mu < 1):
        raise ValueError(f"mu: expected a number in [0, 1), got {mu!r}")
    momentum = mu * velocity
    where = theta + momentum if nesterov else theta
    gradient = -lr * _vector(grad(where), "grad(theta)")
    return {"momentum": momentum, "gradient": gradient, "actual": momentum + gradient}


def _side_label(ax, start, end, text, color, away_from, offset):
    """Text beside the middle of the arrow start -> end, on the side away from ``away_from``."""
    mid = (np.asarray(start) + np.asarray(end)) / 2
    d = np.asarray(end) - np.asarray(start)
    normal = np.array([-d[1], d[0]]) / max(float(np.hypot(*d)), 1e-12)
    if normal @ (mid - away_from) < 0:
        normal = -normal
    xy = mid + offset * normal
    ha = "left" if normal[0] > 0.3 else "right" if normal[0] < -0.3 else "center"
    va = "bottom" if normal[1] > 0.3 else "top" if normal[1] < -0.3 else "center"
    label(ax, xy, text, fontsize=8, ha=ha, va=va, color=color)


def momentum_vs_nesterov(grad, theta, velocity, lr, mu=0.9, size=(7.0, 3.2)):
    """Two panels, momentum and Nesterov, each with the momentum step (green), the gradient step
    (red) and the actual step (blue) from the same point and velocity; returns the figure."""
    import matplotlib.pyplot as plt

    theta = _vector(theta, "theta")
    panels = {name: momentum_steps(grad, theta, velocity, lr, mu, nesterov=(name == "Nesterov"))
              for name in ("Momentum", "Nesterov")}
    points = [theta] + [theta + v for steps in panels.values() for v in
                        (steps["momentum"], steps["actual"], steps["gradient"])]
    low, high = np.min(points, axis=0), np.max(points, axis=0)
    pad = 0.3 * max(float(np.max(high - low)), 1e-9)
    width, height = float(high[0] - low[0]) + 2 * pad, float(high[1] - low[1]) + 2 * pad
    origin = theta - low + pad                       # theta in canvas coordinates
    offset = 0.04 * max(width, height)
    fig, axes = plt.subplots(1, 2, figsize=size, layout="none")
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9, wspace=0.05)
    for ax, (name, steps) in zip(axes, panels.items()):
        canvas(width, height, ax=ax)
        node(ax, origin, radius=0.025 * max(width, height), color="neutral")
        m_end = origin + steps["momentum"]
        g_start = m_end if name == "Nesterov" else origin
        g_end = g_start + steps["gradient"]
        a_end = origin + steps["actual"]
        centre = (origin + m_end + a_end + g_end) / 4
        arrow(ax, origin, m_end, color=STEP_COLORS["momentum"], linewidth=2)
        arrow(ax, g_start, g_end, color=STEP_COLORS["gradient"], linewidth=2)
        arrow(ax, origin, a_end, color=STEP_COLORS["actual"], linewidth=2)
        _side_label(ax, origin, m_end, "momentum step", STEP_COLORS["momentum"], centre, offset)
        text = "gradient step\nat look-ahead" if name == "Nesterov" else "gradient step"
        _side_label(ax, g_start, g_end, text, STEP_COLORS["gradient"], centre, offset)
        _side_label(ax, origin, a_end, "actual step", STEP_COLORS["actual"],
                    g_end if name == "Nesterov" else m_end, offset)
        ax.set_title(f"{name} update", fontsize=10)
    return fig
