"""`python -m lerac.gpu_check`: bf16 training steps at paper resolution with LeRaC's groups,
and the LeRaC step-cost benchmark on CUDA. Prints JSON lines; imports no jsonargparse."""

from __future__ import annotations

import torch

from lerac.bench import measure
from lerac.groups import lerac_param_groups
from shared.gpucheck import bf16_train_step, cuda_device, emit
from shared.models import cifar_resnet18
from shared.models.cvt import CvT13
from shared.models.wide_resnet import WideResNet

PROJECT = "lerac"


def main() -> None:
    device = cuda_device()
    torch.manual_seed(0)
    cases = [
        ("ResNet-18 CIFAR (32 px)", cifar_resnet18(10), 32, 64, "resnet", 0.1, 1e-5, 1e-3),
        (
            "WRN-52-2 CIFAR (32 px)",
            WideResNet(52, 2, 0.3, 10),
            32,
            64,
            "wrn_official",
            0.1,
            1e-7,
            1e-5,
        ),
        ("CvT-13 ImageNet-200 (224 px)", CvT13(200, 224), 224, 128, "cvt", 2e-3, 2e-5, 1.0),
    ]
    for name, model, size, batch, grouping, eta0, min_lr, clf_lr in cases:
        groups = lerac_param_groups(model, grouping, eta0=eta0, min_lr=min_lr, clf_lr=clf_lr)
        emit(
            PROJECT,
            f"{name}: LeRaC groups",
            float(len(groups)),
            "groups",
            f"eta0 {eta0}, min_lr {min_lr}, clf_lr {clf_lr}",
        )
        images = torch.randn(batch, 3, size, size)
        labels = torch.randint(0, model.num_classes, (batch,))
        bf16_train_step(PROJECT, name, model, images, labels)
    for mode, comparison in measure(cifar_resnet18(10), 32, 64, device=device).items():
        emit(
            PROJECT,
            f"train step, LeRaC {mode} / conventional (ResNet-18, batch 64, 32 px, fp32)",
            comparison.median,
            "x",
            f"min-max {min(comparison.ratios):.3f}-{max(comparison.ratios):.3f}, target <= 1.02",
        )


if __name__ == "__main__":
    main()
