"""Multi-tensor in-place rescale / clamp for gradient clipping: up to four tensors per launch,
program ``pid`` handling block ``pid`` of each (blocks past a tensor's end are masked off)."""
import triton
import triton.language as tl

from . import launcher

MAX_TENSORS = 4


@triton.jit
def scale_clamp_kernel(x0, n0, x1, n1, x2, n2, x3, n3, coef_ptr, clip,
                       NT: tl.constexpr, CLAMP: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    if not CLAMP:
        coef = tl.load(coef_ptr)
    for i in tl.static_range(NT):
        if i == 0:
            ptr, n = x0, n0
        elif i == 1:
            ptr, n = x1, n1
        elif i == 2:
            ptr, n = x2, n2
        else:
            ptr, n = x3, n3
        mask = offs < n
        x = tl.load(ptr + offs, mask=mask)
        if CLAMP:
            # NaN stays NaN (torch's clamp propagates it)
            y = tl.where(x > clip, clip, tl.where(x < -clip, -clip, x)).to(x.dtype)
        else:
            y = (x * coef).to(x.dtype)
        tl.store(ptr + offs, y, mask=mask)


def scale_or_clamp_(tensors, coef, clip_value):
    """In place on contiguous storages of one dtype: ``x *= coef[()]`` (``coef`` a 0-d storage)
    or, with ``coef`` None, ``x = clamp(x, -clip_value, clip_value)``."""
    clamp = coef is None
    for start in range(0, len(tensors), MAX_TENSORS):
        chunk = tensors[start:start + MAX_TENSORS]
        args = []
        for t in chunk:
            args += [t, t.numel()]
        args += args[:2] * (MAX_TENSORS - len(chunk))
        n = max(t.numel() for t in chunk)
        if n == 0:
            continue
        block, warps = launcher.elementwise_config(n)
        launcher.launch(scale_clamp_kernel, launcher.grid_1d(n, block),
                        (*args, coef if coef is not None else chunk[0],
                         float(clip_value) if clamp else 0.0),
                        dict(NT=len(chunk), CLAMP=clamp, BLOCK=block), warps)
