"""Gather / scatter-add along one dimension (torch.gather semantics) and mask compaction.

Every indexing op reduces to these: ``x[idx]``/``index_select``/``embedding`` gather with an
expanded (stride-0) index; their backwards scatter-add; ``max(dim)`` backward scatters into zeros;
boolean masks are compacted to int64 positions first. Tensors are seen as (P, D, Q) around ``dim``.
"""
import math

import torch
import triton
import triton.language as tl

from . import elementwise, launcher
from .reduce import _group


@triton.jit
def gather_scatter_kernel(x_ptr, idx_ptr, out_ptr, n, J, Q, D,
                          sxp, sxd, sxq, sip, sij, siq, sop, soj, soq,
                          MODE: tl.constexpr, BLOCK: tl.constexpr):
    # MODE 0: gather, 1: scatter-add, 2: scatter (store)
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < n
    q = offs % Q
    pj = offs // Q
    j = pj % J
    p = pj // J
    idx = tl.load(idx_ptr + p * sip + j * sij + q * siq, mask=mask, other=0).to(tl.int64)
    idx = tl.where(idx < 0, idx + D, idx)
    if MODE == 1:
        # out[p, idx, q] += x[p, j, q]
        v = tl.load(x_ptr + p * sxp + j * sxd + q * sxq, mask=mask, other=0)
        tl.atomic_add(out_ptr + p * sop + idx * soj + q * soq, v, mask=mask)
    elif MODE == 2:
        v = tl.load(x_ptr + p * sxp + j * sxd + q * sxq, mask=mask, other=0)
        tl.store(out_ptr + p * sop + idx * soj + q * soq, v, mask=mask)
    else:
        # out[p, j, q] = x[p, idx, q]
        v = tl.load(x_ptr + p * sxp + idx * sxd + q * sxq, mask=mask, other=0)
        tl.store(out_ptr + p * sop + j * soj + q * soq, v, mask=mask)


@triton.jit
def compact_kernel(mask_ptr, out_ptr, count_ptr, n, BLOCK: tl.constexpr):
    """Positions of the nonzero entries of a flat mask, in order, and how many there are."""
    total = tl.zeros((1, ), tl.int64)
    offs0 = tl.arange(0, BLOCK).to(tl.int64)
    for start in range(0, n, BLOCK):
        offs = start + offs0
        m = tl.load(mask_ptr + offs, mask=offs < n, other=0) != 0
        mi = m.to(tl.int64)
        pos = tl.cumsum(mi, axis=0) - 1 + total
        tl.store(out_ptr + pos, offs, mask=m)
        total += tl.sum(mi, axis=0)
    tl.store(count_ptr + tl.arange(0, 1), total)


def _outer_dim_inner_strides(t, dim):
    """(P, D, Q) strides of ``t`` around ``dim``, or None when the outer or inner dims don't
    coalesce into one."""
    pre = _group(t.shape[:dim], t.stride()[:dim])
    post = _group(t.shape[dim + 1:], t.stride()[dim + 1:])
    if pre is None or post is None:
        return None
    return pre[1], t.stride(dim), post[1]


def _dense(t):
    out = torch.empty(t.shape, dtype=t.dtype, device=t.device)
    elementwise.pointwise("copy", out, t)
    return out


def _launch(x, idx, out, dim, mode):
    """idx has the shape of the (P, J, Q) side: ``out`` when gathering, ``x`` when scattering;
    every operand is seen as (P, D, Q) around ``dim``."""
    n = idx.numel()
    if n == 0:
        return out
    big = out if mode else x
    D = big.shape[dim] if big.dim() else 1
    J = idx.shape[dim] if idx.dim() else 1
    Q = math.prod(idx.shape[dim + 1:])
    strides = []
    for t in (x, idx, out):
        s = _outer_dim_inner_strides(t, dim) if t.dim() else (0, 0, 0)
        assert s is not None
        strides.extend(s)
    block, warps = launcher.elementwise_config(n)
    launcher.launch(gather_scatter_kernel, launcher.grid_1d(n, block),
                    (x, idx, out, n, J, Q, D, *strides), dict(MODE=mode, BLOCK=block), warps)
    return out


def _index_shaped(t, idx, dim, keep_dim=True):
    """``t`` cut to the index's shape in every dimension (but ``dim`` when ``keep_dim``): the
    kernel walks the index's (P, J, Q) and addresses ``t`` with that shape (torch allows an index
    smaller than self and src)."""
    if not t.dim() or tuple(t.shape) == tuple(idx.shape):
        return t
    return t[tuple(slice(None) if keep_dim and i == dim else slice(0, idx.shape[i])
                   for i in range(t.dim()))]


def _coalesced(t, dim):
    return t if not t.dim() or _outer_dim_inner_strides(t, dim) is not None else _dense(t)


def gather(x, dim, idx):
    """torch.gather: out[..., j, ...] = x[..., idx[..., j, ...], ...] (idx may be expanded)."""
    x = _coalesced(_index_shaped(x, idx, dim), dim)
    idx = _coalesced(idx, dim)
    out = torch.empty(idx.shape, dtype=x.dtype, device=x.device)
    return _launch(x, idx, out, dim, 0)


def _scatter(out, dim, idx, src, mode):
    src = _coalesced(_index_shaped(src, idx, dim, keep_dim=False), dim)
    idx = _coalesced(idx, dim)
    target = _index_shaped(out, idx, dim)
    if not target.dim() or _outer_dim_inner_strides(target, dim) is not None:
        _launch(src, idx, target, dim, mode)
        return out
    dense = _dense(target)  # a layout the kernel cannot address: scatter into a copy, write back
    _launch(src, idx, dense, dim, mode)
    elementwise.pointwise("copy", target, dense)
    return out


def scatter_add_(out, dim, idx, src):
    """out[..., idx[..., j, ...], ...] += src[..., j, ...] (src and idx may be larger / smaller
    than out in the other dimensions, as torch allows)."""
    return _scatter(out, dim, idx, src, 1)


def scatter_store(out, dim, idx, src):
    """out[..., idx[..., j, ...], ...] = src[..., j, ...]."""
    return _scatter(out, dim, idx, src, 2)


def nonzero_flat(mask):
    """int64 positions of the nonzero entries of ``mask`` (flattened, row-major)."""
    flat = mask.reshape(-1) if mask.is_contiguous() else _dense(mask).reshape(-1)
    n = flat.numel()
    out = torch.empty((n,), dtype=torch.int64, device=mask.device)
    count = torch.empty((1,), dtype=torch.int64, device=mask.device)
    if n == 0:
        return out
    block = launcher.elementwise_config(n)[0] if launcher.POLICY == "interpreter" else 1024
    launcher.launch(compact_kernel, (1,), (flat, out, count, n), dict(BLOCK=block), 4)
    return out[:int(count.item())]


__all__ = ["gather_scatter_kernel", "compact_kernel", "gather", "scatter_add_", "scatter_store",
           "nonzero_flat"]
