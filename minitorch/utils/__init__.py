"""``minitorch.utils``: ``data`` (Dataset, DataLoader) and ``viz`` (``make_dot``)."""
from . import data, viz

__all__ = ["data", "viz"]
