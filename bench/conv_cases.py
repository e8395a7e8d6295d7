"""Convolution benchmark cases for bench/run.py: ``cases()`` returns (name, make(lib) -> step,
repeat) tuples in run.py's CASES format; ``python bench/run.py`` measures them with the others.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from tools.torchvision_models import torchvision_models  # noqa: E402


def conv_layer_case(n, c_in, c_out, hw, lib):
    """One 3x3 conv layer (padding 1, bias) forward and backward on an (n, c_in, hw, hw) batch."""
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((n, c_in, hw, hw)).astype(np.float32), requires_grad=True)
    w = lib.tensor(rng.standard_normal((c_out, c_in, 3, 3)).astype(np.float32) * 0.1,
                   requires_grad=True)
    b = lib.tensor(rng.standard_normal(c_out).astype(np.float32), requires_grad=True)
    g = lib.tensor(rng.standard_normal((n, c_out, hw, hw)).astype(np.float32))

    def step():
        x.grad = w.grad = b.grad = None
        lib.nn.functional.conv2d(x, w, b, padding=1).backward(g)
    return step


def cnn_step_case(lib):
    """One SGD step of conv(3->16) -> relu -> max_pool -> conv(16->32) -> relu -> adaptive avg
    pool -> linear -> cross-entropy on a 32x3x16x16 batch."""
    rng = np.random.default_rng(0)
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(32, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = lib.tensor(rng.standard_normal((32, 3, 16, 16)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 32))

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def _torch_resnet_small(widths=(16, 32, 64)):
    """torch's twin of ``minitorch.models.resnet_small()``, built from torchvision's ResNet and
    BasicBlock (3x3 stride-1 stem, no max-pool, one BasicBlock per width, 1 channel in)."""
    import torch
    resnet = torchvision_models().resnet
    model = resnet.ResNet(resnet.BasicBlock, [1] * 4, num_classes=10)
    model.inplanes = widths[0]
    model.conv1 = torch.nn.Conv2d(1, widths[0], 3, 1, 1, bias=False)
    model.bn1 = torch.nn.BatchNorm2d(widths[0])
    model.maxpool = torch.nn.Identity()
    for i, width in enumerate(widths):
        setattr(model, f"layer{i + 1}",
                model._make_layer(resnet.BasicBlock, width, 1, stride=1 if i == 0 else 2))
    model.layer4 = torch.nn.Identity()
    model.fc = torch.nn.Linear(widths[-1], 10)
    return model


def resnet_small_step_case(lib):
    """One SGD(momentum) training step of the small ResNet (``models.resnet_small()``: 1x8x8 in,
    widths 16/32/64, BatchNorm, residual adds) with cross-entropy on a batch of 32; the torch
    side is the same network built from torchvision's blocks, with the same weights."""
    rng = np.random.default_rng(0)
    lib.manual_seed(0)
    from minitorch import models
    model = models.resnet_small()
    if lib.__name__ == "torch":
        twin = _torch_resnet_small()
        twin.load_state_dict({k: lib.tensor(v.numpy()) for k, v in model.state_dict().items()})
        model = twin
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = lib.tensor(rng.standard_normal((32, 1, 8, 8)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 32))

    def step():
        opt.zero_grad()
        lib.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def resnet18_forward_case(lib):
    """ResNet-18 (torchvision's layout and weights) forward in eval mode on a 8x3x64x64 batch."""
    rng = np.random.default_rng(0)
    lib.manual_seed(0)
    from minitorch import models
    model = models.resnet18().eval()
    if lib.__name__ == "torch":
        twin = torchvision_models().resnet18().eval()
        twin.load_state_dict({k: lib.tensor(v.numpy()) for k, v in model.state_dict().items()})
        model = twin
    x = lib.tensor(rng.standard_normal((8, 3, 64, 64)).astype(np.float32))

    def forward():
        with lib.no_grad():
            model(x)
    return forward


def cases():
    return [("conv3x3 fwd+bwd N64 16->32 16x16", lambda lib: conv_layer_case(64, 16, 32, 16, lib),
             5),
            ("cnn step N32 3x16x16", cnn_step_case, 5),
            ("resnet_small step N32 1x8x8", resnet_small_step_case, 3),
            ("resnet18 eval fwd N8 3x64x64", resnet18_forward_case, 2)]
