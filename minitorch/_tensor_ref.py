"""How the layers below ``Tensor`` reach it: the autograd engine and the autograd Functions build
Tensors and create zero-filled buffers, yet ``tensor.py`` imports them at its top (the class body
binds the op functions as methods), so they cannot import ``tensor.py`` or ``creation.py`` back at
module level. They import these accessors instead; the two call-time imports below are the only
place the layers under ``Tensor`` look up.

Imports run one way: ``ops`` (kernels) <- ``autograd`` <- ``functions`` <- ``tensor`` <-
``creation`` <- ``nn``, ``optim``, ``utils``, the package.
"""

__all__ = ["tensor_type", "is_tensor", "wrap", "creation", "arange", "empty", "full", "ones",
           "ones_like", "tensor", "zeros", "zeros_like", "scalar_operand", "exact_random_"]


_Tensor = None


def tensor_type():
    """The Tensor class (looked up once: an import statement costs ~5 µs, and every op asks)."""
    global _Tensor
    if _Tensor is None:
        from .tensor import Tensor  # tensor.py imports the layers that call this
        _Tensor = Tensor
    return _Tensor


def creation():
    """The creation-function module (``zeros``, ``full``, ``tensor`` ...)."""
    from . import creation as module  # creation.py imports tensor.py, which imports our callers
    return module


def is_tensor(obj):
    return isinstance(obj, tensor_type())


def wrap(storage, requires_grad=False):
    """A new Tensor (no history) over ``storage``."""
    return tensor_type()._make(storage, requires_grad)


def arange(*args, **kwargs):
    return creation().arange(*args, **kwargs)


def empty(*args, **kwargs):
    return creation().empty(*args, **kwargs)


def full(*args, **kwargs):
    return creation().full(*args, **kwargs)


def ones(*args, **kwargs):
    return creation().ones(*args, **kwargs)


def ones_like(*args, **kwargs):
    return creation().ones_like(*args, **kwargs)


def tensor(*args, **kwargs):
    return creation().tensor(*args, **kwargs)


def zeros(*args, **kwargs):
    return creation().zeros(*args, **kwargs)


def zeros_like(*args, **kwargs):
    return creation().zeros_like(*args, **kwargs)


def scalar_operand(*args, **kwargs):
    return creation().scalar_operand(*args, **kwargs)


def exact_random_(*args, **kwargs):
    return creation().exact_random_(*args, **kwargs)
