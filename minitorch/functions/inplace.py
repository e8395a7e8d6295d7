"""In-place methods (``add_``, ``mul_``, ``zero_``, ``copy_`` ...).

Without autograd (``no_grad``, ``.data``, optimizer updates) the kernel writes straight into the
tensor's storage: one launch. When the op must be recorded, the out-of-place Function runs and the
tensor takes over its result and history (PyTorch's rebase), the original value being cloned first
when the backward needs it. Either way the version counter is bumped, so a saved tensor that was
overwritten is detected at backward time.
"""
import torch

from .. import _dtype
from .._tensor_ref import full, is_tensor, ones
from ..autograd import grad_mode
from ..autograd.function import Function
from ..ops import creation, elementwise
from . import pointwise
from .pointwise import broadcast_shapes, unbroadcast
from .shape import AsStrided

LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."


def _check_leaf(self):
    if grad_mode.is_grad_enabled() and self.is_leaf and self.requires_grad:
        raise RuntimeError(LEAF_MSG)


def _check_cast(result, target):
    if _dtype._category(result) > _dtype._category(target):
        def name(d):
            return str(d).replace("torch.", "").title()
        raise RuntimeError(f"result type {name(result)} can't be cast to the desired output type "
                           f"{name(target)}")


def _check_view_of_leaf(self):
    base = self._base
    if base is not None and self._grad_fn is not None and base.is_leaf and \
            base.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


class CopySlices(Function):
    """The base's new history after an in-place op on one of its views (PyTorch's CopySlices):
    the gradient of the base flows to its old history outside the view's region and to the
    in-place result inside it."""
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, result, geometry):
        size, stride, offset = geometry
        ctx.geometry, ctx.result_shape, ctx.result_dtype = geometry, tuple(result.shape), \
            result.dtype
        # 1 outside the view's region, 0 inside: the old history's share of the gradient
        mask = ones(tuple(base.shape), dtype=base.dtype, device=base.device)
        elementwise.pointwise("copy", mask._data.as_strided(size, stride, offset), 0)
        ctx.mask = mask
        return base._alias()  # the data was already written in place

    @staticmethod
    def backward(ctx, g):
        g = g.contiguous()
        g_result = AsStrided.apply(g, ctx.geometry)
        return g * ctx.mask, unbroadcast(g_result, ctx.result_shape, ctx.result_dtype), None


def _rebase_view(self, result):
    base = self._base
    if not base.is_contiguous():
        raise NotImplementedError("in-place operations on views are recorded for contiguous base "
                                  "tensors only; apply the operation out of place")
    geometry = (tuple(self.shape), tuple(self.stride()),
                self.storage_offset() - base.storage_offset())
    elementwise.pointwise("copy", self._data, result._data)
    self._bump_version()  # shared with the base
    new_base = CopySlices.apply(base, result, geometry)
    base._grad_fn, base._output_nr, base._requires_grad = new_base._grad_fn, 0, True
    view = AsStrided.apply(base, geometry)
    self._grad_fn, self._output_nr, self._requires_grad = view._grad_fn, 0, True
    return self


def rebase_history(self, result):
    """Write ``result`` into ``self`` and make ``self`` the output of ``result``'s node (for a
    view: the base's history becomes CopySlices and the view is re-derived from it)."""
    _check_view_of_leaf(self)
    if self._base is not None and grad_mode.is_grad_enabled() and (
            self._base.requires_grad or result.requires_grad):
        return _rebase_view(self, result)
    elementwise.pointwise("copy", self._data, result._data)
    self._bump_version()
    self._grad_fn = result._grad_fn
    self._output_nr = result._output_nr
    self._requires_grad = result.requires_grad
    return self


def _recording(self, *others):
    return grad_mode.is_grad_enabled() and (
        self.requires_grad or any(is_tensor(o) and o.requires_grad for o in others))


def _pointwise_(self, op, out_of_place, *args, saves_self=False):
    """Generic in-place pointwise: ``op`` is the kernel op for the fast path, ``out_of_place``
    the differentiable function for the recorded path."""
    _check_leaf(self)
    result_dtype = _dtype.result_type(self, *[a for a in args if a is not None])
    _check_cast(result_dtype, self.dtype)
    if _recording(self, *args):
        src = pointwise.Clone.apply(self) if saves_self else self
        return rebase_history(self, out_of_place(src, *args))
    compute = result_dtype if result_dtype.is_floating_point or not self.dtype.is_floating_point \
        else self.dtype
    if compute in (torch.float16, torch.bfloat16):
        compute = torch.float32
    pointwise.run_op(op, (self, *args), self.dtype, compute=compute, out=self)
    self._bump_version()
    return self


def add_(self, other, alpha=1):
    if alpha != 1:
        return _pointwise_(self, "add_scaled", lambda s, o, a: s.add(o, alpha=a), other, alpha)
    return _pointwise_(self, "add", lambda s, o: s + o, other)


def sub_(self, other, alpha=1):
    if alpha != 1:
        return _pointwise_(self, "add_scaled", lambda s, o, a: s.add(o, alpha=a), other, -alpha)
    return _pointwise_(self, "sub", lambda s, o: s - o, other)


def mul_(self, other):
    return _pointwise_(self, "mul", lambda s, o: s * o, other, saves_self=True)


def div_(self, other, rounding_mode=None):
    if rounding_mode is not None:
        return _assign_(self, self.div(other, rounding_mode=rounding_mode))
    return _pointwise_(self, "div", lambda s, o: s / o, other, saves_self=True)


def _unary_(op, method):
    def f(self):
        return _pointwise_(self, op, lambda s: getattr(s, method)(), saves_self=True)
    f.__name__ = method + "_"
    return f


def _assign_(self, value):
    """Generic fallback: compute out of place, write back."""
    _check_leaf(self)
    if _recording(self, value):
        return rebase_history(self, value)
    elementwise.pointwise("copy", self._data, value._data)
    self._bump_version()
    return self


def _recompute_(self, fn, *others):
    """In place through the out-of-place op ``fn``; a recorded op starts from a clone of self,
    whose old value its backward needs."""
    _check_leaf(self)
    if _recording(self, *others):
        return rebase_history(self, fn(pointwise.Clone.apply(self)))
    return _assign_(self, fn(self))


def pow_(self, exponent):
    return _recompute_(self, lambda s: s.pow(exponent), exponent)


def clamp_(self, min=None, max=None):
    if is_tensor(min) or is_tensor(max) or _recording(self):
        return _recompute_(self, lambda s: s.clamp(min, max), min, max)
    return _pointwise_(self, "clamp", lambda s, lo, hi: s.clamp(lo, hi),
                       float("-inf") if min is None else min, float("inf") if max is None else max)


def fill_(self, value):
    _check_leaf(self)
    if is_tensor(value):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.dim()} dimensions.")
        if _recording(self, value):
            return rebase_history(self, value.expand(self.shape).to(self.dtype) + 0)
        value = value.item()
    if _recording(self):
        return rebase_history(self, _full_like(self, value))
    elementwise.pointwise("copy", self._data, value)
    self._bump_version()
    return self


def _full_like(self, value):
    with grad_mode.no_grad():
        return full(tuple(self.shape), value, dtype=self.dtype, device=self.device)


def zero_(self):
    return fill_(self, 0)


def copy_(self, src, non_blocking=False):
    _check_leaf(self)
    if not is_tensor(src):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(src).__name__}")
    shape = broadcast_shapes(tuple(self.shape), tuple(src.shape))
    if shape != tuple(self.shape):
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    if src.device != self.device:
        src = src.to(self.device)
    if _recording(self, src):
        value = src.expand(self.shape)
        value = value.to(self.dtype) if value.dtype != self.dtype else value + 0
        return rebase_history(self, value)
    compute = src.dtype if src.dtype.is_floating_point else self.dtype
    if compute in (torch.float16, torch.bfloat16) or (
            self.dtype.is_floating_point and not src.dtype.is_floating_point):
        compute = torch.float32 if self.dtype != torch.float64 else torch.float64
    if self.dtype == torch.bool:
        elementwise.pointwise("ne", self._data, src._data, 0,
                              compute=compute if compute != torch.bool else torch.int64)
    else:
        elementwise.pointwise("copy", self._data, src._data, compute=compute)
    self._bump_version()
    return self


def masked_fill_(self, mask, value):
    return _assign_(self, self.masked_fill(mask, value))


def _random_(self, kind, low, high, generator):
    _check_leaf(self)
    if self.is_contiguous():
        creation.random_(self._data, kind, low, high, generator=generator)
    else:
        tmp = torch.empty(self.shape, dtype=self.dtype, device=self.device)
        creation.random_(tmp, kind, low, high, generator=generator)
        elementwise.pointwise("copy", self._data, tmp)
    self._bump_version()
    return self


def uniform_(self, a=0.0, b=1.0, generator=None):
    return _random_(self, creation.UNIFORM, float(a), float(b), generator)


def normal_(self, mean=0.0, std=1.0, generator=None):
    return _random_(self, creation.NORMAL, float(mean), float(std), generator)


def bernoulli_(self, p=0.5, generator=None):
    return _random_(self, creation.BERNOULLI, float(p), 0.0, generator)


def random_(self, from_=0, to=None, generator=None):
    if to is None:
        from_, to = 0, from_ if from_ else 2**24
    return _random_(self, creation.RANDINT, int(from_), int(to), generator)


true_divide_ = div_
clip_ = clamp_
neg_ = _unary_("neg", "neg")
abs_ = _unary_("abs", "abs")
exp_ = _unary_("exp", "exp")
log_ = _unary_("log", "log")
sqrt_ = _unary_("sqrt", "sqrt")
sin_ = _unary_("sin", "sin")
cos_ = _unary_("cos", "cos")
tanh_ = _unary_("tanh", "tanh")
sigmoid_ = _unary_("sigmoid", "sigmoid")
relu_ = _unary_("relu", "relu")
reciprocal_ = _unary_("reciprocal", "reciprocal")
rsqrt_ = _unary_("rsqrt", "rsqrt")



class InplaceOps:
    """Tensor's in-place methods and in-place operators (a mixin of ``Tensor``)."""
    __slots__ = ()
    add_, sub_, mul_, div_, true_divide_ = add_, sub_, mul_, div_, div_
    pow_, clamp_, clip_, fill_, zero_ = pow_, clamp_, clamp_, fill_, zero_
    copy_, masked_fill_ = copy_, masked_fill_
    uniform_, normal_, bernoulli_, random_ = uniform_, normal_, bernoulli_, random_
    neg_, abs_, exp_, log_, sqrt_ = neg_, abs_, exp_, log_, sqrt_
    sin_, cos_, tanh_, sigmoid_, relu_ = sin_, cos_, tanh_, sigmoid_, relu_
    reciprocal_, rsqrt_ = reciprocal_, rsqrt_

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)


__all__ = ["LEAF_MSG", "CopySlices", "rebase_history", "add_", "sub_", "mul_", "div_", "pow_",
           "clamp_", "fill_", "zero_", "copy_", "masked_fill_", "uniform_", "normal_",
           "bernoulli_", "random_", "true_divide_", "clip_", "neg_", "abs_", "exp_", "log_",
           "sqrt_", "sin_", "cos_", "tanh_", "sigmoid_", "relu_", "reciprocal_", "rsqrt_"]
