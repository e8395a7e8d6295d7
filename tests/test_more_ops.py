"""Activations, losses, distances and indexing/shape ops built from other minitorch ops (elu,
softplus, hardtanh/relu6, smooth L1 / Huber / KL losses, normalize, cosine similarity, pairwise
distance, diagonal/trace, roll, index_add/copy/fill, take, take_along_dim, baddbmm): values and
gradients against torch.autograd on non-contiguous float64 inputs with edge values (0, ±1, 6,
the thresholds), module reprs, in-place forms, and float64 gradcheck."""
import numpy as np
import pytest
import torch

import minitorch as mt
from minitorch.testing import gradcheck

RNG = np.random.default_rng(0)
A = (RNG.standard_normal((3, 4, 5)) * 3)
A[0, 0, :4] = [1.0, -1.0, 0.0, 6.0]  # hardtanh / relu6 boundaries: no gradient there, as torch
B = RNG.random((3, 4, 5))
B[0, 0, :2] = 0  # kl_div's 0 · log 0


def _leaf(L, a):
    # transposed storage: every op sees a non-contiguous input
    return L.tensor(np.ascontiguousarray(np.swapaxes(a, 0, 2))).transpose(0, 2).requires_grad_()


CASES = {
    "elu": lambda L, x, y: L.nn.functional.elu(x, alpha=0.7),
    "softplus": lambda L, x, y: L.nn.functional.softplus(x, beta=2, threshold=5),
    "hardtanh": lambda L, x, y: L.nn.functional.hardtanh(x, -1.0, 1.0),
    "relu6": lambda L, x, y: L.nn.ReLU6()(x),
    "smooth_l1": lambda L, x, y: L.nn.SmoothL1Loss(beta=0.5)(x, y),
    "smooth_l1_none": lambda L, x, y: L.nn.functional.smooth_l1_loss(x, y, reduction="none"),
    "huber": lambda L, x, y: L.nn.HuberLoss(delta=2.0)(x, y),
    "kl_batchmean": lambda L, x, y: L.nn.KLDivLoss(reduction="batchmean")(
        L.log_softmax(x, -1), y),
    "kl_log_target": lambda L, x, y: L.nn.functional.kl_div(x, y.log(), reduction="sum",
                                                             log_target=True),
    "normalize": lambda L, x, y: L.nn.functional.normalize(x, dim=2),
    "normalize_p1": lambda L, x, y: L.nn.functional.normalize(x, p=1, dim=0),
    "cosine_similarity": lambda L, x, y: L.nn.CosineSimilarity(dim=1)(x, y),
    "pairwise_distance": lambda L, x, y: L.nn.PairwiseDistance()(x, y),
    "diagonal": lambda L, x, y: x.diagonal(1, 2, 0) * 2,
    "diagonal_neg": lambda L, x, y: L.diagonal(x, -1, -1, -2),
    "trace": lambda L, x, y: x[1].trace(),
    "roll": lambda L, x, y: L.roll(x, (2, -1), (1, 2)),
    "roll_flat": lambda L, x, y: x.roll(7),
    "index_add": lambda L, x, y: x.index_add(1, L.tensor([3, 0, 3]), y[:, :3] * 1, alpha=2),
    "index_copy": lambda L, x, y: x.index_copy(2, L.tensor([4, 1]), y[:, :, :2] * 1),
    "index_fill": lambda L, x, y: x.index_fill(0, L.tensor([2]), -3.0),
    "take": lambda L, x, y: L.take(x, L.tensor([[0, 59], [7, 7]])),
    "take_along_dim": lambda L, x, y: L.take_along_dim(x, L.tensor([[[3], [0], [2], [1]]]),
                                                        dim=2),
    "median_dim": lambda L, x, y: x.median(1).values * 1,
    "median_keepdim_neg": lambda L, x, y: L.median(x, -1, keepdim=True)[0] * 1,
    "median_all": lambda L, x, y: x.median() * 1,
    "diag_vector": lambda L, x, y: L.diag(x[0, 1], -2) * 1,
    "diag_matrix": lambda L, x, y: L.diag(x[1], 1) * 1,
    "index_put_accumulate": lambda L, x, y: (x * 1).index_put_(
        (L.tensor([0, 0, 2]), L.tensor([1, 1, -1])), y[0, :3], accumulate=True),
    "index_put_rows": lambda L, x, y: (x * 1).index_put((L.tensor([2, 0, 2]),), y[:1],
                                                        accumulate=True),
    "baddbmm": lambda L, x, y: L.baddbmm(y[:, :, :4], x, y.transpose(1, 2), beta=0.5,
                                         alpha=2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_torch(name):
    res = []
    for L in (mt, torch):
        x, y = _leaf(L, A), _leaf(L, B)
        out = CASES[name](L, x, y)
        w = L.tensor(np.arange(out.numel()).reshape(tuple(out.shape)) % 3 + 1.0)
        (out * w).sum().backward()
        res.append([np.array(out.tolist()), np.array(x.grad.tolist()),
                    None if y.grad is None else np.array(y.grad.tolist())])
    for a, b in zip(*res):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_in_place_index_ops_and_diagonal_is_a_view():
    out = []
    for L in (mt, torch):
        x = L.zeros(3, 4)
        x.index_add_(0, L.tensor([0, 0]), L.ones(2, 4))
        x.index_copy_(1, L.tensor([3]), L.full((3, 1), 5.0))
        x.index_fill_(0, L.tensor([2]), -1.0)
        d = x.diagonal()
        d.mul_(10)  # writes through the view
        out.append((x.tolist(), d.tolist(), d.grad_fn))
    assert out[0][:2] == out[1][:2]


@pytest.mark.parametrize("name", ["elu", "softplus", "kl_batchmean", "normalize",
                                  "cosine_similarity", "roll", "index_add", "take_along_dim",
                                  "diagonal", "baddbmm"])
def test_gradcheck(name):
    # away from the kinks planted in A[0]
    x = mt.tensor(A[1:, :, :4], requires_grad=True)
    y = mt.tensor(B[1:, :, :4] + 0.1, requires_grad=True)
    assert gradcheck(lambda x, y: CASES[name](mt, x, y), (x, y))


def _same_plain(fn):
    out = [fn(L) for L in (mt, torch)]
    plain = [[(tuple(t.shape), str(t.dtype), repr(t.tolist()))  # repr: nan == nan
              for t in (o if isinstance(o, tuple) else (o,))] for o in out]
    assert plain[0] == plain[1], plain


@pytest.mark.parametrize("fn", [
    lambda L: L.unique(L.tensor([3, 1, 3, 2, 1, 1])),
    lambda L: L.unique(L.tensor([[3, 1], [3, 2]]), return_inverse=True, return_counts=True),
    lambda L: L.unique(L.tensor([2.5, -1.0, 2.5]), sorted=False, return_counts=True),
    lambda L: L.unique(L.tensor([], dtype=L.int64), return_inverse=True, return_counts=True),
    lambda L: tuple(L.tensor([[3., 1., 2., 5.], [float("nan"), 1., 0., 2.]]).median(1)),
    lambda L: L.tensor([[3., float("nan")], [1., 2.]]).median(),
    lambda L: tuple(L.tensor([4., 1., 3., 2.]).median(0)),
])
def test_unique_and_median_as_torch(fn):
    _same_plain(fn)


def test_reprs_and_errors_as_torch():
    for L in (mt, torch):
        assert repr(L.nn.ELU(0.5)) == "ELU(alpha=0.5)"
        assert repr(L.nn.ReLU6(inplace=True)) == "ReLU6(inplace=True)"
        assert repr(L.nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
        assert repr(L.nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
        with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical"):
            L.zeros(2, 2).diagonal(0, 1, 1)
        with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
            L.roll(L.zeros(2, 2), (1, 1), 0)
