"""matmul in all its forms (dot, mv, mm, batched with broadcasting) and the fused Linear."""
import math

import torch

from .._tensor_ref import tensor_type
from ..autograd import grad_mode
from ..autograd.function import Function
from ..ops import lazy
from ..ops import matmul as matmul_kernels
from ..ops.reduce import _group
from .pointwise import broadcast_shapes
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


def matmul_storage(a, b, bias=None, activation=None, out=None, pre_out=None):
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
                       bias=bias, activation=activation,
                       pre_out=None if pre_out is None else pre_out.view(B, M, N))
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
    """y = x @ Wᵀ + b in one kernel (the bias add is the matmul's epilogue). Its output is
    deferred (minitorch/fusion.py) so that a relu or cross_entropy applied next can run in the
    same launch. Backward: dX = g·W, dW = gᵀ·X through strides (no transposed copies), db = Σ g
    accumulated by the dW launch."""
    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias):
        if x.dim() == 0 or weight.dim() != 2 or x.shape[-1] != weight.shape[-1]:
            lead = math.prod(x.shape[:-1]) if x.dim() else 1
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                               f"({lead}x{x.shape[-1] if x.dim() else 1} and "
                               f"{weight.shape[-1]}x{weight.shape[0]})")
        _check_float(x, weight)
        N = weight.shape[0]
        if bias is not None and tuple(bias.shape) not in ((N,), (), (1,)):
            raise RuntimeError(f"The size of tensor a ({N}) must match the size of "
                               f"tensor b ({bias.shape[-1]}) at non-singleton dimension 1")
        xs, ws = x._data, weight._data.t()
        bs = None if bias is None else bias._data.reshape(-1).expand(N)
        storage = torch.empty((*x.shape[:-1], N), dtype=x.dtype, device=x.device)
        out = _wrap(storage)
        lazy.defer(out, lambda: run_linear(xs, ws, bs, storage), (xs, ws, bs, storage))
        ctx.save_for_backward(x, weight)
        ctx.bias_ref = bias
        ctx.bias_version = None if bias is None else bias._version_counter[0]
        ctx.bias_shape = None if bias is None else tuple(bias.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        need_b = ctx.bias_shape is not None and ctx.needs_input_grad[2]
        if grad_mode.is_grad_enabled():  # create_graph: differentiable composition
            x, w = ctx.saved_tensors
            M = math.prod(x.shape[:-1])
            g2 = g.reshape(M, g.shape[-1]) if g.dim() != 2 else g
            x2 = x.reshape(M, x.shape[-1]) if x.dim() != 2 else x
            gx = matmul(g, w).reshape(x.shape) if need_x else None
            gw = matmul(g2.t(), x2) if need_w else None
            gb = g2.sum(0).sum_to_size(ctx.bias_shape) if need_b else None
            return gx, gw, gb
        return linear_grads(ctx, g)


def linear_grads(ctx, g, relu_mask=None):
    """(dx, dW, db) of a Linear node for the output gradient ``g``, without building a graph:
    dX = g·W (times [relu_mask > 0] in the epilogue when ``relu_mask`` — the ReLU output x came
    from — is given: minitorch/fusion.py's backward fusion), and dW with db = Σ g from the same
    launch."""
    x, w = ctx.saved_tensors
    K, N = w.shape[1], w.shape[0]
    M = math.prod(x.shape[:-1])
    g2 = g.reshape(M, N)._data
    need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
    need_b = ctx.bias_shape is not None and ctx.needs_input_grad[2]
    gx = gw = gb = None
    if need_x:
        mask = None if relu_mask is None else relu_mask.reshape(M, K)._data
        gx = _wrap(matmul_kernels.mm(g2, w._data, relu_mask=mask).view(x.shape))
    rowsum = None
    if need_w:
        # db from the dW launch (it has no program when dW is empty: K == 0)
        rowsum = torch.empty(N, dtype=g2.dtype, device=g2.device) if need_b and K else None
        gw = _wrap(matmul_kernels.mm(g2.t(), x.reshape(M, K)._data, rowsum=rowsum))
    if need_b:
        gb = _wrap(rowsum) if rowsum is not None else _wrap(g2).sum(0)
        if ctx.bias_shape != (N,):
            gb = gb.sum().reshape(ctx.bias_shape)
    return gx, gw, gb


def run_linear(xs, ws, bs, out, activation=None, pre_out=None):
    """out = act(xs @ ws + bs) for xs (..., K), ws (K, N) views, out (..., N) contiguous (the
    deferred Linear's computation, or minitorch/fusion.py's fused ReLU with ``pre_out``)."""
    if xs.dim() == 1:
        out = out.unsqueeze(0)
        pre_out = pre_out.unsqueeze(0) if pre_out is not None else None
    matmul_storage(xs, ws, bias=bs, activation=activation, out=out, pre_out=pre_out)


def linear(x, weight, bias=None, activation=None):
    """F.linear; ``activation='relu'`` is relu(linear(...)) (one launch when fusion is on)."""
    if activation not in (None, "relu"):
        raise ValueError(f"activation must be None or 'relu', got {activation!r}")
    out = Linear.apply(x, weight, bias)
    return out.relu() if activation == "relu" else out


__all__ = ["matmul_shape", "matmul_storage", "Matmul", "Dot", "Mv", "Bmm", "matmul", "Linear",
           "linear_grads", "run_linear", "linear"]
