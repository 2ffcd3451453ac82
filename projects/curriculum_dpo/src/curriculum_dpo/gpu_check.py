"""`python -m curriculum_dpo.gpu_check`: one bf16 training step at paper resolution on CUDA, as JSON
lines (run by tools/gpu_check.py with the GPU machine's own stack: no jsonargparse here)."""

from __future__ import annotations

import sys

import torch

from shared import gpucheck
from shared.gpucheck import GpuCheck, TrainStep
from shared.models import cifar_resnet18


def checks() -> list[GpuCheck]:
    def step():
        return cifar_resnet18(10), torch.randn(64, 3, 32, 32), torch.arange(64) % 10

    return [TrainStep("ResNet-18 CIFAR (32 px)", step)]


if __name__ == "__main__":
    sys.exit(gpucheck.main("curriculum_dpo", checks))
