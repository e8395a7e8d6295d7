"""Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).

The norm is one fused multi-tensor launch per four gradients (per-block partials) plus one that
folds them into the total and the clip coefficient; the rescale is one launch per four gradients
(ops/clip.py), all in Triton."""
import torch

from ...autograd import grad_mode
from ...creation import tensor
from ...functions import isfinite
from ...ops import clip as clip_kernels
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm"]


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm_and_coef(tensors, norm_type, max_norm=float("inf")):
    """(total norm in the first tensor's dtype, clip coefficient in float64) as 0-d tensors:
    ceil(n/4) + 1 launches."""
    device = tensors[0].device
    dt = tensors[0].dtype if tensors[0].dtype.is_floating_point else torch.float32
    total = torch.empty((), dtype=dt, device=device)  # torch: the norm in the grads' dtype
    coef = torch.empty((), dtype=torch.float64, device=device)
    datas = [t.detach().contiguous()._data for t in tensors]
    clip_kernels.total_norm_(datas, float(norm_type), total, coef, max_norm)
    return Tensor._make(total), Tensor._make(coef)


def _check_finite(total, norm_type):
    if not bool(isfinite(total)):  # one host read, only when the caller asked for the check
        raise RuntimeError(
            f"The total norm of order {float(norm_type)} for gradients from `parameters` is "
            f"non-finite, so it cannot be clipped. To disable this error and scale the "
            f"gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    with grad_mode.no_grad():
        total, _ = _norm_and_coef(tensors, norm_type)
        if error_if_nonfinite:
            _check_finite(total, norm_type)
    return total


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale all gradients in place so their joint ``norm_type`` norm is at most ``max_norm``;
    returns the total norm before clipping. One fused launch per four gradients for the norm,
    one to fold it, one per four gradients for the rescale."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    grads = _grads(parameters)
    if not grads:
        return tensor(0.0)
    with grad_mode.no_grad():
        total, coef = _norm_and_coef(grads, float(norm_type), float(max_norm))
        if error_if_nonfinite:
            _check_finite(total, norm_type)
        _scale_in_place(grads, coef, None)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient in place to [-clip_value, clip_value]."""
    grads = _grads(parameters)
    clip_value = float(clip_value)
    with grad_mode.no_grad():
        _scale_in_place(grads, None, clip_value)


def _scale_in_place(grads, coef, clip_value):
    """One fused launch per four gradients: multiply by the 0-d ``coef`` or clamp to
    ±clip_value."""
    by_dtype = {}
    for g in grads:
        by_dtype.setdefault(g.dtype, []).append(g)
    for dtype, gs in by_dtype.items():
        targets = [g if g.is_contiguous() else g.contiguous() for g in gs]
        c = None if coef is None else coef._data
        clip_kernels.scale_or_clamp_([t._data for t in targets], c, clip_value)
        for g, t in zip(gs, targets):
            if t is not g:
                g.copy_(t)
            else:
                g._bump_version()
