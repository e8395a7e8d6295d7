"""Creation functions: ``tensor``, ``zeros``, ``ones``, ``full``, ``empty``, ``arange``,
``linspace``, ``eye``, the random ``rand``/``randn``/``randint`` and their ``*_like`` forms.

Each allocates storage with ``torch.empty`` and fills it with a Triton kernel (``ops/creation.py``
for random numbers and ranges, the elementwise ``copy`` op for constants)."""
import builtins
import math
import numbers
import warnings

import numpy as np
import torch

from . import _dtype
from .ops import creation, elementwise
from .ops.creation import NORMAL, RANDINT, UNIFORM
from .tensor import Tensor, _cast

__all__ = ["arange", "as_tensor", "empty", "empty_like", "eye", "from_numpy", "full", "full_like",
           "linspace", "ones", "ones_like", "rand", "rand_like", "randint", "randint_like", "randn",
           "randn_like", "tensor", "zeros", "zeros_like"]

_py_bool, _py_float, _py_int = builtins.bool, builtins.float, builtins.int


def _resolve_device(device):
    return torch.device(device) if device is not None else torch.device("cpu")


def _check_requires_grad(dtype, requires_grad):
    if requires_grad and not dtype.is_floating_point:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")


def _infer_dtype(data):
    """dtype torch.tensor would infer for nested Python data."""
    kinds = set()

    def walk(x):
        if isinstance(x, (list, tuple)):
            for v in x:
                walk(v)
        elif isinstance(x, Tensor):
            kinds.add(x.dtype)
        elif isinstance(x, _py_bool) or isinstance(x, np.bool_):
            kinds.add(torch.bool)
        elif isinstance(x, numbers.Integral):
            kinds.add(torch.int64)
        elif isinstance(x, numbers.Real):
            kinds.add(_dtype.get_default_dtype())
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
    walk(data)
    if not kinds:
        return _dtype.get_default_dtype()
    result = None
    for k in kinds:
        result = k if result is None else torch.promote_types(result, k)
    return result


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Copy ``data`` (nested lists, numbers, numpy arrays, Tensors) into a new leaf tensor."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.clone().detach() or sourceTensor.clone().detach()."
                      "requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        t = data.detach().to(device=device, dtype=dtype).clone() if (dtype or device) else \
            data.detach().clone()
        _check_requires_grad(t.dtype, requires_grad)
        t._requires_grad = requires_grad
        return t
    if isinstance(data, (np.ndarray, np.generic)):  # numpy scalars keep their dtype too
        storage = torch.from_numpy(np.array(data, order="C", copy=True))
        if dtype is not None and dtype != storage.dtype:
            t = _cast(Tensor._make(storage), dtype)
            storage = t._data
    else:
        inferred = _infer_dtype(data)
        if _contains_tensor(data):
            data = _tensors_to_lists(data)
        # torch.tensor here is a host->storage copy of Python values, not math.
        storage = torch.tensor(data, dtype=inferred)
        if dtype is not None and dtype != inferred:
            storage = _cast(Tensor._make(storage), dtype)._data
    if device is not None and torch.device(device) != storage.device:
        storage = storage.to(device)
    _check_requires_grad(storage.dtype, requires_grad)
    return Tensor._make(storage, requires_grad)


def _contains_tensor(x):
    if isinstance(x, Tensor):
        return True
    if isinstance(x, (list, tuple)):
        return any(_contains_tensor(v) for v in x)
    return False


def _tensors_to_lists(x):
    if isinstance(x, Tensor):
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [_tensors_to_lists(v) for v in x]
    return x


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (dtype or device) else data
    if isinstance(data, np.ndarray) and dtype is None and device is None:
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._make(torch.from_numpy(array))


def _size_args(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list, torch.Size)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"expected a sequence of integers as the size, but got an element of "
                            f"type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
    return tuple(_py_int(s) for s in size)


def empty(*size, dtype=None, device=None, requires_grad=False, **_):
    size = _size_args(size or (_.pop("size", ()),))
    dtype = dtype or _dtype.get_default_dtype()
    _check_requires_grad(dtype, requires_grad)
    return Tensor._make(torch.empty(size, dtype=dtype, device=_resolve_device(device)),
                        requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False, **_):
    size = _size_args((size,) if isinstance(size, (tuple, list, torch.Size)) else (size,))
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value) if not isinstance(fill_value, Tensor) \
            else fill_value.dtype
    t = empty(size, dtype=dtype, device=device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    elementwise.pointwise("copy", t._data, fill_value)
    t._requires_grad = requires_grad
    _check_requires_grad(dtype, requires_grad)
    return t


def zeros(*size, dtype=None, device=None, requires_grad=False, **_):
    return full(_size_args(size or (_.pop("size", ()),)), 0,
                dtype=dtype or _dtype.get_default_dtype(), device=device,
                requires_grad=requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, **_):
    return full(_size_args(size or (_.pop("size", ()),)), 1,
                dtype=dtype or _dtype.get_default_dtype(), device=device,
                requires_grad=requires_grad)


def _like(x, dtype, device):
    return dict(dtype=dtype or x.dtype, device=device or x.device)


def empty_like(x, dtype=None, device=None, requires_grad=False, **_):
    return empty(tuple(x.shape), requires_grad=requires_grad, **_like(x, dtype, device))


def zeros_like(x, dtype=None, device=None, requires_grad=False, **_):
    return zeros(tuple(x.shape), requires_grad=requires_grad, **_like(x, dtype, device))


def ones_like(x, dtype=None, device=None, requires_grad=False, **_):
    return ones(tuple(x.shape), requires_grad=requires_grad, **_like(x, dtype, device))


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False, **_):
    return full(tuple(x.shape), fill_value, requires_grad=requires_grad,
                **_like(x, dtype, device))


def _random(size, kind, low, high, dtype, device, requires_grad, generator):
    size = _size_args(size)
    dtype = dtype or _dtype.get_default_dtype()
    _check_requires_grad(dtype, requires_grad)
    out = torch.empty(size, dtype=dtype, device=_resolve_device(device))
    creation.random_(out, kind, low, high, generator=generator)
    return Tensor._make(out, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **_):
    return _random(size or (_.pop("size", ()),), UNIFORM, 0.0, 1.0, dtype, device, requires_grad,
                   generator)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **_):
    return _random(size or (_.pop("size", ()),), NORMAL, 0.0, 1.0, dtype, device, requires_grad,
                   generator)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad=False, **_):
    if size is None:  # randint(high, size)
        raise TypeError("randint() missing required argument 'size'")
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    return _random((size,) if isinstance(size, (tuple, list, torch.Size)) else (size,), RANDINT,
                   _py_int(low), _py_int(high), dtype or torch.int64, device, requires_grad,
                   generator)


def rand_like(x, dtype=None, device=None, requires_grad=False, **_):
    return rand(tuple(x.shape), requires_grad=requires_grad, **_like(x, dtype, device))


def randn_like(x, dtype=None, device=None, requires_grad=False, **_):
    return randn(tuple(x.shape), requires_grad=requires_grad, **_like(x, dtype, device))


def randint_like(x, low, high=None, dtype=None, device=None, **_):
    return randint(low, high, tuple(x.shape), **_like(x, dtype, device))


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False, **_):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = torch.int64 if all(isinstance(v, numbers.Integral) for v in vals) \
            else _dtype.get_default_dtype()
    n = max(0, math.ceil((end - start) / step))
    out = torch.empty((n,), dtype=dtype, device=_resolve_device(device))
    creation.range_(out, start, step)
    _check_requires_grad(dtype, requires_grad)
    return Tensor._make(out, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False, **_):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or _dtype.get_default_dtype()
    out = torch.empty((steps,), dtype=dtype, device=_resolve_device(device))
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    creation.range_(out, _py_float(start), _py_float(step))
    if steps > 1:  # the last point exactly, as torch does
        elementwise.pointwise("copy", out[-1:], _py_float(end))
    _check_requires_grad(dtype, requires_grad)
    return Tensor._make(out, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False, **_):
    m = n if m is None else m
    rows = arange(n, device=device)
    cols = arange(m, device=device)
    out = empty(n, m, dtype=dtype or _dtype.get_default_dtype(), device=device)
    elementwise.pointwise("eq", out._data, rows._data.unsqueeze(1), cols._data.unsqueeze(0),
                          compute=torch.int64)
    out._requires_grad = requires_grad
    return out
