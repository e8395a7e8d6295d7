"""minitorch.optim.lr_scheduler against torch.optim.lr_scheduler, side by side: the exact lr (and
momentum/betas) sequence over tens of steps on two param groups with different lrs, step(epoch)
closed forms, state_dict round trips (including loading torch's own state_dict), last_epoch
resume, the exceptions (type and message) for bad arguments, torch's warnings, and two short
training runs whose final weights must agree. Optimizer steps without gradients are no-ops, so
only the scheduler arithmetic runs (no kernels) except in the end-to-end tests."""
import copy
import warnings

import numpy as np
import pytest
import torch

import minitorch
import minitorch.nn as nn

TOL = 1e-12


# ----------------------------------------------------------------------------------- harness
def _optimizers(kind="sgd", lrs=(0.1, 0.03), **kw):
    """A torch and a minitorch optimizer over two tiny parameters, one per param group."""
    tparams = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
    mparams = [nn.Parameter(minitorch.zeros(2)), nn.Parameter(minitorch.zeros(3))]
    out = []
    for lib, params in ((torch, tparams), (minitorch, mparams)):
        cls = {"sgd": lib.optim.SGD, "adam": lib.optim.Adam, "adamw": lib.optim.AdamW}[kind]
        groups = [{"params": [p], "lr": lr} for p, lr in zip(params, lrs)]
        if kind == "sgd":
            groups[1]["momentum"] = 0.5
        out.append(cls(groups, **kw))
    return out


def _observed(sched, opt):
    groups = opt.param_groups
    return {"last": list(sched.get_last_lr()), "lr": [g["lr"] for g in groups],
            "momentum": [g.get("momentum") for g in groups],
            "betas": [tuple(g["betas"]) if "betas" in g else None for g in groups]}


def _assert_same(ts, topt, ms, mopt, where):
    t, m = _observed(ts, topt), _observed(ms, mopt)
    for key in t:
        for a, b in zip(t[key], m[key]):
            if a is None or b is None:
                assert a is None and b is None, (where, key, t[key], m[key])
            elif isinstance(a, tuple):
                assert len(a) == len(b) and all(abs(x - y) <= TOL for x, y in zip(a, b)), \
                    (where, key, a, b)
            else:
                assert abs(a - b) <= TOL, (where, key, t[key], m[key])
    assert len(t["last"]) == len(m["last"]) == 2


def _sched(name, opt, lib):
    """The scheduler (or chain) called ``name`` from ``lib`` on ``opt``."""
    S = lib.optim.lr_scheduler
    makers = {
        "step": lambda: S.StepLR(opt, step_size=3, gamma=0.5),
        "multistep": lambda: S.MultiStepLR(opt, milestones=[3, 7, 7, 20], gamma=0.5),
        "exponential": lambda: S.ExponentialLR(opt, gamma=0.93),
        "lambda": lambda: S.LambdaLR(opt, lambda e: 0.95 ** e),
        "lambda_list": lambda: S.LambdaLR(opt, [lambda e: e // 5 + 1, lambda e: 0.9 ** e]),
        "multiplicative": lambda: S.MultiplicativeLR(opt, lambda e: 0.95 if e % 2 else 0.99),
        "constant": lambda: S.ConstantLR(opt, factor=0.5, total_iters=4),
        "linear": lambda: S.LinearLR(opt, start_factor=0.25, end_factor=0.9, total_iters=10),
        "linear_down": lambda: S.LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=7),
        "polynomial": lambda: S.PolynomialLR(opt, total_iters=20, power=2.0),
        "cosine": lambda: S.CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
        "warm_restarts": lambda: S.CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2,
                                                               eta_min=0.001),
        "warm_restarts1": lambda: S.CosineAnnealingWarmRestarts(opt, T_0=7),
        "onecycle_cos": lambda: S.OneCycleLR(opt, max_lr=[0.5, 0.2], total_steps=40),
        "onecycle_linear": lambda: S.OneCycleLR(opt, max_lr=0.4, epochs=4, steps_per_epoch=10,
                                                anneal_strategy="linear", pct_start=0.25,
                                                base_momentum=[0.8, 0.7]),
        "onecycle_three": lambda: S.OneCycleLR(opt, max_lr=0.4, total_steps=40,
                                               three_phase=True, div_factor=10.0,
                                               final_div_factor=100.0),
        "onecycle_nomom": lambda: S.OneCycleLR(opt, max_lr=0.4, total_steps=40,
                                               cycle_momentum=False),
        "cyclic": lambda: S.CyclicLR(opt, base_lr=0.01, max_lr=[0.1, 0.05], step_size_up=4,
                                     step_size_down=6),
        "cyclic2": lambda: S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                      mode="triangular2", cycle_momentum=False),
        "cyclic_exp": lambda: S.CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=0.1,
                                         step_size_up=5, mode="exp_range", gamma=0.97),
        "sequential": lambda: S.SequentialLR(
            opt, [S.LinearLR(opt, start_factor=0.1, total_iters=5),
                  S.ExponentialLR(opt, gamma=0.9)], milestones=[5]),
        "sequential3": lambda: S.SequentialLR(
            opt, [S.ConstantLR(opt, factor=0.2, total_iters=3),
                  S.CosineAnnealingLR(opt, T_max=8),
                  S.StepLR(opt, step_size=4, gamma=0.5)], milestones=[4, 12]),
        "chained": lambda: S.ChainedScheduler(
            [S.ConstantLR(opt, factor=0.3, total_iters=6), S.ExponentialLR(opt, gamma=0.95)]),
        "chained_opt": lambda: S.ChainedScheduler(
            [S.LinearLR(opt, start_factor=0.5, total_iters=8),
             S.MultiStepLR(opt, milestones=[5, 15], gamma=0.3)], optimizer=opt),
    }
    return makers[name]()


CASES = [  # (scheduler, optimizer kind, steps)
    ("step", "sgd", 40), ("multistep", "sgd", 30), ("exponential", "adam", 40),
    ("lambda", "sgd", 30), ("lambda_list", "sgd", 30), ("multiplicative", "sgd", 30),
    ("constant", "sgd", 30), ("linear", "sgd", 30), ("linear_down", "sgd", 30),
    ("polynomial", "sgd", 30), ("cosine", "sgd", 50), ("warm_restarts", "sgd", 50),
    ("warm_restarts1", "adam", 40), ("onecycle_cos", "sgd", 40), ("onecycle_cos", "adam", 40),
    ("onecycle_linear", "sgd", 40), ("onecycle_linear", "adamw", 40),
    ("onecycle_three", "sgd", 40), ("onecycle_three", "adam", 40),
    ("onecycle_nomom", "sgd", 40), ("cyclic", "sgd", 40), ("cyclic", "adam", 40),
    ("cyclic2", "sgd", 40), ("cyclic_exp", "sgd", 40), ("sequential", "sgd", 30),
    ("sequential3", "sgd", 30), ("chained", "sgd", 30), ("chained_opt", "adam", 30),
]


def _ids(cases):
    return [f"{c[0]}-{c[1]}" for c in cases]


@pytest.mark.parametrize("name,kind,steps", CASES, ids=_ids(CASES))
def test_lr_sequence_matches_torch(name, kind, steps):
    topt, mopt = _optimizers(kind)
    ts, ms = _sched(name, topt, torch), _sched(name, mopt, minitorch)
    _assert_same(ts, topt, ms, mopt, "init")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the normal calling order warns in neither library
        for i in range(steps):
            topt.step()
            mopt.step()
            ts.step()
            ms.step()
            _assert_same(ts, topt, ms, mopt, i)


def _plain(x):
    """state_dict values in comparable form (Counters, tuples and lists as they are)."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    return x


@pytest.mark.parametrize("name,kind,steps", CASES, ids=_ids(CASES))
def test_state_dict_round_trip(name, kind, steps):
    """Half way: the state_dict equals torch's; a fresh optimizer + scheduler that loads it (or
    torch's own state_dict) continues exactly like the uninterrupted run (and like torch)."""
    topt, mopt = _optimizers(kind)
    ts, ms = _sched(name, topt, torch), _sched(name, mopt, minitorch)
    half = steps // 2
    for _ in range(half):
        for o in (topt, mopt):
            o.step()
        ts.step()
        ms.step()
    tsd, msd = ts.state_dict(), ms.state_dict()
    assert _plain(msd) == _plain(tsd)
    opt_state = copy.deepcopy(mopt.state_dict())
    saved = copy.deepcopy(msd)
    resumed = []
    for source in (msd, tsd):
        _, opt2 = _optimizers(kind)
        s2 = _sched(name, opt2, minitorch)
        opt2.load_state_dict(copy.deepcopy(opt_state))
        s2.load_state_dict(copy.deepcopy(source))
        resumed.append((s2, opt2))
    assert _plain(msd) == _plain(saved)  # state_dict() hands out no live references
    for i in range(half, steps):
        for o in [topt, mopt] + [o for _, o in resumed]:
            o.step()
        ts.step()
        ms.step()
        _assert_same(ts, topt, ms, mopt, i)
        for s2, opt2 in resumed:
            s2.step()
            _assert_same(ts, topt, s2, opt2, i)


def test_state_dict_survives_minitorch_save_and_load():
    import io
    for name, kind, _ in CASES:
        _, opt = _optimizers(kind)
        s = _sched(name, opt, minitorch)
        for _ in range(5):
            opt.step()
            s.step()
        buf = io.BytesIO()
        minitorch.save({"opt": opt.state_dict(), "sched": s.state_dict()}, buf)
        buf.seek(0)
        ckpt = minitorch.load(buf)
        _, opt2 = _optimizers(kind)
        s2 = _sched(name, opt2, minitorch)
        opt2.load_state_dict(ckpt["opt"])
        s2.load_state_dict(ckpt["sched"])
        for i in range(4):
            for o, sched in ((opt, s), (opt2, s2)):
                o.step()
                if i == 2 and name == "multistep":
                    with pytest.warns(UserWarning, match="The epoch parameter"):
                        sched.step(8)  # closed form after the round trip
                else:
                    sched.step()
            assert s2.get_last_lr() == s.get_last_lr(), (name, i)
            assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]


def test_lambda_state_dict_keeps_callable_objects_only():
    class Decay:
        def __init__(self):
            self.rate = 0.9

        def __call__(self, epoch):
            return self.rate ** epoch

    for lib in (torch, minitorch):
        opt = _optimizers()[lib is minitorch]
        fn = Decay()
        s = lib.optim.lr_scheduler.LambdaLR(opt, [fn, lambda e: 1.0])
        sd = s.state_dict()
        assert sd["lr_lambdas"] == [{"rate": 0.9}, None]
        fn2 = Decay()
        fn2.rate = 0.5
        s2 = lib.optim.lr_scheduler.MultiplicativeLR(opt, [fn2, lambda e: 1.0])
        s2.load_state_dict(sd)
        assert fn2.rate == 0.9 and s2.lr_lambdas[0] is fn2
        assert "lr_lambdas" in sd  # loading leaves the caller's dict as it was


# --------------------------------------------------------------------- step(epoch), resume
CLOSED = [("step", [3, 7, 2, 10, 15, 16]), ("multistep", [2, 3, 8, 7, 21, 0]),
          ("exponential", [4, 1, 9]), ("constant", [1, 4, 3, 9]), ("linear", [2, 12, 5, 0]),
          ("polynomial", [3, 25, 10]), ("cosine", [3, 10, 17, 0, 25]),
          ("lambda", [5, 2, 11]), ("multiplicative", [3, 4]),
          ("warm_restarts", [0.5, 1.2, 4.99, 5, 7.5, 14.9, 15, 33.3, 2]),
          ("warm_restarts1", [6.5, 7, 15.25, 1])]


@pytest.mark.parametrize("name,epochs", CLOSED, ids=[c[0] for c in CLOSED])
def test_step_with_epoch_matches_torch(name, epochs):
    topt, mopt = _optimizers()
    ts, ms = _sched(name, topt, torch), _sched(name, mopt, minitorch)
    for i, epoch in enumerate(epochs):
        for o in (topt, mopt):
            o.step()
        with warnings.catch_warnings(record=True) as tw:
            warnings.simplefilter("always")
            ts.step(epoch)
        with warnings.catch_warnings(record=True) as mw:
            warnings.simplefilter("always")
            ms.step(epoch)
        assert [str(w.message) for w in mw] == [str(w.message) for w in tw]
        assert ms.last_epoch == ts.last_epoch
        _assert_same(ts, topt, ms, mopt, (i, epoch))
        ts.step()
        ms.step()
        _assert_same(ts, topt, ms, mopt, (i, "next"))


def test_warm_restarts_fractional_epochs_within_an_epoch():
    topt, mopt = _optimizers()
    ts, ms = _sched("warm_restarts", topt, torch), _sched("warm_restarts", mopt, minitorch)
    iters = 7
    for epoch in range(12):
        for i in range(iters):
            for o in (topt, mopt):
                o.step()
            ts.step(epoch + i / iters)
            ms.step(epoch + i / iters)
            _assert_same(ts, topt, ms, mopt, (epoch, i))
    assert ms.T_i == ts.T_i and ms.T_cur == pytest.approx(ts.T_cur, abs=TOL)
    for lib, s in ((torch, ts), (minitorch, ms)):
        with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
            s.step(-1)


@pytest.mark.parametrize("name", ["step", "multistep", "exponential", "linear", "cosine",
                                  "polynomial", "constant", "lambda", "warm_restarts",
                                  "onecycle_cos", "cyclic"])
def test_resume_with_last_epoch(name):
    """A scheduler constructed with last_epoch=k over an optimizer that holds initial_lr (as a
    loaded optimizer state does) produces torch's values from there on."""
    topt, mopt = _optimizers()
    _sched(name, topt, torch), _sched(name, mopt, minitorch)
    for opt in (topt, mopt):
        for g in opt.param_groups:
            g["lr"] = g["lr"] * 0.7  # where a checkpoint left it
    S = {torch: torch.optim.lr_scheduler, minitorch: minitorch.optim.lr_scheduler}
    kw = {"step": dict(step_size=3), "multistep": dict(milestones=[3, 9]),
          "exponential": dict(gamma=0.9), "linear": dict(total_iters=10),
          "cosine": dict(T_max=10), "polynomial": dict(total_iters=12),
          "constant": dict(total_iters=8), "lambda": dict(lr_lambda=lambda e: 0.9 ** e),
          "warm_restarts": dict(T_0=4), "onecycle_cos": dict(max_lr=0.5, total_steps=30),
          "cyclic": dict(base_lr=0.01, max_lr=0.1, step_size_up=4)}[name]
    cls = {"step": "StepLR", "multistep": "MultiStepLR", "exponential": "ExponentialLR",
           "linear": "LinearLR", "cosine": "CosineAnnealingLR", "polynomial": "PolynomialLR",
           "constant": "ConstantLR", "lambda": "LambdaLR",
           "warm_restarts": "CosineAnnealingWarmRestarts", "onecycle_cos": "OneCycleLR",
           "cyclic": "CyclicLR"}[name]
    ts = getattr(S[torch], cls)(topt, last_epoch=6, **kw)
    ms = getattr(S[minitorch], cls)(mopt, last_epoch=6, **kw)
    _assert_same(ts, topt, ms, mopt, "resumed")
    for i in range(15):
        for o in (topt, mopt):
            o.step()
        ts.step()
        ms.step()
        _assert_same(ts, topt, ms, mopt, i)


def test_resume_without_initial_lr_raises_torchs_keyerror():
    topt, mopt = _optimizers()
    with pytest.raises(KeyError) as te:
        torch.optim.lr_scheduler.StepLR(topt, 3, last_epoch=4)
    with pytest.raises(KeyError) as me:
        minitorch.optim.lr_scheduler.StepLR(mopt, 3, last_epoch=4)
    assert str(me.value) == str(te.value)


def test_several_schedulers_on_one_optimizer_compose():
    topt, mopt = _optimizers()
    S = {lib: lib.optim.lr_scheduler for lib in (torch, minitorch)}
    scheds = {lib: [S[lib].LinearLR(o, start_factor=0.2, total_iters=6),
                    S[lib].StepLR(o, step_size=4, gamma=0.5),
                    S[lib].CosineAnnealingLR(o, T_max=9)]
              for lib, o in ((torch, topt), (minitorch, mopt))}
    for i in range(30):
        for o in (topt, mopt):
            o.step()
        for ts, ms in zip(scheds[torch], scheds[minitorch]):
            ts.step()
            ms.step()
            _assert_same(ts, topt, ms, mopt, i)


# ----------------------------------------------------------------------- ReduceLROnPlateau
METRICS = [1.0, 0.9, 0.9, 0.95, 0.91, 0.8999, 0.9, 0.7, 0.7, 0.71, 0.7, 0.72, 0.69999,
           0.7, 0.7, 0.7, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.49, 0.49, 0.49,
           0.49, 0.49, 0.49, 0.49, 0.49, 0.49, 0.49, 0.49, 0.49, 0.49, 0.49, 0.49]

PLATEAU = [
    dict(patience=2),
    dict(mode="max", patience=1, factor=0.5),
    dict(patience=1, threshold=0.05, threshold_mode="abs"),
    dict(mode="max", patience=0, threshold=0.01, threshold_mode="abs", cooldown=2),
    dict(patience=0, cooldown=3, factor=0.3, min_lr=[0.01, 0.001]),
    dict(patience=0, factor=0.5, min_lr=0.02),
    dict(patience=0, factor=0.9, eps=0.005),
    dict(patience=1, threshold=0.0),  # a repeated metric is no improvement
    dict(patience=1, threshold=0, threshold_mode="abs"),
    dict(mode="max", patience=1, threshold=0, threshold_mode="abs"),
]


@pytest.mark.parametrize("kw", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(kw):
    topt, mopt = _optimizers()
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    ms = minitorch.optim.lr_scheduler.ReduceLROnPlateau(mopt, **kw)
    assert not isinstance(ms, minitorch.optim.lr_scheduler.StepLR)
    sign = -1 if kw.get("mode") == "max" else 1
    resumed = []
    for i, metric in enumerate(METRICS):
        for o in (topt, mopt):
            o.step()
        ts.step(sign * metric)
        ms.step(minitorch.tensor(sign * metric, dtype=minitorch.float64) if i % 3 == 0
                else sign * metric)
        assert (ms.best, ms.num_bad_epochs, ms.cooldown_counter, ms.last_epoch) == \
            (ts.best, ts.num_bad_epochs, ts.cooldown_counter, ts.last_epoch), i
        _assert_same(ts, topt, ms, mopt, i)
        if i == 20:  # round trip mid-way (minitorch's and torch's state_dict)
            assert _plain(ms.state_dict()) == _plain(ts.state_dict())
            for source in (ms.state_dict(), ts.state_dict()):
                _, opt2 = _optimizers()
                opt2.load_state_dict(copy.deepcopy(mopt.state_dict()))
                s2 = minitorch.optim.lr_scheduler.ReduceLROnPlateau(opt2)  # defaults
                s2.load_state_dict(copy.deepcopy(source))
                resumed.append((s2, opt2))
        elif i > 20:
            for s2, opt2 in resumed:
                s2.step(sign * metric)
                _assert_same(ts, topt, s2, opt2, (i, "resumed"))
    assert len(resumed) == 2
    assert any(g["lr"] < lr for g, lr in zip(mopt.param_groups, (0.1, 0.03)))


def test_reduce_lr_on_plateau_epoch_argument_and_groups_added():
    topt, mopt = _optimizers()
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, patience=0, min_lr=[0.0, 0.0])
    ms = minitorch.optim.lr_scheduler.ReduceLROnPlateau(mopt, patience=0, min_lr=[0.0, 0.0])
    with pytest.warns(UserWarning, match="The epoch parameter"):
        ms.step(1.0, epoch=5)
    with pytest.warns(UserWarning, match="The epoch parameter"):
        ts.step(1.0, epoch=5)
    assert ms.last_epoch == ts.last_epoch == 5
    topt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))]})
    mopt.add_param_group({"params": [nn.Parameter(minitorch.zeros(1))]})
    with pytest.raises(RuntimeError) as te:
        ts.step(2.0)
    with pytest.raises(RuntimeError) as me:
        ms.step(2.0)
    assert str(me.value) == str(te.value)


# ---------------------------------------------------------------------------------- errors
def _errors():
    def onecycle(**kw):
        return lambda S, o: S.OneCycleLR(o, **kw)

    return [
        onecycle(max_lr=0.1),
        onecycle(max_lr=0.1, epochs=3),
        onecycle(max_lr=0.1, total_steps=0),
        onecycle(max_lr=0.1, total_steps=2.5),
        onecycle(max_lr=0.1, epochs=0, steps_per_epoch=3),
        onecycle(max_lr=0.1, epochs=2, steps_per_epoch=-1),
        onecycle(max_lr=0.1, total_steps=10, pct_start=1),
        onecycle(max_lr=0.1, total_steps=10, pct_start=1.5),
        onecycle(max_lr=0.1, total_steps=10, anneal_strategy="exp"),
        onecycle(max_lr=[0.1, 0.2, 0.3], total_steps=10),
        onecycle(max_lr=0.1, total_steps=10, max_momentum=[0.9]),
        lambda S, o: S.LinearLR(o, start_factor=0),
        lambda S, o: S.LinearLR(o, start_factor=1.5),
        lambda S, o: S.LinearLR(o, end_factor=-0.1),
        lambda S, o: S.ConstantLR(o, factor=1.5),
        lambda S, o: S.LambdaLR(o, [lambda e: 1.0]),
        lambda S, o: S.MultiplicativeLR(o, 0.9),
        lambda S, o: S.MultiplicativeLR(o, [lambda e: 1.0, 0.9]),
        lambda S, o: S.ReduceLROnPlateau(o, mode="mean"),
        lambda S, o: S.ReduceLROnPlateau(o, threshold_mode="relative"),
        lambda S, o: S.ReduceLROnPlateau(o, factor=1.0),
        lambda S, o: S.ReduceLROnPlateau(o, min_lr=[0.1]),
        lambda S, o: S.ReduceLROnPlateau("not an optimizer"),
        lambda S, o: S.StepLR("not an optimizer", 3),
        lambda S, o: S.SequentialLR(o, [S.ConstantLR(o), S.ExponentialLR(o, 0.9)],
                                    milestones=[2, 4]),
        lambda S, o: S.SequentialLR(o, [], milestones=[]),
        lambda S, o: S.SequentialLR(o, [S.ConstantLR(o), S.ReduceLROnPlateau(o)],
                                    milestones=[3]),
        lambda S, o: S.SequentialLR(o, [S.ConstantLR(o), object()], milestones=[3]),
        lambda S, o: S.ChainedScheduler([]),
        lambda S, o: S.ChainedScheduler([S.ConstantLR(o), S.ReduceLROnPlateau(o)]),
        lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0),
        lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2.0),
        lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
        lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"),
        lambda S, o: S.CyclicLR(o, 0.01, 0.1, mode="sine"),
        lambda S, o: S.CyclicLR(o, [0.01], 0.1),
    ]


@pytest.mark.parametrize("i", range(len(_errors())))
def test_bad_arguments_raise_like_torch(i):
    make = _errors()[i]
    topt, mopt = _optimizers()
    with pytest.raises(Exception) as te:
        make(torch.optim.lr_scheduler, topt)
    with pytest.raises(Exception) as me:
        make(minitorch.optim.lr_scheduler, mopt)
    assert type(me.value) is type(te.value)
    assert str(me.value) == str(te.value)


def test_cycle_momentum_needs_momentum_or_betas():
    for lib in (torch, minitorch):
        p = torch.nn.Parameter(torch.zeros(1)) if lib is torch else nn.Parameter(
            minitorch.zeros(1))
        opt = lib.optim.Adagrad([p], lr=0.1)
        for make in (lambda: lib.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=5),
                     lambda: lib.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1)):
            with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
                make()
        lib.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=5, cycle_momentum=False)


def test_one_cycle_past_total_steps_and_other_mismatches():
    topt, mopt = _optimizers()
    ts = torch.optim.lr_scheduler.OneCycleLR(topt, 0.1, total_steps=3)
    ms = minitorch.optim.lr_scheduler.OneCycleLR(mopt, 0.1, total_steps=3)
    for _ in range(3):
        topt.step()
        mopt.step()
        ts.step()
        ms.step()
    with pytest.raises(ValueError) as te:
        ts.step()
    with pytest.raises(ValueError) as me:
        ms.step()
    assert str(me.value) == str(te.value) == \
        "Tried to step 4 times. The specified number of total steps is 3"
    # a member scheduler of another optimizer
    topt2, mopt2 = _optimizers()
    for lib, o, o2 in ((torch, topt, topt2), (minitorch, mopt, mopt2)):
        S = lib.optim.lr_scheduler
        with pytest.raises(ValueError, match="expects all schedulers to belong to the same "
                           "optimizer, but got scheduler ConstantLR at index 1 has"):
            S.SequentialLR(o, [S.ConstantLR(o), S.ConstantLR(o2)], milestones=[2])


# -------------------------------------------------------------------------------- warnings
def test_warnings_like_torch():
    def record(fn):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            fn()
        return [str(x.message) for x in w]

    topt, mopt = _optimizers()
    ts = torch.optim.lr_scheduler.ExponentialLR(topt, 0.9)
    ms = minitorch.optim.lr_scheduler.ExponentialLR(mopt, 0.9)
    t, m = record(ts.step), record(ms.step)  # before any optimizer.step()
    assert m == t and len(m) == 1 and "before `optimizer.step()`" in m[0]
    t, m = record(ts.get_lr), record(ms.get_lr)
    assert m == t and "get_last_lr()" in m[0]
    for o in (topt, mopt):
        assert record(o.step) == []
    assert record(ts.step) == record(ms.step) == []


def test_names_and_types():
    S = minitorch.optim.lr_scheduler
    assert sorted(S.__all__) == sorted(torch.optim.lr_scheduler.__all__)
    for name in S.__all__:
        cls = getattr(S, name)
        assert cls.__name__ == name
        assert issubclass(cls, S.LRScheduler)
    assert S._LRScheduler.__name__ == "_LRScheduler" and issubclass(S._LRScheduler,
                                                                      S.LRScheduler)


# ------------------------------------------------------------------------------ end to end
def _linear_pair():
    torch.manual_seed(0)
    tm = torch.nn.Linear(4, 3).double()
    mm = nn.Linear(4, 3).to(minitorch.float64)
    mm.load_state_dict({k: minitorch.tensor(v.detach().numpy()) for k, v in
                        tm.state_dict().items()})
    x, y = torch.randn(8, 4, dtype=torch.float64), torch.randn(8, 3, dtype=torch.float64)
    return tm, mm, x, y


def _train(make_opt, make_sched, plateau=False, steps=20):
    tm, mm, x, y = _linear_pair()
    mx, my = minitorch.tensor(x.numpy()), minitorch.tensor(y.numpy())
    runs = []
    for lib, model, xx, yy in ((torch, tm, x, y), (minitorch, mm, mx, my)):
        opt = make_opt(lib, model)
        sched = make_sched(lib, opt)
        lrs = []
        for _ in range(steps):
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(model(xx), yy)
            loss.backward()
            opt.step()
            sched.step(loss.item()) if plateau else sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        runs.append((model, lrs))
    (tm, tlrs), (mm, mlrs) = runs
    for (k, a), b in zip(tm.state_dict().items(), mm.state_dict().values()):
        np.testing.assert_allclose(b.numpy(), a.detach().numpy(), atol=1e-5, rtol=1e-5,
                                   err_msg=k)
    return tlrs, mlrs


def test_train_with_one_cycle_matches_torch():
    tlrs, mlrs = _train(
        lambda lib, m: lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9),
        lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=0.3, total_steps=20))
    assert np.allclose(mlrs, tlrs, atol=1e-9) and max(mlrs) > 10 * mlrs[-1]
    tlrs, mlrs = _train(
        lambda lib, m: lib.optim.Adam(m.parameters(), lr=0.01),
        lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=0.05, total_steps=20,
                                                         three_phase=True), steps=12)
    assert np.allclose(mlrs, tlrs, atol=1e-9)


def test_train_with_reduce_on_plateau_matches_torch():
    tlrs, mlrs = _train(
        lambda lib, m: lib.optim.SGD(m.parameters(), lr=0.5),
        lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, patience=1, factor=0.5,
                                                                threshold=0.05),
        plateau=True)
    assert np.allclose(mlrs, tlrs, atol=1e-9) and mlrs[-1] < 0.5
