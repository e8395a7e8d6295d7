"""Deferred kernels, so that a consumer can fuse itself into its producer.

A producer (the Linear forward without an activation) may leave its output *pending*: storage
allocated, kernel not yet launched. If the very next op is one that fuses into it (relu), that op
launches the fused kernel instead and the pending output is never computed unless someone reads
it. Anything else flushes first: every kernel launch starts by materializing the pending tensor,
so its inputs are read before any later kernel could modify them. Reading a pending tensor later
(after a fused consumer took over) recomputes it if its inputs are unchanged, and refuses
otherwise — never a silently stale value.
"""
import threading
import weakref

_state = threading.local()


class Pending:
    __slots__ = ("run", "inputs", "versions", "kind", "args")

    def __init__(self, run, inputs, kind, args):
        self.run = run
        self.inputs = inputs
        self.versions = tuple(t._version_counter[0] for t in inputs)
        self.kind = kind
        self.args = args


def _slot():
    ref = getattr(_state, "slot", None)
    return ref() if ref is not None else None


def defer(tensor, run, inputs, kind, args):
    """Leave ``tensor`` pending; ``run()`` computes it into its storage."""
    flush()
    tensor._pending = Pending(run, tuple(inputs), kind, args)
    _state.slot = weakref.ref(tensor)


def flush():
    t = _slot()
    if t is not None:
        _state.slot = None
        if t._pending is not None:
            materialize(t)


def materialize(tensor):
    p = tensor._pending
    if p is None:
        return
    tensor._pending = None
    if _slot() is tensor:
        _state.slot = None
    if any(t._version_counter[0] != v for t, v in zip(p.inputs, p.versions)):
        raise RuntimeError(
            "a tensor whose computation was fused into a following operation is being read after "
            "one of its inputs was modified in place; read it (or .clone() it) before modifying "
            "the inputs")
    p.run()


def take(tensor, kind):
    """If ``tensor`` is the pending output of a ``kind`` producer issued just before, hand its
    arguments to a fusing consumer (the tensor stays pending: it is computed only if read)."""
    p = tensor._pending
    if p is None or p.kind != kind or _slot() is not tensor:
        return None
    _state.slot = None
    return p.args


__all__ = ["Pending", "defer", "flush", "materialize", "take"]
