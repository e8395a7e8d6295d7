"""Gradient buckets for data-parallel training: up to four gradients copied into one flat
storage per launch, each scaled by ``1/world_size`` on the way, so that a SUM all-reduce of the
bucket leaves the average (gloo has no AVG) with no launch after the communication."""
import triton
import triton.language as tl

from . import launcher

__all__ = ["pack_scaled", "pack_scaled_kernel"]

MAX_TENSORS = launcher.MAX_TENSORS  # tensors a launch handles (the kernel's four slots)


@triton.jit
def pack_scaled_kernel(dst, s0, n0, o0, s1, n1, o1, s2, n2, o2, s3, n3, o3, scale,
                       NT: tl.constexpr, BLOCK: tl.constexpr):
    """Program ``pid`` copies block ``pid`` of each of the NT sources to ``dst + offset``."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    for i in tl.static_range(NT):
        if i == 0:
            src, n, off = s0, n0, o0
        elif i == 1:
            src, n, off = s1, n1, o1
        elif i == 2:
            src, n, off = s2, n2, o2
        else:
            src, n, off = s3, n3, o3
        mask = offs < n
        x = tl.load(src + offs, mask=mask)
        tl.store(dst + off + offs, x * scale, mask=mask)


def pack_scaled(dst, sources, scale):
    """``dst[o_i : o_i + n_i] = sources[i].flatten() * scale`` with the ``o_i`` consecutive;
    ``dst`` and every source are contiguous torch storages of one dtype."""
    offsets, total = [], 0
    for s in sources:
        offsets.append(total)
        total += s.numel()
    if total != dst.numel():
        raise ValueError(f"bucket holds {dst.numel()} elements, the gradients {total}")
    for chunk, args in launcher.multi_tensor_chunks(
            len(sources), lambda i: (sources[i], sources[i].numel(), offsets[i])):
        n = max(sources[i].numel() for i in chunk)
        if n == 0:
            continue
        block, warps = launcher.elementwise_config(n)
        launcher.launch(pack_scaled_kernel, launcher.grid_1d(n, block),
                        (dst, *args, float(scale)), dict(NT=len(chunk), BLOCK=block), warps)
