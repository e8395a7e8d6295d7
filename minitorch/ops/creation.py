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


def _philox_seed(seed):
    """Fold a 64-bit seed into the 31 bits tl.rand takes; seeds below 2**31 map to themselves,
    and seeds differing only above bit 31 (0 and 2**40) stay distinct."""
    high = seed >> 31  # 33 bits, mixed (Fibonacci hashing) into 31; a zero high part adds 0
    return (seed ^ ((high * 0x9E3779B97F4A7C15) & (2**64 - 1)) >> 33) & 0x7FFFFFFF


class Generator:
    """Philox state: a seed and an offset that advances by the numbers drawn (like torch's
    CUDA generator), so the same seed gives the same numbers in the same order."""

    def __init__(self, device="cpu"):
        self.device = torch.device(device)
        self._initial = 67280421310721  # torch's default seed
        self._seed = _philox_seed(self._initial)
        self._offset = 0
        self._lock = threading.Lock()

    def manual_seed(self, seed):
        seed = int(seed)
        if not -2**63 <= seed < 2**64:  # torch's bound (a signed or an unsigned 64-bit seed)
            raise ValueError("Overflow when unpacking long long")
        seed &= 2**64 - 1  # torch keeps a negative seed as its unsigned 64-bit value
        with self._lock:
            self._initial = seed
            self._seed = _philox_seed(seed)
            self._offset = 0
        return self

    def seed(self):
        """Seed from a fresh nondeterministic number and return it (an int, like torch)."""
        seed = _pyrandom.getrandbits(63)
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        return getattr(self, "_initial", self._seed)

    def get_state(self):
        """The state as a uint8 tensor (torch's ByteTensor): initial seed, Philox seed and offset
        as three little-endian 64-bit words."""
        words = [self.initial_seed(), self._seed, self._offset]
        data = b"".join(int(w).to_bytes(8, "little") for w in words)
        from ..tensor import Tensor  # tensor.py builds on ops/
        return Tensor._make(torch.frombuffer(bytearray(data), dtype=torch.uint8))

    def set_state(self, state):
        data = getattr(state, "_data", state)
        if not isinstance(data, torch.Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(state).__name__}")
        if data.dtype == torch.int64 and data.numel() == 2:  # the earlier [seed, offset] layout
            seed, offset = (int(v) for v in data.tolist())
            initial = seed
        elif data.dtype == torch.uint8 and data.numel() == 24:
            raw = bytes(data.cpu().tolist())
            initial, seed, offset = (int.from_bytes(raw[i:i + 8], "little") for i in (0, 8, 16))
        else:
            raise RuntimeError(f"Expected either a generator state of 24 uint8 values, got "
                               f"{data.numel()} values of {data.dtype}")
        with self._lock:
            self._initial, self._seed, self._offset = initial, seed, offset

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
