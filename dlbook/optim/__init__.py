"""Optimisers of the from-scratch engine, each matching its ``torch.optim`` twin step by step.

First-order (``step()`` after the gradients are in ``p.grad``): SGD, Momentum, Nesterov, AdaGrad,
RMSprop, Adam. L-BFGS (``step(closure)``). Newton, DFP and BFGS work on a flat vector with
callables ``f``, ``grad`` (and ``hess``) and return an ``OptimizeResult``. Learning-rate
schedules: StepLR, ExponentialLR, CosineAnnealingLR, LinearLR (warm-up). 2-D test functions:
``test_functions``.

AdamW: Adam with decoupled weight decay (``adamw``). ``clip_grad_norm``: gradient clipping by
the global norm (``clip``).
"""
from . import test_functions
from .adamw import AdamW
from .clip import clip_grad_norm
from .first_order import SGD, AdaGrad, Adam, Momentum, Nesterov, Optimizer, RMSprop
from .lbfgs import LBFGS
from .quasi_newton import OptimizeResult, armijo_line_search, bfgs, dfp, newton, wolfe_line_search
from .schedules import CosineAnnealingLR, ExponentialLR, LinearLR, LRScheduler, StepLR

__all__ = [
    "Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "LBFGS",
    "newton", "dfp", "bfgs", "OptimizeResult", "wolfe_line_search", "armijo_line_search",
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "test_functions",
    "AdamW", "clip_grad_norm",
]
