"""minitorch.optim against torch.optim: parameters after N steps match within 1e-5."""

import numpy as np
import pytest
import torch

import minitorch
import minitorch.nn as nn
import minitorch.nn.functional as F
from minitorch.ops import launcher

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def mt(t):
    return minitorch.tensor(t.detach().numpy())


def _models():
    tm = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    mm = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    mm.load_state_dict({k: mt(v) for k, v in tm.state_dict().items()})
    return tm, mm


def _run(topt_cls, mopt_cls, steps=4, param_groups=None, **kw):
    tm, mm = _models()
    x, y = torch.randn(6, 3), torch.randn(6, 2)
    mx, my = mt(x), mt(y)
    if param_groups is None:
        topt, mopt = topt_cls(tm.parameters(), **kw), mopt_cls(mm.parameters(), **kw)
    else:
        topt = topt_cls([dict(g, params=list(tm[i].parameters()))
                         for i, g in param_groups], **kw)
        mopt = mopt_cls([dict(g, params=list(mm[i].parameters()))
                         for i, g in param_groups], **kw)
    for _ in range(steps):
        topt.zero_grad()
        torch.nn.functional.mse_loss(tm(x), y).backward()
        topt.step()
        mopt.zero_grad()
        F.mse_loss(mm(mx), my).backward()
        mopt.step()
    tsd = tm.state_dict()
    for k, v in mm.state_dict().items():
        np.testing.assert_allclose(v.numpy(), tsd[k].numpy(), atol=1e-5, rtol=1e-5, err_msg=k)
    return tm, mm, topt, mopt


@pytest.mark.parametrize("kw", [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, nesterov=True),
    dict(lr=0.1, momentum=0.9, weight_decay=0.01),
    dict(lr=0.05, momentum=0.5, nesterov=True, weight_decay=0.1, maximize=True),
])
def test_sgd_matches_torch(kw):
    _run(torch.optim.SGD, minitorch.optim.SGD, **kw)


@pytest.mark.parametrize("kw", [
    dict(lr=0.01),
    dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.01, maximize=True),
])
def test_adam_matches_torch(kw):
    _run(torch.optim.Adam, minitorch.optim.Adam, steps=5, **kw)


@pytest.mark.parametrize("kw", [dict(lr=0.01), dict(lr=0.01, weight_decay=0.1, amsgrad=True)])
def test_adamw_matches_torch(kw):
    _run(torch.optim.AdamW, minitorch.optim.AdamW, steps=5, **kw)


def test_param_groups_with_own_options():
    groups = [(0, dict(lr=0.2, momentum=0.5)), (2, dict())]
    _, _, topt, mopt = _run(torch.optim.SGD, minitorch.optim.SGD, param_groups=groups, lr=0.05)
    assert [g["lr"] for g in mopt.param_groups] == [0.2, 0.05]
    assert [g["momentum"] for g in mopt.param_groups] == [0.5, 0]


def test_one_sgd_launch_per_group_and_one_adam_launch_per_parameter():
    _, mm = _models()
    opt = minitorch.optim.SGD(mm.parameters(), lr=0.1, momentum=0.9, nesterov=True,
                              weight_decay=0.1)
    F.mse_loss(mm(minitorch.randn(2, 3)), minitorch.zeros(2, 2)).backward()
    versions = [p._version for p in mm.parameters()]
    launcher.stats.reset()
    opt.step()
    # the group's four parameters are one multi-tensor launch
    assert launcher.stats.launches == 1 and launcher.stats.by_kernel == {"sgd_kernel": 1}
    assert [p._version for p in mm.parameters()] == [v + 1 for v in versions]
    adam = minitorch.optim.Adam(mm.parameters(), lr=0.1, amsgrad=True)
    adam.step()  # the first step also zero-fills the moment buffers
    launcher.stats.reset()
    adam.step()
    assert launcher.stats.by_kernel == {"adam_kernel": 4}


def test_frozen_params_are_skipped():
    _, mm = _models()
    mm[0].requires_grad_(False)
    frozen = mm[0].weight.detach().clone().numpy()
    opt = minitorch.optim.Adam(mm.parameters(), lr=0.1)
    F.mse_loss(mm(minitorch.randn(2, 3)), minitorch.zeros(2, 2)).backward()
    opt.step()
    assert np.array_equal(mm[0].weight.detach().numpy(), frozen)
    assert mm[0].weight not in opt.state and mm[2].weight in opt.state


def test_zero_grad():
    _, mm = _models()
    opt = minitorch.optim.SGD(mm.parameters(), lr=0.1)
    F.mse_loss(mm(minitorch.randn(2, 3)), minitorch.zeros(2, 2)).backward()
    opt.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in mm.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in mm.parameters())


def test_constructor_errors():
    p = nn.Parameter(minitorch.zeros(2))
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        minitorch.optim.SGD([p], lr=-0.1)
    with pytest.raises(ValueError, match="Invalid momentum value: -1"):
        minitorch.optim.SGD([p], lr=0.1, momentum=-1)
    with pytest.raises(ValueError, match="Invalid weight_decay value"):
        minitorch.optim.SGD([p], lr=0.1, weight_decay=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        minitorch.optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        minitorch.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        minitorch.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        minitorch.optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        minitorch.optim.Adam([p], lr=-1.0)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 0"):
        minitorch.optim.Adam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="Invalid epsilon value"):
        minitorch.optim.AdamW([p], eps=-1)
    opt = minitorch.optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [p]})
    q = nn.Parameter(minitorch.zeros(3))
    opt.add_param_group({"params": q, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0


def test_optimizer_state_dict_resume():
    """Train 2 steps, checkpoint, train 2 more; a fresh optimizer loaded from the checkpoint
    reproduces the same final parameters."""
    tm, mm = _models()
    x, y = minitorch.randn(4, 3), minitorch.randn(4, 2)

    def train(model, opt, n):
        for _ in range(n):
            opt.zero_grad()
            F.mse_loss(model(x), y).backward()
            opt.step()

    opt = minitorch.optim.Adam(mm.parameters(), lr=0.05)
    train(mm, opt, 2)
    model_ckpt = {k: v.clone() for k, v in mm.state_dict().items()}
    opt_ckpt = opt.state_dict()
    assert set(opt_ckpt["state"]) == {0, 1, 2, 3} and opt_ckpt["state"][0]["step"] == 2
    opt_ckpt = {"state": {k: {n: (v.clone() if isinstance(v, minitorch.Tensor) else v)
                              for n, v in s.items()} for k, s in opt_ckpt["state"].items()},
                "param_groups": opt_ckpt["param_groups"]}
    train(mm, opt, 2)
    _, mm2 = _models()
    mm2.load_state_dict(model_ckpt)
    opt2 = minitorch.optim.Adam(mm2.parameters(), lr=0.05)
    opt2.load_state_dict(opt_ckpt)
    train(mm2, opt2, 2)
    for (k, a), b in zip(mm.state_dict().items(), mm2.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6, err_msg=k)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt2.load_state_dict({"state": {}, "param_groups": []})


def test_lr_schedulers_match_torch():
    for make in [lambda o, m: m.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
                 lambda o, m: m.lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.01)]:
        tp = torch.nn.Parameter(torch.zeros(1))
        topt = torch.optim.SGD([tp], lr=0.1)
        mopt = minitorch.optim.SGD([nn.Parameter(minitorch.zeros(1))], lr=0.1)
        ts, ms = make(topt, torch.optim), make(mopt, minitorch.optim)
        for _ in range(12):
            topt.step()
            mopt.step()
            ts.step()
            ms.step()
            assert ms.get_last_lr() == pytest.approx(ts.get_last_lr(), abs=1e-12)
            assert mopt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"])


# ---------------------------------------------------------------------------------------------
# issue 11: RMSprop, Adagrad, Adadelta against torch.optim, step by step, and torch's state loads
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [
    dict(lr=0.01),
    dict(lr=0.01, momentum=0.9, weight_decay=0.1),
    dict(lr=0.01, alpha=0.9, centered=True, maximize=True),
    dict(lr=0.01, momentum=0.5, centered=True),
])
def test_rmsprop_matches_torch(kw):
    _run(torch.optim.RMSprop, minitorch.optim.RMSprop, steps=4, **kw)


@pytest.mark.parametrize("kw", [
    dict(lr=0.1),
    dict(lr=0.1, lr_decay=0.1, weight_decay=0.05, initial_accumulator_value=0.2),
    dict(lr=0.1, maximize=True, eps=1e-6),
])
def test_adagrad_matches_torch(kw):
    _run(torch.optim.Adagrad, minitorch.optim.Adagrad, steps=4, **kw)


@pytest.mark.parametrize("kw", [
    dict(),
    dict(lr=0.5, rho=0.8, weight_decay=0.1),
    dict(lr=2.0, eps=1e-4, maximize=True),
])
def test_adadelta_matches_torch(kw):
    _run(torch.optim.Adadelta, minitorch.optim.Adadelta, steps=4, **kw)


@pytest.mark.parametrize("cls,kw", [
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adadelta", dict(lr=1.0)),
])
def test_adaptive_state_dict_matches_torch_and_loads(cls, kw):
    tm, mm, topt, mopt = _run(getattr(torch.optim, cls), getattr(minitorch.optim, cls),
                              steps=2, **kw)
    tsd, msd = topt.state_dict(), mopt.state_dict()
    assert msd["param_groups"] == tsd["param_groups"]
    assert set(msd["state"]) == set(tsd["state"])
    for i, tstate in tsd["state"].items():
        assert set(msd["state"][i]) == set(tstate)
        for name, v in tstate.items():
            np.testing.assert_allclose(np.asarray(msd["state"][i][name].numpy()),
                                       v.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    # a torch optimizer's state loads into a fresh minitorch optimizer, and both continue alike
    fresh = getattr(minitorch.optim, cls)(mm.parameters(), **kw)
    fresh.load_state_dict({"state": {i: {k: mt(v) for k, v in s.items()}
                                     for i, s in tsd["state"].items()},
                           "param_groups": tsd["param_groups"]})
    x, y = torch.randn(6, 3), torch.randn(6, 2)
    topt.zero_grad()
    torch.nn.functional.mse_loss(tm(x), y).backward()
    topt.step()
    fresh.zero_grad()
    F.mse_loss(mm(mt(x)), mt(y)).backward()
    fresh.step()
    tsd2 = tm.state_dict()
    for k, v in mm.state_dict().items():
        np.testing.assert_allclose(v.numpy(), tsd2[k].numpy(), atol=1e-5, rtol=1e-5, err_msg=k)


def test_adaptive_one_launch_per_four_params_and_errors():
    params = [nn.Parameter(minitorch.randn(3)) for _ in range(5)]
    opt = minitorch.optim.RMSprop(params, lr=0.1)
    for p in params:
        p.grad = minitorch.randn(3)
    launcher.stats.reset()
    opt.step()
    assert launcher.stats.by_kernel.get("adaptive_kernel") == 2
    with pytest.raises(ValueError, match="Invalid alpha value: -1"):
        minitorch.optim.RMSprop(params, alpha=-1)
    with pytest.raises(ValueError, match="Invalid rho value: 2"):
        minitorch.optim.Adadelta(params, rho=2)
    with pytest.raises(ValueError, match="Invalid lr_decay value: -1"):
        minitorch.optim.Adagrad(params, lr_decay=-1)


def test_sgd_one_launch_mixes_block_layouts():
    # a parameter bigger than one interpreter block (more than one program: every parameter
    # blocked alike) and small ones (one program: each its own block) give torch's updates
    rng = np.random.default_rng(0)
    for sizes in ((10, 70000), (10, 16, 3)):
        values = [rng.standard_normal(s).astype(np.float32) for s in sizes]
        grads = [[rng.standard_normal(s).astype(np.float32) for s in sizes] for _ in range(2)]
        tp = [torch.tensor(v, requires_grad=True) for v in values]
        mp = [minitorch.tensor(v, requires_grad=True) for v in values]
        topt = torch.optim.SGD(tp, lr=0.1, momentum=0.9)
        mopt = minitorch.optim.SGD(mp, lr=0.1, momentum=0.9)
        for step_grads in grads:
            for t, m, g in zip(tp, mp, step_grads):
                t.grad, m.grad = torch.tensor(g), minitorch.tensor(g)
            topt.step()
            launcher.stats.reset()
            mopt.step()
            assert launcher.stats.by_kernel == {"sgd_kernel": 1}
        for t, m in zip(tp, mp):
            np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=1e-6,
                                       atol=1e-7)
