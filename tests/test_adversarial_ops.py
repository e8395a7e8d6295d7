"""Adversarial tensor-op cases: each snippet runs through minitorch and real torch side by side and
must give the same values, dtype and shape (and gradients), or raise the same exception type.
Every case here once differed (a silently different number, dtype or gradient, or code that one
library refused and the other accepted)."""
import math

import pytest
import torch
from _side_by_side import run

import minitorch as mt

NAN, INF = float("nan"), float("inf")


def _run(fn, lib):
    return run(fn, lib)


def _same(fn):
    m, t = _run(fn, mt), _run(fn, torch)
    assert m == t, f"\n  minitorch: {m}\n  torch:     {t}"


def _grads(setup, expr):
    """Gradients of sum(expr) with respect to the tensors ``setup`` makes."""
    def f(L):
        ts = setup(L)
        y = expr(L, *ts)
        y.sum().backward()
        return [t.grad for t in ts]
    return f


# ------------------------------------------------------------------ clamp
CLAMP_CASES = {
    "nan_min_scalar": lambda L: L.tensor([1., 2., 3.]).clamp(NAN, 2),
    "nan_max_scalar": lambda L: L.tensor([1., 2., 3.]).clamp(max=NAN),
    "nan_min_only": lambda L: L.tensor([1., 2.]).clamp(min=NAN),
    "nan_input_kept": lambda L: L.tensor([NAN, 2.]).clamp(0, 1),
    "min_above_max": lambda L: L.tensor([1., 5.]).clamp(3, 2),
    "int_nan_bound": lambda L: L.tensor([1, 5]).clamp(NAN),
    "nan_tensor_bound": lambda L: L.tensor([1., NAN]).clamp(L.tensor([1.5, 1.5]),
                                                             L.tensor(NAN)),
}


@pytest.mark.parametrize("case", sorted(CLAMP_CASES))
def test_clamp_forward(case):
    _same(CLAMP_CASES[case])


def _clamp_setup(L):
    return (L.tensor([[1., 3., 3.], [2., 2., 1.]], requires_grad=True),
            L.tensor([2., 3., 4.], requires_grad=True),
            L.tensor([[3.], [1.]], requires_grad=True))


CLAMP_GRADS = {
    # x equal to a tensor bound takes the whole gradient (torch's clamp_backward), not a half
    "tensor_min_max_ties": lambda L, x, lo, hi: x.clamp(lo, hi),
    "tensor_min_ties": lambda L, x, lo, hi: x.clamp(lo) + hi.sum() * 0,
    "tensor_max_ties": lambda L, x, lo, hi: x.clamp(max=hi) + lo.sum() * 0,
    "tensor_bounds_times_x": lambda L, x, lo, hi: x.clamp(min=lo, max=hi) * x,
}


@pytest.mark.parametrize("case", sorted(CLAMP_GRADS))
def test_clamp_tensor_bound_gradients(case):
    _same(_grads(_clamp_setup, CLAMP_GRADS[case]))


def test_clamp_min_0d_tensor_gradient_at_tie():
    _same(_grads(lambda L: (L.tensor([1., 2., 3.], requires_grad=True),),
                 lambda L, x: x.clamp(min=L.tensor(2.))))


# ------------------------------------------------------------------ sign, floor/ceil gradients
def test_sign_of_nan_is_zero():
    _same(lambda L: L.tensor([-INF, INF, NAN, -0., 2.]).sign())
    _same(lambda L: L.tensor([NAN], dtype=L.float64).sign())


@pytest.mark.parametrize("expr", ["floor", "ceil", "div_floor", "div_trunc"])
def test_rounding_gradients_are_zeros_not_none(expr):
    f = {"floor": lambda L, x: x.floor(), "ceil": lambda L, x: x.ceil(),
         "div_floor": lambda L, x: x.div(2, rounding_mode="floor"),
         "div_trunc": lambda L, x: x.div(2, rounding_mode="trunc")}[expr]
    _same(_grads(lambda L: (L.tensor([1.5, -1.5, 2.], requires_grad=True),), f))


# ------------------------------------------------------------------ median() gradient
@pytest.mark.parametrize("values", [[[1., 2.], [2., 4.]], [[1., 3., 3.], [2., 2., 1.]],
                                    [[1., NAN], [NAN, 4.]], [[5., 1.], [0., 7.]]])
def test_median_all_gradient_shared_by_ties(values):
    """median() with no dim spreads the gradient over every element equal to the median."""
    _same(_grads(lambda L: (L.tensor(values, requires_grad=True),), lambda L, x: x.median()))


def test_median_dim_gradient_still_one_index():
    _same(_grads(lambda L: (L.tensor([[1., 3., 3.], [2., 2., 1.]], requires_grad=True),),
                 lambda L, x: x.median(1).values))


# ------------------------------------------------------------------ all/any of uint8
@pytest.mark.parametrize("expr", ["all1", "any", "all", "empty_any0", "all_keepdim", "int8"])
def test_all_any_of_uint8_keep_uint8(expr):
    f = {"all1": lambda L: L.tensor([[1, 0], [2, 3]], dtype=L.uint8).all(1),
         "any": lambda L: L.tensor([[1, 0], [2, 3]], dtype=L.uint8).any(),
         "all": lambda L: L.tensor([[1, 0], [2, 3]], dtype=L.uint8).all(),
         "empty_any0": lambda L: L.zeros(0, 2, dtype=L.uint8).any(0),
         "all_keepdim": lambda L: L.all(L.tensor([[1, 0], [2, 3]], dtype=L.uint8), dim=0,
                                        keepdim=True),
         "int8": lambda L: L.tensor([[1, 0], [2, 3]], dtype=L.int8).all(1)}[expr]
    _same(f)


# ------------------------------------------------------------------ indexing
@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("how", ["get", "set", "index_put", "second_dim", "with_int"])
def test_index_tensor_of_int8_int16_is_refused(dtype, how):
    f = {"get": lambda x, i: x[i], "set": lambda x, i: x.__setitem__(i, 1.),
         "index_put": lambda x, i: x.index_put_((i,), x.new_tensor(1.)),
         "second_dim": lambda x, i: x[:, i], "with_int": lambda x, i: x[i, 0]}[how]
    _same(lambda L: f(L.arange(12.).reshape(3, 4), L.tensor([0], dtype=getattr(L, dtype))))


TAKE_CASES = {
    "negative": lambda L: L.arange(12.).reshape(3, 4).take(L.tensor([0, 11, -1, -12])),
    "negative_2d_index": lambda L: L.arange(12.).reshape(3, 4).take(L.tensor([[-3], [2]])),
    "negative_transposed": lambda L: L.arange(12.).reshape(3, 4).T.take(L.tensor([-1, 1])),
    "negative_0d": lambda L: L.take(L.arange(12.).reshape(3, 4), L.tensor(-2)),
    "too_big": lambda L: L.arange(12.).take(L.tensor([12])),
    "too_small": lambda L: L.arange(12.).take(L.tensor([-13])),
    "empty": lambda L: L.arange(12.).take(L.tensor([], dtype=L.long)),
}


@pytest.mark.parametrize("case", sorted(TAKE_CASES))
def test_take(case):
    _same(TAKE_CASES[case])


# ------------------------------------------------------------------ signatures torch accepts
FLIP_CASES = {
    "varargs": lambda L: L.arange(6).reshape(2, 3).flip(0, 1),
    "tuple": lambda L: L.arange(6).reshape(2, 3).flip((0, 1)),
    "keyword": lambda L: L.arange(6).reshape(2, 3).flip(dims=(0,)),
    "function_keyword": lambda L: L.flip(L.arange(6).reshape(2, 3), dims=[1]),
    "negative": lambda L: L.arange(6).reshape(2, 3).flip(-1),
    "missing": lambda L: L.arange(6).reshape(2, 3).flip(),
}


@pytest.mark.parametrize("case", sorted(FLIP_CASES))
def test_flip_signatures(case):
    _same(FLIP_CASES[case])


@pytest.mark.parametrize("args", [(5, (3,)), (5, [2, 2]), (5, torch.Size([4])), (3, 5, (4,))])
def test_randint_high_size_form(args):
    """randint(high, size) — the two-argument form torch accepts."""
    size = args[-1]
    r = mt.randint(*[mt.Size(a) if isinstance(a, torch.Size) else a for a in args])
    t = torch.randint(*args)
    assert tuple(r.shape) == tuple(t.shape) and r.dtype == t.dtype
    low, high = (0, args[0]) if len(args) == 2 else args[:2]
    vals = r.reshape(-1).tolist()
    assert all(low <= v < high for v in vals), vals
    assert math.prod(size) == len(vals)
    r = mt.randint(5, size=(3, 2))
    assert tuple(r.shape) == (3, 2)


# ------------------------------------------------------------------ in-place ops that downcast
INPLACE_CASES = {
    "int_div_": lambda L: L.tensor([1, 2]).div_(2),
    "int_true_divide_": lambda L: L.tensor([1, 2]).true_divide_(L.tensor(2)),
    "int_pow_half": lambda L: L.tensor([1, 2]).pow_(0.5),
    "int_pow_float_tensor": lambda L: L.tensor([1, 2]).pow_(L.tensor(2.)),
    "int_exp_": lambda L: L.tensor([1, 2]).exp_(),
    "int_sqrt_": lambda L: L.tensor([1, 4]).sqrt_(),
    "int_sigmoid_": lambda L: L.tensor([1, 4]).sigmoid_(),
    "bool_reciprocal_": lambda L: L.tensor([True]).reciprocal_(),
    "int_sub_bool": lambda L: L.tensor([1, 2]).sub_(True),
    "int_sub_bool_tensor": lambda L: L.tensor([1, 2]).sub_(L.tensor([True, False])),
    "bool_neg_": lambda L: L.tensor([True]).neg_(),
    "int_div_floor_float": lambda L: L.tensor([1, 2]).div_(2.5, rounding_mode="floor"),
    # what stays legal
    "int_div_floor": lambda L: L.tensor([1, 5]).div_(2, rounding_mode="floor"),
    "int_pow_int": lambda L: L.tensor([1, 3]).pow_(2),
    "int_neg_": lambda L: L.tensor([1, -3]).neg_(),
    "half_exp_": lambda L: L.tensor([1., 2.], dtype=L.float16).exp_(),
    "float_div_double": lambda L: L.tensor([1., 2.]).div_(L.tensor([4.], dtype=L.float64)),
}


@pytest.mark.parametrize("case", sorted(INPLACE_CASES))
def test_inplace_result_dtype_must_cast(case):
    _same(INPLACE_CASES[case])


# ------------------------------------------------------------------ dim=None / dim=() with keepdim
KEEPDIM_CASES = {
    "sum_none_keepdim": lambda L: L.tensor([[1., 2.], [3., 5.]]).sum(dim=None, keepdim=True),
    "sum_none_keepdim_pos": lambda L: L.sum(L.tensor([[1., 2.], [3., 5.]]), None, True),
    "mean_none_keepdim": lambda L: L.tensor([[1., 2.], [3., 5.]]).mean(None, True),
    "mean_none_keepdim_3d": lambda L: L.ones(2, 1, 3).mean(dim=None, keepdim=True),
    "sum_int_none_keepdim": lambda L: L.tensor([[1, 2], [3, 5]]).sum(None, True),
    "all_empty_tuple": lambda L: L.tensor([[1., 0.], [3., 5.]]).all(dim=()),
    "any_empty_list": lambda L: L.tensor([[1., 0.], [0., 0.]]).any(dim=[]),
    "all_empty_tuple_keepdim": lambda L: L.all(L.tensor([[1., 0.], [3., 5.]]), dim=(),
                                               keepdim=True),
    "all_empty_tuple_uint8": lambda L: L.tensor([[1, 0], [3, 5]], dtype=L.uint8).all(()),
    "any_empty_tuple_bool": lambda L: L.tensor([True, False]).any(()),
    "all_empty_tuple_0d": lambda L: L.tensor(2.).all(dim=()),
    "sum_empty_tuple_reduces_all": lambda L: L.tensor([[1., 2.], [3., 5.]]).sum(()),
}


@pytest.mark.parametrize("case", sorted(KEEPDIM_CASES))
def test_reduction_dim_none_or_empty(case):
    _same(KEEPDIM_CASES[case])


def test_mean_none_keepdim_gradient():
    _same(_grads(lambda L: (L.tensor([[1., 2.], [3., 5.]], requires_grad=True),),
                 lambda L, x: x.mean(dim=None, keepdim=True)[0] * x))


# ------------------------------------------------------------------ a number out of dtype range
def _set(L, dt, key, v):
    t = L.zeros(2, dtype=dt)
    t[key(L)] = v
    return t


FILL_WAYS = {
    "setitem_int": lambda L, dt, v: _set(L, dt, lambda L: 0, v),
    "setitem_slice": lambda L, dt, v: _set(L, dt, lambda L: slice(None), v),
    "setitem_mask": lambda L, dt, v: _set(L, dt, lambda L: L.tensor([True, False]), v),
    "setitem_index": lambda L, dt, v: _set(L, dt, lambda L: L.tensor([0]), v),
    "full": lambda L, dt, v: L.full((2,), v, dtype=dt),
    "fill_": lambda L, dt, v: L.zeros(2, dtype=dt).fill_(v),
    "masked_fill": lambda L, dt, v: L.zeros(2, dtype=dt).masked_fill(L.tensor([True, False]), v),
    "where": lambda L, dt, v: L.where(L.tensor([True, False]), L.zeros(2, dtype=dt), v),
    "clamp_max": lambda L, dt, v: L.zeros(2, dtype=dt).clamp(max=v),
    "new_full": lambda L, dt, v: L.zeros(2, dtype=dt).new_full((2,), v),
    "index_fill": lambda L, dt, v: L.zeros(2, dtype=dt).index_fill(0, L.tensor([0]), v),
}
OVERFLOW_VALUES = [("int8", 300), ("int8", 300.0), ("int8", -129), ("int8", 2.5), ("int8", NAN),
                   ("uint8", -1), ("uint8", -256), ("uint8", 256), ("uint8", -1.0),
                   ("int32", 2 ** 31), ("int64", 2 ** 63), ("float16", 1e6), ("float16", -1e6),
                   ("float16", INF), ("float32", 1e300), ("bool", 2), ("float16", 2 ** 70)]


@pytest.mark.parametrize("way", sorted(FILL_WAYS))
@pytest.mark.parametrize("dtype,value", OVERFLOW_VALUES, ids=str)
def test_number_out_of_dtype_range(way, dtype, value):
    """fill_/full/masked_fill/setitem/where/clamp check the number against the dtype (torch
    raises "value cannot be converted ... without overflow" where minitorch wrapped silently;
    setitem into a half and where(..., half, 1e6) make inf)."""
    _same(lambda L: FILL_WAYS[way](L, getattr(L, dtype), value))


def test_masked_fill_0d_tensor_value_overflow():
    _same(lambda L: L.tensor([1, 2], dtype=L.int8).masked_fill(L.tensor([False, True]),
                                                                L.tensor(300)))


# ------------------------------------------------------------------ float special values
_SPECIAL = [0., -0., 1., -1., 2.5, -2.5, 7., -7., 0.1, -0.1, INF, -INF, NAN, 1e30, 3., 6., 0.3]
_A = [a for a in _SPECIAL for _ in _SPECIAL]
_B = [b for _ in _SPECIAL for b in _SPECIAL]


def _pairwise(f, dtype):
    def run(L):
        a, b = (L.tensor(v, dtype=getattr(L, dtype)) for v in (_A, _B))
        return f(L, a, b)
    return run


PAIRWISE = {
    # torch's div_floor_floating (from fmod): 1 // 0.1 == 9, -5 // inf == -1, inf // 2 is NaN
    "floor_divide": lambda L, a, b: a // b,
    "div_floor": lambda L, a, b: a.div(b, rounding_mode="floor"),
    "remainder": lambda L, a, b: a % b,
    "floor": lambda L, a, b: a.floor(),   # inf stays inf
    "ceil": lambda L, a, b: a.ceil(),
    "round": lambda L, a, b: a.round(),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", sorted(PAIRWISE))
def test_special_values_pairwise(op, dtype):
    _same(_pairwise(PAIRWISE[op], dtype))


@pytest.mark.parametrize("dtype,rtol", [("float32", 2e-7), ("float64", 5e-14), ("float16", 0),
                                        ("bfloat16", 0)])
def test_pow_special_values_and_precision(dtype, rtol):
    """C's pow: 1 ** nan == 1, (-1) ** inf == 1, (-0) ** 3 == -0, (-inf) ** 2.5 == inf; integral
    exponents exact (2.5 ** 3 == 15.625, 2.5 ** -1 == 0.4, x ** 1 == x); others within an ulp
    or two of torch's libm pow."""
    vals = _SPECIAL + [1.7, -3.3, 0.9, 64., -64., 65.]
    a = [x for x in vals for _ in vals]
    b = [y for _ in vals for y in vals]
    m = mt.tensor(a, dtype=getattr(mt, dtype)).pow(mt.tensor(b, dtype=getattr(mt, dtype)))
    t = torch.tensor(a, dtype=getattr(torch, dtype)).pow(torch.tensor(b, dtype=getattr(torch,
                                                                                     dtype)))
    bad = []
    for x, y, u, v in zip(a, b, m.float().tolist() if dtype == "bfloat16" else m.tolist(),
                          t.float().tolist() if dtype == "bfloat16" else t.tolist()):
        exact_power = float(y).is_integer() and abs(y) <= 8 and float(x * 4).is_integer() and \
            abs(x) <= 64
        if math.isnan(v) or math.isinf(v) or v == 0 or exact_power:
            ok = repr(u) == repr(v)  # special values, signed zeros, exact powers: identical
        else:
            ok = abs(u - v) <= rtol * abs(v)
        if not ok:
            bad.append((x, y, u, v))
    assert not bad, bad[:10]


SCALAR_CASES = {
    "floordiv_point_one": lambda L: L.tensor([6., 1., 0.3, -1.]) // 0.1,
    "div_floor_point_one": lambda L: L.tensor([0.7]).div(0.1, rounding_mode="floor"),
    "floordiv_inf": lambda L: L.tensor([-5., 5., -0.]) // INF,
    "inf_floordiv": lambda L: L.tensor([INF, -INF]) // 2,
    "one_pow_nan": lambda L: L.tensor([1.]).pow(NAN),
    "minus_one_pow_inf": lambda L: L.tensor([-1.]).pow(INF),
    "minus_inf_pow_half": lambda L: L.tensor([-INF, -0., 4.]).pow(0.5),  # sqrt, as torch
    "minus_inf_pow_minus_half": lambda L: L.tensor([-INF, -0., 4.]).pow(-0.5),
    "minus_inf_pow_1_5": lambda L: L.tensor([-INF]).pow(1.5),
    "int_pow_half": lambda L: L.tensor([4, 9]).pow(0.5),
    "one_rpow": lambda L: 1 ** L.tensor([NAN, INF, -INF]),
    "minus_one_rpow": lambda L: (-1) ** L.tensor([INF, -INF, NAN]),
    "floor_inf_double": lambda L: L.tensor([INF, -INF, NAN], dtype=L.float64).floor(),
    "floor_half": lambda L: L.tensor([INF, -2.5, 2.5], dtype=L.float16).floor(),
}


@pytest.mark.parametrize("case", sorted(SCALAR_CASES))
def test_special_values_scalars(case):
    _same(SCALAR_CASES[case])


def test_remainder_gradient_uses_floor_division():
    _same(_grads(lambda L: (L.tensor([6., 1., -1.], requires_grad=True),
                            L.tensor([0.1, 0.1, 0.3], requires_grad=True)),
                 lambda L, a, b: a % b))


# ------------------------------------------------------------------ bfloat16 rounds to nearest
BF16_CASES = {
    "exp": lambda L: L.tensor([3., 1.7, -2.2], dtype=L.bfloat16).exp(),
    "add_tensor": lambda L: L.tensor([0.1, 1.3], dtype=L.bfloat16) + L.tensor([0.2, 2.9],
                                                                               dtype=L.bfloat16),
    "div": lambda L: L.tensor([1., 2., 10.], dtype=L.bfloat16) / 3,
    "cast_from_float": lambda L: L.tensor([20.0855, 1.00390625, 1.01171875, 3e38, -3.3e38, 1e-40,
                                           NAN, INF]).to(L.bfloat16),
    "cast_to_float": lambda L: L.tensor([1e-40, -1e-40, 3e38], dtype=L.bfloat16).float(),
    "sum": lambda L: L.tensor([[0.1, 0.2, 0.3], [1.1, 2.2, 3.3]], dtype=L.bfloat16).sum(1),
    "sigmoid": lambda L: L.tensor([0.3, -1.7, 2.9], dtype=L.bfloat16).sigmoid(),
    # float64 -> bfloat16 was the value read as a bit pattern (1.0039 -> 9.2e-41)
    "cast_from_double": lambda L: L.tensor([1.00390625, 1.0039062500000002, 3., -2.5, 1e-40,
                                            3.3e38, 1e39, -INF, NAN, -0.11987304402124649],
                                           dtype=L.float64).to(L.bfloat16),
    "double_plus_bf16": lambda L: L.tensor([0.1, 1.3], dtype=L.float64) + L.tensor(
        [0.2, 2.9], dtype=L.bfloat16),
    "cast_to_double": lambda L: L.tensor([1e-40, 1.5, -3e38], dtype=L.bfloat16).double(),
}


@pytest.mark.parametrize("case", sorted(BF16_CASES))
def test_bfloat16_rounds_to_nearest_even(case):
    _same(BF16_CASES[case])


# ------------------------------------------------------------------ half-precision activations
HALF_ACTIVATIONS = {
    "gelu": lambda F, x: F.gelu(x),
    "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x),
    "softplus": lambda F, x: F.softplus(x),  # exp(15) overflowed a float16: inf
}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("act", sorted(HALF_ACTIVATIONS))
def test_half_activation_computed_in_float32(act, dtype):
    """torch computes these in float32 and rounds once; composed in half they lost most digits
    (gelu(-3.38) in float16 was -0.00082, not -0.00124)."""
    vals = [-3.3775, -3.457, -0.7517, -1.3016, 0.3, 2.2, 15., 18., -15.]
    _close(lambda L: HALF_ACTIVATIONS[act](L.nn.functional, L.tensor(vals,
                                                                      dtype=getattr(L, dtype))),
           rtol=1e-2 if dtype == "bfloat16" else 2e-3)  # an ulp (erf is an approximation)


@pytest.mark.parametrize("act", sorted(HALF_ACTIVATIONS))
def test_half_activation_gradient(act):
    def f(L):
        x = L.tensor([-3.3775, -0.7517, 0.3, 2.2], dtype=L.float16, requires_grad=True)
        HALF_ACTIVATIONS[act](L.nn.functional, x).sum().backward()
        return x.grad
    _close(f, rtol=2e-3)


def _close(fn, rtol, atol=1e-5):
    """Same shapes and dtypes, values within rtol/atol (NaN only where torch has NaN)."""
    m, t = _run(fn, mt), _run(fn, torch)
    assert m[0] == t[0] == "ok", (m, t)
    ms, ts = (r[1] if isinstance(r[1], list) else [r[1]] for r in (m, t))
    assert len(ms) == len(ts), (m, t)
    for a, b in zip(ms, ts):
        assert a[:3] == b[:3], (a, b)
        torch.testing.assert_close(torch.tensor(eval(a[3], {"nan": NAN, "inf": INF})),
                                   torch.tensor(eval(b[3], {"nan": NAN, "inf": INF})),
                                   rtol=rtol, atol=atol, equal_nan=True)


# ------------------------------------------------------------------ gradients at zero
ZERO_GRADS = {
    "std_constant_rows": ("[[1., 1., 1.], [2., 3., 5.]]", lambda x: x.std(1)),
    "std_all_zero": ("[[0., 0.], [0., 0.]]", lambda x: x.std()),
    "std_correction0": ("[[1., 1., 1.], [2., 3., 5.]]", lambda x: x.std(1, correction=0)),
    "std_keepdim_dim0": ("[[1., 2.], [1., 3.]]", lambda x: x.std(0, keepdim=True)),
    "norm3_zero_row": ("[[0., 0., 0.], [1., -2., 0.]]", lambda x: x.norm(3, dim=1)),
    "norm_half_zero_row": ("[[0., 0., 0.], [1., -2., 0.]]", lambda x: x.norm(0.5, dim=1)),
    "norm_1_5_zero": ("[[0., 0., 0.], [1., -2., 0.]]", lambda x: x.norm(1.5)),
    "norm_minus1": ("[[0., 0., 0.], [1., -2., 0.5]]", lambda x: x.norm(-1, dim=1)),
    "pow_zero_exponent_at_zero": ("[0., 2., 0.]", lambda x: x.pow(x * 0)),
}


@pytest.mark.parametrize("case", sorted(ZERO_GRADS))
def test_gradient_at_zero_is_not_nan(case):
    """torch masks these backward formulas where the result (or exponent) is 0: std of a
    constant slice, the p-norm of a zero vector, x ** 0 at x = 0 have gradient 0, not NaN."""
    values, f = ZERO_GRADS[case]
    _close(_grads(lambda L: (L.tensor(eval(values), requires_grad=True),),
                  lambda L, x: f(x)), rtol=1e-5)


def test_std_and_norm_double_backward():
    def f(L):
        x = L.tensor([[1., 1.5], [2., 3.]], dtype=L.float64, requires_grad=True)
        gx, = L.autograd.grad(x.std(1).sum() + x.norm(3, dim=1).sum(), x, create_graph=True)
        gx.pow(2).sum().backward()
        return x.grad
    _close(f, rtol=1e-10)


# ------------------------------------------------------------------ movedim with sequences, mT
MOVEDIM_CASES = {
    "tuples": lambda x: x.movedim((0, 1), (2, 0)),   # was (2, 3, 4): the tuples were sorted
    "lists": lambda x: x.movedim([2, 0], [0, 1]),
    "one_tuple": lambda x: x.movedim((0,), (2,)),
    "negative": lambda x: x.movedim(-1, -3),
    "strides": lambda x: x.movedim((1, 2), (0, 1)).stride(),
    "repeated_source": lambda x: x.movedim((0, 0), (1, 2)),
    "repeated_destination": lambda x: x.movedim((0, 1), (2, 2)),
    "length_mismatch": lambda x: x.movedim((0, 1), (2,)),
    "out_of_range": lambda x: x.movedim(3, 0),
    "empty": lambda x: x.movedim((), ()),
    "mT_1d": lambda x: x[0, 0].mT,
    "mT_3d": lambda x: x.mT.stride(),
}


@pytest.mark.parametrize("case", sorted(MOVEDIM_CASES))
def test_movedim_and_mT(case):
    _same(lambda L: MOVEDIM_CASES[case](L.arange(24.).reshape(2, 3, 4)))


# ------------------------------------------------------------------ addmm / baddbmm with beta=0
ADDMM_CASES = {
    "addmm_nan_input": lambda L: L.addmm(L.full((2, 2), NAN), L.ones(2, 3), L.ones(3, 2), beta=0),
    "addmm_inf_broadcast": lambda L: L.addmm(L.full((2,), INF), L.ones(2, 3), L.ones(3, 2),
                                             beta=0),
    "addmm_bad_shape": lambda L: L.addmm(L.ones(3), L.ones(2, 3), L.ones(3, 2), beta=0),
    "addmm_beta_alpha": lambda L: L.addmm(L.ones(2, 2), L.ones(2, 3), L.ones(3, 2), beta=2,
                                          alpha=3),
    "baddbmm_nan_input": lambda L: L.baddbmm(L.full((1, 2, 2), NAN), L.ones(3, 2, 3),
                                             L.ones(3, 3, 2), beta=0),
}


@pytest.mark.parametrize("case", sorted(ADDMM_CASES))
def test_addmm_beta_zero_ignores_input(case):
    _same(ADDMM_CASES[case])


@pytest.mark.parametrize("fn", ["addmm", "baddbmm"])
def test_addmm_beta_zero_input_gradient_is_zeros(fn):
    def f(L):
        if fn == "addmm":
            i, a, b = L.full((2,), NAN), L.ones(2, 3), L.ones(3, 2)
        else:
            i, a, b = L.full((1, 2, 2), NAN), L.ones(3, 2, 3), L.ones(3, 3, 2)
        i.requires_grad_()
        a.requires_grad_()
        getattr(L, fn)(i, a, b, beta=0).sum().backward()
        return i.grad, a.grad
    _same(f)


@pytest.mark.parametrize("method", ["bfloat16", "short", "char", "byte"])
def test_dtype_shortcut_methods(method):
    vals = [1.7, 2.2, 100.5] if method == "byte" else [1.7, -2.2, 100.5]  # no out-of-range UB
    _same(lambda L: getattr(L.tensor(vals), method)())


# ----------------------------------------------------------------- negative indices, in-place shape
NEG_INDEX_CASES = {
    "take_along_dim_negative": lambda x: x.take_along_dim(x.new_tensor([[-1], [-3]]).long(), 1),
    "take_along_dim_dim0": lambda x: x.take_along_dim(x.new_tensor([[-1, 0, -2]]).long(), 0),
    "index_fill_negative": lambda x: x.index_fill(1, x.new_tensor([-1, -3]).long(), 9.),
    "index_fill_0d_index": lambda x: x.index_fill(1, x.new_tensor(-1).long(), 9.),
    "index_fill_too_small": lambda x: x.index_fill(1, x.new_tensor([-4]).long(), 9.),
    "index_fill_too_big": lambda x: x.index_fill(1, x.new_tensor([3]).long(), 9.),
    "index_fill_0d_input": lambda x: x[0, 0].index_fill(0, x.new_tensor([-1]).long(), 1.),
    "masked_fill__bigger_mask": lambda x: x.masked_fill_(x.new_ones(2, 2, 3).bool(), 1.),
    "masked_fill__broadcast_mask": lambda x: x.masked_fill_(x.new_tensor([1, 0, 1]).bool(), 1.),
}


@pytest.mark.parametrize("case", sorted(NEG_INDEX_CASES))
def test_negative_index_and_inplace_shape(case):
    _same(lambda L: NEG_INDEX_CASES[case](L.arange(6.).reshape(2, 3)))
