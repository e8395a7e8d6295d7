"""Ahead-of-time GPU audit of the recorded kernel specializations.

``launcher.record_specializations()`` keeps, for every distinct launch, the argument specs,
constexprs and num_warps. This module turns such a record back into exactly the program Triton's
JIT would build on a GPU (same signature, ``tt.divisibility`` attributes and constexpr
specializations — it runs the JIT's own binder on stand-in arguments) and compiles it with
``triton.compile`` for chosen ``GPUTarget``s, then asks Triton's bundled ``ptxas`` for registers
and spills.

Compiling needs real ``JITFunction``s: call :func:`compile_report` in a process where
``TRITON_INTERPRET=0`` was set before triton was imported (the tests and ``bench/`` run it in a
subprocess). :func:`find_kernels` and :func:`normalize` work under the interpreter too.
"""
import contextlib
import importlib
import io
import os
import pkgutil
import re
import subprocess
import tempfile

SM_TARGETS = (80, 90)


# ---------------------------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------------------------
def _is_jit(obj):
    from triton.runtime.jit import JITFunction
    try:
        from triton.runtime.interpreter import InterpretedFunction
    except ImportError:  # pragma: no cover
        InterpretedFunction = ()
    return isinstance(obj, (JITFunction, InterpretedFunction))


def find_kernels(package="minitorch.ops"):
    """{(module, name): jit_function} for every ``@triton.jit`` function defined (not merely
    imported) in the modules of ``package``."""
    pkg = importlib.import_module(package)
    found = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        modname = f"{package}.{info.name}"
        mod = importlib.import_module(modname)
        for name, obj in vars(mod).items():
            if _is_jit(obj) and getattr(obj.fn, "__module__", None) == modname:
                found[(modname, name)] = obj
    return found


def _source(jit_fn):
    import inspect
    try:
        return inspect.getsource(jit_fn.fn)
    except (OSError, TypeError):
        return ""


def uncovered_kernels(records, package="minitorch.ops"):
    """Kernels defined in ``package`` that no record launched. A ``@triton.jit`` helper counts as
    covered when a launched kernel (or a covered helper) calls it."""
    kernels = find_kernels(package)
    covered = {(r["module"], r["kernel"]) for r in records}
    changed = True
    while changed:  # helpers called (transitively) from covered kernels
        changed = False
        for key, fn in kernels.items():
            if key in covered:
                continue
            pattern = re.compile(r"\b" + re.escape(key[1]) + r"\s*\(")
            for ckey in list(covered):
                if ckey in kernels and pattern.search(_source(kernels[ckey])):
                    covered.add(key)
                    changed = True
                    break
    return sorted(f"{m}.{n}" for (m, n) in kernels if (m, n) not in covered)


def normalize(records):
    """JSON-ready list from ``record_specializations()``'s dict (or a list of records)."""
    values = records.values() if isinstance(records, dict) else records
    out = []
    for r in values:
        out.append(dict(kernel=r["kernel"], module=r["module"],
                        args=[list(a) for a in r["args"]],
                        constexprs=dict(r["constexprs"]), num_warps=int(r["num_warps"])))
    out.sort(key=lambda r: (r["module"], r["kernel"], repr(r["constexprs"]), repr(r["args"])))
    return out


# ---------------------------------------------------------------------------------------------
# Rebuilding what the JIT compiles
# ---------------------------------------------------------------------------------------------
def _stand_in(spec):
    """A Python value the JIT specializes exactly like the recorded argument."""
    import torch
    kind = spec[0]
    if kind == "tensor":
        dtype = getattr(torch, spec[1].split(".", 1)[1])
        base = torch.empty(64, dtype=dtype)
        aligned = bool(spec[2])
        for off in range(64):  # first element whose address has the recorded alignment
            t = base[off:]
            if (t.data_ptr() % 16 == 0) == aligned:
                return t
        raise AssertionError(spec)
    if kind == "int":
        _, width, div16, one = spec
        if one:
            return 1
        big = 1 << 32 if width == "i64" else 0
        return big + (16 if div16 else 3)
    if kind == "float":
        return 0.5
    if kind == "bool":
        return True
    if kind == "none":
        return None
    raise ValueError(f"unknown argument spec {spec!r}")


def _constexpr_value(v):
    import triton.language as tl
    if isinstance(v, str):
        names = set(tl.dtype.SINT_TYPES + tl.dtype.UINT_TYPES + tl.dtype.FP_TYPES
                    + tl.dtype.OTHER_TYPES)
        if v in names:
            return tl.dtype(v)
    return v


def build_source(jit_fn, record, target):
    """(ASTSource, options) exactly as ``jit_fn[grid](*args, **constexprs)`` would compile."""
    from triton.compiler import ASTSource, make_backend
    from triton.runtime.jit import create_function_from_signature

    backend = make_backend(target)
    binder = create_function_from_signature(jit_fn.signature, jit_fn.params, backend)
    args = [_stand_in(a) for a in record["args"]]
    kwargs = {k: _constexpr_value(v) for k, v in record["constexprs"].items()}
    kwargs["num_warps"] = record["num_warps"]
    bound_args, specialization, options = binder(*args, **kwargs)
    options, signature, constexprs, attrs = jit_fn._pack_args(backend, kwargs, bound_args,
                                                              specialization, options)
    return ASTSource(jit_fn, signature, constexprs, attrs), {"num_warps": record["num_warps"]}


def _ptxas():
    import triton
    return os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", "ptxas")


_PTXAS_REGS = re.compile(r"Used (\d+) registers")
_PTXAS_SPILL = re.compile(r"(\d+) bytes spill stores, (\d+) bytes spill loads")
_PTXAS_STACK = re.compile(r"(\d+) bytes stack frame")


def ptxas_usage(ptx, arch):
    """(registers, spill_store_bytes, spill_load_bytes, stack_bytes) from ``ptxas -v``."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "k.ptx")
        with open(path, "w") as f:
            f.write(ptx)
        sm = f"sm_{arch}a" if arch >= 90 else f"sm_{arch}"
        p = subprocess.run([_ptxas(), "-v", f"-arch={sm}", path, "-o", os.devnull],
                           capture_output=True, text=True)
    log = p.stdout + p.stderr
    if p.returncode != 0:
        raise RuntimeError(f"ptxas failed:\n{log}")
    return _parse_ptxas(log)


def _parse_ptxas(log):
    if not _PTXAS_REGS.search(log):
        return None
    regs = max(int(m) for m in _PTXAS_REGS.findall(log))
    spills = _PTXAS_SPILL.findall(log)
    stores = max((int(s) for s, _ in spills), default=0)
    loads = max((int(ld) for _, ld in spills), default=0)
    stack = max((int(s) for s in _PTXAS_STACK.findall(log)), default=0)
    return regs, stores, loads, stack


def _short_constexprs(cx):
    parts = []
    for k, v in cx.items():
        parts.append(f"{k}={v}")
    return ",".join(parts)


def compile_one(record, arch, kernels=None):
    """One row of the report: compile ``record`` for ``sm_<arch>`` and read its resources."""
    import triton
    from triton.backends.compiler import GPUTarget

    row = dict(kernel=record["kernel"], module=record["module"], arch=f"sm_{arch}",
               num_warps=record["num_warps"], constexprs=_short_constexprs(record["constexprs"]),
               registers=None, spill_stores=None, spill_loads=None, stack=None, shared=None,
               error=None)
    try:
        if kernels is None:
            mod = importlib.import_module(record["module"])
            fn = getattr(mod, record["kernel"])
        else:
            fn = kernels[(record["module"], record["kernel"])]
        if not hasattr(fn, "params"):
            raise RuntimeError("kernel is an InterpretedFunction: compile with TRITON_INTERPRET=0")
        target = GPUTarget("cuda", arch, 32)
        src, options = build_source(fn, record, target)
        # Triton's own ptxas run (-v, its flags) prints its log when dump_ptxas_log is on.
        from triton import knobs
        log = io.StringIO()
        previous = knobs.nvidia.dump_ptxas_log
        knobs.nvidia.dump_ptxas_log = True
        try:
            with contextlib.redirect_stdout(log):
                compiled = triton.compile(src, target=target, options=options)
        finally:
            knobs.nvidia.dump_ptxas_log = previous
        usage = _parse_ptxas(log.getvalue())
        if usage is None:  # no log captured: run ptxas -v ourselves
            usage = ptxas_usage(compiled.asm["ptx"], arch)
        regs, stores, loads, stack = usage
        row.update(registers=regs, spill_stores=stores, spill_loads=loads, stack=stack,
                   shared=int(compiled.metadata.shared))
    except Exception as e:  # the report carries every failure
        msg = f"{type(e).__name__}: {e}"
        row["error"] = msg[-2000:]
    return row


def _worker(job):
    record, arch = job
    return compile_one(record, arch)


def compile_report(specs, archs=SM_TARGETS, processes=2, progress=None):
    """Compile every record in ``specs`` for every ``sm_<arch>`` in ``archs``; a list of rows
    (kernel, module, arch, num_warps, constexprs, registers, spill_stores, spill_loads, stack,
    shared, error). Runs in a process pool of ``processes`` (1: in this process)."""
    jobs = [(r, a) for r in normalize(specs) for a in archs]
    if processes <= 1:
        rows = [_worker(j) for j in jobs]
        if progress is not None:
            for row in rows:
                progress(row)
        return rows
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    with ctx.Pool(processes) as pool:
        rows = []
        for row in pool.imap(_worker, jobs, chunksize=1):
            rows.append(row)
            if progress is not None:
                progress(row)
        return rows


def format_report(rows):
    """A text table: one line per compiled specialization, then a per-kernel summary."""
    lines = [f"{'kernel':<26} {'arch':<6} {'warps':>5} {'regs':>4} {'spill':>5} {'stack':>5} "
             f"{'smem':>6}  constexprs / error"]
    for r in rows:
        if r["error"]:
            lines.append(f"{r['kernel']:<26} {r['arch']:<6} {r['num_warps']:>5} {'-':>4} {'-':>5} "
                         f"{'-':>5} {'-':>6}  {r['constexprs']}  ERROR {r['error'][:300]}")
        else:
            lines.append(f"{r['kernel']:<26} {r['arch']:<6} {r['num_warps']:>5} "
                         f"{r['registers']:>4} {r['spill_stores']:>5} {r['stack']:>5} "
                         f"{r['shared']:>6}  {r['constexprs']}")
    lines.append("")
    lines.append(f"{'summary: kernel':<26} {'arch':<6} {'specs':>5} {'maxreg':>6} {'spill':>5} "
                 f"{'errors':>6}")
    summary = {}
    for r in rows:
        s = summary.setdefault((r["kernel"], r["arch"]), [0, 0, 0, 0])
        s[0] += 1
        if r["error"]:
            s[3] += 1
        else:
            s[1] = max(s[1], r["registers"])
            s[2] = max(s[2], r["spill_stores"] + r["spill_loads"])
    for (k, a), (n, reg, sp, err) in sorted(summary.items()):
        lines.append(f"{k:<26} {a:<6} {n:>5} {reg:>6} {sp:>5} {err:>6}")
    return "\n".join(lines)


__all__ = ["find_kernels", "uncovered_kernels", "normalize", "build_source", "compile_one",
           "compile_report", "format_report", "ptxas_usage", "SM_TARGETS"]


def main(argv=None):
    """``python -m tools.audit SPECS.json [ROWS.json]``: compile recorded specializations
    (run with ``TRITON_INTERPRET=0``) and print the resource table."""
    import argparse
    import json
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("specs")
    parser.add_argument("rows", nargs="?")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--arch", type=int, action="append")
    ns = parser.parse_args(argv)
    with open(ns.specs) as f:
        specs = json.load(f)
    rows = compile_report(specs, archs=tuple(ns.arch or SM_TARGETS), processes=ns.processes)
    if ns.rows:
        with open(ns.rows, "w") as f:
            json.dump(rows, f, indent=1)
    print(format_report(rows))
    return 1 if any(r["error"] or r["spill_stores"] or r["spill_loads"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
