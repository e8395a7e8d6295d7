"""Helpers shared by the side-by-side nn tests: copy a torch tensor into minitorch, compare
values (numpy, shapes first)."""
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
