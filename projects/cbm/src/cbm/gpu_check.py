"""``python -m cbm.gpu_check``: CBM's training step at paper resolution on CUDA, in bf16.

ResNet-18 (CIFAR form) on 32 px CIFAR-size batches of 64 with MaskIn at the hardest ratio of the
"40" cycle and Sobel probabilities at 64 px (the 8-bit resize runs on the CPU, which has the
PIL-exact kernel; the filter on the GPU), then the MaskIn step-cost ratio and the batched
saliency throughput, that CPU round trip included. One JSON object per line; imports neither
``shared.cli`` nor jsonargparse.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache

import torch
import torch.nn.functional as F

from cbm.bench import STEP_TARGET, train_steps
from cbm.model import MaskIn
from cbm.saliency import sobel_patch_saliency
from cbm.schedules import CYCLE_40
from shared import gpucheck
from shared.bench import Comparison, Throughput
from shared.gpucheck import GpuCheck, TrainStep
from shared.models.resnet_cifar import cifar_resnet18

PROJECT = "cbm"
masking = MaskIn(4).train()


@cache
def batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """CIFAR-size 8-bit images (normalised for the model), labels and their Sobel probabilities."""
    torch.manual_seed(0)
    raw = torch.randint(0, 256, (64, 3, 32, 32), device="cuda", dtype=torch.uint8)
    images = (raw.float() / 255 - 0.5) / 0.5
    labels = torch.arange(64, device="cuda") % 10
    return images, labels, sobel_patch_saliency(raw, 4, size=64)


def masked_loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(model(masking(x, CYCLE_40[1], batch()[2])), y)


def saliency_work() -> Callable[[], torch.Tensor]:
    images = torch.randint(0, 256, (4096, 3, 32, 32), device="cuda", dtype=torch.uint8)
    return lambda: sobel_patch_saliency(images, 4, size=64)


def checks() -> list[GpuCheck]:
    return [
        TrainStep(
            "ResNet-18 + MaskIn (CIFAR 32 px)",
            lambda: (cifar_resnet18(10), *batch()[:2]),
            masked_loss,
        ),
        Comparison(
            "train step with MaskIn / without (ResNet-18, batch 64, bf16)",
            lambda: train_steps(cifar_resnet18(10).cuda(), *batch(), CYCLE_40[1], autocast=True),
            64,
            rounds=21,
            target=STEP_TARGET,
        ),
        Throughput(
            "Sobel saliency throughput (CIFAR at 64 px)",
            saliency_work,
            4096,
            unit="images/s",
            detail="8-bit resize on the CPU, filter on the GPU",
        ),
    ]


def main() -> int:
    return gpucheck.main(PROJECT, checks)


if __name__ == "__main__":
    sys.exit(main())
