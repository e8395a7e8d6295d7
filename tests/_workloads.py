"""Workloads shared by the audits (tests/test_gpu_compile.py, tests/test_no_torch_math.py).

* :func:`model_workload` drives minitorch the way a user does (creation, pointwise, broadcasting,
  reductions, matmul, softmax, indexing, cat/stack, autograd incl. double backward, and an
  nn.Linear + loss + optimizer step when ``minitorch.nn``/``minitorch.optim`` provide them).
* :func:`ops_sweep` calls the ops layer (``minitorch/ops``) directly so that every kernel and every
  op variant is launched at least once: every elementwise OP id, every operand kind in every
  operand slot for NDIM 1-4, the compute types, every reduction (with indices), matmul fp32/fp64
  with and without bias/relu, softmax fwd/bwd log and not, gather/scatter modes, compaction,
  every random kind, ranges. Sizes are small: under the ``gpu`` launch policy the interpreter runs
  GPU-sized tiles.
"""
import torch

import minitorch
from minitorch.functions import conv as conv_functions


def _opt(name):
    """An optional attribute path of minitorch (``"nn.Linear"``), or None."""
    obj = minitorch
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:
                import importlib
                obj = importlib.import_module(f"{obj.__name__}.{part}")
            except Exception:  # noqa: BLE001
                return None
    return obj


def model_workload(log=print):
    mt = minitorch
    mt.manual_seed(0)
    # creation
    a = mt.rand(5, 7)
    b = mt.randn(5, 7)
    r = mt.arange(10)
    rf = mt.arange(0.0, 2.0, 0.25)
    e = mt.eye(4)
    z = mt.zeros(3, 4) + mt.ones(3, 4) + mt.full((3, 4), 2.5)
    ri = mt.randint(0, 10, (6,))
    ls = mt.linspace(0, 1, 5)
    t = mt.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
    # elementwise + broadcasting
    c = (a * b + 2.0 - a / (b.abs() + 1.0)).exp().log().sqrt().sigmoid().tanh().relu()
    c = c + mt.randn(7) * mt.rand(5, 1)
    c = mt.where(c > 0.5, c, -c).clamp(-1.0, 1.0)
    c = c.pow(2) + c ** 1.5 * 0.0 + mt.maximum(a, b) - mt.minimum(a, b)
    cmp = (a < b) & (a >= 0.1) | ~(b != b)
    ints = (r // 3 + r % 4 - r * 2)
    # reductions
    s = c.sum() + c.mean(dim=0).sum() + c.amax(dim=1).sum() + c.prod(dim=1).sum()
    s = s + c.var(dim=1).sum() + c.std() + c.norm()
    mx, arg = c.max(dim=1)
    mn = c.min()
    am = c.argmax(dim=0)
    anyall = cmp.any() | cmp.all()
    # matmul
    m = a @ b.t()
    bm = mt.bmm(mt.randn(2, 3, 4), mt.randn(2, 4, 5))
    md = mt.randn(4, 6, dtype=mt.float64) @ mt.randn(6, 3, dtype=mt.float64)
    # softmax
    sm = mt.softmax(m, dim=1)
    lsm = mt.log_softmax(m, dim=0)
    # indexing, cat/stack
    x = mt.randn(6, 5)
    g = x[1:4, ::2] + x[mt.tensor([0, 2, 5])][:, :3]
    sel = x[x > 0]
    gat = mt.gather(x, 1, mt.tensor([[0, 1], [2, 3], [4, 0], [1, 1], [0, 0], [3, 2]]))
    isel = mt.index_select(x, 0, mt.tensor([1, 3]))
    x2 = x.clone()
    x2[0] = 1.0
    x2[:, 1] = mt.arange(6, dtype=mt.float32)
    x2[x2 < -1.0] = 0.0
    nz = mt.nonzero(x > 0.5)
    cs = mt.cat([a, b], dim=0).sum() + mt.stack([a, b], dim=1).sum()
    parts = mt.split(x, 2, dim=0)
    perm = x.t().contiguous().reshape(5, 6).permute(1, 0).unsqueeze(0).squeeze(0)
    cast = x.double().float().long().float() + x.half().float()
    # autograd incl. double backward
    w = mt.randn(5, 3, requires_grad=True)
    inp = mt.randn(4, 5, requires_grad=True)
    out = mt.log_softmax((inp @ w).tanh(), dim=1)
    loss = -out.gather(1, mt.tensor([[0], [1], [2], [0]])).mean() + (inp * inp).sum() * 0.01
    (gw, gi) = mt.autograd.grad(loss, (w, inp), create_graph=True)
    (gw.pow(2).sum() + gi.sigmoid().sum()).backward()
    y = (inp[:, :2].exp() * mt.softmax(inp, 1)[:, 1:3]).sum()
    y.backward()
    v = mt.randn(3, requires_grad=True)
    (v.max() + v.norm() + v.var() + v.prod() + mt.stack([v, v]).sum() + mt.cat([v, v]).mean()
     ).backward()
    results = [a, b, r, rf, e, z, ri, ls, t, c, cmp, ints, s, mx, arg, mn, am, anyall, m, bm, md,
               sm, lsm, g, sel, gat, isel, x2, nz, cs, parts, perm, cast, w.grad, inp.grad, v.grad]
    # nn / optim, when they exist
    Linear, CE, SGD, Adam = (_opt("nn.Linear"), _opt("nn.functional.cross_entropy"),
                             _opt("optim.SGD"), _opt("optim.Adam"))
    mse = _opt("nn.functional.mse_loss")
    if Linear is not None and SGD is not None:
        lin = Linear(5, 3)
        opts = [SGD(lin.parameters(), lr=0.1, momentum=0.9)]
        if Adam is not None:
            opts.append(Adam(lin.parameters(), lr=1e-3))
        for opt in opts:
            for _ in range(2):
                opt.zero_grad()
                o = lin(mt.randn(4, 5))
                tgt = mt.tensor([0, 2, 1, 1])
                if CE is not None:
                    lo = CE(o, tgt)
                elif mse is not None:
                    lo = mse(o, mt.randn(4, 3))
                else:
                    lo = (o * o).mean()
                lo.backward()
                opt.step()
        results.append(lin.weight)
        log("model_workload: nn.Linear + loss + optimizer step ran "
            f"({', '.join(type(o).__name__ for o in opts)})")
    else:
        log("model_workload: minitorch.nn.Linear / minitorch.optim.SGD not available — skipped")
    results += _norm_model_step(log)
    loss = conv_model_step(log)
    if loss is not None:
        results.append(loss)
    return results


def ops_sweep(log=print):
    """Launch every kernel and op variant of minitorch/ops directly (storage-level torch
    tensors are only allocated, never computed on by torch)."""
    from minitorch.ops import creation, elementwise, index, matmul, reduce, softmax

    def empty(*shape, dtype=torch.float32):
        return torch.empty(shape, dtype=dtype)

    def filled(*shape, dtype=torch.float32, kind=creation.NORMAL):
        out = empty(*shape, dtype=dtype)
        if dtype.is_floating_point:
            creation.random_(out, kind, 0.0, 1.0)
        else:
            creation.random_(out, creation.RANDINT, 1, 7)
        return out

    n = 37
    fa, fb, fc = filled(n), filled(n), filled(n)
    # every OP id, flat operands, fp32 (powi takes an int exponent, the rest tensors)
    for name, (op_id, arity) in elementwise.OPS.items():
        out = empty(n, dtype=torch.bool if name in (
            "logical_not", "isnan", "eq", "ne", "lt", "le", "gt", "ge", "logical_and",
            "logical_or", "logical_xor") else torch.float32)
        operands = [fa, fb, fc][:arity]
        if name == "powi":
            operands = [fa, 3]
        if name == "powi_backward":  # (grad, x, an int exponent)
            operands = [fa, fb, 3]
        elementwise.pointwise(name, out, *operands, compute=torch.float32)
    # every operand kind in every slot, NDIM 1..4 (broadcasting makes the strided ones)
    shapes = {1: (n,), 2: (3, 5), 3: (2, 3, 5), 4: (2, 3, 2, 5)}
    for ndim, shape in shapes.items():
        full_ = filled(*shape)
        # strided: a transposed (ndim 1: step-2 slice) view of a bigger tensor
        big = filled(*[s * 2 for s in shape])
        strided = big[tuple(slice(None, None, 2) for _ in shape)]
        outs = empty(*[s * 2 for s in shape])[tuple(slice(None, None, 2) for _ in shape)]
        cond = empty(*shape, dtype=torch.bool)
        elementwise.pointwise("gt", cond, full_, 0.0, compute=torch.float32)
        combos = [(strided, full_, 1.5, empty(*shape)),   # A strided, B flat, C scalar
                  (cond, 0.5, strided, outs),  # A flat, B scalar, C strided, out strided
                  (0.25, strided, full_, empty(*shape))]    # A scalar, B strided, C flat
        for a_, b_, c_, o_ in combos:
            elementwise.pointwise("add_scaled", o_, a_, b_, c_, compute=torch.float32)
        if ndim > 1:  # broadcast operand (stride 0) with a flat one
            elementwise.pointwise("add", empty(*shape), full_, filled(*shape[1:]),
                                  compute=torch.float32)
    # compute types and casts: fp64, int64, bool, fp16/bf16 storage
    d64 = filled(n, dtype=torch.float64)
    for name in ("add", "div", "pow", "maximum", "tanh", "exp"):
        arity = elementwise.OPS[name][1]
        elementwise.pointwise(name, empty(n, dtype=torch.float64), *[d64] * arity)
    i64 = filled(n, dtype=torch.int64)
    for name in ("add", "mul", "floor_divide", "remainder", "pow", "maximum", "abs", "neg",
                 "sign"):
        arity = elementwise.OPS[name][1]
        elementwise.pointwise(name, empty(n, dtype=torch.int64), *[i64] * arity)
    elementwise.pointwise("powi", empty(n, dtype=torch.int64), i64, 2)
    elementwise.pointwise("eq", empty(n, dtype=torch.bool), i64, 3)
    bl = empty(n, dtype=torch.bool)
    elementwise.pointwise("gt", bl, fa, 0.0, compute=torch.float32)
    for name in ("logical_and", "logical_or", "logical_xor", "logical_not", "copy"):
        arity = elementwise.OPS[name][1]
        elementwise.pointwise(name, empty(n, dtype=torch.bool), *[bl] * arity)
    for dt in (torch.float16, torch.bfloat16):
        h = empty(n, dtype=dt)
        elementwise.pointwise("copy", h, fa)
        elementwise.pointwise("mul", empty(n, dtype=dt), h, h)
        elementwise.pointwise("copy", empty(n), h)
    elementwise.pointwise("copy", empty(n, dtype=torch.int32), i64)
    elementwise.pointwise("copy", empty(n), i64, compute=torch.float32)
    elementwise.pointwise("copy", empty(n, dtype=torch.float64), fa)
    elementwise.pointwise("copy", empty(2000), 0.0)  # more than one program
    elementwise.pointwise("add", empty(2048), filled(2048), 1.0)  # blocks tile it exactly: no mask
    # one-element operands broadcast everywhere (BROADCAST kind): flat and strided kernels,
    # and a bool op mixing them with blocks
    one = filled(1)
    elementwise.pointwise("maximum", empty(n), one, fa, compute=torch.float32)
    elementwise.pointwise("clamp", empty(5, 3), filled(3, 5).t(), one, filled(1, 1),
                 compute=torch.float32)
    # reductions: every OP, with indices, int/bool, small and long rows (N >= 1024 config)
    x = filled(6, 37)
    for name in reduce.REDUCTIONS:
        reduce.reduce(name, x, (1,))
        reduce.reduce(name, x, (0,))
    reduce.reduce("max", x, (1,), with_indices=True)
    reduce.reduce("min", x, (0,), with_indices=True)
    reduce.reduce("sum", x, (1,), scale=1.0 / 37)
    reduce.reduce("var", x, (1,), correction=1.0)
    long_row = filled(2, 1500)
    for name in reduce.REDUCTIONS:
        reduce.reduce(name, long_row, (1,))
    reduce.reduce("max", long_row, (1,), with_indices=True)
    reduce.reduce("sum", filled(2, 3, 4), (0, 2))  # non-coalescing dims: copy first
    reduce.reduce("sum", d64, (0,))
    reduce.reduce("max", i64, (0,), with_indices=True)
    reduce.reduce("sum", i64, (0,))
    reduce.reduce("min", bl, (0,), out_dtype=torch.bool, compute=torch.bool)
    reduce.reduce("sum", filled(n, dtype=torch.float16), (0,), out_dtype=torch.float32,
                  compute=torch.float32)
    # one contiguous row (row_sum_kernel): sum, mean (scale), sum of products, a row longer
    # than one GPU block (the chunk loop), fp64, and the pow backward with a broadcast grad
    reduce.reduce("sum", filled(n), (0,))
    reduce.reduce("sum", filled(n), (0,), scale=1.0 / n)
    reduce.reduce("sum", filled(1500), (0,))
    reduce.sum_of_products(fa, fb, empty(1))
    reduce.sum_of_products(filled(1500), filled(1500), empty(1))
    reduce.sum_of_products(d64, d64, empty(1, dtype=torch.float64))
    elementwise.pointwise("powi_backward", empty(n, dtype=torch.float64),
                          filled(1, dtype=torch.float64).expand(n), d64, 2)
    # matmul: fp32 / fp64, with and without bias and relu, transposed and batched
    for dt in (torch.float32, torch.float64):
        A, B, bias = filled(3, 20, 24, dtype=dt), filled(3, 24, 17, dtype=dt), filled(17, dtype=dt)
        for bias_, act in ((None, None), (bias, None), (None, "relu"), (bias, "relu")):
            matmul.bmm(A, B, empty(3, 20, 17, dtype=dt), bias=bias_, activation=act)
        matmul.mm(filled(24, 20, dtype=dt).t(), filled(24, 17, dtype=dt))
        import inspect
        params = inspect.signature(matmul.mm).parameters
        if "relu_mask" in params and "rowsum" in params:  # the fused Linear's backward variants
            matmul.mm(filled(20, 24, dtype=dt), filled(24, 17, dtype=dt),
                      relu_mask=filled(20, 17, dtype=dt))
            matmul.mm(filled(24, 20, dtype=dt).t(), filled(24, 17, dtype=dt),
                      rowsum=empty(20, dtype=dt))
    # the shape flags (EVEN_M/N/K, ONE_TILE, ONE_K): shapes that are / are not multiples of the
    # GPU blocks (32, 64, 32), K within one block or looped (few: every one is compiled twice)
    for M, N, K in ((64, 128, 64), (64, 17, 40), (20, 128, 32), (20, 64, 40), (64, 17, 64)):
        matmul.mm(filled(M, K), filled(K, N), bias=filled(N), activation="relu")
    matmul.mm(filled(64, 128).t(), filled(64, 64), rowsum=empty(128))
    matmul.mm(filled(64, 64), filled(64, 128), relu_mask=filled(64, 128))
    if hasattr(matmul, "matmul_backend"):  # tf32 dot (allow_tf32) on GPUs
        previous, matmul.matmul_backend.allow_tf32 = matmul.matmul_backend.allow_tf32, True
        try:
            matmul.mm(filled(20, 24), filled(24, 17))
        finally:
            matmul.matmul_backend.allow_tf32 = previous
    # softmax fwd / bwd, log and not, short and long rows
    for N in (37, 5000):
        sx = filled(3, N)
        for log_ in (False, True):
            y = softmax.softmax(sx, 1, log_)
            softmax.softmax_backward(filled(3, N), y, 1, log_)
    softmax.softmax(filled(4, 6).t(), 0, False)
    softmax.softmax(filled(2, 5, dtype=torch.float64), 1, True)
    softmax.softmax_backward(filled(2, 5, dtype=torch.float64), filled(2, 5, dtype=torch.float64),
                             1, True)
    # gather / scatter-add / scatter store, compaction
    src = filled(5, 6)
    idx = empty(5, 4, dtype=torch.int64)
    creation.random_(idx, creation.RANDINT, 0, 6)
    index.gather(src, 1, idx)
    gsrc = filled(5, 4)
    index.scatter_add_(_zeros(5, 6), 1, idx, gsrc)
    index.scatter_store(_zeros(5, 6), 1, idx, gsrc)
    index.scatter_add_(_zeros(5, 6, dtype=torch.float64), 1, idx, filled(5, 4, dtype=torch.float64))
    index.gather(filled(5, 6, dtype=torch.int64), 1, idx)
    index.nonzero_flat(bl)
    index.nonzero_flat(_gt0(filled(3000)))
    # random: every kind, fp32 / fp64 / int64 / bool outputs; ranges int and float
    for kind, dt, lo, hi in ((creation.UNIFORM, torch.float32, 0.0, 1.0),
                             (creation.NORMAL, torch.float32, 0.0, 1.0),
                             (creation.UNIFORM, torch.float64, 0.0, 1.0),
                             (creation.RANDINT, torch.int64, 0, 10),
                             (creation.BERNOULLI, torch.float32, 0.5, 0.0),
                             (creation.BERNOULLI, torch.bool, 0.5, 0.0)):
        creation.random_(empty(n, dtype=dt), kind, lo, hi)
    creation.range_(empty(n, dtype=torch.int64), 0, 1)
    creation.range_(empty(n, dtype=torch.int64), 3, 2)
    creation.range_(empty(n), 0.0, 0.5)
    creation.range_(empty(n, dtype=torch.float64), 1.0, 0.25)
    _sweep_optional(n, filled, empty, log)
    _sweep_norm(log)
    _sweep_issue11(log)
    _sweep_bucket(log)
    _sweep_half_precision_updates(log)
    conv_sweep(log)
    log("ops_sweep: done")


def _sweep_optional(n, filled, empty, log):
    """Kernels of ops modules other engineers add (loss, optimizer, sort): each part runs when
    its module provides the entry point."""
    import importlib

    def mod(name):
        try:
            return importlib.import_module(f"minitorch.ops.{name}")
        except ImportError:
            log(f"ops_sweep: minitorch.ops.{name} not present")
            return None

    mt = minitorch
    # loss kernels through the public API (the ops-level signatures are still moving)
    F = _opt("nn.functional")
    if mod("loss") is not None and F is not None and hasattr(F, "cross_entropy"):
        for dt, M, C in ((mt.float32, 6, 10), (mt.float32, 300, 10),  # one / several programs
                         (mt.float64, 6, 10),                         # (GPU policy)
                         (mt.float32, 2, 5000)):  # a large vocabulary: classes walked in chunks
            x = mt.randn(M, C, dtype=dt, requires_grad=True)
            t = mt.randint(0, C, (M,))
            for red in ("none", "mean", "sum"):
                for smoothing in ((0.0, 0.1) if red == "mean" else (0.0,)):
                    out = F.cross_entropy(x, t, reduction=red, label_smoothing=smoothing)
                    out.sum().backward() if red == "none" else out.backward()
        # the fused classifier head: cross_entropy(linear(...)), with and without bias, after a
        # fused Linear+ReLU (its ReLU derivative applied in the head's backward), one program
        # and several (atomics)
        for dt, M in ((mt.float32, 6), (mt.float32, 300), (mt.float64, 6)):
            x = mt.randn(M, 20, dtype=dt, requires_grad=True)
            w1 = mt.randn(24, 20, dtype=dt, requires_grad=True)
            w2 = mt.randn(10, 24, dtype=dt, requires_grad=True)
            b2 = mt.randn(10, dtype=dt, requires_grad=True)
            t = mt.randint(0, 10, (M,))
            for red in ("none", "mean", "sum"):
                for bias in (b2, None):
                    h = F.relu(F.linear(x, w1))
                    out = F.cross_entropy(F.linear(h, w2, bias), t, reduction=red)
                    out.sum().backward() if red == "none" else out.backward()
        # the head's shape flags: M and K multiples of the blocks (32) or not, K in one block or
        # looped, one program or several
        # (targets made first: a launch between a Linear and its consumer computes the Linear)
        xf, tf = mt.randn(64, 20, requires_grad=True), mt.randint(0, 10, (64,))
        w1f, w2f = mt.randn(64, 20, requires_grad=True), mt.randn(10, 64, requires_grad=True)
        F.cross_entropy(F.linear(F.relu(F.linear(xf, w1f)), w2f, mt.randn(10)), tf).backward()
        # an input without gradient: the head's backward also gives layer 1's dW/db (PREV),
        # with M and K (the hidden width) multiples of the blocks and not
        for M, H in ((6, 24), (32, 32)):
            w1f, w2f = mt.randn(H, 20, requires_grad=True), mt.randn(10, H, requires_grad=True)
            xf, b1f, tf = mt.randn(M, 20), mt.randn(H), mt.randint(0, 10, (M,))
            F.cross_entropy(F.linear(F.relu(F.linear(xf, w1f, b1f)), w2f), tf).backward()
        for M, K, red in ((6, 40, "none"), (32, 32, "mean")):
            xf, w2f = mt.randn(M, K, requires_grad=True), mt.randn(10, K, requires_grad=True)
            b2f, tf = mt.randn(10), mt.randint(0, 10, (M,))
            out = F.cross_entropy(F.linear(xf, w2f, b2f), tf, reduction=red)
            out.sum().backward() if red == "none" else out.backward()
        from minitorch.ops import matmul as _mm
        previous, _mm.matmul_backend.allow_tf32 = _mm.matmul_backend.allow_tf32, True
        try:  # the head's dots in tf32
            F.cross_entropy(F.linear(x.float(), w2.float()[:, :20]), t).backward()
        finally:
            _mm.matmul_backend.allow_tf32 = previous
    # optimizer kernels through the public API: every flag on and off
    optim_ops = mod("optim")
    SGD, Adam, AdamW = _opt("optim.SGD"), _opt("optim.Adam"), _opt("optim.AdamW")

    def steps(opt, params):
        for _ in range(2):
            for p in params:
                p.grad = mt.randn(*p.shape)
            opt.step()

    if optim_ops is not None and SGD is not None:
        for kw in (dict(), dict(weight_decay=0.01, momentum=0.9),
                   dict(momentum=0.9, nesterov=True, maximize=True),
                   dict(weight_decay=0.01, momentum=0.9, dampening=0.1)):
            params = [mt.randn(n, requires_grad=True), mt.randn(3, 5, requires_grad=True)]
            steps(SGD(params, lr=0.1, **kw), params)
        # four parameters in one launch, blocks exactly their size (16, 8) or not, and one
        # longer than a GPU block (more than one program: the looped path)
        for sizes in ((16, 37, 8, 5), (16, 37, 8, 3000)):
            params = [mt.randn(s, requires_grad=True) for s in sizes]
            steps(SGD(params, lr=0.1, momentum=0.9), params)
    if optim_ops is not None and Adam is not None:
        variants = [(Adam, dict()), (Adam, dict(weight_decay=0.01)),
                    (Adam, dict(amsgrad=True, maximize=True))]
        if AdamW is not None:
            variants.append((AdamW, dict(weight_decay=0.01, amsgrad=True)))
        for cls, kw in variants:
            params = [mt.randn(n, requires_grad=True), mt.randn(3, 5, requires_grad=True)]
            steps(cls(params, lr=1e-3, **kw), params)
    sort = mod("sort")
    if sort is not None:
        x = mt.randn(300)
        for name in ("argsort", "sort"):
            if hasattr(mt, name):
                getattr(mt, name)(x)
        if hasattr(mt, "randperm"):
            mt.randperm(n)
            mt.randperm(300)
        if not any(hasattr(mt, name) for name in ("argsort", "sort", "randperm")) \
                and hasattr(sort, "argsort_"):
            sort.argsort_(filled(300), empty(300, dtype=torch.int64))


def _abs(x):
    from minitorch.ops import elementwise
    elementwise.pointwise("abs", x, x)
    return x


def _zeros(*shape, dtype=torch.float32):
    from minitorch.ops import elementwise
    out = torch.empty(shape, dtype=dtype)
    elementwise.pointwise("copy", out, 0.0)
    return out


def _gt0(x):
    from minitorch.ops import elementwise
    out = torch.empty(x.shape, dtype=torch.bool)
    elementwise.pointwise("gt", out, x, 0.0, compute=torch.float32)
    return out


# ---------------------------------------------------------------------------------------------
# normalization / dropout / pad / resize (ops/norm.py)
# ---------------------------------------------------------------------------------------------
def _norm_model_step(log):
    """A small conv-free training step through BatchNorm1d/2d, LayerNorm, GroupNorm, Dropout,
    pad and interpolate, then eval."""
    mt = minitorch
    nn = _opt("nn")
    if nn is None or not hasattr(nn, "BatchNorm2d"):
        log("model_workload: nn.BatchNorm2d not available — skipped")
        return []
    F = nn.functional
    mt.manual_seed(0)
    bn2, bn1 = nn.BatchNorm2d(3), nn.BatchNorm1d(12, momentum=None)
    ln, gn, drop = nn.LayerNorm(12), nn.GroupNorm(3, 12), nn.Dropout(0.25)
    lin = nn.Linear(12, 4)
    params = [p for m in (bn2, bn1, ln, gn, lin) for p in m.parameters()]
    opt = _opt("optim.SGD")(params, lr=0.1, momentum=0.9)
    for train in (True, False):
        for m in (bn2, bn1, drop):
            m.train(train)
        x = mt.randn(4, 3, 2, 2, requires_grad=True)
        h = F.interpolate(bn2(x), scale_factor=2, mode="bilinear")
        h = F.pad(h, (1, 1, 1, 1), mode="reflect")[:, :, :2, :2].reshape(4, 12)
        h = drop(ln(bn1(h)))
        h = F.dropout2d(gn(h.reshape(4, 12, 1, 1)), 0.5, training=train).reshape(4, 12)
        loss = F.cross_entropy(lin(h), mt.tensor([0, 1, 2, 3]))
        opt.zero_grad()
        loss.backward()
        if train:
            opt.step()
    log("model_workload: BatchNorm/LayerNorm/GroupNorm/dropout/pad/interpolate step ran")
    return [bn2.running_mean, bn1.running_var, lin.weight, x.grad]


def _sweep_norm(log):
    """Every kernel of ops/norm.py in every flag combination, fp32 and fp64, through the public
    API, on small shapes (one program and several under the GPU policy)."""
    import importlib
    try:
        importlib.import_module("minitorch.ops.norm")
    except ImportError:
        log("ops_sweep: minitorch.ops.norm not present")
        return
    mt = minitorch
    F = _opt("nn.functional")
    for dt in (mt.float32, mt.float64):
        # batch norm: train / eval, affine / not, running stats / none, dx and/or dw-db
        shapes = ((5, 3), (2, 3, 20, 60)) if dt == mt.float32 else ((2, 3, 4, 5),)  # R > 1024
        for shape in shapes:
            C = shape[1]
            x = mt.randn(*shape, dtype=dt, requires_grad=True)
            w = mt.randn(C, dtype=dt, requires_grad=True)
            b = mt.randn(C, dtype=dt, requires_grad=True)
            rm, rv = mt.zeros(C, dtype=dt), mt.ones(C, dtype=dt)
            for training in (True, False):
                F.batch_norm(x, rm, rv, w, b, training).sum().backward()
                F.batch_norm(x.detach(), rm, rv, w, None, training).sum().backward()
            F.batch_norm(x, None, None, None, None, True).sum().backward()
            # a ReLU fused into the batch-norm launch (out of place: the pre-activation stored
            # too; in place), its backward folded into the batch-norm backward; the module
            # counts num_batches_tracked in the same launch
            for training in (True, False):
                F.relu(F.batch_norm(x, rm, rv, w, b, training)).sum().backward()
                h = F.batch_norm(x * 1, rm, rv, w, b, training)
                h.relu_()
                h.sum().backward()
            module = _opt("nn").BatchNorm1d(C) if len(shape) == 2 else \
                _opt("nn").BatchNorm2d(C)
            module.to(dt)(x).relu_().sum().backward()
        # layer / group norm: weight+bias, weight only, none; one and several programs
        for M, K in ((3, 5), (40, 300)):
            x = mt.randn(M, K, dtype=dt, requires_grad=True)
            w = mt.randn(K, dtype=dt, requires_grad=True)
            b = mt.randn(K, dtype=dt, requires_grad=True)
            for args in ((w, b), (None, None)):
                F.layer_norm(x, (K,), *args).sum().backward()
            F.layer_norm(x.detach(), (K,), w, None).sum().backward()  # param grads only
        x = mt.randn(3, 6, 4, 5, dtype=dt, requires_grad=True)
        w6 = mt.randn(6, dtype=dt, requires_grad=True)
        b6 = mt.randn(6, dtype=dt, requires_grad=True)
        for args in ((w6, b6), (None, None)):
            F.group_norm(x, 3, *args).sum().backward()
        F.group_norm(x.detach(), 2, w6, b6).sum().backward()
        # dropout / dropout2d (training), in place
        x = mt.randn(300, dtype=dt, requires_grad=True)
        F.dropout(x, 0.3).sum().backward()
        F.dropout2d(mt.randn(2, 3, 4, 4, dtype=dt), 0.5)
        # pad: every mode forward and backward
        x = mt.randn(2, 3, 4, 5, dtype=dt, requires_grad=True)
        for mode in ("constant", "reflect", "replicate", "circular"):
            F.pad(x, (1, 2, 2, 1), mode=mode).sum().backward()
        # interpolate: nearest, bilinear, align_corners
        x = mt.randn(2, 3, 5, 6, dtype=dt, requires_grad=True)
        F.interpolate(x, scale_factor=2).sum().backward()
        F.interpolate(x, size=(7, 40), mode="bilinear").sum().backward()
        F.interpolate(x, size=(70, 3), mode="bilinear", align_corners=True).sum().backward()
        F.interpolate(x[:, :, 0], scale_factor=3, mode="linear").sum().backward()
        F.interpolate(x.permute(0, 1, 3, 2), size=(50, 40)).sum().backward()  # strided input
    F.batch_norm(mt.randn(3, 2, 4, dtype=mt.float16).float(), None, None, training=True)
    log("ops_sweep: norm kernels done")


# ---------------------------------------------------------------------------------------------
# issue 11: scans, sorts, sampling, triangular masks, gradient clipping, adaptive optimizers
# ---------------------------------------------------------------------------------------------
def _sweep_issue11(log):
    """Issue 11's kernels (ops/scan.py, ops/sort.py, ops/triangular.py, ops/clip.py,
    ops/optim_adaptive.py) through the public API: scans (sum/prod, forward/reverse,
    fp32/fp64/int64, short and chunked rows), sorts, counting search, race keys, triangular
    masks, log1p/expm1 (elementwise table) and their gradients, the clipping kernel and the
    adaptive optimizers with every flag."""
    mt = minitorch
    for dt in (mt.float32, mt.float64):
        for shape in ((3, 5), (2, 700)):
            x = mt.randn(*shape, dtype=dt, requires_grad=True)
            (x.cumsum(1).sum() + x.cumprod(1).sum() + mt.tril(x, -1).sum() + mt.triu(x).sum()
             + x.abs().log1p().sum() + x.expm1().sum() + x.sort(1, descending=True).values[:, 0]
             .sum()).backward()
            mt.argsort(x, 1)
    mt.cumsum(mt.randint(0, 5, (3, 4)), 1)
    mt.cumprod(mt.randint(1, 3, (3, 4)), 1)
    mt.tril(mt.ones(3, 3, dtype=mt.bool))
    mt.sort(mt.randint(0, 9, (4, 300)), 1)
    p = mt.rand(3, 20)
    mt.multinomial(p, 5, replacement=True)
    mt.multinomial(p.double(), 5, replacement=True)
    mt.multinomial(p, 5)
    mt.repeat_interleave(mt.tensor([1, 0, 2]))
    nn = _opt("nn")
    if nn is not None and hasattr(nn, "utils"):
        # five tensors in fp32 (a four-slot and a one-slot launch), four in fp64
        for dt, sizes, norms in ((mt.float32, (3, 300, 7, 2, 5), (2.0, 1.0, float("inf"), 3.0)),
                                 (mt.float64, (3, 300, 7, 2), (2.0,))):
            ps = [mt.randn(n, dtype=dt, requires_grad=True) for n in sizes]
            for p_ in ps:
                p_.grad = mt.randn(*p_.shape, dtype=dt)
            for norm_type in norms:
                nn.utils.clip_grad_norm_(ps, 0.5, norm_type)
            nn.utils.clip_grad_value_(ps, 0.1)
    optim = _opt("optim")
    if optim is not None and hasattr(optim, "RMSprop"):
        variants = [(optim.RMSprop, dict()), (optim.RMSprop, dict(momentum=0.9, centered=True,
                                                                  weight_decay=0.1)),
                    (optim.RMSprop, dict(maximize=True, centered=True)),
                    (optim.Adagrad, dict()), (optim.Adagrad, dict(weight_decay=0.1,
                                                                  maximize=True)),
                    (optim.Adadelta, dict()), (optim.Adadelta, dict(weight_decay=0.1))]
        for k, (cls, kw) in enumerate(variants):
            # a four-slot launch for every variant, a one-slot launch for the first
            ps = [mt.randn(n, requires_grad=True) for n in (3, 300, 7, 2, 5)[:5 if k == 0 else 4]]
            opt = cls(ps, **kw)
            for _ in range(2):
                for p_ in ps:
                    p_.grad = mt.randn(*p_.shape)
                opt.step()
    log("ops_sweep: issue 11 kernels done")


def _sweep_half_precision_updates(log):
    """bf16/fp16 specializations of the optimizer and clipping kernels (math in fp32, stored
    back in the parameter's dtype) and a bf16 fill (stored through fp32)."""
    mt = minitorch
    nn, optim = _opt("nn"), _opt("optim")
    for dt in (mt.bfloat16, mt.float16):
        mt.ones(5, dtype=dt)
        if nn is not None and hasattr(nn, "utils"):
            ps = [mt.randn(n).to(dt).requires_grad_() for n in (3, 7)]
            for p_ in ps:
                p_.grad = mt.randn(*p_.shape).to(dt)
            for norm_type in (2.0, float("inf")):
                nn.utils.clip_grad_norm_(ps, 0.5, norm_type)
            nn.utils.clip_grad_value_(ps, 0.1)
        if optim is not None and hasattr(optim, "RMSprop"):
            for cls, kw in ((optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
                            (optim.Adam, dict(amsgrad=True, weight_decay=0.1)),
                            (optim.RMSprop, dict(centered=True, momentum=0.5)),
                            (optim.Adagrad, dict()), (optim.Adadelta, dict())):
                p_ = mt.randn(5).to(dt).requires_grad_()
                opt = cls([p_], **kw)
                for _ in range(2):
                    p_.grad = mt.randn(5).to(dt)
                    opt.step()
    log("ops_sweep: half-precision updates done")


def _sweep_bucket(log):
    """DistributedDataParallel's gradient-bucket pack kernel (ops/bucket.py): a four-slot and a
    one-slot launch, fp32 and fp64."""
    from minitorch.ops import bucket
    for dt, sizes in ((minitorch.float32, (3, 300, 7, 2, 5)), (minitorch.float64, (4, 9))):
        sources = [minitorch.randn(n, dtype=dt)._data for n in sizes]
        dst = torch.empty((sum(sizes),), dtype=dt)
        bucket.pack_scaled(dst, sources, 0.5)
    log("ops_sweep: bucket kernel done")
# ------------------------------------------------------------------------- convolution / pooling
def conv_sweep(log=print):
    """Every convolution / pooling kernel variant through the public API: conv2d fp32/fp64 with
    and without bias, fused ReLU, groups, stride/padding/dilation, channels-last and strided
    inputs, conv1d, double backward; max/avg/adaptive pooling forward and backward with every
    flag. Small shapes (the ``gpu`` policy runs GPU tiles in the interpreter)."""
    mt = minitorch
    F = _opt("nn.functional")
    if F is None or not hasattr(F, "conv2d"):
        log("conv_sweep: minitorch.nn.functional.conv2d not available — skipped")
        return
    mt.manual_seed(0)
    for dt in (mt.float32, mt.float64):
        x = mt.randn(2, 4, 9, 9, dtype=dt, requires_grad=True)
        xcl = mt.randn(2, 9, 9, 4, dtype=dt).permute(0, 3, 1, 2).requires_grad_()
        w = mt.randn(6, 2, 3, 3, dtype=dt, requires_grad=True)
        w1 = mt.randn(6, 4, 3, 3, dtype=dt, requires_grad=True)
        b = mt.randn(6, dtype=dt, requires_grad=True)
        y = F.conv2d(x, w, b, stride=2, padding=1, groups=2)
        y = y + F.conv2d(xcl, w, None, stride=2, padding=(1, 2), dilation=(1, 2), groups=2)
        y = y + conv_functions.conv(x, w1, b, 2, 1, 1, 1, 2, activation="relu")
        y.sum().backward()
        F.conv1d(mt.randn(2, 4, 11, dtype=dt), mt.randn(3, 4, 3, dtype=dt), padding="same")
        # double backward: the grad-input / grad-weight Functions
        xs = mt.randn(1, 2, 5, 5, dtype=dt, requires_grad=True)
        ws = mt.randn(2, 2, 3, 3, dtype=dt, requires_grad=True)
        (gx,) = mt.autograd.grad(F.conv2d(xs, ws, padding=1).sum(), xs, create_graph=True)
        (gx * gx).sum().backward()
        # pooling
        p = mt.randn(2, 3, 9, 8, dtype=dt, requires_grad=True)
        pcl = mt.randn(2, 9, 8, 3, dtype=dt).permute(0, 3, 1, 2).requires_grad_()
        outs = [F.max_pool2d(p, 3, 2, 1, ceil_mode=True),
                F.max_pool2d(pcl, 2, dilation=2, return_indices=True)[0],
                F.avg_pool2d(p, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                F.avg_pool2d(pcl, 2), F.avg_pool2d(p, 3, 2, 1, divisor_override=5),
                F.adaptive_avg_pool2d(p, (4, 3)), F.adaptive_max_pool2d(pcl, (5, 3))]
        sum(o.sum() for o in outs).backward()
        with mt.no_grad():
            F.max_pool2d(p, 2)
    log("conv_sweep: conv2d/conv1d/pooling kernels ran")


def conv_model_step(log=print):
    """A small CNN training step: conv -> relu -> max_pool -> flatten -> linear -> cross-entropy,
    backward and SGD."""
    mt = minitorch
    nn, SGD = _opt("nn"), _opt("optim.SGD")
    if nn is None or SGD is None or not hasattr(nn, "Conv2d"):
        log("conv_model_step: minitorch.nn.Conv2d / optim.SGD not available — skipped")
        return None
    mt.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(8 * 4 * 4, 5))
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(mt.randn(4, 3, 8, 8)), mt.tensor([0, 1, 4, 2]))
        loss.backward()
        opt.step()
    # conv -> batch norm -> relu (fused into the batch-norm launch, in place and not; its
    # backward folded into the batch-norm backward), a residual add, train and eval
    c1, b1 = nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
    c2, b2 = nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
    params = [p for m in (c1, b1, c2, b2) for p in m.parameters()]
    opt = SGD(params, lr=0.1, momentum=0.9)
    for train in (True, False):
        b1.train(train)
        b2.train(train)
        opt.zero_grad()
        x = mt.randn(2, 3, 4, 4)
        h = b1(c1(x))
        h.relu_()
        out = nn.functional.relu(b2(c2(h)))
        out = out + c1(x)
        out.sum().backward()
        opt.step()
    log("conv_model_step: conv -> relu -> max_pool -> linear -> cross-entropy + SGD ran; "
        "conv -> batch norm -> relu blocks with a residual add, train and eval")
    return loss
