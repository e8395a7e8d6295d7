"""Multi-tensor in-place rescale / clamp for gradient clipping: up to four tensors per launch,
program ``pid`` handling block ``pid`` of each (blocks past a tensor's end are masked off)."""
import math

import torch
import triton
import triton.language as tl

from . import launcher

MAX_TENSORS = launcher.MAX_TENSORS  # tensors a launch handles (the kernel's four slots)


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
        # fp16/bf16 are computed in fp32 (the interpreter's bf16 arithmetic works on raw bits
        # and its bf16 stores convert only from fp32); the coefficient is rounded to the
        # gradients' precision first, as torch multiplies by it in the gradients' dtype
        xc = x if x.dtype == tl.float64 else x.to(tl.float32)
        if CLAMP:
            # NaN stays NaN (torch's clamp propagates it)
            y = tl.where(xc > clip, clip, tl.where(xc < -clip, -clip, xc))
        else:
            y = xc * coef.to(xc.dtype)
        tl.store(ptr + offs, y.to(x.dtype), mask=mask)


def scale_or_clamp_(tensors, coef, clip_value):
    """In place on contiguous storages of one dtype: ``x *= coef[()]`` (``coef`` a 0-d storage)
    or, with ``coef`` None, ``x = clamp(x, -clip_value, clip_value)``."""
    clamp = coef is None
    for idx, args in launcher.multi_tensor_chunks(len(tensors),
                                                  lambda i: (tensors[i], tensors[i].numel())):
        chunk = [tensors[i] for i in idx]
        n = max(t.numel() for t in chunk)
        if n == 0:
            continue
        block, warps = launcher.elementwise_config(n)
        launcher.launch(scale_clamp_kernel, launcher.grid_1d(n, block),
                        (*args, coef if coef is not None else chunk[0],
                         float(clip_value) if clamp else 0.0),
                        dict(NT=len(chunk), CLAMP=clamp, BLOCK=block), warps)


# ---------------------------------------------------------------------------------------------
# the total norm: per-block partial sums of |x|^p (or max |x|) of four tensors per launch, then
# one launch that folds the partials into the total norm and the clip coefficient
# ---------------------------------------------------------------------------------------------
@triton.jit
def norm_partials_kernel(x0, n0, x1, n1, x2, n2, x3, n3, part_ptr, slot0, G, p,
                         NT: tl.constexpr, KIND: tl.constexpr, BLOCK: tl.constexpr):
    """KIND "l2": sum x^2, "l1": sum |x|, "inf": max |x|, "p": sum |x|^p. Program ``pid`` writes
    the partial of block ``pid`` of tensor i to part[(slot0 + i) * G + pid]."""
    pid = tl.program_id(0).to(tl.int64)
    offs = pid * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
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
        a = tl.abs(tl.load(ptr + offs, mask=mask, other=0).to(tl.float64))
        if KIND == "l2":
            part = tl.sum(a * a, axis=0)
        elif KIND == "l1":
            part = tl.sum(a, axis=0)
        else:
            if KIND == "inf":
                part = tl.max(a, axis=0)
            else:
                part = tl.sum(tl.where(a > 0, tl.exp(p * tl.log(tl.where(a > 0, a, 1.0))), 0.0),
                              axis=0)
            # max and the a > 0 guard drop NaN on the GPU: a NaN gradient makes the norm NaN,
            # as in torch
            nans = tl.sum(tl.where(a != a, 1.0, 0.0), axis=0)
            part = tl.where(nans > 0, float("nan"), part)
        tl.store(part_ptr + (slot0 + i) * G + pid, part)


@triton.jit
def norm_finish_kernel(part_ptr, M, total_ptr, coef_ptr, max_norm, inv_p, KIND: tl.constexpr,
                       BLOCK: tl.constexpr):
    """Fold M partials into the total norm and coef = min(max_norm / (total + 1e-6), 1)."""
    offs0 = tl.arange(0, BLOCK).to(tl.int64)
    acc = tl.zeros((BLOCK,), tl.float64)
    nans = tl.zeros((BLOCK,), tl.float64)
    for start in range(0, M, BLOCK):
        offs = start + offs0
        v = tl.load(part_ptr + offs, mask=offs < M, other=0)
        nans += tl.where(v != v, 1.0, 0.0)
        if KIND == "inf":
            acc = tl.maximum(acc, v)
        else:
            acc += v
    if KIND == "inf":
        total = tl.max(acc, axis=0)
    else:
        s = tl.sum(acc, axis=0)
        if KIND == "l2":
            total = tl.sqrt(s)
        elif KIND == "l1":
            total = s
        else:
            total = tl.where(s > 0, tl.exp(inv_p * tl.log(tl.where(s > 0, s, 1.0))), 0.0)
    # NaN survives (tl.maximum / tl.minimum drop it): torch's clamp keeps a NaN coefficient, so
    # every gradient becomes NaN
    total = tl.where(tl.sum(nans, axis=0) > 0, float("nan"), total)
    c = max_norm / (total + 1e-6)
    if total_ptr.dtype.element_ty == tl.float64:
        tl.store(total_ptr, total)
    else:  # through fp32: the interpreter stores fp64 into bf16 as raw bits
        tl.store(total_ptr, total.to(tl.float32))
    tl.store(coef_ptr, tl.where(c != c, c, tl.minimum(c, 1.0)))


def total_norm_(tensors, p, total, coef, max_norm=float("inf")):
    """The joint p-norm of contiguous storages into 0-d storage ``total`` (accumulated in
    float64, stored in total's dtype) and the clip coefficient into 0-d float64 ``coef``.
    ceil(len/4) + 1 launches."""
    kind = "l2" if p == 2.0 else "l1" if p == 1.0 else "inf" if math.isinf(p) else "p"
    if kind == "inf" and p < 0:
        raise RuntimeError("minitorch: the -inf norm is not supported")
    n_max = max((t.numel() for t in tensors), default=0)
    block, warps = launcher.elementwise_config(max(n_max, 1))
    if launcher.POLICY != "interpreter":
        block = 512  # float64 partials of four tensors: 1024-element tiles spill on sm_90
    g = max(1, launcher.cdiv(n_max, block))
    part = torch.empty((len(tensors) * g,), dtype=torch.float64, device=total.device)
    chunks = launcher.multi_tensor_chunks(len(tensors), lambda i: (tensors[i], tensors[i].numel()))
    for k, (chunk, args) in enumerate(chunks):
        # every slot of part is written: programs past a tensor's end store a masked-off 0
        launcher.launch(norm_partials_kernel, (g,),
                        (*args, part, k * MAX_TENSORS, g, float(p) if kind == "p" else 1.0),
                        dict(NT=len(chunk), KIND=kind, BLOCK=block), warps)
    m = len(tensors) * g
    fblock = min(launcher.next_pow2(m), 1024)
    launcher.launch(norm_finish_kernel, (1,),
                    (part, m, total, coef, float(max_norm),
                     1.0 / float(p) if kind == "p" else 1.0),
                    dict(KIND=kind, BLOCK=fblock), 4)
    return total, coef


__all__ = ["MAX_TENSORS", "scale_clamp_kernel", "scale_or_clamp_", "norm_partials_kernel",
           "norm_finish_kernel", "total_norm_"]
