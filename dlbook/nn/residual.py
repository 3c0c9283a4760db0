"""A residual (skip) connection: y = x + body(x).

The Jacobian is I + J_body, so the backward pass adds the upstream gradient, untouched, to what
flows back through the body: dL/dx = g + body.backward(g). The sum must be a *new* array.
Writing ``dx = body.backward(g); dx += g`` is the classic in-place bug: a body whose backward
returns ``g`` itself (an identity, a reshape, dropout in eval) would then double ``g`` in place,
corrupting the upstream array that other branches still read.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_float_array, check_grad_out
from .module import Module


class Residual(Module):
    """Wraps ``body`` (any Module whose output has its input's shape) with an identity shortcut."""

    def __init__(self, body: Module):
        super().__init__()
        if not isinstance(body, Module):
            raise ValueError(f"body: expected a dlbook Module, got {type(body).__name__}")
        self.body = body
        self._x_shape = self._dtype = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_float_array(x, "x")
        fx = self.body.forward(x)
        if np.shape(fx) != x.shape:
            raise ValueError(f"body: its output must have the input's shape {x.shape} to be added to it, "
                             f"got {np.shape(fx)}")
        self._x_shape, self._dtype = x.shape, x.dtype
        return x + fx

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self._x_shape is None:
            raise RuntimeError("Residual.backward called before forward")
        check_grad_out(grad_out, self._x_shape, self._dtype)
        return grad_out + self.body.backward(grad_out)    # a new array: grad_out stays as it was
