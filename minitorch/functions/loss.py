"""Fused cross-entropy (log-softmax + NLL in one forward kernel, one backward kernel)."""

from .._tensor_ref import arange, tensor_type
from ..autograd.function import Function
from ..ops import loss as loss_kernels


def _wrap(storage):
    Tensor = tensor_type()
    return Tensor._make(storage)


class CrossEntropy(Function):
    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, reduction, ignore_index, smoothing):
        loss, lse, count = loss_kernels.cross_entropy_forward(x._data, target._data, reduction,
                                                              ignore_index, smoothing)
        ctx.reduction, ctx.ignore_index, ctx.smoothing = reduction, ignore_index, smoothing
        ctx.lse, ctx.count, ctx.target = _wrap(lse), _wrap(count), target
        ctx.save_for_backward(x)
        return _wrap(loss)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (CrossEntropyBackward.apply(g, x, ctx.target, ctx.lse, ctx.count, ctx.reduction,
                                           ctx.ignore_index, ctx.smoothing),
                None, None, None, None)


class CrossEntropyBackward(Function):
    """d loss / d logits, itself differentiable (double backward through cross-entropy)."""
    node_name = "NllLossBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, target, lse, count, reduction, ignore_index, smoothing):
        ctx.save_for_backward(g, x)
        ctx.meta = (target, count, reduction, ignore_index, smoothing)
        return _wrap(loss_kernels.cross_entropy_backward(x._data, target._data, lse._data, g._data,
                                                         reduction, count._data, ignore_index,
                                                         smoothing))

    @staticmethod
    def backward(ctx, gg):
        # dx = (p - y~) * w where p = softmax(x), w = per-row weight (g / count, 0 if ignored).
        g, x = ctx.saved_tensors
        target, count, reduction, ignore_index, smoothing = ctx.meta
        p = x.softmax(-1)
        valid = (target != ignore_index).to(x.dtype)
        w = g * valid
        if reduction == "mean":
            w = w / count
        w = w.unsqueeze(-1)
        # d/dx: w * (p * gg - p * sum(p * gg))
        pg = (p * gg).sum(-1, keepdim=True)
        gx = w * (p * gg - p * pg)
        # d/dg: sum over classes of (p - y~) * gg * valid (/count)
        classes = arange(x.shape[-1], device=x.device)
        onehot = (classes == target.unsqueeze(-1)).to(x.dtype) * (1.0 - smoothing) \
            + smoothing / x.shape[-1]
        per_row = ((p - onehot) * gg).sum(-1) * valid
        if reduction == "mean":
            per_row = per_row / count
        gg_g = per_row if reduction == "none" else per_row.sum()
        return gg_g, gx, None, None, None, None, None, None


def cross_entropy(x, target, reduction="mean", ignore_index=-100, label_smoothing=0.0):
    return CrossEntropy.apply(x, target, reduction, ignore_index, label_smoothing)


__all__ = ["CrossEntropy", "CrossEntropyBackward", "cross_entropy"]
