"""``minitorch.nn``: Parameter, Module, layers, containers, losses, ``functional`` and ``init``."""
from . import functional, init
from .layers import (BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Embedding, Flatten, GELU,
                     Identity, L1Loss, LayerNorm, LeakyReLU, Linear, LogSoftmax, ModuleDict,
                     ModuleList, MSELoss, NLLLoss, ReLU, Sequential, Sigmoid, Softmax, Tanh)
from .module import Module
from .parameter import Parameter

__all__ = ["functional", "init", "Parameter", "Module", "Sequential", "ModuleList", "ModuleDict",
           "Identity", "Linear", "Flatten", "ReLU", "LeakyReLU", "GELU", "Sigmoid", "Tanh",
           "Softmax", "LogSoftmax", "Dropout", "LayerNorm", "Embedding", "MSELoss", "L1Loss",
           "CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss"]

# convolution / pooling
from .layers import (AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, Conv1d, Conv2d,  # noqa: E402
                     MaxPool2d)
__all__ += ["Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d"]
