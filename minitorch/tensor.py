"""The minitorch Tensor: a torch tensor used purely as storage (allocation, device, strides, views)
plus autograd state (requires_grad, grad, grad_fn, a version counter shared by views).

Every computation a Tensor method performs is a Triton kernel launched through ``minitorch.ops``;
the differentiable ones are ``autograd.Function`` subclasses in ``minitorch.functions``.
"""
import builtins
import numbers
import weakref

import torch

from . import _dtype
from . import functions as F
from ._repr import tensor_repr
from .autograd import backward, grad_mode
from .autograd.engine import AccumulateGrad
from .autograd.function import _RemovableHandle, _warn_nonleaf_grad
from .functions import indexing, inplace, pointwise
from .functions.shape import ToDevice
from .ops import lazy

__all__ = ["Tensor"]

_py_bool, _py_float, _py_int = builtins.bool, builtins.float, builtins.int


class Tensor:
    # ---------------------------------------------------------------- construction and state
    def __init__(self, *args, **kwargs):
        # ``minitorch.Tensor(2, 3)`` / ``Tensor([1., 2.])`` like the legacy torch constructor
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            from .creation import tensor  # creation.py imports this module
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
        acc = self._accumulator() if self._accumulator is not None else None
        if acc is None:
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
        return _RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if not self.is_leaf:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        self._post_accumulate_hooks.append(hook)
        return _RemovableHandle(self._post_accumulate_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
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
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
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

    # ---------------------------------------------------------------- ops (minitorch/functions)
    # Each method is the torch-namespace function of the same name (``x.add(y)`` is
    # ``minitorch.add(x, y)``); the functions check arguments and apply one autograd Function.
    # pointwise
    add, sub, mul, div, true_divide, divide = F.add, F.sub, F.mul, F.div, F.div, F.div
    floor_divide, remainder, pow, neg, negative = F.floor_divide, F.remainder, F.pow, F.neg, F.neg
    abs, exp, log, sqrt, rsqrt = F.abs, F.exp, F.log, F.sqrt, F.rsqrt
    sin, cos, tanh, sigmoid, relu = F.sin, F.cos, F.tanh, F.sigmoid, F.relu
    reciprocal, sign, isnan, isinf, isfinite = F.reciprocal, F.sign, F.isnan, F.isinf, F.isfinite
    logical_not, square, log2, log10, log1p = F.logical_not, F.square, F.log2, F.log10, F.log1p
    expm1, floor, ceil, round = F.expm1, F.floor, F.ceil, F.round
    clamp, clip, clamp_min, clamp_max = F.clamp, F.clamp, F.clamp_min, F.clamp_max
    maximum, minimum = F.maximum, F.minimum
    eq, ne, lt, le, gt, ge = F.eq, F.ne, F.lt, F.le, F.gt, F.ge
    less, less_equal, greater, greater_equal, not_equal = F.lt, F.le, F.gt, F.ge, F.ne
    logical_and, logical_or, logical_xor = F.logical_and, F.logical_or, F.logical_xor
    equal, allclose, isclose = F.equal, F.allclose, F.isclose
    lerp, addcmul, addcdiv = F.lerp, F.addcmul, F.addcdiv

    def where(self, condition, other):
        return F.where(condition, self, other)

    # reductions
    sum, mean, prod, max, min, amax, amin = F.sum, F.mean, F.prod, F.max, F.min, F.amax, F.amin
    argmax, argmin, all, any, norm = F.argmax, F.argmin, F.all, F.any, F.norm
    var, std, logsumexp, sum_to_size = F.var, F.std, F.logsumexp, F.sum_to_size
    softmax, log_softmax = F.softmax, F.log_softmax
    # linear algebra
    matmul, mm, bmm, mv, dot, outer, addmm = F.matmul, F.mm, F.bmm, F.mv, F.dot, F.outer, F.addmm
    # shape
    reshape, view, view_as, reshape_as = F.reshape, F.view, F.view_as, F.reshape_as
    flatten, unflatten, t, permute, movedim = F.flatten, F.unflatten, F.t, F.permute, F.movedim
    transpose, swapaxes, swapdims = F.transpose, F.transpose, F.transpose
    squeeze, unsqueeze, expand, expand_as = F.squeeze, F.unsqueeze, F.expand, F.expand_as
    broadcast_to, narrow, select, split = F.broadcast_to, F.narrow, F.select, F.split
    chunk, unbind, flip, contiguous, clone = F.chunk, F.unbind, F.flip, F.contiguous, F.clone
    # indexing
    gather, index_select, nonzero = F.gather, F.index_select, F.nonzero
    masked_select, masked_fill = F.masked_select, F.masked_fill
    __getitem__, __setitem__ = indexing.getitem, indexing.setitem

    @property
    def T(self):
        return F.permute(self, tuple(range(self.dim() - 1, -1, -1)))

    H = T

    @property
    def mT(self):
        return F.transpose(self, -2, -1)

    # ---------------------------------------------------------------- operators
    # A non-Tensor, non-number operand returns NotImplemented so Python tries the other side.
    def __add__(self, other):
        return F.add(self, other) if _operand(other) else NotImplemented

    __radd__ = __add__

    def __sub__(self, other):
        return F.sub(self, other) if _operand(other) else NotImplemented

    def __rsub__(self, other):
        if not _operand(other):
            return NotImplemented
        if isinstance(other, Tensor) or self.dtype == torch.bool:
            return F.sub(other, self)
        return pointwise.Rsub.apply(other, self)

    def __mul__(self, other):
        return F.mul(self, other) if _operand(other) else NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other):
        return F.div(self, other) if _operand(other) else NotImplemented

    def __rtruediv__(self, other):
        if not _operand(other):
            return NotImplemented
        if isinstance(other, Tensor):
            return pointwise.Div.apply(other, self)
        return self.reciprocal() * other  # torch: number / tensor is reciprocal(tensor) * number

    def __floordiv__(self, other):
        return F.floor_divide(self, other) if _operand(other) else NotImplemented

    def __rfloordiv__(self, other):
        if not _operand(other):
            return NotImplemented
        if isinstance(other, Tensor):
            return F.floor_divide(other, self)
        F._check_int_zero_division(other, self)
        return pointwise.FloorDivide.apply(other, self)

    def __mod__(self, other):
        return F.remainder(self, other) if _operand(other) else NotImplemented

    def __rmod__(self, other):
        if not _operand(other):
            return NotImplemented
        F._check_int_zero_division(other, self)
        return pointwise.Remainder.apply(other, self)

    def __pow__(self, other):
        return F.pow(self, other) if _operand(other) else NotImplemented

    def __rpow__(self, other):
        return F.pow(other, self) if _operand(other) else NotImplemented

    def __matmul__(self, other):
        return F.matmul(self, other) if isinstance(other, Tensor) else NotImplemented

    def __rmatmul__(self, other):
        return F.matmul(other, self) if isinstance(other, Tensor) else NotImplemented

    __neg__, __abs__, __invert__ = F.neg, F.abs, F.bitwise_not

    def __pos__(self):
        return self

    def __eq__(self, other):
        return F.eq(self, other) if _operand(other) else NotImplemented

    def __ne__(self, other):
        return F.ne(self, other) if _operand(other) else NotImplemented

    def __lt__(self, other):
        return F.lt(self, other) if _operand(other) else NotImplemented

    def __le__(self, other):
        return F.le(self, other) if _operand(other) else NotImplemented

    def __gt__(self, other):
        return F.gt(self, other) if _operand(other) else NotImplemented

    def __ge__(self, other):
        return F.ge(self, other) if _operand(other) else NotImplemented

    def __and__(self, other):
        return F.bitwise_and(self, other) if _operand(other) else NotImplemented

    def __or__(self, other):
        return F.bitwise_or(self, other) if _operand(other) else NotImplemented

    def __xor__(self, other):
        return F.bitwise_xor(self, other) if _operand(other) else NotImplemented

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    # ---------------------------------------------------------- in place (functions/inplace.py)
    add_, sub_, mul_, div_, true_divide_ = inplace.add_, inplace.sub_, inplace.mul_, \
        inplace.div_, inplace.div_
    pow_, clamp_, clip_, fill_, zero_ = inplace.pow_, inplace.clamp_, inplace.clamp_, \
        inplace.fill_, inplace.zero_
    copy_, masked_fill_ = inplace.copy_, inplace.masked_fill_
    uniform_, normal_, bernoulli_, random_ = inplace.uniform_, inplace.normal_, \
        inplace.bernoulli_, inplace.random_
    neg_, abs_, exp_, log_, sqrt_ = inplace.neg_, inplace.abs_, inplace.exp_, inplace.log_, \
        inplace.sqrt_
    sin_, cos_, tanh_, sigmoid_, relu_ = inplace.sin_, inplace.cos_, inplace.tanh_, \
        inplace.sigmoid_, inplace.relu_
    reciprocal_, rsqrt_ = inplace.reciprocal_, inplace.rsqrt_

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # ---------------------------------------------------------------- repr
    def __repr__(self, *, tensor_contents=None):
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
    return pointwise.ToCopy.apply(t, dtype)


def _operand(x):
    """Whether a binary operator takes ``x`` (a Tensor or a real number); if not, it returns
    NotImplemented."""
    return isinstance(x, (Tensor, numbers.Number)) and not isinstance(x, complex)
