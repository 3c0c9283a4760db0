"""Loss functions: ``forward(pred, target) -> float`` caches, ``backward() -> dL/dpred``.

Means are taken like torch: MSE over every entry, cross-entropy over the batch, BCE over every
entry. Cross-entropy and BCE start from logits, so log and exp are fused into stable forms and
huge logits (1e4 in float32) give exact, finite losses instead of log(0).
"""
from __future__ import annotations

import numpy as np

from .._validate import check_float_array, check_same_shape
from .activations import log_softmax, sigmoid


class Loss:
    """Shared interface: ``loss(pred, target)`` is ``loss.forward(pred, target)``."""

    def __init__(self):
        self._cache = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, pred, target) -> float:
        return self.forward(pred, target)

    def _cached(self):
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _check_float_target(target, pred) -> np.ndarray:
    """A real-valued target: same shape as pred, floating; used in pred's dtype."""
    check_float_array(target, "target")
    check_same_shape(target, pred, "target", "pred")
    return target.astype(pred.dtype, copy=False)


class MSELoss(Loss):
    """L = mean (or sum) of (pred - target)^2; dL/dpred = 2 (pred - target) / n (n = 1 for "sum")."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction: expected 'mean' or 'sum', got {reduction!r}")
        self.reduction = reduction

    def forward(self, pred, target):
        check_float_array(pred, "pred")
        diff = pred - _check_float_target(target, pred)
        scale = 1 / diff.size if self.reduction == "mean" else 1.0
        self._cache = (diff, scale)
        return float(np.sum(diff * diff) * scale)

    def backward(self):
        diff, scale = self._cached()
        return (2 * scale) * diff

    def __repr__(self):
        return f"MSELoss(reduction={self.reduction!r})"


class CrossEntropyLoss(Loss):
    """Softmax and negative log-likelihood fused: L = mean_i [logsumexp(z_i) - z_i[y_i]].

    From logits (N, C) and integer class labels (N,). The gradient is (softmax(z) - onehot(y)) / N:
    probability mass taken from the right class and given to the wrong ones.
    """

    def forward(self, pred, target):
        check_float_array(pred, "pred", ndim=2)
        n, c = pred.shape
        target = np.asarray(target)
        if not np.issubdtype(target.dtype, np.integer):
            raise ValueError(f"target: expected integer class labels, got dtype {target.dtype}")
        if target.shape != (n,):
            raise ValueError(f"target: expected shape ({n},) (one label per row of pred), got {target.shape}")
        if target.min() < 0 or target.max() >= c:
            raise ValueError(f"target: expected labels in [0, {c}), got values in "
                             f"[{target.min()}, {target.max()}]")
        log_p = log_softmax(pred, axis=1)
        self._cache = (log_p, target)
        return float(-np.mean(log_p[np.arange(n), target]))

    def backward(self):
        log_p, target = self._cached()
        n = len(target)
        grad = np.exp(log_p)
        grad[np.arange(n), target] -= 1
        return grad / np.asarray(n, dtype=grad.dtype)


class BCEWithLogitsLoss(Loss):
    """Sigmoid and binary cross-entropy fused, mean over all entries.

    -[t log sigma(z) + (1 - t) log(1 - sigma(z))] = max(z, 0) - z t + log(1 + e^-|z|),
    a form with no overflow and no log(0). The gradient is (sigma(z) - t) / n.
    """

    def forward(self, pred, target):
        check_float_array(pred, "pred")
        target = _check_float_target(target, pred)
        if target.size and not (target.min() >= 0 and target.max() <= 1):  # NaN fails too
            raise ValueError("target: expected probabilities in [0, 1] (binary labels or soft "
                             f"targets), got values in [{target.min():g}, {target.max():g}]")
        self._cache = (pred, target)
        losses = np.maximum(pred, 0) - pred * target + np.log1p(np.exp(-np.abs(pred)))
        return float(np.mean(losses))

    def backward(self):
        pred, target = self._cached()
        return (sigmoid(pred) - target) / np.asarray(pred.size, dtype=pred.dtype)
