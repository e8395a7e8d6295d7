"""Argsort by rank counting and a random permutation built on it.

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


__all__ = ["rank_kernel", "argsort_", "randperm_"]
