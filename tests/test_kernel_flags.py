"""Shape flags of the matmul, fused-head and SGD kernels (EVEN_*/ONE_*/BATCHED/G_SCALAR/
DAMPENING): the host sets each only when it holds and each only removes work (masks, loops,
program-id arithmetic), so every shape — multiples of the blocks or not, K in one block or
looped, one program or several, batched or not — must give torch's values, and the shapes below
must actually reach both settings of each flag."""
import itertools

import numpy as np
import pytest
import torch

import minitorch
from minitorch.nn import functional as F
from minitorch.ops import launcher, matmul


def _flags(rec, kernel):
    seen = {}
    for r in rec.values():
        if r["kernel"] == kernel:
            for k, v in r["constexprs"].items():
                seen.setdefault(k, set()).add(v)
    return seen


def _filled(rng, *shape, dtype=torch.float32):
    return torch.from_numpy(rng.standard_normal(shape)).to(dtype)


# (M, N, K): multiples of the interpreter blocks (powers of two >= 16, up to 256) or not, K
# beyond one block (looped) or within
MM_SHAPES = [(64, 128, 64), (16, 16, 16), (20, 17, 24), (64, 17, 40), (20, 128, 32),
             (16, 48, 300), (300, 16, 16), (1, 1, 1)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matmul_flags_give_the_product(dtype):
    rng = np.random.default_rng(0)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-10)
    with launcher.record_specializations() as rec:
        for (M, N, K), B in itertools.product(MM_SHAPES, (1, 3)):
            a, b = _filled(rng, B, M, K, dtype=dtype), _filled(rng, B, K, N, dtype=dtype)
            bias = _filled(rng, N, dtype=dtype)
            out, pre = torch.empty(B, M, N, dtype=dtype), torch.empty(B, M, N, dtype=dtype)
            matmul.bmm(a, b, out, bias=bias, activation="relu", pre_out=pre)
            ref = a.numpy() @ b.numpy() + bias.numpy()
            np.testing.assert_allclose(pre.numpy(), ref, **tol)
            np.testing.assert_allclose(out.numpy(), np.where(ref < 0, 0, ref), **tol)
            if B == 1:  # the fused Linear's backward variants: a transposed A with row sums,
                at = _filled(rng, K, M, dtype=dtype).t()  # and the ReLU-derivative epilogue
                rowsum = torch.empty(M, dtype=dtype)
                got = matmul.mm(at, b[0], rowsum=rowsum)
                np.testing.assert_allclose(got.numpy(), at.numpy() @ b[0].numpy(), **tol)
                np.testing.assert_allclose(rowsum.numpy(), at.numpy().sum(1), **tol)
                mask = _filled(rng, M, N, dtype=dtype)
                got = matmul.mm(a[0], b[0], relu_mask=mask)
                np.testing.assert_allclose(got.numpy(),
                                           (a[0].numpy() @ b[0].numpy()) * (mask.numpy() > 0),
                                           **tol)
    seen = _flags(rec, "matmul_kernel")
    if launcher.POLICY == "interpreter":
        for flag in ("EVEN_M", "EVEN_N", "EVEN_K", "ONE_TILE", "ONE_K", "BATCHED"):
            assert flag in seen, flag  # set by some shape (absent: left at its default)


# (batch, features, hidden, classes)
HEAD_SHAPES = [(64, 64, 128, 10), (16, 16, 16, 16), (20, 300, 33, 10), (7, 5, 300, 3)]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mlp_step_flags_match_torch(reduction):
    """Linear -> ReLU -> Linear -> cross-entropy -> backward -> SGD(momentum) for shapes that do
    and do not fill the blocks: the fused launches give torch's loss, gradients and update."""
    rng = np.random.default_rng(1)
    with launcher.record_specializations() as rec:
        for M, D, H, C in HEAD_SHAPES:
            arrays = [rng.standard_normal(s).astype(np.float32) * 0.5
                      for s in ((M, D), (H, D), (H,), (C, H), (C,))]
            t = rng.integers(0, C, M)
            t[0] = -100  # an ignored row
            results = []
            for lib in (minitorch, torch):
                fn = minitorch.nn.functional if lib is minitorch else torch.nn.functional
                x, w1, b1, w2, b2 = (lib.tensor(a, requires_grad=i > 0)
                                     for i, a in enumerate(arrays))
                opt = lib.optim.SGD([w1, b1, w2, b2], lr=0.1, momentum=0.9)
                for _ in range(2):  # the second step reads the momentum buffers
                    opt.zero_grad()
                    loss = fn.cross_entropy(fn.linear(fn.relu(fn.linear(x, w1, b1)), w2, b2),
                                            lib.tensor(t), reduction=reduction)
                    (loss.sum() if reduction == "none" else loss).backward()
                    grads = [p.grad.detach().numpy().copy() for p in (w1, b1, w2, b2)]
                    opt.step()
                results.append([loss.detach().numpy()] + grads
                               + [p.detach().numpy() for p in (w1, b1, w2, b2)])
            for got, want in zip(*results):
                np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5)
    if launcher.POLICY == "interpreter":
        for kernel in ("linear_cross_entropy_fwd_kernel", "linear_cross_entropy_bwd_kernel"):
            seen = _flags(rec, kernel)
            for flag in ("EVEN_M", "EVEN_K", "ONE_K", "ONE_PROGRAM"):
                assert flag in seen, (kernel, flag)
        assert "DAMPENING" in _flags(rec, "sgd_kernel")
        assert True in _flags(rec, "linear_cross_entropy_bwd_kernel").get("PREV", ())


@pytest.mark.parametrize("bias1,w1_grad,b1_grad,how", [
    (True, True, True, "backward"), (False, True, True, "backward"),
    (True, False, True, "backward"), (True, True, False, "backward"),
    (True, True, True, "grad"), (True, True, True, "hook_h")])
def test_head_backward_with_the_previous_linear(bias1, w1_grad, b1_grad, how):
    """The head's backward also producing layer 1's dW/db (its input needs no gradient): every
    requires_grad combination, torch.autograd.grad, and a hook on h (no fusion of layer 1)."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in ((6, 5), (7, 5), (7,), (4, 7), (4,))]
    t = rng.integers(0, 4, 6)
    out = []
    for lib in (minitorch, torch):
        fn = minitorch.nn.functional if lib is minitorch else torch.nn.functional
        x = lib.tensor(arrays[0])
        w1 = lib.tensor(arrays[1], requires_grad=w1_grad)
        b1 = lib.tensor(arrays[2], requires_grad=b1_grad) if bias1 else None
        w2, b2 = (lib.tensor(a, requires_grad=True) for a in arrays[3:])
        h = fn.linear(x, w1, b1)
        seen = []
        if how == "hook_h":
            h.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
        loss = fn.cross_entropy(fn.linear(fn.relu(h), w2, b2), lib.tensor(t))
        wanted = [p for p in (w1, b1, w2, b2) if p is not None and p.requires_grad]
        if how == "grad":
            grads = lib.autograd.grad(loss, wanted)
        else:
            loss.backward()
            grads = [p.grad for p in wanted]
        out.append([g.detach().numpy() for g in grads] + seen)
    assert len(out[0]) == len(out[1])
    for got, want in zip(*out):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_head_flags_keep_a_fused_launch_count():
    """The MLP step of bench/run.py: four launches (layer 1 + ReLU, the head forward, the head
    backward with layer 1's dW/db, SGD) under the interpreter policy (under the GPU policy the
    batch of 64 takes two head programs, with zeroed buffers and a final reduction)."""
    mt = minitorch
    model = mt.nn.Sequential(mt.nn.Linear(64, 128), mt.nn.ReLU(), mt.nn.Linear(128, 10))
    opt = mt.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = mt.randn(64, 64), mt.randint(0, 10, (64,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    step()
    launcher.stats.reset()
    step()
    if launcher.POLICY == "interpreter":
        assert launcher.stats.launches == 4, launcher.stats.by_kernel
