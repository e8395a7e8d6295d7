"""Data-parallel training over torch.distributed (gloo on localhost): two processes started as
torchrun starts them, checked against one process training on the same global batch."""
import json
import os
import socket
import subprocess
import sys
import time

import pytest

import minitorch
import minitorch.distributed as dist

WORKER = os.path.join(os.path.dirname(__file__), "_dist_worker.py")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(scenario, tmp_path, world=2, timeout=240):
    port = str(_free_port())
    procs = []
    for rank in range(world):
        env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=port,
                   PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        procs.append(subprocess.Popen([sys.executable, WORKER, scenario, str(tmp_path)],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + timeout
    outputs = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail(f"{scenario}: a rank hung for more than {timeout}s")
        outputs.append((p.returncode, out.decode(errors="replace")))
    results = {}
    for rank in range(world):
        path = tmp_path / f"rank{rank}.json"
        if path.exists():
            results[rank] = json.loads(path.read_text())
    return outputs, results


SCENARIOS = ["collectives", "broadcast-init", "train", "no_sync", "frozen", "resume"]


def test_two_processes(tmp_path):
    """Every scenario in one pair of processes (one process group, the scenarios in turn);
    each scenario's checks are reported by name."""
    outputs, results = run_ranks(",".join(SCENARIOS), tmp_path)
    for rank, (code, out) in enumerate(outputs):
        assert code == 0, f"rank {rank} failed:\n{out[-3000:]}"
    assert sorted(results) == [0, 1]
    for rank, by_scenario in results.items():
        assert list(by_scenario) == SCENARIOS, (rank, list(by_scenario))
        for scenario, checks in by_scenario.items():
            assert len(checks) > 1, (rank, scenario)  # the rank ran its checks
            failed = [k for k, v in checks.items() if v is False]
            assert not failed, f"rank {rank}, {scenario}: {failed}"
    # the checks against one process on the global batch ran on rank 0
    assert results[0]["train"]["equals one process on the global batch"] is True


def test_a_dead_peer_fails_the_survivor_clearly(tmp_path):
    start = time.monotonic()
    outputs, results = run_ranks("peer-dies", tmp_path, timeout=120)
    assert outputs[1][0] == 3
    survivor = results[0]["peer-dies"]
    assert survivor["survivor raised"], survivor
    assert "peer process may have exited" in survivor["error"]
    assert time.monotonic() - start < 120


def test_api_without_a_process_group():
    assert dist.is_available()
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="init_process_group"):
        minitorch.nn.parallel.DistributedDataParallel(minitorch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="minitorch Tensor"):
        dist.broadcast([1.0], 0)


def test_distributed_sampler_matches_torch_partition():
    import torch.utils.data as tud

    from minitorch.utils.data import DistributedSampler
    for n, replicas, drop_last in [(10, 3, False), (10, 3, True), (7, 2, False), (2, 4, False)]:
        for rank in range(replicas):
            ours = DistributedSampler(range(n), replicas, rank, shuffle=False,
                                      drop_last=drop_last)
            theirs = tud.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                            drop_last=drop_last)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)
    a = DistributedSampler(range(20), 2, 0, seed=5)
    b = DistributedSampler(range(20), 2, 1, seed=5)
    assert sorted(list(a) + list(b)) == list(range(20))
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    with pytest.raises(ValueError, match="Invalid rank"):
        DistributedSampler(range(4), 2, 2)


@pytest.mark.slow
def test_digits_under_torchrun_then_resumed(tmp_path):
    """train/digits.py unchanged under torchrun (2 processes): only rank 0 writes, and its single
    checkpoint resumes under torchrun and in one process."""
    out = tmp_path / "run"
    script = os.path.join(ROOT, "train", "digits.py")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def torchrun(*args):
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
               "--master_addr=127.0.0.1", f"--master_port={_free_port()}", script, *args]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)

    first = torchrun("--epochs", "1", "--limit", "256", "--batch-size", "32", "--out", str(out))
    assert first.returncode == 0, first.stderr[-3000:]
    assert first.stdout.count("epoch   1") == 1  # printed by rank 0 only
    rows = (out / "metrics.jsonl").read_text().splitlines()
    assert len(rows) == 1
    resumed = torchrun("--epochs", "2", "--limit", "256", "--batch-size", "32", "--out", str(out),
                       "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 2
    # and in one process (this one)
    sys.path.insert(0, os.path.join(ROOT, "train"))
    try:
        import digits
    finally:
        sys.path.pop(0)
    digits.main(["--epochs", "3", "--limit", "256", "--batch-size", "32", "--out", str(out),
                 "--resume"])
    rows = [json.loads(r) for r in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[-1]["test_accuracy"] > 0.3
