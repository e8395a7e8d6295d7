"""The minitorch Tensor: a torch tensor used purely as storage (allocation, device, strides, views)
plus autograd state (requires_grad, grad, grad_fn, a version counter shared by views).

Every computation a Tensor method performs is a Triton kernel launched through ``minitorch.ops``;
the differentiable ones are ``autograd.Function`` subclasses in ``minitorch.functions``.
"""
import builtins
import numbers
import warnings

import numpy as np
import torch

from . import _dtype
from .autograd import grad_mode
from .autograd.function import _warn_nonleaf_grad
from .ops import elementwise as EW

_py_bool, _py_float, _py_int, _py_slice = builtins.bool, builtins.float, builtins.int, builtins.slice


class Tensor:
    # ---------------------------------------------------------------- construction and state
    def __init__(self, *args, **kwargs):
        # ``minitorch.Tensor(2, 3)`` / ``Tensor([1., 2.])`` like the legacy torch constructor
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            t = tensor(args[0], dtype=kwargs.get("dtype", _dtype.get_default_dtype()))
            storage = t._data
        else:
            storage = torch.empty(*args, dtype=kwargs.get("dtype", _dtype.get_default_dtype()),
                                  device=kwargs.get("device"))
        self._init(storage, False)

    # A pending tensor has its storage allocated but its values not yet computed: a deferred
    # kernel (see ops/lazy.py) fills it on first access of ``_data`` — which lets a consumer such as
    # relu fuse itself into the producing Linear instead.
    _pending = None

    @property
    def _data(self):
        if self._pending is not None:
            from .ops import lazy
            lazy.materialize(self)
        return self._storage

    @_data.setter
    def _data(self, storage):
        self._pending = None
        self._storage = storage

    def _init(self, storage, requires_grad):
        self._storage = storage
        self._requires_grad = requires_grad
        self._grad = None
        self._grad_fn = None
        self._output_nr = 0
        self._version_counter = [0]
        self._base = None
        self._hooks = []
        self._post_accumulate_hooks = []
        self._accumulator = None
        self._retains_grad = False
        self._stolen = False

    @classmethod
    def _make(cls, storage, requires_grad=False):
        t = cls.__new__(cls)
        t._init(storage, requires_grad)
        return t

    def _view_of(self, storage):
        """A new Tensor that is a view of ``self`` (shares storage and version counter)."""
        t = Tensor._make(storage)
        t._version_counter = self._version_counter
        t._base = self if self._base is None else self._base
        return t

    def _alias(self):
        return self._view_of(self._data)

    def _bump_version(self):
        self._version_counter[0] += 1

    def _edge(self, create=False):
        """The (node, output_nr) gradients for this tensor flow into."""
        if self._grad_fn is not None:
            return self._grad_fn, self._output_nr
        if self._requires_grad:
            return self._get_accumulator(), 0
        if create:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        return None, 0

    def _get_accumulator(self):
        from .autograd.engine import AccumulateGrad
        acc = self._accumulator() if self._accumulator is not None else None
        if acc is None:
            import weakref
            acc = AccumulateGrad(self)
            self._accumulator = weakref.ref(acc)
        return acc

    # ---------------------------------------------------------------- metadata
    @property
    def shape(self):
        return self._storage.shape

    def size(self, dim=None):
        return self._storage.shape if dim is None else self._storage.size(dim)

    def dim(self):
        return self._storage.dim()

    ndimension = dim

    @property
    def ndim(self):
        return self._storage.dim()

    def numel(self):
        return self._storage.numel()

    nelement = numel

    def stride(self, dim=None):
        return self._storage.stride() if dim is None else self._storage.stride(dim)

    def storage_offset(self):
        return self._storage.storage_offset()

    def is_contiguous(self, memory_format=None):
        return self._storage.is_contiguous()

    def data_ptr(self):
        return self._storage.data_ptr()

    def element_size(self):
        return self._storage.element_size()

    def __len__(self):
        if self.dim() == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    @property
    def dtype(self):
        return self._storage.dtype

    @property
    def device(self):
        return self._storage.device

    @property
    def is_cuda(self):
        return self._storage.is_cuda

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return False

    @property
    def layout(self):
        return torch.strided

    @property
    def _version(self):
        return self._version_counter[0]

    # ---------------------------------------------------------------- autograd attributes
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if not isinstance(value, _py_bool):
            raise TypeError("requires_grad must be a bool")
        if self._grad_fn is not None:
            if not value:
                raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                                   "you want to use a computed variable in a subgraph that doesn't "
                                   "require differentiation use var_no_grad = var.detach().")
            return
        if value and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def output_nr(self):
        return self._output_nr

    @property
    def grad(self):
        if not self.is_leaf and not self._retains_grad and self._grad is None:
            _warn_nonleaf_grad()
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.dtype != self.dtype:
                raise RuntimeError("attempting to assign a gradient with dtype "
                                   f"'{value.dtype}' to a tensor with dtype '{self.dtype}'. Please "
                                   "ensure that the gradient and the tensor have the same dtype")
            if tuple(value.shape) != tuple(self.shape):
                raise RuntimeError("attempting to assign a gradient of size "
                                   f"'{list(value.shape)}' to a tensor of size "
                                   f"'{list(self.shape)}'. Please ensure that the gradient and the "
                                   "tensor are the same size")
            if value.device != self.device:
                raise RuntimeError("attempting to assign a gradient located on device "
                                   f"'{value.device}' to a tensor located on device "
                                   f"'{self.device}'. Please ensure that the gradient and the "
                                   "tensor are on the same device")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    def retain_grad(self):
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.is_leaf or self._retains_grad:
            return
        self._retains_grad = True
        target = self

        def hook(g):
            with grad_mode.no_grad():
                if target._grad is None:
                    target._grad = g.detach().clone()
                else:
                    target._grad = target._grad + g
        hook._retain_grad_hook = True
        self._grad_fn._register_output_hook(self._output_nr, hook)

    @property
    def retains_grad(self):
        return self._retains_grad

    def register_hook(self, hook):
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn._register_output_hook(self._output_nr, hook)
        self._hooks.append(hook)
        from .autograd.function import _RemovableHandle
        return _RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if not self.is_leaf:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        self._post_accumulate_hooks.append(hook)
        from .autograd.function import _RemovableHandle
        return _RemovableHandle(self._post_accumulate_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward
        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph,
                 inputs=inputs)

    def detach(self):
        """Same storage and version counter, no history."""
        t = self._view_of(self._data)
        return t

    def detach_(self):
        if self._base is not None and self._base.requires_grad and self._grad_fn is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        """Same storage, but a fresh version counter and no history (PyTorch's ``.data``)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._data = value._data

    # ---------------------------------------------------------------- conversion
    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self._data.item()

    def __float__(self):
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return _py_float(self.item())

    def __int__(self):
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return _py_int(self.item())

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return _py_bool(self.item())

    def __index__(self):
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return self.item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, force=False):
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self.device.type != "cpu":
            raise TypeError(f"can't convert {self.device.type} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return self._data.numpy()

    def __array__(self, dtype=None):
        a = self.detach().numpy()
        return a.astype(dtype) if dtype is not None else a

    def to(self, *args, **kwargs):
        device, dtype, copy = _parse_to(*args, **kwargs)
        t = self
        if dtype is not None and dtype != t.dtype:
            t = _cast(t, dtype)
        if device is not None and torch.device(device) != t.device:
            from .functions.shape import ToDevice
            t = ToDevice.apply(t, torch.device(device))
        if copy and t is self:
            t = t.clone()
        return t

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to(torch.device("cuda" if device is None else
                                    (f"cuda:{device}" if isinstance(device, _py_int) else device)))

    def float(self):
        return self.to(torch.float32)

    def double(self):
        return self.to(torch.float64)

    def half(self):
        return self.to(torch.float16)

    def long(self):
        return self.to(torch.int64)

    def int(self):
        return self.to(torch.int32)

    def bool(self):
        return self.to(torch.bool)

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return _type_string(self.dtype, self.device)
        if isinstance(dtype, str):
            dev = "cuda" if ".cuda." in dtype else "cpu"
            for dt in _dtype.SUPPORTED:
                if _type_string(dt, torch.device(dev)) == dtype:
                    return self.to(device=dev, dtype=dt)
            raise ValueError(f"invalid type: '{dtype}'")
        if isinstance(dtype, torch.dtype):
            return self.to(dtype)
        # torch.FloatTensor / torch.cuda.FloatTensor classes
        name = getattr(dtype, "__module__", "") + "." + getattr(dtype, "__name__", "")
        return self.type(name.replace("torch.cuda.", "torch.cuda.").lstrip("."))

    def type_as(self, other):
        return self.to(other.dtype)

    def _type_string(self):
        return _type_string(self.dtype, self.device)

    # ---------------------------------------------------------------- repr
    def __repr__(self, *, tensor_contents=None):
        from ._repr import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self.dim() == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __hash__(self):
        return id(self)

    def __iter__(self):
        if self.dim() == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __reversed__(self):
        return self.flip(0)

    def __contains__(self, element):
        return _py_bool((self == element).any().item())

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.")
        with grad_mode.no_grad():
            new = self.clone()
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            with grad_mode.no_grad():
                new._grad = self._grad.clone()
        new.__class__ = self.__class__
        for k, v in self.__dict__.items():
            if k not in new.__dict__:
                new.__dict__[k] = v
        memo[id(self)] = new
        return new

    def __getstate__(self):
        raise TypeError("minitorch tensors are not picklable: save them with minitorch.save "
                        "(safetensors)")


def _type_string(dtype, device):
    names = {torch.float32: "FloatTensor", torch.float64: "DoubleTensor",
             torch.float16: "HalfTensor", torch.bfloat16: "BFloat16Tensor",
             torch.int64: "LongTensor", torch.int32: "IntTensor", torch.int16: "ShortTensor",
             torch.int8: "CharTensor", torch.uint8: "ByteTensor", torch.bool: "BoolTensor"}
    prefix = "torch.cuda." if device.type == "cuda" else "torch."
    return prefix + names[dtype]


def _parse_to(*args, **kwargs):
    device = kwargs.get("device")
    dtype = kwargs.get("dtype")
    copy = kwargs.get("copy", False)
    for a in args:
        if isinstance(a, torch.dtype):
            dtype = a
        elif isinstance(a, (str, torch.device)):
            device = a
        elif isinstance(a, _py_int) and not isinstance(a, _py_bool):
            device = torch.device("cuda", a)
        elif isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
    return device, dtype, copy


def _cast(t, dtype):
    from .functions.pointwise import ToCopy
    return ToCopy.apply(t, dtype)


# ---------------------------------------------------------------------------------------------
# Creation
# ---------------------------------------------------------------------------------------------
def _resolve_device(device):
    if device is not None:
        return torch.device(device)
    from . import _device  # set_default_device (issue 11)
    return _device.get_default_device()


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
    device = _resolve_device(device)  # the default device when none is given (issue 11)
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
    EW.pointwise("copy", t._data, fill_value)
    t._requires_grad = requires_grad
    _check_requires_grad(dtype, requires_grad)
    return t


def zeros(*size, dtype=None, device=None, requires_grad=False, **_):
    return full(_size_args(size or (_.pop("size", ()),)), 0, dtype=dtype or _dtype.get_default_dtype(), device=device,
                requires_grad=requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, **_):
    return full(_size_args(size or (_.pop("size", ()),)), 1, dtype=dtype or _dtype.get_default_dtype(), device=device,
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
    from .ops import creation
    size = _size_args(size)
    dtype = dtype or _dtype.get_default_dtype()
    _check_requires_grad(dtype, requires_grad)
    out = torch.empty(size, dtype=dtype, device=_resolve_device(device))
    creation.random_(out, kind, low, high, generator=generator)
    return Tensor._make(out, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **_):
    from .ops.creation import UNIFORM
    return _random(size or (_.pop("size", ()),), UNIFORM, 0.0, 1.0, dtype, device, requires_grad, generator)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **_):
    from .ops.creation import NORMAL
    return _random(size or (_.pop("size", ()),), NORMAL, 0.0, 1.0, dtype, device, requires_grad, generator)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad=False, **_):
    from .ops.creation import RANDINT
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
    from .ops import creation
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
    import math
    n = max(0, math.ceil((end - start) / step))
    out = torch.empty((n,), dtype=dtype, device=_resolve_device(device))
    creation.range_(out, start, step)
    _check_requires_grad(dtype, requires_grad)
    return Tensor._make(out, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False, **_):
    from .ops import creation
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or _dtype.get_default_dtype()
    out = torch.empty((steps,), dtype=dtype, device=_resolve_device(device))
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    creation.range_(out, _py_float(start), _py_float(step))
    if steps > 1:  # the last point exactly, as torch does
        EW.pointwise("copy", out[-1:], _py_float(end))
    _check_requires_grad(dtype, requires_grad)
    return Tensor._make(out, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False, **_):
    m = n if m is None else m
    rows = arange(n, device=device)
    cols = arange(m, device=device)
    out = empty(n, m, dtype=dtype or _dtype.get_default_dtype(), device=device)
    EW.pointwise("eq", out._data, rows._data.unsqueeze(1), cols._data.unsqueeze(0),
                 compute=torch.int64)
    out._requires_grad = requires_grad
    return out


# Tensor methods for ops live in functions/ and are attached there (one obvious place each).
from . import functions  # noqa: E402,F401  (attaches the op methods to Tensor)
