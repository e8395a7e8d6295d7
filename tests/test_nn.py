"""minitorch.nn against torch.nn: every module and loss with identical weights (outputs and
gradients), Module bookkeeping, state_dict semantics and the freeze/replace-head workflow."""
import copy
import math

import numpy as np
import pytest
import torch
from _side_by_side import close, mt

import minitorch
import minitorch.nn as nn
import minitorch.nn.functional as F

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")




def copy_weights(tmod, mmod):
    """torch state_dict -> minitorch module, tensor by tensor."""
    sd = {k: mt(v) for k, v in tmod.state_dict().items()}
    mmod.load_state_dict(sd)


def check_module(tmod, mmod, x, atol=1e-5):
    copy_weights(tmod, mmod)
    tx = x.clone().requires_grad_(x.is_floating_point())
    mx = mt(x, requires_grad=x.is_floating_point())
    ty, my = tmod(tx), mmod(mx)
    close(my, ty, atol=atol)
    gy = torch.randn_like(ty)
    ty.backward(gy)
    my.backward(mt(gy))
    if x.is_floating_point():
        close(mx.grad, tx.grad, atol=atol)
    tparams = dict(tmod.named_parameters())
    for name, p in mmod.named_parameters():
        close(p.grad, tparams[name].grad, atol=atol)


# ----------------------------------------------------------------------------- Parameter
def test_parameter_basics():
    p = nn.Parameter(minitorch.ones(2))
    assert p.requires_grad and p.is_leaf and isinstance(p, minitorch.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor([1., 1.]")
    q = nn.Parameter(minitorch.ones(2), requires_grad=False)
    assert not q.requires_grad
    assert not isinstance(p * 2, nn.Parameter)
    assert isinstance(copy.deepcopy(p), nn.Parameter)


# ----------------------------------------------------------------------------- layers
@pytest.mark.parametrize("bias", [True, False])
def test_linear(bias):
    check_module(torch.nn.Linear(5, 3, bias=bias), nn.Linear(5, 3, bias=bias), torch.randn(4, 5))


def test_linear_3d_input():
    check_module(torch.nn.Linear(4, 2), nn.Linear(4, 2), torch.randn(2, 3, 4))


def test_linear_default_init_distribution():
    minitorch.manual_seed(3)
    lin = nn.Linear(50, 40)
    w = lin.weight.detach().numpy()
    b = lin.bias.detach().numpy()
    bound = 1 / math.sqrt(50)
    assert w.shape == (40, 50) and b.shape == (40,)
    assert np.abs(w).max() <= bound + 1e-6 and np.abs(b).max() <= bound + 1e-6
    assert np.abs(w).max() > 0.9 * bound  # spans the range
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    minitorch.manual_seed(3)
    assert np.array_equal(nn.Linear(50, 40).weight.detach().numpy(), w)  # seeded


def test_sequential_mlp_fused_and_grads():
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8),
                             torch.nn.Tanh(), torch.nn.Linear(8, 3))
    mm = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))
    check_module(tm, mm, torch.randn(6, 4))


@pytest.mark.parametrize("name,tmod,mmod", [
    ("relu", torch.nn.ReLU(), nn.ReLU()),
    ("leaky", torch.nn.LeakyReLU(0.2), nn.LeakyReLU(0.2)),
    ("gelu", torch.nn.GELU(), nn.GELU()),
    ("gelu_tanh", torch.nn.GELU("tanh"), nn.GELU("tanh")),
    ("sigmoid", torch.nn.Sigmoid(), nn.Sigmoid()),
    ("tanh", torch.nn.Tanh(), nn.Tanh()),
    ("softmax", torch.nn.Softmax(dim=1), nn.Softmax(dim=1)),
    ("logsoftmax", torch.nn.LogSoftmax(dim=-1), nn.LogSoftmax(dim=-1)),
    ("identity", torch.nn.Identity(), nn.Identity()),
    ("flatten", torch.nn.Flatten(), nn.Flatten()),
    ("layernorm", torch.nn.LayerNorm(5), nn.LayerNorm(5)),
    ("layernorm2d", torch.nn.LayerNorm((4, 5)), nn.LayerNorm((4, 5))),
    ("dropout_eval", torch.nn.Dropout(0.5).eval(), nn.Dropout(0.5).eval()),
])
def test_modules_match_torch(name, tmod, mmod):
    check_module(tmod, mmod, torch.randn(3, 4, 5))


def test_layernorm_affine_params_trained():
    tm, mm = torch.nn.LayerNorm(6), nn.LayerNorm(6)
    with torch.no_grad():
        tm.weight.uniform_(0.5, 1.5)
        tm.bias.uniform_(-1, 1)
    check_module(tm, mm, torch.randn(4, 6))


def test_embedding():
    tm, mm = torch.nn.Embedding(10, 4), nn.Embedding(10, 4)
    copy_weights(tm, mm)
    idx = torch.tensor([[1, 2, 9], [0, 2, 2]])
    ty, my = tm(idx), mm(mt(idx))
    close(my, ty)
    g = torch.randn_like(ty)
    ty.backward(g)
    my.backward(mt(g))
    close(mm.weight.grad, tm.weight.grad)


def test_embedding_padding_idx():
    tm, mm = torch.nn.Embedding(6, 3, padding_idx=0), nn.Embedding(6, 3, padding_idx=0)
    assert np.all(mm.weight.detach().numpy()[0] == 0)
    copy_weights(tm, mm)
    idx = torch.tensor([0, 1, 0, 5])
    ty, my = tm(idx), mm(mt(idx))
    close(my, ty)
    ty.sum().backward()
    my.sum().backward()
    close(mm.weight.grad, tm.weight.grad)


def test_dropout_train_mask():
    d = nn.Dropout(0.25)
    x = minitorch.ones(200, 50, requires_grad=True)
    y = d(x)
    v = y.detach().numpy()
    kept = v != 0
    assert np.allclose(v[kept], 1 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.02
    y.sum().backward()
    assert np.array_equal(x.grad.numpy() != 0, kept)
    assert np.allclose(x.grad.numpy()[kept], 1 / 0.75)
    minitorch.manual_seed(5)
    a = d(x).detach().numpy()
    minitorch.manual_seed(5)
    assert np.array_equal(a, d(x).detach().numpy())
    assert np.array_equal(nn.Dropout(1.0)(x).detach().numpy(), np.zeros((200, 50)))
    d.eval()
    assert d(x) is x


# ----------------------------------------------------------------------------- functional
def test_functional_linear_relu_fused():
    x, w, b = torch.randn(4, 5), torch.randn(3, 5), torch.randn(3)
    ref = torch.relu(torch.nn.functional.linear(x, w, b))
    close(F.relu(F.linear(mt(x), mt(w), mt(b))), ref)
    close(F.linear(mt(x), mt(w), mt(b), activation="relu"), ref)


def test_functional_activations():
    x = torch.randn(3, 7)
    tf = torch.nn.functional
    close(F.leaky_relu(mt(x), 0.1), tf.leaky_relu(x, 0.1))
    close(F.gelu(mt(x)), tf.gelu(x))
    close(F.gelu(mt(x), approximate="tanh"), tf.gelu(x, approximate="tanh"))
    close(F.sigmoid(mt(x)), torch.sigmoid(x))
    close(F.tanh(mt(x)), torch.tanh(x))
    close(F.softmax(mt(x), dim=0), tf.softmax(x, dim=0))
    close(F.log_softmax(mt(x), dim=1), tf.log_softmax(x, dim=1))
    close(F.layer_norm(mt(x), (7,)), tf.layer_norm(x, (7,)))
    assert F.dropout(mt(x), 0.5, training=False).shape == (3, 7)


# ----------------------------------------------------------------------------- losses
def _loss_check(tloss, mloss, inp, target, mtarget=None, atol=1e-5):
    ti = inp.clone().requires_grad_(True)
    mi = mt(inp, requires_grad=True)
    tl, ml = tloss(ti, target), mloss(mi, mt(target) if mtarget is None else mtarget)
    close(ml, tl, atol=atol)
    if tl.dim() == 0:
        tl.backward()
        ml.backward()
    else:
        g = torch.randn_like(tl)
        tl.backward(g)
        ml.backward(mt(g))
    close(mi.grad, ti.grad, atol=atol)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses(reduction):
    x, y = torch.randn(4, 3), torch.randn(4, 3)
    _loss_check(torch.nn.MSELoss(reduction=reduction), nn.MSELoss(reduction=reduction), x, y)
    _loss_check(torch.nn.L1Loss(reduction=reduction), nn.L1Loss(reduction=reduction), x, y)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits(reduction):
    x, y = torch.randn(5, 3) * 4, torch.rand(5, 3)
    _loss_check(torch.nn.BCEWithLogitsLoss(reduction=reduction),
                nn.BCEWithLogitsLoss(reduction=reduction), x, y)
    pw = torch.tensor([0.5, 2.0, 1.0])
    _loss_check(torch.nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=pw),
                nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=mt(pw)), x, y)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy(reduction, smoothing):
    x, t = torch.randn(6, 4), torch.tensor([0, 3, 1, 1, 2, 0])
    _loss_check(torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing),
                nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing), x, t)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_ignore_index(smoothing):
    x, t = torch.randn(5, 3), torch.tensor([0, -100, 2, 1, -100])
    _loss_check(torch.nn.CrossEntropyLoss(label_smoothing=smoothing),
                nn.CrossEntropyLoss(label_smoothing=smoothing), x, t)
    t2 = torch.tensor([0, 1, 2, 1, 1])
    _loss_check(torch.nn.CrossEntropyLoss(ignore_index=1), nn.CrossEntropyLoss(ignore_index=1),
                x, t2)


def test_cross_entropy_weight_and_spatial():
    w = torch.tensor([0.2, 1.0, 3.0])
    x, t = torch.randn(5, 3), torch.tensor([0, 2, 2, 1, 0])
    _loss_check(torch.nn.CrossEntropyLoss(weight=w), nn.CrossEntropyLoss(weight=mt(w)), x, t)
    x4, t4 = torch.randn(2, 3, 2, 2), torch.randint(0, 3, (2, 2, 2))
    _loss_check(torch.nn.CrossEntropyLoss(), nn.CrossEntropyLoss(), x4, t4)
    _loss_check(torch.nn.CrossEntropyLoss(reduction="none"),
                nn.CrossEntropyLoss(reduction="none"), x4, t4)


def test_cross_entropy_probability_targets():
    x, p = torch.randn(4, 3), torch.softmax(torch.randn(4, 3), 1)
    _loss_check(torch.nn.CrossEntropyLoss(), nn.CrossEntropyLoss(), x, p)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss(reduction):
    x = torch.log_softmax(torch.randn(5, 4), 1)
    t = torch.tensor([3, 0, 1, -100, 2])
    _loss_check(torch.nn.NLLLoss(reduction=reduction), nn.NLLLoss(reduction=reduction), x, t)
    w = torch.tensor([1.0, 2.0, 0.5, 1.5])
    _loss_check(torch.nn.NLLLoss(weight=w, reduction=reduction),
                nn.NLLLoss(weight=mt(w), reduction=reduction), x, t)


def test_functional_losses():
    x, y = torch.randn(3, 4), torch.randn(3, 4)
    tf = torch.nn.functional
    close(F.mse_loss(mt(x), mt(y)), tf.mse_loss(x, y))
    close(F.l1_loss(mt(x), mt(y), reduction="sum"), tf.l1_loss(x, y, reduction="sum"))
    close(F.binary_cross_entropy_with_logits(mt(x), mt(torch.sigmoid(y))),
          tf.binary_cross_entropy_with_logits(x, torch.sigmoid(y)))
    t = torch.tensor([1, 0, 3])
    close(F.cross_entropy(mt(x), mt(t)), tf.cross_entropy(x, t))
    close(F.nll_loss(mt(x), mt(t)), tf.nll_loss(x, t))


def test_loss_target_errors():
    x = minitorch.randn(3, 4)
    with pytest.raises(IndexError, match=r"^Target 5 is out of bounds\.$"):
        F.cross_entropy(x, minitorch.tensor([0, 5, 1]))
    with pytest.raises(IndexError, match="Target -2 is out of bounds."):
        F.nll_loss(x, minitorch.tensor([0, -2, 1]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target "
                                         r"batch_size \(2\)\."):
        F.cross_entropy(x, minitorch.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        F.cross_entropy(x, minitorch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match="expected scalar type Long"):
        nn.NLLLoss()(x, minitorch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        nn.MSELoss(reduction="avg")(x, x)


# ----------------------------------------------------------------------------- Module
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 6), nn.ReLU())
        self.fc = nn.Linear(6, 3)
        self.register_buffer("steps", minitorch.zeros(1))
        self.register_buffer("scratch", minitorch.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc(self.body(x))


def test_module_registration_and_traversal():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["body.0.weight", "body.0.bias",
                                                      "fc.weight", "fc.bias"]
    assert len(list(net.parameters(recurse=False))) == 0
    assert [n for n, _ in net.named_children()] == ["body", "fc"]
    assert [n for n, _ in net.named_modules()] == ["", "body", "body.0", "body.1", "fc"]
    assert len(list(net.modules())) == 5
    assert [n for n, _ in net.named_buffers()] == ["steps", "scratch"]
    assert list(net.state_dict().keys()) == ["steps", "body.0.weight", "body.0.bias",
                                             "fc.weight", "fc.bias"]
    # attribute assignment replaces the registered module
    old = net.fc
    net.fc = nn.Linear(6, 2)
    assert net.fc is not old and net._modules["fc"] is net.fc
    assert net(minitorch.randn(2, 4)).shape == (2, 2)
    # plain attributes stay plain; parameter slots refuse tensors
    net.note = 3
    assert net.note == 3 and "note" not in net._parameters
    with pytest.raises(TypeError, match="cannot assign"):
        net.fc.weight = minitorch.zeros(2, 6)
    net.extra = nn.Parameter(minitorch.zeros(1))
    assert "extra" in dict(net.named_parameters())
    del net.extra
    assert "extra" not in dict(net.named_parameters())
    net.add_module("head2", nn.Identity())
    assert net.head2 is net._modules["head2"]
    net.register_parameter("p", None)
    assert net.p is None
    with pytest.raises(AttributeError):
        net.nonexistent


def test_train_eval_zero_grad_requires_grad_apply_to():
    net = Net()
    assert net.training and net.body[0].training
    net.eval()
    assert not net.training and not net.body[1].training
    net.train()
    assert net.fc.training
    net(minitorch.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and "Linear" in seen
    w = net.fc.weight
    net.to(torch.float64)
    assert net.fc.weight is w and w.dtype == torch.float64 and net.steps.dtype == torch.float64
    net.to("cpu")
    assert net.fc.weight.device.type == "cpu"


def test_module_repr_matches_torch():
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                             torch.nn.LayerNorm(8), torch.nn.Linear(8, 2, bias=False),
                             torch.nn.Softmax(dim=1))
    mm = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1), nn.LayerNorm(8),
                       nn.Linear(8, 2, bias=False), nn.Softmax(dim=1))
    assert repr(mm) == repr(tm)
    assert repr(nn.Embedding(5, 2)) == repr(torch.nn.Embedding(5, 2))
    assert repr(nn.GELU()) == repr(torch.nn.GELU())
    assert repr(nn.LeakyReLU(0.2)) == repr(torch.nn.LeakyReLU(0.2))


def test_sequential_container_ops():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(s) == 3 and isinstance(s[-1], nn.Linear)
    sub = s[:2]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is s[0]
    s[1] = nn.Tanh()
    assert isinstance(s[1], nn.Tanh)
    assert [type(m).__name__ for m in s] == ["Linear", "Tanh", "Linear"]
    del s[1]
    assert len(s) == 2 and list(s._modules) == ["0", "1"]
    s.append(nn.Sigmoid())
    assert len(s) == 3
    with pytest.raises(IndexError):
        s[5]
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    ml.append(nn.ReLU())
    assert isinstance(ml[-1], nn.ReLU)
    md = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ReLU()})
    assert set(md.keys()) == {"a", "b"} and "a" in md
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]


def test_state_dict_roundtrip_and_errors():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert not any(v.requires_grad for v in sd.values())
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = minitorch.randn(3, 4)
    close(b(x), a(x).detach().numpy())

    c = Net()
    before = {k: v.clone().numpy() for k, v in c.state_dict().items()}
    bad = dict(sd)
    del bad["fc.bias"]
    bad["foo"] = minitorch.zeros(1)
    bad["body.0.weight"] = minitorch.zeros(5, 4)
    with pytest.raises(RuntimeError) as e:
        c.load_state_dict(bad)
    assert str(e.value) == (
        "Error(s) in loading state_dict for Net:\n"
        "\tMissing key(s) in state_dict: \"fc.bias\". \n"
        "\tUnexpected key(s) in state_dict: \"foo\". \n"
        "\tsize mismatch for body.0.weight: copying a param with shape torch.Size([5, 4]) from "
        "checkpoint, the shape in current model is torch.Size([6, 4]).")
    # nothing was written, not even the valid entries
    after = {k: v.numpy() for k, v in c.state_dict().items()}
    assert all(np.array_equal(before[k], after[k]) for k in before)
    # strict=False reports missing/unexpected and still loads the rest
    del bad["body.0.weight"]
    res = c.load_state_dict(bad, strict=False)
    assert res.missing_keys == ["body.0.weight", "fc.bias"] or \
        set(res.missing_keys) == {"body.0.weight", "fc.bias"}
    assert res.unexpected_keys == ["foo"]
    close(c.fc.weight, a.fc.weight.detach().numpy())


def test_torch_error_message_parity():
    tm = torch.nn.Linear(2, 2)
    mm = nn.Linear(2, 2)
    sd_t = {"weight": torch.zeros(3, 2), "extra": torch.zeros(1)}
    with pytest.raises(RuntimeError) as te:
        tm.load_state_dict(sd_t)
    with pytest.raises(RuntimeError) as me:
        mm.load_state_dict({k: mt(v) for k, v in sd_t.items()})
    assert str(me.value) == str(te.value)


def test_torch_model_interop():
    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU())
            self.fc = torch.nn.Linear(6, 3)
            self.register_buffer("steps", torch.ones(1))

        def forward(self, x):
            return self.fc(self.body(x))

    tnet, mnet = TNet(), Net()
    mnet.load_state_dict({k: mt(v) for k, v in tnet.state_dict().items()})
    x = torch.randn(5, 4)
    close(mnet(mt(x)), tnet(x))
    # torch tensors are accepted directly too
    mnet2 = Net()
    mnet2.load_state_dict(tnet.state_dict())
    close(mnet2(mt(x)), tnet(x))


def test_freeze_and_replace_head_workflow():
    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(4, 8)
            self.act = nn.ReLU()
            self.fc = nn.Linear(8, 3)

        def forward(self, x):
            return self.fc(self.act(self.hidden(x)))

    model = MLP()
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(8, 2)
    frozen = {n: p.detach().clone().numpy() for n, p in model.named_parameters()
              if not n.startswith("fc.")}
    head0 = model.fc.weight.detach().clone().numpy()
    opt = minitorch.optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)
    x, t = minitorch.randn(8, 4), minitorch.tensor([0, 1, 1, 0, 1, 0, 0, 1])
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    for n, p in model.named_parameters():
        if n.startswith("fc."):
            assert p.requires_grad and p.grad is not None
        else:
            assert p.grad is None and not p.requires_grad
            assert np.array_equal(p.detach().numpy(), frozen[n])
    assert not np.array_equal(model.fc.weight.detach().numpy(), head0)
    assert losses[-1] < losses[0]


def test_init_functions():
    w = minitorch.empty(30, 20)
    nn.init.xavier_uniform_(w)
    a = math.sqrt(6 / 50)
    assert np.abs(w.numpy()).max() <= a + 1e-6
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 20)) < 0.05
    nn.init.xavier_normal_(w, gain=2.0)
    assert abs(w.numpy().std() - 2 * math.sqrt(2 / 50)) < 0.06
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    assert np.abs(w.numpy()).max() <= 1 / math.sqrt(20) + 1e-6
    nn.init.zeros_(w)
    assert np.all(w.numpy() == 0)
    nn.init.ones_(w)
    assert np.all(w.numpy() == 1)
    nn.init.constant_(w, 0.5)
    assert np.all(w.numpy() == 0.5)
    nn.init.uniform_(w, -2, -1)
    assert w.numpy().min() >= -2 and w.numpy().max() <= -1
    nn.init.normal_(w, 3.0, 0.01)
    assert abs(w.numpy().mean() - 3.0) < 0.01
    p = nn.Parameter(minitorch.empty(3, 3))
    nn.init.kaiming_uniform_(p)  # leaf that requires grad: fine, runs under no_grad
    assert p.grad_fn is None and p.requires_grad
    for nl in ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]:
        assert nn.init.calculate_gain(nl) == pytest.approx(torch.nn.init.calculate_gain(nl))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == \
        pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.2))


def test_nn_optim_data_serialization_do_no_torch_math(tmp_path):
    """Every layer, loss, init, optimizer, DataLoader shuffle and save/load under the aten audit
    of test_no_torch_math: torch only allocates, views, moves and reads."""
    import os
    import sys
    sys.path.insert(0, os.path.dirname(__file__))
    from test_no_torch_math import AtenRecorder

    import minitorch.utils.data as data

    rec = AtenRecorder()
    with rec:
        model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.LayerNorm(6), nn.GELU(),
                              nn.Dropout(0.2), nn.LeakyReLU(), nn.Linear(6, 3), nn.Tanh())
        emb = nn.Embedding(5, 4, padding_idx=0)
        x = emb(minitorch.tensor([[0, 1], [2, 3], [4, 1]])).sum(1)
        out = model(x)
        t = minitorch.tensor([0, 2, 1])
        loss = (F.cross_entropy(out, t, label_smoothing=0.1) + F.nll_loss(out.log_softmax(1), t)
                + F.mse_loss(out, out.detach() * 0.5) + F.l1_loss(out, out.detach() * 0.1)
                + F.binary_cross_entropy_with_logits(out, out.detach().sigmoid())
                + F.softmax(out, 1).sum() + F.sigmoid(out).mean())
        loss.backward()
        for opt in (minitorch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True,
                                        weight_decay=0.1),
                    minitorch.optim.AdamW(model.parameters(), lr=0.1, amsgrad=True)):
            opt.step()
            opt.step()
            opt.zero_grad(set_to_none=False)
        for init_fn in (nn.init.xavier_uniform_, nn.init.xavier_normal_, nn.init.kaiming_normal_,
                        nn.init.zeros_, nn.init.ones_):
            init_fn(model[0].weight)
        loader = data.DataLoader(data.TensorDataset(minitorch.randn(10, 2), minitorch.arange(10)),
                                 batch_size=4, shuffle=True)
        batches = [b for b in loader]
        data.random_split(list(range(6)), [3, 3])
        minitorch.save({"m": model.state_dict(), "o": opt.state_dict()}, tmp_path / "c.st")
        back = minitorch.load(tmp_path / "c.st")
        model.load_state_dict(back["m"])
        model.eval()
        model(x)
    assert batches and rec.seen
    if rec.violations:
        msg = "\n".join(f"  {k}  x{n}  at {where}" for (k, where), n in rec.violations.items())
        pytest.fail("torch did math (aten ops outside the allowlist):\n" + msg)
