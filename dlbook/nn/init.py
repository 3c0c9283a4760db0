"""Weight initialisers: pick the spread of the first weights so signals keep their scale.

Each one draws a fresh array ``init(shape, rng, dtype)``. The spread depends on the layer's
*fans*: how many inputs feed a unit (fan-in) and how many units a single input feeds (fan-out).

- LeCun: Var[w] = 1 / fan_in keeps the variance of z = w.x equal to that of x.
- Xavier/Glorot: Var[w] = 2 / (fan_in + fan_out) balances the forward and the backward pass
  (for tanh- and sigmoid-like units).
- He/Kaiming: Var[w] = 2 / fan_in makes up for ReLU zeroing half of its inputs.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._validate import check_dtype, check_positive_float, check_rng


def fan_in_fan_out(shape) -> tuple[int, int]:
    """Fans of a Linear weight ``(out, in)`` or a conv weight ``(out, in, kh, kw)``, as torch counts them.

    A conv unit sees ``in * kh * kw`` inputs, and each input reaches ``out * kh * kw`` units.
    """
    shape = _check_shape(shape)
    receptive_field = int(np.prod(shape[2:], dtype=np.int64))  # 1 for a Linear weight
    return shape[1] * receptive_field, shape[0] * receptive_field


def lecun_normal(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """Normal with std sqrt(1 / fan_in)."""
    fan_in, _ = fan_in_fan_out(shape)
    return _normal(shape, np.sqrt(1.0 / fan_in), rng, dtype)


def xavier_uniform(shape, rng=None, dtype=np.float32, gain: float = 1.0) -> np.ndarray:
    """Uniform on [-a, a] with a = gain * sqrt(6 / (fan_in + fan_out)) (so the std is a / sqrt(3))."""
    gain = check_positive_float(gain, "gain")
    fan_in, fan_out = fan_in_fan_out(shape)
    bound = gain * np.sqrt(6.0 / (fan_in + fan_out))
    rng, dtype = check_rng(rng), check_dtype(dtype)
    return rng.uniform(-bound, bound, size=tuple(shape)).astype(dtype)


def xavier_normal(shape, rng=None, dtype=np.float32, gain: float = 1.0) -> np.ndarray:
    """Normal with std gain * sqrt(2 / (fan_in + fan_out))."""
    gain = check_positive_float(gain, "gain")
    fan_in, fan_out = fan_in_fan_out(shape)
    return _normal(shape, gain * np.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def he_normal(shape, rng=None, dtype=np.float32) -> np.ndarray:
    """Normal with std sqrt(2 / fan_in) (torch's kaiming_normal_ for ReLU, mode fan_in)."""
    fan_in, _ = fan_in_fan_out(shape)
    return _normal(shape, np.sqrt(2.0 / fan_in), rng, dtype)


INITIALIZERS = {
    "lecun": lecun_normal,
    "xavier": xavier_uniform,
    "he": he_normal,
    "lecun_normal": lecun_normal,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_normal": he_normal,
}


def get_initializer(init):
    """Turn ``init`` (a name such as "he", or a callable ``(shape, rng, dtype) -> array``) into a callable.

    A user's callable is wrapped so that a wrong shape fails here, not deep inside a forward pass.
    """
    if isinstance(init, str):
        if init not in INITIALIZERS:
            names = ", ".join(repr(n) for n in INITIALIZERS)
            raise ValueError(f"init: expected one of {names} or a callable (shape, rng, dtype) -> array, "
                             f"got {init!r}")
        return INITIALIZERS[init]
    if not callable(init):
        raise ValueError(f"init: expected an initialiser name or a callable, got {type(init).__name__}")

    def checked(shape, rng=None, dtype=np.float32):
        dtype = check_dtype(dtype)
        values = np.asarray(init(shape, check_rng(rng), dtype))
        if values.shape != tuple(shape):
            raise ValueError(f"init: the callable returned shape {values.shape}, expected {tuple(shape)}")
        return values.astype(dtype)

    return checked


def _normal(shape, std, rng, dtype) -> np.ndarray:
    rng, dtype = check_rng(rng), check_dtype(dtype)
    return (std * rng.standard_normal(tuple(shape))).astype(dtype)



def _check_shape(shape) -> tuple[int, ...]:
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(f"shape: expected a tuple of positive ints, got {shape!r}") from None
    if len(dims) < 2:
        raise ValueError(f"shape: expected at least 2 dimensions, (out, in) or (out, in, kh, kw), got {dims}")
    if not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0 for d in dims):
        raise ValueError(f"shape: expected positive ints, got {dims}")
    return tuple(int(d) for d in dims)
