"""Differentiable reductions (sum, mean, prod, max/min, norm, var/std) and softmax/log_softmax."""
import math
import numbers

import torch

from ..autograd.function import Function
from ..ops import index as IX
from ..ops import reduce as R
from ..ops import softmax as SM


def _type_name(dtype):
    from .pointwise import type_name
    return type_name(dtype)


def _wrap(storage):
    from ..tensor import Tensor
    return Tensor._make(storage)


def normalize_dims(dim, ndim, name="dim"):
    """None -> all dims; int or sequence -> sorted tuple of non-negative dims (with torch's
    IndexError for out-of-range dims)."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    if not dims and ndim >= 0:
        return tuple(range(ndim))
    out = []
    span = max(ndim, 1)
    for d in dims:
        if not -span <= d < span:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-span}, "
                             f"{span - 1}], but got {d})")
        out.append(d % span)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return tuple(sorted(out)) if ndim else ()


def _keep(g, in_shape, dims, keepdim):
    """Re-insert reduced dims into a gradient so it broadcasts against the input."""
    if keepdim or not in_shape:
        return g
    shape = list(in_shape)
    for d in dims:
        shape[d] = 1
    return g.reshape(shape)


def _result_shape(shape, dims, keepdim):
    if keepdim:
        return tuple(1 if i in dims else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def _reduce(op, x, dims, keepdim, out_dtype=None, **kw):
    out = R.reduce(op, x._data, dims, out_dtype=out_dtype, **kw)
    return _wrap(out.reshape(_result_shape(tuple(x.shape), dims, keepdim)))


def _sum_dtype(x, dtype):
    if dtype is not None:
        return dtype
    return torch.int64 if not x.dtype.is_floating_point else x.dtype


class Sum(Function):
    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.shape, ctx.dims, ctx.keepdim = tuple(x.shape), dims, keepdim
        return _reduce("sum", x, dims, keepdim, out_dtype=_sum_dtype(x, dtype))

    @staticmethod
    def backward(ctx, g):
        return _keep(g, ctx.shape, ctx.dims, ctx.keepdim).expand(ctx.shape), None, None, None


class SumAll(Sum):
    node_name = "SumBackward0"


class Mean(Function):
    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        if not (dtype or x.dtype).is_floating_point:
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {_type_name(x.dtype)}")
        ctx.shape, ctx.dims, ctx.keepdim = tuple(x.shape), dims, keepdim
        n = math.prod(x.shape[d] for d in dims) if x.dim() else 1
        ctx.n = n
        return _reduce("sum", x, dims, keepdim, out_dtype=dtype or x.dtype,
                       scale=(1.0 / n) if n else float("nan"))

    @staticmethod
    def backward(ctx, g):
        g = _keep(g, ctx.shape, ctx.dims, ctx.keepdim).expand(ctx.shape)
        return g / ctx.n if ctx.n else g * float("nan"), None, None, None


class MeanAll(Mean):
    node_name = "MeanBackward0"


class Prod(Function):
    node_name = "ProdBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim, dtype):
        ctx.shape, ctx.dims, ctx.keepdim = tuple(x.shape), dims, keepdim
        out_dtype = _sum_dtype(x, dtype)
        if x.dtype == torch.bfloat16:
            # the interpreter reads a bf16 masked-load fill of 1 as raw bits (a denormal), which
            # zeroes the product: multiply in float32 and round once
            out = _reduce("prod", x.float(), dims, keepdim, out_dtype=torch.float32).to(out_dtype)
        else:
            out = _reduce("prod", x, dims, keepdim, out_dtype=out_dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        from .pointwise import where
        x, out = ctx.saved_tensors
        g = _keep(g, ctx.shape, ctx.dims, ctx.keepdim)
        out = _keep(out, ctx.shape, ctx.dims, ctx.keepdim)
        zero = x == 0
        # product of the others: out / x where x != 0; with exactly one zero in the slice the
        # zero's gradient is the product of the non-zeros, with two or more it is 0
        n_zero = zero.sum(dim=ctx.dims, keepdim=True)
        nz_prod = where(zero, 1.0, x).prod(dim=ctx.dims, keepdim=True)
        others = where(zero, where(n_zero == 1, nz_prod, 0.0), out / where(zero, 1.0, x))
        return g * others, None, None, None


class ProdAll(Prod):
    node_name = "ProdBackward0"


class MaxMinAll(Function):
    """max()/min() of all elements; the gradient is spread evenly over ties (torch's rule)."""

    @staticmethod
    def forward(ctx, x, op):
        if x.numel() == 0:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() "
                               "== 0. Specify the reduction dim with the 'dim' argument.")
        out = _reduce(op, x, tuple(range(x.dim())), False)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        mask = x.isnan() if bool(out.isnan()) else (x == out)
        mask = mask.to(g.dtype)
        return g * mask / mask.sum(), None


class MaxAll(MaxMinAll):
    node_name = "MaxBackward1"


class MinAll(MaxMinAll):
    node_name = "MinBackward1"


class AMaxMin(Function):
    """amax/amin over ``dims``; like torch the gradient is shared evenly by all the elements equal
    to the result (torch's ``scale_grad_by_count``), not routed to one index as max(dim) does."""

    @staticmethod
    def forward(ctx, x, op, dims, keepdim):
        out = _reduce(op, x, dims, keepdim)
        ctx.dims, ctx.keepdim = dims, keepdim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        shape = tuple(x.shape)
        g = _keep(g, shape, ctx.dims, ctx.keepdim)
        mask = (x == _keep(out, shape, ctx.dims, ctx.keepdim)).to(g.dtype)
        if not ctx.dims:
            return g * mask, None, None, None
        return (g / mask.sum(ctx.dims, keepdim=True)) * mask, None, None, None


class AMax(AMaxMin):
    node_name = "AmaxBackward0"


class AMin(AMaxMin):
    node_name = "AminBackward0"


class MaxMinDim(Function):
    @staticmethod
    def forward(ctx, x, op, dim, keepdim):
        if x.dim() and x.shape[dim] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {dim} to have non-zero size.")
        values, idx = R.reduce(op, x._data, (dim,), with_indices=True)
        shape = _result_shape(tuple(x.shape), (dim,), keepdim)
        values, idx = _wrap(values.reshape(shape)), _wrap(idx.reshape(shape))
        ctx.mark_non_differentiable(idx)
        ctx.shape, ctx.dim, ctx.keepdim = tuple(x.shape), dim, keepdim
        ctx.save_for_backward(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _gi):
        (idx,) = ctx.saved_tensors
        g = _keep(g, ctx.shape, (ctx.dim,), ctx.keepdim)
        idx = _keep(idx, ctx.shape, (ctx.dim,), ctx.keepdim)
        return scatter_into_zeros(g, ctx.shape, ctx.dim, idx), None, None, None


class MaxDim(MaxMinDim):
    node_name = "MaxBackward0"


class MinDim(MaxMinDim):
    node_name = "MinBackward0"


class ScatterIntoZeros(Function):
    """zeros(shape).scatter_add(dim, idx, src) — the backward of value-selecting reductions and
    of gathers; its own backward is a gather."""
    node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, src, shape, dim, idx):
        from ..tensor import zeros
        out = zeros(shape, dtype=src.dtype, device=src.device)
        if len(shape) == 0:
            IX.scatter_add_(out._data.reshape(1), 0, idx._data.reshape(1), src._data.reshape(1))
        else:
            IX.scatter_add_(out._data, dim, idx._data, src._data)
        ctx.dim, ctx.save_idx = dim, idx
        return out

    @staticmethod
    def backward(ctx, g):
        return gather(g, ctx.dim, ctx.save_idx), None, None, None


def scatter_into_zeros(src, shape, dim, idx):
    return ScatterIntoZeros.apply(src, tuple(shape), dim, idx)


class Gather(Function):
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, dim, idx):
        ctx.shape, ctx.dim, ctx.idx = tuple(x.shape), dim, idx
        if x.dim() == 0:
            return _wrap(IX.gather(x._data.reshape(1), 0, idx._data.reshape(1)).reshape(()))
        return _wrap(IX.gather(x._data, dim, idx._data))

    @staticmethod
    def backward(ctx, g):
        return scatter_into_zeros(g, ctx.shape, ctx.dim, ctx.idx), None, None


def gather(x, dim, idx):
    return Gather.apply(x, dim, idx)


class Norm2(Function):
    node_name = "LinalgVectorNormBackward0"  # torch routes every norm through linalg.vector_norm

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = tuple(x.shape), dims, keepdim
        out = _reduce("norm2", x, dims, keepdim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        from .pointwise import where
        x, out = ctx.saved_tensors
        g = _keep(g, ctx.shape, ctx.dims, ctx.keepdim)
        out = _keep(out, ctx.shape, ctx.dims, ctx.keepdim)
        return where(out == 0, 0.0, g * x / out), None, None


class Var(Function):
    node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, dims, correction, keepdim, opname="var"):
        if not x.dtype.is_floating_point:
            raise RuntimeError("std and var only support floating point and complex dtypes")
        ctx.shape, ctx.dims, ctx.keepdim, ctx.correction = tuple(x.shape), dims, keepdim, correction
        ctx.n = math.prod(x.shape[d] for d in dims) if x.dim() else 1
        if ctx.n - correction <= 0:
            import warnings
            warnings.warn(f"{opname}(): degrees of freedom is <= 0. Correction should be "
                          "strictly less than the reduction factor (input numel divided by output "
                          "numel).", UserWarning, stacklevel=5)
        # like torch, the divisor is max(0, n - correction): inf (or nan) rather than negative
        ctx.correction = min(correction, ctx.n)
        ctx.save_for_backward(x)
        return _reduce("var", x, dims, keepdim, correction=float(ctx.correction))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        g = _keep(g, ctx.shape, ctx.dims, ctx.keepdim)
        mean = x.mean(dim=ctx.dims, keepdim=True)
        if ctx.n - ctx.correction <= 0:  # torch: inf, or nan where x equals the mean
            from .pointwise import where
            return g * where(x == mean, float("nan"), float("inf")), None, None, None, None
        return g * 2 * (x - mean) / (ctx.n - ctx.correction), None, None, None, None


class Softmax(Function):
    node_name = "SoftmaxBackward0"
    log = False

    @staticmethod
    def forward(ctx, x, dim):
        cls = ctx._function
        if not x.dtype.is_floating_point:
            kernel = "log_softmax" if cls.log else "softmax"
            raise NotImplementedError(f'"{kernel}_lastdim_kernel_impl" not implemented for '
                                      f"'{_type_name(x.dtype)}'")
        ctx.dim = dim
        out = _wrap(SM.softmax(x._data, dim, cls.log))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return softmax_backward(g, y, ctx.dim, ctx._function.log), None


class LogSoftmax(Softmax):
    node_name = "LogSoftmaxBackward0"
    log = True


class SoftmaxBackward(Function):
    """The fused softmax backward, differentiable for double backward."""
    node_name = "SoftmaxBackwardDataBackward0"

    @staticmethod
    def forward(ctx, g, y, dim, log):
        ctx.dim, ctx.log = dim, log
        ctx.save_for_backward(g, y)
        return _wrap(SM.softmax_backward(g._data, y._data, dim, log))

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        d = ctx.dim
        if ctx.log:
            # dx = g - exp(y) * sum(g)
            p = y.exp()
            sg = g.sum(d, keepdim=True)
            ggrad = gg - (gg * p).sum(d, keepdim=True)
            ygrad = -gg * p * sg
        else:
            # dx = y * (g - sum(g * y))
            s = (g * y).sum(d, keepdim=True)
            gy = (gg * y).sum(d, keepdim=True)
            ggrad = y * gg - y * gy
            ygrad = gg * (g - s) - g * gy
        return ggrad, ygrad, None, None


def softmax_backward(g, y, dim, log):
    return SoftmaxBackward.apply(g, y, dim, log)


__all__ = ["Sum", "SumAll", "Mean", "MeanAll", "Prod", "ProdAll", "MaxAll", "MinAll", "MaxDim",
           "MinDim", "Norm2", "Var", "Softmax", "LogSoftmax", "gather", "scatter_into_zeros",
           "normalize_dims"]
