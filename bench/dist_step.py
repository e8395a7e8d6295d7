"""Data-parallel step time: the digits MLP step (64→128→10, SGD momentum) on a global batch of
128, in one process and in two gloo processes (64 rows each), plus the gradient bytes each rank
sends into the all-reduce per step.

    python bench/dist_step.py            # prints one JSON line
Used by bench/run.py; run alone it starts the two ranks itself (as torchrun would).
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import time

STEPS, WARMUP, GLOBAL_BATCH = 20, 3, 128


def _step_times(ddp_world):
    import minitorch as torch
    import minitorch.nn as nn
    import minitorch.nn.functional as F
    rank = 0
    if ddp_world > 1:
        import minitorch.distributed as dist
        from minitorch.nn.parallel import DistributedDataParallel as DDP
        dist.init_process_group("gloo", timeout=60)
        rank = dist.get_rank()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    wrapped = DDP(model) if ddp_world > 1 else model
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    per = GLOBAL_BATCH // ddp_world
    x = torch.randn(per, 64)
    y = torch.randint(0, 10, (per,))
    times = []
    for i in range(WARMUP + STEPS):
        t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(wrapped(x), y).backward()
        opt.step()
        float(model[0].weight[0, 0])  # synchronize
        if i >= WARMUP:
            times.append(time.perf_counter() - t0)
    out = {"rank": rank, "ms": statistics.median(times) * 1e3}
    if ddp_world > 1:
        out["bytes_per_step"] = wrapped.bytes_per_sync
        dist.destroy_process_group()
    return out


def measure():
    """{'one_process_ms', 'two_process_ms', 'bytes_per_step'} — medians of the step time."""
    single = json.loads(subprocess.check_output([sys.executable, __file__, "--rank-worker", "1"],
                                                env=os.environ).decode().strip().splitlines()[-1])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    procs = [subprocess.Popen([sys.executable, __file__, "--rank-worker", "2"],
                              env=dict(os.environ, RANK=str(r), WORLD_SIZE="2",
                                       MASTER_ADDR="127.0.0.1", MASTER_PORT=port),
                              stdout=subprocess.PIPE) for r in range(2)]
    outs = [json.loads(p.communicate(timeout=600)[0].decode().strip().splitlines()[-1])
            for p in procs]
    return {"one_process_ms": single["ms"], "two_process_ms": max(o["ms"] for o in outs),
            "bytes_per_step": outs[0]["bytes_per_step"], "global_batch": GLOBAL_BATCH}


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--rank-worker":
        print(json.dumps(_step_times(int(sys.argv[2]))))
    else:
        print(json.dumps(measure()))
