"""Small synthetic data sets for the early chapters, each fully determined by its ``seed``.

Classification sets return ``(X, y)`` with ``X`` float of shape (n, 2) and ``y`` int64 class
labels of shape (n,); use ``y[:, None].astype(X.dtype)`` where a loss wants a float column.
The 1-D regression targets live on [0, 1] and come in two kinds for chapter 2's approximation
experiments: smooth ones and piecewise-smooth ones (a kink or a jump).
"""
from __future__ import annotations

import numpy as np

from dlbook._validate import check_dtype, check_positive_float, check_positive_int


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer or a numpy Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def xor(dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """The four corners of the unit square and their XOR labels: the set no single neuron fits."""
    dtype = check_dtype(dtype)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dtype)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y


def _shuffle(X, y, rng):
    order = rng.permutation(len(X))
    return X[order], y[order]


def two_spirals(n: int = 200, noise: float = 0.0, seed=0, turns: float = 1.5,
                dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals (class 0 and its point reflection, class 1), inside about [-1, 1]².

    ``noise`` is the standard deviation of Gaussian noise added to each coordinate; ``turns`` how
    many times each arm winds round. Points are shuffled.
    """
    n = check_positive_int(n, "n", minimum=2)
    noise = check_positive_float(noise, "noise", allow_zero=True)
    turns = check_positive_float(turns, "turns")
    dtype = check_dtype(dtype)
    rng = _rng(seed)
    n0 = n // 2
    # sqrt spreads points evenly along the arm instead of crowding them at the centre
    t = np.sqrt(rng.uniform(0.0, 1.0, size=n)) * turns * 2 * np.pi
    r = t / (turns * 2 * np.pi)
    arm = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    sign = np.where(np.arange(n) < n0, 1.0, -1.0)[:, None]
    X = sign * arm + noise * rng.standard_normal((n, 2))
    y = (np.arange(n) >= n0).astype(np.int64)
    X, y = _shuffle(X, y, rng)
    return X.astype(dtype), y


def moons(n: int = 200, noise: float = 0.1, seed=0, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (class 0 on top, class 1 below), shuffled, with Gaussian noise."""
    n = check_positive_int(n, "n", minimum=2)
    noise = check_positive_float(noise, "noise", allow_zero=True)
    dtype = check_dtype(dtype)
    rng = _rng(seed)
    n0 = n // 2
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n - n0)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n - n0, np.int64)])
    X, y = _shuffle(X, y, rng)
    return X.astype(dtype), y


# ----- 1-D targets on [0, 1]: name -> (function, kind)
def _sine(x):
    return np.sin(2 * np.pi * x)


def _bump(x):
    return np.exp(-((x - 0.5) ** 2) / (2 * 0.1 ** 2))


def _cubic(x):
    return 4 * (x - 0.5) ** 3 + 0.5 * (x - 0.5)


def _abs(x):
    return 2 * np.abs(x - 0.5)


def _step(x):
    return np.where(x < 0.5, 0.0, 1.0)


def _sawtooth(x):
    return 2 * ((3 * x) % 1.0) - 1


TARGETS_1D = {
    "sine": (_sine, "smooth"),          # sin(2πx)
    "bump": (_bump, "smooth"),          # Gaussian bump at 0.5, width 0.1
    "cubic": (_cubic, "smooth"),        # 4(x-½)³ + ½(x-½)
    "abs": (_abs, "piecewise"),         # 2|x-½|: a kink
    "step": (_step, "piecewise"),       # a jump at ½
    "sawtooth": (_sawtooth, "piecewise"),  # three ramps with jumps
}


def target_1d(name: str, n: int = 100, seed=0, noise: float = 0.0, grid: bool = False,
              dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Samples ``(x, y)`` of shape (n, 1) of a 1-D target on [0, 1] (see ``TARGETS_1D``).

    ``grid=True`` gives n evenly spaced points (for plotting the target); otherwise x is drawn
    uniformly and sorted. ``noise`` is the standard deviation of Gaussian noise added to y.
    """
    if name not in TARGETS_1D:
        raise ValueError(f"name: expected one of {sorted(TARGETS_1D)}, got {name!r}")
    n = check_positive_int(n, "n")
    noise = check_positive_float(noise, "noise", allow_zero=True)
    dtype = check_dtype(dtype)
    rng = _rng(seed)
    x = np.linspace(0.0, 1.0, n) if grid else np.sort(rng.uniform(0.0, 1.0, size=n))
    y = TARGETS_1D[name][0](x) + noise * rng.standard_normal(n)
    return x[:, None].astype(dtype), y[:, None].astype(dtype)


def sine_1d(n: int = 100, seed=0, noise: float = 0.0, grid: bool = False,
            dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` with y = sin(2πx) (+ noise) on [0, 1], each of shape (n, 1)."""
    return target_1d("sine", n=n, seed=seed, noise=noise, grid=grid, dtype=dtype)


def digits(seed=0, test_fraction: float = 0.25, flatten: bool = True, dtype=np.float32):
    """scikit-learn's bundled 8x8 digits (1,797 images, no download) as ``(x_train, y_train, x_test, y_test)``.

    Pixels are scaled from 0..16 to [0, 1]; images are flat (64 values) or (N, 1, 8, 8) with
    ``flatten=False``; labels are int64. The split is a shuffle with ``seed``.
    """
    if not (isinstance(test_fraction, float) and 0.0 < test_fraction < 1.0):
        raise ValueError(f"test_fraction: expected a float in (0, 1), got {test_fraction!r}")
    dtype = check_dtype(dtype)
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # pragma: no cover - scikit-learn is in the book's requirements
        raise ImportError("digits() needs scikit-learn: pip install scikit-learn") from None
    bunch = load_digits()
    X = (bunch.images / 16.0).astype(dtype)
    X = X.reshape(len(X), -1) if flatten else X[:, None]
    y = bunch.target.astype(np.int64)
    order = _rng(seed).permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]
