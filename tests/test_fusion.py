"""Launch economy (minitorch/fusion.py): Linear+ReLU fuse into one matmul (through nn.Sequential
and F.relu(F.linear)) by deferring the Linear's launch, the pre-activation stored by the same
launch; the backward uses the ReLU-derivative epilogue and dW+db in one kernel; cross-entropy and
SGD are one launch each. Counts, not times. What no program may observe: tests/test_fusion_rule.py
and tests/test_fusion_differential.py."""
import numpy as np
import pytest
import torch

import minitorch
from minitorch import nn
from minitorch.nn import functional as F
from minitorch.ops import launcher


def _pair(rng, *shape):
    a = rng.standard_normal(shape).astype(np.float32)
    return minitorch.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _count(fn):
    launcher.stats.reset()
    out = fn()
    return out, dict(launcher.stats.by_kernel)


def test_sequential_linear_relu_forward_is_one_matmul_each():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    x = minitorch.randn(3, 4)
    def forward():
        y = model(x)
        y._data  # the last Linear is deferred until its output is read
        return y
    y, counts = _count(forward)
    assert counts == {"matmul_kernel": 2}
    with minitorch.no_grad():
        h = model[0](x)
        ref = model[2](h.clamp(min=0))  # unfused reference (clamp is not fusible)
    np.testing.assert_allclose(y.detach().numpy(), ref.numpy(), rtol=1e-6, atol=1e-6)
    assert y.grad_fn.name() == "AddmmBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "ReluBackward0"


def test_functional_relu_of_linear_fuses_and_matches_torch():
    rng = np.random.default_rng(0)
    (xm, xt), (w1m, w1t), (b1m, b1t) = _pair(rng, 5, 6), _pair(rng, 7, 6), _pair(rng, 7)
    (w2m, w2t), (b2m, b2t) = _pair(rng, 3, 7), _pair(rng, 3)
    target = rng.integers(0, 3, 5)
    (minitorch.ones((), requires_grad=True) * 1).backward()  # caches the implicit gradient 1

    def step():
        h = F.relu(F.linear(xm, w1m, b1m))
        loss = F.cross_entropy(F.linear(h, w2m, b2m), minitorch.tensor(target))
        loss.backward()
        return loss
    loss, counts = _count(step)
    # forward: layer 1 (+ReLU) 1 matmul, layer 2 + cross-entropy 1 fused head;
    # backward: the head 1 (dlogits, dX with ReLU', dW, db), layer 1 dX 1 and dW+db 1
    assert counts == {"matmul_kernel": 3, "linear_cross_entropy_fwd_kernel": 1,
                      "linear_cross_entropy_bwd_kernel": 1}
    ht = torch.relu(torch.nn.functional.linear(xt, w1t, b1t))
    lt = torch.nn.functional.cross_entropy(torch.nn.functional.linear(ht, w2t, b2t),
                                           torch.tensor(target))
    lt.backward()
    assert abs(loss.item() - lt.item()) < 1e-6
    for m, t in ((xm, xt), (w1m, w1t), (b1m, b1t), (w2m, w2t), (b2m, b2t)):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_mlp_training_step_launches():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = minitorch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = minitorch.tensor(rng.standard_normal((16, 64)).astype(np.float32))
    y = minitorch.tensor(rng.integers(0, 10, 16))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    step()
    _, counts = _count(step)
    # forward: layer 1 + ReLU, the head; backward: the head, which also gives layer 1's dW/db
    # (x needs no gradient); SGD
    assert counts == {"matmul_kernel": 1, "linear_cross_entropy_fwd_kernel": 1,
                      "linear_cross_entropy_bwd_kernel": 1, "sgd_kernel": 1}


def test_pre_activation_can_still_be_read_and_differentiated():
    rng = np.random.default_rng(1)
    (xm, xt), (wm, wt), (bm, bt) = _pair(rng, 4, 3), _pair(rng, 5, 3), _pair(rng, 5)
    pre = F.linear(xm, wm, bm)
    act = F.relu(pre)               # fused: pre itself was never computed
    pre_t = torch.nn.functional.linear(xt, wt, bt)
    np.testing.assert_allclose(pre.detach().numpy(), pre_t.detach().numpy(), rtol=1e-6,
                               atol=1e-6)  # computed on first read
    (act.sum() + (pre * 2).sum()).backward()
    (torch.relu(pre_t).sum() + (pre_t * 2).sum()).backward()
    for m, t in ((xm, xt), (wm, wt), (bm, bt)):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_pre_activation_keeps_its_value_after_inputs_changed():
    w = minitorch.randn(5, 3)
    x = minitorch.randn(4, 3)
    expected = x.numpy() @ w.numpy().T
    launcher.stats.reset()
    pre = F.linear(x, w)
    act = F.relu(pre)  # one launch stores both
    assert launcher.stats.by_kernel == {"matmul_kernel": 1}
    w.mul_(2)
    np.testing.assert_allclose(pre.numpy(), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(act.numpy(), np.maximum(expected, 0), rtol=1e-6, atol=1e-6)


def test_unfused_consumer_flushes_the_deferred_linear_first():
    w = minitorch.randn(5, 3)
    x = minitorch.randn(4, 3)
    pre = F.linear(x, w)
    expected = (x.numpy() @ w.numpy().T)
    w.mul_(2)  # any launch first materializes the pending output with the old weights
    np.testing.assert_allclose(pre.numpy(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_linear_cross_entropy_matches_torch(reduction, dtype):
    rng = np.random.default_rng(2)
    xs = rng.standard_normal((7, 5)).astype(dtype)
    ws = rng.standard_normal((4, 5)).astype(dtype)
    bs = rng.standard_normal(4).astype(dtype)
    t = np.array([0, 3, 1, -100, 2, 2, 3])
    xm, wm, bm = (minitorch.tensor(a, requires_grad=True) for a in (xs, ws, bs))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (xs, ws, bs))
    lm = F.cross_entropy(F.linear(xm, wm, bm), minitorch.tensor(t), reduction=reduction)
    assert lm.grad_fn.name() == "NllLossBackward0"
    lt = torch.nn.functional.cross_entropy(torch.nn.functional.linear(xt, wt, bt),
                                           torch.tensor(t), reduction=reduction)
    g = rng.standard_normal(lt.shape).astype(dtype)
    lm.backward(minitorch.tensor(g))
    lt.backward(torch.tensor(g))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lm.detach().numpy(), lt.detach().numpy(), **tol)
    for m, tt in ((xm, xt), (wm, wt), (bm, bt)):
        np.testing.assert_allclose(m.grad.numpy(), tt.grad.numpy(), **tol)


def test_fused_linear_cross_entropy_double_backward_matches_torch():
    rng = np.random.default_rng(3)
    xs, ws = rng.standard_normal((6, 5)), rng.standard_normal((3, 5))
    t = np.array([0, 1, 2, 1, 0, 2])
    xm, wm = (minitorch.tensor(a, requires_grad=True) for a in (xs, ws))
    xt, wt = (torch.tensor(a, requires_grad=True) for a in (xs, ws))
    lm = F.cross_entropy(F.linear(xm, wm), minitorch.tensor(t))
    lt = torch.nn.functional.cross_entropy(torch.nn.functional.linear(xt, wt), torch.tensor(t))
    (gm,) = minitorch.autograd.grad(lm, wm, create_graph=True, retain_graph=True)
    (gt,) = torch.autograd.grad(lt, wt, create_graph=True, retain_graph=True)
    (gm * gm).sum().backward()
    (gt * gt).sum().backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(wm.grad.numpy(), wt.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_fused_head_bad_target_raises():
    x = minitorch.randn(3, 4)
    w = minitorch.randn(5, 4)
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        F.cross_entropy(F.linear(x, w), minitorch.tensor([0, 7, 1]))
