"""Convolution and pooling: forward and backward against torch.autograd on random (hypothesis)
geometries — stride, padding (ints, 'same', 'valid'), dilation, groups (depthwise included),
contiguous / channels-last / strided inputs, float32 and float64 — float64 finite differences,
modules with copied weights against torch.nn, launch counts, and PyTorch's error messages."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import minitorch as mt
import minitorch.nn as mnn
import minitorch.nn.functional as MF
from minitorch.ops import launcher
from minitorch.testing import assert_close, gradcheck, gradgradcheck

PHASES = [Phase.explicit, Phase.generate]  # no shrinking: each example costs kernel launches
SET = settings(max_examples=12, deadline=None, derandomize=True, database=None, phases=PHASES)
TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-9, atol=1e-10)}


def make(shape, dtype, layout, rng, requires_grad=True):
    """(minitorch view, torch view, minitorch leaf, torch leaf) of the same data; ``layout``
    'cl' = channels-last (NHWC storage permuted), 'step' = every other column, else contiguous."""
    shape = tuple(shape)
    if layout == "cl" and len(shape) >= 3:
        base = (shape[0],) + shape[2:] + (shape[1],)
        perm = (0, len(shape) - 1) + tuple(range(1, len(shape) - 1))
        view = lambda t: t.permute(*perm)  # noqa: E731
    elif layout == "step":
        base = shape[:-1] + (2 * shape[-1],)
        view = lambda t: t[..., ::2]  # noqa: E731
    else:
        base = shape
        view = lambda t: t  # noqa: E731
    data = rng.standard_normal(base).astype(dtype)
    m_leaf, t_leaf = mt.tensor(data), torch.tensor(data)
    if requires_grad:
        m_leaf.requires_grad_(True)
        t_leaf.requires_grad_(True)
    return view(m_leaf), view(t_leaf), m_leaf, t_leaf


def close(m, t, dtype, scale=1.0):
    tol = TOL[dtype]
    assert_close(m, t, rtol=tol["rtol"] * scale, atol=tol["atol"] * scale)


@st.composite
def conv_case(draw, nd=2):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin_g = draw(st.integers(1, 3))
    cout_g = draw(st.integers(1, 3))
    depthwise = draw(st.booleans()) and groups > 1
    if depthwise:
        cin_g = 1
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    pad_kind = draw(st.sampled_from(["int", "int", "tuple", "same", "valid"]))
    if pad_kind == "same":
        s = (1,) * nd
        p = "same"
    else:
        s = tuple(draw(st.integers(1, 3)) for _ in range(nd))
        p = 0 if pad_kind == "valid" else tuple(draw(st.integers(0, 2)) for _ in range(nd))
        if pad_kind == "valid":
            p = "valid"
        elif pad_kind == "int":
            p = p[0]
    pads = (0,) * nd if isinstance(p, str) else ((p,) * nd if isinstance(p, int) else p)
    spatial = tuple(max(1, d_ * (k_ - 1) + 1 - 2 * p_) + draw(st.integers(0, 5))
                    for k_, d_, p_ in zip(k, d, pads))
    n = draw(st.integers(1, 3))
    return dict(n=n, cin=cin_g * groups, cout=cout_g * groups, groups=groups, k=k, s=s, p=p, d=d,
                spatial=spatial, bias=draw(st.booleans()),
                layout=draw(st.sampled_from(["c", "cl", "step"])),
                dtype=draw(st.sampled_from([np.float32, np.float64])),
                seed=draw(st.integers(0, 2**16)))


def _run_conv(case, nd):
    rng = np.random.default_rng(case["seed"])
    dt = case["dtype"]
    xm, xt, xml, xtl = make((case["n"], case["cin"]) + case["spatial"], dt, case["layout"], rng)
    wm, wt, wml, wtl = make((case["cout"], case["cin"] // case["groups"]) + case["k"], dt,
                            "c" if case["layout"] == "cl" else case["layout"], rng)
    bm = bt = None
    if case["bias"]:
        bm, bt, _, _ = make((case["cout"],), dt, "c", rng)
    mfn, tfn = (MF.conv1d, TF.conv1d) if nd == 1 else (MF.conv2d, TF.conv2d)
    ym = mfn(xm, wm, bm, case["s"], case["p"], case["d"], case["groups"])
    yt = tfn(xt, wt, bt, case["s"], case["p"], case["d"], case["groups"])
    close(ym, yt, dt, 10)
    g = rng.standard_normal(tuple(yt.shape)).astype(dt)
    ym.backward(mt.tensor(g))
    yt.backward(torch.tensor(g))
    close(xml.grad, xtl.grad, dt, 10)
    close(wml.grad, wtl.grad, dt, 10)
    if case["bias"]:
        close(bm.grad, bt.grad, dt, 10)


@SET
@given(conv_case())
def test_conv2d_matches_torch(case):
    _run_conv(case, 2)


@settings(SET, max_examples=8)
@given(conv_case(nd=1))
def test_conv1d_matches_torch(case):
    _run_conv(case, 1)


def test_conv2d_unbatched_and_fused_relu():
    rng = np.random.default_rng(0)
    xm, xt, xml, xtl = make((3, 6, 5), np.float64, "c", rng)
    wm, wt, wml, wtl = make((4, 3, 3, 3), np.float64, "c", rng)
    bm, bt, bml, btl = make((4,), np.float64, "c", rng)
    ym = MF.conv2d(xm, wm, bm, padding=1)
    yt = TF.conv2d(xt, wt, bt, padding=1)
    close(ym, yt, np.float64)
    # the fused bias + ReLU epilogue (functions.conv.conv with activation='relu')
    from minitorch.functions import conv as FC
    launcher.stats.reset()
    zm = FC.conv(xm.unsqueeze(0), wm, bm, 1, 1, 1, 1, 2, activation="relu")
    assert launcher.stats.launches == 1
    zt = torch.relu(TF.conv2d(xt.unsqueeze(0), wt, bt, padding=1))
    close(zm, zt, np.float64)
    assert zm.grad_fn.name() == "ReluBackward0"
    (zm * zm).sum().backward()
    (zt * zt).sum().backward()
    for a, b in ((xml, xtl), (wml, wtl), (bml, btl)):
        close(a.grad, b.grad, np.float64)


def test_conv2d_launch_counts():
    rng = np.random.default_rng(1)
    xm, _, _, _ = make((2, 4, 6, 6), np.float32, "c", rng)
    wm, _, _, _ = make((8, 4, 3, 3), np.float32, "c", rng)
    bm, _, _, _ = make((8,), np.float32, "c", rng)
    launcher.stats.reset()
    y = MF.conv2d(xm, wm, bm, padding=1)
    assert launcher.stats.by_kernel == {"conv2d_fwd_kernel": 1}
    g = mt.ones(*y.shape)
    launcher.stats.reset()
    y.backward(g)
    # grad input in one launch; grad weight and grad bias share one
    assert launcher.stats.by_kernel == {"conv2d_bwd_input_kernel": 1,
                                        "conv2d_bwd_weight_kernel": 1}


def test_conv_gradcheck_float64():
    rng = np.random.default_rng(2)
    x = mt.tensor(rng.standard_normal((1, 4, 4, 3)), requires_grad=True)
    w = mt.tensor(rng.standard_normal((2, 2, 2, 3)), requires_grad=True)
    b = mt.tensor(rng.standard_normal(2), requires_grad=True)
    assert gradcheck(lambda x, w, b: MF.conv2d(x, w, b, stride=(2, 1), padding=(1, 2),
                                               dilation=(1, 2), groups=2), (x, w, b))
    x1 = mt.tensor(rng.standard_normal((1, 2, 6)), requires_grad=True)
    w1 = mt.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    assert gradcheck(lambda x, w: MF.conv1d(x, w, stride=2, padding=1), (x1, w1))


def test_conv_double_backward():
    rng = np.random.default_rng(3)
    x = mt.tensor(rng.standard_normal((1, 2, 3, 3)), requires_grad=True)
    w = mt.tensor(rng.standard_normal((2, 1, 2, 2)), requires_grad=True)
    assert gradgradcheck(lambda x, w: MF.conv2d(x, w, stride=2, padding=1, groups=2), (x, w))
    # and against torch: d/dw of |dL/dx|^2
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    wt = torch.tensor(w.detach().numpy(), requires_grad=True)
    ym = MF.conv2d(x, w, padding="same", groups=2)
    yt = TF.conv2d(xt, wt, padding="same", groups=2)
    (gm,) = mt.autograd.grad(ym.sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad(yt.sum(), xt, create_graph=True)
    (gm * gm).sum().backward()
    (gt * gt).sum().backward()
    close(w.grad, wt.grad, np.float64)


# ----------------------------------------------------------------------------------------- pooling
@st.composite
def pool_case(draw):
    kind = draw(st.sampled_from(["max", "avg"]))
    k = tuple(draw(st.integers(1, 4)) for _ in range(2))
    d = tuple(draw(st.integers(1, 2)) for _ in range(2)) if kind == "max" else (1, 1)
    p = tuple(draw(st.integers(0, ((kk - 1) * dd + 1) // 2)) for kk, dd in zip(k, d))
    s = tuple(draw(st.integers(1, 3)) for _ in range(2))
    spatial = tuple(max(1, dd * (kk - 1) + 1 - 2 * pp) + draw(st.integers(0, 5))
                    for kk, dd, pp in zip(k, d, p))
    return dict(kind=kind, k=k, s=draw(st.sampled_from([s, None])), p=p, d=d, spatial=spatial,
                n=draw(st.integers(1, 2)), c=draw(st.integers(1, 3)),
                ceil=draw(st.booleans()), cip=draw(st.booleans()),
                div=draw(st.sampled_from([None, None, 3])),
                layout=draw(st.sampled_from(["c", "cl", "step"])),
                dtype=draw(st.sampled_from([np.float32, np.float64])),
                seed=draw(st.integers(0, 2**16)))


@SET
@given(pool_case())
def test_pool2d_matches_torch(case):
    rng = np.random.default_rng(case["seed"])
    dt = case["dtype"]
    xm, xt, xml, xtl = make((case["n"], case["c"]) + case["spatial"], dt, case["layout"], rng)
    if case["kind"] == "max":
        args = (case["k"], case["s"], case["p"], case["d"], case["ceil"])
        ym, im = MF.max_pool2d(xm, *args, return_indices=True)
        yt, it = TF.max_pool2d(xt, *args, return_indices=True)
        assert np.array_equal(im.numpy(), it.numpy())
        if (it >= case["spatial"][0] * case["spatial"][1]).any():
            # a window entirely in the padding: torch reports an index outside the plane (and
            # its own backward scatters there); only the forward is comparable
            close(ym, yt, dt)
            return
    else:
        args = (case["k"], case["s"], case["p"], case["ceil"], case["cip"], case["div"])
        ym = MF.avg_pool2d(xm, *args)
        yt = TF.avg_pool2d(xt, *args)
    close(ym, yt, dt)
    g = rng.standard_normal(tuple(yt.shape)).astype(dt)
    ym.backward(mt.tensor(g))
    yt.backward(torch.tensor(g))
    close(xml.grad, xtl.grad, dt)


@settings(SET, max_examples=10)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 10), st.integers(1, 10),
       st.sampled_from(["max", "avg"]), st.sampled_from(["c", "cl", "step"]),
       st.sampled_from([np.float32, np.float64]), st.integers(0, 2**16))
def test_adaptive_pool2d_matches_torch(h, w, oh, ow, kind, layout, dt, seed):
    rng = np.random.default_rng(seed)
    xm, xt, xml, xtl = make((2, 3, h, w), dt, layout, rng)
    if kind == "max":
        ym, im = MF.adaptive_max_pool2d(xm, (oh, ow), return_indices=True)
        yt, it = TF.adaptive_max_pool2d(xt, (oh, ow), return_indices=True)
        assert np.array_equal(im.numpy(), it.numpy())
    else:
        ym = MF.adaptive_avg_pool2d(xm, (oh, None))
        yt = TF.adaptive_avg_pool2d(xt, (oh, None))
    close(ym, yt, dt)
    g = rng.standard_normal(tuple(yt.shape)).astype(dt)
    ym.backward(mt.tensor(g))
    yt.backward(torch.tensor(g))
    close(xml.grad, xtl.grad, dt)


def test_pool_gradcheck_float64():
    rng = np.random.default_rng(4)
    x = mt.tensor(rng.standard_normal((1, 1, 4, 5)), requires_grad=True)
    assert gradcheck(lambda x: MF.max_pool2d(x, 3, 2, 1, ceil_mode=True), (x,))
    assert gradcheck(lambda x: MF.avg_pool2d(x, (2, 3), (1, 2), (1, 1), ceil_mode=True,
                                             count_include_pad=False), (x,))
    assert gradcheck(lambda x: MF.adaptive_avg_pool2d(x, (3, 2)), (x,))
    assert gradcheck(lambda x: MF.adaptive_max_pool2d(x, (2, 4)), (x,))
    assert gradgradcheck(lambda x: MF.avg_pool2d(x, 2, 1, 1), (x,))


def test_pool_nan_and_unbatched_and_1d():
    x = np.arange(32, dtype=np.float32).reshape(2, 4, 4)
    x[0, 1, 1] = np.nan
    x[1, 2, 3] = -np.inf
    ym, im = MF.max_pool2d(mt.tensor(x), 2, return_indices=True)
    yt, it = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    assert_close(ym, yt, equal_nan=True)
    assert np.array_equal(im.numpy(), it.numpy())
    x1 = np.random.default_rng(5).standard_normal((2, 3, 9))
    assert_close(MF.max_pool1d(mt.tensor(x1), 3, 2, 1), TF.max_pool1d(torch.tensor(x1), 3, 2, 1))
    assert_close(MF.avg_pool1d(mt.tensor(x1), 2, ceil_mode=True),
                 TF.avg_pool1d(torch.tensor(x1), 2, ceil_mode=True))


# ----------------------------------------------------------------------------------------- modules
def _copy_params(m, t):
    for (name, pm), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        with mt.no_grad():
            pm.copy_(mt.tensor(pt.detach().numpy()))


@pytest.mark.parametrize("make_pair", [
    lambda ns: ns.Conv2d(3, 4, 3, stride=2, padding=1),
    lambda ns: ns.Conv2d(4, 4, (3, 2), padding="same", dilation=2, groups=4, bias=False),
    lambda ns: ns.Conv1d(2, 4, 3, padding="valid", groups=2),
])
def test_conv_modules_match_torch(make_pair):
    m, t = make_pair(mnn), make_pair(torch.nn)
    assert repr(m) == repr(t)
    _copy_params(m, t)
    nd = len(t.kernel_size)
    shape = (2, t.in_channels) + (7,) * nd
    rng = np.random.default_rng(6)
    xm, xt, xml, xtl = make(shape, np.float32, "c", rng)
    ym, yt = m(xm), t(xt)
    close(ym, yt, np.float32, 10)
    ym.sum().backward()
    yt.sum().backward()
    close(xml.grad, xtl.grad, np.float32, 10)
    for (_, pm), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        close(pm.grad, pt.grad, np.float32, 10)


def test_conv_module_init_and_reprs():
    mt.manual_seed(0)
    conv = mnn.Conv2d(3, 16, 3, padding=1)
    bound = 1 / math.sqrt(3 * 9)  # kaiming_uniform(a=√5) == U(±1/√fan_in)
    w = conv.weight.detach().numpy()
    b = conv.bias.detach().numpy()
    assert w.shape == (16, 3, 3, 3) and np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.3 * bound
    for args in [((3, 16, 3), dict(padding=1)), ((3, 16, 3), dict(padding="same", dilation=2,
                                                                  bias=False)),
                 ((3, 4, 5), dict(stride=2)), ((4, 4, 3), dict(groups=2))]:
        assert repr(mnn.Conv2d(*args[0], **args[1])) == repr(torch.nn.Conv2d(*args[0], **args[1]))
    assert repr(mnn.Conv1d(3, 4, 5, stride=2)) == repr(torch.nn.Conv1d(3, 4, 5, stride=2))
    for ctor in [lambda ns: ns.MaxPool2d(2), lambda ns: ns.MaxPool2d(3, 2, 1, ceil_mode=True),
                 lambda ns: ns.AvgPool2d(2), lambda ns: ns.AdaptiveAvgPool2d((1, 1)),
                 lambda ns: ns.AdaptiveMaxPool2d(3)]:
        assert repr(ctor(mnn)) == repr(ctor(torch.nn))


def test_pool_modules_match_torch():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    for ctor in [lambda ns: ns.MaxPool2d(3, 2, 1, ceil_mode=True),
                 lambda ns: ns.AvgPool2d(3, 2, 1, count_include_pad=False),
                 lambda ns: ns.AdaptiveAvgPool2d((2, 5)), lambda ns: ns.AdaptiveMaxPool2d(3)]:
        assert_close(ctor(mnn)(mt.tensor(x)), ctor(torch.nn)(torch.tensor(x)))


# ------------------------------------------------------------------------------------------ errors
def _f64(*shape):
    return np.zeros(shape, dtype=np.float32)


ERROR_CASES = [
    ("conv2d", lambda F, T: F.conv2d(T(_f64(1, 1, 8, 8)), T(_f64(16, 3, 3, 3)))),
    ("conv2d", lambda F, T: F.conv2d(T(_f64(1, 3, 2, 2)), T(_f64(16, 3, 3, 3)))),
    ("conv2d", lambda F, T: F.conv2d(T(_f64(1, 3, 4, 4)), T(_f64(2, 3, 3, 3)), dilation=2)),
    ("conv2d", lambda F, T: F.conv2d(T(_f64(1, 4, 8, 8)), T(_f64(3, 2, 3, 3)), groups=2)),
    ("conv2d", lambda F, T: F.conv2d(T(_f64(1, 3, 8, 8)), T(_f64(4, 1, 3, 3)), groups=2)),
    ("conv2d", lambda F, T: F.conv2d(T(_f64(1, 4, 8, 8)), T(_f64(4, 2, 3, 3)), groups=0)),
    ("conv2d", lambda F, T: F.conv2d(T(_f64(1, 4, 8, 8)), T(_f64(4, 4, 3, 3)), stride=0)),
    ("conv2d", lambda F, T: F.conv2d(T(_f64(1, 4, 8, 8)), T(_f64(4, 4, 3, 3)), padding=-1)),
    ("conv2d", lambda F, T: F.conv2d(T(_f64(1, 4, 8, 8)), T(_f64(4, 4, 3, 3)), dilation=0)),
    ("conv2d", lambda F, T: F.conv2d(T(_f64(1, 4, 8, 8)), T(_f64(4, 4, 3, 3)), padding="same",
                                     stride=2)),
    ("conv2d", lambda F, T: F.conv2d(T(_f64(1, 4, 8, 8)), T(_f64(4, 4, 3, 3)), padding="foo")),
    ("conv2d", lambda F, T: F.conv2d(T(_f64(4, 8, 8, 3, 3)), T(_f64(4, 4, 3, 3)))),
    ("conv2d", lambda F, T: F.conv2d(T(_f64(4, 4, 8, 8)), T(_f64(4, 4, 3, 3)), T(_f64(3)))),
    ("conv2d", lambda F, T: F.conv2d(T(_f64(1, 3, 5, 5).astype(np.float64)),
                                     T(_f64(2, 3, 3, 3)))),
    ("conv1d", lambda F, T: F.conv1d(T(_f64(1, 1, 8)), T(_f64(16, 3, 3)))),
    ("conv1d", lambda F, T: F.conv1d(T(_f64(1, 3, 2)), T(_f64(2, 3, 3)))),
    ("pool", lambda F, T: F.max_pool2d(T(_f64(1, 1, 8, 8)), 3, padding=2)),
    ("pool", lambda F, T: F.avg_pool2d(T(_f64(1, 1, 8, 8)), 3, padding=2)),
    ("pool", lambda F, T: F.max_pool2d(T(_f64(1, 1, 2, 2)), 3)),
    ("pool", lambda F, T: F.avg_pool2d(T(_f64(1, 1, 2, 2)), 3)),
    ("pool", lambda F, T: F.max_pool2d(T(_f64(8, 8)), 3)),
    ("pool", lambda F, T: F.max_pool2d(T(_f64(1, 1, 8, 8)), 0)),
    ("pool", lambda F, T: F.max_pool2d(T(_f64(1, 1, 8, 8)), 2, dilation=0)),
]


@pytest.mark.parametrize("kind,fn", ERROR_CASES)
def test_errors_match_torch(kind, fn):
    with pytest.raises(Exception) as te:
        fn(TF, torch.tensor)
    with pytest.raises(type(te.value)) as me:
        fn(MF, mt.tensor)
    assert str(me.value) == str(te.value)


def test_module_errors_match_torch():
    for kwargs in [dict(groups=2), dict(padding="foo"), dict(padding="same", stride=2)]:
        with pytest.raises(ValueError) as te:
            torch.nn.Conv2d(3, 4, 3, **kwargs)
        with pytest.raises(ValueError) as me:
            mnn.Conv2d(3, 4, 3, **kwargs)
        assert str(me.value) == str(te.value)
