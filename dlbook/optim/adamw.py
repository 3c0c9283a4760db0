"""AdamW: Adam with *decoupled* weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

``Adam(weight_decay=wd)`` adds ``wd * p`` to the gradient (an L2 penalty), so the decay passes
through Adam's per-coordinate scaling: a weight with large gradients is hardly decayed at all.
AdamW shrinks the weights directly, ``p <- (1 - lr * wd) p``, before the Adam step, so every weight
decays at the same relative rate whatever its gradient history.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_positive_float, check_unit_interval
from .first_order import Optimizer


class AdamW(Optimizer):
    """Adam with decoupled weight decay (torch's defaults: ``weight_decay=1e-2``).

        p <- p * (1 - lr * weight_decay)                  (decoupled decay)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)      (t = 1, 2, ...)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)
    """

    hyperparameters = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas: expected a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (check_unit_interval(beta1, "betas[0]"),
                      check_unit_interval(beta2, "betas[1]"))
        self.eps = check_positive_float(eps, "eps")
        self.weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)

    def update(self, p, g, state):
        beta1, beta2 = self.betas
        if self.weight_decay != 0.0:
            p.data *= 1.0 - self.lr * self.weight_decay
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data),
                         exp_avg_sq=np.zeros_like(p.data))
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * (g * g)
        step_size = self.lr / (1.0 - beta1**t)
        denom = np.sqrt(v) / np.sqrt(1.0 - beta2**t) + self.eps
        p.data -= step_size * (m / denom)
