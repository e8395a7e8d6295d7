"""Fused optimizer updates: SGD updates up to four parameters per launch (a two-layer MLP's
whole group is one launch); Adam one launch per parameter.

``sgd_kernel``: weight decay + momentum (buffer init on the first step) + nesterov + update.
``adam_kernel``: (decoupled) weight decay + both moment updates + amsgrad max + bias-corrected
update. Both follow torch.optim's single-tensor formulas operation for operation.
"""
import triton
import triton.language as tl

from . import launcher

MAX_TENSORS = launcher.MAX_TENSORS  # parameters updated by one SGD launch


@triton.jit
def _up(x):
    """fp16/bf16 optimizer math runs in fp32 (the interpreter has no bf16 arithmetic and rejects
    fp16 sqrt); the result is rounded back to the storage's dtype by ``_down``."""
    if x.dtype != tl.float64:
        x = x.to(tl.float32)
    return x


@triton.jit
def _down(x, ptr):
    return x.to(ptr.dtype.element_ty)


@triton.jit
def _sgd_update(p_ptr, g_ptr, buf_ptr, n, offs, lr, weight_decay, momentum, dampening,
                HAS_WD: tl.constexpr, HAS_MOMENTUM: tl.constexpr, FIRST: tl.constexpr,
                NESTEROV: tl.constexpr, MAXIMIZE: tl.constexpr, EVEN: tl.constexpr,
                DAMPENING: tl.constexpr):
    """torch.optim's single-tensor SGD update of the elements at ``offs`` of one parameter
    (``DAMPENING``: dampening != 0; without it buf·momentum + 1·d is buf·momentum + d)."""
    if EVEN:  # the block is exactly the parameter
        mask = None
    else:
        mask = offs < n
    p_ptrs = p_ptr + offs
    p = _up(tl.load(p_ptrs, mask=mask))
    d = _up(tl.load(g_ptr + offs, mask=mask))
    if MAXIMIZE:
        d = -d
    if HAS_WD:
        d = d + weight_decay * p
    if HAS_MOMENTUM:
        buf_ptrs = buf_ptr + offs
        if FIRST:
            buf = d
        elif DAMPENING:
            buf = _up(tl.load(buf_ptrs, mask=mask))
            buf = buf * momentum + (1.0 - dampening) * d
        else:
            buf = _up(tl.load(buf_ptrs, mask=mask)) * momentum + d
        tl.store(buf_ptrs, _down(buf, buf_ptrs), mask=mask)
        if NESTEROV:
            d = d + momentum * buf
        else:
            d = buf
    tl.store(p_ptrs, _down(p - lr * d, p_ptrs), mask=mask)


@triton.jit
def sgd_kernel(p0, g0, b0, n0, p1, g1, b1, n1, p2, g2, b2, n2, p3, g3, b3, n3,
               lr, weight_decay, momentum, dampening,
               NT: tl.constexpr, HAS_WD: tl.constexpr, HAS_MOMENTUM: tl.constexpr,
               FIRST: tl.constexpr, NESTEROV: tl.constexpr, MAXIMIZE: tl.constexpr,
               BLOCK: tl.constexpr, ONE_PROGRAM: tl.constexpr = False,
               B0: tl.constexpr = 1, B1: tl.constexpr = 1, B2: tl.constexpr = 1,
               B3: tl.constexpr = 1, E0: tl.constexpr = False, E1: tl.constexpr = False,
               E2: tl.constexpr = False, E3: tl.constexpr = False,
               DAMPENING: tl.constexpr = True):
    """Multi-tensor SGD: program ``pid`` updates block ``pid`` of each of the NT parameters
    (blocks past a parameter's end are masked off), so a whole group is one launch. With
    ``ONE_PROGRAM`` (every parameter fits one block) parameter i gets its own block of ``Bi``
    elements (the next power of two; ``Ei``: exactly its size, no mask): under the interpreter
    each loaded/stored element costs, so a 10-element bias is not processed as 8192."""
    if ONE_PROGRAM:
        _sgd_update(p0, g0, b0, n0, tl.arange(0, B0), lr, weight_decay, momentum, dampening,
                    HAS_WD, HAS_MOMENTUM, FIRST, NESTEROV, MAXIMIZE, E0, DAMPENING)
        if NT > 1:
            _sgd_update(p1, g1, b1, n1, tl.arange(0, B1), lr, weight_decay, momentum,
                        dampening, HAS_WD, HAS_MOMENTUM, FIRST, NESTEROV, MAXIMIZE, E1,
                        DAMPENING)
        if NT > 2:
            _sgd_update(p2, g2, b2, n2, tl.arange(0, B2), lr, weight_decay, momentum,
                        dampening, HAS_WD, HAS_MOMENTUM, FIRST, NESTEROV, MAXIMIZE, E2,
                        DAMPENING)
        if NT > 3:
            _sgd_update(p3, g3, b3, n3, tl.arange(0, B3), lr, weight_decay, momentum,
                        dampening, HAS_WD, HAS_MOMENTUM, FIRST, NESTEROV, MAXIMIZE, E3,
                        DAMPENING)
    else:
        offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
        for i in tl.static_range(NT):
            if i == 0:
                p_ptr, g_ptr, buf_ptr, n = p0, g0, b0, n0
            elif i == 1:
                p_ptr, g_ptr, buf_ptr, n = p1, g1, b1, n1
            elif i == 2:
                p_ptr, g_ptr, buf_ptr, n = p2, g2, b2, n2
            else:
                p_ptr, g_ptr, buf_ptr, n = p3, g3, b3, n3
            _sgd_update(p_ptr, g_ptr, buf_ptr, n, offs, lr, weight_decay, momentum, dampening,
                        HAS_WD, HAS_MOMENTUM, FIRST, NESTEROV, MAXIMIZE, False, DAMPENING)


@triton.jit
def adam_kernel(p_ptr, g_ptr, m_ptr, v_ptr, vmax_ptr, n, lr, beta1, beta2, eps, weight_decay,
                step_size, bias_correction2_sqrt,
                HAS_WD: tl.constexpr, DECOUPLED: tl.constexpr, AMSGRAD: tl.constexpr,
                MAXIMIZE: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < n
    p = _up(tl.load(p_ptr + offs, mask=mask))
    g = _up(tl.load(g_ptr + offs, mask=mask))
    if MAXIMIZE:
        g = -g
    if HAS_WD:
        if DECOUPLED:
            p = p * (1.0 - lr * weight_decay)
        else:
            g = g + weight_decay * p
    m = _up(tl.load(m_ptr + offs, mask=mask))
    v = _up(tl.load(v_ptr + offs, mask=mask))
    m = m + (g - m) * (1.0 - beta1)
    v = v * beta2 + (1.0 - beta2) * g * g
    tl.store(m_ptr + offs, _down(m, m_ptr), mask=mask)
    tl.store(v_ptr + offs, _down(v, v_ptr), mask=mask)
    if AMSGRAD:
        vmax = tl.maximum(_up(tl.load(vmax_ptr + offs, mask=mask)), v)
        tl.store(vmax_ptr + offs, _down(vmax, vmax_ptr), mask=mask)
        denom = tl.sqrt(vmax) / bias_correction2_sqrt + eps
    else:
        denom = tl.sqrt(v) / bias_correction2_sqrt + eps
    tl.store(p_ptr + offs, _down(p - step_size * (m / denom), p_ptr), mask=mask)


def _check(*ts):
    for t in ts:
        if t is not None and not t.is_contiguous():
            raise RuntimeError("fused optimizer kernels need contiguous storage")


def sgd_step(params, grads, bufs, lr, weight_decay, momentum, dampening, first, nesterov,
             maximize):
    """In place on the storages in ``params`` (and ``bufs``); ``grads`` are read. Parameters go
    MAX_TENSORS to a launch."""
    _check(*params, *grads, *bufs)
    def slots(i):
        p = params[i]
        return p, grads[i], bufs[i] if bufs[i] is not None else p, p.numel()
    for chunk, args in launcher.multi_tensor_chunks(len(params), slots):
        n = max(params[i].numel() for i in chunk)
        block, warps = launcher.elementwise_config(n)
        grid = launcher.grid_1d(n, block)
        constexprs = dict(NT=len(chunk), HAS_WD=weight_decay != 0, HAS_MOMENTUM=momentum != 0,
                          FIRST=bool(first), NESTEROV=bool(nesterov), MAXIMIZE=bool(maximize),
                          BLOCK=block)
        if dampening == 0:
            constexprs["DAMPENING"] = False
        if grid[0] == 1:  # each parameter its own block (flags passed only when set)
            constexprs["ONE_PROGRAM"] = True
            for j, i in enumerate(chunk):
                size = params[i].numel()
                constexprs[f"B{j}"] = launcher.next_pow2(size)
                if size == constexprs[f"B{j}"]:
                    constexprs[f"E{j}"] = True
        launcher.launch(sgd_kernel, grid,
                        (*args, float(lr), float(weight_decay), float(momentum),
                         float(dampening)), constexprs, warps)


def adam_step(p, g, m, v, vmax, lr, beta1, beta2, eps, weight_decay, step_size,
              bias_correction2_sqrt, decoupled, amsgrad, maximize):
    _check(p, g, m, v, vmax)
    n = p.numel()
    block, warps = launcher.elementwise_config(n)
    launcher.launch(adam_kernel, launcher.grid_1d(n, block),
                    (p, g, m, v, vmax if vmax is not None else v, n, float(lr), float(beta1),
                     float(beta2), float(eps), float(weight_decay), float(step_size),
                     float(bias_correction2_sqrt)),
                    dict(HAS_WD=weight_decay != 0, DECOUPLED=bool(decoupled),
                         AMSGRAD=bool(amsgrad), MAXIMIZE=bool(maximize), BLOCK=block), warps)


__all__ = ["MAX_TENSORS", "sgd_kernel", "adam_kernel", "sgd_step", "adam_step"]
