"""Side-by-side benchmarks: minitorch (Triton kernels; the interpreter on a CPU machine) against
torch eager on the same work, measured in the same run. Prints a table and writes
bench/results.json. Usage: python bench/run.py [--repeat N] [--quick]
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))

import conv_cases  # (bench/ is this script's folder, on sys.path)
import dist_step
import numpy as np
import torch

import minitorch
from minitorch.ops import launcher


def median_time(fn, repeat, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def launches_of(fn):
    """Kernel launches of one steady-state call (after a warm-up call: the first step also
    creates momentum buffers and the cached implicit gradient)."""
    fn()
    launcher.stats.reset()
    fn()
    return launcher.stats.launches


def mlp_case(batch, hidden, lib):
    """One SGD(momentum) step of a 64 -> hidden -> 10 MLP with cross-entropy."""
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((batch, 64)).astype(np.float32)
    y_np = rng.integers(0, 10, batch)
    nn, optim = lib.nn, lib.optim
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x, y = lib.tensor(x_np), lib.tensor(y_np)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def chain_case(n, lib):
    """(sigmoid(a * b + 1) * a).exp().mean() forward and backward on n elements."""
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal(n).astype(np.float32) * 0.1, requires_grad=True)
    b = lib.tensor(rng.standard_normal(n).astype(np.float32), requires_grad=True)

    def step():
        a.grad = None
        b.grad = None
        ((a * b + 1).sigmoid() * a).exp().mean().backward()
    return step


def matmul_case(n, lib):
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((n, n)).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal((n, n)).astype(np.float32), requires_grad=True)
    g = lib.tensor(rng.standard_normal((n, n)).astype(np.float32))

    def step():
        a.grad = None
        b.grad = None
        (a @ b).backward(g)
    return step


def digits_epoch_case(lib):
    """One epoch of train/digits.py's defaults (batch 64, hidden 128, SGD momentum 0.9)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    x_tr, _, y_tr, _ = train_test_split(d.data, d.target, test_size=0.2, random_state=0,
                                        stratify=d.target)
    x = lib.tensor(x_tr.astype(np.float32)) / 16.0
    y = lib.tensor(y_tr)
    nn, optim = lib.nn, lib.optim
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    batches = [(x[i:i + 64], y[i:i + 64]) for i in range(0, len(y_tr), 64)]

    def epoch():
        for xb, yb in batches:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        loss.item()
    return epoch


def poly_case(lib):
    """The classic "learning PyTorch with examples" tensors + autograd tutorial: fit
    y = sin(x) on 2,000 points with a + b x + c x^2 + d x^3, MSE, backward, manual SGD under
    no_grad. Returns a function running ``steps`` iterations."""
    import math
    x = lib.linspace(-math.pi, math.pi, 2000, dtype=lib.float32)
    y = lib.sin(x)
    lib.manual_seed(0)
    a, b, c, d = (lib.randn((), dtype=lib.float32, requires_grad=True) for _ in range(4))
    lr = 1e-6

    def run(steps):
        for _ in range(steps):
            y_pred = a + b * x + c * x ** 2 + d * x ** 3
            loss = (y_pred - y).pow(2).sum()
            loss.backward()
            with lib.no_grad():
                for p in (a, b, c, d):
                    p -= lr * p.grad
                    p.grad = None
        return loss.item()
    return run


def bare_triton_launch():
    """A bare 4-op Triton kernel (arange, two masked loads, add, masked store on 3 elements)
    launched through Triton's standard interpreter path, ``kernel[grid](...)``."""
    import triton
    import triton.language as tl

    @triton.jit
    def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        mask = offs < n
        x = tl.load(x_ptr + offs, mask=mask)
        tl.store(out_ptr + offs, x + tl.load(y_ptr + offs, mask=mask), mask=mask)

    x, y, out = torch.ones(3), torch.ones(3), torch.empty(3)
    return lambda: add_kernel[(1,)](x, y, out, 3, BLOCK=4)


def tiny_op_case(lib):
    a = lib.tensor([1.0, 2.0, 3.0])
    b = lib.tensor([4.0, 5.0, 6.0])
    return lambda: a + b


def eager_rows(quick):
    """Per-op cost against a bare Triton launch, and the polynomial tutorial loop, side by side
    in this run."""
    rows = {}
    repeat = 50 if quick else 200
    bare = bare_triton_launch()
    # the bare launch before minitorch's first launch (the language still pristine) and
    # interleaved with minitorch's; the faster is the reference
    t_bare_first = median_time(bare, repeat)
    mt_op, torch_op = tiny_op_case(minitorch), tiny_op_case(torch)
    t_mt, t_bare = [], []
    for _ in range(3):
        t_mt.append(median_time(mt_op, repeat))
        t_bare.append(median_time(bare, repeat))
    t_mt, t_bare_after = min(t_mt), min(t_bare)
    t_bare = min(t_bare_after, t_bare_first)
    t_torch = median_time(torch_op, repeat * 10)
    rows["tiny_add"] = dict(
        minitorch_ms=round(t_mt * 1e3, 4), bare_triton_launch_ms=round(t_bare * 1e3, 4),
        bare_launch_pristine_ms=round(t_bare_first * 1e3, 4),
        bare_launch_after_minitorch_ms=round(t_bare_after * 1e3, 4),
        torch_ms=round(t_torch * 1e3, 5), ratio_to_bare_launch=round(t_mt / t_bare, 2),
        ratio_to_torch=round(t_mt / t_torch, 1))
    print(f"3-element a + b: minitorch {t_mt * 1e3:.3f} ms; bare 4-op Triton launch through "
          f"Triton's standard interpreter path {t_bare_first * 1e3:.3f} ms before minitorch's "
          f"first launch, {t_bare_after * 1e3:.3f} ms after (the language already patched) -> "
          f"{t_mt / t_bare:.2f}x the faster bare launch; torch {t_torch * 1e6:.1f} us",
          flush=True)
    steps = 10 if quick else 40
    mt_poly, torch_poly = poly_case(minitorch), poly_case(torch)
    mt_poly(2)
    launcher.stats.reset()
    mt_poly(1)
    launches = launcher.stats.launches
    t0 = time.perf_counter()
    mt_poly(steps)
    t_mt = (time.perf_counter() - t0) / steps * 2000
    torch_poly(10)
    t0 = time.perf_counter()
    torch_poly(2000)
    t_torch = time.perf_counter() - t0
    rows["poly_fit_2000_steps"] = dict(minitorch_s=round(t_mt, 2), torch_s=round(t_torch, 3),
                                       ratio=round(t_mt / t_torch, 1), launches_per_step=launches,
                                       minitorch_steps_timed=steps)
    print(f"polynomial fit, 2000 steps: minitorch {t_mt:.1f} s (timed {steps} steps, "
          f"extrapolated), torch {t_torch:.2f} s -> {t_mt / t_torch:.0f}x; "
          f"{launches} launches/step", flush=True)
    return rows


CASES = [
    ("mlp_64-128-10_b64_sgd_step", lambda lib: mlp_case(64, 128, lib), 20),
    ("mlp_64-512-10_b256_sgd_step", lambda lib: mlp_case(256, 512, lib), 10),
    ("chain_1M_fwd_bwd", lambda lib: chain_case(1 << 20, lib), 3),
    ("matmul_256_fwd_bwd", lambda lib: matmul_case(256, lib), 5),
    ("digits_epoch", digits_epoch_case, 2),
] + conv_cases.cases()


def record_case1_specs(path):
    """(Run with MINITORCH_LAUNCH_POLICY=gpu.) Record the kernel specializations of benchmark 1."""
    step = mlp_case(64, 128, minitorch)
    with launcher.record_specializations() as rec:
        step()
        step()
    from tools import audit
    with open(path, "w") as f:
        json.dump(audit.normalize(rec), f)


def gpu_audit_rows():
    """Benchmark 1's kernels under the GPU launch policy, compiled ahead of time for sm_80 and
    sm_90a: registers, spills, shared memory (two subprocesses: record, then compile)."""
    import subprocess
    import tempfile
    here = os.path.abspath(__file__)
    root = os.path.dirname(os.path.dirname(here))
    with tempfile.TemporaryDirectory() as tmp:
        specs, rows = os.path.join(tmp, "specs.json"), os.path.join(tmp, "rows.json")
        env = dict(os.environ, MINITORCH_LAUNCH_POLICY="gpu", PYTHONPATH=root)
        subprocess.run([sys.executable, here, "--record-specs", specs], env=env, check=True,
                       capture_output=True)
        env = dict(os.environ, TRITON_INTERPRET="0", PYTHONPATH=root, TRITON_CACHE_DIR=tmp)
        done = subprocess.run([sys.executable, "-m", "tools.audit", specs, rows],
                              env=env, capture_output=True, text=True)
        if not os.path.exists(rows):
            return {"error": done.stderr[-2000:]}
        with open(rows) as f:
            return json.load(f)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=None, help="timed repetitions per case")
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    p.add_argument("--no-audit", action="store_true", help="skip the GPU compile audit table")
    p.add_argument("--record-specs", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.record_specs:
        return record_case1_specs(args.record_specs)
    torch.set_num_threads(1)
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} on {os.cpu_count()} cores (ratios are measured side by "
          "side in this run; absolute times move with the load)")
    eager = eager_rows(args.quick)
    rows = []
    print(f"{'case':<30}{'minitorch ms':>14}{'torch ms':>12}{'ratio':>10}{'launches':>10}")
    for name, make, repeat in CASES:
        repeat = args.repeat or (max(1, repeat // 4) if args.quick else repeat)
        mt_step = make(minitorch)
        launches = launches_of(mt_step)
        t_mt = median_time(mt_step, repeat)
        t_torch = median_time(make(torch), max(repeat, 5))
        row = dict(case=name, minitorch_ms=round(t_mt * 1e3, 3), torch_ms=round(t_torch * 1e3, 4),
                   ratio=round(t_mt / t_torch, 1), launches=launches)
        rows.append(row)
        print(f"{name:<30}{row['minitorch_ms']:>14.2f}{row['torch_ms']:>12.3f}"
              f"{row['ratio']:>9.1f}x{launches:>10}", flush=True)
    dist = dist_step.measure()
    print(f"data-parallel MLP step, global batch {dist['global_batch']}: one process "
          f"{dist['one_process_ms']:.1f} ms, two gloo processes {dist['two_process_ms']:.1f} ms "
          f"(on {os.cpu_count()} cores), {dist['bytes_per_step']} gradient bytes all-reduced per "
          "step", flush=True)
    result = dict(machine=platform.platform(), processor=platform.processor(),
                  cores=os.cpu_count(), policy=launcher.POLICY, torch_threads=1,
                  torch=torch.__version__, load_average=round(load[0], 2), eager=eager,
                  cases=rows, data_parallel=dist)
    if not args.no_audit:
        result["gpu_audit"] = gpu_audit_rows()
        audit = result["gpu_audit"]
        if isinstance(audit, list):
            print("\nGPU audit of benchmark 1 (launch policy 'gpu', compiled ahead of time):")
            print(f"{'kernel':<26}{'arch':>7}{'warps':>6}{'regs':>6}{'spill B':>9}{'smem B':>8}"
                  "  constexprs")
            for r in audit:
                if r["error"]:
                    print(f"{r['kernel']:<26}{r['arch']:>7}  ERROR {r['error'][:200]}")
                    continue
                print(f"{r['kernel']:<26}{r['arch']:>7}{r['num_warps']:>6}{r['registers']:>6}"
                      f"{r['spill_stores'] + r['spill_loads']:>9}{r['shared']:>8}  "
                      f"{r['constexprs'][:60]}")
        else:
            print(f"\nGPU audit did not run: {audit}")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.json")
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"\nwrote {out}")
    return result


if __name__ == "__main__":
    main()
