"""train/charlm.py: one AdamW + clipping training step of the GPT matches torch with copied
weights, and the script runs end to end (metrics, checkpoint, resume, sampling)."""
import json
import os
import sys

import numpy as np
import torch

import minitorch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "train"))
import charlm  # noqa: E402


def test_one_training_step_matches_torch():
    V, T, D, H, L = 11, 8, 16, 2, 1
    # float64, so that Adam's normalisation of near-zero gradients compares rounding-free
    tm = charlm.build_model(torch, V, T, D, H, L).double()
    mm = charlm.build_model(minitorch, V, T, D, H, L).double()
    mm.load_state_dict({k: minitorch.tensor(v.detach().numpy())
                        for k, v in tm.state_dict().items()})
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, V, (3, T)), rng.integers(0, V, (3, T))
    topt = torch.optim.AdamW(tm.parameters(), lr=1e-2, weight_decay=0.01)
    mopt = minitorch.optim.AdamW(mm.parameters(), lr=1e-2, weight_decay=0.01)
    for _ in range(2):
        topt.zero_grad()
        _, tl = tm(torch.tensor(x), torch.tensor(y))
        tl.backward()
        tn = torch.nn.utils.clip_grad_norm_(tm.parameters(), 0.5)
        topt.step()
        mopt.zero_grad()
        _, ml = mm(minitorch.tensor(x), minitorch.tensor(y))
        ml.backward()
        mn = minitorch.nn.utils.clip_grad_norm_(mm.parameters(), 0.5)
        mopt.step()
        np.testing.assert_allclose(ml.item(), tl.item(), rtol=1e-9)
        np.testing.assert_allclose(mn.item(), tn.item(), rtol=1e-9)
    tsd = tm.state_dict()
    for k, v in mm.state_dict().items():
        np.testing.assert_allclose(v.numpy(), tsd[k].numpy(), rtol=1e-7, atol=1e-9, err_msg=k)


def test_script_runs_and_resumes(tmp_path):
    out = str(tmp_path / "run")
    common = ["--steps", "2", "--eval-every", "1", "--eval-batches", "1", "--batch-size", "2",
              "--block", "8", "--dim", "16", "--heads", "2", "--chars", "3000", "--out", out]
    charlm.main(common + ["--sample", "0"])
    charlm.main(["--steps", "3"] + common[2:] + ["--sample", "5", "--resume"])
    rows = [json.loads(line) for line in open(os.path.join(out, "metrics.jsonl"))]
    assert [r["step"] for r in rows] == [1, 2, 3]
    for name in ("model.safetensors", "optim.safetensors", "curves.png"):
        assert os.path.exists(os.path.join(out, name))
