"""Convolution and pooling Functions: argument checks with PyTorch's messages, and the autograd
Functions that launch the kernels of ops/conv.py and ops/pool.py.

The convolution's backward is itself differentiable: its two halves are Functions whose own
backwards are convolutions again (grad-input is linear in (dY, W), grad-weight in (X, dY)).
"""
import torch

from .._tensor_ref import wrap
from ..autograd import grad_mode
from ..autograd.function import Function, once_differentiable
from ..ops import conv as conv_kernels
from ..ops import pool as pool_kernels
from .pointwise import threshold_backward


def _wrap(storage):
    return wrap(storage)


def _dtype_name(dt):
    return {torch.float32: "Float", torch.float64: "Double", torch.float16: "Half",
            torch.bfloat16: "BFloat16", torch.int64: "Long", torch.int32: "Int",
            torch.bool: "Bool"}.get(dt, str(dt))


def _tuple(v, nd, name):
    if isinstance(v, int):
        return (int(v),) * nd
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} values "
                           f"to match the convolution dimensions, but got {name}={list(v)}")
    return v


# ------------------------------------------------------------------------------------- convolution
class ConvParams:
    """stride, padding (top, left, bottom, right), dilation, groups — always 2-D."""

    def __init__(self, stride, padding, dilation, groups):
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups

    def args(self):
        return self.stride, self.padding, self.dilation, self.groups


def conv_check(input, weight, bias, stride, padding, dilation, groups, nd):
    """Validate conv{nd}d's arguments like PyTorch; returns (batched, ConvParams) with the
    parameters made 2-D (a 1-D convolution is a 2-D one with H = 1)."""
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"conv{nd}d, but got input of size: {list(input.shape)}")
    if weight.dim() != nd + 2:
        raise RuntimeError(f"Expected {nd + 2}D weight for conv{nd}d, but got weight of size: "
                           f"{list(weight.shape)}")
    batched = input.dim() == nd + 2
    in_shape = list(input.shape) if batched else [1] + list(input.shape)
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    if not isinstance(groups, int) or groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    ks = list(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pad_lo = pad_hi = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, ks)]
            pad_lo = tuple(t // 2 for t in total)
            pad_hi = tuple(t - t // 2 for t in total)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pad_lo = pad_hi = _tuple(padding, nd, "padding")
        if any(p < 0 for p in pad_lo):
            raise RuntimeError("negative padding is not supported")
    if weight.shape[0] % groups != 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size [{list(weight.shape)}] instead")
    if in_shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{in_shape} to have {weight.shape[1] * groups} channels, but got "
                           f"{in_shape[1]} channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != weight.shape[0]):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[0]} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"\"conv{nd}d\" not implemented for '{_dtype_name(input.dtype)}'")
    if weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_name(input.dtype)} but found "
                           f"{_dtype_name(weight.dtype)}")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_dtype_name(input.dtype).lower()}) and bias type "
                           f"({_dtype_name(bias.dtype).lower()}) should be the same")
    if input.device != weight.device or (bias is not None and bias.device != input.device):
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           f"devices, {input.device} and {weight.device}!")
    padded = [s + lo + hi for s, lo, hi in zip(in_shape[2:], pad_lo, pad_hi)]
    eff = [d * (k - 1) + 1 for d, k in zip(dilation, ks)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than "
                           f"actual input size")
    if nd == 1:
        stride, dilation = (1,) + stride, (1,) + dilation
        pad_lo, pad_hi = (0,) + pad_lo, (0,) + pad_hi
    return batched, ConvParams(stride, pad_lo + pad_hi, dilation, groups)


class Conv2d(Function):
    """y = act(conv2d(x, W) + b): one implicit-GEMM launch forward; backward one launch for dX
    and one for dW and db together."""
    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, params, activation=None):
        ctx.params, ctx.activation = params, activation
        b = None if bias is None else bias._data
        out = _wrap(conv_kernels.conv2d_forward(x._data, weight._data, b, *params.args(),
                                                activation=activation))
        ctx.save_for_backward(x, weight, out if activation else None)
        ctx.has_bias = bias is not None
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, out = ctx.saved_tensors
        p = ctx.params
        if ctx.activation == "relu":
            g = threshold_backward(g, out)
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        need_b = ctx.has_bias and ctx.needs_input_grad[2]
        gx = gw = gb = None
        if grad_mode.is_grad_enabled():  # create_graph: differentiable halves
            if need_x:
                gx = ConvInputGrad.apply(g, w, tuple(x.shape), p)
            if need_w:
                gw = ConvWeightGrad.apply(x, g, tuple(w.shape), p)
            if need_b:
                gb = g.sum((0, 2, 3))
            return gx, gw, gb, None, None
        if need_x:
            gx = _wrap(conv_kernels.conv2d_backward_input(g._data, w._data, tuple(x.shape),
                                                          *p.args()))
        if need_w or need_b:
            dw, db = conv_kernels.conv2d_backward_weight(x._data, g._data, tuple(w.shape),
                                                         *p.args(),
                                                         want_bias=need_b)
            gw = _wrap(dw) if need_w else None
            gb = _wrap(db) if need_b else None
        return gx, gw, gb, None, None


class ConvReLU(Conv2d):
    """relu(conv2d(...)) fused; its node carries relu's name, as the op called last."""
    node_name = "ReluBackward0"


class ConvInputGrad(Function):
    """dX = conv_transpose(dY, W) (the convolution's input gradient), differentiable."""
    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, g, w, x_shape, params):
        ctx.params, ctx.x_shape = params, x_shape
        ctx.save_for_backward(g, w)
        return _wrap(conv_kernels.conv2d_backward_input(g._data, w._data, x_shape, *params.args()))

    @staticmethod
    def backward(ctx, h):
        g, w = ctx.saved_tensors
        dg = dw = None
        if ctx.needs_input_grad[0]:
            dg = Conv2d.apply(h, w, None, ctx.params)
        if ctx.needs_input_grad[1]:
            dw = ConvWeightGrad.apply(h, g, tuple(w.shape), ctx.params)
        return dg, dw, None, None


class ConvWeightGrad(Function):
    """dW = Σ dY ⊗ X-patches (the convolution's weight gradient), differentiable."""
    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, g, w_shape, params):
        ctx.params = params
        ctx.save_for_backward(x, g)
        dw, _ = conv_kernels.conv2d_backward_weight(x._data, g._data, w_shape, *params.args())
        return _wrap(dw)

    @staticmethod
    def backward(ctx, h):
        x, g = ctx.saved_tensors
        dx = dg = None
        if ctx.needs_input_grad[0]:
            dx = ConvInputGrad.apply(g, h, tuple(x.shape), ctx.params)
        if ctx.needs_input_grad[1]:
            dg = Conv2d.apply(x, h, None, ctx.params)
        return dx, dg, None, None


def conv(input, weight, bias, stride, padding, dilation, groups, nd, activation=None):
    """conv1d / conv2d over a minitorch Tensor (batched or not)."""
    batched, params = conv_check(input, weight, bias, stride, padding, dilation, groups, nd)
    x = input if batched else input.unsqueeze(0)
    w = weight
    if nd == 1:
        x, w = x.unsqueeze(2), weight.unsqueeze(2)
    fn = ConvReLU if activation == "relu" else Conv2d
    y = fn.apply(x, w, bias, params, activation)
    if nd == 1:
        y = y.squeeze(2)
    return y if batched else y.squeeze(0)


# ----------------------------------------------------------------------------------------- pooling
def _pool_pair(v, name):
    if isinstance(v, int):
        return (int(v), int(v))
    v = tuple(int(e) for e in v)
    if len(v) == 1:
        return v * 2
    if len(v) != 2:
        raise RuntimeError(f"{name} must either be a single int, or a tuple of two ints")
    return v


def pool_out_size(size, k, pad, stride, dil, ceil_mode):
    out = (size + 2 * pad - dil * (k - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


class PoolParams:
    def __init__(self, mode, out_hw, kernel, stride, padding, dilation=(1, 1), adaptive=False,
                 count_include_pad=True, divisor_override=None):
        self.mode, self.out_hw, self.kernel, self.stride = mode, out_hw, kernel, stride
        self.padding, self.dilation, self.adaptive = padding, dilation, adaptive
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward_kwargs(self):
        return dict(dilation=self.dilation, adaptive=self.adaptive,
                    count_include_pad=self.count_include_pad,
                    divisor_override=self.divisor_override)


def pool_check(input, kernel_size, stride, padding, dilation, ceil_mode, name, is_max):
    """PyTorch's checks for max_pool2d / avg_pool2d; returns the 2-D parameters and output size."""
    if input.dim() not in (3, 4) or any(s == 0 for s in input.shape[-3:]) and input.dim() == 3:
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if input.dim() == 4 and any(s == 0 for s in input.shape[1:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{list(input.shape)}")
    k = _pool_pair(kernel_size, "max_pool2d: kernel_size" if is_max else
                   "avg_pool2d: kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _pool_pair(stride, f"{name}: stride")
    p = _pool_pair(padding, f"{name}: padding")
    d = _pool_pair(dilation, "max_pool2d: dilation")
    if any(e == 0 for e in s):
        raise RuntimeError("stride should not be zero")
    if any(e <= 0 for e in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: "
                           f"{k[1]}")
    if any(e <= 0 for e in s):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if any(e <= 0 for e in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} "
                           f"dilationW: {d[1]}")
    if any(e < 0 for e in p):
        raise RuntimeError("pad must be non-negative")
    for kk, pp, dd in zip(k, p, d):
        if pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dd}")
    H, W = input.shape[-2:]
    OH = pool_out_size(H, k[0], p[0], s[0], d[0], ceil_mode)
    OW = pool_out_size(W, k[1], p[1], s[1], d[1], ceil_mode)
    if OH < 1 or OW < 1:
        C = input.shape[-3]
        raise RuntimeError(f"Given input size: ({C}x{H}x{W}). Calculated output size: "
                           f"({C}x{OH}x{OW}). Output size is too small")
    return k, s, p, d, (OH, OW)


def adaptive_check(input, output_size, name):
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    for i in range(1, input.dim()):
        if input.shape[i] == 0 and not (input.dim() == 4 and i == 0):
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")
    H, W = input.shape[-2:]
    if isinstance(output_size, int):
        out = (output_size, output_size)
    else:
        out = tuple(output_size)
        if len(out) == 1:
            out = out * 2
        if len(out) != 2:
            raise ValueError(f"{name}: output_size must be 2")
        out = (H if out[0] is None else int(out[0]), W if out[1] is None else int(out[1]))
    if any(o < 0 for o in out):
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 "
                           f"but received {{{out[0]}, {out[1]}}}")
    kh = pool_kernels.adaptive_kernel_size(H, out[0]) if out[0] > 0 else 1
    kw = pool_kernels.adaptive_kernel_size(W, out[1]) if out[1] > 0 else 1
    return out, (kh, kw)


class MaxPool2d(Function):
    node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, params):
        ctx.params, ctx.x_shape = params, tuple(x.shape)
        y, idx = pool_kernels.pool2d_forward(x._data, pool_kernels.MAX, params.out_hw,
                                             params.kernel, params.stride,
                                             params.padding, return_indices=True,
                                             **params.forward_kwargs())
        ctx.indices = params.indices = idx
        return _wrap(y)

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        p = ctx.params
        return _wrap(pool_kernels.pool2d_backward(g._data, ctx.indices, ctx.x_shape,
                                                  pool_kernels.MAX, p.kernel,
                                                  p.stride, p.padding, adaptive=p.adaptive)), None


class AdaptiveMaxPool2d(MaxPool2d):
    node_name = "AdaptiveMaxPool2DBackward0"


class AvgPool2d(Function):
    """Average pooling; its backward (a scatter of dY / divisor) is a Function whose own backward
    is the average pooling again, so higher derivatives work."""
    node_name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, params):
        ctx.params, ctx.x_shape = params, tuple(x.shape)
        y, _ = pool_kernels.pool2d_forward(x._data, pool_kernels.AVG, params.out_hw, params.kernel,
                                           params.stride,
                                           params.padding, **params.forward_kwargs())
        return _wrap(y)

    @staticmethod
    def backward(ctx, g):
        return AvgPool2dBackward.apply(g, ctx.x_shape, ctx.params), None


class AdaptiveAvgPool2d(AvgPool2d):
    node_name = "AdaptiveAvgPool2DBackward0"


class AvgPool2dBackward(Function):
    node_name = "AvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x_shape, params):
        ctx.params = params
        p = params
        return _wrap(pool_kernels.pool2d_backward(g._data, None, x_shape, pool_kernels.AVG,
                                                  p.kernel, p.stride,
                                                  p.padding, adaptive=p.adaptive,
                                                  count_include_pad=p.count_include_pad,
                                                  divisor_override=p.divisor_override))

    @staticmethod
    def backward(ctx, h):
        fn = AdaptiveAvgPool2d if ctx.params.adaptive else AvgPool2d
        return fn.apply(h, ctx.params), None, None


def _batched(input, fn):
    if input.dim() == 3:
        return fn(input.unsqueeze(0), True)
    return fn(input, False)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    k, s, p, d, out = pool_check(input, kernel_size, stride, padding, dilation, ceil_mode,
                                 "max_pool2d", True)
    params = PoolParams(pool_kernels.MAX, out, k, s, p, d)
    return _max_common(input, params, MaxPool2d, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    out, k = adaptive_check(input, output_size, "adaptive_max_pool2d")
    params = PoolParams(pool_kernels.MAX, out, k, (1, 1), (0, 0), adaptive=True)
    return _max_common(input, params, AdaptiveMaxPool2d, return_indices)


def _max_common(input, params, fn, return_indices):
    squeeze = input.dim() == 3
    x = input.unsqueeze(0) if squeeze else input
    y = fn.apply(x, params)
    if return_indices:
        ind = _wrap(params.indices)
        return (y.squeeze(0), ind.squeeze(0)) if squeeze else (y, ind)
    return y.squeeze(0) if squeeze else y


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    k, s, p, d, out = pool_check(input, kernel_size, stride, padding, 1, ceil_mode,
                                 "avg_pool2d", False)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    params = PoolParams(pool_kernels.AVG, out, k, s, p, count_include_pad=count_include_pad,
                        divisor_override=divisor_override)
    squeeze = input.dim() == 3
    y = AvgPool2d.apply(input.unsqueeze(0) if squeeze else input, params)
    return y.squeeze(0) if squeeze else y


def adaptive_avg_pool2d(input, output_size):
    out, k = adaptive_check(input, output_size, "adaptive_avg_pool2d")
    params = PoolParams(pool_kernels.AVG, out, k, (1, 1), (0, 0), adaptive=True)
    squeeze = input.dim() == 3
    y = AdaptiveAvgPool2d.apply(input.unsqueeze(0) if squeeze else input, params)
    return y.squeeze(0) if squeeze else y


__all__ = ["ConvParams", "conv_check", "Conv2d", "ConvReLU", "ConvInputGrad", "ConvWeightGrad",
           "conv", "pool_out_size", "PoolParams", "pool_check", "adaptive_check", "MaxPool2d",
           "AdaptiveMaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AvgPool2dBackward",
           "max_pool2d", "adaptive_max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]
