"""Creation functions: ``tensor``, ``zeros``, ``ones``, ``full``, ``empty``, ``arange``,
``linspace``, ``eye``, the random ``rand``/``randn``/``randint`` and their ``*_like`` forms.

Each allocates storage with ``torch.empty`` and fills it with a Triton kernel (``ops/creation.py``
for random numbers and ranges, the elementwise ``copy`` op for constants)."""
import builtins
import functools
import math
import numbers
import warnings

import numpy as np
import torch

from . import _device, _dtype
from .autograd import grad_mode
from .autograd.function import Function
from .functions.pointwise import broadcast_shapes, type_name
from .functions.scan_sort import write_out
from .ops import creation, elementwise
from .ops import sort as sort_kernels
from .ops.creation import NORMAL, RANDINT, UNIFORM
from .tensor import Tensor, _cast

__all__ = ["arange", "as_tensor", "empty", "empty_like", "eye", "from_numpy", "full", "full_like",
           "linspace", "ones", "ones_like", "rand", "rand_like", "randint", "randint_like", "randn",
           "normal", "bernoulli",
           "randn_like", "randperm", "tensor", "zeros", "zeros_like"]

_py_bool, _py_float, _py_int = builtins.bool, builtins.float, builtins.int


def _resolve_device(device):
    """``device``, or the default device (``set_default_device``) when none is given."""
    return torch.device(device) if device is not None else _device.get_default_device()


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
        elif isinstance(x, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
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
        # torch.tensor here is a host->storage copy of Python values, not math; straight into the
        # requested dtype, so that 1.3 or 1e-50 reach a float64 tensor without a float32 detour
        storage = torch.tensor(data, dtype=dtype or inferred)
    device = _resolve_device(device)  # the default device when none is given
    if device != storage.device:
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


def _given_size(size, kwargs, name):
    """The size of a creation call, positional or ``size=``; torch's TypeError without one."""
    if size:
        return size
    if "size" in kwargs:
        return (kwargs.pop("size"),)
    if name in ("rand", "randn"):
        raise TypeError(f"{name}() received an invalid combination of arguments - got (), but "
                        "expected one of: (tuple of ints size, ...)")
    raise TypeError(f'{name}() missing 1 required positional arguments: "size"')


def empty(*size, dtype=None, device=None, requires_grad=False, **_):
    size = _size_args(_given_size(size, _, "empty"))
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
    elementwise.pointwise("copy", t._data, scalar_operand(fill_value, dtype, t.device))
    t._requires_grad = requires_grad
    _check_requires_grad(dtype, requires_grad)
    return t


def scalar_operand(value, dtype, device):
    """A Python number as a kernel operand for a ``dtype`` result: a float reaches a kernel as a
    float32 scalar, so for float64 results it travels as a 0-d float64 storage tensor instead."""
    _dtype.check_scalar_fits(value, dtype)
    if dtype == torch.float64 and isinstance(value, _py_float):
        return torch.tensor(value, dtype=torch.float64, device=device)
    return value


def exact_random_(out, kind, low, high, generator=None):
    """creation.random_ whose float64 parameters are not rounded to float32: draw the standard
    distribution, then ``low + scale * r`` in float64."""
    scalars = (low, high - low) if kind == creation.UNIFORM else (low, high)
    if out.dtype != torch.float64 or kind not in (creation.UNIFORM, creation.NORMAL) or all(
            _py_float(np.float32(v)) == v for v in scalars):
        return creation.random_(out, kind, low, high, generator=generator)
    creation.random_(out, kind, 0.0, 1.0, generator=generator)
    a, b = (torch.tensor(_py_float(v), dtype=torch.float64, device=out.device) for v in scalars)
    elementwise.pointwise("add_scaled", out, a, out, b, compute=torch.float64)
    return out


def zeros(*size, dtype=None, device=None, requires_grad=False, **_):
    return full(_size_args(_given_size(size, _, "zeros")), 0,
                dtype=dtype or _dtype.get_default_dtype(), device=device,
                requires_grad=requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, **_):
    return full(_size_args(_given_size(size, _, "ones")), 1,
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
    if kind in (creation.UNIFORM, creation.NORMAL) and not dtype.is_floating_point:
        kernel = "check_uniform_bounds" if kind == creation.UNIFORM else "normal_kernel_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(dtype)}\'')
    _check_requires_grad(dtype, requires_grad)
    out = torch.empty(size, dtype=dtype, device=_resolve_device(device))
    exact_random_(out, kind, low, high, generator=generator)
    return Tensor._make(out, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **_):
    return _random(_given_size(size, _, "rand"), UNIFORM, 0.0, 1.0, dtype, device, requires_grad,
                   generator)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **_):
    return _random(_given_size(size, _, "randn"), NORMAL, 0.0, 1.0, dtype, device, requires_grad,
                   generator)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad=False, **_):
    if size is None and isinstance(high, (tuple, list, torch.Size)):  # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    return _random((size,) if isinstance(size, (tuple, list, torch.Size)) else (size,), RANDINT,
                   _py_int(low), _py_int(high), dtype or torch.int64, device, requires_grad,
                   generator)


def rand_like(x, dtype=None, device=None, requires_grad=False, *, generator=None, **_):
    return rand(tuple(x.shape), requires_grad=requires_grad, generator=generator,
                **_like(x, dtype, device))


def randn_like(x, dtype=None, device=None, requires_grad=False, *, generator=None, **_):
    return randn(tuple(x.shape), requires_grad=requires_grad, generator=generator,
                 **_like(x, dtype, device))


def randint_like(x, low, high=None, dtype=None, device=None, *, generator=None, **_):
    return randint(low, high, tuple(x.shape), generator=generator, **_like(x, dtype, device))


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False, **_):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = torch.int64 if all(isinstance(v, numbers.Integral) for v in vals) \
            else _dtype.get_default_dtype()
    if not dtype.is_floating_point:  # like torch: the bounds take the integer dtype first
        start, end, step = _py_int(start), _py_int(end), _py_int(step)
        if step == 0:
            raise ValueError("step must be nonzero")
    n = max(0, math.ceil((end - start) / step))
    out = torch.empty((n,), dtype=dtype, device=_resolve_device(device))
    if dtype.is_floating_point and n:
        # start + i * step in float64, then rounded once to the dtype (torch's accumulate type);
        # a kernel scalar argument would be float32
        idx = torch.empty((n,), dtype=torch.int64, device=out.device)
        creation.range_(idx, 0, 1)
        scalars = [torch.tensor(_py_float(v), dtype=torch.float64, device=out.device)
                   for v in (start, step)]
        elementwise.pointwise("add_scaled", out, scalars[0], idx, scalars[1],
                              compute=torch.float64)
    else:
        creation.range_(out, start, step)
    _check_requires_grad(dtype, requires_grad)
    return Tensor._make(out, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False, **_):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or _dtype.get_default_dtype()
    out = torch.empty((steps,), dtype=dtype, device=_resolve_device(device))
    if steps > 1 and dtype != torch.bool:
        # torch's formula and precision: step = (end - start) / (steps - 1) in the dtype (float64
        # for integer dtypes), then start + step * i for the first half and
        # end - step * (steps - 1 - i) for the rest
        if not dtype.is_floating_point:
            start_c, end_c = _py_float(_py_int(start)), _py_float(_py_int(end))
            step = (end_c - start_c) / (steps - 1)
        elif dtype == torch.float64:
            start_c, end_c = _py_float(start), _py_float(end)
            step = (end_c - start_c) / (steps - 1)
        else:
            f32 = np.float32
            start_c, end_c = f32(start), f32(end)
            step = _py_float((end_c - start_c) / f32(steps - 1))
            start_c, end_c = _py_float(start_c), _py_float(end_c)
        half = steps // 2
        idx = torch.empty((steps,), dtype=torch.int64, device=out.device)
        creation.range_(idx[:half], 0, 1)
        creation.range_(idx[half:], steps - 1 - half, -1)
        compute = torch.float32 if dtype in (torch.float32, torch.float16, torch.bfloat16) \
            else torch.float64
        for sl, origin, delta in ((slice(0, half), start_c, step), (slice(half, steps), end_c,
                                                                     -step)):
            elementwise.pointwise("add_scaled", out[sl],
                                  scalar_operand(origin, compute, out.device), idx[sl],
                                  scalar_operand(delta, compute, out.device), compute=compute)
    elif steps == 1 and dtype.is_floating_point:
        elementwise.pointwise("copy", out, scalar_operand(_py_float(start), dtype, out.device))
    else:
        step = (end - start) / (steps - 1) if steps > 1 else 0.0
        creation.range_(out, _py_float(start), _py_float(step))
        if steps > 1:  # the last point exactly, as torch does
            elementwise.pointwise("copy", out[-1:], _py_float(end))
    _check_requires_grad(dtype, requires_grad)
    return Tensor._make(out, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False, **_):
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    m = n if m is None else m
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    rows = arange(n, device=device)
    cols = arange(m, device=device)
    out = empty(n, m, dtype=dtype or _dtype.get_default_dtype(), device=device)
    elementwise.pointwise("eq", out._data, rows._data.unsqueeze(1), cols._data.unsqueeze(0),
                          compute=torch.int64)
    out._requires_grad = requires_grad
    return out


def randperm(n, *, generator=None, out=None, dtype=torch.int64, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """A uniformly random permutation of ``range(n)``: the argsort of Philox random keys."""
    n = _py_int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    perm = torch.empty((n,), dtype=torch.int64, device=_resolve_device(device))
    sort_kernels.randperm_(perm, generator=generator)
    result = Tensor._make(perm)
    if dtype != torch.int64:
        result = _cast(result, dtype)
    _check_requires_grad(result.dtype, requires_grad)
    result._requires_grad = requires_grad
    if out is not None:
        return write_out("randperm", out, result)
    return result


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad=False, **_):
    """Samples of N(mean, std**2): ``normal(mean, std, size)`` of two numbers, or elementwise
    over the broadcast of tensor ``mean`` and/or ``std`` (a standard normal scaled and shifted)."""
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: two numbers "
                            "need a size")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        result = _random(size, NORMAL, _py_float(mean), _py_float(std), dtype, device,
                         requires_grad, generator)
    else:
        if isinstance(std, Tensor):
            if std.numel() and not _py_bool((std >= 0).all()):
                raise RuntimeError("normal expects all elements of std >= 0.0")
        elif std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        node = (_NormalTT if isinstance(std, Tensor) else _NormalTF) \
            if isinstance(mean, Tensor) else _NormalFT
        result = node.apply(mean, std, generator)
    if out is not None:
        return write_out("normal", out, result)
    return result


def _zero_grad(x):
    """The gradient torch defines for a sample's parameters: zeros (None for a number)."""
    return zeros(tuple(x.shape), dtype=x.dtype, device=x.device) if isinstance(x, Tensor) else None


class _NormalTT(Function):
    """normal(mean, std) of tensors: z * std + mean; torch's gradient for both is zero."""
    node_name = "NormalBackward3"

    @staticmethod
    def forward(ctx, mean, std, generator):
        ctx.params = (mean.detach() if isinstance(mean, Tensor) else mean,
                      std.detach() if isinstance(std, Tensor) else std)
        ref = mean if isinstance(mean, Tensor) else std
        shapes = [tuple(t.shape) for t in (mean, std) if isinstance(t, Tensor)]
        with grad_mode.no_grad():
            z = _random(broadcast_shapes(*shapes), NORMAL, 0.0, 1.0, ref.dtype, ref.device,
                        False, generator)
            return z * std + mean

    @staticmethod
    def backward(ctx, g):
        return _zero_grad(ctx.params[0]), _zero_grad(ctx.params[1]), None


class _NormalTF(_NormalTT):
    node_name = "NormalBackward1"


class _NormalFT(_NormalTT):
    node_name = "NormalBackward2"


class _Bernoulli(Function):
    """bernoulli(p): its gradient in torch is zero."""
    node_name = "BernoulliBackward0"

    @staticmethod
    def forward(ctx, p, generator):
        ctx.p = p.detach()
        with grad_mode.no_grad():
            return empty_like(p).bernoulli_(p, generator=generator)

    @staticmethod
    def backward(ctx, g):
        return _zero_grad(ctx.p), None


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples, 1 with probability ``input`` (elementwise), or ``p`` when given."""
    if p is None and input.dtype.is_floating_point:
        result = _Bernoulli.apply(input, generator)
    else:
        result = empty_like(input).bernoulli_(input if p is None else p, generator=generator)
    if out is not None:
        return write_out("bernoulli", out, result)
    return result


# ---------------------------------------------------------------------------------------------
# out=: a factory writes into the given tensor (its dtype and device by default) instead of
# swallowing the keyword; the *_like functions refuse it, as torch does
# ---------------------------------------------------------------------------------------------
def _factory_with_out(fn):
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype
        if kwargs.get("device") is None:
            kwargs["device"] = out.device
        return write_out(fn.__name__, out, fn(*args, **kwargs))
    return wrapper


def _like_without_out(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if "out" in kwargs:
            raise TypeError(f"{fn.__name__}() got an unexpected keyword argument 'out'")
        return fn(*args, **kwargs)
    return wrapper


empty, full, zeros, ones = map(_factory_with_out, (empty, full, zeros, ones))
rand, randn, randint = map(_factory_with_out, (rand, randn, randint))
arange, linspace, eye = map(_factory_with_out, (arange, linspace, eye))
empty_like, zeros_like, ones_like, full_like = map(
    _like_without_out, (empty_like, zeros_like, ones_like, full_like))
rand_like, randn_like, randint_like = map(_like_without_out, (rand_like, randn_like, randint_like))
