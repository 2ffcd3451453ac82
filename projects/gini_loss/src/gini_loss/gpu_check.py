"""`python -m gini_loss.gpu_check`: the official recipe's training step on CUDA, in bf16.

Steps of the official CIFAR ResNet-50 (100 classes, batch 200, 32x32) with CE + 0.5 Gini + 0.5 KL
on ``conv5``, then the step-cost ratio over CE alone at that size. Prints one JSON object per
line. Imports neither ``shared.cli`` nor jsonargparse (the GPU machine has its own stack).
"""

from __future__ import annotations

import sys
from functools import cache

import torch

from gini_loss.bench import TARGET, step_pair
from gini_loss.model import CifarResNet50
from gini_loss.module import DiscErnClassifier
from shared import gpucheck
from shared.bench import Comparison
from shared.gpucheck import GpuCheck, TrainStep

PROJECT = "gini_loss"


@cache
def batch() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    return torch.rand(200, 3, 32, 32, device="cuda"), torch.arange(200, device="cuda") % 100


def checks() -> list[GpuCheck]:
    return [
        TrainStep(
            "ResNet-50 CE+Gini+KL (conv5)",
            lambda: (
                DiscErnClassifier(
                    backbone=CifarResNet50(100), num_classes=100, taps=["conv5"], start_epoch=1
                ),
                *batch(),
            ),
            loss_fn=lambda m, x, y: m.compute_loss(x, y)[0],
        ),
        Comparison(
            "train step, CE+Gini+KL / CE (ResNet-50, batch 200, bf16)",
            lambda: step_pair(CifarResNet50(100), 100, ["conv5"], *batch(), autocast=True),
            200,
            rounds=21,
            target=TARGET,
        ),
    ]


def main() -> int:
    return gpucheck.main(PROJECT, checks)


if __name__ == "__main__":
    sys.exit(main())
