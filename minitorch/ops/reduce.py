"""One reduction kernel: rows of a strided (M, N) view reduced along N.

The host permutes kept dimensions to the front and reduced ones to the back; when each group
coalesces to a single dimension the kernel reads the input in place through its strides, otherwise
the permuted view is first materialized by the copy kernel. Accumulation is in fp32 (fp64 for
fp64 inputs, int64 for integers). Max/min propagate NaN like torch (the interpreter's and the
compiler's max both ignore NaN, so NaNs are tracked explicitly).
"""
import math

import torch
import triton
import triton.language as tl

from . import elementwise, launcher

# The kernel's ``OP``: a constexpr string, so each reduction compiles to its own specialization.
REDUCTIONS = ("sum", "prod", "max", "min", "norm2", "var")


@triton.jit
def reduce_kernel(x_ptr, out_ptr, idx_ptr, M, N, stride_m, stride_n, scale, correction,
                  OP: tl.constexpr, WRITE_IDX: tl.constexpr, COMPUTE: tl.constexpr,
                  IS_FLOAT: tl.constexpr, FILL: tl.constexpr, HAS_SCALE: tl.constexpr,
                  LOG2_BLOCK_N: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    row_mask = rows < M
    cols0 = tl.arange(0, BLOCK_N).to(tl.int64)
    base = x_ptr + rows[:, None] * stride_m
    if OP == "sum" or OP == "norm2" or OP == "var":  # sum, sum of squares, variance
        acc = tl.zeros((BLOCK_M, BLOCK_N), COMPUTE)
        for start in range(0, N, BLOCK_N):
            cols = start + cols0
            m = row_mask[:, None] & (cols < N)[None, :]
            x = tl.load(base + cols[None, :] * stride_n, mask=m, other=0).to(COMPUTE)
            if OP == "norm2":
                x = x * x
            acc += x
        total = tl.sum(acc, axis=1)
        if OP == "var":
            mean = total / N
            acc = tl.zeros((BLOCK_M, BLOCK_N), COMPUTE)
            for start in range(0, N, BLOCK_N):
                cols = start + cols0
                m = row_mask[:, None] & (cols < N)[None, :]
                x = tl.load(base + cols[None, :] * stride_n, mask=m, other=0).to(COMPUTE)
                d = tl.where(m, x - mean[:, None], 0)
                acc += d * d
            result = tl.sum(acc, axis=1) / (N - correction)
        elif OP == "norm2":
            result = tl.sqrt(total)
        else:
            if HAS_SCALE:
                result = total * scale
            else:
                result = total
    elif OP == "prod":  # multiply chunks into a tile, then halve the tile log2(BLOCK_N) times
        acc = tl.full((BLOCK_M, BLOCK_N), 1, COMPUTE)
        for start in range(0, N, BLOCK_N):
            cols = start + cols0
            m = row_mask[:, None] & (cols < N)[None, :]
            acc *= tl.load(base + cols[None, :] * stride_n, mask=m, other=1).to(COMPUTE)
        # (unrolled at compile time, so acc may change shape; a reassigned constexpr would not
        # compile for GPUs)
        for i in tl.static_range(LOG2_BLOCK_N):
            lo, hi = tl.split(tl.reshape(acc, (BLOCK_M, BLOCK_N >> (i + 1), 2)))
            acc = lo * hi
        result = tl.reshape(acc, (BLOCK_M, ))
    else:  # max / min with the index of the first extreme (or of the first NaN)
        best = tl.full((BLOCK_M, ), FILL, COMPUTE)
        best_idx = tl.zeros((BLOCK_M, ), tl.int64)
        nan_idx = tl.full((BLOCK_M, ), N, tl.int64)
        for start in range(0, N, BLOCK_N):
            cols = start + cols0
            m = row_mask[:, None] & (cols < N)[None, :]
            x = tl.load(base + cols[None, :] * stride_n, mask=m, other=0).to(COMPUTE)
            if IS_FLOAT:
                first_nan = tl.min(tl.where(m & (x != x), cols[None, :], N), axis=1)
                nan_idx = tl.minimum(nan_idx, first_nan)
                x = tl.where(m & (x == x), x, FILL)
            else:
                x = tl.where(m, x, FILL)
            if OP == "max":
                cbest, carg = tl.max(x, axis=1, return_indices=True,
                                     return_indices_tie_break_left=True)
                take = (cbest > best) | (start == 0)
            else:
                cbest, carg = tl.min(x, axis=1, return_indices=True,
                                     return_indices_tie_break_left=True)
                take = (cbest < best) | (start == 0)
            best = tl.where(take, cbest, best)
            best_idx = tl.where(take, start + carg.to(tl.int64), best_idx)
        if IS_FLOAT:
            has_nan = nan_idx < N
            best = tl.where(has_nan, float("nan"), best)
            best_idx = tl.where(has_nan, nan_idx, best_idx)
        result = best
        if WRITE_IDX:
            tl.store(idx_ptr + rows, best_idx, mask=row_mask)
    tl.store(out_ptr + rows, result, mask=row_mask)


@triton.jit
def row_sum_kernel(x_ptr, y_ptr, out_ptr, N, scale, HAS_Y: tl.constexpr, HAS_SCALE: tl.constexpr,
                   COMPUTE: tl.constexpr, BLOCK: tl.constexpr, ONE_BLOCK: tl.constexpr):
    """The sum of one contiguous row of N elements (times ``scale``), or with ``HAS_Y`` the sum
    of the products x * y of two contiguous rows (each product rounded to the compute type, as
    a separate multiplication would store it). ``reduce_kernel`` for M == 1 without the row and
    stride arithmetic: with ``ONE_BLOCK`` (the block covers the row) the interpreter executes ~6
    ``tl`` ops instead of ~25."""
    offs = tl.arange(0, BLOCK)
    if ONE_BLOCK:
        mask = offs < N
        x = tl.load(x_ptr + offs, mask=mask, other=0)
        if x.dtype != COMPUTE:
            x = x.to(COMPUTE)
        if HAS_Y:
            y = tl.load(y_ptr + offs, mask=mask, other=0)
            if y.dtype != COMPUTE:
                y = y.to(COMPUTE)
            x = x * y
        total = tl.sum(x, axis=0)
    else:
        acc = tl.zeros((BLOCK, ), COMPUTE)
        for start in range(0, N, BLOCK):
            cols = start + offs.to(tl.int64)
            mask = cols < N
            x = tl.load(x_ptr + cols, mask=mask, other=0).to(COMPUTE)
            if HAS_Y:
                x = x * tl.load(y_ptr + cols, mask=mask, other=0).to(COMPUTE)
            acc += x
        total = tl.sum(acc, axis=0)
    if HAS_SCALE:
        total = total * scale
    tl.store(out_ptr, total)


def _group(shape, strides):
    """Coalesce one group of dims (already ordered) into a single (size, stride) if possible."""
    cshape, cstr = elementwise._coalesce(list(shape), [list(strides)])
    if not cshape:
        return 1, 1
    if len(cshape) == 1:
        return cshape[0], cstr[0][0]
    return None


def reduce(op, x, dims, out_dtype=None, with_indices=False, scale=1.0, correction=0.0,
           compute=None):
    """Reduce storage tensor ``x`` over ``dims`` (a tuple of dims). Returns a contiguous tensor of
    the kept dims (in order), and the int64 indices of the extremes when ``with_indices``."""
    if op not in REDUCTIONS:
        raise ValueError(f"unknown reduction {op!r}; expected one of {REDUCTIONS}")
    dims = tuple(sorted(set(d % max(x.dim(), 1) for d in dims))) if x.dim() else ()
    kept = [d for d in range(x.dim()) if d not in dims]
    out_shape = [x.shape[d] for d in kept]
    out_dtype = out_dtype or x.dtype
    out = torch.empty(out_shape, dtype=out_dtype, device=x.device)
    idx = torch.empty(out_shape, dtype=torch.int64, device=x.device) if with_indices else None
    M = math.prod(out_shape)
    N = math.prod(x.shape[d] for d in dims)
    if M == 0:
        return (out, idx) if with_indices else out
    compute = compute or out_dtype
    if compute in (torch.float16, torch.bfloat16):
        compute = torch.float32
    kept_g = _group([x.shape[d] for d in kept], [x.stride(d) for d in kept])
    red_g = _group([x.shape[d] for d in dims], [x.stride(d) for d in dims])
    if kept_g is None or red_g is None:
        src = x.permute(*kept, *dims)
        dense = torch.empty(src.shape, dtype=x.dtype, device=x.device)
        elementwise.pointwise("copy", dense, src)
        x, (M, stride_m), (N, stride_n) = dense, (M, N), (N, 1)
    else:
        (_, stride_m), (_, stride_n) = kept_g, red_g
    if N == 0:
        # sum of nothing is 0, mean/var of nothing is nan (max/min are rejected by the caller)
        value = {"sum": 0.0 if scale == 1.0 else float("nan"), "prod": 1.0, "norm2": 0.0,
                 "var": float("nan")}[op]
        elementwise.pointwise("copy", out, value)
        return (out, idx) if with_indices else out
    tl_compute = elementwise.COMPUTE_TYPES[compute if compute != torch.bool else torch.int64]
    if op == "sum" and M == 1 and stride_n == 1 and compute != torch.bool:
        _row_sum(x, None, out, N, scale, tl_compute)
        return (out, idx) if with_indices else out
    block_m, block_n, warps = launcher.reduction_config(M, N)
    is_float = compute.is_floating_point
    if op == "max":
        fill = float("-inf") if is_float else -(2**63 - 1)
    else:
        fill = float("inf") if is_float else 2**63 - 1
    launcher.launch(reduce_kernel, launcher.grid_1d(M, block_m),
                    (x, out, idx if with_indices else out, M, N, stride_m, stride_n, float(scale),
                     float(correction)),
                    dict(OP=op, WRITE_IDX=with_indices, COMPUTE=tl_compute,
                         IS_FLOAT=is_float, FILL=fill, HAS_SCALE=scale != 1.0,
                         LOG2_BLOCK_N=int(math.log2(block_n)), BLOCK_M=block_m, BLOCK_N=block_n),
                    warps)
    return (out, idx) if with_indices else out


def _row_sum(x, y, out, n, scale, tl_compute):
    block, warps = launcher.row_config(n)
    launcher.launch(row_sum_kernel, (1, ),
                    (x, x if y is None else y, out, n, float(scale)),
                    dict(HAS_Y=y is not None, HAS_SCALE=scale != 1.0, COMPUTE=tl_compute,
                         BLOCK=block, ONE_BLOCK=block >= n), warps)


def sum_of_products(x, y, out):
    """``out`` (one element) = the sum over all elements of x * y, for two contiguous storage
    tensors of the same shape and floating dtype (fp32 or fp64, the dtype of ``out``): the
    gradient of a one-element operand of a product, ``(g * other).sum()``, in one launch.
    Each product is rounded to the dtype before summing, as the separate ops would."""
    n = x.numel()
    if n == 0:
        elementwise.pointwise("copy", out, 0.0)
        return out
    _row_sum(x, y, out, n, 1.0, elementwise.COMPUTE_TYPES[out.dtype])
    return out


__all__ = ["REDUCTIONS", "reduce_kernel", "row_sum_kernel", "reduce", "sum_of_products"]
