"""In-place methods (``add_``, ``mul_``, ``zero_``, ``copy_`` ...).

Without autograd (``no_grad``, ``.data``, optimizer updates) the kernel writes straight into the
tensor's storage: one launch. When the op must be recorded, the out-of-place Function runs and the
tensor takes over its result and history (PyTorch's rebase), the original value being cloned first
when the backward needs it. Either way the version counter is bumped, so a saved tensor that was
overwritten is detected at backward time.
"""
import builtins
import re

import torch

from .. import _dtype
from .._tensor_ref import exact_random_, full, is_tensor, scalar_operand, wrap
from ..autograd import grad_mode
from ..autograd.function import Function
from ..ops import creation, elementwise, lazy
from . import pointwise
from .pointwise import broadcast_shapes, unbroadcast
from .shape import AsStrided, layout_buffer, non_overlapping, to_layout

LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."


def _check_leaf(self):
    if grad_mode.is_grad_enabled() and self.is_leaf and self.requires_grad:
        raise RuntimeError(LEAF_MSG)


def _check_cast(result, target):
    if _dtype._category(result) > _dtype._category(target):
        name = pointwise.type_name
        raise RuntimeError(f"result type {name(result)} can't be cast to the desired output type "
                           f"{name(target)}")


INTERNAL_OVERLAP_MSG = ("unsupported operation: more than one element of the written-to tensor "
                        "refers to a single memory location. Please clone() the tensor before "
                        "performing the operation.")
PARTIAL_OVERLAP_MSG = ("unsupported operation: some elements of the input tensor and the "
                       "written-to tensor refer to a single memory location. Please clone() the "
                       "tensor before performing the operation.")


def _dense(st):
    """torch's is_non_overlapping_and_dense for a storage tensor."""
    expected = 1
    for stride, n in sorted((st_, n_) for n_, st_ in zip(st.shape, st.stride()) if n_ != 1):
        if stride != expected:
            return False
        expected *= n
    return True


def _partial_overlap(a, b):
    """torch's MemOverlapStatus::Partial between storage tensors: both dense, sharing memory,
    and not the very same elements in the same order."""
    if a is b or a.numel() == 0 or b.numel() == 0 or not (_dense(a) and _dense(b)):
        return False
    a0, b0 = a.data_ptr(), b.data_ptr()
    a1, b1 = a0 + a.numel() * a.element_size(), b0 + b.numel() * b.element_size()
    if a0 == b0 and a1 == b1:
        return tuple(a.stride()) != tuple(b.stride())
    return a0 < b1 and b0 < a1


def assert_no_overlap(out, *inputs):
    """torch's checks before an in-place write into ``out`` (Tensor or storage tensor): the
    written-to elements are distinct, and no input partially aliases them (an input that is
    exactly ``out`` — ``x.add_(x)`` — is fine)."""
    out = out._storage if is_tensor(out) else out
    if not _dense(out) and builtins.any(
            st == 0 and n > 1 for n, st in zip(out.shape, out.stride())):
        raise RuntimeError(INTERNAL_OVERLAP_MSG)
    for t in inputs:
        if is_tensor(t) and _partial_overlap(out, t._storage):
            raise RuntimeError(PARTIAL_OVERLAP_MSG)


_NO_GRAD_TAIL = (" Given that this use case is ambiguous and error-prone, it is forbidden. You "
                 "can clarify your code by moving both the view and the inplace either both "
                 "inside the no_grad block (if you don't want the inplace to be tracked) or both "
                 "outside (if you want the inplace to be tracked).")
_MULTI_TAIL = (" This view is the output of a function that returns multiple views. Such "
               "functions do not allow the output views to be modified inplace. You should "
               "replace the inplace operation by an out-of-place one.")

_CUSTOM_TAIL = (" This view was created inside a custom Function (or because an input was "
                "returned as-is) and the autograd logic to handle view+inplace would override "
                "the custom backward associated with the custom Function, leading to incorrect "
                "gradients. This behavior is forbidden. You can fix this by cloning the output "
                "of the custom Function.")


def _check_view_creation(self):
    """torch's handle_view_on_rebase: a recorded in-place op on a view made in no_grad mode or
    by a function returning several views is refused."""
    meta = self._view_creation
    if meta is None or self._base is None or not grad_mode.is_grad_enabled():
        return
    fn = self.grad_fn
    name, nr = (fn.name(), self._output_nr) if fn is not None else \
        (self._view_creation_node or (None, 0))
    name = re.sub(r"Backward[0-9]*$", "", name) if name is not None else None
    if meta == "no_grad" or fn is None:
        prefix = (f"Output {nr} of {name} is a view of a view which was created in"
                  if name is not None else "A view was created in")
        msg = prefix + " no_grad mode and is being modified inplace with grad mode enabled."
    else:
        msg = f"Output {nr} of {name} is a view and is being modified inplace."
    tail = {"multi_output": _MULTI_TAIL, "custom_function": _CUSTOM_TAIL}.get(meta, _NO_GRAD_TAIL)
    raise RuntimeError(msg + tail)


def _check_view_of_leaf(self):
    _check_view_creation(self)
    base = self._base
    if base is not None and self._grad_fn is not None and base.is_leaf and \
            base.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


class CopySlices(Function):
    """The base's new history after an in-place op on one of its views (PyTorch's CopySlices):
    the gradient of the base flows to its old history outside the view's region and to the
    in-place result inside it. Geometries are in the base's own layout (any strides)."""
    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, result, geometry):
        size, stride, offset = geometry
        ctx.geometry, ctx.result_shape, ctx.result_dtype = geometry, tuple(result.shape), \
            result.dtype
        ctx.layout = tuple(base.stride())
        # 1 outside the view's region, 0 inside: the old history's share of the gradient
        mask = layout_buffer(tuple(base.shape), ctx.layout, base.dtype, base.device, fill=1)
        elementwise.pointwise("copy", mask.as_strided(size, stride, offset), 0)
        ctx.mask = wrap(mask)
        return base._alias()  # the data was already written in place

    @staticmethod
    def backward(ctx, g):
        g_result = AsStrided.apply(to_layout(g, ctx.layout), ctx.geometry)
        return g * ctx.mask, unbroadcast(g_result, ctx.result_shape, ctx.result_dtype), None


def _rebase_view(self, result):
    base = self._base
    if not non_overlapping(tuple(base.shape), tuple(base.stride())):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor "
                           "refers to a single memory location. Please clone() the tensor before "
                           "performing the operation.")
    geometry = (tuple(self.shape), tuple(self.stride()),
                self.storage_offset() - base.storage_offset())
    elementwise.pointwise("copy", self._data, result._data)
    self._bump_version()  # shared with the base
    new_base = CopySlices.apply(base, result, geometry)
    base._set_history(new_base._grad_fn, 0)
    view = AsStrided.apply(base, geometry)
    self._set_history(view._grad_fn, 0, retain=False)
    self._view_version = self._version_counter[0]
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
    if result._grad_fn is not None:
        self._set_history(result._grad_fn, result._output_nr)
    else:
        self._grad_fn, self._output_nr = None, 0
        self._requires_grad = result.requires_grad
    return self


def _recording(self, *others):
    if not grad_mode.is_grad_enabled():
        return False
    if self.requires_grad or any(is_tensor(o) and o.requires_grad for o in others):
        return True
    # torch counts a view made in no_grad mode of a base that requires grad as requiring grad
    # here, so that the in-place op is refused (rebase_history raises) rather than untracked
    return self._view_creation == "no_grad" and self._base is not None and \
        self._base.requires_grad


def _pointwise_(self, op, out_of_place, *args, saves_self=False, function=None, result=None):
    """Generic in-place pointwise: ``op`` is the kernel op for the fast path, ``out_of_place``
    the differentiable function for the recorded path. ``function``, a pointwise Function that
    saves no input, records the op in place (one launch) when ``self`` is not a view."""
    _check_leaf(self)
    assert_no_overlap(self, *args)
    result_dtype = (result or _dtype.result_type)(self, *[a for a in args if a is not None])
    _check_cast(result_dtype, self.dtype)  # x.div_(2), x.exp_() of an int x raise, as torch
    if _recording(self, *args):
        if function is not None and self._base is None:
            return pointwise.inplace_variant(function).apply(self, *args)
        src = pointwise.Clone.apply(self) if saves_self else self
        return rebase_history(self, out_of_place(src, *args))
    compute = pointwise.inplace_compute(result_dtype, self.dtype)
    pointwise.run_op(op, (self, *args), self.dtype, compute=compute, out=self)
    self._bump_version()
    return self


def composite_(self, out_of_place):
    """In place, an op made of several kernels (``F.elu(x, inplace=True)``...): recorded as torch
    records it — the op's graph on a clone of ``self`` (what it saves is not overwritten), then
    ``self`` rebased onto its result — otherwise computed and written into ``self``."""
    _check_leaf(self)
    if _recording(self):
        return rebase_history(self, out_of_place(pointwise.Clone.apply(self)))
    with grad_mode.no_grad():
        self.copy_(out_of_place(self))
    return self


def add_(self, other, alpha=1):
    if alpha != 1:
        return _pointwise_(self, "add_scaled", lambda s, o, a: s.add(o, alpha=a), other, alpha,
                           function=pointwise.AddScaled)
    return _pointwise_(self, "add", lambda s, o: s + o, other, function=pointwise.Add)


def sub_(self, other, alpha=1):
    if self.dtype == torch.bool or isinstance(other, builtins.bool) or (
            is_tensor(other) and other.dtype == torch.bool):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if alpha != 1:
        return _pointwise_(self, "add_scaled", lambda s, o, a: s.add(o, alpha=a), other, -alpha,
                           function=pointwise.AddScaled)
    return _pointwise_(self, "sub", lambda s, o: s - o, other, function=pointwise.Sub)


def mul_(self, other):
    return _pointwise_(self, "mul", lambda s, o: s * o, other, saves_self=True)


def div_(self, other, rounding_mode=None):
    if rounding_mode is not None:
        assert_no_overlap(self, other)
        return _assign_(self, self.div(other, rounding_mode=rounding_mode))
    return _pointwise_(self, "div", lambda s, o: s / o, other, saves_self=True,
                       result=pointwise._floating)


def _unary_(op, method, function=None, floating=False):
    def f(self):
        if op == "neg" and self.dtype == torch.bool:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                               "you are trying to invert a mask, use the `~` or `logical_not()` "
                               "operator instead.")
        return _pointwise_(self, op, lambda s: getattr(s, method)(), saves_self=True,
                           function=function, result=pointwise._floating if floating else None)
    f.__name__ = method + "_"
    return f


def _assign_(self, value):
    """Generic fallback: compute out of place, write back."""
    _check_leaf(self)
    _check_cast(value.dtype, self.dtype)  # x.pow_(0.5) of an int x raises, as torch
    if tuple(value.shape) != tuple(self.shape):  # x.masked_fill_(a bigger mask, v)
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(value.shape)}")
    if _recording(self, value):
        return rebase_history(self, value)
    elementwise.pointwise("copy", self._data, value._data)
    self._bump_version()
    return self


def _recompute_(self, fn, *others):
    """In place through the out-of-place op ``fn``; a recorded op starts from a clone of self,
    whose old value its backward needs."""
    _check_leaf(self)
    assert_no_overlap(self, *others)
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
    elementwise.pointwise("copy", self._data, scalar_operand(value, self.dtype, self.device))
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
    assert_no_overlap(self, src)
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


def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    return _assign_(self, self.scatter(dim, index, src, value, reduce=reduce))


def scatter_add_(self, dim, index, src):
    return _assign_(self, self.scatter_add(dim, index, src))


def index_add_(self, dim, index, source, *, alpha=1):
    return _assign_(self, self.index_add(dim, index, source, alpha=alpha))


def index_copy_(self, dim, index, source):
    return _assign_(self, self.index_copy(dim, index, source))


def index_fill_(self, dim, index, value):
    return _assign_(self, self.index_fill(dim, index, value))


def _random_(self, kind, low, high, generator):
    _check_leaf(self)
    assert_no_overlap(self)
    if self.is_contiguous():
        exact_random_(self._data, kind, low, high, generator=generator)
    else:
        tmp = torch.empty(self.shape, dtype=self.dtype, device=self.device)
        exact_random_(tmp, kind, low, high, generator=generator)
        elementwise.pointwise("copy", self._data, tmp)
    self._bump_version()
    return self


def _check_floating(self, kernel):
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{pointwise.type_name(self.dtype)}'")


def uniform_(self, a=0.0, b=1.0, generator=None):
    _check_floating(self, "check_uniform_bounds")
    a, b = float(a), float(b)
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} "
                           f"> to={b:g}")
    return _random_(self, creation.UNIFORM, a, b, generator)


def normal_(self, mean=0.0, std=1.0, generator=None):
    _check_floating(self, "normal_kernel_cpu")
    if float(std) < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {float(std):g}")
    return _random_(self, creation.NORMAL, float(mean), float(std), generator)


def bernoulli_(self, p=0.5, generator=None):
    if is_tensor(p):  # a probability per element (broadcast to self): uniform < p
        if not p.dtype.is_floating_point:
            raise NotImplementedError(f'"bernoulli_tensor_cpu_p_" not implemented for '
                                      f"'{pointwise.type_name(p.dtype)}'")
        with grad_mode.no_grad():
            if p.numel() and not builtins.bool(((p >= 0) & (p <= 1)).all()):
                raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
            dtype = p.dtype if p.dtype.is_floating_point else _dtype.get_default_dtype()
            u = torch.empty(broadcast_shapes(tuple(self.shape), tuple(p.shape)), dtype=dtype,
                            device=self.device)
            exact_random_(u, creation.UNIFORM, 0.0, 1.0, generator=generator)
            value = (wrap(u) < p).to(self.dtype)
        return _assign_(self, value)
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return _random_(self, creation.BERNOULLI, p, 0.0, generator)


def exponential_(self, lambd=1.0, generator=None):
    """-log(1 - u) / lambd of uniform u in [0, 1): exponentially distributed, never negative."""
    lambd = float(lambd)
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    if not self.dtype.is_floating_point:
        raise RuntimeError("Exponential distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{pointwise.type_name(self.dtype)}")
    with grad_mode.no_grad():
        u = torch.empty(tuple(self.shape), dtype=self.dtype, device=self.device)
        exact_random_(u, creation.UNIFORM, 0.0, 1.0, generator=generator)
        value = (1 - wrap(u)).log().neg().div(lambd)
    return _assign_(self, value)


def random_(self, from_=0, to=None, generator=None):
    if to is None:
        from_, to = 0, from_ if from_ else 2**24
    if int(from_) >= int(to):
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= "
                           f"to={to}")
    return _random_(self, creation.RANDINT, int(from_), int(to), generator)


true_divide_ = div_
clip_ = clamp_
neg_ = _unary_("neg", "neg", pointwise.Neg)
abs_ = _unary_("abs", "abs")
exp_ = _unary_("exp", "exp", pointwise.Exp, floating=True)
log_ = _unary_("log", "log", floating=True)
sqrt_ = _unary_("sqrt", "sqrt", pointwise.Sqrt, floating=True)
sin_ = _unary_("sin", "sin", floating=True)
cos_ = _unary_("cos", "cos", floating=True)
tanh_ = _unary_("tanh", "tanh", pointwise.Tanh, floating=True)
sigmoid_ = _unary_("sigmoid", "sigmoid", pointwise.Sigmoid, floating=True)
_relu_ = _unary_("relu", "relu", pointwise.Relu)


def relu_(self):
    if lazy._slot is not None:  # a BatchNorm output is pending: relu_ may fuse into its launch
        from .. import fusion  # fusion.py builds on functions/ (normalization, pointwise)
        fused = fusion.relu_(self)
        if fused is not None:
            return fused
    return _relu_(self)
reciprocal_ = _unary_("reciprocal", "reciprocal", pointwise.Reciprocal, floating=True)
rsqrt_ = _unary_("rsqrt", "rsqrt", pointwise.Rsqrt, floating=True)



class InplaceOps:
    """Tensor's in-place methods and in-place operators (a mixin of ``Tensor``)."""
    __slots__ = ()
    add_, sub_, mul_, div_, true_divide_ = add_, sub_, mul_, div_, div_
    pow_, clamp_, clip_, fill_, zero_ = pow_, clamp_, clamp_, fill_, zero_
    copy_, masked_fill_, scatter_, scatter_add_ = copy_, masked_fill_, scatter_, scatter_add_
    index_add_, index_copy_, index_fill_ = index_add_, index_copy_, index_fill_
    uniform_, normal_, bernoulli_, random_ = uniform_, normal_, bernoulli_, random_
    exponential_ = exponential_
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


__all__ = ["LEAF_MSG", "CopySlices", "rebase_history", "composite_", "add_", "sub_", "mul_",
           "div_", "pow_",
           "clamp_", "fill_", "zero_", "copy_", "masked_fill_", "scatter_", "scatter_add_",
           "index_add_", "index_copy_", "index_fill_",
           "uniform_", "normal_", "exponential_",
           "bernoulli_", "random_", "true_divide_", "clip_", "neg_", "abs_", "exp_", "log_",
           "sqrt_", "sin_", "cos_", "tanh_", "sigmoid_", "relu_", "reciprocal_", "rsqrt_"]
