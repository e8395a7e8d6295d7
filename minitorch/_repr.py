"""PyTorch-identical tensor reprs. The numbers are laid out by torch's own formatter, run on the
storage: formatting is presentation, not framework math (the dispatch audit knows this flag)."""
import threading

import torch
from torch import _tensor_str as _ts

from . import _dtype

_state = threading.local()


def formatting():
    """True while torch's formatter runs for a repr (the torch-does-no-math audit skips it)."""
    return getattr(_state, "active", False)


def tensor_repr(t, prefix="tensor("):
    data = t._data
    indent = len(prefix)
    suffixes = []
    if data.device.type != "cpu":
        suffixes.append(f"device='{data.device}'")
    _state.active = True
    try:
        with torch.no_grad():
            if data.numel() == 0:
                if data.dim() != 1:
                    suffixes.append("size=" + str(tuple(data.shape)))
                if data.dtype != _dtype.get_default_dtype():
                    suffixes.append("dtype=" + str(data.dtype))
                body = "[]"
            else:
                if data.dtype not in (_dtype.get_default_dtype(), torch.int64, torch.bool):
                    suffixes.append("dtype=" + str(data.dtype))
                body = _ts._tensor_str(data.cpu() if data.device.type != "cpu" else data, indent)
    finally:
        _state.active = False
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(t.grad_fn).__name__}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _ts._add_suffixes(prefix + body, suffixes, indent, force_newline=False)
