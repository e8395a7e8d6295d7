"""The seed tutorial's ResNet finetuning, line for line, on scikit-learn's digits.

The tutorial loads a pretrained ResNet-18, freezes every parameter, replaces the classifier
``model.fc`` with a new ``nn.Linear`` and optimizes only ``model.fc.parameters()`` with
``SGD(lr=1e-2, momentum=0.9)``. Here the body is a small ResNet (``minitorch.models.resnet_small``:
torchvision's module names and state_dict keys) pretrained by this script on some digit classes
(default 0-4; the checkpoint is saved in --out and reused by later runs with the same settings), or
any safetensors checkpoint with torchvision's keys (``--weights PATH``; the architecture is read
from the keys and shapes). The new task, learned from only --labels labelled examples: odd vs even
over all ten digits, half of which the body has never seen (``--task parity``, the default), or
which of some digit classes (``--task digits --new-digits 5-9``). Compared on the held-out test
images, with the same labels and steps: (a) pretrained frozen body + new head, (b) the same
architecture trained from scratch (every parameter trainable), (c) a random frozen body + new
head.

The BatchNorm pitfall: ``requires_grad = False`` freezes a BatchNorm's weight and bias, but not its
running statistics. In train mode a BatchNorm normalizes with the batch's statistics and updates
``running_mean``, ``running_var`` and ``num_batches_tracked`` on every forward, gradients or not,
so a "frozen" body in train mode drifts towards the new task's few examples and evaluates with
statistics it was never trained with. This script therefore puts the frozen body in eval mode
(``model.eval()``, then ``model.fc.train()`` for the new head) before finetuning, and checks that
every frozen tensor, buffers included, is bit-identical afterwards.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from _common import (
    Parser,
    ScriptError,
    check_out_dir,
    load_checkpoint,
    load_model_weights,
    nonnegative_int,
    positive_float,
    positive_int,
    run,
    write_atomic,
)
from finetune import count, fit, print_table

import minitorch
import minitorch.models
from minitorch import nn, optim
from minitorch.models.resnet import BasicBlock, Bottleneck, ResNet
from minitorch.utils.data import DataLoader, TensorDataset


def digit_set(text):
    """Distinct digits 0-9, at least two: ``01234``, ``0-4`` or ``0,2,4,6,8``."""
    spec = text.replace(",", "").replace(" ", "")
    if len(spec) == 3 and spec[1] == "-" and spec[0].isdigit() and spec[2].isdigit():
        lo, hi = int(spec[0]), int(spec[2])
        digits = list(range(lo, hi + 1))
    elif spec.isdigit():
        digits = [int(c) for c in spec]
    else:
        raise argparse.ArgumentTypeError(f"expected digits such as 0-4 or 01234, got {text!r}")
    if len(set(digits)) != len(digits) or len(digits) < 2:
        raise argparse.ArgumentTypeError(f"expected at least two distinct digits, got {text!r}")
    return tuple(sorted(digits))


def widths_list(text):
    """Comma-separated channel widths, 1 to 4 of them: ``8,16,32``."""
    parts = [p for p in text.split(",") if p.strip()]
    if not 1 <= len(parts) <= 4:
        raise argparse.ArgumentTypeError(f"expected 1 to 4 comma-separated widths, got {text!r}")
    return tuple(positive_int(p.strip()) for p in parts)


def parse_args(argv=None):
    p = Parser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", default=None,
                   help="start from this safetensors checkpoint (torchvision's ResNet keys, e.g. "
                        "a torchvision model's state_dict saved with safetensors.torch.save_file) "
                        "instead of pretraining a small ResNet here")
    p.add_argument("--pretrain-digits", type=digit_set, default=(0, 1, 2, 3, 4),
                   help="digit classes the body is pretrained on (default 0-4)")
    p.add_argument("--task", choices=("parity", "digits"), default="parity",
                   help="the new task: parity = odd vs even of the --new-digits images, digits = "
                        "which of the --new-digits (default parity)")
    p.add_argument("--new-digits", type=digit_set, default=None,
                   help="the images of the new task: default 0-9 for --task parity, the digits "
                        "not in --pretrain-digits for --task digits")
    p.add_argument("--labels", type=positive_int, default=20,
                   help="labelled examples of the new task available for finetuning (the first "
                        "N of the shuffled training split; default 20)")
    p.add_argument("--steps", type=positive_int, default=60,
                   help="SGD steps for each of the three settings (default 60)")
    p.add_argument("--widths", type=widths_list, default=None,
                   help="channel widths of the small ResNet's stages (default 8,16,32)")
    p.add_argument("--blocks", type=positive_int, default=None,
                   help="BasicBlocks per stage of the small ResNet (default 1)")
    p.add_argument("--pretrain-epochs", type=positive_int, default=4,
                   help="epochs of pretraining when the checkpoint must be made (default 4)")
    p.add_argument("--pretrain-lr", type=positive_float, default=0.05,
                   help="pretraining learning rate (SGD, momentum 0.9, weight decay 5e-4, "
                        "cosine annealing; default 0.05)")
    p.add_argument("--batch-size", type=positive_int, default=64,
                   help="pretraining batch size (default 64)")
    p.add_argument("--pretrain-limit", type=positive_int, default=None,
                   help="pretrain on only the first N training images (for quick smoke runs)")
    p.add_argument("--seed", type=nonnegative_int, default=0,
                   help="seed for the train/test split, weight init and shuffling (default 0)")
    p.add_argument("--out", default="runs/finetune_resnet",
                   help="folder for results.json and the pretrained checkpoint "
                        "(default runs/finetune_resnet)")
    p.add_argument("--graph", action="store_true",
                   help="also write graph.png: the autograd graph of one finetuning step's loss "
                        "(the frozen body has no AccumulateGrad leaves)")
    return p.parse_args(argv)


# --------------------------------------------------------------------------------------- data
def load_data(seed):
    """scikit-learn's digits as (N, 1, 8, 8) images, with digits.py's 80/20 stratified split.
    Returns numpy images (0-16) and labels; the selection of classes is host-side bookkeeping."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    return train_test_split(digits.images, digits.target, test_size=0.2, random_state=seed,
                            stratify=digits.target)


def select(images, targets, classes, limit=None, parity=False):
    """The examples of ``classes`` as minitorch tensors: pixels scaled to [0, 1] by a kernel,
    labels renumbered 0..len(classes)-1 in the order of ``classes`` (or, with ``parity``, 1 for
    odd digits and 0 for even ones, computed by a kernel)."""
    keep = np.isin(targets, classes)
    x, y = images[keep], targets[keep]
    if limit is not None:
        x, y = x[:limit], y[:limit]
    x = minitorch.tensor(x.reshape(-1, 1, 8, 8), dtype=minitorch.float32) / 16.0
    if parity:
        return x, minitorch.tensor(y, dtype=minitorch.int64) % 2
    index = {c: i for i, c in enumerate(classes)}
    return x, minitorch.tensor([index[int(t)] for t in y], dtype=minitorch.int64)


# ------------------------------------------------------------------------------- architecture
def small_spec(args):
    return dict(block="BasicBlock", layers=[args.blocks] * len(args.widths),
                widths=list(args.widths), in_channels=1, small_input=True)


def build(spec, num_classes):
    block = {"BasicBlock": BasicBlock, "Bottleneck": Bottleneck}[spec["block"]]
    return ResNet(block, spec["layers"], num_classes=num_classes,
                  in_channels=spec["in_channels"], widths=spec["widths"],
                  small_input=spec["small_input"])


def spec_of(state, path):
    """The ResNet a torchvision-keyed state_dict describes: block type, blocks and width per
    stage, input channels, stem, and the number of classes of its head. A ScriptError when the
    keys are not a ResNet's."""
    hint = "pass a safetensors checkpoint of a ResNet with torchvision's keys"
    if not isinstance(state, dict):
        raise ScriptError(f"{path} does not hold a state_dict (found {type(state).__name__}): "
                          f"{hint}")
    for key in ("conv1.weight", "fc.weight", "layer1.0.conv1.weight"):
        w = state.get(key)
        if not isinstance(w, minitorch.Tensor):
            raise ScriptError(f"{path} does not hold a ResNet state_dict (no {key!r}; its first "
                              f"keys are {', '.join(list(state)[:3]) or 'none'}): {hint}")
    stem = state["conv1.weight"]
    if stem.dim() != 4 or tuple(stem.shape[2:]) not in ((3, 3), (7, 7)):
        raise ScriptError(f"{path}: conv1.weight has shape {tuple(stem.shape)}, not a ResNet "
                          f"stem (3x3 or 7x7 kernel): {hint}")
    bottleneck = "layer1.0.conv3.weight" in state
    layers, widths = [], []
    for i in range(1, 5):
        blocks = {int(k.split(".")[1]) for k in state if k.startswith(f"layer{i}.")
                  and k.split(".")[1].isdigit()}
        if not blocks:
            break
        layers.append(max(blocks) + 1)
        last = state.get(f"layer{i}.0.conv3.weight" if bottleneck else f"layer{i}.0.conv1.weight")
        if not isinstance(last, minitorch.Tensor):
            raise ScriptError(f"{path} does not hold a ResNet state_dict (layer{i}.0 has no "
                              f"{'conv3' if bottleneck else 'conv1'}.weight): {hint}")
        widths.append(last.shape[0] // 4 if bottleneck else last.shape[0])
    return dict(block="Bottleneck" if bottleneck else "BasicBlock", layers=layers,
                widths=widths, in_channels=stem.shape[1], small_input=stem.shape[2] == 3,
                num_classes=state["fc.weight"].shape[0])


def load_weights(path, args):
    """(model, spec): a ResNet holding the weights in ``path``, or a ScriptError saying why
    not."""
    hint = "pass a safetensors checkpoint of a ResNet with torchvision's keys"
    state = load_checkpoint(path, "weights file", hint)
    spec = spec_of(state, path)
    for flag, mine in (("widths", spec["widths"]), ("blocks", spec["layers"])):
        wanted = getattr(args, flag)
        if wanted is None:
            continue
        wanted = list(wanted) if flag == "widths" else [wanted] * len(spec["layers"])
        if wanted != mine:
            shown = ",".join(map(str, mine)) if flag == "widths" else \
                ("/".join(map(str, mine)) + " per stage")
            raise ScriptError(f"the ResNet in {path} has {flag} {shown}, not "
                              f"{','.join(map(str, wanted)) if flag == 'widths' else args.blocks}"
                              f": drop --{flag} (the architecture is read from the weights)")
    model = build(spec, spec["num_classes"])
    load_model_weights(model, state, path, hint)
    return model, spec


# -------------------------------------------------------------------------------- training
def images_for(spec, x):
    """The 1-channel digits as the body expects them (repeated over 3 channels for a
    torchvision-style RGB body)."""
    return x if spec["in_channels"] == 1 else x.expand(-1, spec["in_channels"], -1, -1)


@minitorch.no_grad()
def accuracy(model, x, y):
    """Test accuracy in eval mode; the model's modes are left as they were."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    acc = (model(x).argmax(dim=1) == y).float().mean().item()
    for m, mode in modes:
        m.training = mode
    return acc


def pretrain(args, path, data):
    """Train the small ResNet on --pretrain-digits and save its state_dict to ``path`` (flat,
    torchvision's keys: ``safetensors.torch.load_file`` and ``--weights`` read it)."""
    x_train, y_train = select(data[0], data[2], args.pretrain_digits, args.pretrain_limit)
    x_test, y_test = select(data[1], data[3], args.pretrain_digits)
    minitorch.manual_seed(args.seed)
    model = minitorch.models.resnet_small(len(args.pretrain_digits), in_channels=1,
                                          widths=args.widths, blocks=args.blocks)
    optimizer = optim.SGD(model.parameters(), lr=args.pretrain_lr, momentum=0.9,
                          weight_decay=5e-4)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.pretrain_epochs)
    loss_fn = nn.CrossEntropyLoss()
    generator = minitorch.Generator().manual_seed(args.seed)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                        shuffle=True, generator=generator, drop_last=len(y_train) > args.batch_size)
    digits = "".join(map(str, args.pretrain_digits))
    print(f"pretraining resnet_small(widths={tuple(args.widths)}, blocks={args.blocks}) on digits "
          f"{digits}: {len(y_train)} training images, {args.pretrain_epochs} epochs", flush=True)
    for epoch in range(1, args.pretrain_epochs + 1):
        t0 = time.perf_counter()
        model.train()
        total, count = None, 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            with minitorch.no_grad():  # the running loss stays on the device until the print
                total = loss * len(yb) if total is None else total.add(loss, alpha=len(yb))
            count += len(yb)
        scheduler.step()
        print(f"  epoch {epoch:2d}/{args.pretrain_epochs}  train loss {total.item() / count:.4f}  "
              f"test accuracy (digits {digits}) {accuracy(model, x_test, y_test):.4f}  "
              f"({time.perf_counter() - t0:.1f}s)", flush=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    minitorch.save(model.state_dict(), path)
    print(f"  saved {path}", flush=True)


def pretrained_path(args):
    widths = "-".join(map(str, args.widths))
    digits = "".join(map(str, args.pretrain_digits))
    return os.path.join(args.out, f"resnet_small_w{widths}_b{args.blocks}_digits{digits}_"
                                  f"e{args.pretrain_epochs}_lr{args.pretrain_lr:g}_"
                                  f"bs{args.batch_size}_s{args.seed}"
                                  f"{f'_n{args.pretrain_limit}' if args.pretrain_limit else ''}"
                                  ".safetensors")


def tutorial_recipe(model, num_new_classes):
    """The seed tutorial's finetuning lines, then the frozen body in eval mode. Returns the
    optimizer."""
    # Freeze all the parameters in the network
    for param in model.parameters():
        param.requires_grad = False
    # Replace the classifier with a new linear layer (unfrozen by default)
    model.fc = nn.Linear(model.fc.in_features, num_new_classes)
    # Optimize only the classifier
    optimizer = optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)
    # The BatchNorm pitfall: requires_grad=False does not stop a BatchNorm in train mode from
    # normalizing with the batch's statistics and overwriting its running statistics. In eval
    # mode it uses, and keeps, the pretrained ones. The new head is a Linear: its mode changes
    # nothing, but it is the part being trained.
    model.eval()
    model.fc.train()
    return optimizer


def main(argv=None):
    args = parse_args(argv)
    # every check first: nothing is trained or written when a flag or a file is wrong
    check_out_dir(args.out)
    if args.new_digits is None:
        args.new_digits = tuple(range(10)) if args.task == "parity" else \
            tuple(d for d in range(10) if d not in args.pretrain_digits)
    if args.task == "parity" and not ({d % 2 for d in args.new_digits} == {0, 1}):
        raise ScriptError(f"--new-digits {''.join(map(str, args.new_digits))} are all "
                          f"{'odd' if args.new_digits[0] % 2 else 'even'}: --task parity needs "
                          "odd and even digits")
    if args.task == "digits" and args.weights is None and \
            set(args.new_digits) == set(args.pretrain_digits):
        raise ScriptError("--new-digits are the --pretrain-digits: --task digits needs other "
                          "digits for a new task (e.g. --pretrain-digits 0-4 --new-digits 5-9)")
    if args.weights is not None:
        _, spec = load_weights(args.weights, args)
    else:
        args.widths = args.widths or (8, 16, 32)
        args.blocks = args.blocks or 1
        spec = small_spec(args)
    data = load_data(args.seed)
    available = int(sum(int(t) in args.new_digits for t in data[2]))
    if args.labels > available:
        raise ScriptError(f"--labels {args.labels} is more than the {available} training images of "
                          f"digits {''.join(map(str, args.new_digits))}: pass --labels "
                          f"{available} or fewer")
    if args.weights is None:
        images = int(sum(int(t) in args.pretrain_digits for t in data[2]))
        images = min(images, args.pretrain_limit or images)
        if min(args.batch_size, images) < 2:
            flag = "--batch-size" if args.batch_size < 2 else "--pretrain-limit"
            raise ScriptError(f"{flag} {getattr(args, flag[2:].replace('-', '_'))} gives "
                              "pretraining batches of one image, and BatchNorm in training needs "
                              f"more than one: pass {flag} 2 or more")
    if args.labels < 2:
        raise ScriptError("--labels 1 is too few: the from-scratch model's BatchNorm needs more "
                          "than one example per batch in training; pass --labels 2 or more")
    t0 = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)

    weights = args.weights
    if weights is None:
        weights = pretrained_path(args)
        if os.path.isfile(weights):
            print(f"reusing the pretrained checkpoint {weights}", flush=True)
        else:
            pretrain(args, weights, data)
    pretrain_seconds = time.perf_counter() - t0

    parity = args.task == "parity"
    num_new = 2 if parity else len(args.new_digits)
    x_few, y_few = select(data[0], data[2], args.new_digits, args.labels, parity)
    x_test, y_test = select(data[1], data[3], args.new_digits, parity=parity)
    x_few, x_test = images_for(spec, x_few), images_for(spec, x_test)
    results = {}

    # (a) pretrained frozen body + new head: the tutorial's recipe
    model, _ = load_weights(weights, args)
    print(f"pretrained body: {weights}", flush=True)
    minitorch.manual_seed(args.seed + 1)
    optimizer = tutorial_recipe(model, num_new)
    before = {k: v.clone() for k, v in model.state_dict().items() if not k.startswith("fc.")}
    trainable = [p for p in model.parameters() if p.requires_grad]
    frozen = [p for p in model.parameters() if not p.requires_grad]
    print(f"trainable parameters: {count(trainable)} (the new head)   frozen: {count(frozen)}   "
          f"frozen buffers: {len(before) - len(frozen)}", flush=True)
    fit(model, optimizer, x_few, y_few, args, "(a) pretrained frozen body + new head",
        graph=os.path.join(args.out, "graph") if args.graph else None)
    after = model.state_dict()
    identical = all(minitorch.equal(before[k], after[k]) for k in before)
    grads_none = all(p.grad is None for p in frozen)
    print(f"frozen body bit-identical after training (parameters and BatchNorm buffers): "
          f"{identical}; frozen grads are None: {grads_none}", flush=True)
    results["pretrained_frozen_body"] = accuracy(model, x_test, y_test)

    # (b) the same architecture trained from scratch on the same labels (train mode throughout)
    minitorch.manual_seed(args.seed + 1)
    scratch = build(spec, num_new)
    optimizer = optim.SGD(scratch.parameters(), lr=1e-2, momentum=0.9)  # the same optimizer
    fit(scratch, optimizer, x_few, y_few, args, "(b) trained from scratch")
    results["from_scratch"] = accuracy(scratch, x_test, y_test)

    # (c) a random frozen body + new head, the same recipe
    minitorch.manual_seed(args.seed + 1)
    random_body = build(spec, num_new)
    optimizer = tutorial_recipe(random_body, num_new)
    fit(random_body, optimizer, x_few, y_few, args, "(c) random frozen body + new head")
    results["random_frozen_body"] = accuracy(random_body, x_test, y_test)

    new = "".join(map(str, args.new_digits))
    task = f"odd-vs-even (digits {new})" if parity else f"digits {new}"
    print_table(f"{task} test accuracy with {args.labels} labels ({len(y_test)} test images)",
                results)
    report = dict(weights=weights, architecture={k: spec[k] for k in
                                                 ("block", "layers", "widths", "in_channels",
                                                  "small_input")},
                  pretrain_digits=list(args.pretrain_digits), task=args.task,
                  new_digits=list(args.new_digits),
                  labels=args.labels, test_images=len(y_test), steps=args.steps, lr=1e-2,
                  momentum=0.9, trainable_parameters=count(trainable),
                  frozen_parameters=count(frozen), frozen_tensors=len(before),
                  frozen_body_bit_identical=identical, frozen_grads_none=grads_none,
                  accuracy=results, pretrain_seconds=round(pretrain_seconds, 2),
                  seconds=round(time.perf_counter() - t0, 2))
    write_atomic(os.path.join(args.out, "results.json"),
                 (json.dumps(report, indent=2) + "\n").encode())
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    run(main)
