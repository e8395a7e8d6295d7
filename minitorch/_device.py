"""The default device (``torch.set_default_device`` / ``get_default_device``): factory functions
without ``device=`` allocate there."""
import threading

import torch

_state = threading.local()


def get_default_device():
    d = getattr(_state, "device", None)
    return d if d is not None else torch.device("cpu")


def set_default_device(device):
    _state.device = None if device is None else torch.device(device)
