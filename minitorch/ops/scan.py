"""Inclusive scans along the last dimension (cumsum / cumprod, forward and reversed) and a search
of scanned rows: ``count_le`` counts the boundaries of a non-decreasing row (a cumsum) at or below
each query — the inverse of a cumsum, behind multinomial sampling with replacement and
``repeat_interleave``.

Every kernel works on contiguous storage; the host (functions/scan_sort.py) moves the working
dimension last and materializes views first.
"""
import torch
import triton
import triton.language as tl

from . import launcher


def _compute(dtype):
    if dtype == torch.float64:
        return tl.float64
    if dtype.is_floating_point:
        return tl.float32
    return tl.int64



@triton.jit
def scan_kernel(x_ptr, out_ptr, M, N, OP: tl.constexpr, REVERSE: tl.constexpr,
                COMPUTE: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    """Inclusive scan of each of M rows of N elements, in BLOCK_N chunks with a running carry.
    OP is "sum" or "prod"; REVERSE scans from the end of the row (the backward of cumsum)."""
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    row_mask = rows < M
    cols0 = tl.arange(0, BLOCK_N).to(tl.int64)
    if OP == "sum":
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
        if OP == "sum":
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
    """Scan (``op`` "sum" or "prod") the last dim of contiguous ``x`` into contiguous ``out``
    (same shape)."""
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


__all__ = ["scan_kernel", "scan_", "count_le_kernel", "count_le_"]
