"""The op API: torch-namespace functions (``minitorch.add``, ``minitorch.matmul`` ...) and the
Tensor methods and operators that call them. Each function validates its arguments and dispatches
to one ``autograd.Function`` (pointwise, reduction, shape, indexing, linalg)."""
import builtins
import math
import numbers
import warnings

import torch

from .. import _dtype, _tensor_ref
from .._tensor_ref import full, zeros
from ..autograd import grad_mode
from ..ops import lazy
from ..ops import reduce as reduce_kernels
from . import activation, indexing, linalg, pointwise, reduction, scan_sort
from . import shape as shape_fns
from .dims import normalize_dims, numpy_aliases
from .einsum import einsum
from .results import ValuesIndices as _ValuesIndices

_py_bool = builtins.bool


def _t(x):
    return _tensor_ref.is_tensor(x)


def _num(x):
    return isinstance(x, numbers.Number) and not isinstance(x, complex)


def _check_operand(x, opname):
    if not (_t(x) or _num(x)):
        raise TypeError(f"unsupported operand type(s) for {opname}: 'Tensor' and "
                        f"'{type(x).__name__}'")


# ---------------------------------------------------------------------------------------------
# pointwise
# ---------------------------------------------------------------------------------------------
def _check_alpha(input, other, alpha):
    if isinstance(alpha, float) and not _dtype.result_type(input, other).is_floating_point:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")


def add(input, other, alpha=1):
    _check_operand(other, "+")
    _check_alpha(input, other, alpha)
    if alpha != 1:
        if _t(other) or _t(input):
            return pointwise.AddScaled.apply(input, other, alpha)
        return input + alpha * other
    if not _t(input):
        input, other = other, input
    return pointwise.Add.apply(input, other)


def sub(input, other, alpha=1):
    _check_operand(other, "-")
    a_b = (_t(input) and input.dtype == torch.bool) or isinstance(input, _py_bool)
    o_b = (_t(other) and other.dtype == torch.bool) or isinstance(other, _py_bool)
    if a_b and o_b:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if a_b or o_b:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    _check_alpha(input, other, alpha)
    if alpha != 1:
        return pointwise.AddScaled.apply(input, other, -alpha)
    return pointwise.Sub.apply(input, other)


def rsub(input, other, alpha=1):
    return sub(other, input, alpha=alpha)


def mul(input, other):
    _check_operand(other, "*")
    if not _t(input):
        input, other = other, input
    return pointwise.Mul.apply(input, other)


def div(input, other, rounding_mode=None):
    _check_operand(other, "/")
    if rounding_mode is None:
        return pointwise.Div.apply(input, other)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        _check_int_zero_division(input, other)
        dt = _dtype.result_type(input, other)
        if not dt.is_floating_point:  # exact for all int64 (a float quotient is not)
            q, r = floor_divide(input, other), remainder(input, other)
            return q + ((r != 0) & (q < 0)).to(dt)
        q = pointwise.Div.apply(input, other)
        return where(q < 0, (-q).floor() * -1, q.floor())
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found '{rounding_mode}'")


true_divide = divide = div


def _check_not_both_bool(kernel, a, b):
    if _dtype.result_type(a, b) == torch.bool:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def floor_divide(input, other):
    _check_operand(other, "//")
    _check_not_both_bool("div_floor_cpu", input, other)
    _check_int_zero_division(input, other)
    return pointwise.FloorDivide.apply(input, other)


def remainder(input, other):
    _check_operand(other, "%")
    _check_not_both_bool("remainder_cpu", input, other)
    _check_int_zero_division(input, other)
    return pointwise.Remainder.apply(input, other)


def _check_int_zero_division(a, b):
    dt = _dtype.result_type(a, b)
    if dt.is_floating_point or dt == torch.bool:
        return
    if _num(b):
        if b == 0:
            raise RuntimeError("ZeroDivisionError")
    elif _py_bool((b == 0).any()):
        raise RuntimeError("ZeroDivisionError")


def pow(input, exponent):
    if (_t(input) and input.dtype == torch.bool or isinstance(input, _py_bool)) and \
            (_t(exponent) and exponent.dtype == torch.bool):
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if _t(input) and _num(exponent):
        return pointwise.PowScalar.apply(input, exponent)
    if _t(input) and _t(exponent):
        return pointwise.PowTensor.apply(input, exponent)
    if _num(input) and _t(exponent):
        return pointwise.PowScalarBase.apply(input, exponent)
    raise TypeError(f"pow(): unsupported operand types {type(input).__name__} and "
                    f"{type(exponent).__name__}")


def neg(x):
    if x.dtype == torch.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return pointwise.Neg.apply(x)


negative = neg


def _unary(cls):
    def f(input):
        return cls.apply(input)
    return f


def abs(input):
    if input.dtype == torch.bool:
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return pointwise.Abs.apply(input)


exp = _unary(pointwise.Exp)
log = _unary(pointwise.Log)
sqrt = _unary(pointwise.Sqrt)
rsqrt = _unary(pointwise.Rsqrt)
sin = _unary(pointwise.Sin)
cos = _unary(pointwise.Cos)
tanh = _unary(pointwise.Tanh)
sigmoid = _unary(pointwise.Sigmoid)
def relu(input):
    if lazy._slot is not None:  # a Linear or BatchNorm output is pending: relu may fuse
        from .. import fusion  # fusion.py builds on functions/ (linalg, pointwise, loss)
        fused = fusion.relu(input)
        if fused is not None:
            return fused
    return pointwise.Relu.apply(input)


reciprocal = _unary(pointwise.Reciprocal)
sign = _unary(pointwise.Sign)
isnan = _unary(pointwise.IsNan)
logical_not = _unary(pointwise.LogicalNot)


def square(x):
    return pow(x, 2)


def log2(x):
    return log(x) / math.log(2)


def log10(x):
    return log(x) / math.log(10)


def log1p(x):
    return pointwise.Log1p.apply(x)


def expm1(x):
    return pointwise.Expm1.apply(x)


def floor(x):
    if not x.dtype.is_floating_point:
        return x.clone()
    return pointwise.Floor.apply(x)


def ceil(x):
    if not x.dtype.is_floating_point:
        return x.clone()
    return -pointwise.Floor.apply(-x)


def round(x, *, decimals=0):
    """Round half to even, as torch (``decimals`` scales by 10**decimals first)."""
    if not x.dtype.is_floating_point:
        return x.clone()
    if decimals:
        scale = 10.0 ** decimals
        return round(x * scale) / scale if decimals > 0 else round(x / (1.0 / scale)) * \
            (1.0 / scale)
    f = floor(x)
    d = x - f
    even = remainder(f, 2) == 0
    r = where(d > 0.5, f + 1, where((d < 0.5) | ((d == 0.5) & even), f, f + 1))
    return where(r == 0, x * 0, r)  # -0.5 rounds to -0.0


def isinf(x):
    return abs(x) == float("inf") if x.dtype.is_floating_point else zeros_bool(x)


def isfinite(x):
    return ~(isnan(x) | isinf(x)) if x.dtype.is_floating_point else ~zeros_bool(x)


def zeros_bool(x):
    return zeros(tuple(x.shape), dtype=torch.bool, device=x.device)


def clamp(input, min=None, max=None):
    if _t(min) or _t(max):
        lo = None if min is None else min if _t(min) else _scalar_like(min, input)
        hi = None if max is None else max if _t(max) else _scalar_like(max, input)
        return pointwise.ClampTensor.apply(input, lo, hi)
    return pointwise.Clamp.apply(input, min, max)


clip = clamp


def _scalar_like(v, ref):
    return full((), v, dtype=ref.dtype, device=ref.device)


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def _check_tensor_arg(fn, name, pos, x):
    if not _t(x):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


def maximum(input, other):
    _check_tensor_arg("maximum", "other", 2, other)
    return pointwise.Maximum.apply(input, other)


def minimum(input, other):
    _check_tensor_arg("minimum", "other", 2, other)
    return pointwise.Minimum.apply(input, other)


def where(condition, input=None, other=None):
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return pointwise.where(condition, input, other)


def _cmp(cls, sym):
    def f(input, other):
        _check_operand(other, sym)
        return cls.apply(input, other)
    return f


eq = _cmp(pointwise.Eq, "==")
ne = _cmp(pointwise.Ne, "!=")
lt = _cmp(pointwise.Lt, "<")
le = _cmp(pointwise.Le, "<=")
gt = _cmp(pointwise.Gt, ">")
ge = _cmp(pointwise.Ge, ">=")
less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne
logical_and = _cmp(pointwise.LogicalAnd, "&")
logical_or = _cmp(pointwise.LogicalOr, "|")
logical_xor = _cmp(pointwise.LogicalXor, "^")


def _bitwise(cls, sym):
    def f(input, other):
        for v in (input, other):
            if _t(v) and v.dtype.is_floating_point:
                raise NotImplementedError(f'"bitwise_{cls.op.split("_")[1]}_cpu" not implemented '
                                          f"for '{pointwise.type_name(v.dtype)}'")
            if _t(v) and v.dtype != torch.bool:
                raise NotImplementedError(f"minitorch implements {sym} for bool tensors only")
        return cls.apply(input, other)
    return f


bitwise_and = _bitwise(pointwise.LogicalAnd, "&")
bitwise_or = _bitwise(pointwise.LogicalOr, "|")
bitwise_xor = _bitwise(pointwise.LogicalXor, "^")


def bitwise_not(x):
    if x.dtype.is_floating_point:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    if x.dtype != torch.bool:
        raise NotImplementedError("minitorch implements ~ for bool tensors only")
    return logical_not(x)


def equal(a, b):
    return tuple(a.shape) == tuple(b.shape) and _py_bool((a == b).all())


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _py_bool(isclose(a, b, rtol, atol, equal_nan).all())


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    if _t(a) and _t(b) and a.dtype != b.dtype:
        raise RuntimeError(f"{pointwise.type_name(a.dtype)} did not match "
                           f"{pointwise.type_name(b.dtype)}")
    if _t(a) and a.dtype == torch.bool:
        return a == b
    # like torch: equal values (infinities included) are close; otherwise only finite ones
    close = (a == b) | (isfinite(a - b) & (abs(a - b) <= atol + rtol * abs(b)))
    if equal_nan:
        close = close | (isnan(a) & isnan(b))
    return close


def lerp(start, end, weight):
    return start + weight * (end - start)


def addcmul(input, tensor1, tensor2, value=1):
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, value=1):
    return input + value * tensor1 / tensor2


# ---------------------------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------------------------
@numpy_aliases
def sum(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None and not keepdim:  # sum(dim=None, keepdim=True) keeps every dim as 1
        return reduction.SumAll.apply(input, tuple(range(input.dim())), False, dtype)
    return reduction.Sum.apply(input, normalize_dims(dim, input.dim()), keepdim, dtype)


@numpy_aliases
def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None and not keepdim:
        return reduction.MeanAll.apply(input, tuple(range(input.dim())), False, dtype)
    return reduction.Mean.apply(input, normalize_dims(dim, input.dim()), keepdim, dtype)


@numpy_aliases
def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None:
        return reduction.ProdAll.apply(input, tuple(range(input.dim())), False, dtype)
    return reduction.Prod.apply(input, normalize_dims(dim, input.dim()), keepdim, dtype)


def _maxmin(op, input, dim, keepdim, other):
    if _t(dim):  # torch.max(a, b) == maximum
        return maximum(input, dim) if op == "max" else minimum(input, dim)
    if other is not None:
        return maximum(input, other) if op == "max" else minimum(input, other)
    if dim is None:
        return (reduction.MaxAll if op == "max" else reduction.MinAll).apply(input, op)
    d = normalize_dims(dim, input.dim())[0] if input.dim() else 0
    if input.dim() == 0:
        return _ValuesIndices(input.clone(), _scalar_index(input), op)
    values, idx = (reduction.MaxDim if op == "max" else reduction.MinDim).apply(input, op, d,
                                                                                keepdim)
    return _ValuesIndices(values, idx, op)


def _scalar_index(x):
    return zeros((), dtype=torch.int64, device=x.device)


@numpy_aliases
def max(input, dim=None, keepdim=False, *, other=None):
    return _maxmin("max", input, dim, keepdim, other)


@numpy_aliases
def min(input, dim=None, keepdim=False, *, other=None):
    return _maxmin("min", input, dim, keepdim, other)


@numpy_aliases
def amax(input, dim=(), keepdim=False, _op="amax"):
    dims = normalize_dims(dim if dim != () else None, input.dim())
    if input.numel() == 0:
        if dim == () or dim is None:
            raise RuntimeError(f"{_op}(): Expected reduction dim to be specified for input.numel() "
                               "== 0. Specify the reduction dim with the 'dim' argument.")
        for d in dims:
            if input.shape[d] == 0:
                raise IndexError(f"{_op}(): Expected reduction dim {d} to have non-zero size.")
    return (reduction.AMax if _op == "amax" else reduction.AMin).apply(input, _op[1:], dims,
                                                                       keepdim)


@numpy_aliases
def amin(input, dim=(), keepdim=False):
    return amax(input, dim, keepdim, _op="amin")


@numpy_aliases
def argmax(input, dim=None, keepdim=False):
    with grad_mode.no_grad():
        if dim is None:
            if input.numel() == 0:
                raise IndexError("argmax(): Expected reduction dim to be specified for "
                                 "input.numel() == 0.")
            r = max(input.reshape(-1), 0).indices
            return r.reshape([1] * input.dim()) if keepdim else r
        return max(input, dim, keepdim).indices


@numpy_aliases
def argmin(input, dim=None, keepdim=False):
    with grad_mode.no_grad():
        if dim is None:
            if input.numel() == 0:
                raise IndexError("argmin(): Expected reduction dim to be specified for "
                                 "input.numel() == 0.")
            r = min(input.reshape(-1), 0).indices
            return r.reshape([1] * input.dim()) if keepdim else r
        return min(input, dim, keepdim).indices


@numpy_aliases
def all(input, dim=None, keepdim=False):
    if _no_dims(dim):  # all(dim=()) reduces nothing in torch (unlike sum(dim=()))
        return _bool_reduce(None, input, None, keepdim, None)
    dims = normalize_dims(dim, input.dim())
    out = reduce_kernels.reduce("min", _truth(input)._data, dims, out_dtype=torch.bool,
                                compute=torch.bool) \
        if input.numel() else None
    return _bool_reduce(out, input, dims, keepdim, True)


@numpy_aliases
def any(input, dim=None, keepdim=False):
    if _no_dims(dim):
        return _bool_reduce(None, input, None, keepdim, None)
    dims = normalize_dims(dim, input.dim())
    out = reduce_kernels.reduce("max", _truth(input)._data, dims, out_dtype=torch.bool,
                                compute=torch.bool) \
        if input.numel() else None
    return _bool_reduce(out, input, dims, keepdim, False)


def _truth(x):
    """x != 0 for non-bool x (a float like 0.5 is true; a cast to bool in the kernel is not)."""
    return x if x.dtype == torch.bool else ne(x.detach(), 0)


def _no_dims(dim):
    return dim is not None and not isinstance(dim, numbers.Integral) and len(tuple(dim)) == 0


def _bool_reduce(out, input, dims, keepdim, empty_value):
    if dims is None:  # no reduction: the elementwise truth of the input
        r = _truth(input)
        return r.to(torch.uint8) if input.dtype == torch.uint8 else r.clone() if r is input else r
    shape = reduction._result_shape(tuple(input.shape), dims, keepdim)
    if out is None:
        r = full(shape, empty_value, dtype=torch.bool, device=input.device)
    else:
        r = _tensor_ref.wrap(out.reshape(shape))
    # torch keeps uint8 for uint8 input (its legacy byte-mask semantics), bool otherwise
    return r.to(torch.uint8) if input.dtype == torch.uint8 else r


@numpy_aliases
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if not input.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {pointwise.type_name(input.dtype)}")
    if p in ("fro", 2, 2.0):
        dims = normalize_dims(dim, input.dim())
        return reduction.Norm2.apply(input, dims, keepdim)
    if p in (float("inf"), "inf"):
        return amax(abs(input), dim if dim is not None else (), keepdim)
    if p in (float("-inf"), "-inf"):
        return amin(abs(input), dim if dim is not None else (), keepdim)
    if p == 1:
        return sum(abs(input), dim, keepdim)
    if p == 0:
        return sum((input != 0).to(input.dtype), dim, keepdim)
    return reduction.NormP.apply(input, p, normalize_dims(dim, input.dim()), keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased in (None, True) else 0


@numpy_aliases
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, _op="var"):
    if isinstance(dim, _py_bool):  # var(x, False) — the unbiased positional form
        dim, unbiased = None, dim
    dims = normalize_dims(dim, input.dim())
    return reduction.Var.apply(input, dims, _correction(unbiased, correction), keepdim, _op)


@numpy_aliases
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return reduction.StdFromVar.apply(var(input, dim, unbiased, keepdim, correction=correction,
                                          _op="std"))


@numpy_aliases
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


@numpy_aliases
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


@numpy_aliases
def logsumexp(input, dim, keepdim=False):
    if input.numel() == 0:  # log(sum(exp(empty))) = log(0) = -inf, as in torch
        return log(sum(exp(input), dim, keepdim=keepdim))
    m = amax(input, dim, keepdim=True).detach()
    m = where(isinf(m), 0.0, m)
    r = log(sum(exp(input - m), dim, keepdim=True)) + m
    if not keepdim:
        r = r.squeeze(dim) if _py_bool(isinstance(dim, int)) else r.reshape(
            [s for i, s in enumerate(input.shape) if i not in normalize_dims(dim, input.dim())])
    return r


@numpy_aliases
def softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    d = _softmax_dim(input, dim)
    return activation.Softmax.apply(input, d)


@numpy_aliases
def log_softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    d = _softmax_dim(input, dim)
    return activation.LogSoftmax.apply(input, d)


def _softmax_dim(input, dim):
    if dim is None:
        warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call "
                      "to include dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if input.dim() in (0, 1, 3) else 1
    return normalize_dims(dim, input.dim())[0] if input.dim() else 0


def sum_to_size(x, *size):
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list, torch.Size)) \
        else tuple(size)
    shape = tuple(x.shape)
    if shape == size:
        return x
    lead = len(shape) - len(size)
    if lead < 0 or builtins.any(s != 1 and s != shape[lead + i] for i, s in enumerate(size)):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size)
                                      if s == 1 and shape[lead + i] != 1)
    if lead and dims == tuple(range(lead)):
        # only leading dims: the sum has the target shape itself (a fresh tensor, not a view of
        # one, as torch's is; autograd then stores it as .grad without a copy)
        return reduction.Sum.apply(x, dims, False, None)
    r = reduction.Sum.apply(x, dims, True, None) if dims else x
    return r.reshape(size)


# ---------------------------------------------------------------------------------------------
# linear algebra
# ---------------------------------------------------------------------------------------------
def matmul(input, other):
    if not (_t(input) and _t(other)):
        raise TypeError(f"matmul(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(other).__name__}")
    return linalg.matmul(input, other)


def mm(input, mat2):
    if input.dim() != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.dim() != 2:
        raise RuntimeError("mat2 must be a matrix")
    return linalg.Matmul.apply(input, mat2)


def bmm(input, mat2):
    if input.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    return linalg.Bmm.apply(input, mat2)


def mv(input, vec):
    if input.dim() != 2 or vec.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {vec.dim()}, {input.dim()}, "
                           f"{vec.dim()}")
    return linalg.Mv.apply(input, vec)


def dot(input, other):
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {other.dim()}D "
                           "tensors")
    return linalg.Dot.apply(input, other)


def outer(input, vec2):
    for name, v in (("self", input), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.dim()}-D")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


def addmm(input, mat1, mat2, beta=1, alpha=1):
    prod = mm(mat1, mat2)
    prod = prod if alpha == 1 else alpha * prod
    if beta == 0:
        return _ignore_input(input, prod)
    return (input if beta == 1 else beta * input) + prod


def _ignore_input(input, prod):
    """beta == 0, as torch: the input is ignored (NaN and inf in it do not propagate) but still
    broadcast-checked, and its gradient is zeros."""
    never = zeros(pointwise.broadcast_shapes(tuple(input.shape), tuple(prod.shape)),
                  dtype=torch.bool, device=prod.device)
    return where(never, input, prod)


# ---------------------------------------------------------------------------------------------
# shape
# ---------------------------------------------------------------------------------------------
def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, torch.Size)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(input, *shape):
    return shape_fns.View.apply(input, _shape_args(shape), False)


def view(input, *shape):
    if len(shape) == 1 and isinstance(shape[0], torch.dtype):
        raise NotImplementedError("view(dtype) is not supported by minitorch")
    return shape_fns.View.apply(input, _shape_args(shape), True)


def view_as(input, other):
    return view(input, tuple(other.shape))


def reshape_as(input, other):
    return reshape(input, tuple(other.shape))


@numpy_aliases
def flatten(input, start_dim=0, end_dim=-1):
    if input.dim() == 0:
        return reshape(input, (1,))
    s = normalize_dims(start_dim, input.dim())[0]
    e = normalize_dims(end_dim, input.dim())[0]
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shape = list(input.shape)
    n = 1
    for d in range(s, e + 1):
        n *= shape[d]
    return reshape(input, shape[:s] + [n] + shape[e + 1:])


def unflatten(input, dim, sizes):
    d = normalize_dims(dim, input.dim())[0]
    shape = list(input.shape)
    sizes = list(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if builtins.sum(1 for s in sizes if s == -1) > 1:
        raise RuntimeError("unflatten: only one dimension can be inferred")
    if -1 in sizes:
        known = 1
        for s in sizes:
            if s != -1:
                known *= s
        if known == 0 or shape[d] % known:
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                               f"size of dim {d} ({shape[d]}) in the input tensor")
        sizes[sizes.index(-1)] = shape[d] // known
    elif math.prod(sizes) != shape[d]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {d} ({shape[d]}) in the input tensor")
    return reshape(input, shape[:d] + sizes + shape[d + 1:])


@numpy_aliases
def transpose(input, dim0, dim1):
    n = input.dim()
    d0 = normalize_dims(dim0, n)[0] if n else 0
    d1 = normalize_dims(dim1, n)[0] if n else 0
    if n == 0:
        return shape_fns.View.apply(input, (), False)
    return shape_fns.Transpose.apply(input, d0, d1)


swapaxes = swapdims = transpose


def t(input):
    return shape_fns.MatrixTranspose.apply(input)


def permute(input, *dims):
    dims = _shape_args(dims)
    if len(dims) != input.dim():
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {input.dim()} is not equal to len(dims) = {len(dims)}")
    nd = tuple(normalize_dims(d, input.dim())[0] for d in dims)
    if len(set(nd)) != len(nd):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return shape_fns.Permute.apply(input, nd)


def movedim(input, source, destination):
    """Move dims ``source`` (an int or a sequence, in the given order) to ``destination``; the
    other dims keep their relative order."""
    n = input.dim()
    one = (lambda d: [d]) if isinstance(source, numbers.Integral) else list
    src = [normalize_dims(d, n)[0] if n else 0 for d in one(source)]
    one = (lambda d: [d]) if isinstance(destination, numbers.Integral) else list
    dst = [normalize_dims(d, n)[0] if n else 0 for d in one(destination)]
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(ds)})")
    if n == 0:
        return permute(input, [])
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src)
    return permute(input, [o if o is not None else next(rest) for o in order])


@numpy_aliases
def squeeze(input, dim=None):
    if dim is not None:
        if not isinstance(dim, numbers.Integral) and len(dim) == 0:
            return shape_fns.Squeeze.apply(input, ())  # squeeze(()) squeezes nothing, as torch
        dims = normalize_dims(dim, input.dim())
        node = shape_fns.SqueezeDims if isinstance(dim, (tuple, list)) else shape_fns.SqueezeDim
        if input.dim() == 0:
            return node.apply(input, None)
        return node.apply(input, dims[0] if len(dims) == 1 else dims)
    return shape_fns.Squeeze.apply(input, None)


@numpy_aliases
def unsqueeze(input, dim):
    n = input.dim() + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return shape_fns.Unsqueeze.apply(input, dim % n)


def expand(input, *sizes):
    sizes = _shape_args(sizes)
    if len(sizes) < input.dim():
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(input.shape)}}}, size={list(sizes)}): "
                           "the number of sizes provided "
                           f"({len(sizes)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({input.dim()})")
    return shape_fns.Expand.apply(input, sizes)


def expand_as(input, other):
    return expand(input, tuple(other.shape))


def broadcast_to(input, size):
    return expand(input, tuple(size))


@numpy_aliases
def narrow(input, dim, start, length):
    d = normalize_dims(dim, input.dim())[0]
    size = input.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but "
                         f"got {start})")
    start = start + size if start < 0 else start
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    idx = [slice(None)] * d + [slice(start, start + length)]
    return input[tuple(idx)]


@numpy_aliases
def select(input, dim, index):
    if input.dim() == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = normalize_dims(dim, input.dim())[0]
    size = input.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    return input[(slice(None),) * d + (index,)]


@numpy_aliases
def split(tensor, split_size_or_sections, dim=0):
    d = normalize_dims(dim, tensor.dim())[0]
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        s = split_size_or_sections
        if s < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
        if s <= 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = ([s] * (n // s) + ([n % s] if n % s else []) or [0]) if s else [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sizes}")
    return shape_fns.Split.apply(tensor, tuple(sizes), d, False)


@numpy_aliases
def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = normalize_dims(dim, input.dim())[0]
    n = input.shape[d]
    if n == 0:  # torch: `chunks` empty pieces
        return split(input, [0] * chunks, d)
    size = -(-n // chunks)
    return split(input, size, d)


@numpy_aliases
def unbind(input, dim=0):
    if input.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = normalize_dims(dim, input.dim())[0]
    out = shape_fns.UnbindFn.apply(input, tuple([1] * input.shape[d]), d, True)
    return out if isinstance(out, tuple) else (out,)


cat = numpy_aliases(shape_fns.cat)
concat = concatenate = cat
stack = numpy_aliases(shape_fns.stack)


def _atleast(tensors, n):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
        if not tensors:
            return ()
    out = []
    for t in tensors:
        shape = list(t.shape)
        if len(shape) < n:
            if n == 3 and len(shape) == 2:
                shape = shape + [1]
            elif n == 3 and len(shape) == 1:
                shape = [1] + shape + [1]
            else:
                shape = [1] * (n - len(shape)) + shape
            t = t.reshape(shape)
        out.append(t)
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*tensors):
    """Views with at least one dimension (a 0-d tensor becomes shape (1,))."""
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    """Views with at least two dimensions: (n,) -> (1, n), () -> (1, 1)."""
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    """Views with at least three dimensions: (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    return _atleast(tensors, 3)


def _stack_check(tensors, name):
    if _tensor_ref.is_tensor(tensors):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def hstack(tensors):
    tensors = [atleast_1d(t) for t in _stack_check(tensors, "hstack")]
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors):
    return cat([atleast_2d(t) for t in _stack_check(tensors, "vstack")], 0)


def dstack(tensors):
    return cat([atleast_3d(t) for t in _stack_check(tensors, "dstack")], 2)


def column_stack(tensors):
    tensors = _stack_check(tensors, "column_stack")
    return cat([t.reshape(-1, 1) if t.dim() <= 1 else t for t in tensors], 1)


def fliplr(input):
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def broadcast_shapes(*shapes):
    """The shape the given shapes broadcast to (ints count as 1-d shapes), as a ``torch.Size``."""
    shapes = [(s,) if isinstance(s, numbers.Integral) else tuple(s) for s in shapes]
    for s in shapes:
        for d in s:
            if d < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
    return torch.Size(pointwise.broadcast_shapes(*shapes))


def broadcast_tensors(*tensors):
    """Expanded views of the tensors to their common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = pointwise.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


def meshgrid(*tensors, indexing=None):
    """Expanded views: output ``i`` varies along input ``i``'s axis (``'ij'``) or, with ``'xy'``,
    the first two axes swapped. Without ``indexing`` torch warns and uses ``'ij'``."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f'{indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got a tensor of shape {tuple(t.shape)}")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        order[0], order[1] = 1, 0
    shape = [tensors[i].numel() for i in order]
    out = []
    for i, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[order.index(i)] = -1
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


def argwhere(input):
    """The indices of the nonzero elements, one row each (``nonzero(input)``)."""
    return nonzero(input)


def count_nonzero(input, dim=None):
    """How many elements are nonzero (over ``dim``: an int, a tuple, or all), as int64."""
    return ne(input, 0).sum(dim=dim if dim is not None else ())


def tensor_split(input, indices_or_sections, dim=0):
    """Views of ``input`` cut along ``dim``: into ``n`` near-equal parts (the first ``size % n``
    one longer), or at the given indices (slice semantics: clamped, empty when reversed)."""
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = normalize_dims(dim, input.dim())[0]
    size = input.shape[d]
    arg = indices_or_sections
    if _tensor_ref.is_tensor(arg):
        if arg.dim() > 1 or arg.is_floating_point() or arg.dtype == torch.bool:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {arg.dim()} dims")
        arg = arg.tolist()
    if isinstance(arg, numbers.Integral):
        if arg <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {arg}")
        q, r = divmod(size, arg)
        bounds, start = [], 0
        for i in range(arg):
            step = q + (1 if i < r else 0)
            bounds.append((start, step))
            start += step
    else:
        cuts = list(arg) + [size]
        bounds, prev = [], 0
        for c in cuts:
            a, b, _ = slice(prev, c).indices(size)
            bounds.append((a, builtins.max(0, b - a)))
            prev = c
    return tuple(narrow(input, d, a, n) for a, n in bounds)


def flip(input, *dims, **kwargs):
    if "dims" in kwargs:
        dims = (kwargs.pop("dims"),)
    if kwargs or not dims:
        raise TypeError(f"flip() missing required argument 'dims' (got {sorted(kwargs)})")
    dims = dims[0] if len(dims) == 1 else dims  # flip((0, 1)), flip([0, 1]) or x.flip(0, 1)
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    if not dims:
        return shape_fns.Flip.apply(input, ())  # flip(x, ()) is a copy, not a flip of all dims
    return shape_fns.Flip.apply(input, normalize_dims(dims, input.dim()))


def contiguous(input, memory_format=torch.contiguous_format):
    if input.is_contiguous(memory_format=memory_format):
        return input
    if memory_format == torch.preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    return clone(input, memory_format=memory_format)


def clone(input, memory_format=torch.preserve_format):
    return pointwise.Clone.apply(input, memory_format)


gather = numpy_aliases(indexing.gather)
index_select = numpy_aliases(indexing.index_select)
nonzero = indexing.nonzero
masked_select = indexing.masked_select
masked_fill = indexing.masked_fill
scatter = indexing.scatter
scatter_add = indexing.scatter_add


# ---------------------------------------------------------------------------------------------
# more indexing and shape ops, composed of the ones above (views, gather/scatter, cat, bmm)
# ---------------------------------------------------------------------------------------------
class _Diagonal(shape_fns.AsStrided):
    node_name = "DiagonalBackward0"


def diagonal(input, offset=0, dim1=0, dim2=1):
    """A view: the (dim1, dim2) diagonal moved to the last dimension, as torch."""
    d1, d2 = (normalize_dims(d, input.dim())[0] for d in (dim1, dim2))
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n1, n2 = input.shape[d1], input.shape[d2]
    length = builtins.max(0, builtins.min(n1, n2 - offset) if offset >= 0 else
                          builtins.min(n1 + offset, n2))
    st = input.stride()
    start = (offset * st[d2] if offset >= 0 else -offset * st[d1]) if length else 0
    rest = [i for i in range(input.dim()) if i not in (d1, d2)]
    size = tuple(input.shape[i] for i in rest) + (length,)
    stride = tuple(st[i] for i in rest) + (st[d1] + st[d2],)
    return _Diagonal.apply(input, (size, stride, start))


_diagonal_view = diagonal  # for diag(), whose argument is named ``diagonal`` as in torch


def trace(input):
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    return diagonal(input).sum()


def roll(input, shifts, dims=None):
    if dims is None:
        return roll(input.flatten(), shifts, 0).view(input.shape)
    shifts = (shifts,) if isinstance(shifts, numbers.Integral) else tuple(shifts)
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    out = input
    for shift, dim in zip(shifts, dims):
        d = normalize_dims(dim, input.dim())[0]
        n = input.shape[d]
        k = shift % n if n else 0
        if k:
            out = shape_fns.cat([narrow(out, d, n - k, k), narrow(out, d, 0, n - k)], d)
    return out if out is not input else input.clone()


def _index_along(index, dim, shape, name):
    """A 1-D index of positions along ``dim``, expanded to ``shape`` (for scatter/gather)."""
    if index.dim() > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    view = [1] * len(shape)
    view[dim] = -1
    return index.reshape(view).expand(*[s if i != dim else index.numel()
                                        for i, s in enumerate(shape)])


def index_add(input, dim, index, source, *, alpha=1):
    d = normalize_dims(dim, input.dim())[0] if input.dim() else 0
    src = source if alpha == 1 else source * alpha
    return indexing.scatter_add(input, d, _index_along(index, d, source.shape, "index_add"), src)


def index_copy(input, dim, index, source):
    d = normalize_dims(dim, input.dim())[0] if input.dim() else 0
    return indexing.scatter(input, d, _index_along(index, d, source.shape, "index_copy"), source)


def index_fill(input, dim, index, value):
    d = normalize_dims(dim, input.dim())[0] if input.dim() else 0
    if isinstance(value, _tensor_ref.tensor_type()):
        value = value.item()
    _dtype.check_scalar_fits(value, input.dtype)
    if input.dim() == 0:
        return index_fill(input.reshape(1), 0, index, value).reshape(())
    index = _wrap_negative(index, input.shape[d], d, upper=True)
    return indexing.scatter(input, d, _index_along(index, d, input.shape, "index_fill"), value)


def _wrap_negative(index, size, dim, upper=False):
    """index_fill / take_along_dim take an index in [-size, size) (torch wraps a negative one;
    gather and scatter do not)."""
    if index.numel() == 0 or index.dtype.is_floating_point or index.dtype == torch.bool:
        return index
    lo = int(index.min())
    hi = int(index.max()) if upper else 0
    if lo < -size or hi >= size:
        bad = lo if lo < -size else hi
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    if lo >= 0:
        return index
    return where(index < 0, index + size, index)


def take(input, index):
    flat = index.reshape(-1)
    n = input.numel()
    if not index.dtype.is_floating_point and index.dtype != torch.bool and flat.numel():
        lo = int(flat.min())
        if lo < -n or int(flat.max()) >= n:
            bad = lo if lo < -n else int(flat.max())
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                             "elements.")
        if lo < 0:  # negative indices count from the end, as torch.take
            flat = where(flat < 0, flat + n, flat)
    return indexing.gather(input.reshape(-1), 0, flat).view(index.shape)


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return take(input, indices)
    d = normalize_dims(dim, input.dim())[0]
    shape = [builtins.max(a, b) for a, b in zip(input.shape, indices.shape)]
    shape_in, shape_idx = list(shape), list(shape)
    shape_in[d], shape_idx[d] = input.shape[d], indices.shape[d]
    indices = _wrap_negative(indices, input.shape[d], d)
    return indexing.gather(input.expand(*shape_in), d, indices.expand(*shape_idx))


def diag(input, diagonal=0):
    """1-D: a square matrix with ``input`` on the ``diagonal``-th diagonal; 2-D: a copy of that
    diagonal."""
    if input.dim() == 1:
        n = input.shape[0] + builtins.abs(diagonal)
        out = zeros((n, n), dtype=input.dtype, device=input.device)
        _diagonal_view(out, diagonal).copy_(input)
        return out
    if input.dim() != 2:
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + str(input.dim()) + "D")
    return _diagonal_view(input, diagonal).clone()


def index_put(input, indices, values, accumulate=False):
    return index_put_(input.clone(), indices, values, accumulate)


def index_put_(input, indices, values, accumulate=False):
    """``input[indices] = values``; with ``accumulate`` repeated positions add up (integer index
    tensors on the leading dimensions)."""
    indices = tuple(indices)
    if not accumulate:
        input[indices] = values
        return input
    T = _tensor_ref.tensor_type()
    if builtins.any(not isinstance(i, T) or i.dtype not in (torch.int64, torch.int32)
                    for i in indices):
        raise NotImplementedError("index_put_(accumulate=True) takes integer index tensors in "
                                  "minitorch")
    k = len(indices)
    lead_shape, trail = tuple(input.shape[:k]), tuple(input.shape[k:])
    flat = None
    for i, (idx, size) in enumerate(zip(indices, lead_shape)):
        idx = idx.long()
        idx = where(idx < 0, idx + size, idx)
        flat = idx if flat is None else flat * size + idx
    trail_n = math.prod(trail)
    src = values if isinstance(values, T) else full((), values, dtype=input.dtype,
                                                      device=input.device)
    src = src.to(input.dtype).expand(*(tuple(flat.shape) + trail)).reshape(-1, trail_n)
    delta = zeros((math.prod(lead_shape), trail_n), dtype=input.dtype, device=input.device)
    delta = index_add(delta, 0, flat.reshape(-1), src)
    return input.add_(delta.view(input.shape))


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    prod = bmm(batch1, batch2)
    prod = prod if alpha == 1 else prod * alpha
    if beta == 0:  # like torch: input is ignored (nan and inf in it do not propagate)
        return _ignore_input(input, prod)
    return (input if beta == 1 else input * beta) + prod


def numel(input):
    return input.numel()


def is_tensor(obj):
    return _tensor_ref.is_tensor(obj)


def is_floating_point(x):
    return x.dtype.is_floating_point



# ---------------------------------------------------------------------------------------------
# scans, triangular masks, sorting, sampling (functions/scan_sort.py); repeats; einsum
# ---------------------------------------------------------------------------------------------
cumsum = numpy_aliases(scan_sort.cumsum)
cumprod = numpy_aliases(scan_sort.cumprod)
tril, triu = scan_sort.tril, scan_sort.triu
sort = numpy_aliases(scan_sort.sort)
argsort = numpy_aliases(scan_sort.argsort)
msort = scan_sort.msort
topk = numpy_aliases(scan_sort.topk)
multinomial = scan_sort.multinomial
median = numpy_aliases(scan_sort.median)
unique = scan_sort.unique
repeat_interleave = numpy_aliases(scan_sort.repeat_interleave)


def _sizes(args):
    """A size given as varargs ``(2, 3)`` or as one sequence ``((2, 3),)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, torch.Size)):
        return tuple(builtins.int(s) for s in args[0])
    return tuple(builtins.int(s) for s in args)


def repeat(input, *sizes):
    """``Tensor.repeat``: tile ``input`` (expand + reshape, so the gradient sums the copies)."""
    sizes = _sizes(sizes)
    if len(sizes) < input.dim():
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    if builtins.any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{builtins.min(sizes)}: {list(sizes)}")
    shape = (1,) * (len(sizes) - input.dim()) + tuple(input.shape)
    inter, expanded, final = [], [], []
    for r, s in zip(sizes, shape):
        inter += [1, s]
        expanded += [r, s]
        final.append(r * s)
    return input.reshape(inter).expand(*expanded).reshape(final)


def tile(input, dims):
    dims = _sizes((dims,))
    if len(dims) < input.dim():
        dims = (1,) * (input.dim() - len(dims)) + dims
    return repeat(input, dims)



def _like_self(self, dtype, device):
    return dict(dtype=dtype or self.dtype, device=device if device is not None else self.device)


# ---------------------------------------------------------------------------------------------
# Tensor's op methods and operators (a mixin: ``class Tensor(TensorOps, InplaceOps)``)
# ---------------------------------------------------------------------------------------------
class TensorOps:
    """Each method is the function of the same name above (``x.add(y)`` is ``add(x, y)``)."""
    __slots__ = ()
    # pointwise
    add, sub, mul, div, true_divide, divide = add, sub, mul, div, div, div
    floor_divide, remainder, pow, neg, negative = floor_divide, remainder, pow, neg, neg
    abs, exp, log, sqrt, rsqrt = abs, exp, log, sqrt, rsqrt
    sin, cos, tanh, sigmoid, relu = sin, cos, tanh, sigmoid, relu
    reciprocal, sign, isnan, isinf, isfinite = reciprocal, sign, isnan, isinf, isfinite
    logical_not, square, log2, log10, log1p = logical_not, square, log2, log10, log1p
    expm1, floor, ceil, round = expm1, floor, ceil, round
    clamp, clip, clamp_min, clamp_max = clamp, clamp, clamp_min, clamp_max
    maximum, minimum = maximum, minimum
    eq, ne, lt, le, gt, ge = eq, ne, lt, le, gt, ge
    less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne
    logical_and, logical_or, logical_xor = logical_and, logical_or, logical_xor
    equal, allclose, isclose = equal, allclose, isclose
    lerp, addcmul, addcdiv = lerp, addcmul, addcdiv

    def where(self, condition, other):
        return where(condition, self, other)

    # reductions
    sum, mean, prod, max, min, amax, amin = sum, mean, prod, max, min, amax, amin
    argmax, argmin, all, any, norm = argmax, argmin, all, any, norm
    var, std, logsumexp, sum_to_size = var, std, logsumexp, sum_to_size
    softmax, log_softmax = softmax, log_softmax
    # linear algebra
    matmul, mm, bmm, mv, dot, outer, addmm = matmul, mm, bmm, mv, dot, outer, addmm
    # shape
    reshape, view, view_as, reshape_as = reshape, view, view_as, reshape_as
    flatten, unflatten, t, permute, movedim = flatten, unflatten, t, permute, movedim
    transpose, swapaxes, swapdims = transpose, transpose, transpose
    squeeze, unsqueeze, expand, expand_as = squeeze, unsqueeze, expand, expand_as
    broadcast_to, narrow, select, split = broadcast_to, narrow, select, split
    chunk, unbind, flip, contiguous, clone = chunk, unbind, flip, contiguous, clone
    tensor_split, fliplr, flipud = tensor_split, fliplr, flipud
    argwhere, count_nonzero = argwhere, count_nonzero
    # indexing
    gather, index_select, nonzero = gather, index_select, nonzero
    masked_select, masked_fill = masked_select, masked_fill
    scatter, scatter_add = scatter, scatter_add
    diagonal, trace, roll, take, take_along_dim = diagonal, trace, roll, take, take_along_dim
    index_add, index_copy, index_fill, baddbmm = index_add, index_copy, index_fill, baddbmm
    diag, index_put, index_put_ = diag, index_put, index_put_
    median, unique = median, unique
    __getitem__, __setitem__ = indexing.getitem, indexing.setitem
    # scans, masks, sorting, sampling, repeats
    cumsum, cumprod, tril, triu = cumsum, cumprod, tril, triu
    sort, argsort, msort, topk, multinomial = sort, argsort, msort, topk, multinomial
    repeat, repeat_interleave, tile = repeat, repeat_interleave, tile

    # tensor factories from a tensor: its dtype and device unless given
    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, **_):
        return _tensor_ref.zeros(*_sizes(size), **_like_self(self, dtype, device),
                                 requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, **_):
        return _tensor_ref.ones(*_sizes(size), **_like_self(self, dtype, device),
                                requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, **_):
        return _tensor_ref.empty(*_sizes(size), **_like_self(self, dtype, device),
                                 requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, **_):
        return _tensor_ref.full(_sizes((size,)), fill_value, **_like_self(self, dtype, device),
                                requires_grad=requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        if _t(data):
            t = data.detach().to(**_like_self(self, dtype, device)).clone()
            return t.requires_grad_(requires_grad) if requires_grad else t
        return _tensor_ref.tensor(data, **_like_self(self, dtype, device),
                                  requires_grad=requires_grad)

    @property
    def T(self):
        return permute(self, tuple(range(self.dim() - 1, -1, -1)))

    H = T

    @property
    def mT(self):
        if self.dim() == 0:  # torch: deprecated identity
            warnings.warn("Tensor.mT is deprecated on 0-D tensors. This function is the identity "
                          "in these cases.", UserWarning, stacklevel=2)
            return self
        if self.dim() < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self.dim()}-D tensor.")
        return transpose(self, -2, -1)

    # ---------------------------------------------------------------- operators
    # A non-Tensor, non-number operand returns NotImplemented so Python tries the other side.
    def __add__(self, other):
        return add(self, other) if _t(other) or _num(other) else NotImplemented

    __radd__ = __add__

    def __sub__(self, other):
        return sub(self, other) if _t(other) or _num(other) else NotImplemented

    def __rsub__(self, other):
        if not (_t(other) or _num(other)):
            return NotImplemented
        if _t(other) or self.dtype == torch.bool:
            return sub(other, self)
        return pointwise.Rsub.apply(other, self)

    def __mul__(self, other):
        return mul(self, other) if _t(other) or _num(other) else NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other):
        return div(self, other) if _t(other) or _num(other) else NotImplemented

    def __rtruediv__(self, other):
        if not (_t(other) or _num(other)):
            return NotImplemented
        if _t(other):
            return pointwise.Div.apply(other, self)
        return self.reciprocal() * other  # torch: number / tensor is reciprocal(tensor) * number

    def __floordiv__(self, other):
        return floor_divide(self, other) if _t(other) or _num(other) else NotImplemented

    def __rfloordiv__(self, other):
        if not (_t(other) or _num(other)):
            return NotImplemented
        if _t(other):
            return floor_divide(other, self)
        _check_int_zero_division(other, self)
        return pointwise.FloorDivide.apply(other, self)

    def __mod__(self, other):
        return remainder(self, other) if _t(other) or _num(other) else NotImplemented

    def __rmod__(self, other):
        if not (_t(other) or _num(other)):
            return NotImplemented
        _check_int_zero_division(other, self)
        return pointwise.Remainder.apply(other, self)

    def __pow__(self, other):
        return pow(self, other) if _t(other) or _num(other) else NotImplemented

    def __rpow__(self, other):
        return pow(other, self) if _t(other) or _num(other) else NotImplemented

    def __matmul__(self, other):
        return matmul(self, other) if _t(other) else NotImplemented

    def __rmatmul__(self, other):
        return matmul(other, self) if _t(other) else NotImplemented

    __neg__, __abs__, __invert__ = neg, abs, bitwise_not

    def __pos__(self):
        return self

    def __eq__(self, other):
        return eq(self, other) if _t(other) or _num(other) else NotImplemented

    def __ne__(self, other):
        return ne(self, other) if _t(other) or _num(other) else NotImplemented

    def __lt__(self, other):
        return lt(self, other) if _t(other) or _num(other) else NotImplemented

    def __le__(self, other):
        return le(self, other) if _t(other) or _num(other) else NotImplemented

    def __gt__(self, other):
        return gt(self, other) if _t(other) or _num(other) else NotImplemented

    def __ge__(self, other):
        return ge(self, other) if _t(other) or _num(other) else NotImplemented

    def __and__(self, other):
        return bitwise_and(self, other) if _t(other) or _num(other) else NotImplemented

    def __or__(self, other):
        return bitwise_or(self, other) if _t(other) or _num(other) else NotImplemented

    def __xor__(self, other):
        return bitwise_xor(self, other) if _t(other) or _num(other) else NotImplemented

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__


# The torch-namespace functions (``minitorch.add`` ...); the Tensor-only ones (``view``,
# ``expand``, ``contiguous`` ...) are reached as methods.
__all__ = ["abs", "add", "addcdiv", "addcmul", "addmm", "all", "allclose", "amax", "amin", "any",
           "argmax", "argmin", "argsort", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor",
           "bmm", "broadcast_to", "cat", "ceil", "chunk", "clamp", "clamp_max", "clamp_min", "clip",
           "clone", "concat", "concatenate", "cos", "cumprod", "cumsum", "div", "divide", "dot",
           "einsum", "eq", "equal", "exp", "expm1", "flatten", "flip", "floor", "floor_divide",
           "gather", "ge", "greater", "greater_equal", "gt", "hstack", "index_select",
           "is_floating_point", "is_tensor", "isclose", "isfinite", "isinf", "isnan", "le", "lerp",
           "less", "less_equal", "log", "log10", "log1p", "log2", "log_softmax", "logical_and",
           "logical_not", "logical_or", "logical_xor", "logsumexp", "lt", "masked_fill",
           "scatter", "scatter_add", "diagonal", "trace", "roll", "take", "take_along_dim",
           "index_add", "index_copy", "index_fill", "baddbmm", "diag", "index_put",
           "index_put_", "median", "unique",
           "masked_select", "matmul", "max", "maximum", "mean", "min", "minimum", "mm", "movedim",
           "msort", "mul", "multinomial", "mv", "narrow", "ne", "neg", "negative", "nonzero",
           "norm", "not_equal", "numel", "outer", "permute", "pow", "prod", "reciprocal", "relu",
           "remainder", "repeat_interleave", "reshape", "round", "rsqrt", "rsub", "select",
           "sigmoid", "sign", "sin", "softmax", "sort", "split", "sqrt", "square", "squeeze",
           "stack", "std", "std_mean", "sub", "sum", "swapaxes", "swapdims", "t", "tanh", "tile",
           "topk", "transpose", "tril", "triu", "true_divide", "unbind", "unflatten", "unsqueeze",
           "var", "var_mean", "vstack", "where", "atleast_1d", "atleast_2d", "atleast_3d",
           "dstack", "column_stack", "fliplr", "flipud", "broadcast_shapes",
           "broadcast_tensors", "tensor_split", "meshgrid", "argwhere", "count_nonzero"]
