"""The tutorial's finetuning workflow on a new task: freeze a trained body, replace the classifier
head with a fresh nn.Linear, and train only the head.

Pretrained body: the digits classifier from train/digits.py (trained first if its checkpoint is
missing), or any state_dict of the same architecture, including one written by ``torch.save``.
New task: odd vs even digit, learned from only --labels labelled examples. Compared with the same
label budget: (a) pretrained frozen body + new head, (b) the same model trained from
scratch (every parameter trainable), (c) a random frozen body + new head.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import digits as digits_job
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
    run,
)

import minitorch
from minitorch import nn, optim
from minitorch.utils.viz import make_dot

FILE_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin")


def parse_args(argv=None):
    p = Parser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default="runs/digits",
                   help="the digits model: a digits.py --out folder (trained there first if it "
                        "holds no checkpoint), or a file holding its state_dict (.safetensors, or "
                        ".pt/.pth written by torch.save) (default runs/digits)")
    p.add_argument("--labels", type=positive_int, default=20,
                   help="labelled examples available for the new task (default 20)")
    p.add_argument("--steps", type=positive_int, default=300,
                   help="SGD steps on the head (default 300)")
    p.add_argument("--lr", type=positive_float, default=1e-2, help="learning rate (default 1e-2)")
    p.add_argument("--momentum", type=fraction, default=0.9, help="SGD momentum (default 0.9)")
    p.add_argument("--hidden", type=positive_int, default=128,
                   help="hidden width of the digits model (default 128)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed (default 0)")
    p.add_argument("--pretrain-epochs", type=positive_int, default=20,
                   help="epochs for the digits model when it must be trained first")
    p.add_argument("--out", default="runs/finetune", help="folder for results.json")
    p.add_argument("--graph", action="store_true",
                   help="also write graph.png: the autograd graph of one finetuning step's loss "
                        "(the frozen body has no AccumulateGrad leaves)")
    return p.parse_args(argv)


def checkpoint_file(args):
    """The file holding the pretrained weights, or None when the digits model must be trained
    first (into the --checkpoint folder)."""
    path = args.checkpoint
    if os.path.isfile(path):
        return path
    if os.path.isdir(path):
        for name in (digits_job.CHECKPOINT, "model.safetensors"):
            if os.path.isfile(os.path.join(path, name)):
                return os.path.join(path, name)
        return None
    if path.endswith(FILE_SUFFIXES):
        raise ScriptError(f"no checkpoint file at {path}: pass an existing file, or a folder to "
                          "train the digits model into")
    return None


def load_pretrained(path, args):
    """A digits model with the weights in ``path`` (a digits.py checkpoint or a bare state_dict),
    or a ScriptError that says why not."""
    hint = "pass a --checkpoint holding the state_dict of a digits.py model"
    state = load_checkpoint(path, "checkpoint", "pass a digits.py --out folder or a state_dict "
                                                "file")
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]  # a digits.py checkpoint: the model part
    w = state.get("body.0.weight") if isinstance(state, dict) else None
    if isinstance(w, minitorch.Tensor) and w.dim() == 2 and w.shape[0] != args.hidden:
        raise ScriptError(f"the digits model in {path} has hidden width {w.shape[0]}, not "
                          f"{args.hidden}: pass --hidden {w.shape[0]}")
    model = digits_job.make_model(args.hidden)
    load_model_weights(model, state, path, hint)
    return model


def pretrained_model(args):
    path = checkpoint_file(args)
    if path is None:
        print(f"no checkpoint in {args.checkpoint}: training the digits model first", flush=True)
        digits_job.main(["--out", args.checkpoint, "--epochs", str(args.pretrain_epochs),
                         "--hidden", str(args.hidden), "--seed", str(args.seed)])
        path = os.path.join(args.checkpoint, digits_job.CHECKPOINT)
    model = load_pretrained(path, args)
    print(f"pretrained digits model: {path}", flush=True)
    return model


def sgd(params, args):
    return optim.SGD(params, lr=args.lr, momentum=args.momentum)


def count(params):
    return sum(p.numel() for p in params)


def print_table(title, results):
    """The three-way comparison (also printed by finetune_resnet.py)."""
    print(f"\n{title}")
    print(f"{'setting':<34}{'accuracy':>10}")
    names = {"pretrained_frozen_body": "(a) pretrained frozen body + head",
             "from_scratch": "(b) trained from scratch",
             "random_frozen_body": "(c) random frozen body + head"}
    for key, acc in results.items():
        print(f"{names[key]:<34}{acc:>10.4f}")


def fit(model, optimizer, x, y, args, title, graph=None):
    """``args.steps`` steps of ``optimizer`` on cross-entropy, with progress lines (also used by
    finetune_resnet.py)."""
    loss_fn = nn.CrossEntropyLoss()
    print(f"{title}: {args.steps} SGD steps on {len(y)} labelled examples", flush=True)
    every = max(1, args.steps // 5)
    t0 = time.perf_counter()
    for step in range(1, args.steps + 1):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        if graph and step == 1:
            path = make_dot(loss, params=dict(model.named_parameters())).render(graph)
            print(f"  wrote {path}", flush=True)
        optimizer.step()
        if step % every == 0 or step == args.steps:  # a host read only at the progress lines
            print(f"  step {step:4d}/{args.steps}  loss {loss.item():.4f}  "
                  f"({time.perf_counter() - t0:.1f}s)", flush=True)
    return loss.item()


@minitorch.no_grad()
def accuracy(model, x, y):
    model.eval()
    acc = (model(x).argmax(dim=1) == y).float().mean().item()
    model.train()
    return acc


def freeze_and_replace_head(model, hidden):
    # the tutorial: freeze every parameter, then a new (trainable) classifier head
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(hidden, 2)
    return model


def main(argv=None):
    args = parse_args(argv)
    # every check first: nothing is trained or written when a flag or a file is wrong
    check_out_dir(args.out)
    path = checkpoint_file(args)
    if path is not None:
        load_pretrained(path, args)
    else:
        check_out_dir(args.checkpoint, "--checkpoint")
    t0 = time.perf_counter()
    x_train, y_train, x_test, y_test = digits_job.load_data(args.seed)
    if args.labels > len(y_train):
        raise ScriptError(f"--labels {args.labels} is more than the {len(y_train)} training "
                          f"examples: pass --labels {len(y_train)} or fewer")
    os.makedirs(args.out, exist_ok=True)
    # the new task's labels: 1 for odd digits, 0 for even (computed by a kernel)
    parity = lambda y: y % 2  # noqa: E731
    x_few, y_few = x_train[:args.labels], parity(y_train[:args.labels])
    y_test2 = parity(y_test)

    results = {}
    # (a) pretrained frozen body + new head
    minitorch.manual_seed(args.seed + 1)
    model = freeze_and_replace_head(pretrained_model(args), args.hidden)
    body_before = {k: v.clone() for k, v in model.body.state_dict().items()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    frozen = [p for p in model.parameters() if not p.requires_grad]
    print(f"trainable parameters: {count(trainable)} (the new head)   frozen: {count(frozen)}")
    fit(model, sgd(model.fc.parameters(), args), x_few, y_few, args,
        "(a) pretrained frozen body + new head",
        graph=os.path.join(args.out, "graph") if args.graph else None)
    identical = all(minitorch.equal(body_before[k], v) for k, v in model.body.state_dict().items())
    grads_none = all(p.grad is None for p in model.body.parameters())
    print(f"frozen body bit-identical after training: {identical}; frozen grads are None: "
          f"{grads_none}")
    results["pretrained_frozen_body"] = accuracy(model, x_test, y_test2)

    # (b) the same architecture trained from scratch on the same labels
    minitorch.manual_seed(args.seed + 1)
    scratch = digits_job.make_model(args.hidden)
    scratch.fc = nn.Linear(args.hidden, 2)
    fit(scratch, sgd(scratch.parameters(), args), x_few, y_few, args, "(b) trained from scratch")
    results["from_scratch"] = accuracy(scratch, x_test, y_test2)

    # (c) a random frozen body + new head
    minitorch.manual_seed(args.seed + 1)
    random_body = freeze_and_replace_head(digits_job.make_model(args.hidden), args.hidden)
    fit(random_body, sgd(random_body.fc.parameters(), args), x_few, y_few, args,
        "(c) random frozen body + new head")
    results["random_frozen_body"] = accuracy(random_body, x_test, y_test2)

    print_table(f"odd-vs-even test accuracy with {args.labels} labels ({len(y_test)} test "
                "digits)", results)
    report = dict(labels=args.labels, steps=args.steps, lr=args.lr, momentum=args.momentum,
                  trainable_parameters=count(trainable), frozen_parameters=count(frozen),
                  frozen_body_bit_identical=identical, accuracy=results,
                  seconds=round(time.perf_counter() - t0, 2))
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    run(main)
