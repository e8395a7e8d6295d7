"""Normalization, dropout, padding and resize kernels.

* ``batch_norm`` — per-channel statistics of an (N, C, H, W) view with any strides ((N, C) and
  (N, C, L) are H = 1 / W = 1). Forward training is ONE launch: one pass for shifted sums (the
  shift is each channel's first value, which keeps the one-pass variance exact to rounding), one
  pass writing the output, and the running statistics updated in the same program. Backward is ONE
  launch for dx, dweight and dbias: one pass for sum(dy) and sum(dy * x̂), one pass writing dx.
* ``row_norm`` — layer_norm and group_norm: rows of a contiguous (R, K) view are normalized;
  forward one launch (mean and rstd saved), backward one launch for dx (+ the per-program partial
  dweight/dbias of layer_norm; a second launch sums partials only when there are several
  programs). group_norm's dweight/dbias reuse the batch-norm backward's statistics pass with
  per-(sample, group) statistics.
* ``dropout`` — Philox keep mask regenerated from (seed, offset) in backward, never stored;
  ``GROUP`` consecutive elements share one draw (dropout2d: a whole channel).
* ``pad`` — constant / reflect / replicate for up to three padded dims in one gather launch;
  backward one launch per padded dim (a gather of at most three taps, or a loop over the
  replicated edge), so no atomics.
* ``interp_forward`` — nearest / (bi)linear resize as one gather of torch's taps (so a
  non-finite input stays local); ``interp_matrix`` — the (out, in) interpolation matrix along one
  axis, whose transpose applied by matmul is the backward (functions/normalization.py).
"""
import torch
import triton
import triton.language as tl

from . import elementwise, launcher
from . import reduce as reduce_kernels


def _compute(dtype):
    return tl.float64 if dtype == torch.float64 else tl.float32


def _channel_config(C, R):
    """(BLOCK_C, BLOCK_R, num_warps) for per-channel reductions over R elements."""
    if launcher.POLICY == "interpreter":
        block_r = min(launcher.next_pow2(max(R, 1)), launcher.INTERPRETER_MAX_BLOCK)
        block_c = max(1, min(launcher.next_pow2(C), launcher.INTERPRETER_MAX_BLOCK // block_r))
        return block_c, block_r, 4
    return 1, 1024, 4


def _rows_config(M, K):
    if launcher.POLICY == "interpreter":
        block_k = min(launcher.next_pow2(max(K, 1)), launcher.INTERPRETER_MAX_BLOCK)
        block_m = max(1, min(launcher.next_pow2(M), launcher.INTERPRETER_MAX_BLOCK // block_k))
        return block_m, block_k, 4
    block_k = min(max(16, launcher.next_pow2(K)), 1024)
    return max(1, min(launcher.next_pow2(M), 1024 // block_k)), block_k, 4


# =============================================================================================
# batch norm
# =============================================================================================
@triton.jit
def _bn_offsets(r, c, HW, W, s0, s1, s2, s3):
    n = r // HW
    s = r - n * HW
    h = s // W
    w = s - h * W
    return n[None, :] * s0 + c[:, None] * s1 + h[None, :] * s2 + w[None, :] * s3


@triton.jit
def batch_norm_fwd_kernel(x_ptr, y_ptr, w_ptr, b_ptr, mean_ptr, invstd_ptr, rmean_ptr, rvar_ptr,
                          count_ptr, pre_ptr,
                          C, R, HW, W, sx0, sx1, sx2, sx3, sy0, sy1, sy2, sy3, eps, momentum,
                          TRAIN: tl.constexpr, UPDATE: tl.constexpr, COUNT: tl.constexpr,
                          HAS_W: tl.constexpr, HAS_B: tl.constexpr, RELU: tl.constexpr,
                          STORE_PRE: tl.constexpr, COMPUTE: tl.constexpr,
                          BLOCK_C: tl.constexpr, BLOCK_R: tl.constexpr):
    """COUNT: program 0 also adds 1 to the module's num_batches_tracked (no launch of its own).
    RELU: y is relu(batch_norm(x)) (minitorch/fusion.py), and with STORE_PRE the batch-norm
    output itself is stored to ``pre_ptr`` too (same layout as y)."""
    pid = tl.program_id(0)
    c = pid.to(tl.int64) * BLOCK_C + tl.arange(0, BLOCK_C).to(tl.int64)
    cmask = c < C
    r0 = tl.arange(0, BLOCK_R).to(tl.int64)
    if COUNT:
        first = tl.arange(0, 1)
        tl.store(count_ptr + first, tl.load(count_ptr + first) + 1, mask=(first + pid) == 0)
    if TRAIN:
        shift = tl.load(x_ptr + c * sx1, mask=cmask, other=0).to(COMPUTE)
        acc1 = tl.zeros((BLOCK_C, BLOCK_R), COMPUTE)
        acc2 = tl.zeros((BLOCK_C, BLOCK_R), COMPUTE)
        for start in range(0, R, BLOCK_R):
            r = start + r0
            m = cmask[:, None] & (r < R)[None, :]
            x = tl.load(x_ptr + _bn_offsets(r, c, HW, W, sx0, sx1, sx2, sx3), mask=m, other=0)
            d = tl.where(m, x.to(COMPUTE) - shift[:, None], 0.0)
            acc1 += d
            acc2 += d * d
        s1 = tl.sum(acc1, axis=1)
        s2 = tl.sum(acc2, axis=1)
        mean_d = s1 / R
        var = tl.maximum(s2 / R - mean_d * mean_d, 0.0)
        mean = shift + mean_d
        invstd = 1.0 / tl.sqrt(var + eps)
        tl.store(mean_ptr + c, mean, mask=cmask)
        tl.store(invstd_ptr + c, invstd, mask=cmask)
        if UPDATE:
            rm = tl.load(rmean_ptr + c, mask=cmask, other=0).to(COMPUTE)
            rv = tl.load(rvar_ptr + c, mask=cmask, other=0).to(COMPUTE)
            unbiased = var * R / tl.maximum(R - 1, 1)
            tl.store(rmean_ptr + c, (1.0 - momentum) * rm + momentum * mean, mask=cmask)
            tl.store(rvar_ptr + c, (1.0 - momentum) * rv + momentum * unbiased, mask=cmask)
    else:
        mean = tl.load(rmean_ptr + c, mask=cmask, other=0).to(COMPUTE)
        var = tl.load(rvar_ptr + c, mask=cmask, other=1).to(COMPUTE)
        invstd = 1.0 / tl.sqrt(var + eps)
        tl.store(mean_ptr + c, mean, mask=cmask)
        tl.store(invstd_ptr + c, invstd, mask=cmask)
    scale = invstd
    if HAS_W:
        scale = scale * tl.load(w_ptr + c, mask=cmask, other=0).to(COMPUTE)
    bias = -mean * scale
    if HAS_B:
        bias = bias + tl.load(b_ptr + c, mask=cmask, other=0).to(COMPUTE)
    for start in range(0, R, BLOCK_R):
        r = start + r0
        m = cmask[:, None] & (r < R)[None, :]
        x = tl.load(x_ptr + _bn_offsets(r, c, HW, W, sx0, sx1, sx2, sx3), mask=m, other=0)
        y = x.to(COMPUTE) * scale[:, None] + bias[:, None]
        y_offs = _bn_offsets(r, c, HW, W, sy0, sy1, sy2, sy3)
        if RELU:
            if STORE_PRE:
                tl.store(pre_ptr + y_offs, y, mask=m)
            y = tl.where(y < 0, 0.0, y)
        tl.store(y_ptr + y_offs, y, mask=m)


@triton.jit
def batch_norm_bwd_kernel(x_ptr, g_ptr, w_ptr, mean_ptr, invstd_ptr, dx_ptr, dw_ptr, db_ptr,
                          relu_ptr,
                          C, R, HW, W, sx0, sx1, sx2, sx3, sg0, sg1, sg2, sg3,
                          sd0, sd1, sd2, sd3, sr0, sr1, sr2, sr3, CPG, G,
                          TRAIN: tl.constexpr, HAS_W: tl.constexpr, NEED_DX: tl.constexpr,
                          NEED_SUMS: tl.constexpr, GROUPED: tl.constexpr, RELU: tl.constexpr,
                          COMPUTE: tl.constexpr, BLOCK_C: tl.constexpr, BLOCK_R: tl.constexpr):
    """TRAIN: dx = w·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)); eval: dx = w·invstd·dy.
    dw = Σ dy·x̂, db = Σ dy. GROUPED (group_norm's dw/db): the statistics are per (sample,
    group), at index n·G + c // CPG. RELU: the gradient arrives through a ReLU whose output is at
    ``relu_ptr``: dy = g where that output > 0, else 0 (ReluBackward0 folded in)."""
    c = tl.program_id(0).to(tl.int64) * BLOCK_C + tl.arange(0, BLOCK_C).to(tl.int64)
    cmask = c < C
    r0 = tl.arange(0, BLOCK_R).to(tl.int64)
    if not GROUPED:
        mean = tl.load(mean_ptr + c, mask=cmask, other=0).to(COMPUTE)
        invstd = tl.load(invstd_ptr + c, mask=cmask, other=0).to(COMPUTE)
    sum_g = tl.zeros((BLOCK_C,), COMPUTE)
    sum_gx = tl.zeros((BLOCK_C,), COMPUTE)
    if NEED_SUMS:
        acc_g = tl.zeros((BLOCK_C, BLOCK_R), COMPUTE)
        acc_gx = tl.zeros((BLOCK_C, BLOCK_R), COMPUTE)
        for start in range(0, R, BLOCK_R):
            r = start + r0
            m = cmask[:, None] & (r < R)[None, :]
            x = tl.load(x_ptr + _bn_offsets(r, c, HW, W, sx0, sx1, sx2, sx3), mask=m,
                        other=0).to(COMPUTE)
            g = tl.load(g_ptr + _bn_offsets(r, c, HW, W, sg0, sg1, sg2, sg3), mask=m,
                        other=0).to(COMPUTE)
            if RELU:
                z = tl.load(relu_ptr + _bn_offsets(r, c, HW, W, sr0, sr1, sr2, sr3), mask=m,
                            other=0)
                g = tl.where(z > 0, g, 0.0)
            if GROUPED:
                sidx = (r // HW)[None, :] * G + (c // CPG)[:, None]
                mu = tl.load(mean_ptr + sidx, mask=m, other=0).to(COMPUTE)
                rs = tl.load(invstd_ptr + sidx, mask=m, other=0).to(COMPUTE)
                xhat = (x - mu) * rs
            else:
                xhat = (x - mean[:, None]) * invstd[:, None]
            acc_g += g
            acc_gx += tl.where(m, g * xhat, 0.0)
        sum_g = tl.sum(acc_g, axis=1)
        sum_gx = tl.sum(acc_gx, axis=1)
        tl.store(dw_ptr + c, sum_gx, mask=cmask)
        tl.store(db_ptr + c, sum_g, mask=cmask)
    if NEED_DX:
        scale = invstd
        if HAS_W:
            scale = scale * tl.load(w_ptr + c, mask=cmask, other=0).to(COMPUTE)
        mg = sum_g / R
        mgx = sum_gx / R
        for start in range(0, R, BLOCK_R):
            r = start + r0
            m = cmask[:, None] & (r < R)[None, :]
            g = tl.load(g_ptr + _bn_offsets(r, c, HW, W, sg0, sg1, sg2, sg3), mask=m,
                        other=0).to(COMPUTE)
            if RELU:
                z = tl.load(relu_ptr + _bn_offsets(r, c, HW, W, sr0, sr1, sr2, sr3), mask=m,
                            other=0)
                g = tl.where(z > 0, g, 0.0)
            if TRAIN:
                x = tl.load(x_ptr + _bn_offsets(r, c, HW, W, sx0, sx1, sx2, sx3), mask=m,
                            other=0).to(COMPUTE)
                xhat = (x - mean[:, None]) * invstd[:, None]
                dx = (g - mg[:, None] - xhat * mgx[:, None]) * scale[:, None]
            else:
                dx = g * scale[:, None]
            tl.store(dx_ptr + _bn_offsets(r, c, HW, W, sd0, sd1, sd2, sd3), dx, mask=m)


def _as_nchw(t):
    """(N, C, H, W)-shaped sizes and strides of an (N, C), (N, C, L) or (N, C, H, W) view, or of
    a higher-dimensional one whose trailing spatial dims merge into W."""
    shape, strides = list(t.shape), list(t.stride())
    if t.dim() == 2:
        return shape + [1, 1], strides + [0, 0], t
    if t.dim() == 3:
        return [shape[0], shape[1], 1, shape[2]], [strides[0], strides[1], 0, strides[2]], t
    if t.dim() == 4:
        return shape, strides, t
    # 5-D and up: merge the spatial dims (copy when they do not merge)
    try:
        v = t.view(shape[0], shape[1], 1, -1)
    except RuntimeError:
        v = dense_copy(t).view(shape[0], shape[1], 1, -1)
    return list(v.shape), list(v.stride()), v


def dense_copy(t):
    out = torch.empty(t.shape, dtype=t.dtype, device=t.device)
    elementwise.pointwise("copy", out, t)
    return out


def _empty_like_dense(t):
    """A fresh output with t's layout when t is dense (channels-last stays channels-last), else
    contiguous (allocation only)."""
    return torch.empty_like(t)


class BatchNormLaunch:
    """A prepared batch-norm forward launch (storages allocated, kernel not run), so that its
    launch can be deferred (minitorch/fusion.py): ``run()`` writes y; ``run(relu_out)`` writes
    relu(y) to ``relu_out`` in the same launch, and y too unless ``relu_out`` is y itself (an
    in-place ReLU)."""

    def __init__(self, x, weight, bias, running_mean, running_var, training, momentum, eps,
                 count):
        C = x.shape[1]
        sizes, sx, xv = _as_nchw(x)
        N, _, H, W = sizes
        R = N * H * W
        self.y = _empty_like_dense(x)
        cdt = torch.float64 if x.dtype == torch.float64 else torch.float32
        self.mean = torch.empty(C, dtype=cdt, device=x.device)
        self.invstd = torch.empty(C, dtype=cdt, device=x.device)
        dummy = self.mean
        self.block_c, self.block_r, self.warps = _channel_config(C, R)
        self.C = C
        self.head = (xv,)
        self.tail = (weight if weight is not None else dummy, bias if bias is not None else dummy,
                     self.mean, self.invstd,
                     running_mean if running_mean is not None else dummy,
                     running_var if running_var is not None else dummy,
                     count if count is not None else dummy)
        self.sizes = (C, R, H * W, W, *sx)
        self.scalars = (float(eps), float(momentum))
        self.constexprs = dict(TRAIN=bool(training),
                               UPDATE=bool(training and running_mean is not None),
                               COUNT=count is not None, HAS_W=weight is not None,
                               HAS_B=bias is not None, COMPUTE=_compute(x.dtype),
                               BLOCK_C=self.block_c, BLOCK_R=self.block_r)

    def run(self, relu_out=None):
        out = self.y if relu_out is None else relu_out
        assert tuple(out.stride()) == tuple(self.y.stride())
        _, sy, yv = _as_nchw(out)
        pre = _as_nchw(self.y)[2]
        launcher.launch(
            batch_norm_fwd_kernel, (launcher.cdiv(self.C, self.block_c),),
            (*self.head, yv, *self.tail, pre, *self.sizes, *sy, *self.scalars),
            dict(self.constexprs, RELU=relu_out is not None,
                 STORE_PRE=relu_out is not None and relu_out is not self.y), self.warps)


def batch_norm_forward(x, weight, bias, running_mean, running_var, training, momentum, eps,
                       count=None):
    """Returns (y, mean, invstd) storages; updates running_mean / running_var in place when
    training and they are given, and adds 1 to the int64 ``count`` when given."""
    launch = BatchNormLaunch(x, weight, bias, running_mean, running_var, training, momentum, eps,
                             count)
    launch.run()
    return launch.y, launch.mean, launch.invstd


def batch_norm_backward(x, g, weight, mean, invstd, training, need_dx, need_sums,
                        relu_out=None):
    """(dx or None, dweight_sum, dbias_sum) — sums are Σ dy·x̂ and Σ dy per channel. With
    ``relu_out`` (the output of a ReLU applied to the batch norm's output) the incoming ``g``
    is that ReLU's gradient: the ReLU's backward is folded in."""
    C = x.shape[1]
    sizes, sx, xv = _as_nchw(x)
    N, _, H, W = sizes
    R = N * H * W
    _, sg, gv = _as_nchw(g)
    dx = _empty_like_dense(x) if need_dx else None
    _, sd, dv = _as_nchw(dx) if need_dx else (None, [0, 0, 0, 0], xv)
    cdt = mean.dtype
    need_sums = need_sums or (need_dx and training)
    dw = torch.empty(C, dtype=cdt, device=x.device)
    db = torch.empty(C, dtype=cdt, device=x.device)
    block_c, block_r, warps = _channel_config(C, R)
    _, sr, rv = _as_nchw(relu_out) if relu_out is not None else (None, [0, 0, 0, 0], gv)
    launcher.launch(
        batch_norm_bwd_kernel, (launcher.cdiv(C, block_c),),
        (xv, gv, weight if weight is not None else mean, mean, invstd, dv, dw, db, rv,
         C, R, H * W, W, *sx, *sg, *sd, *sr, 1, 1),
        dict(TRAIN=bool(training), HAS_W=weight is not None, NEED_DX=bool(need_dx),
             NEED_SUMS=bool(need_sums), GROUPED=False, RELU=relu_out is not None,
             COMPUTE=_compute(x.dtype), BLOCK_C=block_c, BLOCK_R=block_r), warps)
    return dx, dw, db


def group_norm_param_grads(x, g, mean, rstd, groups):
    """Σ dy·x̂ and Σ dy per channel of an (N, C, *) input normalized per (sample, group)."""
    C = x.shape[1]
    sizes, sx, xv = _as_nchw(x)
    N, _, H, W = sizes
    R = N * H * W
    _, sg, gv = _as_nchw(g)
    dw = torch.empty(C, dtype=mean.dtype, device=x.device)
    db = torch.empty(C, dtype=mean.dtype, device=x.device)
    block_c, block_r, warps = _channel_config(C, R)
    launcher.launch(
        batch_norm_bwd_kernel, (launcher.cdiv(C, block_c),),
        (xv, gv, mean, mean, rstd, xv, dw, db, gv, C, R, H * W, W, *sx, *sg, 0, 0, 0, 0,
         0, 0, 0, 0, C // groups, groups),
        dict(TRAIN=True, HAS_W=False, NEED_DX=False, NEED_SUMS=True, GROUPED=True, RELU=False,
             COMPUTE=_compute(x.dtype), BLOCK_C=block_c, BLOCK_R=block_r), warps)
    return dw, db


# =============================================================================================
# layer norm / group norm: rows of a contiguous (M, K) matrix
# =============================================================================================
@triton.jit
def _param_index(rows, cols, G, CPG, HW, GROUP_MODE: tl.constexpr):
    if GROUP_MODE:
        return (rows % G)[:, None] * CPG + (cols // HW)[None, :]
    else:
        return cols[None, :] + rows[:, None] * 0


@triton.jit
def row_norm_fwd_kernel(x_ptr, y_ptr, w_ptr, b_ptr, mean_ptr, rstd_ptr, M, K, G, CPG, HW, eps,
                        HAS_W: tl.constexpr, HAS_B: tl.constexpr, GROUP_MODE: tl.constexpr,
                        COMPUTE: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_K: tl.constexpr):
    rows = tl.program_id(0).to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    rmask = rows < M
    k0 = tl.arange(0, BLOCK_K).to(tl.int64)
    shift = tl.load(x_ptr + rows * K, mask=rmask, other=0).to(COMPUTE)
    acc1 = tl.zeros((BLOCK_M, BLOCK_K), COMPUTE)
    acc2 = tl.zeros((BLOCK_M, BLOCK_K), COMPUTE)
    for start in range(0, K, BLOCK_K):
        cols = start + k0
        m = rmask[:, None] & (cols < K)[None, :]
        x = tl.load(x_ptr + rows[:, None] * K + cols[None, :], mask=m, other=0).to(COMPUTE)
        d = tl.where(m, x - shift[:, None], 0.0)
        acc1 += d
        acc2 += d * d
    mean_d = tl.sum(acc1, axis=1) / K
    var = tl.maximum(tl.sum(acc2, axis=1) / K - mean_d * mean_d, 0.0)
    mean = shift + mean_d
    rstd = 1.0 / tl.sqrt(var + eps)
    tl.store(mean_ptr + rows, mean, mask=rmask)
    tl.store(rstd_ptr + rows, rstd, mask=rmask)
    for start in range(0, K, BLOCK_K):
        cols = start + k0
        m = rmask[:, None] & (cols < K)[None, :]
        x = tl.load(x_ptr + rows[:, None] * K + cols[None, :], mask=m, other=0).to(COMPUTE)
        y = (x - mean[:, None]) * rstd[:, None]
        if HAS_W or HAS_B:
            pidx = _param_index(rows, cols, G, CPG, HW, GROUP_MODE)
        if HAS_W:
            y = y * tl.load(w_ptr + pidx, mask=m, other=0).to(COMPUTE)
        if HAS_B:
            y = y + tl.load(b_ptr + pidx, mask=m, other=0).to(COMPUTE)
        tl.store(y_ptr + rows[:, None] * K + cols[None, :], y, mask=m)


@triton.jit
def row_norm_bwd_kernel(x_ptr, g_ptr, w_ptr, mean_ptr, rstd_ptr, dx_ptr, pdw_ptr, pdb_ptr,
                        M, K, G, CPG, HW,
                        HAS_W: tl.constexpr, GROUP_MODE: tl.constexpr, NEED_DX: tl.constexpr,
                        PARAM_GRADS: tl.constexpr, COMPUTE: tl.constexpr,
                        BLOCK_M: tl.constexpr, BLOCK_K: tl.constexpr):
    """dx = rstd·(g·w − mean(g·w) − x̂·mean(g·w·x̂)) per row; PARAM_GRADS (layer_norm): this
    program's partial Σ_rows g·x̂ and Σ_rows g per column, at row pid of (P, K) buffers."""
    pid = tl.program_id(0)
    rows = pid.to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M).to(tl.int64)
    rmask = rows < M
    k0 = tl.arange(0, BLOCK_K).to(tl.int64)
    mean = tl.load(mean_ptr + rows, mask=rmask, other=0).to(COMPUTE)
    rstd = tl.load(rstd_ptr + rows, mask=rmask, other=0).to(COMPUTE)
    acc1 = tl.zeros((BLOCK_M, BLOCK_K), COMPUTE)
    acc2 = tl.zeros((BLOCK_M, BLOCK_K), COMPUTE)
    for start in range(0, K, BLOCK_K):
        cols = start + k0
        m = rmask[:, None] & (cols < K)[None, :]
        x = tl.load(x_ptr + rows[:, None] * K + cols[None, :], mask=m, other=0).to(COMPUTE)
        g = tl.load(g_ptr + rows[:, None] * K + cols[None, :], mask=m, other=0).to(COMPUTE)
        xhat = (x - mean[:, None]) * rstd[:, None]
        if PARAM_GRADS:
            pdw = tl.sum(tl.where(m, g * xhat, 0.0), axis=0)
            tl.store(pdw_ptr + pid.to(tl.int64) * K + cols, pdw, mask=cols < K)
            tl.store(pdb_ptr + pid.to(tl.int64) * K + cols, tl.sum(g, axis=0), mask=cols < K)
        if HAS_W:
            g = g * tl.load(w_ptr + _param_index(rows, cols, G, CPG, HW, GROUP_MODE), mask=m,
                            other=0).to(COMPUTE)
        acc1 += g
        acc2 += tl.where(m, g * xhat, 0.0)
    mg = tl.sum(acc1, axis=1) / K
    mgx = tl.sum(acc2, axis=1) / K
    if NEED_DX:
        for start in range(0, K, BLOCK_K):
            cols = start + k0
            m = rmask[:, None] & (cols < K)[None, :]
            x = tl.load(x_ptr + rows[:, None] * K + cols[None, :], mask=m, other=0).to(COMPUTE)
            g = tl.load(g_ptr + rows[:, None] * K + cols[None, :], mask=m, other=0).to(COMPUTE)
            if HAS_W:
                g = g * tl.load(w_ptr + _param_index(rows, cols, G, CPG, HW, GROUP_MODE),
                                mask=m, other=0).to(COMPUTE)
            xhat = (x - mean[:, None]) * rstd[:, None]
            dx = (g - mg[:, None] - xhat * mgx[:, None]) * rstd[:, None]
            tl.store(dx_ptr + rows[:, None] * K + cols[None, :], dx, mask=m)


def contiguous(t):
    return t if t.is_contiguous() else dense_copy(t)


def row_norm_forward(x, M, K, weight, bias, eps, groups=0, hw=1):
    """x: contiguous storage holding M rows of K. Returns (y, mean, rstd)."""
    y = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    cdt = torch.float64 if x.dtype == torch.float64 else torch.float32
    mean = torch.empty(M, dtype=cdt, device=x.device)
    rstd = torch.empty(M, dtype=cdt, device=x.device)
    bm, bk, warps = _rows_config(M, K)
    cpg = (K // hw) if groups else 0
    launcher.launch(row_norm_fwd_kernel, (launcher.cdiv(M, bm),),
                    (x, y, weight if weight is not None else mean,
                     bias if bias is not None else mean, mean, rstd, M, K, max(groups, 1),
                     cpg, hw, float(eps)),
                    dict(HAS_W=weight is not None, HAS_B=bias is not None,
                         GROUP_MODE=bool(groups), COMPUTE=_compute(x.dtype), BLOCK_M=bm,
                         BLOCK_K=bk), warps)
    return y, mean, rstd


def row_norm_backward(x, g, M, K, weight, mean, rstd, need_dx, param_grads, groups=0, hw=1):
    """Returns (dx or None, Σ g·x̂ per column or None, Σ g per column or None); the column sums
    only for layer_norm (``param_grads``)."""
    dx = torch.empty(x.shape, dtype=x.dtype, device=x.device) if need_dx else None
    bm, bk, warps = _rows_config(M, K)
    P = launcher.cdiv(M, bm)
    pdw = pdb = None
    if param_grads:
        pdw = torch.empty((P, K), dtype=mean.dtype, device=x.device)
        pdb = torch.empty((P, K), dtype=mean.dtype, device=x.device)
    cpg = (K // hw) if groups else 0
    launcher.launch(row_norm_bwd_kernel, (P,),
                    (x, g, weight if weight is not None else mean, mean, rstd,
                     dx if dx is not None else x, pdw if pdw is not None else mean,
                     pdb if pdb is not None else mean, M, K, max(groups, 1), cpg, hw),
                    dict(HAS_W=weight is not None, GROUP_MODE=bool(groups),
                         NEED_DX=bool(need_dx), PARAM_GRADS=bool(param_grads),
                         COMPUTE=_compute(x.dtype), BLOCK_M=bm, BLOCK_K=bk), warps)
    if param_grads and P > 1:
        pdw = reduce_kernels.reduce("sum", pdw, (0,))
        pdb = reduce_kernels.reduce("sum", pdb, (0,))
    elif param_grads:
        pdw, pdb = pdw.reshape(K), pdb.reshape(K)
    return dx, pdw, pdb


# =============================================================================================
# dropout
# =============================================================================================
@triton.jit
def dropout_kernel(x_ptr, out_ptr, n, p, scale, seed, offset, GROUP, COMPUTE: tl.constexpr,
                   BLOCK: tl.constexpr):
    """out = x · [u ≥ p] · scale with u ~ U[0, 1) from Philox at (seed, offset + i // GROUP)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < n
    draw = (offs // GROUP + offset).to(tl.int32)
    u = tl.rand(seed, draw)
    x = tl.load(x_ptr + offs, mask=mask, other=0).to(COMPUTE)
    y = tl.where(u >= p, x * scale, 0.0)
    tl.store(out_ptr + offs, y, mask=mask)


def dropout_apply(x, out, p, seed, offset, group):
    """x, out: contiguous storages (out may be x)."""
    n = x.numel()
    if n == 0:
        return out
    block, warps = launcher.elementwise_config(n)
    scale = 1.0 / (1.0 - p)
    launcher.launch(dropout_kernel, launcher.grid_1d(n, block),
                    (x, out, n, float(p), float(scale), seed, offset, group),
                    dict(COMPUTE=_compute(x.dtype), BLOCK=block), warps)
    return out


# =============================================================================================
# pad
# =============================================================================================
CONSTANT, REFLECT, REPLICATE, CIRCULAR = 0, 1, 2, 3


@triton.jit
def _pad_src(o, pb, size, MODE: tl.constexpr):
    i = o - pb
    if MODE == 1:
        i = tl.where(i < 0, -i, i)
        i = tl.where(i >= size, 2 * (size - 1) - i, i)
    elif MODE == 2:
        i = tl.minimum(tl.maximum(i, 0), size - 1)
    elif MODE == 3:
        i = tl.where(i < 0, i + size, i)
        i = tl.where(i >= size, i - size, i)
    return i


@triton.jit
def pad_fwd_kernel(x_ptr, out_ptr, n, I0, I1, I2, O0, O1, O2, P0, P1, P2, sb, s0, s1, s2,
                   value, MODE: tl.constexpr, BLOCK: tl.constexpr):
    """out (B, O0, O1, O2) contiguous from x (B, I0, I1, I2) strided; P* = padding before."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < n
    o2 = offs % O2
    t = offs // O2
    o1 = t % O1
    t = t // O1
    o0 = t % O0
    b = t // O0
    i0 = _pad_src(o0, P0, I0, MODE)
    i1 = _pad_src(o1, P1, I1, MODE)
    i2 = _pad_src(o2, P2, I2, MODE)
    valid = mask
    if MODE == 0:
        valid = valid & (i0 >= 0) & (i0 < I0) & (i1 >= 0) & (i1 < I1) & (i2 >= 0) & (i2 < I2)
    x = tl.load(x_ptr + b * sb + i0 * s0 + i1 * s1 + i2 * s2, mask=valid, other=0)
    y = tl.where(valid, x, value)
    tl.store(out_ptr + offs, y, mask=mask)


@triton.jit
def pad_bwd_kernel(g_ptr, dx_ptr, n, n_in, n_out, INNER, pb, pa, MAXTAP,
                   MODE: tl.constexpr, COMPUTE: tl.constexpr, BLOCK: tl.constexpr):
    """One padded dim: g (OUTER, n_out, INNER) -> dx (OUTER, n_in, INNER), both contiguous. Each
    input position gathers the output positions that read it."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < n
    inner = offs % INNER
    t = offs // INNER
    i = t % n_in
    outer = t // n_in
    base = outer * n_out * INNER + inner
    o = i + pb
    ok = mask & (o >= 0) & (o < n_out)
    acc = tl.load(g_ptr + base + o * INNER, mask=ok, other=0).to(COMPUTE)
    if MODE == 1:
        # left reflection: o = pb - i for 1 <= i <= pb; right: o = pb + 2(n_in-1) - i
        ol = pb - i
        okl = mask & (i >= 1) & (i <= pb)
        acc += tl.load(g_ptr + base + ol * INNER, mask=okl, other=0).to(COMPUTE)
        orr = pb + 2 * (n_in - 1) - i
        okr = mask & (i <= n_in - 2) & (orr >= pb + n_in) & (orr < n_out)
        acc += tl.load(g_ptr + base + orr * INNER, mask=okr, other=0).to(COMPUTE)
    elif MODE == 2:
        # the edges gather every replicated position
        for k in range(0, MAXTAP):
            okl = mask & (i == 0) & (k < pb)
            acc += tl.load(g_ptr + base + k * INNER, mask=okl, other=0).to(COMPUTE)
            orr = pb + n_in + k
            okr = mask & (i == n_in - 1) & (k < pa)
            acc += tl.load(g_ptr + base + orr * INNER, mask=okr, other=0).to(COMPUTE)
    elif MODE == 3:
        # circular: o = i + pb + n_in (left wrap) and o = i + pb - n_in (right wrap)
        o1 = i + pb + n_in
        acc += tl.load(g_ptr + base + o1 * INNER, mask=mask & (o1 < n_out), other=0).to(COMPUTE)
        o2 = i + pb - n_in
        acc += tl.load(g_ptr + base + o2 * INNER, mask=mask & (o2 >= 0), other=0).to(COMPUTE)
    tl.store(dx_ptr + offs, acc, mask=mask)


def pad_forward(x, pads, mode, value):
    """x: storage of shape (B, I0, I1, I2) (any strides); pads: [(before, after)] * 3.
    Returns the contiguous (B, O0, O1, O2) output."""
    B, I0, I1, I2 = x.shape
    n_out = [s + a + b for s, (a, b) in zip((I0, I1, I2), pads)]
    out = torch.empty((B, *n_out), dtype=x.dtype, device=x.device)
    n = out.numel()
    if n == 0:
        return out
    block, warps = launcher.elementwise_config(n)
    launcher.launch(pad_fwd_kernel, launcher.grid_1d(n, block),
                    (x, out, n, I0, I1, I2, *n_out, pads[0][0], pads[1][0], pads[2][0],
                     *x.stride(), float(value)),
                    dict(MODE=mode, BLOCK=block), warps)
    return out


def pad_backward_dim(g, outer, n_in, inner, before, after, mode):
    """g: contiguous storage (outer, n_out, inner) -> (outer, n_in, inner)."""
    n_out = n_in + before + after
    dx = torch.empty((outer, n_in, inner), dtype=g.dtype, device=g.device)
    n = dx.numel()
    if n == 0:
        return dx
    block, warps = launcher.elementwise_config(n)
    if launcher.POLICY != "interpreter":
        warps = 8  # three fp64 taps per element on 4 warps spill on sm_90
    launcher.launch(pad_bwd_kernel, launcher.grid_1d(n, block),
                    (g, dx, n, n_in, n_out, inner, before, after, max(before, after, 0)),
                    dict(MODE=mode, COMPUTE=_compute(g.dtype), BLOCK=block), warps)
    return dx


# =============================================================================================
# interpolation matrices
# =============================================================================================
@triton.jit
def _interp_taps(o, scale, n_in, LINEAR: tl.constexpr, ALIGN: tl.constexpr,
                 COMPUTE: tl.constexpr):
    """(i0, i1, l0, l1) of output positions o along one axis (nearest: i1 = i0, l1 = 0)."""
    of = o.to(COMPUTE)
    if LINEAR:
        if ALIGN:
            src = of * scale
        else:
            src = tl.maximum(scale * (of + 0.5) - 0.5, 0.0)
        i0 = tl.minimum(src.to(tl.int64), n_in - 1)
        i1 = tl.where(i0 < n_in - 1, i0 + 1, i0)
        l1 = src - i0.to(COMPUTE)
        l0 = 1.0 - l1
    else:
        i0 = tl.minimum(tl.floor(of * scale).to(tl.int64), n_in - 1)
        i1 = i0
        l0 = tl.full(o.shape, 1.0, COMPUTE)
        l1 = tl.zeros(o.shape, COMPUTE)
    return i0, i1, l0, l1


@triton.jit
def interp_matrix_kernel(out_ptr, scale_ptr, n_out, n_in, LINEAR: tl.constexpr,
                         ALIGN: tl.constexpr, COMPUTE: tl.constexpr, BLOCK_O: tl.constexpr,
                         BLOCK_I: tl.constexpr):
    """A[o, i]: the weight of input i in output o along one axis (torch's source-index rules:
    nearest = min(floor(o·scale), n_in−1); linear = two taps at floor(src), with
    src = o·scale (align_corners) or max(scale·(o + ½) − ½, 0))."""
    o = tl.program_id(0).to(tl.int64) * BLOCK_O + tl.arange(0, BLOCK_O).to(tl.int64)
    i = tl.arange(0, BLOCK_I).to(tl.int64)
    scale = tl.load(scale_ptr).to(COMPUTE)
    m = (o < n_out)[:, None] & (i < n_in)[None, :]
    i0, i1, l0, l1 = _interp_taps(o, scale, n_in, LINEAR, ALIGN, COMPUTE)
    # nearest: i1 = i0 and l1 = 0, so the second term adds nothing
    w = tl.where(i[None, :] == i0[:, None], l0[:, None], 0.0) + \
        tl.where(i[None, :] == i1[:, None], l1[:, None], 0.0)
    tl.store(out_ptr + o[:, None] * n_in + i[None, :], w.to(COMPUTE), mask=m)


def interp_matrix(n_out, n_in, scale, linear, align_corners, dtype, device):
    out = torch.empty((n_out, n_in), dtype=dtype, device=device)
    if out.numel() == 0:
        return out
    cdt = torch.float64 if dtype == torch.float64 else torch.float32
    s = torch.tensor([scale], dtype=cdt, device=device)  # a host scalar, no arithmetic
    block_i = launcher.next_pow2(n_in)
    if launcher.POLICY == "interpreter":
        block_o = max(1, min(launcher.next_pow2(n_out), launcher.INTERPRETER_MAX_BLOCK // block_i))
    else:
        block_o = max(1, min(launcher.next_pow2(n_out), max(1, 2048 // block_i)))
    launcher.launch(interp_matrix_kernel, (launcher.cdiv(n_out, block_o),),
                    (out, s, n_out, n_in),
                    dict(LINEAR=bool(linear), ALIGN=bool(align_corners), COMPUTE=_compute(dtype),
                         BLOCK_O=block_o, BLOCK_I=block_i), 4)
    return out


@triton.jit
def interp_fwd_kernel(x_ptr, out_ptr, scale_ptr, n, IH, IW, OH, OW, sb, sh, sw,
                      LINEAR: tl.constexpr, ALIGN: tl.constexpr, COMPUTE: tl.constexpr,
                      BLOCK: tl.constexpr):
    """out (B, OH, OW) contiguous from x (B, IH, IW) strided: torch's taps and weights per axis
    (a 1-D resize is IH = OH = 1). Only the taps are read, so a non-finite input stays local."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < n
    ow = offs % OW
    t = offs // OW
    oh = t % OH
    b = t // OH
    sch = tl.load(scale_ptr).to(COMPUTE)
    scw = tl.load(scale_ptr + 1).to(COMPUTE)
    h0, h1, a0, a1 = _interp_taps(oh, sch, IH, LINEAR, ALIGN, COMPUTE)
    w0, w1, c0, c1 = _interp_taps(ow, scw, IW, LINEAR, ALIGN, COMPUTE)
    base = x_ptr + b * sb
    v00 = tl.load(base + h0 * sh + w0 * sw, mask=mask, other=0).to(COMPUTE)
    if LINEAR:
        v01 = tl.load(base + h0 * sh + w1 * sw, mask=mask, other=0).to(COMPUTE)
        v10 = tl.load(base + h1 * sh + w0 * sw, mask=mask, other=0).to(COMPUTE)
        v11 = tl.load(base + h1 * sh + w1 * sw, mask=mask, other=0).to(COMPUTE)
        y = a0 * (c0 * v00 + c1 * v01) + a1 * (c0 * v10 + c1 * v11)
    else:
        y = v00
    tl.store(out_ptr + offs, y, mask=mask)


def interp_forward(x, OH, OW, scale_h, scale_w, linear, align_corners):
    """x: storage (B, IH, IW), any strides. Returns the contiguous (B, OH, OW) resize."""
    B, IH, IW = x.shape
    out = torch.empty((B, OH, OW), dtype=x.dtype, device=x.device)
    n = out.numel()
    if n == 0:
        return out
    cdt = torch.float64 if x.dtype == torch.float64 else torch.float32
    s = torch.tensor([scale_h, scale_w], dtype=cdt, device=x.device)  # host scalars
    block, warps = launcher.elementwise_config(n)
    launcher.launch(interp_fwd_kernel, launcher.grid_1d(n, block),
                    (x, out, s, n, IH, IW, OH, OW, *x.stride()),
                    dict(LINEAR=bool(linear), ALIGN=bool(align_corners), COMPUTE=_compute(x.dtype),
                         BLOCK=block), warps)
    return out


__all__ = ["batch_norm_fwd_kernel", "batch_norm_bwd_kernel", "dense_copy", "BatchNormLaunch",
           "batch_norm_forward",
           "batch_norm_backward", "group_norm_param_grads", "row_norm_fwd_kernel",
           "row_norm_bwd_kernel", "contiguous", "row_norm_forward", "row_norm_backward",
           "dropout_kernel", "dropout_apply", "pad_fwd_kernel", "pad_bwd_kernel", "pad_forward",
           "pad_backward_dim", "interp_matrix_kernel", "interp_matrix", "interp_fwd_kernel",
           "interp_forward"]
