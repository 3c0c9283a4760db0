"""The from-scratch NumPy engine: layers, losses and initialisers (no autograd library)."""
from . import init
from .activations import ELU, PReLU, LeakyReLU, Maxout, ReLU, Sigmoid, Softmax, Tanh
from .conv import Conv2d
from .dropout import Dropout
from .linear import Linear
from .losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from .module import Module, Parameter, Sequential
from .norm import BatchNorm1d, BatchNorm2d
from .pooling import AvgPool2d, Flatten, MaxPool2d
from .residual import Residual

__all__ = [
    "Parameter", "Module", "Sequential", "Linear", "Sigmoid", "Tanh", "ReLU", "LeakyReLU",
    "PReLU", "ELU", "Maxout", "Softmax", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten",
    "BatchNorm1d", "BatchNorm2d", "Dropout", "Residual", "MSELoss", "CrossEntropyLoss",
    "BCEWithLogitsLoss", "init",
]
