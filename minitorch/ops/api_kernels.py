"""Kernels behind the tutorial-coverage ops (issue 11): scans (cumsum / cumprod, forward and
reversed), a batched stable rank sort (sort / argsort / topk, NaN ordered as torch orders it),
a "how many boundaries are <= q" count (multinomial with replacement, repeat_interleave),
exponential-race keys (multinomial without replacement), triangular masks (tril / triu) and the
accurate log1p / expm1 pair with their derivatives.

Every kernel works on contiguous storage; the host (functions/api11.py) moves the working
dimension last and materializes views first.
"""
import torch
import triton
import triton.language as tl

from . import launcher

SCAN_SUM, SCAN_PROD = 0, 1
LOG1P, EXPM1, LOG1P_GRAD, EXPM1_GRAD = range(4)


def _compute(dtype):
    if dtype == torch.float64:
        return tl.float64
    if dtype.is_floating_point:
        return tl.float32
    return tl.int64


# ---------------------------------------------------------------------------------------------
# scans
# ---------------------------------------------------------------------------------------------
@triton.jit
def scan_kernel(x_ptr, out_ptr, M, N, OP: tl.constexpr, REVERSE: tl.constexpr,
                COMPUTE: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    """Inclusive scan of each of M rows of N elements, in BLOCK_N chunks with a running carry.
    REVERSE scans from the end of the row (the backward of cumsum)."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    row_mask = rows < M
    cols0 = tl.arange(0, BLOCK_N).to(tl.int64)
    if OP == 0:
        carry = tl.zeros((BLOCK_M,), COMPUTE)
    else:
        carry = tl.full((BLOCK_M,), 1, COMPUTE)
    for start in range(0, N, BLOCK_N):
        cols = start + cols0
        m = row_mask[:, None] & (cols < N)[None, :]
        if REVERSE:
            src = N - 1 - cols
        else:
            src = cols
        ptrs = rows[:, None] * N + src[None, :]
        if OP == 0:
            x = tl.load(x_ptr + ptrs, mask=m, other=0).to(COMPUTE)
            c = tl.cumsum(x, axis=1) + carry[:, None]
            carry = carry + tl.sum(x, axis=1)
        else:
            x = tl.load(x_ptr + ptrs, mask=m, other=1).to(COMPUTE)
            c = tl.cumprod(x, axis=1) * carry[:, None]
            # masked lanes load 1, so the chunk's last column is the running product
            carry = tl.sum(tl.where(cols0[None, :] == BLOCK_N - 1, c, 0), axis=1)
        tl.store(out_ptr + ptrs, c, mask=m)


def scan_(x, out, op, reverse=False):
    """Scan the last dim of contiguous ``x`` into contiguous ``out`` (same shape)."""
    n = x.shape[-1] if x.dim() else 1
    m = x.numel() // n if n else 0
    if x.numel() == 0:
        return out
    block_m, block_n, warps = launcher.reduction_config(m, n)
    if launcher.POLICY != "interpreter":
        block_n = min(block_n, 256)
        block_m = max(1, min(block_m, 1024 // block_n))
    launcher.launch(scan_kernel, (launcher.cdiv(m, block_m),), (x, out, m, n),
                    dict(OP=op, REVERSE=bool(reverse), COMPUTE=_compute(out.dtype),
                         BLOCK_M=block_m, BLOCK_N=block_n), warps)
    return out


# ---------------------------------------------------------------------------------------------
# batched stable rank sort
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
# counting search: out[r, s] = #{j : bounds[r, j] <= q[r, s]}
# ---------------------------------------------------------------------------------------------
@triton.jit
def count_le_kernel(bounds_ptr, q_ptr, out_ptr, N, S, q_row_stride,
                    SAMPLE: tl.constexpr, BLOCK_S: tl.constexpr, BLOCK_N: tl.constexpr):
    """SAMPLE: q holds uniforms in [0, 1) scaled here by the row total (the last bound), and the
    count is capped at the index of the first bound equal to the total, so a category of zero
    probability is never drawn even when rounding lands q on the total."""
    row = tl.program_id(0).to(tl.int64)
    offs_s = tl.program_id(1).to(tl.int64) * BLOCK_S + tl.arange(0, BLOCK_S).to(tl.int64)
    mask_s = offs_s < S
    q = tl.load(q_ptr + row * q_row_stride + offs_s, mask=mask_s, other=0)
    if SAMPLE:
        total = tl.load(bounds_ptr + row * N + N - 1)
        q = q * total
    cnt = tl.zeros((BLOCK_S,), dtype=tl.int64)
    below_total = tl.zeros((BLOCK_S,), dtype=tl.int64)
    for start in range(0, N, BLOCK_N):
        offs_n = start + tl.arange(0, BLOCK_N).to(tl.int64)
        mask_n = offs_n < N
        c = tl.load(bounds_ptr + row * N + offs_n, mask=mask_n, other=0)
        le = (c[None, :] <= q[:, None]) & mask_n[None, :]
        cnt += tl.sum(le.to(tl.int64), axis=1)
        if SAMPLE:
            lt = (c[None, :] < total) & mask_n[None, :] & mask_s[:, None]
            below_total += tl.sum(lt.to(tl.int64), axis=1)
    if SAMPLE:
        cnt = tl.minimum(cnt, below_total)
    tl.store(out_ptr + row * S + offs_s, cnt, mask=mask_s)


def count_le_(bounds, q, out, sample=False, q_row_stride=None):
    """``bounds`` (R, N) non-decreasing rows, ``q`` (R, S) (or one shared row with
    ``q_row_stride=0``), ``out`` (R, S) int64."""
    r, n = bounds.shape
    s = out.shape[1]
    if out.numel() == 0:
        return out
    if q_row_stride is None:
        q_row_stride = s
    if launcher.POLICY == "interpreter":
        block_s = min(launcher.next_pow2(s), 256)
        block_n = min(launcher.next_pow2(n), max(1, (1 << 16) // block_s))
    else:
        block_s, block_n = 32, 64  # 64x64 reaches 255 registers on sm_80
    launcher.launch(count_le_kernel, (r, launcher.cdiv(s, block_s)),
                    (bounds, q, out, n, s, q_row_stride),
                    dict(SAMPLE=bool(sample), BLOCK_S=block_s, BLOCK_N=block_n), 4)
    return out


# ---------------------------------------------------------------------------------------------
# exponential race keys for sampling without replacement
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
    from . import creation
    n = p.numel()
    if n == 0:
        return out
    gen = generator or creation.default_generator
    seed, offset = gen._take(n)
    block, warps = launcher.elementwise_config(n)
    launcher.launch(race_keys_kernel, launcher.grid_1d(n, block), (p, out, n, seed, offset),
                    dict(BLOCK=block), warps)
    return out


# ---------------------------------------------------------------------------------------------
# triangular masks
# ---------------------------------------------------------------------------------------------
@triton.jit
def tri_kernel(x_ptr, out_ptr, n, R, C, diagonal, UPPER: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < n
    col = offs % C
    row = (offs // C) % R
    x = tl.load(x_ptr + offs, mask=mask)
    if UPPER:
        keep = (col - row) >= diagonal
    else:
        keep = (col - row) <= diagonal
    tl.store(out_ptr + offs, tl.where(keep, x, tl.zeros_like(x)), mask=mask)


def tri_(x, out, diagonal, upper):
    n = x.numel()
    if n == 0:
        return out
    r, c = x.shape[-2], x.shape[-1]
    block, warps = launcher.elementwise_config(n)
    launcher.launch(tri_kernel, launcher.grid_1d(n, block), (x, out, n, r, c, int(diagonal)),
                    dict(UPPER=bool(upper), BLOCK=block), warps)
    return out


# ---------------------------------------------------------------------------------------------
# log1p / expm1 (Kahan's accurate forms: no libdevice) and their derivatives
# ---------------------------------------------------------------------------------------------
@triton.jit
def special_kernel(x_ptr, g_ptr, out_ptr, n, OP: tl.constexpr, COMPUTE: tl.constexpr,
                   BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0).to(COMPUTE)
    if OP == 0:  # log1p(x) = log(u) * x / (u - 1), u = 1 + x (exact x where u rounds to 1)
        u = 1.0 + x
        d = u - 1.0
        r = tl.log(u) * (x / tl.where(d == 0, 1.0, d))
        r = tl.where(d == 0, x, r)
        r = tl.where(u == float("inf"), u, r)
    elif OP == 1:  # expm1(x) = (u - 1) * x / log(u), u = exp(x)
        u = tl.exp(x)
        d = u - 1.0
        lu = tl.log(u)
        r = d * (x / tl.where(lu == 0, 1.0, lu))
        r = tl.where(d == 0, x, r)
        r = tl.where(d == -1.0, -1.0, r)
        r = tl.where(u == float("inf"), u, r)
    elif OP == 2:  # d log1p = g / (1 + x)
        g = tl.load(g_ptr + offs, mask=mask, other=0).to(COMPUTE)
        r = g / (1.0 + x)
    else:  # d expm1 = g * exp(x)
        g = tl.load(g_ptr + offs, mask=mask, other=0).to(COMPUTE)
        r = g * tl.exp(x)
    tl.store(out_ptr + offs, r, mask=mask)


def special_(op, x, out, g=None):
    n = x.numel()
    if n == 0:
        return out
    block, warps = launcher.elementwise_config(n)
    launcher.launch(special_kernel, launcher.grid_1d(n, block),
                    (x, g if g is not None else x, out, n),
                    dict(OP=op, COMPUTE=_compute(out.dtype), BLOCK=block), warps)
    return out
