"""``minitorch.nn``: Parameter, Module, layers, containers, losses, ``functional`` and ``init``."""
from . import functional, init, parallel, utils
from .layers import (
                     GELU,
                     BatchNorm1d,
                     BatchNorm2d,
                     BatchNorm3d,
                     BCELoss,
                     BCEWithLogitsLoss,
                     CrossEntropyLoss,
                     Dropout,
                     Dropout1d,
                     Dropout2d,
                     Embedding,
                     Flatten,
                     GroupNorm,
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
                     SiLU,
                     Softmax,
                     Tanh,
                     Unflatten,
                     Upsample,
)
from .module import Module
from .parameter import Parameter

__all__ = ["functional", "init", "parallel", "Parameter", "Module", "Sequential", "ModuleList",
           "ModuleDict", "Identity", "Linear", "Flatten", "ReLU", "LeakyReLU", "GELU", "Sigmoid",
           "Tanh", "Softmax", "LogSoftmax", "Dropout", "LayerNorm", "Embedding", "MSELoss",
           "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss",
           "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm", "Dropout1d", "Dropout2d",
           "Unflatten", "Upsample", "SiLU", "BCELoss", "utils"]
