"""``torch.nn.functional``: activations, dropout, normalisation, embedding and losses, each a
composition of minitorch ops (Triton kernels) or one fused minitorch Function."""
import math

import torch

from ..autograd import grad_mode
from ..functions import linalg as _linalg
from ..functions import linear_loss as _linear_loss
from ..functions import loss as _loss
from ..functions import named_losses as _named_losses
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
            weight[flat] = rows * _P.where(norms > max_norm, scale, scale * 0 + 1)
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
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        import warnings
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due to "
                      f"broadcasting. Please ensure they have the same size.", stacklevel=2)
    return _named_losses.MseLoss.apply(input, target, reduction)


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


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
    return _named_losses.BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight,
                                                            reduction)


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
    return _named_losses.BinaryCrossEntropy.apply(input, target, weight, reduction)


def silu(input, inplace=False):
    out = input * input.sigmoid()
    if inplace:
        with grad_mode.no_grad():
            input.copy_(out)
        return input
    return out


def one_hot(tensor, num_classes=-1):
    from ..functions import api11
    return api11.one_hot(tensor, num_classes)


__all__ = ["linear", "relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax",
           "dropout", "layer_norm", "embedding", "mse_loss", "l1_loss", "cross_entropy",
           "nll_loss", "binary_cross_entropy_with_logits", "binary_cross_entropy", "silu",
           "one_hot"]
