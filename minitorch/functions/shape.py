"""View and shape ops. Views change sizes/strides of the same storage and launch nothing; their
backwards are views, sums or scatters of the gradient."""
import math
import numbers

import torch

from .. import _dtype
from .._tensor_ref import arange, tensor_type, zeros
from ..autograd.function import Function
from ..ops import elementwise
from ..ops import index as index_kernels
from .dims import normalize_dims


def _view(x, storage):
    return x._view_of(storage)


def _wrap(storage):
    Tensor = tensor_type()
    return Tensor._make(storage)


def dense_copy(storage):
    out = torch.empty(storage.shape, dtype=storage.dtype, device=storage.device)
    elementwise.pointwise("copy", out, storage)
    return out


def infer_shape(shape, numel):
    shape = list(shape)
    for i, s in enumerate(shape):
        if isinstance(s, numbers.Integral) and s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {shape}")
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if neg:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {shape} because "
                               "the unspecified dimension size -1 can be any value and is "
                               "ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    for s in shape:
        if s < -1 or (isinstance(s, numbers.Integral) and s < 0):
            raise RuntimeError(f"invalid shape dimension {s}")
    if math.prod(shape) != numel:
        raise RuntimeError(f"shape '{list(shape) if not neg else _orig(shape, neg)}' is invalid "
                           f"for input of size {numel}")
    return tuple(shape)


def _orig(shape, neg):
    s = list(shape)
    s[neg[0]] = -1
    return s


class View(Function):
    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape, must_view):
        shape = infer_shape(shape, x.numel())
        ctx.in_shape = tuple(x.shape)
        try:
            return _view(x, x._data.view(shape))
        except RuntimeError:
            if must_view:
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at least "
                    "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                    "instead.") from None
        return _wrap(dense_copy(x._data).view(shape))

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None, None


class Expand(Function):
    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = tuple(x.shape)
        try:
            return _view(x, x._data.expand(tuple(shape)))  # tuple: works for shape () too
        except RuntimeError as e:
            raise RuntimeError(str(e)) from None

    @staticmethod
    def backward(ctx, g):
        return g.sum_to_size(ctx.in_shape), None


class Transpose(Function):
    node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, x, d0, d1):
        ctx.dims = (d0, d1)
        return _view(x, x._data.transpose(d0, d1))

    @staticmethod
    def backward(ctx, g):
        return g.transpose(*ctx.dims), None, None


class MatrixTranspose(Function):
    node_name = "TBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dim() > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.dim()}D")
        return _view(x, x._data.t())

    @staticmethod
    def backward(ctx, g):
        return g.t()


class Permute(Function):
    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.inv = tuple(sorted(range(len(dims)), key=lambda i: dims[i]))
        return _view(x, x._data.permute(tuple(dims)))  # tuple: works for 0-d too

    @staticmethod
    def backward(ctx, g):
        return g.permute(*ctx.inv), None


class Squeeze(Function):
    node_name = "SqueezeBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.in_shape = tuple(x.shape)
        return _view(x, x._data.squeeze() if dim is None else x._data.squeeze(dim))

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class SqueezeDim(Squeeze):
    """squeeze(dim) of one int dim: torch's node is SqueezeBackward1."""
    node_name = "SqueezeBackward1"


class SqueezeDims(Squeeze):
    """squeeze(dims) of a tuple/list: torch's node is SqueezeBackward2."""
    node_name = "SqueezeBackward2"


class Unsqueeze(Function):
    node_name = "UnsqueezeBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return _view(x, x._data.unsqueeze(dim))

    @staticmethod
    def backward(ctx, g):
        return g.squeeze(ctx.dim), None


class BasicIndex(Function):
    """x[key] for ints, slices, None and Ellipsis: a view."""
    node_name = "SliceBackward0"

    @staticmethod
    def forward(ctx, x, key):
        ctx.in_shape, ctx.key = tuple(x.shape), key
        return _view(x, x._data[key])

    @staticmethod
    def backward(ctx, g):
        return index_backward(g, ctx.in_shape, ctx.key), None


class SelectIndex(BasicIndex):
    node_name = "SelectBackward0"


class UnsqueezeIndex(BasicIndex):
    node_name = "UnsqueezeBackward0"


class IndexBackward(Function):
    """zeros(shape) with ``g`` written at ``key`` (basic key); backward is ``gg[key]``."""
    node_name = "SliceBackwardBackward0"

    @staticmethod
    def forward(ctx, g, shape, key):
        ctx.key = key
        out = zeros(shape, dtype=g.dtype, device=g.device)
        elementwise.pointwise("copy", out._data[key], g._data)
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.key], None, None


def index_backward(g, shape, key):
    return IndexBackward.apply(g, shape, key)


class Split(Function):
    """chunk/split/unbind: several views; backward concatenates (zeros for unused pieces)."""
    node_name = "SplitBackward0"

    @staticmethod
    def forward(ctx, x, sizes, dim, squeeze):
        ctx.dim, ctx.sizes, ctx.squeeze, ctx.in_shape = dim, sizes, squeeze, tuple(x.shape)
        outs, start = [], 0
        for s in sizes:
            piece = x._data.narrow(dim, start, s)
            if squeeze:
                piece = piece.squeeze(dim)
            outs.append(_view(x, piece))
            start += s
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        pieces = []
        for g, s in zip(grads, ctx.sizes):
            shape = list(ctx.in_shape)
            shape[ctx.dim] = s
            if g is None:
                g = zeros(shape, dtype=ctx._outputs_meta[0][1], device=ctx._outputs_meta[0][2])
            elif ctx.squeeze:
                g = g.unsqueeze(ctx.dim)
            pieces.append(g)
        return cat(pieces, ctx.dim), None, None, None


class UnbindFn(Split):
    node_name = "UnbindBackward0"


class Cat(Function):
    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim, *tensors):
        Tensor = tensor_type()
        ref = tensors[0]
        shape = list(ref.shape)
        total = 0
        for num, t in enumerate(tensors):
            if t.dim() != ref.dim():
                raise RuntimeError("Tensors must have same number of dimensions: got "
                                   f"{ref.dim()} and {t.dim()}")
            for d in range(ref.dim()):
                if d != dim and t.shape[d] != ref.shape[d]:
                    raise RuntimeError(
                        f"Sizes of tensors must match except in dimension {dim}. Expected size "
                        f"{ref.shape[d]} but got size {t.shape[d]} for tensor number "
                        f"{num} in the list.")
            total += t.shape[dim]
        shape[dim] = total
        dtype = _dtype.result_type(*tensors)
        out = torch.empty(shape, dtype=dtype, device=ref.device)
        start = 0
        ctx.sizes = []
        ctx.dtypes = []
        for t in tensors:
            n = t.shape[dim]
            if t.numel():
                elementwise.pointwise("copy", out.narrow(dim, start, n), t._data,
                                      compute=_compute_for(t.dtype, dtype))
            ctx.sizes.append(n)
            ctx.dtypes.append(t.dtype)
            start += n
        ctx.dim = dim
        return Tensor._make(out)

    @staticmethod
    def backward(ctx, g):
        out, start = [None], 0
        for n, dt in zip(ctx.sizes, ctx.dtypes):
            piece = g.narrow(ctx.dim, start, n)
            out.append(piece if piece.dtype == dt else piece.to(dt))
            start += n
        return tuple(out)


def _compute_for(src, dst):
    if src.is_floating_point or dst.is_floating_point:
        return torch.float64 if torch.float64 in (src, dst) else torch.float32
    return dst


def _tensor_list(tensors, name):
    """torch's TensorList argument: a list or tuple (a Tensor or a generator is refused)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    return list(tensors)


def cat(tensors, dim=0):
    Tensor = tensor_type()
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for num, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {num} in argument 0, but "
                            f"got {type(t).__name__}")
    # legacy: 1-D empty tensors are skipped
    nonempty = [t for t in tensors if not (t.dim() == 1 and t.numel() == 0)] or tensors[:1]
    dtype = _dtype.result_type(*tensors)
    if _dtype.result_type(*nonempty) != dtype:
        # the skipped empty tensors still take part in the type promotion, as in torch
        nonempty[0] = nonempty[0].to(dtype)
    ndim = nonempty[0].dim()
    if ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = normalize_dims(dim, ndim)[0]
    return Cat.apply(d, *nonempty)


def stack(tensors, dim=0):
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors[1:], 1):
        if tuple(t.shape) != tuple(tensors[0].shape):
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at entry "
                               f"{i}")
    d = normalize_dims(dim, tensors[0].dim() + 1)[0]
    return Stack.apply(d, *tensors)


class Stack(Function):
    """One node, like torch's StackBackward0: a cat of the inputs seen with a new dim."""
    node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, dim, *tensors):
        Tensor = tensor_type()
        return Cat.forward(ctx, dim, *[Tensor._make(t._data.unsqueeze(dim)) for t in tensors])

    @staticmethod
    def backward(ctx, g):
        return (None,) + tuple(p.squeeze(ctx.dim) for p in Cat.backward(ctx, g)[1:])


def layout_buffer(shape, stride, dtype, device, fill=None):
    """A storage tensor of ``shape`` with exactly the (non-overlapping) ``stride`` layout, at
    offset 0 of its own storage, so that (size, stride, offset) geometries taken relative to a
    tensor of that layout address the same elements in it. Filled with ``fill`` if given."""
    if math.prod(shape) == 0:
        out = torch.empty(shape, dtype=dtype, device=device)
    else:
        extent = 1 + sum((n - 1) * st for n, st in zip(shape, stride))
        out = torch.empty((extent,), dtype=dtype, device=device).as_strided(shape, stride, 0)
    if fill is not None and out.numel():
        elementwise.pointwise("copy", out, fill)
    return out


def non_overlapping(shape, stride):
    """Whether no two elements of a (shape, stride) layout share a memory location."""
    dims = sorted((st, n) for n, st in zip(shape, stride) if n > 1)
    if any(n == 0 for n in shape):
        return True
    reach = 0  # largest offset reachable with the dims seen so far
    for st, n in dims:
        if st <= reach:
            return False
        reach += (n - 1) * st
    return True


class ToLayout(Function):
    """The same values laid out with ``stride`` (identity for autograd)."""
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x, stride):
        return _wrap(layout_buffer(tuple(x.shape), stride, x.dtype, x.device, fill=x._data))

    @staticmethod
    def backward(ctx, g):
        return g, None


def to_layout(x, stride):
    """``x`` as a tensor with the given strides (``x`` itself when it already has them)."""
    if tuple(x.stride()) == tuple(stride) or x.numel() == 0:
        return x
    return ToLayout.apply(x, tuple(stride))


class AsStrided(Function):
    """A view of a tensor by explicit (size, stride, offset) in its storage — how a view is
    re-derived from its base after an in-place op; backward writes the gradient into zeros laid
    out like the base."""
    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, x, geometry):
        size, stride, offset = geometry
        ctx.geometry, ctx.in_shape, ctx.in_stride = geometry, tuple(x.shape), tuple(x.stride())
        base = x._data
        return _view(x, base.as_strided(size, stride, base.storage_offset() + offset))

    @staticmethod
    def backward(ctx, g):
        return AsStridedScatter.apply(g, ctx.in_shape, ctx.geometry, ctx.in_stride), None


class AsStridedScatter(Function):
    node_name = "AsStridedScatterBackward0"

    @staticmethod
    def forward(ctx, g, shape, geometry, layout=None):
        size, stride, offset = geometry
        ctx.geometry, ctx.layout = geometry, layout
        if layout is None:
            layout = tuple(torch.empty(shape, device="meta").stride())
        out = layout_buffer(shape, layout, g.dtype, g.device, fill=0)
        elementwise.pointwise("copy", out.as_strided(size, stride, offset), g._data)
        return _wrap(out)

    @staticmethod
    def backward(ctx, gg):
        if ctx.layout is None:
            return AsStrided.apply(gg.contiguous(), ctx.geometry), None, None, None
        return AsStrided.apply(to_layout(gg, ctx.layout), ctx.geometry), None, None, None


class ToDevice(Function):
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, device):
        ctx.device = x.device
        return _wrap(x._data.to(device))

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.device), None


class Flip(Function):
    node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        # a negative-stride view is not expressible in torch storage: gather with reversed index
        out = x._data
        for d in dims:
            n = out.shape[d]
            idx = arange(n - 1, -1, -1, device=x.device)._data
            shape = [1] * out.dim()
            shape[d] = n
            out = index_kernels.gather(out, d, idx.view(shape).expand(out.shape))
        return _wrap(out if out is not x._data else dense_copy(out))

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.dims), None


__all__ = ["View", "Expand", "Transpose", "Permute", "Squeeze", "SqueezeDim", "SqueezeDims",
           "Unsqueeze", "BasicIndex", "Split", "Cat", "cat", "stack", "ToDevice"]
