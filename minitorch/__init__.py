"""minitorch: a small deep-learning framework whose every computation is a Triton kernel.

``import minitorch as torch`` — PyTorch's names and semantics, its own Tensor and autograd.
"""
from . import _backend  # noqa: F401  (must run before triton is imported)
from ._dtype import (Size, bfloat16, bool, device, double, dtype, float, float16, float32, float64,
                     get_default_dtype, half, int, int8, int16, int32, int64, long,
                     set_default_dtype, short, uint8)
from ._dtype import result_type as _result_type
from .tensor import (Tensor, arange, as_tensor, empty, empty_like, eye, from_numpy, full,
                     full_like, linspace, ones, ones_like, rand, rand_like, randint, randint_like,
                     randn, randn_like, tensor, zeros, zeros_like)
from .functions import *  # noqa: F401,F403
from .functions import (abs, add, all, allclose, amax, amin, any, argmax, argmin, bmm, cat,
                        chunk, clamp, clip, clone, cos, div, dot, eq, equal, exp, flatten,
                        floor_divide, gather, ge, gt, index_select, isclose, isnan, le, log,
                        log_softmax, logical_and, logical_not, logical_or, lt, matmul, max,
                        maximum, mean, min, minimum, mm, mul, mv, ne, neg, nonzero, norm, permute,
                        pow, prod, relu, remainder, reshape, rsqrt, sigmoid, sin, softmax, split,
                        sqrt, squeeze, stack, std, sub, sum, t, tanh, transpose, unbind,
                        unsqueeze, var, where)
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from . import autograd, backends, cuda, testing  # noqa: E402
from .ops.creation import Generator, default_generator
from ._legacy import CPU_TYPES as _LEGACY_TYPES
globals().update(_LEGACY_TYPES)  # FloatTensor, LongTensor, ... (legacy constructors)



def manual_seed(seed):
    """Seed the Philox generator that every random op (rand, randn, init, dropout) draws from."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def is_nonzero(x):
    return x.__bool__()


def result_type(a, b):
    return _result_type(a, b)


def promote_types(a, b):
    import torch as _torch
    return _torch.promote_types(a, b)


def can_cast(from_, to):
    import torch as _torch
    return _torch.can_cast(from_, to)


__version__ = "0.1.0"

from . import nn, optim  # noqa: E402
from . import utils  # noqa: E402
from .utils import data as _data  # noqa: E402,F401  (minitorch.utils.data)
from .serialization import load, save  # noqa: E402

# issue 11: default device and torch.accelerator
from . import accelerator  # noqa: E402
from ._device import get_default_device, set_default_device  # noqa: E402
