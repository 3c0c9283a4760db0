"""Gradient clipping by the global norm, as ``torch.nn.utils.clip_grad_norm_``.

An exploding gradient makes a single step throw the weights far away. Clipping rescales all
gradients together, so that their joint norm is at most ``max_norm``: the direction of the step
is kept and only its length is capped.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .first_order import check_params

__all__ = ["clip_grad_norm"]


def _check_norm_type(norm_type) -> float:
    if isinstance(norm_type, str) and norm_type.lower() == "inf":
        return math.inf
    ok = isinstance(norm_type, numbers.Real) and not isinstance(norm_type, bool)
    if not ok or math.isnan(norm_type) or norm_type <= 0:
        raise ValueError("norm_type: expected a number > 0 or inf (e.g. 2.0, 1.0, "
                         f"float('inf')), got {norm_type!r}")
    return float(norm_type)


def clip_grad_norm(params, max_norm, norm_type=2.0) -> float:
    """Scale every ``p.grad`` in place so that their total norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients joined into one vector (the
    largest absolute entry for ``inf``). As in torch, the gradients are multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``. Returns the total norm *before* clipping, a float
    (``nan`` or ``inf`` if a gradient is not finite; such gradients are not repaired).
    """
    if hasattr(params, "data") and hasattr(params, "grad"):
        params = [params]                      # a single Parameter, as torch allows a tensor
    params = check_params(params)
    ok = isinstance(max_norm, numbers.Real) and not isinstance(max_norm, bool)
    if not ok or not np.isfinite(max_norm) or max_norm <= 0:
        raise ValueError(f"max_norm: expected a finite number > 0, got {max_norm!r}")
    norm_type = _check_norm_type(norm_type)
    grads = []
    for i, p in enumerate(params):
        if p.grad is None:
            continue
        if np.shape(p.grad) != p.data.shape:
            raise ValueError(f"params[{i}].grad: expected shape {p.data.shape} (that of "
                             f"params[{i}].data), got {np.shape(p.grad)}")
        grads.append(p)
    if not grads:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        if norm_type == math.inf:
            norms = [np.max(np.abs(p.grad)) for p in grads]
            total = float(np.max(norms))
        else:
            norms = [np.linalg.norm(np.ravel(p.grad), ord=norm_type) for p in grads]
            total = float(np.linalg.norm(np.array(norms, dtype=np.float64),
                                         ord=norm_type))
        coef = max_norm / (total + 1e-6)
        coef = coef if coef < 1.0 or math.isnan(coef) else 1.0
        for p in grads:
            p.grad *= np.asarray(coef, dtype=p.grad.dtype)
    return total
