"""Ops the tutorials reach for (issue 11): scans, triangular masks, sorting, sampling, repeats,
einsum, tensor factories from a tensor, log1p / expm1 and numpy-style keyword aliases.

Each differentiable op is one ``autograd.Function`` over the kernels in ``ops/api_kernels.py`` or a
composition of existing differentiable ops (repeat = expand + reshape, einsum = permute + reshape +
bmm, sort values = gather at the sorted indices).
"""
import collections
import functools
import numbers
import string

import torch

from .. import _dtype
from ..autograd import grad_mode
from ..autograd.function import Function
from ..ops import api_kernels as K
from ..ops import creation as _creation
from ..tensor import Tensor, arange, ones, zeros


def _wrap(storage):
    return Tensor._make(storage)


def _dim(dim, ndim):
    span = max(ndim, 1)
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, not {type(dim).__name__}")
    if not -span <= dim < span:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-span}, "
                         f"{span - 1}], but got {dim})")
    return dim % span


def _last(x, dim):
    """(contiguous tensor with ``dim`` moved last, function moving a same-shaped result back)."""
    if x.dim() == 0:
        return x.reshape(1), lambda t: t.reshape(())
    if dim == x.dim() - 1:
        return x.contiguous(), lambda t: t
    return x.movedim(dim, -1).contiguous(), lambda t: t.movedim(-1, dim).contiguous()


def _float_dtype(x):
    return x.dtype if x.dtype.is_floating_point else _dtype.get_default_dtype()


# ---------------------------------------------------------------------------------------------
# cumsum / cumprod
# ---------------------------------------------------------------------------------------------
def _scan(x, dim, op, reverse=False, out_dtype=None):
    xs, back = _last(x, dim)
    out = torch.empty(tuple(xs.shape), dtype=out_dtype or xs.dtype, device=xs.device)
    K.scan_(xs._data, out, op, reverse)
    return back(_wrap(out))


class Cumsum(Function):
    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return _scan(x, dim, K.SCAN_SUM)

    @staticmethod
    def backward(ctx, g):
        return Cumsum_reverse(g, ctx.dim), None


def Cumsum_reverse(g, dim):
    return _ReverseCumsum.apply(g, dim)


class _ReverseCumsum(Function):
    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, g, dim):
        ctx.dim = dim
        return _scan(g, dim, K.SCAN_SUM, reverse=True)

    @staticmethod
    def backward(ctx, gg):
        return Cumsum.apply(gg, ctx.dim), None


class Cumprod(Function):
    node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        out = _scan(x, dim, K.SCAN_PROD)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        dim = ctx.dim
        if x.numel() == 0:
            return g, None
        if not bool((x == 0).any()):
            return Cumsum_reverse(g * out, dim) / x, None
        # zeros: grad_i = sum_{k >= i} g_k * prod_{j <= k, j != i} x_j, through an (N, N) table
        xl = x.movedim(dim, -1) if x.dim() else x.reshape(1)
        gl = g.movedim(dim, -1) if g.dim() else g.reshape(1)
        n = xl.shape[-1]
        from .. import functions as F
        ar = arange(n, device=x.device)
        eye = ar.unsqueeze(1) == ar.unsqueeze(0)
        table = F.where(eye, ones((), dtype=x.dtype, device=x.device), xl.unsqueeze(-2))
        prods = Cumprod.apply(table, table.dim() - 1)          # [..., i, k]
        upper = ar.unsqueeze(1) <= ar.unsqueeze(0)               # k >= i
        terms = F.where(upper, prods * gl.unsqueeze(-2), zeros((), dtype=x.dtype,
                                                                  device=x.device))
        gi = terms.sum(-1)
        gi = gi.movedim(-1, dim) if x.dim() else gi.reshape(())
        return gi, None


def _scan_dtype(input, dtype):
    if dtype is not None:
        return dtype
    if input.dtype.is_floating_point:
        return input.dtype
    return torch.int64


def cumsum(input, dim, *, dtype=None, out=None):
    dim = _dim(dim, input.dim())
    dt = _scan_dtype(input, dtype)
    if input.dtype != dt:
        input = input.to(dt)
    return Cumsum.apply(input, dim)


def cumprod(input, dim, *, dtype=None, out=None):
    dim = _dim(dim, input.dim())
    dt = _scan_dtype(input, dtype)
    if input.dtype != dt:
        input = input.to(dt)
    return Cumprod.apply(input, dim)


# ---------------------------------------------------------------------------------------------
# tril / triu
# ---------------------------------------------------------------------------------------------
def _tri(x, diagonal, upper):
    xs = x.contiguous()
    out = torch.empty(tuple(xs.shape), dtype=xs.dtype, device=xs.device)
    K.tri_(xs._data, out, diagonal, upper)
    return _wrap(out)


class Tril(Function):
    node_name = "TrilBackward0"

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return _tri(x, diagonal, False)

    @staticmethod
    def backward(ctx, g):
        return Tril.apply(g, ctx.diagonal), None


class Triu(Function):
    node_name = "TriuBackward0"

    @staticmethod
    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        return _tri(x, diagonal, True)

    @staticmethod
    def backward(ctx, g):
        return Triu.apply(g, ctx.diagonal), None


def _check_tri(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.dim() < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


def tril(input, diagonal=0, *, out=None):
    _check_tri(input, "tril")
    return Tril.apply(input, int(diagonal))


def triu(input, diagonal=0, *, out=None):
    _check_tri(input, "triu")
    return Triu.apply(input, int(diagonal))


# ---------------------------------------------------------------------------------------------
# log1p / expm1
# ---------------------------------------------------------------------------------------------
def _special(op, x, g=None):
    xs = x.contiguous()
    out = torch.empty(tuple(xs.shape), dtype=xs.dtype, device=xs.device)
    K.special_(op, xs._data, out, None if g is None else g.contiguous()._data)
    return _wrap(out)


class Log1p(Function):
    node_name = "Log1PBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _special(K.LOG1P, x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if grad_mode.is_grad_enabled():  # double backward: a differentiable composition
            return g / (x + 1)
        return _special(K.LOG1P_GRAD, x, g.expand(*x.shape).to(x.dtype))


class Expm1(Function):
    node_name = "Expm1Backward0"

    @staticmethod
    def forward(ctx, x):
        out = _special(K.EXPM1, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out + 1)


def log1p(input, *, out=None):
    if not input.dtype.is_floating_point:
        input = input.to(_dtype.get_default_dtype())
    return Log1p.apply(input)


def expm1(input, *, out=None):
    if not input.dtype.is_floating_point:
        input = input.to(_dtype.get_default_dtype())
    return Expm1.apply(input)


# ---------------------------------------------------------------------------------------------
# sort / argsort / topk
# ---------------------------------------------------------------------------------------------
SortResult = collections.namedtuple("sort", ["values", "indices"])
TopkResult = collections.namedtuple("topk", ["values", "indices"])


def _sort_indices(input, dim, descending):
    with grad_mode.no_grad():
        x = input.detach()
        if x.dtype == torch.bool:
            x = x.to(torch.uint8)
        xs, back = _last(x, dim)
        vals = torch.empty(tuple(xs.shape), dtype=xs.dtype, device=xs.device)
        idx = torch.empty(tuple(xs.shape), dtype=torch.int64, device=xs.device)
        K.sort_rows_(xs._data, vals, idx, descending)
        v, i = back(_wrap(vals)), back(_wrap(idx))
        if input.dtype == torch.bool:
            v = v.to(torch.bool)
    return v, i


class _SortValues(Function):
    """Values the sort kernel already wrote; the backward scatters the gradient back to the
    sorted positions (gather's backward)."""
    node_name = "SortBackward0"

    @staticmethod
    def forward(ctx, x, dim, idx, vals):
        ctx.shape, ctx.dim, ctx.idx = tuple(x.shape), dim, idx
        return vals

    @staticmethod
    def backward(ctx, g):
        from .reduction import scatter_into_zeros
        if not ctx.shape:
            return g.reshape(()), None, None, None
        return scatter_into_zeros(g, ctx.shape, ctx.dim, ctx.idx), None, None, None


class _SortValuesStable(_SortValues):
    node_name = "SortBackward1"  # torch's sort.stable overload (stable= given)


class _TopkValues(_SortValues):
    node_name = "TopkBackward0"


def _gather_values(input, dim, idx, vals, node=_SortValues):
    if input.requires_grad and grad_mode.is_grad_enabled():
        return node.apply(input, dim, idx, vals)
    return vals


def sort(input, dim=-1, descending=False, *, stable=None, out=None):
    dim = _dim(dim, input.dim())
    vals, idx = _sort_indices(input, dim, descending)  # always stable
    node = _SortValues if stable is None else _SortValuesStable
    return SortResult(_gather_values(input, dim, idx, vals, node), idx)


def argsort(input, dim=-1, descending=False, stable=False):
    dim = _dim(dim, input.dim())
    return _sort_indices(input, dim, descending)[1]


def msort(input):
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    dim = _dim(dim, input.dim())
    size = input.shape[dim] if input.dim() else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    vals, idx = _sort_indices(input, dim, largest)
    if input.dim():
        idx = idx.narrow(dim, 0, k).contiguous()
        vals = vals.narrow(dim, 0, k).contiguous()
    return TopkResult(_gather_values(input, dim, idx, vals, _TopkValues), idx)


# ---------------------------------------------------------------------------------------------
# sampling: multinomial, randperm, one_hot
# ---------------------------------------------------------------------------------------------
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{str(input.dtype).replace('torch.', '').capitalize()}")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = input.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    with grad_mode.no_grad():
        p = input.detach().reshape(-1, n_cat)
        if p.dtype not in (torch.float32, torch.float64):
            p = p.float()
        p = p.contiguous()
        bad = ((p < 0) | (p != p) | (p.abs() == float("inf"))).any()
        if bool(bad):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if bool((p.sum(1) <= 0).any()):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        rows = p.shape[0]
        if replacement or num_samples == 1:
            cdf = Cumsum.apply(p, 1).contiguous()
            u = torch.empty((rows, num_samples), dtype=p.dtype, device=p.device)
            _creation.random_(u, _creation.UNIFORM, 0.0, 1.0, generator=generator)
            out = torch.empty((rows, num_samples), dtype=torch.int64, device=p.device)
            K.count_le_(cdf._data, u, out, sample=True)
        else:
            # rows with fewer positive categories than samples: as torch on CPU, the
            # zero-probability categories come last, in index order (race keys of +inf)
            keys = torch.empty((rows, n_cat), dtype=torch.float64, device=p.device)
            K.race_keys_(p._data, keys, generator=generator)
            vals = torch.empty_like(keys)
            idx = torch.empty((rows, n_cat), dtype=torch.int64, device=p.device)
            K.sort_rows_(keys, vals, idx, False)
            out = _wrap(idx).narrow(1, 0, num_samples).contiguous()._data
        res = _wrap(out)
        return res.reshape(num_samples) if input.dim() == 1 else res


def randperm(n, *, generator=None, out=None, dtype=torch.int64, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    from ..utils.data import randperm as _randperm
    n = int(n)
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    if device is None:
        from .. import _device
        device = _device.get_default_device()
    r = _randperm(n, generator=generator, device=device)
    if dtype != torch.int64:
        r = r.to(dtype)
    if requires_grad:
        r.requires_grad_(True)
    return r


def one_hot(tensor, num_classes=-1):
    from .. import functions as F
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


# ---------------------------------------------------------------------------------------------
# repeat / tile / repeat_interleave
# ---------------------------------------------------------------------------------------------
def _sizes(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list, torch.Size)):
        return tuple(int(s) for s in args[0])
    return tuple(int(s) for s in args)


def repeat(input, *sizes):
    sizes = _sizes(sizes)
    if len(sizes) < input.dim():
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: "
                           f"{list(sizes)}")
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


def _repeats_index(repeats, output_size=None):
    """repeat_interleave(repeats): index i appears repeats[i] times."""
    if repeats.dim() != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if repeats.dtype not in (torch.int64, torch.int32):
        raise RuntimeError("repeats has to be Long or Int tensor")
    with grad_mode.no_grad():
        if repeats.numel() and bool((repeats < 0).any()):
            raise RuntimeError("repeats can not be negative")
        ends = Cumsum.apply(repeats.long(), 0).contiguous()
        total = int(ends[-1].item()) if repeats.numel() else 0
        if output_size is not None and output_size != total:
            raise RuntimeError("allocated size does not match required size")
        from .. import functions as F
        q = arange(total, device=repeats.device)
        out = torch.empty((1, total), dtype=torch.int64, device=repeats.device)
        if repeats.numel():
            K.count_le_(ends._data.reshape(1, -1), q._data.reshape(1, -1), out)
        return _wrap(out.reshape(total))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:
        return _repeats_index(input, output_size)
    if dim is None:
        input = input.reshape(-1)
        dim = 0
    dim = _dim(dim, input.dim())
    if input.dim() == 0:
        input = input.reshape(1)
    if isinstance(repeats, Tensor) and repeats.numel() == 1 and repeats.dim() <= 1:
        repeats = int(repeats.item())
    if isinstance(repeats, numbers.Integral):
        if repeats < 0:
            raise RuntimeError("repeats can not be negative")
        shape = list(input.shape)
        x = input.unsqueeze(dim + 1)
        exp = shape[:dim + 1] + [repeats] + shape[dim + 1:]
        shape[dim] *= repeats
        return x.expand(*exp).reshape(shape)
    if not isinstance(repeats, Tensor):
        from ..tensor import tensor as _tensor
        repeats = _tensor(list(repeats), dtype=torch.int64)
    if repeats.numel() != input.shape[dim]:
        raise RuntimeError("repeats must have the same size as input along dim")
    return input.index_select(dim, _repeats_index(repeats, output_size))


# ---------------------------------------------------------------------------------------------
# einsum: pairwise contractions through permute + reshape + bmm
# ---------------------------------------------------------------------------------------------
def _parse_einsum(equation, operands):
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        which = "more" if len(operands) > len(terms) else "fewer"
        raise RuntimeError(f"einsum(): {which} operands were provided than specified in the "
                           f"equation")
    letters = set(c for c in eq if c.isalpha())
    spare = [c for c in string.ascii_letters if c not in letters]
    n_ell = 0
    for t, op in zip(terms, operands):
        if "..." in t:
            n_ell = max(n_ell, op.dim() - (len(t) - 3))
    ell = spare[:n_ell]
    parsed = []
    for t, op in zip(terms, operands):
        if "..." in t:
            k = op.dim() - (len(t) - 3)
            if k < 0:
                raise RuntimeError("einsum(): the number of subscripts in the equation does not "
                                   "match the number of dimensions for operand")
            t = t.replace("...", "".join(ell[n_ell - k:]))
        for c in t:
            if not c.isalpha():
                raise RuntimeError(f"einsum(): invalid subscript given at index "
                                   f"{eq.index(c)} in the equation string, subscripts must be "
                                   f"in [a-zA-Z]")
        if len(t) != op.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(t)}) does not match the number of dimensions "
                               f"({op.dim()}) for operand {len(parsed)}"
                               + ("" if "..." in lhs else " and no ellipsis was given"))
        if len(set(t)) != len(t):
            raise RuntimeError("einsum(): repeated subscripts within one operand (diagonals, "
                               "traces) are not supported by minitorch")
        parsed.append(t)
    if arrow:
        out = rhs.replace("...", "".join(ell))
    else:
        counts = collections.Counter("".join(parsed))
        out = "".join(ell) + "".join(sorted(c for c in counts if counts[c] == 1 and c not in ell))
    for c in out:
        if not any(c in t for t in parsed):
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation "
                               f"for any input operand")
    return parsed, out


def _sum_out(x, t, keep):
    drop = [i for i, c in enumerate(t) if c not in keep]
    if drop:
        x = x.sum(tuple(drop))
        t = "".join(c for c in t if c in keep)
    return x, t


def _contract(a, ta, b, tb, keep, sizes):
    a, ta = _sum_out(a, ta, set(tb) | keep)
    b, tb = _sum_out(b, tb, set(ta) | keep)
    batch = [c for c in ta if c in tb and c in keep]
    contr = [c for c in ta if c in tb and c not in keep]
    left = [c for c in ta if c not in tb]
    right = [c for c in tb if c not in ta]

    def arrange(x, t, order):
        x = x.permute(*[t.index(c) for c in order]) if order else x
        return x.expand(*[sizes[c] for c in order]) if order else x

    def numel(cs):
        n = 1
        for c in cs:
            n *= sizes[c]
        return n

    nb, nl, nk, nr = numel(batch), numel(left), numel(contr), numel(right)
    am = arrange(a, ta, batch + left + contr).reshape(nb, nl, nk)
    bm = arrange(b, tb, batch + contr + right).reshape(nb, nk, nr)
    res = am.bmm(bm).reshape([sizes[c] for c in batch + left + right])
    return res, "".join(batch + left + right)


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    terms, out = _parse_einsum(equation, operands)
    sizes = {}
    for t, op in zip(terms, operands):
        for c, s in zip(t, op.shape):
            if sizes.get(c, 1) != 1 and s != 1 and sizes[c] != s:
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes "
                                   f"(original->remapped): subscript {c} has size {s} and "
                                   f"{sizes[c]}")
            sizes[c] = s if sizes.get(c, 1) == 1 else sizes[c]
    x, tx = operands[0], terms[0]
    for i in range(1, len(operands)):
        keep = set(out).union(*terms[i + 1:])
        x, tx = _contract(x, tx, operands[i], terms[i], keep, sizes)
    x, tx = _sum_out(x, tx, set(out))
    if tx != out:
        x = x.permute(*[tx.index(c) for c in out])
    shape = [sizes[c] for c in out]
    if list(x.shape) != shape:
        x = x.expand(*shape)
    return x


# ---------------------------------------------------------------------------------------------
# tensor factories from a tensor
# ---------------------------------------------------------------------------------------------
def _new(self, dtype, device):
    return dict(dtype=dtype or self.dtype, device=device if device is not None else self.device)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, **_):
    from ..tensor import zeros
    return zeros(*_sizes(size), **_new(self, dtype, device), requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False, **_):
    from ..tensor import ones
    return ones(*_sizes(size), **_new(self, dtype, device), requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False, **_):
    from ..tensor import empty
    return empty(*_sizes(size), **_new(self, dtype, device), requires_grad=requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, **_):
    from ..tensor import full
    return full(_sizes((size,)), fill_value, **_new(self, dtype, device),
                requires_grad=requires_grad)


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    from ..tensor import tensor
    if isinstance(data, Tensor):
        t = data.detach().to(**_new(self, dtype, device)).clone()
        return t.requires_grad_(requires_grad) if requires_grad else t
    return tensor(data, **_new(self, dtype, device), requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------
# numpy-style keyword aliases (torch's argument parser accepts axis= for dim= and keepdims= for
# keepdim= everywhere)
# ---------------------------------------------------------------------------------------------
def numpy_aliases(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if "axis" in kwargs:
            if "dim" in kwargs:
                raise TypeError(f"{fn.__name__}() got multiple values for argument 'dim'")
            kwargs["dim"] = kwargs.pop("axis")
        if "keepdims" in kwargs:
            if "keepdim" in kwargs:
                raise TypeError(f"{fn.__name__}() got multiple values for argument 'keepdim'")
            kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)
    wrapper._numpy_aliases = True
    return wrapper
