"""Backend selection. Imported first by ``minitorch/__init__`` — before Triton is.

With CUDA present the Triton kernels are compiled; without it they run under Triton's interpreter,
which must be switched on (``TRITON_INTERPRET=1``) before ``triton`` is imported. A value the user
set explicitly always wins.

When the program imported ``triton`` before ``minitorch`` (and did not choose the interpreter
itself), triton.language's own ``@jit`` helpers (``tl.rand``, ``tl.sum``, ...) were built as
compiled functions, which an interpreted kernel cannot call. ``_interpret_triton_language``
rebuilds them as interpreted functions, as a fresh import would have.
"""
import os
import sys

import torch

CUDA_AVAILABLE = torch.cuda.is_available()

if "TRITON_INTERPRET" not in os.environ:
    os.environ["TRITON_INTERPRET"] = "0" if CUDA_AVAILABLE else "1"

INTERPRETER = os.environ["TRITON_INTERPRET"] not in ("", "0")


def _interpret_triton_language():
    """Swap every compiled ``JITFunction`` that ``triton.language`` defined at import for its
    interpreted twin (module attributes and ``tl.tensor`` member functions)."""
    # triton is imported only here and below: this module must set TRITON_INTERPRET first
    import triton.language as tl  # only after the env is set
    from triton.runtime.interpreter import InterpretedFunction  # only after the env is set
    from triton.runtime.jit import JITFunction  # only after the env is set

    twins = {}

    def twin(fn):
        if id(fn) not in twins:
            twins[id(fn)] = InterpretedFunction(fn.fn)
        return twins[id(fn)]

    for name, module in list(sys.modules.items()):
        if module is None or not (name == "triton.language" or name.startswith("triton.language.")):
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, JITFunction):
                setattr(module, attr, twin(value))
    for cls in (tl.core.tensor,):
        for attr, value in list(vars(cls).items()):
            if isinstance(value, JITFunction):
                interp = twin(value)

                def member(*args, _fn=interp, **kwargs):
                    return _fn(*args, **kwargs)
                member.__name__ = attr
                setattr(cls, attr, member)


if INTERPRETER and "triton.language" in sys.modules:
    import triton.language as _tl
    from triton.runtime.jit import JITFunction as _JITFunction
    if isinstance(getattr(_tl, "sum", None), _JITFunction):  # triton was imported compiled
        try:
            _interpret_triton_language()
        except Exception as e:  # a triton whose internals moved: say what to do instead
            raise ImportError(
                "triton was imported before minitorch on a machine without a GPU, and minitorch "
                "could not switch it to its interpreter; import minitorch before triton, or set "
                "TRITON_INTERPRET=1 in the environment before starting Python") from e

_policy = os.environ.get("MINITORCH_LAUNCH_POLICY", "interpreter" if INTERPRETER else "gpu")
if _policy not in ("interpreter", "gpu"):
    raise ValueError(f"MINITORCH_LAUNCH_POLICY must be 'gpu' or 'interpreter', got {_policy!r}")
LAUNCH_POLICY = _policy

DEFAULT_DEVICE = torch.device("cpu")
