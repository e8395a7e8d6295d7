"""Reliability: version counters, in-place detection, double backward through the fused ops,
anomaly mode, crash-safe checkpoints, refusal of hostile files, and no leaks / thread safety.

(The 10,000-op chain, the thread-locality of grad mode and the basic graph-freeing checks live in
test_autograd.py; this file does not repeat them.)
"""
import gc
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import textwrap
import threading
import time
import weakref

import numpy as np
import pytest
import torch

import minitorch as mt
import minitorch.nn as mnn
import minitorch.nn.functional as MF

ROOT = os.path.join(os.path.dirname(__file__), "..")


def _np(x):
    return x.detach().numpy() if isinstance(x, mt.Tensor) else x.detach().cpu().numpy()


def _close(m, t, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(_np(m), _np(t), rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------------------------
# version counters
# ---------------------------------------------------------------------------------------------
INPLACE = {
    "add_": lambda t: t.add_(1), "sub_": lambda t: t.sub_(1), "mul_": lambda t: t.mul_(2),
    "div_": lambda t: t.div_(2), "pow_": lambda t: t.pow_(2), "neg_": lambda t: t.neg_(),
    "exp_": lambda t: t.exp_(), "sqrt_": lambda t: t.sqrt_(), "abs_": lambda t: t.abs_(),
    "sigmoid_": lambda t: t.sigmoid_(), "tanh_": lambda t: t.tanh_(),
    "relu_": lambda t: t.relu_(), "clamp_": lambda t: t.clamp_(0, 1),
    "zero_": lambda t: t.zero_(), "fill_": lambda t: t.fill_(1.0),
    "copy_": lambda t: t.copy_(mt.ones(3)), "normal_": lambda t: t.normal_(),
    "uniform_": lambda t: t.uniform_(), "masked_fill_": lambda t: t.masked_fill_(t > 0, 0.0),
    "iadd": lambda t: t.__iadd__(1), "imul": lambda t: t.__imul__(2),
    "setitem_int": lambda t: t.__setitem__(0, 5.0),
    "setitem_slice": lambda t: t.__setitem__(slice(0, 2), mt.ones(2)),
    "setitem_mask": lambda t: t.__setitem__(t > 100, 0.0),
}


def test_every_inplace_op_bumps_version():
    x = mt.rand(3)
    view = x[1:]
    for name, op in INPLACE.items():
        before = x._version
        op(x)
        assert x._version > before, name
        assert view._version == x._version, f"{name}: a view shares its base's counter"
    before = x._version
    view.mul_(2)  # in-place through a view bumps the base too
    assert x._version > before


def test_optimizer_updates_bump_version():
    for make in [lambda ps: mt.optim.SGD(ps, lr=0.1),
                 lambda ps: mt.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
                 lambda ps: mt.optim.Adam(ps, lr=0.1),
                 lambda ps: mt.optim.AdamW(ps, lr=0.1)]:
        p = mnn.Parameter(mt.randn(3))
        opt = make([p])
        for _ in range(2):
            (p * p).sum().backward()
            before = p._version
            opt.step()
            assert p._version > before, type(opt).__name__
            opt.zero_grad()


def test_optimizer_step_invalidates_saved_parameter():
    # the classic bug: step() between forward and backward must be caught, not silently wrong
    p = mnn.Parameter(mt.randn(3))
    opt = mt.optim.SGD([p], lr=0.1)
    y = (p * p).sum()  # saves p
    p.grad = mt.ones(3)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_detach_shares_version_data_does_not():
    x = mt.randn(3, requires_grad=True)
    d = x.detach()
    d.add_(1)
    assert x._version == d._version == 1
    y = mt.randn(3, requires_grad=True)
    data = y.data
    data.add_(1)
    ty = torch.randn(3, requires_grad=True)
    ty.data.add_(1)
    assert y._version == ty._version == 0
    assert data._version == 1


def test_setitem_on_saved_tensor_is_detected_like_torch():
    msgs = []
    for lib in (mt, torch):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = a * 2
        c = b * b  # saves b
        b[0] = 7.0
        with pytest.raises(RuntimeError, match="modified by an inplace operation") as e:
            c.sum().backward()
        msgs.append(str(e.value).split(" Hint")[0])
    assert msgs[0] == msgs[1]


def test_saved_softmax_output_modified_inplace():
    for fn in [lambda x: x.softmax(-1), lambda x: x.log_softmax(-1), lambda x: x.sigmoid(),
               lambda x: x.exp(), lambda x: x.tanh()]:
        x = mt.randn(2, 3, requires_grad=True)
        y = fn(x)
        y.add_(1)
        with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
            y.sum().backward()


# ---------------------------------------------------------------------------------------------
# retain_graph + double backward through the fused ops, against torch.autograd
# ---------------------------------------------------------------------------------------------
def _pair(*shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


FUSED = {
    "cross_entropy": lambda L, F, x, w, b: F.cross_entropy(F.linear(x, w, b), L.tensor([0, 2, 1])),
    "cross_entropy_smooth_sum": lambda L, F, x, w, b: F.cross_entropy(
        F.linear(x, w, b), L.tensor([0, 2, 1]), label_smoothing=0.2, reduction="sum"),
    "relu_linear": lambda L, F, x, w, b: (F.relu(F.linear(x, w, b)) ** 2).sum(),
    "softmax": lambda L, F, x, w, b: (F.linear(x, w, b).softmax(-1) ** 2).sum(),
    "log_softmax": lambda L, F, x, w, b: (F.linear(x, w, b).log_softmax(1) *
                                          F.linear(x, w, b)).sum(),
}


@pytest.mark.parametrize("name", sorted(FUSED))
def test_double_backward_fused_ops_match_torch(name):
    fn = FUSED[name]
    ins_m, ins_t = zip(_pair(3, 4, seed=1), _pair(3, 4, seed=2), _pair(3, seed=3))
    res = []
    for L, F, ins in [(mt, MF, ins_m), (torch, torch.nn.functional, ins_t)]:
        x, w, b = ins
        loss = fn(L, F, x, w, b)
        gs = L.autograd.grad(loss, (x, w, b), create_graph=True)
        gnorm = sum((g * g).sum() for g in gs)
        gnorm.backward(retain_graph=True)
        first = [t.grad.clone() for t in ins]
        gnorm.backward()  # retained: a second pass doubles the accumulated gradients
        res.append((loss, gs, first, [t.grad for t in ins]))
    (lm, gm, fm, sm), (lt, gt, ft, st) = res
    _close(lm, lt)
    for a, b_ in zip(gm, gt):
        _close(a, b_)
    for a, b_ in zip(fm, ft):
        _close(a, b_)
    for a, b_ in zip(sm, st):
        _close(a, b_)


def test_label_smoothing_keeps_float64_precision():
    # regression: ε reached the fused kernels as a float32 (Triton float argument / tl.where of
    # Python floats): float64 losses and gradients were off by ~1e-8 relative
    xm, xt = _pair(3, 5, seed=4)
    for red in ("mean", "sum", "none"):
        lm = MF.cross_entropy(xm, mt.tensor([0, 4, 2]), label_smoothing=0.3, reduction=red)
        lt = torch.nn.functional.cross_entropy(xt, torch.tensor([0, 4, 2]), label_smoothing=0.3,
                                               reduction=red)
        _close(lm, lt, rtol=1e-13, atol=1e-14)
        lm.sum().backward()
        lt.sum().backward()
        _close(xm.grad, xt.grad, rtol=1e-13, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# anomaly mode
# ---------------------------------------------------------------------------------------------
def _nan_backward():
    a = mt.tensor([0.0, 1.0], requires_grad=True)
    b = mt.tensor([0.0, 1.0], requires_grad=True)
    (a / b).sum().backward()  # d/db = -a/b^2 = 0/0 = nan


def test_detect_anomaly_names_the_forward_op():
    with mt.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as e:
            _nan_backward()
    msg = str(e.value)
    assert "Function 'DivBackward0' returned nan values in its 1th output." in msg
    # where the forward op was created (recorded only while anomaly mode is on)
    assert "_nan_backward" in msg and "(a / b)" in msg
    assert not mt.autograd.is_anomaly_enabled()
    _nan_backward()  # off again: nan gradients pass silently, as in torch


def test_set_detect_anomaly_function_form():
    mt.autograd.set_detect_anomaly(True)
    try:
        assert mt.autograd.is_anomaly_enabled()
        x = mt.tensor([-1.0, 4.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in "
                                               "its 0th output"):
            x.sqrt().sum().backward()
        # an infinite gradient is not an anomaly (torch checks nan only)
        y = mt.tensor([0.0, 4.0], requires_grad=True)
        y.sqrt().sum().backward()
        assert np.isinf(_np(y.grad)[0])
    finally:
        mt.autograd.set_detect_anomaly(False)
    assert not mt.autograd.is_anomaly_enabled()


def test_anomaly_mode_is_thread_local_and_free_when_off():
    x = mt.tensor([1.0], requires_grad=True)
    y = x * 2
    assert "traceback_" not in y.grad_fn.metadata  # nothing recorded when off
    seen = {}
    with mt.autograd.detect_anomaly():
        t = threading.Thread(target=lambda: seen.setdefault("other",
                                                              mt.autograd.is_anomaly_enabled()))
        t.start()
        t.join()
        z = x * 2
    assert seen["other"] is False
    assert "traceback_" in z.grad_fn.metadata


# ---------------------------------------------------------------------------------------------
# checkpoints
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_sigkill_mid_save_leaves_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    good = {"w": mt.tensor(np.full((64, 64), 1.0, np.float32)), "step": 1}
    mt.save(good, path)
    raw = path.read_bytes()
    script = textwrap.dedent(f"""
        import sys, numpy as np
        sys.path.insert(0, {os.path.abspath(ROOT)!r})
        import minitorch
        big = {{"w": minitorch.tensor(np.full((1024, 1024), 2.0, np.float32)),
               "b": minitorch.tensor(np.arange(300000, dtype=np.float64)), "step": 2}}
        print("ready", flush=True)
        while True:
            minitorch.save(big, {str(path)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        # kill the moment the temporary file appears: in the middle of writing it
        deadline = time.time() + 30
        while time.time() < deadline:
            if any(f.startswith(".tmp") for f in os.listdir(tmp_path)):
                break
            time.sleep(0.001)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    loaded = mt.load(path)  # intact: either the old checkpoint or a complete new one
    if loaded["step"] == 1:
        assert path.read_bytes() == raw
        assert np.all(_np(loaded["w"]) == 1.0)
    else:  # the kill landed after a complete save's rename
        assert loaded["step"] == 2 and np.all(_np(loaded["w"]) == 2.0)
        np.testing.assert_array_equal(_np(loaded["b"]), np.arange(300000, dtype=np.float64))


def _safetensors(header, data=b""):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def test_hostile_files_refused_without_code_execution(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    f4 = lambda n: {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}
    cases = {
        "pickle": pickle.dumps({"w": Evil()}),
        "torch_save_evil": None,  # filled below: a real torch.save archive (pickle inside a zip)
        "huge_shape": _safetensors({"w": {"dtype": "F32", "shape": [2**40, 2**40],
                                          "data_offsets": [0, 16]}}, b"\0" * 16),
        "offsets_past_end": _safetensors({"w": {"dtype": "F32", "shape": [4],
                                                "data_offsets": [0, 2**60]}}, b"\0" * 16),
        "negative_offsets": _safetensors({"w": {"dtype": "F32", "shape": [1],
                                                "data_offsets": [-4, 0]}}, b"\0" * 4),
        "reversed_offsets": _safetensors({"w": {"dtype": "F32", "shape": [0],
                                                "data_offsets": [8, 4]}}, b"\0" * 8),
        "overlap": _safetensors({"a": f4(2), "b": f4(2)}, b"\0" * 8),
        "size_mismatch": _safetensors({"w": {"dtype": "F32", "shape": [3],
                                             "data_offsets": [0, 8]}}, b"\0" * 8),
        "unknown_dtype": _safetensors({"w": {"dtype": "OBJ", "shape": [1],
                                             "data_offsets": [0, 8]}}, b"\0" * 8),
        "negative_shape": _safetensors({"w": {"dtype": "F32", "shape": [-1],
                                              "data_offsets": [0, 4]}}, b"\0" * 4),
        "string_shape": _safetensors({"w": {"dtype": "F32", "shape": "4",
                                            "data_offsets": [0, 16]}}, b"\0" * 16),
        "header_list": _safetensors([1, 2, 3]),
        "header_len_huge": struct.pack("<Q", 2**63 - 1) + b"{}",
        "bad_structure": _safetensors({"w": f4(1), "__metadata__": {
            "minitorch.structure": '{"__tensor__": "missing"}'}}, b"\0" * 4),
        "structure_not_json": _safetensors({"w": f4(1), "__metadata__": {
            "minitorch.structure": "__import__('os')"}}, b"\0" * 4),
    }
    tp = tmp_path / "t.pt"
    torch.save({"w": Evil()}, tp)  # refused by torch's weights-only loader, nothing runs
    cases["torch_save_evil"] = tp.read_bytes()
    for name, blob in cases.items():
        p = tmp_path / f"{name}.bin"
        p.write_bytes(blob)
        with pytest.raises(ValueError, match="minitorch.load: .*(not a valid safetensors file|"
                                             "Python pickle|refused by torch's weights-only)") as e:
            mt.load(p)
        assert len(str(e.value)) < 500, name  # a clear one-line reason, not a dump
        assert not marker.exists(), f"{name}: code was executed"
    # a model whose load failed is untouched
    m = mnn.Linear(2, 2)
    before = _np(m.weight).copy()
    with pytest.raises(ValueError):
        m.load_state_dict(mt.load(tmp_path / "overlap.bin"))
    np.testing.assert_array_equal(_np(m.weight), before)


# ---------------------------------------------------------------------------------------------
# memory
# ---------------------------------------------------------------------------------------------
def test_graph_and_saved_tensors_freed_after_backward():
    x = mt.randn(4, 3, requires_grad=True)
    w = mt.randn(3, 2, requires_grad=True)
    h = (x @ w).tanh()      # tanh saves its output h
    z = (h * h).softmax(-1)  # mul saves h twice, softmax saves z
    loss = MF.cross_entropy(z, mt.tensor([0, 1, 1, 0]))
    nodes = [weakref.ref(h.grad_fn), weakref.ref(z.grad_fn), weakref.ref(loss.grad_fn)]
    saved = weakref.ref(h)
    storage = weakref.ref(h._data)
    del h, z
    loss.backward()
    gc.collect()
    # the nodes still hang off ``loss``, but their saved tensors are released
    assert storage() is None and saved() is None
    del loss
    gc.collect()
    assert all(r() is None for r in nodes)


def _live():
    gc.collect()
    objs = gc.get_objects()  # type(): isinstance() would poke deprecated torch proxies
    n_mt = sum(1 for o in objs if issubclass(type(o), mt.Tensor))
    n_storages = len({o.untyped_storage().data_ptr() for o in objs
                      if issubclass(type(o), torch.Tensor) and o.untyped_storage().nbytes()})
    return n_mt, n_storages


@pytest.mark.slow
def test_training_loop_does_not_leak():
    model = mnn.Sequential(mnn.Linear(3, 2), mnn.ReLU())  # the fused linear+relu path
    opt = mt.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    x = mt.randn(5, 3)
    t = mt.tensor([0, 1, 1, 0, 1])

    def step():
        opt.zero_grad()
        loss = MF.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        return loss

    for _ in range(10):
        step()
    base = _live()
    for _ in range(290):
        step()
    after = _live()
    assert after[0] <= base[0], f"live minitorch Tensors grew: {base[0]} -> {after[0]}"
    assert after[1] <= base[1], f"live torch storages grew: {base[1]} -> {after[1]}"


# ---------------------------------------------------------------------------------------------
# threads
# ---------------------------------------------------------------------------------------------
def _train(seed, steps, out, key):
    rng = np.random.default_rng(seed)
    w = mnn.Parameter(mt.tensor(rng.standard_normal((3, 2))))
    x = mt.tensor(rng.standard_normal((4, 3)))
    y = mt.tensor(rng.standard_normal((4, 2)))
    opt = mt.optim.SGD([w], lr=0.1, momentum=0.9)
    losses = []
    for i in range(steps):
        opt.zero_grad()
        if i % 2:  # toggles grad mode on its own thread only
            with mt.no_grad():
                assert not (x @ w).requires_grad
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    out[key] = (losses, _np(w).copy())


@pytest.mark.slow
def test_concurrent_training_matches_sequential():
    seq, par = {}, {}
    for s in (1, 2):
        _train(s, 12, seq, s)
    threads = [threading.Thread(target=_train, args=(s, 12, par, s)) for s in (1, 2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(par) == [1, 2]
    for s in (1, 2):
        assert par[s][0] == seq[s][0]
        np.testing.assert_array_equal(par[s][1], seq[s][1])
    assert mt.is_grad_enabled()
