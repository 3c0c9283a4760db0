"""L-BFGS, following ``torch.optim.LBFGS`` (with ``line_search_fn=None``) rule for rule.

L-BFGS never forms a matrix. It keeps the last ``history_size`` pairs

    s_k = x_{k+1} - x_k   (steps)      y_k = g_{k+1} - g_k   (gradient changes)

and computes the quasi-Newton direction ``d = -H g`` with the *two-loop recursion*, starting
from the scaled identity ``H_0 = (s'y / y'y) I`` of the newest pair. Without a line search every
iteration moves ``x <- x + t d`` with a fixed step ``t = lr``, except the very first iteration of
a run, whose step is ``min(1, 1/||g||_1) * lr`` (the raw gradient has no sensible scale yet).
"""
from __future__ import annotations

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
    in ``self.state[0]`` (torch keeps it on the first parameter too). Only the fixed-step
    variant exists: ``line_search_fn="strong_wolfe"`` raises ValueError.
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
        if line_search_fn is not None:
            raise ValueError(f"line_search_fn: only None (fixed step lr) is implemented in dlbook, "
                             f"got {line_search_fn!r}; use torch.optim.LBFGS for 'strong_wolfe'")
        self.line_search_fn = None

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

            self._move(t, d)
            if n_iter != self.max_iter:             # torch skips the evaluation after the last move
                loss = float(closure())
                g = self._flat_grad()
                evals += 1
                state["func_evals"] += 1

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
