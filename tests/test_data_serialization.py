"""minitorch.utils.data (Dataset, TensorDataset, DataLoader, random_split) and minitorch.save /
minitorch.load (safetensors)."""
import json
import os
import struct

import numpy as np
import pytest
import torch

import minitorch
import minitorch.nn as nn
import minitorch.utils.data as data
from minitorch.ops import launcher

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


# ----------------------------------------------------------------------------- data
def test_tensor_dataset_and_sequential_loader():
    x = minitorch.arange(20, dtype=minitorch.float32).reshape(10, 2)
    y = minitorch.arange(10)
    ds = data.TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    assert xi.tolist() == [6.0, 7.0] and yi.item() == 3
    batches = list(data.DataLoader(ds, batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 2)
    loader = data.DataLoader(ds, batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(data.DataLoader(ds, batch_size=4)) == 3
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):  # as torch
        data.TensorDataset(x, minitorch.arange(3))


def test_shuffle_is_seeded_permutation_from_kernel():
    ds = data.TensorDataset(minitorch.arange(50))

    def epoch(seed):
        g = minitorch.Generator().manual_seed(seed)
        return [v for (b,) in data.DataLoader(ds, batch_size=8, shuffle=True, generator=g)
                for v in b.tolist()]

    launcher.stats.reset()
    e1 = epoch(1)
    assert launcher.stats.by_kernel.get("rank_kernel") == 1
    assert sorted(e1) == list(range(50)) and e1 != list(range(50))
    assert epoch(1) == e1 and epoch(2) != e1
    g = minitorch.Generator().manual_seed(7)
    loader = data.DataLoader(ds, batch_size=50, shuffle=True, generator=g)
    first, second = next(iter(loader))[0].tolist(), next(iter(loader))[0].tolist()
    assert first != second  # each epoch draws a new permutation


def test_custom_dataset_default_collate():
    class Squares(data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": minitorch.full((2,), float(i)), "y": i * i, "name": f"n{i}"}

    batches = list(data.DataLoader(Squares(), batch_size=2))
    assert len(batches) == 3
    b = batches[0]
    assert b["x"].tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert b["y"].tolist() == [0, 1] and b["y"].dtype == minitorch.int64
    assert b["name"] == ["n0", "n1"]
    tuples = list(data.DataLoader([(minitorch.ones(1), 1.5)] * 3, batch_size=3))
    assert tuples[0][0].shape == (3, 1) and tuples[0][1].tolist() == [1.5] * 3
    loader = data.DataLoader(Squares(), batch_size=2, collate_fn=lambda b: len(b))
    assert list(loader) == [2, 2, 1]


def test_random_split():
    ds = data.TensorDataset(minitorch.arange(10))
    a, b = data.random_split(ds, [7, 3], generator=minitorch.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3
    items = sorted([a[i][0].item() for i in range(7)] + [b[i][0].item() for i in range(3)])
    assert items == list(range(10))
    c, d = data.random_split(ds, [0.5, 0.5])
    assert len(c) == 5 and len(d) == 5
    with pytest.raises(ValueError):
        data.random_split(ds, [3, 3])
    a2, _ = data.random_split(ds, [7, 3], generator=minitorch.Generator().manual_seed(0))
    assert a.indices == a2.indices


def test_randperm_and_training_loop():
    perm = data.randperm(300).tolist()
    assert sorted(perm) == list(range(300))
    minitorch.manual_seed(0)
    x = minitorch.randn(32, 3)
    w_true = minitorch.tensor([[1.0], [-2.0], [0.5]])
    y = x @ w_true
    model = nn.Linear(3, 1)
    opt = minitorch.optim.SGD(model.parameters(), lr=0.1)
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=8, shuffle=True)
    first = None
    for _ in range(3):
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(xb), yb)
            loss.backward()
            opt.step()
            first = first if first is not None else loss.item()
    assert loss.item() < first


# ----------------------------------------------------------------------------- serialization
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2)
        self.register_buffer("count", minitorch.tensor([3], dtype=minitorch.int64))

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


def test_save_load_state_dict_roundtrip(tmp_path):
    net = Net()
    path = tmp_path / "model.safetensors"
    minitorch.save(net.state_dict(), path)
    loaded = minitorch.load(path)
    assert list(loaded) == list(net.state_dict())
    for k, v in net.state_dict().items():
        assert loaded[k].dtype == v.dtype and np.array_equal(loaded[k].numpy(), v.numpy())
    net2 = Net()
    net2.load_state_dict(loaded)
    x = minitorch.randn(5, 3)
    np.testing.assert_array_equal(net2(x).detach().numpy(), net(x).detach().numpy())
    assert [p for p in os.listdir(tmp_path)] == ["model.safetensors"]  # no temp files left


def test_file_format_is_safetensors(tmp_path):
    t = minitorch.tensor([[1.0, 2.0], [3.0, 4.0]])
    path = str(tmp_path / "t.safetensors")
    minitorch.save({"a": t, "b": minitorch.arange(3)}, path)
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    assert (n + 8) % 8 == 0  # the data section is 8-byte aligned
    assert {k: (v["dtype"], v["shape"]) for k, v in header.items() if k != "__metadata__"} == \
        {"a": ("F32", [2, 2]), "b": ("I64", [3])}
    a0, a1 = header["a"]["data_offsets"]
    body = raw[8 + n:]
    assert np.array_equal(np.frombuffer(body[a0:a1], dtype="<f4"), [1, 2, 3, 4])
    assert isinstance(header["__metadata__"], dict)
    assert all(isinstance(v, str) for v in header["__metadata__"].values())
    # real PyTorch reads it with the safetensors package, as the README says
    from safetensors import safe_open
    from safetensors.torch import load_file
    flat = load_file(path)
    assert flat["a"].tolist() == [[1.0, 2.0], [3.0, 4.0]] and flat["b"].dtype == torch.int64
    with safe_open(path, "pt") as f:
        structure = json.loads(f.metadata()["minitorch.structure"])
    assert structure["__dict__"][0] == ["a", {"__tensor__": "a"}]
    # a plain safetensors file (no minitorch metadata) loads as a flat dict
    plain = {"w": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}}
    hb = json.dumps(plain).encode()
    with open(tmp_path / "plain.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(hb)) + hb + np.array([1.5, -2.0]).tobytes())
    out = minitorch.load(tmp_path / "plain.safetensors")
    assert out["w"].dtype == torch.float64 and out["w"].tolist() == [1.5, -2.0]


def test_files_of_the_previous_writer_still_load(tmp_path):
    """The hand-written writer before safetensors-the-package: tensors in insertion order, header
    padded with spaces, the same structure metadata."""
    header = {"model.w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
              "step": {"dtype": "I64", "shape": [], "data_offsets": [8, 16]},
              "__metadata__": {"format": "pt", "minitorch.structure": json.dumps(
                  {"__dict__": [["model", {"__dict__": [["w", {"__tensor__": "model.w"}]],
                                           "ordered": True}],
                                ["step", {"__tensor__": "step"}], ["lr", 0.5],
                                ["dt", {"__dtype__": "torch.bfloat16"}],
                                ["best", {"__float__": "inf"}]], "ordered": False})}}
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * (-len(hb) % 8)
    blob = struct.pack("<Q", len(hb)) + hb + np.array([1.0, 2.0], "<f4").tobytes() + \
        np.array(7, "<i8").tobytes()
    (tmp_path / "old.safetensors").write_bytes(blob)
    out = minitorch.load(tmp_path / "old.safetensors")
    assert type(out["model"]).__name__ == "OrderedDict" and out["model"]["w"].tolist() == [1, 2]
    assert out["step"].item() == 7 and out["lr"] == 0.5 and out["dt"] is torch.bfloat16
    assert out["best"] == float("inf")


def test_nested_checkpoint_with_optimizer(tmp_path):
    net = Net()
    opt = minitorch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    nn.functional.mse_loss(net(minitorch.randn(4, 3)), minitorch.zeros(4, 2)).backward()
    opt.step()
    ckpt = {"model": net.state_dict(), "optim": opt.state_dict(), "epoch": 7,
            "history": [0.5, 0.25, float("inf")], "name": "run-1", "extra": None,
            "shape": (2, 3), "bf": minitorch.ones(2, dtype=minitorch.bfloat16),
            "mask": minitorch.tensor([True, False])}
    path = tmp_path / "ckpt.safetensors"
    minitorch.save(ckpt, path)
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    keys = set(json.loads(raw[8:8 + n]))
    assert "model.fc1.weight" in keys and "optim.state.0.momentum_buffer" in keys
    out = minitorch.load(path)
    assert out["epoch"] == 7 and out["history"] == [0.5, 0.25, float("inf")]
    assert out["name"] == "run-1" and out["extra"] is None and out["shape"] == (2, 3)
    assert out["bf"].dtype == torch.bfloat16 and out["mask"].tolist() == [True, False]
    assert list(out["model"]) == list(net.state_dict())
    assert set(out["optim"]["state"]) == {0, 1, 2, 3}
    assert out["optim"]["param_groups"][0]["lr"] == 0.1
    net2 = Net()
    net2.load_state_dict(out["model"])
    opt2 = minitorch.optim.SGD(net2.parameters(), lr=0.1, momentum=0.9)
    opt2.load_state_dict(out["optim"])
    buf = opt2.state[net2.fc1.weight]["momentum_buffer"]
    assert np.array_equal(buf.numpy(), opt.state[net.fc1.weight]["momentum_buffer"].numpy())


def test_torch_interop_through_file(tmp_path):
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    # a torch state_dict converted tensor by tensor, saved, loaded into the same architecture
    sd = {k: minitorch.tensor(v.detach().numpy()) for k, v in tnet.state_dict().items()}
    minitorch.save(sd, tmp_path / "t.safetensors")
    mnet = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    mnet.load_state_dict(minitorch.load(tmp_path / "t.safetensors"))
    x = torch.randn(5, 3)
    np.testing.assert_allclose(mnet(minitorch.tensor(x.numpy())).detach().numpy(),
                               tnet(x).detach().numpy(), atol=1e-6)


def test_corrupt_files_refused(tmp_path):
    net = Net()
    path = tmp_path / "good.safetensors"
    minitorch.save(net.state_dict(), path)
    raw = open(path, "rb").read()
    cases = {
        "empty": b"",
        "short": raw[:5],
        "truncated_header": raw[:20],
        "truncated_data": raw[:-7],
        "trailing": raw + b"xx",
        "garbage_header": struct.pack("<Q", 8) + b"notjson!",
        "huge_len": struct.pack("<Q", 2**62) + raw[8:],
        "foreign": b"PK\x03\x04" + os.urandom(60),
    }
    for name, blob in cases.items():
        p = tmp_path / f"{name}.bin"
        p.write_bytes(blob)
        with pytest.raises(ValueError, match="not a valid (safetensors file|PyTorch "
                                             "checkpoint)"):
            minitorch.load(p)
    # a failed load leaves the model untouched, and a bad save does not clobber the old file
    with pytest.raises(TypeError):
        minitorch.save({"w": object()}, path)
    assert open(path, "rb").read() == raw
    assert sorted(os.listdir(tmp_path))[-1] != ".tmp"
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp")]


def test_tensor_not_picklable_but_savable(tmp_path):
    t = minitorch.randn(3)
    minitorch.save(t, tmp_path / "t.safetensors")
    assert np.array_equal(minitorch.load(tmp_path / "t.safetensors").numpy(), t.numpy())
    p = nn.Parameter(minitorch.randn(2))
    minitorch.save({"p": p}, tmp_path / "p.safetensors")
    back = minitorch.load(tmp_path / "p.safetensors")["p"]
    # as torch.load: a Parameter comes back as a Parameter that requires grad
    assert isinstance(back, nn.Parameter) and back.requires_grad
    assert np.array_equal(back.detach().numpy(), p.detach().numpy())


# ----------------------------------------------------------------------------- structure whitelist
def _with_structure(tmp_path, structure, name="s.safetensors"):
    """A valid safetensors payload (one tensor "w") whose minitorch structure is ``structure``."""
    import safetensors.torch
    text = structure if isinstance(structure, str) else json.dumps(structure)
    path = tmp_path / name
    path.write_bytes(safetensors.torch.save({"w": torch.ones(1)},
                                            {"minitorch.structure": text}))
    return path


@pytest.mark.parametrize("structure", [
    {"__dtype__": "torch.nn"},              # getattr(torch, name) would hand out a module
    {"__dtype__": "nn"},
    {"__dtype__": "torch.complex64"},       # a real dtype, but not one save writes
    {"__dtype__": ["torch.float32"]},
    {"__tensor__": "missing"},
    {"__tensor__": 5},
    {"__tensor__": "w", "extra": 1},        # known kind, unexpected key
    {"__dict__": [[["unhashable"], 1]], "ordered": False},
    {"__dict__": [[{"k": 1}, 1]], "ordered": False},
    {"__dict__": [["a"]], "ordered": False},
    {"__dict__": 5, "ordered": False},
    {"__dict__": [], "ordered": "yes"},
    {"__dict__": []},
    {"__tuple__": {"a": 1}},
    {"__float__": "1e999"},
    {"__float__": 3},
    {"__class__": "os.system"},
    "[" * 100000 + "]" * 100000,            # RecursionError in json, caught
    json.dumps(json.loads("[" * 150 + "]" * 150)),  # parses, but deeper than the bound
    "{not json",
], ids=lambda s: (s if isinstance(s, str) else json.dumps(s))[:30])
def test_structure_metadata_is_whitelisted(tmp_path, structure):
    path = _with_structure(tmp_path, structure)
    with pytest.raises(ValueError, match="not a valid safetensors file") as e:
        minitorch.load(path)
    assert len(str(e.value)) < 400


def test_structure_nodes_that_save_writes_are_accepted(tmp_path):
    structure = {"__dict__": [[1, {"__tuple__": [{"__tensor__": "w"}, None, True, "s"]}],
                              [None, {"__float__": "-inf"}], [2.5, {"__dtype__": "torch.int8"}],
                              [False, [[[1]]]]], "ordered": True}
    out = minitorch.load(_with_structure(tmp_path, structure))
    assert list(out) == [1, None, 2.5, False]
    assert out[1][0].tolist() == [1.0] and out[1][1:] == (None, True, "s")
    assert out[None] == float("-inf") and out[2.5] is torch.int8 and out[False] == [[[1]]]


def test_save_refuses_cycles_and_deep_nesting_with_value_error(tmp_path):
    cyc = {"a": []}
    cyc["a"].append(cyc)
    deep = []
    for _ in range(200):
        deep = [deep]
    for obj in (cyc, deep):
        with pytest.raises(ValueError):
            minitorch.save(obj, tmp_path / "x.safetensors")
    assert os.listdir(tmp_path) == []
    shared = minitorch.ones(2)
    minitorch.save({"a": [shared, shared], "b": (shared,)}, tmp_path / "ok.safetensors")
    back = minitorch.load(tmp_path / "ok.safetensors")
    assert back["a"][1].tolist() == [1.0, 1.0] and back["b"][0].tolist() == [1.0, 1.0]


# ----------------------------------------------------------------------------- files
def test_created_files_honour_the_umask_and_keep_an_existing_mode(tmp_path):
    t = {"w": minitorch.ones(2)}
    old = os.umask(0o022)
    try:
        minitorch.save(t, tmp_path / "a.safetensors")
        os.umask(0o077)
        minitorch.save(t, tmp_path / "b.safetensors")
        torch.save({"w": torch.ones(2)}, tmp_path / "b.pt")
        os.chmod(tmp_path / "a.safetensors", 0o640)
        minitorch.save(t, tmp_path / "a.safetensors")  # overwritten: keeps its mode
    finally:
        os.umask(old)
    mode = lambda n: os.stat(tmp_path / n).st_mode & 0o777  # noqa: E731
    assert mode("b.safetensors") == mode("b.pt") == 0o600
    assert mode("a.safetensors") == 0o640
    os.umask(0o022)
    try:
        minitorch.save(t, tmp_path / "c.safetensors")
        torch.save({"w": torch.ones(2)}, tmp_path / "c.pt")
    finally:
        os.umask(old)
    assert mode("c.safetensors") == mode("c.pt") == 0o644


def test_save_through_a_symlink_replaces_its_target(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.safetensors"
    minitorch.save({"w": minitorch.zeros(2)}, target)
    link = tmp_path / "latest.safetensors"
    link.symlink_to(target)
    minitorch.save({"w": minitorch.ones(2)}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert minitorch.load(target)["w"].tolist() == [1.0, 1.0]
    assert sorted(os.listdir(tmp_path / "real")) == ["model.safetensors"]
    dangling = tmp_path / "new.safetensors"
    dangling.symlink_to(tmp_path / "real" / "new-target.safetensors")
    minitorch.save({"w": minitorch.ones(1)}, dangling)
    assert dangling.is_symlink() and minitorch.load(dangling)["w"].tolist() == [1.0]


def test_file_objects_for_save_and_load(tmp_path):
    import io
    buf = io.BytesIO()
    minitorch.save({"w": minitorch.arange(4), "n": 3}, buf)
    buf.seek(0)
    out = minitorch.load(buf)
    assert out["w"].tolist() == [0, 1, 2, 3] and out["n"] == 3
    with open(tmp_path / "f.safetensors", "wb") as f:
        minitorch.save([minitorch.ones(1)], f)
    with open(tmp_path / "f.safetensors", "rb") as f:
        assert minitorch.load(f)[0].tolist() == [1.0]
    tbuf = io.BytesIO()
    torch.save({"w": torch.arange(3)}, tbuf)
    tbuf.seek(0)
    assert minitorch.load(tbuf)["w"].tolist() == [0, 1, 2]


def test_temp_files_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    import subprocess
    import sys
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path = tmp_path / "ckpt.safetensors"
    stale = tmp_path / f".tmp-ckpt.safetensors-{dead.pid}-0badc0de"
    live = tmp_path / f".tmp-ckpt.safetensors-{os.getppid()}-12345678"  # a live process's
    other = tmp_path / f".tmp-other.safetensors-{dead.pid}-0badc0de"    # another file's
    for p in (stale, live, other):
        p.write_bytes(b"half-written")
    minitorch.save({"w": minitorch.ones(1)}, path)
    assert not stale.exists() and live.exists() and other.exists()
    assert minitorch.load(path)["w"].tolist() == [1.0]


# ----------------------------------------------------------------------------- torch.save files
class _Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned-by-checkpoint",))


def test_torch_save_state_dict_loads_into_a_minitorch_model(tmp_path):
    from collections import OrderedDict
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    path = tmp_path / "model.pth"
    torch.save(tnet.state_dict(), path)
    sd = minitorch.load(path)
    assert type(sd) is OrderedDict and list(sd) == list(tnet.state_dict())
    assert all(type(v) is minitorch.Tensor and not v.requires_grad for v in sd.values())
    mnet = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    mnet.load_state_dict(sd)
    x = torch.randn(5, 3)
    np.testing.assert_allclose(mnet(minitorch.tensor(x.numpy())).detach().numpy(),
                               tnet(x).detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_torch_save_checkpoints_keep_their_containers(tmp_path, legacy):
    w = torch.nn.Parameter(torch.randn(2, 3))
    ckpt = {"model": {"w": w, "tied": w, "t": w.detach().t()}, "epoch": 3, "lrs": [0.1, 0.01],
            "shape": (2, 3), "size": torch.Size([4]), "none": None, "name": "run",
            "half": torch.ones(2, dtype=torch.bfloat16), "mask": torch.tensor([True, False]),
            "dtype": torch.float16}
    # named by the other format's extension on purpose: the first bytes decide
    path = tmp_path / "ckpt.safetensors"
    torch.save(ckpt, path, _use_new_zipfile_serialization=not legacy)
    out = minitorch.load(path)
    assert out["epoch"] == 3 and out["lrs"] == [0.1, 0.01] and out["shape"] == (2, 3)
    assert out["size"] == torch.Size([4]) and out["none"] is None and out["name"] == "run"
    assert out["dtype"] is torch.float16
    m = out["model"]
    assert isinstance(m["w"], minitorch.Tensor) and m["tied"] is m["w"]
    np.testing.assert_array_equal(m["w"].numpy(), w.detach().numpy())
    np.testing.assert_array_equal(m["t"].numpy(), w.detach().t().numpy())
    assert out["half"].dtype == torch.bfloat16 and out["mask"].tolist() == [True, False]
    # our own file named .pt loads as safetensors
    minitorch.save({"x": minitorch.ones(1)}, tmp_path / "ours.pt")
    assert minitorch.load(tmp_path / "ours.pt")["x"].tolist() == [1.0]


@pytest.mark.parametrize("case", ["evil", "evil_legacy", "slice", "module", "complex", "sparse",
                                  "truncated"])
def test_torch_save_files_with_more_than_weights_are_refused(tmp_path, case, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bad.pt"
    objs = {"evil": {"w": _Evil()}, "evil_legacy": {"w": _Evil()}, "slice": {"s": slice(1, 2)},
            "module": torch.nn.Linear(2, 2), "complex": {"c": torch.ones(2, dtype=torch.complex64)},
            "sparse": {"s": torch.eye(2).to_sparse()}, "truncated": {"w": torch.ones(100)}}
    torch.save(objs[case], path, _use_new_zipfile_serialization=case != "evil_legacy")
    if case == "truncated":
        path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(ValueError, match="minitorch.load: .*bad.pt") as e:
        minitorch.load(path)
    msg = str(e.value)
    assert len(msg) < 400 and "\n" not in msg, msg
    assert not (tmp_path / "pwned-by-checkpoint").exists()
    expect = {"evil": "GLOBAL posix.system", "evil_legacy": "GLOBAL posix.system",
              "slice": "GLOBAL slice", "module": "GLOBAL torch.nn.modules.linear.Linear",
              "complex": "complex64 tensor", "sparse": "sparse_coo tensor",
              "truncated": "not a valid PyTorch checkpoint"}[case]
    assert expect in msg, msg


def test_torch_save_file_from_a_gpu_loads_with_map_location(tmp_path):
    import io
    import zipfile
    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    path = tmp_path / "gpu.pt"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as dst:  # as if saved from cuda
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x04\x00\x00\x00cuda")
            dst.writestr(info, data)
    with pytest.raises(RuntimeError, match="CUDA.*pass map_location='cpu'"):
        minitorch.load(path)
    assert minitorch.load(path, map_location="cpu")["w"].tolist() == [1.0, 1.0]
