"""Autograd Functions of the normalization, dropout, pad and resize kernels (ops/norm.py).

Backward runs the fused kernels. Under ``create_graph=True`` (grad mode on inside backward) the
gradients are instead written with differentiable Tensor ops from the same saved inputs, so
higher derivatives are exact too; the values agree with the fused path to rounding.
"""
import torch

from .._tensor_ref import wrap, zeros_like
from ..autograd import grad_mode
from ..autograd.function import Function
from ..ops import creation, lazy
from ..ops import norm as norm_kernels
from . import inplace as inplace_ops


def _wrap(storage):
    return wrap(storage)


def _data(t):
    return None if t is None else t._data


def _zero_grads(x, weight, need_x, need_w, need_b):
    """The gradients of a normalization over an empty input (x, weight, bias, 2 non-tensors)."""
    return (zeros_like(x) if need_x else None, zeros_like(weight) if need_w else None,
            zeros_like(weight) if need_b else None, None, None)


def _bshape(C, ndim):
    return (1, C) + (1,) * (ndim - 2)


def _cast(t, like):
    return t if t is None or t.dtype == like.dtype else t.to(like.dtype)


# =============================================================================================
# batch norm
# =============================================================================================
class BatchNorm(Function):
    node_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps,
                num_batches_tracked=None):
        launch = norm_kernels.BatchNormLaunch(
            x._data, _data(weight), _data(bias), _data(running_mean), _data(running_var),
            training, momentum, eps, _data(num_batches_tracked))
        for buffer in (running_mean, running_var, num_batches_tracked) if training else ():
            if buffer is not None:
                buffer._bump_version()
        ctx.training, ctx.eps = training, eps
        ctx.mean, ctx.invstd = launch.mean, launch.invstd
        ctx.save_for_backward(x, weight)
        out = _wrap(launch.y)
        # a following ReLU may fuse into this launch (minitorch/fusion.py); run now otherwise
        lazy.defer(out, launch.run, launch, side_effects=training)
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        if grad_mode.is_grad_enabled():
            return _batch_norm_backward_composite(ctx, x, weight, g) + (None,) * 6
        return batch_norm_grads(ctx, g) + (None,) * 6


def batch_norm_grads(ctx, g, relu_out=None):
    """(gx, gw, gb) of a BatchNorm node in one launch; with ``relu_out`` (the output of the ReLU
    that followed it) ``g`` is the ReLU's incoming gradient (minitorch/fusion.py)."""
    x, weight = ctx.saved_tensors
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    dx, dw, db = norm_kernels.batch_norm_backward(
        x._data, g._data, _data(weight), ctx.mean, ctx.invstd, ctx.training, need_x,
        need_w or need_b, None if relu_out is None else relu_out._data)
    gx = _wrap(dx) if need_x else None
    gw = _cast(_wrap(dw), weight) if need_w else None
    gb = _cast(_wrap(db), weight if weight is not None else x) if need_b else None
    return gx, gw, gb


def _normalized(x, dims, eps):
    mean = x.mean(dims, keepdim=True)
    c = x - mean
    var = (c * c).mean(dims, keepdim=True)
    return c * (var + eps).rsqrt(), (var + eps).rsqrt()


def _batch_norm_backward_composite(ctx, x, weight, g):
    dims = tuple(d for d in range(x.dim()) if d != 1)
    shape = _bshape(x.shape[1], x.dim())
    if ctx.training:
        xhat, invstd = _normalized(x, dims, ctx.eps)
    else:
        # eval: the statistics the forward used (saved), constants for the graph
        invstd = _wrap(ctx.invstd).reshape(shape).to(x.dtype)
        mean = _wrap(ctx.mean).reshape(shape).to(x.dtype)
        xhat = (x - mean) * invstd
    gw = g * weight.reshape(shape) if weight is not None else g
    if ctx.training:
        dx = invstd * (gw - gw.mean(dims, keepdim=True)
                       - xhat * (gw * xhat).mean(dims, keepdim=True))
    else:
        dx = gw * invstd
    dw = (g * xhat).sum(dims) if weight is not None else None
    db = g.sum(dims)
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    return (dx if need_x else None, dw if need_w else None, db if need_b else None)


def batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps,
               num_batches_tracked=None):
    """``num_batches_tracked`` (BatchNorm modules): counted by the same launch when training."""
    return BatchNorm.apply(x, weight, bias, running_mean, running_var, bool(training),
                           float(momentum), float(eps), num_batches_tracked)


# =============================================================================================
# layer norm / group norm
# =============================================================================================
class LayerNorm(Function):
    node_name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, k, eps):
        shape = tuple(x.shape)
        K_ = 1
        for s in shape[len(shape) - k:]:
            K_ *= s
        M = x.numel() // K_ if K_ else 0
        xs = norm_kernels.contiguous(x._data)
        w = norm_kernels.contiguous(weight._data).reshape(K_) if weight is not None else None
        b = norm_kernels.contiguous(bias._data).reshape(K_) if bias is not None else None
        if x.numel() == 0:
            ctx.empty = True
            return _wrap(torch.empty(shape, dtype=x.dtype, device=x.device))
        ctx.empty = False
        y, mean, rstd = norm_kernels.row_norm_forward(xs, M, K_, w, b, eps)
        ctx.k, ctx.eps, ctx.M, ctx.K, ctx.mean, ctx.rstd, ctx.xs = k, eps, M, K_, mean, rstd, xs
        ctx.save_for_backward(x, weight)
        return _wrap(y.reshape(shape))

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if ctx.empty:
            return _zero_grads(x, weight, need_x, need_w, need_b)
        if grad_mode.is_grad_enabled():
            dims = tuple(range(x.dim() - ctx.k, x.dim()))
            xhat, rstd = _normalized(x, dims, ctx.eps)
            gw = g * weight if weight is not None else g
            dx = rstd * (gw - gw.mean(dims, keepdim=True)
                         - xhat * (gw * xhat).mean(dims, keepdim=True))
            lead = tuple(range(x.dim() - ctx.k))
            dw = (g * xhat).sum(lead) if need_w else None
            db = g.sum(lead) if need_b else None
            return dx if need_x else None, dw, db, None, None
        gs = norm_kernels.contiguous(g._data)
        w = norm_kernels.contiguous(weight._data).reshape(ctx.K) if weight is not None else None
        dx, dw, db = norm_kernels.row_norm_backward(ctx.xs, gs, ctx.M, ctx.K, w, ctx.mean, ctx.rstd,
                                                    need_x,
                                                    need_w or need_b)
        wshape = tuple(x.shape[x.dim() - ctx.k:])
        return (_wrap(dx.reshape(x.shape)) if need_x else None,
                _cast(_wrap(dw.reshape(wshape)), weight) if need_w else None,
                _cast(_wrap(db.reshape(wshape)), weight) if need_b else None, None, None)


class GroupNorm(Function):
    node_name = "NativeGroupNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, groups, eps):
        shape = tuple(x.shape)
        N, C = shape[0], shape[1]
        hw = x.numel() // (N * C) if N * C else 0
        M, K_ = N * groups, (C // groups) * hw
        if x.numel() == 0:
            ctx.empty = True
            return _wrap(torch.empty(shape, dtype=x.dtype, device=x.device))
        ctx.empty = False
        xs = norm_kernels.contiguous(x._data)
        y, mean, rstd = norm_kernels.row_norm_forward(xs, M, K_, _data(weight), _data(bias), eps,
                                                      groups, hw)
        ctx.groups, ctx.eps, ctx.hw, ctx.M, ctx.K = groups, eps, hw, M, K_
        ctx.mean, ctx.rstd, ctx.xs = mean, rstd, xs
        ctx.save_for_backward(x, weight)
        return _wrap(y)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if ctx.empty:
            return _zero_grads(x, weight, need_x, need_w, need_b)
        N, C, G = x.shape[0], x.shape[1], ctx.groups
        if grad_mode.is_grad_enabled():
            xr = x.reshape(N, G, C // G, -1)
            gr = g.reshape(N, G, C // G, -1)
            xhat, rstd = _normalized(xr, (2, 3), ctx.eps)
            gw = gr * weight.reshape(1, G, C // G, 1) if weight is not None else gr
            dx = rstd * (gw - gw.mean((2, 3), keepdim=True)
                         - xhat * (gw * xhat).mean((2, 3), keepdim=True))
            dw = (gr * xhat).sum((0, 3)).reshape(C) if need_w else None
            db = gr.sum((0, 3)).reshape(C) if need_b else None
            return dx.reshape(x.shape) if need_x else None, dw, db, None, None
        gs = norm_kernels.contiguous(g._data)
        dx = None
        if need_x:
            dx, _, _ = norm_kernels.row_norm_backward(ctx.xs, gs, ctx.M, ctx.K, _data(weight),
                                                      ctx.mean,
                                                      ctx.rstd, True, False, G, ctx.hw)
        dw = db = None
        if need_w or need_b:
            dw, db = norm_kernels.group_norm_param_grads(ctx.xs, gs, ctx.mean, ctx.rstd, G)
        return (_wrap(dx) if need_x else None,
                _cast(_wrap(dw), weight) if need_w else None,
                _cast(_wrap(db), weight) if need_b else None, None, None)


# =============================================================================================
# dropout
# =============================================================================================
class PhiloxDropout(Function):
    """x · mask / (1 − p) with the mask regenerated from (seed, offset): the backward is the same
    op on the gradient (it is linear and self-adjoint), so it is differentiable again."""
    node_name = "NativeDropoutBackward0"

    @staticmethod
    def forward(ctx, x, p, seed, offset, group):
        ctx.args = (p, seed, offset, group)
        xs = norm_kernels.contiguous(x._data)
        out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        norm_kernels.dropout_apply(xs, out, p, seed, offset, group)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        return (PhiloxDropout.apply(g, *ctx.args), None, None, None, None)


def dropout(x, p, group, inplace, generator=None):
    """Training-mode dropout with one Philox draw per ``group`` consecutive elements."""
    n = x.numel()
    draws = n // group if group else 0
    gen = generator or creation.default_generator
    seed, offset = gen._take(draws) if n else (0, 0)
    p = float(p)
    if not inplace:
        return PhiloxDropout.apply(x, p, seed, offset, group)
    inplace_ops._check_leaf(x)
    if inplace_ops._recording(x) or not x.is_contiguous():
        return inplace_ops._assign_(x, PhiloxDropout.apply(x, p, seed, offset, group))
    norm_kernels.dropout_apply(x._data, x._data, p, seed, offset, group)
    x._bump_version()
    return x


# =============================================================================================
# pad
# =============================================================================================
class Pad(Function):
    """Padding of the last ``len(pads)`` dims (at most 3) of x; ``pads`` [(before, after)] in
    dim order."""
    node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pads, mode, value):
        shape = tuple(x.shape)
        k = len(pads)
        lead = shape[:len(shape) - k]
        B = 1
        for s in lead:
            B *= s
        inner = shape[len(shape) - k:]
        full_pads = [(0, 0)] * (3 - k) + list(pads)
        in3 = (1,) * (3 - k) + inner
        xs = x._data
        try:
            xv = xs.view(B, *in3)
        except RuntimeError:
            xv = norm_kernels.dense_copy(xs).view(B, *in3)
        out = norm_kernels.pad_forward(xv, full_pads, mode, value)
        ctx.pads, ctx.mode, ctx.shape = pads, mode, shape
        out_shape = lead + tuple(s + a + b for s, (a, b) in zip(inner, pads))
        return _wrap(out.view(out_shape))

    @staticmethod
    def backward(ctx, g):
        return PadBackward.apply(g, ctx.pads, ctx.mode, ctx.shape), None, None, None


class PadBackward(Function):
    node_name = "ConstantPadNdBackwardBackward0"

    @staticmethod
    def forward(ctx, g, pads, mode, in_shape):
        ctx.pads, ctx.mode = pads, mode
        cur = norm_kernels.contiguous(g._data)
        shape = list(g.shape)
        nd = len(shape)
        k = len(pads)
        for j in range(k - 1, -1, -1):  # one launch per padded dim
            d = nd - k + j
            before, after = pads[j]
            if before == 0 and after == 0:
                continue
            outer = 1
            for s in shape[:d]:
                outer *= s
            inner = 1
            for s in shape[d + 1:]:
                inner *= s
            cur = norm_kernels.pad_backward_dim(cur.reshape(outer, shape[d], inner), outer,
                                                in_shape[d],
                                                inner, before, after, mode)
            shape[d] = in_shape[d]
        return _wrap(cur.reshape(in_shape))

    @staticmethod
    def backward(ctx, gg):
        if ctx.mode != norm_kernels.CONSTANT:
            raise RuntimeError("double backward of reflect/replicate/circular padding is not "
                               "supported")
        return Pad.apply(gg, ctx.pads, ctx.mode, 0.0), None, None, None


def pad(x, pads, mode, value):
    """pads: [(before, after)] for the last len(pads) dims, any count (chunks of 3 per launch)."""
    k = len(pads)
    if k <= 3:
        return Pad.apply(x, tuple(pads), mode, value)
    out = Pad.apply(x, tuple(pads[k - 3:]), mode, value)
    return _pad_leading(out, list(pads[:k - 3]), mode, value)


def _pad_leading(x, pads, mode, value):
    # pad dims [nd-k-3, nd-3): move them last, pad, move back
    k = len(pads)
    nd = x.dim()
    dims = list(range(nd - 3 - k, nd - 3))
    moved = x.movedim(tuple(dims), tuple(range(nd - k, nd)))
    out = pad(moved, list(pads), mode, value)
    return out.movedim(tuple(range(nd - k, nd)), tuple(dims))


# =============================================================================================
# resize
# =============================================================================================
def interp_matrix(n_out, n_in, scale, linear, align_corners, dtype, device):
    return _wrap(norm_kernels.interp_matrix(n_out, n_in, scale, linear, align_corners, dtype,
                                            device))


class Interpolate(Function):
    """nearest / (bi)linear resize of the last one or two dims. Forward gathers torch's taps
    (one launch); backward is Aₕᵀ · g · A_w with the per-axis interpolation matrices, written
    with matmul so it is differentiable again."""
    node_name = "UpsampleBilinear2DBackward0"

    @staticmethod
    def forward(ctx, x, out_sizes, scales, linear, align_corners):
        shape = tuple(x.shape)
        nd = len(out_sizes)
        lead = shape[:len(shape) - nd]
        B = 1
        for s_ in lead:
            B *= s_
        ins = shape[len(shape) - nd:]
        IH, IW = (1, ins[0]) if nd == 1 else ins
        OH, OW = (1, out_sizes[0]) if nd == 1 else out_sizes
        sh, sw = (0.0, scales[0]) if nd == 1 else scales
        xs = x._data
        try:
            xv = xs.view(B, IH, IW)
        except RuntimeError:
            xv = norm_kernels.dense_copy(xs).view(B, IH, IW)
        out = norm_kernels.interp_forward(xv, OH, OW, sh, sw, linear, align_corners)
        ctx.meta = (ins, tuple(out_sizes), tuple(scales), linear, align_corners)
        ctx.x_meta = (x.dtype, x.device)
        return _wrap(out.view(lead + tuple(out_sizes)))

    @staticmethod
    def backward(ctx, g):
        ins, outs, scales, linear, align = ctx.meta
        dtype, device = ctx.x_meta
        mats = [interp_matrix(n_out, n_in, s_, linear, align, dtype, device)
                for n_in, n_out, s_ in zip(ins, outs, scales)]
        dx = g @ mats[-1]                  # (..., Wo) @ (Wo, W)
        if len(mats) == 2:
            dx = mats[0].t() @ dx          # (H, Ho) @ (..., Ho, W)
        return dx, None, None, None, None


__all__ = ["BatchNorm", "batch_norm", "LayerNorm", "GroupNorm", "PhiloxDropout", "dropout", "Pad",
           "PadBackward", "pad", "interp_matrix", "Interpolate"]
