"""Differentiable reductions (sum, mean, prod, max/min, norm, var/std)."""
import math
import warnings

import torch

from .._tensor_ref import tensor_type
from ..autograd.function import Function
from ..ops import reduce as reduce_kernels
from .dims import normalize_dims
from .indexing import scatter_into_zeros
from .pointwise import type_name, where


def _wrap(storage):
    Tensor = tensor_type()
    return Tensor._make(storage)


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
    out = reduce_kernels.reduce(op, x._data, dims, out_dtype=out_dtype, **kw)
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
                f"point or complex dtype. Got: {type_name(x.dtype)}")
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
        values, idx = reduce_kernels.reduce(op, x._data, (dim,), with_indices=True)
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
            return g * where(x == mean, float("nan"), float("inf")), None, None, None, None
        return g * 2 * (x - mean) / (ctx.n - ctx.correction), None, None, None, None


class StdFromVar(Function):
    """std = sqrt(var) whose backward is torch's: grad / (2 std), and 0 where std == 0 (a
    constant slice), where sqrt's own derivative made 0 * inf = NaN."""
    node_name = "StdBackward0"

    @staticmethod
    def forward(ctx, v):
        out = v.sqrt()
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return where(out == 0, 0.0, g / (2 * out))


class NormP(Function):
    """The p-norm for p other than 0, 1, 2, +-inf, with torch's norm_backward: a zero norm (or,
    for p < 1, a zero element) gives a zero gradient rather than NaN."""
    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        out = x.abs().pow(p).sum(dims, keepdim=keepdim).pow(1.0 / p)
        ctx.p, ctx.dims, ctx.keepdim, ctx.shape = p, dims, keepdim, tuple(x.shape)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        p = ctx.p
        g = _keep(g, ctx.shape, ctx.dims, ctx.keepdim)
        norm = _keep(out, ctx.shape, ctx.dims, ctx.keepdim)
        if p < 1.0:
            scaled = where(x == 0, 0.0, x.sign() * x.abs().pow(p - 1))
            return scaled * g * norm.pow(1 - p), None, None, None
        scaled = x.sign() * x.abs().pow(p - 1) if p < 2.0 else x * x.abs().pow(p - 2)
        scale = where(norm == 0, 0.0, g / norm.pow(p - 1))
        return scaled * scale, None, None, None


__all__ = ["StdFromVar", "NormP", "Sum", "SumAll", "Mean", "MeanAll", "Prod", "ProdAll", "MaxAll",
           "MinAll", "MaxDim", "MinDim", "Norm2", "Var", "normalize_dims"]
