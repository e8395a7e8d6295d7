"""Grad mode: whether operations record a graph. Thread-local, like PyTorch's."""
import functools
import threading

_state = threading.local()


def is_grad_enabled():
    return getattr(_state, "enabled", True)


def _set(enabled):
    _state.enabled = bool(enabled)


class _DecoratorContextManager:
    """A context manager that is also usable as a decorator (``@no_grad()``)."""

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_DecoratorContextManager):
    """Context manager (and decorator) that disables gradient recording."""

    def __enter__(self):
        self.prev = is_grad_enabled()
        _set(False)

    def __exit__(self, *exc):
        _set(self.prev)
        return False


class enable_grad(_DecoratorContextManager):
    def __enter__(self):
        self.prev = is_grad_enabled()
        _set(True)

    def __exit__(self, *exc):
        _set(self.prev)
        return False


class set_grad_enabled(_DecoratorContextManager):
    """Sets grad mode on construction (so it works as a plain function call too) and restores the
    previous mode on ``__exit__``."""

    def __init__(self, mode):
        self.prev = is_grad_enabled()
        self.mode = bool(mode)
        _set(self.mode)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _set(self.prev)
        return False

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(no_grad):
    def __init__(self, mode=True):
        self.mode = mode

    def __enter__(self):
        self.prev = is_grad_enabled()
        if self.mode:
            _set(False)

    def clone(self):
        return self.__class__(self.mode)


# anomaly detection: NaNs produced in backward raise, naming the forward op
_anomaly = threading.local()


def is_anomaly_enabled():
    return getattr(_anomaly, "enabled", False)


def set_detect_anomaly(mode):
    _anomaly.enabled = bool(mode)


class detect_anomaly:
    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self.prev = is_anomaly_enabled()
        set_detect_anomaly(True)

    def __exit__(self, *exc):
        set_detect_anomaly(self.prev)
        return False


__all__ = ["is_grad_enabled", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_anomaly_enabled", "set_detect_anomaly", "detect_anomaly"]
