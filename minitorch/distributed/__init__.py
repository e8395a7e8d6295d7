"""``minitorch.distributed``: PyTorch's process-group API on minitorch tensors.

Communication is the job of ``torch.distributed`` (gloo on CPU, NCCL on GPUs): a collective runs
on the tensor's storage, which is a torch tensor. Everything around it that computes — averaging
(gloo has no AVG), the gradient buckets' copies, the optimizer — is a Triton kernel. Each
collective that writes into a tensor bumps its version counter, as any in-place op does, so a value
saved for backward and then overwritten by a collective is caught.

Launch with ``torchrun --nproc_per_node=N script.py``: ``init_process_group()`` reads ``RANK``,
``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` from the environment, as in PyTorch.
"""
from __future__ import annotations

import datetime

import torch
import torch.distributed as _dist

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

__all__ = ["ReduceOp", "all_gather", "all_reduce", "barrier", "broadcast",
           "destroy_process_group", "get_backend", "get_rank", "get_world_size",
           "init_process_group", "is_available", "is_initialized"]


class ReduceOp:
    """The reductions ``all_reduce`` takes (PyTorch's ``ReduceOp`` members)."""
    SUM = _dist.ReduceOp.SUM
    AVG = _dist.ReduceOp.AVG
    PRODUCT = _dist.ReduceOp.PRODUCT
    MIN = _dist.ReduceOp.MIN
    MAX = _dist.ReduceOp.MAX


def is_available():
    return _dist.is_available()


def is_initialized():
    return _dist.is_available() and _dist.is_initialized()


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the default process group (``backend``: ``"gloo"`` on CPU, ``"nccl"`` on GPUs; the
    default picks gloo without CUDA). ``timeout`` bounds every collective, so a peer that died makes
    the others fail instead of hang."""
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if isinstance(timeout, (int, float)):
        timeout = datetime.timedelta(seconds=timeout)
    kwargs = dict(backend=backend, init_method=init_method, world_size=world_size, rank=rank,
                  store=store, group_name=group_name)
    if timeout is not None:
        kwargs["timeout"] = timeout
    if pg_options is not None:
        kwargs["pg_options"] = pg_options
    if device_id is not None:
        kwargs["device_id"] = device_id
    _dist.init_process_group(**kwargs)


def destroy_process_group(group=None):
    _dist.destroy_process_group(group)


def get_rank(group=None):
    return _dist.get_rank(group)


def get_world_size(group=None):
    return _dist.get_world_size(group)


def get_backend(group=None):
    return _dist.get_backend(group)


def barrier(group=None, async_op=False):
    work = _collective("barrier", _dist.barrier, group=group, async_op=async_op)
    return _Work("barrier", work) if async_op else None


def _storage(tensor, what):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what}: expected a minitorch Tensor, got {type(tensor).__name__}")
    return tensor._data  # materializes a value still pending in a fused kernel


def _collective(name, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except (RuntimeError, ValueError) as e:
        if "process group has not been initialized" in str(e):
            raise
        raise RuntimeError(
            f"minitorch.distributed.{name} failed: a peer process may have exited or the "
            f"collective timed out ({type(e).__name__}: {e})") from e


def broadcast(tensor, src, group=None, async_op=False):
    """Overwrite ``tensor`` on every rank with rank ``src``'s value."""
    work = _collective("broadcast", _dist.broadcast, _storage(tensor, "broadcast"), src,
                       group=group, async_op=async_op)
    tensor._bump_version()
    return _Work("broadcast", work) if async_op else None


def _average_needs_triton(group):
    return get_backend(group) == "gloo"  # gloo implements SUM but not AVG


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` across ranks in place. ``ReduceOp.AVG`` on gloo is a SUM followed by one
    Triton scale kernel (with ``async_op``, the handle's ``wait()`` does the scaling)."""
    storage = _storage(tensor, "all_reduce")
    scale = op == ReduceOp.AVG and _average_needs_triton(group)
    if scale and not tensor.dtype.is_floating_point:
        raise RuntimeError("all_reduce with ReduceOp.AVG needs a floating-point tensor on gloo, "
                           f"got {tensor.dtype}")
    work = _collective("all_reduce", _dist.all_reduce, storage,
                       op=ReduceOp.SUM if scale else op, group=group, async_op=async_op)
    tensor._bump_version()
    inv = 1.0 / get_world_size(group)

    def finish():
        if scale:
            with no_grad():
                tensor.mul_(inv)

    if async_op:
        return _Work("all_reduce", work, finish)
    finish()
    return None


class _Work:
    """An async collective's handle: ``wait()`` reports a dead peer as the blocking call does and
    then finishes the work on this side (the Triton scale of an average on gloo)."""

    def __init__(self, name, work, finish=None):
        self._name, self._work, self._finish, self._done = name, work, finish, False

    def wait(self, timeout=None):
        args = () if timeout is None else (timeout,)
        ok = _collective(self._name, self._work.wait, *args)
        if not self._done:
            self._done = True
            if self._finish is not None:
                self._finish()
        return ok

    def is_completed(self):
        return self._done


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[r]`` with rank r's ``tensor``."""
    if not isinstance(tensor_list, (list, tuple)):
        raise TypeError("all_gather: tensor_list must be a list of Tensors")
    outs = [_storage(t, "all_gather") for t in tensor_list]
    work = _collective("all_gather", _dist.all_gather, outs, _storage(tensor, "all_gather"),
                       group=group, async_op=async_op)
    for t in tensor_list:
        t._bump_version()
    return _Work("all_gather", work) if async_op else None
