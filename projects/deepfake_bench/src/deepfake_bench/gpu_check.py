"""`python -m deepfake_bench.gpu_check`: one bf16 training step of the full-size image detectors
at their original input sizes, as JSON lines (run by tools/gpu_check.py with the GPU machine's
own stack: no jsonargparse here)."""

from __future__ import annotations

import sys

import torch
from torch import nn

from deepfake_bench.detectors.cnndet import CNNDetection
from deepfake_bench.detectors.f3net import F3Net
from shared import gpucheck
from shared.gpucheck import GpuCheck, TrainStep


class TwoClass(nn.Module):
    """A one-logit detector as the (B, 2) logits a cross-entropy train step expects."""

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.detector = detector

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logit = self.detector(x)
        return torch.stack([torch.zeros_like(logit), logit], 1)


def checks() -> list[GpuCheck]:
    labels = torch.arange(32) % 2

    def cnndetection():
        return TwoClass(CNNDetection(size="full")), torch.rand(32, 3, 224, 224), labels

    def f3net():
        return TwoClass(F3Net(image_size=256, size="full")), torch.rand(32, 3, 256, 256), labels

    return [
        TrainStep("cnndet_lite size=full (ResNet-50, 224 px)", cnndetection),
        TrainStep("f3net_lite size=full (FAD + Xception, 256 px)", f3net),
    ]


if __name__ == "__main__":
    sys.exit(gpucheck.main("deepfake_bench", checks))
