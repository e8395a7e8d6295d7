"""One strided elementwise kernel for every pointwise op, forward and backward.

The op is a constexpr index into ``OPS``; the compiler keeps only that branch, the interpreter
evaluates a few Python comparisons. Each of up to three operands is either a flat contiguous tensor,
a strided tensor (broadcast dimensions have stride 0) or a Python scalar. The host broadcasts,
drops size-1 dimensions and merges dimensions that are contiguous for every operand, so most
launches are 1-D; at most ``MAX_DIMS`` dimensions reach the kernel (more are split on the host).
Values are computed in ``COMPUTE`` (fp32 for fp32/fp16/bf16, fp64, int64 for integers, int1 for
bool logic) and cast to the output's element type by the store.
"""
import torch
import triton
import triton.language as tl

from . import launcher

MAX_DIMS = 4

# name -> (op id, number of operands). The kernel below implements each by id.
OPS = {}
for _i, (_name, _arity) in enumerate([
    ("copy", 1), ("neg", 1), ("abs", 1), ("exp", 1), ("log", 1), ("sqrt", 1), ("rsqrt", 1),
    ("sin", 1), ("cos", 1), ("tanh", 1), ("sigmoid", 1), ("relu", 1), ("logical_not", 1),
    ("sign", 1), ("reciprocal", 1), ("isnan", 1),
    ("add", 2), ("sub", 2), ("mul", 2), ("div", 2), ("floor_divide", 2), ("remainder", 2),
    ("pow", 2), ("powi", 2), ("maximum", 2), ("minimum", 2),
    ("eq", 2), ("ne", 2), ("lt", 2), ("le", 2), ("gt", 2), ("ge", 2),
    ("logical_and", 2), ("logical_or", 2), ("logical_xor", 2),
    ("relu_backward", 2), ("sigmoid_backward", 2), ("tanh_backward", 2),
    ("where", 3), ("clamp", 3), ("add_scaled", 3), ("leaky_relu", 2), ("leaky_relu_backward", 3),
]):
    OPS[_name] = (_i, _arity)

COMPUTE_TYPES = {
    torch.float32: tl.float32, torch.float16: tl.float32, torch.bfloat16: tl.float32,
    torch.float64: tl.float64,
    torch.int64: tl.int64, torch.int32: tl.int64, torch.int16: tl.int64, torch.int8: tl.int64,
    torch.uint8: tl.int64, torch.bool: tl.int1,
}

FLAT, STRIDED, SCALAR = 0, 1, 2


@triton.jit
def pointwise_kernel(out_ptr, a_ptr, b_ptr, c_ptr, a_val, b_val, c_val, n,
                     s1, s2, s3,
                     o0, o1, o2, o3, a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3,
                     OP: tl.constexpr, NDIM: tl.constexpr, OUT_KIND: tl.constexpr,
                     A_KIND: tl.constexpr, B_KIND: tl.constexpr, C_KIND: tl.constexpr,
                     COMPUTE: tl.constexpr, BLOCK: tl.constexpr, IDX32: tl.constexpr = False):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = offs < n
    # Multi-index of each element (dims are right-aligned in 4 slots), only when some operand
    # is strided.
    if (OUT_KIND == 1) or (A_KIND == 1) or (B_KIND == 1) or (C_KIND == 1):
        if NDIM == 1:
            i3 = offs
        elif IDX32:
            # GPU launches whose indices fit in int32 split them with 32-bit division: 64-bit
            # `//` and `%` are a called subroutine on NVIDIA GPUs and registers spill around it.
            lin = offs.to(tl.int32)
            i3 = (lin % s3).to(tl.int64)
            rest32 = lin // s3
            if NDIM == 2:
                i2 = rest32.to(tl.int64)
            else:
                i2 = (rest32 % s2).to(tl.int64)
                rest32 = rest32 // s2
                if NDIM == 3:
                    i1 = rest32.to(tl.int64)
                else:
                    i1 = (rest32 % s1).to(tl.int64)
                    i0 = (rest32 // s1).to(tl.int64)
        else:
            i3 = offs % s3
            rest = offs // s3
            if NDIM == 2:
                i2 = rest
            else:
                i2 = rest % s2
                rest = rest // s2
                if NDIM == 3:
                    i1 = rest
                else:
                    i1 = rest % s1
                    i0 = rest // s1

    # ---- operand a
    if A_KIND == 0:
        a = tl.load(a_ptr + offs, mask=mask).to(COMPUTE)
    elif A_KIND == 1:
        a_off = i3 * a3
        if NDIM >= 2:
            a_off += i2 * a2
        if NDIM >= 3:
            a_off += i1 * a1
        if NDIM >= 4:
            a_off += i0 * a0
        a = tl.load(a_ptr + a_off, mask=mask).to(COMPUTE)
    else:
        a = a_val
    # ---- operand b
    if B_KIND == 0:
        b = tl.load(b_ptr + offs, mask=mask).to(COMPUTE)
    elif B_KIND == 1:
        b_off = i3 * b3
        if NDIM >= 2:
            b_off += i2 * b2
        if NDIM >= 3:
            b_off += i1 * b1
        if NDIM >= 4:
            b_off += i0 * b0
        b = tl.load(b_ptr + b_off, mask=mask).to(COMPUTE)
    else:
        b = b_val
    # ---- operand c
    if C_KIND == 0:
        c = tl.load(c_ptr + offs, mask=mask).to(COMPUTE)
    elif C_KIND == 1:
        c_off = i3 * c3
        if NDIM >= 2:
            c_off += i2 * c2
        if NDIM >= 3:
            c_off += i1 * c1
        if NDIM >= 4:
            c_off += i0 * c0
        c = tl.load(c_ptr + c_off, mask=mask).to(COMPUTE)
    else:
        c = c_val

    # ---- the op table (ids follow OPS above)
    if OP == 0:  # copy / cast
        r = a
    elif OP == 1:
        r = -a
    elif OP == 2:
        r = tl.where(a < 0, -a, a)
    elif OP == 3:
        r = tl.exp(a)
    elif OP == 4:
        r = tl.log(a)
    elif OP == 5:
        r = tl.sqrt(a)
    elif OP == 6:
        r = 1.0 / tl.sqrt(a)
    elif OP == 7:
        r = tl.sin(a)
    elif OP == 8:
        r = tl.cos(a)
    elif OP == 9:  # tanh: odd series near 0 (no cancellation), 1 - 2/(e^2|x| + 1) elsewhere
        ax = tl.where(a < 0, -a, a)
        x2 = a * a
        series = a * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0))))
        big = 1.0 - 2.0 / (tl.exp(2.0 * ax) + 1.0)
        r = tl.where(ax < 0.0625, series, tl.where(a < 0, -big, big))
    elif OP == 10:  # sigmoid, stable on both sides
        e = tl.exp(tl.where(a < 0, a, -a))
        r = tl.where(a < 0, e / (1.0 + e), 1.0 / (1.0 + e))
    elif OP == 11:  # relu; NaN stays NaN as in torch
        r = tl.where(a < 0, 0, a)
    elif OP == 12:
        r = a == 0
    elif OP == 13:
        r = tl.where(a > 0, 1, tl.where(a < 0, -1, 0)).to(COMPUTE)
        r = tl.where(a != a, a, r)
    elif OP == 14:
        r = 1.0 / a
    elif OP == 15:
        r = a != a
    elif OP == 16:
        r = a + b
    elif OP == 17:
        r = a - b
    elif OP == 18:
        r = a * b
    elif OP == 19:
        r = a / b
    elif OP == 20:  # floor division (torch semantics, C truncation corrected)
        if COMPUTE == tl.int64:
            q = a // b
            r = tl.where(((a % b) != 0) & ((a < 0) != (b < 0)), q - 1, q)
        else:
            r = tl.floor(a / b)
    elif OP == 21:  # remainder with the sign of the divisor
        m = a % b
        r = tl.where((m != 0) & ((m < 0) != (b < 0)), m + b, m)
    elif OP == 22:  # pow with a real exponent; exact signs for integral exponents
        if (COMPUTE == tl.int64) or (COMPUTE == tl.int32) or (COMPUTE == tl.int16) or \
                (COMPUTE == tl.int8) or (COMPUTE == tl.uint8):
            # integer pow: binary exponentiation (wraps like torch); a negative exponent gives
            # 0 except for the bases 1 and -1
            base = a
            e = tl.where(b < 0, 0, b)
            r = a * 0 + b * 0 + 1
            for _ in range(63):
                r = tl.where((e & 1) != 0, r * base, r)
                base = base * base
                e = e >> 1
            neg = tl.where(a == 1, 1, tl.where(a == -1, tl.where((b & 1) != 0, -1, 1), 0))
            r = tl.where(b < 0, neg, r)
        else:
            aa = tl.where(a < 0, -a, a)
            p = tl.exp(b * tl.log(aa))
            b_int = tl.floor(b) == b
            half = b * 0.5
            odd = b_int & (tl.floor(half) != half)
            p = tl.where(a < 0, tl.where(b_int, tl.where(odd, -p, p), float("nan")), p)
            r = tl.where(b == 0, 1.0, p)
    elif OP == 23:  # pow with a small integer exponent b_val >= 1, by repeated products (exact)
        r = a
        for _ in range(1, b_val):
            r = r * a
    elif OP == 24:  # maximum / minimum propagate NaN like torch
        r = tl.where((a != a) | (a > b), a, b)
    elif OP == 25:
        r = tl.where((a != a) | (a < b), a, b)
    elif OP == 26:
        r = a == b
    elif OP == 27:
        r = a != b
    elif OP == 28:
        r = a < b
    elif OP == 29:
        r = a <= b
    elif OP == 30:
        r = a > b
    elif OP == 31:
        r = a >= b
    elif OP == 32:
        r = (a != 0) & (b != 0)
    elif OP == 33:
        r = (a != 0) | (b != 0)
    elif OP == 34:
        r = (a != 0) != (b != 0)
    elif OP == 35:  # relu_backward(grad, x)
        r = tl.where(b > 0, a, 0)
    elif OP == 36:  # sigmoid_backward(grad, y)
        r = a * b * (1.0 - b)
    elif OP == 37:  # tanh_backward(grad, y)
        r = a * (1.0 - b * b)
    elif OP == 38:  # where(cond, x, y)
        r = tl.where(a != 0, b, c)
    elif OP == 39:  # clamp(x, lo, hi); NaN stays NaN
        r = tl.where(a < b, b, a)
        r = tl.where(r > c, c, r)
    elif OP == 40:  # a + b * c   (add with alpha, axpy)
        r = a + b * c
    elif OP == 41:  # leaky_relu(x, slope)
        r = tl.where(a < 0, a * b, a)
    elif OP == 42:  # leaky_relu_backward(grad, x, slope)
        r = tl.where(b > 0, a, a * c)

    if OUT_KIND == 0:
        tl.store(out_ptr + offs, r, mask=mask)
    else:
        o_off = i3 * o3
        if NDIM >= 2:
            o_off += i2 * o2
        if NDIM >= 3:
            o_off += i1 * o1
        if NDIM >= 4:
            o_off += i0 * o0
        tl.store(out_ptr + o_off, r, mask=mask)


def _coalesce(shape, strides_list):
    """Drop size-1 dims and merge dims that are contiguous in every operand.

    ``strides_list`` holds, per operand, its strides for ``shape`` (0 where broadcast).
    Returns the new shape and strides lists.
    """
    dims = [d for d in range(len(shape)) if shape[d] != 1]
    new_shape = []
    new_strides = [[] for _ in strides_list]
    for d in dims:
        if new_shape and all(st[-1] == s[d] * shape[d] for st, s in zip(new_strides, strides_list)):
            new_shape[-1] *= shape[d]
            for st, s in zip(new_strides, strides_list):
                st[-1] = s[d]
        else:
            new_shape.append(shape[d])
            for st, s in zip(new_strides, strides_list):
                st.append(s[d])
    return new_shape, new_strides


def _contiguous_strides(shape):
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= s
    return strides[::-1]


def broadcast_strides(t, shape):
    """Strides of storage tensor ``t`` viewed as broadcast to ``shape`` (0 on broadcast dims)."""
    pad = len(shape) - t.dim()
    out = []
    for d in range(len(shape)):
        if d < pad:
            out.append(0)
        else:
            out.append(0 if t.shape[d - pad] == 1 and shape[d] != 1 else t.stride(d - pad))
    return out


def pointwise(op, out, *operands, compute=None):
    """Compute ``out[...] = op(*operands)`` elementwise with broadcasting.

    ``out`` is a torch storage tensor (any strides) of the broadcast shape; each operand is a
    storage tensor (broadcastable to ``out``) or a Python number. ``compute`` is the torch dtype the
    op runs in (defaults to out's). ``out`` may alias an operand element-for-element (in-place ops).
    """
    op_id, arity = OPS[op]
    assert len(operands) == arity, (op, len(operands))
    n = out.numel()
    if n == 0:
        return out
    compute_torch = compute or out.dtype
    compute = COMPUTE_TYPES[compute_torch]
    shape = list(out.shape)
    tensors = [t for t in operands if isinstance(t, torch.Tensor)]
    strides = [list(out.stride())] + [broadcast_strides(t, shape) for t in tensors]
    cshape, cstrides = _coalesce(shape, strides)
    if not cshape:
        cshape, cstrides = [1], [[1] for _ in strides]
    if len(cshape) > MAX_DIMS:
        # Split the outermost dimension on the host: each slice has one dimension fewer.
        lead = _leading_dim_index(out.shape, out.stride())
        for i in range(out.shape[lead]):
            pointwise(op, out.narrow(lead, i, 1),
                      *[_narrow_broadcast(t, lead, i, len(shape)) for t in operands],
                      compute=compute_torch)
        return out
    ndim = len(cshape)
    contiguous = _contiguous_strides(cshape)
    pad = MAX_DIMS - ndim
    cshape4 = [1] * pad + cshape
    kinds, ptrs, vals, stride_args = [], [], [], []
    it = iter(cstrides[1:])
    for x in operands:
        if isinstance(x, torch.Tensor):
            st = next(it)
            kinds.append(FLAT if st == contiguous else STRIDED)
            ptrs.append(x)
            vals.append(0)
            stride_args.append([0] * pad + st)
        else:
            kinds.append(SCALAR)
            ptrs.append(None)
            vals.append(x)
            stride_args.append([0] * MAX_DIMS)
    while len(kinds) < 3:
        kinds.append(SCALAR)
        ptrs.append(None)
        vals.append(0)
        stride_args.append([0] * MAX_DIMS)
    out_kind = FLAT if cstrides[0] == contiguous else STRIDED
    block, warps = launcher.elementwise_config(n)
    args = (out, *ptrs, *vals, n, *cshape4[1:], *([0] * pad + cstrides[0]),
            *stride_args[0], *stride_args[1], *stride_args[2])
    constexprs = dict(OP=op_id, NDIM=ndim, OUT_KIND=out_kind, A_KIND=kinds[0], B_KIND=kinds[1],
                      C_KIND=kinds[2], COMPUTE=compute, BLOCK=block)
    if _index32(n, block, ndim, out_kind, kinds):
        constexprs["IDX32"] = True  # (not passed otherwise: every argument costs the interpreter)
    launcher.launch(pointwise_kernel, launcher.grid_1d(n, block), args, constexprs, warps)
    return out


def _index32(n, block, ndim, out_kind, kinds):
    """Split element indices with 32-bit division (GPU policy, strided multi-dim launches whose
    indices fit in int32). The interpreter keeps int64: its int32 arithmetic is the slower one."""
    return (launcher.POLICY != "interpreter" and ndim > 1 and n + block < 2**31
            and STRIDED in (out_kind, *kinds))


def _leading_dim_index(shape, stride):
    # the non-trivial dim with the largest stride in the output
    cands = [d for d in range(len(shape)) if shape[d] > 1]
    return max(cands, key=lambda d: stride[d])


def _narrow_broadcast(x, dim, i, ndim):
    if not isinstance(x, torch.Tensor):
        return x
    d = dim - (ndim - x.dim())
    if d < 0 or x.shape[d] == 1:
        return x
    return x.narrow(d, i, 1)
