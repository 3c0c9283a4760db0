"""L-BFGS, following ``torch.optim.LBFGS`` rule for rule, with a fixed step or torch's strong
Wolfe line search (``line_search_fn="strong_wolfe"``).

L-BFGS never forms a matrix. It keeps the last ``history_size`` pairs

    s_k = x_{k+1} - x_k   (steps)      y_k = g_{k+1} - g_k   (gradient changes)

and computes the quasi-Newton direction ``d = -H g`` with the *two-loop recursion*, starting
from the scaled identity ``H_0 = (s'y / y'y) I`` of the newest pair. Without a line search every
iteration moves ``x <- x + t d`` with a fixed step ``t = lr``, except the very first iteration of
a run, whose step is ``min(1, 1/||g||_1) * lr`` (the raw gradient has no sensible scale yet).
With ``line_search_fn="strong_wolfe"`` that step is only the first trial of a line search
(:func:`strong_wolfe`, a port of torch's, itself from minFunc) that brackets and then zooms in on
a step satisfying the strong Wolfe conditions.
"""
from __future__ import annotations

import math

import numpy as np

from .._validate import check_positive_float, check_positive_int
from .first_order import Optimizer


def two_loop_direction(g, s_hist, y_hist, rho_hist, H_diag):
    """Return ``d = -H g``, H the L-BFGS inverse-Hessian approximation (rho_i = 1 / y_i's_i)."""
    q = -g
    alpha = [0.0] * len(s_hist)
    for i in reversed(range(len(s_hist))):      # newest pair first
        alpha[i] = (s_hist[i] @ q) * rho_hist[i]
        q -= alpha[i] * y_hist[i]
    r = q * H_diag                               # apply H_0 = (s'y / y'y) I
    for i in range(len(s_hist)):                 # oldest pair first
        beta = (y_hist[i] @ r) * rho_hist[i]
        r += (alpha[i] - beta) * s_hist[i]
    return r


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, slope g1) and (x2, f2, slope g2), clipped to
    ``bounds`` (default: the interval between x1 and x2); the midpoint if the cubic has none."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def strong_wolfe(obj_func, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                 max_ls=25):
    """Line search along ``d`` for a step ``t`` with sufficient decrease and a flat enough slope:

        f(x + t d) <= f + c1 t g'd     and     |g(x + t d)'d| <= -c2 g'd   (strong Wolfe)

    ``obj_func(t)`` returns ``(f, g)`` at ``x + t d``. First it grows ``t`` until an interval
    brackets such a step, then shrinks the bracket by cubic interpolation ("zoom"); at most
    ``max_ls`` evaluations. Returns ``(f_new, g_new, t, evaluations)``. A step-by-step port of
    torch's ``_strong_wolfe``, so that the two take the same steps.
    """
    d_norm = float(np.abs(d).max())
    g = g.copy()
    f_new, g_new = obj_func(t)
    ls_func_evals = 1
    gtd_new = float(g_new @ d)

    # --- bracketing phase
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)          # extrapolate, at most 10 times further
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                              bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(t)
        ls_func_evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # --- zoom phase: shrink the bracket until a point satisfies both conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                              bracket[1], bracket_f[1], bracket_gtd[1])
        # a trial too close to an end of the bracket is moved 10% of its width inside
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(t)
        ls_func_evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new      # t becomes the high end
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new        # t becomes the low end
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


class LBFGS(Optimizer):
    """Limited-memory BFGS; ``step(closure)`` runs up to ``max_iter`` iterations.

    ``closure()`` must zero the gradients, recompute the loss and the gradients, and return the
    loss. One ``step`` stops early, as torch's does, when

    * the largest gradient entry is ``<= tolerance_grad`` (also checked before the first move),
    * the directional derivative ``g'd > -tolerance_change`` (no descent left),
    * the largest entry of the move ``t d`` or the change in loss is below ``tolerance_change``,
    * the closure has been called ``max_eval`` times (default ``max_iter * 5 // 4``).

    A pair (s, y) is stored only when ``y's > 1e-10`` (curvature condition), which keeps the
    implicit H positive definite. The history and the last step survive between ``step`` calls
    in ``self.state[0]`` (torch keeps it on the first parameter too).

    ``line_search_fn=None`` moves by the fixed step ``lr`` along the direction;
    ``"strong_wolfe"`` searches along it with :func:`strong_wolfe`, starting from that step,
    within the ``max_eval`` evaluations left in this ``step`` call.
    """

    hyperparameters = ("lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change",
                       "history_size", "line_search_fn")

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        super().__init__(params, lr)
        self.max_iter = check_positive_int(max_iter, "max_iter")
        self.max_eval = check_positive_int(self.max_iter * 5 // 4 if max_eval is None else max_eval,
                                           "max_eval")
        self.tolerance_grad = check_positive_float(tolerance_grad, "tolerance_grad", allow_zero=True)
        self.tolerance_change = check_positive_float(tolerance_change, "tolerance_change",
                                                     allow_zero=True)
        self.history_size = check_positive_int(history_size, "history_size")
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"line_search_fn: expected None (fixed step lr) or 'strong_wolfe', "
                             f"got {line_search_fn!r}")
        self.line_search_fn = line_search_fn

    # ----- the parameters seen as one flat vector x
    def _flat_grad(self) -> np.ndarray:
        return np.concatenate([np.asarray(p.grad, dtype=p.data.dtype).ravel() for p in self.params])

    def _move(self, t, d) -> None:
        """x <- x + t d, in place, parameter by parameter."""
        offset = 0
        for p in self.params:
            n = p.data.size
            p.data += t * d[offset:offset + n].reshape(p.data.shape)
            offset += n

    def _directional_evaluate(self, closure, x0, t, d):
        """Loss and flat gradient at ``x0 + t d``; the parameters are put back to ``x0``."""
        self._move(t, d)
        loss = float(closure())
        g = self._flat_grad()
        for p, saved in zip(self.params, x0):
            p.data[...] = saved
        return loss, g

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; return the loss at the starting point."""
        if not callable(closure):
            raise ValueError("closure: expected a function that zeroes the gradients, recomputes "
                             "the loss and gradients and returns the loss")
        with np.errstate(over="ignore", invalid="ignore"):
            return self._step(closure)

    def _step(self, closure):
        state = self.state[0]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if np.abs(g).max() <= self.tolerance_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        s_hist, y_hist, rho_hist = state.get("s"), state.get("y"), state.get("rho")
        H_diag, prev_g, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < self.max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # --- direction: steepest descent at the very start, L-BFGS afterwards
            if state["n_iter"] == 1:
                d = -g
                s_hist, y_hist, rho_hist = [], [], []
                H_diag = 1.0
            else:
                y = g - prev_g
                s = d * t
                ys = y @ s
                if ys > 1e-10:                      # curvature condition, else skip the update
                    if len(s_hist) == self.history_size:
                        s_hist.pop(0), y_hist.pop(0), rho_hist.pop(0)
                    s_hist.append(s), y_hist.append(y), rho_hist.append(1.0 / ys)
                    H_diag = ys / (y @ y)
                d = two_loop_direction(g, s_hist, y_hist, rho_hist, H_diag)
            prev_g = g.copy()
            prev_loss = loss

            # --- step length: fixed, except a gradient-scaled first step
            t = min(1.0, 1.0 / np.abs(g).sum()) * self.lr if state["n_iter"] == 1 else self.lr
            gtd = g @ d
            if gtd > -self.tolerance_change:        # not a descent direction any more
                break

            ls_evals = 0
            if self.line_search_fn == "strong_wolfe":
                x0 = [p.data.copy() for p in self.params]
                loss, g, t, ls_evals = strong_wolfe(
                    lambda step: self._directional_evaluate(closure, x0, step, d),
                    t, d, loss, g, float(gtd), max_ls=self.max_eval - evals)
                self._move(t, d)
            else:
                self._move(t, d)
                if n_iter != self.max_iter:         # torch skips the evaluation after the last move
                    loss = float(closure())
                    g = self._flat_grad()
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals

            # --- stopping rules, in torch's order
            if n_iter == self.max_iter or evals >= self.max_eval:
                break
            if np.abs(g).max() <= self.tolerance_grad:
                break
            if np.abs(d * t).max() <= self.tolerance_change:
                break
            if abs(loss - prev_loss) < self.tolerance_change:
                break

        state.update(d=d, t=t, s=s_hist, y=y_hist, rho=rho_hist, H_diag=H_diag,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)
        return orig_loss
