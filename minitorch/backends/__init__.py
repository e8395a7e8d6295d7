"""``minitorch.backends.matmul.allow_tf32`` (default False, like PyTorch) and
``minitorch.backends.fusion.enabled`` (minitorch/fusion.py; default True; MINITORCH_FUSION=0
sets it False)."""
from ..ops.lazy import fusion_backend as fusion
from ..ops.matmul import matmul_backend as matmul

__all__ = ["matmul", "fusion"]
