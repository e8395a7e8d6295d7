"""Differentiable pointwise ops. Each is a row of ``SPECS`` — kernel op, result dtype rule, what to
save and the local derivative — turned into an ``autograd.Function`` by ``_make``. Backward
formulas are written with Tensor ops, so with ``create_graph=True`` they are differentiable too.
"""
import math
import numbers

import torch

from .. import _dtype
from .._tensor_ref import tensor_type
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..ops import elementwise
from ..ops import reduce as reduce_kernels

# ---------------------------------------------------------------------------------------------
# host helpers: broadcasting, devices, launching
# ---------------------------------------------------------------------------------------------


_TYPE_NAMES = {torch.float32: "Float", torch.float64: "Double", torch.float16: "Half",
               torch.bfloat16: "BFloat16", torch.int64: "Long", torch.int32: "Int",
               torch.int16: "Short", torch.int8: "Char", torch.uint8: "Byte", torch.bool: "Bool"}
_CPP_NAMES = {torch.float32: "float", torch.float64: "double", torch.float16: "c10::Half",
              torch.bfloat16: "c10::BFloat16", torch.int64: "long int", torch.int32: "int",
              torch.int16: "short int", torch.int8: "signed char", torch.uint8: "unsigned char",
              torch.bool: "bool"}


def type_name(dtype):
    """torch's ScalarType name of a dtype, as its messages print it: Float, Long, Bool ..."""
    return _TYPE_NAMES.get(dtype, str(dtype).replace("torch.", "").title())


def cpp_type_name(dtype):
    """The C++ type name some torch messages print instead: float, long int, bool ..."""
    return _CPP_NAMES.get(dtype, str(dtype))


def broadcast_shapes(*shapes):
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for i in range(1, ndim + 1):
        for k, s in enumerate(shapes):
            if i > len(s):
                continue
            d = s[-i]
            if d == 1:
                continue
            if out[-i] == 1:
                out[-i] = d
            elif out[-i] != d:
                # name the first operand holding the other size, like torch ("tensor a/b")
                first = next(j for j, t in enumerate(shapes) if i <= len(t) and t[-i] == out[-i])
                raise RuntimeError(
                    f"The size of tensor {'ab'[min(first, 1)]} ({out[-i]}) must match the size "
                    f"of tensor {'ab'[min(k, 1)] if k != first else 'b'} ({d}) at non-singleton "
                    f"dimension {ndim - i}")
    return tuple(out)


def check_same_device(*tensors):
    devices = {t.device for t in tensors if _is_tensor(t) and t.dim() > 0}
    if len(devices) > 1:
        a, b = sorted(str(d) for d in devices)[::-1][:2]
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           f"devices, {a} and {b}!")


def _is_tensor(x):
    Tensor = tensor_type()
    return isinstance(x, Tensor)


def _validate_scalar(x):
    if not isinstance(x, numbers.Number) or isinstance(x, complex):
        raise TypeError(f"unsupported operand type: {type(x).__name__}")


def run_op(op, args, out_dtype, compute=None, out=None):
    """Run kernel op ``op`` on Tensors/Python numbers ``args``; returns a new Tensor (or
    ``out``)."""
    Tensor = tensor_type()
    tensors = [a for a in args if _is_tensor(a)]
    check_same_device(*tensors)
    shape = broadcast_shapes(*[tuple(t.shape) for t in tensors])
    device = next((t.device for t in tensors if t.dim() > 0), tensors[0].device)
    compute = compute or out_dtype
    if out is None:
        out = Tensor._make(torch.empty(shape, dtype=out_dtype, device=device))
    elif tuple(out.shape) != shape:
        raise RuntimeError(f"output with shape {list(out.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    operands = []
    for a in args:
        if _is_tensor(a):
            operands.append(a._data)
        elif compute == torch.float64 and isinstance(a, float) and op not in ("powi",):
            # a Python float argument reaches a compiled kernel as fp32: keep fp64 exact
            operands.append(torch.tensor(a, dtype=torch.float64, device=device))
        elif op == "pow":
            operands.append(torch.tensor(a, dtype=compute, device=device))
        else:
            operands.append(a)
    elementwise.pointwise(op, out._data, *operands, compute=compute)
    return out


def unbroadcast(g, shape, dtype):
    """Sum a gradient down to an input's shape (undo broadcasting) and cast to its dtype."""
    if g is None:
        return None
    if tuple(g.shape) != tuple(shape):
        g = g.sum_to_size(shape)
    if g.dtype != dtype:
        g = g.to(dtype)
    return g


# ---------------------------------------------------------------------------------------------
# dtype rules
# ---------------------------------------------------------------------------------------------
def _same(*args):
    return _dtype.result_type(*args)


def _floating(*args):
    dt = _dtype.result_type(*args)
    return dt if dt.is_floating_point else _dtype.get_default_dtype()


def _boolean(*args):
    return torch.bool


# ---------------------------------------------------------------------------------------------
# the generic Function
# ---------------------------------------------------------------------------------------------
class _Pointwise(Function):
    op = None
    result = staticmethod(_same)
    compute_rule = None  # dtype the kernel computes in, when it is not the result dtype
    save_inputs = False
    save_output = False
    grad = None          # grad(g, args, out) -> tuple of raw gradients, one per arg
    grad_takes_needs = False  # grad(g, args, out, needs_input_grad): computes only what's needed
    # fused_grad(ctx, g, args) -> final gradients in fewer launches, or None; used only when the
    # backward is not itself recorded (no create_graph), so nothing but the results is observable
    fused_grad = None
    keep_inputs = None   # keep_inputs(needs_input_grad) -> which inputs to save (None: all)
    inplace = False      # the variant made by inplace_variant(): writes into its first input

    @staticmethod
    def forward(ctx, *args):
        cls = ctx._function
        for a in args:
            if not _is_tensor(a):
                _validate_scalar(a)
        out_dtype = cls.result(*args)
        compute = cls.compute_rule(*args) if cls.compute_rule else out_dtype
        if cls.inplace:
            out = args[0]
            run_op(cls.op, args, out.dtype, inplace_compute(out_dtype, out.dtype), out=out)
            ctx.mark_dirty(out)
        else:
            out = run_op(cls.op, args, out_dtype, compute)
        ctx.args = [None if _is_tensor(a) else a for a in args]
        ctx.meta = [(tuple(a.shape), a.dtype) if _is_tensor(a) else None for a in args]
        keep = cls.keep_inputs(ctx.needs_input_grad) if cls.keep_inputs else None
        # like torch, an input only the other inputs' gradients need is saved only when one of
        # those requires grad (so `c[1] = c[0] * 5` does not save, and later trip over, c[0])
        saved = [a if keep is None or keep[i] else None for i, a in enumerate(args)
                 if _is_tensor(a)] if cls.save_inputs else []
        if cls.save_output:
            saved.append(out)
        ctx.save_for_backward(*saved)
        return out

    @staticmethod
    def backward(ctx, g):
        cls = ctx._function
        saved = list(ctx.saved_tensors)
        out = saved.pop() if cls.save_output else None
        args = list(ctx.args)
        if cls.save_inputs:
            it = iter(saved)
            args = [next(it) if m is not None else a for a, m in zip(args, ctx.meta)]
        if cls.fused_grad is not None and not is_grad_enabled():
            fused = cls.fused_grad(ctx, g, args)
            if fused is not None:
                return fused
        if cls.grad_takes_needs:
            grads = cls.grad(g, args, out, ctx.needs_input_grad)
        else:
            grads = cls.grad(g, args, out)
        return tuple(unbroadcast(gr, m[0], m[1]) if m is not None and need else None
                     for gr, m, need in zip(grads, ctx.meta, ctx.needs_input_grad))


def inplace_compute(result_dtype, self_dtype):
    """The dtype an in-place op on a ``self_dtype`` tensor computes in, given the out-of-place
    result dtype: the result's when it is floating or self is integral, else self's; half
    precisions compute in float32."""
    compute = result_dtype if result_dtype.is_floating_point or not self_dtype.is_floating_point \
        else self_dtype
    return torch.float32 if compute in (torch.float16, torch.bfloat16) else compute


_inplace_variants = {}


def inplace_variant(cls):
    """``cls`` recorded in place, as torch records ``x.relu_()``: one launch writes the result
    into the first input, which becomes the node's output (marked dirty: its version is bumped
    before anything is saved, so a saved output is the written tensor at its new version, and a
    later write to it is caught at backward). Only for ops that do not save their inputs (the
    old value of ``self`` is gone); others go through a clone."""
    assert not cls.save_inputs, cls
    variant = _inplace_variants.get(cls)
    if variant is None:
        variant = type(cls.__name__ + "_", (cls,), dict(node_name=cls.node_name, inplace=True))
        _inplace_variants[cls] = variant
    return variant


def _make(name, node_name, op, result=_same, grad=None, save_inputs=False, save_output=False,
          compute=None):
    return type(name, (_Pointwise,), dict(
        node_name=node_name, op=op, result=staticmethod(result), compute_rule=(
            staticmethod(compute) if compute else None), save_inputs=save_inputs,
        save_output=save_output, grad=staticmethod(grad) if grad else None))


def _nograd(g, args, out):
    return (None,) * len(args)


# unary ----------------------------------------------------------------------------------------
Neg = _make("Neg", "NegBackward0", "neg", grad=lambda g, a, o: (-g,))
Abs = _make("Abs", "AbsBackward0", "abs", save_inputs=True,
            grad=lambda g, a, o: (g * a[0].sign(),))
Exp = _make("Exp", "ExpBackward0", "exp", _floating, save_output=True,
            grad=lambda g, a, o: (g * o,))
Log = _make("Log", "LogBackward0", "log", _floating, save_inputs=True,
            grad=lambda g, a, o: (g / a[0],))
Sqrt = _make("Sqrt", "SqrtBackward0", "sqrt", _floating, save_output=True,
             grad=lambda g, a, o: (g / (2 * o),))
Rsqrt = _make("Rsqrt", "RsqrtBackward0", "rsqrt", _floating, save_output=True,
              grad=lambda g, a, o: (-0.5 * g * o * o * o,))
Sin = _make("Sin", "SinBackward0", "sin", _floating, save_inputs=True,
            grad=lambda g, a, o: (g * a[0].cos(),))
Cos = _make("Cos", "CosBackward0", "cos", _floating, save_inputs=True,
            grad=lambda g, a, o: (-g * a[0].sin(),))
Reciprocal = _make("Reciprocal", "ReciprocalBackward0", "reciprocal", _floating,
                   save_output=True, grad=lambda g, a, o: (-g * o * o,))
Floor = _make("Floor", "FloorBackward0", "floor", grad=lambda g, a, o: (g * 0,))
Sign = _make("Sign", "SignBackward0", "sign", grad=lambda g, a, o: (g * 0,))
IsNan = _make("IsNan", "IsnanBackward0", "isnan", _boolean, grad=_nograd, compute=_same)
LogicalNot = _make("LogicalNot", "LogicalNotBackward0", "logical_not", _boolean, grad=_nograd)

# log1p / expm1: accurate for tiny x (the kernel's Kahan forms)
Log1p = _make("Log1p", "Log1PBackward0", "log1p", _floating, save_inputs=True,
              grad=lambda g, a, o: (g / (a[0] + 1),))
Expm1 = _make("Expm1", "Expm1Backward0", "expm1", _floating, save_output=True,
              grad=lambda g, a, o: (g * (o + 1),))


# the fused backward ops are differentiable themselves (double backward)
ThresholdBackward = _make(
    "ThresholdBackward", "ThresholdBackwardBackward0", "relu_backward", save_inputs=True,
    grad=lambda g, a, o: (threshold_backward(g, a[1]), None))
SigmoidBackward = _make(
    "SigmoidBackward", "SigmoidBackwardBackward0", "sigmoid_backward", save_inputs=True,
    grad=lambda g, a, o: (sigmoid_backward(g, a[1]), g * a[0] * (1 - 2 * a[1])))
TanhBackward = _make(
    "TanhBackward", "TanhBackwardBackward0", "tanh_backward", save_inputs=True,
    grad=lambda g, a, o: (tanh_backward(g, a[1]), -2 * g * a[0] * a[1]))
LeakyReluBackward = _make(
    "LeakyReluBackward", "LeakyReluBackwardBackward0", "leaky_relu_backward", save_inputs=True,
    grad=lambda g, a, o: (leaky_relu_backward(g, a[1], a[2]), None, None))


def threshold_backward(g, y):
    return ThresholdBackward.apply(g, y)


def sigmoid_backward(g, y):
    return SigmoidBackward.apply(g, y)


def tanh_backward(g, y):
    return TanhBackward.apply(g, y)


def leaky_relu_backward(g, x, slope):
    return LeakyReluBackward.apply(g, x, slope)


Relu = _make("Relu", "ReluBackward0", "relu", save_output=True,
             grad=lambda g, a, o: (threshold_backward(g, o),))
Sigmoid = _make("Sigmoid", "SigmoidBackward0", "sigmoid", _floating, save_output=True,
                grad=lambda g, a, o: (sigmoid_backward(g, o),))
Tanh = _make("Tanh", "TanhBackward0", "tanh", _floating, save_output=True,
             grad=lambda g, a, o: (tanh_backward(g, o),))
LeakyRelu = _make("LeakyRelu", "LeakyReluBackward0", "leaky_relu", save_inputs=True,
                  grad=lambda g, a, o: (leaky_relu_backward(g, a[0], a[1]), None))


# binary ---------------------------------------------------------------------------------------
Add = _make("Add", "AddBackward0", "add", grad=lambda g, a, o: (g, g))
Sub = _make("Sub", "SubBackward0", "sub",
            grad=lambda g, a, o, needs: (g, -g if needs[1] else None))
Sub.grad_takes_needs = True
AddScaled = _make("AddScaled", "AddBackward0", "add_scaled",
                  grad=lambda g, a, o: (g, g * a[2], None))
Mul = _make("Mul", "MulBackward0", "mul", save_inputs=True,
            grad=lambda g, a, o: (g * a[1] if a[1] is not None else None,
                                  g * a[0] if a[0] is not None else None))
Mul.keep_inputs = staticmethod(lambda needs: (needs[1], needs[0]))


def _mul_fused_grad(ctx, g, args):
    """The gradient of a one-element tensor operand of a product with a tensor of the result's
    shape (``b * x`` with a scalar parameter ``b``): ``(g * x).sum()`` in one launch, each
    product rounded as the separate multiplication would store it. None (the generic path) for
    anything else."""
    if not any(_sum_of_products_applies(g, m, other) and need for m, other, need in zip(
            ctx.meta, args[::-1], ctx.needs_input_grad)):
        return None
    grads = []
    for m, other, need in zip(ctx.meta, args[::-1], ctx.needs_input_grad):
        if m is None or not need:
            grads.append(None)
        elif _sum_of_products_applies(g, m, other):
            Tensor = tensor_type()
            out = Tensor._make(torch.empty(m[0], dtype=m[1], device=g.device))
            reduce_kernels.sum_of_products(g._data, other._data, out._data)
            grads.append(out)
        else:
            grads.append(unbroadcast(g * other, m[0], m[1]))
    return tuple(grads)


def _sum_of_products_applies(g, meta, other):
    if meta is None or not _is_tensor(other) or math.prod(meta[0]) != 1 or g.dim() == 0:
        return False
    return (meta[1] in (torch.float32, torch.float64) and g.dtype == meta[1]
            and other.dtype == meta[1] and other.shape == g.shape and g.device == other.device
            and g._data.is_contiguous() and other._data.is_contiguous())


Mul.fused_grad = staticmethod(_mul_fused_grad)
Div = _make("Div", "DivBackward0", "div", _floating, save_inputs=True,
            grad=lambda g, a, o: (g / a[1] if a[1] is not None else None,
                                  -g * a[0] / (a[1] * a[1])
                                  if _is_tensor(a[1]) and a[0] is not None else None))
Div.keep_inputs = staticmethod(lambda needs: (needs[1], True))
# zero gradients (torch's floor/ceil/trunc/div(rounding_mode) backward: zeros, not None)
FloorDivide = _make("FloorDivide", "FloorDivideBackward0", "floor_divide",
                    grad=lambda g, a, o: (g * 0, g * 0 if _is_tensor(a[1]) else None))
Remainder = _make("Remainder", "RemainderBackward0", "remainder", save_inputs=True,
                  grad=lambda g, a, o: (g, -g * a[0].div(a[1], rounding_mode="floor")
                                        if _is_tensor(a[1]) else None))
Maximum = _make("Maximum", "MaximumBackward0", "maximum", save_inputs=True,
                grad=lambda g, a, o: _minmax_grad(g, a[0], a[1], a[0] > a[1]))
Minimum = _make("Minimum", "MinimumBackward0", "minimum", save_inputs=True,
                grad=lambda g, a, o: _minmax_grad(g, a[0], a[1], a[0] < a[1]))


Rsub = _make("Rsub", "RsubBackward1", "sub", grad=lambda g, a, o: (None, -g))  # number - tensor
# torch wraps the Python number of ``tensor op number`` into a tensor: its edge is (None, 0)
for _cls in (Add, Sub, AddScaled, Mul, Div):
    _cls._scalar_edge_slots = (1,)


def _minmax_grad(g, a, b, a_wins):
    tie = a == b
    half = g / 2
    return (where(a_wins, g, where(tie, half, 0.0)), where(a_wins, 0.0, where(tie, half, g)))


def _cmp(name, node, op):
    return _make(name, node, op, _boolean, compute=_same, grad=_nograd)


Eq, Ne = _cmp("Eq", "EqBackward0", "eq"), _cmp("Ne", "NeBackward0", "ne")
Lt, Le = _cmp("Lt", "LtBackward0", "lt"), _cmp("Le", "LeBackward0", "le")
Gt, Ge = _cmp("Gt", "GtBackward0", "gt"), _cmp("Ge", "GeBackward0", "ge")
LogicalAnd = _cmp("LogicalAnd", "LogicalAndBackward0", "logical_and")
LogicalOr = _cmp("LogicalOr", "LogicalOrBackward0", "logical_or")
LogicalXor = _cmp("LogicalXor", "LogicalXorBackward0", "logical_xor")


def _pow_tensor_grad(g, a, o):
    base, exp = a
    # torch's pow_backward_self: 0 where the exponent is 0 (0 ** -1 * 0 made NaN at base 0)
    ga = where(exp == 0, 0.0, g * exp * base.pow(exp - 1)) if _is_tensor(exp) else \
        g * exp * base.pow(exp - 1)
    gb = None
    if _is_tensor(exp):
        # d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (torch's convention)
        gb = where((base == 0) & (exp >= 0), 0.0, g * o * base.log())
    return ga, gb


def _pow_scalar_base_grad(g, a, o):
    base, exp = a
    if base == 0:
        return None, where(exp >= 0, 0.0, g * o * float("-inf"))
    return None, g * o * math.log(base)


PowTensor = _make("PowTensor", "PowBackward1", "pow", _same, save_inputs=True, save_output=True,
                  grad=_pow_tensor_grad)
PowScalarBase = _make("PowScalarBase", "PowBackward2", "pow", _same, save_inputs=True,
                      save_output=True, grad=_pow_scalar_base_grad)


class PowScalar(Function):
    """x ** e for a Python number e. Integral e uses exact repeated products (|e| <= 64)."""
    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, x, e):
        _validate_scalar(e)
        out_dtype = _dtype.result_type(x, e)
        if not out_dtype.is_floating_point and e < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        ctx.e = e
        ctx.meta = (tuple(x.shape), x.dtype)
        ctx.save_for_backward(x)
        if e == 0:
            Tensor = tensor_type()
            out = Tensor._make(torch.empty(x.shape, dtype=out_dtype, device=x.device))
            elementwise.pointwise("copy", out._data, 1)
            return out
        if float(e).is_integer() and 0 < e <= 64:
            return run_op("powi", (x, int(e)), out_dtype)
        if e == -1:
            return run_op("reciprocal", (x,), out_dtype)
        if e in (0.5, -0.5):  # as torch: sqrt / rsqrt (exact; (-inf) ** 0.5 is NaN, not inf)
            return run_op("sqrt" if e > 0 else "rsqrt", (x,), out_dtype)
        return run_op("pow", (x, float(e)), out_dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        e = ctx.e
        if e == 0:
            return g * 0, None
        if (not is_grad_enabled() and float(e).is_integer() and 2 <= e <= 64
                and g.dtype == x.dtype and x.dtype in (torch.float32, torch.float64)):
            # g * (e * x^(e-1)) in one launch, rounded as torch's pow backward rounds it
            return unbroadcast(run_op("powi_backward", (g, x, int(e)), x.dtype), *ctx.meta), None
        return unbroadcast(g * e * x.pow(e - 1), *ctx.meta), None


# ternary ---------------------------------------------------------------------------------------
def _where_result(c, a, b):
    return _dtype.result_type(a, b)


Where = _make("Where", "WhereBackward0", "where", _where_result, save_inputs=True,
              compute=lambda c, a, b: _dtype.result_type(a, b),
              grad=lambda g, a, o: (None, where(a[0], g, 0.0), where(a[0], 0.0, g)))
Where._no_edge_slots, Where._scalar_edge_slots = (0,), (1, 2)


def where(cond, a, b):
    if not _is_tensor(cond) or cond.dtype != torch.bool:
        if _is_tensor(cond):
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                               f"with dtype {type_name(cond.dtype)}")
        raise TypeError("where(): argument 'condition' must be Tensor")
    dt = _dtype.result_type(a, b)
    # a half result checks the number against float32 (1e6 becomes inf), as torch's where
    _check_scalars_fit(torch.float32 if dt in (torch.float16, torch.bfloat16) else dt, a, b)
    return Where.apply(cond, a, b)


def _check_scalars_fit(dt, *values):
    for v in values:
        if v is not None and not _is_tensor(v):
            _dtype.check_scalar_fits(v, dt)


def _clamp_grad(g, a, o):
    x, lo, hi = a
    mask = None
    if lo is not None:
        mask = x >= lo
    if hi is not None:
        m2 = x <= hi
        mask = m2 if mask is None else mask & m2
    return where(mask, g, 0.0), None, None


class Clamp(Function):
    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo, hi):
        if lo is None and hi is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        out_dtype = _dtype.result_type(x, *(v for v in (lo, hi) if v is not None))
        _check_scalars_fit(out_dtype, lo, hi)
        if out_dtype == torch.uint8:  # the bound is a uint8 first: clamp(max=-1) is max=255
            lo, hi = (v & 0xFF if isinstance(v, numbers.Integral) and not isinstance(v, bool)
                      else v for v in (lo, hi))
        inf = float("inf")
        lo_v = -inf if lo is None else lo
        hi_v = inf if hi is None else hi
        if not out_dtype.is_floating_point:
            lo_v = -(2**62) if lo is None else lo
            hi_v = 2**62 if hi is None else hi
        ctx.lo, ctx.hi = lo, hi
        ctx.meta = (tuple(x.shape), x.dtype)
        ctx.save_for_backward(x)
        return run_op("clamp", (x, lo_v, hi_v), out_dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        gx = _clamp_grad(g, (x, ctx.lo, ctx.hi), None)[0]
        return unbroadcast(gx, *ctx.meta), None, None


# copies ---------------------------------------------------------------------------------------
class ToCopy(Function):
    """dtype conversion (``.to(dtype)``)."""
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        compute = dtype if not (dtype.is_floating_point or x.dtype.is_floating_point) else (
            torch.float64 if torch.float64 in (dtype, x.dtype) else torch.float32)
        if dtype == torch.bool:
            compute = x.dtype if x.dtype != torch.bool else torch.bool
            if compute in (torch.float16, torch.bfloat16):
                compute = torch.float32
            return run_op("ne", (x, 0), torch.bool, compute=compute)
        if not dtype.is_floating_point and x.dtype.is_floating_point:
            compute = x.dtype if x.dtype == torch.float64 else torch.float32
        return run_op("copy", (x,), dtype, compute=compute)

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.in_dtype), None


class Clone(Function):
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x, memory_format=torch.contiguous_format):
        """The copy's layout is torch's for ``memory_format`` (preserve_format keeps the strides
        of a dense input)."""
        if memory_format == torch.contiguous_format:
            return run_op("copy", (x,), x.dtype)
        out = tensor_type()._make(torch.empty_like(x._data, memory_format=memory_format))
        return run_op("copy", (x,), x.dtype, out=out)

    @staticmethod
    def backward(ctx, g):
        return g


__all__ = ["broadcast_shapes", "check_same_device", "run_op", "unbroadcast", "Neg", "Abs", "Exp",
           "Log", "Sqrt", "Rsqrt", "Sin", "Cos", "Reciprocal", "Sign", "Floor", "IsNan",
           "LogicalNot",
           "Log1p", "Expm1",
           "ThresholdBackward", "SigmoidBackward", "TanhBackward", "LeakyReluBackward",
           "threshold_backward", "sigmoid_backward", "tanh_backward", "leaky_relu_backward",
           "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Add", "Sub", "AddScaled", "Mul", "Div",
           "FloorDivide", "Remainder", "Maximum", "Minimum", "Rsub", "Eq", "Ne", "Lt", "Le", "Gt",
           "Ge", "LogicalAnd", "LogicalOr", "LogicalXor", "PowTensor", "PowScalarBase",
           "PowScalar", "Where", "where", "Clamp", "ToCopy", "Clone"]


class ClampTensor(Function):
    """clamp with tensor bounds: forward max(min(x, lo), hi) (NaN propagates); backward as torch's
    clamp_backward / clamp_backward_min_max: x gets the gradient where lo <= x <= hi (a tie with
    a bound included), lo where x < lo (and lo < hi), hi where x > hi (or hi < lo)."""
    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        r = x
        if lo is not None:
            r = Maximum.apply(r, lo)
        if hi is not None:
            r = Minimum.apply(r, hi)
        ctx.metas = [None if t is None else (tuple(t.shape), t.dtype) for t in (x, lo, hi)]
        ctx.save_for_backward(x, lo, hi)
        return r

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        need = ctx.needs_input_grad
        if lo is not None and hi is not None:
            gx = where((x >= lo) & (x <= hi), g, 0.0) if need[0] else None
            glo = where((x < lo) & (lo < hi), g, 0.0) if need[1] else None
            ghi = where((x > hi) | (hi < lo), g, 0.0) if need[2] else None
        elif lo is not None:
            gx = where(x >= lo, g, 0.0) if need[0] else None
            glo, ghi = (where(x < lo, g, 0.0) if need[1] else None), None
        else:
            gx = where(x <= hi, g, 0.0) if need[0] else None
            glo, ghi = None, (where(x > hi, g, 0.0) if need[2] else None)
        return tuple(None if gr is None else unbroadcast(gr, *m)
                     for gr, m in zip((gx, glo, ghi), ctx.metas))
