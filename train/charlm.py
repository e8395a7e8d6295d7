"""Train a small character-level GPT with minitorch on text every Python ships.

The text is the standard library's ``pydoc_data.topics`` (Python's own help pages, ~0.9 MB).
The model is GPT-shaped: token + position embeddings, pre-LayerNorm blocks of causal
self-attention (a ``tril`` mask) and a GELU MLP, a final LayerNorm and a head tied to the token
embedding. AdamW, gradient clipping, a cosine learning-rate schedule; at the end it samples text
with ``multinomial``. Every computation is a Triton kernel.

The defaults (one block, 60 steps of 16 x 32 characters) are sized for the Triton interpreter on
a 2-core machine (several seconds a step, about 500 kernel launches): the validation loss falls
from ~4.6 (uniform over ~100 characters) toward the character-frequency level within minutes;
larger settings (--layers 4 --dim 128 --steps 5000) are for a GPU.

Same conventions as ``digits.py``: progress lines, --out with metrics.jsonl (one line per
evaluation), curves.png, model.safetensors and optim.safetensors (--resume continues).

The model code is written against the torch API only, so the same classes run on real torch
(``build_model(torch, ...)``): the test checks one training step against torch with copied
weights.
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from _common import replay_schedule  # noqa: E402  (train/ is this script's folder)

import minitorch  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Train a character-level GPT on Python's help text "
                                            "with minitorch (every computation a Triton kernel).")
    p.add_argument("--steps", type=int, default=60, help="optimizer steps (default 60)")
    p.add_argument("--batch-size", type=int, default=16, help="sequences per step (default 16)")
    p.add_argument("--block", type=int, default=32, help="context length (default 32)")
    p.add_argument("--dim", type=int, default=64, help="embedding width (default 64)")
    p.add_argument("--heads", type=int, default=4, help="attention heads (default 4)")
    p.add_argument("--layers", type=int, default=1, help="transformer blocks (default 1)")
    p.add_argument("--lr", type=float, default=3e-3, help="AdamW peak learning rate")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--clip", type=float, default=1.0, help="gradient-norm clip (default 1.0)")
    p.add_argument("--eval-every", type=int, default=15, help="steps between evaluations")
    p.add_argument("--eval-batches", type=int, default=4)
    p.add_argument("--chars", type=int, default=200_000,
                   help="use the first N characters of the text (default 200000)")
    p.add_argument("--sample", type=int, default=100, help="characters to sample at the end")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/charlm")
    p.add_argument("--resume", action="store_true",
                   help="continue from the checkpoint in --out")
    return p.parse_args(argv)


def load_text(limit=None):
    from pydoc_data.topics import topics
    text = "\n\n".join(topics[k] for k in sorted(topics))
    return text[:limit] if limit else text


def build_model(lib, vocab, block, dim, heads, layers):
    """The GPT, built from ``lib``'s nn (minitorch or torch)."""
    nn, F = lib.nn, lib.nn.functional

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(dim, 3 * dim)
            self.proj = nn.Linear(dim, dim)
            self.register_buffer("mask", lib.tril(lib.ones(block, block)).reshape(
                1, 1, block, block), persistent=False)

        def forward(self, x):
            B, T, C = x.shape
            D = C // heads
            q, k, v = self.qkv(x).reshape(B, T, 3, heads, D).permute(2, 0, 3, 1, 4).unbind(0)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D))
            att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, C)
            return self.proj(y)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(dim)
            self.attn = Attention()
            self.ln2 = nn.LayerNorm(dim)
            self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(approximate="tanh"),
                                     nn.Linear(4 * dim, dim))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = block
            self.tok = nn.Embedding(vocab, dim)
            self.pos = nn.Embedding(block, dim)
            self.blocks = nn.Sequential(*[Block() for _ in range(layers)])
            self.ln_f = nn.LayerNorm(dim)
            with lib.no_grad():
                self.tok.weight.mul_(0.02)
                self.pos.weight.mul_(0.02)

        def forward(self, idx, targets=None):
            B, T = idx.shape
            x = self.tok(idx) + self.pos(lib.arange(T))
            x = self.ln_f(self.blocks(x))
            logits = F.linear(x, self.tok.weight)  # head tied to the token embedding
            if targets is None:
                return logits, None
            loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T))
            return logits, loss

    return GPT()


def batch(data, block, batch_size, generator):
    starts = minitorch.randint(0, data.shape[0] - block - 1, (batch_size,), generator=generator)
    offs = starts.unsqueeze(1) + minitorch.arange(block + 1).unsqueeze(0)
    seq = data[offs.reshape(-1)].reshape(batch_size, block + 1)
    return seq[:, :-1].contiguous(), seq[:, 1:].contiguous()


@minitorch.no_grad()
def evaluate(model, data, args, seed):
    """Mean loss on the same --eval-batches validation batches every time (a fixed seed), so
    successive evaluations compare the model, not the batches."""
    generator = minitorch.Generator().manual_seed(seed)
    model.eval()
    total = 0.0
    for _ in range(args.eval_batches):
        x, y = batch(data, args.block, args.batch_size, generator)
        total += model(x, y)[1].item()
    model.train()
    return total / args.eval_batches


@minitorch.no_grad()
def sample(model, stoi, itos, n, block, generator, prompt="\n"):
    model.eval()
    idx = minitorch.tensor([[stoi.get(c, 0) for c in prompt]])
    for _ in range(n):
        logits, _ = model(idx[:, -block:])
        probs = minitorch.softmax(logits[:, -1, :], dim=-1)
        nxt = minitorch.multinomial(probs, 1, generator=generator)
        idx = minitorch.cat([idx, nxt], dim=1)
    model.train()
    return "".join(itos[i] for i in idx[0].tolist())


def plot_curves(out, rows):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot([r["step"] for r in rows], [r["train_loss"] for r in rows], label="train")
    ax.plot([r["step"] for r in rows], [r["val_loss"] for r in rows], label="validation")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats/char)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "curves.png"), dpi=100)
    plt.close(fig)


def train(args):
    os.makedirs(args.out, exist_ok=True)
    minitorch.manual_seed(args.seed)
    text = load_text(args.chars)
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = minitorch.tensor([stoi[c] for c in text], dtype=minitorch.int64)
    split = int(0.9 * data.shape[0])
    train_data, val_data = data[:split], data[split:]
    model = build_model(minitorch, len(chars), args.block, args.dim, args.heads, args.layers)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = minitorch.optim.AdamW([dict(params=decay, weight_decay=args.weight_decay),
                                       dict(params=no_decay, weight_decay=0.0)], lr=args.lr)
    scheduler = minitorch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps)
    generator = minitorch.Generator().manual_seed(args.seed)
    metrics_path = os.path.join(args.out, "metrics.jsonl")
    start, rows = 0, []
    if args.resume:
        model.load_state_dict(minitorch.load(os.path.join(args.out, "model.safetensors")))
        state = minitorch.load(os.path.join(args.out, "optim.safetensors"))
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["rng"])
        start = int(state["step"])
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"] = args.lr
        scheduler = replay_schedule(
            minitorch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps), start)
        with open(metrics_path) as f:
            rows = [json.loads(line) for line in f if line.strip() and
                    json.loads(line)["step"] <= start]
    else:
        open(metrics_path, "w").close()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"charlm: {len(text)} characters, vocabulary {len(chars)}, {n_params} parameters",
          flush=True)
    t0, running = time.perf_counter(), None
    for step in range(start + 1, args.steps + 1):
        x, y = batch(train_data, args.block, args.batch_size, generator)
        optimizer.zero_grad()
        _, loss = model(x, y)
        loss.backward()
        minitorch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        scheduler.step()
        lv = loss.item()
        running = lv if running is None else 0.9 * running + 0.1 * lv
        if step % 5 == 0:
            print(f"step {step:5d}/{args.steps}  loss {running:.3f}  "
                  f"({time.perf_counter() - t0:.0f}s)", flush=True)
        if step % args.eval_every == 0 or step == args.steps:
            val = evaluate(model, val_data, args, args.seed + 1)
            row = dict(step=step, train_loss=round(running, 5), val_loss=round(val, 5),
                       seconds=round(time.perf_counter() - t0, 2))
            rows.append(row)
            with open(metrics_path, "a") as f:
                f.write(json.dumps(row) + "\n")
            minitorch.save(model.state_dict(), os.path.join(args.out, "model.safetensors"))
            minitorch.save({"optimizer": optimizer.state_dict(), "step": step,
                            "rng": generator.get_state()},
                           os.path.join(args.out, "optim.safetensors"))
            print(f"step {step:5d}  validation loss {val:.4f}", flush=True)
    if rows:
        plot_curves(args.out, rows)
    if args.sample:
        text_out = sample(model, stoi, chars, args.sample, args.block,
                          minitorch.Generator().manual_seed(args.seed))
        print("sample:\n" + text_out)
    return model, rows


def main(argv=None):
    args = parse_args(argv)
    t0 = time.perf_counter()
    _, rows = train(args)
    print(f"total time: {time.perf_counter() - t0:.1f}s")
    return rows


if __name__ == "__main__":
    main()
