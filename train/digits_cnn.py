"""Train a small convolutional network on scikit-learn's digits with minitorch.

The same job as train/digits.py (same flags, progress, metrics.jsonl, curves.png, one atomic
checkpoint.safetensors, bit-exact ``--resume``, ``--graph``, torchrun) with a CNN in place of the
MLP: two 3x3 convolutions (bias and ReLU in the convolution's epilogue) and a 2x2 max-pool over the
1x8x8 image, then a hidden layer and the classifier head ``fc``. ``--hidden`` is the width of the
first convolution (the second has twice as many channels).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import digits as digits_job
from _common import run

from minitorch import nn


class DigitsCNN(nn.Module):
    """1x8x8 -> conv 3x3 (width) -> conv 3x3 (2·width) -> max-pool 2 -> 64 -> 10 classes."""

    def __init__(self, width=16, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2))
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(2 * width * 16, 64), nn.ReLU())
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        return self.fc(self.body(self.features(x.view(-1, 1, 8, 8))))


def main(argv=None):
    return digits_job.main(
        argv, make=DigitsCNN,
        description="Train a small CNN on scikit-learn's digits dataset with minitorch (every "
                    "forward, backward and optimizer computation is a Triton kernel).",
        epochs=15, hidden=16, out="runs/digits_cnn")


if __name__ == "__main__":
    run(main)
