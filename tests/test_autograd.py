"""Autograd engine semantics compared with PyTorch."""
import gc
import threading
import warnings
import weakref

import pytest
import torch as real_torch

import minitorch as torch


def to_real(m, requires_grad=None):
    t = real_torch.tensor(m.detach().tolist(), dtype=m.dtype)
    if requires_grad if requires_grad is not None else m.requires_grad:
        t.requires_grad_(True)
    return t


def close(m, t, tol=1e-5):
    assert m is not None and t is not None
    assert tuple(m.shape) == tuple(t.shape)
    assert real_torch.allclose(real_torch.tensor(m.detach().tolist(), dtype=t.dtype),
                               t.detach(), atol=tol, rtol=tol)


def both(fn, *shapes, seed=0):
    """Run ``fn(lib, *leaves)`` with minitorch and torch on the same random leaves."""
    g = real_torch.Generator().manual_seed(seed)
    vals = [real_torch.randn(*s, generator=g) for s in shapes]
    m = [torch.tensor(v.tolist(), requires_grad=True) for v in vals]
    t = [v.clone().requires_grad_(True) for v in vals]
    return fn(torch, *m), fn(real_torch, *t), m, t


# ----------------------------------------------------------------------- retain_graph / errors
class TestBackwardErrors:
    def test_retain_graph_allows_second_backward(self):
        x = torch.tensor([1., 2.], requires_grad=True)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        assert x.grad.tolist() == [4., 8.]

    def test_second_backward_raises(self):
        for lib in (torch, real_torch):
            x = lib.tensor([1., 2.], requires_grad=True)
            y = (x * x).sum()
            y.backward()
            with pytest.raises(RuntimeError) as e:
                y.backward()
            assert "backward through the graph a second time" in str(e.value)
            assert "retain_graph=True" in str(e.value)

    def test_second_backward_exp(self):
        # exp saves its output
        x = torch.tensor([1., 2.], requires_grad=True)
        y = x.exp().sum()
        y.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()

    def test_nonscalar_backward_without_gradient(self):
        for lib in (torch, real_torch):
            x = lib.ones(2, 2, requires_grad=True)
            with pytest.raises(RuntimeError,
                               match="grad can be implicitly created only for scalar outputs"):
                (x + 1).backward()

    def test_backward_of_tensor_not_requiring_grad(self):
        for lib in (torch, real_torch):
            x = lib.ones(2)
            with pytest.raises(RuntimeError,
                               match="element 0 of tensors does not require grad and does not "
                                     "have a grad_fn"):
                x.sum().backward()

    def test_gradient_of_wrong_shape(self):
        msgs = []
        for lib in (torch, real_torch):
            x = lib.ones(2, 2, requires_grad=True)
            with pytest.raises(RuntimeError, match="Mismatch in shape") as e:
                (x * 2).backward(lib.ones(3))
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]

    def test_inplace_on_leaf(self):
        for lib in (torch, real_torch):
            x = lib.ones(3, requires_grad=True)
            with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being "
                                                   r"used in an in-place operation\."):
                x.add_(1)
            with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
                x.mul_(2)
            # allowed under no_grad
            with lib.no_grad():
                x.add_(1)
            assert x.tolist() == [2., 2., 2.]

    def test_saved_tensor_modified_inplace(self):
        msgs = []
        for lib in (torch, real_torch):
            a = lib.ones(3, requires_grad=True)
            b = a * 2
            c = b * b          # saves b
            b.add_(1)
            with pytest.raises(RuntimeError) as e:
                c.sum().backward()
            msgs.append(str(e.value))
            assert "modified by an inplace operation" in str(e.value)
            assert "is at version 1; expected version 0" in str(e.value)
        assert msgs[0] == msgs[1]

    def test_saved_output_modified_inplace(self):
        msgs = []
        for lib in (torch, real_torch):
            a = lib.ones(3, requires_grad=True)
            b = a.exp()        # saves its output
            b.mul_(2)
            with pytest.raises(RuntimeError, match="is at version 1; expected version 0") as e:
                b.sum().backward()
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]

    def test_saved_constant_modified_inplace(self):
        msgs = []
        for lib in (torch, real_torch):
            x = lib.ones(3, requires_grad=True)
            c = lib.ones(3)
            y = x * c          # saves c
            c.add_(1)
            with pytest.raises(RuntimeError, match="is at version 1; expected version 0") as e:
                y.sum().backward()
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]

    def test_inplace_on_view_of_leaf(self):
        for lib in (torch, real_torch):
            x = lib.ones(3, requires_grad=True)
            with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad "
                                                   r"is being used in an in-place operation\."):
                x[0].add_(1)
            with lib.no_grad():
                x[0].add_(1)
            assert x.tolist() == [2., 1., 1.]

    def test_detach_shares_version_counter_data_does_not(self):
        for lib in (torch, real_torch):
            a = lib.ones(3, requires_grad=True)
            b = a * 2
            v0 = b._version
            d = b.detach()
            d.add_(1)
            assert b._version == v0 + 1
            c = a * 2
            v1 = c._version
            c.data.add_(1)
            assert c._version == v1
        # detach-modifying a saved tensor is caught; .data modifying is not
        a = torch.ones(3, requires_grad=True)
        b = a * 2
        c = b * b
        b.detach().zero_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            c.sum().backward()
        a = torch.ones(3, requires_grad=True)
        b = a * 2
        c = b * b
        b.data.zero_()
        c.sum().backward()
        assert a.grad.tolist() == [0., 0., 0.]

    def test_requires_grad_on_int(self):
        for lib in (torch, real_torch):
            # torch: "Only Tensors..." from the factory, "only Tensors..." from the setter
            with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
                lib.tensor([1, 2], requires_grad=True)
            with pytest.raises(RuntimeError, match="only Tensors of floating point"):
                lib.tensor([1, 2]).requires_grad_()
            with pytest.raises(RuntimeError, match="only Tensors of floating point"):
                lib.arange(3).requires_grad = True

    def test_nonleaf_grad_warns_none(self):
        x = torch.ones(2, requires_grad=True)
        y = x * 2
        y.sum().backward()
        with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
            assert y.grad is None

    def test_retain_grad(self):
        r, t, m, tt = both(lambda L, x: (x * 2, (x * 2).exp()), (3,))
        for (y, z), x in ((r, m[0]), (t, tt[0])):
            y.retain_grad()
            assert y.retains_grad
            (y * y).sum().backward()
        close(r[0].grad, t[0].grad)
        close(m[0].grad, tt[0].grad)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _ = r[0].grad


# ----------------------------------------------------------------------- hooks
class TestHooks:
    def test_hook_on_leaf(self):
        res = []
        for lib in (torch, real_torch):
            x = lib.tensor([1., 2., 3.], requires_grad=True)
            seen = []
            h = x.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
            (x * x).sum().backward()
            res.append((seen, x.grad.tolist()))
            h.remove()
            x.grad = None
            (x * x).sum().backward()
            res.append(x.grad.tolist())
        assert res[0] == res[2] and res[1] == res[3]
        assert res[0] == ([[2., 4., 6.]], [20., 40., 60.])

    def test_hook_on_nonleaf(self):
        res = []
        for lib in (torch, real_torch):
            x = lib.tensor([1., 2., 3.], requires_grad=True)
            y = x * 3
            seen = []
            y.register_hook(lambda g: seen.append(g.tolist()) or g + 1)
            (y * y).sum().backward()
            res.append((seen, x.grad.tolist()))
        assert res[0] == res[1]

    def test_hook_on_nonleaf_with_retain_grad(self):
        res = []
        for lib in (torch, real_torch):
            x = lib.tensor([1., 2.], requires_grad=True)
            y = x * 3
            y.retain_grad()
            y.register_hook(lambda g: g * 2)
            y.sum().backward()
            res.append((y.grad.tolist(), x.grad.tolist()))
        assert res[0] == res[1]

    def test_node_pre_and_post_hooks(self):
        logs = []
        for lib in (torch, real_torch):
            x = lib.tensor([1., 2.], requires_grad=True)
            y = x * 3
            log = []
            y.grad_fn.register_hook(lambda gi, go: log.append(
                ("post", [None if g is None else g.tolist() for g in gi],
                 [g.tolist() for g in go])))
            y.grad_fn.register_prehook(lambda go: log.append(("pre", [g.tolist() for g in go]))
                                       or (go[0] * 2,))
            y.register_hook(lambda g: log.append(("tensor", g.tolist())) or g + 1)
            y.sum().backward()
            logs.append((log, x.grad.tolist()))
        assert logs[0] == logs[1]

    def test_leaf_hook_runs_for_autograd_grad_and_inputs(self):
        res = []
        for lib in (torch, real_torch):
            x = lib.tensor([1., 2.], requires_grad=True)
            calls = []
            x.register_hook(lambda g: calls.append(1) or g * 10)
            post = []
            x.register_post_accumulate_grad_hook(lambda t: post.append(t.grad.tolist()))
            g, = lib.autograd.grad((x * x).sum(), x)
            (x * x).sum().backward(inputs=[x])
            res.append((g.tolist(), x.grad.tolist(), len(calls), post))
        assert res[0] == res[1]

    def test_hook_requires_grad(self):
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            torch.ones(2).register_hook(lambda g: g)


# ----------------------------------------------------------------------- autograd.grad
class TestAutogradGrad:
    def test_allow_unused(self):
        for lib in (torch, real_torch):
            x = lib.ones(2, requires_grad=True)
            z = lib.ones(2, requires_grad=True)
            y = (x * 2).sum()
            with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
                lib.autograd.grad(y, [x, z], retain_graph=True)
            gx, gz = lib.autograd.grad(y, [x, z], allow_unused=True)
            assert gz is None and gx.tolist() == [2., 2.]
            assert x.grad is None

    def test_grad_outputs(self):
        r, t, m, tt = both(lambda L, x: x.sin() * 3, (4,))
        v = [0.5, -1., 2., 3.]
        gm, = torch.autograd.grad(r, m[0], grad_outputs=torch.tensor(v))
        gt, = real_torch.autograd.grad(t, tt[0], grad_outputs=real_torch.tensor(v))
        close(gm, gt)
        assert not gm.requires_grad and m[0].grad is None

    @pytest.mark.parametrize("name", ["cube", "sin", "exp", "tanh", "sigmoid"])
    def test_second_derivatives(self, name):
        fns = {"cube": lambda L, x: x ** 3, "sin": lambda L, x: x.sin(),
               "exp": lambda L, x: x.exp(), "tanh": lambda L, x: x.tanh(),
               "sigmoid": lambda L, x: x.sigmoid()}
        fn = fns[name]
        res = []
        for lib in (torch, real_torch):
            x = lib.tensor([-1.5, -0.3, 0.2, 1.1], requires_grad=True)
            y = fn(lib, x).sum()
            g, = lib.autograd.grad(y, x, create_graph=True)
            assert g.requires_grad
            g2, = lib.autograd.grad(g.sum(), x, create_graph=True)
            g3, = lib.autograd.grad(g2.sum(), x)
            res.append((g, g2, g3))
        for a, b in zip(*res):
            close(a, b, 1e-4)

    def test_mlp_hessian_vector_product(self):
        def mlp(L, x, w1, b1, w2):
            h = (x @ w1 + b1).tanh()
            return ((h @ w2) ** 2).mean()
        res = []
        g = real_torch.Generator().manual_seed(1)
        vals = [real_torch.randn(5, 3, generator=g), real_torch.randn(3, 4, generator=g),
                real_torch.randn(4, generator=g), real_torch.randn(4, 2, generator=g)]
        vs = [real_torch.randn(3, 4, generator=g), real_torch.randn(4, 2, generator=g)]
        for lib in (torch, real_torch):
            x = lib.tensor(vals[0].tolist())
            w1, b1, w2 = (lib.tensor(v.tolist(), requires_grad=True) for v in vals[1:])
            loss = mlp(lib, x, w1, b1, w2)
            g1, g2 = lib.autograd.grad(loss, [w1, w2], create_graph=True)
            dot = (g1 * lib.tensor(vs[0].tolist())).sum() + (g2 * lib.tensor(vs[1].tolist())).sum()
            h1, hb, h2 = lib.autograd.grad(dot, [w1, b1, w2])
            res.append((loss, g1, g2, h1, hb, h2))
        for a, b in zip(*res):
            close(a, b, 1e-4)

    def test_backward_create_graph_then_double_backward(self):
        res = []
        for lib in (torch, real_torch):
            x = lib.tensor([0.5, 2.0], requires_grad=True)
            (x ** 3).sum().backward(create_graph=True)
            gx = x.grad
            assert gx.requires_grad
            x.grad = None
            gx.sum().backward()
            res.append(x.grad.tolist())
        assert res[0] == pytest.approx(res[1])

    def test_grad_not_requiring(self):
        x = torch.ones(2)
        y = torch.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="does not require grad"):
            torch.autograd.grad((y * 2).sum(), x)


# ----------------------------------------------------------------------- backward semantics
class TestBackwardSemantics:
    def test_backward_inputs(self):
        res = []
        for lib in (torch, real_torch):
            a = lib.tensor([1., 2.], requires_grad=True)
            b = lib.tensor([3., 4.], requires_grad=True)
            y = (a * b).sum()
            y.backward(inputs=[a])
            assert b.grad is None
            res.append(a.grad.tolist())
            y2 = (a * b * b).sum()
            y2.backward(inputs=[b])
            res.append((a.grad.tolist(), b.grad.tolist()))
        assert res[0] == res[2] and res[1] == res[3]

    def test_backward_inputs_nonleaf(self):
        res = []
        for lib in (torch, real_torch):
            a = lib.tensor([1., 2.], requires_grad=True)
            h = a * 3
            y = (h * h).sum()
            y.backward(inputs=[h])
            res.append((h.grad.tolist(), a.grad))
        assert res[0] == res[1]

    def test_gradient_accumulation(self):
        res = []
        for lib in (torch, real_torch):
            x = lib.tensor([1., 2.], requires_grad=True)
            for k in range(3):
                (x * (k + 1)).sum().backward()
            res.append(x.grad.tolist())
            # same leaf used twice in one graph
            x.grad = None
            (x * x + x).sum().backward()
            res.append(x.grad.tolist())
        assert res[0] == res[2] == [6., 6.]
        assert res[1] == res[3]

    def test_grad_not_aliasing_user_gradient(self):
        x = torch.ones(2, requires_grad=True)
        g = torch.tensor([1., 2.])
        (x * 1).backward(g)
        x.grad.add_(5)
        assert g.tolist() == [1., 2.]

    @pytest.mark.slow  # 10,000 nodes
    def test_long_chain_no_recursion_error(self):
        # 10,000+ graph nodes; view ops keep the forward cheap under the Triton interpreter
        x = torch.tensor([1.0], requires_grad=True)
        y = x * 3
        for i in range(10000):
            y = y.view(1) if i % 2 else y.unsqueeze(0).squeeze(0)
        node = weakref.ref(y.grad_fn)
        y.sum().backward()
        assert x.grad.tolist() == [3.0]
        del y
        gc.collect()
        assert node() is None
        # and a chain of real kernels
        y = x
        for _ in range(200):
            y = y * 1.0 + 0.0
        y.sum().backward()
        assert x.grad.tolist() == [4.0]

    def test_grad_mode_thread_local(self):
        x = torch.ones(2, requires_grad=True)
        res = {}
        started = threading.Event()
        done = threading.Event()

        def worker():
            with torch.no_grad():
                started.set()
                done.wait(10)
                res["worker"] = (x * 2).requires_grad

        t = threading.Thread(target=worker)
        t.start()
        started.wait(10)
        res["main"] = (x * 2).requires_grad
        res["main_enabled"] = torch.is_grad_enabled()
        done.set()
        t.join()
        assert res == {"worker": False, "main": True, "main_enabled": True}

    def test_set_grad_enabled(self):
        x = torch.ones(2, requires_grad=True)
        with torch.set_grad_enabled(False):
            assert not (x * 2).requires_grad
        assert (x * 2).requires_grad
        torch.set_grad_enabled(False)
        try:
            assert not torch.is_grad_enabled()
            assert not (x * 2).requires_grad
        finally:
            torch.set_grad_enabled(True)
        assert torch.is_grad_enabled()
        with torch.no_grad():
            with torch.enable_grad():
                assert (x * 2).requires_grad
            assert not (x * 2).requires_grad

        @torch.enable_grad()
        def f():
            return (x * 2).requires_grad
        with torch.no_grad():
            assert f()

    def test_requires_grad_propagation(self):
        x = torch.rand(5, 5)
        y = torch.rand(5, 5)
        z = torch.rand((5, 5), requires_grad=True)
        a = x + y
        b = x + z
        assert not a.requires_grad and a.is_leaf and a.grad_fn is None
        assert b.requires_grad and not b.is_leaf
        assert z.is_leaf and x.is_leaf
        d = b.detach()
        assert d.is_leaf and not d.requires_grad
        with torch.no_grad():
            c = z * 2
        assert c.is_leaf and not c.requires_grad
        with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf"):
            b.requires_grad = False

    def test_graph_freed_after_backward(self):
        x = torch.ones(3, requires_grad=True)
        h = x * 2
        y = h.exp().sum()
        node = weakref.ref(h.grad_fn)
        ref_h = weakref.ref(h)
        del h
        y.backward()
        del y
        gc.collect()
        assert ref_h() is None
        assert node() is None

    def test_graph_freed_when_dropped_without_backward(self):
        x = torch.ones(3, requires_grad=True)
        h = x.sin()
        y = (h * h).sum()
        refs = [weakref.ref(h), weakref.ref(h.grad_fn), weakref.ref(y.grad_fn)]
        del h, y
        gc.collect()
        assert all(r() is None for r in refs)


# ----------------------------------------------------------------------- custom Function
class MyExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        out = x.exp() * scale
        ctx.save_for_backward(out)
        ctx.scale = scale
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False)
        return g * out, None


class SortIdx(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x * 2
        idx = torch.argmax(x)
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(x)
        return y, idx

    @staticmethod
    def backward(ctx, gy, gidx):
        x, = ctx.saved_tensors
        return gy * 2


class TestCustomFunction:
    def test_custom_function(self):
        x = torch.tensor([0., 1., 2.], requires_grad=True)
        y = MyExp.apply(x, 2.0)
        assert y.grad_fn.name() == "MyExpBackward"
        assert repr(y).endswith("grad_fn=<MyExpBackward>)")
        assert y.grad_fn.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"
        y.sum().backward()
        xt = real_torch.tensor([0., 1., 2.], requires_grad=True)
        (xt.exp() * 2).sum().backward()
        close(x.grad, xt.grad)

    def test_custom_function_second_backward_raises(self):
        x = torch.tensor([0., 1.], requires_grad=True)
        y = MyExp.apply(x, 1.0).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()

    def test_mark_non_differentiable(self):
        x = torch.tensor([1., 3., 2.], requires_grad=True)
        y, idx = SortIdx.apply(x)
        assert y.requires_grad and not idx.requires_grad
        assert y.grad_fn.name() == "SortIdxBackward"
        y.sum().backward()
        assert x.grad.tolist() == [2., 2., 2.]

    def test_no_record_when_no_grad(self):
        x = torch.tensor([0., 1.], requires_grad=True)
        with torch.no_grad():
            y = MyExp.apply(x, 1.0)
        assert y.grad_fn is None and not y.requires_grad


# ----------------------------------------------------------------------- graph structure
def _structure(node, depth=4):
    if node is None:
        return None
    if depth == 0:
        return node.name()
    return (node.name(), tuple(_structure(n, depth - 1) for n, _ in node.next_functions))


class TestGraphStructure:
    @pytest.mark.parametrize("expr", [
        lambda L, a, b: a * b + a,
        lambda L, a, b: (a * 2).sum(),
        lambda L, a, b: (a + 2).mean(),
        lambda L, a, b: a - b * 3,
        lambda L, a, b: 3 * a ** 3 - b ** 2,
        lambda L, a, b: (a / b).exp(),
        lambda L, a, b: L.dot(a, b) * 2,
        lambda L, a, b: (a @ b).tanh(),
    ])
    def test_next_functions_like_torch(self, expr):
        a_m = torch.tensor([1., 2.], requires_grad=True)
        b_m = torch.tensor([3., 4.], requires_grad=True)
        a_t = real_torch.tensor([1., 2.], requires_grad=True)
        b_t = real_torch.tensor([3., 4.], requires_grad=True)
        sm = _structure(expr(torch, a_m, b_m).grad_fn)
        st = _structure(expr(real_torch, a_t, b_t).grad_fn)
        assert sm == st

    @pytest.mark.parametrize("expr", ["a + 2", "a - 2", "2 - a", "a * 2", "2 * a", "a / 2",
                                      "2 / a", "a.add(2, alpha=3)", "a ** 2", "2 ** a",
                                      "L.where(a > 0, a, 0.)", "L.where(a > 0, b, a)"])
    def test_scalar_operands_like_torch(self, expr):
        res = []
        for L in (torch, real_torch):
            a = L.tensor([1., 2.], requires_grad=True)  # noqa: F841  (read by eval(expr))
            b = L.tensor([3., 4.], requires_grad=True)  # noqa: F841  (read by eval(expr))
            y = eval(expr)
            res.append((_structure(y.grad_fn), repr(y)))
        assert res[0] == res[1]

    def test_node_names_like_torch(self):
        res = []
        for L in (torch, real_torch):
            a = L.ones(2, 3, requires_grad=True)
            outs = (a.exp().log(), a.sqrt(), a.abs(), -a, a.max(), a.sum(1), a.mean(0), a.var(),
                    a.norm(), a.norm(dim=1), a.clamp(0, 1), a.tanh(), a.sigmoid(), a.relu(),
                    L.dot(a[0], a[1]), a.pow(a), a.flatten(), a.squeeze(), a.permute(1, 0),
                    a[:, 1:], a.to(L.float64), a.sum(dim=(0, 1)), L.softmax(a, dim=1),
                    a.t() @ a, a.reshape(6), a.view(3, 2), a.transpose(0, 1), a.unsqueeze(0),
                    a.expand(4, 2, 3), L.cat([a, a]), L.stack([a, a]), a.clone(), a * a.sum(0))
            res.append([_structure(o.grad_fn, 2) for o in outs])
        assert res[0] == res[1]

    def test_constant_gives_none_edge(self):
        for lib in (torch, real_torch):
            a = lib.tensor([1., 2.], requires_grad=True)
            c = lib.tensor([3., 4.])
            y = a * c
            nf = y.grad_fn.next_functions
            assert nf[0][0].name() == "torch::autograd::AccumulateGrad" and nf[1][0] is None
            assert nf[0][0].variable is a

    def test_accumulate_grad_node_shared(self):
        a = torch.tensor([1., 2.], requires_grad=True)
        y = a * 2
        z = a * 3
        assert y.grad_fn.next_functions[0][0] is z.grad_fn.next_functions[0][0]


# ----------------------------------------------------------------------- custom Function vs torch
def _custom_classes(L):
    class Sq(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g

    class AddOne_(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class Two(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y, x * y

        @staticmethod
        def backward(ctx, ga, gb):
            return ga, gb

    return Sq, AddOne_, Two


class TestCustomFunctionVsTorch:
    def _both(self, fn):
        out = []
        for L in (torch, real_torch):
            try:
                out.append(repr(fn(L, *_custom_classes(L))))
            except RuntimeError as e:
                out.append("RuntimeError: " + str(e))
        assert out[0] == out[1]
        return out[0]

    def test_double_backward_through_custom(self):
        def fn(L, Sq, A, T):
            x = L.tensor([1., 3.], requires_grad=True)
            g, = L.autograd.grad(Sq.apply(x).sum(), x, create_graph=True)
            g2, = L.autograd.grad(g.sum(), x)
            return g.detach(), g2
        self._both(fn)

    def test_mark_dirty_version_and_grad(self):
        def fn(L, Sq, A, T):
            x = L.tensor([1., 3.], requires_grad=True)
            h = x * 2
            y = A.apply(h)
            y.sum().backward()
            return x.grad, y is h, h.grad_fn.name(), h._version
        self._both(fn)

    def test_nonnone_grad_for_nontensor_input(self):
        def fn(L, Sq, A, T):
            x = L.tensor([1., 3.], requires_grad=True)
            a, b = T.apply(x, 2.0)
            (a + b).sum().backward()
        assert "returned a gradient different than None at position 2" in self._both(fn)


def test_inplace_on_views_of_non_leaves_matches_torch():
    """CopySlices: in-place ops and item assignment through views rewrite the base's history."""
    def run(lib):
        w = lib.tensor([1., 2., 3., 4.], requires_grad=True)
        y = w * 2
        y[1:3].mul_(w[:2])            # in-place op on a view, other operand requires grad
        y[0:1].add_(10)
        y.view(2, 2)[1, 0] = w[3] * 5  # assignment through a view of a view
        out = (y * lib.tensor([1., 2., 3., 4.])).sum()
        out.backward()
        buf = lib.zeros(3)             # a buffer that does not require grad gets history
        buf[0] = (w * 3).sum()
        buf.sum().backward()
        return y.detach().tolist(), w.grad.tolist(), y.grad_fn, buf.grad_fn

    y_m, g_m, fn_m, buf_fn = run(torch)  # minitorch, imported as torch in this file
    y_t, g_t, fn_t, buf_fn_t = run(real_torch)
    assert y_m == y_t and g_m == g_t
    assert fn_m.name() == fn_t.name() == "torch::autograd::CopySlices"
    assert buf_fn.name() == buf_fn_t.name() == "torch::autograd::CopySlices"
    assert type(buf_fn).__name__ == type(buf_fn_t).__name__ == "CopySlices"
