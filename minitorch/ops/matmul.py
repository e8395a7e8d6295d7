"""One batched matmul kernel that takes every stride, so transposed operands are views, never copies
(dW = dYᵀ·X passes dY with swapped strides). Accumulates in fp32 (fp64 for fp64) with an optional
epilogue: + bias, then an activation — the fused Linear forward — optionally also storing the
pre-activation (so a value the program can still reach is written by the same launch).
"""

import torch
import triton
import triton.language as tl

from . import elementwise, launcher

# The epilogue activation (``ACTIVATION``, a constexpr string): none or relu.
ACTIVATIONS = (None, "relu")


class _MatmulBackends:
    """``minitorch.backends.matmul``: allow_tf32 selects the dot precision on GPUs (default False,
    like PyTorch). The interpreter always computes exact fp32 products."""
    allow_tf32 = False


matmul_backend = _MatmulBackends()


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, bias_ptr, mask_ptr, rowsum_ptr, pre_ptr, M, N, K,
                  stride_ab, stride_am, stride_ak, stride_bb, stride_bk, stride_bn,
                  stride_cb, stride_cm, stride_cn, stride_bias, stride_mm, stride_mn,
                  HAS_BIAS: tl.constexpr, ACTIVATION: tl.constexpr, RELU_MASK: tl.constexpr,
                  ROWSUM: tl.constexpr, STORE_PRE: tl.constexpr, ACC_TYPE: tl.constexpr,
                  PRECISION: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                  BLOCK_K: tl.constexpr, EVEN_M: tl.constexpr = False,
                  EVEN_N: tl.constexpr = False, EVEN_K: tl.constexpr = False,
                  ONE_TILE: tl.constexpr = False, ONE_K: tl.constexpr = False,
                  BATCHED: tl.constexpr = True, CAST: tl.constexpr = True):
    """C = A·B (+ bias) (relu) (· [mask > 0]); with ROWSUM also rowsum(A) -> rowsum_ptr; with
    STORE_PRE also A·B (+ bias) before the activation -> pre_ptr (same strides as C).

    The fused Linear uses it three ways: forward (bias + ReLU epilogue), dX = g·W with the
    previous layer's ReLU derivative as the epilogue (RELU_MASK: mask is that layer's output),
    and dW = gᵀ·X with db = Σ_batch g accumulated from the same A tiles (ROWSUM). The row sums
    are accumulated as a tile and reduced once after the K loop.

    Shape flags (the host sets each when it holds; every one only removes work): EVEN_M/N/K —
    the dimension is a multiple of its block, so no mask in it; ONE_TILE — one program covers
    all of M and N (grid (1, 1, B)); ONE_K — K fits one block, no K loop; BATCHED — more than
    one matrix (grid axis 2); CAST — an operand (or the bias) is not of ACC_TYPE. Under the
    interpreter every executed ``tl`` op costs ~50 µs whatever the block size, so a
    whole-problem tile without masks is the cheap case."""
    if ONE_TILE:
        rm = tl.arange(0, BLOCK_M).to(tl.int64)
        rn = tl.arange(0, BLOCK_N).to(tl.int64)
    else:
        rm = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
        rn = tl.program_id(1).to(tl.int64) * BLOCK_N + tl.arange(0, BLOCK_N).to(tl.int64)
    if BATCHED:
        batch = tl.program_id(2).to(tl.int64)
        a_ptr += batch * stride_ab
        b_ptr += batch * stride_bb
        c_ptr += batch * stride_cb
        pre_ptr += batch * stride_cb
    rk = tl.arange(0, BLOCK_K).to(tl.int64)
    rm_c = rm[:, None]
    rn_r = rn[None, :]
    rk_r = rk[None, :]
    rk_c = rk[:, None]
    a_ptrs = a_ptr + rm_c * stride_am + rk_r * stride_ak
    b_ptrs = b_ptr + rk_c * stride_bk + rn_r * stride_bn
    # a load without a mask takes no ``other``
    a_other = None if EVEN_M and EVEN_K else 0
    b_other = None if EVEN_N and EVEN_K else 0
    c_other = None if EVEN_M and EVEN_N else 0
    if ONE_K:
        if EVEN_K:
            a_mask = None if EVEN_M else rm_c < M
            b_mask = None if EVEN_N else rn_r < N
        else:
            a_mask = rk_r < K if EVEN_M else (rm_c < M) & (rk_r < K)
            b_mask = rk_c < K if EVEN_N else (rk_c < K) & (rn_r < N)
        a = tl.load(a_ptrs, mask=a_mask, other=a_other)
        if CAST:
            a = a.to(ACC_TYPE)
        b = tl.load(b_ptrs, mask=b_mask, other=b_other)
        if CAST:
            b = b.to(ACC_TYPE)
        acc = tl.dot(a, b, input_precision=PRECISION)
        if ROWSUM:
            row_acc = a
    else:
        acc = tl.zeros((BLOCK_M, BLOCK_N), ACC_TYPE)
        if ROWSUM:
            row_acc = tl.zeros((BLOCK_M, BLOCK_K), ACC_TYPE)
        for k in range(0, K, BLOCK_K):
            if EVEN_K:
                a_mask = None if EVEN_M else rm_c < M
                b_mask = None if EVEN_N else rn_r < N
            else:
                a_mask = rk_r < K - k if EVEN_M else (rm_c < M) & (rk_r < K - k)
                b_mask = rk_c < K - k if EVEN_N else (rk_c < K - k) & (rn_r < N)
            a = tl.load(a_ptrs, mask=a_mask, other=a_other)
            if CAST:
                a = a.to(ACC_TYPE)
            b = tl.load(b_ptrs, mask=b_mask, other=b_other)
            if CAST:
                b = b.to(ACC_TYPE)
            acc = tl.dot(a, b, acc, input_precision=PRECISION)
            if ROWSUM:
                row_acc += a
            a_ptrs += BLOCK_K * stride_ak
            b_ptrs += BLOCK_K * stride_bk
    m_mask = None if EVEN_M else rm < M
    n_mask = None if EVEN_N else rn < N
    if ROWSUM:
        if ONE_TILE:
            tl.store(rowsum_ptr + rm, tl.sum(row_acc, axis=1), mask=m_mask)
        elif tl.program_id(1) == 0:
            tl.store(rowsum_ptr + rm, tl.sum(row_acc, axis=1), mask=m_mask)
    if HAS_BIAS:
        bias = tl.load(bias_ptr + rn * stride_bias, mask=n_mask, other=None if EVEN_N else 0)
        acc += (bias.to(ACC_TYPE) if CAST else bias)[None, :]
    c_offs = rm_c * stride_cm + rn_r * stride_cn
    if EVEN_M:
        c_mask = None if EVEN_N else rn_r < N
    else:
        c_mask = rm_c < M if EVEN_N else (rm_c < M) & (rn_r < N)
    if STORE_PRE:
        tl.store(pre_ptr + c_offs, acc, mask=c_mask)
    if ACTIVATION == "relu":
        acc = tl.where(acc < 0, 0, acc)
    if RELU_MASK:
        h = tl.load(mask_ptr + rm_c * stride_mm + rn_r * stride_mn, mask=c_mask, other=c_other)
        acc = tl.where(h > 0, acc, 0)
    tl.store(c_ptr + c_offs, acc, mask=c_mask)


def bmm(a, b, out, bias=None, activation=None, relu_mask=None, rowsum=None, pre_out=None):
    """out[i] = act(a[i] @ b[i] + bias) for 3-D storage views with equal batch sizes (a batch
    stride of 0 broadcasts). ``out`` is preallocated, any strides. 2-D only: ``relu_mask`` (M, N)
    zeroes the result where mask <= 0; ``rowsum`` (M,) receives the row sums of ``a``;
    ``pre_out`` (the layout of ``out``) receives the result before the activation."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")
    if pre_out is not None:
        assert pre_out.shape == out.shape and pre_out.stride() == out.stride()
    B, M, K = a.shape
    N = b.shape[2]
    if out.numel() == 0:
        return out
    if K == 0:
        elementwise.pointwise("copy", out, 0.0)
        if bias is not None:
            elementwise.pointwise("add", out, out, bias)
        if pre_out is not None:
            elementwise.pointwise("copy", pre_out, out)
        if activation == "relu":
            elementwise.pointwise("relu", out, out)
        if rowsum is not None:
            elementwise.pointwise("copy", rowsum, 0.0)
        return out
    acc = tl.float64 if out.dtype == torch.float64 else tl.float32
    precision = "tf32" if (matmul_backend.allow_tf32 and acc == tl.float32) else "ieee"
    bm, bn, bk, warps = launcher.matmul_config(M, N, K, out.dtype)
    grid = (launcher.cdiv(M, bm), launcher.cdiv(N, bn), B)
    # shape flags, only when set (each removes masks, loops or index arithmetic)
    flags = {name: True for name, on in (("EVEN_M", M % bm == 0), ("EVEN_N", N % bn == 0),
                                         ("EVEN_K", K % bk == 0), ("ONE_K", K <= bk),
                                         ("ONE_TILE", grid[0] == grid[1] == 1)) if on}
    if B == 1:
        flags["BATCHED"] = False
    acc_dtype = torch.float64 if acc == tl.float64 else torch.float32
    if a.dtype == b.dtype == acc_dtype and (bias is None or bias.dtype == acc_dtype):
        flags["CAST"] = False
    launcher.launch(matmul_kernel, grid,
                    (a, b, out, bias if bias is not None else out,
                     relu_mask if relu_mask is not None else out,
                     rowsum if rowsum is not None else out,
                     pre_out if pre_out is not None else out, M, N, K,
                     a.stride(0), a.stride(1), a.stride(2), b.stride(0), b.stride(1), b.stride(2),
                     out.stride(0), out.stride(1), out.stride(2),
                     bias.stride(0) if bias is not None else 0,
                     relu_mask.stride(0) if relu_mask is not None else 0,
                     relu_mask.stride(1) if relu_mask is not None else 0),
                    dict(HAS_BIAS=bias is not None, ACTIVATION=activation or "none",
                         RELU_MASK=relu_mask is not None, ROWSUM=rowsum is not None,
                         STORE_PRE=pre_out is not None,
                         ACC_TYPE=acc, PRECISION=precision, BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk,
                         **flags),
                    warps)
    return out


def mm(a, b, out=None, bias=None, activation=None, relu_mask=None, rowsum=None):
    """2-D: out = act(a @ b + bias) [* (relu_mask > 0)], optionally rowsum(a) -> ``rowsum``."""
    if out is None:
        out = torch.empty((a.shape[0], b.shape[1]), dtype=a.dtype, device=a.device)
    bmm(a.unsqueeze(0), b.unsqueeze(0), out.unsqueeze(0), bias=bias, activation=activation,
        relu_mask=relu_mask, rowsum=rowsum)
    return out


__all__ = ["bmm", "mm", "matmul_backend"]
