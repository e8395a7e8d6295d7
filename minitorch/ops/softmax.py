"""Row-wise softmax / log-softmax, forward and backward, over strided (M, N) views.

Forward makes two passes over a row: an online max/sum (rescaling the running sum when the max
grows) and the write. With the interpreter's whole-row block each pass is one chunk.
"""
import torch
import triton
import triton.language as tl

from . import elementwise, launcher
from .reduce import _group


@triton.jit
def softmax_kernel(x_ptr, out_ptr, M, N, sxm, sxn, som, son,
                   LOG: tl.constexpr, COMPUTE: tl.constexpr, BLOCK_M: tl.constexpr,
                   BLOCK_N: tl.constexpr):
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    rmask = rows[:, None] < M
    cols0 = tl.arange(0, BLOCK_N).to(tl.int64)
    run_max = tl.full((BLOCK_M, BLOCK_N), float("-inf"), COMPUTE)
    run_sum = tl.zeros((BLOCK_M, BLOCK_N), COMPUTE)
    for start in range(0, N, BLOCK_N):
        cols = start + cols0
        m = rmask & (cols < N)[None, :]
        x = tl.load(x_ptr + rows[:, None] * sxm + cols[None, :] * sxn, mask=m,
                    other=float("-inf")).to(COMPUTE)
        new_max = tl.maximum(run_max, x)
        # lanes that have seen only -inf keep a zero sum: shift by 0 there (no inf - inf)
        shift = tl.where(new_max == float("-inf"), 0.0, new_max)
        run_sum = run_sum * tl.exp(run_max - shift) + tl.exp(x - shift)
        run_max = new_max
    row_max = tl.max(run_max, axis=1)
    total = tl.sum(run_sum * tl.exp(run_max - row_max[:, None]), axis=1)
    log_total = tl.log(total)
    for start in range(0, N, BLOCK_N):
        cols = start + cols0
        m = rmask & (cols < N)[None, :]
        x = tl.load(x_ptr + rows[:, None] * sxm + cols[None, :] * sxn, mask=m, other=0)
        x = x.to(COMPUTE)
        if LOG:
            # (x - max) - log(sum): exact for |x| ~ 1e4, unlike x - (max + log(sum))
            y = (x - row_max[:, None]) - log_total[:, None]
        else:
            y = tl.exp(x - row_max[:, None]) / total[:, None]
        tl.store(out_ptr + rows[:, None] * som + cols[None, :] * son, y, mask=m)


@triton.jit
def softmax_backward_kernel(g_ptr, y_ptr, out_ptr, M, N, sgm, sgn, sym, syn, som, son,
                            LOG: tl.constexpr, COMPUTE: tl.constexpr, BLOCK_M: tl.constexpr,
                            BLOCK_N: tl.constexpr):
    """softmax: dx = y * (g - sum(g * y)); log_softmax: dx = g - exp(y) * sum(g)."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    rmask = rows[:, None] < M
    cols0 = tl.arange(0, BLOCK_N).to(tl.int64)
    acc = tl.zeros((BLOCK_M, BLOCK_N), COMPUTE)
    for start in range(0, N, BLOCK_N):
        cols = start + cols0
        m = rmask & (cols < N)[None, :]
        g = tl.load(g_ptr + rows[:, None] * sgm + cols[None, :] * sgn, mask=m, other=0)
        g = g.to(COMPUTE)
        if LOG:
            acc += g
        else:
            acc += g * tl.load(y_ptr + rows[:, None] * sym + cols[None, :] * syn, mask=m,
                               other=0).to(COMPUTE)
    s = tl.sum(acc, axis=1)[:, None]
    for start in range(0, N, BLOCK_N):
        cols = start + cols0
        m = rmask & (cols < N)[None, :]
        g = tl.load(g_ptr + rows[:, None] * sgm + cols[None, :] * sgn, mask=m, other=0)
        g = g.to(COMPUTE)
        y = tl.load(y_ptr + rows[:, None] * sym + cols[None, :] * syn, mask=m, other=0)
        y = y.to(COMPUTE)
        if LOG:
            dx = g - tl.exp(y) * s
        else:
            dx = y * (g - s)
        tl.store(out_ptr + rows[:, None] * som + cols[None, :] * son, dx, mask=m)


def _as_rows(t, dim):
    moved = t.movedim(dim, -1) if t.dim() else t.reshape(1)
    n = moved.shape[-1]
    lead = moved.shape[:-1]
    g = _group(lead, moved.stride()[:-1])
    if g is None:
        dense = torch.empty(moved.shape, dtype=t.dtype, device=t.device)
        elementwise.pointwise("copy", dense, moved)
        moved = dense
        g = _group(lead, moved.stride()[:-1])
    m = 1
    for s in lead:
        m *= s
    return moved, m, n, g[1], moved.stride(-1)


def _compute(dtype):
    return tl.float64 if dtype == torch.float64 else tl.float32


def _out_rows(x, dim):
    """A fresh output laid out as contiguous rows along ``dim``; returned as (rows, view of x's
    shape)."""
    shape = list(x.shape)
    if not shape:
        rows = torch.empty((1, 1), dtype=x.dtype, device=x.device)
        return rows, rows.reshape(())
    moved_shape = shape[:dim] + shape[dim + 1:] + [shape[dim]]
    rows = torch.empty(moved_shape, dtype=x.dtype, device=x.device)
    m = 1
    for s in moved_shape[:-1]:
        m *= s
    return rows.reshape(m, shape[dim]), rows.movedim(-1, dim)


def softmax(x, dim, log):
    """Returns a new tensor of x's shape (rows along ``dim`` are contiguous)."""
    rows, out = _out_rows(x, dim)
    if x.numel() == 0:
        return out
    src, M, N, sxm, sxn = _as_rows(x, dim)
    block_m, block_n, warps = launcher.rows_config(M, N)
    launcher.launch(softmax_kernel, (launcher.cdiv(M, block_m),),
                    (src, rows, M, N, sxm, sxn, N, 1),
                    dict(LOG=log, COMPUTE=_compute(x.dtype), BLOCK_M=block_m, BLOCK_N=block_n),
                    warps)
    return out


def softmax_backward(g, y, dim, log):
    rows, out = _out_rows(y, dim)
    if y.numel() == 0:
        return out
    gs, M, N, sgm, sgn = _as_rows(g, dim)
    ys, _, _, sym, syn = _as_rows(y, dim)
    block_m, block_n, warps = launcher.rows_config(M, N)
    launcher.launch(softmax_backward_kernel, (launcher.cdiv(M, block_m),),
                    (gs, ys, rows, M, N, sgm, sgn, sym, syn, N, 1),
                    dict(LOG=log, COMPUTE=_compute(y.dtype), BLOCK_M=block_m, BLOCK_N=block_n),
                    warps)
    return out


__all__ = ["softmax_kernel", "softmax_backward_kernel", "softmax", "softmax_backward"]
