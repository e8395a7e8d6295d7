"""``minitorch.optim``: Optimizer, SGD, Adam, AdamW (fused Triton update kernels) and
``lr_scheduler``."""
from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]

# issue 11: RMSprop, Adagrad, Adadelta (fused multi-tensor kernels)
from .adaptive import Adadelta, Adagrad, RMSprop  # noqa: E402

__all__ += ["RMSprop", "Adagrad", "Adadelta"]
