"""2-D convolution as im2col followed by one matrix product.

Like torch (and every deep-learning library) the layer computes a *cross-correlation*: the
kernel is not flipped. With ``cols = im2col(x)`` of shape (C*kh*kw, L), L = out_h*out_w*N,
and the weight seen as a matrix ``Wm`` of shape (out, C*kh*kw):

    forward:   Y = Wm @ cols + b                 (out, L), reshaped to (N, out, out_h, out_w)
    backward:  dWm = G @ cols.T                  (G: the upstream gradient as an (out, L) matrix)
               db  = G summed over its columns
               dx  = col2im(Wm.T @ G)            (col2im adds overlapping windows' shares)
"""
from __future__ import annotations

import numpy as np

from .._validate import (check_bool, check_dtype, check_grad_out, check_input_dtype, check_pair,
                         check_positive_int)
from .im2col import check_nchw, col2im, conv_output_size, im2col
from .init import get_initializer
from .module import Module, Parameter


class Conv2d(Module):
    """Convolution of a batch of images (N, C_in, H, W) -> (N, C_out, H_out, W_out).

    ``kernel_size``, ``stride`` and ``padding`` are ints or (height, width) pairs, as in torch;
    padding adds zeros. Weight (out_channels, in_channels, kh, kw), bias (out_channels,) zeros.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 init="he", rng=None, dtype=np.float32):
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels")
        self.out_channels = check_positive_int(out_channels, "out_channels")
        self.kernel_size = check_pair(kernel_size, "kernel_size")
        self.stride = check_pair(stride, "stride")
        self.padding = check_pair(padding, "padding", minimum=0)
        check_bool(bias, "bias")
        dtype = check_dtype(dtype)
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        self.weight = Parameter(get_initializer(init)(shape, rng, dtype))
        self.bias = Parameter(np.zeros(self.out_channels, dtype=dtype)) if bias else None
        self._cols = None
        self._x_shape = None
        self._y_shape = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_nchw(x, "x", channels=self.in_channels)
        check_input_dtype(x, self.weight.dtype)
        n, _, h, w = x.shape
        kh, kw = self.kernel_size
        out_h = conv_output_size(h, kh, self.stride[0], self.padding[0])
        out_w = conv_output_size(w, kw, self.stride[1], self.padding[1])
        cols = im2col(x, kh, kw, self.stride, self.padding)           # (C*kh*kw, out_h*out_w*N)

        y = self.weight.data.reshape(self.out_channels, -1) @ cols    # (out, out_h*out_w*N)
        if self.bias is not None:
            y += self.bias.data[:, None]
        self._cols, self._x_shape = cols, x.shape
        self._y_shape = (n, self.out_channels, out_h, out_w)
        # Columns are ordered (oh, ow, n): move the batch axis back to the front (NCHW).
        return np.ascontiguousarray(y.reshape(self.out_channels, out_h, out_w, n).transpose(3, 0, 1, 2))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self._cols is None:
            raise RuntimeError("Conv2d.backward called before forward")
        check_grad_out(grad_out, self._y_shape, self._cols.dtype)

        # The upstream gradient in the column order of im2col: (out, out_h*out_w*N).
        g = np.ascontiguousarray(grad_out.transpose(1, 2, 3, 0)).reshape(self.out_channels, -1)
        self.weight.grad += (g @ self._cols.T).reshape(self.weight.shape)
        if self.bias is not None:
            self.bias.grad += g.sum(axis=1)
        dcols = self.weight.data.reshape(self.out_channels, -1).T @ g
        kh, kw = self.kernel_size
        return col2im(dcols, self._x_shape, kh, kw, self.stride, self.padding)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}")
