"""The fully connected layer y = x W^T + b, with torch's weight layout (out, in)."""
from __future__ import annotations

import numpy as np

from .._validate import (check_bool, check_dtype, check_float_array, check_grad_out, check_input_dtype,
                         check_positive_int)
from .init import get_initializer
from .module import Module, Parameter


class Linear(Module):
    """Affine map of a batch of row vectors: ``x`` (N, in) -> ``y`` (N, out).

    Backward, for an upstream gradient G = dL/dy:
    dL/dx = G W,  dL/dW = G^T x (summed over the batch by the product),  dL/db = sum of G's rows.

    ``input_grad=False`` skips dL/dx (backward returns None) for a network's first layer, whose
    input is data: torch skips that product too, and it is a third of the layer's backward work.
    """

    def __init__(self, in_features, out_features, bias=True, init="he", rng=None, dtype=np.float32,
                 input_grad=True):
        super().__init__()
        self.in_features = check_positive_int(in_features, "in_features")
        self.out_features = check_positive_int(out_features, "out_features")
        check_bool(bias, "bias")
        dtype = check_dtype(dtype)
        self.weight = Parameter(get_initializer(init)((self.out_features, self.in_features), rng, dtype))
        if bias:
            self.bias = Parameter(np.zeros(self.out_features, dtype=dtype))
        else:
            self.bias = None
        self.input_grad = check_bool(input_grad, "input_grad")
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_float_array(x, "x", ndim=2, last_dim=self.in_features)
        check_input_dtype(x, self.weight.dtype)
        self._x = x
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._x
        if x is None:
            raise RuntimeError("Linear.backward called before forward")
        check_grad_out(grad_out, (x.shape[0], self.out_features), x.dtype)
        self.weight.grad += grad_out.T @ x
        if self.bias is not None:
            self.bias.grad += grad_out.sum(axis=0)
        return grad_out @ self.weight.data if self.input_grad else None

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

