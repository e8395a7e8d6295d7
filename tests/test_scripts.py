"""The scripts in train/ end to end, with tiny settings: in this process through the scripts'
command-line layer (``_common.run``: a ScriptError or a bad flag is one line on stderr and exit
status 2), and in real processes where the process is the point (a SIGKILL mid-run, the exit
status and output of a real command line)."""
import json
import os
import subprocess
import sys

import pytest

# seconds each: whole (tiny) training runs (the default `python -m pytest` runs them)
pytestmark = pytest.mark.slow

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TRAIN = os.path.join(ROOT, "train")
sys.path.insert(0, TRAIN)


@pytest.fixture
def run_script(monkeypatch, capsys):
    """``python train/<script> <args>`` from the repository root, in this process: its stdout
    (the exit status must be success). Two tests below start real processes."""
    def run(script, *args):
        monkeypatch.chdir(ROOT)
        code = _in_process(monkeypatch, script, list(args))
        captured = capsys.readouterr()
        assert code in (None, 0), captured.err[-3000:]
        return captured.out
    return run


def test_gradient_descent_prints_the_tutorial_lines(run_script):
    lines = run_script("gradient_descent.py").strip().splitlines()
    assert len(lines) == 15
    assert lines[0] == "Step 0: x[0]=0.6000000238418579, x[1]=-0.4000000059604645"
    assert lines[-1] == "Step 14: x[0]=2.894446849822998, x[1]=-1.929631233215332"


def test_digits_one_epoch_writes_everything(tmp_path, run_script):
    out = tmp_path / "run"
    stdout = run_script("digits.py", "--epochs", "1", "--limit", "400", "--out", str(out))
    assert "final test accuracy" in stdout
    assert sorted(os.listdir(out)) == ["checkpoint.safetensors", "curves.png", "metrics.jsonl"]
    for name in os.listdir(out):
        assert (out / name).stat().st_size > 0, name
    rows = [json.loads(line) for line in open(out / "metrics.jsonl")]
    assert len(rows) == 1
    assert set(rows[0]) == {"epoch", "train_loss", "test_loss", "test_accuracy", "seconds"}
    assert rows[0]["test_accuracy"] > 0.3  # chance is 0.1


def test_digits_resume_is_bit_exact(tmp_path):
    import digits
    common = ["--limit", "200", "--batch-size", "50", "--hidden", "16"]
    a, b = tmp_path / "a", tmp_path / "b"
    _, rows_full = digits.train(digits.parse_args(common + ["--epochs", "2", "--out", str(a)]))
    digits.train(digits.parse_args(common + ["--epochs", "1", "--out", str(b)]))
    _, rows_resumed = digits.train(digits.parse_args(common + ["--epochs", "2", "--out", str(b),
                                                               "--resume"]))
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
    assert strip(rows_resumed) == strip(rows_full)
    import minitorch
    full = minitorch.load(str(a / "checkpoint.safetensors"))
    resumed = minitorch.load(str(b / "checkpoint.safetensors"))
    for part in ("model", "optimizer"):
        assert _flat(full[part]).keys() == _flat(resumed[part]).keys()
        for k, v in _flat(full[part]).items():
            same = minitorch.equal(v, _flat(resumed[part])[k]) if isinstance(v, minitorch.Tensor) \
                else v == _flat(resumed[part])[k]
            assert same, (part, k)
    assert full["scheduler"] == resumed["scheduler"] and full["epoch"] == resumed["epoch"] == 2
    assert full["rng"].tolist() == resumed["rng"].tolist()
    assert [json.loads(line)["epoch"] for line in open(b / "metrics.jsonl")] == [1, 2]


def test_digits_cnn_one_epoch_writes_everything(tmp_path, run_script):
    out = tmp_path / "run"
    stdout = run_script("digits_cnn.py", "--epochs", "1", "--limit", "400", "--batch-size", "25",
                  "--hidden", "4", "--out", str(out))
    assert "final test accuracy" in stdout
    assert sorted(os.listdir(out)) == ["checkpoint.safetensors", "curves.png", "metrics.jsonl"]
    rows = [json.loads(line) for line in open(out / "metrics.jsonl")]
    assert len(rows) == 1 and rows[0]["epoch"] == 1
    assert set(rows[0]) == {"epoch", "train_loss", "test_loss", "test_accuracy", "seconds"}
    assert rows[0]["test_accuracy"] > 0.2  # chance is 0.1
    import minitorch
    state = minitorch.load(str(out / "checkpoint.safetensors"))
    assert state["config"]["hidden"] == 4 and state["epoch"] == 1
    model = state["model"]
    assert tuple(model["features.0.weight"].shape) == (4, 1, 3, 3)
    assert tuple(model["features.3.weight"].shape) == (8, 4, 3, 3)
    # the BatchNorm buffers travel with the model: 16 steps of 25 images
    assert model["features.1.num_batches_tracked"].item() == 16
    assert not minitorch.equal(model["features.4.running_mean"], minitorch.zeros(8))


def test_digits_cnn_resume_is_bit_exact(tmp_path):
    import digits_cnn

    import minitorch
    common = ["--limit", "100", "--batch-size", "50", "--hidden", "4"]
    a, b = tmp_path / "a", tmp_path / "b"
    _, rows_full = digits_cnn.train(digits_cnn.parse_args(common + ["--epochs", "2",
                                                                    "--out", str(a)]))
    digits_cnn.train(digits_cnn.parse_args(common + ["--epochs", "1", "--out", str(b)]))
    _, rows_resumed = digits_cnn.train(digits_cnn.parse_args(common + ["--epochs", "2", "--out",
                                                                       str(b), "--resume"]))
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa
    assert strip(rows_resumed) == strip(rows_full)
    full = minitorch.load(str(a / "checkpoint.safetensors"))
    resumed = minitorch.load(str(b / "checkpoint.safetensors"))
    for part in ("model", "optimizer"):  # the model's BatchNorm buffers included
        assert _flat(full[part]).keys() == _flat(resumed[part]).keys()
        for k, v in _flat(full[part]).items():
            same = minitorch.equal(v, _flat(resumed[part])[k]) if isinstance(v, minitorch.Tensor) \
                else v == _flat(resumed[part])[k]
            assert same, (part, k)
    assert full["model"]["features.1.num_batches_tracked"].item() == 4
    # the augmentation's draws come from the saved generator: it moved past the shuffles
    assert full["rng"].tolist() == resumed["rng"].tolist()


def test_digits_cnn_random_shift_moves_each_image_by_at_most_one_pixel():
    import digits_cnn
    import torch

    import minitorch
    shift = digits_cnn.RandomShift(1)
    x = minitorch.rand(200, 64)
    y = shift(x, minitorch.Generator().manual_seed(3))
    again = shift(x, minitorch.Generator().manual_seed(3))
    assert minitorch.equal(y, again)  # the generator alone decides the shifts
    assert tuple(y.shape) == (200, 64) and y.dtype == minitorch.float32
    padded = torch.nn.functional.pad(torch.tensor(x.tolist()).view(200, 8, 8), (1, 1, 1, 1))
    out = torch.tensor(y.tolist()).view(200, 8, 8)
    offsets = []
    for i in range(200):
        found = [(r, c) for r in range(3) for c in range(3)
                 if torch.equal(padded[i, r:r + 8, c:c + 8], out[i])]
        assert len(found) == 1, i
        offsets.append(found[0])
    assert len(set(offsets)) == 9  # every shift, the identity (1, 1) among them, occurs


def _flat(obj, prefix=""):
    if isinstance(obj, dict):
        return {k2: v2 for k, v in obj.items() for k2, v2 in _flat(v, f"{prefix}{k}.").items()}
    if isinstance(obj, (list, tuple)):
        return {k2: v2 for i, v in enumerate(obj) for k2, v2 in _flat(v, f"{prefix}{i}.").items()}
    return {prefix: obj}


def test_finetune_compares_three_settings(tmp_path, run_script):
    ckpt = tmp_path / "digits"
    stdout = run_script("finetune.py", "--checkpoint", str(ckpt), "--pretrain-epochs", "1",
                  "--steps", "40", "--out", str(tmp_path / "ft"))
    assert "frozen body bit-identical after training: True" in stdout
    # progress while it trains: each setting announces itself and reports its loss as it goes
    assert "(a) pretrained frozen body + new head: 40 SGD steps" in stdout
    assert stdout.count("step   40/40  loss") == 3
    report = json.load(open(tmp_path / "ft" / "results.json"))
    assert report["frozen_body_bit_identical"] is True
    assert report["trainable_parameters"] == 128 * 2 + 2
    assert set(report["accuracy"]) == {"pretrained_frozen_body", "from_scratch",
                                       "random_frozen_body"}
    assert all(0.0 <= v <= 1.0 for v in report["accuracy"].values())


def _in_process(monkeypatch, script, flags):
    """``python train/<script> <flags>`` in this process: the exit status (None when main
    returned). The scripts' command-line layer is ``_common.run``; the tests below that start a
    real process show it behaves the same there."""
    import importlib

    from _common import run
    module = importlib.import_module(script[:-3])
    monkeypatch.setattr(sys, "argv", [os.path.join(TRAIN, script), *flags])
    try:
        run(module.main, flags)
    except SystemExit as e:
        return e.code
    return None


@pytest.mark.parametrize("script", ["digits.py", "digits_cnn.py", "finetune.py",
                                    "gradient_descent.py"])
def test_help_explains_every_flag(script, monkeypatch, capsys):
    import re
    assert _in_process(monkeypatch, script, ["--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: {script} ")
    usage, _, body = text.partition("\n\n")
    flags = set(re.findall(r"\[(--[\w-]+)", usage))
    # every flag of the usage line is listed with words explaining it
    explained = {m.group(1) for m in re.finditer(r"^  (--[\w-]+)[^\n]*?\s{2,}\w", text, re.M)}
    explained |= {m.group(1) for m in re.finditer(r"^  (--[\w-]+)[^\n]*\n {10,}\w", text, re.M)}
    assert flags and flags <= explained, sorted(flags - explained)


def test_digits_kill_then_resume_matches_an_uninterrupted_run(tmp_path):
    """SIGKILL the moment a checkpoint exists (typically mid-epoch or mid-save), leave a stale
    metrics row and a half-written line behind, then --resume: the result is bit-identical to a
    run that was never interrupted, and metrics.jsonl holds each epoch once."""
    import signal
    import time

    import digits

    import minitorch
    common = ["--limit", "200", "--batch-size", "50", "--hidden", "16", "--epochs", "4"]
    ref, out = tmp_path / "ref", tmp_path / "killed"
    _, rows_ref = digits.train(digits.parse_args(common + ["--out", str(ref)]))
    proc = subprocess.Popen([sys.executable, os.path.join(TRAIN, "digits.py"), *common,
                             "--out", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not (out / "checkpoint.safetensors").exists():
            time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    state = minitorch.load(str(out / "checkpoint.safetensors"))
    epoch = state["epoch"]
    assert 1 <= epoch <= 4 and len(state["metrics"]) == epoch
    if epoch == 4:
        pytest.skip("the run finished before the kill")
    with open(out / "metrics.jsonl", "a") as f:  # a row the checkpoint does not have, half a line
        f.write(json.dumps(dict(rows_ref[-1], epoch=epoch + 1)) + "\n" + '{"epoch": ')
    _, rows = digits.train(digits.parse_args(common + ["--out", str(out), "--resume"]))
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa
    assert strip(rows) == strip(rows_ref)
    written = [json.loads(line) for line in open(out / "metrics.jsonl")]
    assert strip(written) == strip(rows_ref)
    a = minitorch.load(str(ref / "checkpoint.safetensors"))["model"]
    b = minitorch.load(str(out / "checkpoint.safetensors"))["model"]
    assert all(minitorch.equal(a[k], b[k]) for k in a)
    assert not [f for f in os.listdir(out) if f.startswith(".tmp")]


def test_finetune_loads_a_state_dict_written_by_torch_save(tmp_path, run_script):
    import torch
    m = torch.nn.Module()
    m.body = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU())
    m.fc = torch.nn.Linear(16, 10)
    torch.save(m.state_dict(), tmp_path / "digits.pth")
    stdout = run_script("finetune.py", "--checkpoint", str(tmp_path / "digits.pth"),
                        "--hidden", "16", "--steps", "5", "--out", str(tmp_path / "ft"))
    assert f"pretrained digits model: {tmp_path / 'digits.pth'}" in stdout
    assert json.load(open(tmp_path / "ft" / "results.json"))["frozen_parameters"] == 64 * 16 + 16


# ----------------------------------------------------------------------------- bad flags and files
def _fake_digits_checkpoint(path, **config):
    import minitorch
    cfg = dict(hidden=128, seed=0, batch_size=64, lr=0.05, momentum=0.9, limit=None)
    cfg.update(config)
    h = cfg["hidden"]
    model = {"body.0.weight": minitorch.zeros(h, 64), "body.0.bias": minitorch.zeros(h),
             "fc.weight": minitorch.zeros(10, h), "fc.bias": minitorch.zeros(10)}
    minitorch.save({"model": model, "optimizer": {}, "scheduler": {}, "epoch": 1,
                    "rng": minitorch.zeros(2, dtype=minitorch.int64),
                    "global_rng": minitorch.zeros(2, dtype=minitorch.int64), "config": cfg,
                    "metrics": [{"epoch": 1}]}, path)


BAD = {  # id: (script, flags, words the message must contain); {out} is a folder with a run in it
    "digits-batch-size-0": ("digits.py", ["--batch-size", "0"], "--batch-size: must be at least 1"),
    "digits-lr-nan": ("digits.py", ["--lr", "nan"], "--lr: must be a finite number"),
    "digits-epochs-0": ("digits.py", ["--epochs", "0"], "--epochs: must be at least 1"),
    "digits-out-is-a-file": ("digits.py", ["--out", "{out}/metrics.jsonl"],
                             "is a file, not a folder"),
    "digits-out-unwritable": ("digits.py", ["--out", "/proc/minitorch-run"], "is not writable"),
    "digits-resume-missing": ("digits.py", ["--resume", "--out", "{out}/new"], "no checkpoint at"),
    "digits-resume-corrupt": ("digits.py", ["--resume", "--out", "{corrupt}"],
                              "is not a valid safetensors file"),
    "digits-resume-mismatch": ("digits.py", ["--resume", "--out", "{out}"],
                               "--hidden 128 does not match the checkpoint"),
    "digits-resume-damaged": ("digits.py", ["--resume", "--epochs", "3", "--hidden", "16",
                                            "--out", "{out}"],
                              "holds a damaged digits.py checkpoint"),
    "digits-resume-finished": ("digits.py", ["--resume", "--epochs", "1", "--hidden", "16",
                                             "--out", "{out}"], "already at epoch 1"),
    "digits-cnn-resume-mlp-checkpoint": ("digits_cnn.py", ["--resume", "--hidden", "16",
                                                           "--out", "{out}"],
                                         "do not fit this model"),
    "finetune-labels-0": ("finetune.py", ["--labels", "0"], "--labels: must be at least 1"),
    "finetune-steps-0": ("finetune.py", ["--steps", "0"], "--steps: must be at least 1"),
    "finetune-out-is-a-file": ("finetune.py", ["--out", "{out}/metrics.jsonl"],
                               "is a file, not a folder"),
    "finetune-checkpoint-missing": ("finetune.py", ["--checkpoint", "{out}/none.pth"],
                                    "no checkpoint file at"),
    "finetune-checkpoint-corrupt": ("finetune.py", ["--checkpoint", "{corrupt}"],
                                    "is not a valid safetensors file"),
    "finetune-checkpoint-mismatch": ("finetune.py", ["--checkpoint", "{out}", "--out", "{out}/ft"],
                                     "has hidden width 16, not 128: pass --hidden 16"),
    "gd-steps-0": ("gradient_descent.py", ["--steps", "0"], "--steps: must be at least 1"),
    "gd-lr-negative": ("gradient_descent.py", ["--lr", "-0.1"], "--lr: must be a finite number"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_flags_and_files_fail_up_front_in_one_line(tmp_path, monkeypatch, capsys, case):
    script, flags, words = BAD[case]
    run_dir, corrupt = tmp_path / "run", tmp_path / "corrupt"
    run_dir.mkdir()
    corrupt.mkdir()
    _fake_digits_checkpoint(run_dir / "checkpoint.safetensors", hidden=16)
    (run_dir / "metrics.jsonl").write_text('{"epoch": 1}\n')
    (corrupt / "checkpoint.safetensors").write_bytes(b"\0" * 40)
    before = {p: p.read_bytes() for d in (run_dir, corrupt) for p in d.iterdir()}
    flags = [f.format(out=run_dir, corrupt=corrupt / "checkpoint.safetensors"
                      if script == "finetune.py" else corrupt) for f in flags]
    monkeypatch.chdir(tmp_path)
    assert _in_process(monkeypatch, script, flags) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{script}: error: "), captured.err[-2000:]
    assert words in lines[0], lines[0]
    assert captured.out == ""
    after = {p: p.read_bytes() for d in (run_dir, corrupt) for p in d.iterdir()}
    assert after == before  # nothing written, nothing removed
    assert sorted(os.listdir(tmp_path)) == ["corrupt", "run"]


@pytest.mark.parametrize("script, flags, words", [
    ("digits.py", ["--lr", "nan"], "digits.py: error: argument --lr: must be a finite number"),
    ("finetune.py", ["--checkpoint", "none.pth"], "finetune.py: error: no checkpoint file at"),
])
def test_a_real_process_exits_2_with_one_line(tmp_path, script, flags, words):
    p = subprocess.run([sys.executable, os.path.join(TRAIN, script), *flags], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, (p.returncode, p.stderr[-2000:])
    assert p.stdout == "" and p.stderr.count("\n") == 1 and p.stderr.startswith(words), p.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("flags, words", [
    (["--epochs", "ten"], "argument --epochs: expected a whole number, got 'ten'"),
    (["--lr", "inf"], "argument --lr: must be a finite number greater than 0, got inf"),
    (["--lr", "0"], "argument --lr: must be a finite number greater than 0, got 0"),
    (["--momentum", "1"], "argument --momentum: must be at least 0 and below 1, got 1"),
    (["--limit", "-3"], "argument --limit: must be at least 1, got -3"),
    (["--hidden", "0"], "argument --hidden: must be at least 1, got 0"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_flag_errors_are_one_line(capsys, flags, words):
    import digits
    with pytest.raises(SystemExit) as e:
        digits.parse_args(flags)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and err.endswith("(see --help)\n"), err
