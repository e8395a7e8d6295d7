"""Programs that once gave a silently different number (or refused legitimate code), each run
through minitorch and real torch side by side: same values, same gradients, or the same exception
type and message."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from _side_by_side import run

import minitorch as mt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(fn, lib):
    return run(fn, lib, sequence_kind=True, message=True)


def _same(fn, approx=False, rtol=1e-5, atol=1e-6):
    m, t = _run(fn, mt), _run(fn, torch)
    if approx and m[0] == t[0] == "ok":
        np.testing.assert_allclose(np.array(eval(m[1][3])), np.array(eval(t[1][3])), rtol=rtol,
                                   atol=atol)
        assert m[1][:3] == t[1][:3]
        return m
    assert m == t, f"\n  minitorch: {m}\n  torch:     {t}"
    return m


# ------------------------------------------------------------------ in-place through views
def _sibling(L):
    a = L.tensor([1., 2., 3.], requires_grad=True)
    b = a * 1
    v1, v2 = b[0:2], b[1:3]
    v1.mul_(3)
    v2.sum().backward()
    return a.grad, v2, v2.grad_fn.name(), b.grad_fn.name()


def _base_then_view(L):
    a = L.tensor([1., 2., 3.], requires_grad=True)
    b = a * 1
    v2 = b[1:3]
    b.mul_(3)
    (v2 * v2).sum().backward()
    return a.grad


def _plain_base_gets_history(L):
    a = L.tensor([1., 2., 3.], requires_grad=True)
    b = L.zeros(3)
    v1, v2 = b[0:2], b[1:3]
    v1.copy_(a[:2] * 2)
    flag = v2.requires_grad
    v2.sum().backward()
    return flag, a.grad


def _no_grad_write_then_sibling(L):
    a = L.tensor([1., 2., 3.], requires_grad=True)
    b = a * 1
    v1, v2 = b[0:2], b[1:3]
    with L.no_grad():
        v1.mul_(3)
    v2.sum().backward()
    return a.grad, v2


def _two_siblings(L):
    a = L.tensor([1., 2., 3.], requires_grad=True)
    b = a * 1
    v2, v1 = b[1:3], b[0:2]
    v1.mul_(3)
    v2.mul_(2)
    (b * b).sum().backward()
    return a.grad, b


def _nested_views(L):
    a = L.tensor([1., 2., 3., 4.], requires_grad=True)
    b = a.clone()
    w = b.view(2, 2)[:, 0]
    w.mul_(10)
    z = b[::2]
    (z * L.tensor([1., 2.])).sum().backward()
    return a.grad, b


def _transposed_view(L):
    a = L.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    b = (a * 1).t()
    b[0].mul_(2)
    b.sum().backward()
    return a.grad


def _non_contiguous_base(L):
    # a base that is not a view and not contiguous (column-major numpy memory)
    x = L.from_numpy(np.asfortranarray(np.arange(6.).reshape(3, 2)))
    w = L.tensor([1., 2.], dtype=L.float64, requires_grad=True)
    x[1].mul_(w)
    (x * L.tensor([[1.], [2.], [3.]], dtype=L.float64)).sum().backward()
    return w.grad, x


def _retain_sibling(L):
    x = L.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    v1, v2 = b[0:2], b[1:3]
    v2.retain_grad()
    v1.mul_(3)
    (v2 * L.tensor([1., 5.])).sum().backward()
    return v2.grad, x.grad


def _retain_then_inplace(L):
    x = L.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    b.retain_grad()
    b.mul_(3)
    (b * L.tensor([1., 5., 7.])).sum().backward()
    return b.grad, x.grad


def _retain_base_view_inplace(L):
    x = L.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    b.retain_grad()
    b[1:].mul_(2)
    (b * L.tensor([1., 5., 7.])).sum().backward()
    return b.grad, x.grad


def _retain_view_written(L):
    x = L.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    v = b[1:]
    v.retain_grad()
    v.mul_(2)
    (b * L.tensor([1., 5., 7.])).sum().backward()
    return v.grad, x.grad


def _hook_stays_with_old_value(L):
    x = L.tensor([1., 2., 3.], requires_grad=True)
    b = x * 1
    v1, v2 = b[0:2], b[1:3]
    seen = []
    v2.register_hook(lambda g: seen.append(g.tolist()))
    v1.mul_(3)
    (v2 * L.tensor([1., 5.])).sum().backward()
    return seen, x.grad


@pytest.mark.parametrize("fn", [_sibling, _base_then_view, _plain_base_gets_history,
                                _no_grad_write_then_sibling, _two_siblings, _nested_views,
                                _transposed_view, _non_contiguous_base, _retain_sibling,
                                _retain_then_inplace, _retain_base_view_inplace,
                                _retain_view_written, _hook_stays_with_old_value])
def test_inplace_through_views(fn):
    _same(fn)


# ------------------------------------------------------------ recorded in-place ops (one launch)
def _relu_then_write_again(L):
    x = L.tensor([-1., 2., 3.], requires_grad=True)
    h = x * 2
    h.relu_()
    h.add_(1)  # ReluBackward0 saved h: torch refuses the backward
    h.sum().backward()
    return x.grad


def _relu_retain_moves(L):
    x = L.tensor([-1., 2., 3.], requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.relu_()
    (h * L.tensor([2., 3., 4.])).sum().backward()
    return h.grad, x.grad, h.grad_fn.name(), h._version


def _hook_stays_before_iadd(L):
    x = L.tensor([1., 2., 3.], requires_grad=True)
    h = x * 2
    seen = []
    h.register_hook(lambda g: seen.append(g.tolist()))
    h += L.tensor([1., 1., 1.], requires_grad=True)
    (h * h).sum().backward()
    return seen, x.grad


def _residual_block(L):
    x = L.tensor([[-1., 2.], [3., -4.]], requires_grad=True)
    w = L.tensor([[0.5, -1.], [2., 1.]], requires_grad=True)
    out = x @ w
    out.relu_()
    out = out @ w
    out += x  # the residual add of a BasicBlock
    out.relu_()
    out.sum().backward()
    return out, x.grad, w.grad, out.grad_fn.name(), out.grad_fn.next_functions[0][0].name()


def _broadcast_other_and_dtypes(L):
    a = L.ones(2, 3, requires_grad=True) * 1
    b = L.tensor([1., 2., 3.], dtype=L.float64, requires_grad=True)
    a.sub_(b, alpha=2)
    a.add_(b)
    a.sub_(b)
    a.neg_().exp_()
    a.sum().backward()
    return L.cat([a.detach().flatten(), b.grad])


def _each_unary(name):
    def run(L):
        x = L.tensor([0.5, 1., 2.], requires_grad=True)
        y = x * 1.5
        getattr(y, name)()
        (y * L.tensor([1., 2., 3.])).sum().backward()
        return L.cat([y.detach(), x.grad])
    run.__name__ = name
    return run


UNARY_INPLACE = [_each_unary(n) for n in ("neg_", "exp_", "sqrt_", "rsqrt_", "tanh_",
                                           "sigmoid_", "relu_", "reciprocal_")]


def _only_other_requires_grad(L):
    a = L.zeros(3)
    b = L.tensor([1., 2., 3.], requires_grad=True)
    a.add_(b, alpha=3)
    a.exp_()
    a.sum().backward()
    return a.requires_grad, a.is_leaf, a.grad_fn.name(), b.grad


def _double_backward_through_inplace(L):
    x = L.tensor([0.5, -1., 2.], requires_grad=True)
    y = x * x
    y.sigmoid_()
    g, = L.autograd.grad(y.sum(), x, create_graph=True)
    g.sum().backward()
    return L.cat([g.detach(), x.grad])


def _view_of_written_base(L):
    x = L.tensor([-1., 2., 3., -4.], requires_grad=True)
    b = x * 1
    v = b[1:3]
    b.relu_()
    (v * L.tensor([5., 7.])).sum().backward()
    return v, x.grad, v.grad_fn.name()


def _custom_function_mark_dirty_retain(L):
    class Double(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return 2 * g
    a = L.tensor([1., 2.], requires_grad=True)
    b = a * 1
    b.retain_grad()
    Double.apply(b)
    (b * 3).sum().backward()
    return b.grad, a.grad


def _custom_function_output(kind):
    def run(L):
        class F(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return {"as_is": x, "view": x.view(2), "new": x * 1}[kind]

            @staticmethod
            def backward(ctx, g):
                return g
        x = L.ones(2, requires_grad=True)
        y = F.apply(x * 1)
        y.mul_(2)
        y.sum().backward()
        return x.grad
    run.__name__ = f"_custom_function_output_{kind}"
    return run


CUSTOM_OUTPUTS = [_custom_function_output(k) for k in ("as_is", "view", "new")]


@pytest.mark.parametrize("fn", CUSTOM_OUTPUTS)
def test_in_place_on_a_custom_functions_view_output(fn):
    _same(fn)


@pytest.mark.parametrize("fn", [_relu_then_write_again, _relu_retain_moves, _hook_stays_before_iadd,
                                _residual_block, _broadcast_other_and_dtypes,
                                _only_other_requires_grad, _double_backward_through_inplace,
                                _view_of_written_base, _custom_function_mark_dirty_retain]
                         + UNARY_INPLACE)
def test_recorded_inplace_ops(fn):
    """One launch writes into self and the node saves the written tensor (torch's semantics: a
    later write to a saved output is refused at backward, a retain_grad moves to the new value,
    hooks stay with the old one)."""
    _same(fn, approx=fn in [_broadcast_other_and_dtypes, _double_backward_through_inplace]
          + UNARY_INPLACE)


def test_recorded_inplace_op_is_one_launch():
    from minitorch.ops import launcher
    x = mt.tensor([0.5, -1., 2.], requires_grad=True)
    y = x * 1.5
    launcher.stats.reset()
    y.relu_()
    y += x
    y.sub_(x, alpha=2)
    assert launcher.stats.launches == 3


# ------------------------------------------------------------------ overlapping in-place writes
def _x(L):
    return L.arange(9.).reshape(3, 3)


OVERLAP = {
    "setitem_shift": lambda L: (lambda y: y.__setitem__(slice(1, None), y[:-1]))(L.arange(5.)),
    "add_shift": lambda L: (lambda x: x[1:].add_(x[:-1]))(L.arange(5.)),
    "expand_add": lambda L: L.zeros(1).expand(3).add_(1),
    "expand_copy": lambda L: L.zeros(1).expand(3).copy_(L.ones(3)),
    "expand_neg": lambda L: L.ones(1).expand(3).neg_(),
    "expand_uniform": lambda L: L.ones(1).expand(3).uniform_(),
    "add_t": lambda L: (lambda x: x.add_(x.t()))(_x(L)),
    "iadd_t": lambda L: (lambda x: x.__iadd__(x.t()))(_x(L)),
    "copy_t": lambda L: (lambda x: x.copy_(x.t()))(_x(L)),
    "row_broadcast": lambda L: (lambda x: x.add_(x[0]))(_x(L)),
    "clamp_t": lambda L: (lambda x: x.clamp_(min=x.t()))(_x(L)),
    "pow_t": lambda L: (lambda x: x.pow_(x.t()))(_x(L)),
    "setitem_t": lambda L: (lambda x: x.__setitem__(slice(None), x.t()))(_x(L)),
    "setitem_index_view": lambda L: (lambda x: x.__setitem__(L.tensor([0, 1]), x[1:3]))(_x(L)),
    "recorded_add_t": lambda L: (lambda b: b.add_(b.t()))(L.ones(2, 2, requires_grad=True) * 1),
    "recorded_shift": lambda L: (lambda b: b.__setitem__(slice(1, None), b[:-1]))(
        L.ones(3, requires_grad=True) * 1),
    # legal: the very same elements, or an input that only reads fresh memory
    "self": lambda L: (lambda x: (x.add_(x), x)[1])(_x(L)),
    "self_view": lambda L: (lambda x: (x.mul_(x.view(3, 3)), x)[1])(_x(L)),
    "setitem_row": lambda L: (lambda x: (x.__setitem__(0, x[1]), x)[1])(_x(L)),
    "setitem_same": lambda L: (lambda x: (x.__setitem__(slice(None), x), x)[1])(_x(L)),
    "copy_expanded_src": lambda L: (lambda x: (x.copy_(x[0].expand(3, 3)), x)[1])(_x(L)),
    "expand_fill": lambda L: L.zeros(1).expand(3).fill_(1),
    "div_fresh": lambda L: (lambda x: (x.div_(x.t() + 1), x)[1])(_x(L)),
    "adv_setitem_fresh": lambda L: (lambda x: (x.__setitem__(L.tensor([0, 1]),
                                                               x[L.tensor([1, 2])]), x)[1])(_x(L)),
}


@pytest.mark.parametrize("name", sorted(OVERLAP))
def test_overlapping_inplace_writes(name):
    _same(OVERLAP[name], approx=name == "div_fresh")


# ------------------------------------------------------------------ gradient checks
def _bad_function_grad(shape, dtype=None):
    def run(L):
        class F(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return L.ones(*shape, dtype=dtype or L.float32)
        x = L.ones(3, requires_grad=True)
        F.apply(x).sum().backward()
        return x.grad
    return run


def _bad_hook(kind, result):
    def run(L):
        x = L.ones(3, requires_grad=True)

        def h(g):
            return result(L)
        if kind == "leaf":
            x.register_hook(h)
            (x * 2).sum().backward()
        else:
            y = x * 2
            y.register_hook(h)
            y.sum().backward()
        return x.grad
    return run


@pytest.mark.parametrize("fn", [
    _bad_function_grad((5,)), _bad_function_grad((1,), mt.float64),
    _bad_function_grad((2, 3)), _bad_function_grad((1, 3)),
    _bad_hook("leaf", lambda L: L.ones(5)), _bad_hook("nonleaf", lambda L: L.ones(5)),
    _bad_hook("leaf", lambda L: L.ones(3, dtype=L.float64)),
    _bad_hook("nonleaf", lambda L: L.ones(1, 3)),
])
def test_gradient_shape_and_type_validation(fn):
    _same(fn)


def _second_backward(L):
    x = L.ones(3, requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    return x.grad


def _second_backward_saved(L):
    x = L.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _zero_grad_after_create_graph(L):
    L.manual_seed(0)
    m = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 2))
    loss = L.nn.functional.cross_entropy(m(L.randn(5, 3)), L.tensor([0, 1, 0, 1, 1]))
    loss.backward(create_graph=True)
    m.zero_grad(set_to_none=False)
    return [(p.grad.abs().sum().item(), p.grad.requires_grad, p.grad.grad_fn is None)
            for p in m.parameters()]


@pytest.mark.parametrize("fn", [_second_backward, _second_backward_saved,
                                _zero_grad_after_create_graph])
def test_graph_reuse(fn):
    _same(fn)


# ------------------------------------------------------------------ values
VALUES = {
    "var_correction_5": lambda L: L.tensor([1., 2.]).var(correction=5),
    "std_correction_5": lambda L: L.tensor([1., 2.]).std(correction=5),
    "var_correction_n": lambda L: L.tensor([1., 2.]).var(correction=2),
    "var_dim_correction": lambda L: L.tensor([[1., 2.], [3., 5.]]).var(1, correction=3),
    "var_constant_dof0": lambda L: L.tensor([1., 1.]).var(correction=2),
    "var_grad_correction": lambda L: (lambda x: (x.var(correction=3).backward(), x.grad)[1])(
        L.tensor([1., 2.], requires_grad=True)),
    "argmax_keepdim": lambda L: L.arange(6.).reshape(2, 3).argmax(keepdim=True),
    "argmin_keepdim": lambda L: L.arange(6.).reshape(2, 3).argmin(keepdim=True),
    "argmax_keepdim_0d": lambda L: L.tensor(3.).argmax(keepdim=True),
    "nonzero_0d": lambda L: L.tensor(5.).nonzero(),
    "nonzero_0d_zero": lambda L: L.tensor(0.).nonzero(),
    "nonzero_0d_tuple": lambda L: L.tensor(5.).nonzero(as_tuple=True),
    "where_0d": lambda L: L.where(L.tensor(True)),
    "div_trunc_zero": lambda L: L.div(L.tensor([5, 3]), 0, rounding_mode="trunc"),
    "div_trunc_zero_tensor": lambda L: L.div(L.tensor([5, 3]), L.tensor([1, 0]),
                                             rounding_mode="trunc"),
    "div_floor_zero": lambda L: L.div(L.tensor([5, 3]), 0, rounding_mode="floor"),
    "floor_divide_zero": lambda L: L.floor_divide(L.tensor([5]), 0),
    "remainder_zero": lambda L: L.tensor([5]) % 0,
    "div_trunc_int_exact": lambda L: L.div(L.tensor([7, -7, 7, -7, 0, 2**60 + 1]),
                                           L.tensor([2, 2, -2, -2, 3, 3]), rounding_mode="trunc"),
    "div_trunc_float": lambda L: L.div(L.tensor([7., -7.]), 2, rounding_mode="trunc"),
    "gather_int32": lambda L: L.gather(L.arange(3.), 0, L.tensor([2, 0], dtype=L.int32)),
    "gather_0d": lambda L: L.gather(L.tensor(5.), 0, L.tensor([0, 0])),
    "gather_0d_index": lambda L: L.gather(L.tensor([5., 6.]), 0, L.tensor(1)),
    "index_select_0d": lambda L: L.index_select(L.tensor(3.), 0, L.tensor([0])),
    "index_select_0d_index": lambda L: L.index_select(L.arange(3.), 0, L.tensor(1)),
}


VALUES.update({
    # float64 values built from Python floats never pass through float32
    "float64_tensor": lambda L: L.tensor([1.3, 1e-50, 3e39], dtype=L.float64),
    "float64_full": lambda L: L.full((2,), 1.3, dtype=L.float64),
    "float64_fill": lambda L: L.zeros(2, dtype=L.float64).fill_(1.3),
    "float64_setitem": lambda L: (lambda t: (t.__setitem__(0, 1.3), t)[1])(
        L.zeros(2, dtype=L.float64)),
    "float64_setitem_index": lambda L: (lambda t: (t.__setitem__(L.tensor([1]), 1.3), t)[1])(
        L.zeros(2, dtype=L.float64)),
    "float64_linspace": lambda L: L.linspace(0, 1.3, 3, dtype=L.float64),
    "float64_normal_params": lambda L: L.zeros(2, dtype=L.float64).normal_(1.3, 0.0),
    "float64_uniform_params": lambda L: L.zeros(2, dtype=L.float64).uniform_(1.3, 1.3),
    "float64_log": lambda L: L.tensor([1.3, 1e-7], dtype=L.float64).log(),
    "int_from_floats": lambda L: L.tensor([1.7, -1.7], dtype=L.int64),
    "bool_from_floats": lambda L: L.tensor([0.5, 0.], dtype=L.bool),
    "linspace_int": lambda L: L.linspace(-7, 20, 13, dtype=L.int64),
    "linspace_int_pi": lambda L: L.linspace(-3.14159, 3.14159, 50, dtype=L.int32),
    "linspace_small": lambda L: L.linspace(0.1, 0.7, 13),
    "linspace_one": lambda L: L.linspace(0.3, 5, 1, dtype=L.float64),
    "arange_float_step": lambda L: L.arange(0, 1, 0.1),
    "arange_float_step_f64": lambda L: L.arange(0, 1, 0.1, dtype=L.float64),
    "arange_int_dtype_float_step": lambda L: L.arange(0, 2.5, 0.5, dtype=L.int64),
    "arange_int_dtype": lambda L: L.arange(0.5, 4.5, 1.5, dtype=L.int64),
    # rounding and small-argument accuracy
    "round_half_even": lambda L: L.tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.4999]).round(),
    "round_decimals": lambda L: L.tensor([1.2345, 2.5, 15., 25.]).round(decimals=2),
    "round_negative_decimals": lambda L: L.tensor([15., 25., 149.]).round(decimals=-1),
    "round_int": lambda L: L.tensor([3, -2]).round(),
    "round_grad": lambda L: (lambda x: (x.round().sum().backward(), x.grad)[1])(
        L.tensor([0.5, 1.7], requires_grad=True)),
    "log1p_tiny": lambda L: L.tensor([1e-10, 1e-5, -0.5, 3.], dtype=L.float64).log1p(),
    "expm1_tiny": lambda L: L.tensor([1e-10, 1e-5, -0.5, 3.], dtype=L.float64).expm1(),
    "log1p_grad": lambda L: (lambda x: (x.log1p().sum().backward(), x.grad)[1])(
        L.tensor([1e-6, 2.], dtype=L.float64, requires_grad=True)),
    "expm1_grad": lambda L: (lambda x: (x.expm1().sum().backward(), x.grad)[1])(
        L.tensor([1e-6, 2.], dtype=L.float64, requires_grad=True)),
    "expm1_limits": lambda L: L.tensor([-float("inf"), float("inf"), 100.]).expm1(),
    # comparisons and boolean reductions
    "isclose_infinities": lambda L: L.isclose(L.tensor([float("inf"), -float("inf"), 1.,
                                                         float("nan")]),
                                              L.tensor([float("inf"), -float("inf"), 1.,
                                                        float("nan")])),
    "isclose_equal_nan": lambda L: L.isclose(L.tensor([float("inf"), float("nan")]),
                                             L.tensor([float("inf"), float("nan")]),
                                             equal_nan=True),
    "allclose_inf": lambda L: L.allclose(L.tensor([float("inf")]), L.tensor([float("inf")])),
    "any_half": lambda L: L.tensor([0., 0.5]).any(),
    "all_half": lambda L: L.tensor([0.5, 0.25]).all(),
    "any_dim_float": lambda L: L.tensor([[0., 0.3], [0., 0.]]).any(1),
    "norm_neg_inf": lambda L: L.tensor([-3., 2.]).norm(float("-inf")),
    "masked_fill_int_keeps_dtype": lambda L: L.tensor([1, 2]).masked_fill(
        L.tensor([True, False]), 2.7),
})


# a few ulps apart from torch's libm, and far closer than the naive formula
ULPS = {"log1p_tiny", "expm1_tiny"}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values(name):
    _same(VALUES[name], approx=name in ULPS, rtol=1e-14, atol=0)


# ------------------------------------------------------------------ index bounds
BOUNDS = {
    "gather_larger_other_dim": lambda L: L.gather(L.arange(6.).reshape(2, 3), 1,
                                                  L.tensor([[0, 1], [1, 1], [0, 0]])),
    "gather_wider_other_dim": lambda L: L.gather(L.arange(6.).reshape(2, 3), 0,
                                                 L.tensor([[0, 1, 1, 1]])),
    "gather_negative": lambda L: L.gather(L.arange(3.), 0, L.tensor([-1])),
    "gather_high": lambda L: L.gather(L.arange(3.), 0, L.tensor([3])),
    "gather_float_index": lambda L: L.gather(L.arange(3.), 0, L.tensor([1.])),
    "gather_ndim": lambda L: L.gather(L.arange(6.).reshape(2, 3), 0, L.tensor([0])),
    "index_select_negative": lambda L: L.index_select(L.arange(3.), 0, L.tensor([-1])),
    "index_select_high": lambda L: L.index_select(L.arange(3.), 0, L.tensor([3])),
    "index_select_0d_two": lambda L: L.index_select(L.tensor(3.), 0, L.tensor([0, 0])),
    "embedding_negative": lambda L: L.nn.functional.embedding(L.tensor([-1]), L.ones(3, 2)),
    "embedding_module_negative": lambda L: L.nn.Embedding(3, 2)(L.tensor([0, -1])),
    "index_tensor_negative_wraps": lambda L: L.arange(3.)[L.tensor([-1, -3])],
}


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_index_bounds(name):
    _same(BOUNDS[name])


# ------------------------------------------------------------------ Python sequences as indices
KEYS = {
    "range_and_tensor": lambda L: (range(4), L.tensor([0, 1, 2, 1])),
    "range": lambda L: range(2),
    "range_step": lambda L: range(3, 0, -2),
    "list": lambda L: [0, 2],
    "list_negative": lambda L: [-1, 0],
    "tuple_of_lists": lambda L: ([0, 1], [1, 2]),
    "list_of_lists": lambda L: [[0, 1], [1, 2]],
    "nested_list": lambda L: [[[0, 1], [2, 3]]],
    "bool_list": lambda L: [True, False, True, False],
    "numpy_int": lambda L: np.array([0, 2]),
    "numpy_bool": lambda L: np.array([True, False, True, False]),
    "numpy_2d": lambda L: np.array([[0, 1], [2, 3]]),
    "numpy_scalar": lambda L: np.int64(2),
    "numpy_float": lambda L: np.array([0., 1.7]),
    "list_then_slice": lambda L: ([0, 3], slice(1, None)),
    "slice_then_list": lambda L: (slice(None), [0, 2, 2]),
    "non_adjacent": lambda L: (L.tensor([0, 1]), None, L.tensor([1, 2])),
    "empty_list": lambda L: [],
    "ellipsis_list": lambda L: (Ellipsis, [2, 0]),
    "int_list": lambda L: (1, [0, 2]),
    "list_with_slice": lambda L: [slice(0, 2), 1],
    "list_of_tensors": lambda L: [L.tensor([0, 1]), L.tensor([1, 1])],
    "bool_scalar": lambda L: True,
    "tuples_in_tuple": lambda L: ((0, 1), (2, 0)),
    "float_list": lambda L: [0.0, 1.0],
    "two_ranges": lambda L: (range(2), range(1, 3)),
    "bool_list_and_int": lambda L: ([True, False, True, True], 1),
    "dict": lambda L: {},
    "string": lambda L: "a",
}


def _index_program(make_key):
    def run(L):
        a = L.arange(12.).reshape(4, 3).requires_grad_()
        r = a[make_key(L)]
        (r * r).sum().backward()
        b = L.zeros(4, 3)
        shape = b[make_key(L)].shape
        v = L.arange(1., 1 + b[make_key(L)].numel()).reshape(shape)
        b[make_key(L)] = v
        w = L.ones(4, 3, requires_grad=True)
        c = w * 1
        vv = v.clone().requires_grad_()
        c[make_key(L)] = vv * 2
        (c * L.arange(12.).reshape(4, 3)).sum().backward()
        return r, a.grad, b, c, w.grad, vv.grad
    return run


@pytest.mark.parametrize("name", sorted(KEYS))
def test_sequence_indices(name):
    _same(_index_program(KEYS[name]))


def _A(L):
    return L.arange(6.).reshape(2, 3)


MORE_INDEXING = {
    "int_0d_tensor_is_a_view": lambda L: (lambda x: (x[L.tensor(1)].add_(100), x)[1])(_A(L)),
    "int_0d_tensor_grad_fn": lambda L: _A(L).requires_grad_()[L.tensor(1)].grad_fn.name(),
    "int_0d_tensors_in_tuple": lambda L: _A(L)[L.tensor(1), L.tensor(-1)],
    "bool_0d_tensor": lambda L: _A(L)[L.tensor(True)],
    "mask_setitem_values": lambda L: (lambda x: (x.__setitem__(x > 2, L.tensor([10., 20., 30.])),
                                                 x)[1])(_A(L)),
    "mask_setitem_wrong_count": lambda L: (lambda x: x.__setitem__(x > 2, L.tensor([1., 2.])))(
        _A(L)),
    "row_mask_setitem": lambda L: (lambda x: (x.__setitem__(L.tensor([True, False]),
                                                            L.tensor([7., 8., 9.])), x)[1])(_A(L)),
    "empty_mask_setitem": lambda L: (lambda x: (x.__setitem__(x > 100, 5.), x)[1])(_A(L)),
    "duplicate_index_setitem_grads": lambda L: (lambda w, v: (lambda c: (
        c.__setitem__(L.tensor([0, 0]), v), (c * L.arange(6.).reshape(2, 3)).sum().backward(),
        w.grad, v.grad)[2:])(w * 1))(L.ones(2, 3, requires_grad=True),
                                     L.ones(2, 3, requires_grad=True)),
    "int32_index": lambda L: _A(L)[L.tensor([1, 0], dtype=L.int32)],
    "uint8_mask": lambda L: _A(L)[L.tensor([1, 0], dtype=L.uint8)],
    "tensor_slice_bounds": lambda L: L.arange(6.)[L.tensor(1):L.tensor(4)],
    "setitem_range_and_list": lambda L: (
        lambda x: (x.__setitem__((range(2), [0, 2]), L.tensor([1., 2.])), x)[1])(_A(L)),
    "value_with_leading_ones_grad": lambda L: _setitem_grad(L, 0, (1, 1, 3)),
    "index_value_with_leading_ones_grad": lambda L: _setitem_grad(L, L.tensor([0, 1]),
                                                                  (1, 2, 3)),
    "mask_0d_value_grad": lambda L: _setitem_grad(L, "mask", ()),
    "ones_without_size": lambda L: L.ones(),
    "zeros_without_size": lambda L: L.zeros(),
    "self_referencing_value": lambda L: (lambda w: (lambda c: (
        c.__setitem__(1, c[0] * 5), (c * L.arange(3.)).sum().backward(), c, w.grad)[2:])(w * 1))(
        L.ones(3, requires_grad=True)),
    "self_referencing_quotient": lambda L: (lambda w: (lambda c: (
        c.__setitem__(1, c[0] / 4), (c * L.arange(3.)).sum().backward(), c, w.grad)[2:])(w * 1))(
        L.ones(3, requires_grad=True)),
    "three_broadcast_indices": lambda L: L.arange(24.).reshape(2, 3, 4)[
        L.tensor([[0], [1]]), L.tensor([0, 2]), L.tensor([1])],
}


@pytest.mark.parametrize("name", sorted(MORE_INDEXING))
def test_more_indexing(name):
    _same(MORE_INDEXING[name])


def _grad_of(f, shape):
    def run(L):
        x = L.ones(*shape, requires_grad=True)
        y = f(L, x)
        y.sum().backward()
        return y, x.grad
    return run


EMPTY = {
    "sum_dim0": _grad_of(lambda L, x: x.sum(0), (0, 3)),
    "mean_dim0": _grad_of(lambda L, x: x.mean(0), (0, 3)),
    "prod_dim0": _grad_of(lambda L, x: x.prod(0), (0, 3)),
    "var_dim0": _grad_of(lambda L, x: x.var(0), (0, 3)),
    "logsumexp_dim0": _grad_of(lambda L, x: x.logsumexp(0), (0, 3)),
    "softmax": _grad_of(lambda L, x: x.softmax(1), (0, 3)),
    "matmul_k0": _grad_of(lambda L, x: x.t() @ L.ones(0, 2), (0, 3)),
    "index_empty": _grad_of(lambda L, x: x[L.tensor([], dtype=L.int64)], (3,)),
    "mask_none": _grad_of(lambda L, x: x[x > 5], (3,)),
    "nonzero_2d": lambda L: L.ones(0, 3).nonzero(),
    "nonzero_2d_tuple": lambda L: L.ones(0, 3).nonzero(as_tuple=True),
    "split": lambda L: L.ones(0, 2).split(1, 0),
    "chunk": lambda L: L.ones(0).chunk(3),
    "unbind": lambda L: L.ones(0, 2).unbind(0),
    "view_ambiguous": lambda L: L.ones(0, 2).view(-1, 0),
    "reshape_infer": lambda L: L.ones(0, 2).reshape(-1, 2),
    "max_dim_of_size_3": lambda L: L.ones(0, 3).max(1),
    "any_dim": lambda L: L.ones(0, 3).any(1),
}


@pytest.mark.parametrize("name", sorted(EMPTY))
def test_empty_tensors(name):
    _same(EMPTY[name])


def _setitem_grad(L, key, value_shape):
    w = L.ones(2, 3, requires_grad=True)
    v = L.ones(value_shape, requires_grad=True)
    c = w * 1
    c[(c > 0) if isinstance(key, str) else key] = v * 2
    (c * L.arange(6.).reshape(2, 3)).sum().backward()
    return c, w.grad, v.grad


def _three_d(L):
    x = L.arange(24.).reshape(2, 3, 4).requires_grad_()
    r1 = x[[0, 1], :, [1, 2]]          # separated index tensors: their dim goes first
    r2 = x[:, [0, 2], [1, 3]]
    r3 = x[[1, 0], 1, [3, 3]]          # an int between them does not separate them
    r4 = x[[[0], [1]], :, [1, 2, 3]]
    (r1.sum() + (r2 * r2).sum() + r3.sum() * 3 + r4.sum()).backward()
    y = L.zeros(2, 3, 4)
    y[[0, 1], :, [1, 2]] = L.arange(6.).reshape(2, 3)
    z = L.zeros(2, 3, 4)
    z.transpose(0, 2)[[1, 2], [0, 2]] = 5.   # indexed dims that do not merge in memory
    return r1, r2, r3, r4, x.grad, y, z


def test_advanced_indexing_layouts():
    _same(_three_d)


# ------------------------------------------------------------------ import order
def test_importing_triton_first_on_cpu():
    """``import triton`` before ``import minitorch`` (no GPU): random init, reductions and a
    training step give exactly the numbers of the usual order."""
    prog = ("import sys\n"
            "if sys.argv[1] == 'triton-first':\n"
            "    import triton  # noqa\n"
            "import minitorch as torch\n"
            "torch.manual_seed(0)\n"
            "x = torch.randn(4, 3); w = torch.randn(3, 2, requires_grad=True)\n"
            "loss = torch.nn.functional.cross_entropy(x @ w, torch.tensor([0, 1, 1, 0]))\n"
            "loss.backward()\n"
            "print(x.sum().item(), loss.item(), w.grad.tolist(), torch.rand(3).tolist(),\n"
            "      torch.randint(0, 10, (4,)).tolist(), x.softmax(1).max().item())\n")
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    if torch.cuda.is_available():
        pytest.skip("the interpreter is only chosen on machines without a GPU")
    outs = []
    for order in ("minitorch-first", "triton-first"):
        r = subprocess.run([sys.executable, "-c", prog, order], env=env, capture_output=True,
                           text=True, timeout=300, cwd=ROOT)
        assert r.returncode == 0, r.stderr[-2000:]
        outs.append(r.stdout)
    assert outs[0] == outs[1] and outs[0].strip()


# ------------------------------------------------------------------ memory formats
def _strides_of(fn):
    def run(L):
        x = L.arange(48.).reshape(2, 2, 3, 4)
        return fn(L, x)
    run.__name__ = fn.__name__
    return run


MEMORY_FORMAT = {
    "to_channels_last": lambda L, x: (lambda c: (c.stride(), c.is_contiguous(),
                                                 c.is_contiguous(memory_format=L.channels_last),
                                                 c))(x.to(memory_format=L.channels_last)),
    "contiguous_back": lambda L, x: x.contiguous(memory_format=L.channels_last).contiguous()
    .stride(),
    "clone_preserves_dense_strides": lambda L, x: (
        x.to(memory_format=L.channels_last).clone().stride(), x.transpose(2, 3).clone().stride(),
        x[:, :, ::2].clone().stride(), x.clone(memory_format=L.contiguous_format).stride()),
    "already_channels_last_is_self": lambda L, x: (
        lambda c: c.contiguous(memory_format=L.channels_last) is c)(
        x.to(memory_format=L.channels_last)),
    "rank_error": lambda L, x: L.ones(3).contiguous(memory_format=L.channels_last),
    "preserve_on_non_contiguous": lambda L, x: x.transpose(0, 1).contiguous(
        memory_format=L.preserve_format),
    "preserve_on_contiguous": lambda L, x: x.contiguous(memory_format=L.preserve_format) is x,
    "module_to_channels_last": lambda L, x: (lambda m: (m.weight.stride(), m.bias.stride(),
                                                        type(m.weight).__name__))(
        L.nn.Conv2d(2, 3, 3).to(memory_format=L.channels_last)),
}


@pytest.mark.parametrize("name", sorted(MEMORY_FORMAT))
def test_memory_formats(name):
    _same(_strides_of(MEMORY_FORMAT[name]))


def test_channels_last_conv_net_gradients_match_torch():
    """A channels-last input and channels-last weights through conv, batch norm, relu and
    pooling: values and gradients as torch's."""
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    results, state = [], None
    for L in (mt, torch):
        net = L.nn.Sequential(L.nn.Conv2d(3, 4, 3, padding=1), L.nn.BatchNorm2d(4), L.nn.ReLU(),
                              L.nn.MaxPool2d(2))
        if state is None:
            state = {k: np.array(v.tolist()) for k, v in net.state_dict().items()}
        else:
            net.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
        net = net.to(memory_format=L.channels_last)
        x = L.tensor(x_np).to(memory_format=L.channels_last).requires_grad_()
        y = net(x)
        (y * y).sum().backward()
        results.append([np.array(t.tolist()) for t in (y, x.grad, net[0].weight.grad)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
