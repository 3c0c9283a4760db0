"""AdamW: Adam with *decoupled* weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

``Adam(weight_decay=wd)`` adds ``wd * p`` to the gradient (an L2 penalty), so the decay passes
through Adam's per-coordinate scaling: a weight with large gradients is hardly decayed at all.
AdamW shrinks the weights directly, ``p <- (1 - lr * wd) p``, before the Adam step, so every weight
decays at the same relative rate whatever its gradient history.
"""
from __future__ import annotations

from .first_order import Adam


class AdamW(Adam):
    """Adam with decoupled weight decay (torch's defaults: ``weight_decay=1e-2``).

        p <- p * (1 - lr * weight_decay)                  (decoupled decay)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)      (t = 1, 2, ...)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def update(self, p, g, state):
        if self.weight_decay != 0.0:
            p.data *= 1.0 - self.lr * self.weight_decay
        self._adam_step(p, g, state)
