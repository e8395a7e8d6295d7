"""``minitorch.backends.matmul.allow_tf32`` (default False, like PyTorch) and
``minitorch.backends.fusion.enabled`` (minitorch/fusion.py; default True; MINITORCH_FUSION=0
sets it False)."""
from ..ops.matmul import matmul_backend as matmul  # noqa: F401
from ..fusion import backend as fusion  # noqa: F401,E402
