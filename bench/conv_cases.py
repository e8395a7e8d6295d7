"""Convolution benchmark cases for bench/run.py: ``cases()`` returns (name, make(lib) -> step,
repeat) tuples in run.py's CASES format; ``python bench/run.py`` measures them with the others.
"""
import numpy as np


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


def cases():
    return [("conv3x3 fwd+bwd N64 16->32 16x16", lambda lib: conv_layer_case(64, 16, 32, 16, lib),
             5),
            ("cnn step N32 3x16x16", cnn_step_case, 5)]
