"""Fusion may remove launches, never values or observations (minitorch/fusion.py, issue 8).

Each program runs through minitorch (fusion on, then off) and real torch side by side; every
value it can see must agree. Launch counts check that fusion still happens when nothing observes
the intermediates."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import minitorch
from minitorch.ops import launcher

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(params=[True, False], ids=["fusion-on", "fusion-off"])
def fusion(request):
    old = minitorch.backends.fusion.enabled
    minitorch.backends.fusion.enabled = request.param
    yield request.param
    minitorch.backends.fusion.enabled = old


def _np(v):
    if isinstance(v, (minitorch.Tensor, torch.Tensor)):
        return v.detach().numpy()
    return np.asarray(v)


def _same(prog, rtol=1e-5, atol=1e-6):
    """Run ``prog(lib)`` for minitorch and torch; compare everything it returns."""
    got = prog(minitorch)
    want = prog(torch)
    assert len(got) == len(want)
    for i, (a, b) in enumerate(zip(got, want)):
        if b is None:
            assert a is None, f"output {i}: expected None, got {a}"
            continue
        assert a is not None, f"output {i}: expected a value, got None"
        a, b = _np(a), _np(b)
        assert a.shape == b.shape, f"output {i}: shape {a.shape} vs torch {b.shape}"
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"output {i}")
    return got


RNG = np.random.default_rng(8)
X = RNG.standard_normal((6, 5)).astype(np.float32)
W1 = RNG.standard_normal((7, 5)).astype(np.float32)
B1 = RNG.standard_normal(7).astype(np.float32)
W2 = RNG.standard_normal((3, 7)).astype(np.float32)
B2 = RNG.standard_normal(3).astype(np.float32)
Y = np.array([0, 2, 1, 1, 0, 2])


def _mlp(lib):
    model = lib.nn.Sequential(lib.nn.Linear(5, 7), lib.nn.ReLU(), lib.nn.Linear(7, 3))
    with lib.no_grad():
        for p, v in zip(model.parameters(), (W1, B1, W2, B2)):
            p.copy_(lib.tensor(v))
    return model


def _params(lib):
    return [lib.tensor(a, requires_grad=True) for a in (W1, B1, W2, B2)]


# ------------------------------------------------------------------------------- the named cases
def test_case1_logits_read_after_the_step(fusion):
    def prog(lib):
        F = lib.nn.functional
        model = _mlp(lib)
        opt = lib.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        x, y = lib.tensor(X), lib.tensor(Y)
        logits = model(x)
        F.cross_entropy(logits, y).backward()
        opt.step()
        acc = (logits.argmax(1) == y).float().mean()
        return logits, acc, model[0].weight, model[2].bias
    _same(prog)


def test_case2_retain_grad_and_hook_on_pre_activation(fusion):
    def prog(lib):
        F = lib.nn.functional
        lin = _mlp(lib)[0]
        h = lin(lib.tensor(X))
        h.retain_grad()
        F.relu(h).sum().backward()
        h2 = lin(lib.tensor(X))
        h2.register_hook(lambda g: g * 0)
        lin.weight.grad = None
        F.relu(h2).sum().backward()
        return h.grad, lin.weight.grad
    _same(prog)


def test_case3_post_activation_grad_before_the_relu_mask(fusion):
    def prog(lib):
        F = lib.nn.functional
        w1, b1, w2, b2 = _params(lib)
        h = F.relu(F.linear(lib.tensor(X), w1, b1))
        h.retain_grad()
        F.cross_entropy(F.linear(h, w2, b2), lib.tensor(Y)).backward()
        return h.grad, w1.grad, b1.grad, w2.grad, b2.grad
    _same(prog)


def test_case4_pre_activation_keeps_values_from_before_a_weight_write(fusion):
    def prog(lib):
        F = lib.nn.functional
        lin = _mlp(lib)[0]
        h = lin(lib.tensor(X))
        r = F.relu(h)
        lin.weight.data.fill_(5)
        return h, r
    _same(prog)


# ------------------------------------------------------------------------------- observations
def test_hooks_registered_after_forward_see_unfused_gradients(fusion):
    seen = {}

    def prog(lib):
        F = lib.nn.functional
        w1, b1, w2, b2 = _params(lib)
        h = F.linear(lib.tensor(X), w1, b1)
        r = F.relu(h)
        logits = F.linear(r, w2, b2)
        loss = F.cross_entropy(logits, lib.tensor(Y))
        got = []
        h.register_hook(lambda g: got.append(g.clone()))
        r.register_hook(lambda g: got.append(g.clone()) or g * 2)
        logits.retain_grad()
        loss.backward()
        seen[lib.__name__] = got
        return logits.grad, w1.grad, b1.grad, w2.grad
    _same(prog)
    for a, b in zip(seen["minitorch"], seen["torch"]):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5, atol=1e-6)
    assert len(seen["minitorch"]) == len(seen["torch"]) == 2


def test_node_hooks_and_autograd_grad_inputs(fusion):
    def prog(lib):
        F = lib.nn.functional
        w1, b1, w2, b2 = _params(lib)
        h = F.relu(F.linear(lib.tensor(X), w1, b1))
        logits = F.linear(h, w2, b2)
        loss = F.cross_entropy(logits, lib.tensor(Y))
        post = []  # a node post-hook's grad_outputs (grad_inputs order differs from addmm's)
        logits.grad_fn.register_hook(lambda gi, go: post.append(go[0].clone()))
        (g_logits, g_h) = lib.autograd.grad(loss, (logits, h), retain_graph=True)
        loss.backward()
        return g_logits, g_h, post[0], post[1], w1.grad, w2.grad
    _same(prog)


def test_requires_grad_leaf_in_between(fusion):
    def prog(lib):
        F = lib.nn.functional
        w1, b1, w2, b2 = _params(lib)
        h = F.linear(lib.tensor(X), w1, b1).detach().requires_grad_()
        loss = F.cross_entropy(F.linear(F.relu(h), w2, b2), lib.tensor(Y))
        loss.backward()
        return h.grad, w2.grad, b2.grad, w1.grad
    _same(prog)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_grad_mode_off_and_anomaly_mode(fusion):
    def prog(lib):
        F = lib.nn.functional
        w1, b1, w2, b2 = _params(lib)
        with lib.no_grad():
            h = F.linear(lib.tensor(X), w1, b1)
            r = F.relu(h)
            loss0 = F.cross_entropy(F.linear(r, w2, b2), lib.tensor(Y))
        with lib.autograd.detect_anomaly():
            h1 = F.linear(lib.tensor(X), w1, b1)
            loss = F.cross_entropy(F.linear(F.relu(h1), w2, b2), lib.tensor(Y))
            loss.backward()
        return h, r, loss0, loss, w1.grad, b2.grad
    _same(prog)


def test_double_backward_through_fused_ops(fusion):
    def prog(lib):
        F = lib.nn.functional
        w1, b1, w2, b2 = (lib.tensor(a.astype(np.float64), requires_grad=True)
                          for a in (W1, B1, W2, B2))
        x = lib.tensor(X.astype(np.float64), requires_grad=True)
        loss = F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), lib.tensor(Y))
        gx, gw1 = lib.autograd.grad(loss, (x, w1), create_graph=True)
        ((gx * gx).sum() + (gw1 * gw1).sum()).backward()
        return gx, gw1, x.grad, w1.grad, w2.grad, b2.grad
    _same(prog, rtol=1e-9, atol=1e-12)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_in_place_on_logits_after_the_head_is_refused_either_way(fusion):
    # torch's log_softmax saves its output, so torch differentiates through this; minitorch's
    # cross-entropy node saves the logits and refuses — the same with fusion on and off (the
    # fused head must not silently recompute the logits the unfused node would refuse)
    for lib in (minitorch,):
        F = lib.nn.functional
        w1, b1, w2, b2 = _params(lib)
        logits = F.linear(lib.tensor(X), w2[:, :5].detach().requires_grad_(), b2)
        loss = F.cross_entropy(logits, lib.tensor(Y))
        with lib.no_grad():
            logits.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()


def test_bias_written_between_forward_and_backward(fusion):
    def prog(lib):
        F = lib.nn.functional
        w1, b1, w2, b2 = _params(lib)
        loss = F.cross_entropy(F.linear(lib.tensor(X), w1[:3].detach().requires_grad_(), b2),
                               lib.tensor(Y))
        with lib.no_grad():
            b2.mul_(3)  # addmm does not save the bias: torch's gradient is unaffected
        loss.backward()
        return loss, b2.grad
    _same(prog)


# ------------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("shape", [(5,), (2, 3, 5), (1, 5)])
def test_linear_input_ranks(fusion, shape):
    xs = RNG.standard_normal(shape).astype(np.float32)

    def prog(lib):
        F = lib.nn.functional
        w1, b1, _, _ = _params(lib)
        x = lib.tensor(xs, requires_grad=True)
        h = F.linear(x, w1, b1)
        r = F.relu(F.linear(x, w1))
        (h.sum() + (r * r).sum()).backward()
        return h, r, x.grad, w1.grad, b1.grad
    _same(prog)
    assert tuple(minitorch.nn.Linear(3, 2)(minitorch.ones(3)).shape) == (2,)


# ------------------------------------------------------------------------------- launches
def _launches(fn):
    launcher.stats.reset()
    fn()
    return dict(launcher.stats.by_kernel)


def test_fusion_happens_only_when_nothing_observes():
    x, y = minitorch.tensor(X), minitorch.tensor(Y)
    params = _params(minitorch)
    w1, b1, w2, b2 = params
    F = minitorch.nn.functional

    def step(observe=None):
        for p in params:
            p.grad = None
        h = F.linear(x, w1, b1)
        r = F.relu(h)
        logits = F.linear(r, w2, b2)
        loss = F.cross_entropy(logits, y)
        if observe == "logits":
            logits.retain_grad()
        elif observe == "r":
            r.register_hook(lambda g: None)
        elif observe == "h":
            h.register_hook(lambda g: None)
        loss.backward()
    step()
    plain = _launches(step)
    # forward: layer 1 + ReLU, the head; backward: the head, which also gives layer 1's dW/db
    assert plain == {"matmul_kernel": 1, "linear_cross_entropy_fwd_kernel": 1,
                     "linear_cross_entropy_bwd_kernel": 1}
    # a hook on h sees h's gradient, computed whole by the fused head (ReLU derivative in its
    # epilogue); layer 1's dW/db then run on their own
    assert _launches(lambda: step("h")) == {**plain, "matmul_kernel": 2}
    # a hook on r: the head still fuses with its Linear, the ReLU derivative runs on its own
    on_r = _launches(lambda: step("r"))
    elementwise = on_r.get("pointwise_kernel", 0) + on_r.get("flat_kernel", 0)  # the ReLU backward
    assert on_r["linear_cross_entropy_bwd_kernel"] == 1 and elementwise == 1
    # retained logits: cross-entropy backward, then the Linear's own dX and dW kernels
    on_logits = _launches(lambda: step("logits"))
    assert "linear_cross_entropy_bwd_kernel" not in on_logits
    assert on_logits["cross_entropy_bwd_kernel"] == 1
    minitorch.backends.fusion.enabled = False
    try:
        off = _launches(step)
    finally:
        minitorch.backends.fusion.enabled = True
    assert "linear_cross_entropy_fwd_kernel" not in off
    assert off["matmul_kernel"] == 2 + 2 + 1  # forward 2, dX and dW+db of layer 2, dW+db of 1


def test_environment_switch_turns_fusion_off():
    code = ("import minitorch, minitorch.nn.functional as F\n"
            "from minitorch.ops import launcher\n"
            "x, w = minitorch.randn(4, 3), minitorch.randn(5, 3)\n"
            "launcher.stats.reset(); F.relu(F.linear(x, w))\n"
            "print(minitorch.backends.fusion.enabled, launcher.stats.launches)\n")
    env = dict(os.environ, MINITORCH_FUSION="0")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "2"]


def test_edge_shapes_and_shared_activations(fusion):
    def prog(lib):
        F = lib.nn.functional
        rng = np.random.default_rng(1)
        x0 = lib.tensor(rng.standard_normal((4, 0)))
        w0 = lib.tensor(rng.standard_normal((3, 0)), requires_grad=True)
        b0 = lib.tensor(rng.standard_normal(3), requires_grad=True)
        h0 = F.linear(x0, w0, b0)  # K == 0: relu(bias)
        r0 = F.relu(h0)
        r0.sum().backward()
        x = lib.tensor(rng.standard_normal((4, 5)))
        w1 = lib.tensor(rng.standard_normal((6, 5)), requires_grad=True)
        w2 = lib.tensor(rng.standard_normal((3, 6)), requires_grad=True)
        bs = lib.tensor(0.5, dtype=lib.float64, requires_grad=True)  # a 0-d bias broadcasts
        r = F.relu(F.linear(x, w1))
        loss = F.cross_entropy(F.linear(r, w2, bs), lib.tensor([0, 1, 2, 1])) + r.mean()
        loss.backward()  # r has two consumers: its ReLU must not be absorbed
        x3 = lib.tensor(rng.standard_normal((2, 3, 5)), requires_grad=True)
        y3 = F.linear(F.relu(F.linear(x3, w1)), w2).sum()
        y3.backward()
        return h0, r0, b0.grad, w0.grad, loss, w1.grad, w2.grad, bs.grad, y3, x3.grad
    _same(prog, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("write", ["load_state_dict", "opt_step", "data_assign", "copy_",
                                   "zero_", "weight_view_write"])
def test_every_write_path_between_a_linear_and_its_consumer(fusion, write):
    def prog(lib):
        F = lib.nn.functional
        model = _mlp(lib)
        lin = model[0]
        other = lib.nn.Linear(5, 7)
        with lib.no_grad():
            other.weight.fill_(0.5)
            other.bias.fill_(-0.25)
        opt = lib.optim.SGD(lin.parameters(), lr=1.0)
        lin(lib.tensor(X)).sum().backward()
        h = lin(lib.tensor(X))
        if write == "load_state_dict":
            lin.load_state_dict(other.state_dict())
        elif write == "opt_step":
            opt.step()
        elif write == "data_assign":
            lin.weight.data = other.weight.data
        elif write == "copy_":
            with lib.no_grad():
                lin.weight.copy_(other.weight)
        elif write == "zero_":
            with lib.no_grad():
                lin.bias.zero_()
        else:
            wv = lin.weight.data[:, 1]
            wv.fill_(3.0)
        r = F.relu(h)
        loss = F.cross_entropy(model[2](r), lib.tensor(Y))
        return h, r, loss, lin(lib.tensor(X))
    _same(prog)


def test_threads_each_see_their_own_values():
    import threading
    F = minitorch.nn.functional

    def work(scale, out):
        w1, b1, w2, b2 = _params(minitorch)
        x = minitorch.tensor(X * scale)
        for _ in range(3):
            h = F.linear(x, w1, b1)
            loss = F.cross_entropy(F.linear(F.relu(h), w2, b2), minitorch.tensor(Y))
            loss.backward()
            with minitorch.no_grad():
                w1.sub_(0.1 * w1.grad)
        out.append((h.detach().numpy().copy(), loss.item(), w1.detach().numpy().copy()))

    alone = {}
    for scale in (1.0, -2.0):
        res = []
        work(scale, res)
        alone[scale] = res[0]
    together = {1.0: [], -2.0: []}
    threads = [threading.Thread(target=work, args=(s, together[s])) for s in (1.0, -2.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in (1.0, -2.0):
        for a, b in zip(together[s][0], alone[s]):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


# ------------------------------------------------------------------ BatchNorm + ReLU (forward
# epilogue, in-place too; ReLU's backward folded into the batch-norm backward)
XB = RNG.standard_normal((4, 3, 5, 5)).astype(np.float32)
GB = RNG.standard_normal((4, 3, 5, 5)).astype(np.float32)


def _bn(lib, train=True):
    bn = lib.nn.BatchNorm2d(3)
    with lib.no_grad():
        bn.weight.copy_(lib.tensor([1.5, -0.5, 2.0]))
        bn.bias.copy_(lib.tensor([0.1, 0.2, -0.3]))
    return bn.train(train)


@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("train", [True, False])
def test_bn_relu_values_gradients_and_buffers(fusion, inplace, train):
    def prog(lib):
        bn = _bn(lib, train)
        x = lib.tensor(XB, requires_grad=True)
        h = bn(x * 1)
        y = lib.nn.functional.relu(h, inplace=inplace)
        (y * lib.tensor(GB)).sum().backward()
        return y, h, x.grad, bn.weight.grad, bn.bias.grad, bn.running_mean, bn.running_var, \
            bn.num_batches_tracked, h._version
    _same(prog, rtol=1e-4, atol=1e-5)


def test_bn_relu_observers_see_torchs_values(fusion):
    """A hook and retain_grad on the batch-norm output, the buffers read between the batch norm
    and the ReLU, and the weight written through ``.data`` after the batch norm (h keeps the
    old weight's values; the backward sees the new one, as in torch): all as torch."""
    def prog(lib):
        bn = _bn(lib)
        x = lib.tensor(XB, requires_grad=True)
        xin = x * 1
        h = bn(xin)
        seen = []
        h.register_hook(lambda g: seen.append(g.sum()))
        h.retain_grad()
        rm = bn.running_mean.clone()  # reading a buffer computes the pending batch norm
        y = lib.relu(h)
        bn.weight.data.mul_(3)  # after the batch norm: must not change h
        (y * lib.tensor(GB)).sum().backward()
        return h, y, h.grad, seen[0], x.grad, rm
    _same(prog, rtol=1e-4, atol=1e-5)


def test_bn_relu_with_two_consumers_and_double_backward(fusion):
    def prog(lib):
        bn = _bn(lib)
        x = lib.tensor(XB.astype(np.float64), requires_grad=True)
        bn = bn.double()
        h = bn(x)
        y = lib.relu(h)
        loss = (y * y).sum() + (h * 0.5).sum()  # h also used directly
        g, = lib.autograd.grad(loss, x, create_graph=True)
        g.sum().backward()
        return g, x.grad, bn.weight.grad
    _same(prog, rtol=1e-6, atol=1e-8)


def test_bn_relu_inplace_then_written_again_is_refused_as_torch(fusion):
    def prog(lib):
        bn = _bn(lib)
        x = lib.tensor(XB, requires_grad=True)
        h = bn(x)
        h.relu_()
        h.add_(1)  # ReluBackward0 saved h
        try:
            h.sum().backward()
        except RuntimeError as e:
            return [str(e).split(":")[0]]
        return [None]
    got = prog(minitorch)
    assert got == prog(torch) and got[0] is not None


def test_bn_relu_launch_counts():
    x = minitorch.tensor(XB, requires_grad=True)
    bn = minitorch.nn.BatchNorm2d(3)
    launcher.stats.reset()
    y = minitorch.relu(bn(x))
    assert launcher.stats.launches == 1
    launcher.stats.reset()
    y.backward(minitorch.tensor(GB))
    assert launcher.stats.by_kernel == {"batch_norm_bwd_kernel": 1}
    launcher.stats.reset()
    z = bn(x)
    z.relu_()
    assert launcher.stats.launches == 1
    with minitorch.no_grad():
        launcher.stats.reset()
        bn.eval()(x).relu_()
        assert launcher.stats.launches == 1


def test_bn_relu_observers_registered_after_the_fused_forward(fusion):
    def prog(lib):
        bn = _bn(lib)
        x = lib.tensor(XB, requires_grad=True)
        h = bn(x * 1)
        y = lib.relu(h)  # fused with fusion on
        bn.weight.data.mul_(3)
        seen = []
        h.register_hook(lambda g: seen.append(g * 1))
        h.retain_grad()
        (y * lib.tensor(GB)).sum().backward()
        return h, y, h.grad, seen[0], x.grad, bn.weight.grad, bn.running_var
    _same(prog, rtol=1e-4, atol=1e-5)


def test_cross_entropy_on_a_pending_batch_norm_output(fusion):
    """The fused head takes a pending Linear only; a pending BatchNorm output as logits takes the
    ordinary path (it used to be unpacked as a Linear's arguments)."""
    def prog(lib):
        bn = lib.nn.BatchNorm1d(3)
        x = lib.tensor(X[:, :3], requires_grad=True)
        loss = lib.nn.functional.cross_entropy(bn(x), lib.tensor(Y))
        loss.backward()
        return loss, x.grad, bn.weight.grad
    _same(prog)
