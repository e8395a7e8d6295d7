"""Helpers shared by the side-by-side tests: copy a torch tensor into minitorch, compare values
(numpy, shapes first), run one snippet through either library as comparable plain data."""
import warnings

import numpy as np
import torch

import minitorch


def mt(t, requires_grad=False):
    out = minitorch.tensor(t.detach().cpu().numpy())
    return out.requires_grad_(requires_grad) if requires_grad else out


def close(a, b, atol=1e-5, rtol=1e-5, equal_nan=False):
    a = a.detach().numpy() if isinstance(a, minitorch.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, equal_nan=equal_nan)


def plain(x, sequence_kind=False):
    """Comparable plain Python structure of a result (tensors -> (shape, dtype name, values);
    NaN compares equal through repr). ``sequence_kind`` also tells a list from a tuple."""
    if isinstance(x, (minitorch.Tensor, torch.Tensor)):
        return ("T", tuple(x.shape), str(x.dtype), repr(x.detach().tolist()))
    if isinstance(x, (list, tuple)):
        items = [plain(v, sequence_kind) for v in x]
        if sequence_kind:
            return "list" if isinstance(x, list) else "tuple", items
        return items
    if isinstance(x, torch.Size):
        return tuple(x)
    return x


def run(fn, lib, sequence_kind=False, message=False):
    """("ok", plain result) of ``fn(lib)``, or ("raised", exception type name[, message])."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", plain(fn(lib), sequence_kind)
        except Exception as e:  # noqa: BLE001 — the exception is the result being compared
            return ("raised", type(e).__name__, str(e)) if message else \
                ("raised", type(e).__name__)
