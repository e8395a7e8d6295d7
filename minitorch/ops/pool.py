"""2-D max / average pooling (fixed windows with stride, padding, dilation, ceil_mode, and adaptive
windows) forward and backward.

Forward: one program per block of outputs, a loop over the window (window origin and, for adaptive
pooling, its end computed per output). Max pooling returns the flat index ih·W + iw of the
maximum within its (n, c) plane, as PyTorch does, and propagates NaN like PyTorch's
``val > max || isnan(val)``.
Backward: a scatter over the outputs — max pooling adds dY at the saved index, average pooling
adds dY / divisor over the window — with atomic adds into a zeroed dX (overlapping windows).
"""
import torch
import triton
import triton.language as tl

from . import launcher

MAX, AVG = 0, 1


@triton.jit
def fill_zero_kernel(ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    tl.store(ptr + offs, tl.zeros((BLOCK,), ptr.dtype.element_ty), mask=offs < n)


@triton.jit
def _window(oh, ow, H, W, OH, OW, stride_h, stride_w, pad_h, pad_w, ADAPTIVE: tl.constexpr):
    """Window origin (hs, ws) and exclusive end (he, we) of each output; a fixed window's end is
    only used for the average's divisor (start + kernel, clamped to the padded input)."""
    if ADAPTIVE:
        hs = (oh * H) // OH
        he = ((oh + 1) * H + OH - 1) // OH
        ws = (ow * W) // OW
        we = ((ow + 1) * W + OW - 1) // OW
    else:
        hs = oh * stride_h - pad_h
        ws = ow * stride_w - pad_w
        he = hs
        we = ws
    return hs, ws, he, we


@triton.jit
def pool2d_fwd_kernel(x_ptr, y_ptr, idx_ptr, total, C, H, W, OH, OW, KH, KW,
                      stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, sxn, sxc, sxh, sxw, divisor,
                      MODE: tl.constexpr, ADAPTIVE: tl.constexpr, COUNT_PAD: tl.constexpr,
                      HAS_DIV: tl.constexpr, RET_IDX: tl.constexpr, ACC_TYPE: tl.constexpr,
                      BLOCK: tl.constexpr, IDX64: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < total
    if not IDX64:  # every index fits in int32: native 32-bit division on GPUs
        offs = offs.to(tl.int32)
    ow = offs % OW
    t = offs // OW
    oh = t % OH
    nc = t // OH
    c = nc % C
    n = nc // C
    hs, ws, he, we = _window(oh, ow, H, W, OH, OW, stride_h, stride_w, pad_h, pad_w, ADAPTIVE)
    base = x_ptr + n * sxn + c * sxc
    if MODE == 0:
        best = tl.full((BLOCK,), float("-inf"), ACC_TYPE)
        bidx = tl.full((BLOCK,), -1, offs.dtype)
    else:
        acc = tl.zeros((BLOCK,), ACC_TYPE)
    for kh in range(0, KH):
        ih = hs + kh * dil_h
        ok_h = mask & (ih >= 0) & (ih < H)
        if ADAPTIVE:
            ok_h = ok_h & (ih < he)
        for kw in range(0, KW):
            iw = ws + kw * dil_w
            ok = ok_h & (iw >= 0) & (iw < W)
            if ADAPTIVE:
                ok = ok & (iw < we)
            v = tl.load(base + ih * sxh + iw * sxw, mask=ok, other=0).to(ACC_TYPE)
            if MODE == 0:
                # PyTorch's initial index: the window's first row/column at or past 0 (even
                # past the input: a window entirely in the padding reports it, with -inf)
                first = (bidx < 0) & ((ih >= 0) & (iw >= 0))
                bidx = tl.where(first, ih * W + iw, bidx)
                upd = ok & ((v > best) | (v != v))
                best = tl.where(upd, v, best)
                bidx = tl.where(upd, ih * W + iw, bidx)
            else:
                acc += v
    if MODE == 0:
        tl.store(y_ptr + offs, best, mask=mask)
        if RET_IDX:
            tl.store(idx_ptr + offs, bidx.to(tl.int64), mask=mask)
    else:
        div = _avg_divisor(hs, ws, he, we, H, W, KH, KW, pad_h, pad_w, divisor, ADAPTIVE,
                           COUNT_PAD, HAS_DIV)
        tl.store(y_ptr + offs, acc / div.to(ACC_TYPE), mask=mask)


@triton.jit
def _avg_divisor(hs, ws, he, we, H, W, KH, KW, pad_h, pad_w, divisor, ADAPTIVE: tl.constexpr,
                 COUNT_PAD: tl.constexpr, HAS_DIV: tl.constexpr):
    if ADAPTIVE:
        div = (he - hs) * (we - ws)
    else:
        he = tl.minimum(hs + KH, H + pad_h)
        we = tl.minimum(ws + KW, W + pad_w)
        pool = (he - hs) * (we - ws)
        if COUNT_PAD:
            div = pool
        else:
            div = (tl.minimum(he, H) - tl.maximum(hs, 0)) * (tl.minimum(we, W) - tl.maximum(ws, 0))
        if HAS_DIV:
            div = pool * 0 + divisor
    return div


@triton.jit
def pool2d_bwd_kernel(g_ptr, idx_ptr, dx_ptr, total, C, H, W, OH, OW, KH, KW,
                      stride_h, stride_w, pad_h, pad_w, sgn, sgc, sgh, sgw, divisor,
                      MODE: tl.constexpr, ADAPTIVE: tl.constexpr, COUNT_PAD: tl.constexpr,
                      HAS_DIV: tl.constexpr, ACC_TYPE: tl.constexpr, BLOCK: tl.constexpr,
                      IDX64: tl.constexpr):
    """dX (contiguous, zeroed) += scatter of dY over each output's window / saved maximum."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < total
    if not IDX64:
        offs = offs.to(tl.int32)
    ow = offs % OW
    t = offs // OW
    oh = t % OH
    nc = t // OH
    c = nc % C
    n = nc // C
    g = tl.load(g_ptr + n * sgn + c * sgc + oh * sgh + ow * sgw, mask=mask, other=0)
    plane = dx_ptr + nc * H * W
    if MODE == 0:
        i = tl.load(idx_ptr + offs, mask=mask, other=0)
        tl.atomic_add(plane + i, g, mask=mask & (i >= 0) & (i < H * W))
    else:
        hs, ws, he, we = _window(oh, ow, H, W, OH, OW, stride_h, stride_w, pad_h, pad_w, ADAPTIVE)
        div = _avg_divisor(hs, ws, he, we, H, W, KH, KW, pad_h, pad_w, divisor, ADAPTIVE,
                           COUNT_PAD, HAS_DIV)
        share = (g.to(ACC_TYPE) / div.to(ACC_TYPE)).to(g.dtype)
        for kh in range(0, KH):
            ih = hs + kh
            ok_h = mask & (ih >= 0) & (ih < H)
            if ADAPTIVE:
                ok_h = ok_h & (ih < he)
            for kw in range(0, KW):
                iw = ws + kw
                ok = ok_h & (iw >= 0) & (iw < W)
                if ADAPTIVE:
                    ok = ok & (iw < we)
                tl.atomic_add(plane + ih * W + iw, share, mask=ok)


def _block(n):
    block, warps = launcher.elementwise_config(n)
    if launcher.POLICY != "interpreter":
        block = 256  # a loop over the window per output: 256 outputs per program
    return block, warps


def _idx64(*tensors):
    """int64 index math under the interpreter (its int32 ops pay an overflow check) or when some
    index could pass 2^31; int32 otherwise (64-bit division is a subroutine call on GPUs)."""
    span = max(1 + sum((n - 1) * abs(st) for n, st in zip(t.shape, t.stride())) for t in tensors)
    return launcher.POLICY == "interpreter" or span >= 2**31 - 1


def _acc(dtype):
    return tl.float64 if dtype == torch.float64 else tl.float32


def zero_(t):
    """Fill a contiguous storage tensor with zeros."""
    n = t.numel()
    block, warps = launcher.elementwise_config(n)
    launcher.launch(fill_zero_kernel, launcher.grid_1d(n, block), (t, n), dict(BLOCK=block), warps)
    return t


def adaptive_kernel_size(size, out):
    """The largest adaptive window along one dim."""
    return max((((o + 1) * size + out - 1) // out) - (o * size) // out for o in range(out))


def pool2d_forward(x, mode, out_hw, kernel, stride, padding, dilation=(1, 1), adaptive=False,
                   count_include_pad=True, divisor_override=None, return_indices=False):
    """x (N, C, H, W) storage, any strides. Returns (y, indices or None), both contiguous."""
    N, C, H, W = x.shape
    OH, OW = out_hw
    y = torch.empty((N, C, OH, OW), dtype=x.dtype, device=x.device)
    idx = torch.empty((N, C, OH, OW), dtype=torch.int64, device=x.device) if return_indices \
        else None
    total = y.numel()
    if total == 0:
        return y, idx
    block, warps = _block(total)
    launcher.launch(pool2d_fwd_kernel, launcher.grid_1d(total, block),
                    (x, y, idx if idx is not None else y, total, C, H, W, OH, OW, *kernel,
                     *stride, *padding, *dilation, *x.stride(),
                     int(divisor_override) if divisor_override else 1),
                    dict(MODE=mode, ADAPTIVE=adaptive, COUNT_PAD=bool(count_include_pad),
                         HAS_DIV=bool(divisor_override), RET_IDX=idx is not None,
                         ACC_TYPE=_acc(x.dtype), BLOCK=block,
                         IDX64=_idx64(x, y)), warps)
    return y, idx


def pool2d_backward(g, idx, x_shape, mode, kernel, stride, padding, adaptive=False,
                    count_include_pad=True, divisor_override=None):
    """dX (contiguous, of ``x_shape``) from dY ``g`` (any strides) and, for max pooling, the
    saved indices."""
    N, C, H, W = x_shape
    OH, OW = g.shape[2:]
    dx = torch.empty(x_shape, dtype=g.dtype, device=g.device)
    if dx.numel() == 0:
        return dx
    zero_(dx)
    total = g.numel()
    if total == 0:
        return dx
    block, warps = _block(total)
    launcher.launch(pool2d_bwd_kernel, launcher.grid_1d(total, block),
                    (g, idx if idx is not None else g, dx, total, C, H, W, OH, OW, *kernel,
                     *stride, *padding, *g.stride(),
                     int(divisor_override) if divisor_override else 1),
                    dict(MODE=mode, ADAPTIVE=adaptive, COUNT_PAD=bool(count_include_pad),
                         HAS_DIV=bool(divisor_override), ACC_TYPE=_acc(g.dtype), BLOCK=block,
                         IDX64=_idx64(g, dx)),
                    warps)
    return dx


__all__ = ["pool2d_forward", "pool2d_backward", "adaptive_kernel_size", "zero_", "MAX", "AVG"]
