"""Data for the chapters: MNIST from its official IDX files, and small synthetic sets.

Nothing here imports torch; scikit-learn is imported only by ``digits()``.
"""
from .idx import IDXFormatError, read_idx, write_idx
from .mnist import MNISTNotFoundError, load_mnist, mnist_train_test
from .toy import TARGETS_1D, digits, moons, sine_1d, target_1d, two_spirals, xor

__all__ = [
    "load_mnist", "mnist_train_test", "read_idx", "write_idx", "IDXFormatError",
    "MNISTNotFoundError", "xor", "two_spirals", "moons", "sine_1d", "target_1d", "TARGETS_1D",
    "digits",
]
