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
    with pytest.raises(ValueError):
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
    assert header["a"] == {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}
    assert header["b"] == {"dtype": "I64", "shape": [3], "data_offsets": [16, 40]}
    assert isinstance(header["__metadata__"], dict)
    assert all(isinstance(v, str) for v in header["__metadata__"].values())
    body = raw[8 + n:]
    assert np.array_equal(np.frombuffer(body[:16], dtype="<f4"), [1, 2, 3, 4])
    # a plain safetensors file (no minitorch metadata) loads as a flat dict
    plain = {"w": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}}
    hb = json.dumps(plain).encode()
    with open(tmp_path / "plain.safetensors", "wb") as f:
        f.write(struct.pack("<Q", len(hb)) + hb + np.array([1.5, -2.0]).tobytes())
    out = minitorch.load(tmp_path / "plain.safetensors")
    assert out["w"].dtype == torch.float64 and out["w"].tolist() == [1.5, -2.0]


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
        with pytest.raises((ValueError, RuntimeError), match="not a valid safetensors"):
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
    assert not back.requires_grad and np.array_equal(back.numpy(), p.detach().numpy())
