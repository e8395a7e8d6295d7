"""Adversarial side-by-side checks of minitorch.utils.data against torch.utils.data: collate dtypes
and values, numpy inputs, DataLoader option conflicts, samplers and their semantics (the random
streams differ by design: lengths, ranges, sets and errors are compared, never the draws)."""
import collections
import os
import sys
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import minitorch
import minitorch.utils.data as mud

sys.path.insert(0, os.path.dirname(__file__))
from test_no_torch_math import AtenRecorder  # noqa: E402


def _plain(x):
    """Nested structure -> comparable plain data (tensor -> (shape, dtype, values))."""
    if isinstance(x, (torch.Tensor, minitorch.Tensor)):
        return ("T", tuple(x.shape), str(x.dtype), x.tolist())
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_plain(v) for v in x])
    return x


def _both(fn):
    return _plain(fn(tud, torch)), _plain(fn(mud, minitorch))


def _raises_same(fn):
    errors = []
    for d, lib in ((tud, torch), (mud, minitorch)):
        with pytest.raises(Exception) as e:
            fn(d, lib)
        errors.append((type(e.value), str(e.value)))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("batch", [[1, 2.5], [True, 2], [0, 1.5, True]])
def test_default_collate_dtype_comes_from_the_whole_batch(batch):
    # [1, 2.5] was collated as int64 [1, 2]: the float truncated silently
    t, m = _both(lambda d, lib: d.default_collate(list(batch)))
    assert t == m


P = collections.namedtuple("P", "x y")


@pytest.mark.parametrize("samples", [
    [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
    [np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)],
    [np.array(1.0), np.array(2.0)],
    [np.float32(1.5), np.float32(2.0)],
    [np.int32(1), np.int32(2)],
    [np.bool_(True), np.bool_(False)],
    [(np.float32(1.0), 2, "a"), (np.float32(3.0), 4, "b")],
    [{"a": np.arange(2, dtype=np.int16), "b": P(1, 2.0)}] * 2,
])
def test_default_collate_numpy_keeps_dtype(samples):
    t, m = _both(lambda d, lib: list(d.DataLoader(samples, batch_size=2)))
    assert t == m


@pytest.mark.parametrize("samples", [[np.array(["a"]), np.array(["b"])], [None, None]])
def test_default_collate_refusals_match(samples):
    _raises_same(lambda d, lib: d.default_collate(samples))


def test_batch_size_none_converts_and_applies_collate_fn_per_sample():
    data = [(1, np.array([1.0, 2.0])), (2, np.array([3.0, 4.0]))]
    t, m = _both(lambda d, lib: list(d.DataLoader(data, batch_size=None)))
    assert t == m  # tuples become lists, numpy arrays tensors (default_convert)
    t, m = _both(lambda d, lib: list(d.DataLoader([1, 2, 3], batch_size=None,
                                                  collate_fn=lambda x: x * 10)))
    assert t == m == ("list", [10, 20, 30])
    t, m = _both(lambda d, lib: d.default_convert((np.array([1, 2]), "a", [np.float32(3)])))
    assert t == m


@pytest.mark.parametrize("kwargs", [
    dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0, 1]], batch_size=2),
    dict(batch_sampler=[[0, 1]], shuffle=True),
    dict(batch_sampler=[[0, 1]], drop_last=True),
    dict(batch_sampler=[[0, 1]], sampler=[0]),
    dict(batch_size=None, drop_last=True),
    dict(batch_size=True),
])
def test_dataloader_option_conflicts_raise_like_torch(kwargs):
    _raises_same(lambda d, lib: d.DataLoader([1, 2], **kwargs))


def test_dataloader_sampler_attributes_and_lengths():
    for kwargs in (dict(), dict(shuffle=True), dict(batch_size=3, drop_last=True),
                   dict(batch_size=None), dict(batch_sampler=[[0, 1], [2]])):
        t, m = [(type(dl.sampler).__name__, type(dl.batch_sampler).__name__, dl.batch_size,
                 dl.drop_last, len(dl))
                for dl in (tud.DataLoader(list(range(7)), **kwargs),
                           mud.DataLoader(list(range(7)), **kwargs))]
        assert t == m, kwargs
    # a sampler object drives the loader (and a TensorDataset's gather fast path)
    t, m = _both(lambda d, lib: list(d.DataLoader(
        d.TensorDataset(lib.arange(5) * 10), sampler=d.SequentialSampler(range(3)),
        batch_size=2)))
    assert t == m


def test_tensor_and_concat_dataset_assertions():
    _raises_same(lambda d, lib: d.TensorDataset(lib.zeros(3), lib.zeros(4)))
    _raises_same(lambda d, lib: d.ConcatDataset([]))


def test_random_split_fractions_checked_and_zero_split_warned():
    _raises_same(lambda d, lib: d.random_split(range(10), [1.5, -0.5]))
    for d, lib in ((tud, torch), (mud, minitorch)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            sizes = [len(s) for s in d.random_split(range(3), [0.1, 0.1, 0.8])]
        assert sizes == [1, 0, 2]
        assert [str(x.message) for x in w] == [
            "Length of split at index 1 is 0. This might result in an empty dataset."]


def _sampler_semantics(d, lib):
    g = lambda s: lib.Generator().manual_seed(s)  # noqa: E731
    out = {}
    r = list(d.RandomSampler(range(5), num_samples=12, generator=g(0)))
    # num_samples beyond the length: whole permutations, then part of one
    out["rs_ns"] = (len(r), sorted(r[:5]), sorted(r[5:10]), len(set(r[10:])))
    r = list(d.RandomSampler(range(5), replacement=True, num_samples=40, generator=g(1)))
    out["rs_rep"] = (len(r), all(0 <= i < 5 for i in r), type(r[0]).__name__)
    out["rs_len"] = (len(d.RandomSampler(range(5))),
                     len(d.RandomSampler(range(5), replacement=True)))
    out["rs_repro"] = (list(d.RandomSampler(range(9), generator=g(3)))
                       == list(d.RandomSampler(range(9), generator=g(3))))
    out["seq"] = list(d.SequentialSampler([5, 6, 7]))
    out["bs"] = (list(d.BatchSampler(range(7), 3, False)), list(d.BatchSampler(range(7), 3, True)),
                 len(d.BatchSampler(range(7), 3, False)), len(d.BatchSampler(range(7), 3, True)))
    w = list(d.WeightedRandomSampler([0.0, 1, 2], 20, generator=g(2)))
    out["wrs"] = (len(w), set(w) <= {1, 2}, type(w[0]).__name__)
    out["wrs_norep"] = sorted(d.WeightedRandomSampler([1.0, 1, 2], 3, replacement=False))
    out["wrs_weights"] = _plain(d.WeightedRandomSampler([1, 1], 2).weights)
    out["srs"] = (sorted(d.SubsetRandomSampler([4, 7, 9], generator=g(4))),
                  len(d.SubsetRandomSampler([4, 7, 9])))
    out["dl_wrs"] = [len(b) for b in d.DataLoader(
        [1.0, 2, 3], sampler=d.WeightedRandomSampler([1, 1, 1], 5), batch_size=2)]
    return out


def test_samplers_semantics_match_torch():
    assert _sampler_semantics(tud, torch) == _sampler_semantics(mud, minitorch)


@pytest.mark.parametrize("make", [
    lambda d: d.RandomSampler(range(5), num_samples=0),
    lambda d: d.RandomSampler(range(5), replacement=1),
    lambda d: d.BatchSampler(range(7), 0, False),
    lambda d: d.BatchSampler(range(7), 2, 1),
    lambda d: d.WeightedRandomSampler([[1.0, 1]], 2),
    lambda d: d.WeightedRandomSampler([1.0, 1], 0),
    lambda d: list(d.WeightedRandomSampler([1.0, 1, 2], 4, replacement=False)),
])
def test_sampler_errors_match_torch(make):
    errors = []
    for d in (tud, mud):
        with pytest.raises(Exception) as e:
            make(d)
        errors.append(type(e.value))
    assert errors[0] == errors[1]


def test_samplers_and_numpy_collate_do_no_torch_math():
    rec = AtenRecorder()
    with rec:
        g = minitorch.Generator().manual_seed(0)
        list(mud.RandomSampler(range(6), replacement=True, generator=g))
        list(mud.RandomSampler(range(6), num_samples=8, generator=g))
        list(mud.WeightedRandomSampler([1, 2, 3], 4, generator=g))
        list(mud.DataLoader([np.float32(1), np.float32(2)], batch_size=2))
        list(mud.DataLoader([np.arange(3), np.arange(3)], batch_size=2, shuffle=True,
                            generator=g))
    assert rec.seen
    assert not rec.violations, dict(rec.violations)
