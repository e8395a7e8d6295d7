"""One rank of the data-parallel tests (started by tests/test_distributed.py as torchrun would:
RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT in the environment). Rank 0 also trains the same model
in one process on the global batch and checks that DDP gave the same parameters.

usage: _dist_worker.py SCENARIO[,SCENARIO...] OUTDIR
(writes OUTDIR/rank<r>.json: each scenario's checks, by scenario)
"""
import json
import os
import sys

import minitorch as torch
import minitorch.distributed as dist
import minitorch.nn as nn
import minitorch.nn.functional as F
from minitorch.nn.parallel import DistributedDataParallel as DDP

scenarios, outdir = sys.argv[1].split(","), sys.argv[2]
scenario = scenarios[0]  # the one running (make_model reads it)
dist.init_process_group("gloo", timeout=30)
rank, world = dist.get_rank(), dist.get_world_size()
results = {"rank": rank}


def check(name, ok):
    results[name] = bool(ok)


def make_model(seed=0):
    torch.manual_seed(seed + 100 * rank if scenario == "broadcast-init" else seed)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))


def data():
    torch.manual_seed(1234)  # the same global batch on every rank
    return torch.randn(16, 8), torch.randint(0, 4, (16,))


def local(x, chunks=1):
    """This rank's share of the global batch, split into ``chunks`` micro-batches."""
    per = x.shape[0] // world
    mine = x[rank * per:(rank + 1) * per]
    return list(mine.chunk(chunks))


def same(a, b, tol=2e-6):
    return bool(torch.allclose(a, b, rtol=1e-5, atol=tol))


def params_equal_across_ranks(model):
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    gathered = [torch.empty_like(flat) for _ in range(world)]
    dist.all_gather(gathered, flat)
    return all(torch.equal(g, gathered[0]) for g in gathered)


def reference(steps, accumulate=1, freeze_body=False, lr=0.1):
    """The same training on one process: the gradient of the mean loss over the global batch."""
    model = make_model()
    if freeze_body:
        for p in model.parameters():
            p.requires_grad = False
        torch.manual_seed(7)
        model[2] = nn.Linear(16, 4)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr,
                          momentum=0.9)
    x, y = data()
    for _ in range(steps):
        opt.zero_grad()
        per = x.shape[0] // world
        for r in range(world):
            xs = x[r * per:(r + 1) * per].chunk(accumulate)
            ys = y[r * per:(r + 1) * per].chunk(accumulate)
            for xm, ym in zip(xs, ys):
                (F.cross_entropy(model(xm), ym) / world).backward()
        opt.step()
    return model


def train(ddp, opt, steps, accumulate=1):
    x, y = data()
    for _ in range(steps):
        opt.zero_grad()
        xs, ys = local(x, accumulate), local(y, accumulate)
        for i, (xm, ym) in enumerate(zip(xs, ys)):
            if i < accumulate - 1:
                with ddp.no_sync():
                    F.cross_entropy(ddp(xm), ym).backward()
            else:
                F.cross_entropy(ddp(xm), ym).backward()
        opt.step()


def scenario_collectives():
    t = torch.tensor([1.0, 2.0]) * (rank + 1)
    dist.all_reduce(t)
    check("sum", t.tolist() == [3.0, 6.0])
    t = torch.tensor([1.0, 2.0]) * (rank + 1)
    v = t._version
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    check("avg", t.tolist() == [1.5, 3.0])
    check("avg bumps version", t._version > v)
    t = torch.tensor([float(rank), 5.0 - rank])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    check("max", t.tolist() == [1.0, 5.0])
    t = torch.full((3,), float(rank))
    dist.broadcast(t, 1)
    check("broadcast", t.tolist() == [1.0, 1.0, 1.0])
    outs = [torch.zeros(2) for _ in range(world)]
    dist.all_gather(outs, torch.full((2,), float(rank)))
    check("all_gather", [o.tolist() for o in outs] == [[0.0, 0.0], [1.0, 1.0]])
    dist.barrier()
    from minitorch.utils.data import DataLoader, DistributedSampler, TensorDataset
    ds = TensorDataset(torch.arange(10).float())
    sampler = DistributedSampler(ds, shuffle=True, seed=3)
    sampler.set_epoch(1)
    mine = [int(v) for (b,) in DataLoader(ds, batch_size=2, sampler=sampler) for v in b.tolist()]
    outs = [torch.zeros(5) for _ in range(world)]
    dist.all_gather(outs, torch.tensor(mine).float())
    union = sorted(int(v) for o in outs for v in o.tolist())
    check("sampler covers the dataset once", union == list(range(10)))


def scenario_broadcast_init():
    model = make_model()  # different random init on each rank
    DDP(model)  # construction broadcasts rank 0's parameters
    check("replicas equal after construction", params_equal_across_ranks(model))


def scenario_train():
    model = make_model()
    ddp = DDP(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    train(ddp, opt, steps=3)
    check("replicas equal", params_equal_across_ranks(model))
    if rank == 0:
        ref = reference(steps=3)
        check("equals one process on the global batch",
              all(same(a, b) for a, b in zip(model.parameters(), ref.parameters())))
    check("state_dict keys carry module.", list(ddp.state_dict())[0] == "module.0.weight")
    check("bytes per sync", ddp.bytes_per_sync == sum(p.numel() * 4 for p in model.parameters()))


def scenario_no_sync():
    model = make_model()
    ddp = DDP(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    train(ddp, opt, steps=2, accumulate=2)
    check("replicas equal", params_equal_across_ranks(model))
    if rank == 0:
        ref = reference(steps=2, accumulate=2)
        check("equals one process with accumulation",
              all(same(a, b) for a, b in zip(model.parameters(), ref.parameters())))


def scenario_frozen():
    model = make_model()
    for p in model.parameters():
        p.requires_grad = False
    torch.manual_seed(7)
    model[2] = nn.Linear(16, 4)
    body = [p.detach().clone() for p in model[0].parameters()]
    ddp = DDP(model)
    check("only the head is communicated", ddp.bytes_per_sync == (16 * 4 + 4) * 4)
    opt = torch.optim.SGD(model[2].parameters(), lr=0.1, momentum=0.9)
    train(ddp, opt, steps=3)
    check("frozen body bit-identical", all(torch.equal(a, b)
                                           for a, b in zip(body, model[0].parameters())))
    check("frozen grads stay None", all(p.grad is None for p in model[0].parameters()))
    if rank == 0:
        ref = reference(steps=3, freeze_body=True)
        check("equals one process", all(same(a, b)
                                        for a, b in zip(model.parameters(), ref.parameters())))


def scenario_resume():
    model = make_model()
    ddp = DDP(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    train(ddp, opt, steps=2)
    path = os.path.join(outdir, "ckpt.safetensors")
    if rank == 0:
        torch.save({"model": ddp.state_dict(), "optim": opt.state_dict()}, path)
    dist.barrier()
    ckpt = torch.load(path)
    torch.manual_seed(99)
    fresh = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    ddp2 = DDP(fresh)
    ddp2.load_state_dict(ckpt["model"])
    opt2 = torch.optim.SGD(ddp2.parameters(), lr=0.1, momentum=0.9)
    opt2.load_state_dict(ckpt["optim"])
    train(ddp2, opt2, steps=1)
    check("replicas equal", params_equal_across_ranks(fresh))
    if rank == 0:
        ref = reference(steps=3)
        check("save, load, resume equals uninterrupted",
              all(same(a, b) for a, b in zip(fresh.parameters(), ref.parameters())))


def scenario_peer_dies():
    model = make_model()
    ddp = DDP(model)
    x, y = data()
    if rank == 1:
        os._exit(3)  # dies mid-step, before its gradients are communicated
    try:
        F.cross_entropy(ddp(local(x)[0]), local(y)[0]).backward()
        check("survivor raised", False)
    except RuntimeError as e:
        results["error"] = str(e)
        check("survivor raised", "minitorch.distributed" in str(e))
    with open(os.path.join(outdir, f"rank{rank}.json"), "w") as f:
        json.dump({"peer-dies": results}, f)
    os._exit(0)  # the group is broken: skip destroy_process_group


# one process group runs the scenarios in turn (starting processes is the slow part)
SCENARIOS = {"collectives": scenario_collectives, "broadcast-init": scenario_broadcast_init,
             "train": scenario_train, "no_sync": scenario_no_sync, "frozen": scenario_frozen,
             "resume": scenario_resume, "peer-dies": scenario_peer_dies}
everything = {}
for scenario in scenarios:
    results = {"rank": rank}
    SCENARIOS[scenario]()
    everything[scenario] = results
    dist.barrier()
with open(os.path.join(outdir, f"rank{rank}.json"), "w") as f:
    json.dump(everything, f)
dist.destroy_process_group()
