"""Argument checks that fail early with a ValueError naming the argument and the expected form."""
from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def check_float_array(x, name: str, ndim=None, last_dim=None) -> np.ndarray:
    """Return ``x`` as an ndarray if it is float32/float64 with the expected rank and sizes."""
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name}: expected a NumPy array, got {type(x).__name__}")
    if x.dtype.type not in FLOAT_DTYPES:
        raise ValueError(f"{name}: expected dtype float32 or float64, got {x.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            form = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name}: expected a {form} array, got shape {x.shape}")
    if last_dim is not None and x.shape[-1] != last_dim:
        raise ValueError(f"{name}: expected last dimension {last_dim}, got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {x.shape}")
    return x


def check_same_shape(a: np.ndarray, b: np.ndarray, name: str, expected_from: str) -> None:
    if np.shape(a) != np.shape(b):
        raise ValueError(f"{name}: expected shape {np.shape(b)} (that of {expected_from}), got {np.shape(a)}")


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def check_pair(value, name: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints (kernel size, stride, padding), each >= minimum."""
    pair = (value, value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    try:
        a, b = pair
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected an int or a pair of ints >= {minimum}, got {value!r}") from None
    return check_positive_int(a, name, minimum), check_positive_int(b, name, minimum)


def check_positive_float(value, name: str, allow_zero: bool = False) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: expected a finite number {bound}, got {value!r}")
    return float(value)


def check_unit_interval(value, name: str, what: str = "a number") -> float:
    """A number in [0, 1): a decay factor (momentum, a beta) or, with ``what``, a probability."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not 0.0 <= value < 1.0:
        raise ValueError(f"{name}: expected {what} in [0, 1), got {value!r}")
    return float(value)


def check_probability(value, name: str) -> float:
    """A drop probability: 0 <= p < 1."""
    return check_unit_interval(value, name, what="a probability")


def check_bool(value, name: str) -> bool:
    """A switch such as ``bias``: True or False (NumPy's bool too), not 0/1 or a string."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


def check_rng(rng) -> np.random.Generator:
    """A NumPy Generator; None means a fixed seed (0), so that runs are reproducible."""
    if rng is None:
        return np.random.default_rng(0)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator (np.random.default_rng(seed)), "
                         f"got {type(rng).__name__}")
    return rng


def check_dtype(dtype, name: str = "dtype") -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.type not in FLOAT_DTYPES:
        raise ValueError(f"{name}: expected float32 or float64, got {dtype}")
    return dtype

def check_input_dtype(x: np.ndarray, dtype) -> None:
    """A layer computes in its parameters' dtype: mixing would silently change dtype out."""
    if x.dtype != dtype:
        raise ValueError(f"x: expected dtype {np.dtype(dtype)} (the layer's dtype; convert x with "
                         f".astype or the layer with module.astype), got {x.dtype}")


def check_grad_out(grad_out, shape, dtype) -> None:
    """The upstream gradient must have the forward output's shape and dtype."""
    check_float_array(grad_out, "grad_out")
    if grad_out.shape != tuple(shape):
        raise ValueError(f"grad_out: expected shape {tuple(shape)} (that of the forward output), "
                         f"got {grad_out.shape}")
    if grad_out.dtype != dtype:
        raise ValueError(f"grad_out: expected dtype {np.dtype(dtype)} (that of the forward output), "
                         f"got {grad_out.dtype}")
