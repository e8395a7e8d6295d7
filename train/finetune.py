"""The tutorial's finetuning workflow on a new task: freeze a trained body, replace the classifier
head with a fresh nn.Linear, and train only the head.

Pretrained body: the digits classifier from train/digits.py (trained first if its checkpoint is
missing). New task: odd vs even digit, learned from only --labels labelled examples. Compared with
the same label budget: (a) pretrained frozen body + new head, (b) the same model trained from
scratch (every parameter trainable), (c) a random frozen body + new head.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import digits as digits_job

import minitorch
from minitorch import nn, optim


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default="runs/digits",
                   help="folder with the digits model.safetensors (trained if missing)")
    p.add_argument("--labels", type=int, default=20,
                   help="labelled examples available for the new task (default 20)")
    p.add_argument("--steps", type=int, default=300, help="SGD steps on the head (default 300)")
    p.add_argument("--lr", type=float, default=1e-2, help="learning rate (default 1e-2)")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default 0.9)")
    p.add_argument("--hidden", type=int, default=128, help="hidden width of the digits model")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--pretrain-epochs", type=int, default=20,
                   help="epochs for the digits model when it must be trained first")
    p.add_argument("--out", default="runs/finetune", help="folder for results.json")
    return p.parse_args(argv)


def pretrained_model(args):
    path = os.path.join(args.checkpoint, "model.safetensors")
    if not os.path.exists(path):
        print(f"no checkpoint at {path}: training the digits model first")
        digits_job.main(["--out", args.checkpoint, "--epochs", str(args.pretrain_epochs),
                         "--hidden", str(args.hidden), "--seed", str(args.seed)])
    model = digits_job.make_model(args.hidden)
    model.load_state_dict(minitorch.load(path))
    return model


def count(params):
    return sum(p.numel() for p in params)


def fit(model, params, x, y, args):
    optimizer = optim.SGD(params, lr=args.lr, momentum=args.momentum)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(args.steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
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
    os.makedirs(args.out, exist_ok=True)
    t0 = time.perf_counter()
    x_train, y_train, x_test, y_test = digits_job.load_data(args.seed)
    # the new task's labels: 1 for odd digits, 0 for even (computed by a kernel)
    parity = lambda y: y % 2
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
    fit(model, model.fc.parameters(), x_few, y_few, args)
    identical = all(minitorch.equal(body_before[k], v) for k, v in model.body.state_dict().items())
    grads_none = all(p.grad is None for p in model.body.parameters())
    print(f"frozen body bit-identical after training: {identical}; frozen grads are None: "
          f"{grads_none}")
    results["pretrained_frozen_body"] = accuracy(model, x_test, y_test2)

    # (b) the same architecture trained from scratch on the same labels
    minitorch.manual_seed(args.seed + 1)
    scratch = digits_job.make_model(args.hidden)
    scratch.fc = nn.Linear(args.hidden, 2)
    fit(scratch, scratch.parameters(), x_few, y_few, args)
    results["from_scratch"] = accuracy(scratch, x_test, y_test2)

    # (c) a random frozen body + new head
    minitorch.manual_seed(args.seed + 1)
    random_body = freeze_and_replace_head(digits_job.make_model(args.hidden), args.hidden)
    fit(random_body, random_body.fc.parameters(), x_few, y_few, args)
    results["random_frozen_body"] = accuracy(random_body, x_test, y_test2)

    print(f"\nodd-vs-even test accuracy with {args.labels} labels ({len(y_test)} test digits)")
    print(f"{'setting':<34}{'accuracy':>10}")
    names = {"pretrained_frozen_body": "(a) pretrained frozen body + head",
             "from_scratch": "(b) trained from scratch",
             "random_frozen_body": "(c) random frozen body + head"}
    for key, acc in results.items():
        print(f"{names[key]:<34}{acc:>10.4f}")
    report = dict(labels=args.labels, steps=args.steps, lr=args.lr, momentum=args.momentum,
                  trainable_parameters=count(trainable), frozen_parameters=count(frozen),
                  frozen_body_bit_identical=identical, accuracy=results,
                  seconds=round(time.perf_counter() - t0, 2))
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
