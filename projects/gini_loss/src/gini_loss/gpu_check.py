"""`python -m gini_loss.gpu_check`: the official recipe's training step on CUDA, in bf16.

Steps of the official CIFAR ResNet-50 (100 classes, batch 200, 32x32) with CE + 0.5 Gini + 0.5 KL
on ``conv5``, then the step-cost ratio over CE alone at that size. Prints one JSON object per
line. Imports neither ``shared.cli`` nor jsonargparse (the GPU machine has its own stack).
"""

from __future__ import annotations

import torch

from gini_loss.bench import TARGET, step_pair
from gini_loss.model import CifarResNet50
from gini_loss.module import DiscErnClassifier
from shared.bench import compare
from shared.gpucheck import bf16_train_step, cuda_device, emit, emit_record

PROJECT = "gini_loss"


def main() -> None:
    if not torch.cuda.is_available():
        emit(PROJECT, "cuda_available", 0.0, "bool", "no CUDA device; nothing checked")
        return
    device = cuda_device()
    torch.manual_seed(0)
    images = torch.rand(200, 3, 32, 32, device=device)
    labels = torch.arange(200, device=device) % 100
    module = DiscErnClassifier(CifarResNet50(100), 100, taps=["conv5"], start_epoch=1)
    bf16_train_step(
        PROJECT,
        "ResNet-50 CE+Gini+KL (conv5)",
        module,
        images,
        labels,
        loss_fn=lambda m, x, y: m.compute_loss(x, y)[0],
    )
    ce_step, discern_step = step_pair(
        CifarResNet50(100), 100, ["conv5"], images, labels, autocast=True
    )
    record = compare(ce_step, discern_step, items=200, repeats=21, device=device).record(
        PROJECT, "train step, CE+Gini+KL / CE (ResNet-50, batch 200, bf16)", target=TARGET
    )
    emit_record(PROJECT, "train step cost, CE+Gini+KL / CE", record)


if __name__ == "__main__":
    main()
