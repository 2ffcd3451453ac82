"""`python -m lerac.gpu_check`: bf16 training steps at paper resolution with LeRaC's groups,
and the LeRaC step-cost benchmark on CUDA. Prints JSON lines; imports no jsonargparse."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache, partial

import torch
from torch import nn

from lerac.bench import comparisons
from lerac.groups import lerac_param_groups
from shared import gpucheck
from shared.gpucheck import Check, GpuCheck, TrainStep
from shared.models import cifar_resnet18
from shared.models.cvt import CvT13
from shared.models.wide_resnet import WideResNet

PROJECT = "lerac"
# name, model, image size, batch, grouping, eta0, min_lr, clf_lr
CASES: list[tuple[str, Callable[[], nn.Module], int, int, str, float, float, float]] = [
    ("ResNet-18 CIFAR (32 px)", partial(cifar_resnet18, 10), 32, 64, "resnet", 0.1, 1e-5, 1e-3),
    (
        "WRN-52-2 CIFAR (32 px)",
        partial(WideResNet, 52, 2, 0.3, 10),
        32,
        64,
        "wrn_official",
        0.1,
        1e-7,
        1e-5,
    ),
    ("CvT-13 ImageNet-200 (224 px)", partial(CvT13, 200, 224), 224, 128, "cvt", 2e-3, 2e-5, 1.0),
]


def checks() -> list[GpuCheck]:
    """Per case: its LeRaC group count and a bf16 step; then the step-cost ratios (fp32)."""
    declared: list[GpuCheck] = []
    for name, build, size, batch, grouping, eta0, min_lr, clf_lr in CASES:
        model = cache(build)  # the group count and the bf16 step see the same model object

        def groups(model=model, grouping=grouping, eta0=eta0, min_lr=min_lr, clf_lr=clf_lr):
            count = len(
                lerac_param_groups(model(), grouping, eta0=eta0, min_lr=min_lr, clf_lr=clf_lr)
            )
            return float(count), f"eta0 {eta0}, min_lr {min_lr}, clf_lr {clf_lr}"

        def step(model=model, size=size, batch=batch):
            net = model()
            images = torch.randn(batch, 3, size, size)
            return net, images, torch.randint(0, net.num_classes, (batch,))

        declared += [Check(f"{name}: LeRaC groups", groups, "groups"), TrainStep(name, step)]
    declared += comparisons(
        partial(cifar_resnet18, 10), 32, 64, "cuda", label="ResNet-18, batch 64, 32 px, fp32"
    )
    return declared


def main() -> int:
    return gpucheck.main(PROJECT, checks)


if __name__ == "__main__":
    sys.exit(main())
