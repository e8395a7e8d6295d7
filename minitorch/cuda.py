"""``minitorch.cuda``: whether kernels can run compiled on a CUDA device."""
import torch

from . import _backend
from ._legacy import CUDA_TYPES as _LEGACY_TYPES


def is_available():
    return _backend.CUDA_AVAILABLE


def device_count():
    return torch.cuda.device_count() if _backend.CUDA_AVAILABLE else 0


def current_device():
    return torch.cuda.current_device()


def synchronize(device=None):
    if _backend.CUDA_AVAILABLE:
        torch.cuda.synchronize(device)


def manual_seed(seed):
    from . import manual_seed as _seed  # the package imports this module
    return _seed(seed)


manual_seed_all = manual_seed


globals().update(_LEGACY_TYPES)  # torch.cuda.FloatTensor, ...


__all__ = ["is_available", "device_count", "current_device", "synchronize", "manual_seed",
           "manual_seed_all"]
