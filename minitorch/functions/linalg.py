"""matmul in all its forms (dot, mv, mm, batched with broadcasting) and the fused Linear."""
import math

import torch

from ..autograd.function import Function
from ..ops import matmul as MM
from .pointwise import broadcast_shapes
from .shape import dense_copy


def _wrap(storage):
    from ..tensor import Tensor
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
    from ..ops.reduce import _group
    x = storage.expand(*batch, rows, cols)
    B = math.prod(batch)
    g = _group(x.shape[:-2], x.stride()[:-2])
    if g is None:
        x = dense_copy(x)
        g = (B, rows * cols)
    return x.as_strided((B, rows, cols), (g[1] if B > 1 else 0, x.stride(-2), x.stride(-1)),
                        x.storage_offset())


def matmul_storage(a, b, bias=None, activation=None):
    """Storage-level matmul with torch.matmul's shape rules; returns a new storage tensor."""
    a2 = a.unsqueeze(0) if a.dim() == 1 else a
    b2 = b.unsqueeze(-1) if b.dim() == 1 else b
    M, K = a2.shape[-2:]
    N = b2.shape[-1]
    batch = broadcast_shapes(tuple(a2.shape[:-2]), tuple(b2.shape[:-2]))
    out = torch.empty((*batch, M, N), dtype=a.dtype, device=a.device)
    B = math.prod(batch)
    MM.bmm(_batched(a2, batch, M, K), _batched(b2, batch, K, N), out.view(B, M, N), bias=bias,
           activation=activation)
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
        out = _wrap(matmul_storage(x._data, weight._data.t(),
                                   bias=None if bias is None else bias._data.expand(
                                       weight.shape[0]), activation=activation))
        ctx.save_for_backward(x, weight, out if activation else None)
        ctx.has_bias = bias is not None
        ctx.bias_shape = None if bias is None else tuple(bias.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        from .pointwise import threshold_backward
        x, w, out = ctx.saved_tensors
        if ctx.activation == "relu":
            g = threshold_backward(g, out)
        g2 = g.reshape(-1, g.shape[-1]) if g.dim() != 2 else g
        x2 = x.reshape(-1, x.shape[-1]) if x.dim() != 2 else x
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = matmul(g, w)
        if ctx.needs_input_grad[1]:
            gw = matmul(g2.t(), x2)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = g2.sum(0).reshape(ctx.bias_shape)
        return gx, gw, gb, None


def linear(x, weight, bias=None, activation=None):
    return Linear.apply(x, weight, bias, activation)
