"""``minitorch.optim``: Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta (fused Triton
update kernels) and ``lr_scheduler``."""
from . import lr_scheduler
from .adam import Adam, AdamW
from .adaptive import Adadelta, Adagrad, RMSprop
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "lr_scheduler"]
