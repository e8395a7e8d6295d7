"""Differential test of the fusion rule (minitorch/fusion.py): random small training programs —
Linear/ReLU/cross-entropy chains, views, in-place ops, optimizer steps, ``.data`` writes — with
random observation points (tensor hooks that record or rescale, retain_grad, intermediates read
after the step) run three ways: fusion on, fusion off, and real torch. Everything the program can
see must agree.

The default suite runs a few derandomized programs; ``pytest --fuzz-long
tests/test_fusion_differential.py`` runs many with fresh seeds (the seed is in the message).
"""
import os

import numpy as np
import pytest
import torch

import minitorch

SHORT_SEEDS = list(range(10))
LONG_PROGRAMS = 400


def _make_program(seed):
    """A program: a list of instructions drawn from ``seed`` (the same for every library)."""
    rng = np.random.default_rng(seed)
    dtype = "float64" if rng.random() < 0.5 else "float32"
    batch = int(rng.integers(1, 6))
    n_layers = int(rng.integers(1, 4))
    dims = [int(rng.integers(2, 9)) for _ in range(n_layers + 1)]
    # a batch norm after some layers' Linear (those Linears have no bias: its gradient would be
    # zero up to rounding, too small to compare)
    bn_layer = [batch > 1 and rng.random() < 0.3 for _ in range(n_layers)]
    if any(bn_layer):  # a batch norm over 2-5 rows is ill-conditioned: compare in float64
        dtype = "float64"
    init = {
        "x": rng.standard_normal((batch, dims[0])),
        "y": rng.integers(0, dims[-1], batch),
        "layers": [(rng.standard_normal((dims[i + 1], dims[i])) * 0.7,
                    rng.standard_normal(dims[i + 1]) * 0.3
                    if rng.random() < 0.8 and not bn_layer[i] else None)
                   for i in range(n_layers)],
        # batch-norm affine parameters per layer (used where a layer's spec asks for one)
        "bn": [(1 + rng.standard_normal(dims[i + 1]) * 0.3, rng.standard_normal(dims[i + 1]) * 0.3)
               for i in range(n_layers)],
    }
    steps = []
    for _ in range(int(rng.integers(1, 4))):
        layers = []
        for i in range(n_layers):
            last = i == n_layers - 1
            layers.append(dict(
                relu=(not last and rng.random() < 0.8) or (last and rng.random() < 0.15),
                bn=bn_layer[i],
                relu_inplace=rng.random() < 0.3,
                view=rng.choice(["none"] * 9 + ["tt", "reshape", "slice"]),
                inplace=rng.random() < 0.08,
                observe_pre=rng.choice(["none"] * 7 + ["retain", "hook", "hook_scale", "keep"]),
                observe_post=rng.choice(["none"] * 7 + ["retain", "hook", "hook_scale", "keep"]),
            ))
        steps.append(dict(
            layers=layers,
            loss=rng.choice(["ce", "ce", "ce_sum", "ce_none", "square"]),
            observe_logits=rng.choice(["none"] * 4 + ["retain", "keep", "argmax"]),
            # no Adam with a batch norm: a bias feeding it linearly has a zero gradient up to
            # rounding, and Adam's normalization turns that noise into a full step
            update=rng.choice(["sgd", "data_write", "data_assign", "manual", "none"]
                              + ([] if any(bn_layer) else ["adam"])),
            late_write=rng.random() < 0.3,
        ))
    return dtype, init, steps


def _run(lib, program):
    dtype, init, steps = program
    F = lib.nn.functional
    dt = getattr(lib, dtype)
    x = lib.tensor(init["x"]).to(dt)
    y = lib.tensor(init["y"])
    params = []
    for w, b in init["layers"]:
        params.append((lib.tensor(w).to(dt).requires_grad_(),
                       None if b is None else lib.tensor(b).to(dt).requires_grad_()))
    bn_params = [tuple(lib.tensor(a).to(dt).requires_grad_() for a in gb) for gb in init["bn"]]
    bn_stats = [(lib.zeros(len(g), dtype=dt), lib.ones(len(g), dtype=dt)) for g, _ in init["bn"]]
    flat = [p for wb in params for p in wb if p is not None] + [p for gb in bn_params for p in gb]
    opt = None
    out = []       # everything observed, in order
    kept = []      # intermediates read at the very end of the program
    for step in steps:
        if step["update"] == "sgd":
            opt = opt if isinstance(opt, lib.optim.SGD) else lib.optim.SGD(flat, lr=0.1,
                                                                             momentum=0.9)
        elif step["update"] == "adam":
            opt = opt if isinstance(opt, lib.optim.Adam) else lib.optim.Adam(flat, lr=0.05)
        for p in flat:
            p.grad = None
        h = x
        retained = []
        hooks_seen = []
        for (w, b), (gamma, beta), (rm, rv), spec in zip(params, bn_params, bn_stats,
                                                         step["layers"]):
            z = F.linear(h, w, b)
            pre = z
            if spec["bn"]:
                z = F.batch_norm(z, rm, rv, gamma, beta, training=True, momentum=0.3)
            if spec["inplace"]:
                z = z * 1.0
                z.mul_(1.5)
            if spec["view"] == "tt":
                z = z.t().t()
            elif spec["view"] == "reshape":
                z = z.reshape(-1).reshape(z.shape)
            elif spec["view"] == "slice":
                z = z[:, :]
            if spec["relu"]:
                post = z.relu_() if spec["relu_inplace"] and z is not pre else F.relu(z)
            else:
                post = z
            for t, how in ((pre, spec["observe_pre"]), (post, spec["observe_post"])):
                if how == "retain":
                    t.retain_grad()
                    retained.append(t)
                elif how == "hook":
                    t.register_hook(lambda g: hooks_seen.append(g.clone()))
                elif how == "hook_scale":
                    t.register_hook(lambda g: g * 0.5)
                elif how == "keep":
                    kept.append(t)
            h = post
        logits = h
        if step["observe_logits"] == "retain":
            logits.retain_grad()
            retained.append(logits)
        elif step["observe_logits"] == "keep":
            kept.append(logits)
        if step["loss"] == "ce":
            loss = F.cross_entropy(logits, y)
        elif step["loss"] == "ce_sum":
            loss = F.cross_entropy(logits, y, reduction="sum")
        elif step["loss"] == "ce_none":
            loss = (F.cross_entropy(logits, y, reduction="none") * 0.5).sum()
        else:
            loss = (logits * logits).mean()
        loss.backward()
        out.append(loss)
        out.extend(t.grad for t in retained)
        out.extend(hooks_seen)
        out.extend(p.grad for p in flat)
        if step["update"] in ("sgd", "adam"):
            opt.step()
        elif step["update"] == "data_write":
            for p in flat:
                p.data.mul_(0.9)
        elif step["update"] == "data_assign":
            for p in flat:
                p.data = p.data * 0.5 + 0.1
        elif step["update"] == "manual":
            with lib.no_grad():
                for p in flat:
                    if p.grad is not None:
                        p.sub_(0.1 * p.grad)
        if step["observe_logits"] == "argmax" and logits.dim() == 2:
            out.append((logits.argmax(1) == y).to(dt).mean())
        if step["late_write"]:
            with lib.no_grad():
                params[0][0].fill_(0.25)
    out.extend(kept)
    out.extend(flat)
    out.extend(t for stats in bn_stats for t in stats)
    return out


def _compare(seed, program):
    results = {}
    old = minitorch.backends.fusion.enabled
    try:
        for mode in (True, False):
            minitorch.backends.fusion.enabled = mode
            results[mode] = _run(minitorch, program)
    finally:
        minitorch.backends.fusion.enabled = old
    want = _run(torch, program)
    tight = program[0] == "float64"
    for name, got in (("fusion on", results[True]), ("fusion off", results[False])):
        assert len(got) == len(want), (seed, name)
        for i, (a, b) in enumerate(zip(got, want)):
            assert (a is None) == (b is None), f"seed {seed} {name}: value {i} None mismatch"
            if b is None:
                continue
            a, b = a.detach().numpy(), b.detach().numpy()
            assert a.shape == b.shape, f"seed {seed} {name}: value {i} shape {a.shape} vs {b.shape}"
            scale = max(1.0, float(np.abs(b).max()) if b.size else 1.0)
            np.testing.assert_allclose(
                a, b, rtol=1e-9 if tight else 1e-4, atol=(1e-10 if tight else 1e-5) * scale,
                err_msg=f"seed {seed} {name}: value {i} of program {program[2]}")


@pytest.mark.parametrize("seed", SHORT_SEEDS)
def test_fusion_on_off_and_torch_agree(seed, fuzz_long):
    if fuzz_long and seed != SHORT_SEEDS[0]:
        pytest.skip("--fuzz-long runs the long loop once")
    seeds = [seed]
    if fuzz_long:
        base = int.from_bytes(os.urandom(4), "little")
        seeds = [base + k for k in range(LONG_PROGRAMS)]
    for s in seeds:
        _compare(s, _make_program(s))
