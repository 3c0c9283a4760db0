"""im2col and col2im: turn a convolution into one matrix product (GEMM).

A convolution slides a ``kh x kw`` window over every channel of every image. ``im2col`` copies
each window's ``C * kh * kw`` input values into one column of a matrix, so that all the dot
products of the layer become a single matrix product::

    W.reshape(out_channels, C * kh * kw) @ im2col(x, kh, kw, stride, padding)

``col2im`` is the adjoint (the transpose) of ``im2col``: it sends every entry of a column back to
the input pixel it was copied from and **adds** it there. A pixel that lies in several
overlapping windows receives the sum of all its copies' gradients, which is exactly what the
backward pass of a convolution (or a pooling layer) needs.

Column layout. Rows are indexed by ``(c, i, j)`` (channel, then kernel row and column), which
matches ``W.reshape(out_channels, -1)``. Columns are indexed by ``(oh, ow, n)``: output row,
output column, and the image in the batch *last*. Putting the batch innermost (the "CHWN"
layout of early GPU convolution libraries) means that for a fixed kernel offset ``(i, j)`` each
copy moves blocks of ``out_w * N`` neighbouring numbers instead of rows of ``out_w``; that made
im2col and col2im 2-3x faster than the image-major layout on the book's CPU (see
benchmarks/speed.py). Both functions loop only over the ``kh * kw`` kernel offsets; each step
moves one strided block of the whole batch at once, and never upcasts float32 to float64.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_float_array, check_pair, check_positive_int


def conv_output_size(size, kernel, stride=1, padding=0) -> int:
    """Number of window positions along one axis: floor((size + 2 * padding - kernel) / stride) + 1."""
    size = check_positive_int(size, "size")
    kernel = check_positive_int(kernel, "kernel_size")
    stride = check_positive_int(stride, "stride")
    padding = check_positive_int(padding, "padding", minimum=0)
    padded = size + 2 * padding
    if kernel > padded:
        raise ValueError(f"kernel_size: a window of {kernel} does not fit an input of size {size} "
                         f"with padding {padding} (padded size {padded})")
    return (padded - kernel) // stride + 1


def check_nchw(x, name: str = "x", channels=None) -> np.ndarray:
    """A float32/float64 batch of images (N, C, H, W), optionally with a given number of channels."""
    x = check_float_array(x, name)
    if x.ndim != 4:
        raise ValueError(f"{name}: expected a 4-D array (N, C, H, W), got shape {x.shape}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name}: expected {channels} channels in dimension 1 of (N, C, H, W), "
                         f"got shape {x.shape}")
    return x


def _geometry(x_shape, kh, kw, stride, padding):
    """Checked kernel, stride, padding and the output size (out_h, out_w) for an NCHW shape."""
    kh = check_positive_int(kh, "kh")
    kw = check_positive_int(kw, "kw")
    sh, sw = check_pair(stride, "stride")
    ph, pw = check_pair(padding, "padding", minimum=0)
    _, _, h, w = x_shape
    out_h = conv_output_size(h, kh, sh, ph)
    out_w = conv_output_size(w, kw, sw, pw)
    return kh, kw, (sh, sw), (ph, pw), (out_h, out_w)


def im2col(x: np.ndarray, kh: int, kw: int, stride=1, padding=0) -> np.ndarray:
    """Columns of all ``kh x kw`` windows of ``x`` (N, C, H, W): shape (C*kh*kw, out_h*out_w*N).

    ``stride`` and ``padding`` are ints or (height, width) pairs; padding adds zeros.
    """
    x = check_nchw(x)
    n, c, h, w = x.shape
    kh, kw, (sh, sw), (ph, pw), (out_h, out_w) = _geometry(x.shape, kh, kw, stride, padding)

    # One copy of the input, zero-padded and with the batch moved last: (C, H + 2ph, W + 2pw, N).
    padded = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
    padded[:, ph:ph + h, pw:pw + w, :] = x.transpose(1, 2, 3, 0)

    cols = np.empty((c, kh, kw, out_h, out_w, n), dtype=x.dtype)
    for i in range(kh):          # kernel row
        for j in range(kw):      # kernel column
            # The pixel under kernel offset (i, j) for every output position of every image.
            cols[:, i, j] = padded[:, i:i + sh * out_h:sh, j:j + sw * out_w:sw, :]
    return cols.reshape(c * kh * kw, out_h * out_w * n)


def col2im(cols: np.ndarray, x_shape, kh: int, kw: int, stride=1, padding=0) -> np.ndarray:
    """Adjoint of :func:`im2col`: add every column entry back onto its pixel; returns (N, C, H, W).

    Overlapping windows are *summed* (a plain fancy-index ``+=`` would silently keep only one of
    the repeated indices). Values that fall on the zero padding are dropped.
    """
    cols = check_float_array(cols, "cols", ndim=2)
    try:
        n, c, h, w = (check_positive_int(d, "x_shape") for d in x_shape)
    except (TypeError, ValueError):
        raise ValueError(f"x_shape: expected 4 positive ints (N, C, H, W), got {x_shape!r}") from None
    kh, kw, (sh, sw), (ph, pw), (out_h, out_w) = _geometry((n, c, h, w), kh, kw, stride, padding)
    expected = (c * kh * kw, out_h * out_w * n)
    if cols.shape != expected:
        raise ValueError(f"cols: expected shape {expected} (C*kh*kw, out_h*out_w*N) for x_shape "
                         f"{(n, c, h, w)}, got {cols.shape}")

    cols = cols.reshape(c, kh, kw, out_h, out_w, n)
    padded = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            # Slices of one offset never overlap each other, so this += adds every value once.
            padded[:, i:i + sh * out_h:sh, j:j + sw * out_w:sw, :] += cols[:, i, j]
    return np.ascontiguousarray(padded[:, ph:ph + h, pw:pw + w, :].transpose(3, 0, 1, 2))
