"""``minitorch.backends.matmul.allow_tf32`` (default False, like PyTorch)."""
from ..ops.matmul import matmul_backend as matmul

__all__ = ["matmul"]
