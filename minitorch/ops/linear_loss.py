"""Linear layer + softmax cross-entropy fused (the classifier head of a training step).

Forward, one launch: logits = x·Wᵀ + b are formed tile by tile in registers and reduced straight
to the loss and each row's log-sum-exp; the same launch also stores the logits when asked
(``logits_out``: the program can still read them, so they must hold their values).
Backward, one launch: the logits are recomputed and turned into dlogits = (softmax − one-hot)·g
(÷ count for 'mean'), which in the same program give dX = dlogits·W — with the previous layer's
ReLU derivative applied when x is a ReLU output — dW = dlogitsᵀ·X and db = Σ dlogits. When x is
the ReLU output of a previous Linear whose input x0 needs no gradient (and one program holds the
batch), that dX is turned, in the same program, into the previous Linear's dW0 = dXᵀ·x0 and
db0 = Σ dX instead of being stored (``prev``; minitorch/fusion.py decides).

Under the interpreter policy a single program covers the whole batch and stores dW/db directly;
with several programs (GPU policy) each adds its share with atomics into zeroed buffers.
"""
import torch
import triton
import triton.language as tl

from . import elementwise, launcher
from .loss import check_targets, finish_reduction, loss_output
from .matmul import matmul_backend


@triton.jit
def _logits_tile(x_ptr, w_ptr, b_ptr, rows_c, cols, cols_r, cmask, cmask_r, M, K, C, sxm, sxk,
                 swc, swk, sb, HAS_BIAS: tl.constexpr, COMPUTE: tl.constexpr,
                 PRECISION: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_C: tl.constexpr,
                 BLOCK_K: tl.constexpr, EVEN_M: tl.constexpr, EVEN_K: tl.constexpr,
                 ONE_K: tl.constexpr):
    """(logits, x tile, Wᵀ tile, K offsets as a row): x·Wᵀ + b for the rows/cols of this program
    (0 in the class columns past C). With ONE_K the x (BLOCK_M, BLOCK_K) and Wᵀ (BLOCK_K,
    BLOCK_C) tiles are the whole of K and the caller may reuse them. x and W are loaded without
    a cast: ``supported`` admits fp32/fp64 with x.dtype == w.dtype, and COMPUTE is that dtype."""
    ks = tl.arange(0, BLOCK_K).to(tl.int64)
    ks_r = ks[None, :]
    ks_c = ks[:, None]
    if ONE_K:
        x_ptrs = x_ptr + rows_c * sxm + ks_r * sxk
        w_ptrs = w_ptr + ks_c * swk + cols_r * swc
        if EVEN_K:
            xmask = None if EVEN_M else rows_c < M
            wmask = cmask_r
        else:
            xmask = ks_r < K if EVEN_M else (rows_c < M) & (ks_r < K)
            wmask = (ks_c < K) & cmask_r
        xt = tl.load(x_ptrs, mask=xmask, other=None if EVEN_M and EVEN_K else 0)
        wt = tl.load(w_ptrs, mask=wmask, other=0)
        acc = tl.dot(xt, wt, input_precision=PRECISION)
    else:
        # (pointer tiles formed in each step, not carried across steps: carried 64-bit
        # pointer tiles cost registers, and the backward then spills on sm_90)
        acc = tl.zeros((BLOCK_M, BLOCK_C), COMPUTE)
        for k in range(0, K, BLOCK_K):
            if EVEN_K:
                xmask = None if EVEN_M else rows_c < M
                wmask = cmask_r
            else:
                xmask = ks_r < K - k if EVEN_M else (rows_c < M) & (ks_r < K - k)
                wmask = (ks_c < K - k) & cmask_r
            xt = tl.load(x_ptr + rows_c * sxm + (k + ks_r) * sxk, mask=xmask,
                         other=None if EVEN_M and EVEN_K else 0)
            wt = tl.load(w_ptr + (k + ks_c) * swk + cols_r * swc, mask=wmask, other=0)
            acc = tl.dot(xt, wt, acc, input_precision=PRECISION)
        xt = acc  # (no whole-K tiles to hand back)
        wt = acc
    if HAS_BIAS:
        acc += tl.load(b_ptr + cols * sb, mask=cmask, other=0).to(COMPUTE)[None, :]
    return acc, xt, wt, ks_r


@triton.jit
def linear_cross_entropy_fwd_kernel(x_ptr, w_ptr, b_ptr, t_ptr, loss_ptr, lse_ptr, part_ptr,
                                    logits_ptr, M, K, C, sxm, sxk, swc, swk, sb, stm, slm, slc,
                                    ignore_index, HAS_BIAS: tl.constexpr,
                                    STORE_LOGITS: tl.constexpr, REDUCE: tl.constexpr,
                                    COMPUTE: tl.constexpr, PRECISION: tl.constexpr,
                                    BLOCK_M: tl.constexpr,
                                    BLOCK_C: tl.constexpr, BLOCK_K: tl.constexpr,
                                    EVEN_M: tl.constexpr = False, EVEN_K: tl.constexpr = False,
                                    ONE_K: tl.constexpr = False,
                                    ONE_PROGRAM: tl.constexpr = False):
    """Shape flags (set by the host when they hold; each only removes work): EVEN_M/EVEN_K — M /
    K are multiples of their blocks (no masks there); ONE_K — K fits one block (no K loop);
    ONE_PROGRAM — a single program (no program-id arithmetic)."""
    if ONE_PROGRAM:
        rows = tl.arange(0, BLOCK_M).to(tl.int64)
    else:
        pid = tl.program_id(0)
        rows = pid.to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    cols = tl.arange(0, BLOCK_C).to(tl.int64)
    rows_c = rows[:, None]
    cols_r = cols[None, :]
    cmask = cols < C
    cmask_r = cols_r < C
    rmask = None if EVEN_M else rows < M
    logits, xt, wt, ks_r = _logits_tile(x_ptr, w_ptr, b_ptr, rows_c, cols, cols_r, cmask,
                                        cmask_r, M, K, C, sxm, sxk, swc, swk, sb, HAS_BIAS,
                                        COMPUTE, PRECISION, BLOCK_M, BLOCK_C, BLOCK_K, EVEN_M,
                                        EVEN_K, ONE_K)
    if STORE_LOGITS:
        tl.store(logits_ptr + rows_c * slm + cols_r * slc, logits,
                 mask=cmask_r if EVEN_M else (rows_c < M) & cmask_r)
    logits = tl.where(cmask_r, logits, float("-inf"))
    t = tl.load(t_ptr + rows * stm, mask=rmask, other=None if EVEN_M else 0).to(tl.int64)
    valid = t != ignore_index if EVEN_M else rmask & (t != ignore_index)
    # (an out-of-range target is only compared with the columns: it is counted and reported)
    bad = valid & ((t < 0) | (t >= C))
    row_max = tl.max(logits, axis=1)
    shifted = logits - row_max[:, None]
    log_sum = tl.log(tl.sum(tl.exp(shifted), axis=1))
    # the picked shifted logit is -(max - picked) exactly, so this is the loss grouped as
    # (max - picked) + log_sum, like ops/loss.py: stable for large logits
    picked = tl.sum(tl.where(cols_r == t[:, None], shifted, 0.0), axis=1)
    loss = tl.where(valid, log_sum - picked, 0.0)
    lse_ptrs = lse_ptr + rows * 2
    tl.store(lse_ptrs, row_max, mask=rmask)
    tl.store(lse_ptrs + 1, log_sum, mask=rmask)
    total = tl.sum(loss, axis=0)
    count = tl.sum(valid.to(COMPUTE), axis=0)
    if not ONE_PROGRAM:
        part_ptr += pid * 3
    tl.store(part_ptr, total)
    tl.store(part_ptr + 1, count)
    tl.store(part_ptr + 2, tl.sum(bad.to(COMPUTE), axis=0))
    if REDUCE == "none":
        tl.store(loss_ptr + rows, loss, mask=rmask)
    elif REDUCE == "mean":  # single program: the mean (nan when every row is ignored)
        tl.store(loss_ptr, total / count)
    elif REDUCE == "sum":  # single program: the sum
        tl.store(loss_ptr, total)


@triton.jit
def linear_cross_entropy_bwd_kernel(x_ptr, w_ptr, b_ptr, t_ptr, lse_ptr, g_ptr, count_ptr,
                                    dx_ptr, dw_ptr, db_ptr, M, K, C, sxm, sxk, swc, swk, sb, stm,
                                    sgm, ignore_index, x0_ptr, dw0_ptr, db0_ptr, D, sx0m, sx0d,
                                    HAS_BIAS: tl.constexpr, MEAN: tl.constexpr,
                                    RELU_MASK: tl.constexpr, NEED_X: tl.constexpr,
                                    NEED_W: tl.constexpr, NEED_B: tl.constexpr,
                                    ATOMIC: tl.constexpr, COMPUTE: tl.constexpr,
                                    PRECISION: tl.constexpr, BLOCK_M: tl.constexpr,
                                    BLOCK_C: tl.constexpr, BLOCK_K: tl.constexpr,
                                    EVEN_M: tl.constexpr = False, EVEN_K: tl.constexpr = False,
                                    ONE_K: tl.constexpr = False,
                                    ONE_PROGRAM: tl.constexpr = False,
                                    G_SCALAR: tl.constexpr = False, PREV: tl.constexpr = False,
                                    PREV_W: tl.constexpr = False, PREV_B: tl.constexpr = False,
                                    BLOCK_D: tl.constexpr = 16):
    """Flags as in the forward kernel; G_SCALAR: the upstream gradient is one value (mean/sum).

    PREV (one program, K in one block): x is the ReLU output of a previous Linear whose input is
    x0 (M, D); instead of storing dX, the same program turns it into that Linear's dW0 = dXᵀ·x0
    (PREV_W) and db0 = Σ dX (PREV_B) — the previous Linear's backward without a launch."""
    if ONE_PROGRAM:
        rows = tl.arange(0, BLOCK_M).to(tl.int64)
    else:
        rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    cols = tl.arange(0, BLOCK_C).to(tl.int64)
    rows_c = rows[:, None]
    cols_r = cols[None, :]
    cmask = cols < C
    cmask_r = cols_r < C
    rmask = None if EVEN_M else rows < M
    r_other = None if EVEN_M else 0
    logits, xt, wt, ks_r = _logits_tile(x_ptr, w_ptr, b_ptr, rows_c, cols, cols_r, cmask,
                                        cmask_r, M, K, C, sxm, sxk, swc, swk, sb, HAS_BIAS,
                                        COMPUTE, PRECISION, BLOCK_M, BLOCK_C, BLOCK_K, EVEN_M,
                                        EVEN_K, ONE_K)
    t = tl.load(t_ptr + rows * stm, mask=rmask, other=r_other).to(tl.int64)
    lse_ptrs = lse_ptr + rows * 2
    row_max = tl.load(lse_ptrs, mask=rmask, other=r_other)  # (lse is COMPUTE: no cast)
    log_sum = tl.load(lse_ptrs + 1, mask=rmask, other=r_other)
    if G_SCALAR:
        g = tl.load(g_ptr).to(COMPUTE)
    else:
        g = tl.load(g_ptr + rows * sgm, mask=rmask, other=r_other).to(COMPUTE)
    if MEAN:
        g = g / tl.load(count_ptr).to(COMPUTE)
    g = tl.where(t != ignore_index if EVEN_M else rmask & (t != ignore_index), g, 0.0)
    p = tl.exp((logits - row_max[:, None]) - log_sum[:, None])
    target = tl.where(cols_r == t[:, None], 1.0, 0.0)
    d = tl.where(cmask_r, (p - target) * g[:, None], 0.0)  # dlogits (BLOCK_M, BLOCK_C)
    if NEED_B:
        db = tl.sum(d, axis=0)
        if ATOMIC:
            tl.atomic_add(db_ptr + cols, db, mask=cmask)
        else:
            tl.store(db_ptr + cols, db, mask=cmask)
    if ONE_K:  # the logits' x and Wᵀ tiles are the whole of K: reuse them
        if EVEN_K:
            xmask = None if EVEN_M else rows_c < M
            wmask = cmask[:, None]
        else:
            xmask = ks_r < K if EVEN_M else (rows_c < M) & (ks_r < K)
            wmask = cmask[:, None] & (ks_r < K)
        if NEED_X:
            dx = tl.dot(d, tl.trans(wt), input_precision=PRECISION)
            if RELU_MASK:
                dx = tl.where(xt > 0, dx, 0.0)
            if PREV:
                ds_r = tl.arange(0, BLOCK_D).to(tl.int64)[None, :]
                dmask_r = ds_r < D
                x0 = tl.load(x0_ptr + rows_c * sx0m + ds_r * sx0d,
                             mask=dmask_r if EVEN_M else (rows_c < M) & dmask_r, other=0)
                if PREV_W:
                    ks_c = tl.arange(0, BLOCK_K).to(tl.int64)[:, None]
                    dw0 = tl.dot(tl.trans(dx), x0, input_precision=PRECISION)  # (BLOCK_K, BLOCK_D)
                    tl.store(dw0_ptr + ks_c * D + ds_r, dw0,
                             mask=dmask_r if EVEN_K else (ks_c < K) & dmask_r)
                if PREV_B:
                    tl.store(db0_ptr + ks_r, tl.sum(dx, axis=0)[None, :],
                             mask=None if EVEN_K else ks_r < K)
            else:
                tl.store(dx_ptr + rows_c * K + ks_r, dx, mask=xmask)
        if NEED_W:
            dw = tl.dot(tl.trans(d), xt, input_precision=PRECISION)  # (BLOCK_C, BLOCK_K)
            dw_ptrs = dw_ptr + cols[:, None] * K + ks_r
            if ATOMIC:
                tl.atomic_add(dw_ptrs, dw, mask=wmask)
            else:
                tl.store(dw_ptrs, dw, mask=wmask)
    else:
        # (xk/wk: not the logits' tiles, whose types differ — a loop may not change them)
        ks0 = tl.arange(0, BLOCK_K).to(tl.int64)
        for k in range(0, K, BLOCK_K):
            ks = k + ks0
            kmask = ks < K
            xk = tl.load(x_ptr + rows_c * sxm + ks[None, :] * sxk,
                         mask=rmask[:, None] & kmask[None, :] if not EVEN_M else kmask[None, :],
                         other=0)
            if NEED_X:
                # W as (C, K): dX[:, k-chunk] = dlogits · W[:, k-chunk]
                wk = tl.load(w_ptr + cols[:, None] * swc + ks[None, :] * swk,
                             mask=cmask[:, None] & kmask[None, :], other=0)
                dx = tl.dot(d, wk, input_precision=PRECISION)
                if RELU_MASK:
                    dx = tl.where(xk > 0, dx, 0.0)
                tl.store(dx_ptr + rows_c * K + ks[None, :], dx,
                         mask=rmask[:, None] & kmask[None, :] if not EVEN_M else kmask[None, :])
            if NEED_W:
                dw = tl.dot(tl.trans(d), xk, input_precision=PRECISION)  # (BLOCK_C, BLOCK_K)
                dw_ptrs = dw_ptr + cols[:, None] * K + ks[None, :]
                if ATOMIC:
                    tl.atomic_add(dw_ptrs, dw, mask=cmask[:, None] & kmask[None, :])
                else:
                    tl.store(dw_ptrs, dw, mask=cmask[:, None] & kmask[None, :])


def supported(x, w, target, smoothing):
    """What the fused head handles: 2-D float input, class-index targets, C within one tile, no
    label smoothing (that case takes the separate cross-entropy kernels), a non-empty batch."""
    return (not smoothing and x.dim() == 2 and w.dim() == 2 and target.dim() == 1
            and x.shape[0] > 0 and w.shape[0] > 0 and x.dtype == w.dtype
            and x.dtype in (torch.float32, torch.float64) and w.shape[0] <= 1024
            and x.shape[0] == target.shape[0] and x.shape[1] == w.shape[1])


def _config(M, K, C):
    block_c = max(16, launcher.next_pow2(C))
    if launcher.POLICY == "interpreter":
        block_k = max(16, min(launcher.next_pow2(K), 256))
        block_m = max(16, min(launcher.next_pow2(M), max(16, (1 << 15) // block_c)))
        return block_m, block_c, block_k, 4
    block_k = 32 if block_c <= 128 else 16
    block_m = 32 if block_c <= 128 else 16
    return block_m, block_c, block_k, 4 if block_c <= 128 else 8


def _flags(M, K, bm, bk, programs):
    """The shape flags of the head kernels that hold (passed only when set)."""
    return {name: True for name, on in (("EVEN_M", M % bm == 0), ("EVEN_K", K % bk == 0),
                                        ("ONE_K", K <= bk), ("ONE_PROGRAM", programs == 1)) if on}


def _compute(dtype):
    return tl.float64 if dtype == torch.float64 else tl.float32


def _precision(dtype):
    return "tf32" if matmul_backend.allow_tf32 and dtype == torch.float32 else "ieee"


def forward(x, w, b, t, reduction, ignore_index, logits_out=None):
    """Returns (loss, lse, count): count is a 0-d view (the non-ignored rows). ``logits_out``
    (M, C), when given, receives x·Wᵀ + b from the same launch."""
    M, K = x.shape
    C = w.shape[0]
    bm, bc, bk, warps = _config(M, K, C)
    programs = launcher.cdiv(M, bm)
    acc = torch.float64 if x.dtype == torch.float64 else torch.float32
    lse = torch.empty((M, 2), dtype=acc, device=x.device)  # row max, log of the shifted sum
    part = torch.empty((programs, 3), dtype=acc, device=x.device)
    red = reduction  # "none", "mean" or "sum" (ops/loss.py REDUCTIONS)
    loss, kind = loss_output(M, red, programs, x)
    launcher.launch(linear_cross_entropy_fwd_kernel, (programs,),
                    (x, w, b if b is not None else w, t, loss, lse, part,
                     logits_out if logits_out is not None else lse, M, K, C, x.stride(0),
                     x.stride(1), w.stride(0), w.stride(1), b.stride(0) if b is not None else 0,
                     t.stride(0), logits_out.stride(0) if logits_out is not None else 0,
                     logits_out.stride(1) if logits_out is not None else 0, int(ignore_index)),
                    dict(HAS_BIAS=b is not None, STORE_LOGITS=logits_out is not None,
                         REDUCE=kind, COMPUTE=_compute(x.dtype),
                         PRECISION=_precision(x.dtype), BLOCK_M=bm, BLOCK_C=bc, BLOCK_K=bk,
                         **_flags(M, K, bm, bk, programs)),
                    warps)
    count, bad = finish_reduction(part, loss, red)
    check_targets(bad, t, ignore_index, C)
    return loss, lse, count


def prev_supported(x, w, x0, w0):
    """Whether the backward can also produce the previous Linear's dW0/db0 (``prev``): x (M, K)
    is relu(x0 · w0ᵀ + b0) with x0 (M, D) — one program, K in one block, D within PREV_MAX_D."""
    M, K = x.shape
    bm, _, bk, _ = _config(M, K, w.shape[0])
    return (x0.dim() == 2 and w0.dim() == 2 and x0.dtype == x.dtype == w0.dtype
            and x0.shape[0] == M and tuple(w0.shape) == (K, x0.shape[1]) and x0.shape[1] > 0
            and launcher.cdiv(M, bm) == 1 and K <= bk
            and launcher.next_pow2(x0.shape[1]) <= PREV_MAX_D)


# the widest previous-layer input the backward takes into its program (one (BLOCK_M, BLOCK_D)
# tile of x0 and one (BLOCK_K, BLOCK_D) dot)
PREV_MAX_D = 256 if launcher.POLICY == "interpreter" else 64


def backward(x, w, b, t, lse, g, count, reduction, ignore_index, relu_mask, need_x, need_w,
             need_b, prev=None):
    """(dx, dw, db) storages (None where not needed). ``prev`` = (x0, need_w0, need_b0) when
    ``prev_supported``: x is the ReLU output of a Linear with input x0, and the same launch
    returns that Linear's (dw0, db0) instead of dx: (dx=None, dw, db, dw0, db0)."""
    M, K = x.shape
    C = w.shape[0]
    bm, bc, bk, warps = _config(M, K, C)
    programs = launcher.cdiv(M, bm)
    atomic = programs > 1
    if prev is not None:
        x0, need_w0, need_b0 = prev
        assert relu_mask and need_x and not atomic and K <= bk
        D = x0.shape[1]
        dw0 = torch.empty((K, D), dtype=x.dtype, device=x.device) if need_w0 else None
        db0 = torch.empty((K,), dtype=x.dtype, device=x.device) if need_b0 else None
        dx = None
    else:
        dx = torch.empty((M, K), dtype=x.dtype, device=x.device) if need_x else None
    dw = torch.empty((C, K), dtype=w.dtype, device=w.device) if need_w else None
    db = torch.empty((C,), dtype=w.dtype, device=w.device) if need_b else None
    if atomic:  # several programs add into dW/db: start from zero
        for buf in (dw, db):
            if buf is not None:
                elementwise.pointwise("copy", buf, 0.0)
    dummy = lse
    launcher.launch(linear_cross_entropy_bwd_kernel, (programs,),
                    (x, w, b if b is not None else w, t, lse, g, count,
                     dx if dx is not None else dummy, dw if dw is not None else dummy,
                     db if db is not None else dummy, M, K, C, x.stride(0), x.stride(1),
                     w.stride(0), w.stride(1), b.stride(0) if b is not None else 0, t.stride(0),
                     0 if reduction != "none" else g.stride(0), int(ignore_index),
                     *((x0, dw0 if dw0 is not None else dummy, db0 if db0 is not None else dummy,
                        D, x0.stride(0), x0.stride(1)) if prev is not None
                       else (dummy, dummy, dummy, 0, 0, 0))),
                    dict(HAS_BIAS=b is not None, MEAN=reduction == "mean", RELU_MASK=relu_mask,
                         NEED_X=need_x, NEED_W=need_w, NEED_B=need_b, ATOMIC=atomic,
                         COMPUTE=_compute(x.dtype), PRECISION=_precision(x.dtype), BLOCK_M=bm,
                         BLOCK_C=bc, BLOCK_K=bk, G_SCALAR=reduction != "none",
                         **_flags(M, K, bm, bk, programs),
                         **(dict(PREV=True, PREV_W=need_w0, PREV_B=need_b0,
                                 BLOCK_D=max(16, launcher.next_pow2(D))) if prev is not None
                            else {})), warps)
    if prev is not None:
        return dx, dw, db, dw0, db0
    return dx, dw, db


__all__ = ["linear_cross_entropy_fwd_kernel", "linear_cross_entropy_bwd_kernel", "supported",
           "prev_supported", "forward", "backward"]
