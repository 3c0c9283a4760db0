"""Learning-rate schedules: set ``optimizer.lr`` once per epoch (or per update, for a warm-up),
as ``torch.optim.lr_scheduler``.

Usage, as in torch: create the scheduler after the optimiser (epoch 0 keeps the initial rate
``base_lr``), then call ``scheduler.step()`` at the end of every epoch. Each schedule is written in
closed form ``lr(epoch)``; torch computes the same numbers recursively, so the two sequences agree
to rounding (about 1e-16 relative).
"""
from __future__ import annotations

import math

from .._validate import check_positive_float, check_positive_int


class LRScheduler:
    """Base class: ``step()`` advances ``last_epoch`` and writes ``lr_at(last_epoch)`` into the optimiser."""

    def __init__(self, optimizer):
        lr = getattr(optimizer, "lr", None)
        if not isinstance(lr, float):
            raise ValueError(f"optimizer: expected a dlbook optimiser with a float .lr, "
                             f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = lr
        self.last_epoch = 0

    def lr_at(self, epoch: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self) -> list:
        """The rate now in use, as a one-element list (torch's convention: one per param group)."""
        return [self.optimizer.lr]


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs:

        lr = base_lr * gamma**(epoch // step_size)
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        super().__init__(optimizer)
        self.step_size = check_positive_int(step_size, "step_size")
        self.gamma = check_positive_float(gamma, "gamma")

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch: ``lr = base_lr * gamma**epoch``."""

    def __init__(self, optimizer, gamma):
        super().__init__(optimizer)
        self.gamma = check_positive_float(gamma, "gamma")

    def lr_at(self, epoch):
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs:

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    Past ``T_max`` the cosine climbs back up again (torch does the same, without restarts).
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        super().__init__(optimizer)
        self.T_max = check_positive_int(T_max, "T_max")
        self.eta_min = check_positive_float(eta_min, "eta_min", allow_zero=True)

    def lr_at(self, epoch):
        cosine = (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


class LinearLR(LRScheduler):
    """Linear warm-up: the factor on ``base_lr`` moves from ``start_factor`` to ``end_factor``
    over ``total_iters`` calls of ``step()``, then stays at ``end_factor``:

        lr = base_lr * (start_factor
                        + (end_factor - start_factor) * min(epoch, total_iters) / total_iters)

    Unlike the decays above it changes the rate at once: creating it writes
    ``base_lr * start_factor`` into the optimiser (torch does the same). Warm-up is usually
    stepped once per *update*, not per epoch, for the first few hundred updates.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        super().__init__(optimizer)
        start = check_positive_float(start_factor, "start_factor")
        if start > 1.0:
            raise ValueError(f"start_factor: expected a number in (0, 1], got {start_factor!r}")
        end = check_positive_float(end_factor, "end_factor", allow_zero=True)
        if end > 1.0:
            raise ValueError(f"end_factor: expected a number in [0, 1], got {end_factor!r}")
        self.start_factor, self.end_factor = start, end
        self.total_iters = check_positive_int(total_iters, "total_iters")
        self.optimizer.lr = self.lr_at(0)

    def lr_at(self, epoch):
        progress = min(epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return self.base_lr * factor
