"""Activation functions, as plain functions and as layers with a forward and a backward pass.

Elementwise activations share one pattern: backward multiplies the upstream gradient by the local
derivative f'(x). ``derivative(x)`` exposes f' for plots. At a kink the derivative follows torch:
relu'(0) = 0, leaky_relu'(0) = negative_slope, prelu'(0) = a, elu'(0) = alpha (the left branch).
"""
from __future__ import annotations

import numbers

import numpy as np

from .._validate import check_dtype, check_float_array, check_grad_out, check_input_dtype, check_positive_int
from .linear import Linear
from .module import Module, Parameter


# ----- stable functions (also exported by dlbook.nn.functional)
def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x) without overflow: only e^-|x| is ever computed, and it lies in (0, 1]."""
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """e^x / sum e^x, computed after subtracting the max (same result, and e^... never overflows)."""
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """x - logsumexp(x): exact for huge logits, where log(softmax(x)) would give log(0) = -inf."""
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


# ----- elementwise layers
class Elementwise(Module):
    """y = f(x) applied to every entry; subclasses define ``function`` and ``local_gradient``."""

    def __init__(self):
        super().__init__()
        self._x = self._y = None

    def function(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def local_gradient(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """f'(x), given the input and the already computed output y = f(x)."""
        raise NotImplementedError

    def derivative(self, x) -> np.ndarray:
        """f'(x) for any array-like x (for plots)."""
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float64)
        return self.local_gradient(x, self.function(x))

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_float_array(x, "x")
        self._x, self._y = x, self.function(x)
        return self._y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self._x is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        check_grad_out(grad_out, self._y.shape, self._y.dtype)
        return grad_out * self.local_gradient(self._x, self._y)


class Sigmoid(Elementwise):
    """sigma(x) = 1 / (1 + e^-x); sigma' = sigma (1 - sigma), at most 1/4: gradients shrink."""

    def function(self, x):
        return sigmoid(x)

    def local_gradient(self, x, y):
        return y * (1 - y)


class Tanh(Elementwise):
    """tanh(x) = 2 sigma(2x) - 1, zero-centred; tanh' = 1 - tanh^2."""

    def function(self, x):
        return np.tanh(x)

    def local_gradient(self, x, y):
        return 1 - y * y


class ReLU(Elementwise):
    """max(0, x); the derivative is 1 for x > 0 and 0 otherwise (0 at x = 0, like torch)."""

    def function(self, x):
        return np.maximum(x, 0)

    def local_gradient(self, x, y):
        return (x > 0).astype(x.dtype)


class LeakyReLU(Elementwise):
    """x for x > 0, negative_slope * x otherwise: a small gradient keeps negative units alive."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = _check_real(negative_slope, "negative_slope")

    def function(self, x):
        return np.where(x > 0, x, self.negative_slope * x)

    def local_gradient(self, x, y):
        return np.where(x > 0, 1, self.negative_slope).astype(x.dtype)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Elementwise):
    """x for x > 0, alpha (e^x - 1) otherwise: smooth, and negative outputs pull the mean to 0."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = _check_real(alpha, "alpha")

    def function(self, x):
        # expm1 only of the non-positive part: e^x of a large positive x would overflow.
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def local_gradient(self, x, y):
        return np.where(x > 0, 1, self.alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class PReLU(Elementwise):
    """Leaky ReLU whose slope ``weight`` is learnt, one per channel (dimension 1) or one shared."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=np.float32):
        super().__init__()
        self.num_parameters = check_positive_int(num_parameters, "num_parameters")
        init = _check_real(init, "init")
        self.weight = Parameter(np.full(self.num_parameters, init, dtype=check_dtype(dtype)))

    def _slope(self, x):
        """The slopes shaped to broadcast along dimension 1 of x, as torch applies them."""
        a = self.weight.data.astype(x.dtype, copy=False)
        if self.num_parameters == 1:
            return a.reshape(())
        return a.reshape((1, -1) + (1,) * (x.ndim - 2))

    def function(self, x):
        return np.where(x > 0, x, self._slope(x) * x)

    def local_gradient(self, x, y):
        return np.where(x > 0, 1, self._slope(x)).astype(x.dtype)

    def forward(self, x):
        check_float_array(x, "x")
        check_input_dtype(x, self.weight.dtype)
        if self.num_parameters > 1 and (x.ndim < 2 or x.shape[1] != self.num_parameters):
            raise ValueError(f"x: expected {self.num_parameters} channels in dimension 1, got shape {x.shape}")
        return super().forward(x)

    def backward(self, grad_out):
        dx = super().backward(grad_out)
        # dy/da = x where x <= 0: sum over every axis but the channel axis.
        dslope = grad_out * np.where(self._x > 0, 0, self._x)
        if self.num_parameters == 1:
            self.weight.grad += dslope.sum()
        else:
            self.weight.grad += dslope.sum(axis=tuple(i for i in range(dslope.ndim) if i != 1))
        return dx

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


# ----- layers that mix entries
class Softmax(Module):
    """Probabilities along ``dim``. Backward is the Jacobian-vector product without the Jacobian:
    J = diag(s) - s s^T, so J g = s * (g - <g, s>)."""

    def __init__(self, dim: int = -1):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise ValueError(f"dim: expected an int, got {dim!r}")
        self.dim = int(dim)
        self._y = None

    def forward(self, x):
        check_float_array(x, "x")
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"dim: expected an axis of the {x.ndim}-D input x, got {self.dim}")
        self._y = softmax(x, axis=self.dim)
        return self._y

    def backward(self, grad_out):
        s = self._y
        if s is None:
            raise RuntimeError("Softmax.backward called before forward")
        check_grad_out(grad_out, s.shape, s.dtype)
        return s * (grad_out - np.sum(grad_out * s, axis=self.dim, keepdims=True))

    @staticmethod
    def jacobian(x) -> np.ndarray:
        """The full Jacobian diag(s) - s s^T of softmax at a 1-D vector x (for the book's figures)."""
        s = softmax(np.asarray(x, dtype=np.float64).reshape(-1))
        return np.diag(s) - np.outer(s, s)

    def extra_repr(self):
        return f"dim={self.dim}"


class Maxout(Module):
    """Each output unit is the max of ``pieces`` linear units: a learnt convex piecewise-linear function.

    Unit j = max over k of z[:, j*pieces + k], with z = linear(x). The gradient flows only through
    the winning piece (the first one on a tie, like torch's max).
    """

    def __init__(self, in_features, out_features, pieces=2, rng=None, dtype=np.float32):
        super().__init__()
        self.out_features = check_positive_int(out_features, "out_features")
        self.pieces = check_positive_int(pieces, "pieces")
        self.linear = Linear(in_features, self.out_features * self.pieces, rng=rng, dtype=dtype)
        self._winner = None

    def forward(self, x):
        z = self.linear.forward(x).reshape(len(x), self.out_features, self.pieces)
        self._winner = np.argmax(z, axis=2)[..., None]  # argmax returns the first maximum
        return np.take_along_axis(z, self._winner, axis=2)[..., 0]

    def backward(self, grad_out):
        if self._winner is None:
            raise RuntimeError("Maxout.backward called before forward")
        n = self._winner.shape[0]
        check_grad_out(grad_out, (n, self.out_features), self.linear.weight.dtype)
        dz = np.zeros((n, self.out_features, self.pieces), dtype=grad_out.dtype)
        np.put_along_axis(dz, self._winner, grad_out[..., None], axis=2)
        return self.linear.backward(dz.reshape(n, -1))

    def extra_repr(self):
        return f"out_features={self.out_features}, pieces={self.pieces}"


def _check_real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite real number, got {value!r}")
    return float(value)
