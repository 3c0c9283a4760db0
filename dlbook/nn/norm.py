"""Batch normalisation: standardise each channel with batch statistics, then scale and shift.

For one channel with the m values x_1..x_m it sees in a batch (all positions of all images for
BatchNorm2d, since a channel shares one mean and variance over every pixel):

    mu = mean(x),  var = mean((x - mu)^2)  (biased),  x_hat = (x - mu) / sqrt(var + eps)
    y = weight * x_hat + bias

Training also updates running estimates with ``momentum`` as the weight of the new batch:
``running = (1 - momentum) * running + momentum * batch_stat``, where the variance fed in is
the *unbiased* m/(m-1) * var, as torch does. Evaluation normalises with the running estimates.

Backward in training mode (mu and var depend on every x_i), with g = dL/dy:

    dx = weight / (m * sqrt(var + eps)) * (m * g - sum(g) - x_hat * sum(g * x_hat))

In evaluation mode the statistics are constants and dx = weight * g / sqrt(running_var + eps).
"""
from __future__ import annotations

import numpy as np

from .._validate import (check_dtype, check_float_array, check_grad_out, check_input_dtype,
                         check_positive_float, check_positive_int)
from .module import Module, Parameter


class _BatchNorm(Module):
    """Per-channel normalisation over every axis except the channel axis 1."""

    expected_ndims: tuple = ()
    form: str = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, dtype=np.float32):
        super().__init__()
        self.num_features = check_positive_int(num_features, "num_features")
        self.eps = check_positive_float(eps, "eps")
        self.momentum = check_positive_float(momentum, "momentum", allow_zero=True)
        if self.momentum > 1:
            raise ValueError(f"momentum: expected a number in [0, 1] (the weight of the new batch), "
                             f"got {momentum!r}")
        dtype = check_dtype(dtype)
        self.weight = Parameter(np.ones(num_features, dtype=dtype))
        self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
        self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_float_array(x, "x")
        if x.ndim not in self.expected_ndims:
            raise ValueError(f"x: expected {self.form}, got shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"x: expected {self.num_features} channels/features in dimension 1 "
                             f"of {self.form}, got shape {x.shape}")
        check_input_dtype(x, self.weight.dtype)
        axes = (0,) + tuple(range(2, x.ndim))            # every axis but the channel axis
        shape = (1, -1) + (1,) * (x.ndim - 2)           # per-channel vectors, broadcastable

        if self.training:
            m = x.size // self.num_features             # values per channel in this batch
            if m < 2:
                raise ValueError(f"x: training needs more than one value per channel, got shape {x.shape}")
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)                      # biased: divides by m
            mom = self.momentum
            self.running_mean = (1 - mom) * self.running_mean + mom * mean
            self.running_var = (1 - mom) * self.running_var + mom * var * (m / (m - 1))
            self.num_batches_tracked += 1
        else:
            mean, var = self.running_mean, self.running_var

        inv_std = 1.0 / np.sqrt(var + np.asarray(self.eps, dtype=x.dtype))
        x_hat = (x - mean.reshape(shape)) * inv_std.reshape(shape)
        self._cache = (x_hat, inv_std, axes, shape, self.training)
        return x_hat * self.weight.data.reshape(shape) + self.bias.data.reshape(shape)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        x_hat, inv_std, axes, shape, used_batch_stats = self._cache
        check_grad_out(grad_out, x_hat.shape, x_hat.dtype)

        sum_g = grad_out.sum(axis=axes)
        sum_g_xhat = (grad_out * x_hat).sum(axis=axes)
        self.weight.grad += sum_g_xhat
        self.bias.grad += sum_g

        scale = (self.weight.data * inv_std).reshape(shape)
        if not used_batch_stats:
            return grad_out * scale
        m = x_hat.size // self.num_features
        return (scale / m) * (m * grad_out - sum_g.reshape(shape) - x_hat * sum_g_xhat.reshape(shape))

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch norm for features (N, C), or sequences (N, C, L) normalised per channel over (N, L)."""

    expected_ndims = (2, 3)
    form = "a 2-D (N, C) or 3-D (N, C, L) array"


class BatchNorm2d(_BatchNorm):
    """Batch norm for images (N, C, H, W), normalised per channel over (N, H, W)."""

    expected_ndims = (4,)
    form = "a 4-D (N, C, H, W) array"
