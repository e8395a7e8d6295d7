"""Testing helpers: ``gradcheck`` / ``gradgradcheck`` (finite differences against autograd) and
``assert_close``. All arithmetic is done with minitorch ops; torch is touched only as storage."""
import builtins
import numbers
import warnings

import numpy as np
import torch

from . import autograd
from . import functions as F
from .autograd import grad_mode
from .creation import arange, randn, tensor, zeros_like
from .tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "assert_close"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck / gradgradcheck when analytical and numerical gradients disagree."""


def _as_tuple(x):
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


def _float_outputs(outs):
    return [o for o in _as_tuple(outs) if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _weighted_sum(outs, weights):
    """L = sum_k <out_k, w_k>, a 0-d tensor (the scalar the Jacobians are contracted with)."""
    total = None
    for o, w in zip(outs, weights):
        s = (o * w).sum()
        total = s if total is None else total + s
    return total


def _fail(raise_exception, msg):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, *, raise_exception=True,
              check_undefined_grad=True, nondet_tol=0.0, fast_mode=False, _second_order=False):
    """Compare the autograd gradient of ``fn`` at ``inputs`` with central finite differences.

    Every floating output ``out_k`` is contracted with a fixed random weight ``w_k`` into the
    scalar ``L = sum_k <out_k, w_k>``; then for every element ``x[i]`` of every input that
    requires grad, ``(L(x + eps e_i) - L(x - eps e_i)) / (2 eps)`` must match ``dL/dx[i]`` from
    ``autograd.grad`` within ``atol + rtol * |numerical|``. Inputs should be float64.
    Returns True, or raises GradcheckError (returns False with ``raise_exception=False``).
    """
    second_order = _second_order
    stack = F.stack
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    for i in diff_idx:
        x = inputs[i]
        if not x.dtype.is_floating_point:
            raise ValueError(f"gradcheck: input {i} requires grad but is not floating point")
        if x.dtype != torch.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point. gradcheck may fail due to rounding.", UserWarning, stacklevel=2)

    with grad_mode.enable_grad():
        outs = _float_outputs(fn(*inputs))
    if not outs:
        return _fail(raise_exception, "gradcheck: fn produced no floating point output")
    weights = [randn(tuple(o.shape), dtype=o.dtype, device=o.device) for o in outs]
    diff_outs = [(o, w) for o, w in zip(outs, weights) if o.requires_grad]

    # analytical: dL/dx through autograd
    analytical = [None] * len(inputs)
    if diff_outs:
        L = _weighted_sum([o for o, _ in diff_outs], [w for _, w in diff_outs])
        grads = autograd.grad(L, [inputs[i] for i in diff_idx], allow_unused=True)
        for i, g in zip(diff_idx, grads):
            analytical[i] = g
    for i in diff_idx:
        g = analytical[i]
        if g is None:
            analytical[i] = zeros_like(inputs[i]).detach()
            continue
        if tuple(g.shape) != tuple(inputs[i].shape):
            return _fail(raise_exception, f"gradcheck: gradient for input {i} has shape "
                         f"{list(g.shape)}, expected {list(inputs[i].shape)}")
        if g.dtype != inputs[i].dtype:
            return _fail(raise_exception, f"gradcheck: gradient for input {i} has dtype "
                         f"{g.dtype}, expected {inputs[i].dtype}")

    # numerical: central differences of L, perturbing one element at a time
    def L_at(args):
        with grad_mode.set_grad_enabled(second_order):
            o = _float_outputs(fn(*args))
            return _weighted_sum(o, weights)

    for i in diff_idx:
        x = inputs[i].detach()
        shape, n = tuple(x.shape), x.numel()
        if n == 0:
            continue
        if fast_mode:
            u = randn(shape, dtype=x.dtype, device=x.device)
            args_p = list(inputs)
            args_m = list(inputs)
            args_p[i] = x + eps * u
            args_m[i] = x - eps * u
            num = (L_at(args_p) - L_at(args_m)) / (2 * eps)
            ana = (analytical[i].detach() * u).sum()
            num_v, ana_v = num.reshape(1), ana.reshape(1)
        else:
            flat_idx = arange(n, device=x.device)
            plus, minus = [], []
            for k in range(n):
                e = (flat_idx == k).to(x.dtype).reshape(shape) * eps
                args_p = list(inputs)
                args_m = list(inputs)
                args_p[i] = x + e
                args_m[i] = x - e
                plus.append(L_at(args_p))
                minus.append(L_at(args_m))
            num_v = (stack(plus) - stack(minus)) / (2 * eps)
            ana_v = analytical[i].detach().reshape(-1)
        bad = F.abs(ana_v - num_v) > atol + rtol * F.abs(num_v)
        bad = bad | (F.isnan(ana_v) != F.isnan(num_v))
        if builtins.bool(bad.any()):
            return _fail(raise_exception,
                         f"Jacobian mismatch for output 0 with respect to input {i},\n"
                         f"numerical:{num_v.tolist()}\nanalytical:{ana_v.tolist()}\n"
                         f"(eps={eps}, atol={atol}, rtol={rtol})")
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, *,
                  raise_exception=True, gen_non_contig_grad_outputs=False, fast_mode=False):
    """Second-order check: gradcheck of ``(inputs, v) -> autograd.grad(fn(inputs), inputs, v,
    create_graph=True)``, i.e. the double-backward of ``fn``."""
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    with grad_mode.enable_grad():
        outs = _float_outputs(fn(*inputs))
    if grad_outputs is None:
        grad_outputs = [randn(tuple(o.shape), dtype=o.dtype, device=o.device,
                              requires_grad=True) for o in outs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)

    def first_grad(*args):
        xs, vs = list(args[:n_in]), args[n_in:]
        for i in diff_idx:  # numerical pass: perturbed inputs are fresh leaves
            if not xs[i].requires_grad:
                xs[i] = xs[i].detach().requires_grad_(True)
        o = _float_outputs(fn(*xs))
        pairs = [(a, v) for a, v in zip(o, vs) if a.requires_grad]
        if not pairs:
            return ()
        gs = autograd.grad([a for a, _ in pairs], [xs[i] for i in diff_idx],
                           grad_outputs=[v for _, v in pairs], create_graph=True,
                           allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grad, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception, fast_mode=fast_mode,
                     _second_order=True)


# ---------------------------------------------------------------------------------------------
# assert_close
# ---------------------------------------------------------------------------------------------
_DEFAULT_TOL = {torch.float16: (1e-3, 1e-5), torch.bfloat16: (1.6e-2, 1e-5),
                torch.float32: (1.3e-6, 1e-5), torch.float64: (1e-7, 1e-7)}


def _to_mt(x):
    if isinstance(x, Tensor):
        return x.detach()
    if isinstance(x, torch.Tensor):
        # storage only: wrap torch's values (read, never written) as a minitorch tensor
        return Tensor._make(x.detach())
    if isinstance(x, (numbers.Number, list, tuple)):
        return tensor(x)
    if isinstance(x, np.ndarray):
        return tensor(x)
    raise TypeError(f"assert_close: unsupported type {type(x).__name__}")


def assert_close(actual, expected, rtol=None, atol=None, *, equal_nan=True, check_dtype=True,
                 msg=None):
    """Assert that ``actual`` and ``expected`` (minitorch or torch tensors, numbers, sequences of
    them) have the same shape (and dtype) and are elementwise close:
    ``|actual - expected| <= atol + rtol * |expected|``."""
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: rtol and atol must both be given or both omitted")
    if isinstance(actual, (tuple, list)) and isinstance(expected, (tuple, list)) and (
            builtins.any(isinstance(v, (Tensor, torch.Tensor, tuple, list)) for v in actual)):
        if len(actual) != len(expected):
            raise AssertionError(f"assert_close: sequence lengths differ: {len(actual)} vs "
                                 f"{len(expected)}")
        for k, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, rtol, atol, equal_nan=equal_nan, check_dtype=check_dtype,
                         msg=f"{msg or ''} [item {k}]")
        return
    a, e = _to_mt(actual), _to_mt(expected)
    if a.device != e.device:
        e = e.to(a.device)  # a device copy, so a CUDA result compares with host expectations
    prefix = f"{msg}: " if msg else ""
    if tuple(a.shape) != tuple(e.shape):
        raise AssertionError(f"{prefix}shape mismatch: {list(a.shape)} vs {list(e.shape)}")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(f"{prefix}dtype mismatch: {a.dtype} vs {e.dtype}")
    if rtol is None:
        dt = a.dtype if a.dtype.is_floating_point else e.dtype
        rtol, atol = _DEFAULT_TOL.get(dt, (0.0, 0.0))
    if a.numel() == 0:
        return
    exact = not (a.dtype.is_floating_point or e.dtype.is_floating_point) or (rtol == 0 and
                                                                             atol == 0)
    if exact:
        if builtins.bool((a == e).all()):
            return
        bad = a != e
        if a.dtype.is_floating_point and equal_nan:
            bad = bad & ~(F.isnan(a) & F.isnan(e))
    else:
        # fast path (few kernel launches): a NaN anywhere fails ``<=`` and takes the slow path
        af, ef = (a, e) if a.dtype == e.dtype else (a.to(torch.float64), e.to(torch.float64))
        # (written so that an inf anywhere gives NaN and takes the slow path too)
        if builtins.bool((F.abs(af - ef) - rtol * F.abs(ef) <= atol).all()):
            return
        af, ef = a.to(torch.float64), e.to(torch.float64)
        bad = F.abs(af - ef) > atol + rtol * F.abs(ef)
        nan_a, nan_e = F.isnan(af), F.isnan(ef)
        # inf == inf with the same sign is close
        same = af == ef
        bad = (bad | F.isinf(af) | F.isinf(ef)) & ~same
        if equal_nan:
            bad = (bad & ~(nan_a & nan_e)) | (nan_a != nan_e)
        else:
            bad = bad | nan_a | nan_e
    if builtins.bool(bad.any()):
        n_bad = builtins.int(bad.sum().item())
        raise AssertionError(
            f"{prefix}Tensor-likes are not close! Mismatched elements: {n_bad} / {a.numel()} "
            f"(rtol={rtol}, atol={atol})\nactual:   {a.tolist()}\nexpected: {e.tolist()}")
