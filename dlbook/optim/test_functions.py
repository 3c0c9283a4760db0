"""Two-dimensional test functions for the optimiser chapter, with value, gradient and Hessian.

Each function takes a point ``x = (x, y)``: a NumPy array, a torch tensor (so a torch twin gets
its gradient from autograd), or a stack of two meshgrids of shape ``(2, H, W)`` for contour plots.
Values are written with plain arithmetic on ``x[0]`` and ``x[1]`` so the same formula serves all
three. NumPy overflow (a diverging run) gives ``inf``/``nan`` silently, never a warning.

* ``Quadratic``: ``f = 1/2 x'Ax``, eigenvalues 1 and ``condition`` (rotated by ``angle``);
  gradient descent zig-zags across the narrow valley.
* ``Rosenbrock``: ``f = (a - x)^2 + b (y - x^2)^2``; a curved banana valley, minimum at (a, a^2).
* ``Saddle``: ``f = x^2 - y^2 + c y^4``; a saddle at the origin, minima at (0, +-1/sqrt(2c)).
"""
from __future__ import annotations

import functools
import math

import numpy as np


def _stack(rows, like):
    """Stack the entries of a vector / matrix in the library of ``like`` (NumPy or torch)."""
    if type(like).__module__.startswith("torch"):
        import torch

        return torch.stack([torch.stack(list(r)) if isinstance(r, (list, tuple)) else r for r in rows])
    rows = [np.stack(np.broadcast_arrays(*r)) if isinstance(r, (list, tuple)) else r for r in rows]
    return np.stack(np.broadcast_arrays(*rows))


def _quiet(method):
    """Evaluate with NumPy's overflow/invalid warnings off: divergence shows as inf/nan."""

    @functools.wraps(method)
    def wrapper(self, x):
        with np.errstate(over="ignore", invalid="ignore"):
            return method(self, x)

    return wrapper


class TestFunction:
    """A 2-D function with ``value`` (also ``__call__``), ``grad`` and ``hess``.

    ``minimum``: a global minimiser (None if unbounded below); ``start``: the customary start
    point; ``bounds``: ``((xmin, xmax), (ymin, ymax))`` for plots.
    """

    __test__ = False  # not a pytest test class, despite the name
    name = ""
    minimum = None
    start = (0.0, 0.0)
    bounds = ((-2.0, 2.0), (-2.0, 2.0))

    def __call__(self, x):
        return self.value(x)

    def __repr__(self):
        return self.name


class Quadratic(TestFunction):
    """``f = 1/2 (a x^2 + 2 c x y + b y^2) = 1/2 x'Ax`` with ``A = R diag(1, condition) R'``."""

    def __init__(self, condition=10.0, angle=0.0):
        if not condition >= 1.0:
            raise ValueError(f"condition: expected a number >= 1, got {condition!r}")
        co, si = math.cos(angle), math.sin(angle)
        self.A = np.array([[co, -si], [si, co]]) @ np.diag([1.0, condition]) @ np.array([[co, si], [-si, co]])
        self.name = f"quadratic (condition {condition:g})"
        self.minimum, self.start = np.zeros(2), (-1.8, 0.6)

    @_quiet
    def value(self, x):
        (a, c), (_, b) = self.A.tolist()
        return 0.5 * (a * x[0] ** 2 + 2 * c * x[0] * x[1] + b * x[1] ** 2)

    @_quiet
    def grad(self, x):
        (a, c), (_, b) = self.A.tolist()
        return _stack([a * x[0] + c * x[1], c * x[0] + b * x[1]], x)

    def hess(self, x):
        zero = x[0] * 0    # the Hessian is constant; this gives it x's type and grid shape
        return _stack([[zero + float(self.A[i, j]) for j in range(2)] for i in range(2)], x)


class Rosenbrock(TestFunction):
    """``f = (a - x)^2 + b (y - x^2)^2``: minimum 0 at (a, a^2); start (-1.2, 1)."""

    def __init__(self, a=1.0, b=100.0):
        self.a, self.b = a, b
        self.name = "Rosenbrock"
        self.minimum, self.start = np.array([a, a * a]), (-1.2, 1.0)
        self.bounds = ((-2.0, 2.0), (-1.0, 3.0))

    @_quiet
    def value(self, x):
        return (self.a - x[0]) ** 2 + self.b * (x[1] - x[0] ** 2) ** 2

    @_quiet
    def grad(self, x):
        r = x[1] - x[0] ** 2
        return _stack([-2 * (self.a - x[0]) - 4 * self.b * x[0] * r, 2 * self.b * r], x)

    @_quiet
    def hess(self, x):
        dxx = 2 - 4 * self.b * (x[1] - 3 * x[0] ** 2)
        dxy = -4 * self.b * x[0]
        return _stack([[dxx, dxy], [dxy, x[0] * 0 + 2 * self.b]], x)


class Saddle(TestFunction):
    """``f = x^2 - y^2 + c y^4``: a saddle at the origin; for c > 0, minima -1/(4c) at
    (0, +-1/sqrt(2c)); ``c=0`` is the pure saddle ``x^2 - y^2`` (unbounded below)."""

    def __init__(self, c=0.5):
        if not c >= 0:
            raise ValueError(f"c: expected a number >= 0, got {c!r}")
        self.c = c
        self.name = "saddle"
        self.minimum = np.array([0.0, 1.0 / math.sqrt(2 * c)]) if c > 0 else None
        self.start = (1.5, 1e-3)

    @_quiet
    def value(self, x):
        return x[0] ** 2 - x[1] ** 2 + self.c * x[1] ** 4

    @_quiet
    def grad(self, x):
        return _stack([2 * x[0], -2 * x[1] + 4 * self.c * x[1] ** 3], x)

    @_quiet
    def hess(self, x):
        zero = x[0] * 0
        return _stack([[zero + 2, zero], [zero, -2 + 12 * self.c * x[1] ** 2]], x)
