"""matmul in all its forms (dot, mv, mm, batched with broadcasting) and the fused Linear."""
import math

import torch

from .._tensor_ref import tensor_type
from ..autograd import grad_mode
from ..autograd.function import Function
from ..ops import lazy
from ..ops import matmul as matmul_kernels
from ..ops.reduce import _group
from .pointwise import broadcast_shapes, threshold_backward
from .shape import dense_copy


def _wrap(storage):
    Tensor = tensor_type()
    return Tensor._make(storage)


def _dtype_name(dt):
    return {torch.float32: "float", torch.float64: "double", torch.float16: "c10::Half",
            torch.bfloat16: "c10::BFloat16", torch.int64: "long int", torch.int32: "int",
            torch.bool: "bool"}.get(dt, str(dt))


def _check_float(a, b):
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_dtype_name(a.dtype)} != {_dtype_name(b.dtype)}")
    if not a.dtype.is_floating_point:
        raise RuntimeError(f"\"addmm_impl_cpu_\" not implemented for "
                           f"'{str(a.dtype).replace('torch.', '').title()}'")
    if a.device != b.device:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           f"devices, {a.device} and {b.device}!")


def _check_shapes(a, b):
    if a.dim() == 0 or b.dim() == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.dim()}D and {b.dim()}D")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.dim() == 1 else b.shape[-2]
    if k_a == k_b:
        return
    if a.dim() == 1 and b.dim() == 1:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{k_a}] and src [{k_b}] to "
                           f"have the same number of elements, but got {k_a} and {k_b} elements "
                           "respectively")
    if a.dim() == 2 and b.dim() == 1:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{k_a}), "
                           f"vec ({k_b})")
    sa = "x".join(str(s) for s in (a.shape if a.dim() > 1 else (1, k_a))[-2:])
    sb = "x".join(str(s) for s in (b.shape if b.dim() > 1 else (k_b, 1))[-2:])
    raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")


def _batched(storage, batch, rows, cols):
    """Expand ``storage`` to batch+(rows, cols) and view it as (B, rows, cols) — copying only if
    the batch dims can't be merged into one stride."""
    x = storage.expand(*batch, rows, cols)
    B = math.prod(batch)
    g = _group(x.shape[:-2], x.stride()[:-2])
    if g is None:
        x = dense_copy(x)
        g = (B, rows * cols)
    return x.as_strided((B, rows, cols), (g[1] if B > 1 else 0, x.stride(-2), x.stride(-1)),
                        x.storage_offset())


def matmul_shape(a, b):
    a2 = a.unsqueeze(0) if a.dim() == 1 else a
    b2 = b.unsqueeze(-1) if b.dim() == 1 else b
    batch = broadcast_shapes(tuple(a2.shape[:-2]), tuple(b2.shape[:-2]))
    return (*batch, a2.shape[-2], b2.shape[-1])


def matmul_storage(a, b, bias=None, activation=None, out=None):
    """Storage-level matmul with torch.matmul's shape rules, into ``out`` (contiguous, of
    ``matmul_shape``) or a new storage tensor."""
    a2 = a.unsqueeze(0) if a.dim() == 1 else a
    b2 = b.unsqueeze(-1) if b.dim() == 1 else b
    M, K = a2.shape[-2:]
    N = b2.shape[-1]
    batch = broadcast_shapes(tuple(a2.shape[:-2]), tuple(b2.shape[:-2]))
    if out is None:
        out = torch.empty((*batch, M, N), dtype=a.dtype, device=a.device)
    B = math.prod(batch)
    matmul_kernels.bmm(_batched(a2, batch, M, K), _batched(b2, batch, K, N), out.view(B, M, N),
                       bias=bias, activation=activation)
    if a.dim() == 1:
        out = out.squeeze(-2)
    if b.dim() == 1:
        out = out.squeeze(-1)
    return out


class Matmul(Function):
    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        _check_shapes(a, b)
        _check_float(a, b)
        ctx.save_for_backward(a, b)
        return _wrap(matmul_storage(a._data, b._data))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a2 = a.unsqueeze(0) if a.dim() == 1 else a
        b2 = b.unsqueeze(-1) if b.dim() == 1 else b
        batch = broadcast_shapes(tuple(a2.shape[:-2]), tuple(b2.shape[:-2]))
        g2 = g.reshape(*batch, a2.shape[-2], b2.shape[-1])
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = matmul(g2, b2.mT).sum_to_size(a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            gb = matmul(a2.mT, g2).sum_to_size(b2.shape).reshape(b.shape)
        return ga, gb


class Dot(Matmul):
    node_name = "DotBackward0"


class Mv(Matmul):
    node_name = "MvBackward0"


class Bmm(Matmul):
    node_name = "BmmBackward0"


def matmul(a, b):
    if a.dim() == 1 and b.dim() == 1:
        return Dot.apply(a, b)
    if a.dim() == 2 and b.dim() == 1:
        return Mv.apply(a, b)
    if a.dim() <= 2 and b.dim() <= 2:
        return Matmul.apply(a, b)
    return Bmm.apply(a, b)


class Linear(Function):
    """y = act(x @ Wᵀ + b) in one kernel (the bias add and activation are the matmul's epilogue).
    Backward: dX = g·W, dW = gᵀ·X through strides (no transposed copies), db = Σ g."""
    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, activation):
        if x.dim() == 0 or x.shape[-1] != weight.shape[-1]:
            lead = math.prod(x.shape[:-1]) if x.dim() else 1
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                               f"({lead}x{x.shape[-1] if x.dim() else 1} and "
                               f"{weight.shape[1]}x{weight.shape[0]})")
        _check_float(x, weight)
        if bias is not None and tuple(bias.shape) not in ((weight.shape[0],), ()):
            raise RuntimeError(f"The size of tensor a ({weight.shape[0]}) must match the size of "
                               f"tensor b ({bias.shape[-1]}) at non-singleton dimension 1")
        ctx.activation = activation
        xs, ws = x._data, weight._data.t()
        bs = None if bias is None else bias._data.expand(weight.shape[0])
        if activation is None:
            # deferred: a relu applied next fuses into this launch (ops/lazy.py)
            storage = torch.empty(matmul_shape(xs, ws), dtype=x.dtype, device=x.device)
            out = _wrap(storage)
            lazy.defer(out, lambda: matmul_storage(xs, ws, bias=bs, out=storage),
                       (x, weight) + (() if bias is None else (bias,)), "linear",
                       (x, weight, bias))
        else:
            out = _wrap(matmul_storage(xs, ws, bias=bs, activation=activation))
        ctx.save_for_backward(x, weight, out if activation else None)
        ctx.has_bias = bias is not None
        ctx.bias_shape = None if bias is None else tuple(bias.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, out = ctx.saved_tensors
        if ctx.activation == "relu" and not getattr(g, "_relu_masked", False):
            g = threshold_backward(g, out)
        g2 = g.reshape(-1, g.shape[-1]) if g.dim() != 2 else g
        x2 = x.reshape(-1, x.shape[-1]) if x.dim() != 2 else x
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        need_b = ctx.has_bias and ctx.needs_input_grad[2]
        if grad_mode.is_grad_enabled():  # create_graph: differentiable composition
            gx = matmul(g, w) if need_x else None
            gw = matmul(g2.t(), x2) if need_w else None
            gb = g2.sum(0).reshape(ctx.bias_shape) if need_b else None
            return gx, gw, gb, None
        gx = gw = gb = None
        if need_x:
            # if x is the ReLU output of a fused Linear, apply its derivative here (epilogue)
            # and tell that node the gradient is already masked
            if is_fused_relu_output(x):
                gx = _wrap(matmul_kernels.mm(g2._data, w._data, relu_mask=x._data))
                gx._relu_masked = True
            else:
                gx = matmul(g, w)
        if need_w:
            rowsum = torch.empty(g2.shape[1], dtype=g2.dtype, device=g2.device) if need_b \
                else None
            gw = _wrap(matmul_kernels.mm(g2._data.t(), x2._data, rowsum=rowsum))
            if need_b:
                gb = _wrap(rowsum.view(ctx.bias_shape))
        elif need_b:
            gb = g2.sum(0).reshape(ctx.bias_shape)
        return gx, gw, gb, None


def is_fused_relu_output(x):
    """True when x is the output of a fused Linear+ReLU node: a consumer's backward may then apply
    the ReLU derivative in its own epilogue (tagging the gradient ``_relu_masked``)."""
    producer = x.grad_fn
    return (x.dim() == 2 and producer is not None and x.output_nr == 0
            and getattr(producer, "activation", None) == "relu"
            and issubclass(getattr(producer, "_function", type), Linear))


class LinearReLU(Linear):
    """relu(linear(x)) fused; its node carries relu's name, as the op the user called last."""
    node_name = "ReluBackward0"


def linear(x, weight, bias=None, activation=None):
    if activation == "relu":
        return LinearReLU.apply(x, weight, bias, activation)
    return Linear.apply(x, weight, bias, activation)


def fuse_relu(x):
    """relu(x) as one fused launch when x is the pending output of a Linear; else None."""
    args = lazy.take(x, "linear")
    if args is None:
        return None
    return linear(*args, activation="relu")


__all__ = ["matmul_shape", "matmul_storage", "Matmul", "Dot", "Mv", "Bmm", "matmul", "Linear",
           "is_fused_relu_output", "LinearReLU", "linear", "fuse_relu"]
