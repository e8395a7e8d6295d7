"""Deferral (invariant I1 of minitorch/fusion.py) and the fusion switch (I5), at the bottom of the
import order so that every kernel launch (ops/launcher.py) and every storage access
(``Tensor._data``) can compute the pending value first.

``Linear`` and ``BatchNorm`` may leave their output *pending* (storage allocated, kernel not
launched) so that the very next op can fuse into the same launch (minitorch/fusion.py). At most
one tensor is pending. It is computed no later than the next time anything reads or writes any
tensor's storage, so its inputs are read before anything can change them, exactly as eager
PyTorch would.
"""
import os
import threading
import weakref

__all__ = ["fusion_backend", "enabled", "defer", "flush", "take", "peek"]


class _FusionBackend:
    """``minitorch.backends.fusion``: ``enabled`` (default True; ``MINITORCH_FUSION=0`` sets it
    False at import) switches every fusion."""

    def __init__(self):
        self.enabled = os.environ.get("MINITORCH_FUSION", "1").strip().lower() not in (
            "0", "false", "off", "no")


fusion_backend = _FusionBackend()


def enabled():
    return fusion_backend.enabled


# ``_slot`` is None, _BUSY while the pending tensor is being computed, or (weakref to the pending
# tensor, run, args, side_effects). Module-global (not per thread): a read or write in any
# thread computes the pending value first, and waits (on the lock) for a computation another
# thread started.
_BUSY = (lambda: None, None, None, False)
_slot = None
_lock = threading.RLock()


def defer(tensor, run, args, side_effects=False):
    """``tensor`` (freshly allocated storage) is computed by ``run()``; leave it pending so that
    a consumer can ``take`` ``args`` and compute it in its own launch. With fusion off, run now.
    A launch with ``side_effects`` (batch norm's running statistics) runs at the next flush even
    when nothing holds ``tensor`` any more; otherwise a dropped output is never computed."""
    global _slot
    flush()
    if not fusion_backend.enabled:
        run()
        return
    with _lock:
        _slot = (weakref.ref(tensor), run, args, side_effects)


def flush():
    """Compute the pending tensor, if any (called before every storage access and launch)."""
    global _slot
    if _slot is None:
        return
    with _lock:
        s = _slot
        if s is None or s is _BUSY:  # nothing, or this thread is computing it right now
            return
        _slot = _BUSY
        try:
            if s[3] or s[0]() is not None:
                s[1]()
        finally:
            _slot = None


def take(tensor):
    """If ``tensor`` is the pending tensor, hand its ``args`` to a fusing consumer, which then
    must store the tensor's values itself (I2). Otherwise None."""
    global _slot
    if peek(tensor) is None:
        return None
    with _lock:
        s = _slot
        if s is None or s is _BUSY or s[0]() is not tensor:
            return None
        _slot = None
    return s[2]


def peek(tensor):
    """The pending ``args`` when ``tensor`` is the pending tensor, else None (nothing taken)."""
    s = _slot
    return s[2] if s is not None and s[0]() is tensor else None
