"""torch does no math: every computation in minitorch is a Triton kernel.

minitorch keeps its data in torch tensors (the storage) and launches Triton kernels on them. This
audit runs a representative workload under a ``TorchDispatchMode`` that sees every aten op torch
executes and fails on any op outside an allowlist of operations that compute nothing:

* allocation — an uninitialized buffer is reserved, no value is produced;
* views and metadata — new sizes/strides/offsets over the same storage, no element is touched;
* scalar reads — one element copied to the host (``.item()``, ``.tolist()``, a host check);
* host <-> device moves — ``.to(device)`` / ``.cpu()`` copy bytes unchanged between devices
  (only when the device changes and the dtype does not: a cast is arithmetic). The Triton
  interpreter emulates this around every launch (arguments pointed at host storage with ``set_``,
  outputs copied back with ``copy_``); on a CPU both sides are the same memory, so ``copy_`` is
  allowed only as such a buffer-onto-itself copy;
* host data upload — ``torch.tensor(list)`` wraps Python numbers (``lift_fresh``).

Ops run while ``minitorch._repr.formatting()`` is True are torch's tensor formatter laying out
the numbers of a repr (presentation, not framework math) and are ignored.
"""
import collections
import os
import sys

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from minitorch import _repr

sys.path.insert(0, os.path.dirname(__file__))
import _workloads

aten = torch.ops.aten

# op overload packet name -> why it computes nothing
ALLOWED = {
    # allocation: reserves memory, values are undefined until a kernel writes them
    "empty": "allocation (empty.memory_format), uninitialized",
    "empty_strided": "allocation with explicit strides, uninitialized",
    "empty_like": "allocation shaped like another tensor, uninitialized",
    "new_empty": "allocation, uninitialized",
    "new_empty_strided": "allocation, uninitialized",
    "resize_": "(re)allocation of an output buffer, no values written",
    # views: same storage, new size/stride/offset metadata
    "view": "view", "_unsafe_view": "view", "_reshape_alias": "view", "as_strided": "view",
    "expand": "view (stride-0 broadcast)", "permute": "view", "transpose": "view", "t": "view",
    "select": "view", "slice": "view", "narrow": "view", "unsqueeze": "view", "squeeze": "view",
    "alias": "view", "diagonal": "view", "unbind": "views", "split": "views",
    "split_with_sizes": "views", "unfold": "view", "movedim": "view", "view_as": "view",
    "expand_as": "view",
    "detach": "view without autograd history (torch's own autograd is not used)",
    "lift_fresh": "wraps a freshly created host tensor (torch.tensor(list) upload)",
    # metadata queries
    "sym_size": "metadata", "sym_stride": "metadata", "sym_numel": "metadata",
    "sym_storage_offset": "metadata", "is_contiguous": "metadata", "size": "metadata",
    "stride": "metadata", "dim": "metadata", "numel": "metadata", "is_same_size": "metadata",
    "_has_compatible_shallow_copy_type": "metadata",
    "set_": "points a tensor at an existing storage (view); the Triton interpreter does this "
            "to hand kernel arguments to the host",
    "promote_types": "dtype metadata (type promotion table), touches no tensor data",
    # scalar reads: one element to the host, no arithmetic
    "_local_scalar_dense": "scalar read (.item(), host checks)",
    "item": "scalar read",
}
# allowed only when they move bytes between devices unchanged
DEVICE_MOVES = {"_to_copy", "copy_", "to"}


def _device_of(x):
    return x.device if isinstance(x, torch.Tensor) else None


def _is_device_move(func, args, kwargs):
    name = func.overloadpacket.__name__
    if name == "copy_":
        dst, src = args[0], args[1]
        if not isinstance(src, torch.Tensor) or dst.dtype != src.dtype:
            return False
        if dst.device != src.device:
            return True
        # The Triton interpreter copies kernel arguments back "to the device" after a launch;
        # on a CPU machine host and device are the same memory: a copy of a buffer onto itself.
        return (dst.data_ptr() == src.data_ptr() and dst.shape == src.shape
                and dst.stride() == src.stride())
    if name in ("_to_copy", "to"):
        src = args[0]
        device = kwargs.get("device")
        dtype = kwargs.get("dtype")
        return (device is not None and torch.device(device) != src.device
                and (dtype is None or dtype == src.dtype))
    return False


class AtenRecorder(TorchDispatchMode):
    """Counts every aten op; those that are not allowlisted land in ``violations``."""

    def __init__(self):
        super().__init__()
        self.seen = collections.Counter()
        self.violations = collections.Counter()
        self.ignored_formatting = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = func.overloadpacket.__name__
        key = str(func.name()) if hasattr(func, "name") else str(func)
        if _repr.formatting():
            self.ignored_formatting[key] += 1
        else:
            self.seen[key] += 1
            if name not in ALLOWED and not (name in DEVICE_MOVES
                                            and _is_device_move(func, args, kwargs)):
                import traceback
                where = [f"{fr.filename.split('/work/main/')[-1]}:{fr.lineno} {fr.name}"
                         for fr in traceback.extract_stack()[:-1]
                         if "minitorch" in fr.filename or "tests" in fr.filename]
                self.violations[(key, " <- ".join(reversed(where[-4:])))] += 1
        return func(*args, **kwargs)


def _report(rec):
    lines = ["aten ops seen (outside repr formatting):"]
    for k, n in sorted(rec.seen.items()):
        lines.append(f"  {k:<40} {n:>6}")
    if rec.ignored_formatting:
        lines.append(f"ignored inside repr formatting: {sum(rec.ignored_formatting.values())} "
                     f"calls of {len(rec.ignored_formatting)} ops")
    return "\n".join(lines)


def test_torch_does_no_math(capsys):
    rec = AtenRecorder()
    with rec:
        results = _workloads.model_workload(log=lambda m: None)
        # host reads and reprs (repr formatting is ignored by the audit, .tolist/.item allowed)
        text = repr(results[0]) + repr(results[9]) + str(results[14])
        results[12].item()
        results[2].tolist()
    with capsys.disabled():
        print("\n" + _report(rec))
    assert text
    assert rec.seen, "the dispatch mode saw nothing: the recorder is not wired in"
    if rec.violations:
        msg = "\n".join(f"  {k}  x{n}  at {where}" for (k, where), n in rec.violations.items())
        pytest.fail("torch did math (aten ops outside the allowlist):\n" + msg)


@pytest.mark.slow  # the fast loop keeps test_torch_does_no_math
def test_ops_sweep_does_no_torch_math():
    """The kernel sweep (every op variant) allocates with torch and computes with Triton only."""
    rec = AtenRecorder()
    with rec:
        _workloads.ops_sweep(log=lambda m: None)
    if rec.violations:
        msg = "\n".join(f"  {k}  x{n}  at {where}" for (k, where), n in rec.violations.items())
        pytest.fail("torch did math (aten ops outside the allowlist):\n" + msg)


def test_recorder_catches_math():
    """The audit itself: torch arithmetic is caught, allocation and views are not."""
    rec = AtenRecorder()
    with rec:
        x = torch.empty(4)
        x.view(2, 2).t()
        x + 1
    assert any(k.startswith("aten::add") for k, _ in rec.violations)
    assert not any(k.startswith(("aten::empty", "aten::view", "aten::t"))
                   for k, _ in rec.violations)
