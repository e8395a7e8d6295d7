"""The classifier head fused: cross_entropy(linear(x, W, b), target) as one forward and one
backward kernel (ops/linear_loss.py). Reached from F.cross_entropy when its input is the deferred
output of a Linear (ops/lazy.py), so ordinary model code gets it."""
from .._tensor_ref import tensor_type
from ..autograd import grad as _grad
from ..autograd import grad_mode
from ..autograd.function import Function
from ..ops import lazy
from ..ops import linear_loss as linear_loss_kernels
from .linalg import is_fused_relu_output, matmul
from .loss import cross_entropy


def _wrap(storage):
    Tensor = tensor_type()
    return Tensor._make(storage)


class LinearCrossEntropy(Function):
    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, w, b, target, reduction, ignore_index, smoothing):
        loss, lse, count = linear_loss_kernels.forward(x._data, w._data,
                                                       None if b is None else b._data,
                                                       target._data, reduction, ignore_index)
        ctx.meta = (target, _wrap(lse), _wrap(count), reduction, ignore_index, smoothing)
        ctx.has_bias = b is not None
        ctx.save_for_backward(x, w, b)
        return _wrap(loss)

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.saved_tensors
        target, lse, count, reduction, ignore_index, smoothing = ctx.meta
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        need_b = need_b and ctx.has_bias
        if grad_mode.is_grad_enabled():
            # create_graph: the same gradient from differentiable pieces
            with grad_mode.enable_grad():
                xs = [t for t, n in ((x, need_x), (w, need_w), (b, need_b)) if n]
                logits = matmul(x, w.t())
                if b is not None:
                    logits = logits + b
                loss = cross_entropy(logits, target, reduction, ignore_index, smoothing)
                grads = iter(_grad(loss, xs, g, create_graph=True))
            return (next(grads) if need_x else None, next(grads) if need_w else None,
                    next(grads) if need_b else None, None, None, None, None)
        relu = need_x and is_fused_relu_output(x)
        dx, dw, db = linear_loss_kernels.backward(x._data, w._data, None if b is None else b._data,
                                                  target._data, lse._data, g._data, count._data,
                                                  reduction, ignore_index, relu,
                                                  need_x, need_w, need_b)
        gx = _wrap(dx) if dx is not None else None
        if relu:
            gx._relu_masked = True
        return (gx, _wrap(dw) if dw is not None else None,
                _wrap(db) if db is not None else None, None, None, None, None)


def fused_cross_entropy(logits, target, reduction, ignore_index, smoothing):
    """cross_entropy(linear(...)) as the fused head when ``logits`` is a deferred Linear output
    the kernels support; None otherwise (the caller takes the ordinary path)."""
    p = logits._pending
    if p is None or p.kind != "linear":
        return None
    x, w, b = p.args
    if not linear_loss_kernels.supported(x, w, target, smoothing):
        return None
    if lazy.take(logits, "linear") is None:
        return None
    return LinearCrossEntropy.apply(x, w, b, target, reduction, ignore_index, smoothing)


__all__ = ["LinearCrossEntropy", "fused_cross_entropy"]
