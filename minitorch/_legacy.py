"""Legacy tensor-type classes (``torch.FloatTensor``, ``torch.cuda.FloatTensor``, ...) and
``autograd.Variable``: constructors producing ordinary minitorch Tensors, usable with
``Tensor.type(cls)`` and ``isinstance``."""
import numbers

import torch

from . import _dtype
from ._tensor_ref import empty, tensor, tensor_type

_TYPES = {"FloatTensor": torch.float32, "DoubleTensor": torch.float64,
          "HalfTensor": torch.float16, "BFloat16Tensor": torch.bfloat16,
          "LongTensor": torch.int64, "IntTensor": torch.int32, "ShortTensor": torch.int16,
          "CharTensor": torch.int8, "ByteTensor": torch.uint8, "BoolTensor": torch.bool}


class _LegacyTensorType(type):
    def __call__(cls, *args, device=None):
        Tensor = tensor_type()
        dev = "cuda" if cls._is_cuda else (device or "cpu")
        if len(args) == 1 and isinstance(args[0], Tensor):
            return args[0].to(device=dev, dtype=cls.dtype)
        if len(args) == 1 and not isinstance(args[0], numbers.Integral) and \
                not isinstance(args[0], torch.Size):
            return tensor(args[0], dtype=cls.dtype, device=dev)
        return empty(*args, dtype=cls.dtype, device=dev)

    def __instancecheck__(cls, obj):
        Tensor = tensor_type()
        return (isinstance(obj, Tensor) and obj.dtype == cls.dtype
                and (obj.device.type == "cuda") == cls._is_cuda)

    def __repr__(cls):
        return f"<class '{cls.__module__}.{cls.__name__}'>"


def _make_types(module, is_cuda):
    out = {}
    for name, dt in _TYPES.items():
        out[name] = _LegacyTensorType(name, (), {"dtype": dt, "_is_cuda": is_cuda,
                                                 "__module__": module})
    return out


CPU_TYPES = _make_types("torch", False)
CUDA_TYPES = _make_types("torch.cuda", True)


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        Tensor = tensor_type()
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """Deprecated wrapper: ``Variable(t, requires_grad=...)`` returns a Tensor (like PyTorch)."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        Tensor = tensor_type()
        if data is None:
            data = tensor([], dtype=_dtype.get_default_dtype())
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        t = data.detach()
        if requires_grad:
            t.requires_grad_(True)
        return t
