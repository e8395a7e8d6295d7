"""Module hooks (forward pre-hooks, forward hooks, full backward hooks and pre-hooks), each
program run through minitorch and torch side by side: the same calls in the same order with the
same arguments, the same replaced values and gradients, the same errors."""
import numpy as np
import pytest
import torch

import minitorch as mt

X = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)


def _plain(x):
    if isinstance(x, (mt.Tensor, torch.Tensor)):
        return ("T", tuple(x.shape), np.round(np.array(x.detach().tolist()), 5).tolist())
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def _run(fn, lib):
    try:
        return "ok", _plain(fn(lib))
    except Exception as e:  # noqa: BLE001 — the exception is the result being compared
        return "raised", type(e).__name__, str(e)


def _same(fn):
    m, t = _run(fn, mt), _run(fn, torch)
    assert m == t, f"\n  minitorch: {m}\n  torch:     {t}"


def _net(L):
    lin1, lin2 = L.nn.Linear(3, 4), L.nn.Linear(4, 2)
    with L.no_grad():
        lin1.weight.copy_(L.arange(12.).reshape(4, 3) / 10 - 0.5)
        lin1.bias.fill_(0.1)
        lin2.weight.copy_(L.arange(8.).reshape(2, 4) / 10 - 0.3)
        lin2.bias.fill_(-0.2)
    return L.nn.Sequential(lin1, L.nn.Tanh(), lin2)


def forward_pre_hook_replaces_input(L):
    net = _net(L)
    seen = []
    net[0].register_forward_pre_hook(lambda m, args: seen.append(_plain(args)) or args[0] * 2)
    return net(L.tensor(X)), seen


def pre_hook_with_kwargs_and_prepend_order(L):
    class M(L.nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale
    m, order = M(), []
    m.register_forward_pre_hook(lambda mod, a, k: order.append("a") or (a, {"scale": 3.0}),
                                with_kwargs=True)
    m.register_forward_pre_hook(lambda mod, a: order.append("b"), prepend=True)
    return m(L.tensor(X)), order


def forward_hook_replaces_output_and_remove(L):
    net = _net(L)
    feats = []
    h = net[1].register_forward_hook(lambda m, a, out: feats.append(_plain(out)) or out * 0)
    y1 = net(L.tensor(X))
    h.remove()
    y2 = net(L.tensor(X))
    with net[1].register_forward_hook(lambda m, a, out: out + 1):
        y3 = net(L.tensor(X))
    y4 = net(L.tensor(X))
    return y1, y2, y3, y4, feats


def forward_hook_with_kwargs(L):
    class M(L.nn.Module):
        def forward(self, x, shift=0.0):
            return x + shift
    m, seen = M(), []
    m.register_forward_hook(lambda mod, a, k, out: seen.append(sorted(k)) or out * 2,
                            with_kwargs=True)
    return m(L.tensor(X), shift=1.0), seen


def always_call_hook_runs_when_forward_raises(L):
    class Bad(L.nn.Module):
        def forward(self, x):
            raise ValueError("bad forward")
    m, seen = Bad(), []
    m.register_forward_hook(lambda mod, a, out: seen.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, a, out: seen.append("plain"))
    try:
        m(L.tensor(X))
    except ValueError as e:
        seen.append(str(e))
    return seen


def full_backward_hook_sees_gradients(L):
    net = _net(L)
    seen = []
    net[2].register_full_backward_hook(
        lambda m, gi, go: seen.append((_plain(gi), _plain(go))))
    x = L.tensor(X, requires_grad=True)
    (net(x) * L.tensor([1., 3.])).sum().backward()
    return x.grad, net[0].weight.grad, seen


def full_backward_hook_replaces_grad_input(L):
    net = _net(L)
    net[2].register_full_backward_hook(lambda m, gi, go: (gi[0] * 10,))
    x = L.tensor(X, requires_grad=True)
    net(x).sum().backward()
    return x.grad, net[2].weight.grad, net[0].weight.grad


def backward_pre_hook_replaces_grad_output(L):
    net = _net(L)
    order = []
    net[2].register_full_backward_pre_hook(lambda m, go: order.append("pre") or (go[0] * 0.5,))
    net[2].register_full_backward_hook(lambda m, gi, go: order.append(("hook", _plain(go))))
    x = L.tensor(X, requires_grad=True)
    net(x).sum().backward()
    return x.grad, net[2].weight.grad, order


def backward_hook_on_frozen_first_layer(L):
    """The finetuning case: nothing before the module requires grad, so grad_input is None."""
    net = _net(L)
    seen = []
    net[0].register_full_backward_hook(lambda m, gi, go: seen.append((gi, _plain(go))))
    net(L.tensor(X)).sum().backward()
    return seen, net[0].weight.grad


def backward_hook_no_input_grad_must_return_none(L):
    net = _net(L)
    net[0].register_full_backward_hook(lambda m, gi, go: (L.ones(2, 3),))
    net(L.tensor(X)).sum().backward()


def backward_hook_wrong_count(L):
    net = _net(L)
    net[2].register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    net(L.tensor(X, requires_grad=True)).sum().backward()


def backward_hook_graph_names(L):
    net = _net(L)
    net[2].register_full_backward_hook(lambda m, gi, go: None)
    y = net(L.tensor(X, requires_grad=True))
    return y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()


def backward_hooks_with_tuple_output_and_hooks_in_no_grad(L):
    class Split(L.nn.Module):
        def forward(self, x):
            return x * 2, x * 3
    m, seen = Split(), []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((_plain(gi), _plain(go))))
    x = L.tensor(X, requires_grad=True)
    a, b = m(x)
    (a.sum() + (b * b).sum()).backward()
    with L.no_grad():
        c, _ = m(x)
    return x.grad, seen, c.requires_grad


def inplace_relu_with_backward_hook_is_refused(L):
    r = L.nn.ReLU(inplace=True)
    r.register_full_backward_hook(lambda m, gi, go: None)
    x = L.tensor([1., -2.], requires_grad=True)
    r(x * 1).sum().backward()
    return x.grad


@pytest.mark.parametrize("fn", [
    inplace_relu_with_backward_hook_is_refused, forward_pre_hook_replaces_input,
    pre_hook_with_kwargs_and_prepend_order,
    forward_hook_replaces_output_and_remove, forward_hook_with_kwargs,
    always_call_hook_runs_when_forward_raises, full_backward_hook_sees_gradients,
    full_backward_hook_replaces_grad_input, backward_pre_hook_replaces_grad_output,
    backward_hook_on_frozen_first_layer, backward_hook_no_input_grad_must_return_none,
    backward_hook_wrong_count, backward_hook_graph_names,
    backward_hooks_with_tuple_output_and_hooks_in_no_grad], ids=lambda f: f.__name__)
def test_module_hooks_as_torch(fn):
    _same(fn)


def test_feature_extraction_from_a_resnet_layer():
    """The tutorial idiom: a forward hook on a ResNet stage collects its activations."""
    from minitorch import models
    model = models.resnet_small().eval()
    feats = {}
    handle = model.layer2.register_forward_hook(
        lambda m, a, out: feats.__setitem__("layer2", out.detach()))
    with mt.no_grad():
        model(mt.randn(2, 1, 8, 8))
    handle.remove()
    assert tuple(feats["layer2"].shape) == (2, 32, 4, 4)
    assert not model.layer2._forward_hooks
