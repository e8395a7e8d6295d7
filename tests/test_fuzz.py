"""Differential fuzzing: random op graphs run identically through minitorch and torch.

Each example draws 2-4 leaf tensors (float32/float64, small broadcast-compatible shapes including
0-d and size-1 dims, possibly viewed non-contiguously: transposed, stepped slice, expanded), then
4-8 random ops (unary/binary elementwise, reductions with dim/keepdim, matmul, reshape/transpose/
indexing, softmax/log_softmax), then backpropagates a random upstream gradient. Forward values
and every leaf gradient must match torch.autograd.

CI runs a bounded, derandomized number of examples; ``pytest --fuzz-long tests/test_fuzz.py``
runs thousands with fresh randomness.
"""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import minitorch as mt

CI_EXAMPLES = 70


def _settings(long):
    if long:
        return settings(max_examples=3000, deadline=None, derandomize=False, database=None,
                        suppress_health_check=list(HealthCheck))
    return settings(max_examples=CI_EXAMPLES, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck))


# ---------------------------------------------------------------------------------------------
# values: a (minitorch, torch) pair that went through the same ops
# ---------------------------------------------------------------------------------------------
class V:
    def __init__(self, m, t):
        self.m, self.t = m, t

    @property
    def shape(self):
        return tuple(self.t.shape)


def both(fn, *vals):
    return V(fn(mt, *[v.m for v in vals]), fn(torch, *[v.t for v in vals]))


def broadcastable(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


# op tables: name -> fn(lib, *tensors). Composite ops keep inputs in safe domains.
UNARY = {
    "neg": lambda L, x: -x,
    "exp_tanh": lambda L, x: x.tanh().exp(),
    "tanh": lambda L, x: x.tanh(),
    "sigmoid": lambda L, x: x.sigmoid(),
    "relu": lambda L, x: L.relu(x),
    "abs": lambda L, x: x.abs(),
    "sin": lambda L, x: x.sin(),
    "log1p_sq": lambda L, x: (x * x + 1).log(),
    "sqrt_sq": lambda L, x: (x * x + 0.5).sqrt(),
    "square": lambda L, x: x.square(),
    "pow3": lambda L, x: x ** 3,
    "rsub": lambda L, x: 1.5 - x,
    "rdiv": lambda L, x: 1.0 / (x * x + 1),
    "clamp": lambda L, x: x.clamp(-0.7, 0.8),
    "mul_s": lambda L, x: x * -2.5,
}
BINARY = {
    "add": lambda L, a, b: a + b,
    "sub": lambda L, a, b: a - b,
    "mul": lambda L, a, b: a * b,
    "div": lambda L, a, b: a / (b * b + 1),
    "maximum": lambda L, a, b: L.maximum(a, b),
    "minimum": lambda L, a, b: L.minimum(a, b),
    "where": lambda L, a, b: L.where(a > 0, a, b),
    "pow": lambda L, a, b: (a * a + 0.5) ** b.tanh(),
}


def _fuzz_graph(data):
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1), label="seed"))
    nd = draw(st.integers(0, 3), label="ndim")
    base = tuple(draw(st.lists(st.integers(1, 3), min_size=nd, max_size=nd), label="base"))
    n_leaves = draw(st.integers(2, 4), label="n_leaves")
    # small integers make ties (max/amax/maximum/abs/relu at 0, prod through zeros)
    ties = draw(st.booleans(), label="ties")
    leaves, vals = [], []
    for _ in range(n_leaves):
        keep = draw(st.integers(0, len(base)))
        shape = [1 if draw(st.booleans()) else s for s in base[len(base) - keep:]]
        shape = tuple(shape)
        dtype = draw(st.sampled_from([np.float32, np.float64]))
        layout = draw(st.sampled_from(["C", "T", "step", "expand"]))
        if layout == "T" and len(shape) >= 2:
            store = shape[:-2] + (shape[-1], shape[-2])
            view = lambda x: x.transpose(-1, -2)
        elif layout == "step" and len(shape) >= 1:
            store = shape[:-1] + (2 * shape[-1],)
            view = lambda x: x[..., ::2]
        elif layout == "expand" and len(shape) >= 1:
            store = (1,) + shape[1:]
            view = lambda x, s=shape: x.expand(*s)
        else:
            store, view = shape, (lambda x: x)
        arr = (rng.integers(-2, 3, store) if ties else rng.standard_normal(store)).astype(dtype)
        ml = mt.tensor(arr, requires_grad=True)
        tl = torch.tensor(arr, requires_grad=True)
        leaves.append((ml, tl))
        vals.append(V(view(ml), view(tl)))
    assert all(v.shape == tuple(v.m.shape) for v in vals)

    trace = [f"leaves: {[(tuple(t.shape), str(t.dtype)) for _, t in leaves]} ties={ties}"]
    n_ops = draw(st.integers(4, 8), label="n_ops")
    for _ in range(n_ops):
        kind = draw(st.sampled_from(["unary", "binary", "binary", "reduce", "matmul", "shape",
                                     "softmax"]))
        i = draw(st.integers(0, len(vals) - 1))
        x = vals[i]
        out = None
        if kind == "binary":
            j = draw(st.integers(0, len(vals) - 1))
            y = vals[j]
            if broadcastable(x.shape, y.shape) and np.prod(
                    np.broadcast_shapes(x.shape, y.shape)) <= 64:
                name = draw(st.sampled_from(sorted(BINARY)))
                out = both(BINARY[name], x, y)
                trace.append(f"{name}(v{i}{x.shape}, v{j}{y.shape})")
        elif kind == "reduce" and len(x.shape) >= 1:
            # max(dim) routes a tie's gradient to one (implementation-defined) index
            name = draw(st.sampled_from(["sum", "mean", "amax", "amin", "prod", "logsumexp",
                                         "sum_all", "mean_all", "norm", "amax_all"] +
                                        ([] if ties else ["max"])))
            d = draw(st.integers(-len(x.shape), len(x.shape) - 1))
            k = draw(st.booleans())
            fns = {
                "sum": lambda L, a: a.sum(d, keepdim=k),
                "mean": lambda L, a: a.mean(d, keepdim=k),
                "amax": lambda L, a: a.amax(d, keepdim=k),
                "amin": lambda L, a: a.amin(d, keepdim=k),
                "amax_all": lambda L, a: a.amax(),
                "max": lambda L, a: a.max(d, keepdim=k)[0],
                "prod": lambda L, a: a.prod(d, keepdim=k),
                "logsumexp": lambda L, a: a.logsumexp(d, keepdim=k),
                "sum_all": lambda L, a: a.sum(),
                "mean_all": lambda L, a: a.mean(),
                "norm": lambda L, a: (a * a + 0.1).sum(d, keepdim=k).sqrt(),
            }
            out = both(fns[name], x)
            trace.append(f"{name}(v{i}{x.shape}, dim={d}, keepdim={k})")
        elif kind == "matmul" and len(x.shape) >= 1:
            # against another value with a matching inner dim, else against x's own transpose
            j = draw(st.integers(0, len(vals) - 1))
            y = vals[j]
            ok = len(y.shape) >= 1 and x.t.dtype == y.t.dtype and (  # no type promotion

                (len(y.shape) == 1 and y.shape[0] == x.shape[-1]) or
                (len(y.shape) >= 2 and y.shape[-2] == x.shape[-1] and
                 broadcastable(x.shape[:-2], y.shape[:-2])))
            if ok:
                out = both(lambda L, a, b: a @ b, x, y)
                trace.append(f"matmul(v{i}{x.shape}, v{j}{y.shape})")
            elif len(x.shape) >= 2:
                out = both(lambda L, a: a @ a.transpose(-1, -2), x)
                trace.append(f"matmul(v{i}{x.shape}, v{i}.mT)")
        elif kind == "shape":
            name = draw(st.sampled_from(["flatten", "reshape", "transpose", "index", "slice",
                                         "unsqueeze", "permute", "expand"]))
            s = x.shape
            if name == "flatten":
                out = both(lambda L, a: a.reshape(-1), x)
            elif name == "reshape" and len(s) >= 2:
                out = both(lambda L, a: a.reshape(s[0], -1), x)
            elif name == "transpose" and len(s) >= 2:
                d0 = draw(st.integers(0, len(s) - 1))
                out = both(lambda L, a: a.transpose(d0, -1), x)
            elif name == "index" and len(s) >= 1:
                k = draw(st.integers(-s[0], s[0] - 1))
                out = both(lambda L, a: a[k], x)
            elif name == "slice" and len(s) >= 1 and s[-1] >= 2:
                out = both(lambda L, a: a[..., 1:], x)
            elif name == "unsqueeze":
                d = draw(st.integers(0, len(s)))
                out = both(lambda L, a: a.unsqueeze(d), x)
            elif name == "permute" and len(s) >= 2:
                perm = list(draw(st.permutations(range(len(s)))))
                out = both(lambda L, a: a.permute(*perm), x)
            elif name == "expand" and len(s) <= 2:
                out = both(lambda L, a: a.unsqueeze(0).expand(2, *s), x)
            if out is not None:
                trace.append(f"{name}(v{i}{s})")
        elif kind == "softmax" and len(x.shape) >= 1:
            d = draw(st.integers(-len(x.shape), len(x.shape) - 1))
            log = draw(st.booleans())
            out = both(lambda L, a: a.log_softmax(d) if log else a.softmax(d), x)
            trace.append(f"{'log_' if log else ''}softmax(v{i}{x.shape}, {d})")
        if out is None:  # the drawn op did not apply: fall back to a unary op
            name = draw(st.sampled_from(sorted(UNARY)))
            out = both(UNARY[name], x)
            trace.append(f"{name}(v{i}{x.shape})")
        assert tuple(out.m.shape) == out.shape, (trace, tuple(out.m.shape), out.shape)
        vals.append(out)

    # the result combines the last value with every leaf so that all leaves get gradients
    res = vals[-1]
    extra = [v for v in vals[:n_leaves]]
    tot = both(lambda L, a: a.sum(), extra[0])
    for v in extra[1:]:
        tot = both(lambda L, a, b: a + b.sum() * 0.5, tot, v)
    if broadcastable(res.shape, ()):
        res = both(lambda L, a, b: a * 1.0 + b, res, tot)
    trace.append("+ sum(leaves)")
    return leaves, res, trace, rng


def _close(m, t, what, trace, f32=False):
    tn = t.detach().cpu().numpy()
    mn = m.detach().numpy()
    assert mn.shape == tn.shape, (what, mn.shape, tn.shape, trace)
    assert str(m.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (what, m.dtype, t.dtype)
    f32 = f32 or t.dtype == torch.float32  # float32 anywhere in the graph limits precision
    rtol = 1e-4 if f32 else 1e-9
    finite = np.isfinite(tn)
    # non-finite entries must agree exactly (nan where nan, same-signed inf)
    assert np.array_equal(np.isnan(mn), np.isnan(tn)), (what, mn, tn, trace)
    assert np.array_equal(mn[~finite & ~np.isnan(tn)], tn[~finite & ~np.isnan(tn)]), (what, trace)
    scale = float(np.abs(tn[finite]).max()) if finite.any() else 1.0
    atol = rtol * max(1.0, scale)
    np.testing.assert_allclose(mn[finite], tn[finite], rtol=rtol, atol=atol,
                               err_msg=f"{what}\n" + "\n".join(trace))


def run_fuzz_example(data):
    leaves, res, trace, rng = _fuzz_graph(data)
    f32 = any(tl.dtype == torch.float32 for _, tl in leaves)
    _close(res.m, res.t, "forward", trace, f32)
    g = rng.standard_normal(res.shape)
    res.m.backward(mt.tensor(g.astype(np.float64)).to(res.m.dtype))
    res.t.backward(torch.tensor(g).to(res.t.dtype))
    for k, (ml, tl) in enumerate(leaves):
        assert (ml.grad is None) == (tl.grad is None), (k, trace)
        if tl.grad is not None:
            _close(ml.grad, tl.grad, f"grad of leaf {k}", trace, f32)


@pytest.mark.slow
def test_fuzz_op_graphs(fuzz_long):
    count = [0]

    @_settings(fuzz_long)
    @given(st.data())
    def inner(data):
        count[0] += 1
        run_fuzz_example(data)

    inner()
    print(f"\nfuzz: {count[0]} op graphs compared with torch")


# ---------------------------------------------------------------------------------------------
# regressions found by the fuzzer
# ---------------------------------------------------------------------------------------------
def test_regression_amax_amin_ties_share_gradient():
    # amax/amin were max(dim) chains: a tie's gradient went to one index; torch splits it evenly
    res = []
    for L in (mt, torch):
        x = L.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], dtype=L.float64, requires_grad=True)
        grads = []
        for f in (lambda: x.amax(1).sum(), lambda: x.amax(), lambda: x.amin(0).sum(),
                  lambda: x.amax((0, 1)), lambda: (x.amin(-1, keepdim=True) ** 2).sum()):
            x.grad = None
            f().backward()
            grads.append(x.grad.tolist())
        res.append(grads)
        assert x.amax(1).grad_fn.name() == "AmaxBackward0"
    assert res[0] == res[1]
