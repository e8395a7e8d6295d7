"""The scripts in train/ end to end, with tiny settings."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TRAIN = os.path.join(ROOT, "train")
sys.path.insert(0, TRAIN)


def _run(script, *args):
    out = subprocess.run([sys.executable, os.path.join(TRAIN, script), *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_gradient_descent_prints_the_tutorial_lines():
    lines = _run("gradient_descent.py").strip().splitlines()
    assert len(lines) == 15
    assert lines[0] == "Step 0: x[0]=0.6000000238418579, x[1]=-0.4000000059604645"
    assert lines[-1] == "Step 14: x[0]=2.894446849822998, x[1]=-1.929631233215332"


def test_digits_one_epoch_writes_everything(tmp_path):
    out = tmp_path / "run"
    stdout = _run("digits.py", "--epochs", "1", "--limit", "400", "--out", str(out))
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
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa
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


def _flat(obj, prefix=""):
    if isinstance(obj, dict):
        return {k2: v2 for k, v in obj.items() for k2, v2 in _flat(v, f"{prefix}{k}.").items()}
    if isinstance(obj, (list, tuple)):
        return {k2: v2 for i, v in enumerate(obj) for k2, v2 in _flat(v, f"{prefix}{i}.").items()}
    return {prefix: obj}


def test_finetune_compares_three_settings(tmp_path):
    ckpt = tmp_path / "digits"
    stdout = _run("finetune.py", "--checkpoint", str(ckpt), "--pretrain-epochs", "1",
                  "--steps", "40", "--out", str(tmp_path / "ft"))
    assert "frozen body bit-identical after training: True" in stdout
    report = json.load(open(tmp_path / "ft" / "results.json"))
    assert report["frozen_body_bit_identical"] is True
    assert report["trainable_parameters"] == 128 * 2 + 2
    assert set(report["accuracy"]) == {"pretrained_frozen_body", "from_scratch",
                                       "random_frozen_body"}
    assert all(0.0 <= v <= 1.0 for v in report["accuracy"].values())


@pytest.mark.parametrize("script", ["digits.py", "finetune.py", "gradient_descent.py"])
def test_help_explains_every_flag(script):
    text = _run(script, "--help")
    assert "usage:" in text
