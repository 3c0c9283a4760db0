"""Pooling and flattening, built on the same im2col as the convolution.

Pooling treats every channel of every image on its own, so the batch is reshaped to
(N*C, 1, H, W): then ``im2col`` gives one column per window with its ``kh*kw`` values in
row-major window order, and pooling is a reduction over the rows of that matrix.
``col2im`` sends the gradient back and sums it where windows overlap (stride < kernel).
"""
from __future__ import annotations

import numpy as np

from .._validate import check_float_array, check_grad_out, check_pair
from .im2col import check_nchw, col2im, conv_output_size, im2col
from .module import Module


class _Pool2d(Module):
    """Shared bookkeeping: window geometry and the (N*C, 1, H, W) <-> NCHW reshapes."""

    def __init__(self, kernel_size, stride=None):
        super().__init__()
        self.kernel_size = check_pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else check_pair(stride, "stride")
        self._x_shape = self._y_shape = self._dtype = None

    def _windows(self, x: np.ndarray) -> np.ndarray:
        """One column per pooling window: shape (kh*kw, out_h*out_w*N*C)."""
        check_nchw(x, "x")
        n, c, h, w = x.shape
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        self._x_shape, self._dtype = x.shape, x.dtype
        self._y_shape = (n, c, conv_output_size(h, kh, sh), conv_output_size(w, kw, sw))
        return im2col(x.reshape(n * c, 1, h, w), kh, kw, self.stride)

    def _to_nchw(self, row: np.ndarray) -> np.ndarray:
        """A row of per-window results, ordered (oh, ow, n, c), as an (N, C, out_h, out_w) array."""
        n, c, out_h, out_w = self._y_shape
        return np.ascontiguousarray(row.reshape(out_h, out_w, n, c).transpose(2, 3, 0, 1))

    def _to_row(self, grad_out: np.ndarray) -> np.ndarray:
        """Inverse of ``_to_nchw``: the upstream gradient in window-column order (oh, ow, n, c)."""
        if self._y_shape is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        check_grad_out(grad_out, self._y_shape, self._dtype)
        return grad_out.transpose(2, 3, 0, 1).reshape(-1)

    def _back_to_input(self, dcols: np.ndarray) -> np.ndarray:
        n, c, h, w = self._x_shape
        (kh, kw) = self.kernel_size
        return col2im(dcols, (n * c, 1, h, w), kh, kw, self.stride).reshape(n, c, h, w)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class MaxPool2d(_Pool2d):
    """Maximum over each window; the gradient goes to the winner only.

    On ties the *first* maximum in row-major window order wins (``argmax`` semantics), as in
    torch, so an all-equal window sends its whole gradient to its top-left element.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        cols = self._windows(x)
        self._argmax = cols.argmax(axis=0)                 # first maximum of each window
        return self._to_nchw(cols[self._argmax, np.arange(cols.shape[1])])

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._to_row(grad_out)
        kh, kw = self.kernel_size
        dcols = np.zeros((kh * kw, g.size), dtype=g.dtype)
        dcols[self._argmax, np.arange(g.size)] = g         # one winner per column: no repeats
        return self._back_to_input(dcols)


class AvgPool2d(_Pool2d):
    """Mean over each window; every element of a window gets 1/(kh*kw) of its gradient."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self._to_nchw(self._windows(x).mean(axis=0))

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        g = self._to_row(grad_out)
        kh, kw = self.kernel_size
        share = g / np.asarray(kh * kw, dtype=g.dtype)
        return self._back_to_input(np.broadcast_to(share, (kh * kw, g.size)))


class Flatten(Module):
    """(N, d1, d2, ...) -> (N, d1*d2*...), as torch.nn.Flatten(start_dim=1); backward reshapes back."""

    def __init__(self):
        super().__init__()
        self._x_shape = self._dtype = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_float_array(x, "x")
        if x.ndim < 2:
            raise ValueError(f"x: expected an array with a batch axis and at least one more, (N, ...), "
                             f"got shape {x.shape}")
        self._x_shape, self._dtype = x.shape, x.dtype
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self._x_shape is None:
            raise RuntimeError("Flatten.backward called before forward")
        n = self._x_shape[0]
        check_grad_out(grad_out, (n, int(np.prod(self._x_shape[1:]))), self._dtype)
        return grad_out.reshape(self._x_shape)
