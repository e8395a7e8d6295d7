"""minitorch: a small deep-learning framework whose every computation is a Triton kernel.

``import minitorch as torch`` — PyTorch's names and semantics, its own Tensor and autograd.
"""
from . import _backend  # noqa: F401, I001  (first: chooses Triton's interpreter before triton loads)
import torch as _torch

from ._device import get_default_device, set_default_device
from ._dtype import (Size, bfloat16, bool, channels_last, channels_last_3d, contiguous_format,
                     device, double, dtype, float, float16, float32, float64, get_default_dtype,
                     half, int, int8, int16, int32, int64, long, memory_format, preserve_format,
                     set_default_dtype, short, uint8)
from ._dtype import result_type as _result_type
from ._legacy import CPU_TYPES as _LEGACY_TYPES
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .creation import *  # noqa: F403  (the creation functions: creation.__all__)
from .creation import __all__ as _creation_names
from .functions import *  # noqa: F403  (the op functions: functions.__all__)
from .functions import __all__ as _function_names
from .ops.creation import Generator, default_generator
from .serialization import load, save
from .tensor import Tensor
from . import accelerator, autograd, backends, cuda, distributed, nn, optim, random, testing, utils
from .utils import data as _data  # minitorch.utils.data, as torch.utils.data

globals().update(_LEGACY_TYPES)  # FloatTensor, LongTensor, ... (legacy constructors)

# the implementation's modules are not part of the torch namespace
del functions, ops, creation, serialization, fusion  # noqa: F821  (bound by the imports above)

__version__ = "0.1.0"


from .random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state  # noqa: E402

# dtype limits and print options are metadata and presentation: torch's own (reprs use its
# formatter, so set_printoptions changes them alike)
finfo, iinfo, set_printoptions = _torch.finfo, _torch.iinfo, _torch.set_printoptions


def is_nonzero(x):
    return x.__bool__()


def result_type(a, b):
    return _result_type(a, b)


def promote_types(a, b):
    return _torch.promote_types(a, b)


def can_cast(from_, to):
    return _torch.can_cast(from_, to)


__all__ = sorted(
    ["Size", "Tensor", "bfloat16", "bool", "channels_last", "channels_last_3d",
     "contiguous_format", "memory_format", "preserve_format", "device", "double", "dtype", "float",
     "float16", "float32", "float64", "get_default_dtype", "half", "int", "int8", "int16", "int32",
     "int64", "long", "set_default_dtype", "short", "uint8", "enable_grad", "inference_mode",
     "is_grad_enabled", "no_grad", "set_grad_enabled", "Generator", "default_generator", "load",
     "save", "accelerator", "autograd", "backends", "cuda", "distributed", "nn", "optim",
     "testing", "utils", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
     "is_nonzero", "result_type", "promote_types", "can_cast", "get_default_device",
     "set_default_device", "random", "finfo", "iinfo", "set_printoptions"]
    + list(_creation_names) + list(_function_names) + list(_LEGACY_TYPES))
