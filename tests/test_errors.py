"""PyTorch's error contract on bad input, and torch's numerics on edge values.

Every bad call is made against minitorch *and* torch: the exception type must match torch's, the
message must be clear (torch's own text where marked ``exact``), and the error must never surface
from Triton or numpy internals.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minitorch as mt
import minitorch.nn as mnn
import minitorch.nn.functional as MF


def _raise(fn, lib):
    L, N, F = (mt, mnn, MF) if lib == "mt" else (torch, torch.nn, TF)
    with pytest.raises(Exception) as info:
        fn(L, N, F)
    return info.value


def _not_internal(e):
    mod = type(e).__module__
    assert not mod.startswith(("triton", "numpy")), f"{type(e)} leaked from {mod}: {e}"
    assert "triton" not in str(e).lower(), f"message mentions triton: {e}"
    tb = e.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    assert "triton" not in tb.tb_frame.f_code.co_filename, \
        f"raised inside triton: {tb.tb_frame.f_code.co_filename}"


def _opt(L, **kw):
    return L.optim.SGD([L.randn(2, requires_grad=True)], **kw)


# name -> (fn(lib, nn, F), match): match is "exact" (torch's message verbatim), a substring the
# minitorch message must contain, or None (same type only)
CASES = {
    # shapes
    "matmul_mismatch": (lambda L, N, F: L.randn(5, 3) @ L.randn(4, 2),
                        "mat1 and mat2 shapes cannot be multiplied (5x3 and 4x2)"),
    "mm_mismatch": (lambda L, N, F: L.mm(L.randn(5, 3), L.randn(4, 2)), "exact"),
    "matmul_1d": (lambda L, N, F: L.randn(3) @ L.randn(4), "exact"),
    "matmul_0d": (lambda L, N, F: L.tensor(1.0) @ L.randn(4), "exact"),
    "bmm_batch": (lambda L, N, F: L.bmm(L.randn(2, 3, 4), L.randn(3, 4, 5)), None),
    "linear_in_features": (lambda L, N, F: N.Linear(3, 2)(L.randn(4, 5)), "exact"),
    "broadcast_add": (lambda L, N, F: L.randn(2, 3) + L.randn(2, 4),
                      "The size of tensor a (3) must match the size of tensor b (4) at "
                      "non-singleton dimension 1"),
    "broadcast_mul": (lambda L, N, F: L.randn(2, 3) * L.randn(4), "exact"),
    "broadcast_where": (lambda L, N, F: L.where(L.randn(2) > 0, L.randn(3), L.randn(2)),
                        "exact"),
    "view_numel": (lambda L, N, F: L.randn(2, 3).view(4, 2),
                   "shape '[4, 2]' is invalid for input of size 6"),
    "reshape_numel": (lambda L, N, F: L.randn(2, 3).reshape(4, 2), "exact"),
    "reshape_two_infer": (lambda L, N, F: L.randn(2, 3).reshape(-1, -1), "exact"),
    "view_noncontiguous": (lambda L, N, F: L.randn(2, 3).t().view(6), "exact"),
    "expand_bad": (lambda L, N, F: L.randn(2, 3).expand(4, 3), "exact"),
    "permute_dup": (lambda L, N, F: L.randn(2, 3).permute(0, 0), "exact"),
    "flatten_order": (lambda L, N, F: L.randn(2, 3).flatten(1, 0), "exact"),
    "split_sizes": (lambda L, N, F: L.randn(4).split([1, 2]), "exact"),
    "chunk_zero": (lambda L, N, F: L.randn(4).chunk(0), "exact"),
    "narrow_oob": (lambda L, N, F: L.randn(4).narrow(0, 2, 5), "exact"),
    "negative_size": (lambda L, N, F: L.randn(-1), "negative dimension -1"),
    # dtypes
    "int_requires_grad": (lambda L, N, F: L.tensor([1, 2], requires_grad=True), "exact"),
    "int_zeros_requires_grad": (
        lambda L, N, F: L.zeros(2, dtype=L.int64, requires_grad=True), "exact"),
    "int_requires_grad_": (lambda L, N, F: L.tensor([1, 2]).requires_grad_(),
                           "floating point"),
    "matmul_dtype": (lambda L, N, F: L.randn(2, 2) @ L.randn(2, 2, dtype=L.float64), "exact"),
    "int_matmul_float": (lambda L, N, F: L.tensor([[1, 2]]) @ L.randn(2, 2), "same dtype"),
    "mean_int": (lambda L, N, F: L.tensor([1, 2]).mean(), "could not infer output dtype"),
    "softmax_int": (lambda L, N, F: L.tensor([1, 2]).softmax(0), "exact"),
    "neg_bool": (lambda L, N, F: -L.tensor([True]), "exact"),
    "int_negative_pow": (lambda L, N, F: L.tensor([2]) ** -1, "exact"),
    "int_div_zero": (lambda L, N, F: L.tensor([1]) // L.tensor([0]), "ZeroDivisionError"),
    # indexing
    "index_oob": (lambda L, N, F: L.randn(3)[3], "exact"),
    "index_oob_neg": (lambda L, N, F: L.randn(3)[-4], "exact"),
    "index_oob_dim1": (lambda L, N, F: L.randn(3, 2)[0, 5], "exact"),
    "too_many_indices": (lambda L, N, F: L.randn(3)[0, 0], "exact"),
    "tensor_index_oob": (lambda L, N, F: L.randn(3)[L.tensor([0, 5])], "exact"),
    "index_select_oob": (lambda L, N, F: L.randn(3).index_select(0, L.tensor([5])),
                         "out of"),
    "gather_oob": (lambda L, N, F: L.randn(3).gather(0, L.tensor([5])), "exact"),
    "setitem_oob": (lambda L, N, F: L.randn(3).__setitem__(5, 1.0), "exact"),
    "mask_shape": (lambda L, N, F: L.randn(3)[L.tensor([True, False])], "exact"),
    "embedding_oob": (lambda L, N, F: N.Embedding(3, 2)(L.tensor([3])), "out of"),
    # dims
    "dim_sum": (lambda L, N, F: L.randn(2, 3).sum(2), "exact"),
    "dim_mean": (lambda L, N, F: L.randn(2, 3).mean(5), "exact"),
    "dim_max": (lambda L, N, F: L.randn(2, 3).max(5), "exact"),
    "dim_argmax": (lambda L, N, F: L.randn(2, 3).argmax(5), "exact"),
    "dim_softmax": (lambda L, N, F: L.randn(2, 3).softmax(-3), "exact"),
    "dim_transpose": (lambda L, N, F: L.randn(2, 3).transpose(0, 2), "exact"),
    "dim_unsqueeze": (lambda L, N, F: L.randn(2, 3).unsqueeze(4), "exact"),
    "dim_squeeze": (lambda L, N, F: L.randn(2, 3).squeeze(3), "exact"),
    "dim_flip": (lambda L, N, F: L.randn(4).flip(1), "exact"),
    "dim_0d": (lambda L, N, F: L.tensor(1.0).sum(1), "exact"),
    "dim_cat": (lambda L, N, F: L.cat([L.randn(2, 3), L.randn(2, 3)], 2), "exact"),
    # cat / stack
    "cat_sizes": (lambda L, N, F: L.cat([L.randn(2, 3), L.randn(2, 4)], 0), "exact"),
    "cat_sizes_third": (lambda L, N, F: L.cat([L.randn(2, 3), L.randn(1, 3), L.randn(1, 2)]),
                        "exact"),
    "cat_empty_list": (lambda L, N, F: L.cat([]), "exact"),
    "cat_ndim": (lambda L, N, F: L.cat([L.randn(2, 3), L.randn(3)]), "exact"),
    "stack_sizes": (lambda L, N, F: L.stack([L.randn(2, 3), L.randn(2, 4)]), "exact"),
    "stack_empty": (lambda L, N, F: L.stack([]), "exact"),
    # losses
    "ce_target_high": (lambda L, N, F: F.cross_entropy(L.randn(3, 4), L.tensor([0, 1, 4])),
                       "exact"),
    "ce_target_negative": (lambda L, N, F: F.cross_entropy(L.randn(3, 4), L.tensor([0, 1, -3])),
                           "exact"),
    "ce_batch": (lambda L, N, F: F.cross_entropy(L.randn(3, 4), L.tensor([0, 1])), "exact"),
    "ce_float_index_target": (
        lambda L, N, F: F.cross_entropy(L.randn(3, 4), L.tensor([0.0, 1.0, 2.0])), None),
    "nll_target_high": (lambda L, N, F: F.nll_loss(L.randn(3, 4), L.tensor([0, 1, 9])),
                        "exact"),
    "mse_shapes": (lambda L, N, F: F.mse_loss(L.randn(3), L.randn(4)), "exact"),
    # optimizers
    "sgd_negative_lr": (lambda L, N, F: _opt(L, lr=-1), "exact"),
    "sgd_negative_momentum": (lambda L, N, F: _opt(L, lr=0.1, momentum=-1), "exact"),
    "sgd_empty": (lambda L, N, F: L.optim.SGD([], lr=0.1), "exact"),
    "adam_beta": (lambda L, N, F: L.optim.Adam([L.randn(2, requires_grad=True)],
                                               betas=(1.0, 0.9)), "exact"),
    "adam_eps": (lambda L, N, F: L.optim.Adam([L.randn(2, requires_grad=True)], eps=-1),
                 "exact"),
    "optimizer_tensor_params": (lambda L, N, F: L.optim.SGD(L.randn(2, requires_grad=True),
                                                            lr=0.1), "exact"),
    "optimizer_non_leaf": (lambda L, N, F: L.optim.SGD([L.randn(2, requires_grad=True) * 2],
                                                       lr=0.1), "exact"),
    "optimizer_bad_state": (lambda L, N, F: _opt(L, lr=0.1).load_state_dict(
        {"state": {}, "param_groups": [{"params": [0, 1], "lr": 0.1}]}), "exact"),
    # modules
    "load_state_dict_shape": (lambda L, N, F: N.Linear(2, 2).load_state_dict(
        {"weight": L.randn(3, 2), "bias": L.randn(2)}), "exact"),
    "load_state_dict_not_dict": (lambda L, N, F: N.Linear(2, 2).load_state_dict([1, 2]),
                                 "exact"),
    # wrong types
    "add_str": (lambda L, N, F: L.randn(2) + "a", "exact"),
    "add_none": (lambda L, N, F: L.randn(2) + None, "exact"),
    "exp_list": (lambda L, N, F: L.exp([1.0]), "list"),
    "sum_str_dim": (lambda L, N, F: L.randn(2).sum("a"), None),
    "tensor_of_str": (lambda L, N, F: L.tensor("abc"), "str"),
    "tensor_ragged": (lambda L, N, F: L.tensor([[1, 2], [3]]), "exact"),
    "full_str": (lambda L, N, F: L.full((2,), "x"), "str"),
    "to_bad_device": (lambda L, N, F: L.randn(2).to("foo"), "exact"),
    "item_many": (lambda L, N, F: L.randn(3).item(), "exact"),
    "float_many": (lambda L, N, F: float(L.randn(3)), "exact"),
    "int_many": (lambda L, N, F: int(L.randn(3)), "exact"),
    "bool_many": (lambda L, N, F: bool(L.randn(3)), "exact"),
    # backward
    "backward_non_scalar": (lambda L, N, F: L.randn(2, requires_grad=True).mul(2).backward(),
                            "exact"),
    "backward_no_grad": (lambda L, N, F: L.randn(2).sum().backward(), "exact"),
    "backward_twice": (lambda L, N, F: (lambda y: (y.backward(), y.backward()))(
        L.randn(2, requires_grad=True).exp().sum()), "Trying to backward through the graph a "
        "second time"),
    "backward_grad_shape": (lambda L, N, F: L.randn(2, requires_grad=True).mul(2).backward(
        L.randn(3)), "exact"),
    "grad_unused": (lambda L, N, F: L.autograd.grad(L.randn(2, requires_grad=True).sum(),
                                                    [L.randn(2, requires_grad=True)]),
                    "appears to not have been used in the graph"),
    "inplace_leaf": (lambda L, N, F: L.randn(2, requires_grad=True).add_(1), "exact"),
    "inplace_leaf_view": (lambda L, N, F: L.randn(3, requires_grad=True)[0:2].mul_(2), "exact"),
    "clamp_no_bounds": (lambda L, N, F: L.randn(3).clamp(), "exact"),
    # empty reductions
    "max_empty": (lambda L, N, F: L.randn(0).max(), "exact"),
    "min_empty": (lambda L, N, F: L.randn(0).min(), "exact"),
    "amax_empty": (lambda L, N, F: L.randn(0).amax(), "exact"),
    "amin_empty": (lambda L, N, F: L.randn(0).amin(), "exact"),
    "amax_empty_dim": (lambda L, N, F: L.randn(0, 3).amax(0), "exact"),
    "argmax_empty": (lambda L, N, F: L.randn(0).argmax(), "exact"),
    "argmin_empty": (lambda L, N, F: L.randn(0).argmin(), "exact"),
    "max_empty_dim": (lambda L, N, F: L.randn(0, 3).max(0), "exact"),
    # torch's dtype names (Long, Float, Bool) in messages
    "mean_int_name": (lambda L, N, F: L.tensor([1, 2]).mean(), "exact"),
    "where_int_condition": (lambda L, N, F: L.where(L.tensor([1, 0]), L.ones(2), L.zeros(2)),
                            "exact"),
    "where_float_condition": (lambda L, N, F: L.where(L.ones(2), L.ones(2), L.zeros(2)),
                              "exact"),
    "inplace_float_into_int": (lambda L, N, F: L.tensor([1, 2]).add_(L.ones(2)), "exact"),
    "inplace_int_into_bool": (lambda L, N, F: L.tensor([True]).add_(1), "exact"),
    "log_softmax_int": (lambda L, N, F: L.tensor([1, 2]).log_softmax(0), "exact"),
    "masked_fill_float_mask": (lambda L, N, F: L.ones(3).masked_fill(L.ones(3), 0.), "exact"),
    "masked_fill_long_mask": (lambda L, N, F: L.ones(3).masked_fill(L.tensor([1, 0, 1]), 0.),
                              "exact"),
    "masked_fill_value_dims": (lambda L, N, F: L.ones(3).masked_fill(
        L.tensor([True, False, True]), L.ones(3)), "exact"),
    "norm_int": (lambda L, N, F: L.tensor([1, 2]).norm(), "exact"),
    "abs_bool": (lambda L, N, F: L.tensor([True]).abs(), "exact"),
    "bitwise_and_float": (lambda L, N, F: L.ones(1) & L.ones(1), "exact"),
    "invert_float": (lambda L, N, F: ~L.ones(1), "exact"),
    "randn_long": (lambda L, N, F: L.randn(2, dtype=L.int64), "exact"),
    "rand_long": (lambda L, N, F: L.rand(2, dtype=L.int64), "exact"),
    "isclose_dtypes": (lambda L, N, F: L.isclose(L.ones(2), L.tensor([1, 1])), "exact"),
    "grad_assign_dtype": (lambda L, N, F: setattr(L.ones(2, requires_grad=True), "grad",
                                                  L.ones(2, dtype=L.float64)), "exact"),
    # index bounds ("index out of range in self") and index types
    "index_select_negative": (lambda L, N, F: L.randn(3).index_select(0, L.tensor([-1])),
                              "exact"),
    "index_select_high": (lambda L, N, F: L.randn(3).index_select(0, L.tensor([3])), "exact"),
    "embedding_negative": (lambda L, N, F: F.embedding(L.tensor([-1]), L.ones(3, 2)), "exact"),
    "embedding_high": (lambda L, N, F: F.embedding(L.tensor([3]), L.ones(3, 2)), "exact"),
    "gather_negative": (lambda L, N, F: L.randn(3).gather(0, L.tensor([-1])), "exact"),
    "gather_index_too_big": (lambda L, N, F: L.randn(2, 3).gather(1, L.tensor([[0], [1], [0]])),
                             "exact"),
    "gather_float_index": (lambda L, N, F: L.randn(3).gather(0, L.tensor([1.])), "exact"),
    "index_select_float_index": (lambda L, N, F: L.randn(3).index_select(0, L.tensor([1.])),
                                 "exact"),
    "index_float_list": (lambda L, N, F: L.randn(3)[L.tensor([1.])], "exact"),
    "index_bad_type": (lambda L, N, F: L.randn(3)[{}], "exact"),
    "index_float_scalar": (lambda L, N, F: L.randn(3)[1.5], "exact"),
    "index_broadcast": (lambda L, N, F: L.randn(3, 3)[[0, 1], [0, 1, 2]], "exact"),
    "index_mask_shape_2d": (lambda L, N, F: L.randn(3, 2)[L.tensor([True, False])], "exact"),
    "index_list_oob": (lambda L, N, F: L.randn(3)[[0, 3]], "exact"),
    "setitem_value_shape": (lambda L, N, F: L.randn(3).__setitem__(slice(None), L.ones(2)),
                            "exact"),
    "setitem_index_value_shape": (lambda L, N, F: L.randn(3).__setitem__([0, 1], L.ones(3)),
                                  "exact"),
    "setitem_str": (lambda L, N, F: L.randn(3).__setitem__(0, "a"), "exact"),
    # in-place aliasing
    "inplace_partial_overlap": (lambda L, N, F: (lambda x: x[1:].add_(x[:-1]))(L.randn(5)),
                                "exact"),
    "inplace_transposed_self": (lambda L, N, F: (lambda x: x.add_(x.t()))(L.randn(3, 3)),
                                "exact"),
    "setitem_shifted_self": (lambda L, N, F: (lambda y: y.__setitem__(slice(1, None), y[:-1]))(
        L.randn(5)), "exact"),
    "inplace_expanded": (lambda L, N, F: L.zeros(1).expand(3).add_(1), "exact"),
    # autograd contracts
    "function_bad_grad_shape": (lambda L, N, F: _bad_grad_function(L), "exact"),
    "hook_bad_size": (lambda L, N, F: _bad_hook(L), "exact"),
    "int_trunc_div_zero": (lambda L, N, F: L.div(L.tensor([5]), 0, rounding_mode="trunc"),
                           "exact"),
    "alpha_float_for_ints": (lambda L, N, F: L.tensor([1]).add(L.tensor([1]), alpha=1.5),
                             "exact"),
    # arguments
    "maximum_number": (lambda L, N, F: L.maximum(L.ones(2), 1.), "exact"),
    "outer_2d": (lambda L, N, F: L.outer(L.ones(2, 2), L.ones(2)), "exact"),
    "narrow_negative_length": (lambda L, N, F: L.ones(4).narrow(0, 0, -1), "exact"),
    "select_oob": (lambda L, N, F: L.ones(4).select(0, 4), "exact"),
    "unbind_0d": (lambda L, N, F: L.tensor(1.).unbind(0), "exact"),
    "split_negative": (lambda L, N, F: L.ones(4).split(-1), "exact"),
    "unflatten_sizes": (lambda L, N, F: L.ones(6).unflatten(0, (4, -1)), "exact"),
    "view_negative_dim": (lambda L, N, F: L.ones(6).view(-2, 3), "exact"),
    "arange_step_sign": (lambda L, N, F: L.arange(0, 5, -1), "exact"),
    "eye_negative": (lambda L, N, F: L.eye(-1), "exact"),
    "tensor_of_none": (lambda L, N, F: L.tensor(None), "exact"),
    "tensor_with_str": (lambda L, N, F: L.tensor([1, "a"]), "exact"),
    "grad_input_not_tensor": (lambda L, N, F: L.autograd.grad(
        L.ones(1, requires_grad=True).sum(), [1.0]), "exact"),
    "detach_view_inplace": (lambda L, N, F: L.ones(2)[0:1].detach_(), "exact"),
    "detach_graph_view_inplace": (lambda L, N, F: (L.ones(2, requires_grad=True) * 1)[0:1]
                                  .detach_(), "exact"),
    "pow_bool": (lambda L, N, F: L.tensor([True]) ** L.tensor([True]), "exact"),
    "floor_divide_bool": (lambda L, N, F: L.tensor([True]) // L.tensor([True]), "exact"),
    "remainder_bool": (lambda L, N, F: L.tensor([True]) % L.tensor([True]), "exact"),
    "sub_python_bool": (lambda L, N, F: L.ones(2) - True, "exact"),
    # in-place on views torch refuses to record (CreationMeta)
    "inplace_split_output": (lambda L, N, F: (L.ones(4, requires_grad=True) * 1).split(2)[0]
                             .mul_(3), "exact"),
    "inplace_unbind_output": (lambda L, N, F: (L.ones(2, 2, requires_grad=True) * 1).unbind(0)[1]
                              .add_(1), "exact"),
    "inplace_view_of_split_output": (lambda L, N, F: (L.ones(4, requires_grad=True) * 1)
                                     .chunk(2)[0][0:1].mul_(3), "exact"),
    "inplace_no_grad_view": (lambda L, N, F: _no_grad_view(L).mul_(3), "exact"),
    "inplace_view_of_no_grad_view": (lambda L, N, F: _no_grad_view(L)[1:].mul_(3), "exact"),
    "inplace_unbind_plain_base": (lambda L, N, F: L.ones(2, 2).unbind(0)[1].add_(
        L.ones(2, requires_grad=True)), "exact"),
}


def _no_grad_view(L):
    y = L.ones(4, requires_grad=True) * 1
    with L.no_grad():
        return y[:2]


def _bad_grad_function(L):
    class Bad(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return L.ones(5)
    x = L.ones(3, requires_grad=True)
    Bad.apply(x).sum().backward()


def _bad_hook(L):
    x = L.ones(3, requires_grad=True)

    def h(g):
        return L.ones(5)
    x.register_hook(h)
    (x * 2).sum().backward()


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_contract(name):
    fn, match = CASES[name]
    te = _raise(fn, "torch")
    me = _raise(fn, "mt")
    _not_internal(me)
    assert isinstance(me, type(te)), f"{name}: minitorch raised {type(me).__name__}: {me}; " \
                                     f"torch raises {type(te).__name__}: {te}"
    if match == "exact":
        assert str(me) == str(te), f"{name}:\n  minitorch: {me}\n  torch:     {te}"
    elif match is not None:
        assert match in str(me), f"{name}: {me!r} lacks {match!r}"
    assert str(me).strip(), f"{name}: empty message"


def test_error_case_count():
    assert len(CASES) >= 150


def test_load_state_dict_failure_leaves_model_untouched():
    m = mnn.Linear(2, 2)
    before = {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
    bad = {"weight": mt.ones(2, 2), "bias": mt.ones(3)}  # weight fits, bias does not
    with pytest.raises(RuntimeError, match="size mismatch for bias"):
        m.load_state_dict(bad)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), before[k])
    with pytest.raises(RuntimeError, match="Missing key"):
        m.load_state_dict({"weight": mt.ones(2, 2)})
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), before[k])


def test_cat_with_tensor_elements_does_not_compare_tensors():
    # regression: Cat's size check used list.index(t), i.e. Tensor.__eq__, which broadcast the
    # tensors against each other and reported a broadcasting error instead of torch's message
    with pytest.raises(RuntimeError, match="Expected size 3 but got size 4 for tensor number 1"):
        mt.cat([mt.randn(2, 3), mt.randn(2, 4)])
    with pytest.raises(TypeError, match="element 1"):
        mt.cat([mt.randn(2), "x"])


# ---------------------------------------------------------------------------------------------
# empty and 0-d tensors
# ---------------------------------------------------------------------------------------------
UNARY = ["neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "square",
         "rsqrt", "floor", "ceil", "round", "log1p", "expm1", "reciprocal", "sign", "isnan"]
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "pow", "remainder"]


def _np(x):
    return x.detach().numpy() if isinstance(x, mt.Tensor) else x.detach().cpu().numpy()


def _same(m, t, rtol=1e-6, atol=1e-7):
    mn, tn = _np(m), _np(t)
    assert mn.shape == tn.shape and mn.dtype == tn.dtype, (mn.shape, tn.shape, mn.dtype,
                                                           tn.dtype)
    np.testing.assert_allclose(mn, tn, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("shape", [(0,), (2, 0)])
def test_empty_elementwise(shape):
    mx, tx = mt.zeros(shape), torch.zeros(shape)
    for u in UNARY:
        _same(getattr(mx, u)(), getattr(tx, u)())
    for b in BINARY:
        _same(getattr(mt, b)(mx, mx), getattr(torch, b)(tx, tx))
    _same(mx + mt.ones(1), tx + torch.ones(1))


def test_empty_reductions():
    for shape in [(0,), (2, 0), (0, 3)]:
        mx, tx = mt.zeros(shape, requires_grad=True), torch.zeros(shape, requires_grad=True)
        for r in ["sum", "mean", "prod", "var", "std", "norm", "all", "any"]:
            _same(getattr(mx, r)(), getattr(tx, r)())
        assert float(mx.sum()) == 0.0 and math.isnan(float(mx.mean()))
        for d in range(len(shape)):
            for r in ["sum", "mean", "prod", "logsumexp", "softmax", "log_softmax"]:
                _same(getattr(mx, r)(d), getattr(tx, r)(d))
            if shape[d] != 0:
                _same(mx.amax(d), tx.amax(d))
                _same(mx.max(d)[0], tx.max(d)[0])
        mx.sum().backward()
        assert tuple(mx.grad.shape) == shape


def test_empty_matmul_and_losses():
    _same(mt.zeros(2, 0) @ mt.ones(0, 3), torch.zeros(2, 0) @ torch.ones(0, 3))
    x = mt.zeros(0, 3, requires_grad=True)
    t = mt.zeros(0, dtype=mt.int64)
    loss = MF.cross_entropy(x, t)  # regression: was uninitialized memory, torch gives nan
    assert math.isnan(float(loss))
    assert float(MF.cross_entropy(x, t, reduction="sum")) == 0.0
    assert tuple(MF.cross_entropy(x, t, reduction="none").shape) == (0,)
    loss.backward()
    assert tuple(x.grad.shape) == (0, 3)
    assert math.isnan(float(MF.mse_loss(mt.zeros(0), mt.zeros(0))))


def test_zero_dim_everywhere():
    a = np.float64(0.5)
    mx, tx = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    assert mx.dtype == mt.float64  # regression: numpy scalars lost their dtype (became float32)
    assert mt.tensor(np.int32(3)).dtype == mt.int32
    ops = [lambda x: (x * 2 + 1).exp().sum(0), lambda x: x.softmax(0), lambda x: x[None],
           lambda x: x.max(0)[0], lambda x: x.reshape(1, 1) @ x.reshape(1),
           lambda x: x.unsqueeze(-1), lambda x: x.t(), lambda x: x.flatten(),
           lambda x: x.mean(-1, keepdim=True), lambda x: x.log_softmax(-1),
           lambda x: x.expand(3), lambda x: x.sum(), lambda x: x.amax()]
    for op in ops:
        _same(op(mx), op(tx), rtol=1e-12, atol=1e-12)
    y_m = sum(op(mx).sum() for op in ops)
    y_t = sum(op(tx).sum() for op in ops)
    y_m.backward()
    y_t.backward()
    _same(mx.grad, tx.grad, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# numerics: NaN, inf, floor semantics, stability
# ---------------------------------------------------------------------------------------------
def test_nan_propagation():
    v = np.array([[1.0, np.nan, 3.0], [2.0, 0.0, -1.0]], np.float32)
    mx, tx = mt.tensor(v), torch.tensor(v)
    _same(MF.relu(mx), TF.relu(tx))
    _same(mx.clamp(0, 1), tx.clamp(0, 1))
    _same(mt.maximum(mx, mx.flip(1)), torch.maximum(tx, tx.flip(1)))
    _same(mt.minimum(mx, mx.flip(1)), torch.minimum(tx, tx.flip(1)))
    for r in ["amax", "amin", "sum", "softmax", "logsumexp"]:
        _same(getattr(mx, r)(1), getattr(tx, r)(1))
    for r in ["max", "min"]:
        _same(getattr(mx, r)(1)[0], getattr(tx, r)(1)[0])
        _same(getattr(mx, r)(1)[1], getattr(tx, r)(1)[1])
        _same(getattr(mx, r)(), getattr(tx, r)())
    _same(mx.argmax(1), tx.argmax(1))
    _same(mt.where(mx > 1, mx, 0.0), torch.where(tx > 1, tx, 0.0))


def test_inf_handling():
    v = np.array([np.inf, -np.inf, 0.0, -0.0, 1e-40, 100.0, -100.0, np.nan], np.float32)
    mx, tx = mt.tensor(v), torch.tensor(v)
    for u in ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "reciprocal", "floor"]:
        _same(getattr(mx, u)(), getattr(tx, u)())
    _same(mx / 0.0, tx / 0.0)
    _same(mx * 0.0, tx * 0.0)
    _same(mx - mx, tx - tx)
    _same(mt.tensor([100.0, 1000.0]).exp(), torch.tensor([100.0, 1000.0]).exp())
    _same(mt.tensor([[np.inf, 1.0]]).softmax(1), torch.tensor([[np.inf, 1.0]]).softmax(1))
    _same(mt.tensor([[-np.inf, 1.0]]).softmax(1), torch.tensor([[-np.inf, 1.0]]).softmax(1))
    _same(mt.tensor([[-np.inf, -np.inf]]).logsumexp(1),
          torch.tensor([[-np.inf, -np.inf]]).logsumexp(1))


def test_integer_floor_semantics():
    a = np.array([-7, -1, 0, 1, 7, 5, -5], np.int64)
    b = np.array([2, 3, -3, -2, -3, 3, 2], np.int64)
    ma, mb, ta, tb = mt.tensor(a), mt.tensor(b), torch.tensor(a), torch.tensor(b)
    _same(ma // mb, ta // tb)
    _same(ma % mb, ta % tb)
    _same(ma // -3, ta // -3)
    _same(ma % -3, ta % -3)
    _same(7 % mb, 7 % tb)
    _same(ma / mb, ta / tb)
    f = np.array([-7.5, -1.0, 0.0, 1.0, 7.5], np.float32)
    g = np.array([2.0, 3.0, -3.0, -2.0, -0.0], np.float32)
    _same(mt.tensor(f) // mt.tensor(g), torch.tensor(f) // torch.tensor(g))
    _same(mt.tensor(f) % mt.tensor(g), torch.tensor(f) % torch.tensor(g))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_softmax_family_large_logits(dtype):
    v = np.array([[1e4, -1e4, 0.0], [3e4, 3e4, -2e4]], dtype)
    mx, tx = mt.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    # regression: log_softmax computed x - (max + log(sum)), losing ~1e-3 at |x| = 3e4 in f32
    _same(mx.log_softmax(1), tx.log_softmax(1), rtol=1e-6, atol=1e-6)
    _same(mx.softmax(1), tx.softmax(1))
    _same(mx.logsumexp(1), tx.logsumexp(1))
    t = [1, 2]
    lm = MF.cross_entropy(mx, mt.tensor(t))
    lt = TF.cross_entropy(tx, torch.tensor(t))
    _same(lm, lt, rtol=1e-6, atol=1e-6)
    _same(MF.cross_entropy(mx, mt.tensor(t), label_smoothing=0.1),
          TF.cross_entropy(tx, torch.tensor(t), label_smoothing=0.1), rtol=1e-6, atol=1e-6)
    lm.backward()
    lt.backward()
    _same(mx.grad, tx.grad)
    assert np.isfinite(_np(mx.grad)).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_extremes(dtype):
    v = np.array([-100.0, 100.0, -1000.0, 1000.0, 0.0], dtype)
    mx, tx = mt.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    # minitorch may keep a denormal (3.8e-44) where torch's 1/(1+exp(100)) flushes to 0
    _same(mx.sigmoid(), tx.sigmoid(), rtol=1e-6, atol=1e-40)
    _same(mx.tanh(), tx.tanh())
    tgt = np.array([0.0, 1.0, 1.0, 0.0, 1.0], dtype)
    _same(MF.binary_cross_entropy_with_logits(mx, mt.tensor(tgt)),
          TF.binary_cross_entropy_with_logits(tx, torch.tensor(tgt)), rtol=1e-6, atol=1e-6)
    mx.sigmoid().sum().backward()
    tx.sigmoid().sum().backward()
    _same(mx.grad, tx.grad, rtol=1e-6, atol=1e-40)
