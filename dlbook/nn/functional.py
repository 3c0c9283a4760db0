"""Stateless functions the layers are built from, importable on their own."""
from .activations import log_softmax, sigmoid, softmax
from .im2col import col2im, conv_output_size, im2col

__all__ = ["sigmoid", "softmax", "log_softmax", "im2col", "col2im", "conv_output_size"]
