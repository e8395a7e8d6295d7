"""Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).

The norm is one reduction per gradient plus one over the per-gradient norms; the rescale is one
fused multi-tensor launch per four gradients (ops/clip.py), all in Triton."""
import math

import torch

from ...autograd import grad_mode
from ...ops import clip as K
from ...tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    from ... import functions as F
    from ...tensor import tensor
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    with grad_mode.no_grad():
        norms = F.stack([F.norm(t.detach(), norm_type).to(torch.float32)
                         if t.dtype != torch.float64 else F.norm(t.detach(), norm_type)
                         for t in tensors])
        total = F.norm(norms, norm_type)
        if error_if_nonfinite and not bool(F.isfinite(total)):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is "
                f"non-finite, so it cannot be clipped. To disable this error and scale the "
                f"gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale all gradients in place so their joint ``norm_type`` norm is at most ``max_norm``;
    returns the total norm before clipping."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    if not grads:
        return total
    with grad_mode.no_grad():
        coef = (float(max_norm) / (total + 1e-6)).clamp(max=1.0).contiguous()
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
        c = None if coef is None else coef.to(dtype)._data
        K.scale_or_clamp_([t._data for t in targets], c, clip_value)
        for g, t in zip(gs, targets):
            if t is not g:
                g.copy_(t)
            else:
                g._bump_version()
