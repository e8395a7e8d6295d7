"""Every pointwise op, forward and backward: one op table (``_apply``) under two kernels,
``flat_kernel`` (output and tensor operands contiguous) and ``pointwise_kernel`` (strided).

The op is a constexpr name (``OP="add"``); the compiler keeps only that branch, the interpreter
evaluates a few string comparisons. Each of up to three operands is either a flat contiguous
tensor, a strided tensor (broadcast dimensions have stride 0), one element broadcast everywhere
(a 0-d or all-size-1 tensor: loaded once) or a Python scalar. The host
broadcasts, drops size-1 dimensions and merges dimensions that are contiguous for every operand, so
most launches are 1-D; at most ``MAX_DIMS`` dimensions reach the kernel (more are split on the
host). Values are computed in ``COMPUTE`` (fp32 for fp32/fp16/bf16, fp64, int64 for integers, int1
for bool logic) and cast to the output's element type by the store.

Under Triton's interpreter every executed ``tl`` op costs ~50-100 µs whatever the block size, so
the common case executes as few as possible: one program (``ONE_PROGRAM``: no program-id
arithmetic), no mask when the block is exactly the problem (``EVEN``), no cast when a loaded value
already has the compute type, and flat launches (``n``, pointers, scalars) pass no stride
arguments at all (``flat_kernel``). A flat 3-element ``a + b`` executes 9 ``tl`` ops (16 before).
"""
import torch
import triton
import triton.language as tl

from . import launcher

MAX_DIMS = 4

# name -> (constexpr selector, number of operands). The kernel implements each by name.
OPS = {name: (name, arity) for name, arity in [
    ("copy", 1), ("neg", 1), ("abs", 1), ("exp", 1), ("log", 1), ("sqrt", 1), ("rsqrt", 1),
    ("sin", 1), ("cos", 1), ("tanh", 1), ("sigmoid", 1), ("relu", 1), ("logical_not", 1),
    ("sign", 1), ("reciprocal", 1), ("isnan", 1), ("log1p", 1), ("expm1", 1),
    ("add", 2), ("sub", 2), ("mul", 2), ("div", 2), ("floor_divide", 2), ("remainder", 2),
    ("pow", 2), ("powi", 2), ("maximum", 2), ("minimum", 2),
    ("eq", 2), ("ne", 2), ("lt", 2), ("le", 2), ("gt", 2), ("ge", 2),
    ("logical_and", 2), ("logical_or", 2), ("logical_xor", 2),
    ("relu_backward", 2), ("sigmoid_backward", 2), ("tanh_backward", 2),
    ("where", 3), ("clamp", 3), ("add_scaled", 3), ("leaky_relu", 2), ("leaky_relu_backward", 3),
    ("powi_backward", 3), ("floor", 1),
]}

COMPUTE_TYPES = {
    torch.float32: tl.float32, torch.float16: tl.float32, torch.bfloat16: tl.float32,
    torch.float64: tl.float64,
    torch.int64: tl.int64, torch.int32: tl.int64, torch.int16: tl.int64, torch.int8: tl.int64,
    torch.uint8: tl.int64, torch.bool: tl.int1,
}

# operand kinds (constexpr selectors)
FLAT = tl.constexpr(0)
STRIDED = tl.constexpr(1)
SCALAR = tl.constexpr(2)
BROADCAST = tl.constexpr(3)  # one element broadcast to every position (a 0-d or all-size-1 tensor)


@triton.jit
def _apply(a, b, c, OP: tl.constexpr, COMPUTE: tl.constexpr):
    """The op table: ``OP`` applied to loaded (or scalar) operands in the compute type."""
    if OP == "copy":  # also every cast
        r = a
    elif OP == "add":
        r = a + b
    elif OP == "sub":
        r = a - b
    elif OP == "mul":
        r = a * b
    elif OP == "div":
        r = a / b
    elif OP == "neg":
        r = -a
    elif OP == "abs":
        r = tl.where(a < 0, -a, a)
    elif OP == "exp":
        r = tl.exp(a)
    elif OP == "log":
        r = tl.log(a)
    elif OP == "sqrt":
        r = tl.sqrt(a)
    elif OP == "rsqrt":
        r = 1.0 / tl.sqrt(a)
    elif OP == "sin":
        r = tl.sin(a)
    elif OP == "cos":
        r = tl.cos(a)
    elif OP == "tanh":  # odd series near 0 (no cancellation), 1 - 2/(e^2|x| + 1) elsewhere
        ax = tl.where(a < 0, -a, a)
        x2 = a * a
        series = a * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0))))
        big = 1.0 - 2.0 / (tl.exp(2.0 * ax) + 1.0)
        r = tl.where(ax < 0.0625, series, tl.where(a < 0, -big, big))
    elif OP == "sigmoid":  # stable on both sides
        e = tl.exp(tl.where(a < 0, a, -a))
        r = tl.where(a < 0, e / (1.0 + e), 1.0 / (1.0 + e))
    elif OP == "relu":  # NaN stays NaN as in torch
        r = tl.where(a < 0, 0, a)
    elif OP == "logical_not":
        r = a == 0
    elif OP == "sign":
        r = tl.where(a > 0, 1, tl.where(a < 0, -1, 0)).to(COMPUTE)  # NaN -> 0, as torch
    elif OP == "reciprocal":
        r = 1.0 / a
    elif OP == "floor":  # floor/ceil/round (inf stays inf, unlike floor_divide(inf, 1) = NaN)
        r = tl.floor(a)
    elif OP == "isnan":
        r = a != a
    elif OP == "log1p":  # Kahan: log(u) * x / (u - 1), u = 1 + x (no libdevice log1p)
        u = 1.0 + a
        d = u - 1.0
        r = tl.log(u) * (a / tl.where(d == 0, 1.0, d))
        r = tl.where(d == 0, a, r)  # u rounded to 1: log1p(x) = x to working precision
        r = tl.where(u == float("inf"), u, r)
    elif OP == "expm1":  # Kahan: (u - 1) * x / log(u), u = exp(x)
        u = tl.exp(a)
        d = u - 1.0
        lu = tl.log(u)
        r = d * (a / tl.where(lu == 0, 1.0, lu))
        r = tl.where(d == 0, a, r)
        r = tl.where(d == -1.0, -1.0, r)
        r = tl.where(u == float("inf"), u, r)
    elif OP == "floor_divide":  # torch semantics: C truncation corrected
        if COMPUTE == tl.int64:
            q = a // b
            r = tl.where(((a % b) != 0) & ((a < 0) != (b < 0)), q - 1, q)
        else:  # torch's div_floor_floating: from fmod (``%`` on floats), so 1 // 0.1 == 9
            m = a % b
            q = (a - m) / b
            q = tl.where((m != 0) & ((b < 0) != (m < 0)), q - 1.0, q)
            f = tl.floor(q)
            f = tl.where(q - f > 0.5, f + 1.0, f)
            r = tl.where(q != 0, f, (a / b) * 0.0)  # a zero quotient keeps the sign of a / b
            r = tl.where(b == 0, a / b, r)
    elif OP == "remainder":  # with the sign of the divisor
        m = a % b
        r = tl.where((m != 0) & ((m < 0) != (b < 0)), m + b, m)
    elif OP == "pow":  # real exponent; exact signs for integral exponents
        if COMPUTE == tl.int64:
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
            aa = tl.abs(a)  # +0.0 for -0.0 (its sign is put back below)
            b_int = tl.floor(b) == b
            # |a| ** b in float64 (a float32 result then rounds once, as powf); integral
            # exponents up to 64 by repeated squaring, exact where the power is representable
            # (2.5 ** 3 == 15.625, 2.5 ** -1 == 0.4), others as exp(b log |a|)
            aw = aa.to(tl.float64)
            bw = b.to(tl.float64)
            small = b_int & (bw <= 64.0) & (bw >= -64.0)
            e = tl.where(small, tl.where(bw < 0, -bw, bw), 0.0).to(tl.int32)
            q = tl.zeros_like(aw) + 1.0
            sq = aw
            for _ in range(7):
                q = tl.where((e & 1) != 0, q * sq, q)
                sq = sq * sq
                e = e >> 1
            q = tl.where(bw < 0, 1.0 / q, q)
            p = tl.where(small, q, tl.exp(bw * tl.log(aw))).to(COMPUTE)
            half = b * 0.5
            odd = b_int & (tl.floor(half) != half)
            # a negative base (-0.0 too: its odd powers keep the sign) takes the sign of an odd
            # power; a non-integral power of a finite negative base is NaN, of -inf |a| ** b
            sneg = (a < 0) | ((a == 0) & (1.0 / a < 0))
            p = tl.where(sneg, tl.where(b_int, tl.where(odd, -p, p),
                                        tl.where((a == 0) | (a == float("-inf")), p,
                                                 float("nan"))), p)
            # C's pow: x ** 0 == 1 ** y == 1 (NaN too), (-1) ** +-inf == 1
            r = tl.where((b == 0) | (a == 1) | ((a == -1) & (b * 0 != b * 0) & (b == b)), 1.0, p)
    elif OP == "powi":  # a small integer exponent b >= 1 (a scalar), by repeated products: exact
        r = a
        for _ in range(1, b):
            r = r * a
    elif OP == "powi_backward":  # (grad, x, e): grad * (e * x^(e-1)), an integer e >= 2 (a
        # scalar); x^(e-1) by repeated products, as powi (and torch for e - 1 <= 3)
        p = b
        for _ in range(2, c):
            p = p * b
        r = a * (c * p)
    elif OP == "maximum":  # maximum / minimum propagate NaN like torch
        r = tl.where((a != a) | (a > b), a, b)
    elif OP == "minimum":
        r = tl.where((a != a) | (a < b), a, b)
    elif OP == "eq":
        r = a == b
    elif OP == "ne":
        r = a != b
    elif OP == "lt":
        r = a < b
    elif OP == "le":
        r = a <= b
    elif OP == "gt":
        r = a > b
    elif OP == "ge":
        r = a >= b
    elif OP == "logical_and":
        r = (a != 0) & (b != 0)
    elif OP == "logical_or":
        r = (a != 0) | (b != 0)
    elif OP == "logical_xor":
        r = (a != 0) != (b != 0)
    elif OP == "relu_backward":  # (grad, x)
        r = tl.where(b > 0, a, 0)
    elif OP == "sigmoid_backward":  # (grad, y)
        r = a * b * (1.0 - b)
    elif OP == "tanh_backward":  # (grad, y)
        r = a * (1.0 - b * b)
    elif OP == "where":  # (cond, x, y)
        r = tl.where(a != 0, b, c)
    elif OP == "clamp":  # (x, lo, hi); NaN stays NaN, a NaN bound makes NaN (as torch)
        r = tl.where(a != a, a, tl.where(a >= b, a, b))
        r = tl.where(r != r, r, tl.where(r <= c, r, c))
    elif OP == "add_scaled":  # a + b * c   (add with alpha, axpy)
        r = a + b * c
    elif OP == "leaky_relu":  # (x, slope)
        r = tl.where(a < 0, a * b, a)
    elif OP == "leaky_relu_backward":  # (grad, x, slope)
        r = tl.where(b > 0, a, a * c)
    else:
        tl.static_assert(False, "unknown elementwise OP")
    return r


@triton.jit
def _offsets(BLOCK: tl.constexpr, ONE_PROGRAM: tl.constexpr):
    """This program's element indices."""
    if ONE_PROGRAM:
        offs = tl.arange(0, BLOCK)  # < BLOCK: int32 is exact, and the interpreter's fastest
    else:
        offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    return offs


@triton.jit
def _load(ptr, offs, mask, KIND: tl.constexpr, COMPUTE: tl.constexpr, BLOCK: tl.constexpr):
    """A tensor operand in the compute type: loaded at ``offs`` (FLAT; STRIDED: the caller
    passes the strided offsets) or loaded once (BROADCAST)."""
    if KIND == BROADCAST:
        x = tl.load(ptr)
        if BLOCK > 1:
            # as a block: the interpreter's bool ops fail on a scalar mixed with a block
            x = tl.broadcast_to(x, (BLOCK,))
    else:
        x = tl.load(ptr + offs, mask=mask)
    if x.dtype != COMPUTE:
        x = x.to(COMPUTE)
    return x


@triton.jit
def _strided_offset(i0, i1, i2, i3, t0, t1, t2, t3, NDIM: tl.constexpr):
    """Storage offset of the element at multi-index (i0, i1, i2, i3) for strides (t0..t3): the
    dims are right-aligned, only the last NDIM are used."""
    off = i3 * t3
    if NDIM >= 2:
        off += i2 * t2
    if NDIM >= 3:
        off += i1 * t1
    if NDIM >= 4:
        off += i0 * t0
    return off


@triton.jit
def flat_kernel(out_ptr, a_ptr, b_ptr, c_ptr, a_val, b_val, c_val, n,
                OP: tl.constexpr, A_KIND: tl.constexpr, B_KIND: tl.constexpr,
                C_KIND: tl.constexpr, COMPUTE: tl.constexpr, BLOCK: tl.constexpr,
                ONE_PROGRAM: tl.constexpr = False, EVEN: tl.constexpr = False):
    """``pointwise_kernel`` when the output and every tensor operand are contiguous (FLAT): no
    index arithmetic and no stride arguments (each argument costs the interpreter). With one
    element (BLOCK == 1, the host makes every tensor operand BROADCAST) not even an index."""
    if BLOCK == 1:
        offs = 0
        mask = None
    else:
        offs = _offsets(BLOCK, ONE_PROGRAM)
        if EVEN:  # the blocks tile the problem exactly
            mask = None
        else:
            mask = offs < n
    if A_KIND == SCALAR:
        a = a_val
    else:
        a = _load(a_ptr, offs, mask, A_KIND, COMPUTE, BLOCK)
    if B_KIND == SCALAR:
        b = b_val
    else:
        b = _load(b_ptr, offs, mask, B_KIND, COMPUTE, BLOCK)
    if C_KIND == SCALAR:
        c = c_val
    else:
        c = _load(c_ptr, offs, mask, C_KIND, COMPUTE, BLOCK)
    r = _apply(a, b, c, OP, COMPUTE)
    if out_ptr.dtype.element_ty == tl.bfloat16:
        # a bf16 store takes fp32: the interpreter converts only fp32 <-> bf16 and reinterprets
        # the bits of anything else (inline: a @triton.jit helper call costs the interpreter)
        r = r.to(tl.float32)
    if BLOCK == 1:
        tl.store(out_ptr, r)
    else:
        tl.store(out_ptr + offs, r, mask=mask)


@triton.jit
def pointwise_kernel(out_ptr, a_ptr, b_ptr, c_ptr, a_val, b_val, c_val, n,
                     s1, s2, s3,
                     o0, o1, o2, o3, a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3,
                     OP: tl.constexpr, NDIM: tl.constexpr, OUT_KIND: tl.constexpr,
                     A_KIND: tl.constexpr, B_KIND: tl.constexpr, C_KIND: tl.constexpr,
                     COMPUTE: tl.constexpr, BLOCK: tl.constexpr, IDX32: tl.constexpr = False,
                     ONE_PROGRAM: tl.constexpr = False, EVEN: tl.constexpr = False):
    offs = _offsets(BLOCK, ONE_PROGRAM)
    if EVEN:  # the blocks tile the problem exactly
        mask = None
    else:
        mask = offs < n
    # Multi-index of each element (dims are right-aligned in 4 slots); some operand is strided.
    if NDIM == 1:
        i3 = offs.to(tl.int64)
        i2 = i3
        i1 = i3
        i0 = i3
    elif IDX32:
        # GPU launches whose indices fit in int32 split them with 32-bit division: 64-bit
        # `//` and `%` are a called subroutine on NVIDIA GPUs and registers spill around it.
        lin = offs.to(tl.int32)
        i3 = (lin % s3).to(tl.int64)
        rest32 = lin // s3
        if NDIM == 2:
            i2 = rest32.to(tl.int64)
            i1 = i2
            i0 = i2
        else:
            i2 = (rest32 % s2).to(tl.int64)
            rest32 = rest32 // s2
            if NDIM == 3:
                i1 = rest32.to(tl.int64)
                i0 = i1
            else:
                i1 = (rest32 % s1).to(tl.int64)
                i0 = (rest32 // s1).to(tl.int64)
    else:
        lin = offs.to(tl.int64)
        i3 = lin % s3
        rest = lin // s3
        if NDIM == 2:
            i2 = rest
            i1 = rest
            i0 = rest
        else:
            i2 = rest % s2
            rest = rest // s2
            if NDIM == 3:
                i1 = rest
                i0 = rest
            else:
                i1 = rest % s1
                i0 = rest // s1

    if A_KIND == SCALAR:
        a = a_val
    elif A_KIND == STRIDED:
        a = _load(a_ptr, _strided_offset(i0, i1, i2, i3, a0, a1, a2, a3, NDIM), mask,
                  A_KIND, COMPUTE, BLOCK)
    else:
        a = _load(a_ptr, offs, mask, A_KIND, COMPUTE, BLOCK)
    if B_KIND == SCALAR:
        b = b_val
    elif B_KIND == STRIDED:
        b = _load(b_ptr, _strided_offset(i0, i1, i2, i3, b0, b1, b2, b3, NDIM), mask,
                  B_KIND, COMPUTE, BLOCK)
    else:
        b = _load(b_ptr, offs, mask, B_KIND, COMPUTE, BLOCK)
    if C_KIND == SCALAR:
        c = c_val
    elif C_KIND == STRIDED:
        c = _load(c_ptr, _strided_offset(i0, i1, i2, i3, c0, c1, c2, c3, NDIM), mask,
                  C_KIND, COMPUTE, BLOCK)
    else:
        c = _load(c_ptr, offs, mask, C_KIND, COMPUTE, BLOCK)
    r = _apply(a, b, c, OP, COMPUTE)
    if out_ptr.dtype.element_ty == tl.bfloat16:
        # a bf16 store takes fp32: the interpreter converts only fp32 <-> bf16 and reinterprets
        # the bits of anything else (inline: a @triton.jit helper call costs the interpreter)
        r = r.to(tl.float32)
    if OUT_KIND == FLAT:
        tl.store(out_ptr + offs, r, mask=mask)
    else:
        tl.store(out_ptr + _strided_offset(i0, i1, i2, i3, o0, o1, o2, o3, NDIM), r, mask=mask)


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
    key = (op, compute, out.dtype, out.shape, out.stride(),
           *[(x.shape, x.stride()) if isinstance(x, torch.Tensor) else None for x in operands])
    plan = _plans.get(key)
    if plan is None:
        plan = _plan(op, out, operands, compute)
        if len(_plans) >= _MAX_PLANS:
            _plans.clear()
        _plans[key] = plan
    if plan is _NOTHING:
        return out
    if plan is _SPLIT:
        _split(op, out, operands, compute)
        return out
    kernel, grid, warps, n, tail, constexprs = plan
    ptrs, vals = [None, None, None], [None, None, None]
    for i, x in enumerate(operands):
        if isinstance(x, torch.Tensor):
            ptrs[i] = x
        else:
            vals[i] = x
    launcher.launch(kernel, grid, (out, *ptrs, *vals, n, *tail), constexprs, warps)
    return out


# Launch plans by (op, compute, out dtype/shape/strides, operand shapes/strides): everything but
# the pointers and scalar values is decided once per signature.
_plans = {}
_MAX_PLANS = 4096
_NOTHING, _SPLIT = object(), object()


def _plan(op, out, operands, compute):
    """(kernel, grid, num_warps, n, trailing args, constexprs) for one launch signature."""
    selector, arity = OPS[op]
    assert len(operands) == arity, (op, len(operands))
    n = out.numel()
    if n == 0:
        return _NOTHING
    compute = COMPUTE_TYPES[compute or out.dtype]
    shape = list(out.shape)
    tensors = [t for t in operands if isinstance(t, torch.Tensor)]
    strides = [list(out.stride())] + [broadcast_strides(t, shape) for t in tensors]
    cshape, cstrides = _coalesce(shape, strides)
    if not cshape:
        cshape, cstrides = [1], [[1] for _ in strides]
    if len(cshape) > MAX_DIMS:
        return _SPLIT
    ndim = len(cshape)
    contiguous = _contiguous_strides(cshape)
    pad = MAX_DIMS - ndim
    block, warps = launcher.elementwise_config(n)
    grid = launcher.grid_1d(n, block)
    kinds, operand_strides = [], []
    it = iter(cstrides[1:])
    for x in operands:
        if isinstance(x, torch.Tensor):
            st = next(it)
            if not any(st) or n == 1 and block == 1:
                kind = BROADCAST.value  # one element (the scalar-load path for a 1-element launch)
            elif st == contiguous:
                kind = FLAT.value
            else:
                kind = STRIDED.value
            kinds.append(kind)
            # strides are only read for strided operands, and only the last NDIM of them
            operand_strides += [None] * pad + st if kind == STRIDED.value else [None] * MAX_DIMS
        else:
            kinds.append(SCALAR.value)
            operand_strides += [None] * MAX_DIMS
    while len(kinds) < 3:
        kinds.append(SCALAR.value)
        operand_strides += [None] * MAX_DIMS
    out_kind = FLAT.value if cstrides[0] == contiguous else STRIDED.value
    constexprs = dict(OP=selector, A_KIND=kinds[0], B_KIND=kinds[1], C_KIND=kinds[2],
                      COMPUTE=compute, BLOCK=block)
    # (flags are only passed when set: every argument costs the interpreter)
    if grid[0] == 1:
        constexprs["ONE_PROGRAM"] = True
    if n % block == 0:
        constexprs["EVEN"] = True
    if out_kind == FLAT.value and STRIDED.value not in kinds:
        return flat_kernel, grid, warps, n, (), constexprs
    constexprs.update(NDIM=ndim, OUT_KIND=out_kind)
    if _index32(n, block, ndim, out_kind, kinds):
        constexprs["IDX32"] = True
    sizes = [None] * (MAX_DIMS - 1)  # s1, s2, s3: sizes of the last three dims (s3 innermost)
    for d in range(1, ndim):
        sizes[MAX_DIMS - 1 - ndim + d] = cshape[d]
    out_strides = [None] * pad + cstrides[0] if out_kind == STRIDED.value else [None] * MAX_DIMS
    return pointwise_kernel, grid, warps, n, (*sizes, *out_strides, *operand_strides), constexprs


def _split(op, out, operands, compute):
    """More than MAX_DIMS dimensions after coalescing: split the outermost dimension on the host
    (each slice has one dimension fewer)."""
    ndim = out.dim()
    lead = _leading_dim_index(out.shape, out.stride())
    for i in range(out.shape[lead]):
        pointwise(op, out.narrow(lead, i, 1),
                  *[_narrow_broadcast(t, lead, i, ndim) for t in operands], compute=compute)


def _index32(n, block, ndim, out_kind, kinds):
    """Split element indices with 32-bit division (GPU policy, strided multi-dim launches whose
    indices fit in int32). The interpreter keeps int64: its int32 arithmetic is the slower one."""
    return (launcher.POLICY != "interpreter" and ndim > 1 and n + block < 2**31
            and STRIDED.value in (out_kind, *kinds))


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


__all__ = ["MAX_DIMS", "OPS", "COMPUTE_TYPES", "FLAT", "STRIDED", "SCALAR", "BROADCAST",
           "flat_kernel", "pointwise_kernel", "broadcast_strides", "pointwise"]
