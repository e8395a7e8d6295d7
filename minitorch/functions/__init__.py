"""The op API: torch-namespace functions (``minitorch.add``, ``minitorch.matmul`` ...) and the
Tensor methods and operators that call them. Each function validates its arguments and dispatches
to one ``autograd.Function`` (pointwise, reduction, shape, indexing, linalg)."""
import builtins
import numbers

import torch

from .. import _dtype
from ..autograd import grad_mode
from ..tensor import Tensor
from . import indexing, linalg, pointwise as P, reduction as RD, shape as S
from .reduction import normalize_dims

_py_bool = builtins.bool


def _t(x):
    return isinstance(x, Tensor)


def _num(x):
    return isinstance(x, numbers.Number) and not isinstance(x, complex)


def _check_operand(x, opname):
    if not (_t(x) or _num(x)):
        raise TypeError(f"unsupported operand type(s) for {opname}: 'Tensor' and "
                        f"'{type(x).__name__}'")


# ---------------------------------------------------------------------------------------------
# pointwise
# ---------------------------------------------------------------------------------------------
def add(input, other, alpha=1):
    _check_operand(other, "+")
    if alpha != 1:
        if _t(other) or _t(input):
            return P.AddScaled.apply(input, other, alpha)
        return input + alpha * other
    if not _t(input):
        input, other = other, input
    return P.Add.apply(input, other)


def sub(input, other, alpha=1):
    _check_operand(other, "-")
    a_b, o_b = _t(input) and input.dtype == torch.bool, _t(other) and other.dtype == torch.bool
    if a_b and o_b:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if a_b or o_b:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if alpha != 1:
        return P.AddScaled.apply(input, other, -alpha)
    return P.Sub.apply(input, other)


def rsub(input, other, alpha=1):
    return sub(other, input, alpha=alpha)


def mul(input, other):
    _check_operand(other, "*")
    if not _t(input):
        input, other = other, input
    return P.Mul.apply(input, other)


def div(input, other, rounding_mode=None):
    _check_operand(other, "/")
    if rounding_mode is None:
        return P.Div.apply(input, other)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        q = P.Div.apply(input, other)
        r = where(q < 0, (-q).floor() * -1, q.floor())
        dt = _dtype.result_type(input, other)
        return r if dt.is_floating_point else r.to(dt)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found '{rounding_mode}'")


true_divide = divide = div


def floor_divide(input, other):
    _check_operand(other, "//")
    _check_int_zero_division(input, other)
    return P.FloorDivide.apply(input, other)


def remainder(input, other):
    _check_operand(other, "%")
    _check_int_zero_division(input, other)
    return P.Remainder.apply(input, other)


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
    if _t(input) and _num(exponent):
        return P.PowScalar.apply(input, exponent)
    if _t(input) and _t(exponent):
        return P.PowTensor.apply(input, exponent)
    if _num(input) and _t(exponent):
        return P.PowScalarBase.apply(input, exponent)
    raise TypeError(f"pow(): unsupported operand types {type(input).__name__} and "
                    f"{type(exponent).__name__}")


def neg(x):
    if x.dtype == torch.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return P.Neg.apply(x)


negative = neg


def _unary(cls):
    def f(input):
        return cls.apply(input)
    return f


abs = _unary(P.Abs)
exp = _unary(P.Exp)
log = _unary(P.Log)
sqrt = _unary(P.Sqrt)
rsqrt = _unary(P.Rsqrt)
sin = _unary(P.Sin)
cos = _unary(P.Cos)
tanh = _unary(P.Tanh)
sigmoid = _unary(P.Sigmoid)
def relu(input):
    fused = linalg.fuse_relu(input)  # relu right after a Linear: one fused kernel
    return fused if fused is not None else P.Relu.apply(input)


reciprocal = _unary(P.Reciprocal)
sign = _unary(P.Sign)
isnan = _unary(P.IsNan)
logical_not = _unary(P.LogicalNot)


def square(x):
    return pow(x, 2)


def log2(x):
    import math
    return log(x) / math.log(2)


def log10(x):
    import math
    return log(x) / math.log(10)


def log1p(x):
    return log(x + 1)


def expm1(x):
    return exp(x) - 1


def floor(x):
    if not x.dtype.is_floating_point:
        return x.clone()
    return floor_divide(x, 1)


def ceil(x):
    if not x.dtype.is_floating_point:
        return x.clone()
    return -floor_divide(-x, 1)


def round(x):
    return floor(x + 0.5)


def isinf(x):
    return abs(x) == float("inf") if x.dtype.is_floating_point else zeros_bool(x)


def isfinite(x):
    return ~(isnan(x) | isinf(x)) if x.dtype.is_floating_point else ~zeros_bool(x)


def zeros_bool(x):
    from ..tensor import zeros
    return zeros(tuple(x.shape), dtype=torch.bool, device=x.device)


def clamp(input, min=None, max=None):
    if _t(min) or _t(max):
        r = input
        if min is not None:
            r = maximum(r, min if _t(min) else _scalar_like(min, r))
        if max is not None:
            r = minimum(r, max if _t(max) else _scalar_like(max, r))
        return r
    return P.Clamp.apply(input, min, max)


clip = clamp


def _scalar_like(v, ref):
    from ..tensor import full
    return full((), v, dtype=ref.dtype, device=ref.device)


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def maximum(input, other):
    return P.Maximum.apply(input, other)


def minimum(input, other):
    return P.Minimum.apply(input, other)


def where(condition, input=None, other=None):
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return P.where(condition, input, other)


def _cmp(cls, sym):
    def f(input, other):
        _check_operand(other, sym)
        return cls.apply(input, other)
    return f


eq = _cmp(P.Eq, "==")
ne = _cmp(P.Ne, "!=")
lt = _cmp(P.Lt, "<")
le = _cmp(P.Le, "<=")
gt = _cmp(P.Gt, ">")
ge = _cmp(P.Ge, ">=")
less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne
logical_and = _cmp(P.LogicalAnd, "&")
logical_or = _cmp(P.LogicalOr, "|")
logical_xor = _cmp(P.LogicalXor, "^")


def _bitwise(cls, sym):
    def f(input, other):
        for v in (input, other):
            if _t(v) and v.dtype != torch.bool:
                raise NotImplementedError(f"minitorch implements {sym} for bool tensors only")
        return cls.apply(input, other)
    return f


bitwise_and = _bitwise(P.LogicalAnd, "&")
bitwise_or = _bitwise(P.LogicalOr, "|")
bitwise_xor = _bitwise(P.LogicalXor, "^")


def bitwise_not(x):
    if x.dtype != torch.bool:
        raise NotImplementedError("minitorch implements ~ for bool tensors only")
    return logical_not(x)


def equal(a, b):
    return tuple(a.shape) == tuple(b.shape) and _py_bool((a == b).all())


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _py_bool(isclose(a, b, rtol, atol, equal_nan).all())


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    close = abs(a - b) <= atol + rtol * abs(b)
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
def sum(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None:
        return RD.SumAll.apply(input, tuple(range(input.dim())), False, dtype)
    return RD.Sum.apply(input, normalize_dims(dim, input.dim()), keepdim, dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None:
        return RD.MeanAll.apply(input, tuple(range(input.dim())), False, dtype)
    return RD.Mean.apply(input, normalize_dims(dim, input.dim()), keepdim, dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None:
        return RD.ProdAll.apply(input, tuple(range(input.dim())), False, dtype)
    return RD.Prod.apply(input, normalize_dims(dim, input.dim()), keepdim, dtype)


class _MinMax(tuple):
    """torch.return_types.max / min: a (values, indices) tuple with names."""

    def __new__(cls, values, indices, name):
        self = super().__new__(cls, (values, indices))
        self._name = name
        return self

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])

    def __repr__(self):
        return (f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})")


def _maxmin(op, input, dim, keepdim, other):
    if _t(dim):  # torch.max(a, b) == maximum
        return maximum(input, dim) if op == "max" else minimum(input, dim)
    if other is not None:
        return maximum(input, other) if op == "max" else minimum(input, other)
    if dim is None:
        return (RD.MaxAll if op == "max" else RD.MinAll).apply(input, op)
    d = normalize_dims(dim, input.dim())[0] if input.dim() else 0
    if input.dim() == 0:
        return _MinMax(input.clone(), _scalar_index(input), op)
    values, idx = (RD.MaxDim if op == "max" else RD.MinDim).apply(input, op, d, keepdim)
    return _MinMax(values, idx, op)


def _scalar_index(x):
    from ..tensor import zeros
    return zeros((), dtype=torch.int64, device=x.device)


def max(input, dim=None, keepdim=False, *, other=None):
    return _maxmin("max", input, dim, keepdim, other)


def min(input, dim=None, keepdim=False, *, other=None):
    return _maxmin("min", input, dim, keepdim, other)


def amax(input, dim=(), keepdim=False, _op="amax"):
    dims = normalize_dims(dim if dim != () else None, input.dim())
    if input.numel() == 0:
        if dim == () or dim is None:
            raise RuntimeError(f"{_op}(): Expected reduction dim to be specified for input.numel() "
                               "== 0. Specify the reduction dim with the 'dim' argument.")
        for d in dims:
            if input.shape[d] == 0:
                raise IndexError(f"{_op}(): Expected reduction dim {d} to have non-zero size.")
    return (RD.AMax if _op == "amax" else RD.AMin).apply(input, _op[1:], dims, keepdim)


def amin(input, dim=(), keepdim=False):
    return amax(input, dim, keepdim, _op="amin")


def argmax(input, dim=None, keepdim=False):
    with grad_mode.no_grad():
        if dim is None:
            if input.numel() == 0:
                raise IndexError("argmax(): Expected reduction dim to be specified for "
                                 "input.numel() == 0.")
            return max(input.reshape(-1), 0).indices
        return max(input, dim, keepdim).indices


def argmin(input, dim=None, keepdim=False):
    with grad_mode.no_grad():
        if dim is None:
            if input.numel() == 0:
                raise IndexError("argmin(): Expected reduction dim to be specified for "
                                 "input.numel() == 0.")
            return min(input.reshape(-1), 0).indices
        return min(input, dim, keepdim).indices


def all(input, dim=None, keepdim=False):
    from ..ops import reduce as R
    dims = normalize_dims(dim, input.dim())
    out = R.reduce("min", input._data, dims, out_dtype=torch.bool, compute=torch.bool) \
        if input.numel() else None
    return _bool_reduce(out, input, dims, keepdim, True)


def any(input, dim=None, keepdim=False):
    from ..ops import reduce as R
    dims = normalize_dims(dim, input.dim())
    out = R.reduce("max", input._data, dims, out_dtype=torch.bool, compute=torch.bool) \
        if input.numel() else None
    return _bool_reduce(out, input, dims, keepdim, False)


def _bool_reduce(out, input, dims, keepdim, empty_value):
    from ..tensor import full
    shape = RD._result_shape(tuple(input.shape), dims, keepdim)
    if out is None:
        return full(shape, empty_value, dtype=torch.bool, device=input.device)
    return Tensor._make(out.reshape(shape))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if p in ("fro", 2, 2.0):
        dims = normalize_dims(dim, input.dim())
        return RD.Norm2.apply(input, dims, keepdim)
    if p in (float("inf"), "inf"):
        return amax(abs(input), dim if dim is not None else (), keepdim)
    if p == 1:
        return sum(abs(input), dim, keepdim)
    if p == 0:
        return sum((input != 0).to(input.dtype), dim, keepdim)
    return pow(sum(pow(abs(input), p), dim, keepdim), 1.0 / p)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased in (None, True) else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, _py_bool):  # var(x, False) — the unbiased positional form
        dim, unbiased = None, dim
    dims = normalize_dims(dim, input.dim())
    return RD.Var.apply(input, dims, _correction(unbiased, correction), keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


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


def softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    d = _softmax_dim(input, dim)
    return RD.Softmax.apply(input, d)


def log_softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    d = _softmax_dim(input, dim)
    return RD.LogSoftmax.apply(input, d)


def _softmax_dim(input, dim):
    if dim is None:
        import warnings
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
    r = RD.Sum.apply(x, dims, True, None) if dims else x
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
    return input.unsqueeze(1) * vec2.unsqueeze(0)


def addmm(input, mat1, mat2, beta=1, alpha=1):
    return beta * input + alpha * mm(mat1, mat2)


# ---------------------------------------------------------------------------------------------
# shape
# ---------------------------------------------------------------------------------------------
def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, torch.Size)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(input, *shape):
    return S.View.apply(input, _shape_args(shape), False)


def view(input, *shape):
    if len(shape) == 1 and isinstance(shape[0], torch.dtype):
        raise NotImplementedError("view(dtype) is not supported by minitorch")
    return S.View.apply(input, _shape_args(shape), True)


def view_as(input, other):
    return view(input, tuple(other.shape))


def reshape_as(input, other):
    return reshape(input, tuple(other.shape))


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
    if -1 in sizes:
        known = 1
        for s in sizes:
            if s != -1:
                known *= s
        sizes[sizes.index(-1)] = shape[d] // known
    return reshape(input, shape[:d] + sizes + shape[d + 1:])


def transpose(input, dim0, dim1):
    n = input.dim()
    d0 = normalize_dims(dim0, n)[0] if n else 0
    d1 = normalize_dims(dim1, n)[0] if n else 0
    if n == 0:
        return S.View.apply(input, (), False)
    return S.Transpose.apply(input, d0, d1)


swapaxes = swapdims = transpose


def t(input):
    return S.TFn.apply(input)


def permute(input, *dims):
    dims = _shape_args(dims)
    if len(dims) != input.dim():
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {input.dim()} is not equal to len(dims) = {len(dims)}")
    nd = tuple(normalize_dims(d, input.dim())[0] for d in dims)
    if len(set(nd)) != len(nd):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return S.Permute.apply(input, nd)


def movedim(input, source, destination):
    n = input.dim()
    src = normalize_dims(source, n)[0]
    dst = normalize_dims(destination, n)[0]
    order = [d for d in range(n) if d != src]
    order.insert(dst, src)
    return permute(input, order)


def squeeze(input, dim=None):
    if dim is not None:
        dims = normalize_dims(dim, input.dim())
        if input.dim() == 0:
            return S.Squeeze.apply(input, None)
        return S.Squeeze.apply(input, dims[0] if len(dims) == 1 else dims)
    return S.Squeeze.apply(input, None)


def unsqueeze(input, dim):
    n = input.dim() + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return S.Unsqueeze.apply(input, dim % n)


def expand(input, *sizes):
    sizes = _shape_args(sizes)
    if len(sizes) < input.dim():
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(input.shape)}}}, size={list(sizes)}): "
                           "the number of sizes provided "
                           f"({len(sizes)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({input.dim()})")
    return S.Expand.apply(input, sizes)


def expand_as(input, other):
    return expand(input, tuple(other.shape))


def broadcast_to(input, size):
    return expand(input, tuple(size))


def narrow(input, dim, start, length):
    d = normalize_dims(dim, input.dim())[0]
    size = input.shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but "
                         f"got {start})")
    start = start + size if start < 0 else start
    if length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    idx = [slice(None)] * d + [slice(start, start + length)]
    return input[tuple(idx)]


def select(input, dim, index):
    d = normalize_dims(dim, input.dim())[0]
    return input[(slice(None),) * d + (index,)]


def split(tensor, split_size_or_sections, dim=0):
    d = normalize_dims(dim, tensor.dim())[0]
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        s = split_size_or_sections
        if s <= 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s else [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sizes}")
    return S.Split.apply(tensor, tuple(sizes), d, False)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = normalize_dims(dim, input.dim())[0]
    n = input.shape[d]
    size = -(-n // chunks) if n else 1
    return split(input, size, d) if n else (input,)


def unbind(input, dim=0):
    d = normalize_dims(dim, input.dim())[0]
    out = S.UnbindFn.apply(input, tuple([1] * input.shape[d]), d, True)
    return out if isinstance(out, tuple) else (out,)


cat = S.cat
concat = concatenate = cat
stack = S.stack


def hstack(tensors):
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.dim() == 1 else t for t in tensors], 0)


def flip(input, dims):
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    return S.Flip.apply(input, normalize_dims(dims, input.dim()))


def contiguous(input, memory_format=None):
    return input if input.is_contiguous() else clone(input)


def clone(input, memory_format=None):
    return P.Clone.apply(input)


gather = indexing.gather
index_select = indexing.index_select
nonzero = indexing.nonzero
masked_select = indexing.masked_select
masked_fill = indexing.masked_fill


def numel(input):
    return input.numel()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(x):
    return x.dtype.is_floating_point


# ---------------------------------------------------------------------------------------------
# attach methods and operators to Tensor
# ---------------------------------------------------------------------------------------------
_METHODS = dict(
    add=add, sub=sub, mul=mul, div=div, true_divide=div, divide=div, floor_divide=floor_divide,
    remainder=remainder, pow=pow, neg=neg, negative=neg, abs=abs, exp=exp, log=log, sqrt=sqrt,
    rsqrt=rsqrt, sin=sin, cos=cos, tanh=tanh, sigmoid=sigmoid, relu=relu, reciprocal=reciprocal,
    sign=sign, isnan=isnan, isinf=isinf, isfinite=isfinite, logical_not=logical_not, square=square,
    log2=log2, log10=log10, log1p=log1p, expm1=expm1, floor=floor, ceil=ceil, round=round,
    clamp=clamp, clip=clamp, clamp_min=clamp_min, clamp_max=clamp_max, maximum=maximum,
    minimum=minimum, eq=eq, ne=ne, lt=lt, le=le, gt=gt, ge=ge, less=lt, less_equal=le,
    greater=gt, greater_equal=ge, not_equal=ne, logical_and=logical_and, logical_or=logical_or,
    logical_xor=logical_xor, equal=equal, allclose=allclose, isclose=isclose, lerp=lerp,
    addcmul=addcmul, addcdiv=addcdiv, where=lambda self, cond, other: where(cond, self, other),
    sum=sum, mean=mean, prod=prod, max=max, min=min, amax=amax, amin=amin, argmax=argmax,
    argmin=argmin, all=all, any=any, norm=norm, var=var, std=std, logsumexp=logsumexp,
    softmax=softmax, log_softmax=log_softmax, sum_to_size=sum_to_size,
    matmul=matmul, mm=mm, bmm=bmm, mv=mv, dot=dot, outer=outer, addmm=addmm,
    reshape=reshape, view=view, view_as=view_as, reshape_as=reshape_as, flatten=flatten,
    unflatten=unflatten, transpose=transpose, swapaxes=transpose, swapdims=transpose, t=t,
    permute=permute, movedim=movedim, squeeze=squeeze, unsqueeze=unsqueeze, expand=expand,
    expand_as=expand_as, broadcast_to=broadcast_to, narrow=narrow, select=select, split=split,
    chunk=chunk, unbind=unbind, flip=flip, contiguous=contiguous, clone=clone, gather=gather,
    index_select=index_select, nonzero=nonzero, masked_select=masked_select,
    masked_fill=masked_fill,
)
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)

Tensor.T = property(lambda self: permute(self, tuple(range(self.dim() - 1, -1, -1))))
Tensor.mT = property(lambda self: transpose(self, -2, -1))
Tensor.H = Tensor.T


def _binop(fn, sym):
    def op(self, other):
        if not (_t(other) or _num(other)):
            return NotImplemented
        return fn(self, other)
    return op


Tensor.__add__ = _binop(add, "+")
Tensor.__radd__ = _binop(add, "+")
Tensor.__sub__ = _binop(sub, "-")
Tensor.__rsub__ = _binop(lambda a, b: sub(b, a) if _t(b) or a.dtype == torch.bool else
                          P.Rsub.apply(b, a), "-")
Tensor.__mul__ = _binop(mul, "*")
Tensor.__rmul__ = _binop(mul, "*")
Tensor.__truediv__ = _binop(div, "/")
Tensor.__rtruediv__ = _binop(lambda a, b: P.Div.apply(b, a) if _t(b) else a.reciprocal() * b,
                             "/")  # torch: number / tensor is reciprocal(tensor) * number
Tensor.__floordiv__ = _binop(floor_divide, "//")
Tensor.__rfloordiv__ = _binop(lambda a, b: floor_divide(b, a) if _t(b) else
                              (_check_int_zero_division(b, a), P.FloorDivide.apply(b, a))[1], "//")
Tensor.__mod__ = _binop(remainder, "%")
Tensor.__rmod__ = _binop(lambda a, b: (_check_int_zero_division(b, a),
                                       P.Remainder.apply(b, a))[1], "%")
Tensor.__pow__ = _binop(pow, "**")
Tensor.__rpow__ = _binop(lambda a, b: pow(b, a), "**")
Tensor.__matmul__ = lambda self, other: matmul(self, other) if _t(other) else NotImplemented
Tensor.__rmatmul__ = lambda self, other: matmul(other, self) if _t(other) else NotImplemented
Tensor.__neg__ = neg
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = abs
Tensor.__invert__ = bitwise_not
Tensor.__eq__ = _binop(eq, "==")
Tensor.__ne__ = _binop(ne, "!=")
Tensor.__lt__ = _binop(lt, "<")
Tensor.__le__ = _binop(le, "<=")
Tensor.__gt__ = _binop(gt, ">")
Tensor.__ge__ = _binop(ge, ">=")
Tensor.__and__ = Tensor.__rand__ = _binop(bitwise_and, "&")
Tensor.__or__ = Tensor.__ror__ = _binop(bitwise_or, "|")
Tensor.__xor__ = Tensor.__rxor__ = _binop(bitwise_xor, "^")
Tensor.__getitem__ = indexing.getitem
Tensor.__setitem__ = indexing.setitem

from . import inplace  # noqa: E402,F401  (in-place methods: add_, zero_, copy_, ...)


# ---------------------------------------------------------------------------------------------
# issue 11 ops (tutorial API coverage): implemented in functions/api11.py; this block only
# registers the public names and Tensor methods, so it can be moved as one piece.
# ---------------------------------------------------------------------------------------------
from . import api11 as _api11  # noqa: E402

cumsum, cumprod = _api11.cumsum, _api11.cumprod
tril, triu = _api11.tril, _api11.triu
log1p, expm1 = _api11.log1p, _api11.expm1
sort, argsort, msort, topk = _api11.sort, _api11.argsort, _api11.msort, _api11.topk
multinomial, randperm = _api11.multinomial, _api11.randperm
repeat_interleave, tile, einsum = _api11.repeat_interleave, _api11.tile, _api11.einsum
for _name, _fn in dict(
        cumsum=cumsum, cumprod=cumprod, tril=tril, triu=triu, log1p=log1p, expm1=expm1,
        sort=sort, argsort=argsort, msort=msort, topk=topk,
        multinomial=lambda self, num_samples, replacement=False, *, generator=None:
        multinomial(self, num_samples, replacement, generator=generator),
        repeat=_api11.repeat, repeat_interleave=repeat_interleave, tile=tile,
        new_zeros=_api11.new_zeros, new_ones=_api11.new_ones, new_empty=_api11.new_empty,
        new_full=_api11.new_full, new_tensor=_api11.new_tensor).items():
    setattr(Tensor, _name, _fn)

# numpy-style aliases (axis= for dim=, keepdims= for keepdim=) on functions and methods
_NUMPY_ALIASED = ("sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "all",
                  "any", "norm", "var", "std", "var_mean", "std_mean", "logsumexp", "softmax",
                  "log_softmax", "cat", "concat", "concatenate", "stack", "squeeze",
                  "unsqueeze", "cumsum", "cumprod", "sort", "argsort", "topk", "flatten",
                  "narrow", "select", "split", "chunk", "unbind", "index_select", "gather",
                  "transpose", "repeat_interleave")
for _name in _NUMPY_ALIASED:
    if _name in globals() and not getattr(globals()[_name], "_numpy_aliases", False):
        globals()[_name] = _api11.numpy_aliases(globals()[_name])
    _meth = getattr(Tensor, _name, None)
    if callable(_meth) and not getattr(_meth, "_numpy_aliases", False):
        setattr(Tensor, _name, _api11.numpy_aliases(_meth))
del _name, _fn, _meth
