"""Kernels that create values: a Philox random generator (uniform, normal, integer, Bernoulli)
and arithmetic ranges (arange, linspace). Fills are the elementwise ``copy`` op with a scalar."""
import random as _pyrandom
import threading

import torch
import triton
import triton.language as tl

from . import launcher

# The random kernel's ``KIND``: a constexpr name, one specialization per distribution.
UNIFORM, NORMAL, RANDINT, BERNOULLI = "uniform", "normal", "randint", "bernoulli"


@triton.jit
def random_kernel(out_ptr, n, seed, offset, low, high, KIND: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < n
    philox_offs = (offs + offset).to(tl.int32)
    if KIND == "uniform":
        r = low + (high - low) * tl.rand(seed, philox_offs)
    elif KIND == "normal":
        r = low + high * tl.randn(seed, philox_offs)
    elif KIND == "randint":
        u = tl.rand(seed, philox_offs).to(tl.float64)
        r = low + tl.floor(u * (high - low)).to(tl.int64)
        r = tl.minimum(r, high - 1)
    else:  # bernoulli
        r = tl.rand(seed, philox_offs) < low
    tl.store(out_ptr + offs, r, mask=mask)


@triton.jit
def range_kernel(out_ptr, n, start, step, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    tl.store(out_ptr + offs, start + offs * step, mask=offs < n)


class Generator:
    """Philox state: a seed and an offset that advances by the numbers drawn (like torch's
    CUDA generator), so the same seed gives the same numbers in the same order."""

    def __init__(self, device="cpu"):
        self.device = torch.device(device)
        self._seed = 67280421310721
        self._offset = 0
        self._lock = threading.Lock()

    def manual_seed(self, seed):
        seed = int(seed)
        with self._lock:
            self._seed = seed & 0x7FFFFFFF  # tl.rand takes a 32-bit seed
            self._offset = 0
        return self

    def seed(self):
        return self.manual_seed(_pyrandom.getrandbits(31))

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return torch.tensor([self._seed, self._offset], dtype=torch.int64)

    def set_state(self, state):
        self._seed, self._offset = (int(v) for v in state.tolist())

    def _take(self, n):
        with self._lock:
            seed, offset = self._seed, self._offset
            self._offset += (n + 3) // 4 * 4
            if self._offset >= 2**31 - 1:  # keep philox offsets in int32 range
                self._offset = 0
                self._seed = (self._seed * 1103515245 + 12345) & 0x7FFFFFFF
        return seed, offset


default_generator = Generator()


def random_(out, kind, low=0.0, high=1.0, generator=None):
    """Fill contiguous storage ``out`` with random numbers."""
    n = out.numel()
    if n == 0:
        return out
    gen = generator or default_generator
    seed, offset = gen._take(n)
    block, warps = launcher.elementwise_config(n)
    launcher.launch(random_kernel, launcher.grid_1d(n, block),
                    (out, n, seed, offset, low, high), dict(KIND=kind, BLOCK=block), warps)
    return out


def range_(out, start, step):
    n = out.numel()
    if n == 0:
        return out
    block, warps = launcher.elementwise_config(n)
    launcher.launch(range_kernel, launcher.grid_1d(n, block), (out, n, start, step),
                    dict(BLOCK=block), warps)
    return out


__all__ = ["UNIFORM", "NORMAL", "RANDINT", "BERNOULLI", "random_kernel", "range_kernel",
           "Generator", "default_generator", "random_", "range_"]
