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

from .layers import (BatchNorm1d, BatchNorm2d, BatchNorm3d, Dropout1d, Dropout2d,  # noqa: E402
                     GroupNorm, Unflatten, Upsample)

__all__ += ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm", "Dropout1d", "Dropout2d",
            "Unflatten", "Upsample"]
