"""``minitorch.utils``: ``data`` (Dataset, DataLoader), ``hooks`` (module hook handles) and
``viz`` (``make_dot``)."""
from . import data, hooks, viz

__all__ = ["data", "hooks", "viz"]
