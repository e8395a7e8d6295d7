"""train/finetune_resnet.py: the seed's ResNet finetuning recipe on digits, and the BatchNorm
pitfall of freezing a network (a frozen BatchNorm in train mode still updates its running
statistics), side by side with torch."""
import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file, save_file

import minitorch
from minitorch import models, nn
from tools.torchvision_models import torchvision_models

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TRAIN = os.path.join(ROOT, "train")
sys.path.insert(0, TRAIN)

import finetune_resnet as ftr  # noqa: E402
from _common import run  # noqa: E402

TINY = ["--widths", "4,8", "--pretrain-epochs", "1", "--pretrain-limit", "64", "--labels", "8",
        "--steps", "3"]


def _mt(t):
    return minitorch.tensor(t.detach().numpy())


def _np(t):
    return t.detach().numpy()


# ------------------------------------------------------------------------- the pitfall, vs torch
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_frozen_batchnorm_pitfall_side_by_side_with_torch(mode):
    """requires_grad=False freezes weight and bias, not the running statistics: in train mode a
    frozen BatchNorm2d normalizes with the batch and moves running_mean, running_var and
    num_batches_tracked (as torch does, to the same values); in eval mode nothing moves."""
    g = torch.Generator().manual_seed(0)
    ref = torch.nn.BatchNorm2d(3)
    with torch.no_grad():
        ref.weight.uniform_(0.5, 1.5, generator=g)
        ref.bias.uniform_(-0.5, 0.5, generator=g)
        ref.running_mean.uniform_(-0.5, 0.5, generator=g)
        ref.running_var.uniform_(0.5, 2.0, generator=g)
    ours = nn.BatchNorm2d(3)
    ours.load_state_dict({k: _mt(v) for k, v in ref.state_dict().items()})
    for m in (ref, ours):
        for param in m.parameters():
            param.requires_grad = False
    getattr(ref, mode)()
    getattr(ours, mode)()
    before_ref = {k: v.clone() for k, v in ref.state_dict().items()}
    before = {k: v.clone() for k, v in ours.state_dict().items()}
    x = torch.randn(4, 3, 5, 5, generator=g) * 2 + 1
    for _ in range(2):
        out_ref = ref(x)
        out = ours(_mt(x))
        torch.testing.assert_close(torch.from_numpy(_np(out)), out_ref, rtol=1e-5, atol=1e-5)
        assert not out_ref.requires_grad and not out.requires_grad
    moved_ref = {k for k, v in ref.state_dict().items() if not torch.equal(v, before_ref[k])}
    moved = {k for k, v in ours.state_dict().items() if not minitorch.equal(v, before[k])}
    if mode == "train":
        assert moved_ref == moved == {"running_mean", "running_var", "num_batches_tracked"}
        assert int(ours.num_batches_tracked) == int(ref.num_batches_tracked) == 2
    else:
        assert moved_ref == moved == set()
    for k, v in ref.state_dict().items():  # the same running statistics on both sides
        torch.testing.assert_close(torch.from_numpy(_np(ours.state_dict()[k])), v, rtol=1e-5,
                                   atol=1e-6)


# ------------------------------------------------------------------ the recipe keeps the body
def _tiny_pretrained(tmp_path):
    minitorch.manual_seed(0)
    model = models.resnet_small(num_classes=5, widths=(4, 8))
    # non-trivial running statistics, as a pretrained body has
    model.train()
    with minitorch.no_grad():
        for _ in range(2):
            model(minitorch.randn(6, 1, 8, 8) * 2 + 0.5)
    path = str(tmp_path / "body.safetensors")
    minitorch.save(model.state_dict(), path)
    return path


def _graph_leaves(fn, seen=None):
    """The tensors whose AccumulateGrad nodes the graph under ``fn`` reaches."""
    seen = set() if seen is None else seen
    if fn is None or id(fn) in seen:
        return []
    seen.add(id(fn))
    found = [fn.variable] if hasattr(fn, "variable") else []
    for child, _ in fn.next_functions:
        found += _graph_leaves(child, seen)
    return found


@pytest.mark.parametrize("eval_body", [True, False])
def test_recipe_keeps_every_frozen_tensor_bit_identical(tmp_path, eval_body):
    """The script's recipe (freeze, new fc, SGD on fc, body in eval mode) followed by its training
    loop: every frozen tensor, BatchNorm buffers included, is bit-identical afterwards, fc moved.
    The control (the body left in train mode: the pitfall) moves the running statistics, so the
    comparison can fail."""
    path = _tiny_pretrained(tmp_path)
    args = ftr.parse_args(["--steps", "3", "--out", str(tmp_path / "out")])
    model, spec = ftr.load_weights(path, args)
    assert spec["widths"] == [4, 8] and spec["layers"] == [1, 1]
    optimizer = ftr.tutorial_recipe(model, 2)
    assert isinstance(optimizer, minitorch.optim.SGD)
    assert [p for g in optimizer.param_groups for p in g["params"]] == \
        list(model.fc.parameters())
    assert optimizer.defaults["lr"] == 1e-2 and optimizer.defaults["momentum"] == 0.9
    assert model.fc.training and not model.bn1.training and not model.layer2[0].bn2.training
    if not eval_body:
        model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    buffers = [k for k in before if k.endswith(("running_mean", "running_var",
                                                "num_batches_tracked"))]
    assert len(buffers) == 6 * 3  # bn1, layer1.0.{bn1,bn2}, layer2.0.{bn1,bn2,downsample.1}
    x = minitorch.randn(8, 1, 8, 8)
    y = minitorch.tensor([0, 1, 0, 1, 1, 0, 1, 0])
    # the loss's graph reaches the new head's parameters only: the frozen body has no leaves
    leaves = _graph_leaves(nn.functional.cross_entropy(model(x), y).grad_fn)
    assert sorted(map(id, leaves)) == sorted(map(id, model.fc.parameters()))
    if not eval_body:  # that forward, in train mode, was itself a step of the pitfall
        before = {k: v.clone() for k, v in model.state_dict().items()}
    ftr.fit(model, optimizer, x, y, args, "test")
    after = model.state_dict()
    changed = {k for k in before if not minitorch.equal(before[k], after[k])}
    assert {"fc.weight", "fc.bias"} <= changed
    assert all(p.grad is None for n, p in model.named_parameters() if not n.startswith("fc."))
    if eval_body:
        assert changed == {"fc.weight", "fc.bias"}
    else:
        assert changed - {"fc.weight", "fc.bias"} == set(buffers)


# ------------------------------------------------------------- weights from a torch-built model
def _torch_small_resnet(widths=(4, 8), classes=5, in_channels=1):
    """A small ResNet built in torch from torchvision's BasicBlock, with resnet_small's layout
    and torchvision's keys, random BatchNorm statistics."""
    tvm = torchvision_models()
    block = tvm.resnet.BasicBlock

    class Small(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
            self.bn1 = torch.nn.BatchNorm2d(widths[0])
            self.relu = torch.nn.ReLU(inplace=True)
            self.maxpool = torch.nn.Identity()
            inplanes = widths[0]
            for i, w in enumerate(widths):
                stride = 1 if i == 0 else 2
                down = None if stride == 1 and inplanes == w else torch.nn.Sequential(
                    torch.nn.Conv2d(inplanes, w, 1, stride, bias=False), torch.nn.BatchNorm2d(w))
                setattr(self, f"layer{i + 1}", torch.nn.Sequential(block(inplanes, w, stride,
                                                                         down)))
                inplanes = w
            self.avgpool = torch.nn.AdaptiveAvgPool2d(1)
            self.fc = torch.nn.Linear(inplanes, classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            for i in range(len(widths)):
                x = getattr(self, f"layer{i + 1}")(x)
            return self.fc(self.avgpool(x).flatten(1))

    torch.manual_seed(0)
    ref = Small()
    with torch.no_grad():
        for m in ref.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(5)
    return ref.eval()


def test_weights_from_a_torch_built_model_load_and_give_torchs_logits(tmp_path):
    ref = _torch_small_resnet()
    path = str(tmp_path / "torch_resnet.safetensors")
    save_file(ref.state_dict(), path)
    args = ftr.parse_args(["--weights", path, "--out", str(tmp_path / "out")])
    model, spec = ftr.load_weights(path, args)
    assert spec == dict(block="BasicBlock", layers=[1, 1], widths=[4, 8], in_channels=1,
                        small_input=True, num_classes=5)
    assert list(model.state_dict()) == list(ref.state_dict())
    model.eval()
    x = torch.rand(6, 1, 8, 8)
    with torch.no_grad():
        expected = ref(x)
    torch.testing.assert_close(torch.from_numpy(_np(model(_mt(x)))), expected, rtol=1e-4,
                               atol=1e-5)


def test_the_architecture_is_read_from_the_keys_and_shapes():
    """torchvision's ResNet-18 and ResNet-50 (shapes only), and small members of both block
    types with torchvision's 7x7 stem and 3 input channels, rebuilt from their state_dicts."""
    tvm = torchvision_models()
    for build, expected in [
            (tvm.resnet18, dict(block="BasicBlock", layers=[2, 2, 2, 2],
                                widths=[64, 128, 256, 512])),
            (tvm.resnet50, dict(block="Bottleneck", layers=[3, 4, 6, 3],
                                widths=[64, 128, 256, 512]))]:
        state = {k: minitorch.empty(tuple(v.shape)) for k, v in build().state_dict().items()}
        assert ftr.spec_of(state, "x") == dict(expected, in_channels=3, small_input=False,
                                               num_classes=1000)
    from minitorch.models.resnet import BasicBlock, Bottleneck, ResNet
    for block, layers in ((BasicBlock, [1, 2]), (Bottleneck, [2, 1])):
        minitorch.manual_seed(0)
        small = ResNet(block, layers, num_classes=3, in_channels=3, widths=(4, 8))
        state = small.state_dict()
        spec = ftr.spec_of(state, "x")
        assert spec == dict(block=block.__name__, layers=layers, widths=[4, 8], in_channels=3,
                            small_input=False, num_classes=3)
        rebuilt = ftr.build(spec, 3)
        rebuilt.load_state_dict(state)
        x = ftr.images_for(spec, minitorch.rand(4, 1, 8, 8))  # the gray digit on 3 channels
        assert tuple(x.shape) == (4, 3, 8, 8)
        small.eval()
        rebuilt.eval()
        assert minitorch.equal(small(x), rebuilt(x))


# ---------------------------------------------------------------------------- the whole script
def _script(*args, cwd=ROOT):
    return subprocess.run([sys.executable, os.path.join(TRAIN, "finetune_resnet.py"), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def _main(capsys, *args):
    """The script's main, in this process (its output, as the command line prints it)."""
    report = run(ftr.main, list(args))
    return report, capsys.readouterr().out


def test_script_end_to_end_then_reuses_its_checkpoint(tmp_path, capsys):
    out = tmp_path / "ft"
    report, stdout = _main(capsys, *TINY, "--out", str(out))
    assert "pretraining resnet_small(widths=(4, 8), blocks=1) on digits 01234: 64 training " \
        "images" in stdout
    assert "frozen body bit-identical after training (parameters and BatchNorm buffers): True; " \
        "frozen grads are None: True" in stdout
    assert stdout.count("step    3/3  loss") == 3
    for line in ("(a) pretrained frozen body + head", "(b) trained from scratch",
                 "(c) random frozen body + head"):
        assert line in stdout
    assert json.load(open(out / "results.json")) == report
    assert report["frozen_body_bit_identical"] is True and report["frozen_grads_none"] is True
    assert report["trainable_parameters"] == 8 * 2 + 2
    assert report["frozen_tensors"] == len(models.resnet_small(widths=(4, 8)).state_dict()) - 2
    assert set(report["accuracy"]) == {"pretrained_frozen_body", "from_scratch",
                                       "random_frozen_body"}
    assert all(0.0 <= v <= 1.0 for v in report["accuracy"].values())
    assert report["test_images"] == 360 and report["task"] == "parity"
    # the checkpoint: a flat state_dict with torchvision's keys, readable by torch
    ckpt = report["weights"]
    assert os.path.dirname(ckpt) == str(out)
    state = load_file(ckpt)
    assert set(state) == set(models.resnet_small(num_classes=5, widths=(4, 8)).state_dict())
    assert state["fc.weight"].shape == (5, 8)
    assert sorted(os.listdir(out)) == sorted(["results.json", os.path.basename(ckpt)])
    # a second run with the same settings reuses it; --task digits learns the other digits;
    # --graph draws one finetuning step (the frozen body contributes no AccumulateGrad leaves)
    report, stdout = _main(capsys, *TINY, "--task", "digits", "--graph", "--out", str(out))
    assert f"reusing the pretrained checkpoint {ckpt}" in stdout
    assert f"wrote {out / 'graph.png'}" in stdout and (out / "graph.png").stat().st_size > 0
    assert "pretraining" not in stdout
    assert report["new_digits"] == [5, 6, 7, 8, 9] and report["test_images"] == 180
    assert report["trainable_parameters"] == 8 * 5 + 5
    assert report["frozen_body_bit_identical"] is True


def test_script_starts_from_weights_written_by_torch(tmp_path, capsys):
    ref = _torch_small_resnet(widths=(4, 8, 8), classes=3)
    path = tmp_path / "torch_resnet.safetensors"
    save_file(ref.state_dict(), str(path))
    report, stdout = _main(capsys, "--weights", str(path), "--labels", "6", "--steps", "2",
                           "--out", str(tmp_path / "ft"))
    assert f"pretrained body: {path}" in stdout and "pretraining" not in stdout
    assert report["architecture"]["widths"] == [4, 8, 8]
    assert report["frozen_body_bit_identical"] is True
    assert sorted(os.listdir(tmp_path / "ft")) == ["results.json"]


def test_a_real_process_exits_2_with_one_line(tmp_path):
    p = _script("--weights", str(tmp_path / "none.safetensors"), "--out", str(tmp_path / "o"),
                cwd=tmp_path)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1
    assert p.stderr.startswith("finetune_resnet.py: error: no weights file at ")
    assert sorted(os.listdir(tmp_path)) == []


# ---------------------------------------------------------------------------- bad flags and files
def _bad_files(tmp_path):
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\0" * 40)
    mlp = tmp_path / "mlp.safetensors"
    minitorch.save({"body.0.weight": minitorch.zeros(4, 64), "fc.weight": minitorch.zeros(2, 4)},
                   str(mlp))
    broken = tmp_path / "broken.safetensors"  # fc does not fit the last stage's width
    state = models.resnet_small(num_classes=5, widths=(4, 8)).state_dict()
    state["fc.weight"] = minitorch.zeros(5, 6)
    minitorch.save(state, str(broken))
    good = tmp_path / "good.safetensors"
    minitorch.save(models.resnet_small(num_classes=5, widths=(4, 8)).state_dict(), str(good))
    (tmp_path / "file").write_text("x")
    return dict(corrupt=corrupt, mlp=mlp, broken=broken, good=good, file=tmp_path / "file",
                missing=tmp_path / "none.safetensors")


BAD = {  # id: (flags, words the one-line message must contain)
    "weights-missing": (["--weights", "{missing}"], "no weights file at"),
    "weights-corrupt": (["--weights", "{corrupt}"], "is not a valid safetensors file"),
    "weights-not-a-resnet": (["--weights", "{mlp}"],
                             "does not hold a ResNet state_dict (no 'conv1.weight'"),
    "weights-do-not-fit": (["--weights", "{broken}"], "do not fit this model"),
    "weights-vs-widths": (["--weights", "{good}", "--widths", "8,16"],
                          "has widths 4,8, not 8,16: drop --widths"),
    "out-is-a-file": (["--out", "{file}"], "is a file, not a folder"),
    "labels-1": (["--labels", "1"], "--labels 1 is too few"),
    "labels-too-many": (["--labels", "100000"], "is more than the 1437 training images"),
    "parity-all-even": (["--new-digits", "0,2,4"], "are all even: --task parity needs"),
    "digits-same-as-pretraining": (["--task", "digits", "--new-digits", "0-4"],
                                   "--task digits needs other digits"),
    "batch-size-1": (["--batch-size", "1"], "--batch-size 1 gives pretraining batches of one"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_flags_and_files_fail_up_front_in_one_line(tmp_path, capsys, case):
    files = _bad_files(tmp_path)
    flags, words = BAD[case]
    out = tmp_path / "out"
    flags = [f.format(**files) for f in flags]
    flags = flags if "--out" in flags else flags + ["--out", str(out)]
    listing = sorted(os.listdir(tmp_path))
    with pytest.raises(SystemExit) as e:
        run(ftr.main, flags)
    assert e.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and ": error: " in lines[0], captured.err
    assert words in lines[0], lines[0]
    assert captured.out == ""
    assert sorted(os.listdir(tmp_path)) == listing  # nothing written


@pytest.mark.parametrize("flags, words", [
    (["--steps", "0"], "argument --steps: must be at least 1, got 0"),
    (["--widths", "8,0"], "argument --widths: must be at least 1, got 0"),
    (["--widths", "1,2,3,4,5"], "argument --widths: expected 1 to 4 comma-separated widths"),
    (["--pretrain-digits", "7"], "argument --pretrain-digits: expected at least two distinct"),
    (["--new-digits", "abc"], "argument --new-digits: expected digits such as 0-4"),
    (["--task", "colour"], "argument --task: invalid choice: 'colour'"),
    (["--pretrain-lr", "nan"], "argument --pretrain-lr: must be a finite number greater than 0"),
])
def test_flag_errors_are_one_line(capsys, flags, words):
    """argparse's errors, one line; --help lists every flag."""
    with pytest.raises(SystemExit) as e:
        ftr.parse_args(flags)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and err.endswith("(see --help)\n"), err


def test_help_lists_every_flag(capsys):
    with pytest.raises(SystemExit) as e:
        ftr.parse_args(["--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--weights", "--pretrain-digits", "--task", "--new-digits", "--labels", "--steps",
                 "--widths", "--blocks", "--pretrain-epochs",
                 "--pretrain-lr", "--batch-size", "--pretrain-limit", "--seed", "--out",
                 "--graph"):
        assert flag in text, flag
