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

# issue 11: SiLU, BCELoss, nn.utils
from .layers_api11 import BCELoss, SiLU  # noqa: E402
from . import utils  # noqa: E402

__all__ += ["SiLU", "BCELoss", "utils"]
