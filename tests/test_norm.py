"""Normalization, dropout, pad and resize (ops/norm.py, functions/normalization.py, nn layers),
and nn.Module's buffers / state_dict / train-eval semantics — side by side with torch."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import minitorch as mt
import minitorch.nn as nn
import minitorch.nn.functional as F
from minitorch.ops import launcher
from minitorch.testing import assert_close, gradcheck, gradgradcheck

PHASES = [Phase.explicit, Phase.generate]
SET = settings(max_examples=12, deadline=None, derandomize=True, database=None, phases=PHASES)
FEW = settings(max_examples=6, deadline=None, derandomize=True, database=None, phases=PHASES)
TOL = {np.float32: (1e-4, 1e-5), np.float64: (1e-9, 1e-10)}

fdtypes = st.sampled_from([np.float32, np.float64])
seeds = st.integers(0, 2**16)


def pair(arr, requires_grad=False):
    arr = np.ascontiguousarray(arr)
    a, b = mt.tensor(arr), torch.tensor(arr)
    if requires_grad:
        a.requires_grad_(True)
        b.requires_grad_(True)
    return a, b


def strided_pair(rng, shape, dtype, layout, requires_grad=True):
    """(minitorch leaf, torch leaf, minitorch view, torch view): the view has ``shape`` and the
    requested layout: 'C' contiguous, 'CL' channels last (dim 1 innermost), 'step' every other
    element of the last dim."""
    shape = tuple(shape)
    if layout == "CL" and len(shape) >= 3:
        perm = (0,) + tuple(range(2, len(shape))) + (1,)
        base = tuple(shape[p] for p in perm)
        inv = tuple(int(i) for i in np.argsort(perm))
        view = lambda x: x.permute(*inv)  # noqa: E731
    elif layout == "step":
        base = shape[:-1] + (2 * shape[-1],)
        view = lambda x: x[..., ::2]  # noqa: E731
    else:
        base = shape
        view = lambda x: x  # noqa: E731
    data = rng.standard_normal(base).astype(dtype) * 1.5 + 0.5
    a, b = pair(data, requires_grad)
    va, vb = view(a), view(b)
    assert tuple(va.shape) == shape
    return a, b, va, vb


def close(a, b, dtype, scale=1.0):
    r, t = TOL[dtype]
    assert_close(a, b, rtol=r * scale, atol=t * scale)


def backward_both(ma, ta, rng):
    g = rng.standard_normal(tuple(ta.shape)).astype(np.float64)
    mg, tg = pair(g)
    ma.backward(mg.to(ma.dtype))
    ta.backward(tg.to(ta.dtype))


def t2m(t):
    return mt.tensor(t.detach().numpy().copy())


# =============================================================================================
# batch norm
# =============================================================================================
@st.composite
def bn_case(draw):
    nd = draw(st.sampled_from([2, 3, 4]))
    N = draw(st.integers(2, 4))
    C = draw(st.integers(1, 4))
    spatial = tuple(draw(st.integers(1, 4)) for _ in range(nd - 2))
    return (N, C) + spatial


@SET
@given(shape=bn_case(), dtype=fdtypes, layout=st.sampled_from(["C", "CL", "step"]),
       training=st.booleans(), affine=st.booleans(), momentum=st.sampled_from([0.1, 0.5, None]),
       seed=seeds)
def test_batch_norm_matches_torch(shape, dtype, layout, training, affine, momentum, seed):
    rng = np.random.default_rng(seed)
    _, _, mx, tx = strided_pair(rng, shape, dtype, layout)
    C = shape[1]
    mw, tw = pair(rng.standard_normal(C).astype(dtype), True) if affine else (None, None)
    mb, tb = pair(rng.standard_normal(C).astype(dtype), True) if affine else (None, None)
    mrm, trm = pair(rng.standard_normal(C).astype(dtype))
    mrv, trv = pair(rng.uniform(0.5, 2, C).astype(dtype))
    mom = 0.25 if momentum is None else momentum
    my = F.batch_norm(mx, mrm, mrv, mw, mb, training, mom, 1e-5)
    ty = TF.batch_norm(tx, trm, trv, tw, tb, training, mom, 1e-5)
    close(my, ty, dtype)
    close(mrm, trm, dtype)
    close(mrv, trv, dtype)
    backward_both(my, ty, rng)
    mleaf = mx if mx.is_leaf else mx._base
    tleaf = tx if tx.is_leaf else tx._base
    close(mleaf.grad, tleaf.grad, dtype, scale=10)
    if affine:
        close(mw.grad, tw.grad, dtype, scale=10)
        close(mb.grad, tb.grad, dtype, scale=10)


def test_batch_norm_is_one_launch_each_way():
    x = mt.randn(4, 3, 5, 5, requires_grad=True)
    bn = nn.BatchNorm2d(3)
    y = bn(x)
    launcher.stats.reset()
    y2 = bn(x)
    # the same launch counts the batch in num_batches_tracked (and bumps its version)
    assert launcher.stats.launches == 1
    assert bn.num_batches_tracked.item() == 2 and bn.num_batches_tracked._version == 3  # as torch
    launcher.stats.reset()
    y2.backward(mt.ones_like(y2))
    assert launcher.stats.by_kernel.get("batch_norm_bwd_kernel") == 1
    del y


def test_num_batches_tracked_counts_as_torch_even_on_a_refused_batch():
    for lib in (mt, torch):
        bn = lib.nn.BatchNorm1d(3)
        bn(lib.ones(4, 3))
        with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
            bn(lib.ones(1, 3))
        bn.eval()
        bn(lib.ones(1, 3))
        assert bn.num_batches_tracked.item() == 2, lib


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(training):
    mt.manual_seed(0)
    x = mt.randn(3, 2, 2, dtype=mt.float64, requires_grad=True)
    w = mt.randn(2, dtype=mt.float64, requires_grad=True)
    b = mt.randn(2, dtype=mt.float64, requires_grad=True)
    rm = mt.randn(2, dtype=mt.float64)
    rv = mt.rand(2, dtype=mt.float64) + 0.5
    fn = lambda x, w, b: F.batch_norm(x, rm.clone(), rv.clone(), w, b, training, 0.1)  # noqa
    assert gradcheck(fn, (x, w, b))
    x1 = mt.randn(3, 2, dtype=mt.float64, requires_grad=True)
    assert gradgradcheck(lambda x, w: F.batch_norm(x, rm.clone(), rv.clone(), w, None, training),
                         (x1, w))


def test_batch_norm_double_backward_matches_torch():
    rng = np.random.default_rng(3)
    mx, tx = pair(rng.standard_normal((4, 3, 2)), True)
    mw, tw = pair(rng.standard_normal(3), True)
    outs = []
    for lib, x, w, Fn in ((mt, mx, mw, F), (torch, tx, tw, TF)):
        y = Fn.batch_norm(x, None, None, w, None, True)
        gx, gw = lib.autograd.grad((y * y.tanh()).sum(), (x, w), create_graph=True)
        (gx.pow(2).sum() + gw.sin().sum()).backward()
        outs.append((gx, gw, x.grad, w.grad))
    for a, b in zip(*outs):
        close(a, b, np.float64, scale=100)


class _Net:
    @staticmethod
    def pair(momentum=0.1, affine=True, track=True, dims=2):
        torch.manual_seed(0)
        T = tnn.BatchNorm2d if dims == 2 else tnn.BatchNorm1d
        M = nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d
        t = T(3, momentum=momentum, affine=affine, track_running_stats=track)
        m = M(3, momentum=momentum, affine=affine, track_running_stats=track)
        if affine:
            with torch.no_grad():
                t.weight.uniform_(0.5, 1.5)
                t.bias.uniform_(-0.5, 0.5)
            m.weight.data.copy_(t2m(t.weight))
            m.bias.data.copy_(t2m(t.bias))
        return m, t


@pytest.mark.parametrize("momentum,affine,track,dims", [(0.1, True, True, 2), (None, True, True, 2),
                                                        (0.3, False, True, 1),
                                                        (0.1, True, False, 2)])
def test_batchnorm_module_train_steps_then_eval(momentum, affine, track, dims):
    m, t = _Net.pair(momentum, affine, track, dims)
    rng = np.random.default_rng(0)
    shape = (5, 3, 4, 4) if dims == 2 else (6, 3)
    for step in range(4):
        mx, tx = pair((rng.standard_normal(shape) * (step + 1) + step).astype(np.float32), True)
        my, ty = m(mx), t(tx)
        close(my, ty, np.float32, scale=10)
        backward_both(my, ty, rng)
        close(mx.grad, tx.grad, np.float32, scale=10)
    if track:
        close(m.running_mean, t.running_mean, np.float32, scale=10)
        close(m.running_var, t.running_var, np.float32, scale=10)
        assert m.num_batches_tracked.item() == t.num_batches_tracked.item() == 4
        assert m.num_batches_tracked.dtype == mt.int64
    else:
        assert m.running_mean is None and list(m.state_dict()) == list(t.state_dict())
    if affine:
        close(m.weight.grad, t.weight.grad, np.float32, scale=10)
        close(m.bias.grad, t.bias.grad, np.float32, scale=10)
    m.eval()
    t.eval()
    mx, tx = pair(rng.standard_normal(shape).astype(np.float32))
    close(m(mx), t(tx), np.float32, scale=10)


def test_batchnorm_state_dict_and_repr_match_torch():
    for args, kw in (((3,), {}), ((4,), dict(affine=False, momentum=None)),
                     ((2,), dict(track_running_stats=False, eps=1e-3))):
        for M, T in ((nn.BatchNorm1d, tnn.BatchNorm1d), (nn.BatchNorm2d, tnn.BatchNorm2d)):
            m, t = M(*args, **kw), T(*args, **kw)
            assert repr(m) == repr(t)
            ms, ts = m.state_dict(), t.state_dict()
            assert list(ms) == list(ts)
            for k in ts:
                assert_close(ms[k], ts[k], check_dtype=False)
                assert str(ms[k].dtype) == str(ts[k].dtype)
            assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert repr(nn.GroupNorm(2, 4)) == repr(tnn.GroupNorm(2, 4))
    assert repr(nn.GroupNorm(2, 4, affine=False)) == repr(tnn.GroupNorm(2, 4, affine=False))
    assert repr(nn.LayerNorm((3, 4), bias=False)) == repr(tnn.LayerNorm((3, 4), bias=False))
    for M, T in ((nn.Dropout, tnn.Dropout), (nn.Dropout2d, tnn.Dropout2d),
                 (nn.Dropout1d, tnn.Dropout1d)):
        assert repr(M(0.2, inplace=True)) == repr(T(0.2, inplace=True))
    assert repr(nn.Unflatten(1, (2, 3))) == repr(tnn.Unflatten(1, (2, 3)))
    assert repr(nn.Flatten(0, 2)) == repr(tnn.Flatten(0, 2))
    assert repr(nn.Identity(3, k=1)) == repr(tnn.Identity(3, k=1))
    assert repr(nn.ReLU(inplace=True)) == repr(tnn.ReLU(inplace=True))
    assert repr(nn.Upsample(scale_factor=2)) == repr(tnn.Upsample(scale_factor=2))


def test_batchnorm_loads_checkpoint_without_num_batches_tracked():
    m, t = nn.BatchNorm1d(3), tnn.BatchNorm1d(3)
    sd = {k: v for k, v in t.state_dict().items() if k != "num_batches_tracked"}
    r_t = t.load_state_dict(sd)
    r_m = m.load_state_dict({k: t2m(v) for k, v in sd.items()})
    assert r_m.missing_keys == r_t.missing_keys == []


def test_batchnorm_errors_as_torch():
    def same(fm, ft):
        with pytest.raises(Exception) as et:
            ft()
        with pytest.raises(type(et.value)) as em:
            fm()
        assert str(em.value) == str(et.value)
    same(lambda: nn.BatchNorm1d(3)(mt.randn(1, 3)), lambda: tnn.BatchNorm1d(3)(torch.randn(1, 3)))
    same(lambda: nn.BatchNorm2d(3)(mt.randn(1, 3, 1, 1)),
         lambda: tnn.BatchNorm2d(3)(torch.randn(1, 3, 1, 1)))
    same(lambda: nn.BatchNorm1d(3)(mt.randn(2, 4)), lambda: tnn.BatchNorm1d(3)(torch.randn(2, 4)))
    same(lambda: nn.BatchNorm2d(3)(mt.randn(2, 4, 2, 2)),
         lambda: tnn.BatchNorm2d(3)(torch.randn(2, 4, 2, 2)))
    same(lambda: nn.BatchNorm2d(3)(mt.randn(2, 3, 2)),
         lambda: tnn.BatchNorm2d(3)(torch.randn(2, 3, 2)))
    same(lambda: nn.BatchNorm1d(3)(mt.randn(2, 3, 2, 2)),
         lambda: tnn.BatchNorm1d(3)(torch.randn(2, 3, 2, 2)))
    same(lambda: F.batch_norm(mt.randn(2, 3), None, None),
         lambda: TF.batch_norm(torch.randn(2, 3), None, None))
    same(lambda: nn.GroupNorm(4, 6), lambda: tnn.GroupNorm(4, 6))
    same(lambda: F.group_norm(mt.randn(2, 6, 3), 4), lambda: TF.group_norm(torch.randn(2, 6, 3), 4))
    same(lambda: F.layer_norm(mt.randn(2, 3), (4,)), lambda: TF.layer_norm(torch.randn(2, 3), (4,)))
    # batch size 1 is fine in eval mode
    bn = nn.BatchNorm1d(3).eval()
    assert tuple(bn(mt.randn(1, 3)).shape) == (1, 3)


# =============================================================================================
# freezing a network with BatchNorm
# =============================================================================================
def _body_pair():
    torch.manual_seed(1)
    t = tnn.Sequential(tnn.Linear(4, 6), tnn.BatchNorm1d(6), tnn.ReLU(), tnn.Linear(6, 6),
                       tnn.BatchNorm1d(6))
    m = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 6),
                      nn.BatchNorm1d(6))
    m.load_state_dict({k: t2m(v) for k, v in t.state_dict().items()})
    return m, t


def test_frozen_batchnorm_in_train_mode_still_updates_running_stats():
    """The pitfall torch users meet: requires_grad=False does not freeze BatchNorm's buffers."""
    m, t = _body_pair()
    for model in (m, t):
        for p in model.parameters():
            p.requires_grad = False
    before_m = {k: v.clone() for k, v in m.state_dict().items()}
    rng = np.random.default_rng(0)
    for _ in range(2):
        mx, tx = pair(rng.standard_normal((8, 4)).astype(np.float32) + 1.0)
        m(mx)
        t(tx)
    after_m, after_t = m.state_dict(), t.state_dict()
    for k in after_t:
        assert_close(after_m[k], after_t[k], rtol=1e-4, atol=1e-5, check_dtype=False)
    changed = [k for k in before_m if not mt.equal(before_m[k], after_m[k])]
    assert changed == ["1.running_mean", "1.running_var", "1.num_batches_tracked",
                       "4.running_mean", "4.running_var", "4.num_batches_tracked"]


def test_frozen_body_in_eval_mode_is_bit_identical_after_training():
    m, _ = _body_pair()
    body = m
    for p in body.parameters():
        p.requires_grad = False
    body.eval()
    head = nn.Linear(6, 3)
    opt = mt.optim.SGD(head.parameters(), lr=1e-2, momentum=0.9)
    before = {k: v.clone() for k, v in body.state_dict().items()}
    mt.manual_seed(0)
    for _ in range(3):
        x, y = mt.randn(8, 4), mt.randint(0, 3, (8,))
        loss = F.cross_entropy(head(body(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = body.state_dict()
    assert list(after) == list(before)
    for k in before:
        assert mt.equal(before[k], after[k]), k
    assert all(p.grad is None for p in body.parameters())


# =============================================================================================
# layer norm / group norm
# =============================================================================================
@SET
@given(lead=st.lists(st.integers(1, 3), min_size=1, max_size=2),
       norm=st.lists(st.integers(1, 5), min_size=1, max_size=2), dtype=fdtypes,
       layout=st.sampled_from(["C", "step"]), affine=st.sampled_from(["none", "w", "wb"]),
       seed=seeds)
def test_layer_norm_matches_torch(lead, norm, dtype, layout, affine, seed):
    rng = np.random.default_rng(seed)
    shape = tuple(lead) + tuple(norm)
    mleaf, tleaf, mx, tx = strided_pair(rng, shape, dtype, layout)
    ns = tuple(norm)
    mw, tw = pair(rng.standard_normal(ns).astype(dtype), True) if affine != "none" else (None,
                                                                                          None)
    mb, tb = pair(rng.standard_normal(ns).astype(dtype), True) if affine == "wb" else (None,
                                                                                       None)
    my, ty = F.layer_norm(mx, ns, mw, mb), TF.layer_norm(tx, ns, tw, tb)
    close(my, ty, dtype, scale=10)
    backward_both(my, ty, rng)
    close(mleaf.grad, tleaf.grad, dtype, scale=10)
    if mw is not None:
        close(mw.grad, tw.grad, dtype, scale=10)
    if mb is not None:
        close(mb.grad, tb.grad, dtype, scale=10)


@SET
@given(N=st.integers(1, 3), G=st.integers(1, 3), cpg=st.integers(1, 3),
       spatial=st.lists(st.integers(1, 3), min_size=0, max_size=2), dtype=fdtypes,
       layout=st.sampled_from(["C", "CL", "step"]), affine=st.booleans(), seed=seeds)
def test_group_norm_matches_torch(N, G, cpg, spatial, dtype, layout, affine, seed):
    rng = np.random.default_rng(seed)
    C = G * cpg
    shape = (N, C) + tuple(spatial)
    if layout == "step" and len(shape) == 2:
        layout = "C"
    mleaf, tleaf, mx, tx = strided_pair(rng, shape, dtype, layout)
    mw, tw = pair(rng.standard_normal(C).astype(dtype), True) if affine else (None, None)
    mb, tb = pair(rng.standard_normal(C).astype(dtype), True) if affine else (None, None)
    if N * cpg * int(np.prod(spatial)) == 1:  # torch refuses one value per channel
        with pytest.raises(ValueError) as et:
            TF.group_norm(tx, G, tw, tb)
        with pytest.raises(ValueError) as em:
            F.group_norm(mx, G, mw, mb)
        assert str(em.value) == str(et.value)
        return
    my, ty = F.group_norm(mx, G, mw, mb), TF.group_norm(tx, G, tw, tb)
    close(my, ty, dtype, scale=10)
    backward_both(my, ty, rng)
    close(mleaf.grad, tleaf.grad, dtype, scale=100)
    if affine:
        close(mw.grad, tw.grad, dtype, scale=10)
        close(mb.grad, tb.grad, dtype, scale=10)


def test_layer_and_group_norm_gradcheck():
    mt.manual_seed(0)
    x = mt.randn(2, 2, 3, dtype=mt.float64, requires_grad=True)
    w = mt.randn(2, 3, dtype=mt.float64, requires_grad=True)
    b = mt.randn(2, 3, dtype=mt.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (2, 3), w, b), (x, w, b))
    x1 = mt.randn(2, 3, dtype=mt.float64, requires_grad=True)
    w1 = mt.randn(3, dtype=mt.float64, requires_grad=True)
    assert gradgradcheck(lambda x, w: F.layer_norm(x, (3,), w), (x1, w1))
    wc = mt.randn(2, dtype=mt.float64, requires_grad=True)
    bc = mt.randn(2, dtype=mt.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, wc, bc))
    x2 = mt.randn(1, 2, 2, dtype=mt.float64, requires_grad=True)
    assert gradgradcheck(lambda x, w: F.group_norm(x, 1, w), (x2, wc))


def test_layer_norm_is_one_fused_launch():
    ln = nn.LayerNorm(8)
    x = mt.randn(4, 8, requires_grad=True)
    launcher.stats.reset()
    y = ln(x)
    assert launcher.stats.launches == 1
    launcher.stats.reset()
    y.backward(mt.ones_like(y))
    assert launcher.stats.by_kernel.get("row_norm_bwd_kernel") == 1


def test_norm_modules_match_torch():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    tg, mg = tnn.GroupNorm(2, 4), nn.GroupNorm(2, 4)
    tl_, ml = tnn.LayerNorm([4, 3]), nn.LayerNorm([4, 3])
    for t, m in ((tg, mg), (tl_, ml)):
        with torch.no_grad():
            for p in t.parameters():
                p.uniform_(-1, 1)
        m.load_state_dict({k: t2m(v) for k, v in t.state_dict().items()})
        mx, tx = pair(rng.standard_normal((2, 4, 3)).astype(np.float32), True)
        my, ty = m(mx), t(tx)
        close(my, ty, np.float32, scale=10)
        backward_both(my, ty, rng)
        close(mx.grad, tx.grad, np.float32, scale=10)
        for (n, mp), (_, tp) in zip(m.named_parameters(), t.named_parameters()):
            close(mp.grad, tp.grad, np.float32, scale=10)


# =============================================================================================
# dropout
# =============================================================================================
def test_dropout_statistics_mask_and_backward():
    mt.manual_seed(0)
    x = mt.randn(4000, requires_grad=True)
    y = F.dropout(x, 0.3)
    dropped = (y == 0).float().mean().item()
    assert 0.27 < dropped < 0.33
    kept = y != 0
    assert_close(y[kept], x[kept] / 0.7, rtol=1e-6, atol=1e-6)
    y.backward(mt.ones_like(y))
    # backward regenerates the same mask: gradient 1/(1-p) where kept, 0 where dropped
    assert mt.equal(x.grad != 0, kept)
    assert_close(x.grad[kept], mt.full((int(kept.sum().item()),), 1 / 0.7), rtol=1e-6, atol=1e-6)


def test_dropout_seeded_determinism_and_modes():
    x = mt.randn(50, 40)
    mt.manual_seed(5)
    a = F.dropout(x, 0.5)
    mt.manual_seed(5)
    b = F.dropout(x, 0.5)
    c = F.dropout(x, 0.5)
    assert mt.equal(a, b) and not mt.equal(b, c)
    assert F.dropout(x, 0.5, training=False) is x
    assert mt.equal(F.dropout(x, 0.0), x)
    assert mt.equal(F.dropout(x, 1.0), mt.zeros_like(x))
    d = nn.Dropout(0.5)
    d.eval()
    assert d(x) is x
    d.train()
    assert not mt.equal(d(x), x)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError):
        nn.Dropout2d(-0.1)


def test_dropout_inplace_and_noncontiguous():
    mt.manual_seed(1)
    x = mt.randn(6, 8)
    x0 = x.clone()
    mt.manual_seed(2)
    ref = F.dropout(x, 0.4)
    mt.manual_seed(2)
    out = F.dropout(x, 0.4, inplace=True)
    assert out is x and mt.equal(x, ref)
    # inplace on a non-leaf in a graph: gradient flows as out of place
    w = x0.clone().requires_grad_()
    h = w * 2
    mt.manual_seed(3)
    F.dropout(h, 0.4, inplace=True).sum().backward()
    assert mt.equal(w.grad != 0, h.detach() != 0)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.dropout(mt.randn(3, requires_grad=True), 0.5, inplace=True)
    xt = mt.randn(8, 6).t()  # non-contiguous
    mt.manual_seed(4)
    a = F.dropout(xt, 0.5)
    mt.manual_seed(4)
    b = F.dropout(xt.contiguous(), 0.5)
    assert mt.equal(a, b)


def test_dropout_gradcheck():
    x = mt.randn(3, 4, dtype=mt.float64, requires_grad=True)

    def fn(x):
        mt.manual_seed(0)
        return F.dropout(x, 0.3)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_dropout2d_drops_whole_channels():
    mt.manual_seed(0)
    x = mt.randn(16, 8, 3, 3) + 10.0  # no exact zeros in the input
    y = F.dropout2d(x, 0.5)
    zeros_per_channel = (y == 0).float().sum((2, 3))
    assert set(zeros_per_channel.reshape(-1).tolist()) <= {0.0, 9.0}
    frac = (zeros_per_channel == 9.0).float().mean().item()
    assert 0.35 < frac < 0.65
    kept = (zeros_per_channel == 0).unsqueeze(-1).unsqueeze(-1).expand(16, 8, 3, 3)
    assert_close(y[kept], x[kept] * 2.0, rtol=1e-6, atol=1e-6)
    assert mt.equal(nn.Dropout2d(0.5).eval()(x), x)
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        y3 = F.dropout2d(mt.randn(4, 5, 6) + 10.0)
    z = (y3 == 0).float().sum(2)
    assert set(z.reshape(-1).tolist()) <= {0.0, 6.0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yt = TF.dropout2d(torch.randn(4, 5, 6))
    assert tuple(yt.shape) == tuple(y3.shape)


# =============================================================================================
# pad
# =============================================================================================
@st.composite
def pad_case(draw):
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    k = draw(st.integers(1, 3))
    nd = draw(st.sampled_from([k + 1, k + 2]))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    if mode == "reflect":
        shape = shape[:nd - k] + tuple(s + 1 for s in shape[nd - k:])
    pads = []
    for j in range(k):
        size = shape[nd - 1 - j]
        lo = -1 if mode == "constant" and size > 2 else 0
        hi = size - 1 if mode == "reflect" else (size if mode == "circular" else 3)
        pads += [draw(st.integers(lo, hi)), draw(st.integers(lo, hi))]
    return mode, shape, tuple(pads)


@SET
@given(case=pad_case(), dtype=fdtypes, layout=st.sampled_from(["C", "CL", "step"]),
       value=st.sampled_from([0.0, 1.5]), seed=seeds)
def test_pad_matches_torch(case, dtype, layout, value, seed):
    mode, shape, pads = case
    rng = np.random.default_rng(seed)
    mleaf, tleaf, mx, tx = strided_pair(rng, shape, dtype, layout)
    kw = dict(value=value) if mode == "constant" else {}
    my, ty = F.pad(mx, pads, mode=mode, **kw), TF.pad(tx, pads, mode=mode, **kw)
    close(my, ty, dtype)
    backward_both(my, ty, rng)
    close(mleaf.grad, tleaf.grad, dtype)


def test_pad_constant_many_dims_and_gradcheck():
    rng = np.random.default_rng(0)
    mx, tx = pair(rng.standard_normal((2, 3, 2, 2)), True)
    pads = (1, 0, 0, 2, 1, 1, 2, 0)
    my, ty = F.pad(mx, pads, value=-1.0), TF.pad(tx, pads, value=-1.0)
    close(my, ty, np.float64)
    backward_both(my, ty, rng)
    close(mx.grad, tx.grad, np.float64)
    x = mt.randn(1, 3, 3, dtype=mt.float64, requires_grad=True)
    for mode in ("constant", "reflect", "replicate", "circular"):
        assert gradcheck(lambda x: F.pad(x, (2, 1, 1, 2), mode=mode), (x,))
    assert gradgradcheck(lambda x: F.pad(x, (2, 1, 1, 2)), (x[0, :2],))


def test_pad_errors_as_torch():
    cases = [((1, 2, 3), (3, 3), "reflect"), ((3,), (1, 1), "reflect"),
             ((1, 2, 3, 4), (1, 1), "replicate"), ((1, 2, 3, 4), (1, 1, 1), "constant"),
             ((1, 2, 3, 4), (1,) * 10, "constant"), ((2, 3), (1,) * 6, "replicate"),
             ((2, 3), (1, 1), "foo")]
    for shape, pads, mode in cases:
        with pytest.raises(Exception) as et:
            TF.pad(torch.randn(shape), pads, mode=mode)
        with pytest.raises(type(et.value)) as em:
            F.pad(mt.randn(*shape), pads, mode=mode)
        assert str(em.value) == str(et.value)


# =============================================================================================
# interpolate
# =============================================================================================
@st.composite
def interp_case(draw):
    mode = draw(st.sampled_from(["nearest", "bilinear", "linear"]))
    nd = 1 if mode == "linear" else (2 if mode == "bilinear" else draw(st.sampled_from([1, 2])))
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    if draw(st.booleans()):
        kw = dict(size=tuple(draw(st.integers(1, 7)) for _ in range(nd)))
    else:
        kw = dict(scale_factor=draw(st.sampled_from([0.5, 1.5, 2.0, 3.0, 1.7])))
    align = draw(st.sampled_from([None, True, False])) if mode != "nearest" else None
    return mode, (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + spatial, kw, align


@SET
@given(case=interp_case(), dtype=fdtypes, layout=st.sampled_from(["C", "CL"]), seed=seeds)
def test_interpolate_matches_torch(case, dtype, layout, seed):
    mode, shape, kw, align = case
    if "scale_factor" in kw and any(int(s * kw["scale_factor"]) < 1 for s in shape[2:]):
        kw = dict(scale_factor=2.0)
    rng = np.random.default_rng(seed)
    mleaf, tleaf, mx, tx = strided_pair(rng, shape, dtype, layout)
    my = F.interpolate(mx, mode=mode, align_corners=align, **kw)
    ty = TF.interpolate(tx, mode=mode, align_corners=align, **kw)
    close(my, ty, dtype, scale=10)
    backward_both(my, ty, rng)
    close(mleaf.grad, tleaf.grad, dtype, scale=10)


def test_interpolate_gradcheck_errors_and_digits_resize():
    x = mt.randn(1, 1, 3, 4, dtype=mt.float64, requires_grad=True)
    assert gradcheck(lambda x: F.interpolate(x, size=(5, 3), mode="bilinear"), (x,))
    assert gradcheck(lambda x: F.interpolate(x, scale_factor=2, mode="bilinear",
                                             align_corners=True), (x,))
    assert gradcheck(lambda x: F.interpolate(x, scale_factor=2), (x,))
    x2 = mt.randn(1, 1, 2, 2, dtype=mt.float64, requires_grad=True)
    assert gradgradcheck(lambda x: F.interpolate(x, size=(2, 3), mode="bilinear"), (x2,))
    for kw in (dict(size=3, scale_factor=2), dict(), dict(scale_factor=2, align_corners=True)):
        with pytest.raises(ValueError) as et:
            TF.interpolate(torch.randn(1, 1, 4, 4), **kw)
        with pytest.raises(ValueError) as em:
            F.interpolate(mt.randn(1, 1, 4, 4), **kw)
        assert str(em.value) == str(et.value)
    with pytest.raises(NotImplementedError, match="bilinear mode needs 4D input"):
        F.interpolate(mt.randn(1, 1, 4), scale_factor=2, mode="bilinear")
    # the digits: 8x8 -> 28x28 bilinear, as a user resizes them
    rng = np.random.default_rng(0)
    mx, tx = pair(rng.uniform(0, 16, (5, 1, 8, 8)).astype(np.float32))
    close(F.interpolate(mx, size=(28, 28), mode="bilinear", align_corners=False),
          TF.interpolate(tx, size=(28, 28), mode="bilinear", align_corners=False), np.float32,
          scale=100)
    up_m, up_t = nn.Upsample(scale_factor=2), tnn.Upsample(scale_factor=2)
    close(up_m(mx), up_t(tx), np.float32)
    # a non-finite pixel stays local, as in torch (only the taps are read)
    data = rng.standard_normal((1, 1, 4, 5)).astype(np.float32)
    data[0, 0, 1, 2], data[0, 0, 3, 0] = np.inf, np.nan
    mx, tx = pair(data)
    for kw in (dict(scale_factor=2), dict(size=(7, 9), mode="bilinear"),
               dict(size=(3, 8), mode="bilinear", align_corners=True)):
        close(F.interpolate(mx, **kw), TF.interpolate(tx, **kw), np.float32)


# =============================================================================================
# shape layers
# =============================================================================================
def test_flatten_unflatten_identity_relu_inplace():
    rng = np.random.default_rng(0)
    mx, tx = pair(rng.standard_normal((2, 3, 4)).astype(np.float32))
    for M, T, args in ((nn.Flatten, tnn.Flatten, ()), (nn.Flatten, tnn.Flatten, (0, 1)),
                       (nn.Unflatten, tnn.Unflatten, (2, (2, 2))),
                       (nn.Unflatten, tnn.Unflatten, (-1, (2, -1))),
                       (nn.Identity, tnn.Identity, (5,))):
        close(M(*args)(mx), T(*args)(tx), np.float32)
    h_m = mx * 1.0
    r = nn.ReLU(inplace=True)(h_m)
    assert r is h_m
    close(h_m, TF.relu(tx), np.float32)


# =============================================================================================
# nn.Module: buffers, state_dict, train/eval, load_state_dict
# =============================================================================================
def _build(lib):
    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = lib.nn.Linear(3, 3)
            self.register_buffer("scale", lib.ones(3))
            self.register_buffer("cache", lib.zeros(2), persistent=False)
            self.bn = lib.nn.BatchNorm1d(3)
            self.alpha = lib.nn.Parameter(lib.zeros(1))

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("step", lib.zeros(1))
            self.a = Block()
            self.head = lib.nn.Linear(3, 2)
            self.b = self.a  # shared submodule
    return Net()


def test_state_dict_order_buffers_and_shared_submodules_match_torch():
    m, t = _build(mt), _build(torch)
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in m.named_buffers(remove_duplicate=False)] == \
        [n for n, _ in t.named_buffers(remove_duplicate=False)]
    assert len(list(m.buffers())) == len(list(t.buffers()))
    assert "a.cache" not in m.state_dict()
    # round trip of a model that shares a submodule
    assert str(m.load_state_dict(m.state_dict())) == str(t.load_state_dict(t.state_dict()))


def test_load_state_dict_strict_and_missing_unexpected_as_torch():
    m, t = _build(mt), _build(torch)
    sd_t = t.state_dict()
    sd_t.pop("a.bn.running_var")
    sd_t.pop("b.alpha")
    sd_t["a.extra"] = torch.zeros(1)
    sd_t["zzz"] = torch.zeros(1)
    sd_m = {k: t2m(v) for k, v in sd_t.items()}
    with pytest.raises(RuntimeError) as et:
        t.load_state_dict(sd_t)
    with pytest.raises(RuntimeError) as em:
        m.load_state_dict(sd_m)
    assert str(em.value) == str(et.value)
    rt, rm = t.load_state_dict(sd_t, strict=False), m.load_state_dict(sd_m, strict=False)
    assert sorted(rm.missing_keys) == sorted(rt.missing_keys)
    assert sorted(rm.unexpected_keys) == sorted(rt.unexpected_keys)
    # the values that matched were loaded (the shared module's last write wins in both)
    for k, v in t.state_dict().items():
        assert_close(m.state_dict()[k], v, check_dtype=False)


def test_train_eval_semantics_as_torch():
    m, t = _build(mt), _build(torch)
    for model in (m, t):
        model.eval()
        assert not any(mod.training for mod in model.modules())
        model.a.train()
        assert model.training is False and model.b.bn.training is True
        assert model.train() is model and all(mod.training for mod in model.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")


def test_register_buffer_errors_and_assignment():
    m, t = mt.nn.Module(), torch.nn.Module()
    for mod, lib in ((m, mt), (t, torch)):
        mod.register_buffer("x", lib.ones(2))
        mod.x = lib.zeros(2)  # assigning a tensor keeps it a buffer
        assert "x" in dict(mod.named_buffers())
        mod.register_buffer("y", None)
        assert "y" not in mod.state_dict()
    for bad in (lambda mod: mod.register_buffer("a.b", None),
                lambda mod: mod.register_buffer("", None),
                lambda mod: mod.register_buffer(1, None)):
        with pytest.raises(Exception) as et:
            bad(t)
        with pytest.raises(type(et.value)) as em:
            bad(m)
        assert str(em.value) == str(et.value)
    with pytest.raises(TypeError) as et:
        t.register_buffer("z", 3)
    with pytest.raises(TypeError):
        m.register_buffer("z", 3)


def test_zero_grad_keep_after_create_graph_as_torch():
    outs = []
    for lib in (mt, torch):
        lib.manual_seed(0)
        lin = lib.nn.Linear(3, 1)
        with torch.no_grad():
            lin.weight.data.copy_(lib.ones(1, 3))
        x = lib.ones(2, 3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (lin(x) ** 2).sum().backward(create_graph=True)
        assert lin.weight.grad.grad_fn is not None
        g = lin.weight.grad
        lin.zero_grad(set_to_none=False)
        assert lin.weight.grad is g and g.grad_fn is None and not g.requires_grad
        outs.append(lin.weight.grad)
    assert_close(outs[0], outs[1], check_dtype=False)


def test_to_double_converts_buffers_but_not_num_batches_tracked():
    bn = nn.BatchNorm2d(3).double()
    assert bn.running_mean.dtype == mt.float64 and bn.weight.dtype == mt.float64
    assert bn.num_batches_tracked.dtype == mt.int64
    x = mt.randn(2, 3, 2, 2, dtype=mt.float64)
    assert bn(x).dtype == mt.float64
