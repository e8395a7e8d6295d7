"""2-D convolution as three implicit GEMMs (no im2col buffer: every tile computes its input
addresses on the fly from strides, so channels-last and other strided views need no copy).

* forward      Y[m=(n,oh,ow), oc] = Σ_{k=(c,kh,kw)} X[n, c, oh·s−p+kh·d, ...] · W[oc, c, kh, kw]
               (+ bias, then optional ReLU, as the epilogue)
* grad input   dX[m=(n,ih,iw), c] = Σ_{k=(oc,kh,kw)} dY[n, oc, oh, ow] · W[oc, c, kh, kw]
               where oh = (ih+p−kh·d)/s when that division is exact and in range (a direct
               formulation of the transposed convolution)
* grad weight  dW[oc, k=(c,kh,kw)] = Σ_{(n,oh,ow)} dY[n, oc, oh, ow] · X[n, c, oh·s−p+kh·d, ...]
               with the bias gradient Σ dY accumulated from the same dY tiles.

Groups are the third grid axis. 1-D convolutions are 2-D ones with H = 1.
"""
import torch
import triton
import triton.language as tl

from . import launcher
from .matmul import matmul_backend

# Interpreter tiles: elements per loaded tile. The interpreter's cost is per executed op and almost
# flat in the tile size, so big tiles and few K steps win; numpy temporaries grow past ~2^18.
_INTERP_TILE = 1 << 18


def conv_config(m, n, k, dtype, kind="fwd"):
    """(BLOCK_M, BLOCK_N, BLOCK_K, num_warps) for an implicit GEMM of m×n outputs over k.
    Every block dim is >= 16 (tl.dot's minimum when compiled)."""
    np2 = launcher.next_pow2
    if launcher.POLICY == "interpreter":
        bn = max(16, min(np2(n), 256))
        bm = max(16, min(np2(m), 4096, _INTERP_TILE // bn))
        bk = max(16, min(np2(k), _INTERP_TILE // max(bm, bn)))
        return bm, bn, bk, 4
    # The gathered operand's int64 address and mask tiles cost registers: 64x32x32 spills ~1.5 KB
    # on sm_80/sm_90. Measured spill-free for every recorded specialization (ptxas, sm_80 and
    # sm_90a): grad-weight 64x32x16; forward / grad-input 32x32x16 (fp32), 32x16x16 (fp64).
    if kind == "weight":
        return 64, 32, 16, 4
    if dtype == torch.float64:
        return 32, 16, 16, 4
    return 32, 32, 16, 4


def _acc_and_precision(dtype):
    acc = tl.float64 if dtype == torch.float64 else tl.float32
    precision = "tf32" if (matmul_backend.allow_tf32 and acc == tl.float32) else "ieee"
    return acc, precision


@triton.jit
def conv2d_fwd_kernel(x_ptr, w_ptr, b_ptr, y_ptr,
                      N, C_in_g, H, W, C_out_g, OH, OW, KH, KW,
                      stride_h, stride_w, pad_h, pad_w, dil_h, dil_w,
                      sxn, sxc, sxh, sxw, swo, swc, swh, sww, sb, syn, syc, syh, syw,
                      HAS_BIAS: tl.constexpr, ACT: tl.constexpr, ACC_TYPE: tl.constexpr,
                      PRECISION: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                      BLOCK_K: tl.constexpr):
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    grp = tl.program_id(2).to(tl.int64)
    M = N * OH * OW
    K = C_in_g * KH * KW
    khw = KH * KW
    rm = pid_m.to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    rn = pid_n.to(tl.int64) * BLOCK_N + tl.arange(0, BLOCK_N).to(tl.int64)
    n = rm // (OH * OW)
    r = rm % (OH * OW)
    oh = r // OW
    ow = r % OW
    ih0 = oh * stride_h - pad_h
    iw0 = ow * stride_w - pad_w
    m_ok = rm < M
    n_ok = rn < C_out_g
    oc = grp * C_out_g + rn
    # row part of the input address, and the kernel offsets each output row may use:
    # 0 <= ih0 + kh·d < H  <=>  -ih0 <= kh·d < H - ih0 (rows past M get an empty range: kh·d >= 0)
    x_row = x_ptr + n * sxn + grp * C_in_g * sxc + ih0 * sxh + iw0 * sxw
    lo_h = -ih0
    hi_h = tl.where(m_ok, H - ih0, -1)
    lo_w = -iw0
    hi_w = W - iw0
    w_base = w_ptr + oc * swo
    acc = tl.zeros((BLOCK_M, BLOCK_N), ACC_TYPE)
    for k0 in range(0, K, BLOCK_K):
        rk = k0 + tl.arange(0, BLOCK_K).to(tl.int64)
        c = rk // khw
        kr = rk % khw
        kh = kr // KW
        kw = kr % KW
        k_ok = rk < K
        dh = tl.where(k_ok, kh * dil_h, H + 2 * pad_h + 1)  # columns past K: out of every range
        dw = kw * dil_w
        a_mask = ((dh[None, :] >= lo_h[:, None]) & (dh[None, :] < hi_h[:, None])) & \
            ((dw[None, :] >= lo_w[:, None]) & (dw[None, :] < hi_w[:, None]))
        a = tl.load(x_row[:, None] + (c * sxc + dh * sxh + dw * sxw)[None, :], mask=a_mask,
                    other=0).to(ACC_TYPE)
        b = tl.load(w_base[None, :] + (c * swc + kh * swh + kw * sww)[:, None],
                    mask=k_ok[:, None] & n_ok[None, :], other=0).to(ACC_TYPE)
        acc = tl.dot(a, b, acc, input_precision=PRECISION)
    if HAS_BIAS:
        acc += tl.load(b_ptr + oc * sb, mask=n_ok, other=0).to(ACC_TYPE)[None, :]
    if ACT == 1:
        acc = tl.where(acc < 0, 0, acc)
    y_ptrs = y_ptr + (n * syn + oh * syh + ow * syw)[:, None] + (oc * syc)[None, :]
    tl.store(y_ptrs, acc, mask=m_ok[:, None] & n_ok[None, :])


@triton.jit
def conv2d_bwd_input_kernel(g_ptr, w_ptr, dx_ptr,
                            N, C_in_g, H, W, C_out_g, OH, OW, KH, KW,
                            stride_h, stride_w, pad_h, pad_w, dil_h, dil_w,
                            sgn, sgc, sgh, sgw, swo, swc, swh, sww, sxn, sxc, sxh, sxw,
                            UNIT_STRIDE: tl.constexpr, ACC_TYPE: tl.constexpr,
                            PRECISION: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                            BLOCK_K: tl.constexpr):
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    grp = tl.program_id(2).to(tl.int64)
    M = N * H * W
    K = C_out_g * KH * KW
    khw = KH * KW
    rm = pid_m.to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    rn = pid_n.to(tl.int64) * BLOCK_N + tl.arange(0, BLOCK_N).to(tl.int64)
    n = rm // (H * W)
    r = rm % (H * W)
    ih = r // W
    iw = r % W
    m_ok = rm < M
    n_ok = rn < C_in_g
    c = grp * C_in_g + rn
    g_base = g_ptr + n * sgn + grp * C_out_g * sgc
    w_base = w_ptr + rn * swc + grp * C_out_g * swo
    ah = ih + pad_h
    aw = iw + pad_w
    # stride 1: oh = ah - kh·d, valid when ah - OH < kh·d <= ah (rows past M: never)
    g_row = g_base + ah * sgh + aw * sgw
    hi_h = tl.where(m_ok, ah, -1)
    lo_h = ah - OH
    lo_w = aw - OW
    acc = tl.zeros((BLOCK_M, BLOCK_N), ACC_TYPE)
    for k0 in range(0, K, BLOCK_K):
        rk = k0 + tl.arange(0, BLOCK_K).to(tl.int64)
        oc = rk // khw
        kr = rk % khw
        kh = kr // KW
        kw = kr % KW
        k_ok = rk < K
        if UNIT_STRIDE:
            dh = tl.where(k_ok, kh * dil_h, H + pad_h + 1)  # columns past K: above every ah
            dw = kw * dil_w
            a_mask = ((dh[None, :] <= hi_h[:, None]) & (dh[None, :] > lo_h[:, None])) & \
                ((dw[None, :] <= aw[:, None]) & (dw[None, :] > lo_w[:, None]))
            a = tl.load(g_row[:, None] + (oc * sgc - dh * sgh - dw * sgw)[None, :],
                        mask=a_mask, other=0).to(ACC_TYPE)
        else:
            th = ah[:, None] - (kh * dil_h)[None, :]
            tw = aw[:, None] - (kw * dil_w)[None, :]
            # th may be negative: test it before relying on the (truncating) division
            oh = th // stride_h
            ow = tw // stride_w
            ok_h = (th >= 0) & (oh * stride_h == th) & (oh < OH)
            ok_w = (tw >= 0) & (ow * stride_w == tw) & (ow < OW)
            a_mask = (m_ok[:, None] & k_ok[None, :]) & ok_h & ok_w
            a = tl.load(g_base[:, None] + (oc * sgc)[None, :] + oh * sgh + ow * sgw,
                        mask=a_mask, other=0).to(ACC_TYPE)
        b = tl.load(w_base[None, :] + (oc * swo + kh * swh + kw * sww)[:, None],
                    mask=k_ok[:, None] & n_ok[None, :], other=0).to(ACC_TYPE)
        acc = tl.dot(a, b, acc, input_precision=PRECISION)
    dx_ptrs = dx_ptr + (n * sxn + ih * sxh + iw * sxw)[:, None] + (c * sxc)[None, :]
    tl.store(dx_ptrs, acc, mask=m_ok[:, None] & n_ok[None, :])


@triton.jit
def conv2d_bwd_weight_kernel(g_ptr, x_ptr, dw_ptr, db_ptr,
                             N, C_in_g, H, W, C_out_g, OH, OW, KH, KW,
                             stride_h, stride_w, pad_h, pad_w, dil_h, dil_w,
                             sgn, sgc, sgh, sgw, sxn, sxc, sxh, sxw, swo, swc, swh, sww, sdb,
                             HAS_DB: tl.constexpr, ACC_TYPE: tl.constexpr,
                             PRECISION: tl.constexpr, BLOCK_M: tl.constexpr,
                             BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """dW[oc, (c,kh,kw)] = Σ_{(n,oh,ow)} dY · X; with HAS_DB also db[oc] = Σ dY (from the same dY
    tiles, accumulated as a tile and reduced once after the K loop)."""
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    grp = tl.program_id(2).to(tl.int64)
    NC = C_in_g * KH * KW
    K = N * OH * OW
    khw = KH * KW
    rm = pid_m.to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    rn = pid_n.to(tl.int64) * BLOCK_N + tl.arange(0, BLOCK_N).to(tl.int64)
    m_ok = rm < C_out_g
    n_ok = rn < NC
    oc = grp * C_out_g + rm
    c = rn // khw
    kr = rn % khw
    kh = kr // KW
    kw = kr % KW
    g_base = g_ptr + oc * sgc
    x_base = x_ptr + (grp * C_in_g + c) * sxc
    acc = tl.zeros((BLOCK_M, BLOCK_N), ACC_TYPE)
    if HAS_DB:
        row_acc = tl.zeros((BLOCK_M, BLOCK_K), ACC_TYPE)
    for k0 in range(0, K, BLOCK_K):
        rk = k0 + tl.arange(0, BLOCK_K).to(tl.int64)
        n = rk // (OH * OW)
        r = rk % (OH * OW)
        oh = r // OW
        ow = r % OW
        k_ok = rk < K
        a = tl.load(g_base[:, None] + (n * sgn + oh * sgh + ow * sgw)[None, :],
                    mask=m_ok[:, None] & k_ok[None, :], other=0).to(ACC_TYPE)
        ih = (oh * stride_h - pad_h)[:, None] + (kh * dil_h)[None, :]
        iw = (ow * stride_w - pad_w)[:, None] + (kw * dil_w)[None, :]
        b_mask = (k_ok[:, None] & n_ok[None, :]) & ((ih >= 0) & (ih < H)) & ((iw >= 0) & (iw < W))
        b = tl.load(x_base[None, :] + (n * sxn)[:, None] + ih * sxh + iw * sxw, mask=b_mask,
                    other=0).to(ACC_TYPE)
        acc = tl.dot(a, b, acc, input_precision=PRECISION)
        if HAS_DB:
            row_acc += a
    if HAS_DB:
        if pid_n == 0:
            tl.store(db_ptr + oc * sdb, tl.sum(row_acc, axis=1), mask=m_ok)
    dw_ptrs = dw_ptr + (oc * swo)[:, None] + (c * swc + kh * swh + kw * sww)[None, :]
    tl.store(dw_ptrs, acc, mask=m_ok[:, None] & n_ok[None, :])


def _geometry(x_shape, w_shape, stride, padding, dilation, groups):
    N, C, H, W = x_shape
    C_out, C_in_g, KH, KW = w_shape
    # padding (top, left) or (top, left, bottom, right): an odd 'same' padding is asymmetric; the
    # bottom/right part only extends the output, the kernels mask everything outside the input.
    pad_b, pad_r = (padding[2], padding[3]) if len(padding) == 4 else padding[:2]
    OH = (H + padding[0] + pad_b - dilation[0] * (KH - 1) - 1) // stride[0] + 1
    OW = (W + padding[1] + pad_r - dilation[1] * (KW - 1) - 1) // stride[1] + 1
    return (N, C_in_g, H, W, C_out // groups, OH, OW, KH, KW, stride[0], stride[1], padding[0],
            padding[1], dilation[0], dilation[1])


def conv2d_forward(x, w, bias, stride, padding, dilation, groups, activation=None):
    """x (N, C, H, W), w (C_out, C/groups, KH, KW), bias (C_out,) or None: storage tensors with
    any strides. Returns a new contiguous (N, C_out, OH, OW) storage tensor."""
    geo = _geometry(x.shape, w.shape, stride, padding, dilation, groups)
    N, C_in_g, H, W, C_out_g, OH, OW, KH, KW = geo[:9]
    y = torch.empty((N, C_out_g * groups, OH, OW), dtype=x.dtype, device=x.device)
    if y.numel() == 0:
        return y
    acc, precision = _acc_and_precision(x.dtype)
    bm, bn, bk, warps = conv_config(N * OH * OW, C_out_g, C_in_g * KH * KW, x.dtype)
    grid = (launcher.cdiv(N * OH * OW, bm), launcher.cdiv(C_out_g, bn), groups)
    launcher.launch(conv2d_fwd_kernel, grid,
                    (x, w, bias if bias is not None else y, y, *geo, *x.stride(), *w.stride(),
                     bias.stride(0) if bias is not None else 0, *y.stride()),
                    dict(HAS_BIAS=bias is not None, ACT=1 if activation == "relu" else 0,
                         ACC_TYPE=acc, PRECISION=precision, BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk),
                    warps)
    return y


def conv2d_backward_input(g, w, x_shape, stride, padding, dilation, groups):
    """dX (contiguous, of ``x_shape``) from dY ``g`` and the weight."""
    geo = _geometry(x_shape, w.shape, stride, padding, dilation, groups)
    N, C_in_g, H, W, C_out_g, OH, OW, KH, KW = geo[:9]
    dx = torch.empty(x_shape, dtype=g.dtype, device=g.device)
    if dx.numel() == 0:
        return dx
    acc, precision = _acc_and_precision(g.dtype)
    bm, bn, bk, warps = conv_config(N * H * W, C_in_g, C_out_g * KH * KW, g.dtype)
    grid = (launcher.cdiv(N * H * W, bm), launcher.cdiv(C_in_g, bn), groups)
    launcher.launch(conv2d_bwd_input_kernel, grid,
                    (g, w, dx, *geo, *g.stride(), *w.stride(), *dx.stride()),
                    dict(UNIT_STRIDE=tuple(stride) == (1, 1), ACC_TYPE=acc, PRECISION=precision,
                         BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk),
                    warps)
    return dx


def conv2d_backward_weight(x, g, w_shape, stride, padding, dilation, groups, want_bias=False):
    """(dW contiguous of ``w_shape``, db or None) from the input ``x`` and dY ``g``."""
    geo = _geometry(x.shape, w_shape, stride, padding, dilation, groups)
    N, C_in_g, H, W, C_out_g, OH, OW, KH, KW = geo[:9]
    dw = torch.empty(w_shape, dtype=g.dtype, device=g.device)
    db = torch.empty(w_shape[0], dtype=g.dtype, device=g.device) if want_bias else None
    if dw.numel() == 0 and db is None:
        return dw, db
    acc, precision = _acc_and_precision(g.dtype)
    ncols = C_in_g * KH * KW
    bm, bn, bk, warps = conv_config(C_out_g, ncols, N * OH * OW, g.dtype, "weight")
    grid = (launcher.cdiv(C_out_g, bm), max(1, launcher.cdiv(ncols, bn)), groups)
    launcher.launch(conv2d_bwd_weight_kernel, grid,
                    (g, x, dw, db if db is not None else dw, *geo, *g.stride(), *x.stride(),
                     *dw.stride(), 1),
                    dict(HAS_DB=db is not None, ACC_TYPE=acc, PRECISION=precision, BLOCK_M=bm,
                         BLOCK_N=bn, BLOCK_K=bk),
                    warps)
    return dw, db


__all__ = ["conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight", "conv_config"]
