"""Second-order methods on a flat vector x: Newton, DFP and BFGS, with Wolfe/Armijo line searches.

Every method iterates ``x <- x + alpha * d`` with a direction ``d = -H g`` (H an inverse Hessian
or an approximation of it) and stops when the gradient norm ``||g||_2 <= tol``. Each returns an
``OptimizeResult`` whose ``path`` holds every iterate, ready for a contour plot.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_positive_float, check_positive_int


@dataclass
class OptimizeResult:
    """x: final iterate; fun: f(x); nit: iterations taken; path: (nit + 1, n) array of iterates;
    converged: whether ``||grad(x)|| <= tol`` was reached within ``max_iter``."""

    x: np.ndarray
    fun: float
    nit: int
    path: np.ndarray
    converged: bool


# ----------------------------------------------------------------------------- line searches

def armijo_line_search(f, grad, x, d, fx, gx, c1=1e-4, shrink=0.5, max_iter=60):
    """Backtracking: halve alpha (from 1) until the sufficient-decrease (Armijo) condition

        f(x + alpha d) <= f(x) + c1 * alpha * g'd

    holds. Returns ``(alpha, f(x + alpha d), grad(x + alpha d))``. Armijo alone does not ensure
    the curvature ``y's > 0`` that DFP/BFGS need; they skip the update when it fails.
    """
    slope = gx @ d
    alpha, f_new = 1.0, f(x + d)
    for _ in range(max_iter):
        if f_new <= fx + c1 * alpha * slope:       # False for nan too: keep shrinking
            break
        alpha *= shrink
        f_new = f(x + alpha * d)
    return alpha, f_new, grad(x + alpha * d)


def wolfe_line_search(f, grad, x, d, fx, gx, c1=1e-4, c2=0.9, alpha_max=1e3, max_iter=50):
    """Find alpha satisfying the strong Wolfe conditions (Nocedal & Wright, Alg. 3.5 and 3.6):

        f(x + alpha d) <= f(x) + c1 * alpha * g'd           (sufficient decrease)
        |grad(x + alpha d)' d| <= c2 * |g'd|                 (curvature)

    Start at alpha = 1 and double until a step is too long or the slope turns non-negative, then
    ``zoom`` into the bracket, placing each trial at the minimiser of the quadratic through
    phi(lo), phi'(lo) and phi(hi) (safeguarded to the middle 80 %). The curvature condition
    gives ``y's > 0``, so DFP/BFGS keep H positive definite.
    Returns ``(alpha, f(x + alpha d), grad(x + alpha d))``.
    """

    def phi(alpha):
        x_a = x + alpha * d
        f_a, g_a = f(x_a), grad(x_a)
        return f_a, g_a, g_a @ d

    phi0, dphi0 = fx, gx @ d

    def zoom(lo, f_lo, g_lo, dphi_lo, hi, f_hi):
        for _ in range(max_iter):
            width = hi - lo
            denom = 2.0 * (f_hi - f_lo - dphi_lo * width)
            alpha = lo - dphi_lo * width**2 / denom if denom > 0 else lo + 0.5 * width
            low, high = sorted((lo + 0.1 * width, hi - 0.1 * width))
            alpha = min(max(alpha, low), high)
            f_a, g_a, dphi_a = phi(alpha)
            if not f_a <= phi0 + c1 * alpha * dphi0 or f_a >= f_lo:
                hi, f_hi = alpha, f_a
            else:
                if abs(dphi_a) <= -c2 * dphi0:
                    return alpha, f_a, g_a
                if dphi_a * (hi - lo) >= 0:
                    hi, f_hi = lo, f_lo
                lo, f_lo, g_lo, dphi_lo = alpha, f_a, g_a, dphi_a
        return lo, f_lo, g_lo                 # best point found: it satisfies sufficient decrease

    prev, f_prev, g_prev, dphi_prev = 0.0, phi0, gx, dphi0
    alpha = 1.0
    for i in range(max_iter):
        f_a, g_a, dphi_a = phi(alpha)
        if not f_a <= phi0 + c1 * alpha * dphi0 or (i > 0 and f_a >= f_prev):   # too long (or nan)
            return zoom(prev, f_prev, g_prev, dphi_prev, alpha, f_a)
        if abs(dphi_a) <= -c2 * dphi0:
            return alpha, f_a, g_a
        if dphi_a >= 0:
            return zoom(alpha, f_a, g_a, dphi_a, prev, f_prev)
        prev, f_prev, g_prev, dphi_prev = alpha, f_a, g_a, dphi_a
        alpha = min(2.0 * alpha, alpha_max)
    return alpha, f_a, g_a


LINE_SEARCHES = {"wolfe": wolfe_line_search, "armijo": armijo_line_search}


def _get_line_search(line_search, allow_none):
    if callable(line_search):
        return line_search
    if line_search is None and allow_none:
        return None
    if line_search in LINE_SEARCHES:
        return LINE_SEARCHES[line_search]
    options = ", ".join(repr(k) for k in LINE_SEARCHES) + (", None" if allow_none else "")
    raise ValueError(f"line_search: expected one of {options} or a function "
                     f"(f, grad, x, d, fx, gx) -> (alpha, f_new, g_new), got {line_search!r}")


def _check_x0(x0) -> np.ndarray:
    x = np.array(x0, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f"x0: expected a non-empty 1-D array of finite numbers, got {x0!r}")
    return x


# ----------------------------------------------------------------------------- the methods

def _minimize(f, grad, x0, direction, update, line_search, tol, max_iter):
    """Shared loop: d = direction(g); alpha from the line search (or 1); update(s, y)."""
    tol = check_positive_float(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    x = _check_x0(x0)
    for name, fn in (("f", f), ("grad", grad)):
        if not callable(fn):
            raise ValueError(f"{name}: expected a function of x, got {type(fn).__name__}")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        fx, g = float(f(x)), np.asarray(grad(x), dtype=np.float64)
        if g.shape != x.shape:  # checked once: a wrong grad fails here, not deep in a solver
            raise ValueError(f"grad: expected grad(x) of shape {x.shape} (the shape of x0), "
                             f"got {g.shape}")
        path, nit = [x.copy()], 0
        while nit < max_iter and not np.linalg.norm(g) <= tol:
            d = direction(x, g)
            if line_search is None:
                x_new = x + d
                f_new, g_new = float(f(x_new)), np.asarray(grad(x_new), dtype=np.float64)
            else:
                alpha, f_new, g_new = line_search(f, grad, x, d, fx, g)
                x_new, f_new, g_new = x + alpha * d, float(f_new), np.asarray(g_new, dtype=np.float64)
            update(x_new - x, g_new - g)
            x, fx, g = x_new, f_new, g_new
            path.append(x.copy())
            nit += 1
            if not np.isfinite(x).all():        # diverged: report it, do not raise
                break
    return OptimizeResult(x=x, fun=fx, nit=nit, path=np.array(path),
                          converged=bool(np.linalg.norm(g) <= tol))


def newton_direction(H, g, regularize=True, min_curvature=1e-8):
    """Solve ``H d = -g``. If H is not positive definite and ``regularize`` is True, use the
    *modified* Hessian ``Q |Lambda| Q'`` instead (each eigenvalue replaced by
    ``max(|lambda|, min_curvature)``): the step then always points downhill, and along a
    direction of negative curvature it goes *away* from a saddle instead of towards it.
    """
    H = 0.5 * (H + H.T)
    try:
        L = np.linalg.cholesky(H)                      # succeeds iff H is positive definite
        return -np.linalg.solve(L.T, np.linalg.solve(L, g))
    except np.linalg.LinAlgError:
        if not regularize:
            return -np.linalg.lstsq(H, g, rcond=None)[0]   # pure Newton: may head for a saddle
    lam, Q = np.linalg.eigh(H)
    lam = np.maximum(np.abs(lam), min_curvature)
    return -Q @ ((Q.T @ g) / lam)


def newton(f, grad, hess, x0, tol=1e-8, max_iter=100, line_search=None, regularize=True):
    """Newton's method: ``x <- x - alpha * H(x)^{-1} g(x)``, with alpha = 1 (``line_search=None``,
    the classical method: one step solves a quadratic) or from ``"wolfe"``/``"armijo"``.
    A non-positive-definite Hessian is replaced by its absolute-eigenvalue version (see
    ``newton_direction``) unless ``regularize=False``.
    """
    line_search = _get_line_search(line_search, allow_none=True)
    if not callable(hess):
        raise ValueError(f"hess: expected a function of x, got {type(hess).__name__}")

    def direction(x, g):
        H = np.asarray(hess(x), dtype=np.float64)
        if H.shape != (x.size, x.size):
            raise ValueError(f"hess: expected hess(x) of shape {(x.size, x.size)}, got {H.shape}")
        return newton_direction(H, g, regularize)

    return _minimize(f, grad, x0, direction, lambda s, y: None, line_search, tol, max_iter)


def dfp_update(H, s, y):
    """Davidon-Fletcher-Powell:  H <- H - (H y y' H) / (y' H y) + (s s') / (y' s)."""
    Hy = H @ y
    return H - np.outer(Hy, Hy) / (y @ Hy) + np.outer(s, s) / (y @ s)


def bfgs_update(H, s, y):
    """Broyden-Fletcher-Goldfarb-Shanno:  H <- (I - rho s y') H (I - rho y s') + rho s s',
    rho = 1 / (y' s)."""
    rho = 1.0 / (y @ s)
    V = np.eye(len(s)) - rho * np.outer(s, y)
    return V @ H @ V.T + rho * np.outer(s, s)


def _quasi_newton(f, grad, x0, inverse_update, tol, max_iter, line_search):
    """Quasi-Newton loop: d = -H g with H_0 = I; update H from (s, y) when y's > 0."""
    line_search = _get_line_search(line_search, allow_none=False)
    H = np.eye(np.size(x0))

    def update(s, y):
        nonlocal H
        if y @ s > 1e-12 * np.linalg.norm(s) * np.linalg.norm(y):   # curvature: keep H pos. def.
            H = inverse_update(H, s, y)

    return _minimize(f, grad, x0, lambda x, g: -H @ g, update, line_search, tol, max_iter)


def dfp(f, grad, x0, tol=1e-8, max_iter=200, line_search="wolfe"):
    """DFP quasi-Newton method: ``x <- x - alpha H g``, H updated by ``dfp_update``."""
    return _quasi_newton(f, grad, x0, dfp_update, tol, max_iter, line_search)


def bfgs(f, grad, x0, tol=1e-8, max_iter=200, line_search="wolfe"):
    """BFGS quasi-Newton method: ``x <- x - alpha H g``, H updated by ``bfgs_update``."""
    return _quasi_newton(f, grad, x0, bfgs_update, tol, max_iter, line_search)
