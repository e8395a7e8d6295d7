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


# ---------------------------------------------------------------------------------------------
# Losses as single graph nodes, named as torch names them (``MseLossBackward0``,
# ``BinaryCrossEntropyBackward0``, ``BinaryCrossEntropyWithLogitsBackward0``), so a tutorial's
# ``loss.grad_fn.next_functions`` walk prints torch's chain. Forward and backward are compositions
# of minitorch ops (Triton kernels); the backward formulas are torch's, written with differentiable
# ops so double backward works.
# ---------------------------------------------------------------------------------------------
def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _upstream(g, loss_shape, n, reduction):
    """The per-element upstream gradient of a reduced loss."""
    if reduction == "mean":
        return (g / n).expand(*loss_shape)
    if reduction == "sum":
        return g.expand(*loss_shape)
    return g


def _to(g, t):
    if g is None or t is None:
        return None
    if tuple(g.shape) != tuple(t.shape):
        g = g.sum_to_size(*t.shape)
    return g


class MseLoss(Function):
    node_name = "MseLossBackward0"

    @staticmethod
    def forward(ctx, input, target, reduction):
        d = input - target
        ctx.reduction, ctx.shape, ctx.n = reduction, tuple(d.shape), d.numel()
        ctx.save_for_backward(input, target)
        return _reduce(d * d, reduction)

    @staticmethod
    def backward(ctx, g):
        input, target = ctx.saved_tensors
        gd = 2 * (input - target) * _upstream(g, ctx.shape, ctx.n, ctx.reduction)
        gi = _to(gd, input) if ctx.needs_input_grad[0] else None
        gt = _to(-gd, target) if ctx.needs_input_grad[1] else None
        return gi, gt, None


class BinaryCrossEntropy(Function):
    node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, input, target, weight, reduction):
        log_x = input.log().clamp(min=-100)
        log_1mx = (1 - input).log().clamp(min=-100)
        loss = -(target * log_x + (1 - target) * log_1mx)
        if weight is not None:
            loss = loss * weight
        ctx.reduction, ctx.shape, ctx.n = reduction, tuple(loss.shape), loss.numel()
        ctx.save_for_backward(input, target, weight)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        input, target, weight = ctx.saved_tensors
        up = _upstream(g, ctx.shape, ctx.n, ctx.reduction)
        if weight is not None:
            up = up * weight
        gi = gt = None
        if ctx.needs_input_grad[0]:
            # torch: (x - t) / max((1 - x) x, 1e-12)
            gi = _to(up * (input - target) / ((1 - input) * input).clamp(min=1e-12), input)
        if ctx.needs_input_grad[1]:
            gt = _to(up * ((1 - input).log().clamp(min=-100) - input.log().clamp(min=-100)),
                     target)
        return gi, gt, None, None


class BinaryCrossEntropyWithLogits(Function):
    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight, reduction):
        # softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0), stable for any x
        sp = (1.0 + (-input.abs()).exp()).log() + (-input).clamp(min=0)
        lw = (pos_weight - 1) * target + 1 if pos_weight is not None else None
        loss = (1 - target) * input + (lw * sp if lw is not None else sp)
        if weight is not None:
            loss = loss * weight
        ctx.reduction, ctx.shape, ctx.n = reduction, tuple(loss.shape), loss.numel()
        ctx.save_for_backward(input, target, weight, pos_weight)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        input, target, weight, pos_weight = ctx.saved_tensors
        up = _upstream(g, ctx.shape, ctx.n, ctx.reduction)
        upw = up * weight if weight is not None else up
        sig_neg = (-input).sigmoid()
        gi = gt = None
        if ctx.needs_input_grad[0]:
            lw = (pos_weight - 1) * target + 1 if pos_weight is not None else 1
            gi = _to(upw * ((1 - target) - lw * sig_neg), input)
        if ctx.needs_input_grad[1]:
            if pos_weight is not None:
                sp = (1.0 + (-input.abs()).exp()).log() + (-input).clamp(min=0)
                d = -input + (pos_weight - 1) * sp
            else:
                d = -input
            gt = _to(upw * d, target)
        # weight and pos_weight are not differentiable (as in torch; checked by the caller)
        return gi, gt, None, None, None


__all__ = ["CrossEntropy", "CrossEntropyBackward", "cross_entropy", "MseLoss", "BinaryCrossEntropy",
           "BinaryCrossEntropyWithLogits"]
