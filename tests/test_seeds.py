"""Every autograd cell of the seed notebooks (/work/shared/seeds), run through minitorch.

Where a notebook prints a value we assert the exact text it printed; where the values are random
we run the same code through real PyTorch on the same numbers and compare the printed text.
"""
import contextlib
import io
import warnings

import pytest
import torch as real_torch

import minitorch as torch


def out_of(fn):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn()
    return buf.getvalue()


def same_repr(m, t):
    assert repr(m) == repr(t)


def to_real(m, requires_grad=None):
    t = real_torch.tensor(m.detach().tolist(), dtype=m.dtype)
    if requires_grad if requires_grad is not None else m.requires_grad:
        t.requires_grad_(True)
    return t


# =================================================================== seed 000 (AutoGrad intro)
class TestSeed000:
    def _cells_29_to_31(self):
        x = torch.ones(2, 2, requires_grad=True)
        y = x + 2
        return x, y

    def test_cell29_repr(self):
        x = torch.ones(2, 2, requires_grad=True)
        y = x + 2
        s = out_of(lambda: print(x, y, sep='\n'))
        assert s == ("tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n"
                     "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n")

    def test_cells_30_31_54(self):
        x = torch.ones(2, 2, requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        s = out_of(lambda: print(z, out, sep='\n'))
        assert s == ("tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)\n"
                     "tensor(27., grad_fn=<MeanBackward0>)\n")
        out.backward()
        assert out_of(lambda: print(x.grad)) == (
            "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\n")
        with pytest.warns(UserWarning, match="not a leaf Tensor"):
            s = out_of(lambda: print(z.grad))
        assert s == "None\n"

    def test_vjp_cells_51_52_53_fresh_x(self):
        # the notebook's effective order: the VJP cells ran on a fresh x (x.grad empty)
        x = torch.ones(2, 2, requires_grad=True)
        z = (x + 2).pow(2) * 3
        z.backward(torch.ones_like(x), retain_graph=True)
        assert out_of(lambda: print(x.grad)) == "tensor([[18., 18.],\n        [18., 18.]])\n"
        z.backward(torch.ones(2, 2), retain_graph=True)
        assert out_of(lambda: print(x.grad)) == "tensor([[36., 36.],\n        [36., 36.]])\n"
        x.grad.zero_()
        z.backward(torch.ones_like(x))
        assert out_of(lambda: print(x.grad)) == "tensor([[18., 18.],\n        [18., 18.]])\n"

    @pytest.mark.parametrize("lib", ["mini", "real"])
    def test_vjp_cells_accumulate_onto_4_5(self, lib):
        # straight top-to-bottom order: accumulates onto the 4.5 of cell 31, like real torch
        T = torch if lib == "mini" else real_torch
        x = T.ones(2, 2, requires_grad=True)
        ((x + 2) * (x + 2) * 3).mean().backward()
        z = (x + 2).pow(2) * 3
        z.backward(T.ones_like(x), retain_graph=True)
        s1 = repr(x.grad)
        z.backward(T.ones(2, 2), retain_graph=True)
        s2 = repr(x.grad)
        x.grad.zero_()
        z.backward(T.ones_like(x))
        s3 = repr(x.grad)
        assert s1 == "tensor([[22.5000, 22.5000],\n        [22.5000, 22.5000]])"
        assert s2 == "tensor([[40.5000, 40.5000],\n        [40.5000, 40.5000]])"
        assert s3 == "tensor([[18., 18.],\n        [18., 18.]])"

    def test_cells_56_57_no_grad_and_detach(self):
        x = torch.ones(2, 2, requires_grad=True)

        def cell56():
            z = x * x
            print(z.requires_grad)
            with torch.no_grad():
                z = x * x
            print(z.requires_grad)
        assert out_of(cell56) == "True\nFalse\n"

        def cell57():
            z = x * x
            z_det = z.detach()
            print(z_det.requires_grad)
        assert out_of(cell57) == "False\n"

    def test_gradient_descent_cells_100_101(self):
        def cell():
            x = torch.zeros(2, requires_grad=True)
            f = lambda x: (x - torch.tensor([3, -2])).pow(2).sum()
            lr = 0.1
            for i in range(15):
                y = f(x)
                y.backward()
                gr = x.grad
                x.data.add_(-lr * gr)
                x.grad.zero_()
                print("Step {}: x[0]={}, x[1]={}".format(i, x[0], x[1]))
        expected = """\
Step 0: x[0]=0.6000000238418579, x[1]=-0.4000000059604645
Step 1: x[0]=1.0800000429153442, x[1]=-0.7200000286102295
Step 2: x[0]=1.4639999866485596, x[1]=-0.9760000705718994
Step 3: x[0]=1.7711999416351318, x[1]=-1.1808000802993774
Step 4: x[0]=2.0169599056243896, x[1]=-1.3446400165557861
Step 5: x[0]=2.2135679721832275, x[1]=-1.4757120609283447
Step 6: x[0]=2.370854377746582, x[1]=-1.5805696249008179
Step 7: x[0]=2.4966835975646973, x[1]=-1.6644556522369385
Step 8: x[0]=2.597346782684326, x[1]=-1.7315645217895508
Step 9: x[0]=2.677877426147461, x[1]=-1.7852516174316406
Step 10: x[0]=2.7423019409179688, x[1]=-1.8282012939453125
Step 11: x[0]=2.793841600418091, x[1]=-1.8625609874725342
Step 12: x[0]=2.835073232650757, x[1]=-1.8900487422943115
Step 13: x[0]=2.868058681488037, x[1]=-1.912039041519165
Step 14: x[0]=2.894446849822998, x[1]=-1.929631233215332
"""
        assert out_of(cell) == expected


# =================================================================== seed 001 (Variable blitz)
class TestSeed001:
    def test_variable_cells(self):
        from minitorch.autograd import Variable
        x = Variable(torch.ones(2, 2), requires_grad=True)
        assert out_of(lambda: print(x)) == (
            "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\n")
        y = x + 2
        assert out_of(lambda: print(y)) == (
            "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n")
        z = y * y * 3
        out = z.mean()
        assert out_of(lambda: print(z, out)) == (
            "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>) "
            "tensor(27., grad_fn=<MeanBackward0>)\n")
        out.backward()
        assert out_of(lambda: print(x.grad)) == (
            "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\n")

    def test_crazy_things_while_loop(self):
        from minitorch.autograd import Variable
        for _ in range(3):
            x = torch.randn(3)
            x = Variable(x, requires_grad=True)
            y = x * 2
            while y.data.norm() < 1000:
                y = y * 2
            xt = to_real(x)
            yt = xt * 2
            while yt.data.norm() < 1000:
                yt = yt * 2
            same_repr(y, yt)
            gradients = torch.FloatTensor([0.1, 1.0, 0.0001])
            assert gradients.dtype == torch.float32
            y.backward(gradients)
            yt.backward(real_torch.FloatTensor([0.1, 1.0, 0.0001]))
            same_repr(x.grad, xt.grad)


# =================================================================== seed 002 (gentle intro)
class TestSeed002:
    def test_cells_12_to_15(self):
        a = torch.tensor([2., 3.], requires_grad=True)
        b = torch.tensor([6., 4.], requires_grad=True)
        Q = 3 * a**3 - b**2
        assert Q.grad_fn.name() == "SubBackward0"
        external_grad = torch.tensor([1., 1.])
        Q.backward(gradient=external_grad)

        def cell15():
            print(9 * a**2 == a.grad)
            print(-2 * b == b.grad)
        assert out_of(cell15) == "tensor([True, True])\ntensor([True, True])\n"

    def test_cell16_requires_grad_propagation(self):
        def cell():
            x = torch.rand(5, 5)
            y = torch.rand(5, 5)
            z = torch.rand((5, 5), requires_grad=True)
            a = x + y
            print(f"Does `a` require gradients? : {a.requires_grad}")
            b = x + z
            print(f"Does `b` require gradients?: {b.requires_grad}")
        assert out_of(cell) == ("Does `a` require gradients? : False\n"
                                "Does `b` require gradients?: True\n")

    def test_cells_17_to_19_freezing(self):
        nn = pytest.importorskip("minitorch.nn")
        optim = pytest.importorskip("minitorch.optim")
        if not hasattr(nn, "Linear") or not hasattr(nn, "Sequential"):
            pytest.skip("minitorch.nn.Linear/Sequential not available yet")
        if not hasattr(optim, "SGD"):
            pytest.skip("minitorch.optim.SGD not available yet")
        model = nn.Sequential(nn.Linear(8, 16), nn.ReLU() if hasattr(nn, "ReLU") else
                              nn.Identity(), nn.Linear(16, 4))
        for param in model.parameters():
            param.requires_grad = False
        model.fc = nn.Linear(4, 10)
        optimizer = optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)
        trainable = [p for p in model.parameters() if p.requires_grad]
        assert len(trainable) == 2
        assert all(p.requires_grad for p in model.fc.parameters())
        frozen = [p for n, p in model.named_parameters() if not n.startswith("fc.")]
        assert frozen and not any(p.requires_grad for p in frozen)
        x = torch.randn(3, 8)
        out = model.fc(model[2](model[1](model[0](x))))
        loss = out.sum()
        loss.backward()
        assert all(p.grad is None for p in frozen)
        assert all(p.grad is not None for p in model.fc.parameters())
        before = [p.detach().clone() for p in model.fc.parameters()]
        optimizer.step()
        assert any(not torch.equal(b, p.detach()) for b, p in zip(before, model.fc.parameters()))

    def test_cell33_no_grad_context_and_decorator(self):
        def cell():
            x = torch.tensor([1], dtype=torch.float, requires_grad=True)
            with torch.no_grad():
                y = x * 2
            print(y.requires_grad)

            @torch.no_grad()
            def doubler(x):
                return x * 2
            z = doubler(x)
            print(z.requires_grad)
            # grad mode is restored after the decorated call
            print((x * 2).requires_grad)
        assert out_of(cell) == "False\nFalse\nTrue\n"


# =================================================================== seed 003 (AUTOGRAD)
class TestSeed003:
    def test_cell2_data_and_requires_grad_(self):
        test = torch.randn(5, 3)
        same_repr(test.data, to_real(test).data)
        assert out_of(lambda: print(test.requires_grad)) == "False\n"
        r = test.requires_grad_()
        assert r is test
        assert out_of(lambda: print(test.requires_grad)) == "True\n"

    def test_cell2_data_exact_print(self):
        test = torch.tensor([[-0.3807, -0.2505, -0.3975], [0.2366, 0.2425, -0.7856],
                             [0.5951, -0.0046, 0.3324], [-0.9676, -0.4793, -0.4148],
                             [-0.0694, 2.3514, -1.2304]])
        assert out_of(lambda: print(test.data)) == """\
tensor([[-0.3807, -0.2505, -0.3975],
        [ 0.2366,  0.2425, -0.7856],
        [ 0.5951, -0.0046,  0.3324],
        [-0.9676, -0.4793, -0.4148],
        [-0.0694,  2.3514, -1.2304]])
"""

    def test_data_update_of_leaf(self):
        # ".data" lets an update bypass the leaf in-place check; the direct way raises
        f = torch.ones(3, requires_grad=True)
        (f * f).sum().backward()
        learning_rate = 0.01
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                               r"in an in-place operation\."):
            f.sub_(f.grad.data * learning_rate)
        f.data.sub_(f.grad.data * learning_rate)
        assert f.tolist() == pytest.approx([0.98] * 3)
        assert f.requires_grad and f.is_leaf

    def test_cell3_device(self):
        device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
        cpu_tensor = torch.rand(10)
        gpu_tensor = cpu_tensor.to(device)
        same_repr(cpu_tensor, to_real(cpu_tensor))
        if not torch.cuda.is_available():
            assert repr(gpu_tensor) == repr(cpu_tensor)
            assert gpu_tensor.type() == 'torch.FloatTensor'
        else:
            assert repr(gpu_tensor).endswith(", device='cuda:0')")
            assert gpu_tensor.type() == 'torch.cuda.FloatTensor'
        assert out_of(lambda: print(cpu_tensor.dtype, cpu_tensor.type(), cpu_tensor.device)) == (
            "torch.float32 torch.FloatTensor cpu\n")
        assert isinstance(cpu_tensor, torch.Tensor)
        assert str(cpu_tensor.dtype) == "torch.float32"

    def test_cells_4_5_type_classes(self):
        assert torch.rand(3).type(torch.FloatTensor).type() == 'torch.FloatTensor'
        assert torch.zeros(2, dtype=torch.float64).type(torch.FloatTensor).dtype == torch.float32
        if not torch.cuda.is_available():
            pytest.skip("cells 4/5 need CUDA")
        cpu_tensor = torch.rand(10)
        cpu_tensor = cpu_tensor.type(torch.cuda.FloatTensor)
        assert cpu_tensor.type() == 'torch.cuda.FloatTensor'
        assert str(cpu_tensor.device) == 'cuda:0'
        cpu_tensor = cpu_tensor.type(torch.FloatTensor)
        cpu_tensor = cpu_tensor.to(torch.device("cuda:0"))
        assert cpu_tensor.type() == 'torch.cuda.FloatTensor'

    def test_cells_6_7(self):
        dtype = torch.cuda.FloatTensor if torch.cuda.is_available() else torch.FloatTensor
        s6 = out_of(lambda: print(torch.zeros(2, 2).type(dtype)))
        device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
        s7 = out_of(lambda: print(torch.zeros(2, 2).to(device)))
        if torch.cuda.is_available():
            exp = "tensor([[0., 0.],\n        [0., 0.]], device='cuda:0')\n"
        else:
            exp = "tensor([[0., 0.],\n        [0., 0.]])\n"
        assert s6 == exp and s7 == exp

    def test_cells_8_to_14(self):
        x = torch.ones(2, 2, requires_grad=True)
        assert out_of(lambda: (print(x), print(x.requires_grad), print(x.data))) == (
            "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)\nTrue\n"
            "tensor([[1., 1.],\n        [1., 1.]])\n")
        y = x + 2
        assert out_of(lambda: print(y)) == (
            "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)\n")
        s = out_of(lambda: print(y.grad_fn))
        assert s.startswith("<AddBackward0 object at 0x") and s.endswith(">\n")
        z = y * y * 3
        out = z.mean()
        assert out_of(lambda: print(z, out)) == (
            "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>) "
            "tensor(27., grad_fn=<MeanBackward0>)\n")

        # cell 12
        a = torch.randn(2, 2)
        a = ((a * 3) / (a - 1))
        assert out_of(lambda: print(a.requires_grad)) == "False\n"
        a.requires_grad_(True)
        assert out_of(lambda: print(a.requires_grad)) == "True\n"
        b = (a * a).sum()
        s = out_of(lambda: print(b.grad_fn))
        assert s.startswith("<SumBackward0 object at 0x")

        out.backward()

        def cell14():
            print(x.grad)
            print(x.grad.data)
            x.grad.data.zero_()
            print(x.grad)
        assert out_of(cell14) == (
            "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\n"
            "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])\n"
            "tensor([[0., 0.],\n        [0., 0.]])\n")

    def test_cells_15_16_vjp_exact(self):
        # an x for which the loop runs to 2**9, as in the notebook's printed output
        x = torch.tensor([-0.0788, -0.8508, 2.4225], requires_grad=True)
        y = x * 2
        while y.data.norm() < 1000:
            y = y * 2
        xt = to_real(x)
        yt = xt * 2
        while yt.data.norm() < 1000:
            yt = yt * 2
        same_repr(y, yt)
        assert repr(y).endswith("grad_fn=<MulBackward0>)")
        v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
        y.backward(v)
        assert out_of(lambda: print(x.grad)) == "tensor([5.1200e+01, 5.1200e+02, 5.1200e-02])\n"

    def test_cells_15_16_random(self):
        x = torch.randn(3, requires_grad=True)
        y = x * 2
        while y.data.norm() < 1000:
            y = y * 2
        xt = to_real(x)
        yt = xt * 2
        while yt.data.norm() < 1000:
            yt = yt * 2
        same_repr(y, yt)
        y.backward(torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float))
        yt.backward(real_torch.tensor([0.1, 1.0, 0.0001], dtype=real_torch.float))
        same_repr(x.grad, xt.grad)

    def test_cells_17_18(self):
        x = torch.randn(3, requires_grad=True)

        def cell17():
            print(x.requires_grad)
            print((x ** 2).requires_grad)
            with torch.no_grad():
                print((x ** 2).requires_grad)
        assert out_of(cell17) == "True\nTrue\nFalse\n"

        def cell18():
            print(x.requires_grad)
            y = x.detach()
            print(y.requires_grad)
            print(x.requires_grad)
            print(x.eq(y).all())
        assert out_of(cell18) == "True\nFalse\nTrue\ntensor(True)\n"


# =================================================================== seed 004 (d2l autograd)
class TestSeed004:
    def test_simple_example(self):
        x = torch.arange(4.0, requires_grad=True)
        assert repr(x) == "tensor([0., 1., 2., 3.], requires_grad=True)"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert x.grad is None  # a leaf: no warning
        y = 2 * torch.dot(x, x)
        assert repr(y) == "tensor(28., grad_fn=<MulBackward0>)"
        y.backward()
        assert repr(x.grad) == "tensor([ 0.,  4.,  8., 12.])"
        assert repr(x.grad == 4 * x) == "tensor([True, True, True, True])"
        x.grad.zero_()
        y = x.sum()
        y.backward()
        assert repr(x.grad) == "tensor([1., 1., 1., 1.])"

        # detaching computation
        x.grad.zero_()
        y = x * x
        u = y.detach()
        z = u * x
        z.sum().backward()
        assert repr(x.grad == u) == "tensor([True, True, True, True])"
        assert not u.requires_grad and u.grad_fn is None
        x.grad.zero_()
        y.sum().backward()
        assert repr(x.grad == 2 * x) == "tensor([True, True, True, True])"

    @staticmethod
    def f(a):
        b = a * 2
        while b.norm().item() < 1000:
            b = b * 2
        if b.sum().item() > 0:
            c = b
        else:
            c = 100 * b
        return c

    def test_control_flow_random(self):
        a = torch.randn(size=(1,), requires_grad=True)
        assert a.shape == (1,)
        d = self.f(a)
        d.backward()
        assert repr(a.grad == (d / a)) == "tensor([True])"
        at = to_real(a)
        dt = self.f(at)
        dt.backward()
        same_repr(d, dt)
        same_repr(a.grad, at.grad)

    @pytest.mark.parametrize("val", [0.3367, -1.1229, 1e-3, -0.0123, 7.5])
    def test_control_flow_fixed_vs_torch(self, val):
        a = torch.tensor([val], requires_grad=True)
        d = self.f(a)
        d.backward()
        at = real_torch.tensor([val], requires_grad=True)
        dt = self.f(at)
        dt.backward()
        same_repr(d, dt)
        same_repr(a.grad, at.grad)
        assert repr(a.grad == (d / a)) == repr(at.grad == (dt / at))
