"""``torch.accelerator``: the current accelerator (CUDA when torch sees a GPU), or none on a
CPU-only machine — answering exactly as torch does there."""
import torch

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "set_device_index", "synchronize"]


def is_available():
    return torch.cuda.is_available()


def current_accelerator(check_available=False):
    if torch.cuda.is_available():
        return torch.device("cuda")
    return None


def device_count():
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def current_device_index():
    if not torch.cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return torch.cuda.current_device()


current_device_idx = current_device_index


def set_device_index(device):
    if not torch.cuda.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    torch.cuda.set_device(device)


set_device_idx = set_device_index


def synchronize(device=None):
    if torch.cuda.is_available():
        torch.cuda.synchronize(device)
