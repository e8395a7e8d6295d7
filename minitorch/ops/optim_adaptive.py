"""Fused multi-tensor updates for RMSprop, Adagrad and Adadelta: up to four parameters per launch
(program ``pid`` updates block ``pid`` of each; blocks past a parameter's end are masked off).
Each follows torch.optim's single-tensor formulas operation for operation."""
import triton
import triton.language as tl

from . import launcher
from .optim import _down, _up

MAX_TENSORS = launcher.MAX_TENSORS  # tensors a launch handles (the kernel's four slots)


@triton.jit
def adaptive_kernel(p0, g0, a0, b0, c0, n0, p1, g1, a1, b1, c1, n1,
                    p2, g2, a2, b2, c2, n2, p3, g3, a3, b3, c3, n3,
                    lr, rho, eps, weight_decay, momentum,
                    KIND: tl.constexpr, NT: tl.constexpr, HAS_WD: tl.constexpr,
                    MAXIMIZE: tl.constexpr, CENTERED: tl.constexpr, HAS_MOMENTUM: tl.constexpr,
                    BLOCK: tl.constexpr):
    """KIND "rmsprop" (state0 square_avg, state1 momentum_buffer, state2 grad_avg;
    rho=alpha), "adagrad" (state0 sum; lr is the decayed clr), "adadelta" (state0 square_avg,
    state1 acc_delta)."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    for i in tl.static_range(NT):
        if i == 0:
            p_ptr, g_ptr, s0, s1, s2, n = p0, g0, a0, b0, c0, n0
        elif i == 1:
            p_ptr, g_ptr, s0, s1, s2, n = p1, g1, a1, b1, c1, n1
        elif i == 2:
            p_ptr, g_ptr, s0, s1, s2, n = p2, g2, a2, b2, c2, n2
        else:
            p_ptr, g_ptr, s0, s1, s2, n = p3, g3, a3, b3, c3, n3
        mask = offs < n
        p = _up(tl.load(p_ptr + offs, mask=mask))
        g = _up(tl.load(g_ptr + offs, mask=mask))
        if MAXIMIZE:
            g = -g
        if HAS_WD:
            g = g + weight_decay * p
        sq = _up(tl.load(s0 + offs, mask=mask))
        if KIND == "rmsprop":
            sq = sq * rho + (1.0 - rho) * g * g
            tl.store(s0 + offs, _down(sq, s0), mask=mask)
            if CENTERED:
                ga = _up(tl.load(s2 + offs, mask=mask))
                ga = ga + (g - ga) * (1.0 - rho)
                tl.store(s2 + offs, _down(ga, s2), mask=mask)
                avg = tl.sqrt(sq - ga * ga) + eps
            else:
                avg = tl.sqrt(sq) + eps
            if HAS_MOMENTUM:
                buf = _up(tl.load(s1 + offs, mask=mask))
                buf = buf * momentum + g / avg
                tl.store(s1 + offs, _down(buf, s1), mask=mask)
                p = p - lr * buf
            else:
                p = p - lr * (g / avg)
        elif KIND == "adagrad":
            sq = sq + g * g
            tl.store(s0 + offs, _down(sq, s0), mask=mask)
            p = p - lr * (g / (tl.sqrt(sq) + eps))
        else:
            sq = sq * rho + (1.0 - rho) * g * g
            tl.store(s0 + offs, _down(sq, s0), mask=mask)
            acc = _up(tl.load(s1 + offs, mask=mask))
            std = tl.sqrt(sq + eps)
            delta = tl.sqrt(acc + eps) / std * g
            acc = acc * rho + (1.0 - rho) * delta * delta
            tl.store(s1 + offs, _down(acc, s1), mask=mask)
            p = p - lr * delta
        tl.store(p_ptr + offs, _down(p, p_ptr), mask=mask)


def adaptive_step(kind, params, grads, states, lr, rho=0.0, eps=0.0, weight_decay=0.0,
                  momentum=0.0, maximize=False, centered=False):
    """In place on contiguous storages. ``states[i]`` is a 3-tuple of storages (or None)."""
    for t in (*params, *grads, *(s for st in states for s in st if s is not None)):
        if not t.is_contiguous():
            raise RuntimeError("fused optimizer kernels need contiguous storage")
    def slots(i):
        p = params[i]
        return [p, grads[i]] + [s if s is not None else p for s in states[i]] + [p.numel()]
    for idx, args in launcher.multi_tensor_chunks(len(params), slots):
        n = max(params[i].numel() for i in idx)
        if n == 0:
            continue
        block, warps = launcher.elementwise_config(n)
        launcher.launch(adaptive_kernel, launcher.grid_1d(n, block),
                        (*args, float(lr), float(rho), float(eps), float(weight_decay),
                         float(momentum)),
                        dict(KIND=kind, NT=len(idx), HAS_WD=weight_decay != 0,
                             MAXIMIZE=bool(maximize), CENTERED=bool(centered),
                             HAS_MOMENTUM=momentum != 0, BLOCK=block), warps)


__all__ = ["MAX_TENSORS", "adaptive_kernel", "adaptive_step"]
