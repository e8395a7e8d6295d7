"""Issue 11's tutorial API coverage against torch: scans, triangular masks, sorting, sampling,
repeats, einsum, factories from a tensor, log1p/expm1, numpy-style keywords, the device API,
named loss nodes, embedding, gradient clipping and parameter/vector conversion. Forward and
backward against torch.autograd (hypothesis shapes, non-contiguous inputs) and float64
finite differences."""

import numpy as np
import pytest
import torch
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import minitorch as mt
import minitorch.nn.functional as F
from minitorch.ops import launcher
from minitorch.testing import assert_close, gradcheck

PHASES = [Phase.explicit, Phase.generate]
FEW = settings(max_examples=4, deadline=None, derandomize=True, database=None, phases=PHASES)


def pair(arr, requires_grad=False):
    arr = np.asarray(arr)
    a, b = mt.tensor(arr), torch.tensor(arr)
    if requires_grad:
        a.requires_grad_(True)
        b.requires_grad_(True)
    return a, b


def check(mt_fn, t_fn, arr, transpose=False, rtol=1e-5, atol=1e-6, grad=True):
    """Forward values and (for float inputs) the gradient of a random upstream against torch."""
    a, b = pair(arr, requires_grad=grad)
    va, vb = (a.transpose(-1, -2), b.transpose(-1, -2)) if transpose else (a, b)
    ra, rb = mt_fn(va), t_fn(vb)
    assert_close(ra, rb.detach(), rtol=rtol, atol=atol)
    if grad:
        up = np.random.default_rng(1).standard_normal(tuple(rb.shape)).astype(arr.dtype)
        (ra * mt.tensor(up)).sum().backward()
        (rb * torch.tensor(up)).sum().backward()
        assert_close(a.grad, b.grad, rtol=rtol, atol=atol)


shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3)


# ---------------------------------------------------------------------------------------------
# cumsum / cumprod
# ---------------------------------------------------------------------------------------------
@FEW
@given(shape=shapes, data=st.data(), dt=st.sampled_from([np.float32, np.float64]))
def test_cumsum_cumprod_match_torch(shape, data, dt):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    arr = np.random.default_rng(0).uniform(0.5, 1.5, shape).astype(dt)
    check(lambda x: mt.cumsum(x, dim), lambda x: torch.cumsum(x, dim), arr)
    check(lambda x: x.cumprod(dim), lambda x: x.cumprod(dim), arr)
    if len(shape) >= 2:
        check(lambda x: x.cumsum(dim), lambda x: x.cumsum(dim), arr, transpose=True)


def test_cumsum_long_rows_and_int_dtypes():
    arr = np.random.default_rng(0).standard_normal((3, 1000)).astype(np.float64)
    check(lambda x: x.cumsum(1), lambda x: x.cumsum(1), arr, rtol=1e-9, atol=1e-9)
    ai, ti = pair(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32))
    assert mt.cumsum(ai, 1).dtype == torch.cumsum(ti, 1).dtype == torch.int64
    assert mt.cumsum(ai, 1).tolist() == torch.cumsum(ti, 1).tolist()
    ab, tb = pair(np.array([True, False, True]))
    assert mt.cumsum(ab, 0).tolist() == torch.cumsum(tb, 0).tolist()
    assert mt.cumsum(ai, 1, dtype=mt.float64).dtype == mt.float64
    assert mt.cumprod(ai, 0).tolist() == torch.cumprod(ti, 0).tolist()
    with pytest.raises(IndexError, match="Dimension out of range"):
        mt.cumsum(ai, 2)


def test_cumprod_backward_with_zeros():
    arr = np.array([[2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 1.5, 2.0, 3.0, 1.0]])
    check(lambda x: x.cumprod(1), lambda x: x.cumprod(1), arr, rtol=1e-9, atol=1e-9)
    check(lambda x: x.cumprod(0), lambda x: x.cumprod(0), arr, rtol=1e-9, atol=1e-9)


def test_scans_gradcheck():
    x = mt.randn(3, 4, dtype=mt.float64, requires_grad=True)
    assert gradcheck(lambda t: t.cumsum(1), (x,))
    assert gradcheck(lambda t: t.cumprod(0), (x,))
    z = mt.tensor([[1.5, 0.0, -2.0], [0.0, 0.0, 3.0]], dtype=mt.float64, requires_grad=True)
    assert gradcheck(lambda t: t.cumprod(1), (z,))


# ---------------------------------------------------------------------------------------------
# tril / triu
# ---------------------------------------------------------------------------------------------
@FEW
@given(r=st.integers(1, 5), c=st.integers(1, 5), batch=st.integers(0, 2),
       diag=st.integers(-3, 3), transpose=st.booleans())
def test_tril_triu_match_torch(r, c, batch, diag, transpose):
    shape = (2,) * batch + (r, c)
    arr = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    check(lambda x: mt.tril(x, diag), lambda x: torch.tril(x, diag), arr, transpose=transpose)
    check(lambda x: x.triu(diag), lambda x: x.triu(diag), arr, transpose=transpose)


def test_tril_int_bool_errors_and_gradcheck():
    m = mt.ones(4, 4, dtype=mt.bool)
    assert mt.tril(m).tolist() == torch.tril(torch.ones(4, 4, dtype=torch.bool)).tolist()
    assert mt.triu(mt.ones(3, 3, dtype=mt.int64), 1).tolist() == \
        torch.triu(torch.ones(3, 3, dtype=torch.int64), 1).tolist()
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions"):
        mt.tril(mt.ones(3))
    x = mt.randn(3, 4, dtype=mt.float64, requires_grad=True)
    assert gradcheck(lambda t: mt.tril(t, -1) + mt.triu(t, 2), (x,))


# ---------------------------------------------------------------------------------------------
# log1p / expm1
# ---------------------------------------------------------------------------------------------
def test_log1p_expm1_accurate_and_differentiable():
    vals = np.array([1e-10, -1e-7, 3e-5, -0.5, 0.3, 2.0, 40.0, -30.0], dtype=np.float32)
    check(mt.log1p, torch.log1p, vals, rtol=2e-6, atol=0)
    check(mt.expm1, torch.expm1, vals, rtol=2e-6, atol=0)
    special = np.array([-1.0, np.inf, -np.inf, np.nan, 100.0], dtype=np.float32)
    a, b = pair(special)
    assert_close(a.log1p(), b.log1p())
    assert_close(a.expm1(), b.expm1())
    assert mt.log1p(mt.tensor([1, 2])).dtype == torch.log1p(torch.tensor([1, 2])).dtype
    x = mt.rand(5, dtype=mt.float64, requires_grad=True)
    assert gradcheck(lambda t: t.log1p() * t.expm1(), (x,))
    assert repr(mt.log1p(x).grad_fn).startswith("<Log1PBackward0")


# ---------------------------------------------------------------------------------------------
# sort / argsort / topk
# ---------------------------------------------------------------------------------------------
@FEW
@given(shape=shapes, data=st.data(), descending=st.booleans())
def test_sort_matches_torch(shape, data, descending):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    arr = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    a, b = pair(arr, requires_grad=True)
    va, ia = mt.sort(a, dim, descending, stable=True)
    vb, ib = torch.sort(b, dim=dim, descending=descending, stable=True)
    assert_close(va, vb.detach())
    assert ia.tolist() == ib.tolist()
    assert mt.argsort(a, dim, descending).tolist() == ib.tolist()
    (va * mt.arange(va.numel()).reshape(va.shape)).sum().backward()
    (vb * torch.arange(vb.numel()).reshape(vb.shape)).sum().backward()
    assert_close(a.grad, b.grad)
    assert type(va.grad_fn).__name__ == type(vb.grad_fn).__name__ == "SortBackward1"
    assert type(a.sort(dim).values.grad_fn).__name__ == "SortBackward0"
    k = data.draw(st.integers(0, shape[dim]))
    largest = data.draw(st.booleans())
    ta, tb = a.topk(k, dim, largest), torch.topk(b, k, dim, largest)
    assert_close(ta.values, tb.values.detach())
    assert ta.indices.tolist() == tb.indices.tolist()
    assert type(ta.values.grad_fn).__name__ == type(tb.values.grad_fn).__name__


def test_sort_ties_nan_ints_bool_and_errors():
    x = np.array([[3.0, np.nan, 1.0, 3.0, -np.inf, 1.0, np.nan]], dtype=np.float32)
    a, b = pair(x)
    for desc in (False, True):
        ra, rb = a.sort(descending=desc), torch.sort(b, descending=desc, stable=True)
        assert_close(ra.values, rb.values)
        assert ra.indices.tolist() == rb.indices.tolist()
    ai, ti = pair(np.array([5, 1, 5, -2, 0]))
    assert ai.sort().values.tolist() == ti.sort().values.tolist()
    assert mt.argsort(ai, descending=True, stable=True).tolist() == \
        torch.argsort(ti, descending=True, stable=True).tolist()
    bo = mt.tensor([True, False, True])
    assert bo.sort().values.tolist() == [False, True, True]
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        mt.topk(ai, 6)
    x64 = mt.randn(2, 5, dtype=mt.float64, requires_grad=True)
    assert gradcheck(lambda t: t.sort(1).values * 1.0 + t.topk(2, 0).values.sum(), (x64,))


# ---------------------------------------------------------------------------------------------
# multinomial / randperm / one_hot
# ---------------------------------------------------------------------------------------------
def test_multinomial_with_replacement_frequencies():
    p = mt.tensor([0.1, 0.0, 0.6, 0.3])
    s = mt.multinomial(p, 4000, replacement=True)
    assert s.dtype == mt.int64 and tuple(s.shape) == (4000,)
    counts = np.bincount(np.asarray(s.tolist()), minlength=4) / 4000
    assert counts[1] == 0
    np.testing.assert_allclose(counts, [0.1, 0.0, 0.6, 0.3], atol=0.03)
    # unnormalized weights, 2-D, one sample per row (the sampling loop of a language model)
    w = mt.tensor([[0.0, 0.0, 5.0], [2.0, 0.0, 0.0]])
    assert mt.multinomial(w, 1).tolist() == [[2], [0]]
    assert w.multinomial(3, True).tolist() == [[2, 2, 2], [0, 0, 0]]


def test_multinomial_without_replacement_and_generator():
    p = mt.tensor([[0.05, 0.5, 0.0, 0.2, 0.25]] * 3)
    s = mt.multinomial(p, 4)
    for row in s.tolist():
        assert len(set(row)) == 4 and 2 not in row
    # the first draw is distributed as p
    firsts = mt.multinomial(mt.tensor([[0.1, 0.6, 0.3]] * 300), 2)[:, 0]
    counts = np.bincount(np.asarray(firsts.tolist()), minlength=3) / 300
    np.testing.assert_allclose(counts, [0.1, 0.6, 0.3], atol=0.085)  # ~3 standard deviations
    g1, g2 = mt.Generator().manual_seed(7), mt.Generator().manual_seed(7)
    assert mt.multinomial(p, 3, generator=g1).tolist() == \
        mt.multinomial(p, 3, generator=g2).tolist()
    assert mt.multinomial(p[0], 20, True, generator=g1).tolist() == \
        mt.multinomial(p[0], 20, True, generator=g2).tolist()


def test_multinomial_errors_match_torch():
    cases = [
        (lambda m: m.multinomial(m.tensor([0.5, -0.1]), 1), RuntimeError,
         "probability tensor contains either `inf`, `nan` or element < 0"),
        (lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1), RuntimeError,
         r"invalid multinomial distribution \(sum of probabilities <= 0\)"),
        (lambda m: m.multinomial(m.tensor([0.5, 0.5]), 3), RuntimeError,
         "cannot sample n_sample > prob_dist.size"),
        (lambda m: m.multinomial(m.ones(2, 2, 2), 1), RuntimeError, "prob_dist must be 1 or 2 dim"),
    ]
    for fn, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            fn(torch)
        with pytest.raises(exc, match=msg):
            fn(mt)
    # fewer positive categories than samples: torch on CPU appends zero-probability ones
    p = [0.5, 0.0, 0.0]
    assert mt.multinomial(mt.tensor(p), 2).tolist() == torch.multinomial(torch.tensor(p),
                                                                        2).tolist()


def test_randperm_and_one_hot():
    r = mt.randperm(50)
    assert r.dtype == mt.int64 and sorted(r.tolist()) == list(range(50))
    assert mt.randperm(5, dtype=mt.float32).dtype == mt.float32
    assert mt.randperm(6, generator=mt.Generator().manual_seed(3)).tolist() == \
        mt.randperm(6, generator=mt.Generator().manual_seed(3)).tolist()
    t = np.array([[0, 3], [1, 1]])
    a, b = pair(t)
    assert F.one_hot(a).tolist() == torch.nn.functional.one_hot(b).tolist()
    assert F.one_hot(a, 6).tolist() == torch.nn.functional.one_hot(b, 6).tolist()
    assert F.one_hot(a).dtype == torch.int64
    for fn, msg in ((lambda m: m.nn.functional.one_hot(m.tensor([0, 4]), 3),
                     "Class values must be smaller than num_classes."),
                    (lambda m: m.nn.functional.one_hot(m.tensor([0, -1])),
                     "Class values must be non-negative."),
                    (lambda m: m.nn.functional.one_hot(m.tensor([0.0])),
                     "one_hot is only applicable to index tensor")):
        with pytest.raises(RuntimeError, match=msg):
            fn(torch)
        with pytest.raises(RuntimeError, match=msg):
            fn(mt)


# ---------------------------------------------------------------------------------------------
# repeat / tile / repeat_interleave
# ---------------------------------------------------------------------------------------------
@FEW
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=2),
       reps=st.lists(st.integers(1, 3), min_size=2, max_size=3), transpose=st.booleans())
def test_repeat_tile_match_torch(shape, reps, transpose):
    transpose = transpose and len(shape) == 2
    arr = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    reps = reps[:max(len(shape), len(reps))]
    if len(reps) >= len(shape):
        check(lambda x: x.repeat(*reps), lambda x: x.repeat(*reps), arr, transpose)
    check(lambda x: mt.tile(x, tuple(reps[:1])), lambda x: torch.tile(x, tuple(reps[:1])), arr,
          transpose)


def test_repeat_interleave_matches_torch():
    arr = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    check(lambda x: x.repeat_interleave(2), lambda x: x.repeat_interleave(2), arr)
    check(lambda x: x.repeat_interleave(3, dim=1), lambda x: x.repeat_interleave(3, dim=1), arr)
    reps = [2, 0, 1]
    check(lambda x: mt.repeat_interleave(x, mt.tensor(reps), dim=0),
          lambda x: torch.repeat_interleave(x, torch.tensor(reps), dim=0), arr)
    assert mt.repeat_interleave(mt.tensor([1, 0, 3])).tolist() == \
        torch.repeat_interleave(torch.tensor([1, 0, 3])).tolist()
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims"):
        mt.ones(2, 2).repeat(2)
    x = mt.randn(2, 3, dtype=mt.float64, requires_grad=True)
    assert gradcheck(lambda t: t.repeat(2, 1, 2).sum(0) + 0 * t.sum(), (x,))
    assert gradcheck(lambda t: t.repeat_interleave(mt.tensor([1, 3]), dim=0), (x,))


# ---------------------------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------------------------
EINSUMS = [("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
           ("i,i->", [(4,), (4,)]), ("ij->ji", [(2, 3)]), ("ijk->j", [(2, 3, 4)]),
           ("i,j->ij", [(3,), (2,)]), ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]),
           ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ij,jk", [(2, 3), (3, 2)]),
           ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("bi,bi->b", [(3, 4), (1, 4)]),
           ("ijk,ik->j", [(2, 3, 4), (2, 4)])]


@pytest.mark.parametrize("eq,shapes", EINSUMS)
def test_einsum_matches_torch(eq, shapes):
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal(s).astype(np.float64) for s in shapes]
    ms = [mt.tensor(a, requires_grad=True) for a in arrs]
    ts = [torch.tensor(a, requires_grad=True) for a in arrs]
    ra, rb = mt.einsum(eq, *ms), torch.einsum(eq, *ts)
    assert_close(ra, rb.detach(), rtol=1e-10, atol=1e-10)
    up = rng.standard_normal(tuple(rb.shape))
    (ra * mt.tensor(up)).sum().backward()
    (rb * torch.tensor(up)).sum().backward()
    for m, t in zip(ms, ts):
        assert_close(m.grad, t.grad, rtol=1e-10, atol=1e-10)


def test_einsum_list_operands_gradcheck_and_errors():
    a = mt.randn(2, 3, dtype=mt.float64, requires_grad=True)
    b = mt.randn(3, 2, dtype=mt.float64, requires_grad=True)
    assert_close(mt.einsum("ij,jk->ik", [a, b]), a @ b)
    assert gradcheck(lambda x, y: mt.einsum("ij,jk->ki", x, y), (a, b))
    with pytest.raises(RuntimeError, match="more operands were provided"):
        mt.einsum("ij->i", a, b)
    with pytest.raises(RuntimeError, match="does not match the number of dimensions"):
        mt.einsum("ijk->i", a)
    with pytest.raises(RuntimeError, match="not supported"):
        mt.einsum("ii->i", mt.randn(3, 3))


# ---------------------------------------------------------------------------------------------
# factories from a tensor, numpy-style keywords, device API
# ---------------------------------------------------------------------------------------------
def test_new_factories_match_torch():
    for dt in (np.float64, np.int32):
        a, b = pair(np.zeros((2,), dtype=dt))
        for name, args in (("new_zeros", (2, 3)), ("new_ones", ((3,),)), ("new_empty", (1, 2)),
                           ("new_full", ((2, 2), 7)), ("new_tensor", ([1, 2, 3],))):
            ra, rb = getattr(a, name)(*args), getattr(b, name)(*args)
            assert ra.dtype == rb.dtype and tuple(ra.shape) == tuple(rb.shape), name
            if name != "new_empty":
                assert ra.tolist() == rb.tolist(), name
        assert a.new_zeros(2, dtype=mt.float16).dtype == mt.float16
        if dt == np.float64:
            assert a.new_ones(2, requires_grad=True).requires_grad


def test_numpy_style_keywords():
    arr = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    a, b = pair(arr)
    assert_close(mt.sum(a, axis=1, keepdims=True), torch.sum(b, axis=1, keepdims=True))
    assert_close(a.mean(axis=0), b.mean(axis=0))
    assert_close(a.max(axis=1, keepdims=True).values, b.max(axis=1, keepdims=True).values)
    assert_close(a.std(axis=0, keepdims=True), b.std(axis=0, keepdims=True))
    assert_close(mt.cat([a, a], axis=1), torch.cat([b, b], axis=1))
    assert a.argmax(axis=1).tolist() == b.argmax(axis=1).tolist()
    assert_close(a.cumsum(axis=0), b.cumsum(axis=0))
    with pytest.raises(TypeError, match="multiple values for argument 'dim'"):
        mt.sum(a, dim=0, axis=0)


def test_device_api_answers_as_torch_on_cpu():
    assert mt.get_default_device() == torch.get_default_device() == torch.device("cpu")
    assert mt.accelerator.is_available() == torch.accelerator.is_available()
    assert mt.accelerator.current_accelerator() == torch.accelerator.current_accelerator()
    assert mt.accelerator.device_count() == torch.accelerator.device_count()
    try:
        mt.set_default_device("cpu")
        assert mt.get_default_device() == torch.device("cpu")
        assert mt.zeros(2).device == mt.device("cpu")
        assert mt.randperm(3).device == torch.device("cpu")
    finally:
        mt.set_default_device(None)
    d = mt.device("cpu")
    assert mt.ones(2, device=d).to(d).device == d and str(d) == "cpu"
    assert mt.device(str(mt.ones(1).device)) == d and mt.device("cpu", 0).index == 0
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError):
            torch.accelerator.current_device_index()
        with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
            mt.accelerator.current_device_index()


# ---------------------------------------------------------------------------------------------
# losses with torch's node names, activations, embedding
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_named_losses_match_torch(reduction):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    t = rng.uniform(0, 1, (4, 3))
    w = rng.uniform(0.5, 1.5, (4, 3))
    pw = rng.uniform(0.5, 2, (3,))
    cases = [
        ("MseLossBackward0",
         lambda m, x, t, w, pw: m.nn.functional.mse_loss(x, t, reduction=reduction)),
        ("BinaryCrossEntropyBackward0",
         lambda m, x, t, w, pw: m.nn.functional.binary_cross_entropy(x.sigmoid(), t, w,
                                                                     reduction=reduction)),
        ("BinaryCrossEntropyWithLogitsBackward0",
         lambda m, x, t, w, pw: m.nn.functional.binary_cross_entropy_with_logits(
             x, t, w, reduction=reduction, pos_weight=pw)),
    ]
    for name, fn in cases:
        rg = [True, True, False, False]  # torch: weights are not differentiable
        ma = [mt.tensor(v, requires_grad=r) for v, r in zip((x, t, w, pw), rg)]
        ta = [torch.tensor(v, requires_grad=r) for v, r in zip((x, t, w, pw), rg)]
        ra, rb = fn(mt, *ma), fn(torch, *ta)
        assert_close(ra, rb.detach(), rtol=1e-10, atol=1e-12)
        assert type(ra.grad_fn).__name__ == type(rb.grad_fn).__name__ == name
        ra.sum().backward()
        rb.sum().backward()
        for m, t_ in zip(ma, ta):
            if t_.grad is not None:
                assert_close(m.grad, t_.grad, rtol=1e-9, atol=1e-12, msg=name)
        if reduction != "none":
            continue
        small = (x[:2, :2], t[:2, :2], w[:2, :2], pw[:2])  # finite differences: keep it small
        assert gradcheck(lambda *a: fn(mt, *a), tuple(
            mt.tensor(v, requires_grad=r) for v, r in zip(small, rg)))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.binary_cross_entropy(mt.rand(2), mt.rand(2), mt.rand(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="respect to argument 'pos_weight'"):
        F.binary_cross_entropy_with_logits(mt.rand(2), mt.rand(2),
                                           pos_weight=mt.rand(2, requires_grad=True))


def test_loss_chain_and_errors_as_torch():
    lin = mt.nn.Linear(3, 2)
    loss = mt.nn.MSELoss()(lin(mt.randn(4, 3)), mt.randn(4, 2))
    assert repr(loss.grad_fn).startswith("<MseLossBackward0")
    assert loss.grad_fn.next_functions[1] == (None, 0)
    bce = mt.nn.BCELoss()(mt.tensor([0.2, 0.9]), mt.tensor([0.0, 1.0]))
    assert_close(bce, torch.nn.BCELoss()(torch.tensor([0.2, 0.9]), torch.tensor([0.0, 1.0])))
    for m in (torch, mt):
        with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
            m.nn.functional.binary_cross_entropy(m.tensor([1.5]), m.tensor([1.0]))
        with pytest.raises(ValueError, match="must be the same as input size"):
            m.nn.functional.binary_cross_entropy_with_logits(m.zeros(2), m.zeros(3))


def test_silu_gelu_match_torch():
    arr = np.linspace(-4, 4, 17).astype(np.float32)
    check(F.silu, torch.nn.functional.silu, arr)
    check(lambda x: mt.nn.SiLU()(x), torch.nn.SiLU(), arr)
    check(F.gelu, torch.nn.functional.gelu, arr, rtol=1e-5, atol=1e-6)
    check(lambda x: F.gelu(x, approximate="tanh"),
          lambda x: torch.nn.functional.gelu(x, approximate="tanh"), arr)


def test_embedding_max_norm_and_padding_idx_match_torch():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((6, 4)).astype(np.float32) * 2
    idx = np.array([[0, 2, 2], [5, 1, 0]])
    for kw in (dict(padding_idx=2), dict(max_norm=1.0), dict(max_norm=1.5, norm_type=1.0),
               dict(padding_idx=0, max_norm=2.0)):
        em = mt.nn.Embedding(6, 4, **kw)
        et = torch.nn.Embedding(6, 4, **kw)
        with mt.no_grad():
            em.weight.copy_(mt.tensor(w))
        with torch.no_grad():
            et.weight.copy_(torch.tensor(w))
        oa, ob = em(mt.tensor(idx)), et(torch.tensor(idx))
        assert_close(oa, ob.detach(), rtol=1e-5, atol=1e-6)
        assert_close(em.weight.detach(), et.weight.detach(), rtol=1e-5, atol=1e-6)  # renormed
        (oa * oa).sum().backward()
        (ob * ob).sum().backward()
        assert_close(em.weight.grad, et.weight.grad, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# nn.utils: clipping and parameter vectors
# ---------------------------------------------------------------------------------------------
def _grads_pair(rng, shapes, scale):
    ms, ts = [], []
    for s in shapes:
        g = (rng.standard_normal(s) * scale).astype(np.float32)
        pm, pt = mt.nn.Parameter(mt.zeros(*s)), torch.nn.Parameter(torch.zeros(*s))
        pm.grad, pt.grad = mt.tensor(g), torch.tensor(g)
        ms.append(pm)
        ts.append(pt)
    return ms, ts


@pytest.mark.parametrize("norm_type,scale", [(2.0, 10.0), (2.0, 0.01), (1.0, 3.0),
                                             (float("inf"), 5.0), (3.0, 2.0)])
def test_clip_grad_norm_matches_torch(norm_type, scale):
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (2, 2, 2), (5,), (1,)]
    ms, ts = _grads_pair(rng, shapes, scale)
    launcher.stats.reset()
    na = mt.nn.utils.clip_grad_norm_(ms, 1.0, norm_type)
    # five grads, four per launch: 2 partial-norm launches, 1 fold, 2 rescales
    assert launcher.stats.launches == 5, launcher.stats.by_kernel
    nb = torch.nn.utils.clip_grad_norm_(ts, 1.0, norm_type)
    assert_close(na, nb, rtol=1e-5, atol=1e-6)
    for m, t in zip(ms, ts):
        assert_close(m.grad, t.grad, rtol=1e-5, atol=1e-7)


def test_clip_grad_value_nonfinite_and_vectors():
    rng = np.random.default_rng(1)
    ms, ts = _grads_pair(rng, [(3, 4), (4,)], 2.0)
    mt.nn.utils.clip_grad_value_(ms, 0.5)
    torch.nn.utils.clip_grad_value_(ts, 0.5)
    for m, t in zip(ms, ts):
        assert_close(m.grad, t.grad)
    assert_close(mt.nn.utils.get_total_norm([m.grad for m in ms], 2.0),
                 torch.nn.utils.get_total_norm([t.grad for t in ts], 2.0))
    ms[0].grad[0, 0] = float("inf")
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        mt.nn.utils.clip_grad_norm_(ms, 1.0, error_if_nonfinite=True)
    lm, lt = mt.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    lm.load_state_dict({k: mt.tensor(v.detach().numpy()) for k, v in lt.state_dict().items()})
    vm = mt.nn.utils.parameters_to_vector(lm.parameters())
    vt = torch.nn.utils.parameters_to_vector(lt.parameters())
    assert_close(vm, vt.detach())
    assert vm.requires_grad
    new = np.arange(8, dtype=np.float32)
    mt.nn.utils.vector_to_parameters(mt.tensor(new), lm.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), lt.parameters())
    assert_close(lm.weight.detach(), lt.weight.detach())
    assert_close(lm.bias.detach(), lt.bias.detach())
    with pytest.raises(TypeError, match="expected torch.Tensor, but got"):
        mt.nn.utils.vector_to_parameters([1.0], lm.parameters())
