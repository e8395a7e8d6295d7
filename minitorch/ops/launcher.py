"""The one place that launches Triton kernels.

It owns grids, block sizes and num_warps through a *launch policy*:

* ``interpreter`` — Triton's CPU interpreter pays per launch, per argument, per executed ``tl`` op
  and per program instance, almost nothing per element: whole-problem blocks and few programs.
* ``gpu`` — tiles sized for streaming multiprocessors and register files.

The policy follows the backend and can be forced with ``MINITORCH_LAUNCH_POLICY=gpu|interpreter``,
so the GPU tile configurations can be exercised (and compiled ahead of time) on a CPU-only machine.

Every launch is counted, and — when recording is on — its specialization (argument types,
divisibility, constexprs, num_warps) is kept so tests can AOT-compile exactly what ran.
"""
import contextlib
import threading

import numpy as np
import torch

from .. import _backend
from . import lazy

POLICY = _backend.LAUNCH_POLICY

# Largest block the interpreter policy uses for one program. The interpreter's cost per op is almost
# flat up to ~64K elements, so bigger blocks mean fewer programs; beyond that numpy temporaries grow.
INTERPRETER_MAX_BLOCK = 1 << 16


class LaunchStats:
    def __init__(self):
        self.launches = 0
        self.by_kernel = {}

    def reset(self):
        self.launches = 0
        self.by_kernel = {}


stats = LaunchStats()
_recorder = None  # a dict {key: record} while recording


def next_pow2(n):
    return 1 if n <= 1 else 1 << (int(n) - 1).bit_length()


def cdiv(a, b):
    return (a + b - 1) // b


# ---------------------------------------------------------------------------------------------
# Block policies, one function per kernel family.
# ---------------------------------------------------------------------------------------------
def elementwise_config(n):
    """(BLOCK, num_warps) for a 1-D elementwise launch over n elements."""
    if POLICY == "interpreter":
        return min(next_pow2(max(n, 1)), INTERPRETER_MAX_BLOCK), 4
    return 1024, 4


def reduction_config(m, n):
    """(BLOCK_M, BLOCK_N, num_warps) for reducing n elements in each of m rows."""
    if POLICY == "interpreter":
        block_n = min(next_pow2(max(n, 1)), INTERPRETER_MAX_BLOCK)
        block_m = max(1, min(next_pow2(max(m, 1)), INTERPRETER_MAX_BLOCK // block_n))
        return block_m, block_n, 4
    if n >= 1024:
        return 1, 1024, 8
    block_n = max(16, next_pow2(n))
    block_m = max(1, min(64, 2048 // block_n))
    # 2048-element tiles on 4 warps spill registers in max/min-with-index on sm_80/sm_90
    return block_m, block_n, 8 if block_m * block_n >= 2048 else 4


def rows_config(m, n):
    """(BLOCK_M, BLOCK_N, num_warps) for row-wise kernels (softmax) over m rows of n elements,
    looping over a row in BLOCK_N chunks."""
    if POLICY == "interpreter":
        block_n = min(next_pow2(max(n, 1)), INTERPRETER_MAX_BLOCK)
        return max(1, min(next_pow2(max(m, 1)), INTERPRETER_MAX_BLOCK // block_n)), block_n, 4
    block_n = min(max(16, next_pow2(n)), 1024)
    return max(1, min(next_pow2(max(m, 1)), 1024 // block_n)), block_n, 4 if block_n < 1024 else 8


def matmul_config(m, n, k, dtype):
    """(BLOCK_M, BLOCK_N, BLOCK_K, num_warps). tl.dot needs every block dim >= 16 when compiled."""
    if POLICY == "interpreter":
        bm = max(16, min(next_pow2(m), 256))
        bn = max(16, min(next_pow2(n), 256))
        bk = max(16, min(next_pow2(k), 256))
        return bm, bn, bk, 4
    if dtype == torch.float64:
        return 32, 32, 16, 4
    # fp32 "ieee" dot on 64x128x64 tiles spills on sm_80, and so does 64x64x32 (4 or 8 warps)
    # when strides are not multiples of 16 (scalar loads): 32x64x32 on 4 warps stays at <= 128
    # registers on sm_80 and sm_90 for every stride/alignment specialization.
    return 32, 64, 32, 4


# ---------------------------------------------------------------------------------------------
# Launch and record.
# ---------------------------------------------------------------------------------------------
def _arg_spec(a):
    """What Triton's JIT specializes on for one argument."""
    if isinstance(a, torch.Tensor):
        return ("tensor", str(a.dtype), a.data_ptr() % 16 == 0)
    if isinstance(a, bool):
        return ("bool", None, False)
    if isinstance(a, int):
        return ("int", "i64" if not -(2**31) <= a < 2**31 else "i32", a % 16 == 0, a == 1)
    if isinstance(a, float):
        return ("float", "fp32", False)
    if a is None:
        return ("none", None, False)
    raise TypeError(f"unsupported kernel argument {type(a).__name__}")


# The Triton interpreter is not thread-safe: while a kernel runs it patches triton.language's
# builtins process-wide, so two threads launching at once fail inside triton ("Did you forget to
# add @triton.jit ?"). Interpreter launches are serialized; compiled launches are not.
_INTERPRETER_LOCK = threading.RLock()


def launch(kernel, grid, args, constexprs, num_warps=4):
    """Launch ``kernel[grid](*args, **constexprs)``. ``grid`` is a tuple of ints."""
    lazy.flush()  # a deferred producer runs before anything that could overwrite its inputs
    grid = tuple(int(g) for g in grid)
    if any(g <= 0 for g in grid):
        return
    stats.launches += 1
    name = kernel.__name__ if hasattr(kernel, "__name__") else kernel.fn.__name__
    stats.by_kernel[name] = stats.by_kernel.get(name, 0) + 1
    if _recorder is not None:
        spec = tuple(_arg_spec(a) for a in args)
        cx = tuple(sorted((k, _constexpr_repr(v)) for k, v in constexprs.items()))
        key = (name, spec, cx, num_warps)
        if key not in _recorder:
            _recorder[key] = dict(kernel=name, module=_kernel_module(kernel), args=spec,
                                  constexprs=dict(cx), num_warps=num_warps)
    if _backend.INTERPRETER:
        # masked-off lanes compute on filler values (0/0, log 0); numpy must not warn about
        # lanes that are never stored
        with _INTERPRETER_LOCK, np.errstate(all="ignore"), _one_blas_thread():
            kernel[grid](*args, **constexprs, num_warps=num_warps)
    else:
        kernel[grid](*args, **constexprs, num_warps=num_warps)


def _make_blas_limiter():
    """The interpreter runs tl.dot as numpy matmul on small tiles. A multi-threaded OpenBLAS
    there fights torch's OpenMP threads (which spin after the storage copies the interpreter
    makes) and a 64x64x128 product takes ~14 ms instead of ~0.07 ms: launches run with one
    BLAS thread."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext
    controller = ThreadpoolController()
    return lambda: controller.limit(limits=1, user_api="blas")


_one_blas_thread = _make_blas_limiter() if _backend.INTERPRETER else contextlib.nullcontext


def _kernel_module(kernel):
    fn = getattr(kernel, "fn", kernel)
    return fn.__module__


def _constexpr_repr(v):
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    return str(v)  # tl.dtype and friends: 'fp32', ...


@contextlib.contextmanager
def record_specializations():
    """Collect every distinct kernel specialization launched inside the block."""
    global _recorder
    previous, _recorder = _recorder, {}
    try:
        yield _recorder
    finally:
        _recorder = previous if previous is None else {**previous, **_recorder}


def grid_1d(n, block):
    return (max(1, cdiv(n, block)),)


__all__ = ["launch", "stats", "record_specializations", "elementwise_config", "reduction_config",
           "matmul_config", "next_pow2", "cdiv", "POLICY"]
