"""``minitorch.nn``: Parameter, Module, layers, containers, losses, ``functional`` and ``init``."""
from . import functional, init, parallel
from .layers import (
                     GELU,
                     BCEWithLogitsLoss,
                     CrossEntropyLoss,
                     Dropout,
                     Embedding,
                     Flatten,
                     Identity,
                     L1Loss,
                     LayerNorm,
                     LeakyReLU,
                     Linear,
                     LogSoftmax,
                     ModuleDict,
                     ModuleList,
                     MSELoss,
                     NLLLoss,
                     ReLU,
                     Sequential,
                     Sigmoid,
                     Softmax,
                     Tanh,
)
from .module import Module
from .parameter import Parameter

__all__ = ["functional", "init", "parallel", "Parameter", "Module", "Sequential", "ModuleList",
           "ModuleDict", "Identity", "Linear", "Flatten", "ReLU", "LeakyReLU", "GELU", "Sigmoid",
           "Tanh", "Softmax", "LogSoftmax", "Dropout", "LayerNorm", "Embedding", "MSELoss",
           "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss"]
