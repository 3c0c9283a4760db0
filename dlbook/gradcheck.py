"""Finite-difference gradient checks for the from-scratch engine.

A backward pass computes a vector-Jacobian product: given an upstream gradient u = dL/dy, it returns
u^T (dy/dx). We check exactly that quantity, numerically, as the gradient of the scalar <f(x), u>:

    d<f(x), u>/dx_i  ~  (<f(x + h e_i), u> - <f(x - h e_i), u>) / (2h)

with a *random* u. An upstream of ones is not enough: it only tests the column sums of the
Jacobian, and some layers have column sums of exactly zero (BatchNorm's dx is 0 for a ones
upstream), so a broken backward that returns zeros would pass. Checks run in float64: with
h = 1e-6 central differences reach ~1e-9 relative error, float32 only ~1e-3.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def relative_error(a, b) -> float:
    """||a - b|| / (||a|| + ||b||), in float64; 0 when both are zero. Shapes must agree."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"b: expected shape {a.shape} (that of a), got {b.shape}")
    scale = max(np.linalg.norm(a.ravel()) + np.linalg.norm(b.ravel()), np.finfo(np.float64).tiny)
    return float(np.linalg.norm((a - b).ravel()) / scale)


def numerical_vjp(f, x, upstream, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of <f(x), upstream> with respect to x, in float64.

    Loops over the entries of x (two calls of f each), so keep x small. ``f`` receives a fresh
    copy every time and may keep a reference to it.
    """
    if not callable(f):
        raise ValueError(f"f: expected a function of x, got {type(f).__name__}")
    x = np.array(x, dtype=np.float64)
    upstream = np.asarray(upstream, dtype=np.float64)
    out_shape = np.shape(f(x.copy()))
    if upstream.shape != out_shape:  # a broadcast upstream would give a wrong, plausible gradient
        raise ValueError(f"upstream: expected the shape of f(x), {out_shape}, got {upstream.shape}")
    grad = np.empty_like(x)
    for i in range(x.size):
        shifted = []
        for step in (h, -h):
            xs = x.copy()
            xs.flat[i] += step
            shifted.append(np.sum(np.asarray(f(xs), dtype=np.float64) * upstream))
        grad.flat[i] = (shifted[0] - shifted[1]) / (2 * h)
    return grad


@dataclass
class GradCheckResult:
    """Relative errors between analytic and numerical gradients (input and each parameter)."""

    input_error: float
    param_errors: dict = field(default_factory=dict)

    @property
    def max_error(self) -> float:
        return max([self.input_error, *self.param_errors.values()])

    def passed(self, tol: float = 1e-7) -> bool:
        return self.max_error < tol

    def __str__(self) -> str:
        parts = [f"input: {self.input_error:.2e}"]
        parts += [f"{name}: {err:.2e}" for name, err in self.param_errors.items()]
        return f"relative errors ({', '.join(parts)}); max {self.max_error:.2e}"


def check_module(module, x, rng=None, h: float = 1e-6) -> GradCheckResult:
    """Compare a module's backward (dx and every parameter's grad) with numerical VJPs.

    The module is converted to float64 (``module.astype``) and evaluated in its current
    train/eval mode: pass eval mode for layers with randomness such as Dropout. The upstream
    gradient is random and read-only, so a backward that writes into it fails loudly. Afterwards
    the parameters and buffers (e.g. running statistics that each forward in train mode updates)
    are restored to their values before the check, and the gradients are zeroed.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    module.astype(np.float64)
    x = np.array(x, dtype=np.float64)
    saved_state = module.state_dict()
    params = dict(module.named_parameters())

    y = module.forward(x.copy())
    upstream = rng.standard_normal(np.shape(y))
    upstream.setflags(write=False)
    module.zero_grad()
    dx = module.backward(upstream)
    analytic = {name: p.grad.copy() for name, p in params.items()}

    input_error = relative_error(dx, numerical_vjp(module.forward, x, upstream, h))
    param_errors = {}
    for name, p in params.items():
        original = p.data

        def output_with(value, p=p):
            p.data = value
            return module.forward(x.copy())

        param_errors[name] = relative_error(analytic[name], numerical_vjp(output_with, original, upstream, h))
        p.data = original

    module.load_state_dict(saved_state)
    return GradCheckResult(input_error, param_errors)


def check_loss(loss, pred, target, h: float = 1e-6) -> GradCheckResult:
    """Compare a loss's backward with the numerical gradient of the scalar loss, in float64.

    A loss is a scalar, so its upstream gradient is just 1. Integer targets (class labels) are
    kept as they are; floating targets are converted to float64 like ``pred``.
    """
    pred = np.array(pred, dtype=np.float64)
    target = np.asarray(target)
    if np.issubdtype(target.dtype, np.floating):
        target = target.astype(np.float64)
    loss.forward(pred.copy(), target)
    analytic = loss.backward()
    numeric = numerical_vjp(lambda p: loss.forward(p, target), pred, 1.0, h)
    loss.forward(pred.copy(), target)  # leave the cache of the checked point, not of a shifted one
    return GradCheckResult(relative_error(analytic, numeric))
