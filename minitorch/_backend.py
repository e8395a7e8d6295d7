"""Backend selection. Imported first by ``minitorch/__init__`` — before Triton is.

With CUDA present the Triton kernels are compiled; without it they run under Triton's interpreter,
which must be switched on (``TRITON_INTERPRET=1``) before ``triton`` is imported. A value the user
set explicitly always wins.
"""
import os

import torch

CUDA_AVAILABLE = torch.cuda.is_available()

if "TRITON_INTERPRET" not in os.environ:
    os.environ["TRITON_INTERPRET"] = "0" if CUDA_AVAILABLE else "1"

INTERPRETER = os.environ["TRITON_INTERPRET"] not in ("", "0")

_policy = os.environ.get("MINITORCH_LAUNCH_POLICY", "interpreter" if INTERPRETER else "gpu")
if _policy not in ("interpreter", "gpu"):
    raise ValueError(f"MINITORCH_LAUNCH_POLICY must be 'gpu' or 'interpreter', got {_policy!r}")
LAUNCH_POLICY = _policy

DEFAULT_DEVICE = torch.device("cpu")
