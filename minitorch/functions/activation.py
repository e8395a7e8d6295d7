"""Differentiable softmax and log_softmax (kernels: ops/softmax.py), with a fused backward that
is itself differentiable (double backward)."""
from .._tensor_ref import tensor_type
from ..autograd.function import Function
from ..ops import softmax as softmax_kernels
from .pointwise import type_name

__all__ = ["Softmax", "LogSoftmax", "SoftmaxBackward", "softmax_backward"]


def _wrap(storage):
    Tensor = tensor_type()
    return Tensor._make(storage)


class Softmax(Function):
    node_name = "SoftmaxBackward0"
    log = False

    @staticmethod
    def forward(ctx, x, dim):
        cls = ctx._function
        if not x.dtype.is_floating_point:
            kernel = "log_softmax" if cls.log else "softmax"
            raise NotImplementedError(f'"{kernel}_lastdim_kernel_impl" not implemented for '
                                      f"'{type_name(x.dtype)}'")
        ctx.dim = dim
        out = _wrap(softmax_kernels.softmax(x._data, dim, cls.log))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return softmax_backward(g, y, ctx.dim, ctx._function.log), None


class LogSoftmax(Softmax):
    node_name = "LogSoftmaxBackward0"
    log = True


class SoftmaxBackward(Function):
    """The fused softmax backward, differentiable for double backward."""
    node_name = "SoftmaxBackwardDataBackward0"

    @staticmethod
    def forward(ctx, g, y, dim, log):
        ctx.dim, ctx.log = dim, log
        ctx.save_for_backward(g, y)
        return _wrap(softmax_kernels.softmax_backward(g._data, y._data, dim, log))

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        d = ctx.dim
        if ctx.log:
            # dx = g - exp(y) * sum(g)
            p = y.exp()
            sg = g.sum(d, keepdim=True)
            ggrad = gg - (gg * p).sum(d, keepdim=True)
            ygrad = -gg * p * sg
        else:
            # dx = y * (g - sum(g * y))
            s = (g * y).sum(d, keepdim=True)
            gy = (gg * y).sum(d, keepdim=True)
            ggrad = y * gg - y * gy
            ygrad = gg * (g - s) - g * gy
        return ggrad, ygrad, None, None


def softmax_backward(g, y, dim, log):
    return SoftmaxBackward.apply(g, y, dim, log)
