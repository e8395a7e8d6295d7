"""minitorch.models against torchvision: state_dict keys, order and shapes; a torchvision
ResNet-18's weights through safetensors give the same logits (eval and train mode); the seed
tutorial's finetuning recipe for one step matches torch (loss, fc gradient, updated fc, running
statistics)."""
import pytest
import torch
from safetensors.torch import save_file

import minitorch
from minitorch import models, nn, optim
from tools.torchvision_models import torchvision_models

tvm = torchvision_models()


def _layout(state):
    return [(k, tuple(v.shape)) for k, v in state.items()]


@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet50"])
def test_state_dict_keys_order_and_shapes_equal_torchvision(name):
    ours = nn.utils.skip_init(getattr(models, name))  # the layout only: no random init
    theirs = getattr(tvm, name)()
    assert _layout(ours.state_dict()) == _layout(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert sum(p.numel() for p in ours.parameters()) == \
        sum(p.numel() for p in theirs.parameters())
    if name == "resnet18":
        assert sum(p.numel() for p in ours.parameters()) == 11_689_512
        assert len(ours.state_dict()) == 122


def test_constructor_arguments_as_torchvision():
    kw = dict(num_classes=7, groups=2, width_per_group=32,
              replace_stride_with_dilation=[False, True, True])
    assert _layout(nn.utils.skip_init(models.resnet50, **kw).state_dict()) == \
        _layout(tvm.resnet50(**kw).state_dict())
    m = models.resnet18(zero_init_residual=True, num_classes=3)
    assert m.fc.out_features == 3
    assert all(float(b.bn2.weight.abs().sum()) == 0 for layer in (m.layer1, m.layer4)
               for b in layer)
    assert float(m.layer1[0].bn1.weight.sum()) == 64 and float(m.bn1.bias.abs().sum()) == 0
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1"):
        models.resnet18(groups=2)
    with pytest.raises(ValueError, match="replace_stride_with_dilation should be None"):
        models.resnet18(replace_stride_with_dilation=[True])
    gn = nn.utils.skip_init(models.resnet18, norm_layer=lambda c: nn.GroupNorm(4, c))
    assert type(gn.layer1[0].bn1).__name__ == "GroupNorm"


def test_skip_init_launches_no_random_kernel_and_load_state_dict_fills_it():
    from minitorch.ops import launcher
    launcher.stats.reset()
    m = nn.utils.skip_init(models.resnet_small)
    assert "random_kernel" not in launcher.stats.by_kernel
    ref = models.resnet_small()
    m.load_state_dict(ref.state_dict())
    x = minitorch.randn(2, 1, 8, 8)
    assert minitorch.equal(m.eval()(x), ref.eval()(x))
    layer = nn.utils.skip_init(nn.Linear, 3, 2)  # and the initializers work again afterwards
    assert tuple(layer.weight.shape) == (2, 3)
    assert float(nn.init.ones_(minitorch.empty(2)).sum()) == 2


def test_init_is_torchvisions_kaiming_fan_out():
    minitorch.manual_seed(0)
    m = models.resnet18()
    w = m.layer3[0].conv1.weight  # 256 x 128 x 3 x 3: std = sqrt(2 / (256 * 9))
    std = float(w.std())
    assert abs(std - (2 / (256 * 9)) ** 0.5) < 0.05 * std
    assert abs(float(w.mean())) < 0.05 * std
    assert float(m.layer3[0].bn1.running_var.sum()) == 256


def _torch_resnet18_file(tmp_path):
    """A torchvision ResNet-18 with random weights and non-trivial running statistics, saved with
    torch as safetensors."""
    torch.manual_seed(0)
    ref = tvm.resnet18()
    with torch.no_grad():
        for mod in ref.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 2.0)
                mod.num_batches_tracked.fill_(7)
    path = tmp_path / "resnet18.safetensors"
    save_file(ref.state_dict(), str(path))
    return ref, path


def _close(ours, theirs, rtol=1e-4, atol=1e-4):
    a = torch.from_numpy(ours.detach().numpy()) if isinstance(ours, minitorch.Tensor) else ours
    torch.testing.assert_close(a, theirs.detach(), rtol=rtol, atol=atol)


def _mt(t):
    return minitorch.tensor(t.numpy())


def test_torchvision_weights_give_torchs_logits_and_the_seed_recipe_step(tmp_path):
    ref, path = _torch_resnet18_file(tmp_path)
    model = models.resnet18()
    model.load_state_dict(minitorch.load(str(path)))
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 3, 32, 32, generator=g)  # batch 4: BN over 1x1 maps in layer4
    y = torch.tensor([3, 8, 0, 5])

    # eval mode: the running statistics
    ref.eval()
    model.eval()
    with torch.no_grad():
        expected = ref(x)
    _close(model(_mt(x)), expected)

    # train mode: the batch statistics; running statistics update as torch's
    ref.train()
    model.train()
    with torch.no_grad():
        expected = ref(x)
    _close(model(_mt(x)), expected, rtol=1e-3, atol=1e-3)
    for (k, a), (k2, b) in zip(model.state_dict().items(), ref.state_dict().items()):
        assert k == k2
        _close(a, b, rtol=1e-4, atol=1e-5)

    # the seed tutorial's finetuning recipe, one step on each side
    for param in ref.parameters():
        param.requires_grad = False
    for param in model.parameters():
        param.requires_grad = False
    ref.fc = torch.nn.Linear(512, 10)
    model.fc = nn.Linear(512, 10)
    with minitorch.no_grad():
        model.fc.weight.copy_(_mt(ref.fc.weight.detach()))
        model.fc.bias.copy_(_mt(ref.fc.bias.detach()))
    opt_ref = torch.optim.SGD(ref.fc.parameters(), lr=1e-2, momentum=0.9)
    opt = optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)
    loss_ref = torch.nn.CrossEntropyLoss()(ref(x), y)
    loss = nn.CrossEntropyLoss()(model(_mt(x)), _mt(y))
    opt_ref.zero_grad()
    opt.zero_grad()
    loss_ref.backward()
    loss.backward()
    _close(loss, loss_ref, rtol=1e-3, atol=1e-4)
    _close(model.fc.weight.grad, ref.fc.weight.grad, rtol=1e-3, atol=1e-4)
    _close(model.fc.bias.grad, ref.fc.bias.grad, rtol=1e-3, atol=1e-4)
    assert all(p.grad is None for n, p in model.named_parameters() if not n.startswith("fc."))
    opt_ref.step()
    opt.step()
    _close(model.fc.weight, ref.fc.weight, rtol=1e-4, atol=1e-5)
    _close(model.fc.bias, ref.fc.bias, rtol=1e-4, atol=1e-5)
    # the pitfall: frozen BatchNorm layers in train mode still moved their running statistics
    assert int(model.bn1.num_batches_tracked) == 9 == int(ref.bn1.num_batches_tracked)
    _close(model.layer4[1].bn2.running_var, ref.layer4[1].bn2.running_var, rtol=1e-4, atol=1e-5)


def test_frozen_body_in_eval_mode_keeps_every_tensor_bit_identical():
    minitorch.manual_seed(0)
    model = models.resnet_small(num_classes=4, widths=(8, 16))
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(16, 3)
    before = {k: v.clone() for k, v in model.state_dict().items() if not k.startswith("fc.")}
    model.eval()  # the frozen body's BatchNorm uses (and keeps) its running statistics
    opt = optim.SGD(model.fc.parameters(), lr=0.1, momentum=0.9)
    x, y = minitorch.randn(6, 1, 8, 8), minitorch.tensor([0, 1, 2, 0, 1, 2])
    for _ in range(2):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    after = model.state_dict()
    assert all(minitorch.equal(before[k], after[k]) for k in before)
    # in train mode the same frozen body's running statistics move (torch's behaviour)
    model.train()
    model(x)
    assert not minitorch.equal(before["bn1.running_mean"], model.bn1.running_mean)


def test_resnet_small_shapes_and_backward():
    minitorch.manual_seed(0)
    m = models.resnet_small()
    assert list(m.state_dict())[:6] == ["conv1.weight", "bn1.weight", "bn1.bias",
                                        "bn1.running_mean", "bn1.running_var",
                                        "bn1.num_batches_tracked"]
    assert "layer4.0.conv1.weight" not in m.state_dict()
    for size in (8, 32):
        out = m(minitorch.randn(2, 1, size, size))
        assert tuple(out.shape) == (2, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    with pytest.raises(RuntimeError, match="to have 1 channels, but got 3 channels"):
        m(minitorch.randn(2, 3, 8, 8))
