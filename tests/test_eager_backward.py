"""Fewer launches in the eager backward of small pointwise programs (the polynomial-fitting
tutorial): the gradient of a one-element operand of a product as one sum-of-products launch, the
integer-power backward as one launch, no gradient computed for an input that does not need one,
and one-element leaf gradients stored without a copy. Counts and values, not times."""
import numpy as np
import pytest
import torch

import minitorch
from minitorch.ops import launcher


def _poly_pair(n, dtype):
    rng = np.random.default_rng(0)
    xs = np.linspace(-np.pi, np.pi, n)
    coef = rng.standard_normal(4)
    libs = []
    for lib, tdt in ((minitorch, getattr(minitorch, str(dtype).split(".")[1])), (torch, dtype)):
        x = lib.tensor(xs, dtype=tdt)
        y = lib.sin(x)
        params = [lib.tensor(c, dtype=tdt, requires_grad=True) for c in coef]
        libs.append((x, y, params))
    return libs


def _poly_loss(x, y, params):
    a, b, c, d = params
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    return (y_pred - y).pow(2).sum()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_polynomial_step_launches_and_gradients_match_torch(dtype):
    (xm, ym, pm), (xt, yt, pt) = _poly_pair(37, dtype)
    _poly_loss(xm, ym, pm).backward()  # warm the launch plans
    for p in pm:
        p.grad = None
    launcher.stats.reset()
    loss_m = _poly_loss(xm, ym, pm)
    loss_m.backward()
    counts = dict(launcher.stats.by_kernel)
    # forward: 10 pointwise, the sum; backward: the pow backward (one launch for g * 2 * r),
    # then one sum of products per coefficient b, c, d and one sum for a (no copies)
    assert counts == {"flat_kernel": 11, "row_sum_kernel": 5}
    loss_t = _poly_loss(xt, yt, pt)
    loss_t.backward()
    np.testing.assert_allclose(loss_m.item(), loss_t.item(), rtol=1e-5)
    for p_m, p_t in zip(pm, pt):
        assert p_m.grad.shape == p_t.grad.shape and p_m.grad.dtype == p_t.grad.dtype
        assert p_m.grad._base is None  # stored as is, like torch's
        np.testing.assert_allclose(p_m.grad.item(), p_t.grad.item(), rtol=1e-5)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("e", [2, 3, 4, 3.0])
def test_integer_pow_backward_is_torch_bitwise(dtype, e):
    rng = np.random.default_rng(1)
    xv, gv = rng.standard_normal(29), rng.standard_normal(29)
    xt = torch.tensor(xv, dtype=dtype, requires_grad=True)
    (xt ** e).backward(torch.tensor(gv, dtype=dtype))
    xm = minitorch.tensor(xv, dtype=dtype, requires_grad=True)
    gm = minitorch.tensor(gv, dtype=dtype)
    launcher.stats.reset()
    (xm ** e).backward(gm)
    assert launcher.stats.launches == 2  # forward, backward
    # torch computes g * (e * x^(e-1)) with x^2 = x*x and x^3 = x*x*x
    assert torch.equal(xm.grad._data, xt.grad)
    # a broadcast gradient (the backward of a sum)
    xt.grad = None
    xm.grad = None
    (xt ** e).sum().backward()
    (xm ** e).sum().backward()
    assert torch.equal(xm.grad._data, xt.grad)


def test_integer_pow_double_backward_still_recorded():
    x = minitorch.tensor([1.5, -2.0, 0.25], requires_grad=True)
    (g,) = minitorch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    g.sum().backward()
    xt = torch.tensor([1.5, -2.0, 0.25], requires_grad=True)
    (gt,) = torch.autograd.grad((xt ** 3).sum(), xt, create_graph=True)
    gt.sum().backward()
    assert g.grad_fn is not None
    np.testing.assert_allclose(g.detach().numpy(), gt.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("scalar_first", [True, False])
def test_scalar_operand_grad_is_one_sum_of_products(scalar_first):
    rng = np.random.default_rng(2)
    xv, gv = rng.standard_normal(300).astype(np.float32), rng.standard_normal(300).astype(
        np.float32)
    b = minitorch.tensor(0.75, requires_grad=True)
    x, g = minitorch.tensor(xv), minitorch.tensor(gv)
    seen = []
    b.register_hook(lambda grad: seen.append(grad.item()))
    out = b * x if scalar_first else x * b
    launcher.stats.reset()
    out.backward(g)
    assert launcher.stats.by_kernel == {"row_sum_kernel": 1}
    # the unfused ops' value, bit for bit (each product rounded to fp32, then summed)
    assert b.grad.item() == (g * x).sum().item()
    assert seen == [b.grad.item()]  # the tensor hook saw the gradient
    bt = torch.tensor(0.75, requires_grad=True)
    (bt * torch.tensor(xv)).backward(torch.tensor(gv))
    np.testing.assert_allclose(b.grad.item(), bt.grad.item(), rtol=1e-5)


def test_scalar_operand_grad_other_cases_take_the_generic_path():
    rng = np.random.default_rng(3)
    # both operands need grad; a (1, 1) scalar against a non-contiguous other; fp16
    xv = rng.standard_normal((4, 6)).astype(np.float32)
    for make in (lambda lib: lib.tensor(xv, requires_grad=True),
                 lambda lib: lib.tensor(xv).t()):
        results = []
        for lib in (minitorch, torch):
            b = lib.tensor([[0.5]], requires_grad=True)
            x = make(lib)
            (b * x * x).sum().backward()
            results.append((b.grad, getattr(x, "grad", None)))
        (bm, xm), (bt, xt) = results
        assert tuple(bm.shape) == tuple(bt.shape)
        np.testing.assert_allclose(bm.numpy(), bt.numpy(), rtol=1e-5)
        if xt is not None:
            np.testing.assert_allclose(xm.numpy(), xt.numpy(), rtol=1e-5)
    bm = minitorch.tensor(0.5, dtype=minitorch.float16, requires_grad=True)
    bt = torch.tensor(0.5, dtype=torch.float16, requires_grad=True)
    xh = rng.standard_normal(40).astype(np.float16)
    (bm * minitorch.tensor(xh)).sum().backward()
    (bt * torch.tensor(xh)).sum().backward()
    assert bm.grad.dtype == torch.float16
    np.testing.assert_allclose(float(bm.grad.item()), float(bt.grad.item()), rtol=1e-2)


def test_sub_computes_no_gradient_for_an_input_without_one():
    y = minitorch.randn(50)
    launches = []
    for needs in (False, True):
        a = minitorch.randn(50, requires_grad=True)
        y.requires_grad_(needs)
        loss = (a - y).sum()
        launcher.stats.reset()
        loss.backward()
        launches.append(launcher.stats.launches)
        assert torch.equal(a.grad._data, torch.ones(50))
    assert launches[1] == launches[0] + 1  # the negated gradient only when y needs it
    assert torch.equal(y.grad._data, -torch.ones(50))
