"""Sorting by rank counting: a 1-D argsort and a random permutation built on it, the batched
stable sort behind sort / argsort / topk, and the random keys whose sort is multinomial sampling
without replacement.

``rank_kernel``: each program takes BLOCK_I keys and counts, over all keys in BLOCK_J tiles, how
many sort before each (smaller key, or equal key at a smaller index: a stable order), then
scatters its own index to that rank — ``perm[rank[i]] = i`` is the stable argsort.
"""
import torch
import triton
import triton.language as tl

from . import creation, launcher


@triton.jit
def rank_kernel(keys_ptr, perm_ptr, n, BLOCK_I: tl.constexpr, BLOCK_J: tl.constexpr):
    offs_i = tl.program_id(0).to(tl.int64) * BLOCK_I + tl.arange(0, BLOCK_I).to(tl.int64)
    mask_i = offs_i < n
    ki = tl.load(keys_ptr + offs_i, mask=mask_i)
    rank = tl.zeros((BLOCK_I,), dtype=tl.int64)
    for start in range(0, n, BLOCK_J):
        offs_j = start + tl.arange(0, BLOCK_J).to(tl.int64)
        mask_j = offs_j < n
        kj = tl.load(keys_ptr + offs_j, mask=mask_j)
        before = (kj[None, :] < ki[:, None]) | ((kj[None, :] == ki[:, None]) &
                                                 (offs_j[None, :] < offs_i[:, None]))
        before = before & mask_j[None, :]
        rank += tl.sum(before.to(tl.int64), axis=1)
    tl.store(perm_ptr + rank, offs_i, mask=mask_i)


def argsort_(keys, out):
    """Stable ascending argsort of 1-D contiguous storage ``keys`` into int64 storage ``out``."""
    n = keys.numel()
    if n == 0:
        return out
    if launcher.POLICY == "interpreter":
        block_i = min(launcher.next_pow2(n), 256)
        block_j = min(launcher.next_pow2(n), max(1, (1 << 16) // block_i))
    else:
        block_i, block_j = 64, 64
    launcher.launch(rank_kernel, (launcher.cdiv(n, block_i),), (keys, out, n),
                    dict(BLOCK_I=block_i, BLOCK_J=block_j), 4)
    return out


def randperm_(out, generator=None):
    """A uniformly random permutation of range(n) into int64 storage ``out``: random keys from
    the Philox generator, then their argsort."""
    n = out.numel()
    keys = torch.empty((n,), dtype=torch.float32, device=out.device)
    creation.random_(keys, creation.UNIFORM, 0.0, 1.0, generator=generator)
    return argsort_(keys, out)


# ---------------------------------------------------------------------------------------------
# batched stable rank sort (sort / argsort / topk along a dimension)
# ---------------------------------------------------------------------------------------------
@triton.jit
def row_rank_kernel(x_ptr, val_ptr, idx_ptr, N, DESC: tl.constexpr, BLOCK_I: tl.constexpr,
                    BLOCK_J: tl.constexpr):
    """Program (row, block): the rank of each of BLOCK_I keys within its row is the number of
    keys that sort before it (smaller — larger when DESC —, or equal at a smaller index: stable;
    NaN sorts as the largest value, like torch). Key and index are scattered to that rank."""
    row = tl.program_id(0).to(tl.int64)
    offs_i = tl.program_id(1).to(tl.int64) * BLOCK_I + tl.arange(0, BLOCK_I).to(tl.int64)
    mask_i = offs_i < N
    base = x_ptr + row * N
    ki = tl.load(base + offs_i, mask=mask_i, other=0)
    num_i = ki == ki
    rank = tl.zeros((BLOCK_I,), dtype=tl.int64)
    for start in range(0, N, BLOCK_J):
        offs_j = start + tl.arange(0, BLOCK_J).to(tl.int64)
        mask_j = offs_j < N
        kj = tl.load(base + offs_j, mask=mask_j, other=0)
        num_j = kj == kj
        if DESC:
            first = (kj[None, :] > ki[:, None]) | ((num_j[None, :] == 0) & num_i[:, None])
        else:
            first = (kj[None, :] < ki[:, None]) | (num_j[None, :] & (num_i[:, None] == 0))
        same = (kj[None, :] == ki[:, None]) | ((num_j[None, :] == 0) & (num_i[:, None] == 0))
        before = (first | (same & (offs_j[None, :] < offs_i[:, None]))) & mask_j[None, :]
        rank += tl.sum(before.to(tl.int64), axis=1)
    tl.store(val_ptr + row * N + rank, ki, mask=mask_i)
    tl.store(idx_ptr + row * N + rank, offs_i, mask=mask_i)


def sort_rows_(x, values, indices, descending=False):
    """Stable sort of each row (last dim) of contiguous ``x``."""
    n = x.shape[-1] if x.dim() else 1
    if x.numel() == 0:
        return values, indices
    m = x.numel() // n
    if launcher.POLICY == "interpreter":
        block_i = min(launcher.next_pow2(n), 256)
        block_j = min(launcher.next_pow2(n), max(1, (1 << 16) // block_i))
    else:
        block_i, block_j = 64, 64
    launcher.launch(row_rank_kernel, (m, launcher.cdiv(n, block_i)), (x, values, indices, n),
                    dict(DESC=bool(descending), BLOCK_I=block_i, BLOCK_J=block_j), 4)
    return values, indices


# ---------------------------------------------------------------------------------------------
# exponential race keys: multinomial sampling without replacement is a sort of these
# ---------------------------------------------------------------------------------------------
@triton.jit
def race_keys_kernel(p_ptr, out_ptr, n, seed, offset, BLOCK: tl.constexpr):
    """key = E / p with E ~ Exp(1) from the Philox stream: the k smallest keys of a row are a
    draw of k categories without replacement with probabilities proportional to p. Categories
    of zero probability get +inf (they sort last, after every positive one)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < n
    p = tl.load(p_ptr + offs, mask=mask, other=1).to(tl.float64)
    u = tl.rand(seed, (offs + offset).to(tl.int32)).to(tl.float64)
    e = -tl.log(tl.maximum(u, 1e-30))
    key = tl.where(p > 0, e / tl.where(p > 0, p, 1.0), float("inf"))
    tl.store(out_ptr + offs, key, mask=mask)


def race_keys_(p, out, generator=None):
    n = p.numel()
    if n == 0:
        return out
    gen = generator or creation.default_generator
    seed, offset = gen._take(n)
    block, warps = launcher.elementwise_config(n)
    launcher.launch(race_keys_kernel, launcher.grid_1d(n, block), (p, out, n, seed, offset),
                    dict(BLOCK=block), warps)
    return out


__all__ = ["rank_kernel", "argsort_", "randperm_", "row_rank_kernel", "sort_rows_",
           "race_keys_kernel", "race_keys_"]
