"""The seed tutorial's gradient-descent example: minimize f(x) = (x1 - 3)^2 + (x2 + 2)^2 from
x = (0, 0) with plain autograd and `.data` updates, printing the same 15 lines as PyTorch."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from _common import Parser, positive_float, positive_int, run

import minitorch as torch


def main(argv=None):
    p = Parser(description="Gradient descent on (x1-3)^2 + (x2+2)^2 with "
               "minitorch autograd, as in the autograd tutorial.")
    p.add_argument("--steps", type=positive_int, default=15, help="number of steps (default 15)")
    p.add_argument("--lr", type=positive_float, default=0.1, help="learning rate (default 0.1)")
    args = p.parse_args(argv)

    x = torch.zeros(2, requires_grad=True)
    f = lambda x: (x - torch.tensor([3, -2])).pow(2).sum()
    lr = args.lr
    for i in range(args.steps):
        y = f(x)
        y.backward()
        gr = x.grad
        x.data.add_(-lr * gr)
        x.grad.zero_()
        print("Step {}: x[0]={}, x[1]={}".format(i, x[0], x[1]))
    return x


if __name__ == "__main__":
    run(main)
