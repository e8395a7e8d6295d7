"""``torch.nn.functional``: activations, dropout, normalisation, embedding and losses, each a
composition of minitorch ops (Triton kernels) or one fused minitorch Function."""
import math
import warnings

import numpy as _np
import torch

from .. import fusion as _fusion
from ..autograd import grad_mode
from ..creation import arange
from ..functions import conv as _conv
from ..functions import inplace as _inplace
from ..functions import linalg as _linalg
from ..functions import loss as _loss
from ..functions import normalization as _normalization
from ..functions import pointwise as _pointwise
from ..tensor import Tensor


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


# ---------------------------------------------------------------------------- linear / activations
def linear(input, weight, bias=None, activation=None):
    """y = x Wᵀ + b in one kernel; ``activation='relu'`` is relu(linear(...)), one launch."""
    return _linalg.linear(input, weight, bias, activation)


def relu(input, inplace=False):
    if inplace:
        return input.relu_()
    return input.relu()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _apply_inplace(
        input, lambda x: _pointwise.LeakyRelu.apply(x, float(negative_slope)), inplace)


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


def _half(x):
    """float16/bfloat16 activations are computed in float32 and rounded once, as torch's
    (each op of a composition rounding to half lost most digits: gelu(-3.4) was off by 33%)."""
    return x.dtype in (torch.float16, torch.bfloat16)


def gelu(input, approximate="none"):
    if _half(input):
        return gelu(input.float(), approximate).to(input.dtype)
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1.0 + inner.tanh())
    if approximate != "none":
        raise RuntimeError("approximate argument must be either none or tanh.")
    return 0.5 * input * (1.0 + _erf(input * (1.0 / math.sqrt(2.0))))


def softmax(input, dim=None, dtype=None):
    return input.softmax(dim, dtype=dtype) if dtype is not None else input.softmax(dim)


def log_softmax(input, dim=None, dtype=None):
    return input.log_softmax(dim, dtype=dtype) if dtype is not None else input.log_softmax(dim)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    if input.dtype not in (torch.int64, torch.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {input.type()} instead (while "
                           "checking arguments for embedding)")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("minitorch's embedding does not support scale_grad_by_freq=True "
                                  "or sparse=True")
    flat = input.reshape(-1)
    if max_norm is not None:
        # torch's embedding_renorm_: rows looked up whose norm exceeds max_norm are rescaled in
        # place (no gradient) to max_norm / (norm + 1e-7)
        with grad_mode.no_grad():
            rows = weight.index_select(0, flat)
            norms = rows.norm(norm_type, dim=1, keepdim=True)
            scale = (max_norm / (norms + 1e-7)).clamp(max=1.0)
            weight[flat] = rows * _pointwise.where(norms > max_norm, scale, scale * 0 + 1)
    out = weight.index_select(0, flat)
    if padding_idx is not None:
        # no gradient flows into the padding row: route its lookups through a detached copy
        if padding_idx < 0:
            padding_idx += weight.shape[0]
        keep = (flat != padding_idx).unsqueeze(1)
        out = _pointwise.where(keep, out, out.detach())
    return out.reshape(*input.shape, weight.shape[1])


# ------------------------------------------------------------------------------ losses
def _warn_target_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", stacklevel=3)


def _weighted(loss, weight, input, reduction, mean_by_weight):
    """torch 2.x's ``weight=`` of mse/l1/huber: elementwise weights of input's size; 'mean' is
    sum(w·loss)/sum(w) for mse and l1, mean(w·loss) for huber."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if mean_by_weight else loss.mean()


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _warn_target_size(input, target)
    if weight is not None:
        return _weighted((input - target) ** 2, weight, input, reduction, True)
    return _loss.MseLoss.apply(input, target, reduction)


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _warn_target_size(input, target)
    if weight is not None:
        return _weighted((input - target).abs(), weight, input, reduction, True)
    return _reduce((input - target).abs(), reduction)


def _check_class_target(input, target, batched):
    if target.dtype.is_floating_point:
        raise RuntimeError(f"expected scalar type Long but found "
                           f"{str(target.dtype).replace('torch.', '').title()}")
    if target.dtype not in (torch.int64, torch.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_pointwise.type_name(target.dtype)}")
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


def _check_class_weight(weight, C, prefix=""):
    if weight is not None and (weight.dim() != 1 or weight.numel() != C):
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {C} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")


def _nll(logp, target, weight, ignore_index, reduction, out_shape):
    """Per-row NLL of (M, C) log-probabilities at class-index targets."""
    C = logp.shape[1]
    _validate_targets(target, C, ignore_index)
    if target.dtype != torch.int64:  # uint8 class indices
        target = target.long()
    valid = target != ignore_index
    safe = _pointwise.where(valid, target, 0)
    picked = -logp.gather(1, safe.unsqueeze(1)).squeeze(1)
    # ignored rows are selected out (not multiplied by 0): as in torch they get a zero gradient
    # even when the mean's total weight is 0 (an all-ignored batch: nan loss, zero gradient)
    if weight is not None:
        w = _pointwise.where(valid, weight.index_select(0, safe), 0.0)
        loss = _pointwise.where(valid, picked * weight.index_select(0, safe), 0.0)
    else:
        w = valid.to(logp.dtype)
        loss = _pointwise.where(valid, picked, 0.0)
    if reduction == "none":
        return loss.reshape(out_shape)
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / w.sum()


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_class_target(input, target, input.dim() > 1)
    _check_class_weight(weight, input.shape[0 if input.dim() == 1 else 1])
    logp, t, out_shape = _flatten_classes(input, target)
    return _nll(logp, t, weight, ignore_index, reduction, out_shape)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if label_smoothing < 0.0 or label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    if target.dtype.is_floating_point and tuple(target.shape) == tuple(input.shape):
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        _check_class_weight(weight, input.shape[class_dim], "cross_entropy: ")
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
    _check_class_weight(weight, input.shape[class_dim])
    if weight is None and input.dim() == 2 and target.dim() == 1:
        # the common case: log-softmax + NLL (+ smoothing, ignore_index, reduction) fused into
        # one forward and one backward kernel
        target = target.long()
        # logits straight from a Linear: the whole classifier head is one kernel each way
        fused = _fusion.cross_entropy(input, target, reduction, ignore_index,
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
    smooth = _pointwise.where(t != ignore_index, -lp.sum(1), 0.0)
    if reduction == "none":
        smooth = smooth.reshape(out_shape)
    elif reduction == "sum":
        smooth = smooth.sum()
    else:
        if weight is not None:
            kept = _pointwise.where(t != ignore_index, t, 0)
            denom = (weight.index_select(0, kept) * valid).sum()
        else:
            denom = valid.sum()
        smooth = smooth.sum() / denom
    return (1.0 - label_smoothing) * nll + (label_smoothing / C) * smooth


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    for name, v in (("weight", weight), ("pos_weight", pos_weight)):
        if v is not None and v.requires_grad and grad_mode.is_grad_enabled():
            raise RuntimeError(f"The function 'binary_cross_entropy_with_logits' is not "
                               f"differentiable with respect to argument '{name}'. This input "
                               f"cannot have requires_grad True.")
    return _loss.BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         f"size.")
    with grad_mode.no_grad():
        if input.numel() and bool(((input < 0) | (input > 1)).any()):
            raise RuntimeError("all elements of input should be between 0 and 1")
    if weight is not None and weight.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError("The function 'binary_cross_entropy' is not differentiable with "
                           "respect to argument 'weight'. This input cannot have requires_grad "
                           "True.")
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        weight = weight.expand(*input.shape)
    return _loss.BinaryCrossEntropy.apply(input, target, weight, reduction)


def silu(input, inplace=False):
    def fn(x):
        y = x.float() if _half(x) else x
        return (y * y.sigmoid()).to(x.dtype)
    return _apply_inplace(input, fn, inplace)


def one_hot(tensor, num_classes=-1):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    if tensor.dtype != torch.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    with grad_mode.no_grad():
        if tensor.numel() and bool((tensor < 0).any()):
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            if tensor.numel() == 0:
                raise RuntimeError("Can not infer total number of classes from empty tensor.")
            num_classes = int(tensor.max().item()) + 1
        elif tensor.numel() and bool((tensor >= num_classes).any()):
            raise RuntimeError("Class values must be smaller than num_classes.")
        classes = arange(int(num_classes), device=tensor.device)
        return (tensor.unsqueeze(-1) == classes).to(torch.int64)


__all__ = ["linear", "relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax",
           "dropout", "layer_norm", "embedding", "mse_loss", "l1_loss", "cross_entropy",
           "nll_loss", "binary_cross_entropy_with_logits", "binary_cross_entropy", "silu",
           "one_hot"]


# ============================================================================== normalization,
# dropout, pad and resize (fused Triton kernels: ops/norm.py, functions/norm.py)


def _size_str(t):
    return f"torch.Size({list(t.shape)})"


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    _check_batch_norm(input, running_mean, running_var, weight, bias, training)
    return _normalization.batch_norm(input, running_mean, running_var, weight, bias, training,
                                     0.0 if momentum is None else momentum, eps)


def _check_batch_norm(input, running_mean, running_var, weight, bias, training):
    if input.dim() < 2:
        raise ValueError(f"Expected 2D or more input (got {input.dim()}D input)")
    C = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != C:
            raise RuntimeError(f"{name} should contain {C} elements not {t.numel()}")
    if training:
        size = input.numel() // C if C else 0
        if size == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {_size_str(input)}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    if (running_mean is None) != (running_var is None):
        raise RuntimeError("running_mean and running_var must either both be None or neither "
                           "be None")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or tuple(input.shape[input.dim() - k:]) != normalized_shape or k > input.dim():
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with "
                           f"shape [*, {', '.join(str(s) for s in normalized_shape)}], but got "
                           f"input of size{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(normalized_shape)}")
    return _normalization.LayerNorm.apply(input, weight, bias, k, float(eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    C = input.shape[1]
    sizes = [input.shape[0] * C // num_groups, num_groups] + list(input.shape[2:])
    size_prods = sizes[0]
    for s in sizes[2:]:
        size_prods *= s
    if size_prods == 1:  # like torch's _verify_batch_size
        raise ValueError("Expected more than 1 value per channel when training, got input size "
                         f"{sizes}")
    if num_groups <= 0 or C % num_groups != 0:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != C):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} and "
                               f"input of shape {list(input.shape)}")
    return _normalization.GroupNorm.apply(input, weight, bias, int(num_groups), float(eps))


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout(input, p, training, inplace, group, generator=None):
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        if inplace:
            return input.mul_(0.0)
        return input * 0.0
    return _normalization.dropout(input, p, group, inplace, generator)


def dropout(input, p=0.5, training=True, inplace=False, generator=None):
    """Philox dropout: one fused kernel forward, the same kernel (mask regenerated) backward."""
    return _dropout(input, p, training, inplace, 1, generator)


def _feature_dropout(input, p, training, inplace, batched_dims):
    _check_p(p)
    nd = input.dim()
    # (N, C, *spatial): one draw per (n, c); without a batch dim one per channel
    group = 1
    for s in input.shape[nd - batched_dims:]:
        group *= s
    return _dropout(input, p, training, inplace, max(group, 1))


def dropout1d(input, p=0.5, training=True, inplace=False):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a "
                           f"{input.dim()}D input. Note that dropout1d exists to provide "
                           "channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and "
                      "will result in an error in a future release. To retain the behavior and "
                      "silence this warning, please use dropout instead. Note that dropout2d "
                      "exists to provide channel-wise dropout on inputs with 2 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D "
                      "or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape (C, H, "
                      "W). To maintain the 1D channel-wise dropout behavior, please switch to "
                      "using dropout1d instead.", stacklevel=2)
    if nd < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    # like torch's feature_dropout: one draw per (dim0, dim1) entry, whatever the rank
    return _feature_dropout(input, p, training, inplace, nd - 2)


_PAD_MODES = {"constant": 0, "reflect": 1, "replicate": 2, "circular": 3}


def pad(input, pad, mode="constant", value=None):
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = input.dim()
    if len(pad) // 2 > nd:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{nd}")
    k = len(pad) // 2
    if mode != "constant":
        if value not in (None, 0, 0.0):
            raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
        if not (k in (1, 2, 3) and k + 1 <= nd <= k + 2):
            raise NotImplementedError(
                f"Padding size {len(pad)} is not supported for {nd}D input tensor.\nSupported "
                "combinations for non-constant padding:\n  - 2D or 3D input: padding size = 2 "
                "(pads last dimension)\n  - 3D or 4D input: padding size = 4 (pads last 2 "
                "dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    # torch's pad list runs from the last dim backwards: (last_before, last_after, ...)
    pairs = [(pad[2 * j], pad[2 * j + 1]) for j in range(k)][::-1]
    shape = input.shape
    for j, (before, after) in enumerate(pairs):
        d = nd - k + j
        size = shape[d]
        if mode == "reflect" and (before >= size or after >= size):
            raise RuntimeError("Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({before}, {after}) at "
                               f"dimension {d} of input {list(shape)}")
        if mode == "circular" and (before > size or after > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode in ("replicate", "circular", "reflect") and (before < 0 or after < 0):
            raise RuntimeError(f"negative padding is not supported in {mode} mode")
        if mode == "replicate" and size == 0:
            raise RuntimeError(f"input tensor must have non-zero size at dimension {d}")
        if size + before + after < 0:
            raise RuntimeError(f"The input size {size}, plus negative padding {before} and "
                               f"{after} resulted in a negative output size, which is invalid. "
                               f"Check dimension {d} of your input.")
    fill = 0.0 if value is None else float(value)
    return _normalization.pad(input, pairs, _PAD_MODES[mode], fill)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """nearest / linear / bilinear resize with torch's source-index rules: one gather launch
    forward; backward applies the per-axis interpolation matrices (Aₕᵀ · g · A_w)."""
    nd = input.dim() - 2
    if mode not in ("nearest", "linear", "bilinear"):
        raise NotImplementedError(f"minitorch: interpolate mode {mode!r} is not implemented "
                                  "(nearest, linear, bilinear are)")
    if align_corners is not None and mode == "nearest":
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError("minitorch: interpolate(antialias=True) is not implemented")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if mode == "linear" and input.dim() != 3:
        raise NotImplementedError(f"Got {input.dim()}D input, but linear mode needs 3D input")
    if mode == "bilinear" and input.dim() != 4:
        raise NotImplementedError(f"Got {input.dim()}D input, but bilinear mode needs 4D input")
    if nd not in (1, 2):
        raise NotImplementedError(f"minitorch: interpolate supports 3D and 4D inputs, got "
                                  f"{input.dim()}D")
    in_sizes = list(input.shape[2:])
    if size is not None:
        sizes = list(size) if isinstance(size, (list, tuple)) else [size] * nd
        if len(sizes) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, "
                             f"but got input with spatial dimensions of {in_sizes} and output "
                             f"size of {sizes}. Please provide input tensor in (N, C, d1, d2, "
                             "...,dK) format and output size in (o1, o2, ...,oK) format.")
        out_sizes = [int(s) for s in sizes]
        scales = [None] * nd
    else:
        factors = list(scale_factor) if isinstance(scale_factor, (list, tuple)) \
            else [scale_factor] * nd
        if len(factors) != nd:
            raise ValueError("Input and scale_factor must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of {in_sizes} "
                             f"and scale_factor of shape {factors}. Please provide input tensor "
                             "in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, "
                             "...,sK) format.")
        out_sizes = [int(math.floor(float(i) * float(f))) for i, f in zip(in_sizes, factors)]
        scales = [None] * nd if recompute_scale_factor else [float(f) for f in factors]
    if any(s <= 0 for s in out_sizes):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({', '.join('D: ' + str(s) for s in in_sizes)}) output "
                           f"({', '.join('D: ' + str(s) for s in out_sizes)})")
    linear_mode = mode != "nearest"
    # torch computes the scale in the op's math type: float32 (float(n_in) / n_out) unless float64
    div = (lambda a, b: a / b) if input.dtype == torch.float64 else \
        (lambda a, b: float(_np.float32(a) / _np.float32(b)))
    per_axis = []
    for n_in, n_out, sc in zip(in_sizes, out_sizes, scales):
        if linear_mode and align_corners:
            scale = div(n_in - 1, n_out - 1) if n_out > 1 else 0.0
        elif sc is not None and sc > 0:
            scale = 1.0 / sc
        else:
            scale = div(n_in, n_out)
        per_axis.append(scale)
    return _normalization.Interpolate.apply(input, tuple(out_sizes), tuple(per_axis), linear_mode,
                                    bool(align_corners))


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


__all__ += ["batch_norm", "group_norm", "dropout1d", "dropout2d", "pad", "interpolate",
            "upsample"]


# ------------------------------------------------------------------------- convolution / pooling


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


__all__ += ["conv1d", "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
            "adaptive_max_pool2d", "max_pool1d", "avg_pool1d"]


# ============================================================================== more activations,
# losses and distances (compositions of minitorch ops, torch's formulas)
def _safe(cond, x, fill):
    """x where cond, else ``fill`` — also in the gradient (the other branch never sees x)."""
    return _pointwise.where(cond, x, fill)


def _elu(input, alpha):
    pos = input > 0
    # expm1 only ever sees the non-positive part (no overflow, no gradient through the other)
    return _pointwise.where(pos, input,
                            _pointwise.Expm1.apply(_safe(pos, input * 0, input)) * alpha)


def elu(input, alpha=1.0, inplace=False):
    return _apply_inplace(input, lambda x: _elu(x, alpha), inplace)


def softplus(input, beta=1.0, threshold=20.0):
    if _half(input):  # exp(x) overflowed a float16 for 11 < x < 20: softplus(15) was inf
        return softplus(input.float(), beta, threshold).to(input.dtype)
    scaled = input * beta
    big = scaled > threshold
    soft = _pointwise.Log1p.apply(_safe(big, scaled * 0, scaled).exp()) / beta
    return _pointwise.where(big, input, soft)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    def fn(x):
        inside = (x > min_val) & (x < max_val)
        # the gradient passes strictly inside the range only, as torch's hardtanh_backward
        return _pointwise.where(inside, x, x.detach().clamp(min_val, max_val))
    return _apply_inplace(input, fn, inplace)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def relu_(input):
    return relu(input, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def _apply_inplace(input, fn, inplace):
    """fn(input), or written into ``input`` when ``inplace`` (recorded so the gradient goes
    through ``fn``; a leaf that requires grad raises torch's in-place error)."""
    return _inplace.composite_(input, fn) if inplace else fn(input)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _warn_target_size(input, target)
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(_pointwise.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _warn_target_size(input, target)
    d = (input - target).abs()
    loss = _pointwise.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        return _weighted(loss, weight, input, reduction, False)
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # torch's xlogy(target, target): 0 · log 0 = 0 (and, as torch, a nan gradient there)
        loss = _pointwise.where(target > 0, target * target.log(), target * 0) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() else loss.sum()
    return _reduce(loss, reduction)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    if out is not None:
        raise TypeError("normalize(): out= is not supported by minitorch")
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """torch's formula: each input divided by its norm (clamped at eps), then the dot product."""
    x1n = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    x2n = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / x1n) * (x2 / x2n)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)


__all__ += ["elu", "softplus", "hardtanh", "relu6", "smooth_l1_loss", "huber_loss", "kl_div",
            "normalize", "cosine_similarity", "pairwise_distance"]
__all__ += ["relu_", "leaky_relu_", "elu_", "hardtanh_"]
