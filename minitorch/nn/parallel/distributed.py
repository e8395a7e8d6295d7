"""DistributedDataParallel: every rank holds a replica; gradients are averaged across ranks as
the backward pass produces them.

- Construction broadcasts parameters and buffers from rank 0, so all replicas start equal.
- Parameters that require grad are grouped into buckets (reverse registration order — the order
  backward produces their gradients — up to ``bucket_cap_mb``, one dtype and device a bucket).
  A post-accumulate-grad hook marks a parameter ready; when a bucket's parameters are all ready its
  gradients are packed into one flat storage, each scaled by 1/world_size on the way (one Triton
  launch per four gradients, ops/bucket.py), and an asynchronous SUM all-reduce is started, so
  communication overlaps the rest of the backward pass and leaves the average.
- When backward finishes (an engine callback) every bucket is waited for and each
  ``param.grad`` becomes a view of its bucket: no launch after the communication.
- Frozen parameters (``requires_grad=False``) are in no bucket and never communicated.
- ``no_sync()`` skips the all-reduce; gradients accumulate locally and the next synchronized
  backward averages the accumulated sum, as in PyTorch.
"""
from __future__ import annotations

import contextlib

import torch

from ... import distributed as dist
from ...autograd import engine
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...creation import tensor, zeros
from ...ops.bucket import pack_scaled
from ...tensor import Tensor
from ..module import Module

__all__ = ["DistributedDataParallel"]

_UNUSED_MSG = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This "
    "error indicates that your module has parameters that were not used in producing loss. You "
    "can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by making "
    "sure all `forward` function outputs participate in calculating loss. Parameters which did "
    "not receive grad for rank {rank}: {names}")


def _zeros_like(p):
    return zeros(p.shape, dtype=p.dtype, device=p.device)


class _Bucket:
    __slots__ = ("params", "names", "ready", "flat", "work", "numel")

    def __init__(self):
        self.params, self.names = [], []
        self.ready = set()
        self.flat = self.work = None
        self.numel = 0


class DistributedDataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        if not dist.is_initialized():
            raise ValueError("Default process group has not been initialized, please make sure "
                             "to call init_process_group.")
        if not any(p.requires_grad for p in module.parameters()):
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        self.module = module
        self.process_group = process_group
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.dim = dim
        self.device_ids = device_ids
        self.output_device = output_device
        cap = 25 if bucket_cap_mb is None else bucket_cap_mb
        self.bucket_bytes_cap = int(cap * 1024 * 1024)

        # All replicas start from rank 0's parameters and buffers.
        with no_grad():
            for t in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(t, 0, group=process_group)

        self._buckets = self._make_buckets()
        self._callback_queued = False
        self._hook_handles = []
        for bucket in self._buckets:
            for p in bucket.params:
                self._hook_handles.append(
                    p.register_post_accumulate_grad_hook(self._make_hook(bucket, p)))

    # ------------------------------------------------------------------ buckets
    def _make_buckets(self):
        named = [(n, p) for n, p in self.module.named_parameters() if p.requires_grad]
        buckets, current, size = [], None, 0
        for name, p in reversed(named):
            nbytes = p.numel() * p.element_size()
            if current is None or size + nbytes > self.bucket_bytes_cap or \
                    current.params[0].dtype != p.dtype or current.params[0].device != p.device:
                current, size = _Bucket(), 0
                buckets.append(current)
            current.params.append(p)
            current.names.append(name)
            current.numel += p.numel()
            size += nbytes
        return buckets

    @property
    def bytes_per_sync(self):
        """Gradient bytes each rank sends into the all-reduce on a synchronized step."""
        return sum(b.numel * b.params[0].element_size() for b in self._buckets)

    def _make_hook(self, bucket, param):
        def hook(_):
            if not self.require_backward_grad_sync:
                return
            if not self._callback_queued:
                engine.queue_callback(self._finish_sync)
                self._callback_queued = True
            bucket.ready.add(id(param))
            if len(bucket.ready) == len(bucket.params):
                self._launch(bucket)
        return hook

    def _launch(self, bucket):
        grads = []
        for p in bucket.params:
            g = p.grad
            if g is None:  # unused on this rank: contributes zeros
                g = _zeros_like(p)
            elif not g.is_contiguous():
                g = g.detach().contiguous()
            grads.append(g._data)
        first = bucket.params[0]
        flat = torch.empty(bucket.numel, dtype=first.dtype, device=first.device)
        # each gradient pre-scaled by 1/world, so the SUM all-reduce leaves the average
        pack_scaled(flat, grads, 1.0 / dist.get_world_size(self.process_group))
        bucket.flat = Tensor._make(flat)
        bucket.work = dist.all_reduce(bucket.flat, dist.ReduceOp.SUM, group=self.process_group,
                                      async_op=True)

    def _finish_sync(self):
        self._callback_queued = False
        try:
            for bucket in self._buckets:
                if bucket.work is None:
                    missing = [n for n, p in zip(bucket.names, bucket.params)
                               if id(p) not in bucket.ready]
                    if missing and not self.find_unused_parameters:
                        raise RuntimeError(_UNUSED_MSG.format(
                            rank=dist.get_rank(self.process_group), names=", ".join(missing)))
                    self._launch(bucket)  # unused here: contributes zeros
            used_anywhere = self._globally_used() if self.find_unused_parameters else None
            for bucket in self._buckets:
                bucket.work.wait()
                offset = 0
                for p in bucket.params:
                    n = p.numel()
                    view = bucket.flat[offset:offset + n].view(p.shape)
                    offset += n
                    # a parameter no rank used keeps its gradient (None stays None), as in torch
                    if used_anywhere is None or used_anywhere[id(p)]:
                        p.grad = view
        finally:
            for bucket in self._buckets:
                bucket.ready.clear()
                bucket.flat = bucket.work = None

    def _globally_used(self):
        """Which parameters some rank used this iteration (one small all-reduce of flags)."""
        params = [p for b in self._buckets for p in b.params]
        ready = set().union(*(b.ready for b in self._buckets))
        flags = tensor([1 if id(p) in ready else 0 for p in params], dtype=torch.int64)
        dist.all_reduce(flags, dist.ReduceOp.SUM, group=self.process_group)
        return {id(p): bool(f) for p, f in zip(params, flags.tolist())}

    # ------------------------------------------------------------------ module protocol
    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and is_grad_enabled() and self.module.training:
            bufs = list(self.module.buffers())
            if bufs and dist.get_world_size(self.process_group) > 1:
                with no_grad():
                    for b in bufs:
                        dist.broadcast(b, 0, group=self.process_group)
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Gradients accumulate locally inside this context; the first backward after it
        averages the accumulated gradients across ranks."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def extra_repr(self):
        return ""
