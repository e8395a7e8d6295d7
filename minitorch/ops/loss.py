"""Fused softmax cross-entropy over class-index targets: one forward kernel (log-sum-exp, the
picked logit, label smoothing, ignore_index and the reduction) and one backward kernel
(softmax - smoothed one-hot, scaled), both out of place.

Rows are split over programs; under the interpreter policy one program holds the whole batch, so
the mean/sum is finished in the same launch. With several programs (GPU policy) each writes its
partial sum and count, and the host adds them with one reduction launch.
"""
import torch
import triton
import triton.language as tl

from . import elementwise, launcher
from . import reduce as reduce_kernels


@triton.jit
def cross_entropy_fwd_kernel(x_ptr, t_ptr, loss_ptr, lse_ptr, part_ptr, M, C, sxm, sxc, stm,
                             ignore_index, smoothing, eps_ptr,
                             REDUCE: tl.constexpr, COMPUTE: tl.constexpr,
                             BLOCK_M: tl.constexpr, BLOCK_C: tl.constexpr):
    pid = tl.program_id(0)
    rows = pid.to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    cols0 = tl.arange(0, BLOCK_C).to(tl.int64)
    rmask = rows < M
    t = tl.load(t_ptr + rows * stm, mask=rmask, other=0).to(tl.int64)
    valid = rmask & (t != ignore_index)
    # out-of-range targets are counted for the host check (the interpreter would read out of
    # bounds silently and a GPU device_assert only fires in debug builds)
    bad = valid & ((t < 0) | (t >= C))
    tl.store(part_ptr + pid * 3 + 2, tl.sum(bad.to(COMPUTE), axis=0))
    t = tl.where(bad, 0, t)
    # one pass over the classes in BLOCK_C chunks (one chunk under the interpreter policy):
    # an online log-sum-exp, the target's logit and the plain sum for label smoothing
    run_max = tl.full((BLOCK_M, BLOCK_C), float("-inf"), COMPUTE)
    run_sum = tl.zeros((BLOCK_M, BLOCK_C), COMPUTE)
    picked = tl.zeros((BLOCK_M, ), COMPUTE)
    x_sum = tl.zeros((BLOCK_M, ), COMPUTE)
    for start in range(0, C, BLOCK_C):
        cols = start + cols0
        m = rmask[:, None] & (cols < C)[None, :]
        x = tl.load(x_ptr + rows[:, None] * sxm + cols[None, :] * sxc, mask=m, other=0)
        x = tl.where((cols < C)[None, :], x.to(COMPUTE), float("-inf"))
        new_max = tl.maximum(run_max, x)
        shift = tl.where(new_max == float("-inf"), 0.0, new_max)
        run_sum = run_sum * tl.exp(run_max - shift) + tl.exp(x - shift)
        run_max = new_max
        # reduced per chunk: two (BLOCK_M, BLOCK_C) accumulators would spill on GPUs
        picked += tl.sum(tl.where(cols[None, :] == t[:, None], x, 0.0), axis=1)
        x_sum += tl.sum(tl.where(m, x, 0.0), axis=1)
    row_max = tl.max(run_max, axis=1)
    log_sum = tl.log(tl.sum(run_sum * tl.exp(run_max - row_max[:, None]), axis=1))
    # log_sum + max - picked, grouped as (max - picked) + log_sum like torch's log_softmax:
    # max + log_sum rounded first loses ~1e-3 at |logits| ~ 3e4 in float32
    # ε is read from memory at the compute precision: a float argument (or a tl.where of
    # Python floats) would be rounded to float32, off by ~1e-8 in a float64 run
    eps = tl.load(eps_ptr).to(COMPUTE)
    loss = log_sum + (1.0 - eps) * (row_max - picked)
    if smoothing > 0:
        loss += eps * (row_max - x_sum / C)
    loss = tl.where(valid, loss, 0.0)
    # per row: the max and the log of the shifted sum (the backward needs them apart)
    tl.store(lse_ptr + rows * 2, row_max, mask=rmask)
    tl.store(lse_ptr + rows * 2 + 1, log_sum, mask=rmask)
    if REDUCE == "none":
        tl.store(loss_ptr + rows, loss, mask=rmask)
    else:
        total = tl.sum(loss, axis=0)
        count = tl.sum(valid.to(COMPUTE), axis=0)
        # partial sums: [sum, count] per program
        tl.store(part_ptr + pid * 3, total)
        tl.store(part_ptr + pid * 3 + 1, count)
        if REDUCE == "mean":  # single program: finish the mean (nan when every row is ignored)
            tl.store(loss_ptr, total / count)
        elif REDUCE == "sum":  # single program: finish the sum
            tl.store(loss_ptr, total)


@triton.jit
def cross_entropy_bwd_kernel(x_ptr, t_ptr, lse_ptr, g_ptr, count_ptr, dx_ptr, M, C, sxm, sxc,
                             stm, sgm, sdm, sdc, ignore_index, smoothing, eps_ptr,
                             MEAN: tl.constexpr, COMPUTE: tl.constexpr, BLOCK_M: tl.constexpr,
                             BLOCK_C: tl.constexpr):
    """dx = (softmax(x) - (1-ε)·onehot(t) - ε/C) · g_row (/ count for 'mean'); 0 on ignored
    rows."""
    pid = tl.program_id(0)
    rows = pid.to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    cols0 = tl.arange(0, BLOCK_C).to(tl.int64)
    rmask = rows < M
    t = tl.load(t_ptr + rows * stm, mask=rmask, other=0).to(tl.int64)
    row_max = tl.load(lse_ptr + rows * 2, mask=rmask, other=0).to(COMPUTE)
    log_sum = tl.load(lse_ptr + rows * 2 + 1, mask=rmask, other=0).to(COMPUTE)
    g = tl.load(g_ptr + rows * sgm, mask=rmask, other=0).to(COMPUTE)
    if MEAN:
        g = g / tl.load(count_ptr).to(COMPUTE)
    g = tl.where(rmask & (t != ignore_index), g, 0.0)
    for start in range(0, C, BLOCK_C):
        cols = start + cols0
        m = rmask[:, None] & (cols < C)[None, :]
        x = tl.load(x_ptr + rows[:, None] * sxm + cols[None, :] * sxc, mask=m, other=0)
        p = tl.exp((x.to(COMPUTE) - row_max[:, None]) - log_sum[:, None])
        eps = tl.load(eps_ptr).to(COMPUTE)
        hit = (cols[None, :] == t[:, None]).to(COMPUTE)
        target = hit * (1.0 - eps) + eps / C
        tl.store(dx_ptr + rows[:, None] * sdm + cols[None, :] * sdc, (p - target) * g[:, None],
                 mask=m)


# The kernels' ``REDUCE``: "none" (a loss per row), "mean" / "sum" (one program finishes the
# reduction) or "mean_partial" / "sum_partial" (each program leaves [sum, count] for
# finish_reduction).
REDUCTIONS = ("none", "mean", "sum")


def _eps(smoothing, device):
    """The label-smoothing ε as a one-element float64 buffer (a host upload, no math)."""
    return torch.tensor([float(smoothing)], dtype=torch.float64, device=device)


def _config(M, C):
    """Whole rows in one chunk under the interpreter; under the GPU policy the class dimension
    is walked in chunks of at most 1024 so large vocabularies do not spill registers."""
    block_c = launcher.next_pow2(max(C, 16))
    if launcher.POLICY == "interpreter":
        block_c = min(block_c, launcher.INTERPRETER_MAX_BLOCK)
        block_m = max(1, min(launcher.next_pow2(M), max(1, (1 << 16) // block_c)))
    else:
        block_c = min(block_c, 1024)
        block_m = max(1, min(launcher.next_pow2(M), max(1, 1024 // block_c)))
    return block_m, block_c


def _warps(block_m, block_c):
    return 4 if launcher.POLICY == "interpreter" or block_m * block_c <= 512 else 8


def cross_entropy_forward(x, t, reduction, ignore_index, smoothing):
    """x: (M, C) storage (any strides), t: (M,) int64. Returns (loss, lse, count): lse is (M, 2),
    each row's max and log of the shifted exp-sum; count is a
    0-d tensor of non-ignored rows (only for 'mean'/'sum')."""
    M, C = x.shape
    compute = tl.float64 if x.dtype == torch.float64 else tl.float32
    block_m, block_c = _config(M, C)
    programs = launcher.cdiv(M, block_m)
    lse = torch.empty((M, 2), dtype=torch.float32 if compute == tl.float32 else torch.float64,
                      device=x.device)
    part = torch.empty((max(programs, 1), 3), dtype=lse.dtype, device=x.device)
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    red = reduction
    if M == 0:  # an empty batch launches nothing: the mean of no rows is nan, their sum 0
        count = torch.tensor(0.0, dtype=lse.dtype, device=x.device)
        if red == "none":
            return torch.empty((0,), dtype=x.dtype, device=x.device), lse, count
        loss = torch.tensor(float("nan") if red == "mean" else 0.0, dtype=x.dtype, device=x.device)
        return loss, lse, count
    loss, kind = loss_output(M, red, programs, x)
    launcher.launch(cross_entropy_fwd_kernel, (programs,),
                    (x, t, loss, lse, part, M, C, x.stride(0), x.stride(1), t.stride(0),
                     int(ignore_index), float(smoothing), _eps(smoothing, x.device)),
                    dict(REDUCE=kind, COMPUTE=compute, BLOCK_M=block_m, BLOCK_C=block_c),
                    _warps(block_m, block_c))
    count, bad = finish_reduction(part, loss, red)
    check_targets(bad, t, ignore_index, C)
    return loss, lse, count


def loss_output(M, red, programs, like):
    """The loss buffer and the kernel's REDUCE mode for reduction ``red``: "none" per row; with
    one program "mean" / "sum" finish in the kernel; with several, "mean_partial" /
    "sum_partial" leave partial sums for finish_reduction."""
    if red == "none":
        return torch.empty((M,), dtype=like.dtype, device=like.device), "none"
    loss = torch.empty((), dtype=like.dtype, device=like.device)
    return loss, (red if programs == 1 else red + "_partial")


def finish_reduction(part, loss, red):
    """Per-program [sum, count, bad] rows -> (count, bad) 0-d views; with several programs the
    partial sums are added (one reduction launch) and the mean/sum written to ``loss``."""
    if part.shape[0] == 1:
        return part[0, 1], part[0, 2]
    sums = reduce_kernels.reduce("sum", part, (0,))
    if red == "mean":
        elementwise.pointwise("div", loss, sums[0], sums[1])
    elif red == "sum":
        elementwise.pointwise("copy", loss, sums[0])
    return sums[1], sums[2]


def check_targets(bad, t, ignore_index, C):
    """Raise torch's IndexError when the kernel counted out-of-range targets (reading the count is
    the step's one host synchronization)."""
    if bad.item():
        for v in t.tolist():
            if v != ignore_index and not 0 <= v < C:
                raise IndexError(f"Target {v} is out of bounds.")


def cross_entropy_backward(x, t, lse, g, reduction, count, ignore_index, smoothing):
    """Gradient w.r.t. the logits. ``g`` is the upstream gradient: 0-d for mean/sum, (M,) for
    'none'; ``count`` the non-ignored rows (mean)."""
    M, C = x.shape
    compute = tl.float64 if x.dtype == torch.float64 else tl.float32
    dx = torch.empty((M, C), dtype=x.dtype, device=x.device)
    if M == 0:
        return dx
    sgm = 0 if reduction in ("mean", "sum") else g.stride(0)
    block_m, block_c = _config(M, C)
    launcher.launch(cross_entropy_bwd_kernel, (launcher.cdiv(M, block_m),),
                    (x, t, lse, g, count if count is not None else lse, dx, M, C, x.stride(0),
                     x.stride(1), t.stride(0), sgm, dx.stride(0), dx.stride(1), int(ignore_index),
                     float(smoothing), _eps(smoothing, x.device)),
                    dict(MEAN=reduction == "mean", COMPUTE=compute, BLOCK_M=block_m,
                         BLOCK_C=block_c), _warps(block_m, block_c))
    return dx


__all__ = ["cross_entropy_fwd_kernel", "cross_entropy_bwd_kernel", "REDUCTIONS",
           "cross_entropy_forward", "loss_output", "finish_reduction", "check_targets",
           "cross_entropy_backward"]
