"""``__getitem__``/``__setitem__`` and the gathers behind them.

Basic keys (ints, slices, None, Ellipsis) are storage views. A key with one index tensor (int64
or bool mask), or several adjacent ones that broadcast together, becomes: the basic part as a
view, then ``index_select`` along the indexed dims (flattened into one when several), whose
backward is a scatter-add. Index values are bounds-checked on the host before any launch.
"""
import builtins
import numbers
import warnings

import numpy as np
import torch

from .. import _dtype
from .._tensor_ref import full, scalar_operand, tensor, tensor_type, zeros
from ..autograd import grad_mode
from ..autograd.function import Function
from ..ops import elementwise
from ..ops import index as index_kernels
from ..ops import reduce as reduce_kernels
from . import shape as shape_fns
from .dims import normalize_dims
from .inplace import PARTIAL_OVERLAP_MSG, _partial_overlap, _recording, rebase_history
from .pointwise import broadcast_shapes, cpp_type_name, unbroadcast, where
from .shape import stack


def _tensor_cls():
    Tensor = tensor_type()
    return Tensor


def _wrap(storage):
    return _tensor_cls()._make(storage)


class ScatterIntoZeros(Function):
    """zeros(shape).scatter_add(dim, idx, src) — the backward of value-selecting reductions and
    of gathers; its own backward is a gather."""
    node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, src, shape, dim, idx):
        out = zeros(shape, dtype=src.dtype, device=src.device)
        index_kernels.scatter_add_(_flat1(out._data), dim if len(shape) else 0,
                                   _flat1(idx._data), _flat1(src._data))
        ctx.dim, ctx.save_idx = dim, idx
        return out

    @staticmethod
    def backward(ctx, g):
        return _gather(g, ctx.dim, ctx.save_idx), None, None, None


def scatter_into_zeros(src, shape, dim, idx):
    return ScatterIntoZeros.apply(src, tuple(shape), dim, idx)


class Gather(Function):
    node_name = "GatherBackward0"
    _no_edge_slots = (2,)  # the index: no edge, as in torch

    @staticmethod
    def forward(ctx, x, dim, idx):
        ctx.shape, ctx.dim, ctx.idx = tuple(x.shape), dim, idx
        if x.dim() == 0:
            flat = index_kernels.gather(x._data.reshape(1), 0, idx._data.reshape(1))
            return _wrap(flat.reshape(()))
        return _wrap(index_kernels.gather(x._data, dim, idx._data))

    @staticmethod
    def backward(ctx, g):
        return scatter_into_zeros(g, ctx.shape, ctx.dim, ctx.idx), None, None


def _gather(x, dim, idx):
    return Gather.apply(x, dim, idx)


# ---------------------------------------------------------------------------------------------
# scatter / scatter_add (kernels: ops/index.py; a duplicate index keeps one of the values)
# ---------------------------------------------------------------------------------------------
def _flat1(t):
    """A 0-d storage as 1-d (the kernels walk at least one dimension)."""
    return t.reshape(1) if t.dim() == 0 else t


def _scattered(ctx, input, dim, index, src, kernel):
    """A copy of ``input`` with ``kernel`` (store or add) applied at ``index`` from the storage
    ``src``; ``ctx`` keeps what the backwards gather with."""
    out = shape_fns.dense_copy(input._data)
    kernel(_flat1(out), dim, _flat1(index._data), _flat1(src))
    ctx.dim, ctx.index = dim, index
    return _wrap(out)


class Scatter(Function):
    """input.scatter(dim, index, src): a copy of input with src's values at the indexed places;
    gradients: zeros at those places for input, the gathered gradient for src."""
    node_name = "ScatterBackward0"
    _no_edge_slots = (2,)  # the index: no edge, as in torch

    @staticmethod
    def forward(ctx, input, dim, index, src):
        return _scattered(ctx, input, dim, index, src._data, index_kernels.scatter_store)

    @staticmethod
    def backward(ctx, g):
        gi = ScatterValue.apply(g, ctx.dim, ctx.index, 0.0) if ctx.needs_input_grad[0] else None
        gs = _gather_any(g, ctx.dim, ctx.index) if ctx.needs_input_grad[3] else None
        return gi, None, None, gs


class ScatterValue(Function):
    """input.scatter(dim, index, value)."""
    node_name = "ScatterBackward1"
    _no_edge_slots = (2,)  # the index: no edge, as in torch

    @staticmethod
    def forward(ctx, input, dim, index, value):
        src = torch.tensor(value, dtype=input.dtype, device=input.device).expand(index.shape)
        return _scattered(ctx, input, dim, index, src, index_kernels.scatter_store)

    @staticmethod
    def backward(ctx, g):
        return ScatterValue.apply(g, ctx.dim, ctx.index, 0.0), None, None, None


class ScatterAdd(Function):
    """input.scatter_add(dim, index, src): gradients g for input, the gathered g for src."""
    node_name = "ScatterAddBackward0"
    _no_edge_slots = (2,)  # the index: no edge, as in torch

    @staticmethod
    def forward(ctx, input, dim, index, src):
        return _scattered(ctx, input, dim, index, src._data, index_kernels.scatter_add_)

    @staticmethod
    def backward(ctx, g):
        gs = _gather_any(g, ctx.dim, ctx.index) if ctx.needs_input_grad[3] else None
        return g, None, None, gs


def _gather_any(x, dim, idx):
    """gather along ``dim``; a 0-d input or index is gathered as 1-d."""
    if x.dim() == 0 or idx.dim() == 0:
        return _gather(x.reshape(-1), 0, idx.reshape(-1)).reshape(idx.shape)
    return _gather(x, dim, idx)


def _check_scatter(name, input, dim, index, src):
    """torch's scatter checks, in its order; returns the normalized dim."""
    T = _tensor_cls()
    if not isinstance(index, T):
        raise TypeError(f"{name}(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    if isinstance(src, T) and src.dtype != input.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    if index.dtype not in (torch.int64, torch.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    d = normalize_dims(dim, input.dim())[0] if input.dim() else normalize_dims(dim, 1)[0]
    low = index.dim() <= 1 and input.dim() <= 1
    if index.dim() != input.dim() and not low:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if isinstance(src, T) and src.dim() != index.dim() and not (index.dim() <= 1
                                                                 and src.dim() <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if index.dim() == input.dim() and index.dim():
        too_big = any(index.shape[i] > input.shape[i] for i in range(index.dim()) if i != d)
        if isinstance(src, T) and src.dim() == index.dim():
            too_big = too_big or any(index.shape[i] > src.shape[i] for i in range(index.dim()))
            tail = f" and to be no larger size than src {list(src.shape)}"
        else:
            tail = ""
        if too_big:
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {d}{tail}")
    _check_bounds(index._data, input.shape[d] if input.dim() else 1, d, RuntimeError,
                  negative=False)
    return d


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    if src is None and value is None:
        raise TypeError("scatter() missing 1 required positional argument: 'src' or 'value'")
    if src is not None and value is not None:
        raise TypeError("scatter() got both 'src' and 'value'")
    src = value if src is None else src
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if reduce == "multiply":
            raise NotImplementedError("scatter(reduce='multiply') is not supported by minitorch")
        if not isinstance(src, _tensor_cls()):
            src = full(tuple(index.shape), src, dtype=input.dtype, device=input.device)
        return scatter_add(input, dim, index, src)
    d = _check_scatter("scatter", input, dim, index, src)
    if isinstance(src, _tensor_cls()):
        return Scatter.apply(input, d, index, src)
    return ScatterValue.apply(input, d, index, src)


def scatter_add(input, dim, index, src):
    if not isinstance(src, _tensor_cls()):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    d = _check_scatter("scatter_add", input, dim, index, src)
    return ScatterAdd.apply(input, d, index, src)


def _index_range(idx_storage):
    """(min, max) of an integer index (one reduction launch each, read on the host)."""
    lo = reduce_kernels.reduce("min", idx_storage, tuple(range(idx_storage.dim())))
    hi = reduce_kernels.reduce("max", idx_storage, tuple(range(idx_storage.dim())))
    return int(lo.item()), int(hi.item())


def _check_bounds(idx_storage, size, dim, exc=IndexError, negative=True):
    """torch's bounds check: ``-size <= i < size`` (``0 <= i < size`` without ``negative``)."""
    if idx_storage.numel() == 0:
        return
    lo, hi = _index_range(idx_storage)
    bad = hi if hi >= size else (lo if lo < (-size if negative else 0) else None)
    if bad is not None:
        raise exc(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _check_in_self(idx_storage, size):
    """index_select/embedding's check: every index in ``[0, size)``."""
    if idx_storage.numel() == 0:
        return
    lo, hi = _index_range(idx_storage)
    if lo < 0 or hi >= size:
        raise IndexError("index out of range in self")


class IndexSelect(Function):
    """out = x.index_select(dim, idx) for a 1-D int64 index; backward scatter-adds."""
    node_name = "IndexSelectBackward0"
    _no_edge_slots = (2,)  # the index: no edge, as in torch

    @staticmethod
    def forward(ctx, x, dim, idx, out_shape=None):
        """``out_shape``: the gathered (contiguous) result reshaped, in the same node (x[idx]
        with a multi-dimensional index is one IndexBackward0, as in torch)."""
        shape = list(x.shape)
        shape[dim] = idx.numel()
        view_shape = [1] * x.dim()
        view_shape[dim] = idx.numel()
        expanded = idx._data.reshape(view_shape).expand(shape)
        ctx.dim, ctx.idx, ctx.in_shape, ctx.flat = dim, expanded, tuple(x.shape), tuple(shape)
        out = index_kernels.gather(x._data, dim, expanded)
        return _wrap(out if out_shape is None else out.reshape(out_shape))

    @staticmethod
    def backward(ctx, g):
        if tuple(g.shape) != ctx.flat:
            g = g.reshape(ctx.flat)
        return scatter_into_zeros(g, ctx.in_shape, ctx.dim, _wrap(ctx.idx)), None, None


class Index(IndexSelect):
    node_name = "IndexBackward0"


def index_select(input, dim, index, _node=IndexSelect):
    T = _tensor_cls()
    if not isinstance(index, T):
        raise TypeError(f"index_select(): argument 'index' (position 3) must be Tensor, not "
                        f"{type(index).__name__}")
    if index.dim() > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index.dtype not in (torch.int64, torch.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    d = normalize_dims(dim, input.dim())[0] if input.dim() else 0
    size = input.shape[d] if input.dim() else 1
    _check_in_self(index._data, size)
    if input.dim() == 0:
        if index.numel() != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                               f"{index.numel()} value(s)")
        return _node.apply(input.reshape(1), 0, index.reshape(-1)).reshape(())
    return _node.apply(input, d, index.reshape(-1))


def gather(input, dim, index, *, sparse_grad=False):
    T = _tensor_cls()
    if not isinstance(index, T):
        raise TypeError(f"gather(): argument 'index' (position 3) must be Tensor, not "
                        f"{type(index).__name__}")
    if index.dtype not in (torch.int64, torch.int32):
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    d = normalize_dims(dim, input.dim())[0] if input.dim() else 0
    if index.dim() != input.dim() and not (index.dim() <= 1 and input.dim() <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if index.dim() == input.dim():
        for i in range(index.dim()):
            if i != d and index.shape[i] > input.shape[i]:
                raise RuntimeError(f"Size does not match at dimension {i} expected index "
                                   f"{list(index.shape)} to be no larger than self "
                                   f"{list(input.shape)} apart from dimension {d}")
    _check_bounds(index._data, input.shape[d] if input.dim() else 1, d, RuntimeError,
                  negative=False)
    if index.dtype != torch.int64:
        index = index.long()
    return _gather_any(input, d, index)


def nonzero(input, as_tuple=False):
    pos = _wrap(index_kernels.nonzero_flat(input._data))
    if input.dim() == 0:  # torch: one "row" per nonzero, with no coordinates
        if as_tuple:
            return (pos,)
        return _wrap(torch.empty((pos.numel(), 0), dtype=torch.int64, device=input.device))
    if input.dim() == 1 and not as_tuple:
        return pos.reshape(-1, 1)
    if input.numel() == 0:  # no coordinates to split (and no division by a zero size)
        if as_tuple:
            return tuple(pos for _ in range(input.dim()))
        return _wrap(torch.empty((0, input.dim()), dtype=torch.int64, device=input.device))
    coords, rest = [], pos
    for d in range(input.dim() - 1, -1, -1):
        coords.append(rest % input.shape[d])
        rest = rest // input.shape[d]
    coords = coords[::-1]
    if as_tuple:
        return tuple(coords)
    return stack(coords, 1)


def masked_select(input, mask):
    if mask.dtype != torch.bool:
        # an integer mask would index by value (x[int_tensor]): refuse it as torch does
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    return input.expand(shape).reshape(-1)[mask.expand(shape).reshape(-1)]


def masked_fill(input, mask, value):
    if mask.dtype != torch.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{cpp_type_name(mask.dtype)}")
    if isinstance(value, _tensor_cls()):
        if value.dim() != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.dim()} dimension(s).")
        _dtype.check_scalar_fits(value.item(), input.dtype)
        value = value.to(input.dtype)
    else:
        _dtype.check_scalar_fits(value, input.dtype)
    out = where(mask, value, input)
    # the value takes the input's dtype (masked_fill(int_tensor, mask, 2.7) stays int64)
    return out if out.dtype == input.dtype else out.to(input.dtype)


# ---------------------------------------------------------------------------------------------
# key parsing
# ---------------------------------------------------------------------------------------------
def _is_index_tensor(k):
    return isinstance(k, _tensor_cls())


def _is_sequence(k):
    """What CPython's PySequence_Check accepts, as torch tests it (lists, tuples, ranges, numpy
    arrays, ...), minus strings and our Tensor."""
    return not isinstance(k, (str, bytes, dict, _tensor_cls())) and \
        hasattr(type(k), "__getitem__") and hasattr(type(k), "__len__")


def _treat_as_tuple(key):
    """torch's (NumPy's) rule for a non-tuple sequence key: it indexes several dims when it is
    short and holds a Tensor, a sequence, a slice, None or Ellipsis (deprecated, with torch's
    warning); otherwise it is one index tensor."""
    if isinstance(key, np.ndarray):
        return False
    try:
        n = len(key)
    except TypeError:
        return False
    if n >= 32:
        return False
    for v in key:
        if isinstance(v, (_tensor_cls(), slice)) or v is None or v is Ellipsis or _is_sequence(v):
            warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated "
                          "and will be changed in pytorch 2.9; use x[tuple(seq)] instead of "
                          "x[seq]. In pytorch 2.9 this will be interpreted as tensor index, "
                          "x[torch.tensor(seq)], which will result either in an error or a "
                          "different result", UserWarning, stacklevel=4)
            return True
    return False


def _index_item(k, device):
    """One element of an index tuple as getitem/setitem understand it: int, slice, None,
    Ellipsis or a minitorch index Tensor (sequences, numpy arrays and bools become tensors)."""
    T = _tensor_cls()
    if isinstance(k, T) and k.dtype == torch.uint8:
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                      "torch.bool instead.", UserWarning, stacklevel=4)
        return k.bool()
    if isinstance(k, T) and k.dim() == 0 and k.dtype != torch.bool and \
            not k.dtype.is_floating_point:
        return int(k.item())  # like torch: a 0-d integer tensor indexes as an int (a view)
    if k is None or k is Ellipsis or isinstance(k, (slice, T)):
        return k
    if isinstance(k, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(k).__name__}'")
    if isinstance(k, (bool, np.bool_)):
        return tensor(bool(k), device=device)
    if isinstance(k, numbers.Integral):
        return int(k)
    if isinstance(k, np.ndarray) or _is_sequence(k):
        data = k if isinstance(k, np.ndarray) else _to_list(k)
        try:
            t = tensor(data, device=device)
        except (TypeError, ValueError, RuntimeError):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte Variables are valid indices (got "
                             f"{type(k).__name__})") from None
        if t.dtype == torch.uint8:
            return _index_item(t, device)
        # like torch's indexing_tensor_from_data: anything but bool becomes int64 ([] included)
        return t if t.dtype == torch.bool else t.long()
    if hasattr(k, "__index__"):
        return k.__index__()
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(k).__name__})")


def _to_list(k):
    return [_to_list(v) if _is_sequence(v) and not isinstance(v, np.ndarray) else v
            for v in k]


def normalize_key(key, device):
    """A getitem/setitem key as a tuple of ints, slices, None, Ellipsis and index Tensors."""
    if isinstance(key, tuple):
        items = key
    elif not isinstance(key, _tensor_cls()) and _is_sequence(key) and _treat_as_tuple(key):
        items = tuple(key)
    else:
        items = (key,)
    return tuple(_index_item(k, device) for k in items)


def _as_index_tensor(k, device):
    if k.dtype not in (torch.int64, torch.int32, torch.uint8, torch.bool):  # as torch: no int8/16
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return k


def _split_key(key, ndim):
    """Normalize a key into a tuple; expand Ellipsis to slices."""
    if not isinstance(key, tuple):
        key = (key,)
    consumed = builtins.sum(1 if not (k is None or k is Ellipsis) and not (
        isinstance(k, _tensor_cls()) and k.dtype == torch.bool) else (
        k.dim() if isinstance(k, _tensor_cls()) and k.dtype == torch.bool else 0) for k in key)
    if builtins.sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    out = []
    for k in key:
        if k is Ellipsis:
            out.extend([slice(None)] * builtins.max(0, ndim - consumed))
        else:
            out.append(k)
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    return tuple(out)


def _check_basic(x, key):
    """torch's IndexError for an int out of range."""
    d = 0
    for k in key:
        if k is None:
            continue
        if isinstance(k, numbers.Integral) and not isinstance(k, bool):
            size = x.shape[d]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {d} with size {size}")
        d += 1


def getitem(self, key):
    key = _split_key(normalize_key(key, self.device), self.dim())
    if not builtins.any(_is_index_tensor(k) for k in key):
        _check_basic(self, key)
        node = shape_fns.BasicIndex
        last = [k for k in key if not (isinstance(k, slice) and k == slice(None))]
        if last and isinstance(last[-1], numbers.Integral):
            node = shape_fns.SelectIndex
        elif last and last[-1] is None:
            node = shape_fns.UnsqueezeIndex
        return node.apply(self, key)
    return _advanced_getitem(self, key)


def _advanced_plan(x, key):
    """Basic view key, position of the indexed dims in the view, the index tensors, and the
    permutation of the view's dims that makes the indexed dims adjacent (None when they are).
    Like torch, index tensors separated by a slice or None index dims moved to the front; ints
    between them select first and do not separate them."""
    basic, tensors, starts = [], [], []
    view_dim = 0
    for k in key:
        if _is_index_tensor(k):
            t = _as_index_tensor(k, x.device)
            n = t.dim() if t.dtype == torch.bool else 1
            basic.extend([slice(None)] * n)
            tensors.append(t)
            starts.append((view_dim, n))
            view_dim += n
            continue
        basic.append(k)
        if k is None or isinstance(k, slice):
            view_dim += 1
    adjacent = all(a[0] + a[1] == b[0] for a, b in zip(starts, starts[1:]))
    if adjacent:
        return tuple(basic), starts[0][0], tensors, None
    indexed = [d for start, n in starts for d in range(start, start + n)]
    perm = indexed + [d for d in range(view_dim) if d not in indexed]
    return tuple(basic), 0, tensors, perm


def _flat_index(view, pos, tensors):
    """One int64 index over the dims ``pos..`` that ``tensors`` address, plus how many dims those
    are and the broadcast shape of the index."""
    ints, dims = [], []
    d = pos
    for t in tensors:
        if t.dtype == torch.bool:
            sizes = tuple(view.shape[d:d + t.dim()])
            if tuple(t.shape) != sizes:
                for i, (a, b) in enumerate(zip(t.shape, sizes)):
                    if a != b:
                        raise IndexError(f"The shape of the mask {list(t.shape)} at index {i} "
                                         f"does not match the shape of the indexed tensor "
                                         f"{list(view.shape)} at index {d + i}")
            flat = _wrap(index_kernels.nonzero_flat(t._data))
            ints.append(flat)
            dims.append((d, t.dim()))
            d += t.dim()
        else:
            if t.dtype not in (torch.int64, torch.int32, torch.uint8):
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            _check_bounds(t._data, view.shape[d], d)
            size = view.shape[d]
            ints.append(t.long() + (t < 0).long() * size if _has_negative(t) else t.long())
            dims.append((d, 1))
            d += 1
    # combine several index tensors into one over the flattened dims (row-major)
    try:
        shape = broadcast_shapes(*[tuple(i.shape) for i in ints])
    except RuntimeError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                         "shapes " + ", ".join(str(list(i.shape)) for i in ints)) from None
    total = None
    for (start, n), idx in zip(dims, ints):
        span = 1
        for s in view.shape[start:start + n]:
            span *= s
        total = idx if total is None else total * span + idx
    n_dims = d - pos
    return total.expand(shape) if tuple(total.shape) != shape else total, n_dims, shape


def _has_negative(t):
    return t.numel() > 0 and bool((t < 0).any())


def _advanced_getitem(x, key):
    basic, pos, tensors, perm = _advanced_plan(x, key)
    view = x[basic] if builtins.any(not (isinstance(k, slice) and k == slice(None))
                                    for k in basic) else x
    if perm is not None:
        view = view.permute(perm)
    idx, n_dims, idx_shape = _flat_index(view, pos, tensors)
    vshape = list(view.shape)
    merged = vshape[:pos] + [-1] + vshape[pos + n_dims:]
    if n_dims != 1:
        view = view.reshape(merged) if view.numel() else view.reshape(
            vshape[:pos] + [0] + vshape[pos + n_dims:])
    return Index.apply(view, pos, idx.reshape(-1).contiguous(),
                       tuple(vshape[:pos] + list(idx_shape) + vshape[pos + n_dims:]))


# ---------------------------------------------------------------------------------------------
# __setitem__
# ---------------------------------------------------------------------------------------------
class IndexPut(Function):
    """out = x with ``value`` written at ``key`` (out of place, for autograd's in-place path)."""
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, x, value, key):
        out = x.clone()
        with grad_mode.no_grad():
            _write(out, key, value)
        ctx.key = key
        ctx.value_meta = None if not isinstance(value, _tensor_cls()) else (
            tuple(value.shape), value.dtype)
        return out

    @staticmethod
    def backward(ctx, g):
        gx = g.clone()
        with grad_mode.no_grad():
            _write(gx, ctx.key, 0.0)
        gv = None
        if ctx.value_meta is not None and ctx.needs_input_grad[1]:
            gsel = g[ctx.key]
            extra = len(ctx.value_meta[0]) - gsel.dim()
            if extra > 0:  # a value with leading size-1 dims beyond the selection's
                gsel = gsel.reshape((1,) * extra + tuple(gsel.shape))
            gv = unbroadcast(gsel, *ctx.value_meta)
        return gx, gv, None


def _write(x, key, value):
    """x[key] = value without autograd (value: Tensor or number)."""
    T = _tensor_cls()
    key_t = _split_key(key, x.dim())
    if not builtins.any(_is_index_tensor(k) for k in key_t):
        _check_basic(x, key_t)
        target = x._data[key_t]
        src = value._data if isinstance(value, T) else scalar_operand(value, x.dtype, x.device)
        if isinstance(value, T) and value.dim() > target.dim():
            src = value._data.reshape(tuple(value.shape)[value.dim() - target.dim():]) \
                if all(s == 1 for s in value.shape[:value.dim() - target.dim()]) else src
        if isinstance(value, T):
            _check_expand(tuple(src.shape), tuple(target.shape))
        elementwise.pointwise("copy", target, src, compute=_compute(x.dtype, value))
    else:
        basic, pos, tensors, perm = _advanced_plan(x, key_t)
        view = x._data[basic]
        if perm is not None:
            view = view.permute(perm)
        vt = _wrap(view)
        idx, n_dims, idx_shape = _flat_index(vt, pos, tensors)
        vshape = list(view.shape)
        dense = None
        try:
            merged = view.view(vshape[:pos] + [-1] + vshape[pos + n_dims:])
        except RuntimeError:  # indexed dims that don't merge: scatter into a dense copy
            dense = shape_fns.dense_copy(view)
            merged = dense.view(vshape[:pos] + [-1] + vshape[pos + n_dims:])
        sel_shape = vshape[:pos] + list(idx_shape) + vshape[pos + n_dims:]
        if isinstance(value, T):
            vshape_ = tuple(value.shape)
            lead = len(vshape_) - len(sel_shape)
            if lead > 0 and all(s == 1 for s in vshape_[:lead]):
                value, vshape_ = value.reshape(vshape_[lead:]), vshape_[lead:]
            if lead > 0 and vshape_ != tuple(value.shape) or not _expandable(vshape_,
                                                                              sel_shape):
                raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} "
                                   f"cannot be broadcast to indexing result of shape "
                                   f"{list(sel_shape)}")
            src = value.expand(sel_shape)
        else:
            src = full(sel_shape, value, dtype=x.dtype, device=x.device)
        src = src.reshape(vshape[:pos] + [-1] + vshape[pos + n_dims:])
        flat = idx.reshape(-1).contiguous()
        shape = list(merged.shape)
        shape[pos] = flat.numel()
        view_shape = [1] * merged.dim()
        view_shape[pos] = flat.numel()
        # writes happen in index order, so the last duplicate wins (torch: unspecified)
        index_kernels.scatter_store(merged, pos, flat._data.reshape(view_shape).expand(shape),
                                    src.to(x.dtype)._data)
        if dense is not None:
            elementwise.pointwise("copy", view, dense)
    x._bump_version()


def _expandable(shape, target):
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(target)))


def _check_expand(shape, target):
    """torch's copy_/expand message for a value that doesn't broadcast to the target."""
    if len(shape) > len(target) or _expandable(shape, target):
        if len(shape) <= len(target):
            return
    for i in range(1, builtins.max(len(shape), len(target)) + 1):
        s = shape[-i] if i <= len(shape) else 1
        t = target[-i] if i <= len(target) else 1
        if s != t and s != 1:
            raise RuntimeError(f"The expanded size of the tensor ({t}) must match the existing "
                               f"size ({s}) at non-singleton dimension {len(target) - i}.  Target "
                               f"sizes: {list(target)}.  Tensor sizes: {list(shape)}")
    raise RuntimeError(f"expand: the number of sizes provided ({len(target)}) must be greater or "
                       f"equal to the number of dimensions in the tensor ({len(shape)})")


def _compute(dtype, value):
    T = _tensor_cls()
    if isinstance(value, T) and value.dtype.is_floating_point and not dtype.is_floating_point:
        return torch.float32
    if dtype in (torch.float16, torch.bfloat16):
        return torch.float32
    return dtype


def _check_setitem_overlap(x, key, value):
    """torch's aliasing check for ``x[key] = value`` where ``value`` is a view of x's memory:
    copy_ into the selected view (basic keys) or index_put_ into x (advanced keys)."""
    v = value._storage
    if v.numel() == 0:
        return
    key_t = _split_key(key, x.dim())
    if builtins.any(_is_index_tensor(k) for k in key_t):
        target = x._storage
    else:
        _check_basic(x, key_t)
        target = x._storage[key_t]
    if _partial_overlap(target, v):
        raise RuntimeError(PARTIAL_OVERLAP_MSG)


def setitem(self, key, value):
    T = _tensor_cls()
    key = normalize_key(key, self.device)
    if not isinstance(value, (T, numbers.Number)):
        if isinstance(value, (str, bytes)) or value is None:
            raise TypeError(f"can't assign a {type(value).__name__} to a {self.type()}")
        value = tensor(value, dtype=self.dtype, device=self.device)
    if isinstance(value, T):
        _check_setitem_overlap(self, key, value)
    elif isinstance(value, numbers.Integral) and not -2 ** 63 <= value < 2 ** 63:
        raise ValueError("Overflow when unpacking long long")
    elif self.dtype in (torch.float16, torch.bfloat16) and not isinstance(value, builtins.bool):
        # torch checks a number against float32 here, then casts: 1e6 becomes inf in a half
        _dtype.check_scalar_fits(value, torch.float32)
        limit = 65504.0 if self.dtype == torch.float16 else 3.3895313892515355e38
        if builtins.abs(value) > limit and builtins.abs(value) != float("inf"):
            value = float("inf") if value > 0 else float("-inf")
    if _recording(self, value):
        if self.is_leaf and self.requires_grad:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        rebase_history(self, IndexPut.apply(self, value, key))
        return
    _write(self, key, value)


__all__ = ["ScatterIntoZeros", "scatter_into_zeros", "Scatter", "ScatterValue", "ScatterAdd",
           "scatter", "scatter_add", "Gather", "IndexSelect", "Index",
           "index_select", "gather", "nonzero", "masked_select", "masked_fill", "getitem",
           "IndexPut", "setitem"]
