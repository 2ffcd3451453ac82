"""`make bench`: what is timed and its target (the harness in :mod:`shared.bench` does the rest)."""

from __future__ import annotations

import torch

from shared.bench import Throughput
from curriculum_dpo.module import Classifier


def train_step():
    """One forward/backward/SGD step of the default module on a digits-sized batch."""
    module = Classifier().train()
    optimizer = module.configure_optimizers()["optimizer"]
    images, labels = torch.randn(64, 3, 16, 16), torch.arange(64) % 10

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        module.compute_loss(images, labels)[0].backward()
        optimizer.step()

    return step


def benchmarks() -> list[Throughput]:
    return [Throughput("train step (digits ResNet, batch 64, 16 px)", train_step, items=64)]
