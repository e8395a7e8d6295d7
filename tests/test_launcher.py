"""minitorch's own launch path for Triton's interpreter (minitorch/ops/launcher.py).

It relies on private internals of the pinned Triton, so these tests prove that it gives what
Triton's standard launch path gives, bit for bit, on every launch of the kernel sweep (every kernel
family and op variant); that it falls back to the standard path when the internals are not what it
expects; and that the process-wide language patch survives interrupts, threads, and kernels
launched through Triton's own path.
"""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

import minitorch
from minitorch import _backend
from minitorch.ops import launcher

pytestmark = pytest.mark.skipif(not _backend.INTERPRETER, reason="interpreter launch path only")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAMILIES = {  # kernel module -> family
    "minitorch.ops.elementwise": "elementwise", "minitorch.ops.reduce": "reduce",
    "minitorch.ops.matmul": "matmul", "minitorch.ops.softmax": "softmax",
    "minitorch.ops.index": "index", "minitorch.ops.creation": "creation/RNG",
    "minitorch.ops.loss": "loss", "minitorch.ops.linear_loss": "linear_loss",
    "minitorch.ops.optim": "optim", "minitorch.ops.sort": "sort",
}


def _storages(args):
    """A writable uint8 numpy view of each distinct storage among the tensor arguments."""
    views = {}
    for a in args:
        if isinstance(a, torch.Tensor):
            s = a.untyped_storage()
            if s.data_ptr() not in views:
                views[s.data_ptr()] = torch.empty(0, dtype=torch.uint8).set_(s).numpy()
    return list(views.values())


class _BothPaths:
    """Stands in for launcher._fast: runs every launch through minitorch's path, then restores
    the memory of every tensor argument and runs it through Triton's standard path, and
    compares the bytes of every storage the kernel could have written."""

    def __init__(self, fast):
        self.fast = fast
        self.compared = {}  # kernel module -> launches compared

    def launch(self, kernel, grid, args, constexprs):
        views = _storages(args)
        before = [v.copy() for v in views]
        if not self.fast.launch(kernel, grid, args, constexprs):
            return False
        ours = [v.copy() for v in views]
        for v, b in zip(views, before):
            v[...] = b
        kernel[grid](*args, **constexprs)
        theirs = [v.copy() for v in views]
        name = launcher._kernel_module(kernel)
        for o, t in zip(ours, theirs):
            assert o.tobytes() == t.tobytes(), (name, kernel.__name__, constexprs)
        self.compared[name] = self.compared.get(name, 0) + 1
        return True


def test_fast_path_is_taken():
    assert launcher.fast_path_active()
    minitorch.ones(1).tolist()  # (the first launch also runs a probe kernel)
    before = launcher._fast.launches
    launcher.stats.reset()
    (minitorch.ones(5) * 2).sum().item()
    assert launcher._fast.launches - before == launcher.stats.launches > 0
    assert launcher.language_state() == "patched"


def test_bit_identical_to_triton_standard_path_on_every_kernel_family(monkeypatch):
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    try:
        import _workloads
    finally:
        sys.path.pop(0)
    both = _BothPaths(launcher._fast)
    monkeypatch.setattr(launcher, "_fast", both)
    minitorch.manual_seed(0)
    _workloads.ops_sweep(log=lambda *a: None)
    # the sweep reaches every kernel; each family was compared, through minitorch's path
    assert set(FAMILIES) <= set(both.compared), both.compared  # (and any newer kernel module)
    assert sum(both.compared.values()) > 400


def test_user_kernels_through_tritons_standard_path_still_work():
    import triton
    import triton.language as tl

    @triton.jit
    def twice_sum(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
        tl.store(out_ptr + offs, x * 2 + tl.sum(x, axis=0), mask=offs < n)

    x = torch.arange(5, dtype=torch.float32)
    out = torch.empty(5)
    (minitorch.ones(3) + 1).tolist()  # our path has patched the language
    twice_sum[(1,)](x, out, 5, BLOCK=8)
    assert out.tolist() == [10.0, 12.0, 14.0, 16.0, 18.0]
    assert launcher.language_state() == "patched"
    assert (minitorch.ones(3) * 3).tolist() == [3.0, 3.0, 3.0]


def test_standard_launch_path_switch_gives_the_same_values():
    x = minitorch.randn(7, 5)
    w = minitorch.randn(5, 3)
    ours = ((x @ w).softmax(1) * 2 - 1).exp().sum(0).numpy()
    before = launcher._fast.launches
    with launcher.standard_launch_path():
        assert not launcher.fast_path_active()
        theirs = ((x @ w).softmax(1) * 2 - 1).exp().sum(0).numpy()
    assert launcher._fast.launches == before
    assert ours.tobytes() == theirs.tobytes()


def test_int32_arithmetic_without_the_overflow_sanitizer_gives_the_same_values():
    """The fast path skips the interpreter's int32 overflow sanitizer (outside debug mode it only
    feeds a discarded device_assert): wrapping int32 products and sums come out as on Triton's
    path, and the interpreter's options are the same after the launch."""
    import dataclasses

    import triton
    import triton.language as tl
    from triton.runtime import interpreter

    @triton.jit
    def int_mix(x_ptr, out_ptr, s, BLOCK: tl.constexpr):
        offs = tl.arange(0, BLOCK)
        x = tl.load(x_ptr + offs)
        tl.store(out_ptr + offs, (x * s + offs * 7 - s) * x)

    x = torch.tensor([0, 1, -3, 46341, 2**31 - 1, -2**31, 123456, 99], dtype=torch.int32)
    ours, theirs = torch.empty_like(x), torch.empty_like(x)
    options = interpreter.interpreter_builder.options
    assert launcher._fast.launch(int_mix, (1,), (x, ours, 65537), {"BLOCK": 8})
    assert interpreter.interpreter_builder.options is options
    with launcher.standard_launch_path():
        int_mix[(1,)](x, theirs, 65537, BLOCK=8)
    assert ours.tolist() == theirs.tolist()
    # in debug mode the sanitizer (whose device_assert would then fire) stays on
    debug = dataclasses.replace(options, debug=True)
    assert launcher._fast._options(debug) is debug
    assert launcher._fast._options(options).sanitize_overflow is False


def test_falls_back_when_interpreter_internals_differ(monkeypatch):
    from triton.runtime import interpreter
    monkeypatch.delattr(interpreter, "_implicit_cvt")
    assert launcher._make_fast_path() is None
    monkeypatch.undo()
    assert launcher._make_fast_path() is not None


def test_falls_back_when_the_interpreter_options_differ(monkeypatch):
    from triton.runtime import interpreter
    monkeypatch.setattr(interpreter.interpreter_builder, "options", object())
    assert launcher._make_fast_path() is None


def test_falls_back_when_the_probe_disagrees(monkeypatch):
    path = launcher._InterpreterPath()
    monkeypatch.setattr(launcher, "_fast", path)
    monkeypatch.setattr(launcher, "_probe", lambda p: False)
    a = minitorch.tensor([1.0, 2.0, 3.0])
    assert (a * a + 1).tolist() == [2.0, 5.0, 10.0]  # by Triton's standard path
    assert launcher._fast is None and path.launches == 0


def test_frontend_shortcuts_live_only_inside_our_launches(monkeypatch):
    from triton.runtime import interpreter
    shortcuts = launcher._fast.shortcuts
    assert shortcuts is not None and not shortcuts.active()
    seen = []
    real_add = interpreter.interpreter_builder.create_fadd

    def spy(*args):
        seen.append(shortcuts.active())
        return real_add(*args)

    monkeypatch.setattr(interpreter.interpreter_builder, "create_fadd", spy)
    a = minitorch.tensor([1.0, 2.0, 3.0])
    assert (a + a).tolist() == [2.0, 4.0, 6.0]
    assert seen == [True] and not shortcuts.active()
    with launcher.standard_launch_path():  # Triton's own path runs its own frontend
        assert (a + a).tolist() == [2.0, 4.0, 6.0]
    assert seen == [True, False] and not shortcuts.active()


def test_frontend_shortcuts_step_aside_when_internals_differ(monkeypatch):
    from triton.runtime import interpreter

    from minitorch.ops import interpreter_shortcuts
    monkeypatch.delattr(interpreter, "_get_np_dtype")
    assert interpreter_shortcuts.make() is None
    monkeypatch.undo()
    assert interpreter_shortcuts.make() is not None
    # the launch path without them gives the same bytes
    path = launcher._InterpreterPath()
    path.shortcuts = None
    monkeypatch.setattr(launcher, "_fast", path)
    a, b = minitorch.randn(7, 5), minitorch.randn(5)
    without = (a * b + 1).sum(0).numpy().tobytes()
    assert path.launches > 0
    monkeypatch.undo()
    assert (a * b + 1).sum(0).numpy().tobytes() == without


def test_unusual_arguments_take_the_standard_path():
    path = launcher._fast
    # a tensor subclass is not a plain CPU tensor: the standard path handles it
    out = torch.nn.Parameter(torch.zeros(4), requires_grad=False)
    from minitorch.ops import elementwise
    before = path.launches
    elementwise.pointwise("add", out, torch.ones(4), 2.0)
    assert path.launches == before
    assert out.tolist() == [3.0] * 4


def test_kernel_errors_are_reported_like_tritons():
    import triton
    import triton.language as tl
    from triton.runtime.errors import InterpreterError

    @triton.jit
    def bad(x_ptr, BLOCK: tl.constexpr):
        tl.store(x_ptr + tl.arange(0, BLOCK), tl.load(x_ptr + tl.arange(0, BLOCK)).no_such())

    x = torch.zeros(4)
    with pytest.raises(InterpreterError) as ours:
        launcher.launch(bad, (1,), (x,), dict(BLOCK=4))
    with launcher.standard_launch_path(), pytest.raises(InterpreterError) as theirs:
        launcher.launch(bad, (1,), (x,), dict(BLOCK=4))
    assert type(ours.value.__cause__) is type(theirs.value.__cause__)
    assert launcher.language_state() == "patched"
    assert (minitorch.ones(2) + 1).tolist() == [2.0, 2.0]


def test_keyboard_interrupt_mid_kernel_leaves_a_consistent_language(monkeypatch):
    from triton.runtime import interpreter
    builder = interpreter.interpreter_builder
    original_patch_lang = launcher._fast.original_patch_lang
    calls = {"n": 0}
    real_load = builder.create_masked_load

    def interrupting_load(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second operand's load: the kernel is half done
            raise KeyboardInterrupt
        return real_load(*args, **kwargs)

    monkeypatch.setattr(builder, "create_masked_load", interrupting_load)
    a, b = minitorch.randn(9), minitorch.randn(9)
    with pytest.raises(KeyboardInterrupt):
        a + b
    monkeypatch.undo()
    assert launcher.language_state() == "patched"
    assert interpreter._patch_lang is original_patch_lang
    assert not launcher._fast.shortcuts.active()  # the frontend shortcuts were taken out
    # the launch lock was released: another thread can launch
    done = []
    t = threading.Thread(target=lambda: done.append((minitorch.ones(2) * 2).tolist()))
    t.start()
    t.join(60)
    assert done == [[2.0, 2.0]]
    assert (a + b).numpy().tobytes() == (a.numpy() + b.numpy()).tobytes()


INTERRUPT_WHILE_PATCHING = r"""
import signal, sys, _thread
import minitorch
from minitorch.ops import launcher
from triton.runtime import interpreter
assert launcher.language_state() == "unpatched", launcher.language_state()
real = interpreter._patch_builtin
calls = {"n": 0}
def patch_builtin(*args):
    calls["n"] += 1
    if calls["n"] == 3:
        if sys.argv[1] == "signal":
            _thread.interrupt_main()  # Ctrl-C arrives halfway through the patch
        else:
            raise KeyboardInterrupt
    return real(*args)
interpreter._patch_builtin = patch_builtin
try:
    minitorch.ones(3).tolist()
except KeyboardInterrupt:
    print("interrupted")
interpreter._patch_builtin = real
print(launcher.language_state())
print((minitorch.ones(3) + 1).tolist())
"""


@pytest.mark.parametrize("how", ["signal", "raise"])
def test_keyboard_interrupt_while_patching_never_leaves_it_half_done(how):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-c", INTERRUPT_WHILE_PATCHING, how], env=env,
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.split("\n")[:3] == ["interrupted", "patched", "[2.0, 2.0, 2.0]"], p.stdout


TRITON_FIRST = r"""
import os
os.environ["TRITON_INTERPRET"] = "1"
import torch
import triton
import triton.language as tl

@triton.jit
def double(x_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    tl.store(x_ptr + offs, tl.load(x_ptr + offs, mask=offs < n) * 2, mask=offs < n)

x = torch.ones(3)
double[(1,)](x, 3, BLOCK=4)
import minitorch
from minitorch.ops import launcher
assert launcher.fast_path_active()
print((minitorch.ones(3) + 2).tolist(), minitorch.tensor([1.0, 4.0]).sqrt().sum().item())
double[(1,)](x, 3, BLOCK=4)
print(x.tolist())
"""


def test_importing_triton_before_minitorch():
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-c", TRITON_FIRST], env=env, capture_output=True,
                       text=True, timeout=300, cwd=ROOT)
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.split("\n")[:2] == ["[3.0, 3.0, 3.0] 3.0", "[4.0, 4.0, 4.0]"], p.stdout


def test_threads_launching_concurrently_agree_with_sequential():
    xs = [minitorch.randn(33, 17) for _ in range(4)]
    expected = [((x * 2 + 1).relu().sum(1) / 3).numpy() for x in xs]
    results = [None] * 4
    errors = []

    def work(i):
        try:
            for _ in range(3):
                results[i] = ((xs[i] * 2 + 1).relu().sum(1) / 3).numpy()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    for r, e in zip(results, expected):
        assert np.array_equal(r, e)
    assert launcher.language_state() == "patched"
