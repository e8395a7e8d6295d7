"""``torch.nn.functional``: activations, dropout, normalisation, embedding and losses, each a
composition of minitorch ops (Triton kernels) or one fused minitorch Function."""
import math

import torch

from ..autograd import grad_mode
from ..functions import linalg as _linalg
from ..functions import linear_loss as _linear_loss
from ..functions import loss as _loss
from ..functions import pointwise as _P
from ..tensor import empty


def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(loss, reduction):
    _check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# ------------------------------------------------------------------------------ linear / activations
def linear(input, weight, bias=None, activation=None):
    """y = x Wᵀ + b in one fused kernel; ``activation='relu'`` fuses the ReLU too."""
    return _linalg.linear(input, weight, bias, activation)


def relu(input, inplace=False):
    if inplace:
        return input.relu_()
    return input.relu()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    out = _P.LeakyRelu.apply(input, float(negative_slope))
    if inplace:
        with grad_mode.no_grad():
            input.copy_(out)
        return input
    return out


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _erf(x):
    """erf via Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), built from minitorch ops."""
    p = 0.3275911
    a1, a2, a3, a4, a5 = 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429
    ax = x.abs()
    t = 1.0 / (1.0 + p * ax)
    poly = t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5))))
    y = 1.0 - poly * (-(ax * ax)).exp()
    return y * x.sign()


def gelu(input, approximate="none"):
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1.0 + inner.tanh())
    if approximate != "none":
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    return 0.5 * input * (1.0 + _erf(input * (1.0 / math.sqrt(2.0))))


def softmax(input, dim=None, dtype=None):
    return input.softmax(dim, dtype=dtype) if dtype is not None else input.softmax(dim)


def log_softmax(input, dim=None, dtype=None):
    return input.log_softmax(dim, dtype=dtype) if dtype is not None else input.log_softmax(dim)


def dropout(input, p=0.5, training=True, inplace=False, generator=None):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
    else:
        with grad_mode.no_grad():
            # Bernoulli(1-p) keep mask from the Philox RNG, pre-scaled by 1/(1-p)
            mask = empty(tuple(input.shape), dtype=input.dtype, device=input.device)
            mask.bernoulli_(1.0 - p, generator=generator)
            mask.mul_(1.0 / (1.0 - p))
        out = input * mask
    if inplace:
        with grad_mode.no_grad():
            input.copy_(out)
        return input
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(input.shape[input.dim() - k:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with "
                           f"shape [*, {', '.join(str(s) for s in normalized_shape)}], but got "
                           f"input of size{list(input.shape)}")
    dims = tuple(range(input.dim() - k, input.dim()))
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dims, keepdim=True)
    out = centered * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    if input.dtype not in (torch.int64, torch.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {input.type()} instead (while "
                           "checking arguments for embedding)")
    flat = input.reshape(-1)
    out = weight.index_select(0, flat)
    if padding_idx is not None:
        # no gradient flows into the padding row: route its lookups through a detached copy
        if padding_idx < 0:
            padding_idx += weight.shape[0]
        keep = (flat != padding_idx).unsqueeze(1)
        out = _P.where(keep, out, out.detach())
    return out.reshape(*input.shape, weight.shape[1])


# ------------------------------------------------------------------------------ losses
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _reduce((input - target).abs(), reduction)


def _check_class_target(input, target, batched):
    if target.dtype.is_floating_point:
        raise RuntimeError(f"expected scalar type Long but found "
                           f"{str(target.dtype).replace('torch.', '').title()}")
    if batched and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")


def _flatten_classes(input, target):
    """(N, C, d1, ...) / (N, C) / (C,) -> (M, C) rows and (M,) targets, plus the per-sample
    output shape."""
    if input.dim() == 1:
        return input.unsqueeze(0), target.reshape(1), ()
    C = input.shape[1]
    if input.dim() == 2:
        return input, target, tuple(target.shape)
    rows = input.movedim(1, -1).reshape(-1, C)
    return rows, target.reshape(-1), tuple(target.shape)


def _validate_targets(target, C, ignore_index):
    with grad_mode.no_grad():
        bad = (target < 0).logical_or(target >= C)
        if ignore_index is not None:
            bad = bad.logical_and(target != ignore_index)
        if bad.any().item():
            first = target.masked_select(bad)[0].item()
            raise IndexError(f"Target {first} is out of bounds.")


def _nll(logp, target, weight, ignore_index, reduction, out_shape):
    """Per-row NLL of (M, C) log-probabilities at class-index targets."""
    C = logp.shape[1]
    _validate_targets(target, C, ignore_index)
    valid = target != ignore_index
    safe = _P.where(valid, target, 0)
    picked = -logp.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = valid.to(logp.dtype)
    if weight is not None:
        w = w * weight.index_select(0, safe)
    loss = picked * w
    if reduction == "none":
        return loss.reshape(out_shape)
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / w.sum()


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    _check_reduction(reduction)
    _check_class_target(input, target, input.dim() > 1)
    logp, t, out_shape = _flatten_classes(input, target)
    return _nll(logp, t, weight, ignore_index, reduction, out_shape)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    _check_reduction(reduction)
    if label_smoothing < 0.0 or label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    if target.dtype.is_floating_point and tuple(target.shape) == tuple(input.shape):
        logp_full = input.log_softmax(class_dim)
        # class probabilities
        C = input.shape[class_dim]
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / C
        term = logp_full * target
        if weight is not None:
            shape = [1] * input.dim()
            shape[class_dim] = C
            term = term * weight.reshape(shape)
        loss = -term.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (loss.numel() if input.dim() > 1 else 1)
        return _reduce(loss, reduction)
    _check_class_target(input, target, input.dim() > 1)
    if weight is None and input.dim() == 2 and target.dim() == 1:
        # the common case: log-softmax + NLL (+ smoothing, ignore_index, reduction) fused into
        # one forward and one backward kernel
        target = target.long()
        # logits straight from a Linear: the whole classifier head is one kernel each way
        fused = _linear_loss.fused_cross_entropy(input, target, reduction, ignore_index,
                                                 float(label_smoothing))
        if fused is not None:
            return fused
        return _loss.cross_entropy(input, target, reduction, ignore_index,
                                   float(label_smoothing))
    logp, t, out_shape = _flatten_classes(input.log_softmax(class_dim), target)
    nll = _nll(logp, t, weight, ignore_index, reduction, out_shape)
    if label_smoothing <= 0.0:
        return nll
    C = logp.shape[1]
    valid = (t != ignore_index).to(logp.dtype)
    lp = logp * weight.unsqueeze(0) if weight is not None else logp
    smooth = -lp.sum(1) * valid
    if reduction == "none":
        smooth = smooth.reshape(out_shape)
    elif reduction == "sum":
        smooth = smooth.sum()
    else:
        if weight is not None:
            denom = (weight.index_select(0, _P.where(t != ignore_index, t, 0)) * valid).sum()
        else:
            denom = valid.sum()
        smooth = smooth.sum() / denom
    return (1.0 - label_smoothing) * nll + (label_smoothing / C) * smooth


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    # log(1 + exp(-|x|)) + max(-x, 0), stable for any x
    softplus_neg = (1.0 + (-input.abs()).exp()).log() + (-input).clamp(min=0)
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


__all__ = ["linear", "relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax",
           "dropout", "layer_norm", "embedding", "mse_loss", "l1_loss", "cross_entropy",
           "nll_loss", "binary_cross_entropy_with_logits"]


# ------------------------------------------------------------------------- convolution / pooling
from ..functions import conv as _conv  # noqa: E402


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv.conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv.conv(input, weight, bias, stride, padding, dilation, groups, 2)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _conv.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode,
                            return_indices)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _conv.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                            divisor_override)


def adaptive_avg_pool2d(input, output_size):
    return _conv.adaptive_avg_pool2d(input, output_size)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _conv.adaptive_max_pool2d(input, output_size, return_indices)


def _pool1d_arg(v):
    return v if isinstance(v, int) else tuple(v)[0]


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"max_pool1d() Expected 2D or 3D input tensor, but got "
                           f"{list(input.shape)}")
    s = None if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else (1, _pool1d_arg(stride))
    out = max_pool2d(input.unsqueeze(-2), (1, _pool1d_arg(kernel_size)), s,
                     (0, _pool1d_arg(padding)), (1, _pool1d_arg(dilation)), ceil_mode,
                     return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"avg_pool1d() Expected 2D or 3D input tensor, but got "
                           f"{list(input.shape)}")
    s = None if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else (1, _pool1d_arg(stride))
    return avg_pool2d(input.unsqueeze(-2), (1, _pool1d_arg(kernel_size)), s,
                      (0, _pool1d_arg(padding)), ceil_mode, count_include_pad).squeeze(-2)
