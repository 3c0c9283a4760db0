"""Inverted dropout: in training, zero each unit with probability p and scale the rest by 1/(1-p).

Scaling at training time keeps every unit's expected value unchanged, E[y] = x, so evaluation
needs no correction: the layer is the identity in eval mode. ``p`` is the *drop* probability,
as in torch. The mask comes from the layer's own ``numpy.random.Generator``, so a run is
reproducible from its seed (torch draws from its own generator: masks differ between the twins).
"""
from __future__ import annotations

import numpy as np

from .._validate import check_float_array, check_grad_out, check_probability, check_rng
from .module import Module


class Dropout(Module):
    """y = x * mask / (1 - p) with mask ~ Bernoulli(1 - p) in training; y = x in evaluation."""

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        self.p = check_probability(p, "p")
        self.rng = check_rng(rng)
        self._scaled_mask = None
        self._x_shape = self._dtype = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_float_array(x, "x")
        self._x_shape, self._dtype = x.shape, x.dtype
        if not self.training or self.p == 0.0:
            self._scaled_mask = None                      # identity: nothing to remember
            return x
        keep = self.rng.random(x.shape) >= self.p         # True with probability 1 - p
        self._scaled_mask = keep.astype(x.dtype) * np.asarray(1.0 / (1.0 - self.p), dtype=x.dtype)
        return x * self._scaled_mask

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self._x_shape is None:
            raise RuntimeError("Dropout.backward called before forward")
        check_grad_out(grad_out, self._x_shape, self._dtype)
        if self._scaled_mask is None:
            return grad_out
        return grad_out * self._scaled_mask

    def extra_repr(self) -> str:
        return f"p={self.p}"
