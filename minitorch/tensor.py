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
from ._repr import tensor_repr
from .autograd import backward, grad_mode
from .autograd.engine import AccumulateGrad
from .autograd.function import _RemovableHandle, _warn_nonleaf_grad
from .functions import TensorOps, pointwise
from .functions.inplace import InplaceOps
from .functions.pointwise import cpp_type_name, type_name
from .functions.shape import AsStrided, ToDevice
from .ops import lazy

__all__ = ["Tensor"]

_py_bool, _py_float, _py_int = builtins.bool, builtins.float, builtins.int


class Tensor(TensorOps, InplaceOps):
    """A tensor: storage, autograd state and (from the mixins) every op as a method.

    ``TensorOps`` (functions/__init__.py) binds the torch-namespace functions as methods and
    defines the operators; ``InplaceOps`` (functions/inplace.py) the in-place methods."""
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

    # Every access to values goes through ``_data``: a deferred Linear output (ops/lazy.py,
    # minitorch/fusion.py) is computed first, before anything can read it or change its inputs.
    @property
    def _data(self):
        if lazy._slot is not None:
            lazy.flush()
        return self._storage

    @_data.setter
    def _data(self, storage):
        if lazy._slot is not None:
            lazy.flush()
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

    # A differentiable view (made by a view op in grad mode) remembers the version of its base's
    # storage when its grad_fn was last derived. After an in-place write through the base or a
    # sibling view, its grad_fn is re-derived from the base's new history (torch's view replay).
    _view_version = None

    def _refresh_view(self):
        if self._view_version is None or self._view_version == self._version_counter[0]:
            return
        self._view_version = self._version_counter[0]
        base = self._base
        if not base.requires_grad:
            return
        with grad_mode.enable_grad():
            view = AsStrided.apply(base, (tuple(self.shape), tuple(self.stride()),
                                          self.storage_offset() - base.storage_offset()))
        self._set_history(view._grad_fn, 0)

    def _set_history(self, grad_fn, output_nr, retain=True):
        """Make ``self`` the output ``output_nr`` of ``grad_fn`` (after an in-place op or a view
        replay). Like torch, a retain_grad() moves to the new node (it reports the gradient of
        the tensor's current value), while other hooks stay with the old one; ``retain=False``
        drops it instead (torch's behaviour for a view written in place)."""
        old_fn, old_nr = self._grad_fn, self._output_nr
        self._grad_fn, self._output_nr, self._requires_grad = grad_fn, output_nr, True
        if not self._retains_grad or old_fn is None or old_fn is grad_fn:
            return
        hooks = old_fn._pre_hooks.get(old_nr, [])
        moved = [h for h in hooks if getattr(h, "_retain_grad_hook", False)]
        for h in moved:
            hooks.remove(h)
            if retain and grad_fn is not None:
                grad_fn._pre_hooks.setdefault(output_nr, []).append(h)

    def _alias(self):
        return self._view_of(self._data)

    def _bump_version(self):
        self._version_counter[0] += 1

    def _edge(self, create=False):
        """The (node, output_nr) gradients for this tensor flow into."""
        self._refresh_view()
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

    def is_contiguous(self, memory_format=torch.contiguous_format):
        return self._storage.is_contiguous(memory_format=memory_format)

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
        self._refresh_view()
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
        self._refresh_view()
        return self._grad_fn

    @property
    def is_leaf(self):
        self._refresh_view()
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
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{cpp_type_name(value.dtype)}' "
                    f"to a tensor with grad_dtype '{type_name(self.dtype)}'. The gradient must "
                    "match the tensor's grad_dtype (defaults to the tensor's dtype). You can set "
                    "the tensor's grad_dtype attribute with a specific dtype, or None to allow any "
                    "dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
                    "gradient may break downstream systems that assume they match.")
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

    _made_by_view_op = False  # set by autograd.Function.apply for view outputs
    _view_creation = None     # "no_grad" / "multi_output" (torch's CreationMeta), or None
    _view_creation_node = None  # (node name, output nr) of a view taken of such a view

    def detach_(self):
        if self._base is not None and self._made_by_view_op:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
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
        if self.requires_grad and not value.dtype.is_floating_point and \
                not value.dtype.is_complex:
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype")
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
        device, dtype, copy, memory_format = _parse_to(*args, **kwargs)
        t = self
        if dtype is not None and dtype != t.dtype:
            t = _cast(t, dtype)
        if device is not None and torch.device(device) != t.device:
            t = ToDevice.apply(t, torch.device(device))
        if memory_format not in (None, torch.preserve_format):
            t = t.contiguous(memory_format=memory_format)
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

    def bfloat16(self):
        return self.to(torch.bfloat16)

    def short(self):
        return self.to(torch.int16)

    def char(self):
        return self.to(torch.int8)

    def byte(self):
        return self.to(torch.uint8)

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
    memory_format = kwargs.get("memory_format")
    for a in args:
        if isinstance(a, torch.dtype):
            dtype = a
        elif isinstance(a, (str, torch.device)):
            device = a
        elif isinstance(a, _py_int) and not isinstance(a, _py_bool):
            device = torch.device("cuda", a)
        elif isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
    return device, dtype, copy, memory_format


def _cast(t, dtype):
    return pointwise.ToCopy.apply(t, dtype)
