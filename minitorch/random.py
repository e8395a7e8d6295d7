"""``minitorch.random``, as ``torch.random``: the default generator's seed and state, and
``fork_rng``, which restores the state on exit so random draws inside leave the stream as found."""
import contextlib

from .ops.creation import default_generator


def manual_seed(seed):
    """Seed the Philox generator that every random op (rand, randn, init, dropout) draws from."""
    return default_generator.manual_seed(seed)


def seed():
    """Seed from a nondeterministic number and return it."""
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """Save the generator state on entry and restore it on exit (``enabled=False``: a no-op).
    One generator serves every device here, so ``devices``/``device_type`` select nothing more."""
    if not enabled:
        yield
        return
    state = default_generator.get_state()
    try:
        yield
    finally:
        default_generator.set_state(state)


__all__ = ["manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "fork_rng"]
