"""make_dot: the autograd graph as a picture (torchviz's signature and look), compared with the
structure of the same computation in torch, and rendered without Graphviz installed."""
import re
import time

import pytest
import torch

import minitorch
from minitorch.utils import viz
from minitorch.utils.viz import make_dot


def _torch_structure(out):
    """What torchviz draws for ``out``: backward nodes by name, and edges (node→node, leaf→its
    AccumulateGrad, last node→output)."""
    seen, names, edges, leaves = set(), [], 1, 0
    stack = [out.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        names.append(type(fn).__name__)
        if hasattr(fn, "variable"):
            leaves += 1
            edges += 1
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                edges += 1
                stack.append(nxt)
    return sorted(names), edges, leaves


def _dot_structure(dot):
    labels = {name: label for name, (label, attrs) in dot.nodes.items()}
    fills = {name: attrs.get("fillcolor") for name, (label, attrs) in dot.nodes.items()}
    fn_names = sorted(labels[n].split("\n")[0] for n in labels if fills[n] is None)
    leaves = sum(1 for f in fills.values() if f == "lightblue")
    return fn_names, len(dot.edges), leaves


def _programs(lib):
    a = lib.ones(2, 3, requires_grad=True)
    w = lib.ones(3, 4, requires_grad=True)
    b = a * 2
    yield "branches, views, reuse", (b.view(6).exp().sum() + b.t().pow(2).mean()) * b.sum()
    yield "matmul", (a @ w).sum()
    x = lib.ones(3, requires_grad=True)
    (g,) = lib.autograd.grad((x * x).sum(), x, create_graph=True)
    yield "second order", g.sum()

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            ctx.save_for_backward(i)
            return i * i

        @staticmethod
        def backward(ctx, grad):
            (i,) = ctx.saved_tensors
            return 2 * i * grad

    yield "custom Function", Square.apply(x).sum()


def test_same_nodes_and_edges_as_torch():
    for (what, ours), (_, theirs) in zip(_programs(minitorch), _programs(torch)):
        assert _dot_structure(make_dot(ours)) == _torch_structure(theirs), what


def test_dot_source_small_graph():
    x = minitorch.ones(2, requires_grad=True)
    y = (x * 3).sum()
    dot = make_dot(y, params={"x": x})
    src = dot.source
    assert src.startswith("digraph {") and src.rstrip().endswith("}")
    labels = re.findall(r'label="([^"]*)"', src)
    assert sorted(lbl.split("\\n")[0] for lbl in labels) == sorted(
        ["", "x", "AccumulateGrad", "MulBackward0", "SumBackward0"])
    assert 'fillcolor="lightblue"' in src and 'fillcolor="darkolivegreen1"' in src
    # x -> AccumulateGrad -> MulBackward0 -> SumBackward0 -> output
    assert len(re.findall(r"->", src)) == 4
    assert "x\\n (2)" in src


def test_leaves_named_from_params_and_frozen_body_has_no_accumulate_grad():
    model = minitorch.nn.Sequential(minitorch.nn.Linear(4, 8), minitorch.nn.ReLU(),
                                    minitorch.nn.Linear(8, 3))
    for p in model.parameters():
        p.requires_grad = False
    model[2] = minitorch.nn.Linear(8, 2)
    x = minitorch.randn(5, 4)
    loss = minitorch.nn.functional.cross_entropy(model(x), minitorch.tensor([0, 1, 0, 1, 1]))
    src = make_dot(loss, params=dict(model.named_parameters())).source
    assert "2.weight" in src and "2.bias" in src
    assert "0.weight" not in src and "0.bias" not in src  # frozen: no AccumulateGrad leaves
    assert src.count("AccumulateGrad") == 2


def test_show_saved_and_attrs():
    class Scale(minitorch.autograd.Function):
        @staticmethod
        def forward(ctx, i, factor):
            ctx.factor = factor
            ctx.save_for_backward(i)
            return i * factor

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.factor, None

    x = minitorch.ones(3, requires_grad=True)
    y = Scale.apply(x * 1, 2.5).sum()  # saves an intermediate (a saved leaf is drawn blue)
    src = make_dot(y, show_saved=True, show_attrs=True).source
    assert 'fillcolor="orange"' in src          # the saved input
    assert "factor: 2.5" in src                  # the attribute forward stored
    assert 'dir="none"' in src


def test_in_place_on_view_shows_copyslices():
    x = minitorch.ones(3, requires_grad=True)
    y = x * 1
    y[0:2].mul_(3)
    assert "CopySlices" in make_dot(y.sum()).source


def test_view_base_drawn_dotted():
    x = minitorch.ones(2, 3, requires_grad=True)
    b = x * 2
    v = b[0]
    src = make_dot(v).source
    assert 'style="dotted"' in src and 'fillcolor="darkolivegreen3"' in src


def test_multiple_outputs():
    x = minitorch.ones(3, requires_grad=True)
    dot = make_dot((x.sum(), (x * 2).sum()))
    assert sum(1 for _, a in dot.nodes.values() if a.get("fillcolor") == "darkolivegreen1") == 2


def test_bad_arguments():
    with pytest.raises(TypeError, match="Tensor"):
        make_dot([1, 2])
    with pytest.raises(TypeError, match="params"):
        make_dot(minitorch.ones(1), params={"w": 3})
    with pytest.raises(ValueError, match="format"):
        make_dot(minitorch.ones(1)).render("/tmp/x", format="gif")


@pytest.mark.parametrize("fmt,magic", [("png", b"\x89PNG"), ("svg", b"<?xml")])
def test_matplotlib_fallback_without_dot(tmp_path, monkeypatch, fmt, magic):
    monkeypatch.setenv("PATH", str(tmp_path))  # no Graphviz 'dot' reachable
    x = minitorch.ones(2, 3, requires_grad=True)
    loss = ((x * 2).exp() @ minitorch.ones(3, 2)).mean()
    path = make_dot(loss, params={"x": x}).render(tmp_path / "graph", format=fmt)
    assert path.endswith("." + fmt)
    with open(path, "rb") as f:
        assert f.read(5).startswith(magic)
    with pytest.raises(RuntimeError, match="Graphviz"):
        make_dot(loss).render(tmp_path / "g2", engine="dot")


def test_big_graph_refused_clearly_and_quickly(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    x = minitorch.ones(3, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y.view(3)  # views launch no kernel: a 10,000-node graph in a fraction of a second
    start = time.perf_counter()
    dot = make_dot(y)
    assert len(dot.nodes) > 10_000
    with pytest.raises(ValueError, match="nodes"):
        dot.render(tmp_path / "big")
    elapsed = time.perf_counter() - start
    print(f"10,000-node graph built and refused in {elapsed:.2f}s")


def test_layers_put_outputs_below_leaves():
    x = minitorch.ones(2, requires_grad=True)
    dot = make_dot((x * 2).sum(), params={"x": x})
    depth = viz._layers(list(dot.nodes), dot.edges)
    by_label = {lbl.split("\n")[0]: depth[n] for n, (lbl, _) in dot.nodes.items()}
    assert by_label["x"] > by_label["AccumulateGrad"] > by_label["MulBackward0"] > \
        by_label["SumBackward0"] > by_label[""]


@pytest.mark.slow
def test_digits_graph_flag(tmp_path, monkeypatch, capsys):
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    monkeypatch.setenv("PATH", str(tmp_path))  # no Graphviz: matplotlib draws
    monkeypatch.syspath_prepend(os.path.join(root, "train"))
    import digits
    digits.main(["--epochs", "1", "--limit", "128", "--graph", "--out", str(tmp_path / "run")])
    assert f"wrote {tmp_path / 'run' / 'graph.png'}" in capsys.readouterr().out
    with open(tmp_path / "run" / "graph.png", "rb") as f:
        assert f.read(4) == b"\x89PNG"
