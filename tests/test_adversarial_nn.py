"""Adversarial parity checks of nn layers, losses, autograd semantics and optimizers against
torch: each test is a case where minitorch once returned a different value, gradient, state or
exception than torch (found side by side, fixed, pinned here)."""
import numpy as np
import pytest
import torch
from _side_by_side import close as _close
from _side_by_side import mt

import minitorch
import minitorch.nn as nn
import minitorch.nn.functional as F

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")


def close(a, b, atol=1e-5, rtol=1e-5):
    _close(a, b, atol, rtol, equal_nan=True)


def copy_weights(tmod, mmod):
    mmod.load_state_dict({k: mt(v) for k, v in tmod.state_dict().items()})


def both_raise(fn_t, fn_m):
    with pytest.raises(Exception) as te:
        fn_t()
    with pytest.raises(type(te.value)) as me:
        fn_m()
    return te.value, me.value


# ----------------------------------------------------------------------------------- losses
@pytest.mark.parametrize("case", ["nll_weight", "ce_1d", "ce_weight_smoothing"])
def test_all_ignored_mean_has_zero_gradient(case):
    """An all-ignored batch with reduction='mean': loss nan, but torch's gradient is 0 (ignored
    rows are skipped), not nan (0 * inf)."""
    x = torch.randn(3, 4) if case != "ce_1d" else torch.randn(4)
    t = torch.tensor([1, 1, 1]) if case != "ce_1d" else torch.tensor(1)
    w = torch.tensor([1.0, 2.0, 0.5, 3.0])

    def run(lib, x, t, w):
        F_ = torch.nn.functional if lib is torch else F
        if case == "nll_weight":
            return F_.nll_loss(x, t, weight=w, ignore_index=1)
        if case == "ce_1d":
            return F_.cross_entropy(x, t, ignore_index=1)
        return F_.cross_entropy(x, t, weight=w, ignore_index=1, label_smoothing=0.2)

    tx, mx = x.clone().requires_grad_(), mt(x, True)
    tl, ml = run(torch, tx, t, w), run(minitorch, mx, mt(t), mt(w))
    tl.backward()
    ml.backward()
    assert np.isnan(ml.item()) and np.isnan(tl.item())
    close(mx.grad, tx.grad)


@pytest.mark.parametrize("fn,target", [("cross_entropy", "index"), ("cross_entropy", "prob"),
                                       ("nll_loss", "index")])
def test_class_weight_of_wrong_size_is_a_runtime_error(fn, target):
    x = torch.randn(3, 4)
    t = torch.tensor([0, 1, 2]) if target == "index" else torch.rand(3, 4)
    te, me = both_raise(lambda: getattr(torch.nn.functional, fn)(x, t, weight=torch.ones(2)),
                        lambda: getattr(F, fn)(mt(x), mt(t), weight=minitorch.ones(2)))
    assert str(me) == str(te)


def test_probability_target_rejects_ignore_index():
    x, p = torch.randn(3, 4), torch.rand(3, 4)
    te, me = both_raise(lambda: torch.nn.functional.cross_entropy(x, p, ignore_index=0),
                        lambda: F.cross_entropy(mt(x), mt(p), ignore_index=0))
    assert str(me) == str(te)
    # a negative ignore_index is accepted (and meaningless) for probabilities, as in torch
    close(F.cross_entropy(mt(x), mt(p), ignore_index=-5),
          torch.nn.functional.cross_entropy(x, p, ignore_index=-5))


# ----------------------------------------------------------------------------------- layers
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("case", ["conv1d_unbatched", "conv2d_same", "conv2d_int"])
def test_conv_padding_modes(mode, case):
    """Conv padding_mode reflect/replicate/circular (was NotImplementedError)."""
    if case == "conv1d_unbatched":
        ctor, x = (lambda m: m.Conv1d(3, 2, 3, padding=2, padding_mode=mode)), torch.randn(3, 5)
    elif case == "conv2d_same":
        ctor = lambda m: m.Conv2d(3, 2, (2, 3), padding="same", dilation=(2, 1),  # noqa: E731
                                  padding_mode=mode)
        x = torch.randn(2, 3, 5, 5)
    else:
        ctor = lambda m: m.Conv2d(3, 4, 3, padding=(1, 2), stride=2,  # noqa: E731
                                  groups=1, padding_mode=mode)
        x = torch.randn(1, 3, 5, 6)
    tm, mm = ctor(torch.nn), ctor(nn)
    copy_weights(tm, mm)
    assert repr(mm) == repr(tm)
    tx, mx = x.clone().requires_grad_(), mt(x, True)
    ty, my = tm(tx), mm(mx)
    close(my, ty)
    g = torch.randn(ty.shape)
    ty.backward(g)
    my.backward(mt(g))
    close(mx.grad, tx.grad, atol=1e-4)
    close(mm.weight.grad, tm.weight.grad, atol=1e-4)


@pytest.mark.parametrize("fn", ["l1_loss", "nll_loss", "cross_entropy"])
@pytest.mark.parametrize("size_average,reduce", [(False, None), (None, False), (False, True)])
def test_legacy_size_average_and_reduce(fn, size_average, reduce):
    """size_average/reduce were ignored by l1_loss, nll_loss and cross_entropy (a silently
    different reduction)."""
    x = torch.tensor([[1.0, 2.0], [0.5, 3.0]])
    t = torch.tensor([0, 1]) if fn != "l1_loss" else torch.tensor([[0.0, 1.0], [2.0, 0.0]])
    tl = getattr(torch.nn.functional, fn)(x, t, size_average=size_average, reduce=reduce)
    ml = getattr(F, fn)(mt(x), mt(t), size_average=size_average, reduce=reduce)
    close(ml, tl)


def test_l1_loss_rejects_unknown_reduction():
    x = torch.zeros(2)
    te, me = both_raise(lambda: torch.nn.functional.l1_loss(x, x, reduction="avg"),
                        lambda: F.l1_loss(mt(x), mt(x), reduction="avg"))
    assert str(me) == str(te)


# ------------------------------------------------------------------------------ containers
def _seq(m):
    return m.Sequential(m.Linear(2, 3), m.ReLU(), m.Linear(3, 1), m.Tanh())


@pytest.mark.parametrize("op", ["pop", "pop_slice", "mul", "rmul", "imul", "iadd"])
def test_sequential_operators(op):
    def run(m):
        s = _seq(m)
        if op == "pop":
            return repr(s.pop(1)) + repr(s)
        if op == "pop_slice":
            return repr(s.pop(slice(0, 2))) + repr(s)
        if op == "mul":
            return repr(s * 2)
        if op == "rmul":
            return repr(2 * s)
        if op == "imul":
            s *= 2
            return repr(s) + str(list(s._modules))
        before = s
        s += m.Sequential(m.Sigmoid())
        return repr(s) + str(s is before)
    assert run(nn) == run(torch.nn)


@pytest.mark.parametrize("bad", [0, -1])
def test_sequential_mul_errors(bad):
    both_raise(lambda: _seq(torch.nn) * bad, lambda: _seq(nn) * bad)


def test_modulelist_pop_add_and_folded_repr():
    def run(m):
        class Block(m.Module):
            def __init__(self):
                super().__init__()
                self.ff = m.ModuleList([m.Linear(2, 2)] * 3)

        ml = m.ModuleList([Block(), Block(), m.Tanh(), m.ReLU(), m.ReLU()])
        out = [repr(ml), repr(ml.pop(2)), repr(ml), repr(ml + [m.Sigmoid()]), repr(m.ModuleList())]
        return out
    assert run(nn) == run(torch.nn)


def test_get_buffer():
    def run(m):
        s = m.Sequential(m.BatchNorm1d(2))
        out = [s.get_buffer("0.running_var").tolist()]
        for bad in ("0.weight", "0.nothing"):
            with pytest.raises(AttributeError) as e:
                s.get_buffer(bad)
            out.append(str(e.value))
        return out
    assert run(nn) == run(torch.nn)


def test_embedding_repr_shows_max_norm():
    for kw in (dict(padding_idx=1, max_norm=2.0), dict(norm_type=1.0)):
        assert repr(nn.Embedding(5, 3, **kw)) == repr(torch.nn.Embedding(5, 3, **kw))


# ------------------------------------------------------------------------------ optimizers
def _params(lib):
    return [lib.nn.Parameter(lib.tensor([[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]])),
            lib.nn.Parameter(lib.tensor([0.3, -0.7]))]


def _train(lib, opt, ps, steps=3):
    x = lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    for i in range(steps):
        opt.zero_grad()
        (((x @ ps[0].t() + ps[1]) ** 2).sum() * (0.5 + i)).backward()
        opt.step()


def test_adam_decoupled_weight_decay_matches_torch():
    """torch 2.x Adam(decoupled_weight_decay=True) (was a TypeError); AdamW's groups carry
    decoupled_weight_decay=True and refuse the keyword, as torch's do."""
    tp, mp = _params(torch), _params(minitorch)
    kw = dict(lr=0.05, weight_decay=0.3, amsgrad=True, decoupled_weight_decay=True)
    to, mo = torch.optim.Adam(tp, **kw), minitorch.optim.Adam(mp, **kw)
    _train(torch, to, tp)
    _train(minitorch, mo, mp)
    for a, b in zip(mp, tp):
        close(a, b)
    assert repr(minitorch.optim.AdamW(mp)) == repr(torch.optim.AdamW(tp))
    assert minitorch.optim.AdamW(mp).defaults == torch.optim.AdamW(tp).defaults
    both_raise(lambda: torch.optim.AdamW(tp, decoupled_weight_decay=False),
               lambda: minitorch.optim.AdamW(mp, decoupled_weight_decay=False))


def test_adamw_state_dict_without_the_new_option_stays_decoupled():
    """A saved group lacking decoupled_weight_decay (an older checkpoint) gets the optimizer's
    default on load (torch's __setstate__), so AdamW keeps decoupling."""
    mp = _params(minitorch)
    opt = minitorch.optim.AdamW(mp, lr=0.1, weight_decay=0.5)
    sd = opt.state_dict()
    del sd["param_groups"][0]["decoupled_weight_decay"]
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


def test_adam_step_state_is_a_float_tensor():
    tp, mp = _params(torch), _params(minitorch)
    to, mo = torch.optim.Adam(tp, lr=0.1), minitorch.optim.Adam(mp, lr=0.1)
    _train(torch, to, tp)
    _train(minitorch, mo, mp)
    ts, ms = to.state_dict()["state"][0]["step"], mo.state_dict()["state"][0]["step"]
    assert isinstance(ms, minitorch.Tensor) and ms.dtype == ts.dtype and ms.item() == ts.item()
    # a torch-shaped state dict (tensor step) continues identically after a round trip
    mo2 = minitorch.optim.Adam(mp, lr=0.1)
    mo2.load_state_dict(mo.state_dict())
    _train(torch, to, tp, 2)
    _train(minitorch, mo2, mp, 2)
    for a, b in zip(mp, tp):
        close(a, b)


def test_named_parameters_as_optimizer_params():
    """torch 2.x accepts model.named_parameters(): the names go to the group's param_names."""
    tm, mm = torch.nn.Linear(2, 1), nn.Linear(2, 1)
    copy_weights(tm, mm)
    to = torch.optim.SGD(tm.named_parameters(), lr=0.1, momentum=0.9)
    mo = minitorch.optim.SGD(mm.named_parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        for lib, m, o in ((torch, tm, to), (minitorch, mm, mo)):
            o.zero_grad()
            (m(lib.tensor([[1.0, -2.0]])) ** 2).sum().backward()
            o.step()
    close(mm.weight, tm.weight)
    tg = to.state_dict()["param_groups"][0]
    mg = mo.state_dict()["param_groups"][0]
    assert list(mg) == list(tg) and mg["param_names"] == tg["param_names"] == ["weight", "bias"]
    te, me = both_raise(lambda: to.add_param_group({"params": [torch.nn.Parameter(torch.ones(1))]}),
                        lambda: mo.add_param_group({"params": [nn.Parameter(minitorch.ones(1))]}))
    assert str(me) == str(te)
    te, me = both_raise(lambda: torch.optim.SGD([("w", tm.weight), tm.bias], lr=0.1),
                        lambda: minitorch.optim.SGD([("w", mm.weight), mm.bias], lr=0.1))
    assert str(me) == str(te)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 0.5, 3.0])
def test_clip_grad_norm_with_nan_gradient_makes_every_gradient_nan(norm_type):
    """torch's clip coefficient is clamp(max_norm / (nan + eps), max=1) = nan, so all gradients
    turn nan; minitorch's min() dropped the nan and left the other entries unscaled (and the inf
    and p norms dropped nan entirely)."""
    def run(lib):
        p, q = lib.nn.Parameter(lib.tensor([1.0, 2.0])), lib.nn.Parameter(lib.tensor([3.0]))
        ((p * lib.tensor([float("nan"), 1.0])).sum() + (q * 5).sum()).backward()
        total = lib.nn.utils.clip_grad_norm_([p, q], 1.0, norm_type=norm_type)
        return total, p.grad, q.grad
    for a, b in zip(run(minitorch), run(torch)):
        close(a, b)


# -------------------------------------------------------------------------------- autograd
def _custom(lib, omit_trailing):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, k):
            ctx.save_for_backward(y)
            ctx.k = k
            return x * y * k

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return (g * y * ctx.k, None) if omit_trailing else (g * y * ctx.k, None, None)
    return Scale


def test_custom_function_must_return_one_gradient_per_input():
    """A user backward returning fewer gradients than forward inputs is torch's RuntimeError
    (minitorch padded the missing ones with None)."""
    def run(lib):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        _custom(lib, True).apply(x * 1, lib.tensor([3.0, 4.0]), 2.0).sum().backward()
    te, me = both_raise(lambda: run(torch), lambda: run(minitorch))
    assert str(me).replace("ScaleBackward", "") == str(te).replace("ScaleBackward", "")
    x = minitorch.tensor([1.0, -2.0], requires_grad=True)
    _custom(minitorch, False).apply(x * 1, minitorch.tensor([3.0, 4.0]), 2.0).sum().backward()
    assert x.grad.tolist() == [6.0, 8.0]


def test_custom_function_with_setup_context():
    """torch 2.x autograd.Function style: forward without ctx plus setup_context (was a
    TypeError)."""
    def run(lib):
        class Mul(lib.autograd.Function):
            @staticmethod
            def forward(a, k):
                return a * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.k = inputs[1]
                ctx.save_for_backward(inputs[0], output)

            @staticmethod
            def backward(ctx, g):
                a, out = ctx.saved_tensors
                return g * ctx.k + out * 0 + a * 0, None

        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y = Mul.apply(a, 5.0)
        y.sum().backward()
        return y, a.grad
    for m, t in zip(run(minitorch), run(torch)):
        close(m, t)


def test_data_assignment_of_integer_tensor_to_requires_grad_tensor_raises():
    te, me = both_raise(
        lambda: setattr(torch.tensor([1.0, 2.0], requires_grad=True), "data",
                        torch.tensor([1, 2])),
        lambda: setattr(minitorch.tensor([1.0, 2.0], requires_grad=True), "data",
                        minitorch.tensor([1, 2])))
    assert str(me) == str(te)


# ------------------------------------------------------------------- in-place activations
_INPLACE = {
    "leaky_relu": lambda F_, x: F_.leaky_relu(x, 0.3, inplace=True),
    "elu": lambda F_, x: F_.elu(x, 0.7, inplace=True),
    "hardtanh": lambda F_, x: F_.hardtanh(x, -0.3, 0.4, inplace=True),
    "relu6": lambda F_, x: F_.relu6(x, inplace=True),
    "silu": lambda F_, x: F_.silu(x, inplace=True),
}


@pytest.mark.parametrize("where", ["whole", "view"])
@pytest.mark.parametrize("name", sorted(_INPLACE))
def test_inplace_activation_gradient(name, where):
    """F.<act>(x, inplace=True) on a non-leaf: the activation's gradient, not identity (the
    in-place result was copied untracked, so backward skipped the activation)."""
    x = torch.randn(6)
    g = torch.arange(6.0) - 2

    def run(lib, F_, x):
        b = x * 1
        if where == "view":
            _INPLACE[name](F_, b[1:5])
            out = b
        else:
            out = _INPLACE[name](F_, b)
        (out * lib.tensor(g.tolist())).sum().backward()
        return out

    tx, mx = x.clone().requires_grad_(), mt(x, True)
    close(run(minitorch, F, mx), run(torch, torch.nn.functional, tx))
    close(mx.grad, tx.grad)


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "hardtanh", "relu6", "silu"])
def test_inplace_activation_on_leaf_raises(name):
    te, me = both_raise(
        lambda: getattr(torch.nn.functional, name)(torch.ones(2, requires_grad=True),
                                                   inplace=True),
        lambda: getattr(F, name)(minitorch.ones(2, requires_grad=True), inplace=True))
    assert str(me) == str(te)


def test_module_extra_state_round_trips():
    """get_extra_state/set_extra_state: torch saves "<prefix>_extra_state" and restores it on
    load (minitorch silently dropped it)."""
    def run(m):
        class Counter(m.Module):
            def __init__(self):
                super().__init__()
                self.v = 3
                self.lin = m.Linear(1, 1)

            def get_extra_state(self):
                return {"v": self.v}

            def set_extra_state(self, state):
                self.v = state["v"]

        sd = m.Sequential(Counter()).state_dict()
        fresh = m.Sequential(Counter())
        fresh[0].v = 0
        partial = {k: v for k, v in sd.items() if k != "0._extra_state"}
        r = fresh.load_state_dict(partial, strict=False)
        out = [list(sd), sd["0._extra_state"], fresh[0].v, r.missing_keys, r.unexpected_keys]
        fresh.load_state_dict(sd)
        return out + [fresh[0].v]
    assert run(nn) == run(torch.nn)


# ---------------------------------------------------------------------------------- bf16
def test_bf16_backward_seed_and_fills_are_not_raw_bits():
    """minitorch.ones(dtype=bfloat16) was 9.2e-41 (an int fill stored as raw bf16 bits by the
    interpreter), so every bf16 .backward() seeded with it gave all-zero gradients."""
    bf = minitorch.bfloat16
    assert minitorch.ones(3, dtype=bf).tolist() == [1.0, 1.0, 1.0]
    assert minitorch.full((2,), 2, dtype=bf).tolist() == [2.0, 2.0]
    assert minitorch.arange(0.5, 2, 0.25, dtype=bf).tolist() == \
        torch.arange(0.5, 2, 0.25, dtype=torch.bfloat16).tolist()
    x = torch.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 2.0]], dtype=torch.bfloat16)
    t = torch.tensor([0, 2])
    tx, mx = x.clone().requires_grad_(), mt(x.float()).to(bf).requires_grad_()
    torch.nn.functional.cross_entropy(tx, t).backward()
    F.cross_entropy(mx, mt(t)).backward()
    close(mx.grad.float(), tx.grad.float(), atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("norm_type", [2.0, float("inf")])
def test_clip_grad_norm_bf16(norm_type):
    """bf16 gradients: the total norm came back as 8.8e-39 and the clipped gradients as 0
    (fp64 values stored into bf16 as raw bits)."""
    def run(lib):
        p = lib.nn.Parameter(lib.tensor([1.0, -2.0, 3.0], dtype=lib.bfloat16))
        ((p.float() ** 2) * lib.tensor([1.0, 10.0, 100.0])).sum().backward()
        total = lib.nn.utils.clip_grad_norm_([p], 1.0, norm_type=norm_type)
        return total.float(), p.grad.float()
    for a, b in zip(run(minitorch), run(torch)):
        close(a, b, atol=1e-2, rtol=1e-2)


_HALF_OPTS = [("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
              ("Adam", dict(lr=0.1, amsgrad=True)), ("AdamW", dict(lr=0.1)),
              ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
              ("Adagrad", dict(lr=0.1)), ("Adadelta", dict(lr=0.5))]


@pytest.mark.parametrize("name,kw,dtype", [
    (n, k, d) for n, k in _HALF_OPTS for d in ("bfloat16", "float16")
    if (n, d) != ("SGD", "float16")])  # fp16 SGD already worked (fp16 arithmetic is native)
def test_optimizers_step_half_precision_parameters(name, kw, dtype):
    """torch's optimizers step bf16/fp16 parameters; minitorch's kernels failed with a Triton
    interpreter traceback (bf16 arithmetic / fp16 sqrt). The update is computed in fp32 and
    rounded to the parameter's dtype (torch rounds after each op: a few ulps apart)."""
    def run(lib):
        p = lib.nn.Parameter(lib.tensor([1.0, -2.0, 3.0, 0.5]).to(getattr(lib, dtype)))
        opt = getattr(lib.optim, name)([p], **kw)
        for i in range(3):
            opt.zero_grad()
            ((p.float() ** 2) * (i + 1)).sum().backward()
            opt.step()
        return p.detach().float()
    close(run(minitorch), run(torch), atol=2e-2, rtol=2e-2)


@pytest.mark.parametrize("fn,dtype", [
    (f, d) for f in ("cross_entropy", "nll_loss") for d in ("int32", "int16", "int8", "bool",
                                                             "uint8")
    if (f, d) != ("cross_entropy", "uint8")])  # the fused cross-entropy already took uint8
def test_class_target_dtypes(fn, dtype):
    """torch takes Long or Byte class indices: int32/int16/int8/bool are a RuntimeError
    (minitorch computed with them), uint8 works (minitorch raised)."""
    x = torch.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 2.0]])
    t = torch.tensor([0, 1]).to(getattr(torch, dtype))
    tf, mf = getattr(torch.nn.functional, fn), getattr(F, fn)
    m_t = minitorch.tensor([0, 1]).to(getattr(minitorch, dtype))
    if dtype == "uint8":
        tx, mx = x.clone().requires_grad_(), mt(x, True)
        tl, ml = tf(tx, t), mf(mx, m_t)
        tl.backward()
        ml.backward()
        close(ml, tl)
        close(mx.grad, tx.grad)
    else:
        te, me = both_raise(lambda: tf(x, t), lambda: mf(mt(x), m_t))
        assert str(me) == str(te)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "huber_loss"])
def test_elementwise_loss_weight(fn, reduction):
    """torch 2.x's weight= of mse/l1/huber (a TypeError in minitorch): 'mean' is
    sum(w·loss)/sum(w) for mse and l1 but mean(w·loss) for huber."""
    x = torch.tensor([[1.0, 2.0, 3.0], [0.5, 0.25, -2.0]])
    t = torch.tensor([[0.0, 0.0, 1.0], [2.0, -1.0, 0.0]])
    w = torch.tensor([[1.0, 2.0, 0.5], [0.0, 3.0, 1.0]])
    tx, mx = x.clone().requires_grad_(), mt(x, True)
    tl = getattr(torch.nn.functional, fn)(tx, t, reduction=reduction, weight=w)
    ml = getattr(F, fn)(mx, mt(t), reduction=reduction, weight=mt(w))
    close(ml, tl)
    tl.sum().backward()
    ml.sum().backward()
    close(mx.grad, tx.grad)
    te, me = both_raise(lambda: getattr(torch.nn.functional, fn)(x, t, weight=torch.ones(3)),
                        lambda: getattr(F, fn)(mt(x), mt(t), weight=minitorch.ones(3)))
    assert str(me) == str(te)


@pytest.mark.parametrize("case", ["l1_loss", "smooth_l1_loss", "huber_loss", "kl_div_mean"])
def test_loss_warnings(case):
    """torch's UserWarnings: a broadcast target (l1/smooth_l1/huber, as mse already did) and
    kl_div's reduction='mean'."""
    def run(F_, lib):
        if case == "kl_div_mean":
            return F_.kl_div(lib.tensor([[-1.0, -2.0]]), lib.tensor([[0.5, 0.5]]))
        return getattr(F_, case)(lib.tensor([[1.0, 2.0]]), lib.tensor([1.0]))
    with pytest.warns(UserWarning) as tw:
        run(torch.nn.functional, torch)
    with pytest.warns(UserWarning) as mw:
        run(F, minitorch)
    assert [str(w.message) for w in mw] == [str(w.message) for w in tw]


def test_deepcopy_of_a_module_drops_parameter_grads():
    """torch's Parameter.__deepcopy__ copies the data only: the copy's .grad is None
    (minitorch copied the gradient along)."""
    import copy

    def run(m, lib):
        lin = m.Linear(2, 1)
        lin(lib.tensor([[1.0, 2.0]])).sum().backward()
        twin = copy.deepcopy(m.Sequential(lin, lin))
        return (twin[0].weight.grad is None, twin[0].weight is twin[1].weight,
                twin[0].weight is not lin.weight, type(twin[0].weight).__name__,
                twin[0].weight.requires_grad)
    assert run(nn, minitorch) == run(torch.nn, torch)


# ----------------------------------------------------------------------------------- init
@pytest.mark.parametrize("kw", [dict(), dict(std=0.02), dict(std=2.0, a=-1.0, b=1.0),
                                dict(mean=1.0, std=0.5, a=0.5, b=3.0)])
def test_trunc_normal_distribution(kw):
    """nn.init.trunc_normal_ (ViT/GPT tutorials) was missing: same bounds and moments as
    torch's (RNG streams differ, so compared by statistics)."""
    m = nn.init.trunc_normal_(nn.Parameter(minitorch.empty(20000)), **kw)
    t = torch.nn.init.trunc_normal_(torch.nn.Parameter(torch.empty(20000)), **kw)
    mv, tv = m.detach().numpy(), t.detach().numpy()
    a, b = kw.get("a", -2.0), kw.get("b", 2.0)
    assert mv.min() >= a and mv.max() <= b and m.requires_grad and m.is_leaf
    std = kw.get("std", 1.0)
    assert abs(mv.mean() - tv.mean()) < 0.05 * std and abs(mv.std() - tv.std()) < 0.05 * std


@pytest.mark.parametrize("case", ["eye", "dirac", "dirac_groups", "dirac_5d"])
def test_eye_and_dirac_init(case):
    def run(lib):
        init = lib.nn.init
        if case == "eye":
            return init.eye_(lib.empty(2, 3)).tolist()
        if case == "dirac":
            return init.dirac_(lib.empty(2, 3, 3)).tolist()
        if case == "dirac_groups":
            return init.dirac_(lib.empty(4, 2, 3, 3), groups=2).tolist()
        return init.dirac_(lib.empty(2, 3, 1, 2, 3)).tolist()
    assert run(minitorch) == run(torch)


@pytest.mark.parametrize("name,args", [("relu_", ()), ("leaky_relu_", (0.2,)), ("elu_", (0.5,)),
                                       ("hardtanh_", (-0.5, 0.5))])
def test_functional_inplace_aliases(name, args):
    """F.relu_/leaky_relu_/elu_/hardtanh_ (AttributeError before): in place, with the
    activation's gradient."""
    x = torch.randn(7)
    tx, mx = x.clone().requires_grad_(), mt(x, True)
    tb, mb = tx * 1, mx * 1
    to, mo = getattr(torch.nn.functional, name)(tb, *args), getattr(F, name)(mb, *args)
    assert mo is mb and to is tb
    close(mo, to)
    g = torch.arange(7.0) - 3
    to.backward(g)
    mo.backward(mt(g))
    close(mx.grad, tx.grad)


@pytest.mark.parametrize("cls,kw", [("MaxPool1d", dict(kernel_size=3, stride=2, padding=1,
                                                       dilation=2, ceil_mode=True)),
                                    ("MaxPool1d", dict(kernel_size=2)),
                                    ("AvgPool1d", dict(kernel_size=3, stride=2, padding=1,
                                                       count_include_pad=False)),
                                    ("AvgPool1d", dict(kernel_size=2, ceil_mode=True))])
def test_pool1d_modules(cls, kw):
    tm, mm = getattr(torch.nn, cls)(**kw), getattr(nn, cls)(**kw)
    assert repr(mm) == repr(tm)
    x = torch.randn(2, 3, 9)
    tx, mx = x.clone().requires_grad_(), mt(x, True)
    ty, my = tm(tx), mm(mx)
    close(my, ty)
    ty.sum().backward()
    my.sum().backward()
    close(mx.grad, tx.grad)


def test_custom_function_vjp_instead_of_backward():
    """A Function may define vjp instead of backward (torch's alias); both is an error."""
    def run(lib, both):
        class G(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def vjp(ctx, g):
                return g * 5

            if both:
                @staticmethod
                def backward(ctx, g):
                    return g

        a = lib.tensor([1.0, 2.0], requires_grad=True)
        G.apply(a).sum().backward()
        return a.grad
    close(run(minitorch, False), run(torch, False))
    te, me = both_raise(lambda: run(torch, True), lambda: run(minitorch, True))
    assert str(me) == str(te)
