"""Triangular masks (tril / triu): elements on the kept side of the ``diagonal``-th diagonal of
the last two dimensions are copied, the others zeroed."""
import triton
import triton.language as tl

from . import launcher


@triton.jit
def tri_kernel(x_ptr, out_ptr, n, R, C, diagonal, UPPER: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < n
    col = offs % C
    row = (offs // C) % R
    x = tl.load(x_ptr + offs, mask=mask)
    if UPPER:
        keep = (col - row) >= diagonal
    else:
        keep = (col - row) <= diagonal
    tl.store(out_ptr + offs, tl.where(keep, x, tl.zeros_like(x)), mask=mask)


def tri_(x, out, diagonal, upper):
    n = x.numel()
    if n == 0:
        return out
    r, c = x.shape[-2], x.shape[-1]
    block, warps = launcher.elementwise_config(n)
    launcher.launch(tri_kernel, launcher.grid_1d(n, block), (x, out, n, r, c, int(diagonal)),
                    dict(UPPER=bool(upper), BLOCK=block), warps)
    return out


__all__ = ["tri_kernel", "tri_"]
