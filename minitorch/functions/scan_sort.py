"""Scans, triangular masks, sorting and the ops built on them: cumsum / cumprod, tril / triu,
sort / argsort / msort / topk, multinomial (inverse-cdf search of a cumsum with replacement, a
sort of exponential race keys without) and repeat_interleave (a search of the cumsum of the
repeats).

Each differentiable op is one ``autograd.Function`` over the kernels in ``ops/scan.py``,
``ops/sort.py`` and ``ops/triangular.py`` (sort values keep the kernel's output; their backward
scatters the gradient to the sorted positions).
"""
import collections
import functools
import numbers
import warnings

import torch

from .._tensor_ref import arange, is_tensor, ones, tensor, wrap, zeros
from ..autograd import grad_mode
from ..autograd.function import Function
from ..ops import creation as creation_kernels
from ..ops import scan as scan_kernels
from ..ops import sort as sort_kernels
from ..ops import triangular as triangular_kernels
from .indexing import scatter_into_zeros
from .pointwise import type_name, where
from .reduction import MaxMinAll
from .results import ValuesIndices
from .shape import cat

__all__ = ["Cumsum", "ReverseCumsum", "Cumprod", "cumsum", "cumprod", "Tril", "Triu", "tril",
           "triu", "SortResult", "TopkResult", "sort", "argsort", "msort", "topk", "multinomial",
           "repeat_interleave", "median", "unique"]


def _dim(dim, ndim):
    span = max(ndim, 1)
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, not {type(dim).__name__}")
    if not -span <= dim < span:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-span}, "
                         f"{span - 1}], but got {dim})")
    return dim % span


def _last(x, dim):
    """(contiguous tensor with ``dim`` moved last, function moving a same-shaped result back)."""
    if x.dim() == 0:
        return x.reshape(1), lambda t: t.reshape(())
    if dim == x.dim() - 1:
        return x.contiguous(), lambda t: t
    return x.movedim(dim, -1).contiguous(), lambda t: t.movedim(-1, dim).contiguous()


# ---------------------------------------------------------------------------------------------
# cumsum / cumprod
# ---------------------------------------------------------------------------------------------
def _scan(x, dim, op, reverse=False, out_dtype=None):
    xs, back = _last(x, dim)
    out = torch.empty(tuple(xs.shape), dtype=out_dtype or xs.dtype, device=xs.device)
    scan_kernels.scan_(xs._data, out, op, reverse)
    return back(wrap(out))


class Cumsum(Function):
    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return _scan(x, dim, "sum")

    @staticmethod
    def backward(ctx, g):
        return reverse_cumsum(g, ctx.dim), None


def reverse_cumsum(g, dim):
    return ReverseCumsum.apply(g, dim)


class ReverseCumsum(Function):
    """Cumsum from the end of ``dim``: the backward of cumsum (and cumsum the backward of this)."""
    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, g, dim):
        ctx.dim = dim
        return _scan(g, dim, "sum", reverse=True)

    @staticmethod
    def backward(ctx, gg):
        return Cumsum.apply(gg, ctx.dim), None


class Cumprod(Function):
    node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        out = _scan(x, dim, "prod")
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        dim = ctx.dim
        if x.numel() == 0:
            return g, None
        if not bool((x == 0).any()):
            return reverse_cumsum(g * out, dim) / x, None
        # zeros: grad_i = sum_{k >= i} g_k * prod_{j <= k, j != i} x_j, through an (N, N) table
        xl = x.movedim(dim, -1) if x.dim() else x.reshape(1)
        gl = g.movedim(dim, -1) if g.dim() else g.reshape(1)
        n = xl.shape[-1]
        ar = arange(n, device=x.device)
        eye = ar.unsqueeze(1) == ar.unsqueeze(0)
        table = where(eye, ones((), dtype=x.dtype, device=x.device), xl.unsqueeze(-2))
        prods = Cumprod.apply(table, table.dim() - 1)          # [..., i, k]
        upper = ar.unsqueeze(1) <= ar.unsqueeze(0)               # k >= i
        terms = where(upper, prods * gl.unsqueeze(-2), zeros((), dtype=x.dtype,
                                                                  device=x.device))
        gi = terms.sum(-1)
        gi = gi.movedim(-1, dim) if x.dim() else gi.reshape(())
        return gi, None


def _scan_dtype(input, dtype):
    if dtype is not None:
        return dtype
    if input.dtype.is_floating_point:
        return input.dtype
    return torch.int64


def cumsum(input, dim, *, dtype=None, out=None):
    dim = _dim(dim, input.dim())
    dt = _scan_dtype(input, dtype)
    if input.dtype != dt:
        input = input.to(dt)
    return Cumsum.apply(input, dim)


def cumprod(input, dim, *, dtype=None, out=None):
    dim = _dim(dim, input.dim())
    dt = _scan_dtype(input, dtype)
    if input.dtype != dt:
        input = input.to(dt)
    return Cumprod.apply(input, dim)


# ---------------------------------------------------------------------------------------------
# tril / triu
# ---------------------------------------------------------------------------------------------
def _tri(x, diagonal, upper):
    xs = x.contiguous()
    out = torch.empty(tuple(xs.shape), dtype=xs.dtype, device=xs.device)
    triangular_kernels.tri_(xs._data, out, diagonal, upper)
    return wrap(out)


class Tril(Function):
    node_name = "TrilBackward0"

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return _tri(x, diagonal, False)

    @staticmethod
    def backward(ctx, g):
        return Tril.apply(g, ctx.diagonal), None


class Triu(Function):
    node_name = "TriuBackward0"

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return _tri(x, diagonal, True)

    @staticmethod
    def backward(ctx, g):
        return Triu.apply(g, ctx.diagonal), None


def _check_tri(input, name):
    if not is_tensor(input):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.dim() < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


def tril(input, diagonal=0, *, out=None):
    _check_tri(input, "tril")
    return Tril.apply(input, int(diagonal))


def triu(input, diagonal=0, *, out=None):
    _check_tri(input, "triu")
    return Triu.apply(input, int(diagonal))


# ---------------------------------------------------------------------------------------------
# sort / argsort / topk
# ---------------------------------------------------------------------------------------------
SortResult = collections.namedtuple("sort", ["values", "indices"])
TopkResult = collections.namedtuple("topk", ["values", "indices"])


def _sort_indices(input, dim, descending):
    with grad_mode.no_grad():
        x = input.detach()
        if x.dtype == torch.bool:
            x = x.to(torch.uint8)
        xs, back = _last(x, dim)
        vals = torch.empty(tuple(xs.shape), dtype=xs.dtype, device=xs.device)
        idx = torch.empty(tuple(xs.shape), dtype=torch.int64, device=xs.device)
        sort_kernels.sort_rows_(xs._data, vals, idx, descending)
        v, i = back(wrap(vals)), back(wrap(idx))
        if input.dtype == torch.bool:
            v = v.to(torch.bool)
    return v, i


class _SortValues(Function):
    """Values the sort kernel already wrote; the backward scatters the gradient back to the
    sorted positions (gather's backward)."""
    node_name = "SortBackward0"

    @staticmethod
    def forward(ctx, x, dim, idx, vals):
        ctx.shape, ctx.dim, ctx.idx = tuple(x.shape), dim, idx
        return vals

    @staticmethod
    def backward(ctx, g):
        if not ctx.shape:
            return g.reshape(()), None, None, None
        return scatter_into_zeros(g, ctx.shape, ctx.dim, ctx.idx), None, None, None


class _SortValuesStable(_SortValues):
    node_name = "SortBackward1"  # torch's sort.stable overload (stable= given)


class _TopkValues(_SortValues):
    node_name = "TopkBackward0"


def _gather_values(input, dim, idx, vals, node=_SortValues):
    if input.requires_grad and grad_mode.is_grad_enabled():
        return node.apply(input, dim, idx, vals)
    return vals


def sort(input, dim=-1, descending=False, *, stable=None, out=None):
    dim = _dim(dim, input.dim())
    vals, idx = _sort_indices(input, dim, descending)  # always stable
    node = _SortValues if stable is None else _SortValuesStable
    return SortResult(_gather_values(input, dim, idx, vals, node), idx)


def argsort(input, dim=-1, descending=False, stable=False):
    dim = _dim(dim, input.dim())
    return _sort_indices(input, dim, descending)[1]


def msort(input):
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    dim = _dim(dim, input.dim())
    size = input.shape[dim] if input.dim() else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    vals, idx = _sort_indices(input, dim, largest)
    if input.dim():
        idx = idx.narrow(dim, 0, k).contiguous()
        vals = vals.narrow(dim, 0, k).contiguous()
    return TopkResult(_gather_values(input, dim, idx, vals, _TopkValues), idx)


# ---------------------------------------------------------------------------------------------
# median, unique (through the stable sort; NaN sorts last, as in torch)
# ---------------------------------------------------------------------------------------------
def median(input, dim=None, keepdim=False):
    """The lower median (NaN when the slice holds one, as torch); with ``dim`` also its index.
    The values are a gather of the input (gradient to the chosen element)."""
    if dim is None:
        if input.numel() == 0:
            return tensor(float("nan"), dtype=input.dtype, device=input.device)
        return MedianAll.apply(input)
    d = _dim(dim, input.dim())
    if input.dim() == 0:
        return ValuesIndices(input.clone(), zeros((), dtype=torch.int64, device=input.device),
                             "median")
    n = input.shape[d]
    if n == 0:
        raise IndexError("median(): Expected reduction dim " + str(d) + " to have non-zero size.")
    with grad_mode.no_grad():
        order = _sort_indices(input, d, False)[1]
        nans = input.isnan().sum(d, keepdim=True)
        pos = where(nans > 0, n - nans, (n - 1) // 2)
        idx = order.gather(d, pos)
    values = input.gather(d, idx)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return ValuesIndices(values, idx, "median")


class MedianAll(MaxMinAll):
    """median() of all elements: like torch (evenly_distribute_backward) the gradient is shared
    by every element equal to the median (the NaNs when it is NaN), not routed to one of them as
    median(dim) does."""
    node_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, x):
        out = median(x.reshape(-1), 0).values.reshape(())
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        return MaxMinAll.backward(ctx, g)[:1]


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values in ascending order, and optionally each element's position among
    them and how often each occurs (sort, mark the first of each run, compact)."""
    if dim is not None:
        raise NotImplementedError("unique(dim=...) is not supported by minitorch")
    with grad_mode.no_grad():
        flat = input.detach().reshape(-1)
        n = flat.numel()
        vals, order = _sort_indices(flat, 0, False)
        first = ones(n, dtype=torch.bool, device=input.device)
        if n > 1:
            first[1:] = vals[1:] != vals[:-1]
        out = [vals[first]]
        if return_inverse:
            group = first.long().cumsum(0) - 1
            inverse = zeros(n, dtype=torch.int64, device=input.device)
            out.append(inverse.scatter(0, order, group).view(input.shape))
        if return_counts:
            starts = first.nonzero().reshape(-1)
            end = tensor([n], dtype=torch.int64, device=input.device)
            out.append(cat([starts[1:], end]) - starts)
    return out[0] if len(out) == 1 else tuple(out)


# ---------------------------------------------------------------------------------------------
# sampling: multinomial
# ---------------------------------------------------------------------------------------------
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    if not is_tensor(input):
        raise TypeError(f"multinomial(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{type_name(input.dtype)}")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = input.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    with grad_mode.no_grad():
        p = input.detach().reshape(-1, n_cat)
        if p.dtype not in (torch.float32, torch.float64):
            p = p.float()
        p = p.contiguous()
        bad = ((p < 0) | (p != p) | (p.abs() == float("inf"))).any()
        if bool(bad):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if bool((p.sum(1) <= 0).any()):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        rows = p.shape[0]
        if replacement or num_samples == 1:
            cdf = Cumsum.apply(p, 1).contiguous()
            u = torch.empty((rows, num_samples), dtype=p.dtype, device=p.device)
            creation_kernels.random_(u, creation_kernels.UNIFORM, 0.0, 1.0, generator=generator)
            out = torch.empty((rows, num_samples), dtype=torch.int64, device=p.device)
            scan_kernels.count_le_(cdf._data, u, out, sample=True)
        else:
            # rows with fewer positive categories than samples: as torch on CPU, the
            # zero-probability categories come last, in index order (race keys of +inf)
            keys = torch.empty((rows, n_cat), dtype=torch.float64, device=p.device)
            sort_kernels.race_keys_(p._data, keys, generator=generator)
            vals = torch.empty_like(keys)
            idx = torch.empty((rows, n_cat), dtype=torch.int64, device=p.device)
            sort_kernels.sort_rows_(keys, vals, idx, False)
            out = wrap(idx).narrow(1, 0, num_samples).contiguous()._data
        res = wrap(out)
        return res.reshape(num_samples) if input.dim() == 1 else res


# ---------------------------------------------------------------------------------------------
# repeat_interleave
# ---------------------------------------------------------------------------------------------
def _repeats_index(repeats, output_size=None):
    """repeat_interleave(repeats): index i appears repeats[i] times."""
    if repeats.dim() != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if repeats.dtype not in (torch.int64, torch.int32):
        raise RuntimeError("repeats has to be Long or Int tensor")
    with grad_mode.no_grad():
        if repeats.numel() and bool((repeats < 0).any()):
            raise RuntimeError("repeats can not be negative")
        ends = Cumsum.apply(repeats.long(), 0).contiguous()
        total = int(ends[-1].item()) if repeats.numel() else 0
        if output_size is not None and output_size != total:
            raise RuntimeError("allocated size does not match required size")
        q = arange(total, device=repeats.device)
        out = torch.empty((1, total), dtype=torch.int64, device=repeats.device)
        if repeats.numel():
            scan_kernels.count_le_(ends._data.reshape(1, -1), q._data.reshape(1, -1), out)
        return wrap(out.reshape(total))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:
        return _repeats_index(input, output_size)
    if dim is None:
        input = input.reshape(-1)
        dim = 0
    dim = _dim(dim, input.dim())
    if input.dim() == 0:
        input = input.reshape(1)
    if is_tensor(repeats) and repeats.numel() == 1 and repeats.dim() <= 1:
        repeats = int(repeats.item())
    if isinstance(repeats, numbers.Integral):
        if repeats < 0:
            raise RuntimeError("repeats can not be negative")
        shape = list(input.shape)
        x = input.unsqueeze(dim + 1)
        exp = shape[:dim + 1] + [repeats] + shape[dim + 1:]
        shape[dim] *= repeats
        return x.expand(*exp).reshape(shape)
    if not is_tensor(repeats):
        repeats = tensor(list(repeats), dtype=torch.int64)
    if repeats.numel() != input.shape[dim]:
        raise RuntimeError("repeats must have the same size as input along dim")
    return input.index_select(dim, _repeats_index(repeats, output_size))




# ---------------------------------------------------------------------------------------------
# out=: the result is written into the given tensor(s) (resized as torch does), never dropped
# ---------------------------------------------------------------------------------------------
def write_out(name, out, result, strict_dtype=False):
    """Copy ``result`` into ``out`` (one Triton copy kernel; ``out`` resized when its shape
    differs, with torch's warning when it held elements) and return ``out``."""
    if not is_tensor(out):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if grad_mode.is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           f"differentiation, but one of the arguments requires grad.")
    if strict_dtype and out.dtype != result.dtype:
        raise RuntimeError(f"Expected out tensor to have dtype {result.dtype}, but got "
                           f"{out.dtype} instead")
    if tuple(out.shape) != tuple(result.shape):
        if out.numel() != 0:
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(result.shape)}. This behavior is deprecated, and in a future "
                          f"PyTorch release outputs will not be resized unless they have zero "
                          f"elements. You can explicitly reuse an out tensor t by resizing it, "
                          f"inplace, to zero elements with t.resize_(0).", UserWarning,
                          stacklevel=3)
        out._data.resize_(tuple(result.shape))
    with grad_mode.no_grad():
        out.copy_(result)
    return out


def _with_out(fn, name, pair=False):
    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        if out is None:
            return result
        if pair:
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors")
            return type(result)(write_out(name, out[0], result[0], strict_dtype=True),
                                write_out(name, out[1], result[1], strict_dtype=True))
        return write_out(name, out, result)
    return wrapper


cumsum = _with_out(cumsum, "cumsum")
cumprod = _with_out(cumprod, "cumprod")
tril = _with_out(tril, "tril")
triu = _with_out(triu, "triu")
sort = _with_out(sort, "sort", pair=True)
topk = _with_out(topk, "topk", pair=True)
multinomial = _with_out(multinomial, "multinomial")
