"""minitorch.testing.gradcheck on every differentiable op (float64), gradgradcheck on the
elementwise ones."""
import numpy as np
import pytest

import minitorch as mt
from minitorch.testing import GradcheckError, gradcheck, gradgradcheck


def rand(*shape, low=None, high=None, seed=0, away0=False):
    rng = np.random.default_rng(seed + 7 * len(shape))
    if low is not None:
        x = rng.uniform(low, high, shape)
    else:
        x = rng.standard_normal(shape)
        if away0:
            x = np.sign(x + 1e-12) * (np.abs(x) + 0.25)
    return mt.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)


POS = dict(low=0.5, high=2.0)

UNARY = {
    "neg": (lambda x: -x, {}), "abs": (lambda x: x.abs(), dict(away0=True)),
    "exp": (lambda x: x.exp(), {}), "log": (lambda x: x.log(), POS),
    "sqrt": (lambda x: x.sqrt(), POS), "rsqrt": (lambda x: x.rsqrt(), POS),
    "sin": (lambda x: x.sin(), {}), "cos": (lambda x: x.cos(), {}),
    "tanh": (lambda x: x.tanh(), {}), "sigmoid": (lambda x: x.sigmoid(), {}),
    "relu": (lambda x: x.relu(), dict(away0=True)),
    "clamp": (lambda x: x.clamp(-0.5, 0.6), dict(away0=True)),
    "pow_scalar": (lambda x: x ** 3, {}), "pow_frac": (lambda x: x ** 1.5, POS),
    "rpow": (lambda x: 2.0 ** x, {}), "rdiv": (lambda x: 2.0 / x, dict(away0=True)),
    "rsub": (lambda x: 1.0 - x, {}), "mul_s": (lambda x: x * 3.0, {}),
}

BINARY = {
    "add": (lambda a, b: a + b, {}), "sub": (lambda a, b: a - b, {}),
    "mul": (lambda a, b: a * b, {}), "div": (lambda a, b: a / b, dict(away0=True)),
    "pow": (lambda a, b: a ** b, None), "maximum": (lambda a, b: mt.maximum(a, b), {}),
    "minimum": (lambda a, b: mt.minimum(a, b), {}),
    "where": (lambda a, b: mt.where(a > 0, a, b), {}),
    "remainder": (lambda a, b: a % b, dict(away0=True)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck(name):
    fn, kw = UNARY[name]
    assert gradcheck(fn, (rand(2, 3, **kw),))


@pytest.mark.slow  # double backward stays in the fast loop via test_autograd/test_reliability
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradgradcheck(name):
    fn, kw = UNARY[name]
    assert gradgradcheck(fn, (rand(2, **kw),))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradcheck(name):
    fn, kw = BINARY[name]
    a = rand(2, 3, **(POS if kw is None else {}))
    b = rand(3, seed=1, **(kw or {}))  # broadcast
    assert gradcheck(fn, (a, b))


@pytest.mark.slow  # double backward stays in the fast loop via test_autograd/test_reliability
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradgradcheck(name):
    fn, kw = BINARY[name]
    if name == "remainder":
        pytest.skip("remainder's gradient is piecewise constant")
    a = rand(2, **(POS if kw is None else {}))
    b = rand(2, seed=1, **(kw or {}))
    assert gradgradcheck(fn, (a, b))


OTHER = {
    "sum": (lambda x: x.sum(), (2, 3)), "sum_dim": (lambda x: x.sum(1, keepdim=True), (2, 3)),
    "mean": (lambda x: x.mean(0), (2, 3)), "prod": (lambda x: x.prod(1), (2, 3)),
    "prod_all": (lambda x: x.prod(), (2, 2)), "norm": (lambda x: x.norm(), (2, 3)),
    "norm_dim": (lambda x: x.norm(dim=1), (2, 3)), "var": (lambda x: x.var(1), (2, 3)),
    "std": (lambda x: x.std(), (2, 3)), "max": (lambda x: x.max(), (2, 3)),
    "max_dim": (lambda x: x.max(1).values, (2, 3)), "min_dim": (lambda x: x.min(0)[0], (2, 3)),
    "amax": (lambda x: x.amax(1), (2, 3)),
    "softmax": (lambda x: x.softmax(1), (2, 3)), "log_softmax": (lambda x: x.log_softmax(0),
                                                                  (2, 3)),
    "logsumexp": (lambda x: x.logsumexp(1), (2, 3)),
    "reshape": (lambda x: x.reshape(3, 2), (2, 3)), "transpose": (lambda x: x.t(), (2, 3)),
    "permute": (lambda x: x.permute(2, 0, 1), (2, 1, 3)),
    "squeeze": (lambda x: x.squeeze(1), (2, 1, 3)), "unsqueeze": (lambda x: x.unsqueeze(1),
                                                                   (2, 3)),
    "expand": (lambda x: x.expand(2, 2, 3) * mt.arange(12.0, dtype=mt.float64).reshape(2, 2, 3),
               (1, 3)),
    "flatten": (lambda x: x.flatten(), (2, 3)),
    "getitem": (lambda x: x[1, ::2], (2, 3)),
    "getitem_idx": (lambda x: x[mt.tensor([1, 0, 1])], (2, 3)),
    "getitem_mask": (lambda x: x[x > 0], (2, 3)),
    "chunk": (lambda x: x.chunk(2, 1), (2, 3)), "split": (lambda x: x.split([1, 2], 1), (2, 3)),
    "cat": (lambda x: mt.cat([x, x * 2], 1), (2, 3)),
    "stack": (lambda x: mt.stack([x, x.exp()], 0), (2, 3)),
    "dot": (lambda x: mt.dot(x, x.sin()), (3,)),
    "clone_T": (lambda x: x.T.contiguous(), (2, 3)),
}


@pytest.mark.slow  # the fast loop: test_ops checks these ops against torch.autograd
@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_gradcheck(name):
    fn, shape = OTHER[name]
    assert gradcheck(fn, (rand(*shape),))


LINALG = {
    "mm": ((2, 2), (2, 3), mt.mm), "mv": ((2, 3), (3,), mt.mv), "dot": ((3,), (3,), mt.dot),
    "matmul_1d_2d": ((3,), (3, 2), mt.matmul), "matmul_batched": ((2, 1, 1, 2), (3, 2, 1),
                                                                  mt.matmul),
    "matmul_2d_3d": ((2, 2), (2, 2, 1), mt.matmul),
}


@pytest.mark.slow  # the fast loop: test_ops checks these ops against torch.autograd
@pytest.mark.parametrize("name", sorted(LINALG))
def test_linalg_gradcheck(name):
    sa, sb, fn = LINALG[name]
    assert gradcheck(fn, (rand(*sa), rand(*sb, seed=1)))


def test_gradcheck_detects_wrong_gradient():
    class Bad(mt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x  # should be 2 * g * x

    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(Bad.apply, (rand(3),))
    assert gradcheck(Bad.apply, (rand(3),), raise_exception=False) is False
