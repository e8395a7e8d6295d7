"""``minitorch.nn.parallel``: DistributedDataParallel over ``minitorch.distributed``."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
