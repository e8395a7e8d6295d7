"""Train an MLP classifier on scikit-learn's handwritten digits with minitorch.

The main job: runs with no arguments on data that ships inside scikit-learn (1797 8x8 images,
seeded 80/20 train/test split), SGD with momentum and a cosine learning-rate schedule, every
kernel a Triton kernel.

Writes to --out: metrics.jsonl (one line per epoch), curves.png (loss and accuracy) and
checkpoint.safetensors: model, optimizer, scheduler, RNG states, epoch, settings and the metrics so
far, committed together in one atomic write after every epoch, so a kill at any moment leaves the
previous epoch's checkpoint or this one, never a mix. ``--resume`` continues from it bit-exactly
and rewrites metrics.jsonl to the checkpoint's epoch. The model alone is
``minitorch.load(".../checkpoint.safetensors")["model"]``.

Data-parallel: ``torchrun --nproc_per_node=2 train/digits.py`` runs the same training on 2
processes (gloo): each reads its share of every shuffled batch of --batch-size through a
DistributedSampler, DistributedDataParallel averages the gradients, and only rank 0 writes files
and prints. The checkpoint holds the plain model, so runs resume with any number of processes.
``--graph`` writes graph.png: the autograd graph of one training step's loss.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from _common import (
    Parser,
    ScriptError,
    check_out_dir,
    fraction,
    load_checkpoint,
    load_model_weights,
    nonnegative_int,
    positive_float,
    positive_int,
    replay_schedule,
    run,
    write_jsonl_atomic,
)

import minitorch
from minitorch import nn, optim
from minitorch.utils.data import DataLoader, DistributedSampler, TensorDataset

CHECKPOINT = "checkpoint.safetensors"
# settings a resumed run must share with the checkpoint (only --epochs may change)
RESUME_SETTINGS = ("hidden", "seed", "batch_size", "lr", "momentum", "limit")


def parse_args(argv=None, description=None, **defaults):
    """The flags of every digits script; ``digits_cnn.py`` passes its own description and
    defaults."""
    p = Parser(description=description or (
        "Train a multilayer perceptron on scikit-learn's digits dataset with minitorch "
        "(every forward, backward and optimizer computation is a Triton kernel)."))
    p.add_argument("--epochs", type=positive_int, default=20,
                   help="passes over the training set (default %(default)s)")
    p.add_argument("--batch-size", type=positive_int, default=64,
                   help="examples per SGD step (default 64)")
    p.add_argument("--lr", type=positive_float, default=0.05,
                   help="SGD learning rate (default 0.05)")
    p.add_argument("--momentum", type=fraction, default=0.9,
                   help="SGD momentum, in [0, 1) (default 0.9)")
    p.add_argument("--hidden", type=positive_int, default=128,
                   help="width of the hidden layer (default %(default)s)")
    p.add_argument("--seed", type=nonnegative_int, default=0,
                   help="seed for the train/test split, weight init and shuffling (default 0)")
    p.add_argument("--out", default="runs/digits",
                   help="folder for metrics.jsonl, curves.png and checkpoint.safetensors "
                        "(default %(default)s)")
    p.add_argument("--resume", action="store_true",
                   help="continue from checkpoint.safetensors in --out (bit-exact with an "
                        "uninterrupted run; only --epochs may differ from the first run)")
    p.add_argument("--limit", type=positive_int, default=None,
                   help="use only the first N training examples (for quick smoke runs)")
    p.add_argument("--graph", action="store_true",
                   help="also write graph.png: the autograd graph of one training step's loss")
    p.set_defaults(**defaults)
    return p.parse_args(argv)


class Distributed:
    """The process group when started by torchrun (WORLD_SIZE > 1); one process otherwise."""

    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        if self.world > 1:
            import minitorch.distributed as dist
            dist.init_process_group("gloo", timeout=300)
            self.dist = dist

    @property
    def main(self):
        return self.rank == 0

    def wrap(self, model):
        if self.world == 1:
            return model
        from minitorch.nn.parallel import DistributedDataParallel
        return DistributedDataParallel(model)

    def loader(self, dataset, batch_size, generator, seed):
        if self.world == 1:
            return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator)
        if batch_size < self.world:
            raise ScriptError(f"--batch-size {batch_size} is smaller than the {self.world} "
                              "processes: pass at least one example per process")
        sampler = DistributedSampler(dataset, self.world, self.rank, shuffle=True, seed=seed)
        return DataLoader(dataset, batch_size=batch_size // self.world, sampler=sampler)

    def mean(self, value):
        """The average of a scalar tensor over the processes."""
        if self.world > 1:
            self.dist.all_reduce(value, self.dist.ReduceOp.AVG)
        return value

    def barrier(self):
        if self.world > 1:
            self.dist.barrier()

    def close(self):
        if self.world > 1:
            self.dist.destroy_process_group()


def load_data(seed, limit=None):
    """Digits as minitorch tensors: pixels scaled to [0, 1] (by a Triton kernel), int64 labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=0.2, random_state=seed, stratify=digits.target)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    to_x = lambda a: minitorch.tensor(a, dtype=minitorch.float32) / 16.0  # noqa: E731
    to_y = lambda a: minitorch.tensor(a, dtype=minitorch.int64)  # noqa: E731
    return to_x(x_train), to_y(y_train), to_x(x_test), to_y(y_test)


class DigitsMLP(nn.Module):
    """64 pixels -> hidden (ReLU) -> 10 classes. The classifier head is ``fc``, so finetuning
    can replace it exactly as the tutorial does with ``model.fc = nn.Linear(...)``."""

    def __init__(self, hidden=128, classes=10):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, hidden), nn.ReLU())
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc(self.body(x))


def make_model(hidden):
    return DigitsMLP(hidden)


@minitorch.no_grad()
def evaluate(model, x, y, loss_fn):
    model.eval()
    logits = model(x)
    loss = loss_fn(logits, y).item()
    acc = (logits.argmax(dim=1) == y).float().mean().item()
    model.train()
    return loss, acc


def config(args):
    return {k: getattr(args, k) for k in RESUME_SETTINGS}


def save_checkpoint(out, model, optimizer, scheduler, epoch, generator, args, rows):
    """Everything --resume needs, in one file, in one atomic write."""
    minitorch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "epoch": epoch,
                    "rng": generator.get_state(), "global_rng": minitorch.get_rng_state(),
                    "config": config(args), "metrics": rows},
                   os.path.join(out, CHECKPOINT))


def read_checkpoint(args):
    """The checkpoint in --out, checked against the flags (before anything is written)."""
    path = os.path.join(args.out, CHECKPOINT)
    hint = "run without --resume to start a new run, or pass the --out of an earlier run"
    if not os.path.exists(path) and os.path.exists(os.path.join(args.out, "optim.safetensors")):
        hint = ("this folder holds a run of an older digits.py (model.safetensors and "
                "optim.safetensors), which cannot be resumed: run without --resume to start anew")
    state = load_checkpoint(path, "checkpoint", hint)
    keys = ("model", "optimizer", "scheduler", "epoch", "rng", "global_rng", "config", "metrics")
    missing = [k for k in keys if not isinstance(state, dict) or k not in state]
    if missing:
        raise ScriptError(f"{path} is not a digits.py checkpoint (no {missing[0]!r}): {hint}")
    saved = state["config"]
    if not isinstance(saved, dict):
        raise ScriptError(f"{path} is not a digits.py checkpoint (its config is not a dict): "
                          f"{hint}")
    for key in RESUME_SETTINGS:
        if saved.get(key) != getattr(args, key):
            flag = "--" + key.replace("_", "-")
            raise ScriptError(
                f"{flag} {getattr(args, key)} does not match the checkpoint in {args.out}, which "
                f"was trained with {flag} {saved.get(key)}: resume with the same settings (only "
                "--epochs may change), or pass another --out")
    epoch = state["epoch"]
    if not isinstance(epoch, int) or epoch < 1:
        raise ScriptError(f"{path} holds no valid epoch number: {hint}")
    if epoch >= args.epochs:
        raise ScriptError(f"the checkpoint in {args.out} is already at epoch {epoch}: pass "
                          f"--epochs greater than {epoch} to train further")
    return state


def restore(state, optimizer, scheduler, generator, args):
    """Optimizer, RNG and schedule as the checkpoint left them; returns the scheduler."""
    optimizer.load_state_dict(state["optimizer"])
    generator.set_state(state["rng"])
    minitorch.set_rng_state(state["global_rng"])
    if state["scheduler"].get("T_max") == args.epochs:
        scheduler.load_state_dict(state["scheduler"])
        return scheduler
    # a longer run than the checkpoint's: the schedule is a function of --epochs, so replay it
    # to where the checkpoint stopped
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] = args.lr
    return replay_schedule(optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs),
                           state["epoch"])


def plot_curves(out, rows):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    epochs = [r["epoch"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax1.plot(epochs, [r["train_loss"] for r in rows], label="train")
    ax1.plot(epochs, [r["test_loss"] for r in rows], label="test")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("cross-entropy")
    ax1.legend()
    ax2.plot(epochs, [r["test_accuracy"] for r in rows], color="tab:green")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("test accuracy")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "curves.png"), dpi=100)
    plt.close(fig)


def write_graph(out, loss, model):
    from minitorch.utils.viz import make_dot
    path = make_dot(loss, params=dict(model.named_parameters())).render(
        os.path.join(out, "graph"), format="png")
    print(f"wrote {path}", flush=True)


def train(args, procs=None, make=None, augment=None):
    """``make(args.hidden)`` builds the model (default: the MLP). ``augment(xb, generator)``, when
    given, transforms every training batch, drawing its randomness from the run's seeded generator
    (the one that shuffles, saved in the checkpoint, so ``--resume`` stays bit-exact)."""
    procs = procs or Distributed()
    # every check first: a bad --out or checkpoint stops here, before anything is written
    check_out_dir(args.out)
    state = read_checkpoint(args) if args.resume else None
    minitorch.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_data(args.seed, args.limit)
    model = (make or make_model)(args.hidden)
    net = procs.wrap(model)  # DistributedDataParallel under torchrun, else the model itself
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    # cosine annealing to zero over the run: the last epochs settle instead of oscillating
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    generator = minitorch.Generator().manual_seed(args.seed)
    loader = procs.loader(TensorDataset(x_train, y_train), args.batch_size, generator, args.seed)
    metrics_path = os.path.join(args.out, "metrics.jsonl")
    start_epoch, rows = 0, []
    if state is not None:
        ckpt_path = os.path.join(args.out, CHECKPOINT)
        load_model_weights(model, state["model"], ckpt_path,
                           "run without --resume, or pass the --out of a run with these flags")
        try:
            scheduler = restore(state, optimizer, scheduler, generator, args)
            rows = [dict(r) for r in state["metrics"]][:state["epoch"]]
        except (KeyError, ValueError, TypeError, RuntimeError, AttributeError, IndexError) as e:
            detail = " ".join(str(e).split())[:120]
            raise ScriptError(f"{ckpt_path} holds a damaged digits.py checkpoint "
                              f"({type(e).__name__}: {detail}): run without --resume to "
                              "start a new run") from None
        start_epoch = state["epoch"]
        if procs.main:
            write_jsonl_atomic(metrics_path, rows)  # drop rows of epochs after the checkpoint's
    elif procs.main:
        os.makedirs(args.out, exist_ok=True)
        # a new run: a checkpoint of an earlier run in this folder no longer matches the metrics
        try:
            os.unlink(os.path.join(args.out, CHECKPOINT))
        except FileNotFoundError:
            pass
        open(metrics_path, "w").close()

    from tqdm import tqdm
    for epoch in range(start_epoch + 1, args.epochs + 1):
        t0 = time.perf_counter()
        total, count = None, 0
        if hasattr(loader.sampler, "set_epoch"):
            loader.sampler.set_epoch(epoch)
        bar = tqdm(loader, desc=f"epoch {epoch}/{args.epochs}", leave=False,
                   disable=not (procs.main and sys.stderr.isatty()))
        for xb, yb in bar:
            if augment is not None:
                xb = augment(xb, generator)
            optimizer.zero_grad()
            loss = loss_fn(net(xb), yb)
            loss.backward()
            if args.graph and procs.main and epoch == start_epoch + 1 and count == 0:
                write_graph(args.out, loss, model)
            optimizer.step()
            # the running loss stays on the device (one fused a + n·b launch, no host sync)
            with minitorch.no_grad():
                total = loss * len(yb) if total is None else total.add(loss, alpha=len(yb))
            count += len(yb)
        train_loss = procs.mean(total).item() / count  # every rank reads equally many
        test_loss, test_acc = evaluate(model, x_test, y_test, loss_fn)
        row = dict(epoch=epoch, train_loss=round(train_loss, 6), test_loss=round(test_loss, 6),
                   test_accuracy=round(test_acc, 6), seconds=round(time.perf_counter() - t0, 3))
        rows.append(row)
        scheduler.step()
        if procs.main:  # one writer; the others wait so no rank runs ahead of a checkpoint
            save_checkpoint(args.out, model, optimizer, scheduler, epoch, generator, args, rows)
            with open(metrics_path, "a") as f:
                f.write(json.dumps(row) + "\n")
            print(f"epoch {epoch:3d}  train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
                  f"test accuracy {test_acc:.4f}  ({row['seconds']:.1f}s)", flush=True)
        procs.barrier()
    if rows and procs.main:
        plot_curves(args.out, rows)
    final = rows[-1]["test_accuracy"] if rows else float("nan")
    if procs.main:
        print(f"final test accuracy: {final:.4f}")
    return model, rows


def main(argv=None, make=None, augment=None, **parser_options):
    args = parse_args(argv, **parser_options)
    t0 = time.perf_counter()
    procs = Distributed()
    try:
        _, rows = train(args, procs, make, augment)
    finally:
        procs.close()
    if procs.main:
        print(f"total time: {time.perf_counter() - t0:.1f}s")
    return rows


if __name__ == "__main__":
    run(main)
